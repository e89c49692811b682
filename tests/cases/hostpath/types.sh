#!/bin/bash
# TIMEOUT: 60
# Every hostPath type against a matching object, a mismatching object of
# each other kind and a missing path: the kubelet's checks (following
# symlinks in the path) and messages, the creation modes of the *OrCreate
# types and of type "", and the failed volume left out while the rest of
# the pod and other pods are served.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_root
_require_cmd mknod

h=$TMPD/host
mkdir -p "$h/dir" "$h/sub" && echo inside >"$h/dir/f"
echo file >"$h/file"
"$HELPERS/hostpath-probe" sock-bind "$h/sock"
mknod "$h/blk" b 7 200 || _notrun "cannot make a block device"
ln -s dir "$h/dirlink"

# One volume per (type, object): object is one of these host paths.
declare -A obj=(
	[dir]=$h/dir [file]=$h/file [sock]=$h/sock [chr]=/dev/null
	[blk]=$h/blk [link]=$h/dirlink
)
declare -A want=(
	[Directory]=dir [DirectoryOrCreate]=dir [File]=file [FileOrCreate]=file
	[Socket]=sock [CharDevice]=chr [BlockDevice]=blk
)
declare -A msg=(
	[Directory]="is not a directory" [DirectoryOrCreate]="is not a directory"
	[File]="is not a file" [FileOrCreate]="is not a file"
	[Socket]="is not a socket file" [CharDevice]="is not a character device"
	[BlockDevice]="is not a block device"
)
declare -A tname=(
	[Directory]=d [DirectoryOrCreate]=dc [File]=f [FileOrCreate]=fc
	[Socket]=s [CharDevice]=c [BlockDevice]=b
)
vols=()
for t in "${!want[@]}"; do
	for o in dir file sock chr blk; do
		vols+=("${tname[$t]}-$o=${obj[$o]}:$t")
	done
	vols+=("${tname[$t]}-missing=$h/missing-$t:$t")
	ln -s "target-$t" "$h/dangling-$t"
	vols+=("${tname[$t]}-dangling=$h/dangling-$t:$t")
done
hostpath_pod types "${vols[@]}"
hostpath_pod other "data=$h/dir:Directory"
hostpath_pod create "any=$h/made/by/default:" "dc=$h/made/dc/deep:DirectoryOrCreate" \
	"fc=$h/made-file:FileOrCreate" "fcnoparent=$h/noparent/f:FileOrCreate" \
	"link=$h/dirlink:Directory" "rel=${h#/}/dir:Directory" \
	"linkfile=$h/dirlink:File" "anyfile=$h/file:"
_allow_log 'warning: pod default/(types|create) volume "[a-z-]*": MountVolume.SetUp failed for volume'
_mount_podvolfs "$SRC"

for t in "${!want[@]}"; do
	for o in dir file sock chr blk missing; do
		v=${tname[$t]}-$o
		line=$(vol_status types "$v")
		if [ "$o" = "${want[$t]}" ] ||
			{ [ "$o" = missing ] && [[ $t = *OrCreate ]]; }; then
			[[ $line = *" Ready "* ]] || _fail "$v: not ready: $line"
			[ -e "$MNT/default/types/volumes/$v" ] || _fail "$v: not in volumes/"
		else
			p=${obj[$o]:-$h/missing-$t}
			[[ $line = *" Failed "* ]] || _fail "$v: not failed: $line"
			[[ $line = *"MountVolume.SetUp failed for volume \"$v\" : hostPath type check failed: $p ${msg[$t]}" ]] ||
				_fail "$v: message: $line"
			[ ! -e "$MNT/default/types/volumes/$v" ] || _fail "$v: failed but in volumes/"
		fi
	done
done

# What each kind of object looks like through the mount
t=$MNT/default/types/volumes
_assert_eq "$(stat -c %F "$t/d-dir")" directory "Directory root"
_assert_eq "$(stat -c %F "$t/f-file")" "regular file" "File root"
_assert_eq "$(stat -c %F "$t/s-sock")" socket "Socket root"
_assert_eq "$(stat -c '%F %t %T' "$t/c-chr")" "character special file 1 3" "CharDevice root"
_assert_eq "$(stat -c '%F %t %T' "$t/b-blk")" "block special file 7 c8" "BlockDevice root"
_assert_eq "$(cat "$t/d-dir/f")" inside "Directory contents"
_assert_eq "$(find "$t" -maxdepth 1 -name 'f-file' -type f)" "$t/f-file" "d_type of a file root"

# A dangling symlink is a missing path. DirectoryOrCreate's mkdir fails on
# it; FileOrCreate's open(O_CREAT) makes its target, as the kubelet's does.
for v in d s c b f; do
	vol_status types "$v-dangling" | grep -q 'Failed.*hostPath type check failed' ||
		_fail "$v-dangling: $(vol_status types "$v-dangling")"
done
vol_status types dc-dangling | grep -q 'Failed.*: mkdir ' || _fail "dc-dangling: $(vol_status types dc-dangling)"
[ ! -e "$h/target-DirectoryOrCreate" ] || _fail "a dangling symlink's target was made a directory"
vol_status types fc-dangling | grep -q ' Ready ' || _fail "fc-dangling: $(vol_status types fc-dangling)"
_assert_eq "$(stat -c '%a %F' "$h/target-FileOrCreate")" "644 regular empty file" "FileOrCreate through a dangling symlink"

# Creation: type "" and DirectoryOrCreate make 0755 directories (mkdir -p),
# FileOrCreate a 0644 file but never its parent
c=$MNT/default/create
for v in any dc fc link rel anyfile; do
	vol_status create "$v" | grep -q ' Ready ' || _fail "create/$v: $(vol_status create "$v")"
done
_assert_eq "$(stat -c '%a %F %u' "$h/made" "$h/made/by" "$h/made/by/default" | sort -u)" "755 directory 0" "type \"\" created"
_assert_eq "$(stat -c '%a %F' "$h/made/dc" "$h/made/dc/deep" | sort -u)" "755 directory" "DirectoryOrCreate created"
_assert_eq "$(stat -c '%a %F %s' "$h/made-file")" "644 regular empty file 0" "FileOrCreate created"
vol_status create fcnoparent | grep -q "Failed .*: open $h/noparent/f: no such file or directory" ||
	_fail "fcnoparent: $(vol_status create fcnoparent)"
[ ! -e "$h/noparent" ] || _fail "FileOrCreate made the parent"
vol_status create linkfile | grep -q "hostPath type check failed: $h/dirlink is not a file" ||
	_fail "linkfile: $(vol_status create linkfile)"
# A symlink path serves its target; a relative path is relative to /
_assert_eq "$(cat "$c/volumes/link/f")" inside "symlinked Directory"
_assert_eq "$(cat "$c/volumes/rel/f")" inside "relative path"
_assert_eq "$(stat -c %F "$c/volumes/anyfile")" "regular file" "type \"\" on a file"
echo made >"$c/volumes/any/new" && _assert_eq "$(cat "$h/made/by/default/new")" made "write into a created directory"

# Existing paths keep their modes and owners
_assert_eq "$(stat -c %a "$h/dir")" 755 "mode of an existing directory"
chmod 0700 "$h/sub" && chown 123:456 "$h/sub"
hostpath_pod keep "sub=$h/sub:DirectoryOrCreate"
_wait_for '[ -d "$MNT/default/keep/volumes/sub" ]'
_assert_eq "$(stat -c '%a %u %g' "$h/sub")" "700 123 456" "host mode untouched"
_assert_eq "$(stat -c '%a %u %g' "$MNT/default/keep/volumes/sub")" "700 123 456" "mode seen in the mount"

# The rest of the pod and other pods are served
_assert_eq "$(cat "$MNT/default/other/volumes/data/f")" inside "other pod"
echo ok >"$t/d-dir/g" && _assert_eq "$(cat "$h/dir/g")" ok "write through a Ready volume of the same pod"
_umount_podvolfs
