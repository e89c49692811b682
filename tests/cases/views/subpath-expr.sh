#!/bin/bash
# TIMEOUT: 60
# subPathExpr: $(VAR) from the container's env values and downward-API
# fieldRefs, $$ escapes; an undefined or empty variable stops the container
# with CreateContainerConfigError "missing value for ..." and no view.
. "$REPO/tests/lib/common.sh"

cat >"$SRC/expr.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: expr
  namespace: team
  labels:
    app: web
spec:
  containers:
  - name: ok
    image: busybox
    env:
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: NS
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: APP
      valueFrom:
        fieldRef:
          fieldPath: metadata.labels['app']
    - name: KIND
      value: logs
    - name: WHERE
      value: $(NS)-$(KIND)
    volumeMounts:
    - {name: data, mountPath: /logs, subPathExpr: $(POD_NAME)/$(KIND)}
    - {name: data, mountPath: /app, subPathExpr: $(APP)/$(WHERE)}
    - {name: data, mountPath: /lit, subPathExpr: lit-$$(KIND)}
  - name: broken
    image: busybox
    env:
    - name: EMPTY
      value: ""
    volumeMounts:
    - {name: data, mountPath: /fine, subPath: fine}
    - {name: data, mountPath: /x, subPathExpr: $(NOPE)/$(EMPTY)/$(ALSO)}
  volumes:
  - name: data
    emptyDir: {}
YAML
_allow_log 'warning: pod team/expr container "broken": CreateContainerConfigError: missing value for ALSO, EMPTY, NOPE'
_mount_podvolfs "$SRC"
pod=$MNT/team/expr
vol=$pod/volumes/data

[ -d "$vol/expr/logs" ] || _fail "subPathExpr from a fieldRef and a value not made: $(ls -R "$vol")"
[ -d "$vol/web/team-logs" ] || _fail "subPathExpr from a label and an expanded value not made: $(ls -R "$vol")"
[ -d "$vol/lit-\$(KIND)" ] || _fail "\$\$ escape: $(ls "$vol")"
echo x >"$pod/containers/ok/logs/f"
_assert_eq "$(cat "$vol/expr/logs/f")" x "write through an expanded subPath"
grep -q '^ok  *  */logs  *data  *expr/logs  *rw  *-$' "$pod/status" ||
	_fail "status line: $(cat "$pod/status")"

grep -q '^broken  *app  *CreateContainerConfigError  *missing value for ALSO, EMPTY, NOPE$' "$pod/status" ||
	_fail "status of the broken container: $(cat "$pod/status")"
_assert_eq "$(ls -A "$pod/containers/broken")" "" "a container that cannot start has no views"
_assert_eq "$(ls "$pod/containers")" "$(printf 'broken\nok')" "containers"
_expect_log 'missing value for ALSO, EMPTY, NOPE'
