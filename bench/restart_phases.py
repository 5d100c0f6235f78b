#!/usr/bin/python3
"""restart_phases.py BIN [N] [REPS] : where a restart's time goes, from kernel tracepoints rather
than end-to-end wall time (which the machine's other load swamps). Boots N bench services
(bench.booted_vigil: Restart=always, RestartSec=0) under BIN, records system-wide with
`perf record -a` the exit of the killed psvc, the manager's and the journal's returns from
epoll_wait, the manager's clone3, the new psvc's exec and its ready sendto, while REPS services
are SIGKILLed with 0.3 s of idle between (as bench.py does). Per restart:
  wake   killed process's exit -> manager returns from epoll_wait
  work   manager's wake -> its clone3 (what it does before forking)
  child  clone3 -> the new process's exec
  start  exec -> psvc's ready sendto
  total  exit -> ready sendto
and the manager's and journal's epoll_wait returns (wake-ups) from the exit to 5 ms after the
ready datagram. Prints medians (us) and per-restart rows."""
import os, sys, time, subprocess, signal, statistics, re
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
binp = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000; reps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
data = f'/tmp/restart_phases.{os.getpid()}.data'
p, ready, root = bench.booted_vigil(binp, 'vigil_phases', n)
jp = int(open(f'/proc/{root}/task/{root}/children').read().split()[0])
ev = 'sched:sched_process_exit,syscalls:sys_exit_epoll_wait,syscalls:sys_enter_clone3,sched:sched_process_exec,syscalls:sys_enter_sendto'
tool = subprocess.Popen(['perf', 'record', '-a', '-q', '-e', ev, '-o', data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
killed = set(bench.sigkill_restarts(ready, n, reps))
tool.send_signal(signal.SIGINT); tool.wait()
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,pid,time,event'], capture_output=True, text=True).stdout
os.unlink(data)
evs = []
for l in out.splitlines():
    m = re.match(r'\s*(.+?)\s+(\d+)\s+([\d.]+):\s+(\S+):', l)
    if m: evs.append((float(m.group(3)) * 1e6, m.group(1).strip(), int(m.group(2)), m.group(4)))
rows = []
for i, (t, comm, pid, e) in enumerate(evs):
    # only the exits of the services killed here (not a previous run's stop)
    if not (e == 'sched:sched_process_exit' and comm == 'psvc' and pid in killed): continue
    def first(j, pred):
        for k in range(j, len(evs)):
            if pred(evs[k]): return k
        return None
    a = first(i, lambda x: x[3] == 'syscalls:sys_exit_epoll_wait' and x[2] == root)
    b = a is not None and first(a, lambda x: x[3] == 'syscalls:sys_enter_clone3' and x[2] == root)
    c = b and first(b, lambda x: x[3] == 'sched:sched_process_exec' and x[1] == 'psvc')
    d = c and first(c, lambda x: x[3] == 'syscalls:sys_enter_sendto' and x[1] == 'psvc')
    if not d: continue
    end = evs[d][0] + 5000
    mw = sum(1 for x in evs[i:] if x[0] <= end and x[3] == 'syscalls:sys_exit_epoll_wait' and x[2] == root)
    jw = sum(1 for x in evs[i:] if x[0] <= end and x[3] == 'syscalls:sys_exit_epoll_wait' and x[2] == jp)
    rows.append((evs[a][0] - t, evs[b][0] - evs[a][0], evs[c][0] - evs[b][0], evs[d][0] - evs[c][0], evs[d][0] - t, mw, jw))
names = ['wake', 'work', 'child', 'start', 'total', 'mgr_wakes', 'journal_wakes']
print('restarts', len(rows), 'medians:', ' '.join(f'{nm} {statistics.median([r[k] for r in rows]):.0f}' for k, nm in enumerate(names)))
for r in rows: print('  ' + ' '.join(f'{v:.0f}' for v in r))
p.stop(); p.finish(); p.proc.wait(15)
