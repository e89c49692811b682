/*
 * passthrough.c - a store over a directory on the host (emptyDir on disk,
 * hostPath, gitRepo checkouts, local persistent volumes). This file holds
 * the store itself, the root, attributes, statfs and the table of store
 * ops; passthrough_names.c changes names, passthrough_file.c serves open
 * files and listings, passthrough_xattr.c extended attributes,
 * passthrough_node.c and passthrough_open.c keep and reach the nodes, and
 * passthrough_acct.c counts the byte limit.
 *
 * Nothing outside the root can be reached: every object is opened beneath
 * the store's single root fd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) and checked to be the node it stands for (see
 * passthrough_node.c); operations on an entry of a directory then use *at()
 * calls on that directory's fd with one name that is never ".", ".." or
 * contains "/", and never follow a final symlink. Symlinks are handed to the
 * caller as symlinks. Other mounts beneath the root are served like the rest.
 *
 * The trade-off: a node holds no fd, so each operation costs one openat2 and
 * one fstat more than an fd-per-inode design, in exchange for serving trees
 * of any size within the process's open-file limit.
 *
 * Names the store changes itself never show as ESTALE: unlink, rmdir and
 * rename hold names_lock for writing across the host call and the update
 * of the nodes' links; lookup, readdirplus, the create family and link hold
 * it for reading from the host call to the record of the name they saw or
 * made, so that none records a name a concurrent rename already took away.
 * Directories are opened before names_lock is taken (an open may take it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "passthrough_i.h"

/* Newer than Debian 12's headers; the same number on every arch but alpha. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2		452
#endif

static const struct store_ops pt_ops;

static int pt_root(struct store *ss, struct snode **out)
{
	struct pt_store *s = pt_store(ss);

	pt_node_get(s->root);
	*out = &s->root->base;
	return 0;
}

static void pt_get(struct store *ss, struct snode *n)
{
	(void)ss;
	pt_node_get(pt_node(n));
}

static void pt_put(struct store *ss, struct snode *n)
{
	pt_node_put(pt_store(ss), pt_node(n));
}

/*
 * Stats @n through one of its open handles. Returns 0, -ENOENT when it has
 * none, or the fstat error.
 */
static int pt_node_fstat_open(struct pt_node *n, struct stat *st)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&n->lock);
	if (n->files)
		rc = fstat(n->files->base.fd, st) < 0 ? -errno : 0;
	pthread_mutex_unlock(&n->lock);
	return rc;
}

static int pt_getattr(struct store *ss, struct snode *sn, struct store_file *f,
		      struct stat *st)
{
	struct pt_store *s = pt_store(ss);
	int fd;

	if (f)
		return fstat(f->fd, st) < 0 ? -errno : 0;
	fd = pt_node_fstat_open(pt_node(sn), st);
	if (fd != -ENOENT)
		return fd;
	fd = pt_node_open(s, pt_node(sn), O_PATH, st);
	if (fd < 0)
		return fd;
	pt_fd_release(s, fd);
	return 0;
}

/*
 * chmod without following a symlink: fchmodat2 on the O_PATH fd (Linux
 * 6.6+), else fchmod on a real fd for files and directories. Special files
 * are refused on older kernels: opening a device or fifo has side effects,
 * and fchmodat by name would follow a symlink raced into its place.
 */
static int pt_chmod(struct pt_store *s, struct pt_node *n, int fd, mode_t mode)
{
	int rfd, rc;

	if (!__atomic_load_n(&s->no_fchmodat2, __ATOMIC_RELAXED)) {
		if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno != ENOSYS && errno != EINVAL)
			return -errno;
		__atomic_store_n(&s->no_fchmodat2, 1, __ATOMIC_RELAXED);
	}
	if (n->type != S_IFREG && n->type != S_IFDIR)
		return -EOPNOTSUPP;
	rfd = pt_node_open(s, n, O_RDONLY | O_NONBLOCK | O_NOCTTY, NULL);
	if (rfd < 0)
		return rfd;
	rc = fchmod(rfd, mode) < 0 ? -errno : 0;
	pt_fd_release(s, rfd);
	return rc;
}

static int pt_truncate(struct pt_store *s, struct pt_node *n,
		       struct pt_file *f, off_t size)
{
	int fd, rc;

	if (n->type == S_IFDIR)
		return -EISDIR;
	if (n->type != S_IFREG)
		return -EINVAL;
	if (f && (f->flags & O_ACCMODE) != O_RDONLY) {
		fd = f->base.fd;
	} else {
		fd = pt_node_open(s, n, O_WRONLY | O_NONBLOCK, NULL);
		if (fd < 0)
			return fd;
	}
	if (s->acct)
		rc = pt_acct_truncate(s, n, fd, size);
	else
		rc = ftruncate(fd, size) < 0 ? -errno : 0;
	if (!f || fd != f->base.fd)
		pt_fd_release(s, fd);
	return rc;
}

static void pt_times(const struct stat *in, int to_set, struct timespec ts[2])
{
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_OMIT;
	if (to_set & STORE_SET_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (to_set & STORE_SET_ATIME)
		ts[0] = in->st_atim;
	if (to_set & STORE_SET_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (to_set & STORE_SET_MTIME)
		ts[1] = in->st_mtim;
}

/*
 * Applies mode, owner, size and times in that order, as chmod, chown,
 * truncate and utimensat would; a failure part-way leaves the earlier ones
 * applied. STORE_SET_CTIME is ignored: the host sets ctime itself.
 */
static int pt_setattr(struct store *ss, struct snode *sn, struct store_file *sf,
		      const struct stat *in, int to_set, struct stat *st)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *n = pt_node(sn);
	struct pt_file *f = sf ? pt_file(sf) : NULL;
	struct timespec ts[2];
	uid_t uid;
	gid_t gid;
	int fd, rc = 0;

	fd = f ? f->base.fd : pt_node_open(s, n, O_PATH, NULL);
	if (fd < 0)
		return fd;
	if (to_set & STORE_SET_MODE) {
		if (f)
			rc = fchmod(fd, in->st_mode & 07777) < 0 ? -errno : 0;
		else
			rc = pt_chmod(s, n, fd, in->st_mode & 07777);
		if (rc)
			goto out_release;
	}
	if (to_set & (STORE_SET_UID | STORE_SET_GID)) {
		uid = to_set & STORE_SET_UID ? in->st_uid : (uid_t)-1;
		gid = to_set & STORE_SET_GID ? in->st_gid : (gid_t)-1;
		if (fchownat(fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			goto out_release;
		}
	}
	if (to_set & STORE_SET_SIZE) {
		rc = pt_truncate(s, n, f, in->st_size);
		if (rc)
			goto out_release;
	}
	if (to_set & (STORE_SET_ATIME | STORE_SET_MTIME | STORE_SET_ATIME_NOW |
		      STORE_SET_MTIME_NOW)) {
		pt_times(in, to_set, ts);
		if (utimensat(fd, "", ts, AT_EMPTY_PATH) < 0) {
			rc = -errno;
			goto out_release;
		}
	}
	if (fstat(fd, st) < 0)
		rc = -errno;
out_release:
	if (!f)
		pt_fd_release(s, fd);
	return rc;
}

static int pt_readlink(struct store *ss, struct snode *sn, char *buf,
		       size_t size)
{
	struct pt_store *s = pt_store(ss);
	struct stat st;
	ssize_t len;
	int fd;

	if (pt_node(sn)->type != S_IFLNK)
		return -EINVAL;
	fd = pt_node_open(s, pt_node(sn), O_PATH, &st);
	if (fd < 0)
		return fd;
	len = readlinkat(fd, "", buf, size);
	if (len < 0)
		len = -errno;
	else if ((size_t)len < size)
		buf[len] = '\0';
	else if (st.st_size > len)
		len = st.st_size;
	pt_fd_release(s, fd);
	return len;
}

static int pt_statfs(struct store *ss, struct snode *sn, struct statvfs *st)
{
	struct pt_store *s = pt_store(ss);
	int fd, rc;

	fd = pt_node_open(s, pt_node(sn), O_PATH, NULL);
	if (fd < 0)
		return fd;
	rc = fstatvfs(fd, st) < 0 ? -errno : 0;
	pt_fd_release(s, fd);
	if (!rc && ss->limit && !(ss->caps & STORE_CAP_FS_LIMIT))
		store_statfs_limit(ss, st);
	return rc;
}

static void pt_destroy(struct store *ss)
{
	struct pt_store *s = pt_store(ss);

	pt_table_destroy(s);
	close(s->root_fd);
	pthread_mutex_destroy(&s->ns_lock);
	pthread_mutex_destroy(&s->hash_lock);
	pthread_rwlock_destroy(&s->tree_lock);
	pthread_rwlock_destroy(&s->names_lock);
	free(s);
}

static const struct store_ops pt_ops = {
	.name = "passthrough",
	.destroy = pt_destroy,
	.put = pt_put,
	.get = pt_get,
	.root = pt_root,
	.lookup = pt_lookup,
	.getattr = pt_getattr,
	.setattr = pt_setattr,
	.readlink = pt_readlink,
	.mknod = pt_mknod,
	.mkdir = pt_mkdir,
	.symlink = pt_symlink,
	.link = pt_link,
	.create = pt_create,
	.tmpfile = pt_tmpfile,
	.unlink = pt_unlink,
	.rmdir = pt_rmdir,
	.rename = pt_rename,
	.open = pt_open,
	.read = pt_read,
	.write = pt_write,
	.flush = pt_flush,
	.fsync = pt_fsync,
	.fallocate = pt_fallocate,
	.lseek = pt_lseek,
	.release = pt_release,
	.opendir = pt_opendir,
	.readdir = pt_readdir,
	.releasedir = pt_releasedir,
	.fsyncdir = pt_fsyncdir,
	.statfs = pt_statfs,
	.setxattr = pt_setxattr,
	.getxattr = pt_getxattr,
	.listxattr = pt_listxattr,
	.removexattr = pt_removexattr,
};

/*
 * Writers first: lookups come in streams, and a rename must not wait for a
 * gap in them. The price is that no thread may take it twice.
 */
static void pt_names_lock_init(pthread_rwlock_t *lock)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

struct store *passthrough_store_new(int root_fd, uint64_t limit)
{
	struct pt_store *s;
	struct stat st;
	int rc;

	if (fstat(root_fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	/* Holding a device or socket open could have effects: O_PATH only. */
	if (!S_ISDIR(st.st_mode) && !(fcntl(root_fd, F_GETFL) & O_PATH)) {
		rc = -EINVAL;
		goto out_close;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = -ENOMEM;
		goto out_close;
	}
	s->base.ops = &pt_ops;
	s->base.refs = 1;
	s->base.limit = limit;
	s->base.caps = STORE_CAP_HOST_FILES;
	s->root_fd = root_fd;
	s->acct = limit > 0;
	/* setfsuid(-1) fails and returns the current fsuid: a pure query. */
	s->uid = setfsuid((uid_t)-1);
	s->gid = setfsgid((gid_t)-1);
	pt_names_lock_init(&s->names_lock);
	pthread_rwlock_init(&s->tree_lock, NULL);
	pthread_mutex_init(&s->hash_lock, NULL);
	pthread_mutex_init(&s->ns_lock, NULL);
	rc = pt_table_init(s, &st);
	if (rc)
		goto out_free;
	if (s->acct) {
		rc = pt_acct_scan(s);
		if (rc)
			goto out_destroy_table;
	}
	return &s->base;

out_destroy_table:
	pt_table_destroy(s);
out_free:
	pthread_mutex_destroy(&s->ns_lock);
	pthread_mutex_destroy(&s->hash_lock);
	pthread_rwlock_destroy(&s->tree_lock);
	pthread_rwlock_destroy(&s->names_lock);
	free(s);
out_close:
	close(root_fd);
	errno = -rc;
	return NULL;
}
