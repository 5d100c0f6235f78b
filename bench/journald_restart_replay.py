#!/usr/bin/python3
"""The journal process alone, for its cost per service restart: `vigil journald --root=R
--manager-pid=<this script>` under a wrapper (valgrind --tool=callgrind, started with counting
off), fed what a restart (Restart=always, RestartSec=0, SIGKILL) sends it, with this script as the
manager: the killed service's stdout stream hangs up; the manager's datagrams "Main process
exited, code=killed, status=9/KILL", "Failed with result 'signal'.", "Scheduled restart job,
restart counter is at K." (with their MESSAGE_IDs, as daemon/journal_link.rs's `entry` words
them); the new process's stream (connect, the 7-line header vouching for unit and invocation);
"Started sI.service." N services' streams are opened first and WARM restarts run with counting
off; then counting goes on (`callgrind_control -i on`) for REPS restarts, each waiting until the
file headers count its entries, then PAUSE s (bench.py's 0.3: the journal's idle trim, after
0.5 s without input, does not run between restarts there either). SIGTERM at the end.
(bench/restart_callgrind.py cannot follow the journal: valgrind's --trace-children loses
argv[0], which picks the binary's personality.)

usage: bench/journald_restart_replay.py VIGIL OUT [N=200] [REPS=20] [WARM=5] [PAUSE=0.3]
  prints journal instructions per restart; OUT/callgrind.out, OUT/callgrind.txt (inclusive)"""
import os, sys, socket, subprocess, time, struct, glob, signal, tempfile, uuid
vigil, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 20
warm = int(sys.argv[5]) if len(sys.argv) > 5 else 5
pause = float(sys.argv[6]) if len(sys.argv) > 6 else 0.3
os.makedirs(out, exist_ok=True)
cg = f'{out}/callgrind.out'
d = tempfile.mkdtemp(prefix='jrnl-rst.')
root = d + '/root'
os.makedirs(root + '/etc/systemd'); os.makedirs(root + '/var/log/journal')
open(root + '/etc/systemd/journald.conf', 'w').write('[Journal]\nStorage=persistent\n')
r, w = os.pipe()
p = subprocess.Popen(['valgrind', '--tool=callgrind', f'--callgrind-out-file={cg}', '--instr-atstart=no',
                      vigil, 'journald', '--root=' + root, '--manager-pid=%d' % os.getpid(), '--ready-fd=%d' % w],
                     pass_fds=[w], stderr=open(f'{out}/journald.log', 'w'))
os.close(w)
assert os.read(r, 100).startswith(b'READY'), 'not ready'
jdir = root + '/run/vigil/journal/'
native = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); native.connect(jdir + 'socket')
def count():
    n = 0
    for f in glob.glob(root + '/var/log/journal/*/*.journal'):
        with open(f, 'rb') as fh:
            n += struct.unpack_from('<Q', fh.read(256), 152)[0]
    return n
def say(unit, priority, message, message_id=None):
    m = f'MESSAGE={unit}: {message}\nPRIORITY={priority}\nSYSLOG_IDENTIFIER=vigil\nUNIT={unit}\n'
    if message_id: m += f'MESSAGE_ID={message_id}\n'
    native.send(m.encode())
def stream(i):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(jdir + 'stdout')
    s.sendall(f's{i}\ns{i}.service {uuid.uuid4().hex}\n6\n0\n0\n0\n0\n'.encode())
    return s
streams = [stream(i) for i in range(n)]
for i in range(n): say(f's{i}.service', 6, f'Started s{i}.service.', '39f53479d3a045ac8e11786248231fbf')
expected = n
restarts = {}
def restart(k):
    global expected
    i = (k * 37) % n; unit = f's{i}.service'
    restarts[i] = restarts.get(i, 0) + 1
    streams[i].close()
    say(unit, 5, 'Main process exited, code=killed, status=9/KILL', '98e322203f7a4ed290d09fe03c09fe15')
    say(unit, 4, "Failed with result 'signal'.", 'd9b373ed55a64feb8242e02dbe79a49c')
    say(unit, 6, f'Scheduled restart job, restart counter is at {restarts[i]}.', '5eb03494b6584870a536b337290809b3')
    streams[i] = stream(i)
    say(unit, 6, f'Started {unit}.', '39f53479d3a045ac8e11786248231fbf')
    expected += 4
    deadline = time.monotonic() + 60
    while count() < expected:
        assert time.monotonic() < deadline, 'timeout'
        time.sleep(0.005)
    time.sleep(pause)
def settle():
    deadline = time.monotonic() + 120
    while count() < expected:
        assert time.monotonic() < deadline, 'timeout'
        time.sleep(0.01)
    time.sleep(1.0)
settle()
for k in range(warm): restart(n + k)
subprocess.run(['callgrind_control', '-i', 'on', str(p.pid)], stdout=subprocess.DEVNULL)
for k in range(reps): restart(k)
subprocess.run(['callgrind_control', '-i', 'off', str(p.pid)], stdout=subprocess.DEVNULL)
p.send_signal(signal.SIGTERM); p.wait()
ann = subprocess.run(['callgrind_annotate', '--inclusive=yes', cg], capture_output=True, text=True).stdout
open(f'{out}/callgrind.txt', 'w').write(ann)
total = next(int(l.split()[0].replace(',', '')) for l in ann.splitlines() if 'PROGRAM TOTALS' in l)
print(f'{total} journal instructions for {reps} restarts: {total // reps} per restart (N={n}); dir {d}')
