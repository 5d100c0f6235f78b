#!/bin/sh
trap 'echo term > @ROOT@/$1.term; exit 0' TERM
echo $$ > @ROOT@/$1.tmp && mv @ROOT@/$1.tmp @ROOT@/$1
while :; do sleep 0.05; done
