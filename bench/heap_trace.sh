#!/bin/bash
# Where the manager's heap holes come from: runs `vigil daemon` with N
# services (bench/mem.sh's units) under bench/heap_trace.c, and once the
# N services run and the manager has settled, marks the trace (its size
# then) and the [heap] mapping, then asks the manager to exit and prints
# bench/heap_holes.py's report of the heap at the mark.
#
# Usage: bench/heap_trace.sh [N=1000] [VIGIL=target/release/vigil] [OUT=/tmp/heap-trace]
#        HOLES_FIRST=1 ...   (holes by their first occupant, see heap_holes.py)
#        HOLES_DETAIL=TEXT ... (full call chains of the sites naming TEXT)
#        HOLES_PROFILE=1 ...  (occupancy per 128 kB of heap)
#
# The shim writes ~110 bytes per malloc call (~50 MB for N=1000) and does
# not move anything in the heap: the traced manager's [heap] Rss is the
# untraced one's (`bench/mem.sh`), and heap_holes.py's count of pages
# holding live data matches that Rss to a page or two.
set -euo pipefail
N=${1:-1000}
VIGIL=$(realpath "${2:-target/release/vigil}")
OUT=${3:-/tmp/heap-trace}
HERE=$(dirname "$(realpath "$0")")
SO=$OUT.so
gcc -O2 -shared -fPIC -o "$SO" "$HERE/heap_trace.c"
# A root path as long as bench/mem.sh's: the heap's layout depends on the
# lengths of the names and paths it holds (bench/mem_sweep.sh).
DIR=$(mktemp -d /tmp/vigil-hpt.XXXXXX)
ROOT=$DIR/root
. "$HERE/mem_common.sh"
mem_units "$ROOT" "$N"
LD_PRELOAD=$SO HEAP_TRACE=$OUT.trace "$VIGIL" daemon --root="$ROOT" --boot >"$DIR/vigil.log" 2>&1 </dev/null &
MGR=$!
if ! mem_wait "$MGR" "$N"; then
    echo "only $(mem_running "$MGR") of $N services came up in 300 s; log: $DIR/vigil.log" >&2
    kill "$MGR"; exit 1
fi
# As bench/mem.sh (2.5 s), with room for the shim's writes.
sleep 4
stat -c %s "$OUT.trace" >"$OUT.cut"
awk '/\[heap\]/ {h = 1; print; next} /^[0-9a-f]+-/ {h = 0} h && /^Rss:/ {print}' /proc/$MGR/smaps >"$OUT.heap"
"$VIGIL" --root="$ROOT" exit >/dev/null 2>&1 || kill "$MGR"
deadline=$((SECONDS + 60))
while kill -0 "$MGR" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
rm -rf "$DIR"
python3 "$HERE/heap_holes.py" "$OUT" "$VIGIL"
