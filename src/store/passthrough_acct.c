/*
 * passthrough_acct.c - the passthrough store's byte limit (sizeLimit).
 *
 * Usage is what du counts: the bytes the host has allocated to regular
 * files (st_blocks * 512; holes cost nothing, each inode counts once however
 * many links it has), plus symlink targets' lengths. It is counted once
 * when the store is made and then kept by charging, before a change, the
 * most it can allocate (every block it touches), and settling after it with
 * what st_blocks says it took. Near the limit, where that worst case does
 * not fit, the blocks already allocated in the range are asked of the host
 * (FIEMAP, else SEEK_DATA/SEEK_HOLE), so overwrites still work and a write
 * is short where its holes pass the limit. Changes run under the node's
 * lock, so concurrent writers neither double-count nor miss blocks.
 * Link-count changes run under the store's ns_lock so that exactly one
 * caller sees a last link go. Only used when the store has a limit; without
 * one none of this costs anything. Changes the host makes behind the
 * store's back are not seen until the next start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "passthrough_i.h"

/* An inode with several links seen during the scan. */
struct pt_seen {
	dev_t dev;
	ino_t ino;
	uint64_t bytes;
};

/* What an object counts against the limit, from its stat. */
static uint64_t pt_charged(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return (uint64_t)st->st_blocks * 512;
	return S_ISLNK(st->st_mode) ? (uint64_t)st->st_size : 0;
}

struct pt_scan {
	uint64_t total;			/* bytes */
	struct pt_seen *seen;		/* linked files, counted at the end */
	size_t nseen;
	size_t cap;
};

static int pt_scan_note(struct pt_scan *sc, const struct stat *st)
{
	struct pt_seen *p;

	if (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
		return 0;
	if (st->st_nlink <= 1) {
		sc->total += pt_charged(st);
		return 0;
	}
	if (sc->nseen == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		p = realloc(sc->seen, sc->cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		sc->seen = p;
	}
	sc->seen[sc->nseen++] = (struct pt_seen){ st->st_dev, st->st_ino,
						  pt_charged(st) };
	return 0;
}

static int pt_seen_cmp(const void *a, const void *b)
{
	const struct pt_seen *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/*
 * Counts the tree under the directory @dfd (consumed). Directories are
 * opened by single names with O_NOFOLLOW, so the walk never leaves the root
 * and never follows a symlink. One fd per level of depth.
 */
static int pt_scan_dir(int dfd, struct pt_scan *sc, unsigned int depth)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd, rc = 0;

	if (depth > PT_MAX_DEPTH) {
		close(dfd);
		return -ELOOP;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	while (!rc) {
		errno = 0;
		d = readdir(dir);
		if (!d) {
			rc = -errno;
			break;
		}
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(dirfd(dir), d->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				rc = -errno;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = pt_scan_note(sc, &st);
			continue;
		}
		fd = openat(dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				rc = -errno;
			continue;
		}
		rc = pt_scan_dir(fd, sc, depth + 1);
	}
	closedir(dir);
	return rc;
}

/*
 * The host's allocation unit: its fragment size, when that is a power of
 * two from 512 bytes to 1 MiB, else 4096.
 */
static uint64_t pt_blksize(int fd)
{
	struct statfs sf;
	uint64_t bs;

	if (fstatfs(fd, &sf) < 0)
		return 4096;
	bs = sf.f_frsize ? (uint64_t)sf.f_frsize : (uint64_t)sf.f_bsize;
	if (bs < 512 || bs > (1 << 20) || (bs & (bs - 1)))
		return 4096;
	return bs;
}

/* Sets the store's usage to what is under its root now. */
int pt_acct_scan(struct pt_store *s)
{
	struct pt_scan sc = { 0 };
	size_t i;
	int fd, rc;

	s->blksize = pt_blksize(s->root_fd);
	fd = openat(s->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = pt_scan_dir(fd, &sc, 0);
	if (rc)
		goto out_free;
	if (sc.nseen)
		qsort(sc.seen, sc.nseen, sizeof(*sc.seen), pt_seen_cmp);
	for (i = 0; i < sc.nseen; i++) {
		if (i == 0 || pt_seen_cmp(&sc.seen[i - 1], &sc.seen[i]))
			sc.total += sc.seen[i].bytes;
	}
	__atomic_store_n(&s->base.used, sc.total, __ATOMIC_RELEASE);
out_free:
	free(sc.seen);
	return rc;
}

/* Notes what @st says the host has allocated to @n. Caller holds n->lock. */
static void pt_alloc_seen(struct pt_node *n, const struct stat *st)
{
	n->alloc = (uint64_t)st->st_blocks * 512;
	n->alloc_known = true;
}

/*
 * Counts what the host allocated to @n, or freed, since the store last
 * looked (its own metadata, an extent block written back after the change
 * that caused it), even past the limit. Caller holds n->lock.
 */
static void pt_alloc_catch_up(struct pt_store *s, struct pt_node *n,
			      const struct stat *st)
{
	uint64_t now = (uint64_t)st->st_blocks * 512;

	if (n->alloc_known && now > n->alloc)
		__atomic_add_fetch(&s->base.used, now - n->alloc,
				   __ATOMIC_ACQ_REL);
	else if (n->alloc_known)
		store_uncharge(&s->base, n->alloc - now);
	pt_alloc_seen(n, st);
}

/*
 * Looks at @n, open as @fd, before a change: *st, and n->alloc counted.
 * Caller holds n->lock.
 */
static int pt_alloc_now(struct pt_store *s, struct pt_node *n, int fd,
			struct stat *st)
{
	if (fstat(fd, st) < 0) {
		n->alloc_known = false;
		return -errno;
	}
	pt_alloc_catch_up(s, n, st);
	return 0;
}

/*
 * Settles a change of @n, open as @fd, that was charged @charged bytes
 * with @before allocated: gives back what it did not take, and counts what
 * it took beyond (the host's own metadata, an extent block, which no
 * precharge can foresee) even past the limit. Caller holds n->lock.
 */
static void pt_settle(struct pt_store *s, struct pt_node *n, int fd,
		      uint64_t before, uint64_t charged)
{
	struct stat st;
	uint64_t took;

	if (fstat(fd, &st) < 0) {
		/* Unknown: keep the charge; the next look corrects it. */
		n->alloc_known = false;
		return;
	}
	pt_alloc_seen(n, &st);
	took = n->alloc > before ? n->alloc - before : 0;
	if (took > charged)
		__atomic_add_fetch(&s->base.used, took - charged,
				   __ATOMIC_ACQ_REL);
	else
		store_uncharge(&s->base, charged - took);
	if (n->alloc < before)
		store_uncharge(&s->base, before - n->alloc);
}

/* Bytes of the blocks [@off, @end) touches: the most it can allocate. */
static uint64_t pt_span(const struct pt_store *s, off_t off, off_t end)
{
	uint64_t bs = s->blksize;
	uint64_t lo = (uint64_t)off / bs, hi = ((uint64_t)end + bs - 1) / bs;

	return end > off ? (hi - lo) * bs : 0;
}

/*
 * The first allocated range [*d0, *d1) of @fd that ends past @pos, from
 * FIEMAP (which counts preallocated, unwritten blocks) or, on a host
 * without it, SEEK_DATA/SEEK_HOLE (which may call those holes). *d0 is
 * @stop when there is none before it.
 */
static int pt_next_alloc(struct pt_store *s, int fd, off_t pos, off_t stop,
			 off_t *d0, off_t *d1)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe;
	} q;

	*d0 = stop;
	*d1 = stop;
	if (!__atomic_load_n(&s->no_fiemap, __ATOMIC_RELAXED)) {
		memset(&q, 0, sizeof(q));
		q.fm.fm_start = pos;
		q.fm.fm_length = stop - pos;
		q.fm.fm_extent_count = 1;
		if (ioctl(fd, FS_IOC_FIEMAP, &q.fm) == 0) {
			if (q.fm.fm_mapped_extents) {
				*d0 = q.fe.fe_logical;
				*d1 = q.fe.fe_logical + q.fe.fe_length;
			}
			return 0;
		}
		if (errno != EOPNOTSUPP && errno != ENOTTY)
			return -errno;
		__atomic_store_n(&s->no_fiemap, 1, __ATOMIC_RELAXED);
	}
	*d0 = lseek(fd, pos, SEEK_DATA);
	if (*d0 < 0) {
		*d0 = stop;
		return errno == ENXIO ? 0 : -errno;
	}
	*d1 = lseek(fd, *d0, SEEK_HOLE);
	return *d1 < 0 ? -errno : 0;
}

/*
 * Walks the blocks [@off, @end) touches in order, costing each hole one
 * block, until @budget is spent. Sets *cost to what the walked holes cost
 * and *cut to where a write from @off must stop to stay within it (@end
 * when everything fits).
 */
static int pt_hole_cost(struct pt_store *s, int fd, off_t off, off_t end,
			uint64_t budget, uint64_t *cost, off_t *cut)
{
	off_t bs = s->blksize;
	off_t b = off / bs * bs, stop = (end + bs - 1) / bs * bs;
	uint64_t c = 0;

	*cut = end;
	while (b < stop) {
		off_t d0, d1, h;
		int rc = pt_next_alloc(s, fd, b, stop, &d0, &d1);

		if (rc)
			return rc;
		d0 = d0 / bs * bs;
		h = d0 < stop ? d0 : stop;
		if (h > b) {
			if (c + (uint64_t)(h - b) > budget) {
				off_t fit = (off_t)((budget - c) / bs) * bs;

				c += fit;
				*cut = b + fit > off ? b + fit : off;
				break;
			}
			c += h - b;
		}
		if (d0 >= stop)
			break;
		/* Past the range's start, whatever the host answered. */
		b = d1 > b ? (d1 + bs - 1) / bs * bs : b + bs;
	}
	*cost = c;
	return 0;
}

/*
 * Charges a change that may allocate blocks over [@off, @end) of @fd: the
 * worst case when it fits, else what its holes cost. With @partial, as much
 * as fits, setting *cut to where the change must stop; without, all or
 * -ENOSPC. Returns what it charged in *charged.
 */
static int pt_charge_range(struct pt_store *s, int fd, off_t off, off_t end,
			   bool partial, uint64_t *charged, off_t *cut)
{
	uint64_t need, worst = pt_span(s, off, end);
	int rc;

	*cut = end;
	*charged = 0;
	if (!store_charge(&s->base, worst)) {
		*charged = worst;
		return 0;
	}
	rc = pt_hole_cost(s, fd, off, end, UINT64_MAX, &need, cut);
	if (rc)
		return rc;
	if (!store_charge(&s->base, need)) {
		*charged = need;
		return 0;
	}
	if (!partial)
		return -ENOSPC;
	*charged = store_charge_upto(&s->base, need, s->blksize);
	rc = pt_hole_cost(s, fd, off, end, *charged, &need, cut);
	if (!rc && *cut <= off)
		rc = -ENOSPC;
	if (rc) {
		store_uncharge(&s->base, *charged);
		*charged = 0;
	}
	return rc;
}

ssize_t pt_acct_write(struct pt_store *s, struct pt_file *f, const char *buf,
		      size_t size, off_t off)
{
	struct pt_node *n = pt_node(f->base.node);
	int fd = f->base.fd;
	uint64_t before, charged;
	struct stat st;
	off_t cut;
	ssize_t rc = 0;

	pthread_mutex_lock(&n->lock);
	if ((f->flags & O_APPEND) || !n->alloc_known) {
		rc = pt_alloc_now(s, n, fd, &st);
		if (rc)
			goto out_unlock;
		if (f->flags & O_APPEND)
			off = st.st_size;
	}
	if (size > (size_t)(INT64_MAX - off)) {
		rc = -EFBIG;
		goto out_unlock;
	}
	before = n->alloc;
	rc = pt_charge_range(s, fd, off, off + (off_t)size, true, &charged,
			     &cut);
	if (rc)
		goto out_unlock;
	rc = pwrite(fd, buf, cut - off, off);
	if (rc < 0)
		rc = -errno;
	pt_settle(s, n, fd, before, charged);
out_unlock:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/*
 * Sets the size of @n's object through @fd, a file open for writing.
 * Growing makes a hole and costs nothing; shrinking gives blocks back.
 */
int pt_acct_truncate(struct pt_store *s, struct pt_node *n, int fd,
		     off_t size)
{
	uint64_t before;
	struct stat st;
	int rc;

	pthread_mutex_lock(&n->lock);
	rc = pt_alloc_now(s, n, fd, &st);
	if (rc)
		goto out_unlock;
	before = n->alloc;
	if (ftruncate(fd, size) < 0)
		rc = -errno;
	pt_settle(s, n, fd, before, 0);
out_unlock:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/* Whether fallocate @mode may allocate blocks in its range. */
static bool pt_fallocate_allocates(int mode)
{
	switch (mode & ~FALLOC_FL_KEEP_SIZE) {
	case FALLOC_FL_PUNCH_HOLE:
	case FALLOC_FL_COLLAPSE_RANGE:
	case FALLOC_FL_INSERT_RANGE:
		return false;
	default:
		return true;
	}
}

/*
 * fallocate that allocates (mode 0, KEEP_SIZE, ZERO_RANGE) is charged all
 * or nothing; the others free or move blocks, and are settled after.
 */
int pt_acct_fallocate(struct pt_store *s, struct pt_file *f, int mode,
		      off_t off, off_t len)
{
	struct pt_node *n = pt_node(f->base.node);
	int fd = f->base.fd;
	uint64_t before, charged = 0;
	struct stat st;
	off_t cut;
	int rc;

	if (off < 0 || len <= 0)
		return -EINVAL;
	if (len > INT64_MAX - off)
		return -EFBIG;
	pthread_mutex_lock(&n->lock);
	rc = pt_alloc_now(s, n, fd, &st);
	if (rc)
		goto out_unlock;
	before = n->alloc;
	if (pt_fallocate_allocates(mode)) {
		rc = pt_charge_range(s, fd, off, off + len, false, &charged,
				     &cut);
		if (rc)
			goto out_unlock;
	}
	if (fallocate(fd, mode, off, len) < 0)
		rc = -errno;
	pt_settle(s, n, fd, before, charged);
out_unlock:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/*
 * Called with ns_lock held, after the entry described by @st lost a link.
 * The last link of an open file keeps its charge until the last release.
 */
static void pt_link_gone(struct pt_store *s, struct pt_node *n,
			 const struct stat *st)
{
	if (st->st_nlink > 1)
		return;
	if (n && n->open_count) {
		n->orphan = true;
		return;
	}
	store_uncharge(&s->base, pt_charged(st));
}

/*
 * Removes the entry @name of @dir (open as @dfd), giving back its bytes
 * when it was the last link of a file or symlink.
 */
int pt_acct_unlink(struct pt_store *s, struct pt_node *dir, int dfd,
		   const char *name)
{
	struct pt_node *n = NULL;
	struct stat st;
	int rc = 0;

	pthread_mutex_lock(&s->ns_lock);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		goto out_unlock_ns;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0)
			rc = -errno;
		goto out_unlock_ns;
	}
	rc = pt_node_find_or_add(s, dir, name, &st, false, &n);
	if (rc)
		goto out_unlock_ns;
	pthread_mutex_lock(&n->lock);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		goto out_unlock_node;
	}
	if (unlinkat(dfd, name, 0) < 0) {
		rc = -errno;
		goto out_unlock_node;
	}
	if (pt_stat_matches(n, &st))
		pt_link_gone(s, n, &st);
out_unlock_node:
	pthread_mutex_unlock(&n->lock);
	pt_node_put(s, n);
out_unlock_ns:
	pthread_mutex_unlock(&s->ns_lock);
	return rc;
}

/*
 * renameat2 with the bytes of a file or symlink it replaces given back
 * (RENAME_EXCHANGE and NOREPLACE replace nothing). A target that did not
 * exist is renamed over with RENAME_NOREPLACE, so one created meanwhile
 * (create does not take ns_lock) is seen on a second pass, not lost.
 */
int pt_acct_rename(struct pt_store *s, struct pt_node *newdir, int olddfd,
		   const char *name, int newdfd, const char *newname,
		   unsigned int flags)
{
	struct pt_node *victim;
	struct stat st, src;
	unsigned int how;
	int rc, pass = 0;

	pthread_mutex_lock(&s->ns_lock);
again:
	victim = NULL;
	how = flags;
	rc = 0;
	if (flags)
		goto out_rename;
	if (fstatat(newdfd, newname, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		how = RENAME_NOREPLACE;
		goto out_rename;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		goto out_rename;
	if (fstatat(olddfd, name, &src, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		goto out_unlock_ns;
	}
	/* Two links of one inode: rename(2) does nothing. */
	if (src.st_dev == st.st_dev && src.st_ino == st.st_ino)
		goto out_rename;
	rc = pt_node_find_or_add(s, newdir, newname, &st, false, &victim);
	if (rc)
		goto out_unlock_ns;
	pthread_mutex_lock(&victim->lock);
	if (fstatat(newdfd, newname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		memset(&st, 0, sizeof(st));
out_rename:
	if (renameat2(olddfd, name, newdfd, newname, how) < 0)
		rc = -errno;
	else if (victim && pt_stat_matches(victim, &st))
		pt_link_gone(s, victim, &st);
	if (victim) {
		pthread_mutex_unlock(&victim->lock);
		pt_node_put(s, victim);
	}
	if (rc == -EEXIST && how != flags && ++pass < 8)
		goto again;
out_unlock_ns:
	pthread_mutex_unlock(&s->ns_lock);
	return rc;
}

/* rmdir under ns_lock, so that a rename's view of its target holds. */
int pt_acct_rmdir(struct pt_store *s, int dfd, const char *name)
{
	int rc;

	pthread_mutex_lock(&s->ns_lock);
	rc = unlinkat(dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
	pthread_mutex_unlock(&s->ns_lock);
	return rc;
}

/*
 * Counts a new handle on @n, open as @fd. An object whose last link went
 * between the open and now was already given back by that unlink: the open
 * fails with -ENOENT (as if it came after the unlink), else its growth
 * would be charged and never returned.
 */
int pt_acct_open(struct pt_store *s, struct pt_node *n, int fd)
{
	struct stat st;
	int rc = 0;

	pthread_mutex_lock(&n->lock);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (st.st_nlink == 0 && !n->orphan) {
		rc = -ENOENT;
	} else {
		n->open_count++;
		pt_alloc_catch_up(s, n, &st);
	}
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/* @fd is the handle's fd, still open: it tells the blocks of an orphan. */
void pt_acct_release(struct pt_store *s, struct pt_node *n, int fd)
{
	struct stat st;

	pthread_mutex_lock(&n->lock);
	if (--n->open_count == 0 && n->orphan) {
		n->orphan = false;
		if (fstat(fd, &st) == 0 && st.st_nlink == 0)
			store_uncharge(&s->base, pt_charged(&st));
	}
	pthread_mutex_unlock(&n->lock);
}
