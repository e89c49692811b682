/*
 * entry.c - names and attributes: lookup and forget, getattr, setattr,
 * readlink and statfs, and the counting of the entries a reply hands the
 * kernel (shared with the create family and readdirplus).
 *
 * Inode numbers users see: a virtual node's own number, or for a volume
 * (vol_id << VOL_SHIFT) | (the store's ino), the same in stat and readdir.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "ops_i.h"

uint64_t user_ino(const struct view *v, uint64_t ino)
{
	return ((uint64_t)v->vol_id << VOL_SHIFT) |
	       (ino & ((1ULL << VOL_SHIFT) - 1));
}

/* True when nothing may change through @fn. */
bool is_read_only(const struct fnode *fn)
{
	return !fn->view || fn->view->read_only;
}

void virtual_stat(struct vnode *vn, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = vnode_ino(vn);
	st->st_atim = vnode_time(vn);
	st->st_mtim = st->st_atim;
	st->st_ctim = st->st_atim;
	st->st_blksize = 4096;
	if (vnode_kind(vn) == VNODE_FILE) {
		char *buf;
		size_t len = 0;

		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		if (vnode_content(vn, &buf, &len) == 0)
			free(buf);
		st->st_size = len;
		st->st_blocks = (len + 511) / 512;
	} else {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	}
}

int node_stat(struct fnode *fn, struct fhandle *fh, struct stat *st)
{
	struct store *s;
	int rc;

	if (!fn->view) {
		virtual_stat(fn->vn, st);
		return 0;
	}
	s = fn->view->store;
	rc = s->ops->getattr(s, fn->sn, fh ? fh->sf : NULL, st);
	if (rc == 0)
		st->st_ino = user_ino(fn->view, st->st_ino);
	return rc;
}

double attr_timeout(const struct fnode *fn)
{
	return fn->view ? fn->view->cache.attr_timeout : VIRTUAL_TIMEOUT;
}

/*
 * Replies with @child (one lookup already counted on it). If the kernel
 * never gets the reply, the count is taken back.
 */
void reply_entry(fuse_req_t req, struct fnode *child,
		 const struct stat *st)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e = {
		.ino = fnode_id(fs, child),
		.attr = *st,
		.attr_timeout = attr_timeout(child),
		.entry_timeout = child->view ? child->view->cache.entry_timeout
					     : VIRTUAL_TIMEOUT,
	};

	if (fuse_reply_entry(req, &e))
		fnode_forget(fs, child, 1);
}

/*
 * Counts a kernel entry for the root of @view: mounted in the tree, or
 * over an object of another view (view_cover()).
 */
int view_root_entry(struct fs *fs, struct view *view,
		    struct fnode **out, struct stat *st)
{
	struct store *s = view->store;
	int rc;

	rc = s->ops->getattr(s, view->root, NULL, st);
	if (rc)
		return rc;
	st->st_ino = user_ino(view, st->st_ino);
	store_get(view->root);
	*out = fnode_get(fs, view, view->root, NULL);
	return *out ? 0 : -ENOMEM;
}

/*
 * Counts a kernel entry for the virtual node @vn (its reference consumed):
 * the node itself, or the root of the view mounted there.
 */
int vnode_entry(struct fs *fs, struct vnode *vn, struct fnode **out,
		struct stat *st)
{
	int rc;

	if (vnode_kind(vn) != VNODE_MOUNT) {
		virtual_stat(vn, st);
		*out = fnode_get(fs, NULL, NULL, vn);
		return *out ? 0 : -ENOMEM;
	}
	rc = view_root_entry(fs, vnode_view(vn), out, st);
	vnode_unref(vn);
	return rc;
}

/* Counts the store node @sn (its reference consumed) as an entry of @view. */
int store_entry(struct fs *fs, struct view *view, struct snode *sn,
		struct stat *st, struct fnode **out)
{
	st->st_ino = user_ino(view, st->st_ino);
	*out = fnode_get(fs, view, sn, NULL);
	return *out ? 0 : -ENOMEM;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct fnode *dir = node_of(req, parent);
	struct fnode *child;
	struct view *inner;
	struct snode *sn;
	struct stat st;
	struct store *s;
	int rc;

	if (!dir->view) {
		struct vnode *vn = tree_lookup(fs->tree, dir->vn, name);

		/* the root of a volume: the store is asked, as this caller */
		if (vn && vnode_kind(vn) == VNODE_MOUNT)
			set_caller(req, vnode_view(vn));
		rc = vn ? vnode_entry(fs, vn, &child, &st) : -ENOENT;
	} else {
		s = dir->view->store;
		rc = s->ops->lookup(s, dir->sn, name, &sn, &st);
		inner = rc ? NULL : view_covering(dir->view, sn);
		if (inner) {
			/* a mount point: the view mounted over it shows */
			store_put(sn);
			set_caller(req, inner);
			rc = view_root_entry(fs, inner, &child, &st);
		} else if (rc == 0) {
			rc = store_entry(fs, dir->view, sn, &st, &child);
		}
	}
	if (rc)
		reply_err(req, -rc);
	else
		reply_entry(req, child, &st);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fnode_forget(fs_of(req), node_of(req, ino), nlookup);
	fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count,
		     struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		fnode_forget(fs_of(req), node_of(req, forgets[i].ino),
			     forgets[i].nlookup);
	fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi)
{
	struct fnode *fn = node_of(req, ino);
	struct stat st;
	int rc;

	rc = node_stat(fn, handle_of(req, fi), &st);
	if (rc)
		reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, attr_timeout(fn));
}

static int store_set_bits(int to_set)
{
	static const struct {
		int fuse;
		int store;
	} map[] = {
		{ FUSE_SET_ATTR_MODE, STORE_SET_MODE },
		{ FUSE_SET_ATTR_UID, STORE_SET_UID },
		{ FUSE_SET_ATTR_GID, STORE_SET_GID },
		{ FUSE_SET_ATTR_SIZE, STORE_SET_SIZE },
		{ FUSE_SET_ATTR_ATIME, STORE_SET_ATIME },
		{ FUSE_SET_ATTR_MTIME, STORE_SET_MTIME },
		{ FUSE_SET_ATTR_ATIME_NOW, STORE_SET_ATIME_NOW },
		{ FUSE_SET_ATTR_MTIME_NOW, STORE_SET_MTIME_NOW },
		{ FUSE_SET_ATTR_CTIME, STORE_SET_CTIME },
	};
	int bits = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (to_set & map[i].fuse)
			bits |= map[i].store;
	return bits;
}

/*
 * Adds to the setattr @to_set (store bits in *@bits, values in @attr) the
 * clearing of the set-id bits of @fn that the kernel asked for (killpriv.c):
 * with FUSE_SET_ATTR_KILL_SUID, or with nothing to set at all before a
 * write. A store that acts as the caller is left alone: its server sees
 * the caller's writes and clears the bits by its own rules, and refuses a
 * chmod from a caller that does not own the file.
 */
static int kill_suidgid(fuse_req_t req, struct fnode *fn, struct fhandle *fh,
			int to_set, struct stat *attr, int *bits)
{
	struct stat cur;
	mode_t kill;
	int rc;

	if (fn->view->store->caps & STORE_CAP_AS_CALLER)
		return 0;
	rc = node_stat(fn, fh, &cur);
	if (rc)
		return rc;
	kill = fs_killpriv_bits(req, &cur, to_set & (FUSE_SET_ATTR_UID |
						     FUSE_SET_ATTR_GID));
	if (!kill)
		return 0;
	if (!(*bits & STORE_SET_MODE))
		attr->st_mode = cur.st_mode;
	attr->st_mode &= ~kill;
	*bits |= STORE_SET_MODE;
	return 0;
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		int to_set, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fnode *fn = node_of(req, ino);
	struct fhandle *fh = handle_of(req, fi);
	struct siblings sib;
	struct store *s;
	struct stat st;
	int bits;
	int rc;

	if (is_read_only(fn)) {
		reply_err(req, EROFS);
		return;
	}
	s = fn->view->store;
	bits = store_set_bits(to_set);
	if (fs->killpriv && (!to_set || (to_set & FUSE_SET_ATTR_KILL_SUID))) {
		rc = kill_suidgid(req, fn, fh, to_set, attr, &bits);
		if (rc) {
			reply_err(req, -rc);
			return;
		}
	}
	rc = s->ops->setattr(s, fn->sn, fh ? fh->sf : NULL, attr, bits, &st);
	if (rc) {
		reply_err(req, -rc);
		return;
	}
	st.st_ino = user_ino(fn->view, st.st_ino);
	fs_siblings_begin(fs, fn, to_set & FUSE_SET_ATTR_SIZE, &sib);
	fuse_reply_attr(req, &st, attr_timeout(fn));
	fs_siblings_end(fs, &sib, NULL);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fnode *fn = node_of(req, ino);
	char buf[PATH_MAX + 1];
	struct store *s;
	int rc;

	if (!fn->view) {
		reply_err(req, EINVAL);
		return;
	}
	s = fn->view->store;
	rc = s->ops->readlink(s, fn->sn, buf, sizeof(buf));
	if (rc < 0)
		reply_err(req, -rc);
	else if ((size_t)rc >= sizeof(buf))
		reply_err(req, ENAMETOOLONG);
	else
		fuse_reply_readlink(req, buf);
}

void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fnode *fn = node_of(req, ino);
	struct statvfs st = {
		.f_bsize = 4096,
		.f_frsize = 4096,
		.f_namemax = 255,
	};
	struct store *s;
	int rc;

	if (fn->view) {
		s = fn->view->store;
		rc = s->ops->statfs(s, fn->sn, &st);
		if (rc) {
			reply_err(req, -rc);
			return;
		}
	}
	fuse_reply_statfs(req, &st);
}
