#!/bin/bash
# TIMEOUT: 90
# Pods that come and go under the same names while find walks the mount:
# find reports no file system loop and no error but vanished names, and a
# listing of the churning namespace never returns a name, or a directory's
# inode number, twice. A pod directory opened before its pod went lists as
# empty, as a removed directory does on a disk file system: GNU find and du
# of Debian 12 take two directories that lose their names after being
# opened, yet list entries, for a file system loop.
. "$REPO/tests/lib/common.sh"
_require_cmd find

N=400
CHURN_SECONDS=30

# A YAML document: a tiny pod NAME in namespace churn, with one emptyDir.
churn_pod() {
	printf '%s\n' "---" "apiVersion: v1" "kind: Pod" "metadata:" "  name: $1" \
		"  namespace: churn" "spec:" "  containers:" "  - name: app" \
		"    image: busybox" "    volumeMounts:" "    - name: data" \
		"      mountPath: /data" "  volumes:" "  - name: data" \
		"    emptyDir: {}"
}

# Renames a manifest from $TMPD/pods into SOURCE: one event for the watcher,
# which never sees half a file.
publish() {
	cp "$TMPD/pods/$1.yaml" "$TMPD/stage/" && mv "$TMPD/stage/$1.yaml" "$SRC/"
}

mkdir "$TMPD/pods" "$TMPD/stage"
for ((i = 0; i < N; i += 2)); do
	churn_pod "c$i" >>"$TMPD/pods/even.yaml"
	churn_pod "c$((i + 1))" >>"$TMPD/pods/odd.yaml"
done
# keeps the namespace there for the listings
churn_pod anchor >"$TMPD/pods/anchor.yaml"
churn_pod orphan >"$TMPD/pods/orphan.yaml"
publish anchor
_mount_podvolfs "$SRC"
_wait_for "[ -d '$MNT/churn/anchor/volumes/data' ]"

# The pods in the namespace, anchor included.
pods_listed() {
	local n

	n=$(ls "$MNT/churn" | wc -l) && [ "$n" = "$1" ]
}

# Adds the even pods, the odd ones, removes the even ones, the odd ones:
# each step changes one manifest, and starts once the last one's sync is
# done. A manifest removed while a sync reads SOURCE would be an error.
churn() {
	while [ ! -e "$TMPD/stop" ]; do
		publish even && _wait_for "pods_listed $((N / 2 + 1))" 30 &&
			publish odd && _wait_for "pods_listed $((N + 1))" 30 &&
			rm "$SRC/even.yaml" && _wait_for "pods_listed $((N / 2 + 1))" 30 &&
			rm "$SRC/odd.yaml" && _wait_for "pods_listed 1" 30 || return 1
	done
}
churn &
churn_pid=$!
_wait_for "pods_listed $((N + 1))" 30

"$HELPERS/dirents" --seconds "$CHURN_SECONDS" "$MNT/churn" \
	>"$TMPD/dirents.out" 2>"$TMPD/dirents.err" &
dirents_pid=$!

walks=0
end=$((SECONDS + CHURN_SECONDS))
while [ "$SECONDS" -lt "$end" ]; do
	find "$MNT" >/dev/null 2>"$TMPD/find.err" || true
	walks=$((walks + 1))
	if grep -v ": No such file or directory$" "$TMPD/find.err" >"$TMPD/find.bad"; then
		_fail "find, walk $walks: $(head -5 "$TMPD/find.bad")"
	fi
done
wait "$dirents_pid" || _fail "listings of the churning namespace: $(head -5 "$TMPD/dirents.err")"
echo "$walks walks of find; $(cat "$TMPD/dirents.out") of the namespace"
touch "$TMPD/stop"
wait "$churn_pid" || _fail "adding and removing manifests failed"

# Opened, then its pod goes: the open directory lists nothing.
publish orphan
_wait_for "[ -e '$MNT/churn/orphan/status' ]" 30
exec 3<"$MNT/churn/orphan"
_at_exit 'exec 3<&-'
rm "$SRC/orphan.yaml"
_wait_for "[ ! -e '$MNT/churn/orphan' ]" 30
names=$("$HELPERS/dirents" --print --fd 3) || _fail "listing the removed pod's directory"
exec 3<&-
_assert_eq "$names" "" "entries of a removed pod's directory, opened before it went"
_umount_podvolfs
