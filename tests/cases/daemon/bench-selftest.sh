#!/bin/bash
# TIMEOUT: 360
# The benchmark harness runs end to end so that it cannot rot: every system
# mounts, every workload runs once at tiny sizes, the tables come out, and
# nothing stays mounted or running. No timing is asserted (bench/run
# --selftest checks the harness; make check has installed its tools).
. "$REPO/tests/lib/common.sh"
_require_root
_require_fuse

status=0
BUILD=$BUILD "$REPO/bench/run" --selftest --dir "$TMPD" >"$TMPD/report.md" 2>"$LOGS/bench.err" ||
	status=$?
[ "$status" = 0 ] || { cat "$LOGS/bench.err" >&2; _fail "bench/run --selftest exited with $status"; }
grep -q '^| seq write, 1 MiB blocks' "$TMPD/report.md" || _fail "no table in the report"
! grep -qF " $TMPD/" /proc/self/mountinfo || _fail "something is still mounted under $TMPD"
