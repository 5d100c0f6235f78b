#!/bin/bash
# Manager memory at N loaded and running units: the PSS of `vigil daemon`
# and of its journal process, as bench/bench.py measures it (smaps_rollup),
# plus where it goes (the largest mappings of each).
#
# Usage: bench/mem.sh [N=1000] [VIGIL=target/release/vigil] [--massif]
#        MEM_JOURNALD_CONF='Key=value' bench/mem.sh ...   (a journald.conf line)
#        MEM_MALLOC_INFO=1 bench/mem.sh ...   (and glibc's view of the daemon's heap)
#
# The unit files are bench.py's `vigil` peer's (Restart=always,
# RestartSec=0, wanted by multi-user.target), with `sleep infinity` as the
# service: a service's own memory is not counted, so the program does not
# matter. The script waits (polling, with a deadline) until N `sleep`
# children run, lets the manager settle 2.5 s as bench.py does, prints the
# figures, then asks the manager to exit.
#
# --massif runs the manager under `valgrind --tool=massif` instead (heap
# profile in $DIR/massif.out, and a detailed snapshot of the idle manager after
# the settle in $DIR/steady.out; read them with ms_print). Valgrind is slow: the
# settle wait is longer and PSS figures of that run mean nothing.
set -euo pipefail
N=${1:-1000}
VIGIL=$(realpath "${2:-target/release/vigil}")
MASSIF=${3:-}
DIR=$(mktemp -d /tmp/vigil-mem.XXXXXX)
ROOT=$DIR/root
. "$(dirname "$(realpath "$0")")/mem_common.sh"
mem_units "$ROOT" "$N"
# A what-if for the journal process: MEM_JOURNALD_CONF='SystemMaxFileSize=8M'
# (the file's size limit sets its data hash table, which the writer mirrors).
if [ -n "${MEM_JOURNALD_CONF:-}" ]; then
    printf '[Journal]\n%s\n' "$MEM_JOURNALD_CONF" >"$ROOT/etc/systemd/journald.conf"
fi

if [ "$MASSIF" = --massif ]; then
    valgrind --tool=massif --pages-as-heap=no --threshold=0.05 --depth=40 --read-inline-info=yes \
        --vgdb=yes --massif-out-file="$DIR/massif.out" \
        "$VIGIL" daemon --root="$ROOT" --boot >"$DIR/vigil.log" 2>&1 </dev/null &
    settle=20
else
    "$VIGIL" daemon --root="$ROOT" --boot >"$DIR/vigil.log" 2>&1 </dev/null &
    settle=2.5
fi
MGR=$!

if ! mem_wait "$MGR" "$N"; then
    echo "only $(mem_running "$MGR") of $N services came up in 300 s; log: $DIR/vigil.log" >&2
    kill "$MGR"; exit 1
fi
sleep "$settle"
# The heap of the idle manager: massif's own last snapshot falls inside the
# exit's stop, so ask for a detailed one now (read it with ms_print, or
# bench/massif_steady.py FILE groups it by allocation site).
if [ "$MASSIF" = --massif ]; then
    vgdb --pid="$MGR" detailed_snapshot "$DIR/steady.out" >/dev/null 2>&1 || echo "vgdb snapshot failed" >&2
fi

total=0
for p in $(mem_tree "$MGR"); do
    comm=$(cat /proc/"$p"/comm 2>/dev/null) || continue
    [ "$comm" = sleep ] && continue
    pss=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup)
    total=$((total + pss))
    echo "== $p $(tr '\0' ' ' </proc/"$p"/cmdline | cut -c1-60): PSS $pss kB, threads $(ls /proc/"$p"/task | wc -l)"
    grep -E '^(Rss|Pss|Pss_Anon|Pss_File|Pss_Shmem|Anonymous):' /proc/"$p"/smaps_rollup | tr -s ' ' | paste -sd' '
    # The largest mappings by PSS.
    awk '/^[0-9a-f]+-[0-9a-f]+ / {name = ($6 == "" ? "[anon " $1 "]" : $6)}
         /^Pss:/ {pss[name] += $2}
         END {for (n in pss) if (pss[n] > 0) printf "%8d kB  %s\n", pss[n], n}' \
        /proc/"$p"/smaps | sort -rn | head -8
done
echo "TOTAL non-service PSS: $total kB ($(awk -v t=$total 'BEGIN {printf "%.1f", t / 1024}') MiB), N=$N"

# MEM_MALLOC_INFO=1: glibc's own account of the daemon's heap, asked through
# gdb after the figures above (attaching touches nothing they count): what
# is in use, and the free chunks by size. Free chunks between live ones stay
# resident (malloc_trim returns only whole free pages), so resident heap
# minus "in use" is what holes cost; the size classes say which allocations
# left them (a class with about one chunk per unit is a per-unit transient).
if [ -n "${MEM_MALLOC_INFO:-}" ]; then
    gdb -p "$MGR" -batch -ex 'call (int)malloc_info(0, (void*)stderr)' >/dev/null 2>&1 || echo "gdb malloc_info failed" >&2
    sed -n '/<malloc version/,/<\/malloc>/p' "$DIR/vigil.log" | awk -v n="$N" '
        /<heap nr="0">/ {h = 1} /<\/heap>/ {h = 0}
        h && /<size from=/ {match($0, /from="[0-9]+"/); f = substr($0, RSTART + 6, RLENGTH - 7)
            match($0, /total="[0-9]+"/); t = substr($0, RSTART + 7, RLENGTH - 8)
            match($0, /count="[0-9]+"/); c = substr($0, RSTART + 7, RLENGTH - 8)
            if (t + 0 >= 8192) printf "  free chunks of %5d B and up: %5d, %7d B (%.2f per unit)\n", f - 1, c, t, c / n}
        h && /<total type="rest"/ {print "  free in bins:", $0}
        h && /<system type="current"/ {print "  heap size:", $0}'
    gdb -p "$MGR" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
    grep -A2 '^Arena 0:' "$DIR/vigil.log" | sed 's/^/  /'
fi

"$VIGIL" --root="$ROOT" exit >/dev/null 2>&1 || kill "$MGR"
deadline=$((SECONDS + 60))
while kill -0 "$MGR" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
if [ "$MASSIF" = --massif ]; then echo "massif profile: $DIR/massif.out, idle snapshot: $DIR/steady.out"; else rm -rf "$DIR"; fi
