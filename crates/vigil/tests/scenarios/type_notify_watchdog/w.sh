#!/bin/sh
echo "$WATCHDOG_USEC" > @ROOT@/env
systemd-notify READY=1
# Pet the watchdog for 2 s (twice WatchdogSec=), say so, and keep petting
# until told to stop; then hang.
n=0
while [ ! -e @ROOT@/stop-petting ]; do
    systemd-notify WATCHDOG=1
    n=$((n + 1))
    [ $n = 10 ] && touch @ROOT@/petted
    sleep 0.2
done
exec sleep 300
