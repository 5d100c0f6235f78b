#!/usr/bin/python3
"""start_cpu.py OUT N BIN : where the whole machine's CPU goes during one boot of N services
(manager start -> the N-th psvc report, as bench.py measures start-all), by process and, with
--perf, by kernel/user and by system call.

Two recordings of one boot each (the kit's `vigil` peer, root under $BENCH_DIR/run):

  sched (default)  `perf record -a` of sched_switch, sched_process_exec and sched_process_fork
                   (tracepoints, no sampling: the boot runs at nearly its own speed). Exact
                   on-CPU time of each class — the manager, the journal, each service before
                   its exec (clone to the exec event, most of execve(2) included), the services
                   after exec, everything else, idle — in total and per 50 ms slice; how often
                   the manager was preempted or slept, and each sleep of the manager over 1 ms
                   with the kernel stack it slept in (add -g: `--stacks`).
  --perf           `perf record -a -g` of cpu-clock at 4999 Hz: the same classes split into
                   kernel and user time, kernel time by system call (the outermost
                   `__x64_sys_*`), and the leaf functions of each class. Perturbs the boot
                   (about +20 % wall): read its shares, not its absolute times.

The manager, the journal and the services are told apart by pid (the manager is the process
started, the journal its child that is no service); a service's time before its exec is
split from its time after by the exec event's timestamp.
"""
import os, sys, re, json, time, shutil, signal, subprocess, collections, argparse
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

FREQ = 4999
CLASSES = ['mgr', 'pre', 'svc', 'jrn', 'oth', 'idle']


def record(out, n, binp, perf_args):
    os.makedirs(out, exist_ok=True); os.makedirs(bench.RUN, exist_ok=True)
    ready = bench.Ready()
    p = type('Probe', (bench.Vigil,), {'bin': binp, 'name': 'start_cpu'})(n)
    if os.path.exists(p.dir): shutil.rmtree(p.dir)
    p.setup()
    perf = subprocess.Popen(['perf', 'record', '-a', '-k', 'CLOCK_MONOTONIC', '-o', f'{out}/perf.data'] + perf_args,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    with ready.cond: ready.latest.clear()
    t0 = time.monotonic(); p.start()
    tl = ready.wait_n(n, 120)
    time.sleep(0.2)
    perf.send_signal(signal.SIGINT); perf.wait()
    mgr = p.proc.pid
    svc = [v[0] for v in ready.latest.values()]
    kids = [int(x) for x in open(f'/proc/{mgr}/task/{mgr}/children').read().split()]
    meta = {'t0': t0, 'tlast': tl, 'mgr': mgr, 'journal': [k for k in kids if k not in set(svc)], 'svc_pids': svc,
            'start_s': tl - t0, 'bin': binp, 'n': n, 'loadavg': bench.loadavg()}
    json.dump(meta, open(f'{out}/meta.json', 'w'))
    p.stop(); p.finish()
    try: p.proc.wait(15)
    except subprocess.TimeoutExpired: bench.kill_tree_of(p.root()); p.proc.wait(5)
    bench.reap()
    return meta


def classify(m, exect, pid, t):
    if pid == 0: return 'idle'
    if pid == m['mgr']: return 'mgr'
    if pid in m['journal']: return 'jrn'
    if pid in exect: return 'pre' if t < exect[pid] else 'svc'
    return 'oth'


def sched_report(out, stacks):
    m = json.load(open(f'{out}/meta.json')); t0, t1, M = m['t0'], m['tlast'], m['mgr']
    fields = 'comm,pid,cpu,time,event,trace' + (',ip,sym' if stacks else '')
    txt = subprocess.run(['perf', 'script', '-i', f'{out}/perf.data', '-F', fields], capture_output=True, text=True).stdout
    exect, forks, sw = {}, [], []
    for blk in re.split(r'\n\s*\n', txt) if stacks else txt.splitlines():
        lines = blk.strip('\n').splitlines() if stacks else [blk]
        if not lines: continue
        h = re.match(r'\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$', lines[0])
        if not h: continue
        pid, cpu, t, ev, tr = int(h.group(2)), int(h.group(3)), float(h.group(4)), h.group(5), h.group(6)
        if ev.endswith('sched_process_exec') and 'psvc' in tr: exect[pid] = t
        elif ev.endswith('sched_process_fork') and pid == M: forks.append(t)
        elif ev.endswith('sched_switch'):
            a = re.search(r'prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=.*? next_pid=(\d+)', tr)
            st = ' '.join(x.split()[1] for x in lines[3:9] if len(x.split()) > 1) if stacks else ''
            sw.append((t, cpu, int(a.group(1)), a.group(2), int(a.group(3)), st))
    sw.sort()
    tot, sl, W = collections.Counter(), collections.defaultdict(collections.Counter), 0.05

    def add_c(c, a, b):
        tot[c] += b - a
        k = int((a - t0) / W)
        while a < b:
            e = min(b, t0 + (k + 1) * W); sl[k][c] += e - a; a = e; k += 1

    def add(pid, a, b):
        a, b = max(a, t0), min(b, t1)
        if b <= a: return
        c = classify(m, exect, pid, a)
        if c == 'pre' and b > exect[pid]:
            add_c('pre', a, exect[pid]); add_c('svc', exect[pid], b)
        else:
            add_c(c, a, b)
    cur = {}
    off, offn, offt, sleeps = None, collections.Counter(), collections.Counter(), []
    for t, cpu, prev, ps, nxt, st in sw:
        if cpu in cur: add(cur[cpu][0], cur[cpu][1], t)
        cur[cpu] = (nxt, t)
        if prev == M and t0 <= t <= t1:
            off = (t, 'preempted' if ps.startswith('R') else 'slept ' + ps, st)
        elif nxt == M and off:
            offn[off[1]] += 1; offt[off[1]] += t - off[0]
            if not off[1].startswith('pre') and t - off[0] > 0.001: sleeps.append((off[0] - t0, t - off[0], off[2]))
            off = None
    for cpu, (pid, a) in cur.items(): add(pid, a, t1)
    ex = sorted(exect.values())
    print(f"{m['bin']}: start {t1 - t0:.4f} s (loadavg {m.get('loadavg')}); manager forks {len(forks)}, first +{forks[0] - t0:.4f} "
          f"last +{forks[-1] - t0:.4f}; service execs first +{ex[0] - t0:.4f} last +{ex[-1] - t0:.4f}")
    print('on-CPU ms: ' + ', '.join(f'{c} {tot[c] * 1000:.1f}' for c in CLASSES) + f'  (2 CPUs x window = {2000 * (t1 - t0):.0f})')
    print('manager off CPU: ' + ', '.join(f'{k} {offn[k]}x {offt[k] * 1000:.1f} ms' for k in offn))
    for at, d, st in sleeps: print(f'  manager slept at +{at:.4f} for {d * 1000:.1f} ms {st}')
    print('slice(ms) ' + ' '.join(f'{c:>6}' for c in CLASSES) + '   (ms on CPU per 50 ms, 2 CPUs)')
    for k in sorted(sl): print(f'{k * 50:8d}  ' + ' '.join(f'{sl[k][c] * 1000:6.1f}' for c in CLASSES))


def perf_report(out):
    m = json.load(open(f'{out}/meta.json')); t0, t1 = m['t0'], m['tlast']
    txt = subprocess.run(['perf', 'script', '--show-task-events', '-i', f'{out}/perf.data', '-F', 'comm,pid,tid,time,ip,sym,dso'],
                         capture_output=True, text=True).stdout
    exect = {int(a): float(b) for a, b in re.findall(r'(\d+)/\d+\s+([\d.]+): PERF_RECORD_COMM exec: psvc', txt)}
    hdr = re.compile(r'^\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s*$')
    samples, cur = [], None
    for line in txt.splitlines():
        h = hdr.match(line)
        if h and not line.startswith('\t'):
            if cur: samples.append(cur)
            cur = [int(h.group(2)), float(h.group(4)), []]
        elif cur is not None and line.strip() and 'PERF_RECORD' not in line:
            parts = line.strip().split(None, 1)
            if len(parts) == 2: cur[2].append(parts[1])
    if cur: samples.append(cur)
    per = 1000 / FREQ
    cls, sysc, leaf = collections.Counter(), collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
    for pid, t, st in samples:
        if not (t0 <= t <= t1) or not st: continue
        kern = '[kernel.kallsyms]' in st[0]
        c = classify(m, exect, pid, t)
        if c == 'pre' and any('sys_execve' in f for f in st): c = 'pre:execve'
        cls[(c, 'K' if kern else 'U')] += 1
        name = lambda f: re.sub(r'\+0x\w+$', '', f.split(' (')[0])
        if kern:
            sc = [name(f) for f in st if '__x64_sys_' in f or '__do_sys_' in f]
            s = sc[-1] if sc else 'page fault' if any('exc_page_fault' in f for f in st) else \
                'ret_from_fork' if any('ret_from_fork' in f for f in st) else 'other kernel'
            sysc[c][s] += 1
        leaf[c][name(st[0])] += 1
    print(f"{m['bin']}: start {t1 - t0:.4f} s under perf; cpu-clock samples, 1 sample = {per:.3f} ms")
    for (c, k), v in sorted(cls.items(), key=lambda x: -x[1]): print(f'  {c:12s} {k} {v * per:8.1f} ms')
    for c in sorted(sysc, key=lambda c: -sum(sysc[c].values())):
        print(f'== {c}: kernel time by system call')
        for s, v in sysc[c].most_common(12): print(f'   {s:40s} {v * per:7.1f} ms')
    for c in ['mgr', 'pre', 'svc', 'jrn']:
        print(f'== {c}: leaf functions')
        for s, v in leaf[c].most_common(12): print(f'   {s:60s} {v * per:7.1f} ms')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out'); ap.add_argument('n', type=int); ap.add_argument('bin')
    ap.add_argument('--perf', action='store_true', help='cpu-clock sampling with call chains instead of the scheduler trace')
    ap.add_argument('--stacks', action='store_true', help='kernel stacks of the manager\'s sleeps (sched trace with -g)')
    ap.add_argument('--report-only', action='store_true')
    a = ap.parse_args()
    if a.perf:
        if not a.report_only: record(a.out, a.n, a.bin, ['-g', '-e', 'cpu-clock', '-F', str(FREQ)])
        perf_report(a.out)
    else:
        if not a.report_only:
            record(a.out, a.n, a.bin, (['-g'] if a.stacks else []) + ['-e', 'sched:sched_switch,sched:sched_process_exec,sched:sched_process_fork'])
        sched_report(a.out, a.stacks)


if __name__ == '__main__':
    main()
