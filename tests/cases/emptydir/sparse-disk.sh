#!/bin/bash
# sizeLimit of a disk emptyDir counts allocated bytes: sparse files as on tmpfs.
# TIMEOUT: 120
MEDIUM=
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/sparse-body.sh"
