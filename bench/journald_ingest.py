#!/usr/bin/python3
"""The journal process alone, for per-line CPU: `vigil journald --root=R`
(standalone, no manager; optionally under a wrapper such as
`valgrind --tool=callgrind`), K stdout-stream clients each writing L
distinct lines (journal_flood.c's format) at once; waits (polling, with a
deadline) until the file headers count K*L entries, then SIGTERM. Prints
lines/s (a wall-clock figure: A/B it, alternating binaries). Rate limiting
off, ForwardToSyslog as Debian's default (on, nobody listening).

usage: bench/journald_ingest.py VIGIL K L [WRAPPER...]
  e.g. bench/journald_ingest.py target/release/vigil 10 5000 \
         valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out
       (instructions per line = the "I refs" total / (K*L))"""
import os, sys, socket, subprocess, time, struct, glob, signal, tempfile, threading
vigil, K, L = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
wrap = sys.argv[4:]
d = tempfile.mkdtemp(prefix='jrnl-ing.')
root = d + '/root'
os.makedirs(root + '/etc/systemd'); os.makedirs(root + '/var/log/journal')
open(root + '/etc/systemd/journald.conf', 'w').write('[Journal]\nStorage=persistent\nRateLimitBurst=0\n')
r, w = os.pipe()
p = subprocess.Popen(wrap + [vigil, 'journald', '--root=' + root, '--ready-fd=%d' % w], pass_fds=[w])
os.close(w)
assert os.read(r, 100).startswith(b'READY'), 'not ready'
sock = glob.glob(root + '/run/vigil/journal/stdout')[0]
payloads = []
for k in range(K):
    name = 'svc%d' % k
    payloads.append(''.join('%s line %d: request served in %d ms, status %d\n' % (name, i, (i * 7919) % 997, 200 + i % 5) for i in range(L)).encode())
socks = []
for k in range(K):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sock)
    s.sendall(b'svc%d\n\n6\n0\n0\n0\n0\n' % k); socks.append(s)
def count():
    n = 0
    for f in glob.glob(root + '/var/log/journal/*/*.journal'):
        with open(f, 'rb') as fh:
            h = fh.read(256)
        n += struct.unpack_from('<Q', h, 152)[0]
    return n
base = count()
t0 = time.monotonic()
ths = [threading.Thread(target=s.sendall, args=(pl,)) for s, pl in zip(socks, payloads)]
for t in ths: t.start()
for t in ths: t.join()
for s in socks: s.close()
deadline = time.monotonic() + 300
while count() < base + K * L:
    assert time.monotonic() < deadline, 'timeout %d' % count()
    time.sleep(0.01)
dt = time.monotonic() - t0
p.send_signal(signal.SIGTERM); p.wait()
print('lines %d  secs %.3f  lines/s %.0f  dir %s' % (K * L, dt, K * L / dt, d))
