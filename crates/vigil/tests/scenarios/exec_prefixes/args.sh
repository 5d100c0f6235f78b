#!/bin/sh
# args.sh FILE ARGS…: write the arguments into FILE, separated by spaces.
f=@ROOT@/out/$1
shift
echo "$*" > $f
