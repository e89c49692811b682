/*
 * edit.c - changes to SOURCE's files, made atomically file by file (see
 * edit.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edit.h"

int ctl_edit_init(struct ctl_edit *e, const struct ctl_mount *m)
{
	memset(e, 0, sizeof(*e));
	e->m = m;
	if (ctl_source_read(m, &e->src))
		return -1;
	e->drop = calloc(e->src.n + 1, sizeof(*e->drop));
	e->touched = calloc(e->src.n + 1, sizeof(*e->touched));
	for (size_t f = 0; e->drop && f < e->src.n; f++) {
		e->drop[f] = calloc(e->src.files[f].n_docs + 1,
				    sizeof(**e->drop));
		if (!e->drop[f])
			break;
	}
	if (!e->drop || !e->touched ||
	    (e->src.n && !e->drop[e->src.n - 1])) {
		fprintf(stderr, "error: %s\n", strerror(ENOMEM));
		ctl_edit_release(e);
		return -1;
	}
	return 0;
}

void ctl_edit_release(struct ctl_edit *e)
{
	for (size_t f = 0; e->drop && f < e->src.n; f++)
		free(e->drop[f]);
	free(e->drop);
	free(e->touched);
	free(e->target);
	ctl_source_release(&e->src);
	memset(e, 0, sizeof(*e));
}

/* Whether every object of document @d is among @keys (NULL: just @key). */
static bool all_covered(const struct ctl_doc *d, const struct ctl_key *key,
			const struct ctl_manifest *in)
{
	for (size_t i = 0; i < d->n_keys; i++) {
		bool found = key && ctl_key_same(&d->keys[i], key);

		for (size_t id = 0; in && !found && id < in->n_docs; id++)
			for (size_t j = 0; !found && j < in->docs[id].n_keys; j++)
				found = ctl_key_same(&d->keys[i],
						     &in->docs[id].keys[j]);
		if (!found)
			return false;
	}
	return true;
}

static int drop_doc(struct ctl_edit *e, const struct ctl_key *key,
		    const struct ctl_manifest *in)
{
	size_t f, d, i;
	char ref[512];

	if (!ctl_source_find(&e->src, key, &f, &d, &i))
		return 0;
	if (!all_covered(&e->src.files[f].docs[d], key, in)) {
		ctl_key_ref(key, ref, sizeof(ref));
		fprintf(stderr, "error: %s is an item of the List at %s:%u, which defines other objects too: edit that file by hand\n",
			ref, e->src.files[f].path, e->src.files[f].docs[d].line);
		return -1;
	}
	e->drop[f][d] = true;
	e->touched[f] = true;
	return 1;
}

int ctl_edit_drop(struct ctl_edit *e, const struct ctl_key *key)
{
	return drop_doc(e, key, NULL);
}

int ctl_edit_take(struct ctl_edit *e, const struct ctl_manifest *in)
{
	for (size_t d = 0; d < in->n_docs; d++)
		for (size_t i = 0; i < in->docs[d].n_keys; i++)
			if (drop_doc(e, &in->docs[d].keys[i], in) < 0)
				return -1;
	return 0;
}

int ctl_edit_place(struct ctl_edit *e, const char *path, const char *text,
		   size_t len)
{
	e->target = strdup(path);
	if (!e->target) {
		fprintf(stderr, "error: %s\n", strerror(ENOMEM));
		return -1;
	}
	e->text = text;
	e->len = len;
	return 0;
}

/* A file's new text, and where its temporary is. */
struct change {
	const char *path;
	char *text;
	bool remove;			/* nothing left: the file goes */
	char *tmp;
};

static size_t target_index(const struct ctl_edit *e)
{
	for (size_t f = 0; e->target && f < e->src.n; f++)
		if (!strcmp(e->src.files[f].path, e->target))
			return f;
	return SIZE_MAX;
}

/* The new text of file @f (SIZE_MAX: the target, new), or NULL when it stays. */
static int compose(struct ctl_edit *e, size_t f, bool is_target,
		   struct change *c)
{
	const struct ctl_manifest *mf = f == SIZE_MAX ? NULL : &e->src.files[f];
	bool empty;

	c->path = is_target ? e->target : mf->path;
	c->text = ctl_manifest_compose(mf, mf ? e->drop[f] : NULL,
				       is_target ? e->text : NULL, e->len,
				       &empty);
	if (!c->text) {
		fprintf(stderr, "error: %s\n", strerror(ENOMEM));
		return -1;
	}
	c->remove = empty && !is_target;
	if (mf && !mf->parsed && !is_target) {
		free(c->text);
		c->text = NULL;
	}
	if (mf && c->text && !strcmp(c->text, mf->text)) {
		free(c->text);
		c->text = NULL;
	}
	return 0;
}

static void discard(struct change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i].tmp)
			unlink(c[i].tmp);
		free(c[i].tmp);
		free(c[i].text);
	}
	free(c);
}

/* Every temporary written, and the target's validated. */
static int prepare(struct ctl_edit *e, struct change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!c[i].text || c[i].remove)
			continue;
		c[i].tmp = ctl_write_temp(c[i].path, c[i].text,
					  strlen(c[i].text));
		if (!c[i].tmp) {
			fprintf(stderr, "error: unable to write %s: %s\n",
				c[i].path, strerror(errno));
			return -1;
		}
		if (i == 0 && e->target &&
		    ctl_validate(e->m, c[i].tmp, c[i].path, false))
			return -1;
	}
	return 0;
}

int ctl_edit_commit(struct ctl_edit *e)
{
	size_t t = target_index(e), n = 0;
	struct change *c = calloc(e->src.n + 1, sizeof(*c));
	int rc = -1;

	if (!c) {
		fprintf(stderr, "error: %s\n", strerror(ENOMEM));
		return -1;
	}
	if (e->target && compose(e, t, true, &c[n++]))
		goto out;
	for (size_t f = 0; f < e->src.n; f++)
		if (e->touched[f] && f != t && compose(e, f, false, &c[n++]))
			goto out;
	if (prepare(e, c, n))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (c[i].remove && unlink(c[i].path) && errno != ENOENT) {
			fprintf(stderr, "error: unable to remove %s: %s\n",
				c[i].path, strerror(errno));
			goto out;
		}
		if (c[i].tmp && rename(c[i].tmp, c[i].path)) {
			fprintf(stderr, "error: unable to write %s: %s\n",
				c[i].path, strerror(errno));
			goto out;
		}
		free(c[i].tmp);
		c[i].tmp = NULL;
	}
	rc = 0;
out:
	discard(c, n);
	return rc;
}
