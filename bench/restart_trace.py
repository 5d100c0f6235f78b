#!/usr/bin/python3
"""restart_trace.py BIN OUT [N] [REPS] [strace] : boot N bench services (bench.py's `vigil` peer:
Restart=always, RestartSec=0) under BIN, then REPS times: SIGKILL one service, wait for the
replacement's ready datagram, pause 0.3 s (as bench.py does). With `strace`, strace -f -tt is
attached to the manager and the journal around each kill (OUT/strace.K; count them with
bench/restart_count.py). Prints the latencies (under strace they are strace's)."""
import os, sys, time, subprocess, signal, statistics
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
binp, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 10
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 20
tool = sys.argv[5] if len(sys.argv) > 5 else 'none'
os.makedirs(out, exist_ok=True)
p, ready, root = bench.booted_vigil(binp, 'vigil_sp', n)
lats = []
for k in range(reps):
    name = f's{k % n}'
    oldpid = ready.latest[name][0]
    hp = bench.nsmap(root).get(oldpid)
    st = None
    if tool == 'strace':
        pids = [root] + [int(x) for x in open(f'/proc/{root}/task/{root}/children').read().split()]
        args = ['strace', '-f', '-tt', '-o', f'{out}/strace.{k}']
        for x in pids:
            if x != hp: args += ['-p', str(x)]
        st = subprocess.Popen(args, stderr=subprocess.DEVNULL); time.sleep(0.5)
    t1 = time.monotonic(); os.kill(hp, signal.SIGKILL)
    t2 = ready.wait_new(name, oldpid, 10)
    lats.append(None if t2 is None else (t2 - t1) * 1e3)
    time.sleep(0.2)
    if st: st.send_signal(signal.SIGINT); st.wait()
    time.sleep(0.1); bench.reap()
ok = [x for x in lats if x is not None]
print('restart ms median %.3f min %.3f all %s' % (statistics.median(ok), min(ok), [round(x, 2) for x in ok]))
p.stop(); p.finish(); p.proc.wait(15)
