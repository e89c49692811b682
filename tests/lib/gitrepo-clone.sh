# shellcheck shell=bash
#
# gitrepo-clone.sh - the body of gitrepo/clone-git and gitrepo/clone-http:
# every way of naming what to clone, over TRANSPORT (git or http).
#
# One pod with fsGroup clones the same repositories eight ways: the default
# branch, an annotated tag into ".", a full commit id into "sub", a branch,
# an abbreviated commit id, a repository with a submodule, and the default
# branch into "." and into "a/b" without a revision. Then: its container's view, writes,
# a restart that clones nothing again, and the pod's removal.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git lighttpd pgrep

# site: c1 (tag v1, annotated) <- c2 = main <- c3 = dev
git_work site
mkdir -p "$TMPD/work/site/css"
echo one >"$TMPD/work/site/index.html"
echo 'body {}' >"$TMPD/work/site/css/site.css"
git_commit site c1
git -C "$TMPD/work/site" tag -a v1 -m "release 1"
echo two >"$TMPD/work/site/index.html"
git_commit site c2
git -C "$TMPD/work/site" checkout -q -b dev
echo dev >"$TMPD/work/site/dev.txt"
git_commit site c3
git -C "$TMPD/work/site" checkout -q main
git_publish site
c1=$(git -C "$TMPD/work/site" rev-parse 'v1^{commit}')
c2=$(git -C "$TMPD/work/site" rev-parse main)
c3=$(git -C "$TMPD/work/site" rev-parse dev)

# withsub: a submodule the clone must not fetch
git_work withsub
echo top >"$TMPD/work/withsub/README"
git -C "$TMPD/work/withsub" -c protocol.file.allow=always submodule add -q \
	"$REPOS/site.git" lib >/dev/null
git_commit withsub "with a submodule"
git_publish withsub

if [ "$TRANSPORT" = http ]; then
	git_http_start
	url=http://127.0.0.1:$HTTP_PORT/git
else
	git_daemon_start
	url=git://127.0.0.1:$GIT_PORT
fi

cat >"$SRC/clones.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: clones
spec:
  securityContext:
    fsGroup: 1234
  containers:
  - name: web
    image: nginx
    volumeMounts:
    - name: default
      mountPath: /usr/share/nginx/html
      subPath: site
  volumes:
  - name: default
    gitRepo:
      repository: $url/site.git
  - name: tag
    gitRepo:
      repository: $url/site.git
      revision: v1
      directory: .
  - name: commit
    gitRepo:
      repository: $url/site.git
      revision: "$c1"
      directory: sub
  - name: branch
    gitRepo:
      repository: $url/site.git
      revision: dev
  - name: abbrev
    gitRepo:
      repository: $url/site.git
      revision: "${c3:0:7}"
  - name: submodule
    gitRepo:
      repository: $url/withsub.git
  - name: root
    gitRepo:
      repository: $url/site.git
      directory: .
  - name: deep
    gitRepo:
      repository: $url/site.git
      directory: a/b
EOF
_mount_podvolfs "$SRC"
v=$MNT/default/clones/volumes
for vol in default tag commit branch abbrev submodule root deep; do
	wait_state clones "$vol" Ready
done

# what each volume holds, and what status says it holds
_assert_eq "$(cat "$v/default/site/index.html")" two "default branch"
_assert_eq "$(git -C "$v/default/site" rev-parse --abbrev-ref HEAD)" main "HEAD of the default clone"
_assert_eq "$(vol_field clones default 6)" "at ${c2:0:7} (main)" "status of default"
_assert_eq "$(cat "$v/tag/index.html")" one "annotated tag into ."
[ -d "$v/tag/.git" ] || _fail "no .git in a clone into ."
_assert_eq "$(git -C "$v/tag" rev-parse HEAD)" "$c1" "HEAD of the tag clone"
_assert_eq "$(git -C "$v/tag" status --porcelain)" "" "tag clone after the hard reset"
_assert_eq "$(vol_field clones tag 6)" "at ${c1:0:7} (v1)" "status of tag"
_assert_eq "$(cat "$v/commit/sub/index.html")" one "full commit id into sub"
_assert_eq "$(vol_field clones commit 6)" "at ${c1:0:7}" "status of commit"
_assert_eq "$(cat "$v/branch/site/dev.txt")" dev "branch dev"
_assert_eq "$(vol_field clones branch 6)" "at ${c3:0:7} (dev)" "status of branch"
_assert_eq "$(cat "$v/abbrev/site/dev.txt")" dev "abbreviated commit id"
_assert_eq "$(cat "$v/root/index.html")" two "default branch into ."
_assert_eq "$(cat "$v/deep/a/b/index.html")" two "a directory of two levels, no revision"
[ -f "$v/submodule/withsub/.gitmodules" ] || _fail "no .gitmodules"
_assert_eq "$(ls -A "$v/submodule/withsub/lib")" "" "the submodule was fetched"

# the root is an emptyDir's (fsGroup: 02777, group 1234); with a revision
# the whole tree gets group rw (SPEC 5.3 step 6), without one the files
# only inherit the group through the setgid root, as under the kubelet
for vol in default tag commit; do
	_assert_eq "$(stat -c %a:%g "$v/$vol")" 2777:1234 "root of $vol"
done
_assert_eq "$(stat -c %a:%g "$v/tag/index.html")" 664:1234 "a file of a clone with a revision"
_assert_eq "$(stat -c %a:%g "$v/tag/css")" 2775:1234 "a directory of a clone with a revision"
_assert_eq "$(stat -c %a:%g "$v/default/site/index.html")" 644:1234 "a file of a clone without a revision"

# the container's view waited for its volume and shows the subPath
_assert_eq "$(cat "$MNT/default/clones/containers/web/usr/share/nginx/html/index.html")" two "container view"
grep -q '^web  *app  *Ready ' "$MNT/default/clones/status" || _fail "container: $(cat "$MNT/default/clones/status")"

# writable, like any emptyDir
echo mine >"$v/default/site/mine.txt"
_assert_eq "$(cat "$v/default/site/mine.txt")" mine "a file written into the clone"

# a restart serves the same checkouts at once: nothing is cloned again
uid=$(awk 'NR == 1 { print $4 }' "$MNT/default/clones/status")
before=$(ls "$STATE/pods/$uid/volumes/default")
clones=$(grep -c ' volume "default": .* at ' "$LOGS/podvolfs.log")
_restart_podvolfs
_assert_eq "$(vol_field clones default 3)" Ready "default right after a restart"
_assert_eq "$(cat "$v/default/site/mine.txt")" mine "the pod's file after a restart"
_assert_eq "$(ls "$STATE/pods/$uid/volumes/default")" "$before" "checkouts after a restart"
_assert_eq "$(grep -c ' volume "default": .* at ' "$LOGS/podvolfs.log")" "$clones" "clones after a restart"

# removing the pod deletes its clones
rm "$SRC/clones.yaml"
_wait_for "[ ! -e $MNT/default/clones ]" 10 || _fail "the pod is still there"
_wait_for "[ ! -e $STATE/pods/$uid ]" 10 || _fail "the pod's clones are still in STATE"
_umount_podvolfs
