/*
 * passthrough_acct.c - the passthrough store's byte limit (sizeLimit).
 *
 * Usage is the sum of regular files' st_size (sparse files count whole, each
 * inode once however many links it has) and of symlink targets' lengths. It
 * is counted once when the store is made and then kept by charging growth
 * before it happens: a size change runs under the node's lock with the size
 * read from the host just before, so concurrent writers neither double-count
 * nor miss bytes. Link-count changes run under the store's ns_lock so that
 * exactly one caller sees a last link go. Only used when the store has a
 * limit; without one none of this costs anything. Changes the host makes
 * behind the store's back are not seen until the next start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough_i.h"

/* An inode with several links seen during the scan. */
struct pt_seen {
	dev_t dev;
	ino_t ino;
	off_t size;
};

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
		sc->total += st->st_size;
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
						  st->st_size };
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

/* Sets the store's usage to what is under its root now. */
int pt_acct_scan(struct pt_store *s)
{
	struct pt_scan sc = { 0 };
	size_t i;
	int fd, rc;

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
			sc.total += sc.seen[i].size;
	}
	__atomic_store_n(&s->base.used, sc.total, __ATOMIC_RELEASE);
out_free:
	free(sc.seen);
	return rc;
}

/* Charges the growth from @cur to @end bytes, if any. */
static int pt_charge_growth(struct pt_store *s, off_t cur, off_t end)
{
	return end > cur ? store_charge(&s->base, end - cur) : 0;
}

static void pt_uncharge_shrink(struct pt_store *s, off_t from, off_t to)
{
	if (from > to)
		store_uncharge(&s->base, from - to);
}

ssize_t pt_acct_write(struct pt_store *s, struct pt_file *f, const char *buf,
		      size_t size, off_t off)
{
	struct pt_node *n = pt_node(f->base.node);
	struct stat st;
	off_t end, done;
	ssize_t rc;

	pthread_mutex_lock(&n->lock);
	if (fstat(f->base.fd, &st) < 0) {
		rc = -errno;
		goto out_unlock;
	}
	if (f->flags & O_APPEND)
		off = st.st_size;
	end = off + (off_t)size;
	rc = pt_charge_growth(s, st.st_size, end);
	if (rc)
		goto out_unlock;
	rc = pwrite(f->base.fd, buf, size, off);
	if (rc < 0)
		rc = -errno;
	done = rc > 0 && off + rc > st.st_size ? off + rc : st.st_size;
	if (end > done)
		store_uncharge(&s->base, end - done);
out_unlock:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/* Sets the size of @n's object through @fd, a file open for writing. */
int pt_acct_truncate(struct pt_store *s, struct pt_node *n, int fd,
		     off_t size)
{
	struct stat st;
	int rc;

	pthread_mutex_lock(&n->lock);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_unlock;
	}
	rc = pt_charge_growth(s, st.st_size, size);
	if (rc)
		goto out_unlock;
	if (ftruncate(fd, size) < 0) {
		rc = -errno;
		pt_uncharge_shrink(s, size, st.st_size);
		goto out_unlock;
	}
	pt_uncharge_shrink(s, st.st_size, size);
out_unlock:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/*
 * The size @mode would give a file of @size: -1 for modes the limit cannot
 * follow (KEEP_SIZE preallocation takes disk space st_size does not show).
 */
static off_t pt_fallocate_size(int mode, off_t size, off_t off, off_t len)
{
	switch (mode) {
	case 0:
	case FALLOC_FL_ZERO_RANGE:
		return off + len > size ? off + len : size;
	case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE:
	case FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE:
		return size;
	case FALLOC_FL_COLLAPSE_RANGE:
		return size - len;
	case FALLOC_FL_INSERT_RANGE:
		return size + len;
	default:
		return -1;
	}
}

int pt_acct_fallocate(struct pt_store *s, struct pt_file *f, int mode,
		      off_t off, off_t len)
{
	struct pt_node *n = pt_node(f->base.node);
	struct stat st;
	off_t end;
	int rc;

	pthread_mutex_lock(&n->lock);
	if (fstat(f->base.fd, &st) < 0) {
		rc = -errno;
		goto out_unlock;
	}
	end = pt_fallocate_size(mode, st.st_size, off, len);
	if (end < 0) {
		rc = -EOPNOTSUPP;
		goto out_unlock;
	}
	rc = pt_charge_growth(s, st.st_size, end);
	if (rc)
		goto out_unlock;
	if (fallocate(f->base.fd, mode, off, len) < 0) {
		rc = -errno;
		pt_uncharge_shrink(s, end, st.st_size);
		goto out_unlock;
	}
	pt_uncharge_shrink(s, st.st_size, end);
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
	store_uncharge(&s->base, st->st_size);
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

	(void)s;
	pthread_mutex_lock(&n->lock);
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (st.st_nlink == 0 && !n->orphan)
		rc = -ENOENT;
	else
		n->open_count++;
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/* @fd is the handle's fd, still open: it tells the size of an orphan. */
void pt_acct_release(struct pt_store *s, struct pt_node *n, int fd)
{
	struct stat st;

	pthread_mutex_lock(&n->lock);
	if (--n->open_count == 0 && n->orphan) {
		n->orphan = false;
		if (fstat(fd, &st) == 0 && st.st_nlink == 0)
			store_uncharge(&s->base, st.st_size);
	}
	pthread_mutex_unlock(&n->lock);
}
