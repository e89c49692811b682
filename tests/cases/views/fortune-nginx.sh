#!/bin/bash
# TIMEOUT: 90
# The classic fortune pod run for real: html-generator and web-server each in
# a mount namespace of its own with its views bind-mounted by podvolfs-bind;
# a real nginx serves the read-only view, which refuses every write.
. "$REPO/tests/lib/common.sh"

_require_root
_require_fuse
_require_cmd unshare curl mount umount nginx
nginx=$(PATH=$PATH:/usr/sbin command -v nginx)

cp "$REPO/examples/fortune.yaml" "$SRC/"
_mount_podvolfs "$SRC"
bind=$REPO/mount-helpers/podvolfs-bind
gen=$TMPD/gen-root
web=$TMPD/web-root
mkdir "$gen" "$web"

# html-generator: writes through its bind mount, as the fortune loop does.
generate() {
	unshare -m --propagation private bash -eu -o pipefail -c '
		"$1" --mount "$4" default/fortune html-generator "$2"
		[ "$(findmnt -n -o FSTYPE "$2/var/htdocs")" = fuse.podvolfs ]
		case ",$(findmnt -n -o OPTIONS "$2/var/htdocs")," in
		*,rw,*) ;;
		*) echo "html-generator view is not read-write" >&2; exit 1 ;;
		esac
		echo "$3" >"$2/var/htdocs/index.html"
	' _ "$bind" "$gen" "$1" "$MNT"
}
generate "fortune says: you will test filesystems"

port=$((18080 + RANDOM % 2000))
cat >"$TMPD/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $TMPD/nginx.pid;
error_log $TMPD/nginx-error.txt;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $TMPD/body;
	proxy_temp_path $TMPD/proxy;
	fastcgi_temp_path $TMPD/fastcgi;
	uwsgi_temp_path $TMPD/uwsgi;
	scgi_temp_path $TMPD/scgi;
	server {
		listen 127.0.0.1:$port;
		root $web/usr/share/nginx/html;
	}
}
EOF

# web-server: its own namespace; checks that the view is read-only there,
# then becomes nginx.
cat >"$TMPD/web-server.sh" <<'EOF'
set -eu -o pipefail
bind=$1 web=$2 helpers=$3 conf=$4 nginx=$5 mnt=$6
"$bind" --mount "$mnt" fortune web-server "$web"
html=$web/usr/share/nginx/html
case ",$(findmnt -n -o OPTIONS "$html")," in
*,ro,*) ;;
*) echo "web-server view is not a read-only bind mount" >&2; exit 1 ;;
esac
for op in "open-write $html/index.html" "open-create $html/new" "mkdir $html/d" \
	"unlink $html/index.html" "rename $html/index.html $html/x" \
	"chmod $html/index.html 0600" "truncate $html/index.html 0" \
	"setxattr $html/index.html user.a b" "symlink x $html/l" \
	"open-trunc $html/index.html" "utimens $html/index.html" \
	"mmap-shared-write $html/index.html" "removexattr $html/index.html user.a"; do
	# shellcheck disable=SC2086
	got=$("$helpers/errno-of" $op)
	[ "$got" = EROFS ] || { echo "$op: got $got, expected EROFS" >&2; exit 1; }
done
echo ready >"$(dirname "$conf")/web-ready"
exec "$nginx" -c "$conf"
EOF
unshare -m --propagation private bash "$TMPD/web-server.sh" "$bind" "$web" \
	"$HELPERS" "$TMPD/nginx.conf" "$nginx" "$MNT" &
nginx_pid=$!
_at_exit "kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null || true"

_wait_for "[ -e $TMPD/web-ready ] || ! kill -0 $nginx_pid 2>/dev/null" 20
[ -e "$TMPD/web-ready" ] || _fail "web-server did not start"
_wait_for "curl -fsS http://127.0.0.1:$port/ >/dev/null 2>&1" 20 ||
	_fail "nginx does not answer: $(cat "$TMPD/nginx-error.txt" 2>/dev/null)"
_assert_eq "$(curl -fsS "http://127.0.0.1:$port/")" \
	"fortune says: you will test filesystems" "served page"

# A new fortune shows at once: no page of the old one is served from a cache.
generate "fortune says: caches lie"
_assert_eq "$(curl -fsS "http://127.0.0.1:$port/")" "fortune says: caches lie" \
	"served page after an update"
generate "fortune says: short"
_assert_eq "$(curl -fsS "http://127.0.0.1:$port/")" "fortune says: short" \
	"served page after a shorter update"

# The host sees nothing of the containers' bind mounts.
! mountpoint -q "$web/usr/share/nginx/html" || _fail "bind mount leaked to the host"
! mountpoint -q "$gen/var/htdocs" || _fail "bind mount leaked to the host"
