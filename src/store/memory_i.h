/*
 * memory_i.h - the memory store's private parts, shared by memory.c (nodes,
 * namespace and the store ops), memory_dir.c (directory tables) and
 * memory_data.c (sparse file data).
 *
 * None of these helpers takes a lock: the caller holds the lock named on the
 * structure it passes (see docs/design/memory-store.md).
 */
#ifndef PODVOLFS_STORE_MEMORY_I_H
#define PODVOLFS_STORE_MEMORY_I_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

#endif
