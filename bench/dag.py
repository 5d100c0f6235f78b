#!/usr/bin/python3
"""Issue 8, figure 8: a 1000-unit dependency graph booted in parallel.

Usage: dag.py OUT.jsonl [--n 1000] [--reps 3] [--peers vigil,systemd] [--seed 8]
       dag.py --render OUT.jsonl

The graph is a random DAG (seeded, so every peer and every run boots the
same one): unit i Requires= and is After= 0..3 units chosen among the
units before it. Each unit is `Type=exec` running the kit's `psvc`, which
reports "PID NAME" on a datagram socket right after exec: `Type=exec`
makes a unit "started" only once its exec succeeded, so an After= edge
costs one fork+exec on the path, and the graph's critical path (its
longest chain of After= edges, in units) bounds the boot from below at
critical path x one spawn, however many cores there are.

Figures per run: `boot_s` (manager start -> the N-th report), the critical
path length it implies (`boot_s / critical_path` = time per level), and
`order_violations`: After= edges where the dependent left `inactive`
(its start job ran) before the unit it is ordered after entered `active`,
by each manager's own `InactiveExitTimestampMonotonic` and
`ActiveEnterTimestampMonotonic` (`systemctl show`). Report times cannot
prove this: a unit's psvc may run its first instruction after the
manager, told that its exec succeeded, has already started a dependent
(`report_inversions` counts those, for information).

Peers are bench.py's, with their unit files replaced by the graph:
`vigil` (`vigil daemon --root=DIR --boot`, units WantedBy=multi-user.target)
and `systemd` (systemd 252 as PID 1 of a private namespace, units in
bench.target). Repetitions are interleaved. Not a test: nothing asserts a
time.
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the peers, the ready socket, process helpers)


def graph(n, seed):
    """deps[i]: the units unit i Requires= and is After= (all < i)."""
    rnd = random.Random(seed)
    deps = []
    for i in range(n):
        k = min(i, rnd.choice([0, 1, 1, 2, 2, 3]))
        deps.append(sorted(rnd.sample(range(i), k)))
    return deps


def critical_path(deps):
    """Longest chain of After= edges, counted in units."""
    depth = []
    for ds in deps:
        depth.append(1 + max((depth[d] for d in ds), default=0))
    return max(depth)


def unit_text(i, ds, extra):
    names = ' '.join(f's{d}.service' for d in ds)
    head = f'[Unit]\n{extra["unit"]}'
    if ds:
        head += f'Requires={names}\nAfter={names}\n'
    return f'{head}[Service]\nType=exec\nExecStart={bench.PSVC} s{i}\n{extra["service"]}'


class VigilDag(bench.Vigil):
    name = 'vigil'
    def setup(self):
        self.rootdir = self.dir + '/root'
        u = self.rootdir + '/etc/systemd/system'
        os.makedirs(u + '/multi-user.target.wants')
        for i, ds in enumerate(self.deps):
            open(f'{u}/s{i}.service', 'w').write(
                unit_text(i, ds, {'unit': '', 'service': '[Install]\nWantedBy=multi-user.target\n'}))
            os.symlink(f'../s{i}.service', f'{u}/multi-user.target.wants/s{i}.service')


class SystemdDag(bench.Systemd):
    name = 'systemd'
    def setup(self):
        super().setup()  # the namespace scripts; its own units are replaced below
        u = self.dir + '/units'
        for f in os.listdir(u + '/bench.target.wants'):
            os.unlink(f'{u}/bench.target.wants/{f}')
        for i, ds in enumerate(self.deps):
            open(f'{u}/s{i}.service', 'w').write(
                unit_text(i, ds, {'unit': 'DefaultDependencies=no\n', 'service': 'Slice=bench.slice\nStandardOutput=null\n'}))
            os.symlink(f'../s{i}.service', f'{u}/bench.target.wants/s{i}.service')


PEERS = {'vigil': VigilDag, 'systemd': SystemdDag}


def parse_stamps(text):
    """`systemctl show -p Id,InactiveExitTimestampMonotonic,ActiveEnterTimestampMonotonic U…`
    -> {id: (inactive_exit, active_enter)}"""
    out, cur = {}, {}
    for line in (text + '\n').split('\n'):
        if not line.strip():
            if 'Id' in cur:
                out[cur['Id']] = (int(cur.get('InactiveExitTimestampMonotonic', 0)),
                                  int(cur.get('ActiveEnterTimestampMonotonic', 0)))
            cur = {}
            continue
        k, _, v = line.partition('=')
        cur[k] = v
    return out


def show_stamps(cmd, n):
    props = 'Id,InactiveExitTimestampMonotonic,ActiveEnterTimestampMonotonic'
    r = subprocess.run(cmd + ['show', '-p', props] + [f's{i}.service' for i in range(n)],
                       capture_output=True, text=True)
    st = parse_stamps(r.stdout)
    return st if len(st) == n else None


VigilDag.stamps = lambda self, n: show_stamps([self.bin, f'--root={self.rootdir}'], n)
SystemdDag.stamps = lambda self, n: show_stamps(self.prefix + ['systemctl'], n)


def once(peer_name, deps, ready):
    n = len(deps)
    d = f'{bench.RUN}/{peer_name}'
    if os.path.exists(d):
        shutil.rmtree(d)
    p = PEERS[peer_name](n)
    p.deps = deps
    p.setup()
    with ready.cond:
        ready.latest.clear()
    res = {'peer': peer_name, 'n': n, 'loadavg_before': bench.loadavg(), 'time': time.strftime('%H:%M:%S')}
    t0 = time.monotonic()
    p.start()
    tl = ready.wait_n(n, 180)
    if tl is None:
        res['error'] = f'only {len(ready.latest)} of {n} units came up in 180s'
    else:
        res['boot_s'] = round(tl - t0, 4)
        with ready.cond:
            at = {name: t for name, (_, t) in ready.latest.items()}
        res['report_inversions'] = sum(1 for i, ds in enumerate(deps) for x in ds if at[f's{i}'] < at[f's{x}'])
        st = p.stamps(n)
        if st is None:
            res['order_error'] = 'could not read the timestamps'
        else:
            res['order_violations'] = sum(1 for i, ds in enumerate(deps) for x in ds
                                          if st[f's{i}.service'][0] < st[f's{x}.service'][1])
    root = p.root()
    pids = [pid for pid, _ in bench.tree(root) if pid != root]
    t1 = time.monotonic()
    p.stop()
    while any(bench.alive(x) for x in pids):
        bench.reap()
        time.sleep(0.002)
        if time.monotonic() - t1 > 60:
            res['stop_error'] = 'timeout'
            break
    res['stop_s'] = round(time.monotonic() - t1, 4)
    p.finish()
    try:
        p.proc.wait(15)
    except subprocess.TimeoutExpired:
        res['note'] = 'manager did not exit after stop; killed'
        bench.kill_tree_of(p.root())
        p.proc.wait(5)
    bench.reap()
    res['loadavg_after'] = bench.loadavg()
    return res


def render(path):
    rows = [json.loads(l) for l in open(path)]
    meta = next((r for r in rows if r.get('meta')), {})
    runs = [r for r in rows if not r.get('meta')]
    print(f"1000-unit DAG boot: {meta.get('n')} units, seed {meta.get('seed')}, "
          f"critical path {meta.get('critical_path')} units, {meta.get('edges')} edges; medians of {meta.get('reps')}\n")
    print('| peer | boot (s) | per critical-path level (ms) | stop (s) | After= violations | load before |')
    print('|---|---|---|---|---|---|')
    cp = meta.get('critical_path') or 1
    for peer in dict.fromkeys(r['peer'] for r in runs):
        ok = [r for r in runs if r['peer'] == peer and 'boot_s' in r]
        if not ok:
            print(f'| {peer} | error: {[r.get("error") for r in runs if r["peer"] == peer]} | | | | |')
            continue
        b = statistics.median(r['boot_s'] for r in ok)
        s = statistics.median(r['stop_s'] for r in ok)
        v = max(r.get('order_violations', 'n/a') for r in ok)
        load = '/'.join(r['loadavg_before'][0] for r in ok)
        print(f'| {peer} | {b:.3f} | {b / cp * 1e3:.2f} | {s:.3f} | {v} | {load} |')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--peers', default='vigil,systemd')
    ap.add_argument('--seed', type=int, default=8)
    ap.add_argument('--render', action='store_true')
    a = ap.parse_args()
    if a.render:
        return render(a.out)
    deps = graph(a.n, a.seed)
    meta = {'meta': True, 'n': a.n, 'seed': a.seed, 'reps': a.reps, 'critical_path': critical_path(deps),
            'edges': sum(len(d) for d in deps), 'vigil': bench.VIGIL, 'cpus': os.cpu_count()}
    ready = bench.Ready()
    os.makedirs(bench.RUN, exist_ok=True)
    with open(a.out, 'a') as f:
        f.write(json.dumps(meta) + '\n')
        for rep in range(a.reps):
            for peer in a.peers.split(','):
                try:
                    r = once(peer, deps, ready)
                except Exception as e:  # one broken peer must not end the run
                    for pid, _ in bench.tree(os.getpid()):
                        if pid != os.getpid():
                            try:
                                os.kill(pid, 9)
                            except OSError:
                                pass
                    bench.reap()
                    r = {'peer': peer, 'error': f'{type(e).__name__}: {e}', 'loadavg_before': bench.loadavg()}
                r['rep'] = rep
                print(json.dumps(r), file=sys.stderr)
                f.write(json.dumps(r) + '\n')
                f.flush()
    render(a.out)


if __name__ == '__main__':
    main()
