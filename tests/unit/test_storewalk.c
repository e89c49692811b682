/*
 * test_storewalk.c - mkdir -p, rm -rf and clear through store_ops.
 *
 * Most tests run twice: on a memory store and on a passthrough store over a
 * temporary host directory (…/vol, next to …/outside, a host directory the
 * walks must never touch). The fixtures set a umask of 077, so a mode that
 * comes out exact was set, not left to the umask. A third fixture wraps a
 * memory store in a "quirk" store that can answer like awkward backends:
 * cookies that are positions, refusals, silly renames, a directory that
 * refills itself, listings that fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podvolfs/rmtree.h"
#include "podvolfs/store.h"
#include "podvolfs/storewalk.h"

/* Who builds the trees, and who provisions; both our own ids unless root. */
static struct store_cred user = { .uid = 1000, .gid = 1000 };
static struct store_cred prov = { .uid = 4321, .gid = 8765 };

/* ---- the quirk store: a memory store with a bent interface ---- */

#define Q_POSITIONAL	(1 << 0)	/* cookies are positions */
#define Q_DENY		(1 << 1)	/* "deny*": EACCES to remove or make */
#define Q_DENY_SETATTR	(1 << 2)	/* setattr says EPERM */
#define Q_SILLY		(1 << 3)	/* unlink renames "open*", then EBUSY */
#define Q_REFILL	(1 << 4)	/* a listing from 0 adds a name */
#define Q_LIST_ERR	(1 << 5)	/* listing bad_ino says EIO */
#define Q_HIDE_RACE	(1 << 6)	/* first lookup of "race": ENOENT */

struct quirk {
	struct store base;
	struct store *in;
	unsigned flags;
	unsigned seq;			/* silly and refill names */
	bool hidden;			/* "race" was hidden once */
	uint64_t bad_ino;		/* for Q_LIST_ERR */
	unsigned mkdirs;		/* mkdir calls */
	bool caller_set;		/* at the last mkdir */
	struct store_caller caller;	/* at the last mkdir, if set */
};

static struct quirk *to_q(struct store *s)
{
	return (struct quirk *)s;
}

static bool denied(struct store *s, const char *name)
{
	return (to_q(s)->flags & Q_DENY) && !strncmp(name, "deny", 4);
}

static void q_destroy(struct store *s)
{
	store_unref(to_q(s)->in);
	free(s);
}

static void q_put(struct store *s, struct snode *n)
{
	(void)s;
	n->store->ops->put(n->store, n);
}

static void q_get(struct store *s, struct snode *n)
{
	(void)s;
	n->store->ops->get(n->store, n);
}

static int q_root(struct store *s, struct snode **out)
{
	struct store *in = to_q(s)->in;

	return in->ops->root(in, out);
}

static int q_lookup(struct store *s, struct snode *dir, const char *name,
		    struct snode **out, struct stat *st)
{
	struct quirk *q = to_q(s);

	if ((q->flags & Q_HIDE_RACE) && !strcmp(name, "race") && !q->hidden) {
		q->hidden = true;
		return -ENOENT;
	}
	return q->in->ops->lookup(q->in, dir, name, out, st);
}

static int q_getattr(struct store *s, struct snode *n, struct store_file *f,
		     struct stat *st)
{
	struct store *in = to_q(s)->in;

	return in->ops->getattr(in, n, f, st);
}

static int q_setattr(struct store *s, struct snode *n, struct store_file *f,
		     const struct stat *attr, int to_set, struct stat *st)
{
	struct quirk *q = to_q(s);

	if (q->flags & Q_DENY_SETATTR)
		return -EPERM;
	return q->in->ops->setattr(q->in, n, f, attr, to_set, st);
}

static int q_mkdir(struct store *s, struct snode *dir, const char *name,
		   mode_t mode, const struct store_cred *cred,
		   struct snode **out, struct stat *st)
{
	struct quirk *q = to_q(s);
	const struct store_caller *who = store_caller();

	q->mkdirs++;
	q->caller_set = who != NULL;
	if (who)
		q->caller = *who;
	if (denied(s, name))
		return -EACCES;
	return q->in->ops->mkdir(q->in, dir, name, mode, cred, out, st);
}

static int q_unlink(struct store *s, struct snode *dir, const char *name)
{
	struct quirk *q = to_q(s);
	char silly[32];

	if (denied(s, name))
		return -EACCES;
	if ((q->flags & Q_SILLY) && !strncmp(name, ".silly-", 7))
		return -EBUSY;
	if ((q->flags & Q_SILLY) && !strncmp(name, "open", 4)) {
		snprintf(silly, sizeof(silly), ".silly-%u", ++q->seq);
		return q->in->ops->rename(q->in, dir, name, dir, silly, 0);
	}
	return q->in->ops->unlink(q->in, dir, name);
}

static int q_rmdir(struct store *s, struct snode *dir, const char *name)
{
	struct store *in = to_q(s)->in;

	if (denied(s, name))
		return -EACCES;
	return in->ops->rmdir(in, dir, name);
}

static int q_opendir(struct store *s, struct snode *n, struct store_file **f)
{
	struct store *in = to_q(s)->in;

	return in->ops->opendir(in, n, f);
}

struct pos_ctx {
	store_fill_fn fill;
	void *ctx;
	off_t skip;			/* entries before the one asked for */
	off_t i;			/* position of the next entry */
};

static int pos_fill(void *ctx, const char *name, const struct stat *st,
		    off_t off, struct snode *node)
{
	struct pos_ctx *p = ctx;
	off_t i = p->i++;

	(void)off;
	if (i < p->skip) {
		store_put(node);
		return 0;
	}
	return p->fill(p->ctx, name, st, STORE_FIRST_COOKIE + i + 1, node);
}

static int q_readdir(struct store *s, struct store_file *f, off_t off,
		     bool plus, store_fill_fn fill, void *ctx)
{
	struct quirk *q = to_q(s);
	struct pos_ctx p = { .fill = fill, .ctx = ctx };
	struct snode *n;
	struct stat st;
	char name[32];

	if ((q->flags & Q_LIST_ERR) && f->node->ino == q->bad_ino)
		return -EIO;
	if ((q->flags & Q_REFILL) && off == 0) {
		snprintf(name, sizeof(name), "new-%u", ++q->seq);
		assert_int_equal(q->in->ops->mknod(q->in, f->node, name,
						   S_IFREG | 0644, 0, &user,
						   &n, &st), 0);
		store_put(n);
	}
	if (!(q->flags & Q_POSITIONAL))
		return q->in->ops->readdir(q->in, f, off, plus, fill, ctx);
	p.skip = off ? off - STORE_FIRST_COOKIE : 0;
	return q->in->ops->readdir(q->in, f, 0, plus, pos_fill, &p);
}

static void q_releasedir(struct store *s, struct store_file *f)
{
	struct store *in = to_q(s)->in;

	in->ops->releasedir(in, f);
}

static const struct store_ops quirk_ops = {
	.name = "quirk",
	.destroy = q_destroy,
	.put = q_put,
	.get = q_get,
	.root = q_root,
	.lookup = q_lookup,
	.getattr = q_getattr,
	.setattr = q_setattr,
	.mkdir = q_mkdir,
	.unlink = q_unlink,
	.rmdir = q_rmdir,
	.opendir = q_opendir,
	.readdir = q_readdir,
	.releasedir = q_releasedir,
};

/* ---- fixtures ---- */

struct fix {
	struct store *s;		/* the store walked */
	struct snode *root;
	struct quirk *q;		/* the quirk store, or NULL */
	mode_t umask;			/* to restore */
	char tmp[64];			/* host: the temporary dir, or "" */
	char vol[80];			/* host: the store's root */
	char outside[80];		/* host: a directory beside the store */
	char locked[PATH_MAX];		/* host: lock()'s path, or "" */
};

static int fix_finish(void **state, struct fix *fx)
{
	if (!fx->s || fx->s->ops->root(fx->s, &fx->root)) {
		store_unref(fx->s);
		free(fx);
		return -1;
	}
	fx->umask = umask(077);
	*state = fx;
	return 0;
}

static int setup_memory(void **state)
{
	struct fix *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->s = memory_store_new(0750, 1000, 1000, 0);
	return fix_finish(state, fx);
}

static int setup_quirk(void **state)
{
	struct fix *fx = calloc(1, sizeof(*fx));
	struct quirk *q = calloc(1, sizeof(*q));

	if (!fx || !q)
		goto out_free;
	q->in = memory_store_new(0750, 1000, 1000, 0);
	if (!q->in)
		goto out_free;
	q->base.ops = &quirk_ops;
	q->base.refs = 1;
	fx->q = q;
	fx->s = &q->base;
	return fix_finish(state, fx);

out_free:
	free(q);
	free(fx);
	return -1;
}

static int setup_passthrough(void **state)
{
	struct fix *fx = calloc(1, sizeof(*fx));
	int fd;

	if (!fx)
		return -1;
	strcpy(fx->tmp, "/tmp/test_storewalk.XXXXXX");
	if (!mkdtemp(fx->tmp))
		goto out_free;
	snprintf(fx->vol, sizeof(fx->vol), "%s/vol", fx->tmp);
	snprintf(fx->outside, sizeof(fx->outside), "%s/outside", fx->tmp);
	if (mkdir(fx->vol, 0750) || chmod(fx->vol, 0750) ||
	    mkdir(fx->outside, 0755))
		goto out_rm;
	/* as root, give the root an owner the store would not choose */
	if (geteuid() == 0 && chown(fx->vol, 1000, 1000))
		goto out_rm;
	fd = open(fx->vol, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto out_rm;
	fx->s = passthrough_store_new(fd, 0);
	if (!fx->s)
		goto out_rm;
	return fix_finish(state, fx);

out_rm:
	rmtree_at(AT_FDCWD, fx->tmp);
out_free:
	free(fx);
	return -1;
}

/* Sets or clears the immutable flag of the host file @path. 0 or -errno. */
static int set_immutable(const char *path, bool on)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int flags, rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) {
		rc = -errno;
	} else {
		flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

/*
 * Makes the host refuse to remove the file @file of the directory @dir
 * (paths below the volume), and nothing else of it: as root, by making the
 * file immutable (EPERM); otherwise by making @dir read-only (EACCES).
 * Returns the error a removal will see, or 0 when the host cannot refuse.
 */
static int lock(struct fix *fx, const char *dir, const char *file)
{
	if (geteuid() != 0) {
		snprintf(fx->locked, sizeof(fx->locked), "%s/%s", fx->vol, dir);
		if (chmod(fx->locked, 0555) == 0)
			return -EACCES;
	} else {
		snprintf(fx->locked, sizeof(fx->locked), "%s/%s/%s", fx->vol,
			 dir, file);
		if (set_immutable(fx->locked, true) == 0)
			return -EPERM;
	}
	fx->locked[0] = '\0';
	return 0;
}

static void unlock(struct fix *fx)
{
	if (!fx->locked[0])
		return;
	if (geteuid() != 0)
		chmod(fx->locked, 0755);
	else
		set_immutable(fx->locked, false);
	fx->locked[0] = '\0';
}

static int teardown(void **state)
{
	struct fix *fx = *state;

	umask(fx->umask);
	store_put(fx->root);
	store_unref(fx->s);
	unlock(fx);
	if (fx->tmp[0])
		rmtree_at(AT_FDCWD, fx->tmp);
	free(fx);
	return 0;
}

/* ---- helpers: each builds through the node's own store and asserts ---- */

static struct store *st_of(struct snode *n)
{
	return n->store;
}

static struct snode *mk(struct snode *dir, const char *name)
{
	struct store *s = st_of(dir);
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(s->ops->mkdir(s, dir, name, 0755, &user, &n, &st), 0);
	return n;
}

static void touch(struct snode *dir, const char *name)
{
	struct store *s = st_of(dir);
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(s->ops->mknod(s, dir, name, S_IFREG | 0644, 0, &user,
				       &n, &st), 0);
	store_put(n);
}

static void fifo(struct snode *dir, const char *name)
{
	struct store *s = st_of(dir);
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(s->ops->mknod(s, dir, name, S_IFIFO | 0600, 0, &user,
				       &n, &st), 0);
	store_put(n);
}

static void sym(struct snode *dir, const char *name, const char *target)
{
	struct store *s = st_of(dir);
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(s->ops->symlink(s, dir, name, target, &user, &n, &st),
			 0);
	store_put(n);
}

static void hardlink(struct snode *n, struct snode *dir, const char *name)
{
	struct store *s = st_of(dir);
	struct snode *out = NULL;
	struct stat st;

	assert_int_equal(s->ops->link(s, n, dir, name, &out, &st), 0);
	store_put(out);
}

static struct snode *write_file(struct snode *dir, const char *name,
				const char *data)
{
	struct store *s = st_of(dir);
	struct store_file *f = NULL;
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(s->ops->create(s, dir, name, 0644, O_RDWR | O_EXCL,
					&user, &n, &st, &f), 0);
	assert_int_equal(s->ops->write(s, f, data, strlen(data), 0),
			 (ssize_t)strlen(data));
	s->ops->release(s, f);
	return n;
}

static void read_file(struct snode *n, const char *want)
{
	struct store *s = st_of(n);
	struct store_file *f = NULL;
	char buf[64] = "";

	assert_int_equal(s->ops->open(s, n, O_RDONLY, &f), 0);
	assert_int_equal(s->ops->read(s, f, buf, sizeof(buf) - 1, 0),
			 (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	s->ops->release(s, f);
}

/* The entry @name of @dir with a new reference, or NULL; @st if found. */
static struct snode *find(struct snode *dir, const char *name,
			  struct stat *st)
{
	struct store *s = st_of(dir);
	struct snode *n = NULL;
	struct stat tmp;

	if (s->ops->lookup(s, dir, name, &n, st ? st : &tmp))
		return NULL;
	return n;
}

static bool exists(struct snode *dir, const char *name)
{
	struct snode *n = find(dir, name, NULL);

	store_put(n);
	return n != NULL;
}

static struct stat attrs(struct snode *n)
{
	struct store *s = st_of(n);
	struct stat st;

	assert_int_equal(s->ops->getattr(s, n, NULL, &st), 0);
	return st;
}

static void chmod_(struct snode *n, mode_t mode)
{
	struct store *s = st_of(n);
	struct stat in = { .st_mode = mode }, st;

	assert_int_equal(s->ops->setattr(s, n, NULL, &in, STORE_SET_MODE, &st),
			 0);
}

struct count {
	size_t n;
	off_t off;
};

static int count_fill(void *ctx, const char *name, const struct stat *st,
		      off_t off, struct snode *node)
{
	struct count *c = ctx;

	(void)name, (void)st;
	store_put(node);
	c->n++;
	c->off = off;
	return 0;
}

/* Entries @dir lists, read to the end. */
static size_t entries(struct snode *dir)
{
	struct store *s = st_of(dir);
	struct store_file *f = NULL;
	struct count c = { 0 };
	size_t before;

	assert_int_equal(s->ops->opendir(s, dir, &f), 0);
	do {
		before = c.n;
		assert_int_equal(s->ops->readdir(s, f, c.off, false,
						 count_fill, &c), 0);
	} while (c.n > before);
	s->ops->releasedir(s, f);
	return c.n;
}

/* @n files named "<prefix><i>" padded to about 24 bytes. */
static void many_files(struct snode *dir, const char *prefix, unsigned n)
{
	char name[64];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-%06u-padding-padding", prefix,
			 i);
		touch(dir, name);
	}
}

/*
 * A tree @depth levels deep below @dir: at each level files, dot-files,
 * a fifo, symlinks (one pointing up), a file with a second link one level
 * down, and the subdirectory "d" that goes on.
 */
static void build_tree(struct snode *dir, unsigned depth)
{
	struct snode *cur = dir, *next, *f;
	unsigned i;

	store_get(cur);
	for (i = 0; i < depth; i++) {
		touch(cur, "file");
		touch(cur, ".hidden");
		touch(cur, "..two-dots");
		touch(cur, "...");
		fifo(cur, "fifo");
		sym(cur, "up", "..");
		sym(cur, "dangling", "no/such/thing");
		store_put(mk(cur, ".dotdir"));
		f = write_file(cur, "linked", "data");
		next = mk(cur, "d");
		hardlink(f, next, "linked-again");
		store_put(f);
		store_put(cur);
		cur = next;
	}
	store_put(cur);
}

/* ---- store_mkdirs ---- */

static void test_mkdirs_makes_each_component_with_the_exact_mode(void **state)
{
	struct fix *fx = *state;
	struct snode *out = NULL, *ns, *claim, *data, *sg, *x;
	struct stat st;

	assert_int_equal(store_mkdirs(fx->s, "ns/claim/data", 0777, &prov,
				      &out), 0);
	ns = find(fx->root, "ns", &st);
	assert_non_null(ns);
	assert_int_equal(st.st_mode, S_IFDIR | 0777);
	claim = find(ns, "claim", &st);
	assert_non_null(claim);
	assert_int_equal(st.st_mode, S_IFDIR | 0777);
	data = find(claim, "data", &st);
	assert_non_null(data);
	assert_int_equal(st.st_mode, S_IFDIR | 0777);
	assert_int_equal(st.st_uid, prov.uid);
	assert_int_equal(st.st_gid, prov.gid);
	assert_int_equal(attrs(out).st_ino, st.st_ino);
	store_put(out);
	store_put(data);
	store_put(claim);
	store_put(ns);

	/* a setgid parent passes its bit on; the mode still comes out exact */
	sg = mk(fx->root, "sg");
	chmod_(sg, 02775);
	assert_int_equal(store_mkdirs(fx->s, "sg/x", 0777, &prov, NULL), 0);
	x = find(sg, "x", &st);
	assert_non_null(x);
	assert_int_equal(st.st_mode, S_IFDIR | 0777);
	store_put(x);
	store_put(sg);

	if (fx->vol[0]) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/ns/claim/data", fx->vol);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode, S_IFDIR | 0777);
	}
}

static void test_mkdirs_keeps_existing_parts(void **state)
{
	struct fix *fx = *state;
	struct snode *a = mk(fx->root, "a"), *b, *c, *out = NULL;
	struct stat st;

	chmod_(a, 0700);
	assert_int_equal(store_mkdirs(fx->s, "a/b/c", 0777, &prov, NULL), 0);
	assert_int_equal(attrs(a).st_mode, S_IFDIR | 0700);
	b = find(a, "b", &st);
	assert_non_null(b);
	assert_int_equal(st.st_mode, S_IFDIR | 0777);
	c = find(b, "c", &st);
	assert_non_null(c);
	chmod_(c, 0711);

	/* all there: nothing made, nothing changed, the last one returned */
	assert_int_equal(store_mkdirs(fx->s, "a/b/c", 0777, &prov, &out), 0);
	assert_int_equal(attrs(out).st_ino, st.st_ino);
	assert_int_equal(attrs(c).st_mode, S_IFDIR | 0711);
	assert_int_equal(entries(c), 0);
	store_put(out);
	store_put(c);
	store_put(b);
	store_put(a);
}

static void test_mkdirs_refuses_a_non_directory_in_the_way(void **state)
{
	struct fix *fx = *state;
	struct snode *dir = mk(fx->root, "dir"), *out = NULL;
	struct stat st;

	touch(fx->root, "file");
	sym(fx->root, "link", "dir");
	assert_int_equal(store_mkdirs(fx->s, "file/x", 0777, &prov, &out),
			 -ENOTDIR);
	assert_null(out);
	assert_int_equal(store_mkdirs(fx->s, "file", 0777, &prov, NULL),
			 -ENOTDIR);
	/* a symlink on the path is not followed, even to a directory */
	assert_int_equal(store_mkdirs(fx->s, "link/x", 0777, &prov, NULL),
			 -ENOTDIR);
	assert_int_equal(entries(dir), 0);
	store_put(find(fx->root, "file", &st));
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(entries(fx->root), 3);
	store_put(dir);
}

static void test_mkdirs_refuses_bad_paths(void **state)
{
	static const struct {
		const char *path;
		int rc;
	} bad[] = {
		{ "", -EINVAL }, { "/abs", -EINVAL }, { "a/../b", -EINVAL },
		{ "./a", -EINVAL }, { "a/.", -EINVAL }, { "..", -EINVAL },
		{ "a//b", -EINVAL }, { "a/", -EINVAL }, { "/", -EINVAL },
	};
	struct fix *fx = *state;
	char *name = malloc(NAME_MAX + 2), *path = malloc(PATH_MAX + 1);
	struct snode *dir;
	const char *last;
	size_t i;

	assert_non_null(name);
	assert_non_null(path);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_mkdirs(fx->s, bad[i].path, 0777, &prov,
					      NULL), bad[i].rc);
		assert_int_equal(store_lookup_parent(fx->s, bad[i].path, &dir,
						     &last), bad[i].rc);
	}
	assert_int_equal(store_mkdirs(fx->s, NULL, 0777, &prov, NULL),
			 -EINVAL);
	memset(name, 'n', NAME_MAX + 1);
	name[NAME_MAX + 1] = '\0';
	assert_int_equal(store_mkdirs(fx->s, name, 0777, &prov, NULL),
			 -ENAMETOOLONG);
	for (i = 0; i < PATH_MAX; i += 2)
		memcpy(path + i, "a/", 2);
	path[PATH_MAX - 1] = 'a';
	path[PATH_MAX] = '\0';
	assert_int_equal(store_mkdirs(fx->s, path, 0777, &prov, NULL),
			 -ENAMETOOLONG);
	assert_int_equal(entries(fx->root), 0);
	free(path);
	free(name);
}

static void test_lookup_parent(void **state)
{
	struct fix *fx = *state;
	const char *path = "a/b/c", *name = NULL;
	struct snode *b = NULL, *dir = NULL;

	assert_int_equal(store_mkdirs(fx->s, "a/b", 0755, &prov, &b), 0);
	assert_int_equal(store_lookup_parent(fx->s, path, &dir, &name), 0);
	assert_ptr_equal(name, path + 4);
	assert_int_equal(attrs(dir).st_ino, attrs(b).st_ino);
	store_put(dir);

	assert_int_equal(store_lookup_parent(fx->s, "c", &dir, &name), 0);
	assert_string_equal(name, "c");
	assert_int_equal(attrs(dir).st_ino, attrs(fx->root).st_ino);
	store_put(dir);

	touch(b, "file");
	assert_int_equal(store_lookup_parent(fx->s, "a/x/c", &dir, &name),
			 -ENOENT);
	assert_int_equal(store_lookup_parent(fx->s, "a/b/file/c", &dir,
					     &name), -ENOTDIR);
	store_put(b);
}

/* ---- store_remove_tree ---- */

static void test_remove_tree_removes_a_deep_tree(void **state)
{
	struct fix *fx = *state;
	struct snode *t = mk(fx->root, "t"), *keep = mk(fx->root, "keep");
	char path[PATH_MAX];
	struct stat st;

	build_tree(t, 40);
	touch(keep, "file");
	store_put(t);
	assert_int_equal(store_remove_tree(fx->s, fx->root, "t"), 0);
	assert_false(exists(fx->root, "t"));
	assert_true(exists(keep, "file"));
	assert_int_equal(entries(fx->root), 1);
	store_put(keep);
	if (fx->vol[0]) {
		snprintf(path, sizeof(path), "%s/t", fx->vol);
		assert_int_equal(lstat(path, &st), -1);
		assert_int_equal(errno, ENOENT);
	}
}

static void test_remove_tree_unlinks_what_is_not_a_directory(void **state)
{
	struct fix *fx = *state;
	struct snode *dir = mk(fx->root, "dir");

	touch(dir, "inside");
	touch(fx->root, "file");
	fifo(fx->root, "fifo");
	sym(fx->root, "link", "dir");
	assert_int_equal(store_remove_tree(fx->s, fx->root, "file"), 0);
	assert_int_equal(store_remove_tree(fx->s, fx->root, "fifo"), 0);
	assert_int_equal(store_remove_tree(fx->s, fx->root, "link"), 0);
	assert_true(exists(dir, "inside"));
	assert_int_equal(entries(fx->root), 1);

	assert_int_equal(store_remove_tree(fx->s, fx->root, "absent"),
			 -ENOENT);
	assert_int_equal(store_remove_tree(fx->s, fx->root, ""), -EINVAL);
	assert_int_equal(store_remove_tree(fx->s, fx->root, "."), -EINVAL);
	assert_int_equal(store_remove_tree(fx->s, fx->root, ".."), -EINVAL);
	assert_int_equal(store_remove_tree(fx->s, fx->root, "dir/inside"),
			 -EINVAL);
	assert_true(exists(dir, "inside"));
	store_put(dir);
}

static void test_remove_tree_does_not_follow_symlinks(void **state)
{
	struct fix *fx = *state;
	struct snode *t = mk(fx->root, "t"), *out = mk(fx->root, "outside");
	struct snode *sub = mk(t, "sub");
	char path[PATH_MAX];

	touch(out, "precious");
	store_put(mk(out, "also"));
	sym(t, "rel", "../outside");
	sym(sub, "rel-dir", "../../outside/also");
	sym(sub, "abs", "/outside");
	if (fx->vol[0]) {
		/* a host directory beside the volume, by its host path */
		snprintf(path, sizeof(path), "%s/precious", fx->outside);
		assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0644)),
				 0);
		sym(sub, "host", fx->outside);
	}
	store_put(sub);
	store_put(t);

	assert_int_equal(store_remove_tree(fx->s, fx->root, "t"), 0);
	assert_false(exists(fx->root, "t"));
	assert_true(exists(out, "precious"));
	assert_true(exists(out, "also"));
	assert_int_equal(entries(out), 2);
	store_put(out);
	if (fx->vol[0]) {
		snprintf(path, sizeof(path), "%s/precious", fx->outside);
		assert_int_equal(access(path, F_OK), 0);
	}
}

static void test_remove_tree_leaves_other_links_of_a_file(void **state)
{
	struct fix *fx = *state;
	struct snode *t = mk(fx->root, "t"), *sub = mk(t, "sub");
	struct snode *keep = write_file(fx->root, "keep", "hello");

	hardlink(keep, t, "h1");
	hardlink(keep, sub, "h2");
	hardlink(keep, sub, "h3");
	assert_int_equal(attrs(keep).st_nlink, 4);
	store_put(sub);
	store_put(t);

	assert_int_equal(store_remove_tree(fx->s, fx->root, "t"), 0);
	assert_int_equal(attrs(keep).st_nlink, 1);
	read_file(keep, "hello");
	store_put(keep);
}

/* A chain of @levels directories "d" below @dir, a file at each level. */
static void chain(struct snode *dir, unsigned levels)
{
	struct snode *cur = dir, *next;
	unsigned i;

	store_get(cur);
	for (i = 0; i < levels; i++) {
		touch(cur, "f");
		next = mk(cur, "d");
		store_put(cur);
		cur = next;
	}
	store_put(cur);
}

static void test_remove_tree_bounds_its_depth(void **state)
{
	struct fix *fx = *state;
	struct snode *ok = mk(fx->root, "ok"), *deep = mk(fx->root, "deep");
	struct snode *cur, *next;
	unsigned i;

	chain(ok, STORE_WALK_MAX_DEPTH);
	assert_int_equal(store_remove_tree(fx->s, fx->root, "ok"), 0);
	assert_false(exists(fx->root, "ok"));

	chain(deep, STORE_WALK_MAX_DEPTH + 1);
	assert_int_equal(store_remove_tree(fx->s, fx->root, "deep"), -ELOOP);
	/* everything but the path to the deepest directory went */
	cur = deep;
	for (i = 0; i <= STORE_WALK_MAX_DEPTH; i++) {
		assert_int_equal(entries(cur), 1);
		next = find(cur, "d", NULL);
		assert_non_null(next);
		store_put(cur);
		cur = next;
	}
	assert_int_equal(entries(cur), 0);
	store_put(cur);
	store_put(ok);
}

/* ---- store_clear ---- */

static void test_clear_keeps_the_root(void **state)
{
	struct fix *fx = *state;
	struct stat before = attrs(fx->root), after;
	struct snode *d = mk(fx->root, ".hidden-dir");

	build_tree(d, 5);
	store_put(d);
	touch(fx->root, ".a");
	touch(fx->root, "..b");
	touch(fx->root, "...");
	touch(fx->root, "plain");
	sym(fx->root, ".link", "/");
	many_files(fx->root, "top", 300);

	assert_int_equal(store_clear(fx->s, fx->root), 0);
	assert_int_equal(entries(fx->root), 0);
	after = attrs(fx->root);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_mode, S_IFDIR | 0750);
	assert_int_equal(after.st_uid, before.st_uid);
	assert_int_equal(after.st_gid, before.st_gid);
	assert_int_equal(after.st_ino, before.st_ino);
	if (geteuid() == 0 || !fx->vol[0]) {
		assert_int_equal(after.st_uid, 1000);
		assert_int_equal(after.st_gid, 1000);
	}

	/* an empty directory clears too */
	assert_int_equal(store_clear(fx->s, fx->root), 0);
}

static void test_clear_empties_big_directories_in_batches(void **state)
{
	struct fix *fx = *state;
	struct snode *v = mk(fx->root, "v"), *sub;
	char name[32];
	unsigned i;

	chmod_(v, 0705);
	many_files(v, "file", 2000);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "sub%u", i);
		sub = mk(v, name);
		/* several 4 KiB batches each */
		many_files(sub, "inner", 600);
		store_put(sub);
	}
	touch(fx->root, "sibling");
	assert_int_equal(store_clear(fx->s, v), 0);
	assert_int_equal(entries(v), 0);
	assert_int_equal(attrs(v).st_mode, S_IFDIR | 0705);
	assert_true(exists(fx->root, "sibling"));
	store_put(v);
}

static void test_clear_empties_more_than_one_top_batch(void **state)
{
	struct fix *fx = *state;

	/* 60000 names of 29 bytes: two batches of 1 MiB */
	many_files(fx->root, "x", 60000);
	assert_int_equal(store_clear(fx->s, fx->root), 0);
	assert_int_equal(entries(fx->root), 0);
}

static void test_clear_refuses_a_file(void **state)
{
	struct fix *fx = *state;
	struct snode *f = write_file(fx->root, "f", "x");

	assert_int_equal(store_clear(fx->s, f), -ENOTDIR);
	store_put(f);
}

struct job {
	struct fix *fx;
	int mk, clear;
	bool had_caller;
};

static void *job_run(void *arg)
{
	struct job *j = arg;

	j->had_caller = store_caller() != NULL;
	j->mk = store_mkdirs(j->fx->s, "from/a/thread", 0777, &prov, NULL);
	if (j->mk == 0)
		j->clear = store_clear(j->fx->s, j->fx->root);
	return NULL;
}

/* As on a work-queue thread: no FUSE request, no store_caller(). */
static void test_walk_runs_on_a_thread_without_a_caller(void **state)
{
	struct job j = { .fx = *state, .mk = -1, .clear = -1 };
	pthread_t t;

	build_tree(j.fx->root, 3);
	assert_int_equal(pthread_create(&t, NULL, job_run, &j), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_false(j.had_caller);
	assert_int_equal(j.mk, 0);
	assert_int_equal(j.clear, 0);
	assert_int_equal(entries(j.fx->root), 0);
}

/* Passthrough: a host that refuses to remove one file. */
static void test_remove_tree_reports_a_refusal_and_goes_on(void **state)
{
	struct fix *fx = *state;
	struct snode *t = mk(fx->root, "t"), *a = mk(t, "a"), *b = mk(t, "b");
	char path[PATH_MAX];
	int refused;

	touch(a, "locked");
	touch(b, "other");
	touch(t, "other");
	refused = lock(fx, "t/a", "locked");
	if (!refused) {
		store_put(b);
		store_put(a);
		store_put(t);
		skip();
	}

	assert_int_equal(store_remove_tree(fx->s, fx->root, "t"), refused);
	assert_true(exists(a, "locked"));
	assert_false(exists(t, "b"));
	assert_false(exists(t, "other"));
	assert_int_equal(entries(t), 1);
	assert_int_equal(store_clear(fx->s, fx->root), refused);
	assert_true(exists(a, "locked"));

	unlock(fx);
	assert_int_equal(store_clear(fx->s, fx->root), 0);
	snprintf(path, sizeof(path), "%s/t", fx->vol);
	assert_int_equal(access(path, F_OK), -1);
	store_put(b);
	store_put(a);
	store_put(t);
}

/* ---- the quirk store ---- */

static void test_quirk_positional_cookies(void **state)
{
	struct fix *fx = *state;
	struct snode *sub = mk(fx->root, "sub"), *deeper = mk(sub, "deeper");

	fx->q->flags = Q_POSITIONAL;
	many_files(fx->root, "top", 3000);
	many_files(sub, "mid", 700);
	many_files(deeper, "low", 700);
	build_tree(deeper, 4);
	store_put(deeper);
	store_put(sub);
	assert_int_equal(store_clear(fx->s, fx->root), 0);
	assert_int_equal(entries(fx->root), 0);
}

static void test_quirk_refusals_are_reported_and_the_rest_removed(void **state)
{
	struct fix *fx = *state;
	struct snode *a = mk(fx->root, "a"), *b = mk(fx->root, "b");

	fx->q->flags = Q_DENY;
	touch(a, "deny-me");
	touch(a, "x");
	touch(b, "y");
	touch(fx->root, "deny-too");
	touch(fx->root, "z");
	store_put(mk(fx->root, "deny-dir"));

	assert_int_equal(store_clear(fx->s, fx->root), -EACCES);
	assert_true(exists(a, "deny-me"));
	assert_false(exists(a, "x"));
	assert_false(exists(fx->root, "b"));
	assert_false(exists(fx->root, "z"));
	assert_true(exists(fx->root, "deny-too"));
	assert_true(exists(fx->root, "deny-dir"));
	assert_int_equal(entries(fx->root), 3);

	assert_int_equal(store_remove_tree(fx->s, fx->root, "a"), -EACCES);
	assert_int_equal(entries(a), 1);
	store_put(b);
	store_put(a);
}

static void test_quirk_silly_renamed_file_stops_clear(void **state)
{
	struct fix *fx = *state;
	struct snode *d = mk(fx->root, "d");

	fx->q->flags = Q_SILLY;
	touch(d, "open-file");
	touch(d, "closed");
	touch(fx->root, "plain");
	assert_int_equal(store_clear(fx->s, fx->root), -EBUSY);
	assert_int_equal(entries(d), 1);
	assert_true(exists(d, ".silly-1"));
	assert_true(exists(fx->root, "d"));
	assert_false(exists(fx->root, "plain"));
	store_put(d);
}

static void test_quirk_refilling_directory_ends_with_enotempty(void **state)
{
	struct fix *fx = *state;

	fx->q->flags = Q_REFILL;
	touch(fx->root, "a");
	assert_int_equal(store_clear(fx->s, fx->root), -ENOTEMPTY);
	assert_true(fx->q->seq >= 2 && fx->q->seq <= 100);
}

static void test_quirk_listing_error(void **state)
{
	struct fix *fx = *state;
	struct snode *t = mk(fx->root, "t"), *bad = mk(t, "bad");

	fx->q->flags = Q_LIST_ERR;
	fx->q->bad_ino = attrs(bad).st_ino;
	touch(bad, "x");
	touch(t, "y");
	store_put(mk(t, "fine"));
	assert_int_equal(store_remove_tree(fx->s, fx->root, "t"), -EIO);
	assert_true(exists(t, "bad"));
	assert_true(exists(bad, "x"));
	assert_int_equal(entries(t), 1);
	store_put(bad);
	store_put(t);
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

static void test_quirk_mkdirs_acts_as_cred(void **state)
{
	struct fix *fx = *state;
	struct store_caller mine = { .cred = { .uid = 42, .gid = 43 },
				     .interrupted = never, .arg = &mine };

	/* a store that wants a caller gets @cred, then nothing again */
	fx->q->base.caps = STORE_CAP_AS_CALLER;
	store_caller_set(NULL);
	assert_int_equal(store_mkdirs(fx->s, "a/b", 0777, &prov, NULL), 0);
	assert_int_equal(fx->q->mkdirs, 2);
	assert_true(fx->q->caller_set);
	assert_int_equal(fx->q->caller.cred.uid, prov.uid);
	assert_int_equal(fx->q->caller.cred.gid, prov.gid);
	assert_null(fx->q->caller.interrupted);
	assert_null(store_caller());

	/* a thread's own caller is kept for interruption and set back */
	store_caller_set(&mine);
	assert_int_equal(store_mkdirs(fx->s, "a/c", 0777, &prov, NULL), 0);
	assert_int_equal(fx->q->caller.cred.uid, prov.uid);
	assert_ptr_equal(fx->q->caller.interrupted, never);
	assert_ptr_equal(fx->q->caller.arg, &mine);
	assert_ptr_equal(store_caller(), &mine);
	store_caller_set(NULL);

	/* a store that does not act as the caller is left alone */
	fx->q->base.caps = 0;
	assert_int_equal(store_mkdirs(fx->s, "a/d", 0777, &prov, NULL), 0);
	assert_false(fx->q->caller_set);
}

static void test_quirk_mkdirs_undoes_what_it_made(void **state)
{
	struct fix *fx = *state;
	struct snode *out = NULL;

	store_put(mk(fx->root, "kept"));
	fx->q->flags = Q_DENY;
	assert_int_equal(store_mkdirs(fx->s, "kept/p/q/deny", 0777, &prov,
				      &out), -EACCES);
	assert_null(out);
	assert_true(exists(fx->root, "kept"));
	assert_int_equal(entries(fx->root), 1);
	assert_int_equal(store_mkdirs(fx->s, "n/deny/x", 0777, &prov, NULL),
			 -EACCES);
	assert_false(exists(fx->root, "n"));

	/* the chmod failing takes back the directory it was for */
	fx->q->flags = Q_DENY_SETATTR;
	assert_int_equal(store_mkdirs(fx->s, "m/n", 0777, &prov, NULL),
			 -EPERM);
	assert_false(exists(fx->root, "m"));
	assert_int_equal(entries(fx->root), 1);
}

static void test_quirk_mkdirs_takes_a_directory_made_meanwhile(void **state)
{
	struct fix *fx = *state;
	struct snode *race = mk(fx->root, "race"), *x;
	struct stat st;

	chmod_(race, 0700);
	fx->q->flags = Q_HIDE_RACE;
	assert_int_equal(store_mkdirs(fx->s, "race/x", 0777, &prov, NULL), 0);
	assert_true(fx->q->hidden);
	assert_int_equal(attrs(race).st_mode, S_IFDIR | 0700);
	x = find(race, "x", &st);
	assert_non_null(x);
	assert_int_equal(st.st_mode, S_IFDIR | 0777);
	store_put(x);
	store_put(race);
}

#define ON(fn, setup) { #fn "/" #setup, fn, setup, teardown, NULL }
#define ON_BOTH(fn) ON(fn, setup_memory), ON(fn, setup_passthrough)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ON_BOTH(test_mkdirs_makes_each_component_with_the_exact_mode),
		ON_BOTH(test_mkdirs_keeps_existing_parts),
		ON_BOTH(test_mkdirs_refuses_a_non_directory_in_the_way),
		ON_BOTH(test_mkdirs_refuses_bad_paths),
		ON_BOTH(test_lookup_parent),
		ON_BOTH(test_remove_tree_removes_a_deep_tree),
		ON_BOTH(test_remove_tree_unlinks_what_is_not_a_directory),
		ON_BOTH(test_remove_tree_does_not_follow_symlinks),
		ON_BOTH(test_remove_tree_leaves_other_links_of_a_file),
		ON(test_remove_tree_bounds_its_depth, setup_memory),
		ON_BOTH(test_clear_keeps_the_root),
		ON_BOTH(test_clear_empties_big_directories_in_batches),
		ON(test_clear_empties_more_than_one_top_batch, setup_memory),
		ON_BOTH(test_clear_refuses_a_file),
		ON_BOTH(test_walk_runs_on_a_thread_without_a_caller),
		ON(test_remove_tree_reports_a_refusal_and_goes_on,
		   setup_passthrough),
		ON(test_quirk_positional_cookies, setup_quirk),
		ON(test_quirk_refusals_are_reported_and_the_rest_removed,
		   setup_quirk),
		ON(test_quirk_silly_renamed_file_stops_clear, setup_quirk),
		ON(test_quirk_refilling_directory_ends_with_enotempty,
		   setup_quirk),
		ON(test_quirk_listing_error, setup_quirk),
		ON(test_quirk_mkdirs_acts_as_cred, setup_quirk),
		ON(test_quirk_mkdirs_undoes_what_it_made, setup_quirk),
		ON(test_quirk_mkdirs_takes_a_directory_made_meanwhile,
		   setup_quirk),
	};

	/* the passthrough store can give files away only as root */
	if (geteuid() != 0) {
		user.uid = prov.uid = geteuid();
		user.gid = prov.gid = getegid();
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
