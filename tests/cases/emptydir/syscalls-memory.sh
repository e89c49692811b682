#!/bin/bash
# TIMEOUT: 300
MEDIUM=Memory
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/syscalls-body.sh"
