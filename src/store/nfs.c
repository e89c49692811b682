/*
 * nfs.c - a store over an NFSv3 export, by file handle, as a kernel client.
 *
 * A node is a file handle; the same handle is the same node, found again
 * through a hash table. Each node keeps the attributes the server last
 * sent and trusts them for the attribute-cache time (3 s for files, 30 s
 * for directories, as the kernel's acregmin and acdirmin; -o nfs_actimeo
 * sets both); an open asks the server again, which together with a commit
 * at close gives close-to-open consistency: what one client wrote and
 * closed, another reads whole after its open.
 *
 * Requests go out as the caller (store_caller()): the server checks
 * permissions and chooses owners. Open files and their data are in
 * nfs_data.c, names and listings in nfs_dir.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "nfs_store_i.h"

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void nst_fattr_to_stat(const fattr3 *a, struct stat *st)
{
	static const mode_t types[] = {
		[NF3REG] = S_IFREG, [NF3DIR] = S_IFDIR, [NF3BLK] = S_IFBLK,
		[NF3CHR] = S_IFCHR, [NF3LNK] = S_IFLNK, [NF3SOCK] = S_IFSOCK,
		[NF3FIFO] = S_IFIFO,
	};

	memset(st, 0, sizeof(*st));
	st->st_mode = (a->type <= NF3FIFO ? types[a->type] : 0) |
		      (a->mode & 07777);
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_size = a->size;
	st->st_blocks = (a->used + 511) / 512;
	st->st_blksize = 4096;
	st->st_rdev = makedev(a->rdev.specdata1, a->rdev.specdata2);
	st->st_ino = a->fileid;
	st->st_atim.tv_sec = a->atime.seconds;
	st->st_atim.tv_nsec = a->atime.nseconds;
	st->st_mtim.tv_sec = a->mtime.seconds;
	st->st_mtim.tv_nsec = a->mtime.nseconds;
	st->st_ctim.tv_sec = a->ctime.seconds;
	st->st_ctim.tv_nsec = a->ctime.nseconds;
}

void nst_fh_arg(nfs_fh3 *arg, const struct nfs_node *n)
{
	arg->data.data_len = n->fh.len;
	arg->data.data_val = (char *)n->fh.data;
}

static uint32_t fh_hash(const struct nfs_fh *fh)
{
	uint32_t h = 2166136261u;
	uint32_t i;

	for (i = 0; i < fh->len; i++)
		h = (h ^ (unsigned char)fh->data[i]) * 16777619u;
	return h;
}

static int grow(struct nfs_store *s)
{
	size_t n = s->nbuckets ? s->nbuckets * 2 : 1024, i;
	struct nfs_node **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (i = 0; i < s->nbuckets; i++) {
		while (s->buckets[i]) {
			struct nfs_node *nn = s->buckets[i];

			s->buckets[i] = nn->next;
			nn->next = b[nn->hash & (n - 1)];
			b[nn->hash & (n - 1)] = nn;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
	return 0;
}

/* Remembers @a as @n's attributes; s->lock held. */
static void keep_attrs(struct nfs_store *s, struct nfs_node *n,
		       const fattr3 *a)
{
	nst_fattr_to_stat(a, &n->st);
	n->st_at = mono_now();
	n->st_epoch = s->epoch;
	n->st_valid = true;
}

void nst_names_changed(struct nfs_store *s)
{
	pthread_mutex_lock(&s->lock);
	s->epoch++;
	pthread_mutex_unlock(&s->lock);
}

/* @n's attributes as a caller sees them; s->lock held. */
static void attrs_out(const struct nfs_node *n, struct stat *st)
{
	*st = n->st;
	/* a file removed while open here has one link less than its hidden name */
	if (n->silly_name && st->st_nlink)
		st->st_nlink--;
}

int nst_node_get(struct nfs_store *s, const nfs_fh3 *fh, const fattr3 *a,
		 struct nfs_node **out)
{
	struct nfs_fh key;
	struct nfs_node *n;
	uint32_t h;

	if (fh->data.data_len > NFS_FH_MAX || !fh->data.data_len)
		return -EPROTO;
	key.len = fh->data.data_len;
	memcpy(key.data, fh->data.data_val, key.len);
	h = fh_hash(&key);
	pthread_mutex_lock(&s->lock);
	for (n = s->nbuckets ? s->buckets[h & (s->nbuckets - 1)] : NULL; n;
	     n = n->next)
		if (n->hash == h && n->fh.len == key.len &&
		    !memcmp(n->fh.data, key.data, key.len))
			break;
	if (!n) {
		if ((s->count + 1 > s->nbuckets * 2 && grow(s)) ||
		    !(n = calloc(1, sizeof(*n)))) {
			pthread_mutex_unlock(&s->lock);
			return -ENOMEM;
		}
		n->base.store = &s->base;
		n->fh = key;
		n->hash = h;
		n->next = s->buckets[h & (s->nbuckets - 1)];
		s->buckets[h & (s->nbuckets - 1)] = n;
		s->count++;
	}
	n->refs++;
	if (a) {
		keep_attrs(s, n, a);
		n->base.ino = n->st.st_ino ? n->st.st_ino : 1;
	}
	pthread_mutex_unlock(&s->lock);
	*out = n;
	return 0;
}

static void nst_get(struct store *st, struct snode *sn)
{
	struct nfs_store *s = (struct nfs_store *)st;

	pthread_mutex_lock(&s->lock);
	NFS_NODE(sn)->refs++;
	pthread_mutex_unlock(&s->lock);
}

static void nst_put(struct store *st, struct snode *sn)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_node *n = NFS_NODE(sn), **pp;

	pthread_mutex_lock(&s->lock);
	if (--n->refs) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	for (pp = &s->buckets[n->hash & (s->nbuckets - 1)]; *pp != n;
	     pp = &(*pp)->next)
		;
	*pp = n->next;
	s->count--;
	pthread_mutex_unlock(&s->lock);
	free(n);
}

/* Updates @n from a reply's post-operation attributes, when it has them. */
void nst_post_attrs(struct nfs_store *s, struct nfs_node *n,
		    const post_op_attr *a)
{
	pthread_mutex_lock(&s->lock);
	if (a->attributes_follow)
		keep_attrs(s, n, &a->post_op_attr_u.attributes);
	else
		n->st_valid = false;
	pthread_mutex_unlock(&s->lock);
}

/* Forgets @n's attributes: the next getattr asks the server. */
void nst_forget_attrs(struct nfs_store *s, struct nfs_node *n)
{
	pthread_mutex_lock(&s->lock);
	n->st_valid = false;
	pthread_mutex_unlock(&s->lock);
}

struct getattr_call {
	struct nfs_call call;
	fattr3 attrs;
};

static void getattr_done(struct nfs_call *call, void *res)
{
	struct getattr_call *g = (struct getattr_call *)call;
	GETATTR3res *r = res;

	if (!call->err)
		g->attrs = r->GETATTR3res_u.resok.obj_attributes;
}

/* @n's attributes from the server, kept. */
int nst_refresh(struct nfs_store *s, struct nfs_node *n, struct stat *st)
{
	struct getattr_call g = { .call.proc = NFS_GETATTR,
				  .call.done = getattr_done };
	int rc;

	nst_fh_arg(&g.call.args.getattr.object, n);
	rc = nfs_call(s->pool, &g.call);
	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	keep_attrs(s, n, &g.attrs);
	n->base.ino = n->st.st_ino ? n->st.st_ino : 1;
	if (st)
		attrs_out(n, st);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int nst_getattr(struct store *st, struct snode *sn,
		       struct store_file *f, struct stat *out)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_node *n = NFS_NODE(sn);
	double age;
	bool fresh;

	(void)f;
	pthread_mutex_lock(&s->lock);
	age = mono_now() - n->st_at;
	fresh = n->st_valid && n->st_epoch == s->epoch &&
		age < (S_ISDIR(n->st.st_mode) ? s->ac_dir : s->ac_file);
	if (fresh)
		attrs_out(n, out);
	pthread_mutex_unlock(&s->lock);
	return fresh ? 0 : nst_refresh(s, n, out);
}

struct wcc_call {
	struct nfs_call call;
	struct nfs_store *s;
	struct nfs_node *n;
};

static void setattr_done(struct nfs_call *call, void *res)
{
	struct wcc_call *w = (struct wcc_call *)call;
	SETATTR3res *r = res;

	nst_post_attrs(w->s, w->n, call->err ?
		       &r->SETATTR3res_u.resfail.obj_wcc.after :
		       &r->SETATTR3res_u.resok.obj_wcc.after);
}

static void set_time(time_how *how, nfstime3 *t, const struct timespec *ts,
		     bool now)
{
	if (now) {
		*how = SET_TO_SERVER_TIME;
	} else {
		*how = SET_TO_CLIENT_TIME;
		t->seconds = ts->tv_sec;
		t->nseconds = ts->tv_nsec;
	}
}

int nst_setattr(struct store *st, struct snode *sn,
		       struct store_file *f, const struct stat *in,
		       int to_set, struct stat *out)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct wcc_call w = { .call.proc = NFS_SETATTR,
			      .call.done = setattr_done, .s = s,
			      .n = NFS_NODE(sn) };
	sattr3 *a = &w.call.args.setattr.new_attributes;
	int rc;

	(void)f;
	nst_fh_arg(&w.call.args.setattr.object, w.n);
	if (to_set & STORE_SET_MODE) {
		a->mode.set_it = 1;
		a->mode.set_mode3_u.mode = in->st_mode & 07777;
	}
	if (to_set & STORE_SET_UID) {
		a->uid.set_it = 1;
		a->uid.set_uid3_u.uid = in->st_uid;
	}
	if (to_set & STORE_SET_GID) {
		a->gid.set_it = 1;
		a->gid.set_gid3_u.gid = in->st_gid;
	}
	if (to_set & STORE_SET_SIZE) {
		a->size.set_it = 1;
		a->size.set_size3_u.size = in->st_size;
	}
	if (to_set & (STORE_SET_ATIME | STORE_SET_ATIME_NOW))
		set_time(&a->atime.set_it, &a->atime.set_atime_u.atime,
			 &in->st_atim, to_set & STORE_SET_ATIME_NOW);
	if (to_set & (STORE_SET_MTIME | STORE_SET_MTIME_NOW))
		set_time(&a->mtime.set_it, &a->mtime.set_mtime_u.mtime,
			 &in->st_mtim, to_set & STORE_SET_MTIME_NOW);
	/* a change of ctime alone is what any SETATTR does on the server */
	rc = nfs_call(s->pool, &w.call);
	if (rc)
		return rc;
	return nst_refresh(s, w.n, out);
}

struct readlink_call {
	struct nfs_call call;
	char *buf;
	size_t size;
	int len;
};

static void readlink_done(struct nfs_call *call, void *res)
{
	struct readlink_call *l = (struct readlink_call *)call;
	READLINK3res *r = res;
	const char *target;

	if (call->err)
		return;
	target = r->READLINK3res_u.resok.data;
	l->len = strlen(target);
	snprintf(l->buf, l->size, "%s", target);
}

static int nst_readlink(struct store *st, struct snode *sn, char *buf,
			size_t size)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct readlink_call l = { .call.proc = NFS_READLINK,
				   .call.done = readlink_done,
				   .buf = buf, .size = size };
	int rc;

	nst_fh_arg(&l.call.args.readlink.symlink, NFS_NODE(sn));
	rc = nfs_call(s->pool, &l.call);
	return rc ? rc : l.len;
}

struct fsstat_call {
	struct nfs_call call;
	struct statvfs *out;
};

static void fsstat_done(struct nfs_call *call, void *res)
{
	struct fsstat_call *c = (struct fsstat_call *)call;
	FSSTAT3resok *ok = &((FSSTAT3res *)res)->FSSTAT3res_u.resok;

	if (call->err)
		return;
	memset(c->out, 0, sizeof(*c->out));
	c->out->f_bsize = 4096;
	c->out->f_frsize = 4096;
	c->out->f_blocks = ok->tbytes / 4096;
	c->out->f_bfree = ok->fbytes / 4096;
	c->out->f_bavail = ok->abytes / 4096;
	c->out->f_files = ok->tfiles;
	c->out->f_ffree = ok->ffiles;
	c->out->f_favail = ok->afiles;
	c->out->f_namemax = 255;
}

static int nst_statfs(struct store *st, struct snode *sn, struct statvfs *out)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct fsstat_call c = { .call.proc = NFS_FSSTAT,
				 .call.done = fsstat_done, .out = out };

	nst_fh_arg(&c.call.args.fsstat.fsroot, NFS_NODE(sn));
	return nfs_call(s->pool, &c.call);
}

static int nst_setxattr(struct store *st, struct snode *n, const char *name,
			const char *value, size_t size, int flags)
{
	(void)st, (void)n, (void)name, (void)value, (void)size, (void)flags;
	return -EOPNOTSUPP;
}

static ssize_t nst_getxattr(struct store *st, struct snode *n,
			    const char *name, char *value, size_t size)
{
	(void)st, (void)n, (void)name, (void)value, (void)size;
	/* NFSv3 has none; the FUSE layer answers the ACL reads */
	return -EOPNOTSUPP;
}

static ssize_t nst_listxattr(struct store *st, struct snode *n, char *list,
			     size_t size)
{
	(void)st, (void)n, (void)list, (void)size;
	return 0;
}

static int nst_removexattr(struct store *st, struct snode *n,
			   const char *name)
{
	(void)st, (void)n, (void)name;
	return -EOPNOTSUPP;
}

static int nst_root(struct store *st, struct snode **out)
{
	struct nfs_store *s = (struct nfs_store *)st;

	nst_get(st, &s->root->base);
	*out = &s->root->base;
	return 0;
}

static void nst_destroy(struct store *st)
{
	struct nfs_store *s = (struct nfs_store *)st;

	nst_put(st, &s->root->base);
	nfs_pool_put(s->pool);
	free(s->buckets);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct store_ops nfs_ops = {
	.name = "nfs",
	.destroy = nst_destroy,
	.put = nst_put,
	.get = nst_get,
	.root = nst_root,
	.lookup = nst_lookup,
	.getattr = nst_getattr,
	.setattr = nst_setattr,
	.readlink = nst_readlink,
	.mknod = nst_mknod,
	.mkdir = nst_mkdir,
	.symlink = nst_symlink,
	.link = nst_link,
	.create = nst_create,
	.tmpfile = nst_tmpfile,
	.unlink = nst_unlink,
	.rmdir = nst_rmdir,
	.rename = nst_rename,
	.open = nst_open,
	.read = nst_read,
	.write = nst_write,
	.flush = nst_flush,
	.fsync = nst_fsync,
	.fallocate = nst_fallocate,
	.lseek = nst_lseek,
	.release = nst_release,
	.opendir = nst_opendir,
	.readdir = nst_readdir,
	.releasedir = nst_release,
	.fsyncdir = nst_fsyncdir,
	.statfs = nst_statfs,
	.setxattr = nst_setxattr,
	.getxattr = nst_getxattr,
	.listxattr = nst_listxattr,
	.removexattr = nst_removexattr,
};

int nfs_store_new(const struct nfs_target *t, struct store **out,
		  char *msg, size_t len)
{
	struct nfs_store *s = calloc(1, sizeof(*s));
	nfs_fh3 root;
	int rc;

	if (!s) {
		snprintf(msg, len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->base.ops = &nfs_ops;
	s->base.refs = 1;
	s->base.caps = STORE_CAP_AS_CALLER | STORE_CAP_MAY_BLOCK;
	s->ac_file = t->actimeo >= 0 ? t->actimeo : 3;
	s->ac_dir = t->actimeo >= 0 ? t->actimeo : 30;
	s->pool = nfs_pool_get(t, msg, len);
	if (!s->pool) {
		rc = -errno;
		goto fail;
	}
	root.data.data_len = s->pool->root.len;
	root.data.data_val = s->pool->root.data;
	rc = nst_node_get(s, &root, NULL, &s->root);
	if (rc == 0)
		rc = nst_refresh(s, s->root, NULL);
	if (rc) {
		snprintf(msg, len, "cannot read the root of %s:%s: %s",
			 t->server, t->export, strerror(-rc));
		if (s->root)
			nst_put(&s->base, &s->root->base);
		nfs_pool_put(s->pool);
		goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	free(s->buckets);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return rc;
}

void nfs_store_health(struct store *st, char *buf, size_t len)
{
	nfs_pool_health(((struct nfs_store *)st)->pool, buf, len);
}

/* A numeric mount option "@name=N" of @opt, into *@out. */
static bool option_int(const char *opt, const char *name, int *out)
{
	size_t n = strlen(name);
	char *end;
	long val;

	if (strncmp(opt, name, n) != 0 || opt[n] != '=')
		return false;
	val = strtol(opt + n + 1, &end, 10);
	if (*end || end == opt + n + 1 || val < 0 || val > 65535)
		return false;
	*out = (int)val;
	return true;
}

/* One option of a mountOptions item, "name" or "name=value". */
static int target_option(struct nfs_target *t, const char *o, char *msg,
			 size_t len)
{
	int vers = 3;

	if (option_int(o, "port", &t->nfs_port) ||
	    option_int(o, "mountport", &t->mount_port))
		return 0;
	if ((option_int(o, "nfsvers", &vers) || option_int(o, "vers", &vers)) &&
	    vers == 3)
		return 0;
	if (!strncmp(o, "nfsvers=", 8) || !strncmp(o, "vers=", 5)) {
		snprintf(msg, len,
			 "mount option \"%s\": podvolfs speaks NFSv3 only", o);
		return -EINVAL;
	}
	return 0;
}

/*
 * The kubelet joins mountOptions with commas, so one item may hold several
 * options ("hard,nfsvers=4"): each is looked at.
 */
int nfs_target_options(struct nfs_target *t, const char *const *opts,
		       size_t n, char *msg, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		char *item = strdup(opts[i]);
		char *save = NULL;
		int rc = 0;

		if (!item)
			return -ENOMEM;
		for (char *o = strtok_r(item, ",", &save); o && !rc;
		     o = strtok_r(NULL, ",", &save))
			rc = target_option(t, o, msg, len);
		free(item);
		if (rc)
			return rc;
	}
	return 0;
}
