#!/usr/bin/python3
"""mem_after_use.py BIN [N] : the manager's memory once it has been used, not only after its boot.
Boots N bench services (bench.booted_vigil, default 1000) under BIN, then prints the daemon's PSS
(kB, total and by mapping: the binary's r--p and r-xp mappings, [heap]) 2.5 s after the boot (what
bench.py reports), right after a few control requests (is-active, show -p, status -n0, list-units,
show), and once a second for 15 s of idle after them: a build that gives back what its requests
brought in (`event_loop.rs`, `release_due`) returns to about its boot figure ~10 s after the last
request. Drop the page cache first (`sync; echo 1 > /proc/sys/vm/drop_caches`) to compare builds."""
import os, re, sys, time, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench

binp = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
p, ready, root = bench.booted_vigil(binp, 'vigil_use', n)
time.sleep(2.5)


def pss(pid):
    out, cur = {}, None
    for line in open(f'/proc/{pid}/smaps'):
        if re.match(r'^[0-9a-f]+-[0-9a-f]+ ', line):
            f = line.split()
            path = f[5] if len(f) > 5 else ''
            cur = f[1] if path == binp or path == os.path.realpath(binp) else ('heap' if path == '[heap]' else None)
        elif line.startswith('Pss:') and cur:
            out[cur] = out.get(cur, 0) + int(line.split()[1])
    out['total'] = sum(int(l.split()[1]) for l in open(f'/proc/{pid}/smaps_rollup') if l.startswith('Pss:'))
    return out


print('after boot', pss(root))
v = [binp, f'--root={p.rootdir}']
for c in (['is-active', 's1'], ['show', '-p', 'MainPID', 's1'], ['status', '--no-pager', '-n0', 's1'],
          ['list-units', '--no-pager'], ['show', 's1']):
    subprocess.run(v + c, capture_output=True)
print('after requests', pss(root))
t0 = time.monotonic()
for k in range(15):
    time.sleep(1)
    print(f'idle {k + 1:2d} s', pss(root)['total'])
print('after idle', pss(root))
subprocess.run(v + ['exit'], capture_output=True)
p.proc.wait(30)
