#!/bin/bash
# TIMEOUT: 60
# A clone that takes seconds: the volume is Preparing with libgit2's
# transfer progress in status, it has no directory and its container
# waits, the pod's other volume and another pod are served meanwhile; then
# it is Ready with every byte of the repository.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git pgrep sha256sum

git_big big 4
git_daemon_start
git_proxy_start "$GIT_PORT" --rate 600000

cat >"$SRC/slow.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: slow
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: repo
      mountPath: /repo
  volumes:
  - name: repo
    gitRepo:
      repository: git://127.0.0.1:$PROXY_PORT/big.git
  - name: scratch
    emptyDir: {}
---
apiVersion: v1
kind: Pod
metadata:
  name: other
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: data
    emptyDir: {}
EOF2
_mount_podvolfs "$SRC"
s=$MNT/default/slow/status
_wait_for "grep -q '^repo .* Preparing .*% objects' $s" 20 || _fail "no progress: $(cat "$s")"

# watch it: the percentages and bytes must move while it runs
seen=()
while cat "$s" >"$TMPD/status" && [ "$(vol_field slow repo 3 "$TMPD/status")" = Preparing ]; do
	msg=$(vol_field slow repo 6 "$TMPD/status")
	case $msg in
	"cloning git://127.0.0.1:$PROXY_PORT/big.git: "*"% objects ("*"), "*iB | \
	"cloning git://127.0.0.1:$PROXY_PORT/big.git: "*"% objects ("*"), "*" B") ;;
	"cloning git://127.0.0.1:$PROXY_PORT/big.git"*) ;;
	*) _fail "progress message: $msg" ;;
	esac
	[[ $msg == *"% objects"* ]] && [[ " ${seen[*]} " != *" ${msg##*: } "* ]] && seen+=("${msg##*: }")
	if [ ${#seen[@]} -eq 2 ]; then
		# while it clones: no directory, a waiting container, the rest served
		[ ! -e "$MNT/default/slow/volumes/repo" ] || _fail "a directory while cloning"
		grep -q '^app  *app  *ContainerCreating  *waiting for volume "repo" (Preparing)' "$TMPD/status" ||
			_fail "container while cloning: $(cat "$TMPD/status")"
		grep -q '^app  */repo  *repo  .*waiting for volume "repo" (Preparing)' "$TMPD/status" ||
			_fail "mount while cloning: $(cat "$TMPD/status")"
		echo x >"$MNT/default/slow/volumes/scratch/x"
		echo y >"$MNT/default/other/volumes/data/y"
		_assert_eq "$(cat "$MNT/default/other/volumes/data/y")" y "another pod while cloning"
	fi
	sleep 0.2
done
printf "progress seen: %s\n" "${seen[@]}"
[ ${#seen[@]} -ge 3 ] || _fail "too few progress messages: ${seen[*]}"
wait_state slow repo Ready
(cd "$TMPD/work/big" && sha256sum data/* README) >"$TMPD/want"
(cd "$MNT/default/slow/volumes/repo/big" && sha256sum data/* README) >"$TMPD/got"
cmp "$TMPD/want" "$TMPD/got" || _fail "the clone differs from the repository"
_assert_eq "$(cat "$MNT/default/slow/containers/app/repo/big/README")" big "the container's view"
_umount_podvolfs
