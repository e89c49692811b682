/*
 * store.c - what every store shares: reference counts and the byte limit.
 *
 * The limit is charged before the bytes are written, so a store never goes
 * past it even for a moment; a failed write gives its charge back.
 */
#include <errno.h>

#include "podvolfs/store.h"

static __thread const struct store_caller *current_caller;

void store_caller_set(const struct store_caller *c)
{
	current_caller = c;
}

const struct store_caller *store_caller(void)
{
	return current_caller;
}

static bool passthrough_on;

void store_passthrough_set(bool on)
{
	__atomic_store_n(&passthrough_on, on, __ATOMIC_RELAXED);
}

bool store_may_passthrough(const struct store *s)
{
	return __atomic_load_n(&passthrough_on, __ATOMIC_RELAXED) &&
	       (s->caps & STORE_CAP_HOST_FILES) &&
	       (!s->limit || (s->caps & STORE_CAP_FS_LIMIT));
}

const char *store_data_path_name(const struct store *s)
{
	switch (__atomic_load_n(&s->data_path, __ATOMIC_RELAXED)) {
	case STORE_DATA_PASSTHROUGH:
		return "passthrough";
	case STORE_DATA_REFUSED:
		return "daemon-refused";
	default:
		return store_may_passthrough(s) ? "passthrough" : "daemon";
	}
}

void store_ref(struct store *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void store_unref(struct store *s)
{
	void (*fn)(void *arg);
	void *arg;

	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* destroy frees the struct: read the request first */
	fn = s->on_release;
	arg = s->on_release_arg;
	s->ops->destroy(s);
	if (fn)
		fn(arg);
}

void store_on_release(struct store *s, void (*fn)(void *arg), void *arg)
{
	s->on_release = fn;
	s->on_release_arg = arg;
}

void store_limit_by_fs(struct store *s, uint64_t limit)
{
	s->caps |= STORE_CAP_FS_LIMIT;
	s->limit = limit;
}

uint64_t store_used(struct store *s)
{
	struct statvfs st;
	struct snode *root;
	int rc;

	if (!(s->caps & STORE_CAP_FS_LIMIT))
		return __atomic_load_n(&s->used, __ATOMIC_RELAXED);
	rc = s->ops->root(s, &root);
	if (rc)
		return 0;
	rc = s->ops->statfs(s, root, &st);
	store_put(root);
	if (rc || st.f_bfree > st.f_blocks)
		return 0;
	return (uint64_t)(st.f_blocks - st.f_bfree) * st.f_frsize;
}

int store_charge(struct store *s, uint64_t bytes)
{
	uint64_t used = __atomic_load_n(&s->used, __ATOMIC_RELAXED);

	do {
		if (s->limit && (used + bytes > s->limit || used + bytes < used))
			return -ENOSPC;
	} while (!__atomic_compare_exchange_n(&s->used, &used, used + bytes,
					      true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return 0;
}

uint64_t store_charge_upto(struct store *s, uint64_t bytes, uint64_t unit)
{
	uint64_t used = __atomic_load_n(&s->used, __ATOMIC_RELAXED);
	uint64_t take;

	do {
		take = bytes;
		if (s->limit && (used + bytes > s->limit || used + bytes < used)) {
			take = used < s->limit ? s->limit - used : 0;
			take &= ~(unit - 1);
		}
		if (!take)
			return 0;
	} while (!__atomic_compare_exchange_n(&s->used, &used, used + take,
					      true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return take;
}

void store_uncharge(struct store *s, uint64_t bytes)
{
	uint64_t used = __atomic_load_n(&s->used, __ATOMIC_RELAXED);

	if (!bytes)
		return;
	while (!__atomic_compare_exchange_n(&s->used, &used,
					    used > bytes ? used - bytes : 0,
					    true, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED))
		;
}

void store_statfs_limit(const struct store *s, struct statvfs *st)
{
	uint64_t used = __atomic_load_n(&s->used, __ATOMIC_RELAXED);
	uint64_t blocks = s->limit / 4096;
	uint64_t used_blocks = (used + 4095) / 4096;

	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_blocks = blocks;
	st->f_bfree = used_blocks < blocks ? blocks - used_blocks : 0;
	st->f_bavail = st->f_bfree;
}
