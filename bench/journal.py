#!/usr/bin/python3
"""The journal's figures (issue 5, issue 8 item 7), vigil beside the real
systemd-journald 252 on this machine.

Usage: journal.py OUT.jsonl [--parts ingest,query] [--peers vigil,journald]
                  [--services 50] [--lines 200000] [--entries 10000000]
                  [--units 1000] [--reps 1] [--runs 10]
       journal.py --render OUT.jsonl      # the tables

Generated data lives under $JBENCH_DATA (default /var/tmp/vigil-jbench),
never in the repository; each part removes what it made before it runs
again (the generated 10M-entry set is kept and reused: delete the
directory to regenerate).

ingest   SERVICES services each write LINES distinct lines to stdout as
         fast as they can (bench/journal_flood.c), through the manager's
         stdout stream into its journal, rate limiting off
         (`RateLimitBurst=0` in journald.conf, for both). Clock: the start
         request -> the journal files' headers count every line (the sum
         of `n_entries` over the files, polled every 20 ms; both journals
         update it with each entry). Then the manager is stopped and every
         unit's lines are counted from the files with the real journalctl:
         stored + counted-suppressed ("Suppressed N messages", N_DROPPED=)
         must equal written — `lost` in the record, 0 when nothing was.
           vigil:    `vigil daemon --root=R`, units under R, journal in
                     R/var/log/journal;
           journald: the real systemd 252 as PID 1 of a private
                     pid+mount+cgroup namespace (as the peer kit runs it)
                     with its own systemd-journald, Storage=persistent on a
                     directory bind-mounted at /var/log/journal.
query    `journalctl -u X -n 100` over large journals, hyperfine medians:
         our reader (`vigil logs`) and the real journalctl on the same
         files. Data sets: `gen` — ENTRIES entries over UNITS units written
         by crates/journal/examples/journal_gen.rs (plus `rare.service`,
         100 entries spread over the whole range); and, when the ingest
         part has left them, the ingest journals of vigil and of the real
         journald (the same lines, in each one's own files).

Every record carries /proc/loadavg before and after. Nothing here
asserts a time.
"""
import argparse, glob, json, os, shutil, signal, struct, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA = os.environ.get('JBENCH_DATA', '/var/tmp/vigil-jbench')
VIGIL = os.environ.get('VIGIL', os.path.join(REPO, 'target/release/vigil'))
GEN = os.environ.get('JOURNAL_GEN', os.path.join(REPO, 'target/release/examples/journal_gen'))
FLOOD = os.path.join(DATA, 'journal_flood')
JCONF = '[Journal]\nStorage=persistent\nRateLimitBurst=0\nSystemMaxUse=40G\nSystemKeepFree=2G\n'
CG = '/sys/fs/cgroup/unified/benchjd'


def loadavg():
    return float(open('/proc/loadavg').read().split()[0])


def n_entries(d):
    """Sum of the headers' n_entries over every journal file under d."""
    total = 0
    for f in glob.glob(d + '/*.journal') + glob.glob(d + '/*/*.journal'):
        try:
            with open(f, 'rb') as fh:
                fh.seek(152)
                b = fh.read(8)
                if len(b) == 8:
                    total += struct.unpack('<Q', b)[0]
        except OSError:
            pass
    return total


def wait_for(cond, timeout, pause=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(pause)
    return cond()


def count_stored(jdir, services):
    """(lines stored per flood unit, suppressed lines) read back with the real journalctl."""
    stored = {}
    p = subprocess.Popen(['journalctl', '-D', jdir, '_TRANSPORT=stdout', '-o', 'cat',
                          '--output-fields=_SYSTEMD_UNIT', '--no-pager', '-q'],
                         stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        u = line.strip()
        stored[u] = stored.get(u, 0) + 1
    p.wait()
    out = subprocess.run(['journalctl', '-D', jdir, 'MESSAGE_ID=a596d6fe7bfa4994828e72309e95d61e',
                          '-o', 'cat', '--output-fields=N_DROPPED', '--no-pager', '-q'],
                         capture_output=True, text=True).stdout
    suppressed = sum(int(x) for x in out.split() if x.isdigit())
    return sum(stored.get(f'flood{i}.service', 0) for i in range(services)), suppressed


class VigilIngest:
    name = 'vigil'

    def __init__(self, services, lines):
        self.s, self.l = services, lines
        self.root = os.path.join(DATA, 'ingest-vigil')
        self.jdir = os.path.join(self.root, 'var/log/journal')

    def setup(self):
        shutil.rmtree(self.root, ignore_errors=True)
        u = os.path.join(self.root, 'etc/systemd/system')
        os.makedirs(u)
        os.makedirs(self.jdir)
        open(os.path.join(self.root, 'etc/systemd/journald.conf'), 'w').write(JCONF)
        for i in range(self.s):
            open(f'{u}/flood{i}.service', 'w').write(
                f'[Unit]\nDescription=Flood {i}\n[Service]\nExecStart={FLOOD} flood{i} {self.l}\n')

    def ctl(self, *args, **kw):
        return subprocess.run([VIGIL, f'--root={self.root}', '--no-autostart', *args], **kw)

    def start_manager(self):
        self.log = open(os.path.join(DATA, 'ingest-vigil.log'), 'w')
        self.proc = subprocess.Popen([VIGIL, 'daemon', f'--root={self.root}'], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        ok = wait_for(lambda: all(os.path.exists(os.path.join(self.root, f'run/vigil/{s}'))
                                  for s in ('control', 'journal/stdout')), 30, 0.05)
        if not ok:
            raise RuntimeError('vigil did not come up')

    def start_services(self):
        self.ctl('start', *[f'flood{i}' for i in range(self.s)], check=True, stdout=subprocess.DEVNULL)

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        self.ctl('exit', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class JournaldIngest:
    """systemd 252 as PID 1 of a private namespace, with its own systemd-journald."""
    name = 'journald'

    def __init__(self, services, lines):
        self.s, self.l = services, lines
        self.dir = os.path.join(DATA, 'ingest-journald')
        self.jdir = os.path.join(self.dir, 'journal')

    def setup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        u = os.path.join(self.dir, 'units')
        os.makedirs(u)
        os.makedirs(self.jdir)
        open(u + '/jbench.target', 'w').write(
            '[Unit]\nDefaultDependencies=no\nWants=systemd-journald.service systemd-journald.socket\n'
            'After=systemd-journald.service\n')
        for i in range(self.s):
            open(f'{u}/flood{i}.service', 'w').write(
                f'[Unit]\nDescription=Flood {i}\nDefaultDependencies=no\n'
                f'[Service]\nExecStart={FLOOD} flood{i} {self.l}\nStandardOutput=journal\n')
        os.makedirs(CG, exist_ok=True)
        open(self.dir + '/inner.sh', 'w').write(f"""#!/bin/sh
set -e
mount --make-rprivate /
mount -t proc proc /proc
mount -t tmpfs tmpfs /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system /run/systemd/journald.conf.d
cp -a {u}/. /run/systemd/system/
printf '{JCONF}' > /run/systemd/journald.conf.d/bench.conf
mount -t tmpfs tmpfs /var/log
mkdir /var/log/journal
mount --bind {self.jdir} /var/log/journal
exec env -i container=benchns PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --system --unit=jbench.target --log-target=console --log-level=warning
""")
        os.chmod(self.dir + '/inner.sh', 0o755)
        open(self.dir + '/outer.sh', 'w').write(f"""#!/bin/sh
echo $$ > {CG}/cgroup.procs
exec unshare --fork --pid --mount --cgroup --uts {self.dir}/inner.sh
""")
        os.chmod(self.dir + '/outer.sh', 0o755)

    def root(self):
        for _ in range(500):
            try:
                kids = open(f'/proc/{self.proc.pid}/task/{self.proc.pid}/children').read().split()
                if kids:
                    return int(kids[0])
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError('no namespace init')

    def ns(self, *args, **kw):
        return subprocess.run(['nsenter', '-t', str(self.init), '-m', '-p', '--', *args], **kw)

    def start_manager(self):
        self.log = open(os.path.join(DATA, 'ingest-journald.log'), 'w')
        self.proc = subprocess.Popen(['/bin/sh', self.dir + '/outer.sh'], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.init = self.root()
        ok = wait_for(lambda: self.ns('systemctl', 'is-active', 'systemd-journald.service',
                                      capture_output=True).returncode == 0, 60, 0.1)
        if not ok:
            raise RuntimeError('systemd-journald did not come up in the namespace')
        # What systemd-journal-flush.service does at boot: from /run to /var/log/journal.
        self.ns('journalctl', '--flush', check=True)

    def start_services(self):
        self.ns('systemctl', 'start', *[f'flood{i}.service' for i in range(self.s)], check=True)

    def stop(self):
        self.ns('journalctl', '--sync', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ns('systemctl', 'poweroff', '-ff', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.kill(self.init, signal.SIGKILL)
            self.proc.wait(10)
        time.sleep(0.3)
        for d, _, _ in sorted(os.walk(CG), key=lambda x: -len(x[0])):
            try:
                os.rmdir(d)
            except OSError:
                pass


INGEST = {'vigil': VigilIngest, 'journald': JournaldIngest}


def ingest(peer, services, lines):
    p = INGEST[peer](services, lines)
    p.setup()
    written = services * lines
    rec = {'part': 'ingest', 'peer': peer, 'services': services, 'lines': lines, 'written': written,
           'loadavg_before': loadavg()}
    p.start_manager()
    try:
        base = n_entries(p.jdir)
        t0 = time.monotonic()
        p.start_services()
        # Progress every 10 s on stderr; give up after 2 h.
        last, last_t = -1, t0
        while True:
            n = n_entries(p.jdir) - base
            now = time.monotonic()
            if n >= written:
                break
            if now - last_t > 10:
                if n == last:
                    rec['error'] = f'stalled at {n} of {written} entries'
                    break
                print(f'  {peer}: {n}/{written} entries, {n / (now - t0):.0f}/s', file=sys.stderr)
                last, last_t = n, now
            if now - t0 > 7200:
                rec['error'] = 'timeout'
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        rec['ingest_s'] = round(elapsed, 3)
        rec['lines_per_s'] = round(written / elapsed)
        rec['loadavg_after'] = loadavg()
        # Quiescence: the manager's own messages (exits) come after the lines.
        prev = -1
        while n_entries(p.jdir) != prev:
            prev = n_entries(p.jdir)
            time.sleep(1)
    finally:
        p.stop()
    stored, suppressed = count_stored(p.jdir, services)
    rec.update(stored=stored, suppressed=suppressed, lost=written - stored - suppressed,
               bytes=sum(os.path.getsize(f) for f in glob.glob(p.jdir + '/**/*.journal', recursive=True)),
               entries_total=n_entries(p.jdir))
    return rec


def hyperfine(cmd, runs):
    out = os.path.join(DATA, 'hf.json')
    subprocess.run(['hyperfine', '-N', '--runs', str(runs), '--warmup', '2', '--export-json', out, cmd],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = json.load(open(out))['results'][0]
    return round(r['median'] * 1000, 2)


def query_sets(entries, units):
    gen = os.path.join(DATA, 'gen')
    if n_entries(gen) < entries:
        shutil.rmtree(gen, ignore_errors=True)
        print(f'  generating {entries} entries over {units} units into {gen}', file=sys.stderr)
        subprocess.run([GEN, gen, str(entries), str(units), '2'], check=True)
    sets = [('gen', gen, 'svc7.service', 'rare.service')]
    for name, d in [('ingest-vigil', os.path.join(DATA, 'ingest-vigil/var/log/journal')),
                    ('ingest-journald', os.path.join(DATA, 'ingest-journald/journal'))]:
        if n_entries(d) > 0:
            sets.append((name, d, 'flood7.service', None))
    return sets


def query(entries, units, runs):
    recs = []
    for name, d, unit, rare in query_sets(entries, units):
        for u in [unit] + ([rare] if rare else []):
            for reader, cmd in [('vigil', f'{VIGIL} logs -D {d} -u {u} -n 100 --no-pager'),
                                ('journalctl', f'journalctl -D {d} -u {u} -n 100 --no-pager')]:
                rec = {'part': 'query', 'set': name, 'entries': n_entries(d), 'unit': u, 'reader': reader,
                       'cmd': cmd, 'loadavg_before': loadavg()}
                lines = subprocess.run(cmd.split(), capture_output=True).stdout.count(b'\n')
                rec['lines_out'] = lines
                try:
                    rec['median_ms'] = hyperfine(cmd, runs)
                except subprocess.CalledProcessError as e:
                    rec['error'] = str(e)
                rec['loadavg_after'] = loadavg()
                print(f'  {name} {u} {reader}: {rec.get("median_ms")} ms ({lines} lines)', file=sys.stderr)
                recs.append(rec)
    return recs


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def render(path):
    """Markdown tables from a results file (medians over reps)."""
    recs = [json.loads(l) for l in open(path) if l.strip()]
    out = []
    ing = [r for r in recs if r.get('part') == 'ingest']
    if ing:
        out += ['### Ingest', '',
                '| journal | services x lines | lines/s | time (s) | stored | suppressed | lost | bytes/line | loadavg |',
                '|---|---|---|---|---|---|---|---|---|']
        for peer in dict.fromkeys(r['peer'] for r in ing):
            rs = [r for r in ing if r['peer'] == peer and 'lines_per_s' in r]
            errs = [r['error'] for r in ing if r['peer'] == peer and 'error' in r]
            if not rs:
                out.append(f'| {peer} | | error: {"; ".join(errs)} | | | | | | |')
                continue
            r0 = rs[0]
            out.append(f"| {peer} | {r0['services']} x {r0['lines']} | {median([r['lines_per_s'] for r in rs]):.0f} "
                       f"| {median([r['ingest_s'] for r in rs]):.1f} | {r0['stored']} | {r0['suppressed']} "
                       f"| {max(r['lost'] for r in rs)} | {r0['bytes'] / r0['written']:.0f} "
                       f"| {r0['loadavg_before']:.1f}-{r0['loadavg_after']:.1f} |"
                       + (f' ({len(errs)} errors)' if errs else ''))
        out.append('')
    q = [r for r in recs if r.get('part') == 'query']
    if q:
        out += ['### `journalctl -u UNIT -n 100` (hyperfine median, ms)', '',
                '| files | entries | unit | vigil logs | real journalctl | vigil / real |', '|---|---|---|---|---|---|']
        for key in dict.fromkeys((r['set'], r['unit']) for r in q):
            by = {r['reader']: r for r in q if (r['set'], r['unit']) == key}
            v, j = by.get('vigil', {}).get('median_ms'), by.get('journalctl', {}).get('median_ms')
            ratio = f'{v / j:.2f}' if v and j else ''
            n = next(iter(by.values()))['entries']
            out.append(f'| {key[0]} | {n} | {key[1]} | {v} | {j} | {ratio} |')
        out.append('')
    print('\n'.join(out))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--render':
        return render(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--parts', default='ingest,query')
    ap.add_argument('--peers', default='vigil,journald')
    ap.add_argument('--services', type=int, default=50)
    ap.add_argument('--lines', type=int, default=200000)
    ap.add_argument('--entries', type=int, default=10_000_000)
    ap.add_argument('--units', type=int, default=1000)
    ap.add_argument('--reps', type=int, default=1)
    ap.add_argument('--runs', type=int, default=10)
    a = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    subprocess.run(['gcc', '-O2', '-Wall', '-o', FLOOD, os.path.join(HERE, 'journal_flood.c')], check=True)
    parts = a.parts.split(',')

    def emit(r):
        r['time'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        with open(a.out, 'a') as f:
            f.write(json.dumps(r) + '\n')

    emit({'part': 'meta', 'nproc': os.cpu_count(), 'kernel': os.uname().release,
          'vigil': subprocess.run(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD'], capture_output=True,
                                  text=True).stdout.strip(),
          'journald': subprocess.run(['journalctl', '--version'], capture_output=True, text=True).stdout.split('\n')[0],
          'args': vars(a)})
    if 'ingest' in parts:
        for rep in range(a.reps):
            for peer in a.peers.split(','):
                print(f'ingest {peer} rep {rep + 1}: {a.services} x {a.lines} lines', file=sys.stderr)
                try:
                    r = ingest(peer, a.services, a.lines)
                except Exception as e:  # one peer failing does not end the run
                    r = {'part': 'ingest', 'peer': peer, 'error': repr(e)}
                r['rep'] = rep + 1
                emit(r)
                print(f'  {r}', file=sys.stderr)
    if 'query' in parts:
        for r in query(a.entries, a.units, a.runs):
            emit(r)


if __name__ == '__main__':
    main()
