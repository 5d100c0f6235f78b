#!/bin/sh
# Alternated A/B of stop-all for N services: ROUNDS x (A, B), each a fresh
# `bench/profile.py OUT N --tool wall` run (start N, then `vigil exit`, clock
# until every service pid is gone). One line per run: round, side, loadavg,
# profile.py's result. Wall times on a loaded machine are noisy: compare
# medians of alternated rounds, next to instruction counts
# (`profile.py ... --tool callgrind --phase stop`).
#
# usage: bench/stop_ab.sh A_BIN B_BIN [ROUNDS=5] [N=1000]
set -e
here=$(cd "$(dirname "$0")" && pwd)
a=$1; b=$2; rounds=${3:-5}; n=${4:-1000}
for r in $(seq 1 "$rounds"); do
  for side in A B; do
    if [ $side = A ]; then bin=$a; else bin=$b; fi
    out=$(VIGIL=$bin python3 "$here/profile.py" "/tmp/stop-ab-$side" "$n" --tool wall 2>&1 | grep '^wall/')
    echo "$r $side $(cut -d' ' -f1-3 /proc/loadavg) $out"
  done
done
