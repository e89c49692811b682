/*
 * lock.c - POSIX and BSD locks, done by the host kernel.
 *
 * A FUSE lock request names an owner (POSIX: the kernel's lock_owner, one
 * per process or per open file for OFD locks) or an open file (flock). Each
 * gets an open file description of its own on a carrier file, and the lock
 * is taken there with F_OFD_SETLK or flock(2): the host kernel then does the
 * range arithmetic, the upgrades, and the conflicts between owners, with
 * the POSIX rule that an owner never conflicts with itself.
 *
 * The carrier is the host file when the store's handle has a host fd (the
 * passthrough store), so that locks taken through the mount, through any
 * other view of the same file and by processes on the host all see each
 * other, as they would on a bind mount. Other stores get a memfd per
 * locked object, shared by all views of it.
 *
 * The kernel says when a process's POSIX locks go (flush, at any close),
 * but not when an OFD lock's owner, an open file, goes: its last close
 * sends only release. So every owner remembers the open file it was made
 * through, and release drops the owners made through that file. A POSIX
 * owner is never among them by then: the process closed the file to let
 * it go, and that close's flush dropped the owner already.
 *
 * The trade-off: one host fd per (object, lock owner) and per flock'ed open
 * file, held while the owner keeps its locks or the file stays open.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lock_i.h"

#define LK_BUCKETS	256

/* One owner's open file description on the carrier. */
struct lk_owner {
	struct lk_owner *next;		/* protected by lk_table.lock */
	uint64_t owner;			/* POSIX lock owner; 0 for flock */
	const void *handle;		/* flock: the open file; NULL for POSIX */
	const void *via;		/* the open file it was made through */
	int fd;				/* holds the owner's locks; owned */
};

/* A store object with owners. */
struct lk_node {
	struct lk_node *next;		/* hash chain; protected by lk_table.lock */
	struct snode *sn;		/* one reference, and one on its store */
	int memfd;			/* the carrier when the store has no fd, or -1 */
	struct lk_owner *owners;	/* protected by lk_table.lock */
};

static struct {
	pthread_mutex_t lock;		/* everything below and in the nodes */
	struct lk_node *buckets[LK_BUCKETS];
	unsigned long count;		/* nodes; read without the lock as a hint */
} lk_table = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct lk_node **lk_bucket(const struct snode *sn)
{
	uintptr_t h = (uintptr_t)sn;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return &lk_table.buckets[(h >> 32) % LK_BUCKETS];
}

/* Called with lk_table.lock held. */
static struct lk_node *lk_node_find(const struct snode *sn)
{
	struct lk_node *n = *lk_bucket(sn);

	while (n && n->sn != sn)
		n = n->next;
	return n;
}

/* Called with lk_table.lock held. */
static struct lk_node *lk_node_get(struct snode *sn)
{
	struct lk_node *n = lk_node_find(sn);
	struct lk_node **b;

	if (n)
		return n;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->sn = sn;
	n->memfd = -1;
	store_ref(sn->store);
	store_get(sn);
	b = lk_bucket(sn);
	n->next = *b;
	*b = n;
	__atomic_add_fetch(&lk_table.count, 1, __ATOMIC_RELAXED);
	return n;
}

/*
 * Called with lk_table.lock held. Frees @n once it has no owner; the store
 * references are dropped under the lock, which is safe because dropping a
 * store node takes only the store's own locks.
 */
static void lk_node_maybe_free(struct lk_node *n)
{
	struct lk_node **pp;
	struct store *s = n->sn->store;

	if (n->owners)
		return;
	for (pp = lk_bucket(n->sn); *pp != n; pp = &(*pp)->next)
		;
	*pp = n->next;
	__atomic_sub_fetch(&lk_table.count, 1, __ATOMIC_RELAXED);
	if (n->memfd >= 0)
		close(n->memfd);
	store_put(n->sn);
	store_unref(s);
	free(n);
}

/* Called with lk_table.lock held. */
static struct lk_owner *lk_owner_find(struct lk_node *n, uint64_t owner,
				      const void *handle)
{
	struct lk_owner *o = n->owners;

	while (o && (o->owner != owner || o->handle != handle))
		o = o->next;
	return o;
}

/* A new open file description of @fd's file: read-write when allowed. */
static int lk_reopen(int fd)
{
	char path[32];
	int nfd, mode;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (nfd >= 0)
		return nfd;
	/* A read-only host, a running binary: the carrier's own access mode */
	mode = fcntl(fd, F_GETFL);
	if (mode < 0)
		return -errno;
	nfd = open(path, (mode & O_ACCMODE) | O_CLOEXEC | O_NOCTTY);
	return nfd < 0 ? -errno : nfd;
}

/* Called with lk_table.lock held. The fd to test locks on, not to hold any. */
static int lk_carrier(struct lk_node *n, int carrier)
{
	if (carrier >= 0)
		return carrier;
	if (n->memfd < 0) {
		n->memfd = memfd_create("podvolfs-lock", MFD_CLOEXEC);
		if (n->memfd < 0)
			return -errno;
	}
	return n->memfd;
}

/*
 * Called with lk_table.lock held. Finds or makes the owner's description;
 * a new one is made through the open file @via.
 */
static int lk_owner_get(struct lk_node *n, int carrier, uint64_t owner,
			const void *handle, const void *via,
			struct lk_owner **out)
{
	struct lk_owner *o = lk_owner_find(n, owner, handle);
	int fd;

	if (o) {
		*out = o;
		return 0;
	}
	fd = lk_carrier(n, carrier);
	if (fd < 0)
		return fd;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->fd = lk_reopen(fd);
	if (o->fd < 0) {
		fd = o->fd;
		free(o);
		return fd;
	}
	o->owner = owner;
	o->handle = handle;
	o->via = via;
	o->next = n->owners;
	n->owners = o;
	*out = o;
	return 0;
}

/* Called with lk_table.lock held. */
static void lk_owner_drop(struct lk_node *n, struct lk_owner *o)
{
	struct lk_owner **pp;

	for (pp = &n->owners; *pp != o; pp = &(*pp)->next)
		;
	*pp = o->next;
	close(o->fd);
	free(o);
	lk_node_maybe_free(n);
}

static int lk_errno(void)
{
	return errno == EACCES ? -EAGAIN : -errno;
}

int lock_posix_get(struct snode *sn, int carrier, uint64_t owner,
		   struct flock *lk)
{
	struct lk_node *n;
	struct lk_owner *o;
	int fd, rc = 0;

	pthread_mutex_lock(&lk_table.lock);
	n = lk_node_get(sn);
	if (!n) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	o = lk_owner_find(n, owner, NULL);
	/* The owner's own description, so that its own locks never conflict */
	fd = o ? o->fd : lk_carrier(n, carrier);
	if (fd < 0) {
		rc = fd;
	} else {
		lk->l_pid = 0;
		if (fcntl(fd, F_OFD_GETLK, lk) < 0)
			rc = -errno;
		else if (lk->l_pid < 0)
			lk->l_pid = 0;
	}
	lk_node_maybe_free(n);
out_unlock:
	pthread_mutex_unlock(&lk_table.lock);
	return rc;
}

int lock_posix_set(struct snode *sn, int carrier, uint64_t owner,
		   const void *handle, const struct flock *lk)
{
	struct flock l = *lk;
	struct lk_owner *o;
	struct lk_node *n;
	int rc = 0;

	pthread_mutex_lock(&lk_table.lock);
	if (l.l_type == F_UNLCK) {
		n = lk_node_find(sn);
		o = n ? lk_owner_find(n, owner, NULL) : NULL;
		if (!o)
			goto out_unlock;
	} else {
		n = lk_node_get(sn);
		if (!n) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		rc = lk_owner_get(n, carrier, owner, NULL, handle, &o);
		if (rc) {
			lk_node_maybe_free(n);
			goto out_unlock;
		}
	}
	l.l_pid = 0;
	if (fcntl(o->fd, F_OFD_SETLK, &l) < 0)
		rc = lk_errno();
out_unlock:
	pthread_mutex_unlock(&lk_table.lock);
	return rc;
}

void lock_posix_release(struct snode *sn, uint64_t owner)
{
	struct lk_owner *o;
	struct lk_node *n;

	/* Every close of every file comes here: most find an empty table. */
	if (!__atomic_load_n(&lk_table.count, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&lk_table.lock);
	n = lk_node_find(sn);
	o = n ? lk_owner_find(n, owner, NULL) : NULL;
	if (o)
		lk_owner_drop(n, o);
	pthread_mutex_unlock(&lk_table.lock);
}

int lock_flock(struct snode *sn, int carrier, const void *handle, int op)
{
	struct lk_owner *o;
	struct lk_node *n;
	int rc = 0;

	op &= ~LOCK_NB;
	pthread_mutex_lock(&lk_table.lock);
	if (op == LOCK_UN) {
		n = lk_node_find(sn);
		o = n ? lk_owner_find(n, 0, handle) : NULL;
		if (o)
			lk_owner_drop(n, o);
		goto out_unlock;
	}
	n = lk_node_get(sn);
	if (!n) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	rc = lk_owner_get(n, carrier, 0, handle, handle, &o);
	if (rc) {
		lk_node_maybe_free(n);
		goto out_unlock;
	}
	/*
	 * As on any file, a conversion that fails has dropped the lock held
	 * before: the host does exactly that on the owner's description.
	 */
	if (flock(o->fd, op | LOCK_NB) < 0)
		rc = errno == EWOULDBLOCK ? -EAGAIN : -errno;
out_unlock:
	pthread_mutex_unlock(&lk_table.lock);
	return rc;
}

void lock_release_handle(struct snode *sn, const void *handle)
{
	struct lk_owner *o, *next;
	struct lk_node *n;

	if (!__atomic_load_n(&lk_table.count, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&lk_table.lock);
	n = lk_node_find(sn);
	for (o = n ? n->owners : NULL; o; o = next) {
		next = o->next;
		/* dropping the last owner frees @n, and then next is NULL */
		if (o->via == handle)
			lk_owner_drop(n, o);
	}
	pthread_mutex_unlock(&lk_table.lock);
}

void lock_table_clear(void)
{
	struct lk_owner *o;
	struct lk_node *n;

	pthread_mutex_lock(&lk_table.lock);
	for (size_t i = 0; i < LK_BUCKETS; i++) {
		/* Dropping the last owner frees the node */
		while ((n = lk_table.buckets[i])) {
			o = n->owners;
			if (o)
				lk_owner_drop(n, o);
			else
				lk_node_maybe_free(n);
		}
	}
	pthread_mutex_unlock(&lk_table.lock);
}
