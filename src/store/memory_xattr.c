/*
 * memory_xattr.c - the memory store's extended attributes: a list per node
 * under the node's lock, names and values charged against the limit, and
 * the loss of security.capability on a write, truncate or chown.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "podvolfs/store.h"
#include "memory_i.h"

/* Longest xattr value and name list, as the kernel's. */
#define MEM_XATTR_SIZE_MAX	65536
#define MEM_XATTR_LIST_MAX	65536

/* The xattr @name of @n, and the link that points to it. Caller: n->lock. */
static struct mem_xattr *xattr_find(struct mem_node *n, const char *name,
				    size_t len, struct mem_xattr ***linkp)
{
	struct mem_xattr **pp;

	for (pp = &n->xattrs; *pp; pp = &(*pp)->next) {
		if ((*pp)->namelen == len && !memcmp((*pp)->name, name, len)) {
			if (linkp)
				*linkp = pp;
			return *pp;
		}
	}
	return NULL;
}

/* Frees @x, found through @link, giving its charge back. Caller: n->lock. */
static void xattr_remove(struct mem_store *ms, struct mem_node *n,
			 struct mem_xattr *x, struct mem_xattr **link)
{
	*link = x->next;
	store_uncharge(&ms->base, x->namelen + x->size);
	n->xattr_bytes -= x->namelen + x->size;
	free(x->value);
	free(x);
}

/*
 * A write, truncate or chown removes a file's capabilities, as every Linux
 * file system does (the kernel asks for them before a write only until it
 * found none). Caller holds n->lock for writing.
 */
void mem_node_kill_caps(struct mem_store *ms, struct mem_node *n)
{
	static const char name[] = "security.capability";
	struct mem_xattr *x, **link;

	x = n->xattrs ? xattr_find(n, name, sizeof(name) - 1, &link) : NULL;
	if (x)
		xattr_remove(ms, n, x, link);
}

/* Bytes listxattr would return for @n. Caller holds n->lock. */
static size_t xattr_list_len(const struct mem_node *n)
{
	const struct mem_xattr *x;
	size_t len = 0;

	for (x = n->xattrs; x; x = x->next)
		len += x->namelen + 1;
	return len;
}

/* Adds a new xattr; the caller charged its bytes. Caller holds n->lock. */
static int xattr_add(struct mem_node *n, const char *name, size_t len,
		     char *value, size_t size)
{
	struct mem_xattr *x;

	if (xattr_list_len(n) + len + 1 > MEM_XATTR_LIST_MAX)
		return -ENOSPC;
	x = malloc(sizeof(*x) + len + 1);
	if (!x)
		return -ENOMEM;
	memcpy(x->name, name, len + 1);
	x->namelen = len;
	x->size = size;
	x->value = value;
	x->next = n->xattrs;
	n->xattrs = x;
	return 0;
}

/* Sets or replaces @name under n->lock (write), charging growth first. */
static int node_setxattr(struct mem_store *ms, struct mem_node *n,
			 const char *name, size_t len, char *value,
			 size_t size, int flags)
{
	struct mem_xattr *x = xattr_find(n, name, len, NULL);
	uint64_t old = x ? len + x->size : 0;
	uint64_t new = len + size;
	int rc;

	if (x && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!x && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (new > old && store_charge(&ms->base, new - old))
		return -ENOSPC;
	if (x) {
		free(x->value);
		x->value = value;
		x->size = size;
	} else {
		rc = xattr_add(n, name, len, value, size);
		if (rc) {
			store_uncharge(&ms->base, new);
			return rc;
		}
	}
	if (old > new)
		store_uncharge(&ms->base, old - new);
	n->xattr_bytes += new;
	n->xattr_bytes -= old;
	n->ctime = now_ts();
	return 0;
}

int mem_setxattr(struct store *s, struct snode *sn, const char *name,
		 const char *value, size_t size, int flags)
{
	struct mem_node *n = to_node(sn);
	size_t len = strlen(name);
	char *copy = NULL;
	int rc;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (len > MEM_NAME_MAX)
		return -ERANGE;
	if (size > MEM_XATTR_SIZE_MAX)
		return -E2BIG;
	if (size) {
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, value, size);
	}
	pthread_rwlock_wrlock(&n->lock);
	rc = node_setxattr(to_ms(s), n, name, len, copy, size, flags);
	pthread_rwlock_unlock(&n->lock);
	if (rc)
		free(copy);
	return rc;
}

ssize_t mem_getxattr(struct store *s, struct snode *sn,
		     const char *name, char *value, size_t size)
{
	struct mem_node *n = to_node(sn);
	struct mem_xattr *x;
	ssize_t ret;

	(void)s;
	pthread_rwlock_rdlock(&n->lock);
	x = xattr_find(n, name, strlen(name), NULL);
	if (!x) {
		ret = -ENODATA;
	} else if (!size) {
		ret = x->size;
	} else if (size < x->size) {
		ret = -ERANGE;
	} else {
		if (x->size)
			memcpy(value, x->value, x->size);
		ret = x->size;
	}
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

ssize_t mem_listxattr(struct store *s, struct snode *sn, char *list,
		      size_t size)
{
	struct mem_node *n = to_node(sn);
	const struct mem_xattr *x;
	ssize_t ret;

	(void)s;
	pthread_rwlock_rdlock(&n->lock);
	ret = xattr_list_len(n);
	if (size && (size_t)ret > size) {
		ret = -ERANGE;
	} else if (size) {
		for (x = n->xattrs; x; x = x->next) {
			memcpy(list, x->name, x->namelen + 1);
			list += x->namelen + 1;
		}
	}
	pthread_rwlock_unlock(&n->lock);
	return ret;
}

int mem_removexattr(struct store *s, struct snode *sn,
		    const char *name)
{
	struct mem_node *n = to_node(sn);
	struct mem_xattr *x, **link;
	size_t len = strlen(name);
	int rc = 0;

	pthread_rwlock_wrlock(&n->lock);
	x = xattr_find(n, name, len, &link);
	if (!x) {
		rc = -ENODATA;
		goto out_unlock;
	}
	xattr_remove(to_ms(s), n, x, link);
	n->ctime = now_ts();
out_unlock:
	pthread_rwlock_unlock(&n->lock);
	return rc;
}
