/*
 * inode.c - the FUSE inode table.
 *
 * Every entry the kernel is handed (lookup, the create family, readdirplus)
 * adds one to the fnode's lookup count; forget subtracts. At zero the fnode
 * leaves the table and drops its references, which may be the last ones to
 * a store node (a RAM file's data) or to a removed pod's store.
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"


_Static_assert(sizeof(fuse_ino_t) >= sizeof(uintptr_t),
	       "fnode addresses are used as FUSE node ids");

static size_t key_hash(const struct fs *fs, const void *a, const void *b)
{
	uint64_t h = (uintptr_t)a * 0x9e3779b97f4a7c15ULL;

	h ^= (uintptr_t)b + 0x7f4a7c159e3779b9ULL + (h << 6) + (h >> 2);
	h *= 0xbf58476d1ce4e5b9ULL;
	return (h ^ (h >> 31)) & (fs->n_buckets - 1);
}

static size_t sn_hash(const struct fs *fs, const struct snode *sn)
{
	return key_hash(fs, sn, NULL);
}

static size_t fnode_hash(const struct fs *fs, const struct fnode *fn)
{
	return fn->view ? key_hash(fs, fn->view, fn->sn)
			: key_hash(fs, NULL, fn->vn);
}

/* Caller holds fs->lock. Doubles both tables; on failure keeps the old ones. */
static void table_grow(struct fs *fs)
{
	size_t old_n = fs->n_buckets;
	struct fnode **old = fs->buckets;
	struct fnode **buckets = calloc(old_n * 2, sizeof(*buckets));
	struct fnode **sn_buckets = calloc(old_n * 2, sizeof(*sn_buckets));

	if (!buckets || !sn_buckets) {
		free(buckets);
		free(sn_buckets);
		return;
	}
	free(fs->sn_buckets);
	fs->buckets = buckets;
	fs->sn_buckets = sn_buckets;
	fs->n_buckets = old_n * 2;
	for (size_t i = 0; i < old_n; i++) {
		struct fnode *fn = old[i];

		while (fn) {
			struct fnode *next = fn->next;
			size_t h = fnode_hash(fs, fn);

			fn->next = buckets[h];
			buckets[h] = fn;
			if (fn->view) {
				h = sn_hash(fs, fn->sn);
				fn->sn_next = sn_buckets[h];
				sn_buckets[h] = fn;
			}
			fn = next;
		}
	}
	free(old);
}

/*
 * Finds or makes the fnode for (@view, @sn) or, with @view NULL, for @vn,
 * and counts one kernel lookup on it. Consumes the caller's reference to
 * @sn or @vn. Returns NULL (the reference dropped) on allocation failure.
 */
struct fnode *fnode_get(struct fs *fs, struct view *view, struct snode *sn,
			struct vnode *vn)
{
	const void *obj = view ? (const void *)sn : (const void *)vn;
	struct fnode *fn;
	size_t h;

	pthread_mutex_lock(&fs->lock);
	h = key_hash(fs, view, obj);
	for (fn = fs->buckets[h]; fn; fn = fn->next) {
		if (fn->view == view && (view ? fn->sn == sn : fn->vn == vn))
			break;
	}
	if (fn) {
		fn->nlookup++;
		pthread_mutex_unlock(&fs->lock);
		goto out_drop_ref;
	}
	fn = calloc(1, sizeof(*fn));
	if (!fn) {
		pthread_mutex_unlock(&fs->lock);
		goto out_drop_ref;
	}
	fn->view = view;
	fn->sn = sn;
	fn->vn = vn;
	fn->nlookup = 1;
	fn->next = fs->buckets[h];
	fs->buckets[h] = fn;
	if (view) {
		view_ref(view);
		h = sn_hash(fs, sn);
		fn->sn_next = fs->sn_buckets[h];
		fs->sn_buckets[h] = fn;
	}
	if (++fs->n_nodes > fs->n_buckets)
		table_grow(fs);
	pthread_mutex_unlock(&fs->lock);
	return fn;

out_drop_ref:
	if (view)
		store_put(sn);
	else
		vnode_unref(vn);
	return fn;
}

static void fnode_free(struct fnode *fn)
{
	if (fn->view) {
		store_put(fn->sn);
		view_unref(fn->view);
	} else {
		vnode_unref(fn->vn);
	}
	free(fn);
}

/* Caller holds fs->lock. Unlinks @fn from its chain. */
static void table_remove(struct fs *fs, struct fnode *fn)
{
	struct fnode **pp = &fs->buckets[fnode_hash(fs, fn)];

	while (*pp != fn)
		pp = &(*pp)->next;
	*pp = fn->next;
	if (fn->view) {
		pp = &fs->sn_buckets[sn_hash(fs, fn->sn)];
		while (*pp != fn)
			pp = &(*pp)->sn_next;
		*pp = fn->sn_next;
	}
	fs->n_nodes--;
}

void fnode_forget(struct fs *fs, struct fnode *fn, uint64_t n)
{
	pthread_mutex_lock(&fs->lock);
	if (fn == fs->root || fn->nlookup > n) {
		if (fn != fs->root)
			fn->nlookup -= n;
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	table_remove(fs, fn);
	pthread_mutex_unlock(&fs->lock);
	fnode_free(fn);
}

struct fnode *fnode_of(struct fs *fs, uint64_t ino)
{
	return ino == FUSE_ROOT_ID ? fs->root : (struct fnode *)(uintptr_t)ino;
}

uint64_t fnode_id(struct fs *fs, struct fnode *fn)
{
	return fn == fs->root ? FUSE_ROOT_ID : (uint64_t)(uintptr_t)fn;
}

/* The node id of @vn's fnode if the kernel knows it, else 0. */
static uint64_t vnode_nodeid(struct fs *fs, struct vnode *vn)
{
	struct fnode *fn;
	uint64_t id = 0;

	if (vn == fs->root->vn)
		return FUSE_ROOT_ID;
	pthread_mutex_lock(&fs->lock);
	for (fn = fs->buckets[key_hash(fs, NULL, vn)]; fn; fn = fn->next) {
		if (!fn->view && fn->vn == vn) {
			id = (uint64_t)(uintptr_t)fn;
			break;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return id;
}

/*
 * Caller holds fs->lock. The node ids of @fn's siblings in a new array;
 * *@busy tells whether one of them is invalidating pages right now.
 */
static uint64_t *sibling_ids(struct fs *fs, struct fnode *fn, size_t *n,
			     bool *busy)
{
	size_t h = sn_hash(fs, fn->sn);
	uint64_t *ids = NULL;
	struct fnode *o;
	size_t count = 0;

	*n = 0;
	*busy = false;
	for (o = fs->sn_buckets[h]; o; o = o->sn_next)
		count += o != fn && o->sn == fn->sn;
	if (!count || !(ids = calloc(count, sizeof(*ids))))
		return NULL;
	for (o = fs->sn_buckets[h]; o; o = o->sn_next) {
		if (o == fn || o->sn != fn->sn)
			continue;
		ids[(*n)++] = fnode_id(fs, o);
		*busy |= o->inval_busy > 0;
	}
	return ids;
}

static void inval_pages(struct fs *fs, const struct siblings *sib)
{
	for (size_t i = 0; i < sib->n; i++)
		fuse_lowlevel_notify_inval_inode(fs->se, sib->ids[i], 0, 0);
}

void fs_siblings_begin(struct fs *fs, struct fnode *fn, bool pages,
		       struct siblings *sib)
{
	bool busy;

	memset(sib, 0, sizeof(*sib));
	if (!fn->view || !fs->se)
		return;
	pthread_mutex_lock(&fs->lock);
	sib->ids = sibling_ids(fs, fn, &sib->n, &busy);
	sib->pages_pending = pages && busy && sib->n;
	pages = pages && !busy && sib->n;
	if (pages)
		fn->inval_busy++;
	pthread_mutex_unlock(&fs->lock);
	/* An offset of -1 drops attributes only: no page lock is taken. */
	for (size_t i = 0; i < sib->n; i++)
		fuse_lowlevel_notify_inval_inode(fs->se, sib->ids[i], -1, 0);
	if (!pages)
		return;
	inval_pages(fs, sib);
	pthread_mutex_lock(&fs->lock);
	fn->inval_busy--;
	pthread_mutex_unlock(&fs->lock);
}

void fs_siblings_end(struct fs *fs, struct siblings *sib, const char *name)
{
	if (sib->n && (name || sib->pages_pending))
		fs_notify_later(fs, sib->ids, sib->n, name);
	else
		free(sib->ids);
	sib->ids = NULL;
	sib->n = 0;
}

/*
 * The kernel may keep a dentry for a removed name, or a negative one for an
 * added name, for as long as the entry timeout: tell it now. Also drop the
 * directory's cached attributes and listing.
 */
static void entry_changed(void *arg, struct vnode *parent, const char *name)
{
	struct fs *fs = arg;
	uint64_t id;

	if (!fs->se)
		return;
	id = vnode_nodeid(fs, parent);
	if (!id)
		return;
	fuse_lowlevel_notify_inval_entry(fs->se, id, name, strlen(name));
	fuse_lowlevel_notify_inval_inode(fs->se, id, 0, 0);
}

static void sweep_view(void *arg, struct view *view)
{
	fs_sweep_view(arg, view);
}

/* How the tree reaches this layer. */
static const struct tree_reader_ops tree_reader = {
	.entry_changed = entry_changed,
	.sweep_view = sweep_view,
};

struct fs *fs_new(struct tree *t, const struct fs_config *cfg)
{
	struct fs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->n_buckets = 1024;
	fs->buckets = calloc(fs->n_buckets, sizeof(*fs->buckets));
	fs->sn_buckets = calloc(fs->n_buckets, sizeof(*fs->sn_buckets));
	fs->root = calloc(1, sizeof(*fs->root));
	if (!fs->buckets || !fs->sn_buckets || !fs->root)
		goto out_free;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->pt_lock, NULL);
	fs_notify_init(fs);
	fs->tree = t;
	fs->cfg = *cfg;
	fs->root->vn = tree_root(t);
	fs->root->nlookup = 1;
	tree_set_reader(t, &tree_reader, fs);
	return fs;

out_free:
	free(fs->root);
	free(fs->sn_buckets);
	free(fs->buckets);
	free(fs);
	return NULL;
}

void fs_set_session(struct fs *fs, struct fuse_session *se)
{
	if (!se)
		fs_notify_stop(fs);
	fs->se = se;
}

void fs_free(struct fs *fs)
{
	if (!fs)
		return;
	tree_set_reader(fs->tree, NULL, NULL);
	for (size_t i = 0; i < fs->n_buckets; i++) {
		struct fnode *fn = fs->buckets[i];

		while (fn) {
			struct fnode *next = fn->next;

			fnode_free(fn);
			fn = next;
		}
	}
	vnode_unref(fs->root->vn);
	free(fs->root);
	free(fs->sn_buckets);
	free(fs->buckets);
	fs_notify_destroy(fs);
	pthread_mutex_destroy(&fs->lock);
	pthread_mutex_destroy(&fs->pt_lock);
	free(fs);
}
