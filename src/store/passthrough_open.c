/*
 * passthrough_open.c - how the passthrough store reaches a node: a path
 * rebuilt from one of its links up to the root, opened beneath the root fd
 * with openat2() and checked against the node; on failure the next link,
 * then one more try under names_lock before ESTALE (see passthrough_node.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "passthrough_i.h"

#define PT_RESOLVE	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | \
			 RESOLVE_NO_MAGICLINKS)

/* Past a node's last link; never an error openat2 or fstat gives. */
#define PT_NO_LINK	(-ENODATA)
/* The store itself removed every name of the node; not an errno either. */
#define PT_REMOVED	(-EIDRM)

/* A path being built: in @stack when it fits, else in @heap. */
struct pt_path {
	char *p;
	char *heap;
	char stack[PATH_MAX];
};

static void pt_path_release(struct pt_path *p)
{
	free(p->heap);
	p->heap = NULL;
}

/*
 * Builds the path of @n (not the root) through its link number @which,
 * relative to the root, into @p. Returns its length, PT_REMOVED when @n has
 * no link at all, PT_NO_LINK when it has no such link, -ENOENT when the
 * store removed a directory on the way, -ELOOP when too deep, -ENOMEM.
 * Called with tree_lock held.
 */
static ssize_t pt_path_build(const struct pt_store *s, const struct pt_node *n,
			     unsigned int which, struct pt_path *p)
{
	const struct pt_link *l = n->links;
	const struct pt_link *first;
	const struct pt_node *d;
	unsigned int depth = 0;
	size_t len = 0, nl;
	char *end;

	if (!l)
		return PT_REMOVED;
	while (l && which--)
		l = l->next;
	if (!l)
		return PT_NO_LINK;
	first = l;
	for (; l; l = d->links) {
		if (++depth > PT_MAX_DEPTH)
			return -ELOOP;
		len += strlen(l->name) + 1;
		d = l->parent;
	}
	if (d != s->root)
		return -ENOENT;
	p->heap = NULL;
	p->p = p->stack;
	if (len > sizeof(p->stack)) {
		p->heap = malloc(len);
		if (!p->heap)
			return -ENOMEM;
		p->p = p->heap;
	}
	end = p->p + len - 1;
	*end = '\0';
	for (l = first; l; l = l->parent->links) {
		nl = strlen(l->name);
		end -= nl;
		memcpy(end, l->name, nl);
		if (end > p->p)
			*--end = '/';
	}
	return len - 1;
}

static int pt_openat2(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.resolve = PT_RESOLVE,
	};
	int tries = 0;
	long fd;

	do {
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	} while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 8);
	return fd < 0 ? -errno : (int)fd;
}

/*
 * openat2 refuses paths of PATH_MAX bytes or more: walk those in pieces,
 * each opened as a directory beneath the previous one. Safe for the same
 * reasons as one piece: no "..", no symlink, each piece beneath the last.
 * Modifies @path.
 */
static int pt_resolve(int root_fd, char *path, size_t len, int flags)
{
	int dfd = root_fd, fd;
	char *cut;

	while (len >= PATH_MAX) {
		cut = memrchr(path, '/', PATH_MAX - 1);
		if (!cut)
			return -ENAMETOOLONG;
		*cut = '\0';
		fd = pt_openat2(dfd, path, O_PATH | O_DIRECTORY);
		if (dfd != root_fd)
			close(dfd);
		if (fd < 0)
			return fd;
		dfd = fd;
		len -= cut + 1 - path;
		path = cut + 1;
	}
	fd = pt_openat2(dfd, path, flags);
	if (dfd != root_fd)
		close(dfd);
	return fd;
}

void pt_fd_release(struct pt_store *s, int fd)
{
	if (fd >= 0 && fd != s->root_fd)
		close(fd);
}

/*
 * Opens the object @fd refers to anew with @flags, through its
 * /proc/self/fd magic link: the one way to get a readable or writable fd
 * from an O_PATH fd of a non-directory, or a second open file description
 * of an open file. The link leads to that very object and nothing else,
 * even after it was renamed or unlinked. Returns the fd or -errno.
 */
int pt_reopen(int fd, int flags)
{
	char path[32];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
	return nfd < 0 ? -errno : nfd;
}

/*
 * The root is the object itself: a directory is opened anew as ".", any
 * other object (the root of a file, socket or device hostPath) through
 * pt_reopen(), and checked to be the root still.
 */
static int pt_root_open(struct pt_store *s, int flags, struct stat *st)
{
	int fd = s->root_fd, rc;
	struct stat tmp;

	if (!(flags & O_PATH) && s->root->type == S_IFDIR) {
		fd = pt_openat2(s->root_fd, ".", flags);
		if (fd < 0)
			return fd;
	} else if (!(flags & O_PATH)) {
		fd = pt_reopen(s->root_fd, flags);
		if (fd < 0)
			return fd;
		if (!st)
			st = &tmp;
	}
	if (st && fstat(fd, st) < 0) {
		rc = -errno;
		pt_fd_release(s, fd);
		return rc;
	}
	if (st && fd != s->root_fd && !pt_stat_matches(s->root, st)) {
		pt_fd_release(s, fd);
		return -ESTALE;
	}
	return fd;
}

/* Moves @n's link number @which to the front, if it is still there. */
static void pt_link_promote(struct pt_store *s, struct pt_node *n,
			    unsigned int which)
{
	struct pt_link **pp, *l;

	pthread_rwlock_wrlock(&s->tree_lock);
	for (pp = &n->links; *pp && which; pp = &(*pp)->next)
		which--;
	l = *pp;
	if (l && l != n->links) {
		*pp = l->next;
		l->next = n->links;
		n->links = l;
	}
	pthread_rwlock_unlock(&s->tree_lock);
}

/* Opens link @which of @n. Returns the fd, PT_NO_LINK past the last link. */
static int pt_open_link(struct pt_store *s, struct pt_node *n,
			unsigned int which, int flags, struct stat *st)
{
	struct pt_path path;
	ssize_t len;
	int fd, rc;

	pthread_rwlock_rdlock(&s->tree_lock);
	len = pt_path_build(s, n, which, &path);
	pthread_rwlock_unlock(&s->tree_lock);
	if (len < 0)
		return len;
	fd = pt_resolve(s->root_fd, path.p, len, flags);
	pt_path_release(&path);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (!pt_stat_matches(n, st)) {
		rc = -ESTALE;
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return rc;
}

static bool pt_try_next_link(int err)
{
	return err == -ENOENT || err == -ESTALE || err == -ENOTDIR ||
	       err == -ELOOP;
}

/*
 * One try of pt_node_open() for @n, not the root, with no names_lock of its
 * own: the fd, PT_REMOVED, or the error pt_node_open() would give.
 */
static int pt_node_try_open(struct pt_store *s, struct pt_node *n, int flags,
			    struct stat *st)
{
	struct stat tmp;
	unsigned int i;
	int fd, err = -ESTALE;

	for (i = 0;; i++) {
		fd = pt_open_link(s, n, i, flags, st ? st : &tmp);
		if (fd >= 0) {
			if (i > 0)
				pt_link_promote(s, n, i);
			return fd;
		}
		/*
		 * A name that no longer resolves is ESTALE, as on NFS: the
		 * caller's kernel then looks the path up again instead of
		 * trusting a name the host removed (an O_CREAT open through
		 * such a name would otherwise fail with ENOENT).
		 */
		if (fd == PT_NO_LINK)
			return i && err != -ENOENT ? err : -ESTALE;
		if (!pt_try_next_link(fd))
			return fd;
		if (i == 0)
			err = fd;
	}
}

/*
 * Opens @n with open(2) @flags (O_NOFOLLOW and O_CLOEXEC added) beneath the
 * root, through the first of its names that still leads to it, and fills
 * @st (may be NULL) from the opened fd. Returns the fd, which the caller
 * gives back with pt_fd_release() (it may be the root fd itself), or
 * -ESTALE (the host changed the names: they lead to other objects or to
 * none), -ENOENT (the store removed them), -ELOOP (a symlink on the way),
 * or another -errno. Called without names_lock.
 */
int pt_node_open(struct pt_store *s, struct pt_node *n, int flags,
		 struct stat *st)
{
	int fd;

	if (n == s->root)
		return pt_root_open(s, flags, st);
	fd = pt_node_try_open(s, n, flags, st);
	if (pt_try_next_link(fd)) {
		/* Maybe raced with a change made through the store: once more */
		pthread_rwlock_rdlock(&s->names_lock);
		fd = pt_node_try_open(s, n, flags, st);
		pthread_rwlock_unlock(&s->names_lock);
	}
	return fd == PT_REMOVED ? -ENOENT : fd;
}

/* One try of pt_node_open_parent(), PT_REMOVED when @n has no link. */
static int pt_node_try_open_parent(struct pt_store *s, struct pt_node *n,
				   char name[NAME_MAX + 1])
{
	struct pt_node *dir;
	struct pt_link *l;
	struct stat st;
	unsigned int i, j;
	int dfd, err = PT_REMOVED;

	for (i = 0;; i++) {
		pthread_rwlock_rdlock(&s->tree_lock);
		for (l = n->links, j = 0; l && j < i; l = l->next)
			j++;
		dir = l ? l->parent : NULL;
		if (l) {
			pt_node_get(dir);
			memcpy(name, l->name, strlen(l->name) + 1);
		}
		pthread_rwlock_unlock(&s->tree_lock);
		if (!dir)
			return err;
		if (dir == s->root)
			dfd = pt_root_open(s, O_PATH | O_DIRECTORY, NULL);
		else
			dfd = pt_node_try_open(s, dir, O_PATH | O_DIRECTORY,
					       NULL);
		pt_node_put(s, dir);
		if (dfd == PT_REMOVED)
			dfd = -ENOENT;
		if (dfd < 0) {
			if (!pt_try_next_link(dfd))
				return dfd;
			err = dfd;
			continue;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    pt_stat_matches(n, &st))
			return dfd;
		err = -ESTALE;
		pt_fd_release(s, dfd);
	}
}

/*
 * For calls that only take a name (xattrs of symlinks and special files):
 * opens the directory holding one of @n's names, checks that the name there
 * is still @n, and copies the name to @name. Returns the directory fd (give
 * it back with pt_fd_release()) or -errno, as pt_node_open() does. The check
 * and the later call are not atomic; a race can only reach another entry of
 * the same directory. Called without names_lock.
 */
int pt_node_open_parent(struct pt_store *s, struct pt_node *n,
			char name[NAME_MAX + 1])
{
	int dfd;

	dfd = pt_node_try_open_parent(s, n, name);
	if (pt_try_next_link(dfd)) {
		pthread_rwlock_rdlock(&s->names_lock);
		dfd = pt_node_try_open_parent(s, n, name);
		pthread_rwlock_unlock(&s->names_lock);
	}
	return dfd == PT_REMOVED ? -ENOENT : dfd;
}

/* pt_node_open_parent() for a caller that holds names_lock. */
int pt_node_open_parent_locked(struct pt_store *s, struct pt_node *n,
			       char name[NAME_MAX + 1])
{
	int dfd = pt_node_try_open_parent(s, n, name);

	return dfd == PT_REMOVED ? -ENOENT : dfd;
}
