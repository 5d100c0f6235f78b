#!/bin/bash
# bench/accept_busy.sh PORT N PAR : the whole machine's CPU per connection while the kit's
# tcpclient makes N connections from PAR client threads to 127.0.0.1:PORT (any server: the
# kit's forkserver, xinetd, a vigil Accept=yes socket), from /proc/stat: busy (user, nice,
# system, irq, softirq, steal) and idle (idle + iowait) ms per connection, summed over the
# CPUs. Unlike per-process accounting (bench/accept_cpu.sh), nothing is lost to processes
# too short-lived for the tick to see, and the idle part shows how far the CPUs were
# saturated: a server whose rate is bound by its own serial path leaves CPUs idle.
PORT=$1; N=$2; PAR=$3; KIT=${BENCH_DIR:-/tmp/vigil-bench}
s() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
a=$(s); "$KIT/tcpclient" "$PORT" "$N" "$PAR"; b=$(s)
python3 - "$a" "$b" "$N" "$(getconf CLK_TCK)" <<'E2'
import sys
a, b = [list(map(int, x.split())) for x in sys.argv[1:3]]
n, hz = int(sys.argv[3]), int(sys.argv[4])
print('ms/conn, all CPUs: busy %.3f idle %.3f' % ((b[0] - a[0]) * 1000 / hz / n, (b[1] - a[1]) * 1000 / hz / n))
E2
