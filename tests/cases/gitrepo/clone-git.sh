#!/bin/bash
# A gitRepo volume cloned every way over git://, kept across a restart.
# TIMEOUT: 60
TRANSPORT=git
. "$REPO/tests/lib/gitrepo-clone.sh"
