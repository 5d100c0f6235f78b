#!/usr/bin/python3
"""restart_sched.py BIN [N] [REPS] : who has the CPU during a restart. Boots N bench services
(bench.booted_vigil: Restart=always, RestartSec=0) under BIN, then SIGKILLs REPS of them with 0.3 s
of idle between (as bench.py does) under `perf record -a` of the scheduler's switch and wake-up
tracepoints plus the manager's clone3/waitid/epoll_wait and the new process's exec and ready
sendto. Per restart, from the switches: on-CPU time (us) of the manager, the journal and the new
process in each phase, the manager's burst from clone3 to its next sleep, whether the full reap
(waitid(P_ALL)) ran before the new process's exec; over the run, how often the journal preempted
(took the CPU from a runnable task) the dying service or the manager. Prints medians.
BATCH=1 first puts the journal under SCHED_BATCH with chrt (to try the policy on any build).
TIMELINE=K also prints the events of the first K restarts, in us from the service's exit to its
replacement's ready datagram (who woke whom and onto which CPU, who ran, the syscalls above)."""
import os, re, sys, time, signal, statistics, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
binp = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000; reps = int(sys.argv[3]) if len(sys.argv) > 3 else 12
data = f'/tmp/restart_sched.{os.getpid()}.data'
p, ready, root = bench.booted_vigil(binp, 'vigil_sched', n)
jp = int(open(f'/proc/{root}/task/{root}/children').read().split()[0])
if os.environ.get('BATCH'):
    subprocess.run(['chrt', '-b', '-p', '0', str(jp)], check=True)
ev = ('sched:sched_process_exit,sched:sched_process_exec,sched:sched_switch,sched:sched_wakeup_new,sched:sched_wakeup,'
      'syscalls:sys_enter_clone3,syscalls:sys_enter_sendto,syscalls:sys_enter_waitid')
tool = subprocess.Popen(['perf', 'record', '-a', '-q', '-e', ev, '-o', data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
bench.sigkill_restarts(ready, n, reps)
tool.send_signal(signal.SIGINT); tool.wait()
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,pid,tid,cpu,time,event,trace'], capture_output=True, text=True).stdout
os.unlink(data)
p.stop(); p.finish(); p.proc.wait(15)
evs = []
for l in out.splitlines():
    m = re.match(r'\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)', l)
    if m: evs.append((float(m.group(5)) * 1e6, m.group(1), int(m.group(3)), m.group(6).split(':')[1], m.group(7)))
def timeline(k):
    """The events of the first K restarts, one line each, in us from the service's exit."""
    exits = [i for i, e in enumerate(evs) if e[3] == 'sched_process_exit' and e[1] == 'psvc']
    for i in exits[:k]:
        t0 = evs[i][0]
        print(f'-- restart: manager {root}, journal {jp}')
        for t, comm, tid, e, tr in evs[i:]:
            m = e == 'sched_switch' and re.search(r'prev_comm=(.+?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.+?) next_pid=(\d+)', tr)
            what = f'{m.group(1)}/{m.group(2)}[{m.group(3)}] -> {m.group(4)}/{m.group(5)}' if m else f'{comm}/{tid} {tr[:80]}'
            print(f'{t - t0:8.0f} {e:20s} {what}')
            if e == 'sys_enter_sendto' and comm == 'psvc' or t - t0 > 5000: break
if os.environ.get('TIMELINE'):
    timeline(int(os.environ['TIMELINE']))
ivs, cur, preempt = {}, {}, {'service': 0, 'manager': 0}
for t, comm, tid, e, tr in evs:
    if e != 'sched_switch': continue
    m = re.search(r'prev_comm=(.+?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.+? next_pid=(\d+)', tr)
    if not m: continue
    prev, nxt = int(m.group(2)), int(m.group(4))
    if nxt == jp and m.group(3).startswith('R'):
        if m.group(1) == 'psvc': preempt['service'] += 1
        if prev == root: preempt['manager'] += 1
    if prev in cur: ivs.setdefault(prev, []).append((cur.pop(prev), t))
    cur[nxt] = t
def oncpu(tid, a, b): return sum(max(0, min(y, b) - max(x, a)) for x, y in ivs.get(tid, []))
def first(j, pred): return next((k for k in range(j, len(evs)) if pred(evs[k])), None)
rows = []
for i, (t, comm, tid, e, tr) in enumerate(evs):
    if not (e == 'sched_process_exit' and comm == 'psvc'): continue
    c = first(i, lambda x: x[3] == 'sys_enter_clone3' and x[2] == root)
    w = c is not None and first(c, lambda x: x[3] == 'sched_wakeup_new' and x[2] == root)
    if not w: continue
    child = int(re.search(r'pid=(\d+)', evs[w][4]).group(1))
    x = first(w, lambda e: e[3] == 'sched_process_exec' and e[2] == child)
    s = x is not None and first(x, lambda e: e[3] == 'sys_enter_sendto' and e[2] == child)
    if not s: continue
    sl = first(c, lambda e: e[3] == 'sched_switch' and re.search(rf'prev_pid={root} .*prev_state=S', e[4]))
    sw = first(c, lambda e: e[3] == 'sys_enter_waitid' and e[2] == root and 'which: 0x00000000' in e[4])
    tc, tx, ts = evs[c][0], evs[x][0], evs[s][0]
    rows.append((tc - t, tx - tc, ts - tx, oncpu(root, t, tc), oncpu(jp, t, tc), oncpu(root, tc, evs[sl][0]) if sl else 0,
                 oncpu(root, tc, tx), oncpu(jp, tc, tx), oncpu(child, tc, tx), 1 if sw is not None and evs[sw][0] < tx else 0))
names = ['exit->clone3', 'clone3->exec', 'exec->ready', 'mgr_cpu_before', 'journal_cpu_before', 'mgr_burst_after_clone3',
         'mgr_cpu_till_exec', 'journal_cpu_till_exec', 'child_cpu_till_exec', 'sweep_before_exec']
print(f'restarts {len(rows)}; journal preempted the dying service {preempt["service"]}x, the manager {preempt["manager"]}x')
print('medians (us): ' + ' '.join(f'{nm} {statistics.median([r[k] for r in rows]):.0f}' for k, nm in enumerate(names)))
