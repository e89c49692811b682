/*
 * strmap.h - a hash map from byte strings to pointers.
 *
 * For the lookups that must stay linear in what a user wrote: duplicate
 * keys of a mapping, names that must be unique, pods found by name or UID.
 * The hash is keyed with a secret drawn once per process, so no text can be
 * crafted to make many keys collide (hash flooding): whatever the keys, an
 * add or a find takes expected constant time plus the key's length.
 *
 * Keys are borrowed: the caller keeps every key's bytes alive and unchanged
 * as long as the map. A key is any bytes, NULs included; only its length
 * ends it. Not thread-safe: one map, one thread at a time.
 */
#ifndef PODVOLFS_STRMAP_H
#define PODVOLFS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot;

struct strmap {
	struct strmap_slot *slots;		/* NULL until the first add */
	size_t cap;				/* slots: a power of two, or 0 */
	size_t n;				/* keys held */
};

/* Empties @m without allocating. Can't fail. */
void strmap_init(struct strmap *m);

/* Frees what @m allocated (never the keys or values) and empties it. */
void strmap_free(struct strmap *m);

/*
 * Adds @key (@len bytes, not NULL even when @len is 0) with @value, unless
 * the map holds it already. Returns 1 when added; 0 when present, with the
 * value it holds in *@old when @old is not NULL (the map is unchanged);
 * -ENOMEM, the map unchanged.
 */
int strmap_add(struct strmap *m, const void *key, size_t len, void *value,
	       void **old);

/*
 * Adds @key with @value, or gives @value to the key @m holds already (the
 * key it holds stays). Returns 0 or -ENOMEM, the map unchanged.
 */
int strmap_put(struct strmap *m, const void *key, size_t len, void *value);

/* Removes @key from @m; true when @m held it. Can't fail. */
bool strmap_del(struct strmap *m, const void *key, size_t len);

/* True when @m holds @key; its value then goes to *@value if not NULL. */
bool strmap_find(const struct strmap *m, const void *key, size_t len,
		 void **value);

#endif
