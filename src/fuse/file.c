/*
 * file.c - open files: open and the handles behind them, the data path
 * (read, write, fallocate, lseek, flush, fsync), locks, and release.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fs_i.h"
#include "lock_i.h"
#include "ops_i.h"

struct fhandle *handle_new(struct view *view, struct store_file *sf)
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

void handle_free(struct fhandle *fh)
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
void open_data_path(fuse_req_t req, struct fnode *fn,
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
void handle_close(struct fs *fs, fuse_req_t req, struct fhandle *fh)
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

void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
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

void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
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
void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
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

void op_release(fuse_req_t req, fuse_ino_t ino,
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

void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
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

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
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

void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
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

void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
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

void op_getlk(fuse_req_t req, fuse_ino_t ino,
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

void op_setlk(fuse_req_t req, fuse_ino_t ino,
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

void op_flock(fuse_req_t req, fuse_ino_t ino,
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
