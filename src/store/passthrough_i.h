/*
 * passthrough_i.h - private to the passthrough store (store/passthrough*.c).
 *
 * A node is a host object known by (st_dev, st_ino) and by the names it was
 * last seen under (its links). It holds no file descriptor: every access
 * rebuilds a relative path from a link and opens it beneath the store's one
 * root fd with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), then checks
 * that the opened object is still the node's. See
 * docs/design/passthrough-store.md.
 *
 * Lock order: names_lock, then ns_lock (only used when the store has a
 * limit), then tree_lock, then hash_lock; ns_lock is also taken before
 * node->lock. node->lock is a leaf: nothing else is taken while holding it.
 * names_lock is never taken twice by one thread, not even for reading: a
 * writer waiting between the two would deadlock them.
 */
#ifndef PODVOLFS_STORE_PASSTHROUGH_I_H
#define PODVOLFS_STORE_PASSTHROUGH_I_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "podvolfs/store.h"

/* Non-directories remember at most this many names (hard links). */
#define PT_MAX_LINKS		8
/* Deeper trees are refused with ELOOP (also guards against cycles). */
#define PT_MAX_DEPTH		8192

/* One name of a node: an entry @name in directory @parent. Immutable. */
struct pt_link {
	struct pt_link *next;		/* protected by store->tree_lock */
	struct pt_node *parent;		/* holds a reference */
	char name[];			/* one component, never "." or ".." */
};

struct pt_node {
	struct snode base;
	dev_t dev;			/* host st_dev; immutable */
	ino_t ino;			/* host st_ino; immutable */
	mode_t type;			/* S_IFMT bits; immutable */
	unsigned long refs;		/* atomic; 0 only under hash_lock */
	struct pt_node *hnext;		/* protected by store->hash_lock */
	bool hashed;			/* protected by store->hash_lock */
	/*
	 * Names to reach the node by, most recently confirmed first; NULL
	 * for the root, and for an object whose every known name the store
	 * itself removed. Directories have at most one.
	 * Protected by store->tree_lock.
	 */
	struct pt_link *links;
	/*
	 * Serializes size changes of the object (write, truncate,
	 * fallocate, last unlink) when the store has a limit; leaf lock.
	 */
	pthread_mutex_t lock;
	unsigned int open_count;	/* open handles; protected by lock */
	/*
	 * Open regular-file handles, newest first: getattr asks one of
	 * them, which keeps working once the last name is gone. Protected
	 * by lock.
	 */
	struct pt_file *files;
	/*
	 * The last link went while open: the charge stays until the last
	 * release. Protected by lock.
	 */
	bool orphan;
	/*
	 * With a limit: the bytes the host has allocated to the object
	 * (st_blocks * 512) when the store last looked, if alloc_known, so
	 * that a write needs one fstat (after), not two. Protected by lock.
	 */
	bool alloc_known;
	uint64_t alloc;
};

struct pt_store {
	struct store base;
	int root_fd;			/* the volume root; immutable */
	struct pt_node *root;		/* one reference held by the store */
	bool acct;			/* base.limit > 0; immutable */
	uid_t uid;			/* the daemon's fsuid (new objects') */
	gid_t gid;			/* the daemon's fsgid */
	/*
	 * The store's own changes of names against the links: held for
	 * writing across a call that removes or moves a name (unlink, rmdir,
	 * rename) and the update of the links that follows, and for reading
	 * across one that records a name it saw or made (lookup, readdirplus,
	 * the create family, link), and by an open whose first try failed.
	 * Under it the links agree with every change made through the store,
	 * so what still fails was changed behind its back. Take first.
	 */
	pthread_rwlock_t names_lock;
	/* Every node's links. Take before hash_lock. */
	pthread_rwlock_t tree_lock;
	/* The (dev, ino) hash and nodes' refs reaching 0. */
	pthread_mutex_t hash_lock;
	struct pt_node **buckets;	/* protected by hash_lock */
	size_t nbuckets;		/* protected by hash_lock */
	size_t nnodes;			/* protected by hash_lock */
	/*
	 * Link count changes (link, unlink, rename over a file) when acct,
	 * so that "was this the last link" is answered once. Take after
	 * names_lock, before the others.
	 */
	pthread_mutex_t ns_lock;
	uint64_t blksize;		/* host allocation unit; set by scan */
	int no_fiemap;			/* atomic; the host lacks FIEMAP */
	int no_fchmodat2;		/* atomic; the kernel lacks fchmodat2 */
	int no_xattrat;			/* atomic; the kernel lacks *xattrat */
};

/* An open file or directory. */
struct pt_file {
	struct store_file base;		/* base.fd: the host fd, owned */
	int flags;			/* open flags as passed to the host */
	struct pt_file *next_open;	/* in node->files; node->lock */
	/* Directory listing state below; protected by lock. */
	pthread_mutex_t lock;
	char *buf;			/* getdents64 buffer, PT_DIRBUF bytes */
	size_t buf_len;			/* bytes valid in buf */
	size_t buf_pos;			/* next entry in buf */
	off_t pos;			/* cookie of the last entry consumed */
	off_t low_pos;			/* host d_off behind cookie 3, or -1 */
};

#define PT_DIRBUF		32768

static inline struct pt_store *pt_store(struct store *s)
{
	return (struct pt_store *)s;
}

static inline struct pt_node *pt_node(struct snode *n)
{
	return (struct pt_node *)n;
}

static inline struct pt_file *pt_file(struct store_file *f)
{
	return (struct pt_file *)f;
}

/* passthrough_node.c: the node table and confined resolution. */
int pt_table_init(struct pt_store *s, const struct stat *root_st);
void pt_table_destroy(struct pt_store *s);
void pt_node_get(struct pt_node *n);
void pt_node_put(struct pt_store *s, struct pt_node *n);
struct pt_node *pt_node_find(struct pt_store *s, dev_t dev, ino_t ino);
int pt_node_find_or_add(struct pt_store *s, struct pt_node *dir,
			const char *name, const struct stat *st, bool relink,
			struct pt_node **out);
int pt_node_relink(struct pt_store *s, struct pt_node *n,
		   struct pt_node *olddir, const char *oldname,
		   struct pt_node *dir, const char *name);
int pt_node_open(struct pt_store *s, struct pt_node *n, int flags,
		 struct stat *st);
void pt_node_unlinked(struct pt_store *s, struct pt_node *dir,
		      const char *name, const struct stat *st);
int pt_node_open_parent(struct pt_store *s, struct pt_node *n,
			char name[NAME_MAX + 1]);
int pt_node_open_parent_locked(struct pt_store *s, struct pt_node *n,
			       char name[NAME_MAX + 1]);
void pt_fd_release(struct pt_store *s, int fd);
int pt_reopen(int fd, int flags);
int pt_check_name(const char *name);
bool pt_stat_matches(const struct pt_node *n, const struct stat *st);

/* passthrough_acct.c: the byte limit. */
int pt_acct_scan(struct pt_store *s);
ssize_t pt_acct_write(struct pt_store *s, struct pt_file *f, const char *buf,
		      size_t size, off_t off);
int pt_acct_truncate(struct pt_store *s, struct pt_node *n, int fd,
		     off_t size);
int pt_acct_fallocate(struct pt_store *s, struct pt_file *f, int mode,
		      off_t off, off_t len);
int pt_acct_unlink(struct pt_store *s, struct pt_node *dir, int dfd,
		   const char *name);
int pt_acct_rename(struct pt_store *s, struct pt_node *newdir, int olddfd,
		   const char *name, int newdfd, const char *newname,
		   unsigned int flags);
int pt_acct_rmdir(struct pt_store *s, int dfd, const char *name);
int pt_acct_open(struct pt_store *s, struct pt_node *n, int fd);
void pt_acct_release(struct pt_store *s, struct pt_node *n, int fd);

/* passthrough_names.c: store ops. */
int pt_lookup(struct store *ss, struct snode *sdir, const char *name,
	      struct snode **out, struct stat *st);
int pt_mknod(struct store *ss, struct snode *sdir, const char *name,
	     mode_t mode, dev_t rdev, const struct store_cred *cred,
	     struct snode **out, struct stat *st);
int pt_mkdir(struct store *ss, struct snode *sdir, const char *name,
	     mode_t mode, const struct store_cred *cred,
	     struct snode **out, struct stat *st);
int pt_symlink(struct store *ss, struct snode *sdir, const char *name,
	       const char *target, const struct store_cred *cred,
	       struct snode **out, struct stat *st);
int pt_link(struct store *ss, struct snode *sn, struct snode *sdir,
	    const char *name, struct snode **out, struct stat *st);
int pt_create(struct store *ss, struct snode *sdir, const char *name,
	      mode_t mode, int flags, const struct store_cred *cred,
	      struct snode **out, struct stat *st,
	      struct store_file **f);
int pt_tmpfile(struct store *ss, struct snode *sdir, mode_t mode,
	       int flags, const struct store_cred *cred,
	       struct snode **out, struct stat *st,
	       struct store_file **f);
int pt_unlink(struct store *ss, struct snode *sdir, const char *name);
int pt_rmdir(struct store *ss, struct snode *sdir, const char *name);
int pt_rename(struct store *ss, struct snode *sdir, const char *name,
	      struct snode *snewdir, const char *newname,
	      unsigned int flags);

/* passthrough_file.c: handles and store ops. */
int pt_file_make(struct pt_store *s, struct pt_node *n, int fd,
		 int flags, struct store_file **out);
int pt_open_flags(const struct pt_store *s, int flags);
int pt_open(struct store *ss, struct snode *sn, int flags,
	    struct store_file **f);
ssize_t pt_read(struct store *ss, struct store_file *f, char *buf,
		size_t size, off_t off);
ssize_t pt_write(struct store *ss, struct store_file *sf,
		 const char *buf, size_t size, off_t off);
int pt_flush(struct store *ss, struct store_file *f);
int pt_fsync(struct store *ss, struct store_file *f, bool datasync);
int pt_fallocate(struct store *ss, struct store_file *f, int mode,
		 off_t off, off_t len);
off_t pt_lseek(struct store *ss, struct store_file *f, off_t off,
	       int whence);
void pt_release(struct store *ss, struct store_file *sf);
int pt_opendir(struct store *ss, struct snode *sn,
	       struct store_file **out);
int pt_readdir(struct store *ss, struct store_file *sf, off_t off,
	       bool plus, store_fill_fn fill, void *ctx);
void pt_releasedir(struct store *ss, struct store_file *f);
int pt_fsyncdir(struct store *ss, struct store_file *f, bool datasync);

/* passthrough_xattr.c: store ops. */
int pt_setxattr(struct store *ss, struct snode *sn, const char *name,
		const char *value, size_t size, int flags);
ssize_t pt_getxattr(struct store *ss, struct snode *sn,
		    const char *name, char *value, size_t size);
ssize_t pt_listxattr(struct store *ss, struct snode *sn, char *list,
		     size_t size);
int pt_removexattr(struct store *ss, struct snode *sn,
		   const char *name);

#endif
