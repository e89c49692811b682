/*
 * fs.h - the FUSE layer: serves a tree (podvolfs/tree.h) to the kernel.
 *
 * The mounted tree's upper levels are the nodes of a struct tree, which
 * the cluster publishes into; below each mount point, a view of a store.
 * A FUSE inode is a (view, store node) pair, or a node of the tree. The
 * same file reached through two views is two FUSE inodes, so each can
 * carry its own read-only-ness. This layer names no volume type and reads
 * no manifest; it reads the tree, which tells it what changed through the
 * callbacks fs_new() registers.
 */
#ifndef PODVOLFS_FS_H
#define PODVOLFS_FS_H

#include <stdbool.h>

#include "podvolfs/tree.h"

struct fuse_session;
struct fuse_lowlevel_ops;

struct fs_config {
	unsigned max_write;		/* bytes; the kernel's max_write */
	/*
	 * Ask the kernel for FUSE passthrough (Linux 6.9+, libfuse 3.16+,
	 * CAP_SYS_ADMIN): opens of files a store keeps on the host are
	 * read, and written where no limit needs the daemon to see every
	 * write, by the kernel from the host file itself.
	 */
	bool passthrough;
};

/*
 * Whether this build can use FUSE passthrough, for --version: "passthrough
 * built in" or why not.
 */
const char *fs_passthrough_built(void);

/* The FUSE operations, for fuse_session_new() with a struct fs as userdata. */
extern const struct fuse_lowlevel_ops fs_ops;

struct fs;

/*
 * A filesystem serving @tree, registered as its reader (tree_set_reader())
 * until fs_free(). Returns NULL on allocation failure.
 */
struct fs *fs_new(struct tree *t, const struct fs_config *cfg);

/*
 * Lets the tree's changes reach the kernel through @se. With NULL,
 * once the session's loop has ended and before the session goes: what
 * requests left to notify is sent, and the notifier thread ends.
 */
void fs_set_session(struct fs *fs, struct fuse_session *se);

/* Frees @fs after its session ended, dropping every inode it still held. */
void fs_free(struct fs *fs);

#endif
