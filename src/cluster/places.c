/*
 * places.c - where a started container's mounts go (SPEC section 2,
 * makeMounts step 4): two mounts at one place, the later on top and the
 * earlier hidden; a mount inside another mounted over its mount point in
 * that one's view, outer first, the mount point made as runc makes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster_i.h"

/* True when the clean path @inner lies below the clean path @outer. */
static bool path_below(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	if (n == 1)
		return inner[1] != '\0';
	return !strncmp(inner, outer, n) && inner[n] == '/';
}

/* A mount's place, for sorting: '/' sorts before any other byte. */
struct place {
	const char *path;
	size_t i;				/* the mount's index */
};

/* The end of a path first, then '/', then every other byte. */
static unsigned place_rank(unsigned char c)
{
	return c == '\0' ? 0 : c == '/' ? 1 : c + 1u;
}

static int place_cmp(const void *pa, const void *pb)
{
	const struct place *a = pa, *b = pb;
	const unsigned char *x = (const unsigned char *)a->path;
	const unsigned char *y = (const unsigned char *)b->path;

	for (; *x && *x == *y; x++, y++)
		;
	if (*x != *y)
		return place_rank(*x) < place_rank(*y) ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/*
 * For each mount i, in @next_same[i] the next mount at the same place (n
 * when none), and in @parent[i] the last mount (in mount order: the one on
 * top) of the nearest place that holds it (n when none). Sorted with '/'
 * first, the places beneath a place follow it at once, so one pass with a
 * stack of the places that hold the current one finds them: O(n log n)
 * comparisons, not n^2.
 */
static int places_relate(const struct ccontainer *cc, size_t *next_same,
			 size_t *parent)
{
	size_t n = cc->n_mounts, depth = 0;
	struct place *p = calloc(n ? n : 1, sizeof(*p));
	/* .i: the last mount of this place */
	struct place *stack = calloc(n ? n : 1, sizeof(*stack));

	if (!p || !stack) {
		free(p);
		free(stack);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (struct place){ cc->mounts[i].path, i };
	qsort(p, n, sizeof(*p), place_cmp);
	for (size_t k = 0, run; k < n; k = run) {
		for (run = k + 1; run < n && !strcmp(p[run].path, p[k].path); run++)
			next_same[p[run - 1].i] = p[run].i;
		next_same[p[run - 1].i] = n;
		while (depth && !path_below(p[k].path, stack[depth - 1].path))
			depth--;
		for (size_t r = k; r < run; r++)
			parent[p[r].i] = depth ? stack[depth - 1].i : n;
		/* a place's mounts sort by index: the last is on top */
		stack[depth++] = (struct place){ p[k].path, p[run - 1].i };
	}
	free(p);
	free(stack);
	return 0;
}

int places_check(struct ccontainer *cc)
{
	size_t n = cc->n_mounts;
	size_t *next_same = calloc(n ? n : 1, sizeof(*next_same));
	size_t *parent = calloc(n ? n : 1, sizeof(*parent));
	int rc = -ENOMEM;

	if (!next_same || !parent || places_relate(cc, next_same, parent))
		goto out_free;
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct cmount *a = &cc->mounts[i];

		if (!strcmp(a->path, "/")) {
			container_fail(cc, a, "NotSupported",
				       "podvolfs cannot show a volume mounted at \"/\"");
			break;
		}
		a->parent = parent[i];
		if (next_same[i] < n)
			snprintf(a->message, sizeof(a->message),
				 "hidden by the later mount at %s", a->path);
	}
out_free:
	free(next_same);
	free(parent);
	return rc;
}

static size_t path_depth(const char *path)
{
	size_t n = 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

static int depth_cmp(const void *pa, const void *pb)
{
	const struct place *a = pa, *b = pb;
	size_t x = path_depth(a->path), y = path_depth(b->path);

	if (x != y)
		return x < y ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

size_t *places_depth_order(const struct ccontainer *cc)
{
	size_t n = cc->n_mounts;
	struct place *p = calloc(n ? n : 1, sizeof(*p));
	size_t *order = calloc(n ? n : 1, sizeof(*order));

	if (p && order) {
		for (size_t i = 0; i < n; i++)
			p[i] = (struct place){ cc->mounts[i].path, i };
		qsort(p, n, sizeof(*p), depth_cmp);
		for (size_t i = 0; i < n; i++)
			order[i] = p[i].i;
	} else {
		free(order);
		order = NULL;
	}
	free(p);
	return order;
}

int places_nest_one(struct ccontainer *cc, struct cmount *cm,
		    const struct cmount *outer, struct view *ov,
		    struct view *iv)
{
	const char *rel = cm->path + strlen(outer->path) + 1;
	struct store *s = iv->store;
	struct snode *at = NULL;
	struct stat st;
	char msg[512];
	size_t end = 0;
	int rc;

	rc = s->ops->getattr(s, iv->root, NULL, &st);
	if (rc == 0)
		rc = mount_point_make(ov->store, ov->root, rel,
				      S_ISDIR(st.st_mode), ov->read_only, &at,
				      &end);
	if (rc == 0) {
		rc = view_cover(ov, at, iv);
		store_put(at);
	}
	if (rc == 0 || rc == -ENOMEM)
		return rc;
	if (rc == -ELOOP) {
		snprintf(msg, sizeof(msg),
			 "mountPath \"%s\": %s/%.*s is a symlink in volume \"%s\": podvolfs does not follow a symlink to a mount point",
			 cm->path, outer->path, (int)end, rel, outer->volume);
		container_fail(cc, cm, "NotSupported", msg);
	} else if (rc == -EEXIST) {
		snprintf(msg, sizeof(msg),
			 "mountPath \"%s\" is a file that another mount covers already (a hard link in volume \"%s\")",
			 cm->path, outer->volume);
		container_fail(cc, cm, "NotSupported", msg);
	} else {
		/* runc's words: the mount failed at start */
		snprintf(msg, sizeof(msg),
			 "error mounting volume \"%s\" to rootfs at \"%s\": %s/%.*s: %s",
			 cm->volume, cm->path, outer->path, (int)end, rel,
			 strerror(-rc));
		container_fail(cc, cm, "RunContainerError", msg);
	}
	return 0;
}

int places_nest(struct ccontainer *cc, struct view **views,
		const size_t *order)
{
	int rc = 0;

	for (size_t k = 0; k < cc->n_mounts && !rc; k++) {
		struct cmount *cm = &cc->mounts[order[k]];

		if (strcmp(cc->state, "Ready"))
			break;
		if (cm->message[0] || cm->parent == cc->n_mounts)
			continue;
		rc = places_nest_one(cc, cm, &cc->mounts[cm->parent],
				     views[cm->parent], views[order[k]]);
	}
	return rc;
}

size_t places_top(const struct ccontainer *cc, size_t k)
{
	while (cc->mounts[k].parent < cc->n_mounts)
		k = cc->mounts[k].parent;
	return k;
}
