/*
 * xattr.c - extended attributes: setxattr, getxattr, listxattr and
 * removexattr, passed on to the store. A virtual node has none. A store
 * without them lists none, refuses to set or remove one (EOPNOTSUPP), and
 * answers a read with EOPNOTSUPP, or ENODATA for a POSIX ACL (below).
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "ops_i.h"

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags)
{
	struct fnode *fn = node_of(req, ino);
	struct store *s;

	if (is_read_only(fn)) {
		reply_err(req, EROFS);
		return;
	}
	s = fn->view->store;
	if (!s->ops->setxattr) {
		reply_err(req, EOPNOTSUPP);
		return;
	}
	reply_changed(req, fn, s->ops->setxattr(s, fn->sn, name, value, size,
						flags), false);
}

/* Replies to getxattr or listxattr: a length when @size is 0, else the bytes. */
static void reply_xattr(fuse_req_t req, ssize_t n, const char *buf,
			size_t size)
{
	if (n < 0)
		reply_err(req, (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, n);
	else
		fuse_reply_buf(req, buf, n);
}

/*
 * The mount asks for POSIX ACLs (FUSE_CAP_POSIX_ACL), so the kernel reads
 * them for each permission check and fails the check with any answer but
 * ENODATA: a store without extended attributes (NFSv3) has no ACL either.
 */
static ssize_t acl_none(const char *name, ssize_t n)
{
	return n == -EOPNOTSUPP && !strncmp(name, "system.posix_acl_", 17) ?
		-ENODATA : n;
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 size_t size)
{
	struct fnode *fn = node_of(req, ino);
	char *buf = NULL;
	struct store *s;
	ssize_t n;

	if (!fn->view || !fn->view->store->ops->getxattr) {
		reply_err(req, fn->view ? -acl_none(name, -EOPNOTSUPP) :
				    ENODATA);
		return;
	}
	if (size && !(buf = malloc(size))) {
		reply_err(req, ENOMEM);
		return;
	}
	s = fn->view->store;
	n = acl_none(name, s->ops->getxattr(s, fn->sn, name, buf, size));
	reply_xattr(req, n, buf, size);
	free(buf);
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fnode *fn = node_of(req, ino);
	char *buf = NULL;
	struct store *s;
	ssize_t n;

	if (!fn->view || !fn->view->store->ops->listxattr) {
		reply_xattr(req, 0, NULL, 0);
		return;
	}
	if (size && !(buf = malloc(size))) {
		reply_err(req, ENOMEM);
		return;
	}
	s = fn->view->store;
	n = s->ops->listxattr(s, fn->sn, buf, size);
	reply_xattr(req, n, buf, size);
	free(buf);
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fnode *fn = node_of(req, ino);
	struct store *s;

	if (is_read_only(fn)) {
		reply_err(req, EROFS);
		return;
	}
	s = fn->view->store;
	if (!s->ops->removexattr) {
		reply_err(req, EOPNOTSUPP);
		return;
	}
	reply_changed(req, fn, s->ops->removexattr(s, fn->sn, name), false);
}
