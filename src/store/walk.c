/*
 * walk.c - mkdir -p, rm -rf and emptying a directory through any store's
 * ops (see storewalk.h).
 *
 * A removal never deletes from inside a readdir callback (a store may hold
 * its locks there), and never trusts a cookie across its own deletions: it
 * reads a batch of names, removes them, reads on from the batch's last
 * cookie, and calls a directory empty only once a listing from the start
 * shows nothing. On stores whose cookies are positions, deleting shifts
 * the later names back and a resumed listing skips some of them; the next
 * listing from the start finds them, so such stores cost a few more passes
 * and nothing else.
 *
 * The tree is walked with an explicit stack of directories, each holding
 * one batch of names; only the directory on top has a listing open, since
 * a passthrough listing holds a host descriptor.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/storewalk.h"

/* Bytes of names read at once from the directory being emptied... */
#define WALK_TOP_BATCH		(1u << 20)
/* ...and from each directory below it. */
#define WALK_BATCH		(4u << 10)
/* Listings from the start that found names, before giving up. */
#define WALK_MAX_PASSES		64

/* What a listing said an entry is, stored before its name in a batch. */
#define KIND_DIR		'd'
#define KIND_OTHER		'f'
#define KIND_UNKNOWN		'?'

/* Names read from a directory, removed before more are read. */
struct walk_batch {
	char *buf;			/* kind byte, name, NUL; repeated */
	size_t len;			/* bytes used */
	size_t cap;			/* bytes allocated */
	size_t max;			/* cap grows to this, or to one name */
	size_t pos;			/* the entry being removed */
	off_t end;			/* the cookie after the last entry */
	bool full;			/* the listing stopped: no room */
	int err;			/* -ENOMEM while filling */
};

/* A directory being emptied. */
struct walk_frame {
	struct snode *dir;		/* a reference */
	struct store_file *f;		/* its open listing, or NULL */
	struct walk_batch batch;
	off_t cookie;			/* the next batch starts after this */
	bool pass_seen;			/* names seen since cookie 0 */
	unsigned passes;		/* listings from 0 that had names */
	int err;			/* the first failure, kept to the end */
};

struct walk {
	struct store *s;
	struct walk_frame *frames;	/* frames[0] is the directory emptied */
	size_t depth;			/* frames in use */
	size_t cap;			/* frames allocated */
};

/* ---- paths ---- */

/*
 * Checks @relpath and copies it with each "/" made a NUL. Returns 0 with
 * the copy in *@copy (the caller frees it) and the number of components in
 * *@n, or -EINVAL, -ENAMETOOLONG or -ENOMEM.
 */
static int path_split(const char *relpath, char **copy, size_t *n)
{
	size_t len = relpath ? strlen(relpath) : 0;
	char *c, *comp, *slash;

	if (!len || relpath[0] == '/')
		return -EINVAL;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	c = strdup(relpath);
	if (!c)
		return -ENOMEM;
	*n = 0;
	for (comp = c; comp; comp = slash ? slash + 1 : NULL) {
		slash = strchr(comp, '/');
		if (slash)
			*slash = '\0';
		if (!*comp || !strcmp(comp, ".") || !strcmp(comp, "..")) {
			free(c);
			return -EINVAL;
		}
		if (strlen(comp) > NAME_MAX) {
			free(c);
			return -ENAMETOOLONG;
		}
		(*n)++;
	}
	*copy = c;
	return 0;
}

/* The component after @comp in a split copy. */
static const char *path_next(const char *comp)
{
	return comp + strlen(comp) + 1;
}

/*
 * Finds the directory @name of @dir, or makes it with @mode (then
 * *@made is true and *@out is set even when the chmod that follows
 * fails, for the caller to undo).
 */
static int mkdir_one(struct store *s, struct snode *dir, const char *name,
		     mode_t mode, const struct store_cred *cred,
		     struct snode **out, bool *made)
{
	struct stat in = { .st_mode = mode & 07777 };
	struct stat st;
	int rc;

	*out = NULL;
	*made = false;
	rc = s->ops->lookup(s, dir, name, out, &st);
	if (rc == -ENOENT) {
		rc = s->ops->mkdir(s, dir, name, mode & 07777, cred, out, &st);
		if (rc == 0) {
			*made = true;
			return s->ops->setattr(s, *out, NULL, &in,
					       STORE_SET_MODE, &st);
		}
		/* someone else made it meanwhile */
		if (rc == -EEXIST)
			rc = s->ops->lookup(s, dir, name, out, &st);
	}
	if (rc)
		return rc;
	if (!S_ISDIR(st.st_mode)) {
		store_put(*out);
		*out = NULL;
		return -ENOTDIR;
	}
	return 0;
}

/* One component of a path being made: its name and what it names. */
struct mk_step {
	const char *name;		/* in the split copy */
	struct snode *dir;		/* a reference, or NULL */
	bool made;			/* by this call */
};

/*
 * store_mkdirs() of the @n components of the split @copy, once the thread
 * acts as the right caller.
 */
static int mkdirs_as(struct store *s, const char *copy, size_t n,
		     mode_t mode, const struct store_cred *cred,
		     struct snode **out)
{
	struct mk_step *steps = calloc(n, sizeof(*steps));
	struct snode *root, *parent;
	const char *comp = copy;
	size_t i, done;
	int rc;

	if (!steps)
		return -ENOMEM;
	rc = s->ops->root(s, &root);
	if (rc)
		goto out_free;
	for (i = 0, parent = root; i < n; i++, comp = path_next(comp)) {
		steps[i].name = comp;
		rc = mkdir_one(s, parent, comp, mode, cred, &steps[i].dir,
			       &steps[i].made);
		if (rc)
			break;
		parent = steps[i].dir;
	}
	/* a failed step may have made its directory before its chmod failed */
	done = rc ? i + 1 : n;
	if (rc == 0 && out) {
		*out = steps[n - 1].dir;
		steps[n - 1].dir = NULL;
	}
	for (i = done; i-- > 0;) {
		/* rmdir fails, as it should, on one that someone filled */
		if (rc && steps[i].made)
			s->ops->rmdir(s, i ? steps[i - 1].dir : root,
				      steps[i].name);
		store_put(steps[i].dir);
	}
	store_put(root);
out_free:
	free(steps);
	return rc;
}

int store_mkdirs(struct store *s, const char *relpath, mode_t mode,
		 const struct store_cred *cred, struct snode **out)
{
	const struct store_caller *prev = store_caller();
	struct store_caller as = { .cred = *cred };
	char *copy;
	size_t n;
	int rc;

	rc = path_split(relpath, &copy, &n);
	if (rc)
		return rc;
	if (s->caps & STORE_CAP_AS_CALLER) {
		if (prev) {
			as.interrupted = prev->interrupted;
			as.arg = prev->arg;
		}
		store_caller_set(&as);
	}
	rc = mkdirs_as(s, copy, n, mode, cred, out);
	if (s->caps & STORE_CAP_AS_CALLER)
		store_caller_set(prev);
	free(copy);
	return rc;
}

int store_lookup_parent(struct store *s, const char *relpath,
			struct snode **dir, const char **name)
{
	struct snode *cur, *next;
	const char *comp;
	struct stat st;
	char *copy;
	size_t n, i;
	int rc;

	rc = path_split(relpath, &copy, &n);
	if (rc)
		return rc;
	rc = s->ops->root(s, &cur);
	if (rc)
		goto out_free;
	for (i = 0, comp = copy; i + 1 < n; i++, comp = path_next(comp)) {
		rc = s->ops->lookup(s, cur, comp, &next, &st);
		store_put(cur);
		if (rc)
			goto out_free;
		cur = next;
		if (!S_ISDIR(st.st_mode)) {
			store_put(cur);
			rc = -ENOTDIR;
			goto out_free;
		}
	}
	*dir = cur;
	*name = relpath + (comp - copy);
out_free:
	free(copy);
	return rc;
}

/* ---- removal ---- */

static bool name_ok(const char *name)
{
	return name && *name && strcmp(name, ".") && strcmp(name, "..") &&
	       !strchr(name, '/');
}

static int batch_fill(void *ctx, const char *name, const struct stat *st,
		      off_t off, struct snode *node)
{
	struct walk_batch *b = ctx;
	size_t need = strlen(name) + 2;
	size_t cap;
	char *buf;

	(void)node;
	/* never listed by a store; removing them would leave @dir */
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		b->end = off;
		return 0;
	}
	if (b->len + need > b->cap) {
		if (b->len && b->len + need > b->max) {
			b->full = true;
			return 1;
		}
		for (cap = b->cap ? b->cap : 256; cap < b->len + need;)
			cap *= 2;
		if (cap > b->max)
			cap = b->len + need > b->max ? b->len + need : b->max;
		buf = realloc(b->buf, cap);
		if (!buf) {
			b->err = -ENOMEM;
			return 1;
		}
		b->buf = buf;
		b->cap = cap;
	}
	b->buf[b->len] = S_ISDIR(st->st_mode) ? KIND_DIR :
			 (st->st_mode & S_IFMT) ? KIND_OTHER : KIND_UNKNOWN;
	memcpy(b->buf + b->len + 1, name, need - 1);
	b->len += need;
	b->end = off;
	return 0;
}

/*
 * Reads @fr's next batch of names, after its cookie, opening its listing
 * when it has none. An empty batch means the listing ended. An error after
 * some names still gives those names: it comes back at the next read.
 */
static int frame_read(struct store *s, struct walk_frame *fr)
{
	struct walk_batch *b = &fr->batch;
	off_t before;
	int rc;

	if (!fr->f) {
		rc = s->ops->opendir(s, fr->dir, &fr->f);
		if (rc)
			return rc;
	}
	b->len = 0;
	b->pos = 0;
	b->full = false;
	b->err = 0;
	b->end = fr->cookie;
	/* a store may stop a listing early: ask until it gives nothing */
	do {
		before = b->end;
		rc = s->ops->readdir(s, fr->f, b->end, false, batch_fill, b);
		if (rc == 0)
			rc = b->err;
	} while (rc == 0 && !b->full && b->end != before);
	fr->cookie = b->end;
	return b->len ? 0 : rc;
}

/*
 * @fr's batch is used up: reads the next one. Returns 1 when there are
 * names to remove, 0 when a listing from the start found none, or the
 * frame's first failure.
 */
static int frame_refill(struct store *s, struct walk_frame *fr)
{
	int rc;

	for (;;) {
		rc = frame_read(s, fr);
		if (rc)
			return fr->err ? fr->err : rc;
		if (fr->batch.len) {
			fr->pass_seen = true;
			return 1;
		}
		if (fr->err)
			return fr->err;
		if (!fr->pass_seen)
			return 0;
		if (++fr->passes >= WALK_MAX_PASSES)
			return -ENOTEMPTY;
		fr->cookie = 0;
		fr->pass_seen = false;
	}
}

static void frame_close(struct store *s, struct walk_frame *fr)
{
	if (fr->f) {
		s->ops->releasedir(s, fr->f);
		fr->f = NULL;
	}
}

/* Pushes @dir (its reference passes to the walk). */
static int walk_push(struct walk *w, struct snode *dir)
{
	struct walk_frame *fr;

	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;

		fr = realloc(w->frames, cap * sizeof(*fr));
		if (!fr) {
			store_put(dir);
			return -ENOMEM;
		}
		w->frames = fr;
		w->cap = cap;
	}
	fr = &w->frames[w->depth];
	memset(fr, 0, sizeof(*fr));
	fr->dir = dir;
	fr->batch.max = w->depth ? WALK_BATCH : WALK_TOP_BATCH;
	w->depth++;
	return 0;
}

static void walk_pop(struct walk *w)
{
	struct walk_frame *fr = &w->frames[--w->depth];

	frame_close(w->s, fr);
	store_put(fr->dir);
	free(fr->batch.buf);
}

/* The name of the entry @fr is removing. */
static const char *frame_name(const struct walk_frame *fr)
{
	return fr->batch.buf + fr->batch.pos + 1;
}

/* The entry @fr was removing is done with, by @rc. */
static void frame_next(struct walk_frame *fr, int rc)
{
	if (rc && rc != -ENOENT && !fr->err)
		fr->err = rc;
	fr->batch.pos += strlen(frame_name(fr)) + 2;
}

/*
 * Removes the next entry of the top frame, or for a directory pushes a
 * frame to empty it first.
 */
static void walk_step(struct walk *w)
{
	struct store *s = w->s;
	struct walk_frame *fr = &w->frames[w->depth - 1];
	const char *name = frame_name(fr);
	char kind = fr->batch.buf[fr->batch.pos];
	struct snode *child;
	struct stat st;
	int rc;

	if (kind == KIND_OTHER) {
		rc = s->ops->unlink(s, fr->dir, name);
		/* it became a directory since the listing */
		if (rc != -EISDIR) {
			frame_next(fr, rc);
			return;
		}
	}
	rc = s->ops->lookup(s, fr->dir, name, &child, &st);
	if (rc) {
		frame_next(fr, rc);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		store_put(child);
		frame_next(fr, s->ops->unlink(s, fr->dir, name));
		return;
	}
	if (w->depth > STORE_WALK_MAX_DEPTH) {
		store_put(child);
		frame_next(fr, -ELOOP);
		return;
	}
	/* one open listing at a time: a passthrough one holds a host fd */
	frame_close(s, fr);
	rc = walk_push(w, child);
	if (rc)
		frame_next(&w->frames[w->depth - 1], rc);
}

/*
 * Empties @dir (its reference passes to the walk), depth first. Returns 0
 * once a listing of @dir from its start showed nothing, or the first
 * failure.
 */
static int walk_empty(struct store *s, struct snode *dir)
{
	struct walk w = { .s = s };
	struct walk_frame *fr;
	int rc;

	rc = walk_push(&w, dir);
	if (rc)
		return rc;
	for (;;) {
		fr = &w.frames[w.depth - 1];
		if (fr->batch.pos < fr->batch.len) {
			walk_step(&w);
			continue;
		}
		rc = frame_refill(s, fr);
		if (rc == 1)
			continue;
		walk_pop(&w);
		if (!w.depth)
			break;
		fr = &w.frames[w.depth - 1];
		if (rc == 0)
			rc = s->ops->rmdir(s, fr->dir, frame_name(fr));
		frame_next(fr, rc);
	}
	free(w.frames);
	return rc;
}

int store_remove_tree(struct store *s, struct snode *dir, const char *name)
{
	struct snode *n;
	struct stat st;
	int rc;

	if (!name_ok(name))
		return -EINVAL;
	rc = s->ops->lookup(s, dir, name, &n, &st);
	if (rc)
		return rc;
	if (!S_ISDIR(st.st_mode)) {
		store_put(n);
		return s->ops->unlink(s, dir, name);
	}
	rc = walk_empty(s, n);
	if (rc == 0)
		rc = s->ops->rmdir(s, dir, name);
	return rc;
}

int store_clear(struct store *s, struct snode *dir)
{
	struct stat st;
	int rc;

	rc = s->ops->getattr(s, dir, NULL, &st);
	if (rc)
		return rc;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	store_get(dir);
	return walk_empty(s, dir);
}
