#!/bin/bash
# TIMEOUT: 60
# A SOURCE directory that cannot be read: its mode 000 (for a daemon without
# CAP_DAC_OVERRIDE), a dangling symlink in its place, a file in its place.
# Each time the daemon logs it once, changes nothing (every pod is served,
# with its data, whatever the manifests said meanwhile), reads SOURCE
# again each second, and once it can, says so and applies what changed. A
# directory put in SOURCE's place is watched in turn: a manifest added to
# it shows without SIGHUP.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"
_require_root
_require_cmd setpriv

emptydir_pod disk ""
emptydir_pod ram Memory
PODVOLFS_WRAPPER="setpriv --bounding-set=-dac_override,-dac_read_search --" \
	_mount_podvolfs "$SRC"
echo disk >"$(vol disk data)/f"
echo ram >"$(vol ram data)/f"

# Both pods serve their data, and no other pod is there.
served() {
	_assert_eq "$(cat "$(vol disk data)/f" "$(vol ram data)/f")" "disk"$'\n'"ram" \
		"the pods' data $1"
	_assert_eq "$(ls "$MNT/default" | tr '\n' ' ')" "disk ram " "the pods $1"
}

# Waits for the log line of a SOURCE that cannot be read with WHY, checks
# it comes once and nothing changes, and allows it.
unreadable() {
	local re="error: $SRC: cannot read: $1; nothing changed"

	_expect_log "$re"
	sleep 1.5
	_assert_eq "$(grep -cE "$re" "$LOGS/podvolfs.log")" 1 "times '$1' is logged"
	served "while SOURCE cannot be read ($1)"
	grep -q '^data ' "$MNT/default/disk/status" || _fail "status: $(cat "$MNT/default/disk/status")"
}

# Waits until SOURCE is read again, for the Nth time.
readable() {
	_wait_for "[ \$(grep -c 'notice: $SRC: can be read again' '$LOGS/podvolfs.log') -ge $1 ]" 5 ||
		_fail "SOURCE is not read again"
}

# mode 000, while a pod is added and another's manifest removed
chmod 000 "$SRC"
emptydir_pod added ""
mv "$SRC/ram.yaml" "$TMPD/"
unreadable "Permission denied"
chmod 755 "$SRC"
readable 1
_wait_for "[ -d '$MNT/default/added' ] && [ ! -e '$MNT/default/ram' ]" 5 ||
	_fail "the changes made meanwhile are not applied: $(ls "$MNT/default")"
rm "$SRC/added.yaml"
mv "$TMPD/ram.yaml" "$SRC/"
_wait_for "[ ! -e '$MNT/default/added' ] && [ -d '$MNT/default/ram' ]" 5 ||
	_fail "the watch does not follow SOURCE again: $(ls "$MNT/default")"
echo ram >"$(vol ram data)/f"

# a dangling symlink in its place
mv "$SRC" "$TMPD/src.away"
ln -s "$TMPD/nowhere" "$SRC"
unreadable "No such file or directory"
rm "$SRC"
mv "$TMPD/src.away" "$SRC"
readable 2
served "once SOURCE is back"

# a file in its place: read as a manifest, it would remove every pod
mv "$SRC" "$TMPD/src.away"
echo "not: [a manifest" >"$SRC"
unreadable "Not a directory"
rm "$SRC"
mv "$TMPD/src.away" "$SRC"
readable 3
served "once SOURCE is a directory again"

# another directory with the same manifests in its place, then a new one
cp -a "$SRC" "$TMPD/src.copy"
mv "$SRC" "$TMPD/src.old"
mv "$TMPD/src.copy" "$SRC"
_expect_log "notice: $SRC: watched for changes again"
served "from a copy of SOURCE"
emptydir_pod new ""
_wait_for "[ -d '$MNT/default/new' ]" 5 || _fail "a manifest added to the new SOURCE does not show"
_umount_podvolfs
