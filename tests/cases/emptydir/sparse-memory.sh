#!/bin/bash
# sizeLimit of a memory emptyDir counts allocated bytes: sparse files as on tmpfs.
# TIMEOUT: 120
MEDIUM=Memory
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/sparse-body.sh"
