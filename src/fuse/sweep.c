/*
 * sweep.c - asking the kernel to let go of a view that was replaced.
 *
 * When a volume's content is replaced (a git re-sync), tree_replace_mount()
 * makes the kernel forget the mount point's name, and processes that hold
 * something of the old content keep it. Once they let go, the kernel
 * would still keep the old names cached, and so their inodes and the old
 * store, for as long as it has memory to spare: a dentry that is still
 * hashed is not freed when its last user goes. A sweep makes every name the
 * kernel may hold below the old view's directories forgotten; unused ones
 * go at once, and with them their inodes (FUSE forgets), and in-use ones go
 * when their user does. The cluster sweeps a replaced view now and then
 * until its last reference is its own; the tree passes each sweep on here
 * through the callbacks this layer registered with it.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_i.h"

/* One node of the view the kernel knows, kept alive outside fs->lock. */
struct known {
	uint64_t id;
	struct snode *sn;		/* one reference */
};

/*
 * The fnodes of @view, each with a reference to its store node; as many as
 * memory allows.
 */
static void collect(struct fs *fs, struct view *view, struct known **out,
		    size_t *n)
{
	struct known *dirs = NULL;
	size_t count = 0, cap = 0;

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->n_buckets; i++) {
		for (struct fnode *fn = fs->buckets[i]; fn; fn = fn->next) {
			if (fn->view != view)
				continue;
			if (count == cap) {
				size_t c = cap ? cap * 2 : 16;
				struct known *d = realloc(dirs, c * sizeof(*d));

				if (!d)
					goto out_unlock;
				dirs = d;
				cap = c;
			}
			store_get(fn->sn);
			dirs[count].sn = fn->sn;
			dirs[count++].id = fnode_id(fs, fn);
		}
	}
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	*out = dirs;
	*n = count;
}

struct names {
	char **v;
	size_t n;
	size_t cap;
};

static int add_name(void *ctx, const char *name, const struct stat *st,
		    off_t off, struct snode *node)
{
	struct names *nm = ctx;

	(void)st;
	(void)off;
	store_put(node);
	if (nm->n == nm->cap) {
		size_t c = nm->cap ? nm->cap * 2 : 32;
		char **v = realloc(nm->v, c * sizeof(*v));

		if (!v)
			return 1;
		nm->v = v;
		nm->cap = c;
	}
	nm->v[nm->n] = strdup(name);
	if (nm->v[nm->n])
		nm->n++;
	return 0;
}

/* Makes the kernel forget every name in the directory @d of @view. */
static void forget_names(struct fs *fs, struct view *view,
			 const struct known *d)
{
	struct store *s = view->store;
	struct names nm = { 0 };
	struct store_file *f;
	struct stat st;

	if (s->ops->getattr(s, d->sn, NULL, &st) || !S_ISDIR(st.st_mode) ||
	    s->ops->opendir(s, d->sn, &f))
		return;
	s->ops->readdir(s, f, 0, false, add_name, &nm);
	s->ops->releasedir(s, f);
	for (size_t i = 0; i < nm.n; i++) {
		fuse_lowlevel_notify_inval_entry(fs->se, d->id, nm.v[i],
						 strlen(nm.v[i]));
		free(nm.v[i]);
	}
	free(nm.v);
}

void fs_sweep_view(struct fs *fs, struct view *view)
{
	struct known *dirs;
	size_t n;

	if (!fs->se)
		return;
	collect(fs, view, &dirs, &n);
	for (size_t i = 0; i < n; i++) {
		forget_names(fs, view, &dirs[i]);
		store_put(dirs[i].sn);
	}
	free(dirs);
}
