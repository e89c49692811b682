/*
 * memory_i.h - the memory store's private parts, shared by memory.c (nodes,
 * attributes and the store ops), memory_names.c (lookup and every change of
 * a name), memory_file.c (open files and their data ops), memory_dir.c
 * (directory tables and listings), memory_data.c (sparse file data) and
 * memory_xattr.c (extended attributes).
 *
 * The directory-table and data helpers take no lock: the caller holds the
 * lock named on the structure it passes (see docs/design/memory-store.md).
 * The node helpers say what they take.
 */
#ifndef PODVOLFS_STORE_MEMORY_I_H
#define PODVOLFS_STORE_MEMORY_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "podvolfs/store.h"

/* Longest name of a directory entry, as NAME_MAX. */
#define MEM_NAME_MAX		255

/*
 * File data is kept in pages of this many bytes, the unit of allocation
 * and of the limit: a page is charged whole, as tmpfs charges its pages,
 * while it holds only as much RAM as its data needs (256 bytes upwards).
 */
#define MEM_CHUNK_SHIFT		12
#define MEM_CHUNK_SIZE		((uint64_t)1 << MEM_CHUNK_SHIFT)

struct mem_node;

/*
 * A regular file's bytes: a radix tree of chunk indexes (512 slots a level)
 * whose leaves are chunks, one per page of the file. A missing chunk is a
 * hole and reads as zeros; a chunk holding fewer than MEM_CHUNK_SIZE bytes
 * reads as zeros past them. Every byte a chunk holds past the file size is
 * zero, so extending the size never shows old data. Chunks may lie past
 * the size (fallocate with KEEP_SIZE). Protected by the node's lock.
 */
struct mem_data {
	void *root;			/* a chunk when height is 0 */
	unsigned int height;		/* levels of radix nodes above chunks */
	uint64_t size;			/* bytes; st_size */
	uint64_t alloc;			/* bytes of RAM held in chunks */
	uint64_t chunks;		/* chunks held; st_blocks, charged */
};

/* Copies @size bytes at @off into @buf, zeros for holes. Can't fail. */
void mem_data_read(const struct mem_data *d, char *buf, size_t size,
		   uint64_t off);

/*
 * Copies @buf to @off, making at most @new_chunks chunks on the way (the
 * ones the caller charged). Returns the bytes written: @size, or fewer when
 * the next byte needed a chunk past @new_chunks or memory ran out; when
 * none were, -ENOSPC or -ENOMEM. Leaves d->size alone.
 */
ssize_t mem_data_write(struct mem_data *d, const char *buf, size_t size,
		       uint64_t off, uint64_t new_chunks);

/* Chunks missing (holes) over [@off, @end): what writing it would make. */
uint64_t mem_data_holes(const struct mem_data *d, uint64_t off, uint64_t end);

/*
 * Allocates zeroed chunks over [@off, @end). Returns 0 or -ENOMEM (chunks
 * allocated before the failure stay; they read as zeros).
 */
int mem_data_fill(struct mem_data *d, uint64_t off, uint64_t end);

/* Zeros [@off, @end), giving whole chunks back. Can't fail. */
void mem_data_punch(struct mem_data *d, uint64_t off, uint64_t end);

/* Drops every byte at and past @size (before d->size shrinks). Can't fail. */
void mem_data_truncate(struct mem_data *d, uint64_t size);

/*
 * SEEK_DATA or SEEK_HOLE from @off, a whole chunk being data when it is
 * held. Returns the offset or -ENXIO.
 */
int64_t mem_data_seek(const struct mem_data *d, uint64_t off, int whence);

/* Frees every chunk. */
void mem_data_free(struct mem_data *d);

/*
 * A name in a directory. seq is the readdir cookie: it grows with every
 * entry the directory gets and never changes while the entry is there.
 */
struct mem_dirent {
	struct mem_node *node;		/* holds no reference of its own */
	struct mem_dirent *hnext;	/* next in the hash bucket */
	uint64_t hash;
	uint64_t seq;			/* cookie; > 0 */
	size_t slot;			/* index in dir->slots */
	size_t namelen;
	char name[];
};

/* One place in a directory's listing order; de is NULL once removed. */
struct mem_slot {
	uint64_t seq;
	struct mem_dirent *de;
};

/*
 * A directory's entries: a chained hash table by name and an array of
 * slots ordered by seq. Removing an entry leaves an empty slot that a later
 * compaction squeezes out (bumping gen), so a readdir cursor's slot index
 * stays good until gen changes. Protected by the store's ns_lock.
 */
struct mem_dir {
	struct mem_dirent **buckets;
	size_t nbuckets;		/* 0 or a power of two */
	struct mem_slot *slots;
	size_t nslots;			/* slots used, removed ones too */
	size_t cap;			/* slots allocated */
	size_t nlive;			/* entries */
	uint64_t next_seq;		/* the last seq handed out */
	uint64_t gen;			/* bumped when slots move */
	struct mem_node *parent;	/* NULL once removed; root: itself */
};

/* A new entry named @name (@len bytes), not in any directory. NULL: ENOMEM. */
struct mem_dirent *mem_dirent_new(const char *name, size_t len);

/* The entry named @name, or NULL. */
struct mem_dirent *mem_dir_find(const struct mem_dir *dir, const char *name,
				size_t len);

/* Makes room for one more entry. Returns 0 or -ENOMEM. */
int mem_dir_reserve(struct mem_dir *dir);

/* Adds @de for @node after mem_dir_reserve() succeeded. Can't fail. */
void mem_dir_insert(struct mem_dir *dir, struct mem_dirent *de,
		    struct mem_node *node);

/* Takes @de out of @dir; the caller frees it. Can't fail. */
void mem_dir_remove(struct mem_dir *dir, struct mem_dirent *de);

/* The first slot index whose seq is above @after. */
size_t mem_dir_seek(const struct mem_dir *dir, uint64_t after);

/* Frees the tables and every entry (not the nodes). */
void mem_dir_free(struct mem_dir *dir);

struct mem_xattr {
	struct mem_xattr *next;
	size_t namelen;			/* without the terminator */
	size_t size;			/* bytes in value */
	char *value;
	char name[];
};

struct mem_node {
	struct snode base;		/* first; base.ino is immutable */
	unsigned long refs;		/* atomic; names hold one together */
	mode_t type;			/* S_IFMT bits; immutable */
	dev_t rdev;			/* immutable */
	/* Take after ms->ns_lock. Protects the fields below unless noted. */
	pthread_rwlock_t lock;
	mode_t mode;			/* type and permission bits */
	nlink_t nlink;			/* changed under ns_lock (write) too */
	/* made with no name (O_TMPFILE) and not named yet; under ns_lock too */
	bool tmpfile;
	uid_t uid;
	gid_t gid;
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
	struct mem_xattr *xattrs;
	uint64_t xattr_bytes;		/* names and values, charged */
	union {
		struct mem_data data;	/* S_IFREG; chunks charged */
		struct mem_dir dir;	/* S_IFDIR; protected by ns_lock */
		struct {
			char *target;	/* immutable */
			size_t len;	/* charged */
		} link;			/* S_IFLNK */
	} u;
	struct mem_node *all_prev;	/* protected by ms->all_lock */
	struct mem_node *all_next;	/* protected by ms->all_lock */
};

struct mem_store {
	struct store base;
	/*
	 * Directory entries, dir->u.dir.parent and every nlink. Take before
	 * any node's lock; writers change names, readers look them up.
	 */
	pthread_rwlock_t ns_lock;
	/* Protects the list of all nodes. Innermost: take nothing under it. */
	pthread_mutex_t all_lock;
	struct mem_node *all;		/* live nodes; protected by all_lock */
	uint64_t nodes;			/* live nodes; atomic */
	uint64_t next_ino;		/* atomic; the root is 1 */
	struct mem_node *root;		/* immutable */
};

struct mem_file {
	struct store_file base;
	int flags;			/* open(2) flags; immutable */
};

static inline struct mem_store *to_ms(struct store *s)
{
	return (struct mem_store *)s;
}

static inline struct mem_node *to_node(struct snode *n)
{
	return (struct mem_node *)n;
}

static inline struct timespec now_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/*
 * Bytes a file's data holds against the limit: its chunks, each a whole
 * page, as tmpfs counts pages. Holes cost nothing, whatever the size.
 * Caller holds the node's lock or owns it.
 */
static inline uint64_t data_charged(const struct mem_data *d)
{
	return d->chunks << MEM_CHUNK_SHIFT;
}

/* memory.c: nodes. */
/*
 * Zeroed memory for the store's nodes and data, or NULL once the daemon's
 * memory ran short (heap.h): the first failure spends the reserve, and
 * until it is back nothing new is allocated.
 */
void *mem_alloc(size_t size);

void mem_trim(uint64_t freed);
struct mem_node *mem_node_new(struct mem_store *ms, mode_t type,
			      mode_t perm, const struct store_cred *cred);
void mem_node_destroy(struct mem_store *ms, struct mem_node *n);
void mem_node_track(struct mem_store *ms, struct mem_node *n);
void mem_node_ref(struct mem_node *n);
void mem_node_unref(struct mem_store *ms, struct mem_node *n);
void mem_node_stat(struct mem_node *n, struct stat *st);

/* memory_file.c: sizes and opening. */
int mem_node_truncate(struct mem_store *ms, struct mem_node *n, off_t size,
		      uint64_t *freed);
int mem_node_open(struct mem_store *ms, struct mem_node *n, int flags,
		  struct store_file **f);

/* memory_xattr.c: capabilities. */
void mem_node_kill_caps(struct mem_store *ms, struct mem_node *n);

/* Store ops: memory_names.c. */
int mem_lookup(struct store *s, struct snode *sdir, const char *name,
	       struct snode **out, struct stat *st);
int mem_mknod(struct store *s, struct snode *dir, const char *name,
	      mode_t mode, dev_t rdev, const struct store_cred *cred,
	      struct snode **out, struct stat *st);
int mem_mkdir(struct store *s, struct snode *dir, const char *name,
	      mode_t mode, const struct store_cred *cred,
	      struct snode **out, struct stat *st);
int mem_symlink(struct store *s, struct snode *dir, const char *name,
		const char *target, const struct store_cred *cred,
		struct snode **out, struct stat *st);
int mem_link(struct store *s, struct snode *sn, struct snode *sdir,
	     const char *name, struct snode **out, struct stat *st);
int mem_unlink(struct store *s, struct snode *dir, const char *name);
int mem_rmdir(struct store *s, struct snode *dir, const char *name);
int mem_rename(struct store *s, struct snode *dir, const char *name,
	       struct snode *newdir, const char *newname,
	       unsigned int flags);
int mem_create(struct store *s, struct snode *sdir, const char *name,
	       mode_t mode, int flags, const struct store_cred *cred,
	       struct snode **out, struct stat *st,
	       struct store_file **f);
int mem_tmpfile(struct store *s, struct snode *sdir, mode_t mode,
		int flags, const struct store_cred *cred,
		struct snode **out, struct stat *st,
		struct store_file **f);

/* Store ops: memory_file.c. */
int mem_open(struct store *s, struct snode *n, int flags,
	     struct store_file **f);
ssize_t mem_read(struct store *s, struct store_file *f, char *buf,
		 size_t size, off_t off);
ssize_t mem_write(struct store *s, struct store_file *f,
		  const char *buf, size_t size, off_t off);
int mem_flush(struct store *s, struct store_file *f);
int mem_fsync(struct store *s, struct store_file *f, bool datasync);
int mem_fallocate(struct store *s, struct store_file *f, int mode,
		  off_t off, off_t len);
off_t mem_lseek(struct store *s, struct store_file *f, off_t off,
		int whence);
void mem_release(struct store *s, struct store_file *f);

/* Store ops: memory_dir.c. */
int mem_opendir(struct store *s, struct snode *sn,
		struct store_file **f);
int mem_readdir(struct store *s, struct store_file *f, off_t off,
		bool plus, store_fill_fn fill, void *ctx);
void mem_releasedir(struct store *s, struct store_file *f);
int mem_fsyncdir(struct store *s, struct store_file *f, bool datasync);

/* Store ops: memory_xattr.c. */
int mem_setxattr(struct store *s, struct snode *sn, const char *name,
		 const char *value, size_t size, int flags);
ssize_t mem_getxattr(struct store *s, struct snode *sn,
		     const char *name, char *value, size_t size);
ssize_t mem_listxattr(struct store *s, struct snode *sn, char *list,
		      size_t size);
int mem_removexattr(struct store *s, struct snode *sn,
		    const char *name);

#endif
