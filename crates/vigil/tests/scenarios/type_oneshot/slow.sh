#!/bin/sh
while [ ! -e @ROOT@/go ]; do sleep 0.05; done
