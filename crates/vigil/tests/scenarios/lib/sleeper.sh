#!/bin/sh
# sleeper.sh [FILE]: write our pid to FILE (default "pid") in the root,
# atomically, then sleep as the same process.
f=@ROOT@/${1:-pid}
echo $$ > $f.tmp && mv $f.tmp $f
exec sleep 300
