#!/bin/bash
# TIMEOUT: 60
# SIGSTOP, then SIGCONT 2 s later, to a daemon under load: writers and
# readers of a disk and a Memory emptyDir and of the status file wait while
# it is stopped, with no error, then go on; every file reads back as
# written.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

emptydir_pod load ""
emptydir_pod ram Memory
_mount_podvolfs "$SRC"
disk=$(vol load data)
ram=$(vol ram data)
status=$MNT/default/load/status
pid=$(_podvolfs_pid)
_at_exit "kill -CONT $pid 2>/dev/null"

# Writes files N into DIR, N = 0, 1, ..., reads each back, and counts
# them in $TMPD/NAME, until $TMPD/stop exists; errors go to $TMPD/errors.
writer() {
	local dir=$1 name=$2 i=0 line

	while [ ! -e "$TMPD/stop" ]; do
		if ! printf '%s %s\n' "$name" "$i" >"$dir/f$i" ||
			! read -r line <"$dir/f$i" || [ "$line" != "$name $i" ]; then
			echo "$name: file $i: '${line:-}'" >>"$TMPD/errors"
			return
		fi
		i=$((i + 1))
		echo "$i" >"$TMPD/$name"
	done
}

# Reads the status file until $TMPD/stop exists, counting in $TMPD/status.
status_reader() {
	local i=0 line

	while [ ! -e "$TMPD/stop" ]; do
		if ! read -r line <"$status" || [ "${line%% *}" != pod ]; then
			echo "status: '${line:-}'" >>"$TMPD/errors"
			return
		fi
		i=$((i + 1))
		echo "$i" >"$TMPD/status"
	done
}

# The count of NAME; 0 before the first, or while the count is rewritten.
count() {
	local n=

	read -r n <"$TMPD/$1" 2>/dev/null || true
	echo "${n:-0}"
}

writer "$disk" disk 2>>"$TMPD/errors" &
w1=$!
writer "$ram" ram 2>>"$TMPD/errors" &
w2=$!
status_reader 2>>"$TMPD/errors" &
r=$!
_wait_for "[ \$(count disk) -ge 10 ] && [ \$(count ram) -ge 10 ] && [ \$(count status) -ge 10 ]" 10 ||
	_fail "the load does not start: $(cat "$TMPD/errors" 2>/dev/null)"

kill -STOP "$pid"
sleep 0.5
before="$(count disk) $(count ram) $(count status)"
sleep 2
_assert_eq "$(count disk) $(count ram) $(count status)" "$before" "progress while the daemon is stopped"
for p in "$w1" "$w2" "$r"; do
	kill -0 "$p" 2>/dev/null || _fail "a caller ended while the daemon was stopped: $(cat "$TMPD/errors" 2>/dev/null)"
done
kill -CONT "$pid"
read -r d0 r0 s0 <<<"$before"
_wait_for "[ \$(count disk) -ge $((d0 + 10)) ] && [ \$(count ram) -ge $((r0 + 10)) ] && [ \$(count status) -ge $((s0 + 10)) ]" 10 ||
	_fail "the load does not go on after SIGCONT: $(cat "$TMPD/errors" 2>/dev/null)"

touch "$TMPD/stop"
wait "$w1" "$w2" "$r"
[ ! -s "$TMPD/errors" ] || _fail "errors under load: $(cat "$TMPD/errors")"
for name in disk ram; do
	dir=$disk
	[ "$name" = disk ] || dir=$ram
	n=$(count "$name")
	for ((i = 0; i < n; i++)); do
		read -r line <"$dir/f$i" && [ "$line" = "$name $i" ] ||
			_fail "$name: file $i reads '$line'"
	done
done
_umount_podvolfs
