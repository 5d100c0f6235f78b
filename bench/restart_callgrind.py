#!/usr/bin/python3
"""restart_callgrind.py BIN OUT [N=200] [REPS=20] : the manager's instructions per restart. Boots N
bench services (bench.py's `vigil` peer: Restart=always, RestartSec=0) under BIN in
`valgrind --tool=callgrind` with counting off, switches it on (`callgrind_control -i on`), SIGKILLs
REPS services one by one (each time waiting for the replacement's ready datagram, then 0.3 s, as
bench.py does), switches it off and dumps. Prints instructions per restart; the report (inclusive)
is OUT/callgrind.txt. Under valgrind clone3 is refused and the manager forks instead."""
import os, sys, time, shutil, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
binp, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 20
os.makedirs(out, exist_ok=True); os.makedirs(bench.RUN, exist_ok=True)
ready = bench.Ready()
p = type('Probe', (bench.Vigil,), {'bin': binp, 'name': 'vigil_rcg'})(n)
if os.path.exists(p.dir): shutil.rmtree(p.dir)
p.setup()
cg = f'{out}/callgrind.out'
proc = subprocess.Popen(['valgrind', '--tool=callgrind', f'--callgrind-out-file={cg}', '--instr-atstart=no', '--',
                         binp, 'daemon', f'--root={p.rootdir}', '--boot'],
                        stdout=open(f'{out}/vigil.log', 'w'), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
assert ready.wait_n(n, 300) is not None
time.sleep(3)
subprocess.run(['callgrind_control', '-i', 'on', str(proc.pid)], stdout=subprocess.DEVNULL)
bench.sigkill_restarts(ready, n, reps)
subprocess.run(['callgrind_control', '-i', 'off', str(proc.pid)], stdout=subprocess.DEVNULL)
subprocess.run([binp, f'--root={p.rootdir}', 'exit'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
proc.wait(600); bench.reap()
ann = subprocess.run(['callgrind_annotate', '--inclusive=yes', cg], capture_output=True, text=True).stdout
open(f'{out}/callgrind.txt', 'w').write(ann)
total = next(int(l.split()[0].replace(',', '')) for l in ann.splitlines() if 'PROGRAM TOTALS' in l)
print(f'{total} instructions for {reps} restarts: {total // reps} per restart (N={n}); report {out}/callgrind.txt')
