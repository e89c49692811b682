/*
 * pod.c - Pod, Deployment and ReplicaSet documents to struct spec_pod,
 * and the object metadata every kind shares.
 *
 * A Pod document gives one pod. A workload gives spec.replicas pods from
 * its template: the template is decoded (and validated, with errors) once
 * per replica, the first time with errors reported and later times
 * silently, which keeps every pod an independent set of allocations. The
 * claims of a pod's ephemeral volumes are made as its spec is decoded, and
 * kept only when the pod is (c->claims).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

static const char *const podspec_fields[] = { "volumes", "initContainers",
	"containers", "ephemeralContainers", "restartPolicy",
	"terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy",
	"nodeSelector", "serviceAccountName", "serviceAccount",
	"automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID",
	"hostIPC", "shareProcessNamespace", "securityContext",
	"imagePullSecrets", "hostname", "hostnameOverride", "subdomain",
	"affinity", "schedulerName", "tolerations", "hostAliases",
	"priorityClassName", "priority", "dnsConfig", "readinessGates",
	"runtimeClassName", "enableServiceLinks", "preemptionPolicy",
	"overhead", "topologySpreadConstraints", "setHostnameAsFQDN", "os",
	"hostUsers", "schedulingGates", "schedulingGroup", "resourceClaims",
	"resources", "evictionResponders", NULL };

static const char *const pod_security_fields[] = { "seLinuxOptions",
	"windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot",
	"supplementalGroups", "supplementalGroupsPolicy", "fsGroup", "sysctls",
	"fsGroupChangePolicy", "seccompProfile", "appArmorProfile",
	"seLinuxChangePolicy", NULL };

const char *const spec_meta_fields[] = { "name", "generateName",
	"namespace", "selfLink", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
	"labels", "annotations", "ownerReferences", "finalizers",
	"managedFields", NULL };

static const char *const deployment_spec_fields[] = { "replicas", "selector",
	"template", "strategy", "minReadySeconds", "revisionHistoryLimit",
	"paused", "progressDeadlineSeconds", NULL };

static const char *const replicaset_spec_fields[] = { "replicas",
	"minReadySeconds", "selector", "template", NULL };

static const char *const template_fields[] = { "metadata", "spec", NULL };

static void security_decode(struct spec_ctx *c, yaml_node_t *spec,
			    struct spec_pod *pod)
{
	yaml_node_t *sc = spec_get_map(c, spec, "securityContext", NULL);
	struct spec_field f;
	size_t mark;

	if (!sc)
		return;
	mark = spec_path_key(&c->path, "securityContext");
	spec_map_check(c, sc, pod_security_fields);
	pod->has_fs_group = spec_get_int(c, sc, "fsGroup", INT64_MIN, INT64_MAX,
				    &pod->fs_group, &f);
	spec_path_reset(&c->path, mark);
}

/*
 * overhead.memory, which the kubelet adds to the pod's memory limit (and so
 * to its Memory emptyDirs' size). Errors are on the apiserver's path,
 * "overhead[memory]".
 */
static void overhead_decode(struct spec_ctx *c, yaml_node_t *spec,
			    struct spec_pod *pod)
{
	yaml_node_t *oh = spec_get_map(c, spec, "overhead", NULL);
	struct spec_field f;
	size_t mark;

	if (!oh)
		return;
	spec_map_find(c, oh, "memory", &f);
	if (!f.val)
		return;
	mark = spec_path_key(&c->path, "overhead");
	spec_path_bracket(&c->path, "memory");
	if (spec_quantity_value(c, &f, &pod->overhead_memory) &&
	    quantity_is_negative(&pod->overhead_memory))
		spec_err_invalid(c, &f.mark,
				 (const char *)f.val->data.scalar.value,
				 "must be greater than or equal to 0");
	else if (quantity_value(&pod->overhead_memory) > 0)
		pod->has_overhead_memory = true;
	spec_path_reset(&c->path, mark);
}

int spec_pod_spec_decode(struct spec_ctx *c, yaml_node_t *spec,
		    const yaml_mark_t *where,
		    const struct spec_claim_volumes *claims,
		    struct spec_pod *pod)
{
	yaml_node_t *vols = NULL;
	struct strmap valid;
	int rc;

	if (spec) {
		spec_map_check(c, spec, podspec_fields);
		vols = spec_get_seq(c, spec, "volumes", NULL);
	}
	strmap_init(&valid);
	rc = spec_volumes_decode(c, vols, claims, pod, &valid);
	if (!rc)
		rc = spec_containers_decode(c, spec, where, pod, &valid);
	if (!rc && spec) {
		security_decode(c, spec, pod);
		overhead_decode(c, spec, pod);
	}
	strmap_free(&valid);
	if (!rc && c->oom)
		rc = -ENOMEM;
	return rc;
}

/* ---- freeing ---- */

static void volume_free(struct spec_volume *v)
{
	free(v->name);
	free(v->source);
	free(v->empty_dir.medium);
	free(v->host_path.path);
	free(v->host_path.type);
	free(v->git_repo.repository);
	free(v->git_repo.revision);
	free(v->git_repo.directory);
	free(v->nfs.server);
	free(v->nfs.path);
	free(v->pvc.claim_name);
}

static void container_free(struct spec_container *ct)
{
	for (size_t i = 0; i < ct->n_env; i++) {
		free(ct->env[i].name);
		free(ct->env[i].value);
		free(ct->env[i].field_path);
	}
	free(ct->env);
	for (size_t i = 0; i < ct->n_mounts; i++) {
		free(ct->mounts[i].name);
		free(ct->mounts[i].mount_path);
		free(ct->mounts[i].sub_path);
		free(ct->mounts[i].sub_path_expr);
		free(ct->mounts[i].mount_propagation);
	}
	free(ct->mounts);
	free(ct->name);
}

void spec_kv_free(struct spec_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void spec_pod_free(struct spec_pod *pod)
{
	free(pod->namespace);
	free(pod->name);
	free(pod->uid);
	free(pod->owner_kind);
	free(pod->owner_name);
	spec_kv_free(pod->labels, pod->n_labels);
	spec_kv_free(pod->annotations, pod->n_annotations);
	for (size_t i = 0; i < pod->n_volumes; i++)
		volume_free(&pod->volumes[i]);
	free(pod->volumes);
	for (size_t i = 0; i < pod->n_containers; i++)
		container_free(&pod->containers[i]);
	free(pod->containers);
	free(pod->file);
	free(pod->list_item);
	memset(pod, 0, sizeof(*pod));
}

/* ---- metadata ---- */

void spec_meta_free(struct spec_meta *m)
{
	free(m->name);
	free(m->generate_name);
	free(m->namespace);
}

/*
 * metadata.namespace: a DNS label; a cluster-scoped object's is dropped,
 * as the apiserver clears it before validating.
 */
static void namespace_decode(struct spec_ctx *c, unsigned flags,
			     struct spec_meta *m)
{
	const char *msgs[2];
	size_t mark;
	unsigned n;

	if (flags & SPEC_META_CLUSTER) {
		m->namespace[0] = '\0';
		return;
	}
	mark = spec_path_key(&c->path, "namespace");
	n = *m->namespace ? spec_dns_label_errors(m->namespace, msgs) : 0;
	for (unsigned k = 0; k < n; k++)
		spec_err_invalid(c, &m->fns.mark, m->namespace, msgs[k]);
	spec_path_reset(&c->path, mark);
}

void spec_meta_decode(struct spec_ctx *c, yaml_node_t *root, unsigned flags,
		      struct spec_meta *m)
{
	struct spec_field f;
	const char *msgs[2];
	size_t mark;
	unsigned n;

	memset(m, 0, sizeof(*m));
	m->node = spec_get_map(c, root, "metadata", &f);
	spec_path_key(&c->path, "metadata");
	mark = c->path.len;
	m->fname.mark = m->fns.mark = f.mark;
	if (m->node) {
		spec_map_check(c, m->node, spec_meta_fields);
		m->name = spec_get_str(c, m->node, "name", &m->fname);
		m->generate_name = spec_get_str(c, m->node, "generateName", NULL);
		m->namespace = spec_get_str(c, m->node, "namespace", &m->fns);
	} else {
		m->name = spec_ctx_strdup(c, "");
		m->generate_name = spec_ctx_strdup(c, "");
		m->namespace = spec_ctx_strdup(c, "");
	}
	if (!m->name || !m->generate_name || !m->namespace)
		goto out_reset;
	spec_path_key(&c->path, "name");
	if (!*m->name && !*m->generate_name)
		spec_err_required(c, &m->fname.mark, "name or generateName is required");
	if (!*m->name)
		n = 0;
	else if (flags & SPEC_META_DNS_LABEL)
		n = spec_dns_label_errors(m->name, msgs);
	else
		n = spec_dns_subdomain_errors(m->name, msgs);
	for (unsigned k = 0; k < n; k++)
		spec_err_invalid(c, &m->fname.mark, m->name, msgs[k]);
	spec_path_reset(&c->path, mark);
	namespace_decode(c, flags, m);
out_reset:
	spec_path_reset(&c->path, 0);
}

char *spec_meta_name(struct spec_ctx *c, const struct spec_meta *m)
{
	char name[64];

	if (*m->name || !*m->generate_name)
		return spec_ctx_strdup(c, m->name);
	spec_generate_name(*m->namespace ? m->namespace : "default",
			   m->generate_name, 0, name);
	return spec_ctx_strdup(c, name);
}

void spec_meta_kv(struct spec_ctx *c, const struct spec_meta *m,
		  struct spec_kv **labels, size_t *n_labels,
		  struct spec_kv **annotations, size_t *n_annotations)
{
	if (!m->node)
		return;
	spec_path_set(&c->path, "metadata");
	spec_get_kv(c, m->node, "labels", labels, n_labels);
	spec_get_kv(c, m->node, "annotations", annotations, n_annotations);
	spec_path_reset(&c->path, 0);
}

char *spec_list_item(struct spec_ctx *c)
{
	char *s = strndup(c->path.buf, c->path.root);

	if (!s)
		c->oom = true;
	return s;
}

/* ---- pods ---- */

struct spec_pod *spec_pods_add(struct spec_ctx *c, struct spec_objects *o,
			       size_t n)
{
	struct spec_pod *p;

	if (n == 0)
		return o->pods;
	p = reallocarray(o->pods, o->n_pods + n, sizeof(*p));
	if (!p) {
		c->oom = true;
		return NULL;
	}
	o->pods = p;
	memset(p + o->n_pods, 0, n * sizeof(*p));
	o->n_pods += n;
	return p + o->n_pods - n;
}

/* Points every position of @pod at the pod's own copy of the file name. */
static void pod_fix_files(struct spec_pod *pod)
{
	pod->pos.file = pod->file;
	for (size_t i = 0; i < pod->n_volumes; i++)
		pod->volumes[i].pos.file = pod->file;
	for (size_t i = 0; i < pod->n_containers; i++) {
		struct spec_container *ct = &pod->containers[i];

		ct->pos.file = pod->file;
		for (size_t j = 0; j < ct->n_mounts; j++)
			ct->mounts[j].pos.file = pod->file;
	}
}

static void pod_set_uid(struct spec_ctx *c, struct spec_pod *pod,
			const yaml_node_t *spec, unsigned index)
{
	struct spec_hash h;
	char idx[16];

	snprintf(idx, sizeof(idx), "%u", index);
	spec_hash_init(&h);
	spec_hash_str(&h, pod->namespace);
	spec_hash_str(&h, pod->name);
	spec_hash_str(&h, idx);
	spec_hash_node(c, &h, spec, 0);
	pod->uid = spec_ctx_calloc(c, 37, 1);
	if (pod->uid)
		spec_uid(&h, pod->uid);
}

void spec_pod_ident(struct spec_ctx *c, struct spec_pod *pod,
		    yaml_node_t *root, const struct spec_meta *m)
{
	pod->namespace = spec_ctx_strdup(c, *m->namespace ? m->namespace : "default");
	pod->file = spec_ctx_strdup(c, c->file);
	spec_pos_of(c, &root->start_mark, &pod->pos);
	pod->list_item = spec_list_item(c);
}

int spec_pod_finish(struct spec_ctx *c, yaml_node_t *spec,
		    const yaml_mark_t *where,
		    const struct spec_claim_volumes *claims, unsigned index,
		    struct spec_pod *pod)
{
	size_t first = c->claims ? c->claims->n_pvcs : 0;
	int rc = spec_pod_spec_decode(c, spec, where, claims, pod);

	if (!rc && pod->namespace && pod->name)
		pod_set_uid(c, pod, spec, index);
	pod_fix_files(pod);
	/* the ephemeral claims it made belong to it */
	for (size_t i = first; c->claims && i < c->claims->n_pvcs; i++)
		c->claims->pvcs[i].owner_uid = spec_ctx_strdup(c, pod->uid);
	return rc ? rc : (c->oom ? -ENOMEM : 0);
}

int spec_load_pod(struct spec_ctx *c, yaml_node_t *root,
		  struct spec_objects *out)
{
	struct spec_pod *pod;
	struct spec_field fs;
	yaml_node_t *spec;
	struct spec_meta m;
	int rc;

	spec_meta_decode(c, root, 0, &m);
	spec = spec_get_map(c, root, "spec", &fs);
	pod = spec_pods_add(c, out, 1);
	if (!pod || c->oom) {
		spec_meta_free(&m);
		return -ENOMEM;
	}
	spec_pod_ident(c, pod, root, &m);
	pod->name = spec_meta_name(c, &m);
	spec_meta_kv(c, &m, &pod->labels, &pod->n_labels, &pod->annotations,
		     &pod->n_annotations);
	spec_path_set(&c->path, "spec");
	c->claims = out;
	rc = spec_pod_finish(c, spec, &fs.mark, NULL, 0, pod);
	c->claims = NULL;
	spec_path_reset(&c->path, 0);
	spec_meta_free(&m);
	return rc;
}

/* ---- workloads ---- */

int spec_kv_set(struct spec_kv **kv, size_t *n, const char *key,
		const char *value)
{
	struct spec_kv *grown;
	char *v = strdup(value), *k;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*kv)[i].key, key) == 0) {
			free((*kv)[i].value);
			(*kv)[i].value = v;
			return 0;
		}
	}
	k = strdup(key);
	grown = k ? reallocarray(*kv, *n + 1, sizeof(**kv)) : NULL;
	if (!grown) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	*kv = grown;
	grown[*n].key = k;
	grown[*n].value = v;
	(*n)++;
	return 0;
}

static int workload_pod(struct spec_ctx *c, yaml_node_t *root,
			const struct spec_workload *w, unsigned index,
			struct spec_pod *pod)
{
	char name[64];
	int rc;

	spec_pod_ident(c, pod, root, &w->meta);
	spec_replica_name(pod->namespace ? pod->namespace : "", w->rs_name,
			  index, name);
	pod->name = spec_ctx_strdup(c, name);
	pod->owner_kind = spec_ctx_strdup(c, w->kind);
	pod->owner_name = spec_ctx_strdup(c, w->meta.name);
	if (w->tmeta) {
		spec_path_set(&c->path, "spec.template.metadata");
		spec_get_kv(c, w->tmeta, "labels", &pod->labels, &pod->n_labels);
		spec_get_kv(c, w->tmeta, "annotations", &pod->annotations,
		       &pod->n_annotations);
	}
	if (*w->hash && !c->oom &&
	    spec_kv_set(&pod->labels, &pod->n_labels, "pod-template-hash",
			w->hash))
		return -ENOMEM;
	spec_path_set(&c->path, "spec.template.spec");
	rc = spec_pod_finish(c, w->tspec, &w->tspec_mark, NULL, index, pod);
	spec_path_reset(&c->path, 0);
	return rc;
}

/*
 * Each replica decodes the template anew, so it counts as one more copy of
 * the document against the file's budgets (the document itself counted
 * once already).
 */
static void replicas_budget(struct spec_ctx *c, const struct spec_field *f,
			    int64_t replicas)
{
	size_t copies = (size_t)replicas - 1, most;
	char detail[256];

	if (c->file_nodes + copies * c->doc_nodes <= SPEC_FILE_NODE_BUDGET &&
	    c->file_text + copies * c->doc_text <= SPEC_FILE_TEXT_BUDGET) {
		c->file_nodes += copies * c->doc_nodes;
		c->file_text += copies * c->doc_text;
		return;
	}
	most = 1 + (SPEC_FILE_NODE_BUDGET - c->file_nodes) / c->doc_nodes;
	if (c->doc_text && 1 + (SPEC_FILE_TEXT_BUDGET - c->file_text) / c->doc_text < most)
		most = 1 + (SPEC_FILE_TEXT_BUDGET - c->file_text) / c->doc_text;
	snprintf(detail, sizeof(detail),
		 "must be no more than %zu here: each replica counts as a copy of its document, and a file may expand to %d nodes and %d bytes of text (a podvolfs limit)",
		 most, SPEC_FILE_NODE_BUDGET, SPEC_FILE_TEXT_BUDGET);
	spec_err_invalid_int(c, &f->mark, replicas, detail);
}

static void replicas_decode(struct spec_ctx *c, yaml_node_t *spec,
			    struct spec_workload *w)
{
	struct spec_field f;

	w->replicas = 1;
	spec_path_set(&c->path, "spec");
	spec_get_int(c, spec, "replicas", INT32_MIN, INT32_MAX, &w->replicas, &f);
	spec_path_key(&c->path, "replicas");
	if (w->replicas < 0)
		spec_err_invalid_int(c, &f.mark, w->replicas,
				"must be greater than or equal to 0");
	if (w->replicas > SPEC_REPLICAS_MAX)
		spec_err_invalid_int(c, &f.mark, w->replicas,
				"must be no more than 10000 (a podvolfs limit)");
	else if (w->replicas > 1)
		replicas_budget(c, &f, w->replicas);
	spec_path_reset(&c->path, 0);
}

bool spec_template_decode(struct spec_ctx *c, yaml_node_t *root,
			  const char *const *fields, struct spec_workload *w)
{
	struct spec_field fs, ft, fts;
	yaml_node_t *tmpl;

	w->spec = spec_get_map(c, root, "spec", &fs);
	tmpl = w->spec ? spec_get_map(c, w->spec, "template", &ft) : NULL;
	if (w->spec) {
		spec_path_set(&c->path, "spec");
		spec_map_check(c, w->spec, fields);
		replicas_decode(c, w->spec, w);
	}
	spec_path_set(&c->path, "spec.template");
	if (!tmpl) {
		/* a mistyped spec or template was reported already */
		if (!(fs.val && !w->spec) && !(w->spec && ft.val))
			spec_err_required(c, w->spec ? &ft.mark : &fs.mark, NULL);
		spec_path_reset(&c->path, 0);
		return false;
	}
	spec_map_check(c, tmpl, template_fields);
	w->tmeta = spec_get_map(c, tmpl, "metadata", NULL);
	w->tspec = spec_get_map(c, tmpl, "spec", &fts);
	w->tspec_mark = fts.mark;
	if (w->tmeta) {
		spec_path_set(&c->path, "spec.template.metadata");
		spec_map_check(c, w->tmeta, spec_meta_fields);
	}
	spec_path_reset(&c->path, 0);
	if (strcmp(w->kind, "Deployment") == 0) {
		struct spec_hash h;

		spec_hash_init(&h);
		spec_hash_node(c, &h, tmpl, 0);
		spec_template_hash(&h, w->hash, sizeof(w->hash));
	}
	return true;
}

/* Decodes the template once, with errors, and throws the result away. */
static int workload_validate(struct spec_ctx *c, yaml_node_t *root,
			     struct spec_workload *w)
{
	struct spec_pod scratch = { 0 };
	int rc = workload_pod(c, root, w, 0, &scratch);

	spec_pod_free(&scratch);
	return rc;
}

static int workload_expand(struct spec_ctx *c, yaml_node_t *root,
			   struct spec_workload *w, struct spec_objects *out)
{
	struct podvolfs_err *saved = c->err, *saved_warn = c->warn;
	struct spec_pod *pods;
	unsigned before = c->nerr;
	int rc;

	rc = workload_validate(c, root, w);
	if (rc || c->nerr != before || w->replicas <= 0)
		return rc;
	pods = spec_pods_add(c, out, (size_t)w->replicas);
	if (!pods)
		return -ENOMEM;
	/* the template was checked above; the replicas are decoded quietly */
	c->err = NULL;
	c->warn = NULL;
	c->claims = out;
	for (int64_t i = 0; i < w->replicas && !rc; i++)
		rc = workload_pod(c, root, w, (unsigned)i, &pods[i]);
	c->claims = NULL;
	c->err = saved;
	c->warn = saved_warn;
	return rc;
}

static int load_workload(struct spec_ctx *c, yaml_node_t *root,
			 const char *kind, const char *const *fields,
			 struct spec_objects *out)
{
	struct spec_workload w = { .kind = kind };
	unsigned before = c->nerr;
	int rc = 0;

	spec_meta_decode(c, root, 0, &w.meta);
	if (c->oom)
		goto out_free;
	if (!spec_template_decode(c, root, fields, &w) || c->nerr != before)
		goto out_free;
	snprintf(w.rs_name, sizeof(w.rs_name), "%s%s%s", w.meta.name,
		 *w.hash ? "-" : "", w.hash);
	rc = workload_expand(c, root, &w, out);
out_free:
	spec_meta_free(&w.meta);
	return rc ? rc : (c->oom ? -ENOMEM : 0);
}

int spec_load_deployment(struct spec_ctx *c, yaml_node_t *root,
			 struct spec_objects *out)
{
	return load_workload(c, root, "Deployment", deployment_spec_fields, out);
}

int spec_load_replicaset(struct spec_ctx *c, yaml_node_t *root,
			 struct spec_objects *out)
{
	return load_workload(c, root, "ReplicaSet", replicaset_spec_fields, out);
}
