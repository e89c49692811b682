#!/bin/bash
# The Memory emptyDir case again, its bytes in the daemon's own memory
# (-o memory_medium=daemon) rather than in a private tmpfs.
# TIMEOUT: 300
MEDIUM=Memory
MEMORY_MEDIUM=daemon
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/syscalls-body.sh"
