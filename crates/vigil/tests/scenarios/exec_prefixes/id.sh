#!/bin/sh
# id.sh FILE: write our uid into FILE.
id -u > @ROOT@/out/$1
