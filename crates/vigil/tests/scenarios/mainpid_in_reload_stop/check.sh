#!/bin/sh
# check.sh NAME SIGNAL: note whether $MAINPID is the main process, then
# signal it.
if [ "$MAINPID" = "$(cat @ROOT@/pid)" ]; then echo mainpid > @ROOT@/$1; else echo "MAINPID=$MAINPID" > @ROOT@/$1; fi
kill -s $2 "$MAINPID"
