/*
 * memory_names.c - the memory store's names: lookup, the create family
 * (mknod, mkdir, symlink, create, O_TMPFILE), link, unlink, rmdir and
 * rename. Every change of a name runs under the store's ns_lock held for
 * writing, so a rename never orders two directory locks; a node's own lock
 * is taken inside it, one at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/store.h"
#include "memory_i.h"

/* Longest symlink target, as PATH_MAX less its terminator. */
#define MEM_TARGET_MAX		4095
#define MEM_NLINK_MAX		0xffffffffUL

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (len > MEM_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -ENOENT;
	return 0;
}

/*
 * Marks a change of @n's entries: mtime and ctime, and @nlink_delta
 * subdirectories more or fewer. Caller holds ns_lock for writing.
 */
static void dir_changed(struct mem_node *dir, int nlink_delta,
			const struct timespec *now)
{
	pthread_rwlock_wrlock(&dir->lock);
	dir->nlink += nlink_delta;
	dir->mtime = *now;
	dir->ctime = *now;
	pthread_rwlock_unlock(&dir->lock);
}

/*
 * Takes one name from @n; returns true when that was its last (the caller
 * then drops the names' reference once it holds no lock). Caller holds
 * ns_lock for writing.
 */
static bool node_unlinked(struct mem_node *n, const struct timespec *now)
{
	bool last;

	pthread_rwlock_wrlock(&n->lock);
	if (S_ISDIR(n->type))
		n->nlink = 0;
	else
		n->nlink--;
	n->ctime = *now;
	last = n->nlink == 0;
	pthread_rwlock_unlock(&n->lock);
	if (last && S_ISDIR(n->type))
		n->u.dir.parent = NULL;
	return last;
}

int mem_lookup(struct store *s, struct snode *sdir, const char *name,
	       struct snode **out, struct stat *st)
{
	struct mem_store *ms = to_ms(s);
	struct mem_node *dir = to_node(sdir);
	struct mem_dirent *de;
	struct mem_node *n = NULL;
	int rc;

	rc = check_name(name);
	if (rc)
		return rc;
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	pthread_rwlock_rdlock(&ms->ns_lock);
	de = mem_dir_find(&dir->u.dir, name, strlen(name));
	if (de) {
		n = de->node;
		mem_node_ref(n);
	}
	pthread_rwlock_unlock(&ms->ns_lock);
	if (!n)
		return -ENOENT;
	mem_node_stat(n, st);
	*out = &n->base;
	return 0;
}

/*
 * Gives the new node @n the name @name in @dir. On success @n carries the
 * names' reference and one for the caller. When the name is taken and
 * @existing is not NULL, *existing gets the node there, with a reference.
 */
static int node_add(struct mem_store *ms, struct mem_node *dir,
		    const char *name, struct mem_node *n,
		    struct mem_node **existing)
{
	size_t len = strlen(name);
	struct mem_dirent *de, *old;
	struct timespec now;
	int rc = 0;

	de = mem_dirent_new(name, len);
	if (!de)
		return -ENOMEM;
	pthread_rwlock_wrlock(&ms->ns_lock);
	if (!dir->nlink) {
		rc = -ENOENT;
		goto out_unlock;
	}
	old = mem_dir_find(&dir->u.dir, name, len);
	if (old) {
		if (existing) {
			*existing = old->node;
			mem_node_ref(old->node);
		}
		rc = -EEXIST;
		goto out_unlock;
	}
	rc = mem_dir_reserve(&dir->u.dir);
	if (rc)
		goto out_unlock;

	now = now_ts();
	pthread_rwlock_wrlock(&dir->lock);
	if (dir->mode & S_ISGID) {
		n->gid = dir->gid;
		if (S_ISDIR(n->type))
			n->mode |= S_ISGID;
	}
	if (S_ISDIR(n->type)) {
		dir->nlink++;
		n->u.dir.parent = dir;
	}
	dir->mtime = now;
	dir->ctime = now;
	pthread_rwlock_unlock(&dir->lock);

	n->atime = now;
	n->mtime = now;
	n->ctime = now;
	n->nlink = S_ISDIR(n->type) ? 2 : 1;
	n->refs = 2;
	mem_node_track(ms, n);
	mem_dir_insert(&dir->u.dir, de, n);
	de = NULL;
out_unlock:
	pthread_rwlock_unlock(&ms->ns_lock);
	free(de);
	return rc;
}

/*
 * Creates @n as @name in @dir and hands it out; on failure frees @n, which
 * gives back whatever it had charged.
 */
static int node_make(struct mem_store *ms, struct snode *sdir,
		     const char *name, struct mem_node *n,
		     struct snode **out, struct stat *st)
{
	int rc = node_add(ms, to_node(sdir), name, n, NULL);

	if (rc) {
		mem_node_destroy(ms, n);
		return rc;
	}
	mem_node_stat(n, st);
	*out = &n->base;
	return 0;
}

/* Checks what every call of the create family gets. */
static int check_create(struct snode *sdir, const char *name)
{
	int rc = check_name(name);

	if (rc)
		return rc;
	if (!S_ISDIR(to_node(sdir)->type))
		return -ENOTDIR;
	return 0;
}

int mem_mknod(struct store *s, struct snode *dir, const char *name,
	      mode_t mode, dev_t rdev, const struct store_cred *cred,
	      struct snode **out, struct stat *st)
{
	struct mem_store *ms = to_ms(s);
	mode_t type = mode & S_IFMT;
	struct mem_node *n;
	int rc;

	rc = check_create(dir, name);
	if (rc)
		return rc;
	if (!type)
		type = S_IFREG;
	if (!S_ISREG(type) && !S_ISFIFO(type) && !S_ISSOCK(type) &&
	    !S_ISCHR(type) && !S_ISBLK(type))
		return -EINVAL;
	n = mem_node_new(ms, type, mode, cred);
	if (!n)
		return -ENOMEM;
	if (S_ISCHR(type) || S_ISBLK(type))
		n->rdev = rdev;
	return node_make(ms, dir, name, n, out, st);
}

int mem_mkdir(struct store *s, struct snode *dir, const char *name,
	      mode_t mode, const struct store_cred *cred,
	      struct snode **out, struct stat *st)
{
	struct mem_store *ms = to_ms(s);
	struct mem_node *n;
	int rc;

	rc = check_create(dir, name);
	if (rc)
		return rc;
	n = mem_node_new(ms, S_IFDIR, mode, cred);
	if (!n)
		return -ENOMEM;
	return node_make(ms, dir, name, n, out, st);
}

int mem_symlink(struct store *s, struct snode *dir, const char *name,
		const char *target, const struct store_cred *cred,
		struct snode **out, struct stat *st)
{
	struct mem_store *ms = to_ms(s);
	size_t len = strlen(target);
	struct mem_node *n;
	int rc;

	rc = check_create(dir, name);
	if (rc)
		return rc;
	if (!len)
		return -ENOENT;
	if (len > MEM_TARGET_MAX)
		return -ENAMETOOLONG;
	n = mem_node_new(ms, S_IFLNK, 0777, cred);
	if (!n)
		return -ENOMEM;
	n->u.link.target = strdup(target);
	if (!n->u.link.target) {
		mem_node_destroy(ms, n);
		return -ENOMEM;
	}
	rc = store_charge(s, len);
	if (rc) {
		mem_node_destroy(ms, n);
		return rc;
	}
	n->u.link.len = len;
	return node_make(ms, dir, name, n, out, st);
}

int mem_link(struct store *s, struct snode *sn, struct snode *sdir,
	     const char *name, struct snode **out, struct stat *st)
{
	struct mem_store *ms = to_ms(s);
	struct mem_node *n = to_node(sn);
	struct mem_node *dir = to_node(sdir);
	size_t len = strlen(name);
	struct mem_dirent *de;
	struct timespec now;
	int rc;

	rc = check_create(sdir, name);
	if (rc)
		return rc;
	if (S_ISDIR(n->type))
		return -EPERM;
	de = mem_dirent_new(name, len);
	if (!de)
		return -ENOMEM;
	pthread_rwlock_wrlock(&ms->ns_lock);
	if (!dir->nlink || (!n->nlink && !n->tmpfile)) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (n->nlink >= MEM_NLINK_MAX) {
		rc = -EMLINK;
		goto out_unlock;
	}
	if (mem_dir_find(&dir->u.dir, name, len)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	rc = mem_dir_reserve(&dir->u.dir);
	if (rc)
		goto out_unlock;
	now = now_ts();
	mem_dir_insert(&dir->u.dir, de, n);
	de = NULL;
	pthread_rwlock_wrlock(&n->lock);
	/* a tmpfile's first name: the names' reference */
	if (n->tmpfile)
		mem_node_ref(n);
	n->tmpfile = false;
	n->nlink++;
	n->ctime = now;
	pthread_rwlock_unlock(&n->lock);
	dir_changed(dir, 0, &now);
	mem_node_ref(n);
out_unlock:
	pthread_rwlock_unlock(&ms->ns_lock);
	free(de);
	if (rc)
		return rc;
	mem_node_stat(n, st);
	*out = &n->base;
	return 0;
}

/* Removes @name from @dir: a directory when @want_dir, else anything else. */
static int node_remove(struct mem_store *ms, struct snode *sdir,
		       const char *name, bool want_dir)
{
	struct mem_node *dir = to_node(sdir);
	struct mem_node *n = NULL;
	struct mem_dirent *de;
	struct timespec now;
	bool last = false;
	int rc;

	rc = check_name(name);
	if (rc)
		return rc;
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	pthread_rwlock_wrlock(&ms->ns_lock);
	de = mem_dir_find(&dir->u.dir, name, strlen(name));
	if (!de) {
		rc = -ENOENT;
		goto out_unlock;
	}
	n = de->node;
	if (want_dir && !S_ISDIR(n->type)) {
		rc = -ENOTDIR;
		goto out_unlock;
	}
	if (!want_dir && S_ISDIR(n->type)) {
		rc = -EISDIR;
		goto out_unlock;
	}
	if (want_dir && n->u.dir.nlive) {
		rc = -ENOTEMPTY;
		goto out_unlock;
	}
	now = now_ts();
	mem_dir_remove(&dir->u.dir, de);
	free(de);
	last = node_unlinked(n, &now);
	dir_changed(dir, want_dir ? -1 : 0, &now);
out_unlock:
	pthread_rwlock_unlock(&ms->ns_lock);
	if (last)
		mem_node_unref(ms, n);
	return rc;
}

int mem_unlink(struct store *s, struct snode *dir, const char *name)
{
	return node_remove(to_ms(s), dir, name, false);
}

int mem_rmdir(struct store *s, struct snode *dir, const char *name)
{
	return node_remove(to_ms(s), dir, name, true);
}

/* Whether @dir is @anc or lies beneath it. Caller holds ns_lock. */
static bool dir_within(const struct mem_node *dir, const struct mem_node *anc)
{
	for (;;) {
		if (dir == anc)
			return true;
		if (!dir->u.dir.parent || dir->u.dir.parent == dir)
			return false;
		dir = dir->u.dir.parent;
	}
}

/* What one rename changes, found under ns_lock before anything changes. */
struct rename_op {
	struct mem_node *dir;
	struct mem_node *newdir;
	struct mem_dirent *from;	/* the entry that moves */
	struct mem_dirent *to;		/* the entry it replaces, or NULL */
	struct mem_dirent *fresh;	/* preallocated new entry, or NULL */
	struct mem_node *victim;	/* node that lost its last name */
	unsigned int flags;
};

/* Whether replacing @old with @src is allowed. Caller holds ns_lock. */
static int rename_check_target(const struct mem_node *src,
			       const struct mem_node *old)
{
	if (S_ISDIR(src->type)) {
		if (!S_ISDIR(old->type))
			return -ENOTDIR;
		if (old->u.dir.nlive)
			return -ENOTEMPTY;
	} else if (S_ISDIR(old->type)) {
		return -EISDIR;
	}
	return 0;
}

/* RENAME_EXCHANGE: the two entries swap nodes. */
static int rename_exchange(struct rename_op *op, const struct timespec *now)
{
	struct mem_node *a = op->from->node;
	struct mem_node *b = op->to->node;
	int delta = 0;

	if (a == b)
		return 0;
	if (S_ISDIR(a->type) && dir_within(op->newdir, a))
		return -EINVAL;
	if (S_ISDIR(b->type) && dir_within(op->dir, b))
		return -EINVAL;
	op->from->node = b;
	op->to->node = a;
	if (S_ISDIR(a->type))
		a->u.dir.parent = op->newdir;
	if (S_ISDIR(b->type))
		b->u.dir.parent = op->dir;
	if (op->dir != op->newdir)
		delta = !!S_ISDIR(b->type) - !!S_ISDIR(a->type);
	dir_changed(op->dir, delta, now);
	if (op->newdir != op->dir)
		dir_changed(op->newdir, -delta, now);
	pthread_rwlock_wrlock(&a->lock);
	a->ctime = *now;
	pthread_rwlock_unlock(&a->lock);
	pthread_rwlock_wrlock(&b->lock);
	b->ctime = *now;
	pthread_rwlock_unlock(&b->lock);
	return 0;
}

/* A plain rename or RENAME_NOREPLACE, replacing op->to if there is one. */
static int rename_move(struct rename_op *op, const struct timespec *now)
{
	struct mem_node *src = op->from->node;
	int delta_dir = 0, delta_new = 0;
	int rc;

	if (op->to && op->to->node == src)
		return 0;
	if (S_ISDIR(src->type) && op->dir != op->newdir &&
	    dir_within(op->newdir, src))
		return -EINVAL;
	if (op->to) {
		rc = rename_check_target(src, op->to->node);
		if (rc)
			return rc;
	} else {
		rc = mem_dir_reserve(&op->newdir->u.dir);
		if (rc)
			return rc;
	}

	mem_dir_remove(&op->dir->u.dir, op->from);
	free(op->from);
	op->from = NULL;
	if (op->to) {
		struct mem_node *old = op->to->node;

		op->to->node = src;
		if (S_ISDIR(old->type))
			delta_new--;
		if (node_unlinked(old, now))
			op->victim = old;
	} else {
		mem_dir_insert(&op->newdir->u.dir, op->fresh, src);
		op->fresh = NULL;
	}
	if (S_ISDIR(src->type)) {
		src->u.dir.parent = op->newdir;
		delta_dir--;
		delta_new++;
	}
	if (op->dir == op->newdir) {
		dir_changed(op->dir, delta_dir + delta_new, now);
	} else {
		dir_changed(op->dir, delta_dir, now);
		dir_changed(op->newdir, delta_new, now);
	}
	pthread_rwlock_wrlock(&src->lock);
	src->ctime = *now;
	pthread_rwlock_unlock(&src->lock);
	return 0;
}

/* Finds the entries of @op and does it. Caller holds ns_lock for writing. */
static int rename_locked(struct rename_op *op, const char *name,
			 const char *newname)
{
	struct timespec now;

	if (!op->dir->nlink || !op->newdir->nlink)
		return -ENOENT;
	op->from = mem_dir_find(&op->dir->u.dir, name, strlen(name));
	if (!op->from)
		return -ENOENT;
	op->to = mem_dir_find(&op->newdir->u.dir, newname, strlen(newname));
	now = now_ts();
	if (op->flags & RENAME_EXCHANGE) {
		if (!op->to)
			return -ENOENT;
		return rename_exchange(op, &now);
	}
	if (op->to && (op->flags & RENAME_NOREPLACE))
		return -EEXIST;
	return rename_move(op, &now);
}

int mem_rename(struct store *s, struct snode *dir, const char *name,
	       struct snode *newdir, const char *newname,
	       unsigned int flags)
{
	struct mem_store *ms = to_ms(s);
	struct rename_op op = {
		.dir = to_node(dir),
		.newdir = to_node(newdir),
		.flags = flags,
	};
	int rc;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	rc = check_name(name);
	if (!rc)
		rc = check_name(newname);
	if (rc)
		return rc;
	if (!S_ISDIR(op.dir->type) || !S_ISDIR(op.newdir->type))
		return -ENOTDIR;
	op.fresh = mem_dirent_new(newname, strlen(newname));
	if (!op.fresh)
		return -ENOMEM;
	pthread_rwlock_wrlock(&ms->ns_lock);
	rc = rename_locked(&op, name, newname);
	pthread_rwlock_unlock(&ms->ns_lock);
	free(op.fresh);
	if (op.victim)
		mem_node_unref(ms, op.victim);
	return rc;
}

int mem_create(struct store *s, struct snode *sdir, const char *name,
	       mode_t mode, int flags, const struct store_cred *cred,
	       struct snode **out, struct stat *st,
	       struct store_file **f)
{
	struct mem_store *ms = to_ms(s);
	struct mem_node *n, *existing = NULL;
	struct mem_file *mf;
	int rc;

	rc = check_create(sdir, name);
	if (rc)
		return rc;
	n = mem_node_new(ms, S_IFREG, mode, cred);
	if (!n)
		return -ENOMEM;
	mf = calloc(1, sizeof(*mf));
	if (!mf) {
		mem_node_destroy(ms, n);
		return -ENOMEM;
	}
	rc = node_add(ms, to_node(sdir), name, n, &existing);
	if (rc) {
		mem_node_destroy(ms, n);
		free(mf);
		if (!existing)
			return rc;
		n = existing;
		rc = -EEXIST;
		if (!(flags & O_EXCL))
			rc = mem_node_open(ms, n, flags, f);
		if (rc) {
			mem_node_unref(ms, n);
			return rc;
		}
	} else {
		mem_node_ref(n);
		mf->base.node = &n->base;
		mf->base.fd = -1;
		mf->flags = flags;
		*f = &mf->base;
	}
	mem_node_stat(n, st);
	*out = &n->base;
	return 0;
}

/*
 * A file with no name yet: its node has no link and no names' reference,
 * only the handle's and the caller's; link() may name it (tmpfile is set
 * until then), and once both references go its bytes are given back.
 */
int mem_tmpfile(struct store *s, struct snode *sdir, mode_t mode,
		int flags, const struct store_cred *cred,
		struct snode **out, struct stat *st,
		struct store_file **f)
{
	struct mem_store *ms = to_ms(s);
	struct mem_node *dir = to_node(sdir);
	struct mem_file *mf;
	struct mem_node *n;

	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	n = mem_node_new(ms, S_IFREG, mode, cred);
	if (!n)
		return -ENOMEM;
	mf = calloc(1, sizeof(*mf));
	if (!mf) {
		mem_node_destroy(ms, n);
		return -ENOMEM;
	}
	pthread_rwlock_rdlock(&ms->ns_lock);
	if (!dir->nlink) {
		pthread_rwlock_unlock(&ms->ns_lock);
		mem_node_destroy(ms, n);
		free(mf);
		return -ENOENT;
	}
	pthread_rwlock_rdlock(&dir->lock);
	if (dir->mode & S_ISGID)
		n->gid = dir->gid;
	pthread_rwlock_unlock(&dir->lock);
	pthread_rwlock_unlock(&ms->ns_lock);
	n->tmpfile = true;
	n->refs = 2;
	mem_node_track(ms, n);
	mf->base.node = &n->base;
	mf->base.fd = -1;
	mf->flags = flags;
	*f = &mf->base;
	mem_node_stat(n, st);
	*out = &n->base;
	return 0;
}
