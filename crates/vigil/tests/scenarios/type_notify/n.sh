#!/bin/sh
# Fork the real daemon, hand it over with MAINPID=, report ready, exit.
sleep 300 &
echo $! > @ROOT@/child.tmp && mv @ROOT@/child.tmp @ROOT@/child
systemd-notify "MAINPID=$!" READY=1 "STATUS=handed over"
