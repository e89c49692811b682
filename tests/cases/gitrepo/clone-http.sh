#!/bin/bash
# A gitRepo volume cloned every way over smart HTTP, kept across a restart.
# TIMEOUT: 60
TRANSPORT=http
. "$REPO/tests/lib/gitrepo-clone.sh"
