#!/bin/bash
# TIMEOUT: 60
KIND=Memory
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/rename-churn-body.sh"
