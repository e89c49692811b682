#!/bin/bash
# TIMEOUT: 60
# Nothing a repository or any git configuration names ever runs: not the
# filter driver its .gitattributes asks for, not the hooks, fsmonitor,
# credential helper or ssh command of the daemon's own ~/.gitconfig, not
# the hooks the pod plants in its clone; the host's url.insteadOf is not
# followed. Local repositories (a path, file://) are refused unless the
# daemon runs with -o allow_local_git, and then never hard-linked.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git lighttpd pgrep sha256sum

marks=$TMPD/markers
mkdir -p "$marks" "$TMPD/evilhooks"
# a program that leaves a marker named $1 and passes its input through
for m in post-checkout post-merge reference-transaction fsmonitor filter credential ssh; do
	printf '#!/bin/sh\ntouch "%s/%s"\ncat\n' "$marks" "$m" >"$TMPD/evilhooks/$m"
	chmod +x "$TMPD/evilhooks/$m"
done

# the repository: a filter driver for every file, a committed hook dir
git_work evil
printf '* filter=evil\n*.txt ident\n' >"$TMPD/work/evil/.gitattributes"
printf 'hello $Id$\n' >"$TMPD/work/evil/hello.txt"
head -c 4096 /dev/urandom >"$TMPD/work/evil/blob.bin"
mkdir "$TMPD/work/evil/.githooks"
cp "$TMPD/evilhooks/post-checkout" "$TMPD/work/evil/.githooks/"
git -C "$TMPD/work/evil" -c filter.evil.clean=cat add -A
git -C "$TMPD/work/evil" commit -q -m evil
git_publish evil
git -C "$REPOS/evil.git" config filter.evil.smudge "$TMPD/evilhooks/filter"
cp "$TMPD/evilhooks/post-checkout" "$REPOS/evil.git/hooks/"
# what url.insteadOf would fetch instead
git_work decoy
echo decoy >"$TMPD/work/decoy/decoy.txt"
git_commit decoy decoy
git_publish decoy
git_daemon_start
git_http_start

# the daemon's own configuration asks for all of it
evilhome=$TMPD/evilhome
mkdir -p "$evilhome/.config/git"
cat >"$evilhome/.gitconfig" <<EOF
[filter "evil"]
	smudge = $TMPD/evilhooks/filter
	required = true
[core]
	hooksPath = $TMPD/evilhooks
	fsmonitor = $TMPD/evilhooks/fsmonitor
	sshCommand = $TMPD/evilhooks/ssh
[credential]
	helper = $TMPD/evilhooks/credential
[url "http://127.0.0.1:$HTTP_PORT/git/decoy.git#"]
	insteadOf = git://127.0.0.1:$GIT_PORT/evil.git
EOF
cp "$evilhome/.gitconfig" "$evilhome/.config/git/config"

cat >"$SRC/evil.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: evil
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: git
    gitRepo:
      repository: git://127.0.0.1:$GIT_PORT/evil.git
      revision: main
  - name: http
    gitRepo:
      repository: http://127.0.0.1:$HTTP_PORT/git/evil.git
  - name: path
    gitRepo:
      repository: $REPOS/evil.git
  - name: file
    gitRepo:
      repository: file://$REPOS/evil.git
EOF
_allow_log 'warning: pod default/evil volume "(path|file)": MountVolume.SetUp failed for volume "(path|file)" : repository ".*" is on this machine: local repositories are cloned only when podvolfs runs with -o allow_local_git'
# runs "$@" (a mount) with the environment pointing at that configuration
evil_env() {
	HOME=$evilhome XDG_CONFIG_HOME=$evilhome/.config GIT_CONFIG_GLOBAL=$evilhome/.gitconfig \
		GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=$TMPD/evilhooks \
		"$@"
}
evil_env _mount_podvolfs "$SRC"
v=$MNT/default/evil/volumes
wait_state evil git Ready
wait_state evil http Ready
for vol in path file; do
	_assert_eq "$(vol_field evil "$vol" 3)" Failed "state of a local repository"
done
vol_field evil path 6 | grep -q "repository \"$REPOS/evil.git\" is on this machine: local repositories are cloned only when podvolfs runs with -o allow_local_git" ||
	_fail "message of a local path: $(vol_field evil path 6)"

check_clone() {
	_assert_eq "$(sha256sum <"$1/blob.bin")" "$(sha256sum <"$TMPD/work/evil/blob.bin")" "$1/blob.bin"
	grep -q '^hello \$Id: [0-9a-f]\{40\} \$$' "$1/hello.txt" || _fail "$1/hello.txt: $(cat "$1/hello.txt")"
	[ ! -e "$1/decoy.txt" ] || _fail "$1: url.insteadOf was followed"
	[ ! -e "$1/.git/hooks/post-checkout" ] || _fail "$1: a hook came with the clone"
}
check_clone "$v/git/evil"
check_clone "$v/http/evil"
_assert_eq "$(ls "$marks")" "" "markers after the clones"

# the pod plants hooks and configuration in its clone; nothing reads them
for d in "$v/git/evil" "$v/http/evil"; do
	cp "$TMPD/evilhooks/post-checkout" "$d/.git/hooks/"
	git -C "$d" config core.hooksPath "$TMPD/evilhooks"
	git -C "$d" config core.fsmonitor "$TMPD/evilhooks/fsmonitor"
	git -C "$d" config url."file://$REPOS/decoy.git#".insteadOf "git://127.0.0.1:$GIT_PORT/"
done
evil_env _restart_podvolfs
wait_state evil git Ready
_assert_eq "$(ls "$marks")" "" "markers after a restart"

# allowed: local clones work, and share no file with the source
_umount_podvolfs
evil_env _mount_podvolfs "$SRC" -o allow_local_git
wait_state evil path Ready
wait_state evil file Ready
check_clone "$v/path/evil"
check_clone "$v/file/evil"
[ -n "$(find "$v/path/evil/.git/objects" -type f)" ] || _fail "no objects in the local clone"
linked=$(find "$v/path/evil/.git/objects" "$v/file/evil/.git/objects" -type f -links +1)
_assert_eq "$linked" "" "objects hard-linked to the source"
_assert_eq "$(ls "$marks")" "" "markers after the local clones"
_umount_podvolfs
