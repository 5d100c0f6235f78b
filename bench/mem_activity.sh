#!/bin/bash
# Manager memory after boot AND after some activity: PSS (smaps_rollup) of `vigil daemon`
# and its journal process with N=1000 running units, right after boot (as bench.py and
# bench/mem.sh measure it) and again after 20 is-active + 20 status, 20 SIGKILLed services
# restarted, list-units and show, and once more after 22 s of idle. The second figure
# includes the code that queries and restarts fault back in (src/resident.rs drops
# start-up code pages after boot); the third what is left once the manager has given
# back what its requests brought in (event_loop.rs, release_due).
#
# Usage: bench/mem_activity.sh [VIGIL=target/release/vigil]
#        MEM_ACTIVITY=restarts bench/mem_activity.sh ...   (the 20 restarts only, no control
#        request before the idle: what the manager gives back of work no request asked for)
BIN=$(realpath "${1:-target/release/vigil}"); N=1000; D=$(mktemp -d /tmp/memact.XXXX); U=$D/root/etc/systemd/system; mkdir -p $U/multi-user.target.wants
for ((i=0;i<N;i++)); do printf '[Service]\nExecStart=/bin/sleep infinity\nRestart=always\nRestartSec=0\n[Install]\nWantedBy=multi-user.target\n' > $U/s$i.service; ln -s ../s$i.service $U/multi-user.target.wants/s$i.service; done
$BIN daemon --root=$D/root --boot > $D/log 2>&1 & VP=$!
for i in $(seq 300); do [ $(pgrep -c -P $VP sleep) -ge $N ] && break; sleep 0.1; done
sleep 2.5
pss() { awk '/^Pss:/{print $2}' /proc/$1/smaps_rollup; }
JP=$(pgrep -P $VP -x systemd-journal || pgrep -P $VP | head -1)
echo "after boot: daemon $(pss $VP) journal $(pss $JP)"
requests=$([ "${MEM_ACTIVITY:-}" = restarts ] && echo no || echo yes)
if [ $requests = yes ]; then
  for i in $(seq 20); do $BIN --root=$D/root is-active s$i >/dev/null; $BIN --root=$D/root status s$i >/dev/null; done
fi
for p in $(pgrep -P $VP sleep | head -20); do kill -9 $p; sleep 0.05; done
if [ $requests = yes ]; then $BIN --root=$D/root list-units >/dev/null; $BIN --root=$D/root show s5 >/dev/null; fi
sleep 2
echo "after activity: daemon $(pss $VP) journal $(pss $JP)"
# The manager gives back what the requests brought in once idle 10 s after
# the last one, and what other work ran 10 s after it (event_loop.rs,
# release_due, owe_release_after_work), the journal its code once a
# whole 10 s window passed without input (journald/server.rs, IDLE_CODE_USEC).
sleep 22
echo "after 22 s idle: daemon $(pss $VP) journal $(pss $JP)"
$BIN --root=$D/root exit >/dev/null 2>&1 || kill $VP; wait $VP 2>/dev/null; rm -rf $D
