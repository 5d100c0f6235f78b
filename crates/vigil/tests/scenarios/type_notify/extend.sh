#!/bin/sh
# Ready only after 1 s, past TimeoutStartSec=400ms: EXTEND_TIMEOUT_USEC=
# buys 3 s more.
systemd-notify EXTEND_TIMEOUT_USEC=3000000
sleep 1
systemd-notify READY=1
exec sleep 300
