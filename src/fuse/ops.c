/*
 * ops.c - the FUSE low-level operations.
 *
 * Each handler finds its inode, refuses what the inode's view forbids
 * (EROFS on a read-only view or a virtual level), makes one call on a store
 * or the virtual tree, and replies exactly once. Helpers return 0 or -errno
 * and never reply.
 *
 * Inode numbers users see: a virtual node's own number, or for a volume
 * (vol_id << VOL_SHIFT) | (the store's ino), the same in stat and readdir.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs_i.h"
#include "lock_i.h"
#include "podvolfs/log.h"

/* Virtual levels change when pods come and go; the tree tells the kernel. */
#define VIRTUAL_TIMEOUT 1.0

/* An open file or directory. */
struct fhandle {
	struct view *view;		/* one reference, NULL when virtual */
	struct store_file *sf;		/* the store's handle when view != NULL */
	char *data;			/* virtual file: its contents */
	size_t len;
	struct tree_dirent *ents;	/* virtual directory: its children */
	size_t n_ents;
	/* the fnode whose passthrough backing file this open uses, or NULL */
	struct fnode *pt_node;
	/* writes bypass the daemon: siblings learn the new size at flush */
	bool pt_writes;
};

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/*
 * Replies with the error @err, or success when 0. EMFILE is the daemon's
 * own open-file limit, not the caller's: the caller gets ENFILE, as from
 * a kernel whose file table is full, and the log says why, once a minute
 * at most.
 */
static void reply_err(fuse_req_t req, int err)
{
	static time_t said;
	time_t now, last;
	struct rlimit rl;

	if (err == EMFILE) {
		err = ENFILE;
		now = time(NULL);
		last = __atomic_load_n(&said, __ATOMIC_RELAXED);
		if (now - last >= 60 &&
		    __atomic_compare_exchange_n(&said, &last, now, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED) &&
		    getrlimit(RLIMIT_NOFILE, &rl) == 0)
			log_warn("at the limit of %llu open files (RLIMIT_NOFILE): requests that need one more fail with ENFILE",
				 (unsigned long long)rl.rlim_cur);
	}
	fuse_reply_err(req, err);
}

/* The caller gave up (a signal), or the daemon is stopping: stop waiting. */
static bool req_interrupted(void *req)
{
	return fuse_req_interrupted(req) ||
	       fuse_session_exited(fs_of(req)->se);
}

/*
 * Tells a store that acts as the caller who @req's caller is: every
 * request passes here, through node_of(), before it reaches a store.
 */
static void set_caller(fuse_req_t req, const struct view *view)
{
	static __thread struct store_caller caller;
	const struct fuse_ctx *ctx;
	int n;

	if (!view || !(view->store->caps & STORE_CAP_AS_CALLER)) {
		store_caller_set(NULL);
		return;
	}
	ctx = fuse_req_ctx(req);
	caller.cred.uid = ctx->uid;
	caller.cred.gid = ctx->gid;
	n = fuse_req_getgroups(req, STORE_MAX_GROUPS, caller.cred.groups);
	caller.cred.ngroups = n < 0 ? 0 : n > STORE_MAX_GROUPS ?
			      STORE_MAX_GROUPS : (unsigned)n;
	caller.interrupted = req_interrupted;
	caller.arg = req;
	store_caller_set(&caller);
}

static struct fnode *node_of(fuse_req_t req, fuse_ino_t ino)
{
	struct fnode *fn = fnode_of(fs_of(req), ino);

	set_caller(req, fn->view);
	return fn;
}

/* The open file of @fi, or NULL; sets the caller as node_of() does. */
static struct fhandle *handle_of(fuse_req_t req, struct fuse_file_info *fi)
{
	struct fhandle *fh = fi ? (struct fhandle *)(uintptr_t)fi->fh : NULL;

	if (fh)
		set_caller(req, fh->view);
	return fh;
}

static uint64_t user_ino(const struct view *v, uint64_t ino)
{
	return ((uint64_t)v->vol_id << VOL_SHIFT) |
	       (ino & ((1ULL << VOL_SHIFT) - 1));
}

/* True when nothing may change through @fn. */
static bool is_read_only(const struct fnode *fn)
{
	return !fn->view || fn->view->read_only;
}

static void virtual_stat(struct vnode *vn, struct stat *st)
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

static int node_stat(struct fnode *fn, struct fhandle *fh, struct stat *st)
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

static double attr_timeout(const struct fnode *fn)
{
	return fn->view ? fn->view->cache.attr_timeout : VIRTUAL_TIMEOUT;
}

/*
 * Replies with @child (one lookup already counted on it). If the kernel
 * never gets the reply, the count is taken back.
 */
static void reply_entry(fuse_req_t req, struct fnode *child,
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
static int view_root_entry(struct fs *fs, struct view *view,
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
static int vnode_entry(struct fs *fs, struct vnode *vn, struct fnode **out,
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
static int store_entry(struct fs *fs, struct view *view, struct snode *sn,
		       struct stat *st, struct fnode **out)
{
	st->st_ino = user_ino(view, st->st_ino);
	*out = fnode_get(fs, view, sn, NULL);
	return *out ? 0 : -ENOMEM;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
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

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fnode_forget(fs_of(req), node_of(req, ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		fnode_forget(fs_of(req), node_of(req, forgets[i].ino),
			     forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
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

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
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

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
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

static struct store_cred cred_of(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return (struct store_cred){ .uid = ctx->uid, .gid = ctx->gid };
}

/* The writable store directory behind @parent, or an errno for the reply. */
static int writable_dir(fuse_req_t req, fuse_ino_t parent,
			struct fnode **out)
{
	struct fnode *dir = node_of(req, parent);

	if (is_read_only(dir))
		return EROFS;
	*out = dir;
	return 0;
}

/*
 * EBUSY when the entry @name of @dir is a mount point (a view is mounted
 * over it), which may be neither removed nor renamed, else 0.
 */
static int not_mount_point(struct fnode *dir, const char *name)
{
	struct store *s = dir->view->store;
	struct snode *sn;
	struct stat st;
	bool covered;

	if (!dir->view->n_covers || s->ops->lookup(s, dir->sn, name, &sn, &st))
		return 0;
	covered = view_covering(dir->view, sn) != NULL;
	store_put(sn);
	return covered ? EBUSY : 0;
}

/*
 * Ends a request that changed the entry @name of @dir (already done when @rc
 * is 0): replies with @rc, and makes the other views of @dir forget @name.
 */
static void reply_dir_changed(fuse_req_t req, struct fnode *dir, int rc,
			      const char *name)
{
	struct fs *fs = fs_of(req);
	struct siblings sib;

	if (rc) {
		reply_err(req, -rc);
		return;
	}
	fs_siblings_begin(fs, dir, false, &sib);
	reply_err(req, 0);
	fs_siblings_end(fs, &sib, name);
}

/* Ends a create-family request: counts the new entry @name and replies. */
static void reply_new_entry(fuse_req_t req, struct fnode *dir, int rc,
			    const char *name, struct snode *sn,
			    struct stat *st)
{
	struct fs *fs = fs_of(req);
	struct siblings sib;
	struct fnode *child;

	if (rc == 0)
		rc = store_entry(fs, dir->view, sn, st, &child);
	if (rc) {
		reply_err(req, -rc);
		return;
	}
	fs_siblings_begin(fs, dir, false, &sib);
	reply_entry(req, child, st);
	fs_siblings_end(fs, &sib, name);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct store_cred cred = cred_of(req);
	struct fnode *dir;
	struct snode *sn;
	struct store *s;
	struct stat st;
	int err;
	int rc;

	err = writable_dir(req, parent, &dir);
	if (err) {
		reply_err(req, err);
		return;
	}
	s = dir->view->store;
	rc = s->ops->mknod(s, dir->sn, name, mode, rdev, &cred, &sn, &st);
	reply_new_entry(req, dir, rc, name, sn, &st);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct store_cred cred = cred_of(req);
	struct fnode *dir;
	struct snode *sn;
	struct store *s;
	struct stat st;
	int err;
	int rc;

	err = writable_dir(req, parent, &dir);
	if (err) {
		reply_err(req, err);
		return;
	}
	s = dir->view->store;
	rc = s->ops->mkdir(s, dir->sn, name, mode, &cred, &sn, &st);
	reply_new_entry(req, dir, rc, name, sn, &st);
}

static void op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
		       const char *name)
{
	struct store_cred cred = cred_of(req);
	struct fnode *dir;
	struct snode *sn;
	struct store *s;
	struct stat st;
	int err;
	int rc;

	err = writable_dir(req, parent, &dir);
	if (err) {
		reply_err(req, err);
		return;
	}
	s = dir->view->store;
	rc = s->ops->symlink(s, dir->sn, name, target, &cred, &sn, &st);
	reply_new_entry(req, dir, rc, name, sn, &st);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct fs *fs = fs_of(req);
	struct fnode *fn = node_of(req, ino);
	struct siblings sib;
	struct fnode *dir;
	struct snode *sn;
	struct store *s;
	struct stat st;
	int err;
	int rc;

	err = writable_dir(req, newparent, &dir);
	if (!err && fn->view != dir->view)
		err = EXDEV;
	if (err) {
		reply_err(req, err);
		return;
	}
	s = dir->view->store;
	rc = s->ops->link(s, fn->sn, dir->sn, newname, &sn, &st);
	/* The file's link count changed in its other views too. */
	if (rc == 0) {
		fs_siblings_begin(fs, fn, false, &sib);
		fs_siblings_end(fs, &sib, NULL);
	}
	reply_new_entry(req, dir, rc, newname, sn, &st);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fnode *dir;
	struct store *s;
	int err;

	err = writable_dir(req, parent, &dir);
	if (!err)
		err = not_mount_point(dir, name);
	if (err) {
		reply_err(req, err);
		return;
	}
	s = dir->view->store;
	reply_dir_changed(req, dir, s->ops->unlink(s, dir->sn, name), name);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fnode *dir;
	struct store *s;
	int err;

	err = writable_dir(req, parent, &dir);
	if (!err)
		err = not_mount_point(dir, name);
	if (err) {
		reply_err(req, err);
		return;
	}
	s = dir->view->store;
	reply_dir_changed(req, dir, s->ops->rmdir(s, dir->sn, name), name);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct fs *fs = fs_of(req);
	struct siblings newsib;
	struct siblings sib;
	struct fnode *dir;
	struct fnode *newdir;
	struct store *s;
	int err;
	int rc;

	err = writable_dir(req, parent, &dir);
	if (!err)
		err = writable_dir(req, newparent, &newdir);
	if (!err && dir->view != newdir->view)
		err = EXDEV;
	if (!err && (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)))
		err = EINVAL;
	if (!err)
		err = not_mount_point(dir, name);
	if (!err)
		err = not_mount_point(newdir, newname);
	if (err) {
		reply_err(req, err);
		return;
	}
	s = dir->view->store;
	rc = s->ops->rename(s, dir->sn, name, newdir->sn, newname, flags);
	if (rc) {
		reply_err(req, -rc);
		return;
	}
	fs_siblings_begin(fs, dir, false, &sib);
	fs_siblings_begin(fs, newdir, false, &newsib);
	reply_err(req, 0);
	fs_siblings_end(fs, &sib, name);
	fs_siblings_end(fs, &newsib, newname);
}

static struct fhandle *handle_new(struct view *view, struct store_file *sf)
{
	struct fhandle *fh = calloc(1, sizeof(*fh));

	if (!fh)
		return NULL;
	if (view)
		view_ref(view);
	fh->view = view;
	fh->sf = sf;
	return fh;
}

static void handle_free(struct fhandle *fh)
{
	view_unref(fh->view);
	free(fh->data);
	tree_list_free(fh->ents, fh->n_ents);
	free(fh);
}

static bool wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static void open_virtual(fuse_req_t req, struct fnode *fn,
			 struct fuse_file_info *fi)
{
	struct vnode *vn = fn->vn;
	struct fhandle *fh;
	int rc;

	if (wants_write(fi->flags)) {
		reply_err(req, EROFS);
		return;
	}
	fh = handle_new(NULL, NULL);
	if (!fh) {
		reply_err(req, ENOMEM);
		return;
	}
	rc = vnode_content(vn, &fh->data, &fh->len);
	if (rc) {
		handle_free(fh);
		reply_err(req, -rc);
		return;
	}
	/* Contents change without the kernel's knowledge: never cache them. */
	fi->direct_io = 1;
	fi->fh = (uintptr_t)fh;
	if (fuse_reply_open(req, fi))
		handle_free(fh);
}

/*
 * How the kernel is to reach the data of @fh, a new open of @fn: by FUSE
 * passthrough when it can (passthrough.c), else through the daemon, with
 * the view's page cache policy. Writes through an open of a store with a
 * limit always come to the daemon, which charges them.
 */
static void open_data_path(fuse_req_t req, struct fnode *fn,
			   struct fhandle *fh, struct fuse_file_info *fi)
{
	fi->keep_cache = fn->view->cache.keep_cache;
	if (fs_passthrough_attach(fs_of(req), req, fn, fh->sf, fi)) {
		fh->pt_node = fn;
		fh->pt_writes = wants_write(fi->flags);
	}
}

/*
 * Drops what open_data_path() took, and @fh. @req is NULL after a failed
 * reply, which freed it: the backing file is then kept for the next open.
 */
static void handle_close(struct fs *fs, fuse_req_t req, struct fhandle *fh)
{
	if (fh->pt_node)
		fs_passthrough_detach(fs, req, fh->pt_node);
	handle_free(fh);
}

static void reply_store_open(fuse_req_t req, struct fnode *fn,
			     struct store_file *sf, struct fuse_file_info *fi)
{
	struct store *s = fn->view->store;
	struct fhandle *fh = handle_new(fn->view, sf);
	struct fs *fs = fs_of(req);

	if (!fh) {
		s->ops->release(s, sf);
		reply_err(req, ENOMEM);
		return;
	}
	open_data_path(req, fn, fh, fi);
	fi->fh = (uintptr_t)fh;
	/* Drop the handle if the opener is gone before it gets it. */
	if (fuse_reply_open(req, fi)) {
		s->ops->release(s, sf);
		handle_close(fs, NULL, fh);
	}
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fnode *fn = node_of(req, ino);
	struct store_file *sf;
	struct store *s;
	int rc;

	if (!fn->view) {
		open_virtual(req, fn, fi);
		return;
	}
	if (fn->view->read_only && wants_write(fi->flags)) {
		reply_err(req, EROFS);
		return;
	}
	s = fn->view->store;
	rc = s->ops->open(s, fn->sn, fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY),
			  &sf);
	if (rc)
		reply_err(req, -rc);
	else
		reply_store_open(req, fn, sf, fi);
}

/*
 * Ends create and tmpfile: counts the new entry @sn (its reference
 * consumed), makes @sf an open handle and replies with both. @name is the
 * entry made in @dir, whose other views then forget it; NULL for a tmpfile.
 */
static void reply_create(fuse_req_t req, struct fnode *dir, const char *name,
			 struct snode *sn, struct stat *st,
			 struct store_file *sf, struct fuse_file_info *fi)
{
	struct store *s = dir->view->store;
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e = { 0 };
	struct siblings sib;
	struct fnode *child;
	struct fhandle *fh;
	int rc;

	fh = handle_new(dir->view, sf);
	if (!fh) {
		s->ops->release(s, sf);
		store_put(sn);
		reply_err(req, ENOMEM);
		return;
	}
	rc = store_entry(fs, dir->view, sn, st, &child);
	if (rc) {
		s->ops->release(s, sf);
		handle_free(fh);
		reply_err(req, -rc);
		return;
	}
	open_data_path(req, child, fh, fi);
	fi->fh = (uintptr_t)fh;
	e.ino = fnode_id(fs, child);
	e.attr = *st;
	e.attr_timeout = dir->view->cache.attr_timeout;
	e.entry_timeout = dir->view->cache.entry_timeout;
	if (name)
		fs_siblings_begin(fs, dir, false, &sib);
	if (fuse_reply_create(req, &e, fi)) {
		s->ops->release(s, sf);
		handle_close(fs, NULL, fh);
		fnode_forget(fs, child, 1);
	}
	if (name)
		fs_siblings_end(fs, &sib, name);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct store_cred cred = cred_of(req);
	struct store_file *sf;
	struct fnode *dir;
	struct snode *sn;
	struct store *s;
	struct stat st;
	int rc;

	rc = writable_dir(req, parent, &dir);
	if (rc) {
		reply_err(req, rc);
		return;
	}
	s = dir->view->store;
	rc = s->ops->create(s, dir->sn, name, mode, fi->flags & ~O_NOCTTY,
			    &cred, &sn, &st, &sf);
	if (rc)
		reply_err(req, -rc);
	else
		reply_create(req, dir, name, sn, &st, sf, fi);
}

#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 17)
/*
 * O_TMPFILE: a new file with no name in @parent, which linkat() may name
 * later (a link request); a store that cannot make one answers EOPNOTSUPP.
 */
static void op_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode,
		       struct fuse_file_info *fi)
{
	struct store_cred cred = cred_of(req);
	struct store_file *sf;
	struct fnode *dir;
	struct snode *sn;
	struct store *s;
	struct stat st;
	int rc;

	rc = writable_dir(req, parent, &dir);
	if (rc) {
		reply_err(req, rc);
		return;
	}
	s = dir->view->store;
	if (!s->ops->tmpfile) {
		reply_err(req, EOPNOTSUPP);
		return;
	}
	rc = s->ops->tmpfile(s, dir->sn, mode, fi->flags & ~O_NOCTTY, &cred,
			     &sn, &st, &sf);
	if (rc)
		reply_err(req, -rc);
	else
		reply_create(req, dir, NULL, sn, &st, sf, fi);
}
#endif

/* A per-thread buffer for stores that cannot hand out an fd. */
static pthread_key_t read_buf_key;
static pthread_once_t read_buf_once = PTHREAD_ONCE_INIT;

static void read_buf_key_make(void)
{
	pthread_key_create(&read_buf_key, free);
}

static char *read_buf(size_t size)
{
	struct rbuf {
		size_t size;
		char data[];
	} *rb;

	pthread_once(&read_buf_once, read_buf_key_make);
	rb = pthread_getspecific(read_buf_key);
	if (rb && rb->size >= size)
		return rb->data;
	free(rb);
	rb = malloc(sizeof(*rb) + size);
	pthread_setspecific(read_buf_key, rb);
	if (!rb)
		return NULL;
	rb->size = size;
	return rb->data;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);
	struct store *s;
	ssize_t n;
	char *buf;

	(void)ino;
	if (!fh->view) {
		size_t start = (size_t)off < fh->len ? (size_t)off : fh->len;
		size_t len = fh->len - start < size ? fh->len - start : size;

		/*
		 * Once the kernel has the reply, the reader may close and a
		 * release on another thread free fh->data, all before our
		 * writev returns: reply from this thread's own buffer.
		 */
		buf = read_buf(len ? len : 1);
		if (!buf) {
			reply_err(req, ENOMEM);
			return;
		}
		memcpy(buf, fh->data + start, len);
		fuse_reply_buf(req, buf, len);
		return;
	}
	if (fh->sf->fd >= 0) {
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

		bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		bv.buf[0].fd = fh->sf->fd;
		bv.buf[0].pos = off;
		fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
		return;
	}
	buf = read_buf(size);
	if (!buf) {
		reply_err(req, ENOMEM);
		return;
	}
	s = fh->view->store;
	n = s->ops->read(s, fh->sf, buf, size, off);
	if (n < 0)
		reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, n);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fhandle *fh = handle_of(req, fi);
	struct siblings sib;
	struct store *s;
	ssize_t n;

	if (!fh->view || fh->view->read_only) {
		reply_err(req, EROFS);
		return;
	}
	s = fh->view->store;
	n = s->ops->write(s, fh->sf, buf, size, off);
	if (n < 0) {
		reply_err(req, (int)-n);
		return;
	}
	fs_siblings_begin(fs, node_of(req, ino), true, &sib);
	fuse_reply_write(req, n);
	fs_siblings_end(fs, &sib, NULL);
}

/*
 * Any close drops the closing process's record locks on the file. The
 * daemon saw no write of a passthrough open: the other views of the file
 * learn its new size and times at each close.
 */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);
	struct fs *fs = fs_of(req);
	bool pt_writes;
	struct siblings sib;
	struct store *s;

	if (!fh->view) {
		reply_err(req, 0);
		return;
	}
	lock_posix_release(fh->sf->node, fi->lock_owner);
	s = fh->view->store;
	pt_writes = fh->pt_writes;
	if (pt_writes)
		fs_siblings_begin(fs, node_of(req, ino), false, &sib);
	reply_err(req, s->ops->flush ? -s->ops->flush(s, fh->sf) : 0);
	if (pt_writes)
		fs_siblings_end(fs, &sib, NULL);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);

	(void)ino;
	if (fh->view) {
		/* The last close of an open file drops its flock and OFD locks. */
		lock_release_handle(fh->sf->node, fh);
		fh->view->store->ops->release(fh->view->store, fh->sf);
	}
	handle_close(fs_of(req), req, fh);
	reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);
	struct store *s;

	(void)ino;
	if (!fh->view) {
		reply_err(req, 0);
		return;
	}
	s = fh->view->store;
	reply_err(req, -s->ops->fsync(s, fh->sf, datasync));
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fnode *fn = node_of(req, ino);
	struct store_file *sf = NULL;
	struct fhandle *fh;
	struct store *s;
	int rc;

	if (fn->view) {
		s = fn->view->store;
		rc = s->ops->opendir(s, fn->sn, &sf);
		if (rc) {
			reply_err(req, -rc);
			return;
		}
	}
	fh = handle_new(fn->view, sf);
	if (!fh) {
		rc = -ENOMEM;
		goto out_release;
	}
	if (!fn->view) {
		rc = tree_list(fs_of(req)->tree, fn->vn, &fh->ents, &fh->n_ents);
		if (rc)
			goto out_free;
	} else if (fn->view->cache.cache_readdir) {
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
	}
	fi->fh = (uintptr_t)fh;
	if (fuse_reply_open(req, fi) == 0)
		return;
	rc = 0;
out_free:
	handle_free(fh);
out_release:
	if (sf)
		fn->view->store->ops->releasedir(fn->view->store, sf);
	if (rc)
		reply_err(req, -rc);
}

/* What readdir fills: a reply buffer and where it stands. */
struct dirbuf {
	fuse_req_t req;
	struct fs *fs;
	struct view *view;
	bool plus;
	char *buf;
	size_t size;
	size_t pos;
};

/* "." and ".." take offsets 1 and 2; stores' cookies start above. */
#define DOT_OFF 1
#define DOTDOT_OFF 2
#define FIRST_OFF STORE_FIRST_COOKIE

/*
 * Adds one entry. In plus mode @fn carries one counted lookup, taken back
 * when the entry does not fit. Returns 0, or 1 when the buffer is full.
 */
static int dirbuf_add(struct dirbuf *db, const char *name,
		      const struct stat *st, off_t off, struct fnode *fn)
{
	size_t room = db->size - db->pos;
	size_t len;

	if (db->plus) {
		struct fuse_entry_param e = {
			.ino = fn ? fnode_id(db->fs, fn) : 0,
			.attr = *st,
			.attr_timeout = fn ? attr_timeout(fn) : 0,
			.entry_timeout = fn ? (fn->view ? fn->view->cache.entry_timeout
						     : VIRTUAL_TIMEOUT) : 0,
		};

		len = fuse_add_direntry_plus(db->req, db->buf + db->pos, room,
					     name, &e, off);
	} else {
		len = fuse_add_direntry(db->req, db->buf + db->pos, room, name,
					st, off);
	}
	if (len > room) {
		if (fn)
			fnode_forget(db->fs, fn, 1);
		return 1;
	}
	db->pos += len;
	return 0;
}

/*
 * ".." names the virtual parent when there is one; inside a volume the
 * layer does not know the parent, so it repeats the directory's own
 * number (glibc hides entries whose d_ino is 0).
 */
static int add_dots(struct dirbuf *db, off_t off, struct fnode *fn,
		    const struct stat *self)
{
	struct stat st = { .st_ino = self->st_ino, .st_mode = S_IFDIR };

	if (off < DOT_OFF && dirbuf_add(db, ".", &st, DOT_OFF, NULL))
		return 1;
	if (!fn->view)
		st.st_ino = tree_parent_ino(db->fs->tree, fn->vn);
	if (off < DOTDOT_OFF && dirbuf_add(db, "..", &st, DOTDOT_OFF, NULL))
		return 1;
	return 0;
}

/*
 * An entry over which @inner is mounted: its root, as a lookup finds it,
 * counted unless its store may wait for a server; else the type (the mount
 * point's, which is the root's) and number only.
 */
static int fill_mount_entry(struct dirbuf *db, struct view *inner,
			    const char *name, const struct stat *st, off_t off,
			    struct snode *node)
{
	struct stat ust;
	struct fnode *fn = NULL;

	if (node) {
		store_put(node);
		if (!(inner->store->caps & STORE_CAP_MAY_BLOCK) &&
		    view_root_entry(db->fs, inner, &fn, &ust))
			fn = NULL;
	}
	if (!fn) {
		ust = *st;
		ust.st_ino = user_ino(inner, inner->root->ino);
	}
	return dirbuf_add(db, name, &ust, off, fn);
}

static int fill_store_entry(void *ctx, const char *name, const struct stat *st,
			    off_t off, struct snode *node)
{
	struct dirbuf *db = ctx;
	struct stat ust = *st;
	struct fnode *fn = NULL;
	struct view *inner = NULL;

	if (db->view->n_covers)
		inner = node ? view_covering(db->view, node) :
			       view_covering_ino(db->view, st->st_ino);
	if (inner)
		return fill_mount_entry(db, inner, name, st, off, node);
	if (node && store_entry(db->fs, db->view, node, &ust, &fn))
		return 1;
	if (!node)
		ust.st_ino = user_ino(db->view, st->st_ino);
	return dirbuf_add(db, name, &ust, off, fn);
}

/*
 * What a listing says of a mount point: the type and number of the view's
 * root (a file for a file subPath), or a directory if the store fails.
 */
static void mount_root_stat(struct vnode *vn, struct stat *st)
{
	struct view *view = vnode_view(vn);
	struct store *s = view->store;

	if (s->ops->getattr(s, view->root, NULL, st) == 0) {
		st->st_ino = user_ino(view, st->st_ino);
	} else {
		virtual_stat(vn, st);
		st->st_mode = S_IFDIR;
	}
}

/*
 * Lists the children @dir had at opendir: offsets (FIRST_OFF plus an index)
 * stay valid and no name comes twice. A child removed since is left out, so
 * a removed directory lists as empty, as on a disk file system. The fts of
 * GNU find and du in Debian 12 stats a directory again by name after opening
 * it; one whose name is gone by then but which still lists entries stays in
 * its table of open directories, and the next such directory is reported as
 * a file system loop.
 */
/* Whether @vn is the root of a volume whose store may wait on a server. */
static bool may_block(struct vnode *vn)
{
	struct view *view = vnode_view(vn);

	return vnode_kind(vn) == VNODE_MOUNT &&
	       (view->store->caps & STORE_CAP_MAY_BLOCK);
}

static int readdir_virtual(struct dirbuf *db, struct vnode *dir,
			   struct fhandle *fh, off_t off)
{
	for (size_t i = off < FIRST_OFF ? 0 : off - FIRST_OFF + 1;
	     i < fh->n_ents; i++) {
		struct vnode *vn = fh->ents[i].vn;
		struct fnode *fn = NULL;
		struct stat st;

		if (!tree_has_child(db->fs->tree, dir, vn))
			continue;
		/*
		 * An entry that cannot be counted (a mount whose root the store
		 * cannot stat), or should not be (a store that may wait for a
		 * server: a dead one must not stall "ls" of the tree), is still
		 * listed, as a plain listing lists it, but without a node id:
		 * the kernel looks the name up when it is used.
		 */
		if (db->plus && !may_block(vn)) {
			vnode_ref(vn);
			if (vnode_entry(db->fs, vn, &fn, &st))
				fn = NULL;
		}
		if (!fn) {
			if (vnode_kind(vn) == VNODE_MOUNT)
				mount_root_stat(vn, &st);
			else
				virtual_stat(vn, &st);
		}
		if (dirbuf_add(db, fh->ents[i].name, &st, FIRST_OFF + i, fn))
			break;
	}
	return 0;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct fnode *fn = node_of(req, ino);
	struct fhandle *fh = handle_of(req, fi);
	struct dirbuf db = {
		.req = req,
		.fs = fs_of(req),
		.view = fn->view,
		.plus = plus,
		.size = size,
	};
	struct stat self;
	struct store *s;
	int rc;

	db.buf = malloc(size);
	if (!db.buf) {
		reply_err(req, ENOMEM);
		return;
	}
	rc = node_stat(fn, NULL, &self);
	if (rc == 0 && add_dots(&db, off, fn, &self) == 0) {
		if (!fn->view) {
			rc = readdir_virtual(&db, fn->vn, fh, off);
		} else {
			s = fn->view->store;
			rc = s->ops->readdir(s, fh->sf, off < FIRST_OFF ? 0 : off,
					     plus, fill_store_entry, &db);
		}
	}
	/* Entries already added are counted lookups: send them even after an error. */
	if (rc && db.pos == 0)
		reply_err(req, -rc);
	else
		fuse_reply_buf(req, db.buf, db.pos);
	free(db.buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);

	(void)ino;
	if (fh->view)
		fh->view->store->ops->releasedir(fh->view->store, fh->sf);
	handle_free(fh);
	reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);
	struct store *s;

	(void)ino;
	if (!fh->view || !fh->view->store->ops->fsyncdir) {
		reply_err(req, 0);
		return;
	}
	s = fh->view->store;
	reply_err(req, -s->ops->fsyncdir(s, fh->sf, datasync));
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
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

/*
 * Replies @rc to a request that changed @fn (when @rc is 0), after making
 * its other views drop their attributes, and with @pages their data.
 */
static void reply_changed(fuse_req_t req, struct fnode *fn, int rc,
			  bool pages)
{
	struct fs *fs = fs_of(req);
	struct siblings sib;

	if (rc) {
		reply_err(req, -rc);
		return;
	}
	fs_siblings_begin(fs, fn, pages, &sib);
	reply_err(req, 0);
	fs_siblings_end(fs, &sib, NULL);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
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

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
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

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
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

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
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

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			 off_t off, off_t len, struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);
	struct store *s;

	if (!fh->view || fh->view->read_only) {
		reply_err(req, EROFS);
		return;
	}
	s = fh->view->store;
	if (!s->ops->fallocate) {
		reply_err(req, EOPNOTSUPP);
		return;
	}
	reply_changed(req, node_of(req, ino),
		      s->ops->fallocate(s, fh->sf, mode, off, len), true);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);
	struct store *s;
	off_t res;

	(void)ino;
	if (!fh->view || !fh->view->store->ops->lseek) {
		reply_err(req, EOPNOTSUPP);
		return;
	}
	s = fh->view->store;
	res = s->ops->lseek(s, fh->sf, off, whence);
	if (res < 0)
		reply_err(req, (int)-res);
	else
		fuse_reply_lseek(req, res);
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
			       off_t off_in, struct fuse_file_info *fi_in,
			       fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len,
			       int flags)
{
	(void)ino_in, (void)off_in, (void)fi_in, (void)ino_out;
	(void)off_out, (void)fi_out, (void)len, (void)flags;
	/* The kernel copies through read and write instead. */
	reply_err(req, EOPNOTSUPP);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs *fs = userdata;

	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/*
	 * Truncation and the clearing of setuid bits go through setattr, so
	 * that read-only views refuse them and stores account for them.
	 */
	conn->want &= ~(FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_HANDLE_KILLPRIV);
	/*
	 * The daemon clears set-id bits where the kernel says so, and the
	 * kernel stops asking for security.capability before each write.
	 */
	fs->killpriv = false;
#ifdef FUSE_CAP_HANDLE_KILLPRIV_V2
	if (conn->capable & FUSE_CAP_HANDLE_KILLPRIV_V2) {
		conn->want |= FUSE_CAP_HANDLE_KILLPRIV_V2;
		fs->killpriv = true;
	}
#endif
	/* It would apply to the whole mount, hostPaths included. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/*
	 * POSIX ACLs of host files are enforced by the kernel's permission
	 * checks, not only stored: with default_permissions alone it would
	 * check the mode bits and ignore named-user entries.
	 */
	if (conn->capable & FUSE_CAP_POSIX_ACL)
		conn->want |= FUSE_CAP_POSIX_ACL;
	conn->max_write = fs->cfg.max_write;
	conn->max_readahead = conn->max_write;
	fs_passthrough_init(fs, conn);
	log_debug("kernel capabilities 0x%x, using 0x%x", conn->capable,
		  conn->want);
}

/*
 * Locks (see lock.c): the host kernel locks on descriptions of the store's
 * file, so every view and the host see the same locks. A blocking request
 * is retried with a growing pause of at most 10 ms, so that a waiter that
 * is interrupted (a signal, a kill) gets its answer at once instead of
 * leaving a daemon thread and the caller stuck in the host's wait.
 */
static bool lock_backoff(fuse_req_t req, unsigned int *delay_us)
{
	if (fuse_req_interrupted(req))
		return false;
	usleep(*delay_us);
	if (*delay_us < 10000)
		*delay_us *= 2;
	return true;
}

/*
 * After a lock is granted on data that may change behind the mount (a
 * hostPath), the kernel's cached pages and attributes of the file are
 * dropped, as NFS does: a process that locks, then reads (SQLite checking
 * its change counter) sees what a host process wrote under its own lock.
 */
static void lock_granted(fuse_req_t req, fuse_ino_t ino,
			 const struct fhandle *fh)
{
	if (fh->view->cache.changes_behind)
		fuse_lowlevel_notify_inval_inode(fs_of(req)->se, ino, 0, 0);
}

static void op_getlk(fuse_req_t req, fuse_ino_t ino,
		     struct fuse_file_info *fi, struct flock *lock)
{
	struct fhandle *fh = handle_of(req, fi);
	int rc;

	(void)ino;
	if (!fh->view) {
		reply_err(req, ENOLCK);
		return;
	}
	rc = lock_posix_get(fh->sf->node, fh->sf->fd, fi->lock_owner, lock);
	if (rc)
		reply_err(req, -rc);
	else
		fuse_reply_lock(req, lock);
}

static void op_setlk(fuse_req_t req, fuse_ino_t ino,
		     struct fuse_file_info *fi, struct flock *lock, int sleep)
{
	struct fhandle *fh = handle_of(req, fi);
	unsigned int delay = 500;
	int rc;

	if (!fh->view) {
		reply_err(req, ENOLCK);
		return;
	}
	for (;;) {
		rc = lock_posix_set(fh->sf->node, fh->sf->fd, fi->lock_owner,
				    fh, lock);
		if (rc != -EAGAIN || !sleep)
			break;
		if (!lock_backoff(req, &delay)) {
			rc = -EINTR;
			break;
		}
	}
	if (!rc && lock->l_type != F_UNLCK)
		lock_granted(req, ino, fh);
	reply_err(req, -rc);
}

static void op_flock(fuse_req_t req, fuse_ino_t ino,
		     struct fuse_file_info *fi, int op)
{
	struct fhandle *fh = handle_of(req, fi);
	unsigned int delay = 500;
	int rc;

	if (!fh->view) {
		reply_err(req, ENOLCK);
		return;
	}
	for (;;) {
		rc = lock_flock(fh->sf->node, fh->sf->fd, fh, op);
		if (rc != -EAGAIN || (op & LOCK_NB))
			break;
		if (!lock_backoff(req, &delay)) {
			rc = -EINTR;
			break;
		}
	}
	if (!rc && (op & ~LOCK_NB) != LOCK_UN)
		lock_granted(req, ino, fh);
	reply_err(req, -rc);
}

static void op_destroy(void *userdata)
{
	(void)userdata;
	lock_table_clear();
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.symlink = op_symlink,
	.link = op_link,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.open = op_open,
	.create = op_create,
#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 17)
	.tmpfile = op_tmpfile,
#endif
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.fsyncdir = op_fsyncdir,
	.statfs = op_statfs,
	.setxattr = op_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.removexattr = op_removexattr,
	.fallocate = op_fallocate,
	.lseek = op_lseek,
	.copy_file_range = op_copy_file_range,
	.getlk = op_getlk,
	.setlk = op_setlk,
	.flock = op_flock,
	.destroy = op_destroy,
};
