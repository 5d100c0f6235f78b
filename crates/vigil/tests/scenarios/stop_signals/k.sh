#!/bin/sh
trap 'printf "usr1 " >> @ROOT@/sigs; exit 0' USR1
trap 'printf "usr2 " >> @ROOT@/sigs; exit 0' USR2
trap 'printf "term " >> @ROOT@/sigs; exit 0' TERM
echo $$ > @ROOT@/pid.tmp && mv @ROOT@/pid.tmp @ROOT@/pid
while :; do sleep 0.05; done
