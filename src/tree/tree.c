/*
 * tree.c - the namespace the mount shows: namespaces, pods, their views.
 *
 * The cluster layer adds and removes pods here at run time by path
 * ("default/fortune/volumes/html"); the FUSE layer looks nodes up and
 * lists them. A removed subtree is detached at once and its nodes live on
 * while the kernel still references them, so a process inside a removed
 * pod gets ENOENT on new lookups, not a crash. The FUSE layer registers
 * callbacks (tree_set_reader()) through which the tree tells it what
 * changed: the tree never calls into it.
 * A directory keeps its children in an array, in the order they came, and
 * finds them by name through a strmap: a namespace holds every replica of
 * its workloads, a pod's volumes/ and a container's directory as many
 * entries as the manifest has volumes or volumeMounts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/strmap.h"
#include "podvolfs/tree.h"

struct vnode {
	enum vnode_kind kind;
	char *name;
	struct vnode *parent;		/* NULL once detached; protected by tree->lock */
	struct vnode **children;	/* protected by tree->lock */
	size_t n_children;		/* protected by tree->lock */
	size_t cap_children;		/* protected by tree->lock */
	struct strmap by_name;		/* the children; protected by tree->lock */
	uint64_t ino;			/* st_ino, below 1 << VOL_SHIFT */
	struct timespec time;		/* when it was made; all its timestamps */
	tree_content_fn content;	/* VNODE_FILE */
	void *ctx;			/* VNODE_FILE */
	void (*ctx_free)(void *ctx);	/* VNODE_FILE */
	struct view *view;		/* VNODE_MOUNT, one reference */
	unsigned long refs;		/* atomic: the parent's link and each reader's */
};

/*
 * lock guards the shape of the tree. Nothing outside the tree runs under it
 * but what a detached node's last reference releases (its view, so perhaps
 * its store; a file's ctx_free); the reader's callbacks run after it is
 * dropped.
 */
struct tree {
	pthread_rwlock_t lock;
	struct vnode *root;
	uint64_t next_ino;		/* protected by lock */
	const struct tree_reader_ops *reader;	/* or NULL; protected by lock */
	void *reader_arg;		/* protected by lock */
};

void vnode_ref(struct vnode *vn)
{
	__atomic_add_fetch(&vn->refs, 1, __ATOMIC_RELAXED);
}

void vnode_unref(struct vnode *vn)
{
	if (!vn || __atomic_sub_fetch(&vn->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* A node whose last reference goes has been detached: no children left. */
	if (vn->ctx_free)
		vn->ctx_free(vn->ctx);
	view_unref(vn->view);
	free(vn->children);
	strmap_free(&vn->by_name);
	free(vn->name);
	free(vn);
}

enum vnode_kind vnode_kind(const struct vnode *vn)
{
	return vn->kind;
}

uint64_t vnode_ino(const struct vnode *vn)
{
	return vn->ino;
}

struct timespec vnode_time(const struct vnode *vn)
{
	return vn->time;
}

struct view *vnode_view(const struct vnode *vn)
{
	return vn->view;
}

int vnode_content(const struct vnode *vn, char **buf, size_t *len)
{
	return vn->content(vn->ctx, buf, len);
}

static struct vnode *vnode_new(struct tree *t, enum vnode_kind kind,
			       const char *name)
{
	struct vnode *vn = calloc(1, sizeof(*vn));

	if (!vn)
		return NULL;
	vn->name = strdup(name);
	if (!vn->name) {
		free(vn);
		return NULL;
	}
	vn->kind = kind;
	vn->refs = 1;
	vn->ino = t->next_ino++;
	clock_gettime(CLOCK_REALTIME, &vn->time);
	return vn;
}

struct tree *tree_new(void)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_rwlock_init(&t->lock, NULL);
	t->next_ino = 1;
	t->root = vnode_new(t, VNODE_DIR, "");
	if (!t->root) {
		free(t);
		return NULL;
	}
	return t;
}

static void detach_all(struct vnode *vn)
{
	for (size_t i = 0; i < vn->n_children; i++) {
		struct vnode *child = vn->children[i];

		detach_all(child);
		child->parent = NULL;
		vnode_unref(child);
	}
	vn->n_children = 0;
	strmap_free(&vn->by_name);
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	detach_all(t->root);
	vnode_unref(t->root);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

struct vnode *tree_root(struct tree *t)
{
	vnode_ref(t->root);
	return t->root;
}

void tree_set_reader(struct tree *t, const struct tree_reader_ops *ops,
		     void *arg)
{
	pthread_rwlock_wrlock(&t->lock);
	t->reader = ops;
	t->reader_arg = ops ? arg : NULL;
	pthread_rwlock_unlock(&t->lock);
}

/* Caller holds t->lock. */
static struct vnode *find_child(struct vnode *dir, const char *name)
{
	void *child;

	return strmap_find(&dir->by_name, name, strlen(name), &child) ? child :
									NULL;
}

/* Caller holds t->lock for writing. */
static int add_child(struct vnode *dir, struct vnode *child)
{
	if (strmap_add(&dir->by_name, child->name, strlen(child->name), child,
		       NULL) < 0)
		return -ENOMEM;
	if (dir->n_children == dir->cap_children) {
		size_t cap = dir->cap_children ? dir->cap_children * 2 : 8;
		struct vnode **children = realloc(dir->children,
						  cap * sizeof(*children));

		if (!children) {
			strmap_del(&dir->by_name, child->name,
				   strlen(child->name));
			return -ENOMEM;
		}
		dir->children = children;
		dir->cap_children = cap;
	}
	dir->children[dir->n_children++] = child;
	child->parent = dir;
	return 0;
}

struct vnode *tree_lookup(struct tree *t, struct vnode *dir, const char *name)
{
	struct vnode *vn;

	pthread_rwlock_rdlock(&t->lock);
	vn = dir->kind == VNODE_DIR ? find_child(dir, name) : NULL;
	if (vn)
		vnode_ref(vn);
	pthread_rwlock_unlock(&t->lock);
	return vn;
}

/*
 * Walks @path from the root, creating missing directories when @create.
 * Stops before the last component, which is returned in *@last (pointing
 * into @copy). Caller holds t->lock for writing when @create.
 */
static int walk_parent(struct tree *t, char *copy, bool create,
		       struct vnode **dirp, char **last)
{
	struct vnode *dir = t->root;
	char *name = copy;
	char *slash;
	int rc;

	while ((slash = strchr(name, '/'))) {
		struct vnode *next;

		*slash = '\0';
		next = find_child(dir, name);
		if (!next) {
			if (!create)
				return -ENOENT;
			next = vnode_new(t, VNODE_DIR, name);
			if (!next)
				return -ENOMEM;
			rc = add_child(dir, next);
			if (rc) {
				vnode_unref(next);
				return rc;
			}
		} else if (next->kind != VNODE_DIR) {
			return -ENOTDIR;
		}
		dir = next;
		name = slash + 1;
	}
	if (!*name)
		return -EINVAL;
	*dirp = dir;
	*last = name;
	return 0;
}

/*
 * Ends an edit made holding t->lock for writing: drops the lock, then, if
 * @dir is set, tells the reader that its entry @name changed, @dir kept
 * alive meanwhile, then drops @gone, a node the edit took out of the tree
 * (or NULL), whose last reference may go with it.
 */
static void edit_end(struct tree *t, struct vnode *dir, const char *name,
		     struct vnode *gone)
{
	const struct tree_reader_ops *reader = t->reader;
	void *arg = t->reader_arg;

	if (dir)
		vnode_ref(dir);
	pthread_rwlock_unlock(&t->lock);
	if (dir && reader && reader->entry_changed)
		reader->entry_changed(arg, dir, name);
	vnode_unref(dir);
	vnode_unref(gone);
}

/*
 * Adds a node at @path with the kind and payload of @tmpl, all under the
 * lock, so no request sees it half made. The new name is announced to the
 * kernel after the lock is dropped, so that no negative dentry it cached
 * hides it.
 */
static int tree_add(struct tree *t, const char *path, const struct vnode *tmpl)
{
	char *copy = strdup(path);
	struct vnode *changed = NULL;
	char *last = NULL;
	struct vnode *dir;
	struct vnode *vn;
	int rc;

	if (!copy)
		return -ENOMEM;
	pthread_rwlock_wrlock(&t->lock);
	rc = walk_parent(t, copy, true, &dir, &last);
	if (rc)
		goto out_end;
	vn = find_child(dir, last);
	if (vn) {
		rc = tmpl->kind == VNODE_DIR && vn->kind == VNODE_DIR ? 0 : -EEXIST;
		goto out_end;
	}
	rc = -ENOMEM;
	vn = vnode_new(t, tmpl->kind, last);
	if (!vn)
		goto out_end;
	rc = add_child(dir, vn);
	if (rc) {
		vnode_unref(vn);
		goto out_end;
	}
	vn->content = tmpl->content;
	vn->ctx = tmpl->ctx;
	vn->ctx_free = tmpl->ctx_free;
	vn->view = tmpl->view;
	if (vn->view)
		view_ref(vn->view);
	changed = dir;
out_end:
	edit_end(t, changed, last, NULL);
	free(copy);
	return rc;
}

int tree_add_dir(struct tree *t, const char *path)
{
	struct vnode tmpl = { .kind = VNODE_DIR };

	return tree_add(t, path, &tmpl);
}

int tree_add_file(struct tree *t, const char *path, tree_content_fn fn,
		  void *ctx, void (*ctx_free)(void *ctx))
{
	struct vnode tmpl = {
		.kind = VNODE_FILE,
		.content = fn,
		.ctx = ctx,
		.ctx_free = ctx_free,
	};

	return tree_add(t, path, &tmpl);
}

int tree_add_mount(struct tree *t, const char *path, struct view *view)
{
	struct vnode tmpl = { .kind = VNODE_MOUNT, .view = view };

	return tree_add(t, path, &tmpl);
}

int tree_replace_mount(struct tree *t, const char *path, struct view *view,
		       struct view **old_view)
{
	char *copy = strdup(path);
	struct vnode *changed = NULL;
	struct vnode *gone = NULL;
	char *last = NULL;
	struct vnode *dir;
	struct vnode *old;
	struct vnode *vn;
	char *name;
	size_t index;
	int rc;

	if (!copy)
		return -ENOMEM;
	pthread_rwlock_wrlock(&t->lock);
	rc = walk_parent(t, copy, false, &dir, &last);
	if (rc)
		goto out_end;
	old = find_child(dir, last);
	rc = -ENOENT;
	if (!old || old->kind != VNODE_MOUNT)
		goto out_end;
	rc = -ENOMEM;
	vn = vnode_new(t, VNODE_MOUNT, last);
	if (!vn)
		goto out_end;
	/* the name map's key is the old node's name: the new node takes it */
	name = vn->name;
	vn->name = old->name;
	old->name = name;
	rc = strmap_put(&dir->by_name, vn->name, strlen(vn->name), vn);
	if (rc) {
		old->name = vn->name;
		vn->name = name;
		vnode_unref(vn);
		goto out_end;
	}
	view_ref(view);
	vn->view = view;
	vn->parent = dir;
	for (index = 0; dir->children[index] != old; index++)
		;
	dir->children[index] = vn;
	old->parent = NULL;
	/* a request may still read old->view: it keeps its reference */
	*old_view = old->view;
	view_ref(old->view);
	changed = dir;
	gone = old;
out_end:
	edit_end(t, changed, last, gone);
	free(copy);
	return rc;
}

static int tree_detach(struct tree *t, const char *path, bool only_empty)
{
	char *copy = strdup(path);
	struct vnode *changed = NULL;
	struct vnode *gone = NULL;
	char *last = NULL;
	struct vnode *dir;
	struct vnode *vn;
	size_t index;
	int rc;

	if (!copy)
		return -ENOMEM;
	pthread_rwlock_wrlock(&t->lock);
	rc = walk_parent(t, copy, false, &dir, &last);
	if (rc)
		goto out_end;
	vn = find_child(dir, last);
	rc = -ENOENT;
	if (!vn)
		goto out_end;
	rc = -ENOTEMPTY;
	if (only_empty && vn->n_children)
		goto out_end;
	detach_all(vn);
	strmap_del(&dir->by_name, vn->name, strlen(vn->name));
	/* linear, as the memmove that keeps the order is */
	for (index = 0; dir->children[index] != vn; index++)
		;
	memmove(&dir->children[index], &dir->children[index + 1],
		(dir->n_children - index - 1) * sizeof(*dir->children));
	dir->n_children--;
	vn->parent = NULL;
	rc = 0;
	changed = dir;
	gone = vn;
out_end:
	edit_end(t, changed, last, gone);
	free(copy);
	return rc;
}

void tree_sweep_view(struct tree *t, struct view *view)
{
	const struct tree_reader_ops *reader;
	void *arg;

	pthread_rwlock_rdlock(&t->lock);
	reader = t->reader;
	arg = t->reader_arg;
	pthread_rwlock_unlock(&t->lock);
	if (reader && reader->sweep_view)
		reader->sweep_view(arg, view);
}

int tree_remove(struct tree *t, const char *path)
{
	return tree_detach(t, path, false);
}

int tree_remove_empty(struct tree *t, const char *path)
{
	return tree_detach(t, path, true);
}

int tree_list(struct tree *t, struct vnode *dir, struct tree_dirent **out,
	      size_t *n)
{
	struct tree_dirent *ents = NULL;
	size_t count;
	size_t i;

	pthread_rwlock_rdlock(&t->lock);
	count = dir->n_children;
	if (count) {
		ents = calloc(count, sizeof(*ents));
		if (!ents)
			goto out_nomem;
	}
	for (i = 0; i < count; i++) {
		ents[i].name = strdup(dir->children[i]->name);
		if (!ents[i].name)
			goto out_free;
		ents[i].vn = dir->children[i];
		vnode_ref(ents[i].vn);
	}
	pthread_rwlock_unlock(&t->lock);
	*out = ents;
	*n = count;
	return 0;

out_free:
	pthread_rwlock_unlock(&t->lock);
	tree_list_free(ents, i);
	return -ENOMEM;
out_nomem:
	pthread_rwlock_unlock(&t->lock);
	return -ENOMEM;
}

void tree_list_free(struct tree_dirent *ents, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ents[i].name);
		vnode_unref(ents[i].vn);
	}
	free(ents);
}

bool tree_has_child(struct tree *t, const struct vnode *dir,
		    const struct vnode *vn)
{
	bool ret;

	pthread_rwlock_rdlock(&t->lock);
	ret = vn->parent == dir;
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

uint64_t tree_parent_ino(struct tree *t, struct vnode *vn)
{
	uint64_t ino;

	pthread_rwlock_rdlock(&t->lock);
	ino = vn->parent ? vn->parent->ino : vn->ino;
	pthread_rwlock_unlock(&t->lock);
	return ino;
}
