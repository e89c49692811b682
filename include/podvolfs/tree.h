/*
 * tree.h - the namespace the mount shows: namespaces, pods, their views.
 *
 * The upper levels of the mounted tree (namespaces, pods, "volumes",
 * "containers", "status") are a tree of nodes that the cluster publishes
 * into by path at run time and the FUSE layer reads node by node; they are
 * read-only. Where the tree has a mount point, a view of a store takes
 * over: a store plus what a path into it may do (read-only or not) and
 * how long the kernel may cache it. The tree knows stores and nothing
 * above them: its reader (the FUSE layer) registers callbacks through
 * which the tree tells it what changed.
 *
 * The trade-off: a node taken out of the tree (removed, or a mount point
 * given new content) is detached at once but lives on while a reader
 * holds it, so new lookups miss it while what is already open keeps
 * working. docs/design/tree.md says more.
 */
#ifndef PODVOLFS_TREE_H
#define PODVOLFS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "podvolfs/store.h"

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

/*
 * The st_ino of an object seen through a view is (vol_id << VOL_SHIFT) |
 * (its store ino, masked to VOL_SHIFT bits); the tree's own nodes number
 * below 1 << VOL_SHIFT.
 */
#define VOL_SHIFT 40

struct view;

/* A view mounted over an object of another: a nested volumeMount. */
struct view_cover {
	struct snode *at;		/* the mount point, one reference */
	struct view *view;		/* what shows there, one reference */
};

/* A way into a store; reference counted, shared by every FUSE inode it reaches. */
struct view {
	struct store *store;		/* one reference */
	struct snode *root;		/* one reference */
	bool read_only;			/* every mutation answers EROFS */
	uint32_t vol_id;		/* high bits of st_ino, unique per volume */
	struct view_cache cache;
	/*
	 * The views mounted over objects of this one (view_cover()): set
	 * before the view is published, never changed after, so read
	 * without a lock.
	 */
	struct view_cover *covers;
	size_t n_covers;
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
/*
 * Drops one reference; the last one releases the root, the store and the
 * covering views. Accepts NULL.
 */
void view_unref(struct view *v);

/*
 * Mounts @inner over @at, an object of @v's store of the same type as
 * @inner's root (a directory, or a file): what goes through @v and finds
 * @at finds @inner's root in its place, as a path in a container finds a
 * mount over its mount point, whatever @at's name. Only before @v is
 * published (mounted in the tree or over another view): covers never
 * change after. Takes a reference to @at and to @inner. Returns 0,
 * -EEXIST (@at is covered already) or -ENOMEM.
 */
int view_cover(struct view *v, struct snode *at, struct view *inner);

/*
 * The view mounted over @sn in @v, or NULL; borrowed for as long as the
 * caller holds @v. Can't fail.
 */
struct view *view_covering(const struct view *v, const struct snode *sn);

/*
 * The same by the store's inode number of the mount point, for listings
 * that carry no node: a mount point deleted since and its number reused
 * may match, which only what the listing says of that entry shows.
 */
struct view *view_covering_ino(const struct view *v, uint64_t ino);

/*
 * Makes the contents of a file of the tree: a malloc'ed buffer in *@buf
 * with its length in *@len. Called on each open and stat. Returns 0 or
 * -errno.
 */
typedef int (*tree_content_fn)(void *ctx, char **buf, size_t *len);

struct tree;

/*
 * Publishing: the cluster's side. Every call takes the tree's lock, and
 * tells the reader what changed after dropping it.
 */

/* An empty tree (just its root directory). Returns NULL on allocation failure. */
struct tree *tree_new(void);

/* Frees the tree. Its reader must be unset, and hold none of its nodes. */
void tree_free(struct tree *t);

/*
 * Adds a directory at @path ("ns/pod/volumes", relative, components
 * separated by single '/'), creating missing parents. An existing directory
 * is fine. Returns 0, -EEXIST (something else is there) or -ENOMEM.
 */
int tree_add_dir(struct tree *t, const char *path);

/*
 * Adds a file at @path whose contents @fn makes from @ctx; @ctx_free (may be
 * NULL) is called on @ctx once the file is gone from the tree and from its
 * reader. Parents are created. Returns 0, -EEXIST or -ENOMEM; on error
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
 * This is a new generation of the mount point: a new node, whose name the
 * reader is told to forget, so new lookups reach the new view; what it
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
 * Removes @path and everything below it from the tree; the reader is told
 * to forget the name. Objects stay alive while the reader (the kernel, an
 * open file) still references them. Returns 0 or -ENOENT.
 */
int tree_remove(struct tree *t, const char *path);

/* Removes the directory @path if it has no entries. Returns 0, -ENOENT or -ENOTEMPTY. */
int tree_remove_empty(struct tree *t, const char *path);

/*
 * Reading: the FUSE layer's side. Lookups and listings take the tree's
 * lock for reading; what a node never changes is read without it.
 */

/* What a node of the tree is. */
enum vnode_kind {
	VNODE_DIR,			/* a namespace, a pod, volumes/, ... */
	VNODE_FILE,			/* contents made on each read: status */
	VNODE_MOUNT,			/* a view's root shows there */
};

/* A node of the tree, reference counted. */
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

/* The child @name of the directory @dir with a new reference, or NULL. */
struct vnode *tree_lookup(struct tree *t, struct vnode *dir, const char *name);

/* Whether @vn is still a child of @dir: it has not been removed since. */
bool tree_has_child(struct tree *t, const struct vnode *dir,
		    const struct vnode *vn);

/* The inode number of @vn's parent; its own for the root or a detached node. */
uint64_t tree_parent_ino(struct tree *t, struct vnode *vn);

/* One entry of a directory listing. */
struct tree_dirent {
	char *name;
	struct vnode *vn;		/* one reference */
};

/*
 * The children of @dir, in the order they came, each with a reference, in
 * a new array in *@out. Returns 0 (an empty directory gives *@n = 0) or
 * -ENOMEM (nothing to free). Free with tree_list_free().
 */
int tree_list(struct tree *t, struct vnode *dir, struct tree_dirent **out,
	      size_t *n);
void tree_list_free(struct tree_dirent *ents, size_t n);

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

#endif
