/*
 * memory.c - the memory store: an in-process RAM filesystem for emptyDir
 * with medium Memory.
 *
 * Nodes live while they have a name or a reference: every name together
 * holds one reference (dropped when nlink reaches 0), and each lookup or
 * open handle holds one more. The last reference frees the node and gives
 * its bytes back to the limit, so an unlinked file that is still open keeps
 * its data and its charge until the last release.
 *
 * Two kinds of lock. The store's ns_lock guards the directory structure
 * (entries, parents, nlink) and is taken for writing by every change of a
 * name, rename included, so a rename never has to order two directory
 * locks. Each node's rwlock guards its attributes and data; it is taken
 * after ns_lock and never two at once, so the data path of one file meets
 * no global lock. Directory listings run under ns_lock for reading.
 * See docs/design/memory-store.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "podvolfs/store.h"
#include "memory_i.h"

/* Longest symlink target, as PATH_MAX less its terminator. */
#define MEM_TARGET_MAX		4095
/* Longest xattr value and name list, as the kernel's. */
#define MEM_XATTR_SIZE_MAX	65536
#define MEM_XATTR_LIST_MAX	65536
#define MEM_NLINK_MAX		0xffffffffUL
/* Freeing this much chunk memory at once hands free heap pages back. */
#define MEM_TRIM_BYTES		(32ULL << 20)

struct mem_xattr {
	struct mem_xattr *next;
	size_t namelen;			/* without the terminator */
	size_t size;			/* bytes in value */
	char *value;
	char name[];
};

struct mem_node {
	struct snode base;		/* first; base.ino is immutable */
	unsigned long refs;		/* atomic; names hold one together */
	mode_t type;			/* S_IFMT bits; immutable */
	dev_t rdev;			/* immutable */
	/* Take after ms->ns_lock. Protects the fields below unless noted. */
	pthread_rwlock_t lock;
	mode_t mode;			/* type and permission bits */
	nlink_t nlink;			/* changed under ns_lock (write) too */
	/* made with no name (O_TMPFILE) and not named yet; under ns_lock too */
	bool tmpfile;
	uid_t uid;
	gid_t gid;
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
	struct mem_xattr *xattrs;
	uint64_t xattr_bytes;		/* names and values, charged */
	union {
		struct mem_data data;	/* S_IFREG; chunks charged */
		struct mem_dir dir;	/* S_IFDIR; protected by ns_lock */
		struct {
			char *target;	/* immutable */
			size_t len;	/* charged */
		} link;			/* S_IFLNK */
	} u;
	struct mem_node *all_prev;	/* protected by ms->all_lock */
	struct mem_node *all_next;	/* protected by ms->all_lock */
};

struct mem_store {
	struct store base;
	/*
	 * Directory entries, dir->u.dir.parent and every nlink. Take before
	 * any node's lock; writers change names, readers look them up.
	 */
	pthread_rwlock_t ns_lock;
	/* Protects the list of all nodes. Innermost: take nothing under it. */
	pthread_mutex_t all_lock;
	struct mem_node *all;		/* live nodes; protected by all_lock */
	uint64_t nodes;			/* live nodes; atomic */
	uint64_t next_ino;		/* atomic; the root is 1 */
	struct mem_node *root;		/* immutable */
};

struct mem_file {
	struct store_file base;
	int flags;			/* open(2) flags; immutable */
};

/* An open directory: where the last listing stopped. */
struct mem_dirfile {
	struct store_file base;
	pthread_mutex_t lock;		/* innermost; protects the cursor */
	uint64_t gen;			/* dir->gen the cursor belongs to */
	uint64_t cookie;		/* the last cookie listed */
	size_t slot;			/* the slot to go on from */
	bool cursor;			/* whether the fields above are set */
};

static inline struct mem_store *to_ms(struct store *s)
{
	return (struct mem_store *)s;
}

static inline struct mem_node *to_node(struct snode *n)
{
	return (struct mem_node *)n;
}

static struct timespec now_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/*
 * Bytes a file's data holds against the limit: its chunks, each a whole
 * page, as tmpfs counts pages. Holes cost nothing, whatever the size.
 * Caller holds the node's lock or owns it.
 */
static uint64_t data_charged(const struct mem_data *d)
{
	return d->chunks << MEM_CHUNK_SHIFT;
}

/*
 * Moves the charge of @d from @before to what it counts now. Only shrinks:
 * callers charged the most they could need first.
 */
static void data_settle(struct mem_store *ms, const struct mem_data *d,
			uint64_t before)
{
	store_uncharge(&ms->base, before - data_charged(d));
}

static uint64_t node_charged(const struct mem_node *n)
{
	uint64_t bytes = n->xattr_bytes;

	if (S_ISREG(n->type))
		bytes += data_charged(&n->u.data);
	else if (S_ISLNK(n->type))
		bytes += n->u.link.len;
	return bytes;
}

/* Returns freed heap pages to the system after a big free. */
static void mem_trim(uint64_t freed)
{
	if (freed >= MEM_TRIM_BYTES)
		malloc_trim(0);
}

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
 * A new node of @type with permissions @perm, owned by @cred, with no
 * name and no reference yet. NULL: out of memory.
 */
static struct mem_node *node_new(struct mem_store *ms, mode_t type,
				 mode_t perm, const struct store_cred *cred)
{
	struct mem_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (pthread_rwlock_init(&n->lock, NULL)) {
		free(n);
		return NULL;
	}
	n->base.store = &ms->base;
	n->base.ino = __atomic_fetch_add(&ms->next_ino, 1, __ATOMIC_RELAXED);
	n->type = type;
	n->mode = type | (perm & 07777);
	n->uid = cred->uid;
	n->gid = cred->gid;
	n->atime = now_ts();
	n->mtime = n->atime;
	n->ctime = n->atime;
	return n;
}

/* Frees @n's contents and @n, giving its charge back. Holds no lock. */
static void node_destroy(struct mem_store *ms, struct mem_node *n)
{
	uint64_t freed = 0;

	store_uncharge(&ms->base, node_charged(n));
	while (n->xattrs) {
		struct mem_xattr *x = n->xattrs;

		n->xattrs = x->next;
		free(x->value);
		free(x);
	}
	if (S_ISREG(n->type)) {
		freed = n->u.data.alloc;
		mem_data_free(&n->u.data);
	} else if (S_ISDIR(n->type)) {
		mem_dir_free(&n->u.dir);
	} else if (S_ISLNK(n->type)) {
		free(n->u.link.target);
	}
	pthread_rwlock_destroy(&n->lock);
	free(n);
	mem_trim(freed);
}

/* Adds @n to the list of live nodes. */
static void node_track(struct mem_store *ms, struct mem_node *n)
{
	pthread_mutex_lock(&ms->all_lock);
	n->all_prev = NULL;
	n->all_next = ms->all;
	if (ms->all)
		ms->all->all_prev = n;
	ms->all = n;
	pthread_mutex_unlock(&ms->all_lock);
	__atomic_add_fetch(&ms->nodes, 1, __ATOMIC_RELAXED);
}

static void node_untrack(struct mem_store *ms, struct mem_node *n)
{
	pthread_mutex_lock(&ms->all_lock);
	if (n->all_prev)
		n->all_prev->all_next = n->all_next;
	else
		ms->all = n->all_next;
	if (n->all_next)
		n->all_next->all_prev = n->all_prev;
	pthread_mutex_unlock(&ms->all_lock);
	__atomic_sub_fetch(&ms->nodes, 1, __ATOMIC_RELAXED);
}

static void node_ref(struct mem_node *n)
{
	__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
}

/* Drops a reference; the last one frees @n. Call with no store lock held. */
static void node_unref(struct mem_store *ms, struct mem_node *n)
{
	if (__atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL))
		return;
	node_untrack(ms, n);
	node_destroy(ms, n);
}

/* Fills @st from @n. Caller holds n->lock. */
static void node_fill_stat(const struct mem_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->base.ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	st->st_blksize = 4096;
	if (S_ISREG(n->type)) {
		st->st_size = n->u.data.size;
		st->st_blocks = n->u.data.chunks * (MEM_CHUNK_SIZE / 512);
	} else if (S_ISLNK(n->type)) {
		st->st_size = n->u.link.len;
	} else if (S_ISDIR(n->type)) {
		st->st_size = 4096;
	}
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

static void node_stat(struct mem_node *n, struct stat *st)
{
	if (!st)
		return;
	pthread_rwlock_rdlock(&n->lock);
	node_fill_stat(n, st);
	pthread_rwlock_unlock(&n->lock);
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

/* ---- store ops: references and the root ---- */

static void mem_destroy(struct store *s)
{
	struct mem_store *ms = to_ms(s);

	while (ms->all) {
		struct mem_node *n = ms->all;

		ms->all = n->all_next;
		node_destroy(ms, n);
	}
	pthread_mutex_destroy(&ms->all_lock);
	pthread_rwlock_destroy(&ms->ns_lock);
	free(ms);
}

static void mem_put(struct store *s, struct snode *n)
{
	node_unref(to_ms(s), to_node(n));
}

static void mem_get(struct store *s, struct snode *n)
{
	(void)s;
	node_ref(to_node(n));
}

static int mem_root(struct store *s, struct snode **out)
{
	struct mem_store *ms = to_ms(s);

	node_ref(ms->root);
	*out = &ms->root->base;
	return 0;
}

/* ---- names ---- */

static int mem_lookup(struct store *s, struct snode *sdir, const char *name,
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
		node_ref(n);
	}
	pthread_rwlock_unlock(&ms->ns_lock);
	if (!n)
		return -ENOENT;
	node_stat(n, st);
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
			node_ref(old->node);
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
	node_track(ms, n);
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
		node_destroy(ms, n);
		return rc;
	}
	node_stat(n, st);
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

static int mem_mknod(struct store *s, struct snode *dir, const char *name,
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
	n = node_new(ms, type, mode, cred);
	if (!n)
		return -ENOMEM;
	if (S_ISCHR(type) || S_ISBLK(type))
		n->rdev = rdev;
	return node_make(ms, dir, name, n, out, st);
}

static int mem_mkdir(struct store *s, struct snode *dir, const char *name,
		     mode_t mode, const struct store_cred *cred,
		     struct snode **out, struct stat *st)
{
	struct mem_store *ms = to_ms(s);
	struct mem_node *n;
	int rc;

	rc = check_create(dir, name);
	if (rc)
		return rc;
	n = node_new(ms, S_IFDIR, mode, cred);
	if (!n)
		return -ENOMEM;
	return node_make(ms, dir, name, n, out, st);
}

static int mem_symlink(struct store *s, struct snode *dir, const char *name,
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
	n = node_new(ms, S_IFLNK, 0777, cred);
	if (!n)
		return -ENOMEM;
	n->u.link.target = strdup(target);
	if (!n->u.link.target) {
		node_destroy(ms, n);
		return -ENOMEM;
	}
	rc = store_charge(s, len);
	if (rc) {
		node_destroy(ms, n);
		return rc;
	}
	n->u.link.len = len;
	return node_make(ms, dir, name, n, out, st);
}

static int mem_link(struct store *s, struct snode *sn, struct snode *sdir,
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
		node_ref(n);
	n->tmpfile = false;
	n->nlink++;
	n->ctime = now;
	pthread_rwlock_unlock(&n->lock);
	dir_changed(dir, 0, &now);
	node_ref(n);
out_unlock:
	pthread_rwlock_unlock(&ms->ns_lock);
	free(de);
	if (rc)
		return rc;
	node_stat(n, st);
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
		node_unref(ms, n);
	return rc;
}

static int mem_unlink(struct store *s, struct snode *dir, const char *name)
{
	return node_remove(to_ms(s), dir, name, false);
}

static int mem_rmdir(struct store *s, struct snode *dir, const char *name)
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

static int mem_rename(struct store *s, struct snode *dir, const char *name,
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
		node_unref(ms, op.victim);
	return rc;
}

/* ---- attributes ---- */

static void node_kill_caps(struct mem_store *ms, struct mem_node *n);

static int mem_getattr(struct store *s, struct snode *n, struct store_file *f,
		       struct stat *st)
{
	(void)s;
	(void)f;
	node_stat(to_node(n), st);
	return 0;
}

/*
 * Sets @n's size. Growing makes a hole and costs nothing; shrinking gives
 * back the chunks past the new end. Caller holds n->lock for writing.
 */
static int node_truncate(struct mem_store *ms, struct mem_node *n, off_t size,
			 uint64_t *freed)
{
	struct mem_data *d = &n->u.data;
	uint64_t alloc = d->alloc;
	uint64_t before = data_charged(d);

	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (size < 0)
		return -EINVAL;
	/* As on tmpfs, preallocation past the new end goes. */
	if ((uint64_t)size <= d->size)
		mem_data_truncate(d, size);
	d->size = size;
	data_settle(ms, d, before);
	*freed = alloc - d->alloc;
	return 0;
}

static int mem_setattr(struct store *s, struct snode *sn, struct store_file *f,
		       const struct stat *in, int to_set, struct stat *st)
{
	struct mem_node *n = to_node(sn);
	struct timespec now = now_ts();
	uint64_t freed = 0;
	int rc = 0;

	(void)f;
	pthread_rwlock_wrlock(&n->lock);
	if (to_set & STORE_SET_SIZE) {
		rc = node_truncate(to_ms(s), n, in->st_size, &freed);
		if (rc)
			goto out_unlock;
		if (!(to_set & (STORE_SET_MTIME | STORE_SET_MTIME_NOW)))
			n->mtime = now;
	}
	if (to_set & (STORE_SET_SIZE | STORE_SET_UID | STORE_SET_GID))
		node_kill_caps(to_ms(s), n);
	if (to_set & STORE_SET_MODE)
		n->mode = n->type | (in->st_mode & 07777);
	if (to_set & STORE_SET_UID)
		n->uid = in->st_uid;
	if (to_set & STORE_SET_GID)
		n->gid = in->st_gid;
	if (to_set & STORE_SET_ATIME_NOW)
		n->atime = now;
	else if (to_set & STORE_SET_ATIME)
		n->atime = in->st_atim;
	if (to_set & STORE_SET_MTIME_NOW)
		n->mtime = now;
	else if (to_set & STORE_SET_MTIME)
		n->mtime = in->st_mtim;
	if (to_set & STORE_SET_CTIME)
		n->ctime = in->st_ctim;
	else if (to_set)
		n->ctime = now;
	if (st)
		node_fill_stat(n, st);
out_unlock:
	pthread_rwlock_unlock(&n->lock);
	mem_trim(freed);
	return rc;
}

static int mem_readlink(struct store *s, struct snode *sn, char *buf,
			size_t size)
{
	struct mem_node *n = to_node(sn);
	size_t len;

	(void)s;
	if (!S_ISLNK(n->type))
		return -EINVAL;
	len = n->u.link.len;
	memcpy(buf, n->u.link.target, len < size ? len : size);
	if (len < size)
		buf[len] = '\0';
	return (int)len;
}

/* ---- open files ---- */

/* Opens @n (not a directory): a handle with a reference to it. */
static int node_open(struct mem_store *ms, struct mem_node *n, int flags,
		     struct store_file **f)
{
	struct mem_file *mf;
	uint64_t freed = 0;

	if (S_ISDIR(n->type))
		return -EISDIR;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	if ((flags & O_TRUNC) && S_ISREG(n->type)) {
		struct timespec now = now_ts();

		/* Shrinking a regular file can't fail. */
		pthread_rwlock_wrlock(&n->lock);
		node_truncate(ms, n, 0, &freed);
		n->mtime = now;
		n->ctime = now;
		pthread_rwlock_unlock(&n->lock);
		mem_trim(freed);
	}
	node_ref(n);
	mf->base.node = &n->base;
	mf->base.fd = -1;
	mf->flags = flags;
	*f = &mf->base;
	return 0;
}

static int mem_open(struct store *s, struct snode *n, int flags,
		    struct store_file **f)
{
	return node_open(to_ms(s), to_node(n), flags, f);
}

static int mem_create(struct store *s, struct snode *sdir, const char *name,
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
	n = node_new(ms, S_IFREG, mode, cred);
	if (!n)
		return -ENOMEM;
	mf = calloc(1, sizeof(*mf));
	if (!mf) {
		node_destroy(ms, n);
		return -ENOMEM;
	}
	rc = node_add(ms, to_node(sdir), name, n, &existing);
	if (rc) {
		node_destroy(ms, n);
		free(mf);
		if (!existing)
			return rc;
		n = existing;
		rc = -EEXIST;
		if (!(flags & O_EXCL))
			rc = node_open(ms, n, flags, f);
		if (rc) {
			node_unref(ms, n);
			return rc;
		}
	} else {
		node_ref(n);
		mf->base.node = &n->base;
		mf->base.fd = -1;
		mf->flags = flags;
		*f = &mf->base;
	}
	node_stat(n, st);
	*out = &n->base;
	return 0;
}

/*
 * A file with no name yet: its node has no link and no names' reference,
 * only the handle's and the caller's; link() may name it (tmpfile is set
 * until then), and once both references go its bytes are given back.
 */
static int mem_tmpfile(struct store *s, struct snode *sdir, mode_t mode,
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
	n = node_new(ms, S_IFREG, mode, cred);
	if (!n)
		return -ENOMEM;
	mf = calloc(1, sizeof(*mf));
	if (!mf) {
		node_destroy(ms, n);
		return -ENOMEM;
	}
	pthread_rwlock_rdlock(&ms->ns_lock);
	if (!dir->nlink) {
		pthread_rwlock_unlock(&ms->ns_lock);
		node_destroy(ms, n);
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
	node_track(ms, n);
	mf->base.node = &n->base;
	mf->base.fd = -1;
	mf->flags = flags;
	*f = &mf->base;
	node_stat(n, st);
	*out = &n->base;
	return 0;
}

static ssize_t mem_read(struct store *s, struct store_file *f, char *buf,
			size_t size, off_t off)
{
	struct mem_node *n = to_node(f->node);
	struct mem_data *d = &n->u.data;
	size_t len = 0;

	(void)s;
	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	pthread_rwlock_rdlock(&n->lock);
	if ((uint64_t)off < d->size) {
		len = d->size - off < size ? d->size - off : size;
		mem_data_read(d, buf, len, off);
	}
	pthread_rwlock_unlock(&n->lock);
	return len;
}

/*
 * Writes @buf at @off under n->lock (write). The pages it fills in holes
 * are charged first, as many as the limit leaves: past them the write is
 * short, as on tmpfs, and with none -ENOSPC.
 */
static ssize_t node_write(struct mem_store *ms, struct mem_node *n,
			  const char *buf, size_t size, uint64_t off)
{
	struct mem_data *d = &n->u.data;
	uint64_t before = data_charged(d);
	uint64_t holes = mem_data_holes(d, off, off + size);
	uint64_t grow = 0;
	ssize_t ret;

	if (holes)
		grow = store_charge_upto(&ms->base, holes << MEM_CHUNK_SHIFT,
					 MEM_CHUNK_SIZE);
	ret = mem_data_write(d, buf, size, off, grow >> MEM_CHUNK_SHIFT);
	data_settle(ms, d, before + grow);
	if (ret < 0)
		return ret;
	if (off + ret > d->size)
		d->size = off + ret;
	node_kill_caps(ms, n);
	n->mtime = now_ts();
	n->ctime = n->mtime;
	return ret;
}

static ssize_t mem_write(struct store *s, struct store_file *f,
			 const char *buf, size_t size, off_t off)
{
	struct mem_file *mf = (struct mem_file *)f;
	struct mem_node *n = to_node(f->node);
	ssize_t ret = 0;

	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	if (size > SSIZE_MAX)
		size = SSIZE_MAX;
	pthread_rwlock_wrlock(&n->lock);
	if (mf->flags & O_APPEND)
		off = n->u.data.size;
	if (size > (uint64_t)INT64_MAX - off)
		ret = -EFBIG;
	else if (size)
		ret = node_write(to_ms(s), n, buf, size, off);
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

static int mem_flush(struct store *s, struct store_file *f)
{
	(void)s;
	(void)f;
	return 0;
}

static int mem_fsync(struct store *s, struct store_file *f, bool datasync)
{
	(void)s;
	(void)f;
	(void)datasync;
	return 0;
}

/* Bytes of RAM free for the taking, as statfs reports without a limit. */
static uint64_t ram_free(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return UINT64_MAX;
	return ((uint64_t)si.freeram + si.bufferram) *
	       (si.mem_unit ? si.mem_unit : 1);
}

/*
 * fallocate modes 0 and FALLOC_FL_KEEP_SIZE: every hole page in the range
 * is charged and allocated, or, past the limit, none (-ENOSPC). With
 * KEEP_SIZE the pages may lie past the end of the file. Caller holds
 * n->lock.
 */
static int node_allocate(struct mem_store *ms, struct mem_node *n, int mode,
			 uint64_t off, uint64_t end)
{
	struct mem_data *d = &n->u.data;
	uint64_t before = data_charged(d);
	uint64_t grow = mem_data_holes(d, off, end) << MEM_CHUNK_SHIFT;
	int rc;

	if (!ms->base.limit && grow > ram_free())
		return -ENOSPC;
	if (store_charge(&ms->base, grow))
		return -ENOSPC;
	rc = mem_data_fill(d, off, end);
	data_settle(ms, d, before + grow);
	if (rc)
		return rc;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > d->size) {
		d->size = end;
		n->mtime = now_ts();
		n->ctime = n->mtime;
	}
	return 0;
}

static int mem_fallocate(struct store *s, struct store_file *f, int mode,
			 off_t off, off_t len)
{
	struct mem_node *n = to_node(f->node);
	uint64_t end, alloc;
	int rc = 0;

	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -ENODEV;
	if (mode != 0 && mode != FALLOC_FL_KEEP_SIZE &&
	    mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (len > INT64_MAX - off)
		return -EFBIG;
	end = off + len;
	pthread_rwlock_wrlock(&n->lock);
	alloc = n->u.data.alloc;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		uint64_t before = data_charged(&n->u.data);

		/* Pages past the end (KEEP_SIZE preallocation) go too. */
		mem_data_punch(&n->u.data, off, end);
		data_settle(to_ms(s), &n->u.data, before);
		if ((uint64_t)off < n->u.data.size) {
			n->mtime = now_ts();
			n->ctime = n->mtime;
		}
	} else {
		rc = node_allocate(to_ms(s), n, mode, off, end);
	}
	alloc = alloc > n->u.data.alloc ? alloc - n->u.data.alloc : 0;
	pthread_rwlock_unlock(&n->lock);
	mem_trim(alloc);
	return rc;
}

static off_t mem_lseek(struct store *s, struct store_file *f, off_t off,
		       int whence)
{
	struct mem_node *n = to_node(f->node);
	int64_t ret;

	(void)s;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (off < 0)
		return -ENXIO;
	pthread_rwlock_rdlock(&n->lock);
	ret = mem_data_seek(&n->u.data, off, whence);
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

static void mem_release(struct store *s, struct store_file *f)
{
	struct mem_node *n = to_node(f->node);

	free(f);
	node_unref(to_ms(s), n);
}

/* ---- directories ---- */

static int mem_opendir(struct store *s, struct snode *sn,
		       struct store_file **f)
{
	struct mem_node *n = to_node(sn);
	struct mem_dirfile *df;

	(void)s;
	if (!S_ISDIR(n->type))
		return -ENOTDIR;
	df = calloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	if (pthread_mutex_init(&df->lock, NULL)) {
		free(df);
		return -ENOMEM;
	}
	node_ref(n);
	df->base.node = sn;
	df->base.fd = -1;
	*f = &df->base;
	return 0;
}

/*
 * Lists the entries after @off. The handle remembers the slot where the
 * last listing stopped, so the usual resumption (the cookie of the last
 * entry taken) costs nothing; any other cookie is a binary search.
 */
static int mem_readdir(struct store *s, struct store_file *f, off_t off,
		       bool plus, store_fill_fn fill, void *ctx)
{
	struct mem_store *ms = to_ms(s);
	struct mem_dirfile *df = (struct mem_dirfile *)f;
	struct mem_node *dir = to_node(f->node);
	const struct mem_dir *d = &dir->u.dir;
	uint64_t cookie = off, gen;
	size_t i;
	bool hit;

	if (off < 0)
		return -EINVAL;
	pthread_rwlock_rdlock(&ms->ns_lock);
	pthread_mutex_lock(&df->lock);
	hit = df->cursor && df->gen == d->gen && df->cookie == cookie &&
	      df->slot <= d->nslots;
	i = df->slot;
	pthread_mutex_unlock(&df->lock);
	if (!hit)
		i = mem_dir_seek(d, cookie);
	for (; i < d->nslots; i++) {
		const struct mem_dirent *de = d->slots[i].de;
		struct stat st;

		if (!de)
			continue;
		if (plus) {
			node_ref(de->node);
			node_stat(de->node, &st);
		} else {
			memset(&st, 0, sizeof(st));
			st.st_ino = de->node->base.ino;
			st.st_mode = de->node->type;
		}
		if (fill(ctx, de->name, &st, de->seq,
			 plus ? &de->node->base : NULL))
			break;
		cookie = de->seq;
	}
	gen = d->gen;
	pthread_mutex_lock(&df->lock);
	df->gen = gen;
	df->cookie = cookie;
	df->slot = i;
	df->cursor = true;
	pthread_mutex_unlock(&df->lock);
	pthread_rwlock_unlock(&ms->ns_lock);
	return 0;
}

static void mem_releasedir(struct store *s, struct store_file *f)
{
	struct mem_dirfile *df = (struct mem_dirfile *)f;
	struct mem_node *n = to_node(f->node);

	pthread_mutex_destroy(&df->lock);
	free(df);
	node_unref(to_ms(s), n);
}

static int mem_fsyncdir(struct store *s, struct store_file *f, bool datasync)
{
	(void)s;
	(void)f;
	(void)datasync;
	return 0;
}

static int mem_statfs(struct store *s, struct snode *n, struct statvfs *st)
{
	struct mem_store *ms = to_ms(s);
	uint64_t nodes = __atomic_load_n(&ms->nodes, __ATOMIC_RELAXED);

	(void)n;
	memset(st, 0, sizeof(*st));
	if (s->limit) {
		store_statfs_limit(s, st);
	} else {
		struct sysinfo si;
		uint64_t unit;

		if (sysinfo(&si))
			return -errno;
		unit = si.mem_unit ? si.mem_unit : 1;
		st->f_bsize = 4096;
		st->f_frsize = 4096;
		st->f_blocks = (uint64_t)si.totalram * unit / 4096;
		st->f_bfree = ((uint64_t)si.freeram + si.bufferram) * unit /
			      4096;
		st->f_bavail = st->f_bfree;
	}
	/* Nodes cost RAM, not limit bytes: offer one per free block. */
	st->f_ffree = st->f_bfree > 65536 ? st->f_bfree : 65536;
	st->f_favail = st->f_ffree;
	st->f_files = st->f_ffree + nodes;
	st->f_namemax = MEM_NAME_MAX;
	return 0;
}

/* ---- extended attributes ---- */

/* The xattr @name of @n, and the link that points to it. Caller: n->lock. */
static struct mem_xattr *xattr_find(struct mem_node *n, const char *name,
				    size_t len, struct mem_xattr ***linkp)
{
	struct mem_xattr **pp;

	for (pp = &n->xattrs; *pp; pp = &(*pp)->next) {
		if ((*pp)->namelen == len && !memcmp((*pp)->name, name, len)) {
			if (linkp)
				*linkp = pp;
			return *pp;
		}
	}
	return NULL;
}

/* Frees @x, found through @link, giving its charge back. Caller: n->lock. */
static void xattr_remove(struct mem_store *ms, struct mem_node *n,
			 struct mem_xattr *x, struct mem_xattr **link)
{
	*link = x->next;
	store_uncharge(&ms->base, x->namelen + x->size);
	n->xattr_bytes -= x->namelen + x->size;
	free(x->value);
	free(x);
}

/*
 * A write, truncate or chown removes a file's capabilities, as every Linux
 * file system does (the kernel asks for them before a write only until it
 * found none). Caller holds n->lock for writing.
 */
static void node_kill_caps(struct mem_store *ms, struct mem_node *n)
{
	static const char name[] = "security.capability";
	struct mem_xattr *x, **link;

	x = n->xattrs ? xattr_find(n, name, sizeof(name) - 1, &link) : NULL;
	if (x)
		xattr_remove(ms, n, x, link);
}

/* Bytes listxattr would return for @n. Caller holds n->lock. */
static size_t xattr_list_len(const struct mem_node *n)
{
	const struct mem_xattr *x;
	size_t len = 0;

	for (x = n->xattrs; x; x = x->next)
		len += x->namelen + 1;
	return len;
}

/* Adds a new xattr; the caller charged its bytes. Caller holds n->lock. */
static int xattr_add(struct mem_node *n, const char *name, size_t len,
		     char *value, size_t size)
{
	struct mem_xattr *x;

	if (xattr_list_len(n) + len + 1 > MEM_XATTR_LIST_MAX)
		return -ENOSPC;
	x = malloc(sizeof(*x) + len + 1);
	if (!x)
		return -ENOMEM;
	memcpy(x->name, name, len + 1);
	x->namelen = len;
	x->size = size;
	x->value = value;
	x->next = n->xattrs;
	n->xattrs = x;
	return 0;
}

/* Sets or replaces @name under n->lock (write), charging growth first. */
static int node_setxattr(struct mem_store *ms, struct mem_node *n,
			 const char *name, size_t len, char *value,
			 size_t size, int flags)
{
	struct mem_xattr *x = xattr_find(n, name, len, NULL);
	uint64_t old = x ? len + x->size : 0;
	uint64_t new = len + size;
	int rc;

	if (x && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!x && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (new > old && store_charge(&ms->base, new - old))
		return -ENOSPC;
	if (x) {
		free(x->value);
		x->value = value;
		x->size = size;
	} else {
		rc = xattr_add(n, name, len, value, size);
		if (rc) {
			store_uncharge(&ms->base, new);
			return rc;
		}
	}
	if (old > new)
		store_uncharge(&ms->base, old - new);
	n->xattr_bytes += new;
	n->xattr_bytes -= old;
	n->ctime = now_ts();
	return 0;
}

static int mem_setxattr(struct store *s, struct snode *sn, const char *name,
			const char *value, size_t size, int flags)
{
	struct mem_node *n = to_node(sn);
	size_t len = strlen(name);
	char *copy = NULL;
	int rc;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (len > MEM_NAME_MAX)
		return -ERANGE;
	if (size > MEM_XATTR_SIZE_MAX)
		return -E2BIG;
	if (size) {
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, value, size);
	}
	pthread_rwlock_wrlock(&n->lock);
	rc = node_setxattr(to_ms(s), n, name, len, copy, size, flags);
	pthread_rwlock_unlock(&n->lock);
	if (rc)
		free(copy);
	return rc;
}

static ssize_t mem_getxattr(struct store *s, struct snode *sn,
			    const char *name, char *value, size_t size)
{
	struct mem_node *n = to_node(sn);
	struct mem_xattr *x;
	ssize_t ret;

	(void)s;
	pthread_rwlock_rdlock(&n->lock);
	x = xattr_find(n, name, strlen(name), NULL);
	if (!x) {
		ret = -ENODATA;
	} else if (!size) {
		ret = x->size;
	} else if (size < x->size) {
		ret = -ERANGE;
	} else {
		if (x->size)
			memcpy(value, x->value, x->size);
		ret = x->size;
	}
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

static ssize_t mem_listxattr(struct store *s, struct snode *sn, char *list,
			     size_t size)
{
	struct mem_node *n = to_node(sn);
	const struct mem_xattr *x;
	ssize_t ret;

	(void)s;
	pthread_rwlock_rdlock(&n->lock);
	ret = xattr_list_len(n);
	if (size && (size_t)ret > size) {
		ret = -ERANGE;
	} else if (size) {
		for (x = n->xattrs; x; x = x->next) {
			memcpy(list, x->name, x->namelen + 1);
			list += x->namelen + 1;
		}
	}
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

static int mem_removexattr(struct store *s, struct snode *sn,
			   const char *name)
{
	struct mem_node *n = to_node(sn);
	struct mem_xattr *x, **link;
	size_t len = strlen(name);
	int rc = 0;

	pthread_rwlock_wrlock(&n->lock);
	x = xattr_find(n, name, len, &link);
	if (!x) {
		rc = -ENODATA;
		goto out_unlock;
	}
	xattr_remove(to_ms(s), n, x, link);
	n->ctime = now_ts();
out_unlock:
	pthread_rwlock_unlock(&n->lock);
	return rc;
}

static const struct store_ops memory_ops = {
	.name = "memory",
	.destroy = mem_destroy,
	.put = mem_put,
	.get = mem_get,
	.root = mem_root,
	.lookup = mem_lookup,
	.getattr = mem_getattr,
	.setattr = mem_setattr,
	.readlink = mem_readlink,
	.mknod = mem_mknod,
	.mkdir = mem_mkdir,
	.symlink = mem_symlink,
	.link = mem_link,
	.create = mem_create,
	.tmpfile = mem_tmpfile,
	.unlink = mem_unlink,
	.rmdir = mem_rmdir,
	.rename = mem_rename,
	.open = mem_open,
	.read = mem_read,
	.write = mem_write,
	.flush = mem_flush,
	.fsync = mem_fsync,
	.fallocate = mem_fallocate,
	.lseek = mem_lseek,
	.release = mem_release,
	.opendir = mem_opendir,
	.readdir = mem_readdir,
	.releasedir = mem_releasedir,
	.fsyncdir = mem_fsyncdir,
	.statfs = mem_statfs,
	.setxattr = mem_setxattr,
	.getxattr = mem_getxattr,
	.listxattr = mem_listxattr,
	.removexattr = mem_removexattr,
};

struct store *memory_store_new(mode_t root_mode, uid_t uid, gid_t gid,
			       uint64_t limit)
{
	struct store_cred cred = { .uid = uid, .gid = gid };
	struct mem_store *ms = calloc(1, sizeof(*ms));
	struct mem_node *root;

	if (!ms)
		return NULL;
	ms->base.ops = &memory_ops;
	ms->base.refs = 1;
	ms->base.limit = limit;
	ms->next_ino = 1;
	if (pthread_rwlock_init(&ms->ns_lock, NULL))
		goto out_free_store;
	if (pthread_mutex_init(&ms->all_lock, NULL))
		goto out_destroy_ns_lock;
	root = node_new(ms, S_IFDIR, root_mode, &cred);
	if (!root)
		goto out_destroy_all_lock;
	root->nlink = 2;
	root->refs = 1;
	root->u.dir.parent = root;
	node_track(ms, root);
	ms->root = root;
	return &ms->base;

out_destroy_all_lock:
	pthread_mutex_destroy(&ms->all_lock);
out_destroy_ns_lock:
	pthread_rwlock_destroy(&ms->ns_lock);
out_free_store:
	free(ms);
	return NULL;
}
