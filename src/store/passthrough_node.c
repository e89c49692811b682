/*
 * passthrough_node.c - the passthrough store's nodes: the table of them and
 * their links; passthrough_open.c opens them.
 *
 * Nodes live in a hash keyed by (st_dev, st_ino), so hard links are one node
 * and an ino stays stable. A node is reached by rebuilding "a/b/c" from one
 * of its links up to the root and opening that beneath the root fd with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): a
 * symlink anywhere on the way fails with ELOOP instead of being followed, and
 * the result is checked against the node's (dev, ino, type) so that an object
 * the host replaced gives ESTALE. The trade-off: one openat2 per access
 * instead of one fd per node, because volumes hold far more objects than the
 * process may hold open files.
 *
 * A path is built under tree_lock and opened after it is dropped, so a
 * rename or unlink made through the store in between can make the name lead
 * elsewhere or nowhere; that is not the host replacing anything. Such
 * changes keep the links exact instead: they run under names_lock held for
 * writing and update the links before dropping it (a replaced or unlinked
 * object forgets the name; its last link gone, it leaves the hash so that a
 * new object given its inode number becomes a new node), and whatever
 * records a name it saw holds names_lock for reading from the look to the
 * record. An open whose lock-free try fails tries again once holding
 * names_lock for reading: then the links agree with every change made
 * through the store, and a name that still does not lead to the node was
 * changed behind the store's back (ESTALE). A node whose every name the
 * store removed itself gives ENOENT, as a removed file does. Opens that
 * succeed at once, the common case, take no lock beyond tree_lock.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passthrough_i.h"

int pt_check_name(const char *name)
{
	size_t len = strnlen(name, NAME_MAX + 1);

	if (len == 0 || strchr(name, '/'))
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

bool pt_stat_matches(const struct pt_node *n, const struct stat *st)
{
	return st->st_dev == n->dev && st->st_ino == n->ino &&
	       (st->st_mode & S_IFMT) == n->type;
}

static size_t pt_hash(dev_t dev, ino_t ino, size_t nbuckets)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)dev * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return h & (nbuckets - 1);
}

static struct pt_node *pt_node_alloc(struct pt_store *s,
				     const struct stat *st)
{
	struct pt_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->base.store = &s->base;
	n->base.ino = st->st_ino ? st->st_ino : 1;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->type = st->st_mode & S_IFMT;
	n->refs = 1;
	pthread_mutex_init(&n->lock, NULL);
	return n;
}

static struct pt_link *pt_link_new(struct pt_node *parent, const char *name)
{
	size_t len = strlen(name);
	struct pt_link *l = malloc(sizeof(*l) + len + 1);

	if (!l)
		return NULL;
	l->next = NULL;
	l->parent = parent;
	memcpy(l->name, name, len + 1);
	pt_node_get(parent);
	return l;
}

static void pt_links_free(struct pt_store *s, struct pt_link *l)
{
	struct pt_link *next;

	for (; l; l = next) {
		next = l->next;
		pt_node_put(s, l->parent);
		free(l);
	}
}

/* Called with hash_lock held. */
static void pt_hash_grow(struct pt_store *s)
{
	size_t nb = s->nbuckets * 2;
	struct pt_node **b = calloc(nb, sizeof(*b));
	struct pt_node *n, *next;
	size_t i, h;

	if (!b)
		return;
	for (i = 0; i < s->nbuckets; i++) {
		for (n = s->buckets[i]; n; n = next) {
			next = n->hnext;
			h = pt_hash(n->dev, n->ino, nb);
			n->hnext = b[h];
			b[h] = n;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
}

/* Called with hash_lock held. */
static void pt_hash_insert(struct pt_store *s, struct pt_node *n)
{
	size_t h;

	if (s->nnodes >= s->nbuckets * 2)
		pt_hash_grow(s);
	h = pt_hash(n->dev, n->ino, s->nbuckets);
	n->hnext = s->buckets[h];
	s->buckets[h] = n;
	n->hashed = true;
	s->nnodes++;
}

/* Called with hash_lock held. */
static void pt_hash_remove(struct pt_store *s, struct pt_node *n)
{
	struct pt_node **pp;

	if (!n->hashed)
		return;
	pp = &s->buckets[pt_hash(n->dev, n->ino, s->nbuckets)];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			break;
		}
	}
	n->hashed = false;
	s->nnodes--;
}

/* Called with hash_lock held. */
static struct pt_node *pt_hash_find(struct pt_store *s, dev_t dev, ino_t ino)
{
	struct pt_node *n = s->buckets[pt_hash(dev, ino, s->nbuckets)];

	while (n && (n->ino != ino || n->dev != dev))
		n = n->hnext;
	return n;
}

int pt_table_init(struct pt_store *s, const struct stat *root_st)
{
	s->nbuckets = 1024;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (!s->buckets)
		return -ENOMEM;
	s->root = pt_node_alloc(s, root_st);
	if (!s->root) {
		free(s->buckets);
		return -ENOMEM;
	}
	pt_hash_insert(s, s->root);
	return 0;
}

/*
 * Frees every node still in the table, whatever its count: the store is
 * going and nobody may use its nodes any more.
 */
void pt_table_destroy(struct pt_store *s)
{
	struct pt_node *n, *next;
	struct pt_link *l, *lnext;
	size_t i;

	for (i = 0; i < s->nbuckets; i++) {
		for (n = s->buckets[i]; n; n = next) {
			next = n->hnext;
			for (l = n->links; l; l = lnext) {
				lnext = l->next;
				free(l);
			}
			pthread_mutex_destroy(&n->lock);
			free(n);
		}
	}
	free(s->buckets);
	s->buckets = NULL;
}

void pt_node_get(struct pt_node *n)
{
	__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
}

static bool pt_node_put_not_last(struct pt_node *n)
{
	unsigned long r = __atomic_load_n(&n->refs, __ATOMIC_RELAXED);

	while (r > 1) {
		if (__atomic_compare_exchange_n(&n->refs, &r, r - 1, true,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/*
 * The last reference is dropped under hash_lock so that pt_hash_find never
 * hands out a node being freed. Ancestors are released in a loop, not by
 * recursion: a deep tree must not exhaust the stack.
 */
void pt_node_put(struct pt_store *s, struct pt_node *n)
{
	struct pt_link *l;
	struct pt_node *parent;

	while (n) {
		if (pt_node_put_not_last(n))
			return;
		pthread_mutex_lock(&s->hash_lock);
		if (__atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) > 0) {
			pthread_mutex_unlock(&s->hash_lock);
			return;
		}
		pt_hash_remove(s, n);
		pthread_mutex_unlock(&s->hash_lock);

		l = n->links;
		parent = l ? l->parent : NULL;
		if (l) {
			pt_links_free(s, l->next);
			free(l);
		}
		pthread_mutex_destroy(&n->lock);
		free(n);
		n = parent;
	}
}

struct pt_node *pt_node_find(struct pt_store *s, dev_t dev, ino_t ino)
{
	struct pt_node *n;

	pthread_mutex_lock(&s->hash_lock);
	n = pt_hash_find(s, dev, ino);
	if (n)
		pt_node_get(n);
	pthread_mutex_unlock(&s->hash_lock);
	return n;
}

/* Called with tree_lock held. True if @n is @dir or one of its ancestors. */
static bool pt_is_ancestor(const struct pt_node *n, const struct pt_node *dir)
{
	unsigned int depth = 0;

	for (; dir; dir = dir->links ? dir->links->parent : NULL) {
		if (dir == n || ++depth > PT_MAX_DEPTH)
			return true;
	}
	return false;
}

/* Called with tree_lock held for writing. Unlinks and returns the match. */
static struct pt_link *pt_link_take(struct pt_node *n,
				    const struct pt_node *dir,
				    const char *name)
{
	struct pt_link **pp, *l;

	for (pp = &n->links; *pp; pp = &(*pp)->next) {
		l = *pp;
		if (l->parent == dir && !strcmp(l->name, name)) {
			*pp = l->next;
			l->next = NULL;
			return l;
		}
	}
	return NULL;
}

static struct pt_link *pt_links_join(struct pt_link *a, struct pt_link *b)
{
	struct pt_link *p;

	if (!a)
		return b;
	for (p = a; p->next; p = p->next)
		;
	p->next = b;
	return a;
}

/*
 * Called with tree_lock held for writing. Puts @l first among @n's links
 * and returns the links that go: for a directory all others (it has one
 * parent), for other files the one named like @l and those past
 * PT_MAX_LINKS.
 */
static struct pt_link *pt_link_install(struct pt_node *n, struct pt_link *l)
{
	struct pt_link *gone, *p, *rest;
	unsigned int count = 1;

	if (n->type == S_IFDIR) {
		gone = n->links;
		n->links = l;
		return gone;
	}
	gone = pt_link_take(n, l->parent, l->name);
	l->next = n->links;
	n->links = l;
	for (p = l; p->next && ++count <= PT_MAX_LINKS; p = p->next)
		;
	rest = p->next;
	p->next = NULL;
	return pt_links_join(rest, gone);
}

static bool pt_link_is_first(struct pt_store *s, struct pt_node *n,
			     const struct pt_node *dir, const char *name)
{
	bool first;

	pthread_rwlock_rdlock(&s->tree_lock);
	first = n->links && n->links->parent == dir &&
		!strcmp(n->links->name, name);
	pthread_rwlock_unlock(&s->tree_lock);
	return first;
}

/*
 * Records that @n is (now) the entry @name of @dir, first among its names;
 * when @olddir is given, the name @oldname there is forgotten (a rename).
 * A directory that would become its own ancestor (the host moved things
 * around) gives -ESTALE and nothing changes.
 */
int pt_node_relink(struct pt_store *s, struct pt_node *n,
		   struct pt_node *olddir, const char *oldname,
		   struct pt_node *dir, const char *name)
{
	struct pt_link *l, *gone = NULL;
	int rc = 0;

	if (n == s->root)
		return 0;
	if (!olddir && pt_link_is_first(s, n, dir, name))
		return 0;
	l = pt_link_new(dir, name);
	if (!l)
		return -ENOMEM;
	pthread_rwlock_wrlock(&s->tree_lock);
	if (n->type == S_IFDIR && pt_is_ancestor(n, dir)) {
		rc = -ESTALE;
		gone = l;
	} else {
		if (olddir)
			gone = pt_link_take(n, olddir, oldname);
		gone = pt_links_join(gone, pt_link_install(n, l));
	}
	pthread_rwlock_unlock(&s->tree_lock);
	pt_links_free(s, gone);
	return rc;
}

/*
 * Called with names_lock held for writing, after the store removed the entry
 * @name of @dir (an unlink, an rmdir, a rename over it), which @st described
 * just before. Its node forgets that name. When that was the object's last
 * link, the object is gone: the node forgets every name, so that opening it
 * gives ENOENT, and leaves the hash, so that an object later given the same
 * inode number is a new node and not this one revived.
 */
void pt_node_unlinked(struct pt_store *s, struct pt_node *dir,
		      const char *name, const struct stat *st)
{
	bool last = S_ISDIR(st->st_mode) || st->st_nlink <= 1;
	struct pt_link *gone;
	struct pt_node *n;

	n = pt_node_find(s, st->st_dev, st->st_ino);
	if (!n)
		return;
	if (n == s->root || !pt_stat_matches(n, st)) {
		pt_node_put(s, n);
		return;
	}
	pthread_rwlock_wrlock(&s->tree_lock);
	if (last) {
		gone = n->links;
		n->links = NULL;
	} else {
		gone = pt_link_take(n, dir, name);
	}
	pthread_rwlock_unlock(&s->tree_lock);
	if (last) {
		pthread_mutex_lock(&s->hash_lock);
		pt_hash_remove(s, n);
		pthread_mutex_unlock(&s->hash_lock);
	}
	pt_links_free(s, gone);
	pt_node_put(s, n);
}

/*
 * Returns @dir's entry @name described by @st as a node with a new
 * reference, creating it when the object is new. With @relink the name
 * becomes the node's first. With @dir NULL the object has no name (a
 * tmpfile) and @relink must be false. An old node of another type under the same
 * (dev, ino) is the host having reused the inode: it leaves the table.
 */
int pt_node_find_or_add(struct pt_store *s, struct pt_node *dir,
			const char *name, const struct stat *st, bool relink,
			struct pt_node **out)
{
	struct pt_node *n, *fresh = NULL;
	struct pt_link *l;
	int rc;

	pthread_mutex_lock(&s->hash_lock);
	n = pt_hash_find(s, st->st_dev, st->st_ino);
	if (n && (st->st_mode & S_IFMT) != n->type) {
		pt_hash_remove(s, n);
		n = NULL;
	}
	if (n)
		pt_node_get(n);
	pthread_mutex_unlock(&s->hash_lock);

	if (!n) {
		fresh = pt_node_alloc(s, st);
		if (!fresh)
			return -ENOMEM;
		l = dir ? pt_link_new(dir, name) : NULL;
		if (dir && !l) {
			pthread_mutex_destroy(&fresh->lock);
			free(fresh);
			return -ENOMEM;
		}
		fresh->links = l;
		pthread_mutex_lock(&s->hash_lock);
		n = pt_hash_find(s, st->st_dev, st->st_ino);
		if (n && n->type == fresh->type) {
			pt_node_get(n);
		} else {
			if (n)
				pt_hash_remove(s, n);
			pt_hash_insert(s, fresh);
			n = fresh;
			fresh = NULL;
		}
		pthread_mutex_unlock(&s->hash_lock);
		if (!fresh) {
			*out = n;
			return 0;
		}
		pt_node_put(s, fresh);
	}
	if (relink) {
		rc = pt_node_relink(s, n, NULL, NULL, dir, name);
		if (rc) {
			pt_node_put(s, n);
			return rc;
		}
	}
	*out = n;
	return 0;
}
