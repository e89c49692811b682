#!/bin/bash
# TIMEOUT: 120
# podvolfs-ctl get in every output format, from the mount's JSON files;
# describe; wait for Ready (met, and timed out on a pod whose claim never
# comes) and for delete.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/ctl.sh"
. "$REPO/tests/lib/pv.sh"

cp "$REPO/examples/fortune.yaml" "$REPO/examples/notes.yaml" "$SRC/"
claim_pod waiting lost false
_mount_podvolfs "$SRC"
_assert_eq "$($CTL wait --for=condition=Ready pod/fortune --timeout=30s)" \
	"pod/fortune condition met" "wait for fortune"
_assert_eq "$($CTL wait --for=condition=Ready pods notes --timeout=30s)" \
	"pod/notes condition met" "wait for notes"

# tables
$CTL get pods >"$TMPD/pods"
_assert_eq "$(head -1 "$TMPD/pods" | tr -s ' ')" "NAME READY STATUS VOLUMES AGE" "pods header"
_assert_eq "$(grep '^fortune ' "$TMPD/pods" | awk '{print $2, $3, $4}')" "2/2 Ready 1/1" "fortune's row"
_assert_eq "$(grep '^waiting ' "$TMPD/pods" | awk '{print $2, $3, $4}')" \
	"0/1 ContainerCreating 0/1" "waiting's row"
_assert_eq "$($CTL get po fortune -o wide | tail -1 | awk '{print $6}')" \
	"$(json "$MNT/default/fortune/status.json" 'j["uid"]')" "-o wide: the UID"
$CTL get pvc >"$TMPD/pvc"
_assert_eq "$(head -1 "$TMPD/pvc" | sed 's/  */ /g')" \
	"NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS AGE" "pvc header"
_assert_eq "$(grep '^notes ' "$TMPD/pvc" | awk '{print $2, $4, $5, $6}')" \
	"Bound 100Mi RWO local-path" "the claim notes"
$CTL get pv >"$TMPD/pv"
_assert_eq "$(head -1 "$TMPD/pv" | sed 's/  */ /g')" \
	"NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS REASON AGE" "pv header"
_assert_eq "$(tail -1 "$TMPD/pv" | awk '{print $2, $3, $4, $5, $6}')" \
	"100Mi RWO Delete Bound default/notes" "the provisioned PV"
$CTL get sc >"$TMPD/sc"
_assert_eq "$(sed 's/  */ /g' "$TMPD/sc")" \
	"NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE
local-path (default) rancher.io/local-path Delete WaitForFirstConsumer false $(tail -1 "$TMPD/sc" | awk '{print $NF}')" "sc"
$CTL get events >"$TMPD/ev"
grep -q 'Normal *ProvisioningSucceeded *persistentvolumeclaim/notes' "$TMPD/ev" ||
	_fail "events: $(cat "$TMPD/ev")"

# -A, -n, names, and nothing found
_assert_eq "$($CTL get pods -A | head -1 | awk '{print $1, $2}')" "NAMESPACE NAME" "-A adds NAMESPACE"
_assert_eq "$($CTL get pods -n nowhere 2>&1)" "No resources found in nowhere namespace." "an empty namespace"
_assert_eq "$($CTL get pods -n nowhere 2>/dev/null)" "" "nothing on stdout"
status=0
$CTL get pod fortune nosuch >"$TMPD/out" 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" '1:Error from server (NotFound): pods "nosuch" not found' "a missing pod"
grep -q '^fortune ' "$TMPD/out" || _fail "the pod found is still listed: $(cat "$TMPD/out")"

# -o name
_assert_eq "$($CTL get pods -o name | sort | tr '\n' ' ')" "pod/fortune pod/notes pod/waiting " "-o name"
_assert_eq "$($CTL get sc -o name)" "storageclass.storage.k8s.io/local-path" "-o name, sc"

# -o json: one object, or a List; the fields of status.json
$CTL get pod fortune -o json >"$TMPD/one.json"
_assert_eq "$(json "$TMPD/one.json" '(j["kind"], j["name"], j["uid"], [v["name"] for v in j["volumes"]])')" \
	"('Pod', 'fortune', '$(json "$MNT/default/fortune/status.json" 'j["uid"]')', ['html'])" "-o json, one pod"
$CTL get pods -o json >"$TMPD/list.json"
_assert_eq "$(json "$TMPD/list.json" '(j["kind"], sorted(i["name"] for i in j["items"]))')" \
	"('List', ['fortune', 'notes', 'waiting'])" "-o json, a List"
_assert_eq "$(json "$TMPD/list.json" '[i["containers"][0]["state"] for i in j["items"] if i["name"] == "waiting"]')" \
	"['ContainerCreating']" "a container's state"
_assert_eq "$($CTL get pvc notes -o json | json - '(j["kind"], j["status"], j["request"], j["accessModes"])')" \
	"('PersistentVolumeClaim', 'Bound', '100Mi', ['ReadWriteOnce'])" "-o json, pvc"
_assert_eq "$($CTL get pv -o json | json - '[(i["claim"]["name"], i["reclaimPolicy"]) for i in j["items"]]')" \
	"[('notes', 'Delete')]" "-o json, pv"
_assert_eq "$($CTL get sc -o json | json - '[(i["name"], i["isDefault"]) for i in j["items"]]')" \
	"[('local-path', True)]" "-o json, sc"
_assert_eq "$($CTL get pods -n nowhere -o json | json - '(j["kind"], j["items"])')" "('List', [])" "an empty List"

# -o yaml: the same object
$CTL get pod fortune -o yaml >"$TMPD/one.yaml"
grep -qx 'kind: Pod' "$TMPD/one.yaml" || _fail "-o yaml: $(cat "$TMPD/one.yaml")"
grep -qx 'name: fortune' "$TMPD/one.yaml" || _fail "-o yaml: $(cat "$TMPD/one.yaml")"
grep -qx '  readOnly: true' "$TMPD/one.yaml" ||
	grep -qx '    readOnly: true' "$TMPD/one.yaml" || _fail "-o yaml mounts: $(cat "$TMPD/one.yaml")"
$CTL get pvc -o yaml >"$TMPD/list.yaml"
grep -qx 'kind: List' "$TMPD/list.yaml" || _fail "-o yaml List: $(cat "$TMPD/list.yaml")"
grep -qx -- '- kind: PersistentVolumeClaim' "$TMPD/list.yaml" || _fail "-o yaml items: $(cat "$TMPD/list.yaml")"

# describe
$CTL describe pod fortune >"$TMPD/d"
grep -q '^Name: *fortune$' "$TMPD/d" || _fail "describe: $(cat "$TMPD/d")"
grep -q '^      /usr/share/nginx/html from html (ro)$' "$TMPD/d" || _fail "describe mounts: $(cat "$TMPD/d")"
grep -q '^    Type: *emptyDir (medium=disk)$' "$TMPD/d" || _fail "describe volumes: $(cat "$TMPD/d")"
$CTL describe pod waiting >"$TMPD/d"
grep -q '^      Reason: *ContainerCreating$' "$TMPD/d" || _fail "describe waiting: $(cat "$TMPD/d")"
grep -q 'persistentvolumeclaim "lost" not found' "$TMPD/d" || _fail "the volume's message: $(cat "$TMPD/d")"
$CTL describe pvc notes >"$TMPD/d"
grep -q '^Used By: *notes$' "$TMPD/d" || _fail "describe pvc: $(cat "$TMPD/d")"
grep -q 'Normal *ProvisioningSucceeded' "$TMPD/d" || _fail "describe pvc events: $(cat "$TMPD/d")"
pv=$(json "$MNT/.podvolfs/persistentvolumes.json" 'j["items"][0]["name"]')
$CTL describe pv "$pv" >"$TMPD/d"
grep -q '^Claim: *default/notes$' "$TMPD/d" || _fail "describe pv: $(cat "$TMPD/d")"
status=0
$CTL describe pod nosuch 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" '1:Error from server (NotFound): pods "nosuch" not found' "describe a missing pod"

# wait: timed out, not found, deleted
status=0
$CTL wait --for=condition=Ready pod/waiting --timeout=1s 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" \
	"1:error: timed out waiting for the condition on pods/waiting" "a pod that is never Ready"
status=0
$CTL wait --for=condition=Ready pod/nosuch 2>"$TMPD/err" || status=$?
_assert_eq "$status:$(cat "$TMPD/err")" '1:Error from server (NotFound): pods "nosuch" not found' "wait for a missing pod"
rm "$SRC/waiting.yaml"
_assert_eq "$($CTL wait --for=delete pod/waiting --timeout=30s)" "pod/waiting condition met" "wait for delete"
[ ! -e "$MNT/default/waiting" ] || _fail "pod waiting is still there"
_umount_podvolfs
