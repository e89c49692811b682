/*
 * passthrough.c - FUSE passthrough: the kernel reads and writes the host
 * file itself (Linux 6.9+, libfuse 3.16+, CAP_SYS_ADMIN).
 *
 * On open, the daemon hands the kernel the host fd the store opened
 * beneath the volume's root (store_file.fd) as a backing file; the kernel
 * then opens that same host file with the opener's flags and serves read,
 * write, splice and mmap from it without a request to the daemon. Every
 * other request (lookup, getattr, setattr, locks, fsync, fallocate...)
 * still comes here, so read-only views and confinement stay as they are.
 *
 * The kernel takes one backing file per inode, and once an inode has one,
 * every open of it must be a passthrough open (else EIO). So every open of
 * an inode of a store with host fds is a passthrough open, with one backing
 * id per fnode kept while any handle uses it. When the kernel refuses a
 * backing file (one on a stacked file system, such as overlayfs or another
 * passthrough FUSE mount), the inode's opens are served by the daemon as
 * before, and the store stops asking for its other files.
 *
 * A store that counts its own limit (a sized disk emptyDir) never uses
 * passthrough: the kernel would write a shared mapping's pages into the
 * host file's holes itself, past the limit, and every open of an inode
 * with a backing file must be a passthrough open, so not even its
 * read-only opens can. A store whose file system keeps the limit (a
 * Memory emptyDir on its private tmpfs) does use it.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <string.h>

#include "fs_i.h"
#include "podvolfs/log.h"

#ifdef FUSE_CAP_PASSTHROUGH

const char *fs_passthrough_built(void)
{
	return "passthrough built in";
}

void fs_passthrough_init(struct fs *fs, struct fuse_conn_info *conn)
{
	if (!fs->cfg.passthrough)
		return;
	if (!(conn->capable & FUSE_CAP_PASSTHROUGH)) {
		log_info("the kernel offers no FUSE passthrough: file data goes through the daemon");
		return;
	}
	/*
	 * Backing files on a stacked file system (overlayfs) are refused,
	 * so that podvolfs itself may be stacked under one.
	 */
	conn->max_backing_stack_depth = 0;
	conn->want |= FUSE_CAP_PASSTHROUGH;
	store_passthrough_set(true);
}

bool fs_passthrough_attach(struct fs *fs, fuse_req_t req, struct fnode *fn,
			   const struct store_file *sf, struct fuse_file_info *fi)
{
	struct store *s = fn->view->store;
	int id, err;

	if (sf->fd < 0 || !store_may_passthrough(s))
		return false;
	pthread_mutex_lock(&fs->pt_lock);
	if (!fn->backing_id) {
		if (__atomic_load_n(&s->data_path, __ATOMIC_RELAXED) ==
		    STORE_DATA_REFUSED) {
			pthread_mutex_unlock(&fs->pt_lock);
			return false;
		}
		errno = 0;
		id = fuse_passthrough_open(req, sf->fd);
		err = errno;
		if (id <= 0) {
			pthread_mutex_unlock(&fs->pt_lock);
			if (__atomic_exchange_n(&s->data_path,
						STORE_DATA_REFUSED,
						__ATOMIC_RELAXED) !=
			    STORE_DATA_REFUSED)
				log_info("the kernel refuses a passthrough backing file (%s): this volume's data goes through the daemon",
					 err ? strerror(err) : "no reason given");
			return false;
		}
		fn->backing_id = id;
	}
	fn->n_backing++;
	fi->backing_id = fn->backing_id;
	pthread_mutex_unlock(&fs->pt_lock);
	__atomic_store_n(&s->data_path, STORE_DATA_PASSTHROUGH,
			 __ATOMIC_RELAXED);
	/* The kernel refuses keep_cache here: the inode has no page cache. */
	fi->keep_cache = 0;
	return true;
}

void fs_passthrough_detach(struct fs *fs, fuse_req_t req, struct fnode *fn)
{
	pthread_mutex_lock(&fs->pt_lock);
	if (--fn->n_backing == 0 && req) {
		fuse_passthrough_close(req, fn->backing_id);
		fn->backing_id = 0;
	}
	pthread_mutex_unlock(&fs->pt_lock);
}

#else

const char *fs_passthrough_built(void)
{
	return "no passthrough: needs libfuse 3.16 or later";
}

void fs_passthrough_init(struct fs *fs, struct fuse_conn_info *conn)
{
	(void)fs, (void)conn;
}

bool fs_passthrough_attach(struct fs *fs, fuse_req_t req, struct fnode *fn,
			   const struct store_file *sf, struct fuse_file_info *fi)
{
	(void)fs, (void)req, (void)fn, (void)sf, (void)fi;
	return false;
}

void fs_passthrough_detach(struct fs *fs, fuse_req_t req, struct fnode *fn)
{
	(void)fs, (void)req, (void)fn;
}

#endif
