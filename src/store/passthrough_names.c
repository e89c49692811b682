/*
 * passthrough_names.c - the passthrough store's names: lookup, the create
 * family (mknod, mkdir, symlink, create, O_TMPFILE), link, unlink, rmdir
 * and rename, each an *at() call on the parent directory's fd with one
 * checked name. A new object gets the caller as its owner. unlink, rmdir
 * and rename hold names_lock for writing across the host call and the
 * update of the nodes' links; the others hold it for reading from the host
 * call to the record of the name they saw or made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "passthrough_i.h"

/* Opens the directory @dir as an O_PATH fd for *at() calls. */
static int pt_dir_open(struct pt_store *s, struct pt_node *dir,
		       struct stat *st)
{
	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	return pt_node_open(s, dir, O_PATH | O_DIRECTORY, st);
}

int pt_lookup(struct store *ss, struct snode *sdir, const char *name,
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

int pt_mknod(struct store *ss, struct snode *sdir, const char *name,
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

int pt_mkdir(struct store *ss, struct snode *sdir, const char *name,
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

int pt_symlink(struct store *ss, struct snode *sdir, const char *name,
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

int pt_link(struct store *ss, struct snode *sn, struct snode *sdir,
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

int pt_create(struct store *ss, struct snode *sdir, const char *name,
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
int pt_tmpfile(struct store *ss, struct snode *sdir, mode_t mode,
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

int pt_unlink(struct store *ss, struct snode *sdir, const char *name)
{
	return pt_remove(pt_store(ss), pt_node(sdir), name, 0);
}

int pt_rmdir(struct store *ss, struct snode *sdir, const char *name)
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

int pt_rename(struct store *ss, struct snode *sdir, const char *name,
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
