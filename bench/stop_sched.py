#!/usr/bin/python3
"""stop_sched.py BIN [N] : where the wall time of stop-all goes. Boots N bench services under BIN
(bench.booted_vigil), then runs `BIN exit` under `perf record -a` of the scheduler's switch
tracepoint, process exits and execs, and kill/pidfd_send_signal entries. From the trace, relative
to the exec of the `exit` client: the first and last SIGTERM sent by the manager, the last
service's exit (the figure's end: a zombie counts as gone), and, over the death window (first
SIGTERM to last service exit), the on-CPU time of the manager, the journal, the services and
everything else, per CPU. Prints one line of microseconds."""
import os, re, sys, time, signal, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
binp = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
data = f'/tmp/stop_sched.{os.getpid()}.data'
p, ready, root = bench.booted_vigil(binp, 'vigil_stopsched', n)
jp = int(open(f'/proc/{root}/task/{root}/children').read().split()[0])
pids = [v[0] for v in ready.latest.values()]
ev = ('sched:sched_process_exit,sched:sched_process_exec,sched:sched_switch,'
      'syscalls:sys_enter_kill,syscalls:sys_enter_pidfd_send_signal')
tool = subprocess.Popen(['perf', 'record', '-a', '-q', '-m', '2048', '-e', ev, '-o', data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
t1 = time.monotonic()
subprocess.run([binp, f'--root={p.rootdir}', 'exit'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while any(bench.alive(x) for x in pids):
    bench.reap(); time.sleep(0.002)
wall = time.monotonic() - t1
time.sleep(0.3)
tool.send_signal(signal.SIGINT); tool.wait()
p.proc.wait(15); bench.reap()
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,pid,tid,cpu,time,event,trace'], capture_output=True, text=True).stdout
os.unlink(data)
evs = []
for l in out.splitlines():
    m = re.match(r'\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)', l)
    if m: evs.append((float(m.group(5)) * 1e6, m.group(1), int(m.group(3)), int(m.group(4)), m.group(6).split(':')[1], m.group(7)))
svc = set(pids)
t0 = next(t for t, c, tid, cpu, e, tr in evs if e == 'sched_process_exec' and tid not in svc and t > 0 and binp in tr and tid != root and tid != jp)
kills = [t for t, c, tid, cpu, e, tr in evs if tid == root and e in ('sys_enter_kill', 'sys_enter_pidfd_send_signal') and t >= t0]
exits = [(t, cpu) for t, c, tid, cpu, e, tr in evs if e == 'sched_process_exit' and tid in svc]
tk0, tk1, tend = kills[0], kills[-1], max(t for t, _ in exits)
# on-CPU time per class in [tk0, tend] from sched_switch
oncpu = {}; cur = {}; others = {}
def cls(pid):
    return 'manager' if pid == root else 'journal' if pid == jp else 'service' if pid in svc else 'idle' if pid == 0 else 'other'
for t, c, tid, cpu, e, tr in evs:
    if e != 'sched_switch': continue
    m = re.search(r'prev_pid=(\d+) .*==> next_comm=(.+?) next_pid=(\d+)', tr)
    if not m: continue
    prev, nxt = int(m.group(1)), int(m.group(3))
    if cpu in cur:
        s, who, wcomm = cur[cpu]
        a, b = max(s, tk0), min(t, tend)
        if b > a:
            oncpu[(cls(who), cpu)] = oncpu.get((cls(who), cpu), 0) + b - a
            if cls(who) == 'other':
                k = re.sub(r'[/:]?\d+.*$', '', wcomm)
                others[k] = others.get(k, 0) + b - a
    cur[cpu] = (t, nxt, m.group(2))
percpu = {c: sum(1 for _, x in exits if x == c) for c in sorted({x for _, x in exits})}
print(f'wall {wall*1e3:.1f} ms; from the client exec (us): first kill {tk0-t0:.0f}, last kill {tk1-t0:.0f} ({len(kills)} kills), '
      f'last service exit {tend-t0:.0f}; service exits per cpu {percpu}')
print('on cpu in [first kill, last exit] (us): ' + ', '.join(f'{k[0]}@{k[1]} {v:.0f}' for k, v in sorted(oncpu.items())))
print('other, by command (us): ' + ', '.join(f'{k} {v:.0f}' for k, v in sorted(others.items(), key=lambda kv: -kv[1])[:8]))
