/*
 * memory_file.c - the memory store's open files: open, read, write,
 * truncate, fallocate, SEEK_DATA and SEEK_HOLE, release. A file's data path
 * takes only that node's lock; the pages a change fills in holes are
 * charged against the limit before they are made, and given back when they
 * go.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "podvolfs/store.h"
#include "memory_i.h"

/*
 * Moves the charge of @d from @before to what it counts now. Only shrinks:
 * callers charged the most they could need first.
 */
static void data_settle(struct mem_store *ms, const struct mem_data *d,
			uint64_t before)
{
	store_uncharge(&ms->base, before - data_charged(d));
}

/*
 * Sets @n's size. Growing makes a hole and costs nothing; shrinking gives
 * back the chunks past the new end. Caller holds n->lock for writing.
 */
int mem_node_truncate(struct mem_store *ms, struct mem_node *n, off_t size,
		      uint64_t *freed)
{
	struct mem_data *d = &n->u.data;
	uint64_t alloc = d->alloc;
	uint64_t before = data_charged(d);

	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (size < 0)
		return -EINVAL;
	/* As on tmpfs, preallocation past the new end goes. */
	if ((uint64_t)size <= d->size)
		mem_data_truncate(d, size);
	d->size = size;
	data_settle(ms, d, before);
	*freed = alloc - d->alloc;
	return 0;
}

/* Opens @n (not a directory): a handle with a reference to it. */
int mem_node_open(struct mem_store *ms, struct mem_node *n, int flags,
		  struct store_file **f)
{
	struct mem_file *mf;
	uint64_t freed = 0;

	if (S_ISDIR(n->type))
		return -EISDIR;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	if ((flags & O_TRUNC) && S_ISREG(n->type)) {
		struct timespec now = now_ts();

		/* Shrinking a regular file can't fail. */
		pthread_rwlock_wrlock(&n->lock);
		mem_node_truncate(ms, n, 0, &freed);
		n->mtime = now;
		n->ctime = now;
		pthread_rwlock_unlock(&n->lock);
		mem_trim(freed);
	}
	mem_node_ref(n);
	mf->base.node = &n->base;
	mf->base.fd = -1;
	mf->flags = flags;
	*f = &mf->base;
	return 0;
}

int mem_open(struct store *s, struct snode *n, int flags,
	     struct store_file **f)
{
	return mem_node_open(to_ms(s), to_node(n), flags, f);
}

ssize_t mem_read(struct store *s, struct store_file *f, char *buf,
		 size_t size, off_t off)
{
	struct mem_node *n = to_node(f->node);
	struct mem_data *d = &n->u.data;
	size_t len = 0;

	(void)s;
	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	pthread_rwlock_rdlock(&n->lock);
	if ((uint64_t)off < d->size) {
		len = d->size - off < size ? d->size - off : size;
		mem_data_read(d, buf, len, off);
	}
	pthread_rwlock_unlock(&n->lock);
	return len;
}

/*
 * Writes @buf at @off under n->lock (write). The pages it fills in holes
 * are charged first, as many as the limit leaves: past them the write is
 * short, as on tmpfs, and with none -ENOSPC.
 */
static ssize_t node_write(struct mem_store *ms, struct mem_node *n,
			  const char *buf, size_t size, uint64_t off)
{
	struct mem_data *d = &n->u.data;
	uint64_t before = data_charged(d);
	uint64_t holes = mem_data_holes(d, off, off + size);
	uint64_t grow = 0;
	ssize_t ret;

	if (holes)
		grow = store_charge_upto(&ms->base, holes << MEM_CHUNK_SHIFT,
					 MEM_CHUNK_SIZE);
	ret = mem_data_write(d, buf, size, off, grow >> MEM_CHUNK_SHIFT);
	data_settle(ms, d, before + grow);
	if (ret < 0)
		return ret;
	if (off + ret > d->size)
		d->size = off + ret;
	mem_node_kill_caps(ms, n);
	n->mtime = now_ts();
	n->ctime = n->mtime;
	return ret;
}

ssize_t mem_write(struct store *s, struct store_file *f,
		  const char *buf, size_t size, off_t off)
{
	struct mem_file *mf = (struct mem_file *)f;
	struct mem_node *n = to_node(f->node);
	ssize_t ret = 0;

	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	if (size > SSIZE_MAX)
		size = SSIZE_MAX;
	pthread_rwlock_wrlock(&n->lock);
	if (mf->flags & O_APPEND)
		off = n->u.data.size;
	if (size > (uint64_t)INT64_MAX - off)
		ret = -EFBIG;
	else if (size)
		ret = node_write(to_ms(s), n, buf, size, off);
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

int mem_flush(struct store *s, struct store_file *f)
{
	(void)s;
	(void)f;
	return 0;
}

int mem_fsync(struct store *s, struct store_file *f, bool datasync)
{
	(void)s;
	(void)f;
	(void)datasync;
	return 0;
}

/* Bytes of RAM free for the taking, as statfs reports without a limit. */
static uint64_t ram_free(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return UINT64_MAX;
	return ((uint64_t)si.freeram + si.bufferram) *
	       (si.mem_unit ? si.mem_unit : 1);
}

/*
 * fallocate modes 0 and FALLOC_FL_KEEP_SIZE: every hole page in the range
 * is charged and allocated, or, past the limit, none (-ENOSPC). With
 * KEEP_SIZE the pages may lie past the end of the file. Caller holds
 * n->lock.
 */
static int node_allocate(struct mem_store *ms, struct mem_node *n, int mode,
			 uint64_t off, uint64_t end)
{
	struct mem_data *d = &n->u.data;
	uint64_t before = data_charged(d);
	uint64_t grow = mem_data_holes(d, off, end) << MEM_CHUNK_SHIFT;
	int rc;

	if (!ms->base.limit && grow > ram_free())
		return -ENOSPC;
	if (store_charge(&ms->base, grow))
		return -ENOSPC;
	rc = mem_data_fill(d, off, end);
	data_settle(ms, d, before + grow);
	if (rc)
		return rc;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > d->size) {
		d->size = end;
		n->mtime = now_ts();
		n->ctime = n->mtime;
	}
	return 0;
}

int mem_fallocate(struct store *s, struct store_file *f, int mode,
		  off_t off, off_t len)
{
	struct mem_node *n = to_node(f->node);
	uint64_t end, alloc;
	int rc = 0;

	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -ENODEV;
	if (mode != 0 && mode != FALLOC_FL_KEEP_SIZE &&
	    mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (len > INT64_MAX - off)
		return -EFBIG;
	end = off + len;
	pthread_rwlock_wrlock(&n->lock);
	alloc = n->u.data.alloc;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		uint64_t before = data_charged(&n->u.data);

		/* Pages past the end (KEEP_SIZE preallocation) go too. */
		mem_data_punch(&n->u.data, off, end);
		data_settle(to_ms(s), &n->u.data, before);
		if ((uint64_t)off < n->u.data.size) {
			n->mtime = now_ts();
			n->ctime = n->mtime;
		}
	} else {
		rc = node_allocate(to_ms(s), n, mode, off, end);
	}
	alloc = alloc > n->u.data.alloc ? alloc - n->u.data.alloc : 0;
	pthread_rwlock_unlock(&n->lock);
	mem_trim(alloc);
	return rc;
}

off_t mem_lseek(struct store *s, struct store_file *f, off_t off,
		int whence)
{
	struct mem_node *n = to_node(f->node);
	int64_t ret;

	(void)s;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (!S_ISREG(n->type))
		return -EINVAL;
	if (off < 0)
		return -ENXIO;
	pthread_rwlock_rdlock(&n->lock);
	ret = mem_data_seek(&n->u.data, off, whence);
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

void mem_release(struct store *s, struct store_file *f)
{
	struct mem_node *n = to_node(f->node);

	free(f);
	mem_node_unref(to_ms(s), n);
}
