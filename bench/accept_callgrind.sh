#!/bin/bash
# bench/accept_callgrind.sh BIN N TAG : run BIN's daemon under callgrind, N connections, exit; print total Ir
BIN=$1; N=$2; TAG=$3; PORT=${PORT:-19980}
D=/tmp/vigil-accept-cg/run-$TAG; rm -rf $D; U=$D/root/etc/systemd/system; mkdir -p $U/sockets.target.wants
cat > $U/benchecho.socket <<E2
[Unit]
Description=bench echo socket
[Socket]
ListenStream=127.0.0.1:$PORT
Accept=yes
MaxConnections=1024
TriggerLimitIntervalSec=0
[Install]
WantedBy=sockets.target
E2
cat > $U/benchecho@.service <<E2
[Unit]
Description=bench echo per connection
[Service]
ExecStart=/bin/echo hello
StandardInput=socket
E2
touch -d '-1 minute' $U/benchecho@.service $U/benchecho.socket
ln -s ../benchecho.socket $U/sockets.target.wants/benchecho.socket
valgrind --tool=callgrind --callgrind-out-file=$D/cg.out --trace-children=no $BIN daemon --root=$D/root --boot >$D/log 2>&1 &
VP=$!
python3 - $PORT $N <<'E3'
import socket,sys,time
port=int(sys.argv[1]); n=int(sys.argv[2])
end=time.time()+120
while True:
    try:
        s=socket.create_connection(('127.0.0.1',port),1); s.recv(64); s.close(); break
    except OSError:
        if time.time()>end: sys.exit('no port')
        time.sleep(0.2)
for i in range(n):
    s=socket.create_connection(('127.0.0.1',port),5)
    d=s.recv(64); s.close()
time.sleep(1)
E3
$BIN --root=$D/root exit >/dev/null 2>&1
wait $VP
grep -m1 "^summary\|^totals" $D/cg.out; echo "log lines: $(wc -l < $D/log)"
