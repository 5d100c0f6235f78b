#!/bin/sh
# post.sh NAME: what ExecStopPost= was told about the run.
echo "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS" > @ROOT@/$1.post
