/*
 * fs.h - the FUSE layer: views, the virtual tree, and the low-level ops.
 *
 * The mounted tree has two parts. Its upper levels (namespaces, pods,
 * "volumes", "status") are a virtual tree that the cluster layer builds and
 * changes at run time; they are read-only. Where the virtual tree has a
 * mount point, a view of a store takes over: a store plus what a path into
 * it may do (read-only or not) and how long the kernel may cache it.
 *
 * A FUSE inode is a (view, store node) pair, or a virtual node. The same
 * file reached through two views is two FUSE inodes, so each can carry its
 * own read-only-ness. This layer names no volume type and reads no manifest.
 */
#ifndef PODVOLFS_FS_H
#define PODVOLFS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "podvolfs/store.h"

struct fuse_session;
struct fuse_lowlevel_ops;

/* How long the kernel may keep what a view tells it. */
struct view_cache {
	double attr_timeout;		/* seconds */
	double entry_timeout;		/* seconds */
	/*
	 * File pages kept across opens. The kernel still drops them when an
	 * attribute refresh shows a new mtime or size (auto_inval_data), so
	 * pages are never staler than attr_timeout.
	 */
	bool keep_cache;
	bool cache_readdir;		/* directory listings kept across opens */
	/*
	 * The data may change outside the mount (a hostPath): a granted
	 * lock drops the file's cached pages and attributes.
	 */
	bool changes_behind;
};

/* A way into a store; reference counted, shared by every FUSE inode it reaches. */
struct view {
	struct store *store;		/* one reference */
	struct snode *root;		/* one reference */
	bool read_only;			/* every mutation answers EROFS */
	uint32_t vol_id;		/* high bits of st_ino, unique per volume */
	struct view_cache cache;
	unsigned long refs;		/* atomic */
};

/*
 * A view of @store's root. Takes a reference to @store; @vol_id must be
 * non-zero and unique among live volumes. Returns NULL with errno set.
 */
struct view *view_new(struct store *store, uint32_t vol_id, bool read_only,
		      const struct view_cache *cache);

/*
 * A view whose root is @root, any object of @store: a directory, or a file
 * (a subPath naming a file), which the tree then shows as a file. Takes a
 * reference to @store and one to @root; the caller keeps its own. Views of
 * one volume share its @vol_id, so one object has one st_ino through all
 * of them, as through bind mounts. Returns NULL on allocation failure.
 */
struct view *view_new_at(struct store *store, struct snode *root,
			 uint32_t vol_id, bool read_only,
			 const struct view_cache *cache);
void view_ref(struct view *v);
/* Drops one reference; the last one releases the root and the store. Accepts NULL. */
void view_unref(struct view *v);

/*
 * Makes the contents of a virtual file: a malloc'ed buffer in *@buf with its
 * length in *@len. Called on each open and stat. Returns 0 or -errno.
 */
typedef int (*tree_content_fn)(void *ctx, char **buf, size_t *len);

struct tree;

/* An empty tree (just its root directory). Returns NULL on allocation failure. */
struct tree *tree_new(void);

/* Frees the tree. Every FUSE session using it must have ended. */
void tree_free(struct tree *t);

/*
 * Adds a directory at @path ("ns/pod/volumes", relative, components
 * separated by single '/'), creating missing parents. An existing directory
 * is fine. Returns 0, -EEXIST (something else is there) or -ENOMEM.
 */
int tree_add_dir(struct tree *t, const char *path);

/*
 * Adds a file at @path whose contents @fn makes from @ctx; @ctx_free (may be
 * NULL) is called on @ctx once the file is gone from the tree and from the
 * kernel. Parents are created. Returns 0, -EEXIST or -ENOMEM; on error
 * @ctx_free is not called.
 */
int tree_add_file(struct tree *t, const char *path, tree_content_fn fn,
		  void *ctx, void (*ctx_free)(void *ctx));

/*
 * Makes @path a mount point of @view (takes a reference). Parents are
 * created. The kernel sees the view's root there, with its own type: a
 * directory, or a file when the view's root is one. Returns 0, -EEXIST,
 * -ENOTDIR (a parent is a mount point) or -ENOMEM.
 */
int tree_add_mount(struct tree *t, const char *path, struct view *view);

/*
 * Puts @view (takes a reference) in place of the view mounted at @path, in
 * one step: a lookup finds the old view or the new one, never nothing.
 * The kernel forgets the name, so new lookups reach the new view; what it
 * already holds of the old one (open files, a working directory) stays
 * usable until released. The old view goes to *@old with a new
 * reference. Returns 0, -ENOENT (no mount point there) or -ENOMEM.
 */
int tree_replace_mount(struct tree *t, const char *path, struct view *view,
		       struct view **old);

/*
 * Asks the tree's reader to let go of what it caches of @view, a view
 * that tree_replace_mount() replaced: the FUSE layer makes the kernel
 * forget every name it caches in the directories of @view, so that the
 * inodes of the old content are released once nothing uses them (the
 * kernel keeps unused names cached otherwise). Names in use go when their
 * user lets go of them; call this again now and then until only the
 * caller holds @view. Does nothing without a reader. Can't fail.
 */
void tree_sweep_view(struct tree *t, struct view *view);

/*
 * Removes @path and everything below it from the tree; the kernel forgets
 * the names. Objects stay alive while the kernel or open files still
 * reference them. Returns 0 or -ENOENT.
 */
int tree_remove(struct tree *t, const char *path);

/* Removes the directory @path if it has no entries. Returns 0, -ENOENT or -ENOTEMPTY. */
int tree_remove_empty(struct tree *t, const char *path);

/* What a node of the tree is. */
enum vnode_kind {
	VNODE_DIR,			/* a namespace, a pod, volumes/, ... */
	VNODE_FILE,			/* contents made on each read: status */
	VNODE_MOUNT,			/* a view's root shows there */
};

/* A node of the tree, reference counted; what the FUSE layer reads. */
struct vnode;

void vnode_ref(struct vnode *vn);
/* Drops one reference; the last one frees a detached node. Accepts NULL. */
void vnode_unref(struct vnode *vn);

/*
 * What never changes in a node: its kind, its inode number (counting from
 * 1, below 1 << VOL_SHIFT), the time it was made (all its timestamps) and,
 * for a VNODE_MOUNT, its view, which the node keeps referenced while the
 * caller holds the node. Take no lock. Can't fail.
 */
enum vnode_kind vnode_kind(const struct vnode *vn);
uint64_t vnode_ino(const struct vnode *vn);
struct timespec vnode_time(const struct vnode *vn);
struct view *vnode_view(const struct vnode *vn);

/*
 * Makes the contents of the VNODE_FILE @vn now, as tree_content_fn says:
 * the buffer in *@buf is the caller's. Returns 0 or -errno.
 */
int vnode_content(const struct vnode *vn, char **buf, size_t *len);

/* The root directory, with a new reference. Can't fail. */
struct vnode *tree_root(struct tree *t);

/*
 * What the tree tells its reader (the FUSE layer), which registers these
 * with tree_set_reader() so that the tree never calls up into it. Each is
 * called from the thread that changed the tree, holding no tree lock; a
 * NULL member is not called.
 */
struct tree_reader_ops {
	/*
	 * The entry @name of the directory @dir was added, removed, or given
	 * a new node (tree_replace_mount()): what the reader cached of that
	 * name and of @dir's listing is stale. @dir is referenced for the
	 * call's duration.
	 */
	void (*entry_changed)(void *arg, struct vnode *dir, const char *name);
	/* tree_sweep_view() was called on @view: see there. */
	void (*sweep_view)(void *arg, struct view *view);
};

/*
 * Makes @ops, called with @arg, the tree's reader, in place of any other;
 * NULL @ops unsets it. @ops must outlive the registration. The tree does
 * not wait for a callback in flight: unset the reader before @arg goes,
 * once nothing changes the tree any more. Can't fail.
 */
void tree_set_reader(struct tree *t, const struct tree_reader_ops *ops,
		     void *arg);

struct fs_config {
	unsigned max_write;		/* bytes; the kernel's max_write */
};

/* The FUSE operations, for fuse_session_new() with a struct fs as userdata. */
extern const struct fuse_lowlevel_ops fs_ops;

struct fs;

/* A filesystem serving @tree. Returns NULL on allocation failure. */
struct fs *fs_new(struct tree *t, const struct fs_config *cfg);

/*
 * Lets the tree tell the kernel about removed names through @se. With NULL,
 * once the session's loop has ended and before the session goes: what
 * requests left to notify is sent, and the notifier thread ends.
 */
void fs_set_session(struct fs *fs, struct fuse_session *se);

/* Frees @fs after its session ended, dropping every inode it still held. */
void fs_free(struct fs *fs);

#endif
