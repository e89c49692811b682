/*
 * memory_data.c - sparse file data for the memory store.
 *
 * A file's bytes sit in one chunk per 4 KiB page, found through a radix
 * tree of 512-slot nodes that grows in height only as far as the highest
 * chunk index needs: a 1 TiB sparse file with one byte at its end costs four
 * radix nodes and one small chunk. Sequential 1 MiB I/O costs 256 tree
 * walks and memcpys. A chunk starts as small as its data (rounded to 256
 * bytes) and doubles as it fills, so small files stay small in RAM; the
 * limit counts every chunk as a whole page (d->chunks), as tmpfs does.
 * The caller holds the node's lock: read for reads and seeks, write else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podvolfs/heap.h"
#include "memory_i.h"

#define CHUNK_MASK		(MEM_CHUNK_SIZE - 1)
#define RADIX_SHIFT		9
#define RADIX_SLOTS		((size_t)1 << RADIX_SHIFT)
#define RADIX_MASK		(RADIX_SLOTS - 1)

struct mem_chunk {
	size_t cap;			/* bytes in data, all valid */
	char data[];
};

struct mem_radix {
	void *slots[RADIX_SLOTS];	/* radix nodes, or chunks at level 1 */
};

_Static_assert(MEM_CHUNK_SHIFT + 6 * RADIX_SHIFT >= 63,
	       "six radix levels must reach every off_t");

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Chunk indexes a subtree of @height covers. */
static inline uint64_t radix_span(unsigned int height)
{
	return (uint64_t)1 << (height * RADIX_SHIFT);
}

static struct mem_chunk *chunk_get(const struct mem_data *d, uint64_t idx)
{
	void *p = d->root;
	unsigned int h = d->height;

	if (idx >= radix_span(h))
		return NULL;
	while (h > 0 && p) {
		const struct mem_radix *r = p;

		h--;
		p = r->slots[(idx >> (h * RADIX_SHIFT)) & RADIX_MASK];
	}
	return p;
}

/* The slot that holds chunk @idx, made on the way. NULL: out of memory. */
static void **chunk_slot(struct mem_data *d, uint64_t idx)
{
	unsigned int h;
	void **slot;

	while (idx >= radix_span(d->height)) {
		if (d->root) {
			struct mem_radix *r = mem_alloc(sizeof(*r));

			if (!r)
				return NULL;
			r->slots[0] = d->root;
			d->root = r;
		}
		d->height++;
	}
	slot = &d->root;
	for (h = d->height; h > 0; h--) {
		struct mem_radix *r = *slot;

		if (!r) {
			r = mem_alloc(sizeof(*r));
			if (!r)
				return NULL;
			*slot = r;
		}
		slot = &r->slots[(idx >> ((h - 1) * RADIX_SHIFT)) & RADIX_MASK];
	}
	return slot;
}

/* Capacity for @need bytes in a chunk that holds @old. */
static size_t chunk_cap(size_t need, size_t old)
{
	size_t cap;

	if (need <= 4096)
		cap = (need + 255) & ~(size_t)255;
	else
		cap = (need + 4095) & ~(size_t)4095;
	if (cap < 2 * old)
		cap = 2 * old;
	return min_u64(cap, MEM_CHUNK_SIZE);
}

/*
 * Makes the chunk in @slot hold at least @need bytes. The caller is about
 * to overwrite [@wstart, @wend); every other new byte is zeroed.
 */
static int chunk_ensure(struct mem_data *d, void **slot, size_t need,
			size_t wstart, size_t wend)
{
	struct mem_chunk *c = *slot;
	size_t old = c ? c->cap : 0;
	size_t cap, lo;

	if (old >= need)
		return 0;
	cap = chunk_cap(need, old);
	if (heap_short())
		return -ENOMEM;
	c = realloc(c, sizeof(*c) + cap);
	if (!c) {
		heap_reserve_spend();
		return -ENOMEM;
	}
	if (wstart > old)
		memset(c->data + old, 0, wstart - old);
	lo = wend > old ? wend : old;
	if (lo < cap)
		memset(c->data + lo, 0, cap - lo);
	c->cap = cap;
	*slot = c;
	d->alloc += cap - old;
	if (!old)
		d->chunks++;
	return 0;
}

void mem_data_read(const struct mem_data *d, char *buf, size_t size,
		   uint64_t off)
{
	size_t done = 0;

	while (done < size) {
		uint64_t pos = off + done;
		size_t coff = pos & CHUNK_MASK;
		size_t n = min_u64(MEM_CHUNK_SIZE - coff, size - done);
		uint64_t idx = pos >> MEM_CHUNK_SHIFT;
		const struct mem_chunk *c = chunk_get(d, idx);
		size_t have = 0;

		if (c && c->cap > coff)
			have = min_u64(n, c->cap - coff);
		if (have)
			memcpy(buf + done, c->data + coff, have);
		if (have < n)
			memset(buf + done + have, 0, n - have);
		done += n;
	}
}

ssize_t mem_data_write(struct mem_data *d, const char *buf, size_t size,
		       uint64_t off, uint64_t new_chunks)
{
	uint64_t limit = d->chunks + new_chunks;
	size_t done = 0;
	int rc = -ENOSPC;

	while (done < size) {
		uint64_t pos = off + done;
		uint64_t idx = pos >> MEM_CHUNK_SHIFT;
		size_t coff = pos & CHUNK_MASK;
		size_t n = min_u64(MEM_CHUNK_SIZE - coff, size - done);
		struct mem_chunk *c;
		void **slot;

		if (d->chunks == limit && !chunk_get(d, idx))
			break;
		slot = chunk_slot(d, idx);
		if (!slot || chunk_ensure(d, slot, coff + n, coff, coff + n)) {
			rc = -ENOMEM;
			break;
		}
		c = *slot;
		memcpy(c->data + coff, buf + done, n);
		done += n;
	}
	return done ? (ssize_t)done : rc;
}

/* Chunks present with indexes in [@lo, @hi) under @p, a subtree of @h. */
static uint64_t radix_count(const void *p, unsigned int h, uint64_t base,
			    uint64_t lo, uint64_t hi)
{
	const struct mem_radix *r = p;
	uint64_t span, i, first, last, count = 0;

	if (!p)
		return 0;
	if (h == 0)
		return 1;
	span = radix_span(h - 1);
	first = lo > base ? (lo - base) / span : 0;
	last = hi - base >= radix_span(h) ? RADIX_SLOTS :
	       (hi - base + span - 1) / span;
	for (i = first; i < last; i++)
		count += radix_count(r->slots[i], h - 1, base + i * span, lo,
				     hi);
	return count;
}

uint64_t mem_data_holes(const struct mem_data *d, uint64_t off, uint64_t end)
{
	uint64_t lo = off >> MEM_CHUNK_SHIFT;
	uint64_t hi = (end + CHUNK_MASK) >> MEM_CHUNK_SHIFT;
	uint64_t top = min_u64(hi, radix_span(d->height));

	if (end <= off)
		return 0;
	if (lo >= top)
		return hi - lo;
	return hi - lo - radix_count(d->root, d->height, 0, lo, top);
}

int mem_data_fill(struct mem_data *d, uint64_t off, uint64_t end)
{
	uint64_t pos = off;

	while (pos < end) {
		size_t coff = pos & CHUNK_MASK;
		size_t n = min_u64(MEM_CHUNK_SIZE - coff, end - pos);
		void **slot = chunk_slot(d, pos >> MEM_CHUNK_SHIFT);

		if (!slot || chunk_ensure(d, slot, coff + n, 0, 0))
			return -ENOMEM;
		pos += n;
	}
	return 0;
}

/* Frees the chunks of [@lo, @hi) under @slot, a subtree of @h at @base. */
static void radix_free(struct mem_data *d, void **slot, unsigned int h,
		       uint64_t base, uint64_t lo, uint64_t hi)
{
	struct mem_radix *r = *slot;
	uint64_t span, i, first, last;

	if (!r)
		return;
	if (h == 0) {
		struct mem_chunk *c = *slot;

		d->alloc -= c->cap;
		d->chunks--;
		free(c);
		*slot = NULL;
		return;
	}
	span = radix_span(h - 1);
	first = lo > base ? (lo - base) / span : 0;
	last = hi - base >= radix_span(h) ? RADIX_SLOTS :
	       (hi - base + span - 1) / span;
	for (i = first; i < last; i++)
		radix_free(d, &r->slots[i], h - 1, base + i * span, lo, hi);
	if (lo <= base && hi - base >= radix_span(h)) {
		free(r);
		*slot = NULL;
	}
}

/* Frees the chunks with indexes in [@lo, @hi). */
static void chunks_free(struct mem_data *d, uint64_t lo, uint64_t hi)
{
	hi = min_u64(hi, radix_span(d->height));
	if (lo >= hi)
		return;
	radix_free(d, &d->root, d->height, 0, lo, hi);
	if (!d->root)
		d->height = 0;
}

/* Zeros [@from, @to) inside chunk @idx, as far as it holds bytes. */
static void chunk_zero(struct mem_data *d, uint64_t idx, size_t from,
		       size_t to)
{
	struct mem_chunk *c = chunk_get(d, idx);

	if (!c || from >= c->cap)
		return;
	memset(c->data + from, 0, min_u64(to, c->cap) - from);
}

void mem_data_punch(struct mem_data *d, uint64_t off, uint64_t end)
{
	uint64_t pos = off;

	while (pos < end) {
		uint64_t idx = pos >> MEM_CHUNK_SHIFT;
		size_t coff = pos & CHUNK_MASK;
		size_t n = min_u64(MEM_CHUNK_SIZE - coff, end - pos);

		if (coff == 0 && n == MEM_CHUNK_SIZE) {
			uint64_t last = end >> MEM_CHUNK_SHIFT;

			chunks_free(d, idx, last);
			pos = last << MEM_CHUNK_SHIFT;
			continue;
		}
		chunk_zero(d, idx, coff, coff + n);
		pos += n;
	}
}

void mem_data_truncate(struct mem_data *d, uint64_t size)
{
	uint64_t keep = (size + CHUNK_MASK) >> MEM_CHUNK_SHIFT;

	chunks_free(d, keep, UINT64_MAX);
	if (size & CHUNK_MASK)
		chunk_zero(d, size >> MEM_CHUNK_SHIFT, size & CHUNK_MASK,
			   MEM_CHUNK_SIZE);
}

/* The first chunk index at or past @from under @p, or UINT64_MAX. */
static uint64_t radix_next(const void *p, unsigned int h, uint64_t base,
			   uint64_t from)
{
	const struct mem_radix *r = p;
	uint64_t span, i;

	if (!p)
		return UINT64_MAX;
	if (h == 0)
		return base >= from ? base : UINT64_MAX;
	span = radix_span(h - 1);
	for (i = from > base ? (from - base) / span : 0; i < RADIX_SLOTS; i++) {
		uint64_t idx = radix_next(r->slots[i], h - 1, base + i * span,
					  from);

		if (idx != UINT64_MAX)
			return idx;
	}
	return UINT64_MAX;
}

static int64_t seek_data(const struct mem_data *d, uint64_t off)
{
	uint64_t idx = off >> MEM_CHUNK_SHIFT;
	uint64_t next = radix_next(d->root, d->height, 0, idx);

	if (next == UINT64_MAX || next << MEM_CHUNK_SHIFT >= d->size)
		return -ENXIO;
	return next == idx ? off : next << MEM_CHUNK_SHIFT;
}

static int64_t seek_hole(const struct mem_data *d, uint64_t off)
{
	uint64_t idx = off >> MEM_CHUNK_SHIFT;

	if (!chunk_get(d, idx))
		return off;
	while (++idx << MEM_CHUNK_SHIFT < d->size) {
		if (!chunk_get(d, idx))
			return idx << MEM_CHUNK_SHIFT;
	}
	return d->size;
}

int64_t mem_data_seek(const struct mem_data *d, uint64_t off, int whence)
{
	if (off >= d->size)
		return -ENXIO;
	return whence == SEEK_DATA ? seek_data(d, off) : seek_hole(d, off);
}

void mem_data_free(struct mem_data *d)
{
	chunks_free(d, 0, UINT64_MAX);
	d->root = NULL;
	d->height = 0;
}
