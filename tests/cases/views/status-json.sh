#!/bin/bash
# TIMEOUT: 120
# status.json says what status says, for programs: every pod has one, it
# parses as JSON, and its fields follow the volumes and containers as they
# change (a volume waiting for its claim, then Ready); the .podvolfs/*.json
# twins list the PVs, claims, classes and events with the same values as
# the tables.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

cp "$REPO/examples/fortune.yaml" "$SRC/"
claim_pod app data true
_mount_podvolfs "$SRC" -o memory_limit=64Mi

# json FILE EXPR: prints the Python expression EXPR over the parsed FILE (j).
json() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

f=$MNT/default/fortune/status.json
_assert_eq "$(json "$f" 'j["uid"]')" "$(pod_uid fortune)" "uid"
_assert_eq "$(json "$f" '[(v["name"], v["type"], v["detail"], v["state"]) for v in j["volumes"]]')" \
	"[('html', 'emptyDir', 'medium=disk', 'Ready')]" "volumes"
_assert_eq "$(json "$f" '[(c["name"], c["init"], c["state"]) for c in j["containers"]]')" \
	"[('html-generator', False, 'Ready'), ('web-server', False, 'Ready')]" "containers"
_assert_eq "$(json "$f" '[(m["mountPath"], m["readOnly"]) for m in j["containers"][1]["mounts"]]')" \
	"[('/usr/share/nginx/html', True)]" "web-server's mounts"

# a claim volume, Pending with the reason, then Ready once its PV comes
a=$MNT/default/app/status.json
_assert_eq "$(json "$a" 'j["volumes"][0]["state"]')" Pending "a claim volume without its claim"
json "$a" 'j["volumes"][0]["message"]' | grep -q 'persistentvolumeclaim "data" not found' ||
	_fail "the claim volume's message: $(cat "$a")"
_assert_eq "$(json "$a" 'j["containers"][0]["state"]')" ContainerCreating "a waiting container"
pvc data 1Gi ReadWriteOnce ""
pv_hostpath disk 2Gi ReadWriteOnce Retain "$TMPD/disk"
wait_state app data Ready
_assert_eq "$(json "$a" '(j["volumes"][0]["state"], j["volumes"][0]["detail"])')" \
	"('Ready', 'claim=data')" "the claim volume once bound"
_assert_eq "$(json "$a" 'j["containers"][0]["mounts"][0]["readOnly"]')" True "readOnly claim reference"

p=$MNT/.podvolfs
_assert_eq "$(json "$p/persistentvolumes.json" '[(i["name"], i["capacity"], i["accessModes"], i["status"], i["claim"]["name"], i["source"]["type"]) for i in j["items"]]')" \
	"[('disk', '2Gi', ['ReadWriteOnce'], 'Bound', 'data', 'hostPath')]" "persistentvolumes.json"
_assert_eq "$(json "$p/persistentvolumeclaims.json" '[(i["namespace"], i["name"], i["status"], i["volume"], i["capacity"], i["request"]) for i in j["items"]]')" \
	"[('default', 'data', 'Bound', 'disk', '2Gi', '1Gi')]" "persistentvolumeclaims.json"
_assert_eq "$(json "$p/persistentvolumeclaims.json" 'j["items"][0]["uid"]')" \
	"$(json "$p/persistentvolumes.json" 'j["items"][0]["claim"]["uid"]')" "the binding's uid on both sides"
_assert_eq "$(json "$p/storageclasses.json" 'j["items"]')" "[]" "storageclasses.json without classes"
pvc lost 1Gi ReadWriteOnce nosuchclass
_allow_log 'ProvisioningFailed: storageclass.storage.k8s.io "nosuchclass" not found'
_wait_for "grep -q ProvisioningFailed '$p/events.json'" 10 || _fail "events.json: $(cat "$p/events.json")"
_assert_eq "$(json "$p/events.json" '[(i["type"], i["object"], i["message"]) for i in j["items"] if i["reason"] == "ProvisioningFailed"]')" \
	"[('Warning', 'persistentvolumeclaim/default/lost', 'storageclass.storage.k8s.io \"nosuchclass\" not found')]" "events.json"
_umount_podvolfs
