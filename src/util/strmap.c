/*
 * strmap.c - a hash map from byte strings to pointers, safe from flooding.
 *
 * Open addressing with linear probing, at most half full. A key is hashed
 * in two steps, both keyed with a secret drawn once per process:
 *
 *   1. a polynomial over its bytes (each plus one, after a leading 1)
 *      evaluated modulo the prime 2^61 - 1 at a secret point: two distinct
 *      keys of at most L bytes give distinct polynomials, which agree at
 *      no more than L points, so they collide with probability <= L / 2^61;
 *   2. a multiplication by a secret odd number modulo 2^64, whose top bits
 *      pick the slot (multiply-shift): two distinct values of step 1 land
 *      in one slot with probability <= 2 / slots.
 *
 * Simpler hashes (FNV, say) let a manifest be written whose keys all
 * collide, which turns every lookup into a scan of the whole map.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "podvolfs/strmap.h"

#define P61 ((UINT64_C(1) << 61) - 1)
#define MIN_CAP 16

struct strmap_slot {
	const void *key;			/* NULL: the slot is free */
	size_t len;
	uint64_t hash;				/* key_hash(key, len) */
	void *value;
};

static pthread_once_t secret_once = PTHREAD_ONCE_INIT;
static uint64_t secret_point;			/* in [1, P61 - 1]; set once */
static uint64_t secret_mult;			/* odd; set once */

static void secret_init(void)
{
	uint64_t r[2];
	struct timespec ts;

	/* not blocking: a mount at boot may come before the kernel's pool is ready */
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* weaker, but still unknown to whoever writes a manifest */
		clock_gettime(CLOCK_REALTIME, &ts);
		r[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		       (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts;
		r[1] = (uint64_t)getpid() * 0xc2b2ae3d27d4eb4fULL ^ r[0] >> 17;
	}
	secret_point = r[0] % (P61 - 1) + 1;
	secret_mult = r[1] | 1;
}

/* @x mod 2^61 - 1, for @x < 2^122. */
static uint64_t mod61(unsigned __int128 x)
{
	uint64_t r = ((uint64_t)x & P61) + (uint64_t)(x >> 61);

	r = (r & P61) + (r >> 61);
	return r == P61 ? 0 : r;
}

static uint64_t key_hash(const void *key, size_t len)
{
	const unsigned char *s = key;
	uint64_t h = 1;

	for (size_t i = 0; i < len; i++) {
		h = mod61((unsigned __int128)h * secret_point) + s[i] + 1;
		if (h >= P61)
			h -= P61;
	}
	return h * secret_mult;
}

static size_t slot_of(uint64_t hash, size_t cap)
{
	return (size_t)(hash >> (64 - __builtin_ctzll(cap)));
}

/* The slot holding @key, or the free slot where it would go. */
static struct strmap_slot *probe(struct strmap_slot *slots, size_t cap,
				 const void *key, size_t len, uint64_t hash)
{
	size_t i = slot_of(hash, cap);

	for (;; i = (i + 1) & (cap - 1)) {
		struct strmap_slot *s = &slots[i];

		if (!s->key)
			return s;
		if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
	}
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : MIN_CAP;
	struct strmap_slot *slots;

	if (cap < m->cap)
		return -ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct strmap_slot *s = &m->slots[i];

		if (s->key)
			*probe(slots, cap, s->key, s->len, s->hash) = *s;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

void strmap_init(struct strmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->n = 0;
}

void strmap_free(struct strmap *m)
{
	free(m->slots);
	strmap_init(m);
}

int strmap_add(struct strmap *m, const void *key, size_t len, void *value,
	       void **old)
{
	struct strmap_slot *s;
	uint64_t hash;

	pthread_once(&secret_once, secret_init);
	hash = key_hash(key, len);
	if (m->cap) {
		s = probe(m->slots, m->cap, key, len, hash);
		if (s->key) {
			if (old)
				*old = s->value;
			return 0;
		}
	}
	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	s = probe(m->slots, m->cap, key, len, hash);
	s->key = key;
	s->len = len;
	s->hash = hash;
	s->value = value;
	m->n++;
	return 1;
}

int strmap_put(struct strmap *m, const void *key, size_t len, void *value)
{
	int rc = strmap_add(m, key, len, value, NULL);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	/* present: the key is hashed again, rarer than adding it */
	probe(m->slots, m->cap, key, len, key_hash(key, len))->value = value;
	return 0;
}

/*
 * Linear probing without tombstones: the keys after the hole that probed
 * past it move back into it, one hole at a time.
 */
bool strmap_del(struct strmap *m, const void *key, size_t len)
{
	size_t mask = m->cap - 1, hole, home;
	struct strmap_slot *s;

	if (!m->cap)
		return false;
	pthread_once(&secret_once, secret_init);
	s = probe(m->slots, m->cap, key, len, key_hash(key, len));
	if (!s->key)
		return false;
	hole = (size_t)(s - m->slots);
	for (size_t i = (hole + 1) & mask; m->slots[i].key; i = (i + 1) & mask) {
		home = slot_of(m->slots[i].hash, m->cap);
		/* it may move when its home is no nearer to it than the hole is */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole].key = NULL;
	m->n--;
	return true;
}

bool strmap_find(const struct strmap *m, const void *key, size_t len,
		 void **value)
{
	struct strmap_slot *s;

	if (!m->cap)
		return false;
	pthread_once(&secret_once, secret_init);
	s = probe(m->slots, m->cap, key, len, key_hash(key, len));
	if (!s->key)
		return false;
	if (value)
		*value = s->value;
	return true;
}
