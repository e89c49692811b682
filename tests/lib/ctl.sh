# shellcheck shell=bash
# ctl.sh - what the cases of podvolfs-ctl share.
#
#   CTL                  the client, with --mount $MNT
#   web_pod NAME [PATH]  a Pod "NAME" with one emptyDir "data" mounted at
#                        PATH (default /data) by container "app", on stdout
#   json FILE EXPR       prints the Python expression EXPR over the parsed
#                        FILE (j); FILE - reads standard input
CTL_BIN=$REPO/$BUILD/podvolfs-ctl
CTL="$CTL_BIN --mount $MNT"

web_pod() {
	cat <<EOT
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  containers:
  - name: app
    image: nginx
    volumeMounts:
    - name: data
      mountPath: ${2:-/data}
  volumes:
  - name: data
    emptyDir: {}
EOT
}

json() {
	python3 -c 'import json, sys
j = json.load(sys.stdin if sys.argv[1] == "-" else open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}
