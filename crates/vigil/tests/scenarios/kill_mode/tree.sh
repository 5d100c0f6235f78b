#!/bin/sh
# tree.sh NAME: a main process with a child and a double-forked orphan
# (reparented to the manager, the subreaper). Child and orphan note a
# SIGTERM in NAME-child.term / NAME-orphan.term and exit.
@ROOT@/leaf.sh $1-child &
( @ROOT@/leaf.sh $1-orphan & )
echo $$ > @ROOT@/$1-main.tmp && mv @ROOT@/$1-main.tmp @ROOT@/$1-main
exec sleep 300
