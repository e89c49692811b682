#!/bin/bash
# TIMEOUT: 180
KIND=Memory
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/stress-body.sh"
