/*
 * ops.c - the table of FUSE low-level operations, and init and destroy.
 *
 * Each handler finds its inode, refuses what the inode's view forbids
 * (EROFS on a read-only view or a virtual level), makes one call on a store
 * or the virtual tree, and replies exactly once. Helpers return 0 or -errno
 * and never reply. The handlers are in entry.c, file.c, dir.c, names.c and
 * xattr.c, what they share in request.c (ops_i.h).
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "fs_i.h"
#include "lock_i.h"
#include "ops_i.h"
#include "podvolfs/log.h"

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
