/*
 * memory.c - the memory store: an in-process RAM filesystem for emptyDir
 * with medium Memory. This file holds the nodes (making, counting and
 * freeing them), their attributes, statfs and the table of store ops;
 * memory_names.c changes names, memory_file.c serves open files,
 * memory_dir.c keeps directories, memory_data.c file data and
 * memory_xattr.c extended attributes.
 *
 * Nodes live while they have a name or a reference: every name together
 * holds one reference (dropped when nlink reaches 0), and each lookup or
 * open handle holds one more. The last reference frees the node and gives
 * its bytes back to the limit, so an unlinked file that is still open keeps
 * its data and its charge until the last release.
 *
 * Two kinds of lock. The store's ns_lock guards the directory structure
 * (entries, parents, nlink) and is taken for writing by every change of a
 * name, rename included, so a rename never has to order two directory
 * locks. Each node's rwlock guards its attributes and data; it is taken
 * after ns_lock and never two at once, so the data path of one file meets
 * no global lock. Directory listings run under ns_lock for reading.
 * See docs/design/memory-store.md.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "podvolfs/heap.h"
#include "podvolfs/store.h"
#include "memory_i.h"

/* Freeing this much chunk memory at once hands free heap pages back. */
#define MEM_TRIM_BYTES		(32ULL << 20)

static uint64_t node_charged(const struct mem_node *n)
{
	uint64_t bytes = n->xattr_bytes;

	if (S_ISREG(n->type))
		bytes += data_charged(&n->u.data);
	else if (S_ISLNK(n->type))
		bytes += n->u.link.len;
	return bytes;
}

void *mem_alloc(size_t size)
{
	void *p;

	if (heap_short())
		return NULL;
	p = calloc(1, size);
	if (!p)
		heap_reserve_spend();
	return p;
}

/* Returns freed heap pages to the system after a big free. */
void mem_trim(uint64_t freed)
{
	if (freed >= MEM_TRIM_BYTES)
		malloc_trim(0);
}

/*
 * A new node of @type with permissions @perm, owned by @cred, with no
 * name and no reference yet. NULL: out of memory.
 */
struct mem_node *mem_node_new(struct mem_store *ms, mode_t type,
			      mode_t perm, const struct store_cred *cred)
{
	struct mem_node *n = mem_alloc(sizeof(*n));

	if (!n)
		return NULL;
	if (pthread_rwlock_init(&n->lock, NULL)) {
		free(n);
		return NULL;
	}
	n->base.store = &ms->base;
	n->base.ino = __atomic_fetch_add(&ms->next_ino, 1, __ATOMIC_RELAXED);
	n->type = type;
	n->mode = type | (perm & 07777);
	n->uid = cred->uid;
	n->gid = cred->gid;
	n->atime = now_ts();
	n->mtime = n->atime;
	n->ctime = n->atime;
	return n;
}

/* Frees @n's contents and @n, giving its charge back. Holds no lock. */
void mem_node_destroy(struct mem_store *ms, struct mem_node *n)
{
	uint64_t freed = 0;

	store_uncharge(&ms->base, node_charged(n));
	while (n->xattrs) {
		struct mem_xattr *x = n->xattrs;

		n->xattrs = x->next;
		free(x->value);
		free(x);
	}
	if (S_ISREG(n->type)) {
		freed = n->u.data.alloc;
		mem_data_free(&n->u.data);
	} else if (S_ISDIR(n->type)) {
		mem_dir_free(&n->u.dir);
	} else if (S_ISLNK(n->type)) {
		free(n->u.link.target);
	}
	pthread_rwlock_destroy(&n->lock);
	free(n);
	mem_trim(freed);
}

/* Adds @n to the list of live nodes. */
void mem_node_track(struct mem_store *ms, struct mem_node *n)
{
	pthread_mutex_lock(&ms->all_lock);
	n->all_prev = NULL;
	n->all_next = ms->all;
	if (ms->all)
		ms->all->all_prev = n;
	ms->all = n;
	pthread_mutex_unlock(&ms->all_lock);
	__atomic_add_fetch(&ms->nodes, 1, __ATOMIC_RELAXED);
}

static void node_untrack(struct mem_store *ms, struct mem_node *n)
{
	pthread_mutex_lock(&ms->all_lock);
	if (n->all_prev)
		n->all_prev->all_next = n->all_next;
	else
		ms->all = n->all_next;
	if (n->all_next)
		n->all_next->all_prev = n->all_prev;
	pthread_mutex_unlock(&ms->all_lock);
	__atomic_sub_fetch(&ms->nodes, 1, __ATOMIC_RELAXED);
}

void mem_node_ref(struct mem_node *n)
{
	__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
}

/* Drops a reference; the last one frees @n. Call with no store lock held. */
void mem_node_unref(struct mem_store *ms, struct mem_node *n)
{
	if (__atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL))
		return;
	node_untrack(ms, n);
	mem_node_destroy(ms, n);
}

/* Fills @st from @n. Caller holds n->lock. */
static void node_fill_stat(const struct mem_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->base.ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	st->st_blksize = 4096;
	if (S_ISREG(n->type)) {
		st->st_size = n->u.data.size;
		st->st_blocks = n->u.data.chunks * (MEM_CHUNK_SIZE / 512);
	} else if (S_ISLNK(n->type)) {
		st->st_size = n->u.link.len;
	} else if (S_ISDIR(n->type)) {
		st->st_size = 4096;
	}
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

void mem_node_stat(struct mem_node *n, struct stat *st)
{
	if (!st)
		return;
	pthread_rwlock_rdlock(&n->lock);
	node_fill_stat(n, st);
	pthread_rwlock_unlock(&n->lock);
}

/* ---- store ops: references and the root ---- */

static void mem_destroy(struct store *s)
{
	struct mem_store *ms = to_ms(s);

	while (ms->all) {
		struct mem_node *n = ms->all;

		ms->all = n->all_next;
		mem_node_destroy(ms, n);
	}
	pthread_mutex_destroy(&ms->all_lock);
	pthread_rwlock_destroy(&ms->ns_lock);
	free(ms);
}

static void mem_put(struct store *s, struct snode *n)
{
	mem_node_unref(to_ms(s), to_node(n));
}

static void mem_get(struct store *s, struct snode *n)
{
	(void)s;
	mem_node_ref(to_node(n));
}

static int mem_root(struct store *s, struct snode **out)
{
	struct mem_store *ms = to_ms(s);

	mem_node_ref(ms->root);
	*out = &ms->root->base;
	return 0;
}

/* ---- attributes ---- */

static int mem_getattr(struct store *s, struct snode *n, struct store_file *f,
		       struct stat *st)
{
	(void)s;
	(void)f;
	mem_node_stat(to_node(n), st);
	return 0;
}

static int mem_setattr(struct store *s, struct snode *sn, struct store_file *f,
		       const struct stat *in, int to_set, struct stat *st)
{
	struct mem_node *n = to_node(sn);
	struct timespec now = now_ts();
	uint64_t freed = 0;
	int rc = 0;

	(void)f;
	pthread_rwlock_wrlock(&n->lock);
	if (to_set & STORE_SET_SIZE) {
		rc = mem_node_truncate(to_ms(s), n, in->st_size, &freed);
		if (rc)
			goto out_unlock;
		if (!(to_set & (STORE_SET_MTIME | STORE_SET_MTIME_NOW)))
			n->mtime = now;
	}
	if (to_set & (STORE_SET_SIZE | STORE_SET_UID | STORE_SET_GID))
		mem_node_kill_caps(to_ms(s), n);
	if (to_set & STORE_SET_MODE)
		n->mode = n->type | (in->st_mode & 07777);
	if (to_set & STORE_SET_UID)
		n->uid = in->st_uid;
	if (to_set & STORE_SET_GID)
		n->gid = in->st_gid;
	if (to_set & STORE_SET_ATIME_NOW)
		n->atime = now;
	else if (to_set & STORE_SET_ATIME)
		n->atime = in->st_atim;
	if (to_set & STORE_SET_MTIME_NOW)
		n->mtime = now;
	else if (to_set & STORE_SET_MTIME)
		n->mtime = in->st_mtim;
	if (to_set & STORE_SET_CTIME)
		n->ctime = in->st_ctim;
	else if (to_set)
		n->ctime = now;
	if (st)
		node_fill_stat(n, st);
out_unlock:
	pthread_rwlock_unlock(&n->lock);
	mem_trim(freed);
	return rc;
}

static int mem_readlink(struct store *s, struct snode *sn, char *buf,
			size_t size)
{
	struct mem_node *n = to_node(sn);
	size_t len;

	(void)s;
	if (!S_ISLNK(n->type))
		return -EINVAL;
	len = n->u.link.len;
	memcpy(buf, n->u.link.target, len < size ? len : size);
	if (len < size)
		buf[len] = '\0';
	return (int)len;
}

static int mem_statfs(struct store *s, struct snode *n, struct statvfs *st)
{
	struct mem_store *ms = to_ms(s);
	uint64_t nodes = __atomic_load_n(&ms->nodes, __ATOMIC_RELAXED);

	(void)n;
	memset(st, 0, sizeof(*st));
	if (s->limit) {
		store_statfs_limit(s, st);
	} else {
		struct sysinfo si;
		uint64_t unit;

		if (sysinfo(&si))
			return -errno;
		unit = si.mem_unit ? si.mem_unit : 1;
		st->f_bsize = 4096;
		st->f_frsize = 4096;
		st->f_blocks = (uint64_t)si.totalram * unit / 4096;
		st->f_bfree = ((uint64_t)si.freeram + si.bufferram) * unit /
			      4096;
		st->f_bavail = st->f_bfree;
	}
	/* Nodes cost RAM, not limit bytes: offer one per free block. */
	st->f_ffree = st->f_bfree > 65536 ? st->f_bfree : 65536;
	st->f_favail = st->f_ffree;
	st->f_files = st->f_ffree + nodes;
	st->f_namemax = MEM_NAME_MAX;
	return 0;
}

static const struct store_ops memory_ops = {
	.name = "memory",
	.destroy = mem_destroy,
	.put = mem_put,
	.get = mem_get,
	.root = mem_root,
	.lookup = mem_lookup,
	.getattr = mem_getattr,
	.setattr = mem_setattr,
	.readlink = mem_readlink,
	.mknod = mem_mknod,
	.mkdir = mem_mkdir,
	.symlink = mem_symlink,
	.link = mem_link,
	.create = mem_create,
	.tmpfile = mem_tmpfile,
	.unlink = mem_unlink,
	.rmdir = mem_rmdir,
	.rename = mem_rename,
	.open = mem_open,
	.read = mem_read,
	.write = mem_write,
	.flush = mem_flush,
	.fsync = mem_fsync,
	.fallocate = mem_fallocate,
	.lseek = mem_lseek,
	.release = mem_release,
	.opendir = mem_opendir,
	.readdir = mem_readdir,
	.releasedir = mem_releasedir,
	.fsyncdir = mem_fsyncdir,
	.statfs = mem_statfs,
	.setxattr = mem_setxattr,
	.getxattr = mem_getxattr,
	.listxattr = mem_listxattr,
	.removexattr = mem_removexattr,
};

struct store *memory_store_new(mode_t root_mode, uid_t uid, gid_t gid,
			       uint64_t limit)
{
	struct store_cred cred = { .uid = uid, .gid = gid };
	struct mem_store *ms = calloc(1, sizeof(*ms));
	struct mem_node *root;

	if (!ms)
		return NULL;
	ms->base.ops = &memory_ops;
	ms->base.refs = 1;
	ms->base.limit = limit;
	ms->next_ino = 1;
	if (pthread_rwlock_init(&ms->ns_lock, NULL))
		goto out_free_store;
	if (pthread_mutex_init(&ms->all_lock, NULL))
		goto out_destroy_ns_lock;
	root = mem_node_new(ms, S_IFDIR, root_mode, &cred);
	if (!root)
		goto out_destroy_all_lock;
	root->nlink = 2;
	root->refs = 1;
	root->u.dir.parent = root;
	mem_node_track(ms, root);
	ms->root = root;
	return &ms->base;

out_destroy_all_lock:
	pthread_mutex_destroy(&ms->all_lock);
out_destroy_ns_lock:
	pthread_rwlock_destroy(&ms->ns_lock);
out_free_store:
	free(ms);
	return NULL;
}
