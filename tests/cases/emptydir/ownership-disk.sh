#!/bin/bash
# TIMEOUT: 60
MEDIUM=
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/ownership-body.sh"
