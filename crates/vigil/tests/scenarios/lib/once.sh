#!/bin/sh
# once.sh NAME HOW: the first run of NAME ends as HOW says; later runs
# (the restarts) report ready, pet a watchdog if there is one, and stay up.
if [ -e @ROOT@/ran-$1 ]; then
    systemd-notify READY=1 2>/dev/null
    if [ -n "$WATCHDOG_USEC" ]; then
        while :; do systemd-notify WATCHDOG=1; sleep 0.1; done
    fi
    exec sleep 300
fi
touch @ROOT@/ran-$1
case $2 in
exit-*) exit ${2#exit-} ;;
hang) exec sleep 300 ;;
*) kill -s $2 $$ ;;
esac
