#!/bin/sh
# The parent exits at once; the daemon (double-forked, in its own session)
# writes its PID file 200 ms later, after forking a child of its own.
setsid @ROOT@/daemon.sh &
exit 0
