#!/bin/bash
# TIMEOUT: 60
# A List as kubectl get -o yaml writes it (tests/fixtures/good/list.yaml):
# its Pod and its Deployment's replicas are served as if each item were a
# document of its own, its Service is skipped with a notice at the item,
# and an error in an item names the item.
. "$REPO/tests/lib/common.sh"

# the service account token of a real pod: a projected volume, not served
_allow_log 'volume type "projected" is not supported yet'
_allow_log 'container "redis": NotSupported: volume "kube-api-access-7xq2m" is of type projected'
cp "$REPO/tests/fixtures/good/list.yaml" "$SRC/shop.yaml"
_mount_podvolfs "$SRC"
_expect_log "^podvolfs: notice: $SRC/shop.yaml:114:3: skipping kind \"Service\"\$"

[ -d "$MNT/shop/cart/volumes/data" ] || _fail "the List's Pod is not served: $(ls -R "$MNT")"
grep -q '^kube-api-access-7xq2m *projected *NotSupported ' "$MNT/shop/cart/status" ||
	_fail "cart's projected volume: $(cat "$MNT/shop/cart/status")"
web=("$MNT"/shop/web-*)
_assert_eq "${#web[@]}" 2 "replicas of the List's Deployment"
for p in "${web[@]}"; do
	grep -q '^cache *emptyDir,medium=Memory *Ready *0 *16777216 ' "$p/status" ||
		_fail "$p: $(cat "$p/status")"
done
echo kept >"$MNT/shop/cart/volumes/data/f"

# An item turned bad: the file is not applied, the error names the item.
_allow_log 'error: .*shop.yaml: not applied, what it defined is left as it was:'
sed -i '72s/^    replicas: 2$/    replicas: -1/' "$SRC/shop.yaml"
_expect_log "^$SRC/shop.yaml:72:15: items\\[1\\]\\.spec\\.replicas: Invalid value: -1: must be greater than or equal to 0\$"
_assert_eq "$(cat "$MNT/shop/cart/volumes/data/f")" kept "cart's data while its List is bad"
_umount_podvolfs
