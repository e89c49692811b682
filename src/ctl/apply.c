/*
 * apply.c - podvolfs-ctl apply: manifests validated by the daemon's own
 * loader, then placed into SOURCE atomically.
 *
 * An input file becomes SOURCE/<its base name> (standard input:
 * SOURCE/<kind>-<name>.yaml); when SOURCE is a file, that file. The new
 * text of the target is its documents that define none of the input's
 * objects, then the input as written. An input object that another file
 * of SOURCE defines is moved: that file is written again without it (or
 * removed when nothing is left), after the target is in place, so that an
 * object is never missing from SOURCE meanwhile. Each file is written as a
 * hidden temporary beside it (the daemon reads no hidden file), validated
 * as the daemon will read it, then renamed over it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edit.h"

/* Prints @err's messages, naming @shown where they name @path. */
static void print_errors(const struct podvolfs_err *err, const char *path,
			 const char *shown, const char *prefix)
{
	unsigned kept = err->count < PODVOLFS_ERR_MAX ? err->count :
							PODVOLFS_ERR_MAX;
	size_t plen = path ? strlen(path) : 0;

	for (unsigned i = 0; i < kept; i++) {
		const char *msg = err->msg[i];

		if (plen && !strncmp(msg, path, plen) && msg[plen] == ':')
			fprintf(stderr, "%s%s%s\n", prefix, shown, msg + plen);
		else
			fprintf(stderr, "%s%s\n", prefix, msg);
	}
	if (err->count > kept)
		fprintf(stderr, "%s%u more\n", prefix, err->count - kept);
}

/*
 * Loads @path as the daemon loads a manifest file, with its field
 * validation. Prints warnings (when @warnings) and errors, naming @shown
 * instead of @path. Returns 0 when the daemon will take it.
 */
int ctl_validate(const struct ctl_mount *m, const char *path,
		 const char *shown, bool warnings)
{
	struct podvolfs_err err, warn;
	struct spec_objects objs;
	int rc;

	err_init(&err);
	err_init(&warn);
	spec_objects_init(&objs);
	rc = spec_load_file(path, m->fields, &objs, &err, &warn);
	if (warnings)
		print_errors(&warn, path, shown, "Warning: ");
	if (err_isset(&err))
		print_errors(&err, path, shown, "error: ");
	else if (rc)
		fprintf(stderr, "error: %s: %s\n", shown, strerror(-rc));
	spec_objects_free(&objs);
	return rc || err_isset(&err) ? -1 : 0;
}

/* Standard input is validated from a temporary file, named "STDIN" in messages. */
static int validate_input(const struct ctl_mount *m,
			  const struct ctl_manifest *in)
{
	char tmp[] = "/tmp/podvolfs-ctl-stdin-XXXXXX";
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd, rc;

	if (strcmp(in->path, "-"))
		return ctl_validate(m, in->path, in->path, true);
	if (dir && asprintf(&path, "%s/podvolfs-ctl-stdin-XXXXXX", dir) < 0)
		return -1;
	if (!dir)
		path = tmp;
	fd = mkstemp(path);
	rc = fd < 0 || write(fd, in->text, in->len) != (ssize_t)in->len ? -1 : 0;
	if (fd >= 0)
		close(fd);
	if (rc)
		fprintf(stderr, "error: a temporary file for STDIN: %s\n",
			strerror(errno));
	else
		rc = ctl_validate(m, path, "STDIN", true);
	if (fd >= 0)
		unlink(path);
	if (path != tmp)
		free(path);
	return rc;
}

/* SOURCE's file for @in: its base name, or <kind>-<name>.yaml for stdin. */
static void target_path(const struct ctl_mount *m,
			const struct ctl_manifest *in, char *buf, size_t len)
{
	const char *base = strrchr(in->path, '/') ? strrchr(in->path, '/') + 1 :
						    in->path;
	const struct ctl_key *k = NULL;
	size_t blen = strlen(base);
	char kind[64];
	size_t i;

	if (!m->source_is_dir) {
		snprintf(buf, len, "%s", m->source);
		return;
	}
	for (size_t d = 0; !k && d < in->n_docs; d++)
		k = in->docs[d].n_keys ? &in->docs[d].keys[0] : NULL;
	if (!strcmp(in->path, "-")) {
		for (i = 0; k->kind[i] && i + 1 < sizeof(kind); i++)
			kind[i] = (char)(k->kind[i] >= 'A' && k->kind[i] <= 'Z' ?
					 k->kind[i] - 'A' + 'a' : k->kind[i]);
		kind[i] = '\0';
		snprintf(buf, len, "%s/%s-%s.yaml", m->source, kind, k->name);
		return;
	}
	if ((blen > 5 && !strcmp(base + blen - 5, ".yaml")) ||
	    (blen > 4 && !strcmp(base + blen - 4, ".yml")) ||
	    (blen > 5 && !strcmp(base + blen - 5, ".json")))
		snprintf(buf, len, "%s/%s", m->source, base);
	else
		snprintf(buf, len, "%s/%s.yaml", m->source, base);
}

/* created, configured or unchanged, by what SOURCE defines now. */
static const char *verdict(const struct ctl_source *s,
			   const struct ctl_key *key)
{
	size_t f, d, i;
	const char *old;

	if (!ctl_source_find(s, key, &f, &d, &i))
		return "created";
	old = s->files[f].docs[d].keys[i].canon;
	return old && key->canon && !strcmp(old, key->canon) ? "unchanged" :
							       "configured";
}

static int apply_manifest(const struct ctl_mount *m,
			  const struct ctl_manifest *in)
{
	struct ctl_edit e;
	char target[PATH_MAX], ref[512];
	size_t n_keys = 0;
	int rc;

	for (size_t d = 0; d < in->n_docs; d++)
		n_keys += in->docs[d].n_keys;
	if (validate_input(m, in))
		return 1;
	if (!n_keys) {
		fprintf(stderr, "error: no objects passed to apply\n");
		return 1;
	}
	target_path(m, in, target, sizeof(target));
	if (ctl_edit_init(&e, m))
		return 1;
	rc = ctl_edit_take(&e, in);
	if (!rc)
		rc = ctl_edit_place(&e, target, in->text, in->len);
	if (!rc)
		rc = ctl_edit_commit(&e);
	for (size_t d = 0; !rc && d < in->n_docs; d++)
		for (size_t i = 0; i < in->docs[d].n_keys; i++) {
			ctl_key_ref(&in->docs[d].keys[i], ref, sizeof(ref));
			printf("%s %s\n", ref,
			       verdict(&e.src, &in->docs[d].keys[i]));
		}
	ctl_edit_release(&e);
	return rc ? 1 : 0;
}

static int not_hidden_manifest(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' &&
	       ((n > 5 && !strcmp(d->d_name + n - 5, ".yaml")) ||
		(n > 4 && !strcmp(d->d_name + n - 4, ".yml")) ||
		(n > 5 && !strcmp(d->d_name + n - 5, ".json")));
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int apply_path(const struct ctl_mount *m, const char *path);

static int apply_dir(const struct ctl_mount *m, const char *dir)
{
	struct dirent **list;
	char path[PATH_MAX];
	int n, status = 0;

	n = scandir(dir, &list, not_hidden_manifest, name_cmp);
	if (n < 0) {
		fprintf(stderr, "error: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		status |= apply_path(m, path);
		free(list[i]);
	}
	free(list);
	return status;
}

static int apply_path(const struct ctl_mount *m, const char *path)
{
	struct ctl_manifest in;
	struct stat st;
	int rc;

	if (strcmp(path, "-") && !stat(path, &st) && S_ISDIR(st.st_mode))
		return apply_dir(m, path);
	rc = ctl_manifest_read(path, &in);
	if (rc) {
		fprintf(stderr, "error: the path \"%s\" cannot be read: %s\n",
			path, strerror(-rc));
		return 1;
	}
	rc = apply_manifest(m, &in);
	ctl_manifest_release(&in);
	return rc;
}

int ctl_apply(const struct ctl_mount *m, const struct ctl_opts *o)
{
	int status = 0;

	if (!o->n_files) {
		fprintf(stderr, "error: must specify one of -f and -k\n");
		return 1;
	}
	if (o->n_args) {
		fprintf(stderr, "error: unexpected args: %s\n", o->args[0]);
		return 1;
	}
	for (size_t i = 0; i < o->n_files; i++)
		status |= apply_path(m, o->files[i]);
	return status;
}
