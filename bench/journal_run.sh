#!/bin/bash
# The journal group (issue 5; issue 8 item 7): `bench/run journal`.
#
#   bench/run journal                            # full size: 50 x 200k lines, 10M-entry query set
#   JLINES=20000 JENTRIES=10000000 bench/run journal
#   JPARTS=query bench/run journal              # only the -u latency
#
# 1. hyperfine from Debian if missing (idempotent), release builds of
#    vigil and crates/journal/examples/journal_gen;
# 2. bench/journal.py: ingest (vigil and the real systemd-journald in a
#    private namespace) and `journalctl -u X -n 100` (our reader and the
#    real journalctl); JSON lines in bench/results/<date>-journal.jsonl;
# 3. the tables: bench/results/<date>-journal.md.
# Generated data goes to $JBENCH_DATA (default /var/tmp/vigil-jbench), never
# into the repository. Needs root (namespace, cgroups). Not run by CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dpkg -s hyperfine >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine; }
(cd "$repo" && nice cargo build --release -p vigil && nice cargo build --release -p vigil-journal --example journal_gen)
export VIGIL="$repo/target/release/vigil" JOURNAL_GEN="$repo/target/release/examples/journal_gen"
mkdir -p "$here/results"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out="$here/results/$stamp-journal.jsonl"
echo "bench: writing $out" >&2
python3 "$here/journal.py" "$out" --parts "${JPARTS:-ingest,query}" --peers "${JPEERS:-vigil,journald}" \
    --services "${JSERVICES:-50}" --lines "${JLINES:-200000}" --entries "${JENTRIES:-10000000}" \
    --units "${JUNITS:-1000}" --reps "${REPS:-1}" --runs "${JRUNS:-10}"
python3 "$here/journal.py" --render "$out" | tee "$here/results/$stamp-journal.md"
