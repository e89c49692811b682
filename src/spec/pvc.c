/*
 * pvc.c - PersistentVolumeClaim documents, and the claims of ephemeral
 * volumes.
 *
 * A claim's spec is checked as ValidatePersistentVolumeClaimSpec does,
 * with its field paths: "spec.resources[storage]" for the request, not
 * "spec.resources.requests.storage" (a quantity that does not parse is
 * refused where it is written, as decoding refuses it). The class keeps
 * nil apart from "": only a claim with neither storageClassName nor the
 * legacy annotation may be given the default class later. An ephemeral
 * volume's claim is "<pod>-<volume>" in the pod's namespace, owned by the
 * pod; its template's metadata may hold labels and annotations only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

static const char *const pvc_spec_fields[] = { "accessModes", "selector",
	"resources", "volumeName", "storageClassName", "volumeMode",
	"dataSource", "dataSourceRef", "volumeAttributesClassName", NULL };
static const char *const resources_fields[] = { "limits", "requests", NULL };
static const char *const claim_template_fields[] = { "metadata", "spec",
	NULL };
static const char *const volume_modes[] = { "Block", "Filesystem", NULL };

bool spec_volume_mode_decode(struct spec_ctx *c, yaml_node_t *spec)
{
	struct spec_field f;
	bool block = false;
	char *mode;
	size_t mark;

	if (!spec)
		return false;
	mode = spec_get_str(c, spec, "volumeMode", &f);
	if (!mode || !f.val)
		goto out_free;
	mark = spec_path_key(&c->path, "volumeMode");
	block = strcmp(mode, "Block") == 0;
	if (!block && strcmp(mode, "Filesystem") != 0)
		spec_err_unsupported(c, &f.mark, mode, volume_modes);
	spec_path_reset(&c->path, mark);
out_free:
	free(mode);
	return block;
}

/* resources.requests.storage: required, greater than zero. */
static void request_decode(struct spec_ctx *c, yaml_node_t *spec,
			   const yaml_mark_t *where, struct spec_pvc *pvc)
{
	struct spec_field fr = { .mark = *where }, fq, fs = { .mark = *where };
	yaml_node_t *res = NULL, *req = NULL;
	size_t mark, rmark;
	char value[64];
	bool ok = false;

	if (spec)
		res = spec_get_map(c, spec, "resources", &fr);
	fs.mark = fr.mark;
	mark = spec_path_key(&c->path, "resources");
	rmark = c->path.len;
	if (res) {
		spec_map_check(c, res, resources_fields);
		req = spec_get_map(c, res, "requests", &fq);
		fs.mark = fq.mark;
	}
	if (req) {
		spec_path_key(&c->path, "requests");
		ok = spec_quantity_decode(c, req, "storage", &pvc->request);
		spec_map_find(c, req, "storage", &fs);
		spec_path_reset(&c->path, rmark);
	}
	spec_path_bracket(&c->path, "storage");
	if (!fs.val) {
		spec_err_required(c, &fs.mark, NULL);
	} else if (ok && pvc->request.nanos <= 0) {
		quantity_format(&pvc->request, value, sizeof(value));
		spec_err_invalid(c, &fs.mark, value, "must be greater than zero");
	}
	spec_path_reset(&c->path, mark);
}

char *spec_class_name_decode(struct spec_ctx *c, yaml_node_t *spec,
			     const char *key, struct spec_field *f)
{
	char *name = spec_get_str(c, spec, key, f);
	const char *msgs[2];
	size_t mark;
	unsigned n;

	if (!name || !*name)
		return name;
	mark = spec_path_key(&c->path, key);
	n = spec_dns_subdomain_errors(name, msgs);
	for (unsigned i = 0; i < n; i++)
		spec_err_invalid(c, &f->mark, name, msgs[i]);
	spec_path_reset(&c->path, mark);
	return name;
}

/* The legacy annotation if set, else storageClassName; nil apart. */
static void class_decode(struct spec_ctx *c, yaml_node_t *spec,
			 struct spec_pvc *pvc)
{
	const char *legacy = spec_kv_find(pvc->annotations, pvc->n_annotations,
					  SPEC_CLASS_ANNOTATION);
	struct spec_field f = { 0 };
	char *name;

	if (spec)
		name = spec_class_name_decode(c, spec, "storageClassName", &f);
	else
		name = spec_ctx_strdup(c, "");
	pvc->has_storage_class = legacy || f.val;
	if (legacy) {
		free(name);
		name = spec_ctx_strdup(c, legacy);
	}
	pvc->storage_class = name;
}

/* Populating a volume from a data source: read, not done. */
static void data_source_warn(struct spec_ctx *c, yaml_node_t *spec,
			     const char *key)
{
	struct spec_field f;
	size_t mark;

	spec_map_find(c, spec, key, &f);
	if (!f.val)
		return;
	mark = spec_path_key(&c->path, key);
	spec_warn(c, &f.mark,
		  "not supported by podvolfs: the claim's volume starts empty");
	spec_path_reset(&c->path, mark);
}

void spec_pvc_spec_decode(struct spec_ctx *c, yaml_node_t *spec,
			  const yaml_mark_t *where, struct spec_pvc *pvc)
{
	struct spec_field f;
	char *vac;

	if (spec)
		spec_map_check(c, spec, pvc_spec_fields);
	pvc->access_modes = spec_access_modes_decode(c, spec, where,
					"at least 1 access mode is required");
	if (spec)
		spec_selector_decode(c, spec, "selector", &pvc->selector);
	request_decode(c, spec, where, pvc);
	class_decode(c, spec, pvc);
	pvc->block = spec_volume_mode_decode(c, spec);
	pvc->volume_name = spec ? spec_get_str(c, spec, "volumeName", NULL) :
				  spec_ctx_strdup(c, "");
	if (!spec)
		return;
	data_source_warn(c, spec, "dataSource");
	data_source_warn(c, spec, "dataSourceRef");
	vac = spec_class_name_decode(c, spec, "volumeAttributesClassName", &f);
	free(vac);
}

struct spec_pvc *spec_pvcs_add(struct spec_ctx *c, struct spec_objects *o)
{
	struct spec_pvc *p = reallocarray(o->pvcs, o->n_pvcs + 1, sizeof(*p));

	if (!p) {
		c->oom = true;
		return NULL;
	}
	o->pvcs = p;
	memset(&p[o->n_pvcs], 0, sizeof(*p));
	return &p[o->n_pvcs++];
}

void spec_pvc_free(struct spec_pvc *pvc)
{
	free(pvc->namespace);
	free(pvc->name);
	spec_kv_free(pvc->labels, pvc->n_labels);
	spec_kv_free(pvc->annotations, pvc->n_annotations);
	free(pvc->storage_class);
	spec_selector_free(&pvc->selector);
	free(pvc->volume_name);
	free(pvc->owner_kind);
	free(pvc->owner_name);
	free(pvc->owner_uid);
	free(pvc->file);
	free(pvc->list_item);
	memset(pvc, 0, sizeof(*pvc));
}

int spec_load_pvc(struct spec_ctx *c, yaml_node_t *root,
		  struct spec_objects *out)
{
	struct spec_pvc *pvc;
	struct spec_field fs;
	yaml_node_t *spec;
	struct spec_meta m;

	spec_meta_decode(c, root, 0, &m);
	spec = spec_get_map(c, root, "spec", &fs);
	pvc = spec_pvcs_add(c, out);
	if (!pvc || c->oom) {
		spec_meta_free(&m);
		return -ENOMEM;
	}
	pvc->namespace = spec_ctx_strdup(c, *m.namespace ? m.namespace : "default");
	pvc->name = spec_meta_name(c, &m);
	pvc->file = spec_ctx_strdup(c, c->file);
	spec_pos_of(c, &root->start_mark, &pvc->pos);
	pvc->pos.file = pvc->file;
	pvc->list_item = spec_list_item(c);
	spec_meta_kv(c, &m, &pvc->labels, &pvc->n_labels, &pvc->annotations,
		     &pvc->n_annotations);
	spec_path_set(&c->path, "spec");
	spec_pvc_spec_decode(c, spec, &fs.mark, pvc);
	spec_path_reset(&c->path, 0);
	spec_meta_free(&m);
	return c->oom ? -ENOMEM : 0;
}

/* ---- ephemeral volumes ---- */

/* ValidateTemplateObjectMeta: labels and annotations, nothing else. */
static void template_meta_decode(struct spec_ctx *c, yaml_node_t *tmpl,
				 struct spec_pvc *pvc)
{
	yaml_node_t *meta = spec_get_map(c, tmpl, "metadata", NULL);
	struct spec_field f;
	size_t mark;

	if (!meta)
		return;
	mark = spec_path_key(&c->path, "metadata");
	spec_map_check(c, meta, spec_meta_fields);
	spec_get_kv(c, meta, "labels", &pvc->labels, &pvc->n_labels);
	spec_get_kv(c, meta, "annotations", &pvc->annotations,
		    &pvc->n_annotations);
	for (size_t i = 0; spec_meta_fields[i]; i++) {
		const char *key = spec_meta_fields[i];
		size_t kmark;

		spec_map_find(c, meta, key, &f);
		if (!f.val || strcmp(key, "labels") == 0 ||
		    strcmp(key, "annotations") == 0 ||
		    (f.val->type == YAML_SCALAR_NODE && !f.val->data.scalar.length))
			continue;
		kmark = spec_path_key(&c->path, key);
		spec_err_forbidden(c, &f.mark, "cannot be set");
		spec_path_reset(&c->path, kmark);
	}
	spec_path_reset(&c->path, mark);
}

/* Gives @claim its place as the claim of @v of @pod, in c->claims. */
static void ephemeral_keep(struct spec_ctx *c, const struct spec_pod *pod,
			   const struct spec_volume *v, struct spec_pvc *claim)
{
	struct spec_pvc *kept = spec_pvcs_add(c, c->claims);

	claim->namespace = spec_ctx_strdup(c, pod->namespace);
	claim->name = spec_ctx_strdup(c, v->pvc.claim_name);
	claim->owner_kind = spec_ctx_strdup(c, "Pod");
	claim->owner_name = spec_ctx_strdup(c, pod->name);
	claim->file = spec_ctx_strdup(c, c->file);
	claim->pos = v->pos;
	claim->pos.file = claim->file;
	claim->list_item = spec_list_item(c);
	if (kept)
		*kept = *claim;
	else
		spec_pvc_free(claim);
}

void spec_ephemeral_decode(struct spec_ctx *c, yaml_node_t *m,
			   const struct spec_pod *pod, struct spec_volume *v)
{
	struct spec_pvc claim = { 0 };
	struct spec_field ft, fs;
	yaml_node_t *tmpl, *spec;
	size_t mark;

	if (pod->name && v->name &&
	    asprintf(&v->pvc.claim_name, "%s-%s", pod->name, v->name) < 0) {
		v->pvc.claim_name = NULL;
		c->oom = true;
	}
	tmpl = spec_get_map(c, m, "volumeClaimTemplate", &ft);
	mark = spec_path_key(&c->path, "volumeClaimTemplate");
	if (!tmpl) {
		if (!ft.val)
			spec_err_required(c, &ft.mark, NULL);
		spec_path_reset(&c->path, mark);
		return;
	}
	spec_map_check(c, tmpl, claim_template_fields);
	template_meta_decode(c, tmpl, &claim);
	spec = spec_get_map(c, tmpl, "spec", &fs);
	spec_path_key(&c->path, "spec");
	spec_pvc_spec_decode(c, spec, &fs.mark, &claim);
	spec_path_reset(&c->path, mark);
	if (c->claims && v->pvc.claim_name)
		ephemeral_keep(c, pod, v, &claim);
	else
		spec_pvc_free(&claim);
}
