/*
 * fs_i.h - private to the FUSE layer: virtual nodes, the inode table, handles.
 *
 * Lock order: tree->lock before fs->lock. Neither is held while calling a
 * store, while replying to the kernel, or while sending it a notification:
 * a notification takes the kernel's directory locks, which a request in
 * flight may hold while it waits for us.
 */
#ifndef PODVOLFS_FS_I_H
#define PODVOLFS_FS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "podvolfs/fs.h"
#include "podvolfs/strmap.h"

struct vnode {
	enum vnode_kind kind;
	char *name;
	struct vnode *parent;		/* NULL once detached; protected by tree->lock */
	struct vnode **children;	/* protected by tree->lock */
	size_t n_children;		/* protected by tree->lock */
	size_t cap_children;		/* protected by tree->lock */
	struct strmap by_name;		/* the children; protected by tree->lock */
	uint64_t ino;			/* st_ino, from the virtual range */
	struct timespec time;		/* when it was made; all its timestamps */
	tree_content_fn content;	/* VNODE_FILE */
	void *ctx;			/* VNODE_FILE */
	void (*ctx_free)(void *ctx);	/* VNODE_FILE */
	struct view *view;		/* VNODE_MOUNT, one reference */
	unsigned long refs;		/* atomic: the parent's link and each fnode */
};

struct tree {
	pthread_rwlock_t lock;
	struct vnode *root;
	uint64_t next_ino;		/* protected by lock */
	const struct tree_reader_ops *reader;	/* or NULL; protected by lock */
	void *reader_arg;		/* protected by lock */
};

/*
 * A FUSE inode: a virtual node, or a store node seen through a view. Its
 * address is its FUSE node id (the root's is FUSE_ROOT_ID).
 */
struct fnode {
	struct fnode *next;		/* hash chain; protected by fs->lock */
	struct fnode *sn_next;		/* chain of fnodes by sn alone; fs->lock */
	struct view *view;		/* one reference, or NULL when virtual */
	struct snode *sn;		/* one reference when view != NULL */
	struct vnode *vn;		/* one reference when view == NULL */
	uint64_t nlookup;		/* kernel lookups not yet forgotten; fs->lock */
	/*
	 * Requests on this fnode now invalidating its siblings' pages before
	 * replying; protected by fs->lock. See fs_siblings_begin().
	 */
	unsigned int inval_busy;
};

struct fs {
	struct tree *tree;
	struct fuse_session *se;
	struct fs_config cfg;
	pthread_mutex_t lock;
	struct fnode **buckets;		/* by (view, sn or vn); protected by lock */
	struct fnode **sn_buckets;	/* by sn, n_buckets of them; protected by lock */
	size_t n_buckets;		/* protected by lock */
	size_t n_nodes;			/* protected by lock */
	struct fnode *root;		/* never forgotten */
	/* What requests left to notify after their reply; see notify.c. */
	pthread_mutex_t notify_lock;	/* a leaf */
	pthread_cond_t notify_cond;	/* a notice or notify_stop */
	struct notice *notices;		/* oldest first; notify_lock */
	struct notice **notices_tail;	/* notify_lock */
	bool notifier_running;		/* notify_lock */
	bool notify_stop;		/* no new notifier; notify_lock */
	pthread_t notifier;
};

/* Virtual inode numbers live below this; volume inodes above (vol_id << VOL_SHIFT). */
#define VOL_SHIFT 40

/* The child @name of @dir with a new reference, or NULL. */
struct vnode *tree_lookup(struct tree *t, struct vnode *dir, const char *name);

/* Whether @vn is still a child of @dir: it has not been removed since. */
bool tree_has_child(struct tree *t, const struct vnode *dir,
		    const struct vnode *vn);

/* The inode number of @vn's parent; its own for the root or a detached node. */
uint64_t tree_parent_ino(struct tree *t, struct vnode *vn);

/* One entry of a virtual directory listing. */
struct tree_dirent {
	char *name;
	struct vnode *vn;		/* one reference */
};

/*
 * The children of @dir, in order, each with a reference. Returns 0 (an
 * empty directory gives *n = 0) or -ENOMEM.
 */
int tree_list(struct tree *t, struct vnode *dir, struct tree_dirent **out,
	      size_t *n);
void tree_list_free(struct tree_dirent *ents, size_t n);

/*
 * Finds or makes the fnode for (@view, @sn), or for @vn when @view is NULL,
 * and counts one kernel lookup on it. Consumes the caller's reference to @sn
 * or @vn. Returns NULL (the reference dropped) on allocation failure.
 */
struct fnode *fnode_get(struct fs *fs, struct view *view, struct snode *sn,
			struct vnode *vn);

/* Subtracts @n kernel lookups; at zero the fnode goes and drops its references. */
void fnode_forget(struct fs *fs, struct fnode *fn, uint64_t n);

/*
 * The other fnodes of one store object: the same snode seen through other
 * views (a volume's own path, each container's view, subPath roots). The
 * kernel caches each separately, so a change made through one must be
 * invalidated in the others. Filled by fs_siblings_begin(), emptied by
 * fs_siblings_end().
 */
struct siblings {
	uint64_t *ids;			/* node ids of the siblings the kernel knows */
	size_t n;
	bool pages_pending;		/* pages to invalidate after the reply */
};

/*
 * Collects the siblings of @fn (none for a virtual node) and invalidates
 * their attributes now: that takes no lock the kernel could hold while
 * waiting for us, so it is done before the reply. With @pages, also their
 * page caches: before the reply unless a sibling is itself in that phase
 * (two requests waiting on each other's page locks), else after it, in
 * fs_siblings_end(). Failure to allocate leaves the list empty.
 */
void fs_siblings_begin(struct fs *fs, struct fnode *fn, bool pages,
		       struct siblings *sib);

/*
 * Call after replying. Has the notifier send what had to wait for the
 * reply: deferred page invalidations and, when @name is set, the forgetting
 * of that name in every sibling directory (a dentry invalidation takes the
 * directory's lock, which a rename in flight may hold while it waits for
 * this reply, and a lookup while it waits for a request thread).
 */
void fs_siblings_end(struct fs *fs, struct siblings *sib, const char *name);

/*
 * sweep.c: makes the kernel forget every name it caches in the directories
 * of @view, a replaced view (tree_sweep_view()). Holds no lock while it
 * talks to the kernel.
 */
void fs_sweep_view(struct fs *fs, struct view *view);

/* notify.c: notifications sent by a thread of their own. */
void fs_notify_init(struct fs *fs);
/*
 * Has the notifier send, after what is already queued, an invalidation of
 * the entry @name (unless NULL) and of the pages of each of the @n node ids
 * @ids. Consumes @ids. Never waits for the kernel.
 */
void fs_notify_later(struct fs *fs, uint64_t *ids, size_t n,
		     const char *name);
/* Sends what is queued and ends the notifier; fs->se must still be valid. */
void fs_notify_stop(struct fs *fs);
void fs_notify_destroy(struct fs *fs);

/* Between FUSE node ids and fnodes. */
struct fnode *fnode_of(struct fs *fs, uint64_t ino);
uint64_t fnode_id(struct fs *fs, struct fnode *fn);

#endif
