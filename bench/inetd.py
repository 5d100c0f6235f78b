#!/usr/bin/python3
"""Accept=yes (inetd-style) throughput: one process per connection.

Usage: inetd.py OUT.jsonl [CONNS] [REPS]
       PEERS=floor,xinetd,vigil inetd.py …   (a subset of the peers)
       VIGIL_B=/other/vigil PEERS=vigil,vigil_b,vigil,vigil_b inetd.py …
                                     (A/B two builds; a peer may repeat)

The kit's inetd_bench.sh method (loopback only, bounded CONNS connections,
1 and 2 client threads, the kit's tcpclient), with vigil and systemd added:

  floor     the kit's forkserver: accept, fork, dup2, exec /bin/echo hello
  xinetd    wait=no, /bin/echo hello per connection (the kit's xinetd.conf)
  vigil     benchecho.socket (ListenStream=127.0.0.1:PORT, Accept=yes) +
            benchecho@.service (ExecStart=/bin/echo hello, StandardInput=socket)
            under `vigil daemon --root=DIR --boot`
  systemd   the same two units under the real systemd 252 in its private
            pid+mount+cgroup namespace (bench.py's Systemd peer; the
            network namespace is the host's, so the port is reachable)

Each line of OUT: peer, clients, conns, rate (conn/s), fails, loadavg.
"""
import os, sys, time, json, socket, subprocess, shutil, statistics

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

PORTS = {'floor': 19997, 'xinetd': 19999, 'vigil': 19996, 'systemd': 19995, 'vigil_b': 19994}

SOCKET_UNIT = """[Unit]
Description=bench echo socket
[Socket]
ListenStream=127.0.0.1:{port}
Accept=yes
MaxConnections=1024
# no trigger rate limit (systemd's default for Accept=yes is 200 per 2 s, which
# the bench exceeds on purpose; xinetd's cps limit is lifted the same way)
TriggerLimitIntervalSec=0
[Install]
WantedBy=sockets.target
"""
SERVICE_UNIT = """[Unit]
Description=bench echo per connection
[Service]
ExecStart=/bin/echo hello
StandardInput=socket
"""


def wait_port(port, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(('127.0.0.1', port), 0.2) as s:
                s.recv(64)
            return True
        except OSError:
            time.sleep(0.05)
    return False


def client(port, conns, par):
    out = subprocess.run([bench.BENCH + '/tcpclient', str(port), str(conns), str(par)],
                         capture_output=True, text=True, timeout=300).stdout
    kv = dict(x.split('=', 1) for x in out.split() if '=' in x)
    return {'rate': float(kv.get('rate', 'nan')), 'fails': int(kv.get('fails', '-1')), 'raw': out.strip()}


class Floor:
    name = 'floor'
    def start(self):
        self.p = subprocess.Popen([bench.BENCH + '/forkserver', str(PORTS['floor']), '/bin/echo', 'hello'])
    def stop(self):
        self.p.kill(); self.p.wait()


class Xinetd:
    name = 'xinetd'
    def start(self):
        self.p = subprocess.Popen(['/usr/sbin/xinetd', '-dontfork', '-f', bench.BENCH + '/xinetd.conf',
                                   '-pidfile', bench.RUN + '/xinetd.pid'])
    def stop(self):
        self.p.terminate(); self.p.wait()


class Vigil:
    name = 'vigil'; bin = bench.VIGIL
    def start(self):
        d = bench.RUN + '/inetd-' + self.name
        if os.path.exists(d): shutil.rmtree(d)
        self.root = d + '/root'
        u = self.root + '/etc/systemd/system'
        os.makedirs(u + '/sockets.target.wants')
        open(u + '/benchecho.socket', 'w').write(SOCKET_UNIT.format(port=PORTS[self.name]))
        open(u + '/benchecho@.service', 'w').write(SERVICE_UNIT)
        os.symlink('../benchecho.socket', u + '/sockets.target.wants/benchecho.socket')
        self.log = open(d + '/vigil.log', 'w')
        self.p = subprocess.Popen([self.bin, 'daemon', f'--root={self.root}', '--boot'],
                                  stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    def stop(self):
        subprocess.run([self.bin, f'--root={self.root}', 'exit'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try: self.p.wait(30)
        except subprocess.TimeoutExpired: bench.kill_tree_of(self.p.pid); self.p.wait(5)


class VigilB(Vigil):
    """The same, with the binary in $VIGIL_B (A/B of two builds in one run)."""
    name = 'vigil_b'; bin = bench.VIGIL_B


class Systemd(bench.Systemd):
    """bench.py's namespaced systemd 252, with the socket and template instead of N services."""
    name = 'systemd'
    def __init__(self): super().__init__(0); self.dir = bench.RUN + '/inetd-systemd'
    def setup(self):
        super().setup()  # bench.target, bench.slice, inner/outer scripts; no services (N=0)
        u = self.dir + '/units'
        open(u + '/benchecho.socket', 'w').write(SOCKET_UNIT.format(port=PORTS['systemd']).replace(
            '[Unit]\n', '[Unit]\nDefaultDependencies=no\n'))
        open(u + '/benchecho@.service', 'w').write(SERVICE_UNIT.replace(
            '[Unit]\n', '[Unit]\nDefaultDependencies=no\n').replace('[Service]\n', '[Service]\nSlice=bench.slice\n'))
        os.symlink('../benchecho.socket', u + '/bench.target.wants/benchecho.socket')
    def start(self):
        if os.path.exists(self.dir): shutil.rmtree(self.dir)
        self.setup(); super().start()
    def stop(self):
        self.finish()


def main():
    out_path = sys.argv[1]
    conns = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(bench.RUN, exist_ok=True)
    out = open(out_path, 'a')
    only = [p for p in os.environ.get('PEERS', '').split(',') if p]
    kinds = {'floor': Floor, 'xinetd': Xinetd, 'vigil': Vigil, 'vigil_b': VigilB, 'systemd': Systemd}
    peers = [kinds[n]() for n in only if n in kinds] if only else [Floor(), Xinetd(), Vigil(), Systemd()]
    for peer in peers:
        res = {'peer': peer.name, 'kind': 'accept', 'conns': conns, 'loadavg_before': bench.loadavg()}
        if hasattr(peer, 'bin'): res['bin'] = peer.bin
        try:
            peer.start()
            if not wait_port(PORTS[peer.name]):
                raise RuntimeError(f'nothing answers on 127.0.0.1:{PORTS[peer.name]}')
            for par in (1, 2):
                rs = []
                for _ in range(reps):
                    rs.append(client(PORTS[peer.name], conns, par)); time.sleep(1)
                res[f'rate_par{par}'] = statistics.median(r['rate'] for r in rs)
                res[f'fails_par{par}'] = sum(r['fails'] for r in rs)
                res[f'raw_par{par}'] = [r['raw'] for r in rs]
        except Exception as e:
            res['error'] = f'{type(e).__name__}: {e}'
        finally:
            try: peer.stop()
            except Exception as e: res['stop_error'] = str(e)
            bench.reap()
        res['loadavg_after'] = bench.loadavg()
        out.write(json.dumps(res) + '\n'); out.flush()
        print(json.dumps({k: v for k, v in res.items() if not k.startswith('raw')}), flush=True)


if __name__ == '__main__':
    main()
