#!/bin/sh
trap 'printf "hup " >> @ROOT@/sigs' HUP
trap 'printf "term " >> @ROOT@/sigs; exit 0' TERM
echo $$ > @ROOT@/pid.tmp && mv @ROOT@/pid.tmp @ROOT@/pid
while :; do sleep 0.05; done
