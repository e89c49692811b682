#!/bin/bash
# TIMEOUT: 60
# gitRepo volumes that cannot be cloned: the kubelet's refusals and
# libgit2's errors in kubelet words (Failed), an unreachable server tried
# again with backoff (Pending, with the next try's time) until it answers,
# and all the while the pod's other volumes served and its containers
# waiting, as the kubelet's do.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git lighttpd pgrep

git_work site
echo hello >"$TMPD/work/site/index.html"
git_commit site one
git_publish site
git_daemon_start
git_http_start
down=$(_free_port)

cat >"$SRC/fails.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: fails
spec:
  containers:
  - name: web
    image: nginx
    volumeMounts:
    - name: down
      mountPath: /srv
    - name: scratch
      mountPath: /tmp
  volumes:
  - name: scratch
    emptyDir: {}
  - name: down
    gitRepo:
      repository: git://127.0.0.1:$down/site.git
  - name: nope-git
    gitRepo:
      repository: git://127.0.0.1:$GIT_PORT/nope.git
  - name: nope-http
    gitRepo:
      repository: http://127.0.0.1:$HTTP_PORT/git/nope.git
  - name: badrev
    gitRepo:
      repository: git://127.0.0.1:$GIT_PORT/site.git
      revision: nope
  - name: dash
    gitRepo:
      repository: --upload-pack=touch $TMPD/marker
  - name: separator
    gitRepo:
      repository: git://127.0.0.1:$GIT_PORT/site.git
      revision: main
      directory: a/b
  - name: scheme
    gitRepo:
      repository: ftp://127.0.0.1/site.git
EOF
_allow_log 'warning: pod default/fails volume "[a-z-]+": '
_mount_podvolfs "$SRC"
s=$MNT/default/fails/status

wait_state fails nope-git Failed
_assert_eq "$(vol_field fails nope-git 6)" \
	"MountVolume.SetUp failed for volume \"nope-git\" : failed to exec 'git clone -- git://127.0.0.1:$GIT_PORT/nope.git': remote error: access denied or repository not exported: /nope.git" \
	"a git:// URL that is no repository"
wait_state fails nope-http Failed
vol_field fails nope-http 6 | grep -q "failed to exec 'git clone -- http://127.0.0.1:$HTTP_PORT/git/nope.git': unexpected http status code: 404" ||
	_fail "an http:// URL that is no repository: $(vol_field fails nope-http 6)"
wait_state fails badrev Failed
_assert_eq "$(vol_field fails badrev 6)" \
	"MountVolume.SetUp failed for volume \"badrev\" : failed to exec 'git checkout nope': revision 'nope' not found" \
	"an unknown revision"
_assert_eq "$(vol_field fails dash 6)" \
	"MountVolume.NewMounter initialization failed for volume \"dash\" : \"--upload-pack=touch $TMPD/marker\" is an invalid value for repository" \
	"an option as repository"
_assert_eq "$(vol_field fails separator 6)" \
	"MountVolume.NewMounter initialization failed for volume \"separator\" : \"a/b\" is not a valid directory, it must not contain a directory separator" \
	"a directory with a separator and a revision"
vol_field fails scheme 6 | grep -q 'repository "ftp://127.0.0.1/site.git" is not a git://, http://, https:// or ssh:// URL' ||
	_fail "an ftp:// URL: $(vol_field fails scheme 6)"

# unreachable: Pending with the next try's time, tried again and again
_wait_for "[ \$(grep -c 'volume \"down\": .*Connection refused; trying again' $LOGS/podvolfs.log) -ge 3 ]" 20 ||
	_fail "no third try: $(grep down "$LOGS/podvolfs.log")"
# (between two tries it is Pending; during one, Preparing)
wait_state fails down Pending
vol_field fails down 6 "$TMPD/snap" | grep -Eq "^next try at [0-9-]{10}T[0-9:]{8}Z: MountVolume.SetUp failed for volume \"down\" : failed to exec 'git clone -- git://127.0.0.1:$down/site.git': failed to connect to 127.0.0.1: Connection refused" ||
	_fail "message of an unreachable volume: $(vol_field fails down 6 "$TMPD/snap")"

# meanwhile the rest of the pod is served; its containers wait
_assert_eq "$(ls "$MNT/default/fails/volumes")" scratch "served volumes"
echo data >"$MNT/default/fails/volumes/scratch/f"
grep -q '^web  *app  *ContainerCreating  *waiting for volume "down" (Pending)' "$TMPD/snap" ||
	_fail "container while a volume is pending: $(cat "$TMPD/snap")"
[ ! -e "$MNT/default/fails/containers/web" ] || _fail "a view before its volume is ready"
[ ! -e "$TMPD/marker" ] || _fail "an option reached git"

# the server comes up: the next try clones, and the containers start
"$(git --exec-path)/git-daemon" --export-all --base-path="$REPOS" --listen=127.0.0.1 \
	--port="$down" --reuseaddr "$REPOS" >>"$TMPD/git-daemon.log" 2>&1 </dev/null &
_at_exit _stop_server "$!"
wait_state fails down Ready 40
_assert_eq "$(cat "$MNT/default/fails/volumes/down/site/index.html")" hello "the volume that healed"
_wait_for "grep -q '^web  *app  *Ready ' $s" 10 || _fail "container after the volume healed: $(cat "$s")"
_assert_eq "$(cat "$MNT/default/fails/containers/web/srv/site/index.html")" hello "the view that waited"
_assert_eq "$(cat "$MNT/default/fails/containers/web/tmp/f")" data "the other view"
_assert_eq "$(git_helpers)" "" "clone processes left"
_umount_podvolfs
