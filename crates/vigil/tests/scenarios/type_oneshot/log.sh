#!/bin/sh
printf '%s ' "$1" >> @ROOT@/log
