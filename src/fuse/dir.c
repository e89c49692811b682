/*
 * dir.c - reading directories: opendir, readdir and readdirplus, releasedir
 * and fsyncdir. A virtual directory lists the children it had at opendir; a
 * store's directory lists through the store, each mount point in it shown
 * as the root of the view mounted over it.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>

#include "fs_i.h"
#include "ops_i.h"

void op_opendir(fuse_req_t req, fuse_ino_t ino,
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

/* Whether @vn is the root of a volume whose store may wait on a server. */
static bool may_block(struct vnode *vn)
{
	struct view *view = vnode_view(vn);

	return vnode_kind(vn) == VNODE_MOUNT &&
	       (view->store->caps & STORE_CAP_MAY_BLOCK);
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

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
		    off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t ino,
		   struct fuse_file_info *fi)
{
	struct fhandle *fh = handle_of(req, fi);

	(void)ino;
	if (fh->view)
		fh->view->store->ops->releasedir(fh->view->store, fh->sf);
	handle_free(fh);
	reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
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
