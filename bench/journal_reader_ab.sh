#!/bin/bash
# A/B of the journal reader (issue 5): `vigil logs -D DIR -u UNIT -n 100`
# from two vigil binaries beside the real `journalctl`, on the same files,
# in one run. Per reader and unit: output lines, read system calls and the
# bytes they returned (strace -c / -e), and the hyperfine median.
#
#   bench/journal_reader_ab.sh OLD_VIGIL NEW_VIGIL DIR [UNIT...]
#
# DIR is typically the 10M-entry set of bench/journal.py
# (/var/tmp/vigil-jbench/gen, made by crates/journal/examples/journal_gen).
# Prints one JSON line per (reader, unit). Nothing here asserts a time.
set -euo pipefail
old=$1 new=$2 dir=$3
shift 3
units=("$@")
[ ${#units[@]} -gt 0 ] || units=(svc7.service rare.service)
runs=${RUNS:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "${units[@]}"; do
    for reader in old new journalctl; do
        case $reader in
            old) cmd="$old logs --no-pager -D $dir -u $unit -n 100" ;;
            new) cmd="$new logs --no-pager -D $dir -u $unit -n 100" ;;
            journalctl) cmd="journalctl --no-pager -D $dir -u $unit -n 100" ;;
        esac
        load=$(cut -d' ' -f1 /proc/loadavg)
        lines=$($cmd | wc -l)
        # Read calls and bytes: pread64 for vigil; journalctl maps the files,
        # so its page faults are counted too (minor+major, from /usr/bin/time).
        strace -f -e trace=pread64,read -o "$tmp/trace" $cmd >/dev/null
        calls=$(grep -cE '^[0-9]+ +(pread64|read)\(' "$tmp/trace" || true)
        bytes=$(grep -oE '= [0-9]+$' "$tmp/trace" | awk '{s+=$2} END {print s+0}')
        faults=$( { /usr/bin/time -f '%R %F' $cmd >/dev/null; } 2>&1 | tail -1)
        hyperfine -N --runs "$runs" --warmup 2 --export-json "$tmp/hf.json" "$cmd" >/dev/null 2>&1
        median=$(python3 -c "import json;print(round(json.load(open('$tmp/hf.json'))['results'][0]['median']*1000,2))")
        printf '{"unit":"%s","reader":"%s","lines":%s,"read_calls":%s,"read_bytes":%s,"minor_major_faults":"%s","median_ms":%s,"loadavg":%s}\n' \
            "$unit" "$reader" "$lines" "$calls" "$bytes" "$faults" "$median" "$load"
    done
done
