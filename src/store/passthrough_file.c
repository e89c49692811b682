/*
 * passthrough_file.c - the passthrough store's open files and directories:
 * handles on host fds (open, read, write, fsync, fallocate, lseek,
 * release), and listings read with getdents64 into a buffer per handle,
 * with cookies of their own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passthrough_i.h"

/*
 * open(2) flags a caller may pass on; others are dropped. O_DIRECT is
 * dropped too: the kernel already serves such a file uncached on the mount,
 * but the data of a write sits in libfuse's request buffer just after the
 * headers, never aligned as the host requires for O_DIRECT, so every write
 * failed with EINVAL (as fuse-overlayfs and bindfs found, and drop it too).
 */
#define PT_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
			 O_DSYNC | O_LARGEFILE | O_NOATIME | O_TRUNC)

static struct pt_file *pt_file_new(struct pt_node *n, int fd, int flags)
{
	struct pt_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pt_node_get(n);
	f->base.node = &n->base;
	f->base.fd = fd;
	f->flags = flags;
	f->low_pos = -1;
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

static void pt_file_free(struct pt_store *s, struct pt_file *f)
{
	if (f->base.fd >= 0)
		close(f->base.fd);
	pt_node_put(s, pt_node(f->base.node));
	pthread_mutex_destroy(&f->lock);
	free(f->buf);
	free(f);
}

static void pt_file_link(struct pt_node *n, struct pt_file *f)
{
	pthread_mutex_lock(&n->lock);
	f->next_open = n->files;
	n->files = f;
	pthread_mutex_unlock(&n->lock);
}

static void pt_file_unlink(struct pt_node *n, struct pt_file *f)
{
	struct pt_file **pp;

	pthread_mutex_lock(&n->lock);
	for (pp = &n->files; *pp; pp = &(*pp)->next_open) {
		if (*pp == f) {
			*pp = f->next_open;
			break;
		}
	}
	pthread_mutex_unlock(&n->lock);
}

/*
 * Makes an open fd of @n a handle. With a limit, O_TRUNC (held back from
 * the host) is done here so that the bytes it frees are given back.
 */
int pt_file_make(struct pt_store *s, struct pt_node *n, int fd,
		 int flags, struct store_file **out)
{
	struct pt_file *f;
	int rc;

	f = pt_file_new(n, fd, flags & ~O_TRUNC);
	if (!f)
		return -ENOMEM;
	if (s->acct) {
		rc = pt_acct_open(s, n, fd);
		if (rc)
			goto out_free;
		if (flags & O_TRUNC) {
			rc = pt_acct_truncate(s, n, fd, 0);
			if (rc) {
				pt_acct_release(s, n, fd);
				goto out_free;
			}
		}
	}
	pt_file_link(n, f);
	*out = &f->base;
	return 0;

out_free:
	f->base.fd = -1;
	pt_file_free(s, f);
	return rc;
}

int pt_open_flags(const struct pt_store *s, int flags)
{
	flags &= PT_OPEN_FLAGS;
	if (s->acct)
		flags &= ~O_TRUNC;
	return flags;
}

int pt_open(struct store *ss, struct snode *sn, int flags,
	    struct store_file **f)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *n = pt_node(sn);
	int oflags = pt_open_flags(s, flags);
	int fd, rc;

	if (n->type == S_IFDIR)
		return -EISDIR;
	if (n->type != S_IFREG)
		return -EOPNOTSUPP;
	fd = pt_node_open(s, n, oflags, NULL);
	if (fd < 0)
		return fd;
	rc = pt_file_make(s, n, fd, oflags | (flags & O_TRUNC), f);
	if (rc)
		close(fd);
	return rc;
}

ssize_t pt_read(struct store *ss, struct store_file *f, char *buf,
		size_t size, off_t off)
{
	ssize_t r = pread(f->fd, buf, size, off);

	(void)ss;
	return r < 0 ? -errno : r;
}

ssize_t pt_write(struct store *ss, struct store_file *sf,
		 const char *buf, size_t size, off_t off)
{
	struct pt_store *s = pt_store(ss);
	ssize_t r;

	if (s->acct)
		return pt_acct_write(s, pt_file(sf), buf, size, off);
	r = pwrite(sf->fd, buf, size, off);
	return r < 0 ? -errno : r;
}

/*
 * Nothing to do: data reaches the host on write, and close(dup(fd)) would
 * drop POSIX locks the daemon's other handles may hold on the same file.
 */
int pt_flush(struct store *ss, struct store_file *f)
{
	(void)ss;
	(void)f;
	return 0;
}

int pt_fsync(struct store *ss, struct store_file *f, bool datasync)
{
	int r = datasync ? fdatasync(f->fd) : fsync(f->fd);

	(void)ss;
	return r < 0 ? -errno : 0;
}

int pt_fallocate(struct store *ss, struct store_file *f, int mode,
		 off_t off, off_t len)
{
	struct pt_store *s = pt_store(ss);

	if (s->acct)
		return pt_acct_fallocate(s, pt_file(f), mode, off, len);
	return fallocate(f->fd, mode, off, len) < 0 ? -errno : 0;
}

off_t pt_lseek(struct store *ss, struct store_file *f, off_t off,
	       int whence)
{
	off_t r;

	(void)ss;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	r = lseek(f->fd, off, whence);
	return r < 0 ? -errno : r;
}

void pt_release(struct store *ss, struct store_file *sf)
{
	struct pt_store *s = pt_store(ss);

	pt_file_unlink(pt_node(sf->node), pt_file(sf));
	if (s->acct)
		pt_acct_release(s, pt_node(sf->node), sf->fd);
	pt_file_free(s, pt_file(sf));
}

int pt_opendir(struct store *ss, struct snode *sn,
	       struct store_file **out)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *n = pt_node(sn);
	struct pt_file *f;
	int fd;

	if (n->type != S_IFDIR)
		return -ENOTDIR;
	fd = pt_node_open(s, n, O_RDONLY | O_DIRECTORY, NULL);
	if (fd < 0)
		return fd;
	f = pt_file_new(n, fd, O_RDONLY | O_DIRECTORY);
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	*out = &f->base;
	return 0;
}

/*
 * The attributes and, in plus mode, the node of the entry @d. Returns 1
 * when the entry went away meanwhile (skip it).
 */
static int pt_dirent_attrs(struct pt_store *s, struct pt_file *f,
			   const struct dirent64 *d, bool plus,
			   struct stat *st, struct pt_node **n)
{
	int rc = 0;

	*n = NULL;
	if (!plus && d->d_type != DT_UNKNOWN) {
		memset(st, 0, sizeof(*st));
		st->st_ino = d->d_ino;
		st->st_mode = DTTOIF(d->d_type);
		return 0;
	}
	pthread_rwlock_rdlock(&s->names_lock);
	if (fstatat(f->base.fd, d->d_name, st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = errno == ENOENT ? 1 : -errno;
	else if (plus)
		rc = pt_node_find_or_add(s, pt_node(f->base.node), d->d_name,
					 st, true, n);
	pthread_rwlock_unlock(&s->names_lock);
	return rc;
}

/*
 * Cookies are the host's d_off, which is at least STORE_FIRST_COOKIE for
 * every entry after "." and ".." on the filesystems we know. A host that
 * lists an entry first with a smaller d_off gets STORE_FIRST_COOKIE for it,
 * and the real position is remembered for resuming there. Called with
 * f->lock held.
 */
static off_t pt_cookie(struct pt_file *f, off_t d_off)
{
	if (d_off >= STORE_FIRST_COOKIE)
		return d_off;
	f->low_pos = d_off;
	return STORE_FIRST_COOKIE;
}

static off_t pt_host_pos(const struct pt_file *f, off_t cookie)
{
	return cookie == STORE_FIRST_COOKIE && f->low_pos >= 0 ?
	       f->low_pos : cookie;
}

/* Called with f->lock held. Returns bytes buffered, 0 at the end, -errno. */
static ssize_t pt_dir_fill(struct pt_file *f, off_t off)
{
	ssize_t len;

	if (!f->buf) {
		f->buf = malloc(PT_DIRBUF);
		if (!f->buf)
			return -ENOMEM;
	}
	if (off != f->pos) {
		if (lseek(f->base.fd, pt_host_pos(f, off), SEEK_SET) < 0)
			return -errno;
		f->pos = off;
		f->buf_len = 0;
		f->buf_pos = 0;
	}
	if (f->buf_pos < f->buf_len)
		return f->buf_len - f->buf_pos;
	len = getdents64(f->base.fd, f->buf, PT_DIRBUF);
	if (len < 0)
		return -errno;
	f->buf_len = len;
	f->buf_pos = 0;
	return len;
}

/*
 * A listing resumed at the cookie it stopped at continues from the buffered
 * entries without seeking.
 */
int pt_readdir(struct store *ss, struct store_file *sf, off_t off,
	       bool plus, store_fill_fn fill, void *ctx)
{
	struct pt_store *s = pt_store(ss);
	struct pt_file *f = pt_file(sf);
	struct dirent64 *d;
	struct pt_node *n;
	struct stat st;
	off_t cookie;
	unsigned int count = 0;
	ssize_t len;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		len = pt_dir_fill(f, off);
		if (len <= 0) {
			rc = count ? 0 : len;
			break;
		}
		d = (struct dirent64 *)(f->buf + f->buf_pos);
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
			rc = pt_dirent_attrs(s, f, d, plus, &st, &n);
			if (rc < 0) {
				if (count)
					rc = 0;
				break;
			}
			cookie = d->d_off < STORE_FIRST_COOKIE ?
				 STORE_FIRST_COOKIE : d->d_off;
			if (rc == 0 && fill(ctx, d->d_name, &st, cookie,
					    n ? &n->base : NULL)) {
				rc = 0;
				break;
			}
			count++;
		}
		f->buf_pos += d->d_reclen;
		f->pos = pt_cookie(f, d->d_off);
		off = f->pos;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void pt_releasedir(struct store *ss, struct store_file *f)
{
	pt_file_free(pt_store(ss), pt_file(f));
}

int pt_fsyncdir(struct store *ss, struct store_file *f, bool datasync)
{
	return pt_fsync(ss, f, datasync);
}
