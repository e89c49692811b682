/*
 * view.c - views: a way into a store, shared by whatever goes through it.
 *
 * The cluster makes a view for each volume and each volumeMount and mounts
 * it in the tree; the FUSE layer holds one for each inode and open file it
 * reaches through it. A view holds the store node it was made at, never a
 * path, so nothing done later to the names in the volume changes what it
 * shows. A view may carry others mounted over some of its objects (a
 * container's mount inside another): they are matched by store node, as
 * a mount point is by inode, and the FUSE layer shows them there.
 */
#include <errno.h>
#include <stdlib.h>

#include "podvolfs/tree.h"

struct view *view_new_at(struct store *store, struct snode *root,
			 uint32_t vol_id, bool read_only,
			 const struct view_cache *cache)
{
	struct view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	store_get(root);
	v->root = root;
	store_ref(store);
	v->store = store;
	v->read_only = read_only;
	v->vol_id = vol_id;
	v->cache = *cache;
	v->refs = 1;
	return v;
}

struct view *view_new(struct store *store, uint32_t vol_id, bool read_only,
		      const struct view_cache *cache)
{
	struct snode *root;
	struct view *v;
	int rc;

	rc = store->ops->root(store, &root);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	v = view_new_at(store, root, vol_id, read_only, cache);
	store_put(root);
	return v;
}

void view_ref(struct view *v)
{
	__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
}

void view_unref(struct view *v)
{
	if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < v->n_covers; i++) {
		store_put(v->covers[i].at);
		view_unref(v->covers[i].view);
	}
	free(v->covers);
	store_put(v->root);
	store_unref(v->store);
	free(v);
}

int view_cover(struct view *v, struct snode *at, struct view *inner)
{
	struct view_cover *grown;

	if (view_covering(v, at))
		return -EEXIST;
	/* a container mounts a handful of volumes: grown one at a time */
	grown = realloc(v->covers, (v->n_covers + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	v->covers = grown;
	store_get(at);
	view_ref(inner);
	v->covers[v->n_covers++] = (struct view_cover){ at, inner };
	return 0;
}

struct view *view_covering(const struct view *v, const struct snode *sn)
{
	for (size_t i = 0; i < v->n_covers; i++)
		if (v->covers[i].at == sn)
			return v->covers[i].view;
	return NULL;
}

struct view *view_covering_ino(const struct view *v, uint64_t ino)
{
	for (size_t i = 0; i < v->n_covers; i++)
		if (v->covers[i].at->ino == ino)
			return v->covers[i].view;
	return NULL;
}
