#!/bin/sh
systemd-notify READY=1 ERRNO=5 "STATUS=disk trouble"
exec sleep 300
