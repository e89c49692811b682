/*
 * nfs_store_i.h - private to the NFS store: nodes, open files, and the
 * calls shared by nfs.c (files, attributes) and nfs_dir.c (names).
 */
#ifndef PODVOLFS_NFS_STORE_I_H
#define PODVOLFS_NFS_STORE_I_H

#include "nfs_i.h"
#include "podvolfs/log.h"

struct nfs_node {
	struct snode base;		/* base.ino: the server's fileid */
	unsigned long refs;		/* store->lock */
	struct nfs_node *next;		/* hash chain; store->lock */
	uint32_t hash;
	struct nfs_fh fh;
	/* the server's last word on the attributes; store->lock */
	struct stat st;
	double st_at;			/* CLOCK_MONOTONIC seconds */
	unsigned long st_epoch;		/* store->epoch when they came */
	bool st_valid;
	unsigned opens;			/* open files here; store->lock */
	/* removed while open: the silly name to remove at last close */
	struct nfs_node *silly_dir;	/* one reference, or NULL */
	char *silly_name;
};

#define NFS_NODE(sn) ((struct nfs_node *)(sn))

/* Bytes written UNSTABLE and not committed yet, with their verifier. */
struct nfs_extent {
	struct nfs_extent *next;
	off_t off;
	size_t len;
	char verf[NFS3_WRITEVERFSIZE];
	char data[];
};

/* A directory entry as READDIRPLUS gave it. */
struct nfs_dirent {
	char *name;			/* points into the same allocation */
	uint64_t fileid;
	bool have_fh, have_attrs;
	struct nfs_fh fh;
	fattr3 attrs;
};

struct nfs_file {
	struct store_file base;
	pthread_mutex_t lock;		/* protects unstable */
	struct nfs_extent *unstable;
	size_t unstable_bytes;
	/* a directory's listing, read whole at the first readdir */
	struct nfs_dirent *ents;
	size_t n_ents;
	bool listed;
};

struct nfs_store {
	struct store base;
	struct nfs_pool *pool;		/* one reference */
	double ac_file, ac_dir;		/* attribute cache, seconds */
	pthread_mutex_t lock;		/* the node table, attributes, opens */
	struct nfs_node **buckets;
	size_t nbuckets;		/* a power of two, or 0 */
	size_t count;
	struct nfs_node *root;		/* one reference */
	unsigned opens;			/* open files and directories; lock */
	/*
	 * Bumped by each change of names (unlink, rename, link): a link
	 * count may have changed anywhere, so older attributes are stale.
	 */
	unsigned long epoch;
	unsigned long silly_seq;
};

void nst_fattr_to_stat(const fattr3 *a, struct stat *st);
void nst_fh_arg(nfs_fh3 *arg, const struct nfs_node *n);

/* The node of handle @fh with a new reference, its attributes set from @a (may be NULL). */
int nst_node_get(struct nfs_store *s, const nfs_fh3 *fh, const fattr3 *a,
		 struct nfs_node **out);
void nst_post_attrs(struct nfs_store *s, struct nfs_node *n,
		    const post_op_attr *a);
void nst_forget_attrs(struct nfs_store *s, struct nfs_node *n);
/* Names changed: every node's attributes are asked for again. */
void nst_names_changed(struct nfs_store *s);
/* Asks the server for @n's attributes; fills @st unless NULL. */
int nst_refresh(struct nfs_store *s, struct nfs_node *n, struct stat *st);
int nst_setattr(struct store *st, struct snode *sn, struct store_file *f,
		const struct stat *in, int to_set, struct stat *out);
int nst_open(struct store *st, struct snode *sn, int flags,
	     struct store_file **out);
ssize_t nst_read(struct store *st, struct store_file *f, char *buf,
		 size_t size, off_t off);
ssize_t nst_write(struct store *st, struct store_file *sf, const char *buf,
		  size_t size, off_t off);
int nst_flush(struct store *st, struct store_file *f);
int nst_fsync(struct store *st, struct store_file *f, bool datasync);
int nst_fallocate(struct store *st, struct store_file *f, int mode,
		  off_t off, off_t len);
off_t nst_lseek(struct store *st, struct store_file *f, off_t off,
		int whence);
void nst_release(struct store *st, struct store_file *sf);
/* A new open file of @n, holding a reference to it. */
int nst_file_open(struct nfs_store *s, struct nfs_node *n,
		  struct store_file **out);
/* Frees a directory's listing. */
void nst_free_listing(struct nfs_file *f);
/* @n lost an open file: the last one removes a silly-renamed name. */
void nst_file_closed(struct nfs_store *s, struct nfs_node *n);

int nst_lookup(struct store *st, struct snode *dir, const char *name,
	       struct snode **out, struct stat *stat);
int nst_mknod(struct store *st, struct snode *dir, const char *name,
	      mode_t mode, dev_t rdev, const struct store_cred *cred,
	      struct snode **out, struct stat *stat);
int nst_mkdir(struct store *st, struct snode *dir, const char *name,
	      mode_t mode, const struct store_cred *cred,
	      struct snode **out, struct stat *stat);
int nst_symlink(struct store *st, struct snode *dir, const char *name,
		const char *target, const struct store_cred *cred,
		struct snode **out, struct stat *stat);
int nst_link(struct store *st, struct snode *n, struct snode *dir,
	     const char *name, struct snode **out, struct stat *stat);
int nst_create(struct store *st, struct snode *dir, const char *name,
	       mode_t mode, int flags, const struct store_cred *cred,
	       struct snode **out, struct stat *stat,
	       struct store_file **f);
int nst_tmpfile(struct store *st, struct snode *dir, mode_t mode, int flags,
		const struct store_cred *cred, struct snode **out,
		struct stat *stat, struct store_file **f);
int nst_unlink(struct store *st, struct snode *dir, const char *name);
int nst_rmdir(struct store *st, struct snode *dir, const char *name);
int nst_rename(struct store *st, struct snode *dir, const char *name,
	       struct snode *newdir, const char *newname, unsigned int flags);
int nst_opendir(struct store *st, struct snode *n, struct store_file **f);
int nst_readdir(struct store *st, struct store_file *f, off_t off,
		bool plus, store_fill_fn fill, void *ctx);
int nst_fsyncdir(struct store *st, struct store_file *f, bool datasync);

#endif
