/*
 * memory_dir.c - the memory store's directories: their tables, and the
 * listings of open directories.
 *
 * A name is found through a chained hash table (O(1)); a listing walks an
 * array of slots ordered by a per-directory sequence number, which is also
 * the readdir cookie. New entries always go to the end with a higher seq, so
 * a listing resumed after cookie c never shows an entry twice and never
 * misses one that stayed. The caller of a table helper holds the store's
 * ns_lock; a listing takes it for reading.
 */
#include <errno.h>
#include <pthread.h>
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

/* ---- open directories ---- */

/* An open directory: where the last listing stopped. */
struct mem_dirfile {
	struct store_file base;
	pthread_mutex_t lock;		/* innermost; protects the cursor */
	uint64_t gen;			/* dir->gen the cursor belongs to */
	uint64_t cookie;		/* the last cookie listed */
	size_t slot;			/* the slot to go on from */
	bool cursor;			/* whether the fields above are set */
};

int mem_opendir(struct store *s, struct snode *sn,
		struct store_file **f)
{
	struct mem_node *n = to_node(sn);
	struct mem_dirfile *df;

	(void)s;
	if (!S_ISDIR(n->type))
		return -ENOTDIR;
	df = calloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	if (pthread_mutex_init(&df->lock, NULL)) {
		free(df);
		return -ENOMEM;
	}
	mem_node_ref(n);
	df->base.node = sn;
	df->base.fd = -1;
	*f = &df->base;
	return 0;
}

/*
 * Lists the entries after @off. The handle remembers the slot where the
 * last listing stopped, so the usual resumption (the cookie of the last
 * entry taken) costs nothing; any other cookie is a binary search.
 */
int mem_readdir(struct store *s, struct store_file *f, off_t off,
		bool plus, store_fill_fn fill, void *ctx)
{
	struct mem_store *ms = to_ms(s);
	struct mem_dirfile *df = (struct mem_dirfile *)f;
	struct mem_node *dir = to_node(f->node);
	const struct mem_dir *d = &dir->u.dir;
	uint64_t cookie = off, gen;
	size_t i;
	bool hit;

	if (off < 0)
		return -EINVAL;
	pthread_rwlock_rdlock(&ms->ns_lock);
	pthread_mutex_lock(&df->lock);
	hit = df->cursor && df->gen == d->gen && df->cookie == cookie &&
	      df->slot <= d->nslots;
	i = df->slot;
	pthread_mutex_unlock(&df->lock);
	if (!hit)
		i = mem_dir_seek(d, cookie);
	for (; i < d->nslots; i++) {
		const struct mem_dirent *de = d->slots[i].de;
		struct stat st;

		if (!de)
			continue;
		if (plus) {
			mem_node_ref(de->node);
			mem_node_stat(de->node, &st);
		} else {
			memset(&st, 0, sizeof(st));
			st.st_ino = de->node->base.ino;
			st.st_mode = de->node->type;
		}
		if (fill(ctx, de->name, &st, de->seq,
			 plus ? &de->node->base : NULL))
			break;
		cookie = de->seq;
	}
	gen = d->gen;
	pthread_mutex_lock(&df->lock);
	df->gen = gen;
	df->cookie = cookie;
	df->slot = i;
	df->cursor = true;
	pthread_mutex_unlock(&df->lock);
	pthread_rwlock_unlock(&ms->ns_lock);
	return 0;
}

void mem_releasedir(struct store *s, struct store_file *f)
{
	struct mem_dirfile *df = (struct mem_dirfile *)f;
	struct mem_node *n = to_node(f->node);

	pthread_mutex_destroy(&df->lock);
	free(df);
	mem_node_unref(to_ms(s), n);
}

int mem_fsyncdir(struct store *s, struct store_file *f, bool datasync)
{
	(void)s;
	(void)f;
	(void)datasync;
	return 0;
}
