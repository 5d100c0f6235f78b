#!/usr/bin/python3
"""Group a massif detailed snapshot by allocation site.

Usage: massif_steady.py FILE [TOP=60]

FILE is a massif output (bench/mem.sh N BIN --massif leaves the idle
manager's snapshot in $DIR/steady.out). The last detailed snapshot's heap
tree is walked; each leaf's bytes are charged to the first three frames
that are not allocator, hash-table or standard-library internals, and a
hash table's growth is named by its key/value types. Prints the useful
heap and malloc's overhead, then the TOP sites by bytes.
"""
import collections
import re
import sys

NODE = re.compile(r'^( *)n(\d+): (\d+) (.*)$')
# Frames that say where memory is allocated, not who wanted it.
INTERNAL = re.compile(
    r'(library/|/\.cargo/|src/raw/|src/map\.rs|src/set\.rs|src/rustc_entry|'
    r'^(alloc::|hashbrown::|core::|std::|<alloc|<hashbrown|<std|<core|__rust|__rdl|malloc|realloc|calloc))')
TABLE = re.compile(r'reserve<\(([^)]*\)?[^)]*)\), alloc::alloc::Global, hashbrown')


def frame(text):
    text = re.sub(r'^0x[0-9A-F]+: ', '', text)
    return re.sub(r' \(in .*\)$', '', text)


def short(text):
    # Keep the start of the function and its (file:line).
    return re.sub(r'^(.{0,50}).*?(\([^()]*\))$', r'\1 \2', text)


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    lines = open(path).read().split('\n')
    trees = [k for k, l in enumerate(lines) if l.startswith('heap_tree=detailed') or l.startswith('heap_tree=peak')]
    if not trees:
        sys.exit(f'{path}: no detailed snapshot')
    heap = [int(l.split('=')[1]) for l in lines if l.startswith('mem_heap_B=')][-1]
    extra = [int(l.split('=')[1]) for l in lines if l.startswith('mem_heap_extra_B=')][-1]
    print(f'useful heap {heap} B, malloc overhead {extra} B')
    stack, sites = [], collections.Counter()
    for line in lines[trees[-1] + 1:]:
        if line.startswith('snapshot=') or line.startswith('#'):
            break
        m = NODE.match(line)
        if not m:
            continue
        depth, children, size, text = len(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        stack = stack[:depth] + [text]
        if children or not size:
            continue
        frames = [frame(f) for f in stack[1:]]
        table = next((TABLE.search(f) for f in frames if TABLE.search(f)), None)
        name = 'TABLE(' + re.sub(r'[a-z_]+::', '', table.group(1))[:70] + ') ' if table else ''
        k = 0
        while k < len(frames) and INTERNAL.search(frames[k]):
            k += 1
        sites[name + ' <- '.join(short(f) for f in frames[k:k + 3])] += size
    for site, size in sites.most_common(top):
        print(f'{size:9d} {site}')


if __name__ == '__main__':
    main()
