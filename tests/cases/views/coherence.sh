#!/bin/bash
# TIMEOUT: 60
# One volume through several views shows the same data at once: writes (and
# writes through a shared mapping) through one view read back through the
# others, by read and by mmap, with no stale page or attribute; names made
# or removed through one view show in the others (tests/helpers/view-coherence.c).
. "$REPO/tests/lib/common.sh"

cat >"$SRC/co.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: co
spec:
  containers:
  - name: writer
    image: busybox
    volumeMounts:
    - {name: disk, mountPath: /disk}
    - {name: mem, mountPath: /mem}
  - name: reader
    image: busybox
    volumeMounts:
    - {name: disk, mountPath: /disk, readOnly: true}
    - {name: mem, mountPath: /mem, readOnly: true}
    - {name: disk, mountPath: /again/disk, readOnly: true}
    - {name: disk, mountPath: /sub/disk, subPath: s}
    - {name: mem, mountPath: /sub/mem, subPath: s}
  volumes:
  - name: disk
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory}
YAML
_mount_podvolfs "$SRC"
pod=$MNT/default/co

for v in disk mem; do
	w=$pod/containers/writer/$v
	r=$pod/containers/reader/$v
	vol=$pod/volumes/$v
	"$HELPERS/view-coherence" "$w/f" "$r/f" "$vol/f" >"$TMPD/co-$v" ||
		_fail "$v: $(grep -v '^ok' "$TMPD/co-$v")"
	# The other way round: the volume's own path writes, a view reads.
	"$HELPERS/view-coherence" "$vol/g" "$r/g" "$w/g" >"$TMPD/co2-$v" ||
		_fail "$v: $(grep -v '^ok' "$TMPD/co2-$v")"
	# A subPath view and the volume see one directory.
	"$HELPERS/view-coherence" "$pod/containers/reader/sub/$v/h" "$vol/s/h" >"$TMPD/co3-$v" ||
		_fail "$v subPath: $(grep -v '^ok' "$TMPD/co3-$v")"

	# Names: cached listings and lookups of the other views follow at once.
	ls "$r" >/dev/null
	stat "$r/new" 2>/dev/null && _fail "$r/new exists too early"
	echo one >"$w/new"
	_assert_eq "$(cat "$r/new")" one "$v: file made through another view"
	_assert_eq "$(ls "$r" | grep -c '^new$')" 1 "$v: listing after create"
	mv "$w/new" "$w/renamed"
	! stat "$r/new" >/dev/null 2>&1 || _fail "$v: old name still shows after rename"
	_assert_eq "$(cat "$r/renamed")" one "$v: renamed file"
	echo two >"$vol/renamed"
	_assert_eq "$(cat "$r/renamed")" two "$v: rewritten through the volume"
	_assert_eq "$(stat -c %s "$r/renamed")" 4 "$v: size after rewrite"
	chmod 0600 "$w/renamed"
	_assert_eq "$(stat -c %a "$r/renamed")" 600 "$v: mode through another view"
	rm "$w/renamed"
	! stat "$r/renamed" >/dev/null 2>&1 || _fail "$v: removed file still shows"
	_assert_eq "$(ls "$r" | grep -c '^renamed$' || true)" 0 "$v: listing after remove"
	mkdir "$w/dir"
	_assert_eq "$(stat -c %F "$r/dir")" directory "$v: mkdir through another view"
	rmdir "$vol/dir"
	! stat "$r/dir" >/dev/null 2>&1 || _fail "$v: removed directory still shows"
done
# The same volume mounted twice in one container: one object, one st_ino.
_assert_eq "$(stat -c %i "$pod/containers/reader/again/disk/f")" \
	"$(stat -c %i "$pod/containers/reader/disk/f")" "inode through two mounts"
