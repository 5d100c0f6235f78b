#!/usr/bin/python3
"""vigil side by side with its peers, in one run, on this machine.

Usage: bench.py OUT.jsonl [--ns 100,1000] [--reps 3] [--peers runit,s6,...]

The method is the shared peer kit's (/work/shared/bench/bench.py), copied
here so that vigil is measured by exactly the same code as the peers, plus:

- two vigil peers: `vigil` (the issue's unit file, RestartSec=0) and
  `vigil100` (RestartSec= unset, i.e. systemd's default 100 ms), mirroring
  the kit's `systemd0` / `systemd`;
- the floor (`spawnfloor N`, and hyperfine of `/bin/true` for a control
  command), recorded as peer `floor`;
- /proc/loadavg before and after every measurement;
- repetitions interleaved (rep 1 of every peer, then rep 2, ...) so that a
  load spike from the machine's other tenants hits all peers alike instead
  of all reps of one peer;
- a failure of one peer is recorded (`error`) and the run goes on.

Each service is `psvc NAME` (the kit's C helper): it sends "PID NAME" to
$BENCH_DIR/ready.sock right after exec and then pause()s, so "running"
means exec'd, without polling. Figures per measurement:

  start_s            manager start -> N-th ready datagram
  mgr_total_pss_kB   PSS of every process in the manager's tree that is not a service
  restart_ms_median  SIGKILL a service -> its replacement's datagram (10 kills)
  stop_s             stop request -> every service pid gone
  mgr_exit_s         stop request -> manager process exited
  ctl_ms             hyperfine median (ms) per control command
"""
import os, sys, time, socket, threading, subprocess, signal, statistics, shutil, json, ctypes, argparse

BENCH = os.environ.get('BENCH_DIR', '/tmp/vigil-bench')
SOCK = BENCH + '/ready.sock'; PSVC = BENCH + '/psvc'; RUN = BENCH + '/run'
HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = os.environ.get('VIGIL', os.path.join(os.path.dirname(HERE), 'target/release/vigil'))
# A second vigil build to compare against the first in the same run (peer `vigil_b`), e.g. a patched copy.
VIGIL_B = os.environ.get('VIGIL_B', '')
# psvc reports to /tmp/vigil-bench/ready.sock unless told otherwise: a kit copied elsewhere
# (BENCH_DIR, e.g. one per concurrent experiment) tells the vigil peer's services its own socket.
READY_ENV = '' if SOCK == '/tmp/vigil-bench/ready.sock' else f'Environment=READY_SOCK={SOCK}\n'
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us, we reap them


class Ready:
    """Receives the services' "PID NAME" datagrams; latest report per name."""
    def __init__(self):
        try: os.unlink(SOCK)
        except FileNotFoundError: pass
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind(SOCK); os.chmod(SOCK, 0o777)
        self.cond = threading.Condition(); self.latest = {}
        threading.Thread(target=self.loop, daemon=True).start()
    def loop(self):
        while True:
            d = self.s.recv(512); t = time.monotonic()
            pid, name = d.decode().split()
            with self.cond:
                self.latest[name] = (int(pid), t); self.cond.notify_all()
    def wait_n(self, n, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while len(self.latest) < n:
                if not self.cond.wait(max(0, end - time.monotonic())) and time.monotonic() > end:
                    return None
            return max(t for _, t in self.latest.values())
    def wait_new(self, name, oldpid, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while self.latest.get(name, (oldpid,))[0] == oldpid:
                if not self.cond.wait(max(0, end - time.monotonic())) and time.monotonic() > end:
                    return None
            return self.latest[name][1]


def reap():
    while True:
        try:
            p, _ = os.waitpid(-1, os.WNOHANG)
            if p == 0: return
        except ChildProcessError: return

def proc_table():
    tab = {}
    for d in os.listdir('/proc'):
        if not d.isdigit(): continue
        try: st = open(f'/proc/{d}/stat').read()
        except OSError: continue
        r = st.rfind(')'); f = st[r + 2:].split()
        tab[int(d)] = (int(f[1]), st[st.find('(') + 1:r], f[0])
    return tab

def tree(root):
    tab = proc_table(); kids = {}
    for p, (pp, c, s) in tab.items(): kids.setdefault(pp, []).append(p)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in tab: out.append((p, tab[p][1])); todo += kids.get(p, [])
    return out

def pss_split(pid):
    """Pss_Anon and Pss_File of one process (kB). The file part is mostly the binary's code, whose
    resident pages vary with the page cache's state (a freshly linked or copied binary maps more):
    compare builds on the anonymous part."""
    out = {}
    try:
        for l in open(f'/proc/{pid}/smaps_rollup'):
            k = l.split(':', 1)[0]
            if k in ('Pss_Anon', 'Pss_File'): out[k.lower() + '_kB'] = int(l.split()[1])
    except OSError: pass
    return out

def mem(pids):
    rss = pss = 0
    for p in pids:
        try:
            for l in open(f'/proc/{p}/smaps_rollup'):
                if l.startswith('Rss:'): rss += int(l.split()[1])
                elif l.startswith('Pss:'): pss += int(l.split()[1])
        except OSError: pass
    return rss, pss

def nsmap(root):
    """innermost-namespace pid -> host pid for every process under root (identity without a pid ns)"""
    m = {}
    for pid, c in tree(root):
        try:
            for l in open(f'/proc/{pid}/status'):
                if l.startswith('NSpid:'): m[int(l.split()[-1])] = pid
        except OSError: pass
    return m

def alive(pid):
    try:
        st = open(f'/proc/{pid}/stat').read()
        return st[st.rfind(')') + 2] != 'Z'
    except OSError: return False

def hyper(cmd, runs=100, prefix=None, warmup=5):
    j = f'{RUN}/hf.json'
    full = ['hyperfine', '-N', '-i', '--warmup', str(warmup), '--runs', str(runs), '--export-json', j, cmd]
    if prefix: full = prefix + full
    subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t = json.load(open(j))['results'][0]['times']; return statistics.median(t) * 1e3
    except Exception as e: return f'ERR {e}'

def symlink_run(d):
    os.makedirs(d); os.symlink(PSVC, d + '/run')

def cmdline(pid, words=3):
    try: return ' '.join(open(f'/proc/{pid}/cmdline').read().split('\0')[:words]).strip()
    except OSError: return '?'

def loadavg():
    return open('/proc/loadavg').read().split()[:3]


# ---------------- peers (the kit's, unchanged in method) ----------------
class Peer:
    prefix = None
    # which of status_cmds is the "status" column of the summary table
    status_index = 0
    def __init__(self, n): self.n = n; self.dir = f'{RUN}/{self.name}'; self.proc = None
    def root(self): return self.proc.pid
    def status_cmds(self, name): return []
    def finish(self): pass

class Supervisord(Peer):
    name = 'supervisord'
    def setup(self):
        os.makedirs(self.dir + '/logs')
        c = [f"""[supervisord]
nodaemon=true
logfile={self.dir}/supervisord.log
pidfile={self.dir}/supervisord.pid
childlogdir={self.dir}/logs
minfds=10000
minprocs=5000
loglevel=error
[unix_http_server]
file={self.dir}/sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{self.dir}/sock
"""]
        for i in range(self.n):
            c.append(f"[program:s{i}]\ncommand={PSVC} s{i}\nautorestart=true\nstartsecs=1\n")
        open(self.dir + '/sd.conf', 'w').write('\n'.join(c))
    def start(self): self.proc = subprocess.Popen(['/usr/bin/supervisord', '-c', self.dir + '/sd.conf'])
    def stop(self): self.proc.send_signal(signal.SIGTERM)
    def status_cmds(self, name):
        return [f'/usr/bin/supervisorctl -c {self.dir}/sd.conf status {name}', f'/usr/bin/supervisorctl -c {self.dir}/sd.conf pid {name}']

class Runit(Peer):
    name = 'runit'
    def setup(self):
        os.makedirs(self.dir)
        for i in range(self.n): symlink_run(f'{self.dir}/s{i}')
        # runsvdir defers the scan of a dir whose mtime == current second (~1 s); age it so we measure runit itself
        t = time.time() - 10; os.utime(self.dir, (t, t))
    def start(self): self.proc = subprocess.Popen(['runsvdir', '-P', self.dir], stdin=subprocess.DEVNULL)
    def stop(self): self.proc.send_signal(signal.SIGHUP)  # runsvdir: TERM to each runsv, runsv stops svc & exits
    def status_cmds(self, name): return [f'sv status {self.dir}/{name}']

class S6(Peer):
    name = 's6'
    def setup(self):
        os.makedirs(self.dir)
        for i in range(self.n): symlink_run(f'{self.dir}/s{i}')
    def start(self): self.proc = subprocess.Popen(['s6-svscan', '-c', str(max(self.n * 2, 1000)), self.dir], stdin=subprocess.DEVNULL)
    def stop(self): subprocess.run(['s6-svscanctl', '-t', self.dir])
    def status_cmds(self, name): return [f's6-svstat {self.dir}/{name}']

class Daemontools(Peer):
    name = 'daemontools'
    def setup(self):
        os.makedirs(self.dir)
        for i in range(self.n): symlink_run(f'{self.dir}/s{i}')
    def start(self): self.proc = subprocess.Popen(['svscan', self.dir], stdin=subprocess.DEVNULL)
    def stop(self):
        subprocess.run(['svc', '-dx'] + [f'{self.dir}/s{i}' for i in range(self.n)])
        self.proc.send_signal(signal.SIGTERM)
    def status_cmds(self, name): return [f'svstat {self.dir}/{name}']

class Systemd(Peer):
    """real systemd 252 as PID 1 of a private pid+mount+cgroup namespace (host untouched)"""
    name = 'systemd'; extra = ''
    status_index = 2
    def setup(self):
        os.makedirs(self.dir + '/units/bench.target.wants')
        u = self.dir + '/units'
        open(u + '/bench.target', 'w').write('[Unit]\nDefaultDependencies=no\n')
        open(u + '/bench.slice', 'w').write('[Unit]\nDefaultDependencies=no\n')
        for i in range(self.n):
            open(f'{u}/s{i}.service', 'w').write(f'[Unit]\nDefaultDependencies=no\n[Service]\nSlice=bench.slice\nExecStart={PSVC} s{i}\nRestart=always\nStandardOutput=null\n{self.extra}')
            os.symlink(f'../s{i}.service', f'{u}/bench.target.wants/s{i}.service')
        cg = '/sys/fs/cgroup/unified/benchsd'
        os.makedirs(cg, exist_ok=True)
        open(self.dir + '/inner.sh', 'w').write(f"""#!/bin/sh
set -e
mount --make-rprivate /
mount -t proc proc /proc
mount -t tmpfs tmpfs /sys/fs/cgroup
mkdir /sys/fs/cgroup/systemd && mount -t cgroup2 cgroup2 /sys/fs/cgroup/systemd || true
umount /sys/fs/cgroup/systemd; rmdir /sys/fs/cgroup/systemd; umount /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
cp -a {u}/. /run/systemd/system/
exec env -i container=benchns PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --system --unit=bench.target --log-target=console --log-level=warning
""")
        os.chmod(self.dir + '/inner.sh', 0o755)
        open(self.dir + '/outer.sh', 'w').write(f"""#!/bin/sh
echo $$ > {cg}/cgroup.procs
exec unshare --fork --pid --mount --cgroup --uts {self.dir}/inner.sh
""")
        os.chmod(self.dir + '/outer.sh', 0o755)
    def start(self):
        self.log = open(self.dir + '/systemd.log', 'w')
        self.proc = subprocess.Popen(['/bin/sh', self.dir + '/outer.sh'], stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    def root(self):
        for _ in range(200):
            try:
                kids = open(f'/proc/{self.proc.pid}/task/{self.proc.pid}/children').read().split()
                if kids: return int(kids[0])
            except OSError: pass
            time.sleep(0.01)
        return self.proc.pid
    @property
    def prefix(self): return ['nsenter', '-t', str(self.root()), '-m', '-p', '--']
    def stop(self): subprocess.run(self.prefix + ['systemctl', 'stop', 'bench.slice'])
    def status_cmds(self, name):
        # the kit's three, plus `status` with its default 10 journal lines (vigil's `status` always shows them)
        return [f'systemctl is-active {name}', f'systemctl show -p MainPID {name}', f'systemctl status --no-pager -n0 {name}',
                f'systemctl status --no-pager {name}']
    def finish(self):
        subprocess.run(self.prefix + ['systemctl', 'poweroff', '-ff'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try: self.proc.wait(5)
        except subprocess.TimeoutExpired: os.kill(self.root(), 9); self.proc.wait(5)
        time.sleep(0.3)  # remove the (now empty) cgroups the namespaced systemd left under benchsd
        cg = '/sys/fs/cgroup/unified/benchsd'
        for d, _, _ in sorted(os.walk(cg), key=lambda x: -len(x[0])):
            try: os.rmdir(d)
            except OSError: pass

class Systemd0(Systemd):
    name = 'systemd0'; extra = 'RestartSec=0\n'


# ---------------- vigil ----------------
class Vigil(Peer):
    """vigil's manager for a private root: `vigil daemon --root=DIR --boot`.

    The unit files are the issue's: Restart=always, RestartSec=0, enabled
    into multi-user.target (a .wants/ symlink); default.target and the
    other targets are vigil's built-ins. Default dependencies stay on, as
    a user's unit would have them. Services run on the host file system;
    the root only holds units and the manager's state. The manager's
    console (where service output goes until the journal lands) is a file.
    """
    name = 'vigil'; extra = 'RestartSec=0\n'
    status_index = 2
    bin = VIGIL
    def setup(self):
        self.rootdir = self.dir + '/root'
        u = self.rootdir + '/etc/systemd/system'
        os.makedirs(u + '/multi-user.target.wants')
        for i in range(self.n):
            open(f'{u}/s{i}.service', 'w').write(
                f'[Service]\nExecStart={PSVC} s{i}\nRestart=always\n{self.extra}{READY_ENV}[Install]\nWantedBy=multi-user.target\n')
            os.symlink(f'../s{i}.service', f'{u}/multi-user.target.wants/s{i}.service')
    def start(self):
        self.log = open(self.dir + '/vigil.log', 'w')
        self.proc = subprocess.Popen([self.bin, 'daemon', f'--root={self.rootdir}', '--boot'],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    def stop(self):
        # `vigil exit` stops every unit, then the manager; the clock runs
        # until the last service pid is gone (the CLI may return earlier).
        self.stopper = subprocess.Popen([self.bin, f'--root={self.rootdir}', 'exit'],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def status_cmds(self, name):
        # the kit's three, as systemd's (`status -n0`), then `status` with its default 10 journal
        # lines; a build without `-n` (before session 3) gets `status` alone as its third
        v = f'{self.bin} --root={self.rootdir}'
        lines = subprocess.run([self.bin, '--root=/nonexistent', '--no-autostart', 'status', '-n0', 'x'],
                               capture_output=True, text=True).stderr
        n0 = '' if 'invalid option' in lines else ' -n0'
        return [f'{v} is-active {name}', f'{v} show -p MainPID {name}', f'{v} status --no-pager{n0} {name}',
                f'{v} status --no-pager {name}']
    def finish(self):
        try: self.stopper.wait(10)
        except (subprocess.TimeoutExpired, AttributeError): pass

def booted_vigil(binp, name, n):
    """The `vigil` peer's N services booted under the binary BINP in run directory NAME, every one
    reported ready, then 1 s to settle: (peer, ready socket, manager pid). For the restart probes
    (bench/restart_cpu.py, bench/restart_trace.py)."""
    os.makedirs(RUN, exist_ok=True)
    ready = Ready()
    p = type('Probe', (Vigil,), {'bin': binp, 'name': name})(n)
    if os.path.exists(p.dir): shutil.rmtree(p.dir)
    p.setup(); p.start()
    assert ready.wait_n(n, 60) is not None
    time.sleep(1.0)
    return p, ready, p.root()


def restart_latencies(ready, n, reps=10, pause=0.3, host_pid=lambda pid: pid):
    """SIGKILL REPS of the N bench services one by one (s0, s37, s74, ...), each time waiting for
    its replacement's ready datagram, then PAUSE s of idle (a restart after a quiet spell, not a
    warm loop): [(killed pid, ms from the kill to the new report, or None)]. HOST_PID maps a
    service's pid as it reported it to the host's (a peer in a pid namespace), None if unknown."""
    out = []
    for k in range(reps):
        name = f's{(k * 37) % n}'
        oldpid = ready.latest[name][0]
        hp = host_pid(oldpid)
        if hp is None:
            out.append((oldpid, None)); continue
        t1 = time.monotonic(); os.kill(hp, signal.SIGKILL)
        t2 = ready.wait_new(name, oldpid, 10)
        out.append((hp, None if t2 is None else (t2 - t1) * 1e3))
        time.sleep(pause); reap()
    return out


def sigkill_restarts(ready, n, reps, pause=0.3):
    """restart_latencies' killed pids. For the restart probes (bench/restart_phases.py,
    bench/restart_sched.py)."""
    return [pid for pid, _ in restart_latencies(ready, n, reps, pause)]


class Vigil100(Vigil):
    name = 'vigil100'; extra = ''

class VigilB(Vigil):
    """The `vigil` peer run with the binary in $VIGIL_B (A/B comparison of two builds)."""
    name = 'vigil_b'; bin = VIGIL_B


PEERS = {c.name: c for c in [Runit, S6, Daemontools, Supervisord, Systemd, Systemd0, Vigil, Vigil100, VigilB]}


def kill_tree_of(pid):
    for p, c in tree(pid):
        if p == os.getpid(): continue
        try: os.kill(p, 9)
        except OSError: pass

def once(peer_name, n, ready):
    if os.path.exists(f'{RUN}/{peer_name}'): shutil.rmtree(f'{RUN}/{peer_name}')
    p = PEERS[peer_name](n); p.setup()
    with ready.cond: ready.latest.clear()
    res = {'peer': peer_name, 'n': n, 'loadavg': loadavg()[0], 'loadavg_before': loadavg(), 'time': time.strftime('%H:%M:%S')}
    t0 = time.monotonic(); p.start()
    tl = ready.wait_n(n, 120)
    if tl is None:
        res['error'] = f'only {len(ready.latest)} of {n} services came up in 120s'
        res['start_s'] = None
    else:
        res['start_s'] = round(tl - t0, 4)
    time.sleep(2.5)  # let things settle (runsv/s6 have 1s min respawn spacing; supervisord startsecs=1)
    root = p.root()
    tr = tree(root)
    nm = nsmap(root)
    svcset = {nm.get(v[0], -1) for v in ready.latest.values()}
    mgr = [pid for pid, c in tr if pid not in svcset]; svc = [pid for pid, c in tr if pid in svcset]
    res['mgr_procs'] = len(mgr); res['mgr_comms'] = sorted({c for pid, c in tr if pid not in svcset})
    res['svc_procs_in_tree'] = len(svc)
    rr, rp = mem([root]); res['root_rss_kB'] = rr; res['root_pss_kB'] = rp
    mr, mp = mem(mgr); res['mgr_total_rss_kB'] = mr; res['mgr_total_pss_kB'] = mp
    if len(mgr) <= 5:  # one-process managers (and vigil's journald): who holds the memory
        res['mgr_detail'] = [{'cmd': cmdline(pid, 2), 'pss_kB': mem([pid])[1], **pss_split(pid)} for pid in mgr]
    sr, sp = mem(svc); res['svc_total_pss_kB'] = sp
    # restart latency
    lats = []
    if tl is not None:
        lats = [ms for _, ms in restart_latencies(ready, n, host_pid=lambda pid: nsmap(root).get(pid))]
        ok = [x for x in lats if x is not None]
        res['restart_ms_median'] = round(statistics.median(ok), 2) if ok else None
        res['restart_ms_all'] = [None if x is None else round(x, 1) for x in lats]
    time.sleep(1.2)
    slow = peer_name == 'supervisord'
    res['ctl_ms'] = {c: (round(v, 3) if isinstance(v, float) else v)
                     for c in p.status_cmds('s1') for v in [hyper(c, 20 if slow else 100, p.prefix, 2 if slow else 5)]}
    cmds = p.status_cmds('s1')
    if cmds: res['status_cmd'] = cmds[min(p.status_index, len(cmds) - 1)]
    # stop all
    nm = nsmap(root); pids = [nm[v[0]] for v in ready.latest.values() if v[0] in nm]
    res['stop_tracked'] = len(pids)
    t0 = time.monotonic(); p.stop()
    while any(alive(x) for x in pids):
        reap(); time.sleep(0.002)
        if time.monotonic() - t0 > 60: res['stop_error'] = 'timeout'; break
    res['stop_s'] = round(time.monotonic() - t0, 4)
    p.finish()
    try: p.proc.wait(15)
    except subprocess.TimeoutExpired:
        res['note'] = 'manager did not exit after stop; killed'
        kill_tree_of(p.root())
        p.proc.wait(5)
    res['mgr_exit_s'] = round(time.monotonic() - t0, 4)
    reap()
    left = [pid for pid, c in tree(os.getpid()) if pid != os.getpid()]
    if left: res['leftover_procs'] = len(left)
    for pid in left:
        try: os.kill(pid, 9)
        except OSError: pass
    reap()
    res['loadavg_after'] = loadavg()
    return res

def safe_once(peer_name, n, ready):
    """One measurement; a peer that breaks is recorded with its error and cleaned up."""
    try:
        return once(peer_name, n, ready)
    except Exception as e:
        for pid, c in tree(os.getpid()):
            if pid != os.getpid():
                try: os.kill(pid, 9)
                except OSError: pass
        reap()
        return {'peer': peer_name, 'n': n, 'error': f'{type(e).__name__}: {e}', 'loadavg_before': loadavg()}


def supervisor_floor(mode, n, ready):
    """N psvc under bench/supfloor MODE (plain | into), a supervisor that only reaps and
    respawns, timed as the peers are: the median restart latency (ms) and the stop of all (s,
    SIGTERM to it -> every service pid gone, polled as `once` polls)."""
    cg = '/sys/fs/cgroup/unified/vigil-bench-rfloor'
    if mode == 'into': os.makedirs(cg, exist_ok=True)
    with ready.cond: ready.latest.clear()
    proc = subprocess.Popen([BENCH + '/supfloor', mode, PSVC, str(n)] + ([cg] if mode == 'into' else []),
                            stdin=subprocess.DEVNULL)
    out = {'restart_ms': None, 'stop_s': None}
    try:
        if ready.wait_n(n, 60) is None: return out
        time.sleep(1.0)
        ok = [ms for _, ms in restart_latencies(ready, n) if ms is not None]
        out['restart_ms'] = round(statistics.median(ok), 3) if ok else None
        time.sleep(1.0)
        pids = [v[0] for v in ready.latest.values()]
        t0 = time.monotonic(); proc.send_signal(signal.SIGTERM)
        while any(alive(x) for x in pids):
            reap(); time.sleep(0.002)
            if time.monotonic() - t0 > 60: break
        else:
            out['stop_s'] = round(time.monotonic() - t0, 4)
        return out
    finally:
        proc.send_signal(signal.SIGTERM)
        try: proc.wait(30)
        except subprocess.TimeoutExpired: kill_tree_of(proc.pid); proc.kill(); proc.wait(5)
        reap()
        if mode == 'into':
            try: os.rmdir(cg)
            except OSError: pass


def floor(n, ready):
    """The physical floor: the kit's spawnfloor (fork/vfork/posix_spawn + exec), an exec of /bin/true
    under hyperfine, bench/cgspawn (one isolated spawn, with and without a cgroup move) and
    bench/supfloor (restart and stop of all under a supervisor that does nothing else)."""
    res = {'peer': 'floor', 'n': n, 'loadavg_before': loadavg()}
    out = subprocess.run([BENCH + '/spawnfloor', str(n)], capture_output=True, text=True).stdout
    res['spawnfloor'] = out.strip().splitlines()
    for line in out.splitlines():
        parts = line.split()
        if not parts: continue
        kv = dict(x.split('=', 1) for x in parts[1:] if '=' in x)
        res[parts[0]] = {k: float(v.split('us')[0]) for k, v in kv.items() if not k.startswith('(')}
    res['true_exec_ms'] = round(hyper('/bin/true', 200), 3)
    # one isolated spawn (100 ms idle first, as a restart is): plain fork, fork + cgroup.procs write, clone3 into a cgroup
    cg = '/sys/fs/cgroup/unified/vigil-bench-floor'
    try:
        os.makedirs(cg, exist_ok=True)
        out = subprocess.run([BENCH + '/cgspawn', cg, '15'], capture_output=True, text=True).stdout
        res['isolated_spawn_ms'] = {l.split()[0]: float(l.split()[1].split('=')[1]) for l in out.splitlines() if 'median_ms=' in l}
    except OSError as e:
        res['isolated_spawn_error'] = str(e)
    finally:
        try: os.rmdir(cg)
        except OSError: pass
    res['supervisor_floor'] = {m: supervisor_floor(m, n, ready) for m in ('plain', 'into')}
    res['loadavg_after'] = loadavg()
    return res


def available(peers):
    need = {'runit': 'runsvdir', 's6': 's6-svscan', 'daemontools': 'svscan', 'supervisord': '/usr/bin/supervisord',
            'systemd': '/lib/systemd/systemd', 'systemd0': '/lib/systemd/systemd', 'vigil': VIGIL, 'vigil100': VIGIL,
            'vigil_b': VIGIL_B or '/nonexistent/VIGIL_B-not-set'}
    ok, missing = [], []
    for p in peers:
        (ok if shutil.which(need[p]) else missing).append(p)
    return ok, missing


def meta(peers, missing, ns, reps):
    def cmd(c):
        try: return subprocess.run(c, capture_output=True, text=True, shell=True).stdout.strip()
        except Exception as e: return str(e)
    return {'meta': True, 'date': time.strftime('%Y-%m-%dT%H:%M:%S%z'), 'nproc': os.cpu_count(),
            'cpu': cmd("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"), 'kernel': os.uname().release,
            'mem_total_kB': int(cmd("grep MemTotal /proc/meminfo | awk '{print $2}'") or 0),
            'loadavg': loadavg(), 'ns': ns, 'reps': reps, 'peers': peers, 'missing_peers': missing,
            'max_dgram_qlen': cmd('cat /proc/sys/net/unix/max_dgram_qlen'),
            'vigil': VIGIL, 'vigil_b': VIGIL_B, 'vigil_rev': cmd(f'git -C {HERE} rev-parse --short HEAD'),
            'versions': {'runit': cmd("dpkg-query -W -f='${Version}' runit"), 's6': cmd("dpkg-query -W -f='${Version}' s6"),
                         'daemontools': cmd("dpkg-query -W -f='${Version}' daemontools"),
                         'supervisor': cmd("dpkg-query -W -f='${Version}' supervisor"),
                         'systemd': cmd("dpkg-query -W -f='${Version}' systemd"),
                         'hyperfine': cmd('hyperfine --version')}}


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--ns', default='100,1000')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--peers', default=','.join(p for p in PEERS if p != 'vigil_b'))
    a = ap.parse_args()
    os.makedirs(RUN, exist_ok=True)
    ns = [int(x) for x in a.ns.split(',')]
    peers, missing = available(a.peers.split(','))
    out = open(a.out, 'a')
    def emit(r):
        out.write(json.dumps(r) + '\n'); out.flush()
        print(json.dumps({k: v for k, v in r.items() if k not in ('restart_ms_all', 'spawnfloor', 'versions')}), file=sys.stderr, flush=True)
    emit(meta(peers, missing, ns, a.reps))
    for p in missing:
        emit({'peer': p, 'n': None, 'error': 'not installed here'})
    ready = Ready()
    for n in ns:
        for rep in range(a.reps):
            # the floor beside every rep: one measurement taken during a load spike must not set it
            f = floor(n, ready); f['rep'] = rep
            emit(f)
            for peer in peers:
                r = safe_once(peer, n, ready); r['rep'] = rep
                emit(r)
