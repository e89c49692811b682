/*
 * ops_i.h - private to the FUSE request handlers: the open-file handle, and
 * what the files of the handlers share. ops.c holds the table of handlers
 * and says how a handler goes; each function's contract is at its
 * definition.
 */
#ifndef PODVOLFS_FUSE_OPS_I_H
#define PODVOLFS_FUSE_OPS_I_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fs_i.h"

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

static inline struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* request.c: a request's node, open file and caller; shared replies. */
void reply_err(fuse_req_t req, int err);
void set_caller(fuse_req_t req, const struct view *view);
struct fnode *node_of(fuse_req_t req, fuse_ino_t ino);
struct fhandle *handle_of(fuse_req_t req, struct fuse_file_info *fi);
void reply_changed(fuse_req_t req, struct fnode *fn, int rc, bool pages);

/* entry.c: inode numbers, attributes, and entries counted for the kernel. */
uint64_t user_ino(const struct view *v, uint64_t ino);
bool is_read_only(const struct fnode *fn);
void virtual_stat(struct vnode *vn, struct stat *st);
int node_stat(struct fnode *fn, struct fhandle *fh, struct stat *st);
double attr_timeout(const struct fnode *fn);
void reply_entry(fuse_req_t req, struct fnode *child, const struct stat *st);
int view_root_entry(struct fs *fs, struct view *view, struct fnode **out,
		    struct stat *st);
int vnode_entry(struct fs *fs, struct vnode *vn, struct fnode **out,
		struct stat *st);
int store_entry(struct fs *fs, struct view *view, struct snode *sn,
		struct stat *st, struct fnode **out);
void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void op_forget_multi(fuse_req_t req, size_t count,
		     struct fuse_forget_data *forgets);
void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		int to_set, struct fuse_file_info *fi);
void op_readlink(fuse_req_t req, fuse_ino_t ino);
void op_statfs(fuse_req_t req, fuse_ino_t ino);

/* file.c: open files, their data and their locks. */
struct fhandle *handle_new(struct view *view, struct store_file *sf);
void handle_free(struct fhandle *fh);
void open_data_path(fuse_req_t req, struct fnode *fn, struct fhandle *fh,
		    struct fuse_file_info *fi);
void handle_close(struct fs *fs, fuse_req_t req, struct fhandle *fh);
void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	     struct fuse_file_info *fi);
void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	      off_t off, struct fuse_file_info *fi);
void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
	      struct fuse_file_info *fi);
void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
		  off_t len, struct fuse_file_info *fi);
void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	      struct fuse_file_info *fi);
void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			off_t off_out, struct fuse_file_info *fi_out,
			size_t len, int flags);
void op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	      struct flock *lock);
void op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	      struct flock *lock, int sleep);
void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	      int op);

/* names.c: requests that change a directory's entries. */
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	      mode_t mode, dev_t rdev);
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	      mode_t mode);
void op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
		const char *name);
void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	     const char *newname);
void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname,
	       unsigned int flags);
void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode, struct fuse_file_info *fi);
#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 17)
void op_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode,
		struct fuse_file_info *fi);
#endif

/* dir.c: reading directories. */
void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void op_releasedir(fuse_req_t req, fuse_ino_t ino,
		   struct fuse_file_info *fi);
void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		 struct fuse_file_info *fi);

/* xattr.c: extended attributes. */
void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags);
void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 size_t size);
void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif
