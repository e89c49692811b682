#!/bin/bash
# TIMEOUT: 180
KIND=hostPath
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/stress-body.sh"
