#!/bin/bash
# TIMEOUT: 120
# podvolfs-ctl apply places manifests into SOURCE and says created,
# configured or unchanged per object; the daemon picks them up; an object
# applied from another file moves there; delete, by file and by name,
# takes documents out of SOURCE and the pods leave the tree.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/ctl.sh"

cp "$REPO/examples/fortune.yaml" "$SRC/"
_mount_podvolfs "$SRC"

web_pod web >"$TMPD/web.yaml"
_assert_eq "$($CTL apply -f "$TMPD/web.yaml")" "pod/web created" "first apply"
_assert_eq "$(cat "$SRC/web.yaml")" "$(cat "$TMPD/web.yaml")" "SOURCE/web.yaml"
_wait_for "[ -d '$MNT/default/web/volumes/data' ]" || _fail "pod web not in the tree"
_assert_eq "$($CTL apply -f "$TMPD/web.yaml")" "pod/web unchanged" "same manifest again"
ls -a "$SRC" | grep -q '^\.web' && _fail "a temporary file is left: $(ls -a "$SRC")"
uid=$(json "$MNT/default/web/status.json" 'j["uid"]')
web_pod web /srv >"$TMPD/web.yaml"
_assert_eq "$($CTL apply -f "$TMPD/web.yaml")" "pod/web configured" "an edited manifest"
_wait_for "[ \"\$(json '$MNT/default/web/status.json' 'j[\"uid\"]')\" != $uid ]" ||
	_fail "the daemon kept the old pod web"
_assert_eq "$(json "$MNT/default/web/status.json" 'j["containers"][0]["mounts"][0]["mountPath"]')" \
	/srv "the new mountPath"

# standard input: a file named after its first object
web_pod piped | $CTL apply -f - >"$TMPD/out"
_assert_eq "$(cat "$TMPD/out")" "pod/piped created" "apply -f -"
[ -f "$SRC/pod-piped.yaml" ] || _fail "no SOURCE/pod-piped.yaml: $(ls "$SRC")"

# an object defined in another file moves; the other objects stay there
{ web_pod one; echo ---; web_pod two; } >"$SRC/pair.yaml"
_wait_for "[ -d '$MNT/default/two' ]" || _fail "pod two not in the tree"
web_pod two /other >"$TMPD/two.yaml"
_assert_eq "$($CTL apply -f "$TMPD/two.yaml")" "pod/two configured" "a moved object"
_assert_eq "$(grep -c 'name: two' "$SRC/pair.yaml" || true)" 0 "pod two left pair.yaml"
grep -q 'name: one' "$SRC/pair.yaml" || _fail "pod one went with it: $(cat "$SRC/pair.yaml")"
_assert_eq "$(grep -c 'name: two' "$SRC/two.yaml")" 1 "pod two in two.yaml"

# a directory applies each manifest in it
mkdir "$TMPD/dir"
web_pod d1 >"$TMPD/dir/d1.yaml"
web_pod d2 >"$TMPD/dir/d2.yml"
echo ignored >"$TMPD/dir/notes.txt"
_assert_eq "$($CTL apply -f "$TMPD/dir" | sort | tr '\n' ' ')" \
	"pod/d1 created pod/d2 created " "apply -f DIR"
_wait_for "[ -d '$MNT/default/d2' ]" || _fail "pod d2 not in the tree"

# delete by name: a file with one object goes, one with more is rewritten
_assert_eq "$($CTL delete pod d1)" 'pod "d1" deleted' "delete pod d1"
[ ! -e "$SRC/d1.yaml" ] || _fail "d1.yaml is still there"
_assert_eq "$($CTL delete po/one)" 'pod "one" deleted' "delete po/one"
[ ! -e "$SRC/pair.yaml" ] || _fail "pair.yaml, now empty, is still there: $(cat "$SRC/pair.yaml")"
_wait_for "[ ! -e '$MNT/default/d1' ] && [ ! -e '$MNT/default/one' ]" ||
	_fail "deleted pods are still in the tree: $(ls "$MNT/default")"
{ web_pod p1; echo ---; web_pod p2; } >"$SRC/p.yaml"
_assert_eq "$($CTL delete pods p2)" 'pod "p2" deleted' "delete one of two"
grep -q 'name: p1' "$SRC/p.yaml" || _fail "p1 went too"
grep -q 'name: p2' "$SRC/p.yaml" && _fail "p2 is still in p.yaml"

# delete -f: every object of the file
_assert_eq "$($CTL delete -f "$TMPD/web.yaml")" 'pod "web" deleted' "delete -f"
_wait_for "[ ! -e '$MNT/default/web' ]" || _fail "pod web is still in the tree"
[ ! -e "$SRC/web.yaml" ] || _fail "web.yaml is still there"

# missing objects: kubectl's NotFound, status 1
status=0
$CTL delete pod web 2>"$TMPD/err" || status=$?
_assert_eq "$status" 1 "status of deleting a missing pod"
_assert_eq "$(cat "$TMPD/err")" 'Error from server (NotFound): pods "web" not found' "its message"
status=0
$CTL delete pvc nothing -n other 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" \
	'1:Error from server (NotFound): persistentvolumeclaims "nothing" not found' "a missing claim"
status=0
$CTL delete nosuchkind x 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" \
	"1:error: the server doesn't have a resource type \"nosuchkind\"" "an unknown type"

# a Deployment's replica has no document of its own
cp "$REPO/examples/cache.yaml" "$SRC/"
_wait_for "ls '$MNT/demo' | grep -q cache-" || _fail "no replicas of cache"
replica=$(ls "$MNT/demo" | head -1)
status=0
$CTL delete pod "$replica" -n demo 2>"$TMPD/err" || status=$?
_assert_eq "$status" 1 "status of deleting a replica"
grep -q "is made by Deployment \"cache\" of SOURCE" "$TMPD/err" || _fail "$(cat "$TMPD/err")"
_assert_eq "$($CTL delete deploy cache -n demo)" 'deployment.apps "cache" deleted' "delete deploy"
_wait_for "[ -z \"\$(ls '$MNT/demo' 2>/dev/null)\" ]" || _fail "replicas stay: $(ls "$MNT/demo")"
_umount_podvolfs
