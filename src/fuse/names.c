/*
 * names.c - requests that change the entries of a directory: mknod, mkdir,
 * symlink, link, unlink, rmdir, rename, create and tmpfile. After the reply
 * the other views of the directory forget the name, and no request removes
 * or renames a mount point (EBUSY).
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>

#include "fs_i.h"
#include "ops_i.h"

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

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
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

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
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

void op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
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

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
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

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
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

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
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

void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
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

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
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
void op_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode,
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
