/*
 * storageclass.c - StorageClass documents (SPEC section 8.1).
 *
 * A StorageClass has no spec: its fields sit beside metadata. Follows
 * ValidateStorageClass: the provisioner is a qualified name (checked in
 * lower case), parameters at most 512 with non-empty keys and 256 KiB of
 * keys and values, reclaimPolicy Delete (the default) or Retain,
 * volumeBindingMode Immediate (the default) or WaitForFirstConsumer. The
 * default class is the one whose is-default-class annotation, current or
 * beta, is exactly "true". Cluster-scoped: a metadata.namespace is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

#define PARAMETERS_MAX 512
#define PARAMETERS_BYTES_MAX (256 << 10)

static const char *const reclaim_policies[] = { "Delete", "Retain", NULL };
static const char *const binding_modes[] = { "Immediate",
	"WaitForFirstConsumer", NULL };
static const char *const default_annotations[] = {
	"storageclass.kubernetes.io/is-default-class",
	"storageclass.beta.kubernetes.io/is-default-class", NULL };

static void provisioner_decode(struct spec_ctx *c, yaml_node_t *root,
			       struct spec_storage_class *sc)
{
	const char *pre[4], *msgs[4];
	char detail[PODVOLFS_ERR_LEN], *lower;
	struct spec_field f;
	size_t mark;
	unsigned n;

	sc->provisioner = spec_get_str(c, root, "provisioner", &f);
	if (!sc->provisioner)
		return;
	mark = spec_path_key(&c->path, "provisioner");
	if (!*sc->provisioner)
		spec_err_required(c, &f.mark, NULL);
	lower = *sc->provisioner ? spec_ctx_strdup(c, sc->provisioner) : NULL;
	for (char *p = lower; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	n = lower ? spec_qualified_name_errors(lower, pre, msgs) : 0;
	for (unsigned i = 0; i < n; i++) {
		snprintf(detail, sizeof(detail), "%s%s", pre[i], msgs[i]);
		spec_err_invalid(c, &f.mark, sc->provisioner, detail);
	}
	free(lower);
	spec_path_reset(&c->path, mark);
}

static void parameters_decode(struct spec_ctx *c, yaml_node_t *root,
			      struct spec_storage_class *sc)
{
	struct spec_field f;
	size_t bytes = 0, mark;

	spec_map_find(c, root, "parameters", &f);
	spec_get_kv(c, root, "parameters", &sc->parameters, &sc->n_parameters);
	mark = spec_path_key(&c->path, "parameters");
	if (sc->n_parameters > PARAMETERS_MAX) {
		spec_ctx_err(c, &f.mark, c->path.buf,
			"Too long: may not be more than %d bytes", PARAMETERS_MAX);
		goto out_reset;
	}
	for (size_t i = 0; i < sc->n_parameters; i++) {
		const struct spec_kv *kv = &sc->parameters[i];

		if (!kv->key || !kv->value)
			continue;
		if (!*kv->key)
			spec_err_invalid(c, &f.mark, kv->key, "field can not be empty.");
		bytes += strlen(kv->key) + strlen(kv->value);
	}
	if (bytes > PARAMETERS_BYTES_MAX)
		spec_ctx_err(c, &f.mark, c->path.buf,
			"Too long: may not be more than %d bytes",
			PARAMETERS_BYTES_MAX);
out_reset:
	spec_path_reset(&c->path, mark);
}

/*
 * @key, one of @supported, or @dflt when absent; an explicit "" is
 * @empty, or refused when that is NULL (upstream defaults a nil pointer
 * only).
 */
static char *choice_decode(struct spec_ctx *c, yaml_node_t *root,
			   const char *key, const char *const *supported,
			   const char *dflt, const char *empty)
{
	struct spec_field f;
	char *v = spec_get_str(c, root, key, &f);
	size_t mark;

	if (!v)
		return NULL;
	if (!f.val || (empty && !*v)) {
		free(v);
		return spec_ctx_strdup(c, f.val ? empty : dflt);
	}
	for (size_t i = 0; supported[i]; i++)
		if (strcmp(v, supported[i]) == 0)
			return v;
	mark = spec_path_key(&c->path, key);
	spec_err_unsupported(c, &f.mark, v, supported);
	spec_path_reset(&c->path, mark);
	return v;
}

void spec_class_free(struct spec_storage_class *sc)
{
	free(sc->name);
	spec_kv_free(sc->annotations, sc->n_annotations);
	free(sc->provisioner);
	spec_kv_free(sc->parameters, sc->n_parameters);
	free(sc->reclaim_policy);
	spec_strv_free(sc->mount_options, sc->n_mount_options);
	free(sc->file);
	free(sc->list_item);
	memset(sc, 0, sizeof(*sc));
}

static bool is_default(const struct spec_storage_class *sc)
{
	const char *v;

	for (size_t i = 0; default_annotations[i]; i++) {
		v = spec_kv_find(sc->annotations, sc->n_annotations,
				 default_annotations[i]);
		if (v && strcmp(v, "true") == 0)
			return true;
	}
	return false;
}

static void class_decode(struct spec_ctx *c, yaml_node_t *root,
			 struct spec_storage_class *sc)
{
	char *mode;

	provisioner_decode(c, root, sc);
	parameters_decode(c, root, sc);
	/*
	 * An explicit "" passes validation and is copied into the volumes
	 * provisioned, where the PersistentVolume defaulter makes it Retain.
	 */
	sc->reclaim_policy = choice_decode(c, root, "reclaimPolicy",
					   reclaim_policies, "Delete", "Retain");
	mode = choice_decode(c, root, "volumeBindingMode", binding_modes,
			     "Immediate", NULL);
	sc->wait_for_first_consumer = mode &&
				      strcmp(mode, "WaitForFirstConsumer") == 0;
	free(mode);
	sc->allow_volume_expansion = spec_get_bool(c, root,
						   "allowVolumeExpansion");
	spec_get_strv(c, root, "mountOptions", &sc->mount_options,
		      &sc->n_mount_options);
	sc->is_default = is_default(sc);
}

int spec_load_class(struct spec_ctx *c, yaml_node_t *root,
		    struct spec_objects *out)
{
	struct spec_storage_class *classes, *sc;
	struct spec_kv *labels = NULL;
	size_t n_labels = 0;
	struct spec_meta m;

	spec_meta_decode(c, root, SPEC_META_CLUSTER, &m);
	classes = reallocarray(out->classes, out->n_classes + 1,
			       sizeof(*classes));
	if (!classes || c->oom) {
		if (classes)
			out->classes = classes;
		spec_meta_free(&m);
		return -ENOMEM;
	}
	out->classes = classes;
	sc = memset(&classes[out->n_classes++], 0, sizeof(*sc));
	sc->name = spec_meta_name(c, &m);
	sc->file = spec_ctx_strdup(c, c->file);
	spec_pos_of(c, &root->start_mark, &sc->pos);
	sc->pos.file = sc->file;
	sc->list_item = spec_list_item(c);
	spec_meta_kv(c, &m, &labels, &n_labels, &sc->annotations,
		     &sc->n_annotations);
	spec_kv_free(labels, n_labels);
	spec_path_reset(&c->path, 0);
	class_decode(c, root, sc);
	spec_meta_free(&m);
	return c->oom ? -ENOMEM : 0;
}
