#!/bin/bash
# TIMEOUT: 120
MEDIUM=
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/sizelimit-body.sh"
