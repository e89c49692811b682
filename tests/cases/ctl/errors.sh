#!/bin/bash
# TIMEOUT: 120
# podvolfs-ctl's errors: an invalid manifest gets the daemon's own
# messages (its field validation included) and leaves SOURCE untouched; a
# SOURCE that is not writable; finding the mount with none given (one
# mount, several); a SOURCE that is one file; help and version.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/ctl.sh"
_require_root

cp "$REPO/examples/fortune.yaml" "$SRC/"
_mount_podvolfs "$SRC" -o field_validation=Strict
_assert_eq "$(json "$MNT/.podvolfs/daemon.json" '(j["source"], j["fieldValidation"])')" \
	"('$(realpath "$SRC")', 'Strict')" "daemon.json"

# the daemon's messages, with file:line:col; SOURCE untouched
cp "$REPO/tests/fixtures/bad/mount-unknown-volume.yaml" "$TMPD/bad.yaml"
before=$(ls -a "$SRC")
status=0
$CTL apply -f "$TMPD/bad.yaml" >"$TMPD/out" 2>"$TMPD/err" || status=$?
_assert_eq "$status" 1 "status of an invalid manifest"
"$PODVOLFS" --check "$TMPD/bad.yaml" 2>"$TMPD/check" >/dev/null || true
_assert_eq "$(sed 's/^error: //' "$TMPD/err")" "$(cat "$TMPD/check")" "the daemon's messages"
grep -q "^error: $TMPD/bad.yaml:[0-9]*:[0-9]*: " "$TMPD/err" || _fail "no file:line:col: $(cat "$TMPD/err")"
_assert_eq "$(cat "$TMPD/out")" "" "nothing applied"
_assert_eq "$(ls -a "$SRC")" "$before" "SOURCE untouched"

# an unknown field: an error under the daemon's Strict, a warning with --validate=warn
web_pod strict >"$TMPD/strict.yaml"
sed -i 's/^  name: strict$/  name: strict\n  colour: red/' "$TMPD/strict.yaml"
status=0
$CTL apply -f "$TMPD/strict.yaml" 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" \
	"1:error: $TMPD/strict.yaml:5:3: unknown field \"metadata.colour\"" "Strict, as the daemon"
[ ! -e "$SRC/strict.yaml" ] || _fail "strict.yaml placed"

# stdin's messages name STDIN
status=0
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n' |
	$CTL apply -f - 2>"$TMPD/err" || status=$?
_assert_eq "$status" 1 "status of an invalid STDIN"
grep -q '^error: STDIN:4:9: metadata.name: Invalid value: "Bad_Name"' "$TMPD/err" || _fail "$(cat "$TMPD/err")"

# a SOURCE that is not writable: a read-only bind mount in a private namespace
web_pod ro >"$TMPD/ro.yaml"
status=0
unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
	exec "$2" --mount "$3" apply -f "$4"' sh "$SRC" "$CTL_BIN" "$MNT" "$TMPD/ro.yaml" \
	>"$TMPD/out" 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" \
	"1:error: unable to write $(realpath "$SRC")/ro.yaml: Read-only file system" "a read-only SOURCE"
status=0
unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
	exec "$2" --mount "$3" delete pod fortune' sh "$SRC" "$CTL_BIN" "$MNT" \
	>"$TMPD/out" 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" \
	"1:error: unable to remove $(realpath "$SRC")/fortune.yaml: Read-only file system" "delete, read-only"
_assert_eq "$(ls -a "$SRC")" "$before" "SOURCE untouched"

# with no --mount: the only podvolfs mount, or an error that lists them
mkdir "$TMPD/src2" "$TMPD/m2"
MNT=$TMPD/m2 _mount_podvolfs "$TMPD/src2"
status=0
"$CTL_BIN" get pods >"$TMPD/out" 2>"$TMPD/err" || status=$?
_assert_eq "$status" 1 "status with several mounts"
grep -q "podvolfs mounts; choose one with --mount" "$TMPD/err" || _fail "$(cat "$TMPD/err")"
grep -qF "  $MNT (SOURCE $(realpath "$SRC"))" "$TMPD/err" || _fail "$MNT not listed: $(cat "$TMPD/err")"
grep -qF "  $TMPD/m2 (SOURCE $TMPD/src2)" "$TMPD/err" || _fail "m2 not listed: $(cat "$TMPD/err")"
# alone in a mount namespace of its own, once the others are detached there
unshare -m sh -c 'findmnt -rn -t fuse.podvolfs -o TARGET | while read -r t; do
		[ "$t" = "$1" ] || umount -l "$t"; done
	exec "$2" get pods -o name' sh "$MNT" "$CTL_BIN" >"$TMPD/out"
_assert_eq "$(cat "$TMPD/out")" "pod/fortune" "the only mount, found"
status=0
$CTL_BIN --mount "$TMPD" get pods 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" "1:error: --mount $TMPD: not a podvolfs mount point" "a wrong --mount"
_umount_podvolfs "$TMPD/m2"

# a SOURCE that is one file: apply and delete edit it in place
_umount_podvolfs
web_pod solo >"$TMPD/one.yaml"
_mount_podvolfs "$TMPD/one.yaml"
web_pod other >"$TMPD/other.yaml"
_assert_eq "$($CTL apply -f "$TMPD/other.yaml")" "pod/other created" "apply into a file SOURCE"
_assert_eq "$(grep -c '^kind: Pod' "$TMPD/one.yaml")" 2 "both pods in the file"
_wait_for "[ -d '$MNT/default/other' ]" || _fail "pod other not in the tree"
_assert_eq "$($CTL delete pod solo)" 'pod "solo" deleted' "delete from a file SOURCE"
_assert_eq "$(grep -c 'name: solo' "$TMPD/one.yaml" || true)" 0 "solo left the file"
_wait_for "[ ! -e '$MNT/default/solo' ]" || _fail "pod solo is still in the tree"

# help and version
$CTL_BIN --help | grep -q '^Usage: podvolfs-ctl' || _fail "--help"
$CTL_BIN help apply | grep -q '^Usage: podvolfs-ctl apply -f' || _fail "help apply"
$CTL_BIN get --help | grep -q '^Usage: podvolfs-ctl get' || _fail "get --help"
_assert_eq "$($CTL_BIN --version)" "podvolfs-ctl $(sed -n 's/^VERSION := //p' "$REPO/Makefile")" "--version"
status=0
$CTL_BIN frobnicate 2>/dev/null || status=$?
_assert_eq "$status" 1 "an unknown command"
status=0
$CTL get pods --bogus 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(head -1 "$TMPD/err")" "1:error: unknown flag: --bogus" "an unknown flag"
_umount_podvolfs
