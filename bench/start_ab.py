#!/usr/bin/python3
"""start_ab.py N REPS BIN_A BIN_B [BIN_C …] : start-all time only (manager start -> the N-th psvc
report, as bench.py measures it), the builds interleaved rep by rep (A, B, C, A, B, C, …) so that
the machine's drift falls on all of them; prints each build's times and median. A quick A/B for
a change to the boot path; bench/run is the full method."""
import os, sys, time, shutil, statistics, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
n, reps, bins = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
os.makedirs(bench.RUN, exist_ok=True)
ready = bench.Ready()
times = {b: [] for b in bins}
for rep in range(reps):
    for i, b in enumerate(bins):
        name = f'start_ab{i}'
        p = type('Probe', (bench.Vigil,), {'bin': b, 'name': name})(n)
        if os.path.exists(p.dir): shutil.rmtree(p.dir)
        p.setup()
        with ready.cond: ready.latest.clear()
        t0 = time.monotonic(); p.start()
        tl = ready.wait_n(n, 120)
        times[b].append(None if tl is None else round(tl - t0, 4))
        time.sleep(0.5)
        p.stop(); p.finish()
        try: p.proc.wait(15)
        except subprocess.TimeoutExpired: bench.kill_tree_of(p.root()); p.proc.wait(5)
        bench.reap()
        time.sleep(0.5)
for b in bins:
    ok = [t for t in times[b] if t is not None]
    print(f'{b}: median {statistics.median(ok):.4f} s  reps {times[b]}  loadavg {bench.loadavg()}')
