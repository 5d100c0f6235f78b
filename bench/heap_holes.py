#!/usr/bin/python3
"""Replay a bench/heap_trace.c trace up to its mark and say what the
manager's heap holds and where its holes came from.

Usage: heap_holes.py PREFIX BIN   (bench/heap_trace.sh runs it)

PREFIX.trace is the trace, PREFIX.trace.maps the manager's mappings,
PREFIX.cut the trace's size at the mark, PREFIX.heap the [heap] line and
its Rss then. BIN is the traced binary (its symbol table names the sites;
a release build keeps it).

The heap at the mark is rebuilt from the events (chunk sizes as glibc's
request2size: the request plus 8, rounded up to 16, at least 32). A page
is resident when any live chunk touches it (`malloc_trim(3)` gives back
only pages inside free chunks), so "pages with live data" is what the
heap costs; it matches the measured Rss. Every 16-byte granule of those
pages that no live chunk covers is a hole, charged to the allocation that
last held it (or, with HOLES_FIRST=1, the first: the transient that broke
up the heap there, before later ones reused the room). A site is the
first three frames outside the allocator and the standard library;
inlined callers are not seen (the frames are return addresses).

HOLES_DETAIL=TEXT adds the live chunks and holes of sites containing
TEXT with their full chains; HOLES_PROFILE=1 the occupancy of each 128 kB
of heap with its main live sites.
"""
import bisect
import collections
import os
import re
import struct
import subprocess
import sys

REC = struct.Struct('<4Q10Q')  # heap_trace.c's struct event
ALLOC, FREE, REALLOC = 1, 2, 3
G = 16
INTERNAL = re.compile(
    r'^(alloc::|hashbrown::|core::|std::|<alloc|<hashbrown|<std|<core|__rust|__rdl|<T as alloc|<\[T\]|<str as)')


def main():
    pre, binpath = sys.argv[1], sys.argv[2]
    first = bool(os.environ.get('HOLES_FIRST'))
    cut = int(open(pre + '.cut').read())
    heap = open(pre + '.heap').read().split('\n')
    h0, h1 = (int(x, 16) for x in heap[0].split()[0].split('-'))
    rss = heap[1].split()[1] if len(heap) > 1 else '?'

    # Symbols: the binary's load bias from its mapping at offset 0.
    name = os.path.basename(binpath)
    base, ranges = None, []
    for line in open(pre + '.trace.maps'):
        f = line.split()
        if len(f) >= 6 and os.path.basename(f[5]) == name:
            a, b = (int(x, 16) for x in f[0].split('-'))
            ranges.append((a, b))
            if int(f[2], 16) == 0:
                base = a
    syms = []
    nm = subprocess.run(['nm', '-C', '--defined-only', binpath], capture_output=True, text=True).stdout
    for line in nm.splitlines():
        p = line.split(' ', 2)
        if len(p) == 3 and p[1] in 'tTwW':
            syms.append((int(p[0], 16), re.sub(r'::h[0-9a-f]{16}$', '', p[2])))
    syms.sort()
    addrs = [s[0] for s in syms]
    cache = {}

    def sym(a):
        if a not in cache:
            if base is None or not any(x <= a < y for x, y in ranges):
                cache[a] = None
            else:
                i = bisect.bisect_right(addrs, a - base) - 1
                cache[a] = syms[i][1] if i >= 0 else '?'
        return cache[a]

    def site(bt):
        frames = [s for s in (sym(a) for a in bt if a) if s]
        keep = [f for f in frames if not INTERNAL.match(f)]
        return ' <- '.join(keep[:3]) if keep else ' <- '.join(frames[:2])

    def chain(bt):
        return ' <- '.join(sym(a) or hex(a) for a in bt if a)

    # Replay.
    ng = (h1 - h0) // G
    freed = [None] * ng  # granule -> (frames, chunk size) of a freed chunk there
    live = {}

    def paint(ptr, size, bt):
        c = ptr - 16
        if not (h0 <= c < h1) or size > 65536:
            return
        g0 = (c - h0) // G
        for g in range(g0, min(ng, g0 + size // G)):
            if not (first and freed[g]):
                freed[g] = (bt, size)

    data = open(pre + '.trace', 'rb').read(cut)
    for off in range(0, len(data) - REC.size + 1, REC.size):
        r = REC.unpack_from(data, off)
        kind, ptr, size, old, bt = r[0], r[1], r[2], r[3], r[4:]
        if kind == REALLOC and old:
            v = live.pop(old, None)
            if v and ptr != old:
                paint(old, v[0], v[1])
        if kind == FREE:
            v = live.pop(ptr, None)
            if v:
                paint(ptr, v[0], v[1])
        elif ptr:
            live[ptr] = (max(32, (size + 8 + 15) & ~15), bt)

    # Pages and holes.
    npages = (h1 - h0) // 4096
    page_live = [0] * npages
    cover = bytearray(ng)
    in_heap = {p: v for p, v in live.items() if h0 <= p - 16 < h1}
    for p, (size, _) in in_heap.items():
        a, b = p - 8, p - 8 + size  # from its size field to the next one's
        while a < b:
            pg = (a - h0) // 4096
            e = min(b, h0 + (pg + 1) * 4096)
            page_live[pg] += e - a
            a = e
        g0 = (p - 16 - h0) // G
        for g in range(g0, min(ng, g0 + size // G)):
            cover[g] = 1
    used = sum(1 for x in page_live if x)
    print(f'heap {(h1 - h0) // 1024} kB: {len(in_heap)} live chunks, {sum(v[0] for v in in_heap.values())} bytes; '
          f'pages with live data {used} ({used * 4} kB; measured Rss {rss} kB)')
    holes = collections.Counter()
    total = 0
    for g in range(ng):
        if cover[g] or not page_live[g * G // 4096]:
            continue
        total += G
        f = freed[g]
        holes[(site(f[0]), f[1]) if f else ('(never allocated: page tails, alignment)', 0)] += G
    print(f'\nfree bytes in pages with live data: {total}, by the {"first" if first else "last"} '
          f'chunk freed there (site, chunk size):')
    for (s, size), b in holes.most_common(30):
        print(f'{b:9d}  {size:6d}  {s}')
    print('\nlive bytes and chunks by site:')
    by_bytes, by_count = collections.Counter(), collections.Counter()
    for size, bt in in_heap.values():
        s = site(bt)
        by_bytes[s] += size
        by_count[s] += 1
    for s, b in by_bytes.most_common(30):
        print(f'{b:9d} {by_count[s]:6d}  {s}')

    want = os.environ.get('HOLES_DETAIL')
    if want:
        print(f'\nlive chunks of sites naming {want!r}:')
        d = collections.Counter()
        for size, bt in in_heap.values():
            if want in site(bt):
                d[(size, chain(bt))] += 1
        for (size, c), n in d.most_common(12):
            print(f'{n:6d} x {size:5d}  {c}')
        print(f'\nholes of sites naming {want!r}:')
        d = collections.Counter()
        for g in range(ng):
            f = freed[g]
            if not cover[g] and page_live[g * G // 4096] and f and want in site(f[0]):
                d[(f[1], chain(f[0]))] += G
        for (size, c), n in d.most_common(12):
            print(f'{n:8d}  {size:6d}  {c}')

    if os.environ.get('HOLES_PROFILE'):
        print('\nper 128 kB of heap: pages with live data, live kB, main live sites (kB)')
        for i in range(0, npages, 32):
            lo, hi = h0 + i * 4096, h0 + (i + 32) * 4096
            c = collections.Counter()
            for p, (size, bt) in in_heap.items():
                if lo <= p < hi:
                    c[site(bt).split(' <- ')[0]] += size
            pl = page_live[i:i + 32]
            top = ', '.join(f'{s}: {b // 1024}' for s, b in c.most_common(3))
            print(f'{i * 4:6d}k {sum(1 for x in pl if x):3d} {sum(pl) // 1024:4d}  {top}')


if __name__ == '__main__':
    main()
