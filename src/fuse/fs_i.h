/*
 * fs_i.h - private to the FUSE layer: the inode table, handles, notices.
 *
 * fs->lock and the tree's lock are never held together: the tree calls
 * this layer (its tree_reader_ops) only after dropping its lock, and this
 * layer calls the tree holding no lock of its own. Neither is held while
 * calling a store, while replying to the kernel, or while sending it a
 * notification: a notification takes the kernel's directory locks, which a
 * request in flight may hold while it waits for us.
 */
#ifndef PODVOLFS_FS_I_H
#define PODVOLFS_FS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "podvolfs/fs.h"

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
	/*
	 * The kernel's id for the host file its passthrough opens of this
	 * inode use (0: none), and how many open handles use it; protected
	 * by fs->pt_lock. The kernel wants one backing file per inode, and
	 * every open of an inode that has one to be a passthrough open.
	 */
	int backing_id;
	unsigned int n_backing;
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
	pthread_mutex_t pt_lock;	/* fnodes' backing ids; a leaf */
	/* the daemon clears set-id bits (killpriv.c); set at init */
	bool killpriv;
};

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

/* passthrough.c: FUSE passthrough of file data. */
struct fuse_conn_info;
struct fuse_file_info;
struct fuse_req;
struct store_file;

/*
 * The set-id bits of the object @st describes that the request @req, which
 * the kernel marked as one that must clear them, clears: on chown when
 * @chown, else on a truncate or write. See killpriv.c.
 */
mode_t fs_killpriv_bits(struct fuse_req *req, const struct stat *st,
			bool chown);

/*
 * At init: asks for passthrough when configured and offered, and tells
 * the store layer (store_passthrough_set()).
 */
void fs_passthrough_init(struct fs *fs, struct fuse_conn_info *conn);

/*
 * Makes the open @fi of @fn (a view's node, @sf its store handle) a
 * passthrough open when the store gave a host fd and
 * store_may_passthrough() allows it: sets @fi's backing_id and clears
 * keep_cache. Returns true when it did; the handle must then call
 * fs_passthrough_detach() once, when released. Call before the reply.
 */
bool fs_passthrough_attach(struct fs *fs, struct fuse_req *req,
			   struct fnode *fn, const struct store_file *sf,
			   struct fuse_file_info *fi);

/*
 * Drops a handle's use of @fn's backing file; the last closes it, unless
 * @req is NULL (a reply failed and freed it): the id then stays for the
 * inode's next open.
 */
void fs_passthrough_detach(struct fs *fs, struct fuse_req *req,
			   struct fnode *fn);

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
