/*
 * nfs_pool.c - connections to NFS exports, shared by every store on one.
 *
 * See nfs_i.h. Each connection is a libnfs context mounted on the export
 * (nfs_mount proves the export exists and turns on libnfs's reconnection);
 * the root handle comes from one MOUNT call of our own, since libnfs 4.0
 * keeps its own to itself. Calls go through the context's RPC layer, by
 * handle, and the calling thread runs the context's event loop while it
 * waits, so no thread is shared and no libnfs state is touched by two.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs-raw-mount.h>

#include "nfs_i.h"
#include "podvolfs/log.h"

/* How long a connect may take: TCP SYN retries (2: about 7 s). */
#define NFS_SYN_RETRIES 2
/* Poll slice: how often a waiting call looks at its deadline and caller. */
#define NFS_SLICE_MS 200

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nfs_pool *registry;

int nfs3_errno(nfsstat3 status)
{
	switch (status) {
	case NFS3_OK:
		return 0;
	case NFS3ERR_BADHANDLE:
	case NFS3ERR_STALE:
		return -ESTALE;
	case NFS3ERR_NOT_SYNC:
	case NFS3ERR_SERVERFAULT:
		return -EREMOTEIO;
	case NFS3ERR_BAD_COOKIE:
		return -EBADE;
	case NFS3ERR_NOTSUPP:
		return -EOPNOTSUPP;
	case NFS3ERR_TOOSMALL:
	case NFS3ERR_BADTYPE:
		return -EINVAL;
	case NFS3ERR_JUKEBOX:
		return -EAGAIN;
	case NFS3ERR_REMOTE:
		return -EREMOTE;
	case NFS3ERR_NAMETOOLONG:
		return -ENAMETOOLONG;
	case NFS3ERR_NOTEMPTY:
		return -ENOTEMPTY;
	case NFS3ERR_DQUOT:
		return -EDQUOT;
	case NFS3ERR_PERM:
	case NFS3ERR_NOENT:
	case NFS3ERR_IO:
	case NFS3ERR_NXIO:
	case NFS3ERR_ACCES:
	case NFS3ERR_EXIST:
	case NFS3ERR_XDEV:
	case NFS3ERR_NODEV:
	case NFS3ERR_NOTDIR:
	case NFS3ERR_ISDIR:
	case NFS3ERR_INVAL:
	case NFS3ERR_FBIG:
	case NFS3ERR_NOSPC:
	case NFS3ERR_ROFS:
	case NFS3ERR_MLINK:
		/* these have the Linux errno's number */
		return -(int)status;
	}
	return -EIO;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool same_cred(const struct store_cred *a, const struct store_cred *b)
{
	return a->uid == b->uid && a->gid == b->gid &&
	       a->ngroups == b->ngroups &&
	       !memcmp(a->groups, b->groups, a->ngroups * sizeof(a->groups[0]));
}

/* Makes the context's AUTH_SYS credential @cred, unless it is already. */
static int set_cred(struct nfs_conn *c, const struct store_cred *cred)
{
	uint32_t groups[STORE_MAX_GROUPS];
	struct AUTH *auth;
	unsigned i;

	if (c->have_cred && same_cred(&c->cred, cred))
		return 0;
	for (i = 0; i < cred->ngroups; i++)
		groups[i] = cred->groups[i];
	auth = libnfs_authunix_create("podvolfs", cred->uid, cred->gid,
				      cred->ngroups, groups);
	if (!auth)
		return -ENOMEM;
	rpc_set_auth(nfs_get_rpc_context(c->nfs), auth);
	c->cred = *cred;
	c->have_cred = true;
	return 0;
}

static void note_error(struct nfs_pool *p, const char *what)
{
	pthread_mutex_lock(&p->lock);
	snprintf(p->last_error, sizeof(p->last_error), "%s", what);
	pthread_mutex_unlock(&p->lock);
}

/* Connects @c (not busy for anyone else). 0 or -errno, p->last_error set. */
static int conn_open(struct nfs_pool *p, struct nfs_conn *c)
{
	struct nfs_url *url = NULL;
	char *text;
	int rc;

	c->nfs = nfs_init_context();
	if (!c->nfs)
		return -ENOMEM;
	nfs_set_tcp_syncnt(c->nfs, NFS_SYN_RETRIES);
	/*
	 * Reconnecting is ours: libnfs's own retries at once, without end
	 * and without a pause, spinning while a server is down.
	 */
	nfs_set_autoreconnect(c->nfs, 0);
	nfs_umask(c->nfs, 0);
	if (asprintf(&text, "nfs://%s%s?nfsport=%d&mountport=%d", p->server,
		     p->export, p->nfs_port, p->mount_port) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	/* port 0 in the URL means: ask the portmapper */
	url = nfs_parse_url_dir(c->nfs, text);
	free(text);
	if (!url) {
		note_error(p, nfs_get_error(c->nfs));
		rc = -EINVAL;
		goto out;
	}
	if (nfs_mount(c->nfs, url->server, url->path)) {
		note_error(p, nfs_get_error(c->nfs));
		rc = -EHOSTDOWN;
		goto out;
	}
	nfs_destroy_url(url);
	c->have_cred = false;
	return 0;
out:
	if (url)
		nfs_destroy_url(url);
	nfs_destroy_context(c->nfs);
	c->nfs = NULL;
	return rc;
}

/* Gives up @c's connection; the next user connects anew. */
static void conn_drop(struct nfs_pool *p, struct nfs_conn *c)
{
	/* libnfs calls back every request still in flight, cancelled */
	nfs_destroy_context(c->nfs);
	c->nfs = NULL;
	pthread_mutex_lock(&p->lock);
	p->reconnects++;
	pthread_mutex_unlock(&p->lock);
}

static bool caller_interrupted(void)
{
	const struct store_caller *who = store_caller();

	return who && who->interrupted && who->interrupted(who->arg);
}

/* A free connection of @p, marked busy. */
static struct nfs_conn *conn_take(struct nfs_pool *p)
{
	struct nfs_conn *c = NULL;
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		/* a connected one first: connecting costs round trips */
		for (i = 0; i < NFS_POOL_CONNS && !c; i++)
			if (!p->conns[i].busy && p->conns[i].nfs)
				c = &p->conns[i];
		for (i = 0; i < NFS_POOL_CONNS && !c; i++)
			if (!p->conns[i].busy)
				c = &p->conns[i];
		if (c)
			break;
		pthread_cond_wait(&p->cond, &p->lock);
	}
	c->busy = true;
	p->in_flight++;
	pthread_mutex_unlock(&p->lock);
	return c;
}

static void conn_give(struct nfs_pool *p, struct nfs_conn *c)
{
	pthread_mutex_lock(&p->lock);
	c->busy = false;
	p->in_flight--;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void call_done(struct rpc_context *rpc, int status, void *data,
		      void *private_data)
{
	struct nfs_call *call = private_data;

	(void)rpc;
	call->finished = true;
	if (status != RPC_STATUS_SUCCESS) {
		/* a broken connection: nfs_call() connects again and resends */
		call->err = status == RPC_STATUS_CANCEL ? -EINTR : -ENOTCONN;
		return;
	}
	/* every NFSv3 result starts with its status */
	call->err = nfs3_errno(*(nfsstat3 *)data);
	if (call->done)
		call->done(call, data);
}

static int send_call(struct rpc_context *rpc, struct nfs_call *call)
{
	switch (call->proc) {
	case NFS_GETATTR:
		return rpc_nfs3_getattr_async(rpc, call_done, &call->args.getattr, call);
	case NFS_SETATTR:
		return rpc_nfs3_setattr_async(rpc, call_done, &call->args.setattr, call);
	case NFS_LOOKUP:
		return rpc_nfs3_lookup_async(rpc, call_done, &call->args.lookup, call);
	case NFS_READLINK:
		return rpc_nfs3_readlink_async(rpc, call_done, &call->args.readlink, call);
	case NFS_READ:
		return rpc_nfs3_read_async(rpc, call_done, &call->args.read, call);
	case NFS_WRITE:
		return rpc_nfs3_write_async(rpc, call_done, &call->args.write, call);
	case NFS_CREATE:
		return rpc_nfs3_create_async(rpc, call_done, &call->args.create, call);
	case NFS_MKDIR:
		return rpc_nfs3_mkdir_async(rpc, call_done, &call->args.mkdir, call);
	case NFS_SYMLINK:
		return rpc_nfs3_symlink_async(rpc, call_done, &call->args.symlink, call);
	case NFS_MKNOD:
		return rpc_nfs3_mknod_async(rpc, call_done, &call->args.mknod, call);
	case NFS_REMOVE:
		return rpc_nfs3_remove_async(rpc, call_done, &call->args.remove, call);
	case NFS_RMDIR:
		return rpc_nfs3_rmdir_async(rpc, call_done, &call->args.rmdir, call);
	case NFS_RENAME:
		return rpc_nfs3_rename_async(rpc, call_done, &call->args.rename, call);
	case NFS_LINK:
		return rpc_nfs3_link_async(rpc, call_done, &call->args.link, call);
	case NFS_READDIRPLUS:
		return rpc_nfs3_readdirplus_async(rpc, call_done, &call->args.readdirplus, call);
	case NFS_FSSTAT:
		return rpc_nfs3_fsstat_async(rpc, call_done, &call->args.fsstat, call);
	case NFS_FSINFO:
		return rpc_nfs3_fsinfo_async(rpc, call_done, &call->args.fsinfo, call);
	case NFS_COMMIT:
		return rpc_nfs3_commit_async(rpc, call_done, &call->args.commit, call);
	}
	return -1;
}

/*
 * Waits at most a slice for @rpc's socket, and lets libnfs handle what
 * came (replies, callbacks). Returns rpc_service()'s answer: < 0 when the
 * connection is broken.
 */
static int service_slice(struct rpc_context *rpc)
{
	struct pollfd pfd = {
		.fd = rpc_get_fd(rpc),
		.events = rpc_which_events(rpc),
	};
	int n = poll(&pfd, 1, NFS_SLICE_MS);

	return rpc_service(rpc, n > 0 ? pfd.revents : 0);
}

static void note_slow(struct nfs_pool *p, double started, bool *slow)
{
	if (*slow || now() - started < NFS_SLOW_SECONDS)
		return;
	*slow = true;
	pthread_mutex_lock(&p->lock);
	if (!p->slow_since) {
		p->slow_since = time(NULL);
		log_warn("nfs server %s not responding, still trying", p->server);
	}
	pthread_mutex_unlock(&p->lock);
}

static void note_answered(struct nfs_pool *p, bool slow)
{
	if (!slow)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->slow_since) {
		p->slow_since = 0;
		log_info("nfs server %s OK", p->server);
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * Runs the context's event loop until @call finished, the deadline passed
 * or the caller was interrupted; the last two give the connection up.
 */
static int run_call(struct nfs_pool *p, struct nfs_conn *c,
		    struct nfs_call *call, double started)
{
	struct rpc_context *rpc = nfs_get_rpc_context(c->nfs);
	bool slow = false;
	int err = 0;

	while (!call->finished) {
		if (service_slice(rpc) < 0) {
			note_error(p, rpc_get_error(rpc));
			err = -ENOTCONN;
		} else if (call->finished) {
			break;
		} else if (caller_interrupted()) {
			err = -EINTR;
		} else if (p->timeout > 0 && now() - started > p->timeout) {
			note_error(p, "no answer within nfs_timeout");
			err = -EIO;
		}
		if (err) {
			conn_drop(p, c);
			call->finished = true;
			call->err = err;
			return err;
		}
		note_slow(p, started, &slow);
	}
	/* only a reply says the server is back */
	note_answered(p, slow);
	return call->err;
}

/* Sleeps about @ms unless the caller is interrupted first. */
static int pause_for(int ms)
{
	int slept;

	for (slept = 0; slept < ms; slept += NFS_SLICE_MS) {
		if (caller_interrupted())
			return -EINTR;
		poll(NULL, 0, NFS_SLICE_MS);
	}
	return 0;
}

int nfs_call(struct nfs_pool *p, struct nfs_call *call)
{
	static const struct store_cred root_cred;
	const struct store_caller *who = store_caller();
	double started = now();
	struct nfs_conn *c;
	bool slow = false;
	int rc;

	for (;;) {
		c = conn_take(p);
		rc = c->nfs ? 0 : conn_open(p, c);
		if (rc == 0)
			rc = set_cred(c, who ? &who->cred : &root_cred);
		if (rc == 0) {
			call->finished = false;
			call->err = 0;
			if (send_call(nfs_get_rpc_context(c->nfs), call)) {
				note_error(p, rpc_get_error(
					nfs_get_rpc_context(c->nfs)));
				conn_drop(p, c);
				rc = -ENOTCONN;
			} else {
				rc = run_call(p, c, call, started);
			}
		}
		if (rc == -ENOTCONN && c->nfs)
			conn_drop(p, c);
		conn_give(p, c);
		/*
		 * The server is down, restarting or busy: wait, and send again,
		 * as a hard mount does. A request the server may have carried
		 * out before the connection broke is sent again too, as a
		 * kernel client retransmits it.
		 */
		if (rc != -EHOSTDOWN && rc != -ENOTCONN && rc != -EAGAIN)
			return rc;
		if (p->timeout > 0 && now() - started > p->timeout)
			return -EIO;
		note_slow(p, started, &slow);
		if (pause_for(rc == -EAGAIN ? 500 : 1000))
			return -EINTR;
	}
}

struct mnt_wait {
	bool done;
	int err;
	struct nfs_fh *fh;
	char *msg;
	size_t len;
};

static void mnt_connected(struct rpc_context *rpc, int status, void *data,
			  void *private_data)
{
	struct mnt_wait *w = private_data;

	(void)rpc;
	w->done = true;
	if (status != RPC_STATUS_SUCCESS) {
		snprintf(w->msg, w->len, "%s",
			 data ? (const char *)data : "cannot connect");
		w->err = -EHOSTDOWN;
	}
}

static void mnt_replied(struct rpc_context *rpc, int status, void *data,
			void *private_data)
{
	struct mnt_wait *w = private_data;
	mountres3 *res = data;
	fhandle3 *fh;

	(void)rpc;
	w->done = true;
	if (status != RPC_STATUS_SUCCESS) {
		snprintf(w->msg, w->len, "MOUNT failed: %s",
			 data ? (const char *)data : "no answer");
		w->err = -EHOSTDOWN;
		return;
	}
	if (res->fhs_status != MNT3_OK) {
		snprintf(w->msg, w->len, "the server refused the export (%s)",
			 res->fhs_status == MNT3ERR_NOENT ? "no such export" :
			 res->fhs_status == MNT3ERR_ACCES ? "access denied" :
			 "MOUNT error");
		w->err = res->fhs_status == MNT3ERR_NOENT ? -ENOENT : -EACCES;
		return;
	}
	fh = &res->mountres3_u.mountinfo.fhandle;
	if (fh->fhandle3_len > NFS_FH_MAX) {
		snprintf(w->msg, w->len, "the server's file handle is too long");
		w->err = -EPROTO;
		return;
	}
	w->fh->len = fh->fhandle3_len;
	memcpy(w->fh->data, fh->fhandle3_val, fh->fhandle3_len);
}

static int mnt_wait_for(struct rpc_context *rpc, struct mnt_wait *w)
{
	double deadline = now() + 30;

	while (!w->done) {
		if (service_slice(rpc) < 0 || now() > deadline) {
			snprintf(w->msg, w->len, "MOUNT failed: %s",
				 rpc_get_error(rpc));
			return -EHOSTDOWN;
		}
	}
	return w->err;
}

/* The export's root handle, by a MOUNT call of our own. */
static int fetch_root(struct nfs_pool *p, char *msg, size_t len)
{
	struct mnt_wait w = { .fh = &p->root, .msg = msg, .len = len };
	struct rpc_context *rpc = rpc_init_context();
	int rc;

	if (!rpc)
		return -ENOMEM;
	rc = p->mount_port ?
		rpc_connect_async(rpc, p->server, p->mount_port, mnt_connected, &w) :
		rpc_connect_program_async(rpc, p->server, MOUNT_PROGRAM,
					  MOUNT_V3, mnt_connected, &w);
	if (rc == 0)
		rc = mnt_wait_for(rpc, &w);
	else
		snprintf(msg, len, "%s", rpc_get_error(rpc));
	if (rc == 0) {
		w.done = false;
		if (rpc_mount3_mnt_async(rpc, mnt_replied, p->export, &w))
			rc = -ENOMEM;
		else
			rc = mnt_wait_for(rpc, &w);
	}
	rpc_destroy_context(rpc);
	return rc;
}

struct fsinfo_call {
	struct nfs_call call;
	struct nfs_pool *p;
};

static void fsinfo_done(struct nfs_call *call, void *res)
{
	struct fsinfo_call *f = (struct fsinfo_call *)call;
	FSINFO3res *r = res;

	if (call->err)
		return;
	f->p->rtmax = r->FSINFO3res_u.resok.rtmax;
	f->p->wtmax = r->FSINFO3res_u.resok.wtmax;
}

static void pool_free(struct nfs_pool *p)
{
	unsigned i;

	for (i = 0; i < NFS_POOL_CONNS; i++)
		if (p->conns[i].nfs)
			nfs_destroy_context(p->conns[i].nfs);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->server);
	free(p->export);
	free(p);
}

/* "port 20490" or "the portmapper's port", for messages. */
static void port_text(int port, const char *what, char *buf, size_t len)
{
	if (port)
		snprintf(buf, len, "%s port %d", what, port);
	else
		snprintf(buf, len, "%s port from the portmapper at port 111",
			 what);
}

/*
 * Why a TCP connection to @port of @server fails, or "" when it does not:
 * libnfs 4.0 says only "nfs_service failed".
 */
static void probe_port(const char *server, int port, char *buf, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char service[16];
	int fd, rc, err = 0;

	buf[0] = 0;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(server, service, &hints, &ai);
	if (rc) {
		snprintf(buf, len, "%s", gai_strerror(rc));
		return;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno == EINPROGRESS) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		socklen_t elen = sizeof(err);

		if (poll(&pfd, 1, 5000) == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		else
			err = ETIMEDOUT;
	} else if (errno != EISCONN) {
		err = errno;
	}
	close(fd);
	freeaddrinfo(ai);
	if (err)
		snprintf(buf, len, "%s", strerror(err));
}

/* Connects a new pool: one connection, the root handle, the sizes. */
static int pool_connect(struct nfs_pool *p, char *msg, size_t len)
{
	struct fsinfo_call f = { .call.proc = NFS_FSINFO, .p = p };
	char why[256], port[64];
	int rc;

	rc = conn_open(p, &p->conns[0]);
	if (rc) {
		port_text(p->nfs_port, "nfs", port, sizeof(port));
		probe_port(p->server, p->nfs_port ? p->nfs_port : 111, why,
			   sizeof(why));
		snprintf(msg, len, "cannot mount %s:%s (%s): %s", p->server,
			 p->export, port, why[0] ? why : p->last_error);
		return rc;
	}
	rc = fetch_root(p, why, sizeof(why));
	if (rc) {
		port_text(p->mount_port, "mount", port, sizeof(port));
		snprintf(msg, len, "cannot mount %s:%s (%s): %s", p->server,
			 p->export, port, why);
		return rc;
	}
	f.call.args.fsinfo.fsroot.data.data_len = p->root.len;
	f.call.args.fsinfo.fsroot.data.data_val = p->root.data;
	f.call.done = fsinfo_done;
	rc = nfs_call(p, &f.call);
	if (rc) {
		snprintf(msg, len, "cannot mount %s:%s: FSINFO: %s", p->server,
			 p->export, strerror(-rc));
		return rc;
	}
	if (!p->rtmax || p->rtmax > 1 << 20)
		p->rtmax = 1 << 20;
	if (!p->wtmax || p->wtmax > 1 << 20)
		p->wtmax = 1 << 20;
	return 0;
}

struct nfs_pool *nfs_pool_get(const struct nfs_target *t, char *msg,
			      size_t len)
{
	struct nfs_pool *p;
	int rc;

	pthread_mutex_lock(&registry_lock);
	for (p = registry; p; p = p->next) {
		if (!strcmp(p->server, t->server) &&
		    !strcmp(p->export, t->export) &&
		    p->nfs_port == t->nfs_port &&
		    p->mount_port == t->mount_port && p->timeout == t->timeout) {
			p->refs++;
			pthread_mutex_unlock(&registry_lock);
			return p;
		}
	}
	pthread_mutex_unlock(&registry_lock);

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(msg, len, "%s", strerror(ENOMEM));
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->refs = 1;
	p->server = strdup(t->server);
	p->export = strdup(t->export);
	p->nfs_port = t->nfs_port;
	p->mount_port = t->mount_port;
	p->timeout = t->timeout;
	if (!p->server || !p->export) {
		snprintf(msg, len, "%s", strerror(ENOMEM));
		pool_free(p);
		errno = ENOMEM;
		return NULL;
	}
	rc = pool_connect(p, msg, len);
	if (rc) {
		pool_free(p);
		errno = -rc;
		return NULL;
	}
	/* another thread may have made the same pool meanwhile: both work */
	pthread_mutex_lock(&registry_lock);
	p->next = registry;
	registry = p;
	pthread_mutex_unlock(&registry_lock);
	return p;
}

void nfs_pool_put(struct nfs_pool *p)
{
	struct nfs_pool **pp;

	if (!p)
		return;
	pthread_mutex_lock(&registry_lock);
	if (--p->refs) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (pp = &registry; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	pthread_mutex_unlock(&registry_lock);
	pool_free(p);
}

void nfs_pool_health(struct nfs_pool *p, char *buf, size_t len)
{
	unsigned connected = 0, i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < NFS_POOL_CONNS; i++)
		connected += p->conns[i].nfs != NULL;
	if (p->slow_since) {
		struct tm tm;
		char when[16];

		localtime_r(&p->slow_since, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(buf, len, "server not responding since %s, %u requests "
			 "waiting, %lu reconnects%s%s", when, p->in_flight,
			 p->reconnects, p->last_error[0] ? ", last error: " : "",
			 p->last_error);
	} else {
		snprintf(buf, len, "%u of %u connections up, %u requests in "
			 "flight, %lu reconnects", connected, NFS_POOL_CONNS,
			 p->in_flight, p->reconnects);
	}
	pthread_mutex_unlock(&p->lock);
}
