# shellcheck shell=bash
#
# gitrepo.sh - the gitRepo benchmark of bench/run: how long a pod waits for
# its clone, against "git clone" of the same repository from the same
# server.
#
# The repository holds GIT_FILES files of 4 KiB (the start of the headers of
# /usr/include, so text that compresses like source code): 5,000 files and
# about 20 MiB in the full run. A git daemon serves it on a free port of
# 127.0.0.1. Each repetition records (as system "gitrepo"):
#   git_clone   seconds of "git clone -q git://..." into the work directory
#   pvf_ready   seconds from starting a daemon whose one pod has the
#               repository as a gitRepo volume until its status says Ready
# Both write the same checkout to the same disk; podvolfs's figure also
# holds the daemon's start, the helper process and the final syncfs.

gitrepo_setup() {
	local w=$W/gitrepo/work port

	mkdir -p "$w" "$W/gitrepo/repos" "$W/gitrepo/home" || return 1
	export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@podvolfs.invalid
	export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@podvolfs.invalid
	HOME=$W/gitrepo/home git init -q -b main "$w" || return 1
	python3 - "$w" "$GIT_FILES" <<'PY' || return 1
import os, sys
w, count = sys.argv[1], int(sys.argv[2])
files = []
for root, dirs, names in os.walk('/usr/include'):
    dirs.sort()
    files += [os.path.join(root, n) for n in sorted(names) if n.endswith('.h')]
for i in range(count):
    src = files[i % len(files)]
    dst = os.path.join(w, 'src', '%03d' % (i // 100), '%d-%s' % (i, os.path.basename(src)))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    data = open(src, 'rb').read(4096)
    while len(data) < 4096:
        data += data or b'\n'
    open(dst, 'wb').write(data[:4096])
PY
	HOME=$W/gitrepo/home git -C "$w" add -A &&
		HOME=$W/gitrepo/home git -C "$w" commit -q -m bench &&
		HOME=$W/gitrepo/home git clone -q --bare "$w" "$W/gitrepo/repos/bench.git" || return 1
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	spawn git-daemon "$(git --exec-path)/git-daemon" --export-all \
		--base-path="$W/gitrepo/repos" --listen=127.0.0.1 --port="$port" \
		--reuseaddr "$W/gitrepo/repos"
	GIT_URL=git://127.0.0.1:$port/bench.git
	for _ in $(seq 250); do
		HOME=$W/gitrepo/home git ls-remote "$GIT_URL" >/dev/null 2>&1 && break
		sleep 0.02
	done
	printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" "  name: clone" \
		"spec:" "  containers:" "  - name: c" "    image: busybox" \
		"  volumes:" "  - name: repo" "    gitRepo:" "      repository: $GIT_URL" \
		>"$W/gitrepo/pod.yaml"
	GIT_SIZE="$GIT_FILES files, $(du -sm --exclude=.git "$w" | cut -f1) MiB checked out, a $(du -sm "$W/gitrepo/repos/bench.git" | cut -f1) MiB repository"
}

# Sets S to the state of volume "repo" in status file $1, with shell
# builtins only: a poll that forks would take CPU from the clone it times.
repo_state() {
	local name type state rest

	S=
	while read -r name type state rest; do
		[ "$name" = repo ] && S=$state && return 0
	done <"$1"
}

ph_gitrepo() {
	local m=$W/gitrepo/mnt state=$W/gitrepo/state t0 us n pid S tick

	rm -rf "$W/gitrepo/clone" "$state" && mkdir -p "$m" "$state" || return 1
	HOME=$W/gitrepo/home timed git clone -q "$GIT_URL" "$W/gitrepo/clone" &&
		record gitrepo git_clone "$ELAPSED" && rm -rf "$W/gitrepo/clone" || return 1
	sync
	# sleeps of 10 ms without a process each: a read that times out on an
	# empty fifo
	rm -f "$W/gitrepo/tick" && mkfifo "$W/gitrepo/tick" || return 1
	exec {tick}<>"$W/gitrepo/tick"
	t0=${EPOCHREALTIME/./}
	# shellcheck disable=SC2086 # PODVOLFS_ARGS is a list of words
	spawn podvolfs-gitrepo "$PODVOLFS" "$W/gitrepo/pod.yaml" "$m" -f \
		-o "state=$state${PODVOLFS_O:+,$PODVOLFS_O}" ${PODVOLFS_ARGS:-}
	pid=${PIDS[-1]}
	MOUNTS+=("$m")
	for ((n = 0; ; n++)); do
		repo_state "$m/default/clone/status" 2>/dev/null || S=
		[ "$S" = Ready ] && break
		[ "$S" != Failed ] && [ "$n" -lt 30000 ] && kill -0 "$pid" 2>/dev/null || {
			echo "bench: the gitRepo volume is ${S:-not there} after $((n / 100)) s" >&2
			exec {tick}>&-
			return 1
		}
		read -r -t 0.01 -u "$tick" _ || true
	done
	us=$((${EPOCHREALTIME/./} - t0))
	exec {tick}>&-
	record gitrepo pvf_ready "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
	scale_stop "$m" "$pid" && rm -rf "$state"
}

# Prints the gitRepo table from $W/results.tsv.
gitrepo_report() {
	awk -F'\t' -f "$REPO/bench/lib/median.awk" -f /dev/fd/3 "$W/results.tsv" 3<<'AWK'
	$2 == "gitrepo" { v[$3] = v[$3] " " $4 }
	END {
		print "| measure | git clone | podvolfs gitRepo |"
		print "|---|---|---|"
		if (!("git_clone" in v) || !("pvf_ready" in v)) {
			print "| until the checkout is there (s) | failed | failed |"
			exit
		}
		g = median_of(v["git_clone"]); p = median_of(v["pvf_ready"])
		printf "| until the checkout is there (s) | %.2f | %.2f (%.2fx) |\n", g, p, g / p
	}
AWK
}
