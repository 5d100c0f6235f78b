#!/bin/sh
sleep 300 &
echo $! > @ROOT@/child.tmp && mv @ROOT@/child.tmp @ROOT@/child
echo $$ > @ROOT@/main.tmp && mv @ROOT@/main.tmp @ROOT@/main
sleep 0.2
echo $$ > @ROOT@/f.pid
exec sleep 300
