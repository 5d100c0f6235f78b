#!/bin/bash
# bench/accept_cpu.sh BIN N PAR [PORT] : Accept=yes under BIN's `vigil daemon`, N connections
# from PAR client threads (the kit's tcpclient), then the CPU time per connection of the
# manager, of its children (the per-connection services, reaped by it) and of its journald,
# from /proc/PID/stat (utime, stime, cutime, cstime) before and after. CPU time is less
# sensitive to a loaded machine than the rate, but still moves with it: compare builds
# interleaved in one run (bench/accept_callgrind.sh gives instruction counts).
BIN=$1; N=$2; PAR=$3; PORT=${4:-19970}; KIT=${BENCH_DIR:-/tmp/vigil-bench}
D=/tmp/vigil-accept-cpu/$PORT; rm -rf $D; U=$D/root/etc/systemd/system; mkdir -p $U/sockets.target.wants
printf '[Unit]\nDescription=bench echo socket\n[Socket]\nListenStream=127.0.0.1:%s\nAccept=yes\nMaxConnections=1024\nTriggerLimitIntervalSec=0\n[Install]\nWantedBy=sockets.target\n' $PORT > $U/benchecho.socket
printf '[Unit]\nDescription=bench echo per connection\n[Service]\nExecStart=/bin/echo hello\nStandardInput=socket\n' > $U/benchecho@.service
ln -s ../benchecho.socket $U/sockets.target.wants/benchecho.socket
$BIN daemon --root=$D/root --boot > $D/log 2>&1 &
VP=$!
for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
JP=$(pgrep -P $VP | head -1)
t() { awk '{print $14" "$15" "$16" "$17}' /proc/$1/stat; }
a1=$(t $VP); j1=$(t $JP)
$KIT/tcpclient $PORT $N $PAR
a2=$(t $VP); j2=$(t $JP)
python3 - "$a1" "$a2" "$j1" "$j2" $N "$(getconf CLK_TCK)" <<'E2'
import sys
a1, a2, j1, j2 = [list(map(int, x.split())) for x in sys.argv[1:5]]
n, hz = int(sys.argv[5]), int(sys.argv[6])
f = lambda a, b, i: (b[i] - a[i]) * 1000 / hz / n
print('ms/conn: manager user %.3f sys %.3f; children user %.3f sys %.3f; journald user %.3f sys %.3f'
      % (f(a1, a2, 0), f(a1, a2, 1), f(a1, a2, 2), f(a1, a2, 3), f(j1, j2, 0), f(j1, j2, 1)))
E2
echo "manager log lines: $(wc -l < $D/log)"
$BIN --root=$D/root exit >/dev/null 2>&1; wait $VP
