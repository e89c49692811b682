#!/bin/bash
# TIMEOUT: 120
# Every bad fixture gets a clear error naming file, line, column and field,
# and changes nothing: the daemon keeps serving the other pods, and a good
# file that turns bad keeps its pods and their data.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

_allow_log 'error: .*: not applied:'
_allow_log '^[^ ]+:[0-9]+:[0-9]+: '
_allow_log 'error: /'

# Waits up to 10 s for the daemon's log to hold the fixed string $1.
log_has() {
	for _ in $(seq 100); do
		grep -qF -- "$1" "$LOGS/podvolfs.log" && return 0
		sleep 0.1
	done
	return 1
}

fixtures=("$REPO"/tests/fixtures/bad/*.yaml)
[ ${#fixtures[@]} -gt 10 ] || _fail "too few bad fixtures: ${#fixtures[@]}"

emptydir_pod good ""
# Strict: the unknown-field-*.yaml fixtures are refused, as the others
_mount_podvolfs "$SRC" -o field_validation=Strict
echo precious > "$(vol good data)/file"

for f in "${fixtures[@]}"; do
	name=$(basename "$f")
	expect=$(sed -n 's/^# expect: //p' "$f" | head -n 1)
	at=$(sed -n 's/^# at: //p' "$f" | head -n 1)
	[ -n "$expect" ] || _fail "$name has no '# expect:' line"
	cp "$f" "$SRC/$name"
	log_has "$SRC/$name:$at: $expect" ||
		_fail "no error '$SRC/$name:$at: $expect' in the log"
	rm "$SRC/$name"
	_assert_eq "$(cat "$(vol good data)/file")" precious "good pod while $name was there"
done

# A good manifest edited into a bad one: its pod stays, with its data.
uid=$(pod_uid good)
echo "  - bad: [" >>"$SRC/good.yaml"
log_has "good.yaml: not applied" || _fail "no error for good.yaml turned bad"
_assert_eq "$(pod_uid good)" "$uid" "uid of a pod whose file went bad"
_assert_eq "$(cat "$(vol good data)/file")" precious "data of a pod whose file went bad"

# And on restart with the bad file, nothing is deleted either.
_restart_podvolfs
[ -d "$STATE/pods/$uid/volumes/data" ] || _fail "a restart with a bad manifest deleted state"
_umount_podvolfs
