#!/bin/bash
# TIMEOUT: 180
KIND=disk
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/stress-body.sh"
