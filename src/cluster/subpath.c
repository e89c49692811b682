/*
 * subpath.c - walks inside a volume: a subPath resolved as the kubelet
 * does, and the mount point of a volumeMount inside another made as a
 * container runtime makes it.
 *
 * Both walk from a view's root one component at a time with the store's
 * lookup, never a host path, so they cannot leave the volume whatever its
 * names are (docs/design/views.md).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster_i.h"

/* Symlinks followed in one resolution at most, as Linux's MAXSYMLINKS. */
#define MAX_LINKS 40

/* A walk from the volume's root: the directories entered, the path left. */
struct walk {
	struct store *s;
	struct snode **stack;		/* one reference each; [0] is the root */
	size_t depth;
	size_t cap;
	mode_t top_mode;		/* st_mode of stack[depth - 1] */
	char *rest;			/* what is left to walk, malloc'ed */
	size_t pos;			/* where in rest the next component starts */
	size_t link_comps;		/* components left that came from link targets */
	int links;			/* symlinks followed so far */
};

static int walk_push(struct walk *w, struct snode *sn, mode_t mode)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct snode **grown = realloc(w->stack, cap * sizeof(*grown));

		if (!grown) {
			store_put(sn);
			return -ENOMEM;
		}
		w->stack = grown;
		w->cap = cap;
	}
	w->stack[w->depth++] = sn;
	w->top_mode = mode;
	return 0;
}

/* Takes the next component out of w->rest; false when none is left. */
static bool walk_next(struct walk *w, char *name, bool *from_link)
{
	for (;;) {
		char *p = w->rest + w->pos;
		char *end;
		size_t n;

		if (!*p)
			return false;
		end = strchrnul(p, '/');
		n = end - p;
		w->pos += n + (*end ? 1 : 0);
		if (!n)
			continue;
		*from_link = w->link_comps > 0;
		if (w->link_comps)
			w->link_comps--;
		/* A longer name cannot exist: keep a prefix the store will not find. */
		snprintf(name, NAME_MAX + 2, "%.*s", (int)(n > NAME_MAX + 1 ?
			 NAME_MAX + 1 : n), p);
		return true;
	}
}

static size_t count_components(const char *path)
{
	size_t n = 0;

	for (const char *p = path; *p; p++)
		n += *p != '/' && (p == path || p[-1] == '/');
	return n;
}

/* Replaces the walked part of w->rest by the link's @target. */
static int walk_follow(struct walk *w, const char *target)
{
	const char *left = w->rest + w->pos;
	char *rest;

	if (asprintf(&rest, "%s/%s", target, left) < 0)
		return -ENOMEM;
	w->link_comps += count_components(target);
	free(w->rest);
	w->rest = rest;
	w->pos = 0;
	return 0;
}

/*
 * A symlink met on the way: a relative target goes on from the link's
 * directory, an absolute one is a host path and so outside the volume. The
 * kubelet tells a target that exists on the host (it prepares the subPath
 * and finds it outside) from one that does not (it tries to create it and
 * meets the link); so do we, for the same message.
 */
static int walk_symlink(struct walk *w, struct snode *sn)
{
	char target[PATH_MAX + 1];
	struct stat st;
	int rc;

	rc = w->s->ops->readlink(w->s, sn, target, sizeof(target));
	store_put(sn);
	if (rc < 0)
		return -EXDEV;
	if ((size_t)rc >= sizeof(target) || ++w->links > MAX_LINKS)
		return -EXDEV;
	if (target[0] == '/')
		return stat(target, &st) == 0 ? -EXDEV : -EACCES;
	return walk_follow(w, target);
}

/* Makes the directory @name in @dir with exactly @mode, owned by root. */
static int make_dir(struct store *s, struct snode *dir, const char *name,
		    mode_t mode, struct snode **out, struct stat *st)
{
	const struct store_cred root = { .uid = 0 };
	struct stat in = { .st_mode = mode };
	int rc;

	rc = s->ops->mkdir(s, dir, name, mode, &root, out, st);
	if (rc)
		return rc;
	/* Mode bits the store (or a umask) left out, setgid and sticky included. */
	rc = s->ops->setattr(s, *out, NULL, &in, STORE_SET_MODE, st);
	if (rc)
		store_put(*out);
	return rc;
}

/* One step of the walk: enter @name of the current directory. */
static int walk_step(struct walk *w, const char *name, bool from_link,
		     bool may_create, mode_t root_mode)
{
	struct snode *dir = w->stack[w->depth - 1];
	struct snode *sn;
	struct stat st;
	int rc;

	if (!strcmp(name, "."))
		return 0;
	if (!strcmp(name, "..")) {
		if (w->depth == 1)
			return -EXDEV;
		store_put(w->stack[--w->depth]);
		/* Only directories are ever below the top of the stack. */
		w->top_mode = S_IFDIR;
		return 0;
	}
	if (!S_ISDIR(w->top_mode))
		return -EXDEV;
	rc = w->s->ops->lookup(w->s, dir, name, &sn, &st);
	if (rc == -ENOENT) {
		/* Only the subPath's own names are made, never a link's target. */
		if (from_link || !may_create)
			return -EACCES;
		rc = make_dir(w->s, dir, name, root_mode, &sn, &st);
		if (rc == -EEXIST)
			rc = w->s->ops->lookup(w->s, dir, name, &sn, &st);
		if (rc)
			return rc == -ENOMEM ? rc : -EACCES;
	} else if (rc) {
		return rc == -ENOMEM ? rc : -EXDEV;
	}
	if (S_ISLNK(st.st_mode))
		return walk_symlink(w, sn);
	return walk_push(w, sn, st.st_mode);
}

int subpath_resolve(struct store *s, struct snode *root, const char *sub,
		    bool may_create, struct snode **out)
{
	struct walk w = { .s = s };
	char name[NAME_MAX + 2];
	struct stat st;
	bool from_link;
	int rc;

	rc = s->ops->getattr(s, root, NULL, &st);
	if (rc)
		return rc == -ENOMEM ? rc : -EXDEV;
	w.rest = strdup(sub);
	if (!w.rest)
		return -ENOMEM;
	store_get(root);
	rc = walk_push(&w, root, st.st_mode);
	while (rc == 0 && walk_next(&w, name, &from_link))
		rc = walk_step(&w, name, from_link, may_create,
			       st.st_mode & 07777);
	if (rc == 0) {
		*out = w.stack[--w.depth];
	}
	while (w.depth)
		store_put(w.stack[--w.depth]);
	free(w.stack);
	free(w.rest);
	return rc;
}

/* Makes the missing @name in @dir as runc would: a directory, or an empty file. */
static int make_mount_point(struct store *s, struct snode *dir,
			    const char *name, bool is_dir, struct snode **out,
			    struct stat *st)
{
	const struct store_cred root = { .uid = 0 };
	int rc;

	if (is_dir)
		rc = s->ops->mkdir(s, dir, name, 0755, &root, out, st);
	else
		rc = s->ops->mknod(s, dir, name, S_IFREG | 0644, 0, &root, out,
				   st);
	if (rc == -EEXIST)
		rc = s->ops->lookup(s, dir, name, out, st);
	return rc;
}

int mount_point_make(struct store *s, struct snode *root, const char *rel,
		     bool is_dir, bool read_only, struct snode **out,
		     size_t *end)
{
	char name[NAME_MAX + 1];
	struct snode *dir = root;
	const char *p = rel;
	struct stat st;
	int rc;

	*end = 0;
	rc = s->ops->getattr(s, root, NULL, &st);
	if (rc)
		return rc;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	store_get(dir);
	for (;;) {
		const char *slash = strchrnul(p, '/');
		size_t n = slash - p;
		bool last = !*slash;
		struct snode *sn;

		*end = slash - rel;
		if (n > NAME_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		rc = s->ops->lookup(s, dir, name, &sn, &st);
		if (rc == -ENOENT)
			rc = read_only ? -EROFS :
			     make_mount_point(s, dir, name, is_dir || !last, &sn,
					      &st);
		if (rc)
			break;
		store_put(dir);
		dir = sn;
		if (S_ISLNK(st.st_mode))
			rc = -ELOOP;
		else if (!S_ISDIR(st.st_mode) != (last && !is_dir))
			rc = -ENOTDIR;
		if (rc || last)
			break;
		p = slash + 1;
	}
	if (rc) {
		store_put(dir);
		return rc;
	}
	*out = dir;
	return 0;
}
