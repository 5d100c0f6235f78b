#!/usr/bin/python3
"""What one control round trip costs, in counts: the client's start and request, and the manager's
answer. Counts, not times: on this 2-CPU machine shared by several builds wall time moves by tens
of percent between rounds, instruction, page-fault and syscall counts do not.

Usage: client_cost.py BIN [BIN ...] [--n N] [--manager]

  A manager (the first BIN) is booted with the benchmark's N units (default 1000, bench.py's
  `vigil` peer; BENCH_DIR of your own), then each BIN is the client of the three commands the
  kit times (`is-active`, `show -p MainPID`, `status --no-pager -n0`):
    instr    `valgrind --tool=callgrind` of the client ("Collected"), of which `ld.so` is the part
             counted in the dynamic loader (its start-up relocation and symbol look-ups)
    binds    symbol look-ups the loader did (`LD_DEBUG=statistics`, "number of relocations")
    faults   `perf stat -e page-faults -r 30` (mean)
    syscalls `strace -f -c` (total)
  --manager also runs each BIN as the manager under callgrind (counting off while it boots), one
  warm-up request, then 50 requests of each command with counting on: instructions per request.

Page faults compare only between files written alike: a `cp` of a binary takes 4-6 more than
the file the linker wrote (same bytes), so copy every BIN the same way before an A/B.

The clients' output is compared with the first BIN's (a change here must not change it), apart
from the relative time of `Active:` ("; 5min ago"), which moves between the runs.
"""
import argparse, os, re, shutil, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same units and ready socket as the benchmark)

CMDS = [['is-active', 's1'], ['show', '-p', 'MainPID', 's1'], ['status', '--no-pager', '-n0', 's1']]


def boot(binp, name, n, wrap=()):
    """BINP's manager with the bench's N units, all ready: (process, root)."""
    ready = bench.Ready()
    p = type('Probe', (bench.Vigil,), {'bin': binp, 'name': name})(n)
    if os.path.exists(p.dir): shutil.rmtree(p.dir)
    p.setup()
    proc = subprocess.Popen([*wrap, binp, 'daemon', f'--root={p.rootdir}', '--boot'], stdout=open(p.dir + '/vigil.log', 'w'),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    assert ready.wait_n(n, 600) is not None, 'the units did not all start'
    time.sleep(1.0)
    return proc, p.rootdir


def stop(binp, proc, root):
    subprocess.run([binp, f'--root={root}', 'exit'], capture_output=True)
    proc.wait(120)


def same_output(a, b):
    ago = re.compile(r'; [^;]* ago$', re.M)
    return ago.sub('', a) == ago.sub('', b)


def run(argv, env=None):
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def client_costs(binp, root, cmd, tmp):
    argv = [binp, f'--root={root}', *cmd]
    out = f'{tmp}/client.cg'
    cg = run(['valgrind', '--tool=callgrind', f'--callgrind-out-file={out}', *argv]).stderr
    instr = int(re.search(r'Collected : (\d+)', cg).group(1))
    ann = run(['callgrind_annotate', '--inclusive=yes', out]).stdout
    lds = re.search(r'([\d,]+) \([ \d.]+%\)\s+\S*rtld.c:_dl_start ', ann)
    binds = re.search(r'number of relocations: (\d+)', run(argv, dict(os.environ, LD_DEBUG='statistics')).stderr)
    pf = run(['perf', 'stat', '-x,', '-e', 'page-faults', '-r', '30', *argv]).stderr
    # the `total` line: percent, seconds, usecs/call, calls, [errors,] total
    sc = run(['strace', '-f', '-c', *argv]).stderr.strip().splitlines()[-1].split()
    return {'instr': instr, 'ld.so': int(lds.group(1).replace(',', '')) if lds else None,
            'binds': int(binds.group(1)) if binds else None,
            'faults': float(pf.strip().splitlines()[-1].split(',')[0]), 'syscalls': int(sc[3])}


def manager_costs(binp, name, n, tmp):
    """Instructions per request of BINP's manager, per command."""
    out = f'{tmp}/mgr-{name}'
    proc, root = boot(binp, name, n, ['valgrind', '--tool=callgrind', '--instr-atstart=no', f'--callgrind-out-file={out}'])
    ctl = lambda *a: run(['callgrind_control', *a, str(proc.pid)])
    res = {}
    for cmd in CMDS:
        run([binp, f'--root={root}', *cmd])
        ctl('-z'); ctl('-i', 'on')
        for _ in range(50): run([binp, f'--root={root}', *cmd])
        ctl('-i', 'off'); ctl('-d')
        time.sleep(1.0)
        dumps = sorted((f for f in os.listdir(tmp) if f.startswith(f'mgr-{name}.')), key=lambda f: os.path.getmtime(f'{tmp}/{f}'))
        tot = re.search(r'([\d,]+) \(100.0%\)\s+PROGRAM TOTALS', run(['callgrind_annotate', f'{tmp}/{dumps[-1]}']).stdout)
        res[' '.join(cmd[:-1])] = int(tot.group(1).replace(',', '')) // 50
    stop(binp, proc, root)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('bins', nargs='+')
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--manager', action='store_true')
    a = ap.parse_args()
    tmp = f'{bench.BENCH}/client_cost'
    shutil.rmtree(tmp, ignore_errors=True); os.makedirs(tmp)
    proc, root = boot(a.bins[0], 'client_cost', a.n)
    try:
        for cmd in CMDS:
            want = run([a.bins[0], f'--root={root}', *cmd]).stdout
            for b in a.bins:
                got = run([b, f'--root={root}', *cmd]).stdout
                print(f'client {" ".join(cmd[:-1]):22} {b}: {client_costs(b, root, cmd, tmp)}'
                      + ('' if same_output(got, want) else '  OUTPUT DIFFERS'), flush=True)
    finally:
        stop(a.bins[0], proc, root)
    if a.manager:
        for i, b in enumerate(a.bins):
            print(f'manager per request {b}: {manager_costs(b, f"mgr{i}", a.n, tmp)}', flush=True)


if __name__ == '__main__':
    main()
