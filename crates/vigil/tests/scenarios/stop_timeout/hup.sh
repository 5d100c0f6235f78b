#!/bin/sh
trap 'printf "term " >> @ROOT@/sigs' TERM
trap 'printf "hup " >> @ROOT@/sigs; exit 0' HUP
echo $$ > @ROOT@/hup.tmp && mv @ROOT@/hup.tmp @ROOT@/hup
while :; do sleep 0.05; done
