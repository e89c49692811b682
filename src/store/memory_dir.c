/*
 * memory_dir.c - the memory store's directory tables.
 *
 * A name is found through a chained hash table (O(1)); a listing walks an
 * array of slots ordered by a per-directory sequence number, which is also
 * the readdir cookie. New entries always go to the end with a higher seq, so
 * a listing resumed after cookie c never shows an entry twice and never
 * misses one that stayed. The caller holds the store's ns_lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/store.h"
#include "memory_i.h"

#define DIR_MIN_BUCKETS		8
#define DIR_MIN_SLOTS		8
/* Removed slots tolerated before compaction, beyond one per live entry. */
#define DIR_SLACK		32

/*
 * FNV-1a with a final avalanche.
 * NEEDSWORK: names come from containers; a keyed hash (SipHash) would stop
 * a pod from filling one bucket on purpose. Chains only slow its own
 * directory down.
 */
static uint64_t name_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct mem_dirent *mem_dirent_new(const char *name, size_t len)
{
	struct mem_dirent *de = malloc(sizeof(*de) + len + 1);

	if (!de)
		return NULL;
	memset(de, 0, sizeof(*de));
	memcpy(de->name, name, len);
	de->name[len] = '\0';
	de->namelen = len;
	de->hash = name_hash(name, len);
	return de;
}

struct mem_dirent *mem_dir_find(const struct mem_dir *dir, const char *name,
				size_t len)
{
	struct mem_dirent *de;
	uint64_t h;

	if (!dir->nbuckets)
		return NULL;
	h = name_hash(name, len);
	for (de = dir->buckets[h & (dir->nbuckets - 1)]; de; de = de->hnext) {
		if (de->hash == h && de->namelen == len &&
		    !memcmp(de->name, name, len))
			return de;
	}
	return NULL;
}

/* Moves every entry into a table of @nbuckets. Returns 0 or -ENOMEM. */
static int dir_rehash(struct mem_dir *dir, size_t nbuckets)
{
	struct mem_dirent **buckets = calloc(nbuckets, sizeof(*buckets));
	size_t i;

	if (!buckets)
		return -ENOMEM;
	for (i = 0; i < dir->nbuckets; i++) {
		struct mem_dirent *de = dir->buckets[i];

		while (de) {
			struct mem_dirent *next = de->hnext;
			size_t b = de->hash & (nbuckets - 1);

			de->hnext = buckets[b];
			buckets[b] = de;
			de = next;
		}
	}
	free(dir->buckets);
	dir->buckets = buckets;
	dir->nbuckets = nbuckets;
	return 0;
}

/* Squeezes removed slots out, keeping the order; cursors must seek again. */
static void dir_compact(struct mem_dir *dir)
{
	struct mem_slot *slots;
	size_t i, j = 0;

	for (i = 0; i < dir->nslots; i++) {
		if (!dir->slots[i].de)
			continue;
		dir->slots[j] = dir->slots[i];
		dir->slots[j].de->slot = j;
		j++;
	}
	dir->nslots = j;
	dir->gen++;
	if (dir->cap > DIR_MIN_SLOTS && dir->cap / 4 > j) {
		size_t cap = dir->cap / 2;

		/* Shrinking is a nicety: keep the old array if it fails. */
		slots = realloc(dir->slots, cap * sizeof(*slots));
		if (slots) {
			dir->slots = slots;
			dir->cap = cap;
		}
	}
}

/* Doubles the slot array. Returns 0 or -ENOMEM. */
static int dir_grow_slots(struct mem_dir *dir)
{
	size_t cap = dir->cap ? dir->cap * 2 : DIR_MIN_SLOTS;
	struct mem_slot *slots = realloc(dir->slots, cap * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	dir->slots = slots;
	dir->cap = cap;
	return 0;
}

int mem_dir_reserve(struct mem_dir *dir)
{
	if (!dir->nbuckets) {
		if (dir_rehash(dir, DIR_MIN_BUCKETS))
			return -ENOMEM;
	} else if (dir->nlive >= dir->nbuckets) {
		/* A longer chain is slower, not wrong: growing may fail. */
		dir_rehash(dir, dir->nbuckets * 2);
	}
	if (dir->nslots < dir->cap)
		return 0;
	if (dir->nslots - dir->nlive > dir->nslots / 2) {
		dir_compact(dir);
		if (dir->nslots < dir->cap)
			return 0;
	}
	return dir_grow_slots(dir);
}

void mem_dir_insert(struct mem_dir *dir, struct mem_dirent *de,
		    struct mem_node *node)
{
	size_t b = de->hash & (dir->nbuckets - 1);

	de->node = node;
	/* Cookies below STORE_FIRST_COOKIE belong to the FUSE layer. */
	if (dir->next_seq < STORE_FIRST_COOKIE - 1)
		dir->next_seq = STORE_FIRST_COOKIE - 1;
	de->seq = ++dir->next_seq;
	de->slot = dir->nslots;
	dir->slots[dir->nslots].seq = de->seq;
	dir->slots[dir->nslots].de = de;
	dir->nslots++;
	de->hnext = dir->buckets[b];
	dir->buckets[b] = de;
	dir->nlive++;
}

void mem_dir_remove(struct mem_dir *dir, struct mem_dirent *de)
{
	struct mem_dirent **pp = &dir->buckets[de->hash & (dir->nbuckets - 1)];
	size_t dead;

	while (*pp != de)
		pp = &(*pp)->hnext;
	*pp = de->hnext;
	de->hnext = NULL;
	dir->slots[de->slot].de = NULL;
	dir->nlive--;

	dead = dir->nslots - dir->nlive;
	if (dead > DIR_SLACK && dead > dir->nlive)
		dir_compact(dir);
	if (dir->nbuckets >= 4 * DIR_MIN_BUCKETS &&
	    dir->nlive < dir->nbuckets / 8)
		dir_rehash(dir, dir->nbuckets / 4);
}

size_t mem_dir_seek(const struct mem_dir *dir, uint64_t after)
{
	size_t lo = 0, hi = dir->nslots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dir->slots[mid].seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void mem_dir_free(struct mem_dir *dir)
{
	size_t i;

	for (i = 0; i < dir->nslots; i++)
		free(dir->slots[i].de);
	free(dir->slots);
	free(dir->buckets);
	dir->slots = NULL;
	dir->buckets = NULL;
	dir->nslots = 0;
	dir->cap = 0;
	dir->nbuckets = 0;
	dir->nlive = 0;
}
