/*
 * passthrough.c - a store over a directory on the host (emptyDir on disk,
 * hostPath, gitRepo checkouts, local persistent volumes).
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "passthrough_i.h"

/* Newer than Debian 12's headers; the same number on every arch but alpha. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2		452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat		463
#define SYS_getxattrat		464
#define SYS_listxattrat		465
#define SYS_removexattrat	466
#endif

/* struct xattr_args of <linux/xattr.h> since 6.13. */
struct pt_xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

/*
 * open(2) flags a caller may pass on; others are dropped. O_DIRECT is
 * dropped too: the kernel already serves such a file uncached on the mount,
 * but the data of a write sits in libfuse's request buffer just after the
 * headers, never aligned as the host requires for O_DIRECT, so every write
 * failed with EINVAL (as fuse-overlayfs and bindfs found, and drop it too).
 */
#define PT_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
			 O_DSYNC | O_LARGEFILE | O_NOATIME | O_TRUNC)

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

/* Opens the directory @dir as an O_PATH fd for *at() calls. */
static int pt_dir_open(struct pt_store *s, struct pt_node *dir,
		       struct stat *st)
{
	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	return pt_node_open(s, dir, O_PATH | O_DIRECTORY, st);
}

static int pt_lookup(struct store *ss, struct snode *sdir, const char *name,
		     struct snode **out, struct stat *st)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *dir = pt_node(sdir), *n;
	int dfd, rc;

	rc = pt_check_name(name);
	if (rc)
		return rc;
	dfd = pt_dir_open(s, dir, NULL);
	if (dfd < 0)
		return dfd;
	pthread_rwlock_rdlock(&s->names_lock);
	rc = fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if (!rc)
		rc = pt_node_find_or_add(s, dir, name, st, true, &n);
	pthread_rwlock_unlock(&s->names_lock);
	pt_fd_release(s, dfd);
	if (rc)
		return rc;
	*out = &n->base;
	return 0;
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

/*
 * Who a new object in a directory of mode @dir_mode must belong to: the
 * caller, with the directory's group when it is setgid (the kernel already
 * gave that). Returns false when the kernel's choice (our own ids) is right.
 */
static bool pt_new_owner(const struct pt_store *s, mode_t dir_mode,
			 const struct store_cred *cred, uid_t *uid, gid_t *gid)
{
	*uid = cred->uid;
	*gid = dir_mode & S_ISGID ? (gid_t)-1 : cred->gid;
	return *uid != s->uid || (*gid != (gid_t)-1 && *gid != s->gid);
}

static int pt_chown_new(struct pt_store *s, int dfd, const char *name,
			mode_t dir_mode, const struct store_cred *cred)
{
	uid_t uid;
	gid_t gid;

	if (!pt_new_owner(s, dir_mode, cred, &uid, &gid))
		return 0;
	if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/*
 * Like pt_chown_new() through the new file's fd; restores set-id bits.
 * Returns 1 when it changed the owner.
 */
static int pt_fchown_new(struct pt_store *s, int fd, mode_t mode,
			 mode_t dir_mode, const struct store_cred *cred)
{
	uid_t uid;
	gid_t gid;

	if (!pt_new_owner(s, dir_mode, cred, &uid, &gid))
		return 0;
	if (fchown(fd, uid, gid) < 0)
		return -errno;
	/* chown cleared the set-id bits the caller asked for */
	if ((mode & (S_ISUID | S_ISGID)) && fchmod(fd, mode & 07777) < 0)
		return -errno;
	return 1;
}

/*
 * Takes back a new entry after a later step failed, if @name is still the
 * object @st describes (another caller may have replaced it meanwhile).
 * Returns true when it was removed.
 */
static bool pt_remove_new(int dfd, const char *name, const struct stat *st)
{
	struct stat now;

	if (fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return false;
	return unlinkat(dfd, name,
			S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0) == 0;
}

/*
 * The end of mknod, mkdir and symlink: ownership, the new entry's
 * attributes and its node. On failure the new entry is removed again when
 * it can be told apart; *@removed says whether it was. Called with
 * names_lock held for reading since the entry was made.
 */
static int pt_finish_new(struct pt_store *s, struct pt_node *dir, int dfd,
			 const char *name, const struct stat *dst,
			 const struct store_cred *cred, struct snode **out,
			 struct stat *st, bool *removed)
{
	struct pt_node *n;
	int rc;

	*removed = false;
	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	rc = pt_chown_new(s, dfd, name, dst->st_mode, cred);
	if (rc)
		goto out_remove;
	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		goto out_remove;
	}
	rc = pt_node_find_or_add(s, dir, name, st, true, &n);
	if (rc)
		goto out_remove;
	*out = &n->base;
	return 0;

out_remove:
	*removed = pt_remove_new(dfd, name, st);
	return rc;
}

static int pt_mknod(struct store *ss, struct snode *sdir, const char *name,
		    mode_t mode, dev_t rdev, const struct store_cred *cred,
		    struct snode **out, struct stat *st)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *dir = pt_node(sdir);
	struct stat dst;
	bool removed;
	int dfd, rc;

	rc = pt_check_name(name);
	if (rc)
		return rc;
	if (S_ISDIR(mode))
		return -EPERM;
	dfd = pt_dir_open(s, dir, &dst);
	if (dfd < 0)
		return dfd;
	pthread_rwlock_rdlock(&s->names_lock);
	if (mknodat(dfd, name, mode, rdev) < 0)
		rc = -errno;
	else
		rc = pt_finish_new(s, dir, dfd, name, &dst, cred, out, st,
				   &removed);
	pthread_rwlock_unlock(&s->names_lock);
	pt_fd_release(s, dfd);
	return rc;
}

static int pt_mkdir(struct store *ss, struct snode *sdir, const char *name,
		    mode_t mode, const struct store_cred *cred,
		    struct snode **out, struct stat *st)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *dir = pt_node(sdir);
	struct stat dst;
	bool removed;
	int dfd, rc;

	rc = pt_check_name(name);
	if (rc)
		return rc;
	dfd = pt_dir_open(s, dir, &dst);
	if (dfd < 0)
		return dfd;
	pthread_rwlock_rdlock(&s->names_lock);
	if (mkdirat(dfd, name, mode & 07777) < 0)
		rc = -errno;
	else
		rc = pt_finish_new(s, dir, dfd, name, &dst, cred, out, st,
				   &removed);
	pthread_rwlock_unlock(&s->names_lock);
	pt_fd_release(s, dfd);
	return rc;
}

static int pt_symlink(struct store *ss, struct snode *sdir, const char *name,
		      const char *target, const struct store_cred *cred,
		      struct snode **out, struct stat *st)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *dir = pt_node(sdir);
	size_t len = strlen(target);
	struct stat dst;
	bool removed;
	int dfd, rc;

	rc = pt_check_name(name);
	if (rc)
		return rc;
	dfd = pt_dir_open(s, dir, &dst);
	if (dfd < 0)
		return dfd;
	rc = s->acct ? store_charge(ss, len) : 0;
	if (rc)
		goto out_release;
	pthread_rwlock_rdlock(&s->names_lock);
	if (symlinkat(target, dfd, name) < 0) {
		rc = -errno;
		removed = true;		/* never made: the charge goes back */
	} else {
		rc = pt_finish_new(s, dir, dfd, name, &dst, cred, out, st,
				   &removed);
	}
	pthread_rwlock_unlock(&s->names_lock);
	if (!rc || !removed)
		goto out_release;
	if (s->acct)
		store_uncharge(ss, len);
out_release:
	pt_fd_release(s, dfd);
	return rc;
}

/*
 * linkat by name, for a daemon without CAP_DAC_READ_SEARCH (which
 * AT_EMPTY_PATH needs). The new entry is checked to be @n. Called with
 * names_lock held for reading.
 */
static int pt_link_by_name(struct pt_store *s, struct pt_node *n, int dfd,
			   const char *name)
{
	char oldname[NAME_MAX + 1];
	struct stat st;
	int odfd, rc = 0;

	odfd = pt_node_open_parent_locked(s, n, oldname);
	if (odfd < 0)
		return odfd;
	if (linkat(odfd, oldname, dfd, name, 0) < 0) {
		rc = -errno;
		goto out_release;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !pt_stat_matches(n, &st)) {
		unlinkat(dfd, name, 0);
		rc = -ESTALE;
	}
out_release:
	pt_fd_release(s, odfd);
	return rc;
}

/*
 * An fd of the open file @n that has no name (a tmpfile), or -ENOENT. The
 * host refuses to link it if it once had names, as it should.
 */
static int pt_node_dup_open(struct pt_node *n)
{
	int fd = -ENOENT;

	pthread_mutex_lock(&n->lock);
	if (n->files) {
		fd = fcntl(n->files->base.fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
	}
	pthread_mutex_unlock(&n->lock);
	return fd;
}

/*
 * linkat of the unnamed file @fd through its /proc/self/fd magic link, for
 * a daemon without CAP_DAC_READ_SEARCH (which AT_EMPTY_PATH needs).
 */
static int pt_link_by_proc(int fd, int dfd, const char *name)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, path, dfd, name, AT_SYMLINK_FOLLOW) < 0 ?
	       -errno : 0;
}

static int pt_link(struct store *ss, struct snode *sn, struct snode *sdir,
		   const char *name, struct snode **out, struct stat *st)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *n = pt_node(sn), *dir = pt_node(sdir);
	bool unnamed = false;
	int fd, dfd, rc;

	rc = pt_check_name(name);
	if (rc)
		return rc;
	if (n->type == S_IFDIR)
		return -EPERM;
	fd = pt_node_open(s, n, O_PATH, NULL);
	if (fd == -ENOENT) {
		fd = pt_node_dup_open(n);
		unnamed = fd >= 0;
	}
	if (fd < 0)
		return fd;
	dfd = pt_dir_open(s, dir, NULL);
	if (dfd < 0) {
		rc = dfd;
		goto out_release_fd;
	}
	pthread_rwlock_rdlock(&s->names_lock);
	if (s->acct)
		pthread_mutex_lock(&s->ns_lock);
	if (linkat(fd, "", dfd, name, AT_EMPTY_PATH) < 0) {
		rc = -errno;
		if (rc == -EPERM)
			rc = unnamed ? pt_link_by_proc(fd, dfd, name) :
				       pt_link_by_name(s, n, dfd, name);
	}
	if (s->acct)
		pthread_mutex_unlock(&s->ns_lock);
	if (rc)
		goto out_unlock;
	if (fstat(fd, st) < 0) {
		rc = -errno;
		goto out_unlock;
	}
	rc = pt_node_relink(s, n, NULL, NULL, dir, name);
	if (rc)
		goto out_unlock;
	pt_node_get(n);
	*out = &n->base;
out_unlock:
	pthread_rwlock_unlock(&s->names_lock);
	pt_fd_release(s, dfd);
out_release_fd:
	pt_fd_release(s, fd);
	return rc;
}

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
static int pt_file_make(struct pt_store *s, struct pt_node *n, int fd,
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

static int pt_open_flags(const struct pt_store *s, int flags)
{
	flags &= PT_OPEN_FLAGS;
	if (s->acct)
		flags &= ~O_TRUNC;
	return flags;
}

static int pt_create(struct store *ss, struct snode *sdir, const char *name,
		     mode_t mode, int flags, const struct store_cred *cred,
		     struct snode **out, struct stat *st,
		     struct store_file **f)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *dir = pt_node(sdir), *n;
	int oflags = pt_open_flags(s, flags) | O_NOFOLLOW | O_CLOEXEC;
	bool created = true;
	struct stat dst;
	int dfd, fd, rc;

	rc = pt_check_name(name);
	if (rc)
		return rc;
	dfd = pt_dir_open(s, dir, &dst);
	if (dfd < 0)
		return dfd;
	pthread_rwlock_rdlock(&s->names_lock);
	fd = openat(dfd, name, oflags | O_CREAT | O_EXCL, mode & 07777);
	if (fd < 0 && errno == EEXIST && !(flags & O_EXCL)) {
		created = false;
		fd = openat(dfd, name, oflags);
	}
	if (fd < 0) {
		rc = -errno;
		goto out_unlock;
	}
	if (fstat(fd, st) < 0) {
		rc = -errno;
		close(fd);
		goto out_unlock;
	}
	if (created) {
		rc = pt_fchown_new(s, fd, mode, dst.st_mode, cred);
		if (rc > 0)
			rc = fstat(fd, st) < 0 ? -errno : 0;
		if (rc)
			goto out_close;
	}
	rc = pt_node_find_or_add(s, dir, name, st, true, &n);
	if (rc)
		goto out_close;
	rc = pt_file_make(s, n, fd, oflags | (flags & O_TRUNC), f);
	if (rc) {
		pt_node_put(s, n);
		goto out_close;
	}
	if ((flags & O_TRUNC) && s->acct)
		fstat(fd, st);
	*out = &n->base;
	goto out_unlock;

out_close:
	close(fd);
	if (created)
		pt_remove_new(dfd, name, st);
out_unlock:
	pthread_rwlock_unlock(&s->names_lock);
	pt_fd_release(s, dfd);
	return rc;
}

/*
 * A file with no name (O_TMPFILE) in @dir: a node with no link, reached
 * through its open handles until link() names it. With a limit its
 * blocks are charged as they are written and given back at its last
 * close, as an unlinked open file's (orphan).
 */
static int pt_tmpfile(struct store *ss, struct snode *sdir, mode_t mode,
		      int flags, const struct store_cred *cred,
		      struct snode **out, struct stat *st,
		      struct store_file **f)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *dir = pt_node(sdir), *n;
	/* never O_EXCL on the host: the kernel keeps the mount's file unlinkable */
	int oflags = (pt_open_flags(s, flags) & ~O_TRUNC) | O_CLOEXEC;
	struct stat dst;
	int dfd, fd, rc;

	dfd = pt_dir_open(s, dir, &dst);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, ".", oflags | O_TMPFILE, mode & 07777);
	rc = fd < 0 ? -errno : 0;
	pt_fd_release(s, dfd);
	if (rc)
		return rc;
	if (fstat(fd, st) < 0) {
		rc = -errno;
		goto out_close;
	}
	rc = pt_fchown_new(s, fd, mode, dst.st_mode, cred);
	if (rc > 0)
		rc = fstat(fd, st) < 0 ? -errno : 0;
	if (rc)
		goto out_close;
	rc = pt_node_find_or_add(s, NULL, NULL, st, false, &n);
	if (rc)
		goto out_close;
	pthread_mutex_lock(&n->lock);
	n->orphan = s->acct;
	pthread_mutex_unlock(&n->lock);
	rc = pt_file_make(s, n, fd, oflags, f);
	if (rc) {
		pt_node_put(s, n);
		goto out_close;
	}
	*out = &n->base;
	return 0;

out_close:
	close(fd);
	return rc;
}

/*
 * unlink, or rmdir with AT_REMOVEDIR in @flags: the entry @name of @dir
 * goes, and so does the name from the node of what it was.
 */
static int pt_remove(struct pt_store *s, struct pt_node *dir, const char *name,
		     int flags)
{
	struct stat st;
	bool seen;
	int dfd, rc;

	rc = pt_check_name(name);
	if (rc)
		return rc;
	dfd = pt_dir_open(s, dir, NULL);
	if (dfd < 0)
		return dfd;
	pthread_rwlock_wrlock(&s->names_lock);
	/* When this fails, so does the removal, and says why */
	seen = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!s->acct)
		rc = unlinkat(dfd, name, flags) < 0 ? -errno : 0;
	else if (flags & AT_REMOVEDIR)
		rc = pt_acct_rmdir(s, dfd, name);
	else
		rc = pt_acct_unlink(s, dir, dfd, name);
	if (!rc && seen)
		pt_node_unlinked(s, dir, name, &st);
	pthread_rwlock_unlock(&s->names_lock);
	pt_fd_release(s, dfd);
	return rc;
}

static int pt_unlink(struct store *ss, struct snode *sdir, const char *name)
{
	return pt_remove(pt_store(ss), pt_node(sdir), name, 0);
}

static int pt_rmdir(struct store *ss, struct snode *sdir, const char *name)
{
	return pt_remove(pt_store(ss), pt_node(sdir), name, AT_REMOVEDIR);
}

/*
 * After a rename, with names_lock held for writing: the node now at @name
 * of @dir (open as @dfd) was at @oldname of @olddir, and replaced what
 * @victim (may be NULL) described.
 */
static void pt_rename_moved(struct pt_store *s, int dfd, struct pt_node *dir,
			    const char *name, struct pt_node *olddir,
			    const char *oldname, const struct stat *victim)
{
	struct pt_node *n;
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (victim) {
		/* Two links of one inode: rename(2) did nothing */
		if (victim->st_dev == st.st_dev && victim->st_ino == st.st_ino)
			return;
		pt_node_unlinked(s, dir, name, victim);
	}
	n = pt_node_find(s, st.st_dev, st.st_ino);
	if (!n)
		return;
	if (pt_stat_matches(n, &st))
		pt_node_relink(s, n, olddir, oldname, dir, name);
	pt_node_put(s, n);
}

static int pt_rename(struct store *ss, struct snode *sdir, const char *name,
		     struct snode *snewdir, const char *newname,
		     unsigned int flags)
{
	struct pt_store *s = pt_store(ss);
	struct pt_node *dir = pt_node(sdir), *newdir = pt_node(snewdir);
	struct stat victim;
	bool replaces;
	int dfd, ndfd, rc;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	rc = pt_check_name(name);
	if (!rc)
		rc = pt_check_name(newname);
	if (rc)
		return rc;
	dfd = pt_dir_open(s, dir, NULL);
	if (dfd < 0)
		return dfd;
	ndfd = newdir == dir ? dfd : pt_dir_open(s, newdir, NULL);
	if (ndfd < 0) {
		rc = ndfd;
		goto out_release;
	}
	pthread_rwlock_wrlock(&s->names_lock);
	replaces = !flags && fstatat(ndfd, newname, &victim,
				     AT_SYMLINK_NOFOLLOW) == 0;
	if (s->acct)
		rc = pt_acct_rename(s, newdir, dfd, name, ndfd, newname, flags);
	else if (renameat2(dfd, name, ndfd, newname, flags) < 0)
		rc = -errno;
	if (rc)
		goto out_unlock;
	pt_rename_moved(s, ndfd, newdir, newname, dir, name,
			replaces ? &victim : NULL);
	if (flags & RENAME_EXCHANGE)
		pt_rename_moved(s, dfd, dir, name, newdir, newname, NULL);
out_unlock:
	pthread_rwlock_unlock(&s->names_lock);
	if (ndfd != dfd)
		pt_fd_release(s, ndfd);
out_release:
	pt_fd_release(s, dfd);
	return rc;
}

static int pt_open(struct store *ss, struct snode *sn, int flags,
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

static ssize_t pt_read(struct store *ss, struct store_file *f, char *buf,
		       size_t size, off_t off)
{
	ssize_t r = pread(f->fd, buf, size, off);

	(void)ss;
	return r < 0 ? -errno : r;
}

static ssize_t pt_write(struct store *ss, struct store_file *sf,
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
static int pt_flush(struct store *ss, struct store_file *f)
{
	(void)ss;
	(void)f;
	return 0;
}

static int pt_fsync(struct store *ss, struct store_file *f, bool datasync)
{
	int r = datasync ? fdatasync(f->fd) : fsync(f->fd);

	(void)ss;
	return r < 0 ? -errno : 0;
}

static int pt_fallocate(struct store *ss, struct store_file *f, int mode,
			off_t off, off_t len)
{
	struct pt_store *s = pt_store(ss);

	if (s->acct)
		return pt_acct_fallocate(s, pt_file(f), mode, off, len);
	return fallocate(f->fd, mode, off, len) < 0 ? -errno : 0;
}

static off_t pt_lseek(struct store *ss, struct store_file *f, off_t off,
		      int whence)
{
	off_t r;

	(void)ss;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	r = lseek(f->fd, off, whence);
	return r < 0 ? -errno : r;
}

static void pt_release(struct store *ss, struct store_file *sf)
{
	struct pt_store *s = pt_store(ss);

	pt_file_unlink(pt_node(sf->node), pt_file(sf));
	if (s->acct)
		pt_acct_release(s, pt_node(sf->node), sf->fd);
	pt_file_free(s, pt_file(sf));
}

static int pt_opendir(struct store *ss, struct snode *sn,
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
static int pt_readdir(struct store *ss, struct store_file *sf, off_t off,
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

static void pt_releasedir(struct store *ss, struct store_file *f)
{
	pt_file_free(pt_store(ss), pt_file(f));
}

static int pt_fsyncdir(struct store *ss, struct store_file *f, bool datasync)
{
	return pt_fsync(ss, f, datasync);
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
	if (!rc && ss->limit)
		store_statfs_limit(ss, st);
	return rc;
}

/*
 * Where an xattr call goes: a real fd for files and directories (xattr
 * calls refuse O_PATH fds), else the parent directory and the name for the
 * *xattrat() calls (Linux 6.13+), which act on a symlink itself. Returns
 * 0 with *fd or *dfd and @name set, or -errno; -EOPNOTSUPP for symlinks and
 * special files on older kernels.
 */
static int pt_xattr_target(struct pt_store *s, struct pt_node *n, int *fd,
			   int *dfd, char name[NAME_MAX + 1], int *at_flags)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;

	*fd = -1;
	*dfd = -1;
	*at_flags = AT_SYMLINK_NOFOLLOW;
	if (n->type == S_IFREG || n->type == S_IFDIR) {
		if (n->type == S_IFDIR)
			flags |= O_DIRECTORY;
		*fd = pt_node_open(s, n, flags, NULL);
		return *fd < 0 ? *fd : 0;
	}
	if (__atomic_load_n(&s->no_xattrat, __ATOMIC_RELAXED))
		return -EOPNOTSUPP;
	if (n == s->root) {
		/* A socket or device root has no parent: its own fd's magic link */
		*dfd = AT_FDCWD;
		*at_flags = 0;
		snprintf(name, NAME_MAX + 1, "/proc/self/fd/%d", s->root_fd);
		return 0;
	}
	*dfd = pt_node_open_parent(s, n, name);
	return *dfd < 0 ? *dfd : 0;
}

/* A *xattrat() result; notes a kernel that lacks the calls. */
static long pt_xattrat_result(struct pt_store *s, long r)
{
	if (r >= 0)
		return r;
	if (errno != ENOSYS)
		return -errno;
	__atomic_store_n(&s->no_xattrat, 1, __ATOMIC_RELAXED);
	return -EOPNOTSUPP;
}

static int pt_setxattr(struct store *ss, struct snode *sn, const char *name,
		       const char *value, size_t size, int flags)
{
	struct pt_store *s = pt_store(ss);
	struct pt_xattr_args args = {
		.value = (uintptr_t)value, .size = size, .flags = flags,
	};
	char ename[NAME_MAX + 1];
	int fd, dfd, at_flags;
	long r;

	r = pt_xattr_target(s, pt_node(sn), &fd, &dfd, ename, &at_flags);
	if (r)
		return r;
	if (fd >= 0) {
		r = fsetxattr(fd, name, value, size, flags) < 0 ? -errno : 0;
		pt_fd_release(s, fd);
	} else {
		r = syscall(SYS_setxattrat, dfd, ename, at_flags,
			    name, &args, sizeof(args));
		r = pt_xattrat_result(s, r);
		pt_fd_release(s, dfd);
	}
	return r;
}

static ssize_t pt_getxattr(struct store *ss, struct snode *sn,
			   const char *name, char *value, size_t size)
{
	struct pt_store *s = pt_store(ss);
	struct pt_xattr_args args = { .value = (uintptr_t)value, .size = size };
	char ename[NAME_MAX + 1];
	int fd, dfd, at_flags;
	long r;

	r = pt_xattr_target(s, pt_node(sn), &fd, &dfd, ename, &at_flags);
	if (r)
		return r;
	if (fd >= 0) {
		r = fgetxattr(fd, name, value, size);
		r = r < 0 ? -errno : r;
		pt_fd_release(s, fd);
	} else {
		r = syscall(SYS_getxattrat, dfd, ename, at_flags,
			    name, &args, sizeof(args));
		r = pt_xattrat_result(s, r);
		pt_fd_release(s, dfd);
	}
	return r;
}

static ssize_t pt_listxattr(struct store *ss, struct snode *sn, char *list,
			    size_t size)
{
	struct pt_store *s = pt_store(ss);
	char ename[NAME_MAX + 1];
	int fd, dfd, at_flags;
	long r;

	r = pt_xattr_target(s, pt_node(sn), &fd, &dfd, ename, &at_flags);
	if (r)
		return r;
	if (fd >= 0) {
		r = flistxattr(fd, list, size);
		r = r < 0 ? -errno : r;
		pt_fd_release(s, fd);
	} else {
		r = syscall(SYS_listxattrat, dfd, ename, at_flags,
			    list, size);
		r = pt_xattrat_result(s, r);
		pt_fd_release(s, dfd);
	}
	return r;
}

static int pt_removexattr(struct store *ss, struct snode *sn,
			  const char *name)
{
	struct pt_store *s = pt_store(ss);
	char ename[NAME_MAX + 1];
	int fd, dfd, at_flags;
	long r;

	r = pt_xattr_target(s, pt_node(sn), &fd, &dfd, ename, &at_flags);
	if (r)
		return r;
	if (fd >= 0) {
		r = fremovexattr(fd, name) < 0 ? -errno : 0;
		pt_fd_release(s, fd);
	} else {
		r = syscall(SYS_removexattrat, dfd, ename, at_flags,
			    name);
		r = pt_xattrat_result(s, r);
		pt_fd_release(s, dfd);
	}
	return r;
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
