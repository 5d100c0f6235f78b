#!/usr/bin/python3
"""Render a bench.py results file (JSON lines) as markdown tables.

Usage: render.py RESULTS.jsonl [MORE.jsonl ...]   (several runs: medians over all their reps)

Per N: medians over the reps of each peer; the floor; ratios
vigil / best peer and vigil / floor; the issue's targets at N=1000.

Floors (from spawnfloor N and hyperfine, same run):
  start   N x fork+exec of /bin/true from one thread (`true_seq`), what a
          one-threaded manager that forks every service itself cannot beat;
          the issue's target is against the two-core floor (`true_par2`, two
          threads spawning at once), printed below the table
  restart SIGKILL of a psvc -> its replacement's report, timed as the
          peers are, under bench/supfloor `plain`: a supervisor that only
          reaps and vforks again (the kernel's exit of the old process, one
          wake-up, one spawn). Results older than that tool: one isolated
          fork+exec+wait of /bin/true after 100 ms idle (bench/cgspawn `plain`)
  stop    N x kill+reap of a sleeping child (`sleep_kill+reap`), or the stop
          of all under bench/supfloor `plain` (timed as the peers: SIGTERM
          to it -> every pid gone, polled every 2 ms), whichever is less
  status  one exec of /bin/true (any control command is at least an exec)
"""
import json, sys, statistics as st, collections

# The issue's targets (issue 8), at N=1000.
TARGETS = {'start_s': 0.45, 'pss_mib': 4.0, 'restart_ms': 1.5, 'stop_s': 0.06, 'status_ms': 1.0}
PEER_ORDER = ['runit', 's6', 'daemontools', 'supervisord', 'systemd', 'systemd0', 'vigil', 'vigil100', 'vigil_b']
VIGILS = {'vigil', 'vigil100', 'vigil_b'}
LABEL = {'systemd': 'systemd 252 (RestartSec=100ms)', 'systemd0': 'systemd 252 (RestartSec=0)',
         'vigil': '**vigil** (RestartSec=0)', 'vigil100': '**vigil** (RestartSec=100ms)',
         'vigil_b': '**vigil B** ($VIGIL_B, RestartSec=0)'}


def med(v):
    v = [x for x in v if isinstance(x, (int, float))]
    return st.median(v) if v else None

def f(x, fmt):
    return '—' if x is None else format(x, fmt)

def short(cmd):
    """A control command as a reader would type it: the vigil binary as `vigil`, the run directory as $RUN."""
    parts = cmd.split()
    if parts and (parts[0].endswith('/target/release/vigil') or parts[0].startswith('/tmp/vigil-bench/vigil-')): parts[0] = 'vigil'
    parts = [x for x in parts if not x.startswith('--manager-pid=')]
    return ' '.join(parts).replace('/tmp/vigil-bench/run', '$RUN')

def merge_floors(fls):
    """Median of each floor figure over the floor measurements of one N (one per rep)."""
    if not fls: return None
    m = {'reps': len(fls), 'loads': ' '.join(f"{x['loadavg_before'][0]}→{x.get('loadavg_after', ['?'])[0]}" for x in fls)}
    for k in ('fork+exec', 'vfork+exec', 'posix_spawn', 'isolated_spawn_ms'):
        keys = {kk for x in fls for kk in x.get(k, {})}
        if keys: m[k] = {kk: med([x.get(k, {}).get(kk) for x in fls]) for kk in keys}
    sup = {mode for x in fls for mode in x.get('supervisor_floor', {})}
    if sup:
        m['supervisor_floor'] = {mode: {fig: med([x.get('supervisor_floor', {}).get(mode, {}).get(fig) for x in fls])
                                        for fig in ('restart_ms', 'stop_s')} for mode in sup}
    m['true_exec_ms'] = med([x.get('true_exec_ms') for x in fls])
    return m

def ratio(a, b):
    return None if a is None or not b else a / b

def lines(paths):
    for p in paths:
        yield from open(p)

def main(paths):
    metas, rows, floors, errors, accept = [], collections.defaultdict(list), {}, collections.defaultdict(set), []
    for l in lines(paths):
        if not l.startswith('{'): continue
        r = json.loads(l)
        if r.get('meta'): metas.append(r); continue
        if r.get('kind') == 'accept': accept.append(r); continue
        if r['peer'] == 'floor': floors.setdefault(r['n'], []).append(r); continue
        for k in ('error', 'stop_error', 'note'):
            if r.get(k): errors[(r['peer'], r['n'])].add(r[k])
        if r.get('n') is None: continue
        rows[(r['peer'], r['n'])].append(r)
    out = []
    for meta in metas:
        out.append(f"Run {meta['date']}: {meta['nproc']} CPUs ({meta['cpu']}), kernel {meta['kernel']}, "
                   f"{meta['mem_total_kB'] // 1024} MiB RAM, loadavg at start {' '.join(meta['loadavg'])}, "
                   f"vigil {meta['vigil_rev']}, {meta['reps']} reps interleaved."
                   + (f" vigil B = {meta['vigil_b']}." if meta.get('vigil_b') else ''))
        out.append('')
        if meta.get('missing_peers'):
            out.append('Peers not installed here: ' + ', '.join(meta['missing_peers']))
            out.append('')
    ns = sorted({n for _, n in rows})
    for n in ns:
        summ = {}
        out.append(f'### N = {n}')
        out.append('')
        out.append('| peer | reps | start all (s) | mgr PSS (MiB) | mgr procs | restart (ms) | stop all (s) | mgr exit (s) | status (ms) | loadavg before→after (1 min) |')
        out.append('|---|---|---|---|---|---|---|---|---|---|')
        for p in PEER_ORDER:
            rs = rows.get((p, n))
            if not rs: continue
            ok = [r for r in rs if not r.get('error')]
            status = med([r.get('ctl_ms', {}).get(r.get('status_cmd')) for r in ok])
            pss = med([r.get('mgr_total_pss_kB') for r in ok])
            s = {'start_s': med([r.get('start_s') for r in ok]), 'pss_mib': None if pss is None else pss / 1024,
                 'restart_ms': med([r.get('restart_ms_median') for r in ok]), 'stop_s': med([r.get('stop_s') for r in ok]),
                 'status_ms': status}
            summ[p] = s
            loads = ' '.join(f"{r['loadavg_before'][0]}→{r.get('loadavg_after', ['?'])[0]}" for r in rs if r.get('loadavg_before'))
            out.append(f"| {LABEL.get(p, p)} | {len(ok)}/{len(rs)} | {f(s['start_s'], '.3f')} | {f(s['pss_mib'], '.1f')} | "
                       f"{f(med([r.get('mgr_procs') for r in ok]), '.0f')} | {f(s['restart_ms'], '.1f')} | {f(s['stop_s'], '.3f')} | "
                       f"{f(med([r.get('mgr_exit_s') for r in ok]), '.3f')} | {f(status, '.2f')} | {loads} |")
        fl = merge_floors(floors.get(n, []))
        fs = None
        if fl and 'fork+exec' in fl:
            fe = fl['fork+exec']
            iso = fl.get('isolated_spawn_ms', {})
            sup = fl.get('supervisor_floor', {}).get('plain', {})
            fs = {'start_s': n * fe['true_seq'] / 1e6, 'pss_mib': None,
                  'restart_ms': sup.get('restart_ms') or iso.get('plain', fe['true_seq'] / 1e3),
                  'stop_s': min(x for x in (n * fe['sleep_kill+reap'] / 1e6, sup.get('stop_s')) if x is not None), 'status_ms': fl.get('true_exec_ms') if isinstance(fl.get('true_exec_ms'), float) else None}
            out.append(f"| floor (spawnfloor {n}; exec of /bin/true) | {fl['reps']} | {f(fs['start_s'], '.3f')} | — | — | {f(fs['restart_ms'], '.2f')} | "
                       f"{f(fs['stop_s'], '.3f')} | — | {f(fs['status_ms'], '.2f')} | {fl['loads']} |")
        out.append('')
        detail = []
        for p in PEER_ORDER:
            per = collections.defaultdict(list)
            for r in rows.get((p, n), []):
                for d in r.get('mgr_detail') or []:
                    per[' '.join(short(d['cmd']).split()[:2])].append(d['pss_kB'])
            if per and p in VIGILS | {'systemd', 'systemd0', 'supervisord'}:
                detail.append(f"{p}: " + ', '.join(f"`{c}` {med(v) / 1024:.1f}" for c, v in per.items()))
        if detail:
            out.append('Manager processes, median PSS (MiB): ' + '; '.join(detail) + '.')
            out.append('')
        # The issue's start target is stated against the *two-core* floor:
        # spawns from two threads at once (spawnfloor's `true_par2`), the
        # cheapest of its three ways to spawn.
        par2 = [fl[m]['true_par2'] for m in ('fork+exec', 'vfork+exec', 'posix_spawn') if fl and 'true_par2' in fl.get(m, {})]
        if par2:
            two = n * min(par2) / 1e6
            vs = summ.get('vigil', {}).get('start_s')
            out.append(f"Two-core spawn floor (spawnfloor `true_par2`, cheapest way): {two:.3f} s for {n}"
                       + (f"; vigil start / it = {vs / two:.2f} (target at N=1000: ≤ 1.5)." if vs else '.'))
            out.append('')
        if fl and fl.get('isolated_spawn_ms'):
            iso = fl['isolated_spawn_ms']
            out.append('One isolated spawn (bench/cgspawn, median ms): ' + ', '.join(
                f"{k} {iso[k]:.2f}" for k in ('plain', 'procs', 'into') if iso.get(k) is not None) + ' — plain fork; fork + write into a fresh cgroup\'s cgroup.procs; clone3(CLONE_INTO_CGROUP).')
            out.append('')
        if fl and fl.get('supervisor_floor'):
            sup = fl['supervisor_floor']
            out.append('A supervisor that only reaps and respawns (bench/supfloor, timed as the peers; median): ' + '; '.join(
                f"{k}: restart {f(sup[k]['restart_ms'], '.2f')} ms, stop all {f(sup[k]['stop_s'], '.3f')} s" for k in ('plain', 'into') if k in sup)
                + ' — `plain` vfork + exec; `into` clone3 into the service\'s kept cgroup.')
            out.append('')
        peers = [p for p in summ if p not in VIGILS]
        keys = ['start_s', 'pss_mib', 'restart_ms', 'stop_s', 'status_ms']
        best = {}
        for k in keys:
            c = [(summ[p][k], p) for p in peers if summ[p][k] is not None]
            best[k] = min(c) if c else (None, None)
        if 'vigil' in summ:
            v = summ['vigil']
            out.append('| ratio | start all | mgr PSS | restart | stop all | status |')
            out.append('|---|---|---|---|---|---|')
            out.append('| best peer | ' + ' | '.join(f"{f(best[k][0], '.3f')} ({best[k][1] or '—'})" for k in keys) + ' |')
            out.append('| vigil / best peer | ' + ' | '.join(f(ratio(v[k], best[k][0]), '.2f') for k in keys) + ' |')
            if fs:
                out.append('| vigil / floor | ' + ' | '.join(f(ratio(v[k], fs[k]), '.2f') for k in keys) + ' |')
            if 'vigil_b' in summ:
                out.append('| vigil B / vigil | ' + ' | '.join(f(ratio(summ['vigil_b'][k], v[k]), '.2f') for k in keys) + ' |')
                if fs:
                    out.append('| vigil B / floor | ' + ' | '.join(f(ratio(summ['vigil_b'][k], fs[k]), '.2f') for k in keys) + ' |')
            if 'vigil100' in summ and 'systemd' in summ:
                out.append(f"| vigil / systemd, restart with the default RestartSec=100ms | | | "
                           f"{f(ratio(summ['vigil100']['restart_ms'], summ['systemd']['restart_ms']), '.2f')} | | |")
            if n == 1000:
                out.append('| issue target (N=1000) | ' + ' | '.join(
                    f"≤ {TARGETS[k]}: {'met' if v[k] is not None and v[k] <= TARGETS[k] else '**missed**'}" for k in keys) + ' |')
            out.append('')
        out.append(f'Control commands, N = {n} (hyperfine -N, median ms; median over reps):')
        out.append('')
        out.append('| peer | command | ms |')
        out.append('|---|---|---|')
        for p in PEER_ORDER:
            rs = [r for r in rows.get((p, n), []) if not r.get('error')]
            cmds = []
            for r in rs:
                for c in r.get('ctl_ms', {}):
                    if c not in cmds: cmds.append(c)
            for c in cmds:
                out.append(f"| {p} | `{short(c)}` | {f(med([r['ctl_ms'].get(c) for r in rs]), '.2f')} |")
        out.append('')
    if accept:
        out.append(f"### Accept=yes: one process per connection (bench/inetd.py, {accept[0]['conns']} loopback connections, /bin/echo hello, median conn/s)")
        out.append('')
        out.append('| peer | 1 client | 2 clients | failed connections | loadavg before→after |')
        out.append('|---|---|---|---|---|')
        label = {'floor': 'floor (forkserver: accept, fork, exec)', 'systemd': 'systemd 252', 'vigil': '**vigil**'}
        for r in accept:
            out.append(f"| {label.get(r['peer'], r['peer'])} | {f(r.get('rate_par1'), '.0f')} | {f(r.get('rate_par2'), '.0f')} | "
                       f"{r.get('fails_par1', '—')}/{r.get('fails_par2', '—')} | {r['loadavg_before'][0]}→{r.get('loadavg_after', ['?'])[0]} |"
                       + (f" {r['error']}" if r.get('error') else ''))
        out.append('')
    if errors:
        out.append('Errors and notes:')
        out.append('')
        for (p, n), es in sorted(errors.items(), key=lambda x: (str(x[0][1]), x[0][0])):
            out.append(f"- {p} N={n}: {'; '.join(sorted(es))}")
        out.append('')
    print('\n'.join(out))


if __name__ == '__main__':
    main(sys.argv[1:])
