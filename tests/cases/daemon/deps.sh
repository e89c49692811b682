#!/bin/bash
# TIMEOUT: 60
#
# A fresh Debian machine has none of the libraries: 'make demo', 'make check'
# and 'make bench' must get as far as installing them (a make run in which
# pkg-config finds nothing must not stop), while a plain 'make' says what is
# missing and how to get it. And tests/lib/deps, the one list install-deps
# installs from, must cover every command the scripts run: each listed
# command comes from its package, and every command in the scripts is
# listed or comes with any Debian system.

REPO=${REPO:-$(cd "$(dirname "$0")/../../.." && pwd)}
. "$REPO/tests/lib/common.sh"

deps=$REPO/tests/lib/deps

# -q runs no recipe: 1 says "not up to date", 2 is an error such as $(error)
for goal in demo check check-asan bench install-deps; do
	status=0
	out=$(PKG_CONFIG=false make -C "$REPO" -q "$goal" 2>&1) || status=$?
	[ "$status" != 2 ] ||
		_fail "PKG_CONFIG=false make -q $goal stops with an error: $out"
done
status=0
out=$(PKG_CONFIG=false make -C "$REPO" -n all 2>&1) || status=$?
_assert_eq "$status" 2 "status of a plain make that finds no libraries"
grep -q "pkg-config finds no fuse3 libgit2 libnfs yaml-0.1: run 'make install-deps'" <<<"$out" ||
	_fail "a plain make without libraries says: $out"

# Where command $1 is, with sbin directories searched as root's PATH would.
where() {
	PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin type -P "$1"
}

# The commands the scripts run, then each listed command and where it is.
scripts=("$REPO"/tests/run "$REPO"/tests/lib/*.sh "$REPO"/tests/lib/install-deps
	"$REPO"/examples/demo "$REPO"/mount-helpers/* "$REPO"/bench/run "$REPO"/bench/lib/*.sh)
mapfile -t -O ${#scripts[@]} scripts < <(find "$REPO/tests/cases" -name '*.sh')
mapfile -t run < <("$REPO/tests/lib/commands-run" "${scripts[@]}")
declare -A path_of=()
for cmd in "${run[@]}" $(sed -n 's/^[a-z0-9][a-z0-9.+-]*://p' "$deps"); do
	[ "$(PATH=$PATH:/usr/sbin:/sbin type -t "$cmd")" = file ] || continue
	path_of[$cmd]=$(where "$cmd")
done

# dpkg's owner of every file a command is or links to, asked in one go (it
# takes half a second a call); a file of a merged /usr may be known by its
# /bin or /sbin name.
declare -A owner_of=()
files=()
for path in "${path_of[@]}"; do
	for f in "$path" "$(realpath "$path")"; do
		files+=("$f" "${f#/usr}" "/usr$f")
	done
done
while IFS= read -r line; do
	owner_of[${line#*: }]=${line%%:*}
done < <({ dpkg-query -S "${files[@]}" 2>/dev/null || true; } | sed 's/^\([^:,]*\)[^ ]*: /\1: /')

owner() {
	local f=$1

	echo "${owner_of[$f]:-${owner_of[${f#/usr}]:-${owner_of[/usr$f]:-}}}"
}

# The package of the program at $1: of that name, else of what it links to
# (alternatives such as awk).
package_of() {
	local p

	p=$(owner "$1")
	[ -n "$p" ] || p=$(owner "$(realpath "$1")")
	echo "$p"
}

# Status, Essential and Priority of every package asked about, in one go.
declare -A status_of=()
while read -r pkg status; do
	status_of[$pkg]=$status
done < <({ dpkg-query -W -f='${Package} ${db:Status-Abbrev}${Essential} ${Priority}\n' \
	$(sed -n 's/^\([a-z0-9][a-z0-9.+-]*\):.*/\1/p' "$deps") $(for p in "${path_of[@]}"; do
		package_of "$p"; done) 2>/dev/null || true; } | sort -u)

declare -A listed=()
n=0
while IFS= read -r line; do
	pkg=${line%%:*}
	listed[$pkg]=1
	[[ ${status_of[$pkg]:-} == ii* ]] || [ "$pkg" = nginx-light ] ||
		_fail "$pkg (tests/lib/deps) is not installed after make install-deps"
	for cmd in ${line#*:}; do
		path=${path_of[$cmd]:-}
		[ -n "$path" ] || _fail "$cmd (package $pkg, tests/lib/deps) is not installed"
		got=$(package_of "$path")
		case $pkg:$got in
		"$pkg:$pkg" | nginx-light:nginx*) ;;
		*) _fail "$cmd comes from package '${got:-none}', but tests/lib/deps says $pkg" ;;
		esac
		n=$((n + 1))
	done
done < <(grep -E '^[a-z0-9][a-z0-9.+-]*:' "$deps")
[ "$n" -gt 10 ] || _fail "only $n commands listed in $deps"

# Packages every Debian system has: Essential, or of priority required.
base() {
	[[ ${status_of[$1]:-} =~ ^ii.*(yes|required)$ ]]
}

checked=0
bad=0
for cmd in "${run[@]}"; do
	path=${path_of[$cmd]:-}
	[ -n "$path" ] || continue	# a builtin, a function, no program here
	case $cmd in
	gcc | cc | make | git | python3) continue ;;	# what the README assumes
	esac
	case $path in "$REPO"/*) continue ;; esac
	checked=$((checked + 1))
	pkg=$(package_of "$path")
	if [ -z "$pkg" ]; then
		echo "$cmd ($path) comes from no Debian package: only this machine has it" >&2
		bad=1
	elif [ -z "${listed[$pkg]:-}" ] && ! base "$pkg"; then
		echo "$cmd comes from package $pkg, which tests/lib/deps does not list" >&2
		bad=1
	fi
done
[ "$bad" = 0 ] || _fail "commands the scripts run that a fresh machine would not have (see above)"
[ "$checked" -gt 20 ] || _fail "only $checked commands found in the scripts"
echo "$n listed commands from their packages; $checked commands of the scripts covered"
