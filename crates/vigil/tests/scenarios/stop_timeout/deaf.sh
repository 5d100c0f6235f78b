#!/bin/sh
# deaf.sh NAME: ignore SIGTERM; note SIGUSR1 (a FinalKillSignal=) and exit.
trap '' TERM
trap 'echo usr1 > @ROOT@/$1.final; exit 0' USR1
echo $$ > @ROOT@/$1.tmp && mv @ROOT@/$1.tmp @ROOT@/$1
while :; do sleep 0.05; done
