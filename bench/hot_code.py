#!/usr/bin/python3
"""hot_code.py BIN [OUT_DIR] [N=100] : which functions of the binary the manager and its journal run in
their steady state, and the control commands run; writes crates/vigil/hot-code.txt, the order in
which scripts/link-hot lays out the code of release builds (see that script).

Boots N bench services (bench.py's `vigil` peer) under BIN in `valgrind --tool=callgrind`,
following the journal process (the binary again, exec'd by the manager; the services are not
followed). Each process zeroes its counters when it drops its start-up code
(`--zero-before=` `vigil::resident::apply`, called at start and at that drop), so what is counted
is what runs afterwards: the code whose pages come back and stay (crates/vigil/src/resident.rs).
  idle    every service ready, then 3 s (the state bench/mem.sh measures)
  active  a service that logs two lines every 0.2 s is started, SIGKILL restarts, then the kit's
          control commands (is-active, show, status), list-units, restart, stop and start
  client  each of those commands again, as a fresh `systemctl` process under callgrind
The names are demangled without their hash (what `nm -C` prints; the build's `v0` mangling keeps a
generic function's type arguments in its name), so that they still match the next build's symbols;
a function renamed since falls back to the default place, nothing breaks.
Groups, in layout order: the journal's active set (what only it runs, then what the manager or a
client also runs), the journal's idle set, what both idle processes run, the manager's idle set, the
client of the kit's three commands, the manager's active set, the other commands; each function in
the first of these it belongs to, hottest first within a group. So each process's idle code is one
piece, next to its active code, and a `systemctl is-active` finds its code in a few runs.
"""
import collections, os, re, shutil, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench

binp = os.path.abspath(sys.argv[1])
out = sys.argv[2] if len(sys.argv) > 2 else bench.BENCH + '/hot_code'
n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
PROFILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'crates/vigil/hot-code.txt')


def profile():
    """Runs the scenario; returns the callgrind files: (manager, journal) x (idle, active), clients."""
    shutil.rmtree(out, ignore_errors=True); os.makedirs(out); os.makedirs(bench.RUN, exist_ok=True)
    ready = bench.Ready()
    p = type('Probe', (bench.Vigil,), {'bin': binp, 'name': 'vigil_hot'})(n)
    if os.path.exists(p.dir): shutil.rmtree(p.dir)
    p.setup()
    open(p.rootdir + '/etc/systemd/system/logger.service', 'w').write(
        "[Service]\nExecStart=/bin/sh -c 'while :; do echo tick; echo warn >&2; sleep 0.2; done'\n")
    # Valgrind starts a program with its path as argv[0], and the manager starts the journal as
    # /proc/self/exe with argv[0] `systemd-journald`: so the binary is run as a file of that name
    # (the name picks the personality), the manager through a symlink `vigild` to it.
    bindir = f'{out}/bin'; os.makedirs(bindir)
    shutil.copy(binp, f'{bindir}/systemd-journald'); os.symlink('systemd-journald', f'{bindir}/vigild')
    vg = ['valgrind', '--tool=callgrind', '--demangle=no', '--trace-children=yes',
          '--trace-children-skip=*psvc*,/bin/*,/usr/*', '--zero-before=*5vigil8resident5apply*',
          f'--callgrind-out-file={out}/cg.%p']
    proc = subprocess.Popen([*vg, f'{bindir}/vigild', f'--root={p.rootdir}', '--boot'],
                            stdout=open(f'{out}/vigil.log', 'w'), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    assert ready.wait_n(n, 900) is not None, 'the services did not all start'
    time.sleep(3)
    jpid = None
    for d in os.listdir('/proc'):
        try:
            if d.isdigit() and f'--manager-pid={proc.pid}'.encode() in open(f'/proc/{d}/cmdline', 'rb').read(): jpid = int(d)
        except OSError: pass
    assert jpid, 'no journal process'
    def dump():
        for pid in (proc.pid, jpid):
            subprocess.run(['callgrind_control', '-d', str(pid)], stdout=subprocess.DEVNULL)
    dump()
    ctl = [binp, f'--root={p.rootdir}']
    subprocess.run(ctl + ['start', 'logger'], capture_output=True)
    bench.sigkill_restarts(ready, n, 5)
    cmds = [['is-active', 's1'], ['show', '-p', 'MainPID', 's1'], ['status', '--no-pager', '-n0', 's1'],
            ['status', '--no-pager', 's1'], ['status', '--no-pager', 'logger'], ['list-units', '--no-pager'],
            ['restart', 's2'], ['stop', 's3'], ['start', 's3'], ['is-enabled', 's1']]
    for c in cmds:
        subprocess.run(ctl + c, capture_output=True)
    time.sleep(2)
    dump()
    for i, c in enumerate(cmds):
        subprocess.run(['valgrind', '--tool=callgrind', '--demangle=no', f'--callgrind-out-file={out}/client.{i}', *ctl, *c],
                       capture_output=True)
    subprocess.run(ctl + ['exit'], capture_output=True)
    proc.wait(600); bench.reap()
    part = lambda pid, k: f'{out}/cg.{pid}.{k}'
    return (part(proc.pid, 1), part(proc.pid, 2)), (part(jpid, 1), part(jpid, 2)), [f'{out}/client.{i}' for i in range(len(cmds))]


def self_costs(path, objs):
    """{mangled name: instructions in the function itself} for the functions of the objects OBJS
    run in the callgrind file PATH (its format: valgrind's docs/cl-format)."""
    names = {'ob': {}, 'fn': {}}
    ob = fn = None; after_calls = False
    cost = collections.Counter()
    def name(kind, v):
        m = re.match(r'\((\d+)\)(?: (.*))?', v)
        if not m: return v
        if m.group(2) is not None: names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1))
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        if not line: continue
        if line[0].isdigit() or line[0] in '+-*':
            if after_calls: after_calls = False  # the inclusive cost of a call
            elif ob in objs and len(line.split()) > 1: cost[re.sub(r"'\d+$", '', fn)] += int(line.split()[1])
            continue
        k, _, v = line.partition('=')
        if k in ('ob', 'cob'):
            o = name('ob', v); ob = o if k == 'ob' else ob
        elif k in ('fn', 'cfn'):
            f = name('fn', v); fn = f if k == 'fn' else fn
        elif k == 'calls': after_calls = True
    return {f: c for f, c in cost.items() if c > 0}


def demangler(path):
    """{mangled: demangled} for the symbols of the binary PATH, as `nm -C` prints them."""
    raw = subprocess.run(['nm', '-p', '--defined-only', path], capture_output=True, text=True).stdout.splitlines()
    dem = subprocess.run(['nm', '-p', '-C', '--defined-only', path], capture_output=True, text=True).stdout.splitlines()
    assert len(raw) == len(dem)
    return {r.split(' ', 2)[2]: d.split(' ', 2)[2] for r, d in zip(raw, dem) if len(r.split(' ', 2)) == 3}


if __name__ == '__main__':
    (m_idle, m_act), (j_idle, j_act), clients = profile()
    objs = {binp, f'{out}/bin/systemd-journald', f'{out}/bin/vigild'}
    dm = demangler(binp)
    def costs(*files):
        c = collections.Counter()
        for f in files:
            for k, v in self_costs(f, objs).items():
                if k in dm: c[dm[k]] += v
        return c
    mi, ma, ji, ja = costs(m_idle), costs(m_act), costs(j_idle), costs(j_act)
    kit, cl = costs(*clients[:3]), costs(*clients)
    titles = [
        "the journal's active steady state only",
        "the journal's active steady state, also run by the manager or a client",
        "the journal's idle steady state only",
        "idle in both the journal and the manager",
        "the manager's idle steady state only",
        "the client process of the kit's commands (is-active, show, status -n0), what is not above",
        "the manager's active steady state, what is not above",
        "the other control commands, in the client process",
    ]
    def group(f):
        # Each function in the first group it belongs to, in the order of the layout's priority:
        # what the idle processes run, then the journal's active set (next to its idle set),
        # then the kit's client, the manager's active set and the other commands.
        if f in ji or f in mi: return 3 if f in ji and f in mi else 2 if f in ji else 4
        if f in ja: return 1 if f in ma or f in cl else 0
        return 5 if f in kit else 6 if f in ma else 7
    every = mi + ma + ji + ja + cl
    groups = [(t, [f for f in every if group(f) == i]) for i, t in enumerate(titles)]
    lines = ['# The order of the code in release builds: scripts/link-hot puts these functions first in',
             '# .text, in this order. Written by bench/hot_code.py from a callgrind profile of the steady',
             '# state (`BENCH_DIR=... bench/hot_code.py target/release/vigil`; again after large changes: a',
             '# name that no longer exists is skipped). Names as `nm -C` prints them (no hash).']
    for title, names in groups:
        lines.append(f'## {title}')
        lines += sorted(names, key=lambda f: (-every[f], f))
    open(PROFILE, 'w').write('\n'.join(lines) + '\n')
    print(f'{PROFILE}: {len(every)} functions; callgrind files in {out}')
