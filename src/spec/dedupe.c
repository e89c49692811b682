/*
 * dedupe.c - one object per kind, namespace and name.
 *
 * Within a file, a second object of a kind with the same key is an error
 * that fails the file. Across the files of a source, the later file's
 * object is left out with an error naming the earlier file, and so is what
 * it made, silently: a StatefulSet's pods and claims, a pod's ephemeral
 * claims (they would collide in turn and say nothing new). A claim made
 * from a template collides with a claim of a manifest like any other; its
 * error names what made it. Keys are "<tag>\0<namespace>\0<name>", the
 * namespace empty for cluster-scoped kinds, in a strmap so that a source
 * of many objects is checked in linear time.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

/* What the messages and keys need of an object. */
struct view {
	const char *ns;				/* "" for cluster-scoped kinds */
	const char *name;
	const char *file;
	const struct spec_pos *pos;
	const char *list_item;
	const char *owner_kind;			/* a claim made from a template */
	const char *owner_name;
};

/* A kind, as an array of struct spec_objects. */
struct kind_ops {
	char tag;
	const char *word;			/* as kubectl names the resource */
	size_t size;				/* of an element */
	size_t array;				/* offsetof the array in spec_objects */
	size_t count;				/* offsetof its count */
	void (*view)(const void *obj, struct view *v);
	void (*free)(void *obj);
};

static void pod_view(const void *obj, struct view *v)
{
	const struct spec_pod *p = obj;

	*v = (struct view){ p->namespace, p->name, p->file, &p->pos,
			    p->list_item, NULL, NULL };
}

static void pv_view(const void *obj, struct view *v)
{
	const struct spec_pv *p = obj;

	*v = (struct view){ "", p->name, p->file, &p->pos, p->list_item,
			    NULL, NULL };
}

static void pvc_view(const void *obj, struct view *v)
{
	const struct spec_pvc *p = obj;

	*v = (struct view){ p->namespace, p->name, p->file, &p->pos,
			    p->list_item, p->owner_kind, p->owner_name };
}

static void class_view(const void *obj, struct view *v)
{
	const struct spec_storage_class *p = obj;

	*v = (struct view){ "", p->name, p->file, &p->pos, p->list_item,
			    NULL, NULL };
}

static void set_view(const void *obj, struct view *v)
{
	const struct spec_statefulset *p = obj;

	*v = (struct view){ p->namespace, p->name, p->file, &p->pos,
			    p->list_item, NULL, NULL };
}

static void pod_free(void *obj)
{
	spec_pod_free(obj);
}

static void pv_free(void *obj)
{
	spec_pv_free(obj);
}

static void pvc_free(void *obj)
{
	spec_pvc_free(obj);
}

static void class_free(void *obj)
{
	spec_class_free(obj);
}

static void set_free(void *obj)
{
	spec_statefulset_free(obj);
}

#define KIND(tag, word, type, arr, n, view, free)			\
	{ tag, word, sizeof(type), offsetof(struct spec_objects, arr),	\
	  offsetof(struct spec_objects, n), view, free }

enum { SETS, PODS, PVCS, PVS, CLASSES, N_KINDS };

/* A set before its pods, pods before their claims: see source_dedupe. */
static const struct kind_ops kinds[N_KINDS] = {
	[SETS] = KIND('T', "statefulset", struct spec_statefulset,
		      statefulsets, n_statefulsets, set_view, set_free),
	[PODS] = KIND('P', "pod", struct spec_pod, pods, n_pods, pod_view,
		      pod_free),
	[PVCS] = KIND('C', "persistentvolumeclaim", struct spec_pvc, pvcs,
		      n_pvcs, pvc_view, pvc_free),
	[PVS] = KIND('V', "persistentvolume", struct spec_pv, pvs, n_pvs,
		     pv_view, pv_free),
	[CLASSES] = KIND('S', "storageclass", struct spec_storage_class,
			 classes, n_classes, class_view, class_free),
};

static char *array_of(const struct kind_ops *k, const struct spec_objects *o)
{
	return *(char *const *)((const char *)o + k->array);
}

static size_t count_of(const struct kind_ops *k, const struct spec_objects *o)
{
	return *(const size_t *)((const char *)o + k->count);
}

void spec_index_init(struct spec_index *ix)
{
	strmap_init(&ix->map);
	ix->keys = NULL;
	ix->n_keys = 0;
}

void spec_index_free(struct spec_index *ix)
{
	for (size_t i = 0; i < ix->n_keys; i++)
		free(ix->keys[i]);
	free(ix->keys);
	strmap_free(&ix->map);
}

/*
 * Adds the key of @tag, @ns and @name with @file. Returns 1, or 0 when it
 * is there already (*@old, unless NULL, its file), or -ENOMEM.
 */
static int index_add(struct spec_index *ix, char tag, const char *ns,
		     const char *name, const char *file, const char **old)
{
	size_t nl = strlen(ns), len = 2 + nl + 1 + strlen(name);
	char **keys, *key;
	void *was;
	int rc;

	keys = reallocarray(ix->keys, ix->n_keys + 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	ix->keys = keys;
	key = malloc(len + 1);
	if (!key)
		return -ENOMEM;
	key[0] = tag;
	key[1] = '\0';
	memcpy(key + 2, ns, nl + 1);
	memcpy(key + 3 + nl, name, len - 2 - nl);
	rc = strmap_add(&ix->map, key, len, (void *)file, &was);
	if (rc != 1) {
		free(key);
		if (rc == 0 && old)
			*old = was;
		return rc;
	}
	ix->keys[ix->n_keys++] = key;
	return 1;
}

static bool index_has(const struct spec_index *ix, char tag, const char *ns,
		      const char *name)
{
	char key[2 + SPEC_PATH_MAX];
	int len = snprintf(key, sizeof(key), "%c%c%s%c%s", tag, '\0', ns, '\0',
			   name);

	return len > 0 && (size_t)len < sizeof(key) &&
	       strmap_find(&ix->map, key, (size_t)len, NULL);
}

int spec_index_objects(struct spec_index *ix, const struct spec_objects *o)
{
	struct view v;
	int rc = 0;

	for (size_t k = 0; k < N_KINDS; k++) {
		const char *a = array_of(&kinds[k], o);
		size_t n = count_of(&kinds[k], o);

		for (size_t i = 0; i < n && rc >= 0; i++) {
			kinds[k].view(a + i * kinds[k].size, &v);
			rc = index_add(ix, kinds[k].tag, v.ns, v.name, v.file,
				       NULL);
		}
	}
	return rc < 0 ? rc : 0;
}

/* The field path of metadata.name: "items[2].metadata.name" in a List. */
static void name_field(const struct view *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s%smetadata.name", v->list_item,
		 *v->list_item ? "." : "");
}

/* Whether @obj, of kind @k, was made by an object left out already. */
static bool made_by_gone(size_t k, const void *obj,
			 const struct spec_index *gone)
{
	const struct spec_pod *p = obj;
	const struct spec_pvc *c = obj;

	if (k == PODS)
		return p->owner_kind && strcmp(p->owner_kind, "StatefulSet") == 0 &&
		       index_has(gone, 'T', p->namespace, p->owner_name);
	if (k != PVCS || !c->owner_kind)
		return false;
	if (strcmp(c->owner_kind, "Pod") == 0)
		return c->owner_uid && index_has(gone, 'U', "", c->owner_uid);
	return index_has(gone, 'T', c->namespace, c->owner_name);
}

/* Records that @obj, of kind @k, is left out, for what it made. */
static int gone_add(size_t k, const void *obj, struct spec_index *gone)
{
	const struct spec_statefulset *s = obj;
	const struct spec_pod *p = obj;

	if (k == SETS)
		return index_add(gone, 'T', s->namespace, s->name, "", NULL);
	if (k == PODS && p->uid)
		return index_add(gone, 'U', "", p->uid, "", NULL);
	return 0;
}

/* The error for the later of two objects of one key in a file. */
static void dup_error(struct spec_ctx *c, const struct kind_ops *k,
		      const struct view *v)
{
	char q[256], field[64];
	yaml_mark_t m = { .line = v->pos->line - 1, .column = v->pos->col - 1 };

	spec_quote(v->name, q, sizeof(q));
	name_field(v, field, sizeof(field));
	if (v->owner_kind)
		spec_ctx_err(c, &m, NULL,
			"Duplicate value: %s: %s \"%s/%s\" of %s \"%s\"", q,
			k->word, v->ns, v->name, v->owner_kind, v->owner_name);
	else
		spec_ctx_err(c, &m, field, "Duplicate value: %s", q);
}

void spec_duplicates_check(struct spec_ctx *c, const struct spec_objects *o)
{
	struct spec_index ix, gone;
	struct view v;

	spec_index_init(&ix);
	spec_index_init(&gone);
	for (size_t k = 0; k < N_KINDS && !c->oom; k++) {
		const char *a = array_of(&kinds[k], o);
		size_t n = count_of(&kinds[k], o);

		for (size_t i = 0; i < n && !c->oom; i++) {
			const char *obj = a + i * kinds[k].size;
			int rc;

			if (made_by_gone(k, obj, &gone))
				continue;
			kinds[k].view(obj, &v);
			rc = index_add(&ix, kinds[k].tag, v.ns, v.name, v.file,
				       NULL);
			if (rc == 0)
				dup_error(c, &kinds[k], &v);
			if (rc < 0 || (rc == 0 && gone_add(k, obj, &gone) < 0))
				c->oom = true;
		}
	}
	spec_index_free(&gone);
	spec_index_free(&ix);
}

/* "ns/name", or "name" for a cluster-scoped kind. */
static void full_name(const struct view *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", v->ns, *v->ns ? "/" : "", v->name);
}

static void dup_report(const struct kind_ops *k, const struct view *v,
		       const char *old, struct podvolfs_err *err)
{
	char q[256], field[64], name[320], owner[320] = "";

	spec_quote(v->name, q, sizeof(q));
	full_name(v, name, sizeof(name));
	name_field(v, field, sizeof(field));
	if (v->owner_kind)
		snprintf(owner, sizeof(owner), " of %s \"%s\"", v->owner_kind,
			 v->owner_name);
	err_add(err, v->pos, v->owner_kind ? NULL : field,
		"Duplicate value: %s: %s \"%s\"%s is already defined in %s",
		q, k->word, name, owner, old);
}

/* Drops the objects of kind @k of @tmp that @ix has; see spec_source_dedupe(). */
static int kind_dedupe(size_t k, struct spec_objects *tmp,
		       struct spec_index *ix, struct spec_index *gone,
		       struct podvolfs_err *err)
{
	const struct kind_ops *ops = &kinds[k];
	char *a = array_of(ops, tmp);
	size_t *n = (size_t *)((char *)tmp + ops->count), kept = 0;
	const char *old = NULL;
	struct view v;
	int rc = 0;

	for (size_t i = 0; i < *n; i++) {
		char *obj = a + i * ops->size;
		int added = 1;

		ops->view(obj, &v);
		if (!rc && made_by_gone(k, obj, gone))
			added = 0;
		else if (!rc)
			added = index_add(ix, ops->tag, v.ns, v.name, v.file, &old);
		if (added < 0) {
			rc = added;
			added = 1;
		}
		if (added) {
			memmove(a + kept++ * ops->size, obj, ops->size);
			continue;
		}
		if (!made_by_gone(k, obj, gone))
			dup_report(ops, &v, old, err);
		if (gone_add(k, obj, gone) < 0)
			rc = -ENOMEM;
		ops->free(obj);
	}
	*n = kept;
	return rc;
}

int spec_source_dedupe(struct spec_objects *tmp, struct spec_index *ix,
		       struct podvolfs_err *err)
{
	struct spec_index gone;
	int rc = 0;

	spec_index_init(&gone);
	for (size_t k = 0; k < N_KINDS; k++) {
		int krc = kind_dedupe(k, tmp, ix, &gone, err);

		if (!rc)
			rc = krc;
	}
	spec_index_free(&gone);
	return rc;
}
