/*
 * passthrough_xattr.c - the passthrough store's extended attributes: on the
 * object's own fd for files and directories, else through its parent's fd
 * with the *xattrat() calls of Linux 6.13, which act on a symlink itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "passthrough_i.h"

/* Newer than Debian 12's headers; the same number on every arch but alpha. */
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

int pt_setxattr(struct store *ss, struct snode *sn, const char *name,
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

ssize_t pt_getxattr(struct store *ss, struct snode *sn,
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

ssize_t pt_listxattr(struct store *ss, struct snode *sn, char *list,
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

int pt_removexattr(struct store *ss, struct snode *sn,
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
