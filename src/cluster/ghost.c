/*
 * ghost.c - what an object is when no manifest gives it: its spec as last
 * accepted, owned by the cluster (docs/design/storage.md, "Objects and
 * their specs"), and the copies of lists it is made of.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage_i.h"

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int strv_copy(char ***out, size_t *n_out, char *const *v, size_t n)
{
	char **copy = calloc(n + 1, sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(v[i]);
		if (!copy[i]) {
			strv_free(copy, i);
			return -ENOMEM;
		}
	}
	*out = copy;
	*n_out = n;
	return 0;
}

void kv_free(struct spec_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int kv_copy(struct spec_kv **out, size_t *n_out, const struct spec_kv *kv,
	    size_t n)
{
	struct spec_kv *copy = calloc(n + 1, sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		copy[i].key = strdup(kv[i].key);
		copy[i].value = strdup(kv[i].value);
		if (!copy[i].key || !copy[i].value) {
			kv_free(copy, i + 1);
			return -ENOMEM;
		}
	}
	*out = copy;
	*n_out = n;
	return 0;
}

static void terms_free(struct spec_node_term *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < t[i].n_exprs; j++) {
			free(t[i].exprs[j].key);
			strv_free(t[i].exprs[j].values, t[i].exprs[j].n_values);
		}
		free(t[i].exprs);
	}
	free(t);
}

static int terms_copy(struct spec_node_term **out, size_t *n_out,
		      const struct spec_node_term *t, size_t n)
{
	struct spec_node_term *copy = calloc(n + 1, sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	*out = copy;
	*n_out = n;
	for (size_t i = 0; i < n; i++) {
		copy[i].exprs = calloc(t[i].n_exprs + 1, sizeof(*copy[i].exprs));
		if (!copy[i].exprs)
			return -ENOMEM;
		for (size_t j = 0; j < t[i].n_exprs; j++) {
			struct spec_requirement *r = &copy[i].exprs[j];

			r->op = t[i].exprs[j].op;
			r->key = strdup(t[i].exprs[j].key);
			copy[i].n_exprs++;
			if (!r->key || strv_copy(&r->values, &r->n_values,
						 t[i].exprs[j].values,
						 t[i].exprs[j].n_values))
				return -ENOMEM;
		}
	}
	return 0;
}

static char *dup_empty(const char *s)
{
	return strdup(s ? s : "");
}

void ghost_pv_free(struct spec_pv *g)
{
	free(g->name);
	free(g->reclaim_policy);
	free(g->storage_class);
	strv_free(g->mount_options, g->n_mount_options);
	free(g->source);
	free(g->host_path.path);
	free(g->host_path.type);
	free(g->local.path);
	free(g->nfs.server);
	free(g->nfs.path);
	terms_free(g->node_terms, g->n_node_terms);
	free(g->claim_ref.namespace);
	free(g->claim_ref.name);
	free(g->claim_ref.uid);
	free(g->file);
	free(g->list_item);
	memset(g, 0, sizeof(*g));
}

int ghost_pv_set(struct spec_pv *g, const struct spec_pv *from)
{
	struct spec_pv n = {
		.capacity = from->capacity,
		.access_modes = from->access_modes,
		.block = from->block,
		.type = from->type,
		.has_claim_ref = from->has_claim_ref,
		.pos = from->pos,
	};

	n.name = dup_empty(from->name);
	n.reclaim_policy = dup_empty(from->reclaim_policy);
	n.storage_class = dup_empty(from->storage_class);
	n.source = dup_empty(from->source);
	n.host_path.path = dup_empty(from->host_path.path);
	n.host_path.type = dup_empty(from->host_path.type);
	n.local.path = dup_empty(from->local.path);
	n.nfs.server = dup_empty(from->nfs.server);
	n.nfs.path = dup_empty(from->nfs.path);
	n.nfs.read_only = from->nfs.read_only;
	n.claim_ref.namespace = dup_empty(from->claim_ref.namespace);
	n.claim_ref.name = dup_empty(from->claim_ref.name);
	n.claim_ref.uid = dup_empty(from->claim_ref.uid);
	n.file = dup_empty(from->file);
	n.list_item = dup_empty(from->list_item);
	if (!n.name || !n.reclaim_policy || !n.storage_class || !n.source ||
	    !n.host_path.path || !n.host_path.type || !n.local.path ||
	    !n.nfs.server || !n.nfs.path || !n.claim_ref.namespace ||
	    !n.claim_ref.name || !n.claim_ref.uid || !n.file || !n.list_item ||
	    strv_copy(&n.mount_options, &n.n_mount_options,
		      from->mount_options, from->n_mount_options) ||
	    terms_copy(&n.node_terms, &n.n_node_terms, from->node_terms,
		       from->n_node_terms)) {
		ghost_pv_free(&n);
		return -ENOMEM;
	}
	ghost_pv_free(g);
	*g = n;
	return 0;
}

void ghost_pvc_free(struct spec_pvc *g)
{
	free(g->namespace);
	free(g->name);
	free(g->storage_class);
	free(g->volume_name);
	free(g->owner_kind);
	free(g->owner_name);
	free(g->owner_uid);
	free(g->file);
	free(g->list_item);
	memset(g, 0, sizeof(*g));
}

int ghost_pvc_set(struct spec_pvc *g, const struct spec_pvc *from)
{
	struct spec_pvc n = {
		.access_modes = from->access_modes,
		.request = from->request,
		.has_storage_class = from->has_storage_class,
		.block = from->block,
		.pos = from->pos,
	};

	n.namespace = dup_empty(from->namespace);
	n.name = dup_empty(from->name);
	n.storage_class = dup_empty(from->storage_class);
	n.volume_name = dup_empty(from->volume_name);
	n.owner_kind = from->owner_kind ? strdup(from->owner_kind) : NULL;
	n.owner_name = from->owner_name ? strdup(from->owner_name) : NULL;
	n.owner_uid = from->owner_uid ? strdup(from->owner_uid) : NULL;
	n.file = dup_empty(from->file);
	n.list_item = dup_empty(from->list_item);
	if (!n.namespace || !n.name || !n.storage_class || !n.volume_name ||
	    (from->owner_kind && !n.owner_kind) ||
	    (from->owner_name && !n.owner_name) ||
	    (from->owner_uid && !n.owner_uid) || !n.file || !n.list_item) {
		ghost_pvc_free(&n);
		return -ENOMEM;
	}
	ghost_pvc_free(g);
	*g = n;
	return 0;
}

void ghost_class_free(struct spec_storage_class *g)
{
	free(g->name);
	free(g->provisioner);
	kv_free(g->parameters, g->n_parameters);
	free(g->reclaim_policy);
	strv_free(g->mount_options, g->n_mount_options);
	free(g->file);
	free(g->list_item);
	memset(g, 0, sizeof(*g));
}

int ghost_class_set(struct spec_storage_class *g,
		    const struct spec_storage_class *from)
{
	struct spec_storage_class n = {
		.wait_for_first_consumer = from->wait_for_first_consumer,
		.allow_volume_expansion = from->allow_volume_expansion,
		.is_default = from->is_default,
		.pos = from->pos,
	};

	n.name = dup_empty(from->name);
	n.provisioner = dup_empty(from->provisioner);
	n.reclaim_policy = dup_empty(from->reclaim_policy);
	n.file = dup_empty(from->file);
	n.list_item = dup_empty(from->list_item);
	if (!n.name || !n.provisioner || !n.reclaim_policy || !n.file ||
	    !n.list_item ||
	    kv_copy(&n.parameters, &n.n_parameters, from->parameters,
		    from->n_parameters) ||
	    strv_copy(&n.mount_options, &n.n_mount_options,
		      from->mount_options, from->n_mount_options)) {
		ghost_class_free(&n);
		return -ENOMEM;
	}
	ghost_class_free(g);
	*g = n;
	return 0;
}

int hostname_affinity(struct spec_pv *g, const char *node)
{
	struct spec_requirement *r;

	terms_free(g->node_terms, g->n_node_terms);
	g->n_node_terms = 0;
	g->node_terms = calloc(1, sizeof(*g->node_terms));
	if (!g->node_terms)
		return -ENOMEM;
	g->n_node_terms = 1;
	r = g->node_terms[0].exprs = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	g->node_terms[0].n_exprs = 1;
	r->key = strdup("kubernetes.io/hostname");
	r->op = SPEC_OP_IN;
	r->values = calloc(1, sizeof(*r->values));
	if (!r->key || !r->values)
		return -ENOMEM;
	r->values[0] = strdup(node);
	if (!r->values[0])
		return -ENOMEM;
	r->n_values = 1;
	return 0;
}
