#!/usr/bin/python3
"""restart_count.py DIR...: per strace file of bench/restart_trace.py (strace mode), the manager's
syscalls, the spawned child's syscalls before execve, and the manager's epoll_waits."""
import sys, re, glob, statistics
# per strace file: manager pid = the one calling clone3; child = clone3 result
def one(f):
    lines = open(f).read().splitlines()
    mgr = None
    for l in lines:
        if 'clone3(' in l: mgr = l.split()[0]; break
    if mgr is None: return None
    child = None
    for l in lines:
        m = re.search(r"clone3 resumed>.*\) = (\d+)$", l) or re.search(r'clone3\(.*\) = (\d+)$', l)
        if m and l.split()[0] == mgr: child = m.group(1); break
    calls = lambda pid: [l for l in lines if l.split()[0] == pid and 'resumed>' not in l and 'epoll_wait(' not in l or (l.split()[0]==pid and 'epoll_wait(' in l and 'resumed' not in l)]
    mg = [l for l in lines if l.split()[0] == mgr and ' <... ' not in l]
    ch = []
    for l in lines:
        if l.split()[0] == child and ' <... ' not in l:
            ch.append(l)
            if 'execve(' in l: break
    wakes = sum(1 for l in mg if 'epoll_wait(' in l)
    return len(mg), len(ch), wakes
for d in sys.argv[1:]:
    r = [x for x in (one(f) for f in sorted(glob.glob(d + '/strace.*'))) if x]
    print(d, 'manager syscalls', [x[0] for x in r], 'child pre-exec', [x[1] for x in r], 'manager epoll_waits', [x[2] for x in r])
