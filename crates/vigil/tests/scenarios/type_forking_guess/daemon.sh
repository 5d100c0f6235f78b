#!/bin/sh
echo $$ > @ROOT@/$1.tmp && mv @ROOT@/$1.tmp @ROOT@/$1
exec sleep 300
