/*
 * store.h - how a volume's bytes are kept, behind one vtable.
 *
 * A store is one volume's filesystem: a directory on the host reached only
 * through file descriptors beneath its root (store/passthrough.c), an
 * in-process RAM filesystem (store/memory.c), or later an NFS export. The
 * FUSE layer turns each request into one call on a store; a store never
 * replies to FUSE and never names a volume type.
 *
 * Objects inside a store are struct snode, reference counted: every call that
 * hands out a node (lookup, the create family, readdir in "plus" mode) hands
 * out one reference, which the caller drops with store_put(). A store keeps a
 * node's identity (its ino) stable while the object exists. Nodes hold no
 * file descriptor each: a store may be asked for far more nodes than the
 * process may hold open files.
 *
 * Every call returns 0 (or a count) on success and a negative errno on
 * failure, leaving nothing changed on failure. Calls may block (a network
 * store may take seconds) and run on many threads at once; a store takes
 * only its own locks and holds none when it returns.
 *
 * A store may carry a byte limit (sizeLimit): it then answers -ENOSPC before
 * any write, truncate, fallocate, create, symlink or setxattr would take its
 * usage past the limit, and statfs reports the limit as the volume's size.
 */
#ifndef PODVOLFS_STORE_H
#define PODVOLFS_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

struct store;

/* An object inside a store. Stores embed it first in their own node type. */
struct snode {
	struct store *store;
	uint64_t ino;			/* stable while the object exists; never 0 */
};

/* An open file or directory. Stores embed it first in their own handle type. */
struct store_file {
	struct snode *node;		/* holds a reference while open */
	/*
	 * A host fd the FUSE layer may read from directly (splice), or -1.
	 * The FUSE layer may also hand it to the kernel as a passthrough
	 * backing file (the kernel then opens the same host file with the
	 * opener's flags); when the store has a limit, only for opens whose
	 * writes still come through ops->write.
	 */
	int fd;
};

/* Most supplementary groups a credential carries (AUTH_SYS's limit). */
#define STORE_MAX_GROUPS 16

/* Who asks: the calling process's ids, from the FUSE request. */
struct store_cred {
	uid_t uid;
	gid_t gid;
	/* supplementary groups: filled only for stores with STORE_CAP_AS_CALLER */
	unsigned ngroups;
	gid_t groups[STORE_MAX_GROUPS];
};

/*
 * The request a thread serves, for stores that act as the caller
 * (STORE_CAP_AS_CALLER): an NFS export checks permissions and sets owners
 * itself, so every call, not only the create family, must carry the
 * caller's ids; and a call that waits for a server must stop when the
 * caller is interrupted. The FUSE layer sets it on its thread before it
 * calls such a store; elsewhere (setup, the work queue) it is NULL and the
 * store acts as the daemon.
 */
struct store_caller {
	struct store_cred cred;
	/* true once the caller was interrupted (a signal); may be NULL */
	bool (*interrupted)(void *arg);
	void *arg;
};

/* Sets (or with NULL clears) the calling thread's request. Borrowed. */
void store_caller_set(const struct store_caller *c);

/* The calling thread's request, or NULL. */
const struct store_caller *store_caller(void);

/* struct store's @caps bits. */
#define STORE_CAP_AS_CALLER	(1 << 0)	/* wants store_caller() set */
/* A call may wait long for a server: listings of the tree above the store do not ask it. */
#define STORE_CAP_MAY_BLOCK	(1 << 1)
/*
 * The host file system beneath the store enforces @limit itself (a private
 * tmpfs of that size): the store counts nothing, store_used() asks the
 * file system, and passthrough is allowed. Set with store_limit_by_fs().
 */
#define STORE_CAP_FS_LIMIT	(1 << 2)
/*
 * Files are host files the store opens (store_file.fd), which FUSE
 * passthrough can hand to the kernel.
 */
#define STORE_CAP_HOST_FILES	(1 << 3)

/* setattr's @to_set bits. */
#define STORE_SET_MODE		(1 << 0)
#define STORE_SET_UID		(1 << 1)
#define STORE_SET_GID		(1 << 2)
#define STORE_SET_SIZE		(1 << 3)
#define STORE_SET_ATIME		(1 << 4)
#define STORE_SET_MTIME		(1 << 5)
#define STORE_SET_ATIME_NOW	(1 << 6)
#define STORE_SET_MTIME_NOW	(1 << 7)
#define STORE_SET_CTIME		(1 << 8)

/* Readdir cookies start here; 0 to 2 are the FUSE layer's (start, ".", ".."). */
#define STORE_FIRST_COOKIE 3

/*
 * Called by readdir once per entry, in order. @off is the cookie that
 * resumes the listing after this entry, at least STORE_FIRST_COOKIE. In "plus" mode @node carries a new
 * reference (ownership passes to the callback, which must store_put() it if
 * it does not keep it) and @st is complete; otherwise @node is NULL and only
 * st_ino and the type bits of st_mode are set. Returns 0 to go on, 1 when the
 * reply buffer is full (this entry was not taken and must be offered again
 * next time, its node reference already dropped by the callback).
 */
typedef int (*store_fill_fn)(void *ctx, const char *name,
			     const struct stat *st, off_t off,
			     struct snode *node);

struct store_ops {
	const char *name;		/* "passthrough", "memory", ... */

	/* Releases everything the store holds. Called when its last reference goes. */
	void (*destroy)(struct store *s);

	/* Drops one reference to @n; the last one frees it. Can't fail. */
	void (*put)(struct store *s, struct snode *n);
	/* Takes one more reference to @n. Can't fail. */
	void (*get)(struct store *s, struct snode *n);

	/* The root directory, with a new reference. */
	int (*root)(struct store *s, struct snode **out);

	/* @name is one path component, never "." or "..". */
	int (*lookup)(struct store *s, struct snode *dir, const char *name,
		      struct snode **out, struct stat *st);
	/* @f is the open file when the caller has one, else NULL. */
	int (*getattr)(struct store *s, struct snode *n, struct store_file *f,
		       struct stat *st);
	/* Applies the @to_set fields of @in; fills @st with the result. */
	int (*setattr)(struct store *s, struct snode *n, struct store_file *f,
		       const struct stat *in, int to_set, struct stat *st);
	/* Returns the target's length; @buf is terminated when it fits. */
	int (*readlink)(struct store *s, struct snode *n, char *buf, size_t size);

	/* The create family: new object owned by @cred (setgid dirs give their gid). */
	int (*mknod)(struct store *s, struct snode *dir, const char *name,
		     mode_t mode, dev_t rdev, const struct store_cred *cred,
		     struct snode **out, struct stat *st);
	int (*mkdir)(struct store *s, struct snode *dir, const char *name,
		     mode_t mode, const struct store_cred *cred,
		     struct snode **out, struct stat *st);
	int (*symlink)(struct store *s, struct snode *dir, const char *name,
		       const char *target, const struct store_cred *cred,
		       struct snode **out, struct stat *st);
	/* A new name for @n; returns @n again with a new reference in *out. */
	int (*link)(struct store *s, struct snode *n, struct snode *dir,
		    const char *name, struct snode **out, struct stat *st);
	/* Opens a new regular file (O_CREAT is implied; O_EXCL honoured). */
	int (*create)(struct store *s, struct snode *dir, const char *name,
		      mode_t mode, int flags, const struct store_cred *cred,
		      struct snode **out, struct stat *st,
		      struct store_file **f);

	/*
	 * Opens a new regular file with no name in @dir (O_TMPFILE), which
	 * link() may name later; while unnamed its bytes count against the
	 * limit until its last open and node reference go. NULL when the
	 * store cannot (the FUSE layer answers EOPNOTSUPP).
	 */
	int (*tmpfile)(struct store *s, struct snode *dir, mode_t mode,
		       int flags, const struct store_cred *cred,
		       struct snode **out, struct stat *st,
		       struct store_file **f);

	int (*unlink)(struct store *s, struct snode *dir, const char *name);
	int (*rmdir)(struct store *s, struct snode *dir, const char *name);
	/* @flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE. */
	int (*rename)(struct store *s, struct snode *dir, const char *name,
		      struct snode *newdir, const char *newname,
		      unsigned int flags);

	/* @flags as open(2), without O_CREAT. */
	int (*open)(struct store *s, struct snode *n, int flags,
		    struct store_file **f);
	ssize_t (*read)(struct store *s, struct store_file *f, char *buf,
			size_t size, off_t off);
	ssize_t (*write)(struct store *s, struct store_file *f,
			 const char *buf, size_t size, off_t off);
	int (*flush)(struct store *s, struct store_file *f);
	int (*fsync)(struct store *s, struct store_file *f, bool datasync);
	int (*fallocate)(struct store *s, struct store_file *f, int mode,
			 off_t off, off_t len);
	/* SEEK_DATA and SEEK_HOLE; returns the new offset. */
	off_t (*lseek)(struct store *s, struct store_file *f, off_t off,
		       int whence);
	/* Closes @f and drops its node reference. Can't fail. */
	void (*release)(struct store *s, struct store_file *f);

	int (*opendir)(struct store *s, struct snode *n, struct store_file **f);
	/*
	 * Lists entries after cookie @off (0: from the start; "." and ".." are
	 * the caller's business and are never listed). Stops at the end or when
	 * @fill returns 1. Entries added or removed during a listing may or may
	 * not show, but none shows twice and none that stays is missed.
	 */
	int (*readdir)(struct store *s, struct store_file *f, off_t off,
		       bool plus, store_fill_fn fill, void *ctx);
	void (*releasedir)(struct store *s, struct store_file *f);
	int (*fsyncdir)(struct store *s, struct store_file *f, bool datasync);

	int (*statfs)(struct store *s, struct snode *n, struct statvfs *st);

	int (*setxattr)(struct store *s, struct snode *n, const char *name,
			const char *value, size_t size, int flags);
	/* Like getxattr(2): @size 0 asks for the length. */
	ssize_t (*getxattr)(struct store *s, struct snode *n, const char *name,
			    char *value, size_t size);
	ssize_t (*listxattr)(struct store *s, struct snode *n, char *list,
			     size_t size);
	int (*removexattr)(struct store *s, struct snode *n, const char *name);
};

/* Fields every store has; stores embed struct store first in their own. */
struct store {
	const struct store_ops *ops;
	unsigned caps;			/* STORE_CAP_* */
	unsigned long refs;		/* atomic; store_unref() at 0 destroys */
	uint64_t limit;			/* bytes; 0 = none */
	/* bytes counted against limit; atomic; read it with store_used() */
	uint64_t used;
	/*
	 * How the kernel reaches this store's file data, as the FUSE layer
	 * last found it when it opened a file (STORE_DATA_*); atomic.
	 */
	int data_path;
	/* called once the store is destroyed; set with store_on_release() */
	void (*on_release)(void *arg);
	void *on_release_arg;
};

/* struct store's @data_path. */
/*
 * No file opened yet, or every read and write goes through the daemon (no
 * host fd, or passthrough off).
 */
#define STORE_DATA_DAEMON	0
/*
 * FUSE passthrough: the kernel reads and writes the host file itself
 * (never on a store that counts its limit itself).
 */
#define STORE_DATA_PASSTHROUGH	1
/* The kernel refused the host file as a backing file: through the daemon. */
#define STORE_DATA_REFUSED	2

/*
 * Tells the store layer whether the mount passes file data through (the
 * kernel offered FUSE passthrough and the daemon took it); false until
 * the FUSE layer says so.
 */
void store_passthrough_set(bool on);

/*
 * Whether the kernel may read and write @s's files itself: the mount
 * passes data through, @s's files are host files, and no limit of its
 * own needs to see each write (a file system that keeps it may).
 */
bool store_may_passthrough(const struct store *s);

/*
 * A word for @s's data path, for status: "passthrough", "daemon" or
 * "daemon-refused"; before any file was opened, the path its opens are to
 * take.
 */
const char *store_data_path_name(const struct store *s);

/* Takes one more reference to the store. Can't fail. */
void store_ref(struct store *s);

/* Drops one reference; the last one calls ops->destroy. Accepts NULL. */
void store_unref(struct store *s);

/*
 * Asks for @fn(@arg) once @s is destroyed, on whatever thread drops its last
 * reference (a FUSE thread forgetting an inode, say), holding no lock: @fn
 * must be quick and must not take locks that a store user may hold. The
 * caller must hold a reference while it sets this. Replaces an earlier
 * request.
 */
void store_on_release(struct store *s, void (*fn)(void *arg), void *arg);

static inline void store_put(struct snode *n)
{
	if (n)
		n->store->ops->put(n->store, n);
}

static inline void store_get(struct snode *n)
{
	n->store->ops->get(n->store, n);
}

/*
 * Gives @s, made without a limit over a host file system that enforces
 * @limit bytes itself, that limit for status and statfs
 * (STORE_CAP_FS_LIMIT). Call it before the store is shared.
 */
void store_limit_by_fs(struct store *s, uint64_t limit);

/* Bytes used against @s's limit, from the store's count or its file system. */
uint64_t store_used(struct store *s);

/*
 * Reserves @bytes against the store's limit. Returns 0 (then usage grew by
 * @bytes) or -ENOSPC (nothing changed). Always 0 when the store has no limit.
 * Thread-safe.
 */
int store_charge(struct store *s, uint64_t bytes);

/*
 * Reserves as much of @bytes as the limit leaves, in whole multiples of
 * @unit (a power of two) unless it is all of @bytes. Returns what it
 * reserved, 0 when nothing fits. Thread-safe.
 */
uint64_t store_charge_upto(struct store *s, uint64_t bytes, uint64_t unit);

/*
 * Gives back @bytes charged earlier. Usage never goes below 0 (a store that
 * learns of its bytes from the host may give back more than it counted).
 * Can't fail. Thread-safe.
 */
void store_uncharge(struct store *s, uint64_t bytes);

/* Fills the size fields of @st from the limit and usage (4096-byte blocks). */
void store_statfs_limit(const struct store *s, struct statvfs *st);

/*
 * A RAM filesystem whose root has @root_mode, owned by @uid:@gid. @limit is
 * a byte limit (0: none). Usage counts file data by the 4 KiB pages it
 * holds (holes cost nothing), symlink targets and xattr names and values.
 * The new store holds one reference, the caller's (refs = 1). Returns NULL
 * on allocation failure.
 */
struct store *memory_store_new(mode_t root_mode, uid_t uid, gid_t gid,
			       uint64_t limit);

/*
 * A store over the directory @root_fd, or over any other object given as an
 * O_PATH fd (a file, socket or device hostPath: the store then holds just
 * that object; -EINVAL for a non-directory fd that is not O_PATH). The
 * store takes ownership of the fd, also on failure. Every object is reached beneath it (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS from the root on each access), so no
 * symlink, ".." or rename on the host leads outside. @limit as for the
 * memory store, counting the blocks the host allocated to regular files
 * (st_blocks, as du does) and symlink targets; the usage already under
 * @root_fd is counted at creation. The new store holds
 * one reference, the caller's (refs = 1). Returns NULL and sets errno on
 * failure.
 */
struct store *passthrough_store_new(int root_fd, uint64_t limit);

/* Where an NFS store's data lives, and how patiently it is reached. */
struct nfs_target {
	const char *server;		/* host name or address */
	const char *export;		/* absolute path on the server */
	int nfs_port;			/* 0: ask the server's portmapper */
	int mount_port;			/* 0: ask the server's portmapper */
	/* seconds a request waits for the server before EIO; 0: for ever */
	double timeout;
	double actimeo;			/* seconds attributes are trusted; < 0: defaults */
};

/*
 * A store over the NFSv3 export @t->export of @t->server. Stores on the
 * same (server, export, ports) share one pool of connections. Every call
 * carries the caller's uid, gid and groups (AUTH_SYS; store_caller()), so
 * the server decides permissions and owners. Connects at once: on
 * failure returns -errno with @msg (size @len) naming the server, the
 * port and what failed. The new store holds one reference, the caller's.
 */
int nfs_store_new(const struct nfs_target *t, struct store **out,
		  char *msg, size_t len);

/*
 * Applies the mount options @opts (@n of them, as a PersistentVolume's
 * mountOptions) that the nfs store honours to @t: port=, mountport=, and
 * nfsvers= or vers= when 3. Others are left alone, as mount(8) leaves
 * options a file system ignores. Returns 0, or -EINVAL with @msg (size
 * @len) when another NFS version is asked for.
 */
int nfs_target_options(struct nfs_target *t, const char *const *opts,
		       size_t n, char *msg, size_t len);

/*
 * One line on an NFS store's connections: how many are up and busy, or
 * since when the server has not answered.
 */
void nfs_store_health(struct store *s, char *buf, size_t len);

#endif
