#!/bin/bash
# The idle daemon's resident heap and anonymous PSS at N services for root
# paths of six lengths, for each binary given: a check that a change to the
# manager's heap holds beyond one layout.
#
# Usage: bench/mem_sweep.sh [N=1000] BIN...   (binaries alternated per length)
#
# Why: the daemon's heap at N=1000 is ~23 live chunks per service with
# ~0.8 MB of holes between them (bench/heap_trace.sh), and which freed chunk
# fits which later request depends on the sizes asked for — among them the
# unit paths, cgroup paths and environments, which grow with the root
# path. bench/mem.sh's root (/tmp/vigil-mem.XXXXXX, 20 characters) is one
# point: in session 12 a change worth -84 and -112 kB of heap at 20 and 21
# characters changed nothing at 22 to 25. The units are bench/mem.sh's; the
# manager settles 2.5 s after the N-th service runs, as there.
set -uo pipefail
. "$(dirname "$(realpath "$0")")/mem_common.sh"
N=1000
if [[ ${1:-} =~ ^[0-9]+$ ]]; then N=$1; shift; fi
for pad in "" x xx xxx xxxx xxxxx; do
    for b in "$@"; do
        bin=$(realpath "$b")
        DIR=$(mktemp -d /tmp/vigil-sw$pad.XXXXXX)
        ROOT=$DIR/root
        mem_units "$ROOT" "$N"
        "$bin" daemon --root="$ROOT" --boot >"$DIR/vigil.log" 2>&1 </dev/null &
        MGR=$!
        mem_wait "$MGR" "$N" || true
        sleep 2.5
        heap=$(awk '/\[heap\]/ {h = 1; next} /^[0-9a-f]+-/ {h = 0} h && /^Rss:/ {print $2}' /proc/$MGR/smaps)
        anon=$(awk '/^Pss_Anon:/ {print $2}' /proc/$MGR/smaps_rollup)
        echo "root path ${#DIR} chars  $b  [heap] $heap kB  Pss_Anon $anon kB  ($(mem_running "$MGR") of $N running)"
        "$bin" --root="$ROOT" exit >/dev/null 2>&1 || kill "$MGR"
        deadline=$((SECONDS + 60))
        while kill -0 "$MGR" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        rm -rf "$DIR"
    done
done
