#!/usr/bin/python3
"""Profile vigil's manager while it boots N services (default 1000).

Usage: profile.py OUTDIR [N] [--tool perf|strace|stat|wall|massif|callgrind]

  wall    no tool: the start-all time alone (for comparing against the others)
  stat    `perf stat` of the manager (task clock, context switches, faults)
  perf    `perf record --call-graph dwarf` of the manager; report in OUTDIR/perf.txt
  strace  `strace -c -w` (syscall counts and wall time in each) of the manager
  stracelog  `strace -o OUTDIR/strace.log` of the manager: every call in order; the counts up
          to the last clone3 (the boot's critical path) in OUTDIR/strace-start.txt
  massif  `valgrind --tool=massif` of the manager: where its heap goes (OUTDIR/massif.txt)
  callgrind  instruction counts of the manager (`valgrind --tool=callgrind`), repeatable on a
          loaded machine where times are not; report in OUTDIR/callgrind.txt. With --phase
          stop, counting is switched on (`callgrind_control -i on`) right before `vigil exit`.
          (Under valgrind, clone3 is refused and the manager uses its fork fallback.)

--phase stop attaches perf/strace to the running manager right before `vigil exit`
instead of starting the manager under the tool.

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
    ap.add_argument('--tool', default='perf', choices=['perf', 'strace', 'stracelog', 'stat', 'wall', 'massif', 'callgrind'])
    ap.add_argument('--phase', default='start', choices=['start', 'stop'],
                    help='start: the manager runs under the tool from exec; stop: the tool attaches to the running manager just before `vigil exit`')
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
        'stat': ['perf', 'stat', '--no-inherit', '-o', f'{a.out}/perf-stat.txt', '-e',
                 'task-clock,context-switches,cpu-migrations,page-faults', '--'],
        'perf': ['perf', 'record', '--no-inherit', '-F', '2999', '--call-graph', 'dwarf,16384', '-o', f'{a.out}/perf.data', '--'],
        'strace': ['strace', '-c', '-w', '-o', f'{a.out}/strace-c.txt', '--'],
        'stracelog': ['strace', '-o', f'{a.out}/strace.log', '--'],
        'massif': ['valgrind', '--tool=massif', f'--massif-out-file={a.out}/massif.out', '--'],
        'callgrind': ['valgrind', '--tool=callgrind', f'--callgrind-out-file={a.out}/callgrind.out',
                      f'--instr-atstart={"yes" if a.phase == "start" else "no"}', '--'],
    }[a.tool]
    log = open(f'{a.out}/vigil-{a.tool}.log', 'w')
    t0 = time.monotonic()
    under_tool = a.phase == 'start' or a.tool == 'callgrind'
    proc = subprocess.Popen((wrap if under_tool else []) + daemon, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    tl = ready.wait_n(a.n, 300)
    start = None if tl is None else tl - t0
    if a.phase == 'start' and a.tool == 'callgrind':
        # dump the start phase on its own (callgrind.out.1): the final file then holds the stop phase
        subprocess.run(['callgrind_control', '-d', 'start-phase', str(proc.pid)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    tool = None
    if a.phase == 'stop' and a.tool == 'callgrind':
        subprocess.run(['callgrind_control', '-i', 'on', str(proc.pid)], stdout=subprocess.DEVNULL)
    elif a.phase == 'stop' and wrap:
        # attach to the manager (wrap minus its trailing `--`, plus -p PID), give the tool a moment to set up
        attach = wrap[:-1] + ['-p', str(proc.pid)]
        tool = subprocess.Popen(attach, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
    pids = [v[0] for v in ready.latest.values()]
    t1 = time.monotonic()
    subprocess.run([bench.VIGIL, f'--root={p.rootdir}', 'exit'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while any(bench.alive(x) for x in pids):
        bench.reap(); time.sleep(0.002)
    stop = time.monotonic() - t1
    proc.wait(600 if a.tool == 'callgrind' else 60)  # valgrind slows the manager 20-50x
    mgr_exit = time.monotonic() - t1
    if tool: tool.send_signal(2); tool.wait(60)
    bench.reap()
    print(f'{a.tool}/{a.phase}: start {a.n} = {start if start is None else round(start, 4)} s, stop = {round(stop, 4)} s, '
          f'manager exit = {round(mgr_exit, 4)} s (the phase under the tool includes its overhead)')
    if a.tool == 'perf':
        with open(f'{a.out}/perf.txt', 'w') as f:
            subprocess.run(['perf', 'report', '-i', f'{a.out}/perf.data', '--stdio', '--no-children',
                            '--percent-limit', '0.5', '--sort', 'dso,symbol'], stdout=f, stderr=subprocess.DEVNULL)
        with open(f'{a.out}/perf-children.txt', 'w') as f:
            subprocess.run(['perf', 'report', '-i', f'{a.out}/perf.data', '--stdio', '--children', '-g', 'none',
                            '--percent-limit', '2', '--sort', 'symbol'], stdout=f, stderr=subprocess.DEVNULL)
        print(f'report: {a.out}/perf.txt, {a.out}/perf-children.txt')
    elif a.tool == 'massif':
        with open(f'{a.out}/massif.txt', 'w') as f:
            subprocess.run(['ms_print', f'{a.out}/massif.out'], stdout=f, stderr=subprocess.DEVNULL)
        print(f'report: {a.out}/massif.txt')
    elif a.tool == 'stat':
        print(open(f'{a.out}/perf-stat.txt').read())
    elif a.tool == 'callgrind':
        with open(f'{a.out}/callgrind.txt', 'w') as f:
            subprocess.run(['callgrind_annotate', '--inclusive=yes', f'{a.out}/callgrind.out'], stdout=f, stderr=subprocess.DEVNULL)
        print(f'report: {a.out}/callgrind.txt')
        if os.path.exists(f'{a.out}/callgrind.out.1'):
            with open(f'{a.out}/callgrind-start.txt', 'w') as f:
                subprocess.run(['callgrind_annotate', '--inclusive=yes', f'{a.out}/callgrind.out.1'], stdout=f, stderr=subprocess.DEVNULL)
            print(f'start phase alone: {a.out}/callgrind-start.txt')
    elif a.tool == 'strace':
        print(open(f'{a.out}/strace-c.txt').read())
    elif a.tool == 'stracelog':
        # The boot's critical path: every call up to the last clone3 (the
        # last unit's spawn); what the loop does after it is not counted.
        lines = open(f'{a.out}/strace.log').read().splitlines()
        last = max((i for i, l in enumerate(lines) if l.startswith('clone3(')), default=len(lines) - 1)
        counts = {}
        for line in lines[:last + 1]:
            name = line.split('(', 1)[0]
            if name and name[0].isalpha():
                counts[name] = counts.get(name, 0) + 1
        total = sum(counts.values())
        with open(f'{a.out}/strace-start.txt', 'w') as f:
            f.write(f'{total} calls up to the last clone3, {total / a.n:.2f} per unit\n')
            for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
                f.write(f'{v:8} {v / a.n:6.2f} {k}\n')
        print(open(f'{a.out}/strace-start.txt').read())


if __name__ == '__main__':
    main()
