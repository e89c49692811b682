/*
 * view.c - views: a way into a store, shared by whatever goes through it.
 *
 * The cluster makes a view for each volume and each volumeMount and mounts
 * it in the tree; the FUSE layer holds one for each inode and open file it
 * reaches through it. A view holds the store node it was made at, never a
 * path, so nothing done later to the names in the volume changes what it
 * shows.
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
	store_put(v->root);
	store_unref(v->store);
	free(v);
}
