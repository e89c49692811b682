#!/bin/bash
# TIMEOUT: 60
# Recycle (SPEC 7.6): once the claim and its pod are gone, everything in
# the PV's directory goes, dot-files and deep trees included; the
# directory itself stays with its mode, and the PV is Available again for
# any claim (the controller had bound it). Delete of a static hostPath PV
# outside /tmp/ is refused as upstream refuses it: Failed, data kept.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

r=$TMPD/recycled
mkdir -p "$r"
chmod 0751 "$r"
pv_hostpath reuse 1Gi ReadWriteOnce Recycle "$r"
pvc scratch 1Gi ReadWriteOnce ""
claim_pod app scratch
keep=/var/tmp/podvolfs-test-keep.$$
mkdir -p "$keep"
_at_exit "rm -rf $keep"
echo precious >"$keep/f"
pv_hostpath outside 1Gi ReadWriteMany Delete "$keep"
pvc doomed 1Gi ReadWriteMany ""
_mount_podvolfs "$SRC"
wait_state app data Ready
d=$(vol app data)
mkdir -p "$d/a/b/c"
echo x >"$d/a/b/c/deep"
echo y >"$d/.hidden"
echo z >"$d/..twodots"
ln -s /etc/passwd "$d/link"

rm "$SRC/app.yaml" "$SRC/pvc-scratch.yaml"
wait_pv reuse STATUS Available
_assert_eq "$(ls -A "$r")" "" "what Recycle left"
_assert_eq "$(stat -c %a "$r")" 751 "the recycled directory's mode"
[ -f /etc/passwd ] || _fail "Recycle followed a symlink"
events | grep -q "VolumeRecycled .*Volume recycled" || _fail "no VolumeRecycled event: $(events)"
_assert_eq "$(pv_col reuse CLAIM)" "" "a recycled PV's claim"

wait_pvc doomed STATUS Bound
rm "$SRC/pvc-doomed.yaml"
wait_pv outside STATUS Failed
events | grep -q "VolumeFailedDelete .*host_path deleter only supports /tmp/.+ but received provided $keep" ||
	_fail "no VolumeFailedDelete event: $(events)"
_allow_log "host_path deleter only supports /tmp/"
_assert_eq "$(cat "$keep/f")" precious "data a refused Delete kept"
_umount_podvolfs
