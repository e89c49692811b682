#!/bin/bash
# TIMEOUT: 300
# Manifests written to be slow (issue 15): huge mappings, deep or unclosed
# nesting, many anchors or directives, a file past the size limit. Each is
# refused within seconds with its file:line:col, a legal big file still
# loads, and dropped into a live SOURCE they neither hold back a good
# manifest that follows nor an unmount. Nor do valid pods made to be
# costly to start: an env that doubles from one variable to the next for a
# subPathExpr to expand, and a mountPath of 800 KB (400,000 levels of
# directories, whose removal overflowed the stack).
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

_require_cmd timeout

bad=$TMPD/bad
mkdir "$bad"

pod_head() {
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n' "$1"
}

pod_spec() {
	printf 'spec:\n  containers:\n  - {name: app, image: busybox}\n'
}

# N lines of "<indent>k<i>: v"
keys() {
	awk -v n="$1" -v pre="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%sk%d: v\n", pre, i }'
}

# $1 repeated $2 times, then $3
repeat() {
	awk -v s="$1" -v n="$2" -v t="$3" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s; printf "%s\n", t }'
}

gen_labels() {
	pod_head labels
	echo "  labels:"
	keys 99000 "    "
	pod_spec
}

gen_top_keys() {
	pod_head top
	pod_spec
	keys 99000 ""
}

gen_spec_keys() {
	pod_head spec
	pod_spec
	keys 99000 "  "
}

gen_nested_lists() {
	repeat '[' 100000 "$(repeat ']' 100000 '')"
}

gen_nested_maps() {
	repeat '{a: ' 100000 "1$(repeat '}' 100000 '')"
}

gen_unclosed() {
	repeat '[' 2000000 ''
}

# 49,153 lines of 64 bytes: one line more than 3 MiB
gen_too_big() {
	awk 'BEGIN { for (i = 0; i < 49153; i++) printf "# %061d\n", i }'
}

gen_long_scalar() {
	pod_head long
	printf '  annotations:\n    note: "%s"\n' "$(repeat x 2000000 '')"
	pod_spec
}

# libyaml looks each alias up among all anchors before it
gen_anchors() {
	echo "a:"
	awk 'BEGIN { for (i = 0; i < 40000; i++) printf "- &a%d x\n", i;
		     for (i = 0; i < 40000; i++) printf "- *a%d\n", i }'
}

# libyaml compares each %TAG directive with all those before it
gen_directives() {
	awk 'BEGIN { for (i = 0; i < 60000; i++) printf "%%TAG !t%d! tag:example.com,2024:\n", i }'
	echo "--- x"
}

# 40 variables, each twice the one before: 2^39 bytes for the last one
gen_env_bomb() {
	pod_head envbomb
	echo "spec:"
	echo "  containers:"
	echo "  - name: app"
	echo "    image: busybox"
	echo "    env:"
	echo "    - {name: V0, value: x}"
	awk 'BEGIN { for (i = 1; i < 40; i++)
		printf "    - {name: V%d, value: \"$(V%d)$(V%d)\"}\n", i, i - 1, i - 1 }'
	echo "    volumeMounts:"
	echo "    - {name: data, mountPath: /data, subPathExpr: \"\$(V39)\"}"
	echo "  volumes:"
	echo "  - name: data"
}

gen_deep_mount() {
	pod_head deepmount
	printf 'spec:\n  containers:\n  - name: app\n    image: busybox\n    volumeMounts:\n'
	printf '    - {name: data, mountPath: %s}\n' "$(repeat /a 400000 '')"
	printf '  volumes:\n  - name: data\n'
}

# name, where, message
inputs=(
	labels "10006:5" "metadata.labels: Too many: must have at most 10000 keys (a podvolfs limit)"
	top-keys "10004:1" "Too many: must have at most 10000 keys (a podvolfs limit)"
	spec-keys "10007:3" "spec: Too many: must have at most 10000 keys (a podvolfs limit)"
	nested-lists "1:101" "document nests deeper than 100 levels (a podvolfs limit)"
	nested-maps "1:398" "document nests deeper than 100 levels (a podvolfs limit)"
	unclosed "1:101" "document nests deeper than 100 levels (a podvolfs limit)"
	too-big "49153:1" "file is larger than 3145728 bytes (3 MiB, the apiserver's limit on a request)"
	long-scalar "6:11" "metadata.annotations.note: Too long: may not be more than 1048576 bytes (a podvolfs limit)"
	anchors "102:3" "document has more than 100 anchors (a podvolfs limit)"
	directives "101:1" "document has more than 100 directives (a podvolfs limit)"
)

# Runs `podvolfs --check $1` for at most 10 s; prints its output.
check_within_10s() {
	local start rc=0

	start=$(_now_us)
	timeout 10 "$PODVOLFS" --check "$1" >"$TMPD/check.out" 2>&1 || rc=$?
	[ "$rc" != 124 ] || _fail "podvolfs --check $1 ran for more than 10 s"
	echo "$(basename "$1"): status $rc in $(( ($(_now_us) - start) / 1000 )) ms"
	cut -c 1-300 "$TMPD/check.out"
	return "$rc"
}

for ((i = 0; i < ${#inputs[@]}; i += 3)); do
	name=${inputs[i]} at=${inputs[i + 1]} msg=${inputs[i + 2]}
	f=$bad/$name.yaml
	"gen_${name//-/_}" >"$f"
	rc=0
	check_within_10s "$f" || rc=$?
	_assert_eq "$rc" 1 "status of podvolfs --check $name.yaml"
	grep -qxF -- "$f:$at: $msg" "$TMPD/check.out" ||
		_fail "$name.yaml: no line '$f:$at: $msg'"
done

# Big but within every limit: loads, and a duplicate key at its end is found.
legal=$TMPD/legal.yaml
{
	pod_head legal
	echo "  labels:"
	keys 10000 "    "
	pod_spec
} >"$legal"
check_within_10s "$legal"
grep -qxF "pod default/legal: 0 volumes" "$TMPD/check.out" || _fail "legal.yaml did not load"
sed -i 's/^    k9999: v$/    k0: again/' "$legal"
check_within_10s "$legal" && _fail "a duplicate label was not found"
grep -qxF "$legal:10005:5: duplicate field \"metadata.labels.k0\"" "$TMPD/check.out" ||
	_fail "no error for the duplicate label"

# A live SOURCE: the bad files and the env bomb, then a good manifest 2 s later.
_allow_log 'error: .*: not applied(, what it defined is left as it was)?:'
_allow_log '^[^ ]+:[0-9]+:[0-9]+: '
_allow_log 'warning: pod default/envbomb container "app": RunContainerError: env "V17" is longer than 131072 bytes once expanded'
_allow_log 'warning: pod default/deepmount container "app": CreateContainerError: mountPath is longer than 4095 bytes'
mkdir "$TMPD/costly"
gen_env_bomb >"$TMPD/costly/envbomb.yaml"
gen_deep_mount >"$TMPD/costly/deepmount.yaml"
_mount_podvolfs "$SRC"
cp "$bad"/*.yaml "$TMPD"/costly/*.yaml "$SRC/"
sleep 2
emptydir_pod good ""
start=$(_now_us)
_wait_for "[ -d '$(vol good data)' ]" 10 || _fail "the good pod did not appear within 10 s"
echo "good pod served $(( ($(_now_us) - start) / 1000 )) ms after its manifest"
for ((i = 0; i < ${#inputs[@]}; i += 3)); do
	line="$SRC/${inputs[i]}.yaml:${inputs[i + 1]}: ${inputs[i + 2]}"
	_wait_for "grep -qxF -- $(printf '%q' "$line") '$LOGS/podvolfs.log'" 10 ||
		_fail "no '$line' in the log"
done

grep -q 'RunContainerError .*env "V17" is longer than 131072 bytes' "$MNT/default/envbomb/status" ||
	_fail "envbomb's container is not refused: $(cat "$MNT/default/envbomb/status")"
[ -d "$(vol envbomb data)" ] || _fail "envbomb's volume is not served"
grep -q 'CreateContainerError .*mountPath is longer than 4095 bytes' "$MNT/default/deepmount/status" ||
	_fail "deepmount's container is not refused"
rm "$SRC/deepmount.yaml"
_wait_for "[ ! -e '$MNT/default/deepmount' ]" 10 || _fail "deepmount was not removed within 10 s"

# An unmount while a sync reads them all again: the daemon exits at once.
touch "$SRC"/*.yaml
sleep 0.3
start=$(_now_us)
_umount_podvolfs
echo "daemon exited $(( ($(_now_us) - start) / 1000 )) ms after the unmount"
