#!/usr/bin/python3
"""restart_cpu.py BIN [N] [REPS]: boot N bench services (Restart=always RestartSec=0) under BIN,
then REPS times SIGKILL one service and wait for its replacement's ready datagram (no pause);
prints the manager's and the journal's CPU (utime+stime from /proc/PID/stat) per restart and the
latency median/min."""
import os, sys, time, signal, statistics
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
binp = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 10; reps = int(sys.argv[3]) if len(sys.argv) > 3 else 500
p, ready, root = bench.booted_vigil(binp, 'vigil_spcpu', n)
jp = int(open(f'/proc/{root}/task/{root}/children').read().split()[0])
def cpu(pid):
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return int(f[11]), int(f[12])
m1, j1 = cpu(root), cpu(jp)
lats = []
for k in range(reps):
    name = f's{k % n}'
    oldpid = ready.latest[name][0]
    hp = oldpid
    t1 = time.monotonic()
    try: os.kill(hp, signal.SIGKILL)
    except ProcessLookupError: time.sleep(0.05); continue
    t2 = ready.wait_new(name, oldpid, 10)
    lats.append(None if t2 is None else (t2 - t1) * 1e3)
m2, j2 = cpu(root), cpu(jp)
hz = os.sysconf('SC_CLK_TCK')
f = lambda a, b, i: (b[i] - a[i]) * 1000 / hz / max(1, len([x for x in lats if x is not None]))
ok = [x for x in lats if x is not None]
print('ms/restart: manager user %.3f sys %.3f; journal user %.3f sys %.3f; latency median %.2f min %.2f (%d ok)' % (
    f(m1, m2, 0), f(m1, m2, 1), f(j1, j2, 0), f(j1, j2, 1), statistics.median(ok), min(ok), len(ok)))
bench.reap()
p.stop(); p.finish(); p.proc.wait(15)
