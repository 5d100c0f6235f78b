#!/usr/bin/env bash
# Docker figures for BENCHMARKS.md (issue 9): container boot to "running",
# `docker stop` time, and image size added by the init — vigil beside the
# real systemd 252 in the same kind of container, in one run.
#
# usage: bench/docker.sh [REPS]   (builds/reuses the test images with
#        scripts/docker-image --binary target/release/vigil --oracle)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
scripts/docker-image --binary target/release/vigil --oracle >&2
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # name image opts...
  local name=$1 image=$2; shift 2
  local boots=() stops=()
  for i in $(seq "$reps"); do
    local c="vigil-bench-$name-$$-$i" t0 t1 t2 s
    t0=$(now)
    docker run -d --name "$c" "$@" "$image" >/dev/null
    until s=$(docker exec "$c" systemctl is-system-running 2>/dev/null); [ "$s" = running ] || [ "$s" = degraded ]; do :; done
    t1=$(now)
    docker stop -t 20 "$c" >/dev/null
    t2=$(now)
    docker rm -f "$c" >/dev/null
    boots+=("$(echo "$t1 - $t0" | bc)"); stops+=("$(echo "$t2 - $t1" | bc)")
  done
  printf '| %s | %.2f | %.2f |\n' "$name" "$(median "${boots[@]}")" "$(median "${stops[@]}")"
}
echo "| init (median of $reps) | docker run → is-system-running (s) | docker stop (s) |"
echo "|---|---|---|"
measure vigil vigil-test:latest
measure systemd vigil-test-systemd:bookworm --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock
size() { docker image inspect -f '{{.Size}}' "$1"; }
base=$(size vigil-test-base:bookworm)
printf '\nImage size added to the %.1f MB base: vigil %.1f MB, systemd %.1f MB.\n' \
  "$(echo "$base/1000000" | bc -l)" \
  "$(echo "($(size vigil-test:latest) - $base)/1000000" | bc -l)" \
  "$(echo "($(size vigil-test-systemd:bookworm) - $base)/1000000" | bc -l)"
