/*
 * load.c - manifest files and directories to struct spec_objects.
 *
 * A file is read into memory whole (SPEC_FILE_MAX bytes at most), so that
 * every pass sees the same bytes: scan.c checks its limits as a stream,
 * then libyaml's document API loads it document by document; each document
 * is checked against alias bombs and runaway nesting, then dispatched on
 * its kind. A List's items are dispatched in turn as documents of their
 * own, with the field path rooted at "items[i]" so that their errors name
 * them; the List stays one document for the alias and node budgets, but
 * its items count as documents against SPEC_DOCS_MAX. Everything lands in
 * a private spec_objects first and is moved into the caller's only when the
 * whole file is good, so a file is taken whole or not at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec_i.h"

struct kind_def {
	const char *kind;
	const char *api_version;
	const char *const *fields;		/* the object's top-level keys */
	spec_load_fn *load;
};

static const char *const top_fields[] = { "apiVersion", "kind", "metadata",
					  "spec", "status", NULL };
/* A StorageClass has no spec: its fields sit beside metadata. */
static const char *const class_fields[] = { "apiVersion", "kind", "metadata",
	"provisioner", "parameters", "reclaimPolicy", "mountOptions",
	"allowVolumeExpansion", "volumeBindingMode", "allowedTopologies", NULL };

static const struct kind_def kinds[] = {
	{ "Pod", "v1", top_fields, spec_load_pod },
	{ "Deployment", "apps/v1", top_fields, spec_load_deployment },
	{ "ReplicaSet", "apps/v1", top_fields, spec_load_replicaset },
	{ "StatefulSet", "apps/v1", top_fields, spec_load_statefulset },
	{ "PersistentVolume", "v1", top_fields, spec_load_pv },
	{ "PersistentVolumeClaim", "v1", top_fields, spec_load_pvc },
	{ "StorageClass", "storage.k8s.io/v1", class_fields, spec_load_class },
};

/* A List: its metadata is a ListMeta, and "items" what it lists. */
static const struct kind_def list_kind = { "List", "v1", NULL, NULL };
static const char *const list_fields[] = { "apiVersion", "kind", "metadata",
					   "items", NULL };
static const char *const list_meta_fields[] = { "selfLink", "resourceVersion",
	"continue", "remainingItemCount", NULL };

void spec_objects_init(struct spec_objects *objs)
{
	memset(objs, 0, sizeof(*objs));
}

void spec_objects_free(struct spec_objects *objs)
{
	for (size_t i = 0; i < objs->n_pods; i++)
		spec_pod_free(&objs->pods[i]);
	free(objs->pods);
	for (size_t i = 0; i < objs->n_pvs; i++)
		spec_pv_free(&objs->pvs[i]);
	free(objs->pvs);
	for (size_t i = 0; i < objs->n_pvcs; i++)
		spec_pvc_free(&objs->pvcs[i]);
	free(objs->pvcs);
	for (size_t i = 0; i < objs->n_classes; i++)
		spec_class_free(&objs->classes[i]);
	free(objs->classes);
	for (size_t i = 0; i < objs->n_statefulsets; i++)
		spec_statefulset_free(&objs->statefulsets[i]);
	free(objs->statefulsets);
	for (size_t i = 0; i < objs->n_notices; i++)
		free(objs->notices[i]);
	free(objs->notices);
	spec_objects_init(objs);
}

static int notice_add(struct spec_objects *o, char *line)
{
	char **n;

	if (!line)
		return -ENOMEM;
	n = reallocarray(o->notices, o->n_notices + 1, sizeof(*n));
	if (!n) {
		free(line);
		return -ENOMEM;
	}
	o->notices = n;
	o->notices[o->n_notices++] = line;
	return 0;
}

static int skip_notice(struct spec_ctx *c, yaml_node_t *root, const char *kind,
		       struct spec_objects *out)
{
	struct spec_pos pos;
	char q[256], *line;

	spec_pos_of(c, &root->start_mark, &pos);
	spec_quote(kind, q, sizeof(q));
	if (asprintf(&line, "%s:%u:%u: skipping kind %s", pos.file, pos.line,
		     pos.col, q) < 0)
		return -ENOMEM;
	return notice_add(out, line);
}

static const struct kind_def *kind_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

/*
 * A kind podvolfs serves, in another version (a removed one, such as
 * extensions/v1beta1 for Deployment): the apiserver's "no matches" error,
 * and the version podvolfs reads. Returns true when the version is the
 * one read: an object of another version is not looked into, so that its
 * fields give no second, misleading error.
 */
static bool api_version_check(struct spec_ctx *c, const struct kind_def *d,
			      const char *api, const struct spec_field *f)
{
	char qkind[128], qapi[256], qwant[64];
	bool ok = false;

	spec_path_set(&c->path, "apiVersion");
	if (!*api) {
		spec_err_required(c, &f->mark, NULL);
	} else if (strcmp(api, d->api_version) != 0) {
		spec_quote(d->kind, qkind, sizeof(qkind));
		spec_quote(api, qapi, sizeof(qapi));
		spec_quote(d->api_version, qwant, sizeof(qwant));
		spec_ctx_err(c, &f->mark, NULL,
			     "no matches for kind %s in version %s (podvolfs reads it as apiVersion %s)",
			     qkind, qapi, qwant);
	} else {
		ok = true;
	}
	spec_path_reset(&c->path, 0);
	return ok;
}

/*
 * Counts the document at @root. A List's items count as documents, so
 * that a List cannot hold more objects than a file of documents may: the
 * first one past SPEC_DOCS_MAX stops the file, with -EINVAL.
 */
static int document_count(struct spec_ctx *c, const yaml_node_t *root)
{
	if (++c->docs <= SPEC_DOCS_MAX)
		return 0;
	spec_ctx_err(c, &root->start_mark, NULL,
		"file has more than %d documents, each item of a List counting as one (a podvolfs limit)",
		SPEC_DOCS_MAX);
	return -EINVAL;
}

static int object_load(struct spec_ctx *c, yaml_node_t *root,
		       struct spec_objects *out);

/*
 * Item @i of a List, loaded as a document of its own under "items[i]"
 * (under "items[0].items[i]" in a List that is itself an item).
 */
static int item_load(struct spec_ctx *c, yaml_node_t *item, size_t i,
		     struct spec_objects *out)
{
	size_t outer = c->path.root;
	int rc = 0;

	spec_path_set(&c->path, "items");
	spec_path_index(&c->path, i);
	if (spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping")) {
		spec_path_set_root(&c->path, c->path.len);
		spec_doc_measure(c, item);
		rc = object_load(c, item, out);
		spec_path_set_root(&c->path, outer);
	}
	spec_path_reset(&c->path, 0);
	return rc;
}

/*
 * A List, as kubectl get -o yaml writes it and kubectl apply reads it:
 * its own fields are checked, then each item is loaded in turn. A List
 * among the items is flattened into its own items, as kubectl does; the
 * depth limit of the YAML scan bounds the nesting.
 */
static int list_load(struct spec_ctx *c, yaml_node_t *root, const char *api,
		     const struct spec_field *fa, struct spec_objects *out)
{
	yaml_node_t *meta, *items;
	int rc = 0;

	/* the items carry their own versions: they are read whatever the List's */
	api_version_check(c, &list_kind, api, fa);
	spec_map_check(c, root, list_fields);
	meta = spec_get_map(c, root, "metadata", NULL);
	if (meta) {
		spec_path_set(&c->path, "metadata");
		spec_map_check(c, meta, list_meta_fields);
		spec_path_reset(&c->path, 0);
	}
	items = spec_get_seq(c, root, "items", NULL);
	for (size_t i = 0; i < spec_seq_len(items) && !rc; i++)
		rc = item_load(c, spec_seq_item(c, items, i), i, out);
	return rc;
}

/*
 * kind and apiVersion, then the kind's loader, for a document or an item
 * of a List. Returns 0 when problems were only reported,
 * -EINVAL when the file must stop here, or -ENOMEM.
 */
static int object_load(struct spec_ctx *c, yaml_node_t *root,
		       struct spec_objects *out)
{
	const struct kind_def *d;
	struct spec_field fk, fa;
	char *kind, *api;
	int rc = 0;

	spec_path_reset(&c->path, 0);
	kind = spec_get_str(c, root, "kind", &fk);
	api = spec_get_str(c, root, "apiVersion", &fa);
	if (!kind || !api) {
		rc = -ENOMEM;
		goto out_free;
	}
	if (strcmp(kind, list_kind.kind) == 0) {
		rc = list_load(c, root, api, &fa, out);
		goto out_free;
	}
	rc = document_count(c, root);
	if (rc)
		goto out_free;
	if (!*kind) {
		if (!fk.val) {
			spec_path_set(&c->path, "kind");
			spec_err_required(c, &fk.mark, NULL);
			spec_path_reset(&c->path, 0);
		}
		goto out_free;
	}
	d = kind_find(kind);
	if (!d) {
		rc = skip_notice(c, root, kind, out);
		goto out_free;
	}
	if (!api_version_check(c, d, api, &fa))
		goto out_free;
	spec_map_check(c, root, d->fields);
	rc = d->load(c, root, out);
out_free:
	free(kind);
	free(api);
	return rc;
}

static int document_load(struct spec_ctx *c, yaml_node_t *root,
			 struct spec_objects *out)
{
	/* an empty document ("---" alone, or only comments) */
	if (spec_node_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE) {
		spec_ctx_err(c, &root->start_mark, NULL,
			"expected a mapping (an object) at the top of the document, got %s",
			spec_node_kind_name(root));
		return 0;
	}
	if (spec_doc_check(c, root))
		return 0;
	return object_load(c, root, out);
}

static int parser_error(struct spec_ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown YAML error";

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR)
		spec_ctx_err(c, NULL, NULL, "%s: %s (at byte %zu)", c->file, problem,
			p->problem_offset);
	else
		spec_ctx_err(c, &p->problem_mark, NULL, "%s", problem);
	return -EINVAL;
}

static int stream_load(struct spec_ctx *c, yaml_parser_t *parser,
		       struct spec_objects *out)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	while (!rc) {
		if (!yaml_parser_load(parser, &doc))
			return parser_error(c, parser);
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		c->doc = &doc;
		rc = document_load(c, root, out);
		c->doc = NULL;
		yaml_document_delete(&doc);
	}
	if (!rc && c->oom)
		rc = -ENOMEM;
	if (!rc && !c->nerr)
		spec_duplicates_check(c, out);
	return rc ? rc : (c->nerr ? -EINVAL : 0);
}

/* Room for @src's array @a (of @n elements) at the end of @dst's. */
#define GROW(a, n) do {							\
	void *grown = reallocarray(dst->a, dst->n + src->n + 1,		\
				   sizeof(*dst->a));			\
	if (!grown)							\
		return -ENOMEM;						\
	dst->a = grown;							\
} while (0)
#define APPEND(a, n) do {						\
	if (src->n)							\
		memcpy(dst->a + dst->n, src->a, src->n * sizeof(*src->a)); \
	dst->n += src->n;						\
	free(src->a);							\
} while (0)

/* Moves everything of @src to the end of @dst; on -ENOMEM @dst is unchanged. */
static int objects_move(struct spec_objects *dst, struct spec_objects *src)
{
	GROW(pods, n_pods);
	GROW(pvs, n_pvs);
	GROW(pvcs, n_pvcs);
	GROW(classes, n_classes);
	GROW(statefulsets, n_statefulsets);
	GROW(notices, n_notices);
	APPEND(pods, n_pods);
	APPEND(pvs, n_pvs);
	APPEND(pvcs, n_pvcs);
	APPEND(classes, n_classes);
	APPEND(statefulsets, n_statefulsets);
	APPEND(notices, n_notices);
	spec_objects_init(src);
	return 0;
}

#undef GROW
#undef APPEND

/* The line and column of byte @off of @buf, as libyaml counts LF, CR and CRLF. */
static yaml_mark_t mark_at(const unsigned char *buf, size_t off)
{
	yaml_mark_t m = { .index = off };

	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n' || (buf[i] == '\r' && buf[i + 1] != '\n')) {
			m.line++;
			m.column = 0;
		} else if ((buf[i] & 0xc0) != 0x80) {
			/* UTF-8: a column per character, not per byte */
			m.column++;
		}
	}
	return m;
}

/*
 * Reads the whole of @fd into *@buf (*@len bytes, then a NUL), or refuses
 * a file of more than SPEC_FILE_MAX bytes, naming where it crosses that.
 */
static int file_read(struct spec_ctx *c, int fd, unsigned char **buf,
		     size_t *len)
{
	size_t cap = 64 << 10, n = 0;
	unsigned char *b, *grown;
	struct stat st;
	yaml_mark_t m;
	ssize_t got;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		cap = (size_t)st.st_size < SPEC_FILE_MAX ? (size_t)st.st_size + 1 :
							    SPEC_FILE_MAX + 1;
	b = malloc(cap + 1);
	if (!b)
		return -ENOMEM;
	while (n <= SPEC_FILE_MAX) {
		if (n == cap) {
			cap = cap * 2 < SPEC_FILE_MAX + 1 ? cap * 2 : SPEC_FILE_MAX + 1;
			grown = realloc(b, cap + 1);
			if (!grown) {
				free(b);
				return -ENOMEM;
			}
			b = grown;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(b);
			return -errno;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	if (n > SPEC_FILE_MAX) {
		m = mark_at(b, SPEC_FILE_MAX);
		spec_ctx_err(c, &m, NULL,
			"file is larger than %d bytes (3 MiB, the apiserver's limit on a request)",
			SPEC_FILE_MAX);
		free(b);
		return -EINVAL;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int file_open(const char *path, int *fd, struct podvolfs_err *err)
{
	struct stat st;
	int rc;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		rc = -errno;
		goto out_report;
	}
	if (fstat(*fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(*fd);
		rc = -EISDIR;
		goto out_report;
	}
	return 0;
out_report:
	err_add(err, NULL, NULL, "%s: %s", path, strerror(-rc));
	return rc;
}

/* Checks and loads the file @buf into @out. */
static int buffer_load(struct spec_ctx *c, const unsigned char *buf,
		       size_t len, struct spec_objects *out)
{
	yaml_parser_t parser;
	int rc;

	rc = spec_scan(c, buf, len);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, buf, len);
	rc = stream_load(c, &parser, out);
	yaml_parser_delete(&parser);
	return rc;
}

int spec_load_file(const char *path, enum spec_field_validation fields,
		   struct spec_objects *objs, struct podvolfs_err *err,
		   struct podvolfs_err *warn)
{
	struct spec_ctx c = { .file = path, .err = err, .warn = warn,
			      .fields = fields };
	struct spec_objects tmp;
	unsigned char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	rc = file_open(path, &fd, err);
	if (rc)
		return rc;
	rc = file_read(&c, fd, &buf, &len);
	close(fd);
	if (rc && rc != -EINVAL && rc != -ENOMEM) {
		err_add(err, NULL, NULL, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!rc) {
		spec_objects_init(&tmp);
		rc = buffer_load(&c, buf, len, &tmp);
		free(buf);
		if (!rc)
			rc = objects_move(objs, &tmp);
		spec_objects_free(&tmp);
	}
	if (rc == -ENOMEM)
		err_add(err, NULL, NULL, "%s: %s", path, strerror(ENOMEM));
	return rc;
}

/* ---- sources ---- */

/* A source being read: how, where its problems go, and its objects so far. */
struct source {
	enum spec_field_validation fields;
	struct podvolfs_err *err;
	struct podvolfs_err *warn;
	struct spec_index ix;
};

/* Loads one file of a source; a file that fails is left out. */
static int source_file(const char *path, struct spec_objects *objs,
		       struct source *s)
{
	struct spec_objects tmp;
	int rc;

	spec_objects_init(&tmp);
	rc = spec_load_file(path, s->fields, &tmp, s->err, s->warn);
	if (rc) {
		spec_objects_free(&tmp);
		return rc == -EINVAL ? 0 : rc;
	}
	rc = spec_source_dedupe(&tmp, &s->ix, s->err);
	if (!rc)
		rc = objects_move(objs, &tmp);
	if (rc)
		err_add(s->err, NULL, NULL, "%s: %s", path, strerror(-rc));
	spec_objects_free(&tmp);
	return rc;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int manifest_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' &&
	       (has_suffix(d->d_name, ".yaml") ||
		has_suffix(d->d_name, ".yml") || has_suffix(d->d_name, ".json"));
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void source_entry(const char *dir, const char *name,
			 struct spec_objects *objs, struct source *s)
{
	struct stat st;
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		err_add(s->err, NULL, NULL, "%s/%s: %s", dir, name,
			strerror(ENOMEM));
		return;
	}
	/* a directory or socket named *.yaml is not a manifest */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		source_file(path, objs, s);
	free(path);
}

static int source_dir(const char *dir, struct spec_objects *objs,
		      struct source *s)
{
	struct dirent **list;
	int n, rc;

	n = scandir(dir, &list, manifest_filter, name_cmp);
	if (n < 0) {
		rc = -errno;
		err_add(s->err, NULL, NULL, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	for (int i = 0; i < n; i++) {
		source_entry(dir, list[i]->d_name, objs, s);
		free(list[i]);
	}
	free(list);
	return 0;
}

int spec_load_source(const char *path, enum spec_field_validation fields,
		     struct spec_objects *objs, struct podvolfs_err *err,
		     struct podvolfs_err *warn)
{
	struct source s = { .fields = fields, .err = err, .warn = warn };
	struct stat st;
	int rc;

	if (stat(path, &st) != 0) {
		rc = -errno;
		err_add(err, NULL, NULL, "%s: %s", path, strerror(-rc));
		return rc;
	}
	spec_index_init(&s.ix);
	rc = spec_index_objects(&s.ix, objs);
	if (rc) {
		err_add(err, NULL, NULL, "%s: %s", path, strerror(-rc));
		spec_index_free(&s.ix);
		return rc;
	}
	if (S_ISDIR(st.st_mode))
		rc = source_dir(path, objs, &s);
	else
		rc = source_file(path, objs, &s);
	spec_index_free(&s.ix);
	return rc;
}
