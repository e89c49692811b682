/*
 * container.c - containers[] and initContainers[]: names, env, volumeMounts.
 *
 * Follows validateContainers / validateInitContainers and
 * ValidateVolumeMounts. Regular containers are checked before init
 * containers, as upstream does, so a clash between the two lists is
 * reported on the init container. Note upstream's field path quirk: the
 * subPath, subPathExpr, mountPropagation and recursiveReadOnly errors are
 * reported on "...volumeMounts.<field>", without the mount's index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

static const char *const container_fields[] = { "name", "image", "command",
	"args", "workingDir", "ports", "envFrom", "env", "resources",
	"resizePolicy", "restartPolicy", "restartPolicyRules", "volumeMounts",
	"volumeDevices", "livenessProbe", "readinessProbe", "startupProbe",
	"lifecycle", "terminationMessagePath", "terminationMessagePolicy",
	"imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
	NULL };

static const char *const env_fields[] = { "name", "value", "valueFrom", NULL };
static const char *const env_source_fields[] = { "fieldRef",
	"resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef",
	NULL };
static const char *const field_ref_fields[] = { "apiVersion", "fieldPath",
						NULL };

static const char *const mount_fields[] = { "name", "readOnly",
	"recursiveReadOnly", "mountPath", "subPath", "mountPropagation",
	"subPathExpr", NULL };

/* sorted, as sets.List() prints them */
static const char *const propagations[] = { "Bidirectional",
	"HostToContainer", "None", NULL };
static const char *const rro_modes[] = { "Disabled", "Enabled", "IfPossible",
					 NULL };

/* The fieldRef of an env var's valueFrom: fieldPath is required. */
static void field_ref_decode(struct spec_ctx *c, yaml_node_t *m,
			     struct spec_env *e)
{
	struct spec_field f;
	size_t mark = spec_path_key(&c->path, "fieldRef");

	spec_map_check(c, m, field_ref_fields);
	e->field_path = spec_get_str(c, m, "fieldPath", &f);
	if (e->field_path && !*e->field_path) {
		spec_path_key(&c->path, "fieldPath");
		spec_err_required(c, &f.mark, NULL);
	}
	spec_path_reset(&c->path, mark);
}

static void value_from_decode(struct spec_ctx *c, yaml_node_t *m,
			      struct spec_env *e, const char *value)
{
	size_t mark = spec_path_key(&c->path, "valueFrom");
	yaml_node_t *ref;
	unsigned n = 0;

	spec_map_check(c, m, env_source_fields);
	for (size_t i = 0; env_source_fields[i]; i++) {
		struct spec_field f;

		spec_map_find(c, m, env_source_fields[i], &f);
		n += f.val != NULL;
	}
	ref = spec_get_map(c, m, "fieldRef", NULL);
	if (ref)
		field_ref_decode(c, ref, e);
	if (n == 0)
		spec_err_invalid(c, &m->start_mark, "",
			    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
	if (n && *value)
		spec_err_invalid(c, &m->start_mark, "",
			    "may not be specified when `value` is not empty");
	if (n > 1)
		spec_err_invalid(c, &m->start_mark, "",
			    "may not have more than one field specified at a time");
	spec_path_reset(&c->path, mark);
}

static void env_decode(struct spec_ctx *c, yaml_node_t *item, size_t i,
		       struct spec_env *e)
{
	size_t mark = spec_path_index(&c->path, i), nmark;
	struct spec_field fn, fv;
	yaml_node_t *from;
	char *value;

	if (!spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping")) {
		e->name = spec_ctx_strdup(c, "");
		goto out_reset;
	}
	spec_map_check(c, item, env_fields);
	e->name = spec_get_str(c, item, "name", &fn);
	value = spec_get_str(c, item, "value", NULL);
	from = spec_get_map(c, item, "valueFrom", &fv);
	if (e->name && !*e->name) {
		nmark = spec_path_key(&c->path, "name");
		spec_err_required(c, &fn.mark, NULL);
		spec_path_reset(&c->path, nmark);
	}
	if (from && value) {
		value_from_decode(c, from, e, value);
		free(value);
	} else {
		e->value = value;
	}
out_reset:
	spec_path_reset(&c->path, mark);
}

static int envs_decode(struct spec_ctx *c, yaml_node_t *item,
		       struct spec_container *ct)
{
	yaml_node_t *seq = spec_get_seq(c, item, "env", NULL);
	size_t n = spec_seq_len(seq), mark;

	ct->env = spec_ctx_calloc(c, n, sizeof(*ct->env));
	if (!ct->env)
		return -ENOMEM;
	ct->n_env = n;
	mark = spec_path_key(&c->path, "env");
	for (size_t i = 0; i < n; i++)
		env_decode(c, spec_seq_item(c, seq, i), i, &ct->env[i]);
	spec_path_reset(&c->path, mark);
	return 0;
}

struct mount_fields {
	struct spec_field name;
	struct spec_field path;
	struct spec_field sub;
	struct spec_field expr;
	struct spec_field prop;
	struct spec_field rro;
	char *rro_value;
};

/* What the mounts of one container are checked against. */
struct mount_scope {
	const struct strmap *volumes;		/* the pod's valid volumes */
	struct strmap paths;			/* mountPaths of the mounts before */
	bool privileged;
};

/* Checks at "...volumeMounts[m]": name and mountPath. */
static void mount_check_indexed(struct spec_ctx *c,
				const struct spec_volume_mount *m,
				const struct mount_scope *scope,
				const struct mount_fields *f)
{
	size_t mark = spec_path_key(&c->path, "name");

	if (!*m->name)
		spec_err_required(c, &f->name.mark, NULL);
	if (!strmap_find(scope->volumes, m->name, strlen(m->name), NULL))
		spec_err_not_found(c, &f->name.mark, m->name);
	spec_path_reset(&c->path, mark);
	spec_path_key(&c->path, "mountPath");
	if (!*m->mount_path)
		spec_err_required(c, &f->path.mark, NULL);
	if (strmap_find(&scope->paths, m->mount_path, strlen(m->mount_path),
			NULL))
		spec_err_invalid(c, &f->path.mark, m->mount_path,
			    "must be unique");
	spec_path_reset(&c->path, mark);
	if (*m->sub_path_expr && *m->sub_path) {
		spec_path_key(&c->path, "subPathExpr");
		spec_err_invalid(c, &f->expr.mark, m->sub_path_expr,
			    "subPathExpr and subPath are mutually exclusive");
		spec_path_reset(&c->path, mark);
	}
}

static void rro_check(struct spec_ctx *c, const struct spec_volume_mount *m,
		      const struct mount_fields *f)
{
	const char *v = f->rro_value;

	if (!f->rro.val || strcmp(v, "Disabled") == 0)
		return;
	if (strcmp(v, "Enabled") != 0 && strcmp(v, "IfPossible") != 0) {
		spec_err_unsupported(c, &f->rro.mark, v, rro_modes);
		return;
	}
	if (!m->read_only)
		spec_err_forbidden(c, &f->rro.mark,
			      "may only be specified when readOnly is true");
	if (f->prop.val && strcmp(m->mount_propagation, "None") != 0)
		spec_err_forbidden(c, &f->rro.mark,
			      "may only be specified when mountPropagation is None or not specified");
}

/* Checks at "...volumeMounts" (no index), as upstream reports them. */
static void mount_check_indexless(struct spec_ctx *c,
				  const struct spec_volume_mount *m,
				  const struct mount_fields *f, bool privileged)
{
	size_t mark = spec_path_key(&c->path, "subPath");

	if (*m->sub_path)
		spec_check_descending_path(c, &f->sub.mark, m->sub_path);
	spec_path_reset(&c->path, mark);
	spec_path_key(&c->path, "subPathExpr");
	if (*m->sub_path_expr)
		spec_check_descending_path(c, &f->expr.mark, m->sub_path_expr);
	spec_path_reset(&c->path, mark);
	spec_path_key(&c->path, "mountPropagation");
	if (f->prop.val) {
		const char *p = m->mount_propagation;

		if (strcmp(p, "Bidirectional") && strcmp(p, "HostToContainer") &&
		    strcmp(p, "None"))
			spec_err_unsupported(c, &f->prop.mark, p, propagations);
		if (strcmp(p, "Bidirectional") == 0 && !privileged)
			spec_err_forbidden(c, &f->prop.mark,
				      "Bidirectional mount propagation is available only to privileged containers");
	}
	spec_path_reset(&c->path, mark);
	spec_path_key(&c->path, "recursiveReadOnly");
	rro_check(c, m, f);
	spec_path_reset(&c->path, mark);
}

/* A list item that is not a mapping: an empty mount, already reported. */
static void mount_empty(struct spec_ctx *c, struct spec_volume_mount *m)
{
	m->name = spec_ctx_strdup(c, "");
	m->mount_path = spec_ctx_strdup(c, "");
	m->sub_path = spec_ctx_strdup(c, "");
	m->sub_path_expr = spec_ctx_strdup(c, "");
	m->mount_propagation = spec_ctx_strdup(c, "");
}

static void mount_decode(struct spec_ctx *c, yaml_node_t *item, size_t i,
			 struct spec_container *ct,
			 const struct mount_scope *scope)
{
	struct spec_volume_mount *m = &ct->mounts[i];
	size_t mark = spec_path_index(&c->path, i);
	struct mount_fields f = { 0 };

	spec_pos_of(c, &item->start_mark, &m->pos);
	if (!spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping")) {
		mount_empty(c, m);
		goto out_reset;
	}
	spec_map_check(c, item, mount_fields);
	m->name = spec_get_str(c, item, "name", &f.name);
	m->mount_path = spec_get_str(c, item, "mountPath", &f.path);
	m->read_only = spec_get_bool(c, item, "readOnly");
	m->sub_path = spec_get_str(c, item, "subPath", &f.sub);
	m->sub_path_expr = spec_get_str(c, item, "subPathExpr", &f.expr);
	m->mount_propagation = spec_get_str(c, item, "mountPropagation",
					    &f.prop);
	f.rro_value = spec_get_str(c, item, "recursiveReadOnly", &f.rro);
	if (m->name && m->mount_path && m->sub_path && m->sub_path_expr &&
	    m->mount_propagation && f.rro_value) {
		mount_check_indexed(c, m, scope, &f);
		spec_path_reset(&c->path, mark);
		mount_check_indexless(c, m, &f, scope->privileged);
	}
	free(f.rro_value);
out_reset:
	spec_path_reset(&c->path, mark);
}

static int mounts_decode(struct spec_ctx *c, yaml_node_t *item,
			 struct spec_container *ct,
			 const struct strmap *volumes)
{
	yaml_node_t *seq = spec_get_seq(c, item, "volumeMounts", NULL);
	yaml_node_t *sc = spec_get_map(c, item, "securityContext", NULL);
	struct mount_scope scope = { .volumes = volumes };
	size_t n = spec_seq_len(seq), mark;

	if (sc) {
		mark = spec_path_key(&c->path, "securityContext");
		scope.privileged = spec_get_bool(c, sc, "privileged");
		spec_path_reset(&c->path, mark);
	}
	ct->mounts = spec_ctx_calloc(c, n, sizeof(*ct->mounts));
	if (!ct->mounts)
		return -ENOMEM;
	ct->n_mounts = n;
	strmap_init(&scope.paths);
	mark = spec_path_key(&c->path, "volumeMounts");
	for (size_t i = 0; i < n; i++) {
		const char *path;

		mount_decode(c, spec_seq_item(c, seq, i), i, ct, &scope);
		path = ct->mounts[i].mount_path;
		if (path && strmap_add(&scope.paths, path, strlen(path), NULL,
				       NULL) < 0)
			c->oom = true;
	}
	spec_path_reset(&c->path, mark);
	strmap_free(&scope.paths);
	return c->oom ? -ENOMEM : 0;
}

/* The name of container @i, its format and the image; duplicates are the caller's. */
static void container_head(struct spec_ctx *c, yaml_node_t *item,
			   struct spec_container *ct, struct spec_field *fn)
{
	const char *msgs[2];
	struct spec_field fi;
	size_t mark;
	char *image;
	unsigned n;

	ct->name = spec_get_str(c, item, "name", fn);
	image = spec_get_str(c, item, "image", &fi);
	if (!ct->name || !image)
		goto out_free;
	mark = spec_path_key(&c->path, "name");
	if (!*ct->name) {
		spec_err_required(c, &fn->mark, NULL);
	} else {
		n = spec_dns_label_errors(ct->name, msgs);
		for (unsigned k = 0; k < n; k++)
			spec_err_invalid(c, &fn->mark, ct->name, msgs[k]);
	}
	spec_path_reset(&c->path, mark);
	spec_path_key(&c->path, "image");
	if (!*image)
		spec_err_required(c, &fi.mark, NULL);
	spec_path_reset(&c->path, mark);
out_free:
	free(image);
}

/* Containers already named, for the duplicate check. */
struct name_scope {
	const struct strmap *other;		/* NULL, or the other list's names */
	struct strmap seen;			/* names of this list so far */
	bool skip_empty;			/* init containers: "" is not kept */
};

static bool name_taken(const struct name_scope *s, const char *name)
{
	size_t len = strlen(name);

	return (s->other && strmap_find(s->other, name, len, NULL)) ||
	       strmap_find(&s->seen, name, len, NULL);
}

static const char *const resources_fields[] = { "limits", "requests",
	"claims", NULL };

/*
 * resources.limits.memory, the one resource podvolfs uses: it bounds the
 * pod's Memory emptyDirs as it bounds their tmpfs. Errors are on the
 * apiserver's path, "resources.limits[memory]".
 */
static void resources_decode(struct spec_ctx *c, yaml_node_t *item,
			     struct spec_container *ct)
{
	yaml_node_t *res = spec_get_map(c, item, "resources", NULL), *limits;
	size_t mark, lmark;
	struct spec_field f;

	if (!res)
		return;
	mark = spec_path_key(&c->path, "resources");
	spec_map_check(c, res, resources_fields);
	limits = spec_get_map(c, res, "limits", NULL);
	if (limits)
		spec_map_find(c, limits, "memory", &f);
	if (limits && f.val) {
		lmark = spec_path_key(&c->path, "limits");
		spec_path_bracket(&c->path, "memory");
		if (spec_quantity_value(c, &f, &ct->memory_limit) &&
		    quantity_is_negative(&ct->memory_limit))
			spec_err_invalid(c, &f.mark,
					 (const char *)f.val->data.scalar.value,
					 "must be greater than or equal to 0");
		else if (quantity_value(&ct->memory_limit) > 0)
			ct->has_memory_limit = true;
		spec_path_reset(&c->path, lmark);
	}
	spec_path_reset(&c->path, mark);
}

static int container_decode(struct spec_ctx *c, yaml_node_t *item, size_t i,
			    struct spec_container *ct,
			    const struct strmap *volumes,
			    const struct name_scope *scope)
{
	size_t mark = spec_path_index(&c->path, i), nmark;
	struct spec_field fn;
	int rc = 0;

	spec_pos_of(c, &item->start_mark, &ct->pos);
	if (!spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping")) {
		ct->name = spec_ctx_strdup(c, "");
		goto out_reset;
	}
	spec_map_check(c, item, container_fields);
	container_head(c, item, ct, &fn);
	resources_decode(c, item, ct);
	rc = envs_decode(c, item, ct);
	if (!rc)
		rc = mounts_decode(c, item, ct, volumes);
	if (!rc && ct->name && name_taken(scope, ct->name)) {
		nmark = spec_path_key(&c->path, "name");
		spec_err_duplicate(c, &fn.mark, ct->name);
		spec_path_reset(&c->path, nmark);
	}
out_reset:
	spec_path_reset(&c->path, mark);
	return rc;
}

static int list_decode(struct spec_ctx *c, yaml_node_t *seq, const char *key,
		       struct spec_container *first,
		       const struct strmap *volumes, struct name_scope *scope)
{
	size_t mark = spec_path_key(&c->path, key);
	bool init = strcmp(key, "initContainers") == 0;
	int rc = 0;

	for (size_t i = 0; i < spec_seq_len(seq) && !rc; i++) {
		const char *name;

		first[i].init = init;
		rc = container_decode(c, spec_seq_item(c, seq, i), i, &first[i],
				      volumes, scope);
		name = first[i].name;
		if (!name || (scope->skip_empty && !*name))
			continue;
		if (strmap_add(&scope->seen, name, strlen(name), NULL, NULL) < 0)
			rc = -ENOMEM;
	}
	spec_path_reset(&c->path, mark);
	return rc;
}

int spec_containers_decode(struct spec_ctx *c, yaml_node_t *spec,
		      const yaml_mark_t *where, struct spec_pod *pod,
		      const struct strmap *valid)
{
	struct spec_field fc = { .mark = *where }, fi;
	yaml_node_t *conts = spec ? spec_get_seq(c, spec, "containers", &fc) : NULL;
	yaml_node_t *inits = spec ? spec_get_seq(c, spec, "initContainers", &fi) : NULL;
	size_t ni = spec_seq_len(inits), nc = spec_seq_len(conts), mark;
	struct name_scope regular = { 0 }, init = { .skip_empty = true };
	int rc;

	pod->containers = spec_ctx_calloc(c, ni + nc, sizeof(*pod->containers));
	if (!pod->containers)
		return -ENOMEM;
	pod->n_containers = ni + nc;
	if (nc == 0 && !(spec && fc.val && !conts)) {
		mark = spec_path_key(&c->path, "containers");
		spec_err_required(c, &fc.mark, NULL);
		spec_path_reset(&c->path, mark);
	}
	strmap_init(&regular.seen);
	strmap_init(&init.seen);
	init.other = &regular.seen;
	rc = list_decode(c, conts, "containers", pod->containers + ni, valid,
			 &regular);
	if (!rc)
		rc = list_decode(c, inits, "initContainers", pod->containers,
				 valid, &init);
	strmap_free(&regular.seen);
	strmap_free(&init.seen);
	return rc;
}
