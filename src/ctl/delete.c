/*
 * delete.c - podvolfs-ctl delete: objects' documents taken out of SOURCE.
 *
 * A file left with no object is removed; any other is written again
 * without the document (see edit.c). The daemon then deletes the objects
 * as it deletes any that leave SOURCE. Pods and claims that a Deployment,
 * ReplicaSet, StatefulSet or ephemeral volume makes have no document of
 * their own: the error names the object to delete instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"

#define MAX_NAMES 64

/* kubectl's "pod" or "deployment.apps", plural or not, for a kind as written. */
static void kind_word(const char *kind, bool plural, char *buf, size_t len)
{
	const struct ctl_kind *k = ctl_kind_of(kind);
	size_t i;

	if (k) {
		ctl_kind_name(k, plural, buf, len);
		return;
	}
	for (i = 0; kind[i] && i + 2 < len; i++)
		buf[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ?
				kind[i] - 'A' + 'a' : kind[i]);
	if (plural && i + 2 < len)
		buf[i++] = 's';
	buf[i] = '\0';
}

/* Who made @key, when SOURCE makes it from another object: printed, true. */
static bool explain_owned(const struct ctl_mount *m, const struct ctl_key *key)
{
	struct podvolfs_err err;
	struct spec_objects objs;
	const char *kind = NULL, *name = NULL;
	char word[128];

	err_init(&err);
	spec_objects_init(&objs);
	spec_load_source(m->source, SPEC_FIELDS_IGNORE, &objs, &err, NULL);
	for (size_t i = 0; !kind && i < objs.n_pods; i++)
		if (!strcmp(key->kind, "Pod") && objs.pods[i].owner_kind &&
		    !strcmp(objs.pods[i].namespace, key->ns) &&
		    !strcmp(objs.pods[i].name, key->name)) {
			kind = objs.pods[i].owner_kind;
			name = objs.pods[i].owner_name;
		}
	for (size_t i = 0; !kind && i < objs.n_pvcs; i++)
		if (!strcmp(key->kind, "PersistentVolumeClaim") &&
		    objs.pvcs[i].owner_kind &&
		    !strcmp(objs.pvcs[i].namespace, key->ns) &&
		    !strcmp(objs.pvcs[i].name, key->name)) {
			kind = objs.pvcs[i].owner_kind;
			name = objs.pvcs[i].owner_name;
		}
	if (kind) {
		kind_word(key->kind, false, word, sizeof(word));
		fprintf(stderr, "error: %s \"%s\" is made by %s \"%s\" of SOURCE: delete that instead\n",
			word, key->name, kind, name);
	}
	spec_objects_free(&objs);
	return kind != NULL;
}

static void not_found(const struct ctl_mount *m, const struct ctl_key *key)
{
	char word[128];

	if (explain_owned(m, key))
		return;
	kind_word(key->kind, true, word, sizeof(word));
	fprintf(stderr, "Error from server (NotFound): %s \"%s\" not found\n",
		word, key->name);
}

/*
 * Drops @keys from SOURCE and prints what went. Returns the exit status:
 * 1 when one was missing or SOURCE could not be changed.
 */
static int delete_keys(const struct ctl_mount *m, const struct ctl_key *keys,
		       size_t n)
{
	bool *gone = calloc(n ? n : 1, sizeof(*gone));
	bool any = false, missing = false;
	struct ctl_edit e;
	char word[128];
	int rc = 0;

	if (!gone || ctl_edit_init(&e, m)) {
		free(gone);
		return 1;
	}
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = ctl_edit_drop(&e, &keys[i]);
		gone[i] = rc > 0;
		any = any || rc > 0;
		if (!rc) {
			not_found(m, &keys[i]);
			missing = true;
		}
	}
	if (rc >= 0 && any)
		rc = ctl_edit_commit(&e);
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		if (!gone[i])
			continue;
		kind_word(keys[i].kind, false, word, sizeof(word));
		printf("%s \"%s\" deleted\n", word, keys[i].name);
	}
	ctl_edit_release(&e);
	free(gone);
	return rc < 0 || missing ? 1 : 0;
}

static int delete_file(const struct ctl_mount *m, const char *path)
{
	struct ctl_manifest in;
	struct ctl_key *keys = NULL;
	size_t n = 0;
	int rc, status = 1;

	rc = ctl_manifest_read(path, &in);
	if (rc || !in.parsed) {
		fprintf(stderr, "error: the path \"%s\" cannot be read: %s\n",
			path, rc ? strerror(-rc) : "not YAML or JSON");
		if (!rc)
			ctl_manifest_release(&in);
		return 1;
	}
	for (size_t d = 0; d < in.n_docs; d++)
		n += in.docs[d].n_keys;
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (keys) {
		n = 0;
		for (size_t d = 0; d < in.n_docs; d++)
			for (size_t i = 0; i < in.docs[d].n_keys; i++)
				keys[n++] = in.docs[d].keys[i];
		if (n)
			status = delete_keys(m, keys, n);
		else
			fprintf(stderr, "error: no objects passed to delete\n");
	}
	free(keys);
	ctl_manifest_release(&in);
	return status;
}

static int delete_named(const struct ctl_mount *m, const struct ctl_opts *o)
{
	struct ctl_key keys[MAX_NAMES];
	const char *names[MAX_NAMES];
	const struct ctl_kind *k;
	size_t n;

	if (ctl_parse_target(o, &k, names, MAX_NAMES, &n))
		return 1;
	if (!k) {
		fprintf(stderr, "error: you must provide one or more resources by argument or filename\n");
		return 1;
	}
	if (!n) {
		fprintf(stderr, "error: resource(s) were provided, but no name was specified\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct ctl_key){ .kind = (char *)k->kind,
			.ns = (char *)(k->namespaced ? o->namespace : ""),
			.name = (char *)names[i] };
	return delete_keys(m, keys, n);
}

int ctl_delete(const struct ctl_mount *m, const struct ctl_opts *o)
{
	int status = 0;

	if (o->n_files && o->n_args) {
		fprintf(stderr, "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form\n");
		return 1;
	}
	if (!o->n_files)
		return delete_named(m, o);
	for (size_t i = 0; i < o->n_files; i++)
		status |= delete_file(m, o->files[i]);
	return status;
}
