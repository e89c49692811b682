/*
 * pv.c - PersistentVolume documents (SPEC section 7.2).
 *
 * Follows ValidatePersistentVolumeSpec, in its order: access modes,
 * capacity, reclaim policy, node affinity, the source, the class, the
 * volume mode. Sources are counted in its fixed order, so "may not specify
 * more than 1 volume type" lands on the later one in that order, with
 * upstream's quirks kept: a flexVolume is counted without that check, and
 * a cephfs after another source is reported on "spec.cephFS". hostPath
 * and nfs are checked as pod volumes are; the sources podvolfs does not
 * serve are read as SPEC_PV_OTHER. A PersistentVolume is cluster-scoped:
 * the apiserver drops a metadata.namespace before validating, and so does
 * podvolfs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

static const char *const local_fields[] = { "path", "fsType", NULL };
static const char *const claim_ref_fields[] = { "kind", "namespace", "name",
	"uid", "apiVersion", "resourceVersion", "fieldPath", NULL };
static const char *const reclaim_policies[] = { "Delete", "Recycle",
	"Retain", NULL };

struct pv_source {
	const char *key;
	enum spec_pv_type type;
	/* NULL: accepted uninspected, or checked by the decoder */
	const char *const *fields;
	const char *forbidden_at;		/* the key upstream reports, if not @key */
	bool uncounted;				/* never "more than 1 volume type" */
};

#define OTHER(key) { key, SPEC_PV_OTHER, NULL, NULL, false }

/* In the order ValidatePersistentVolumeSpec counts them. */
static const struct pv_source sources[] = {
	{ "hostPath", SPEC_PV_HOSTPATH, NULL, NULL, false },
	OTHER("gcePersistentDisk"),
	OTHER("awsElasticBlockStore"),
	OTHER("glusterfs"),
	OTHER("flocker"),
	{ "nfs", SPEC_PV_NFS, NULL, NULL, false },
	OTHER("rbd"),
	OTHER("quobyte"),
	{ "cephfs", SPEC_PV_OTHER, NULL, "cephFS", false },
	OTHER("iscsi"),
	OTHER("cinder"),
	OTHER("fc"),
	{ "flexVolume", SPEC_PV_OTHER, NULL, NULL, true },
	OTHER("azureFile"),
	OTHER("vsphereVolume"),
	OTHER("photonPersistentDisk"),
	OTHER("portworxVolume"),
	OTHER("azureDisk"),
	OTHER("scaleIO"),
	{ "local", SPEC_PV_LOCAL, local_fields, NULL, false },
	OTHER("storageos"),
	OTHER("csi"),
};

#define N_SOURCES (sizeof(sources) / sizeof(sources[0]))

/* The spec's fields, then every key of sources[] */
static const char *const pv_spec_fields[] = { "capacity", "accessModes",
	"claimRef", "persistentVolumeReclaimPolicy", "storageClassName",
	"mountOptions", "volumeMode", "nodeAffinity",
	"volumeAttributesClassName", "hostPath", "gcePersistentDisk",
	"awsElasticBlockStore", "glusterfs", "flocker", "nfs", "rbd",
	"quobyte", "cephfs", "iscsi", "cinder", "fc", "flexVolume",
	"azureFile", "vsphereVolume", "photonPersistentDisk",
	"portworxVolume", "azureDisk", "scaleIO", "local", "storageos", "csi",
	NULL };

_Static_assert(sizeof(pv_spec_fields) / sizeof(pv_spec_fields[0]) == N_SOURCES + 10,
	       "pv_spec_fields must list every source");

/* capacity: exactly the key "storage", its value greater than zero. */
static void capacity_decode(struct spec_ctx *c, yaml_node_t *spec,
			    const yaml_mark_t *where, struct spec_pv *pv)
{
	static const char *const storage[] = { "storage", NULL };
	struct spec_field f = { .mark = *where }, fs;
	yaml_node_t *cap = spec ? spec_get_map(c, spec, "capacity", &f) : NULL;
	size_t mark = spec_path_key(&c->path, "capacity"), rmark = c->path.len;
	char value[64];

	if (!cap || cap->data.mapping.pairs.top == cap->data.mapping.pairs.start) {
		if (!(f.val && !cap))
			spec_err_required(c, &f.mark, NULL);
		goto out_reset;
	}
	spec_map_check(c, cap, NULL);
	for (yaml_node_pair_t *p = cap->data.mapping.pairs.start;
	     p < cap->data.mapping.pairs.top; p++) {
		yaml_node_t *k = spec_node_at(c, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, "storage") != 0) {
			spec_err_unsupported(c, &k->start_mark,
					(const char *)k->data.scalar.value, storage);
			break;
		}
	}
	spec_map_find(c, cap, "storage", &fs);
	if (!spec_quantity_decode(c, cap, "storage", &pv->capacity))
		goto out_reset;
	spec_path_reset(&c->path, rmark);
	spec_path_bracket(&c->path, "storage");
	if (quantity_value(&pv->capacity) < 0)
		spec_err_invalid_int(c, &fs.mark, quantity_value(&pv->capacity),
				"must be a valid resource quantity");
	if (pv->capacity.nanos <= 0) {
		quantity_format(&pv->capacity, value, sizeof(value));
		spec_err_invalid(c, &fs.mark, value, "must be greater than zero");
	}
out_reset:
	spec_path_reset(&c->path, mark);
}

static void reclaim_policy_decode(struct spec_ctx *c, yaml_node_t *spec,
				  struct spec_pv *pv)
{
	struct spec_field f;
	size_t mark;
	char *p;

	p = spec ? spec_get_str(c, spec, "persistentVolumeReclaimPolicy", &f) :
		   spec_ctx_strdup(c, "");
	if (!p)
		return;
	if (!*p) {
		free(p);
		pv->reclaim_policy = spec_ctx_strdup(c, "Retain");
		return;
	}
	pv->reclaim_policy = p;
	for (size_t i = 0; reclaim_policies[i]; i++)
		if (strcmp(p, reclaim_policies[i]) == 0)
			return;
	mark = spec_path_key(&c->path, "persistentVolumeReclaimPolicy");
	spec_err_unsupported(c, &f.mark, p, reclaim_policies);
	spec_path_reset(&c->path, mark);
}

/* validateLocalVolumeSource */
static void local_decode(struct spec_ctx *c, yaml_node_t *m,
			 struct spec_pv *pv)
{
	struct spec_field f;
	size_t mark;
	char *fs_type;

	pv->local.path = spec_get_str(c, m, "path", &f);
	fs_type = spec_get_str(c, m, "fsType", NULL);
	free(fs_type);
	if (!pv->local.path)
		return;
	mark = spec_path_key(&c->path, "path");
	if (!*pv->local.path)
		spec_err_required(c, &f.mark, NULL);
	else if (spec_has_backstep(pv->local.path))
		spec_err_invalid(c, &f.mark, pv->local.path, "must not contain '..'");
	spec_path_reset(&c->path, mark);
}

static void source_decode(struct spec_ctx *c, const struct pv_source *s,
			  yaml_node_t *m, struct spec_pv *pv)
{
	pv->type = s->type;
	pv->source = spec_ctx_strdup(c, s->key);
	if (!spec_want_kind(c, m, YAML_MAPPING_NODE, "a mapping"))
		return;
	if (s->fields)
		spec_map_check(c, m, s->fields);
	if (s->type == SPEC_PV_HOSTPATH)
		spec_host_path_decode(c, m, &pv->host_path.path,
				      &pv->host_path.type);
	else if (s->type == SPEC_PV_NFS)
		spec_nfs_decode(c, m, &pv->nfs.server, &pv->nfs.path,
				&pv->nfs.read_only);
	else if (s->type == SPEC_PV_LOCAL)
		local_decode(c, m, pv);
}

/* Exactly one source; @affinity: nodeAffinity is there. */
static void sources_decode(struct spec_ctx *c, yaml_node_t *spec,
			   bool affinity, const yaml_mark_t *where,
			   struct spec_pv *pv)
{
	unsigned count = 0;
	struct spec_field f;
	size_t mark;

	for (size_t i = 0; spec && i < N_SOURCES; i++) {
		const struct pv_source *s = &sources[i];

		spec_map_find(c, spec, s->key, &f);
		if (!f.val)
			continue;
		if (count > 0 && !s->uncounted) {
			mark = spec_path_key(&c->path, s->forbidden_at ?
							s->forbidden_at : s->key);
			spec_err_forbidden(c, &f.key->start_mark,
				      "may not specify more than 1 volume type");
			spec_path_reset(&c->path, mark);
			continue;
		}
		/* a flexVolume after another source: counted, not read */
		if (count++ > 0)
			continue;
		mark = spec_path_key(&c->path, s->key);
		source_decode(c, s, f.val, pv);
		spec_path_reset(&c->path, mark);
		if (s->type != SPEC_PV_LOCAL || affinity)
			continue;
		mark = spec_path_key(&c->path, "nodeAffinity");
		spec_err_required(c, where, "Local volume requires node affinity");
		spec_path_reset(&c->path, mark);
	}
	if (count == 0)
		spec_err_required(c, where, "must specify a volume type");
}

/* path.Clean(@p) == "/": an absolute path that climbs back to the root. */
static bool cleans_to_root(const char *p)
{
	size_t depth = 0, n;

	if (*p != '/')
		return false;
	while (*p) {
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			depth -= depth > 0;
		else if (n && !(n == 1 && p[0] == '.'))
			depth++;
		p += n;
	}
	return depth == 0;
}

static void claim_ref_decode(struct spec_ctx *c, yaml_node_t *spec,
			     struct spec_pv *pv)
{
	yaml_node_t *ref = spec_get_map(c, spec, "claimRef", NULL);
	size_t mark;
	char *ns;

	if (!ref)
		return;
	pv->has_claim_ref = true;
	mark = spec_path_key(&c->path, "claimRef");
	spec_map_check(c, ref, claim_ref_fields);
	ns = spec_get_str(c, ref, "namespace", NULL);
	if (ns && !*ns) {
		free(ns);
		ns = spec_ctx_strdup(c, "default");
	}
	pv->claim_ref.namespace = ns;
	pv->claim_ref.name = spec_get_str(c, ref, "name", NULL);
	pv->claim_ref.uid = spec_get_str(c, ref, "uid", NULL);
	spec_path_reset(&c->path, mark);
}

/* The legacy annotation if set, else storageClassName. */
static void class_decode(struct spec_ctx *c, yaml_node_t *spec,
			 struct spec_pv *pv)
{
	const char *legacy = spec_kv_find(pv->annotations, pv->n_annotations,
					  SPEC_CLASS_ANNOTATION);
	struct spec_field f;
	char *name;

	name = spec ? spec_class_name_decode(c, spec, "storageClassName", &f) :
		      spec_ctx_strdup(c, "");
	if (legacy) {
		free(name);
		name = spec_ctx_strdup(c, legacy);
	}
	pv->storage_class = name;
}

static void spec_decode(struct spec_ctx *c, yaml_node_t *spec,
			const yaml_mark_t *where, struct spec_pv *pv)
{
	const yaml_mark_t *at = spec ? &spec->start_mark : where;
	bool affinity = false;
	struct spec_field f;
	size_t mark;
	char *vac;

	if (spec)
		spec_map_check(c, spec, pv_spec_fields);
	pv->access_modes = spec_access_modes_decode(c, spec, at, NULL);
	capacity_decode(c, spec, at, pv);
	reclaim_policy_decode(c, spec, pv);
	if (spec)
		affinity = spec_node_affinity_decode(c, spec, "nodeAffinity",
						     &pv->node_terms,
						     &pv->n_node_terms);
	sources_decode(c, spec, affinity, at, pv);
	if (pv->type == SPEC_PV_HOSTPATH && pv->host_path.path &&
	    pv->reclaim_policy && strcmp(pv->reclaim_policy, "Recycle") == 0 &&
	    cleans_to_root(pv->host_path.path)) {
		spec_map_find(c, spec, "persistentVolumeReclaimPolicy", &f);
		mark = spec_path_key(&c->path, "persistentVolumeReclaimPolicy");
		spec_err_forbidden(c, &f.mark,
			      "may not be 'recycle' for a hostPath mount of '/'");
		spec_path_reset(&c->path, mark);
	}
	class_decode(c, spec, pv);
	pv->block = spec_volume_mode_decode(c, spec);
	if (!spec)
		return;
	spec_get_strv(c, spec, "mountOptions", &pv->mount_options,
		      &pv->n_mount_options);
	claim_ref_decode(c, spec, pv);
	vac = spec_class_name_decode(c, spec, "volumeAttributesClassName", &f);
	free(vac);
}

void spec_pv_free(struct spec_pv *pv)
{
	free(pv->name);
	spec_kv_free(pv->labels, pv->n_labels);
	spec_kv_free(pv->annotations, pv->n_annotations);
	free(pv->reclaim_policy);
	free(pv->storage_class);
	spec_strv_free(pv->mount_options, pv->n_mount_options);
	free(pv->source);
	free(pv->host_path.path);
	free(pv->host_path.type);
	free(pv->local.path);
	free(pv->nfs.server);
	free(pv->nfs.path);
	spec_node_terms_free(pv->node_terms, pv->n_node_terms);
	free(pv->claim_ref.namespace);
	free(pv->claim_ref.name);
	free(pv->claim_ref.uid);
	free(pv->file);
	free(pv->list_item);
	memset(pv, 0, sizeof(*pv));
}

int spec_load_pv(struct spec_ctx *c, yaml_node_t *root,
		 struct spec_objects *out)
{
	struct spec_pv *pvs, *pv;
	struct spec_field fs;
	yaml_node_t *spec;
	struct spec_meta m;

	spec_meta_decode(c, root, SPEC_META_CLUSTER, &m);
	spec = spec_get_map(c, root, "spec", &fs);
	pvs = reallocarray(out->pvs, out->n_pvs + 1, sizeof(*pvs));
	if (!pvs || c->oom) {
		if (pvs)
			out->pvs = pvs;
		spec_meta_free(&m);
		return -ENOMEM;
	}
	out->pvs = pvs;
	pv = memset(&pvs[out->n_pvs++], 0, sizeof(*pv));
	pv->name = spec_meta_name(c, &m);
	pv->file = spec_ctx_strdup(c, c->file);
	spec_pos_of(c, &root->start_mark, &pv->pos);
	pv->pos.file = pv->file;
	pv->list_item = spec_list_item(c);
	spec_meta_kv(c, &m, &pv->labels, &pv->n_labels, &pv->annotations,
		     &pv->n_annotations);
	spec_path_set(&c->path, "spec");
	spec_decode(c, spec, &fs.mark, pv);
	spec_path_reset(&c->path, 0);
	spec_meta_free(&m);
	return c->oom ? -ENOMEM : 0;
}
