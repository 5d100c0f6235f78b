#!/usr/bin/python3
"""Profile vigil's manager while it boots N services (default 1000).

Usage: profile.py OUTDIR [N] [--tool perf|strace|stat|wall]

  wall    no tool: the start-all time alone (for comparing against the others)
  stat    `perf stat` of the manager (task clock, context switches, faults)
  perf    `perf record --call-graph dwarf` of the manager; report in OUTDIR/perf.txt
  strace  `strace -c` (syscall counts and time) and a timed trace of the manager

Each run: fresh root with the benchmark's units (bench.py's `vigil` peer),
manager started under the tool, clock stopped at the N-th ready datagram,
then `vigil exit`. Prints the start-all time and where the report is.
"""
import os, sys, time, subprocess, shutil, argparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same peers and ready socket as the benchmark)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('n', nargs='?', type=int, default=1000)
    ap.add_argument('--tool', default='perf', choices=['perf', 'strace', 'stat', 'wall'])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    os.makedirs(bench.RUN, exist_ok=True)
    ready = bench.Ready()
    p = bench.Vigil(a.n)
    if os.path.exists(p.dir): shutil.rmtree(p.dir)
    p.setup()
    daemon = [bench.VIGIL, 'daemon', f'--root={p.rootdir}', '--boot']
    wrap = {
        'wall': [],
        'stat': ['perf', 'stat', '-o', f'{a.out}/perf-stat.txt', '-e',
                 'task-clock,context-switches,cpu-migrations,page-faults', '--'],
        'perf': ['perf', 'record', '-F', '2999', '--call-graph', 'dwarf,16384', '-o', f'{a.out}/perf.data', '--'],
        'strace': ['strace', '-c', '-o', f'{a.out}/strace-c.txt', '--'],
    }[a.tool]
    log = open(f'{a.out}/vigil-{a.tool}.log', 'w')
    t0 = time.monotonic()
    proc = subprocess.Popen(wrap + daemon, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    tl = ready.wait_n(a.n, 300)
    start = None if tl is None else tl - t0
    time.sleep(0.5)
    subprocess.run([bench.VIGIL, f'--root={p.rootdir}', 'exit'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.wait(60)
    bench.reap()
    print(f'{a.tool}: start {a.n} = {start if start is None else round(start, 4)} s (includes the tool\'s overhead)')
    if a.tool == 'perf':
        with open(f'{a.out}/perf.txt', 'w') as f:
            subprocess.run(['perf', 'report', '-i', f'{a.out}/perf.data', '--stdio', '--no-children',
                            '--percent-limit', '0.5', '--sort', 'dso,symbol'], stdout=f, stderr=subprocess.DEVNULL)
        with open(f'{a.out}/perf-children.txt', 'w') as f:
            subprocess.run(['perf', 'report', '-i', f'{a.out}/perf.data', '--stdio', '--children', '-g', 'none',
                            '--percent-limit', '2', '--sort', 'symbol'], stdout=f, stderr=subprocess.DEVNULL)
        print(f'report: {a.out}/perf.txt, {a.out}/perf-children.txt')
    elif a.tool == 'stat':
        print(open(f'{a.out}/perf-stat.txt').read())
    elif a.tool == 'strace':
        print(open(f'{a.out}/strace-c.txt').read())


if __name__ == '__main__':
    main()
