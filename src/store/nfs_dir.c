/*
 * nfs_dir.c - names in an NFS store: lookup, the create family, removal,
 * rename and listings (see nfs.c for the model).
 *
 * A listing is read whole with READDIRPLUS at the first readdir of an
 * open directory, handles and attributes included, and served from
 * memory after that: offsets are indexes into it, so they stay valid
 * whatever the server's cookies look like.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>

#include "nfs_store_i.h"

/* READDIRPLUS sizes: names per reply, and the whole reply. */
#define NFS_DIRCOUNT (64u << 10)
#define NFS_MAXCOUNT (256u << 10)

static void dirop_arg(diropargs3 *a, struct nfs_node *dir, const char *name)
{
	nst_fh_arg(&a->dir, dir);
	a->name = (char *)name;
}

/* What a call that makes or finds one object returns. */
struct obj_call {
	struct nfs_call call;
	struct nfs_store *s;
	struct nfs_node *dir;
	bool have_fh, have_attrs;
	struct nfs_fh fh;
	fattr3 attrs;
};

static void keep_obj(struct obj_call *o, const post_op_fh3 *fh,
		     const post_op_attr *a)
{
	if (fh->handle_follows &&
	    fh->post_op_fh3_u.handle.data.data_len <= NFS_FH_MAX) {
		o->have_fh = true;
		o->fh.len = fh->post_op_fh3_u.handle.data.data_len;
		memcpy(o->fh.data, fh->post_op_fh3_u.handle.data.data_val,
		       o->fh.len);
	}
	if (a->attributes_follow) {
		o->have_attrs = true;
		o->attrs = a->post_op_attr_u.attributes;
	}
}

static void obj_done(struct nfs_call *call, void *res)
{
	struct obj_call *o = (struct obj_call *)call;

	switch (call->proc) {
	case NFS_LOOKUP: {
		LOOKUP3res *r = res;
		post_op_fh3 fh = { .handle_follows = 1 };

		if (call->err)
			return;
		fh.post_op_fh3_u.handle = r->LOOKUP3res_u.resok.object;
		keep_obj(o, &fh, &r->LOOKUP3res_u.resok.obj_attributes);
		return;
	}
	case NFS_CREATE: {
		CREATE3res *r = res;

		if (!call->err)
			keep_obj(o, &r->CREATE3res_u.resok.obj,
				 &r->CREATE3res_u.resok.obj_attributes);
		break;
	}
	case NFS_MKDIR: {
		MKDIR3res *r = res;

		if (!call->err)
			keep_obj(o, &r->MKDIR3res_u.resok.obj,
				 &r->MKDIR3res_u.resok.obj_attributes);
		break;
	}
	case NFS_SYMLINK: {
		SYMLINK3res *r = res;

		if (!call->err)
			keep_obj(o, &r->SYMLINK3res_u.resok.obj,
				 &r->SYMLINK3res_u.resok.obj_attributes);
		break;
	}
	case NFS_MKNOD: {
		MKNOD3res *r = res;

		if (!call->err)
			keep_obj(o, &r->MKNOD3res_u.resok.obj,
				 &r->MKNOD3res_u.resok.obj_attributes);
		break;
	}
	case NFS_LINK: {
		LINK3res *r = res;

		nst_names_changed(o->s);
		if (!call->err && r->LINK3res_u.resok.file_attributes.attributes_follow) {
			o->have_attrs = true;
			o->attrs = r->LINK3res_u.resok.file_attributes.post_op_attr_u.attributes;
		}
		break;
	}
	default:
		break;
	}
	/* the directory changed: its size, times and link count */
	nst_forget_attrs(o->s, o->dir);
}

/*
 * The node @o found or made: by its handle, or when the reply carried
 * none, by a LOOKUP of @name. Fills @st.
 */
static int obj_node(struct obj_call *o, const char *name,
		    struct nfs_node **out, struct stat *st)
{
	nfs_fh3 fh;
	int rc;

	if (!o->have_fh) {
		struct obj_call l = { .call.proc = NFS_LOOKUP,
				      .call.done = obj_done, .s = o->s,
				      .dir = o->dir };

		dirop_arg(&l.call.args.lookup.what, o->dir, name);
		rc = nfs_call(o->s->pool, &l.call);
		if (rc)
			return rc;
		*o = l;
	}
	fh.data.data_len = o->fh.len;
	fh.data.data_val = o->fh.data;
	rc = nst_node_get(o->s, &fh, o->have_attrs ? &o->attrs : NULL, out);
	if (rc)
		return rc;
	if (o->have_attrs) {
		nst_fattr_to_stat(&o->attrs, st);
		return 0;
	}
	rc = nst_refresh(o->s, *out, st);
	if (rc) {
		store_put(&(*out)->base);
		*out = NULL;
	}
	return rc;
}

int nst_lookup(struct store *st, struct snode *dir, const char *name,
	       struct snode **out, struct stat *stat)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct obj_call o = { .call.proc = NFS_LOOKUP, .call.done = obj_done,
			      .s = s, .dir = NFS_NODE(dir) };
	struct nfs_node *n;
	int rc;

	dirop_arg(&o.call.args.lookup.what, o.dir, name);
	rc = nfs_call(s->pool, &o.call);
	if (rc == 0)
		rc = obj_node(&o, name, &n, stat);
	if (rc == 0)
		*out = &n->base;
	return rc;
}

/* Runs @o, a call that makes @name in its directory, and finds the result. */
static int make(struct obj_call *o, const char *name, struct snode **out,
		struct stat *stat)
{
	struct nfs_node *n;
	int rc;

	rc = nfs_call(o->s->pool, &o->call);
	if (rc == 0)
		rc = obj_node(o, name, &n, stat);
	if (rc == 0)
		*out = &n->base;
	return rc;
}

static void mode_attr(sattr3 *a, mode_t mode)
{
	a->mode.set_it = 1;
	a->mode.set_mode3_u.mode = mode & 07777;
}

int nst_mknod(struct store *st, struct snode *dir, const char *name,
	      mode_t mode, dev_t rdev, const struct store_cred *cred,
	      struct snode **out, struct stat *stat)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct obj_call o = { .call.done = obj_done, .s = s,
			      .dir = NFS_NODE(dir) };
	MKNOD3args *a = &o.call.args.mknod;
	sattr3 *attrs;

	(void)cred;
	if (S_ISREG(mode)) {
		o.call.proc = NFS_CREATE;
		dirop_arg(&o.call.args.create.where, o.dir, name);
		o.call.args.create.how.mode = GUARDED;
		mode_attr(&o.call.args.create.how.createhow3_u.obj_attributes,
			  mode);
		return make(&o, name, out, stat);
	}
	o.call.proc = NFS_MKNOD;
	dirop_arg(&a->where, o.dir, name);
	switch (mode & S_IFMT) {
	case S_IFCHR:
	case S_IFBLK:
		a->what.type = S_ISCHR(mode) ? NF3CHR : NF3BLK;
		attrs = &a->what.mknoddata3_u.chr_device.dev_attributes;
		a->what.mknoddata3_u.chr_device.spec.specdata1 = major(rdev);
		a->what.mknoddata3_u.chr_device.spec.specdata2 = minor(rdev);
		break;
	case S_IFIFO:
		a->what.type = NF3FIFO;
		attrs = &a->what.mknoddata3_u.pipe_attributes;
		break;
	case S_IFSOCK:
		a->what.type = NF3SOCK;
		attrs = &a->what.mknoddata3_u.sock_attributes;
		break;
	default:
		return -EINVAL;
	}
	mode_attr(attrs, mode);
	return make(&o, name, out, stat);
}

int nst_mkdir(struct store *st, struct snode *dir, const char *name,
	      mode_t mode, const struct store_cred *cred,
	      struct snode **out, struct stat *stat)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct obj_call o = { .call.proc = NFS_MKDIR, .call.done = obj_done,
			      .s = s, .dir = NFS_NODE(dir) };

	(void)cred;
	dirop_arg(&o.call.args.mkdir.where, o.dir, name);
	mode_attr(&o.call.args.mkdir.attributes, mode);
	return make(&o, name, out, stat);
}

int nst_symlink(struct store *st, struct snode *dir, const char *name,
		const char *target, const struct store_cred *cred,
		struct snode **out, struct stat *stat)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct obj_call o = { .call.proc = NFS_SYMLINK, .call.done = obj_done,
			      .s = s, .dir = NFS_NODE(dir) };

	(void)cred;
	dirop_arg(&o.call.args.symlink.where, o.dir, name);
	o.call.args.symlink.symlink.symlink_data = (char *)target;
	return make(&o, name, out, stat);
}

int nst_link(struct store *st, struct snode *sn, struct snode *dir,
	     const char *name, struct snode **out, struct stat *stat)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct obj_call o = { .call.proc = NFS_LINK, .call.done = obj_done,
			      .s = s, .dir = NFS_NODE(dir) };
	struct nfs_node *n = NFS_NODE(sn);
	int rc;

	nst_fh_arg(&o.call.args.link.file, n);
	dirop_arg(&o.call.args.link.link, o.dir, name);
	rc = nfs_call(s->pool, &o.call);
	if (rc)
		return rc;
	/* the same object, one link more */
	o.have_fh = true;
	o.fh = n->fh;
	rc = obj_node(&o, name, &n, stat);
	if (rc == 0)
		*out = &n->base;
	return rc;
}

int nst_create(struct store *st, struct snode *dir, const char *name,
	       mode_t mode, int flags, const struct store_cred *cred,
	       struct snode **out, struct stat *stat,
	       struct store_file **f)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct obj_call o = { .call.proc = NFS_CREATE, .call.done = obj_done,
			      .s = s, .dir = NFS_NODE(dir) };
	CREATE3args *a = &o.call.args.create;
	struct snode *sn;
	int rc;

	(void)cred;
	dirop_arg(&a->where, o.dir, name);
	/* GUARDED fails on an existing name, as O_EXCL asks */
	a->how.mode = (flags & O_EXCL) ? GUARDED : UNCHECKED;
	mode_attr(&a->how.createhow3_u.obj_attributes, mode);
	if (flags & O_TRUNC) {
		a->how.createhow3_u.obj_attributes.size.set_it = 1;
		a->how.createhow3_u.obj_attributes.size.set_size3_u.size = 0;
	}
	rc = make(&o, name, &sn, stat);
	if (rc)
		return rc;
	rc = nst_file_open(s, NFS_NODE(sn), f);
	if (rc) {
		store_put(sn);
		return rc;
	}
	*out = sn;
	return 0;
}

struct change_call {
	struct nfs_call call;
	struct nfs_store *s;
	struct nfs_node *dir, *dir2;
};

static void change_done(struct nfs_call *call, void *res)
{
	struct change_call *c = (struct change_call *)call;

	(void)res;
	nst_names_changed(c->s);
}

static int rename_raw(struct nfs_store *s, struct nfs_node *dir,
		      const char *name, struct nfs_node *newdir,
		      const char *newname)
{
	struct change_call c = { .call.proc = NFS_RENAME,
				 .call.done = change_done, .s = s,
				 .dir = dir, .dir2 = newdir };

	dirop_arg(&c.call.args.rename.from, dir, name);
	dirop_arg(&c.call.args.rename.to, newdir, newname);
	return nfs_call(s->pool, &c.call);
}

/*
 * The node @name names in @dir when it is open here (a new reference),
 * else NULL: such a name is renamed rather than removed.
 */
static struct nfs_node *open_node(struct nfs_store *s, struct nfs_node *dir,
				  const char *name)
{
	struct snode *sn;
	struct stat st;
	bool open;

	if (nst_lookup(&s->base, &dir->base, name, &sn, &st))
		return NULL;
	pthread_mutex_lock(&s->lock);
	open = NFS_NODE(sn)->opens && !NFS_NODE(sn)->silly_name &&
	       !S_ISDIR(st.st_mode);
	pthread_mutex_unlock(&s->lock);
	if (open)
		return NFS_NODE(sn);
	store_put(sn);
	return NULL;
}

/*
 * Notes that @n, open, is named only @hidden in @dir: removed at its last
 * close. Returns false when out of memory (nothing noted).
 */
static bool keep_hidden(struct nfs_store *s, struct nfs_node *dir,
			const char *hidden, struct nfs_node *n)
{
	pthread_mutex_lock(&s->lock);
	n->silly_name = strdup(hidden);
	if (n->silly_name) {
		n->silly_dir = dir;
		dir->refs++;
	}
	pthread_mutex_unlock(&s->lock);
	return n->silly_name != NULL;
}

/* Renames @n (named @name in @dir and open) to a hidden name, removed at last close. */
static int silly_rename(struct nfs_store *s, struct nfs_node *dir,
			const char *name, struct nfs_node *n)
{
	char silly[64];
	int rc;

	pthread_mutex_lock(&s->lock);
	snprintf(silly, sizeof(silly), ".podvolfs-silly-%016llx%04lx",
		 (unsigned long long)n->base.ino, ++s->silly_seq & 0xffff);
	pthread_mutex_unlock(&s->lock);
	rc = rename_raw(s, dir, name, dir, silly);
	if (rc == 0)
		keep_hidden(s, dir, silly, n);
	return rc;
}

static int remove_raw(struct nfs_store *s, struct nfs_node *dir,
		      const char *name)
{
	struct change_call c = { .call.proc = NFS_REMOVE,
				 .call.done = change_done, .s = s,
				 .dir = dir };

	dirop_arg(&c.call.args.remove.object, dir, name);
	return nfs_call(s->pool, &c.call);
}

int nst_unlink(struct store *st, struct snode *dir, const char *name)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_node *n = NULL;
	bool any_open;
	int rc;

	pthread_mutex_lock(&s->lock);
	any_open = s->opens > 0;
	pthread_mutex_unlock(&s->lock);
	if (any_open)
		n = open_node(s, NFS_NODE(dir), name);
	if (n) {
		rc = silly_rename(s, NFS_NODE(dir), name, n);
		nst_forget_attrs(s, n);
		store_put(&n->base);
		return rc;
	}
	return remove_raw(s, NFS_NODE(dir), name);
}

/*
 * O_TMPFILE: NFS has no unnamed files, so the file is made under a hidden
 * name of its own, as a file removed while open is kept (silly_rename()),
 * and counts one link less: link() names it, and the hidden name goes at
 * its last close. A name another client took is tried again.
 */
int nst_tmpfile(struct store *st, struct snode *dir, mode_t mode, int flags,
		const struct store_cred *cred, struct snode **out,
		struct stat *stat, struct store_file **f)
{
	struct nfs_store *s = (struct nfs_store *)st;
	char hidden[64];
	uint64_t r;
	int rc, tries = 0;

	(void)flags;
	do {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return -errno;
		snprintf(hidden, sizeof(hidden), ".podvolfs-tmpfile-%016llx",
			 (unsigned long long)r);
		rc = nst_create(st, dir, hidden, mode, O_EXCL, cred, out, stat,
				f);
	} while (rc == -EEXIST && ++tries < 4);
	if (rc)
		return rc;
	if (!keep_hidden(s, NFS_NODE(dir), hidden, NFS_NODE(*out))) {
		nst_release(st, *f);
		store_put(*out);
		remove_raw(s, NFS_NODE(dir), hidden);
		return -ENOMEM;
	}
	if (stat->st_nlink)
		stat->st_nlink--;
	return 0;
}

void nst_file_closed(struct nfs_store *s, struct nfs_node *n)
{
	struct nfs_node *dir = NULL;
	char *name = NULL;

	pthread_mutex_lock(&s->lock);
	s->opens--;
	if (--n->opens == 0 && n->silly_name) {
		dir = n->silly_dir;
		name = n->silly_name;
		n->silly_dir = NULL;
		n->silly_name = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (!name)
		return;
	if (remove_raw(s, dir, name))
		log_warn("nfs %s:%s: cannot remove %s after its last close",
			 s->pool->server, s->pool->export, name);
	free(name);
	store_put(&dir->base);
}

int nst_rmdir(struct store *st, struct snode *dir, const char *name)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct change_call c = { .call.proc = NFS_RMDIR,
				 .call.done = change_done, .s = s,
				 .dir = NFS_NODE(dir) };

	dirop_arg(&c.call.args.rmdir.object, c.dir, name);
	return nfs_call(s->pool, &c.call);
}

int nst_rename(struct store *st, struct snode *dir, const char *name,
	       struct snode *newdir, const char *newname, unsigned int flags)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_node *victim = NULL;
	bool any_open;
	int rc;

	/* NFSv3 renames only one way; the Linux client says EINVAL too */
	if (flags)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	any_open = s->opens > 0;
	pthread_mutex_unlock(&s->lock);
	/* a target open here keeps its data under a hidden name */
	if (any_open)
		victim = open_node(s, NFS_NODE(newdir), newname);
	if (victim) {
		rc = silly_rename(s, NFS_NODE(newdir), newname, victim);
		store_put(&victim->base);
		if (rc)
			return rc;
	}
	return rename_raw(s, NFS_NODE(dir), name, NFS_NODE(newdir), newname);
}

int nst_opendir(struct store *st, struct snode *sn, struct store_file **f)
{
	return nst_file_open((struct nfs_store *)st, NFS_NODE(sn), f);
}

struct list_call {
	struct nfs_call call;
	struct nfs_file *f;
	size_t cap;
	uint64_t cookie;
	char verf[NFS3_COOKIEVERFSIZE];
	bool eof;
	int err;			/* -ENOMEM while copying */
};

static int add_entry(struct list_call *l, const entryplus3 *e)
{
	struct nfs_dirent *d;
	size_t nlen = strlen(e->name);
	char *name;

	if (l->f->n_ents == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct nfs_dirent *ents = realloc(l->f->ents,
						  cap * sizeof(*ents));

		if (!ents)
			return -ENOMEM;
		l->f->ents = ents;
		l->cap = cap;
	}
	name = malloc(nlen + 1);
	if (!name)
		return -ENOMEM;
	memcpy(name, e->name, nlen + 1);
	d = &l->f->ents[l->f->n_ents++];
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->fileid = e->fileid;
	if (e->name_handle.handle_follows &&
	    e->name_handle.post_op_fh3_u.handle.data.data_len <= NFS_FH_MAX) {
		d->have_fh = true;
		d->fh.len = e->name_handle.post_op_fh3_u.handle.data.data_len;
		memcpy(d->fh.data,
		       e->name_handle.post_op_fh3_u.handle.data.data_val,
		       d->fh.len);
	}
	if (e->name_attributes.attributes_follow) {
		d->have_attrs = true;
		d->attrs = e->name_attributes.post_op_attr_u.attributes;
	}
	return 0;
}

static void list_done(struct nfs_call *call, void *res)
{
	struct list_call *l = (struct list_call *)call;
	READDIRPLUS3resok *ok = &((READDIRPLUS3res *)res)->READDIRPLUS3res_u.resok;
	const entryplus3 *next;
	entryplus3 e;

	if (call->err)
		return;
	memcpy(l->verf, ok->cookieverf, sizeof(l->verf));
	/* libnfs 4.0 places entries 4-byte aligned only: copy each out */
	for (next = ok->reply.entries; next && !l->err; next = e.nextentry) {
		memcpy(&e, next, sizeof(e));
		l->cookie = e.cookie;
		if (strcmp(e.name, ".") && strcmp(e.name, ".."))
			l->err = add_entry(l, &e);
	}
	l->eof = ok->reply.eof;
}

void nst_free_listing(struct nfs_file *f)
{
	size_t i;

	for (i = 0; i < f->n_ents; i++)
		free(f->ents[i].name);
	free(f->ents);
	f->ents = NULL;
	f->n_ents = 0;
}

/* Reads the whole directory of @f; starts over when the server says so. */
static int list_dir(struct nfs_store *s, struct nfs_file *f)
{
	struct list_call l;
	int rc, tries = 0;

again:
	memset(&l, 0, sizeof(l));
	l.call.proc = NFS_READDIRPLUS;
	l.call.done = list_done;
	l.f = f;
	while (!l.eof) {
		READDIRPLUS3args *a = &l.call.args.readdirplus;

		nst_fh_arg(&a->dir, NFS_NODE(f->base.node));
		a->cookie = l.cookie;
		memcpy(a->cookieverf, l.verf, sizeof(l.verf));
		a->dircount = NFS_DIRCOUNT;
		a->maxcount = NFS_MAXCOUNT;
		rc = nfs_call(s->pool, &l.call);
		if (rc == 0)
			rc = l.err;
		if (rc == -EBADE && ++tries < 3) {
			nst_free_listing(f);
			goto again;
		}
		if (rc) {
			nst_free_listing(f);
			return rc;
		}
	}
	f->listed = true;
	return 0;
}

int nst_readdir(struct store *st, struct store_file *sf, off_t off,
		bool plus, store_fill_fn fill, void *ctx)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_file *f = (struct nfs_file *)sf;
	size_t i;
	int rc;

	if (off == 0 || !f->listed) {
		nst_free_listing(f);
		f->listed = false;
		rc = list_dir(s, f);
		if (rc)
			return rc;
	}
	for (i = off > STORE_FIRST_COOKIE ? off - STORE_FIRST_COOKIE : 0;
	     i < f->n_ents; i++) {
		struct nfs_dirent *d = &f->ents[i];
		struct nfs_node *n = NULL;
		struct stat stat = { 0 };

		if (plus && d->have_fh && d->have_attrs) {
			nfs_fh3 fh = { .data.data_len = d->fh.len,
				       .data.data_val = d->fh.data };

			rc = nst_node_get(s, &fh, &d->attrs, &n);
			if (rc)
				return rc;
			nst_fattr_to_stat(&d->attrs, &stat);
		} else if (plus) {
			struct snode *sn;

			rc = nst_lookup(st, sf->node, d->name, &sn, &stat);
			if (rc == -ENOENT || rc == -ESTALE)
				continue;
			if (rc)
				return rc;
			n = NFS_NODE(sn);
		} else {
			stat.st_ino = d->fileid;
			if (d->have_attrs)
				nst_fattr_to_stat(&d->attrs, &stat);
			stat.st_mode &= S_IFMT;
		}
		if (fill(ctx, d->name, &stat, STORE_FIRST_COOKIE + i + 1,
			 n ? &n->base : NULL))
			break;
	}
	return 0;
}

int nst_fsyncdir(struct store *st, struct store_file *f, bool datasync)
{
	(void)st, (void)f, (void)datasync;
	/* the server commits directory changes before it answers */
	return 0;
}
