/*
 * pod.c - Pod, Deployment and ReplicaSet documents to struct spec_pod.
 *
 * A Pod document gives one pod. A workload gives spec.replicas pods from
 * its template: the template is decoded (and validated, with errors) once
 * per replica, the first time with errors reported and later times
 * silently, which keeps every pod an independent set of allocations.
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

static const char *const meta_fields[] = { "name", "generateName",
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

int spec_pod_spec_decode(struct spec_ctx *c, yaml_node_t *spec,
		    const yaml_mark_t *where, struct spec_pod *pod)
{
	yaml_node_t *vols = NULL;
	struct strmap valid;
	int rc;

	if (spec) {
		spec_map_check(c, spec, podspec_fields);
		vols = spec_get_seq(c, spec, "volumes", NULL);
	}
	strmap_init(&valid);
	rc = spec_volumes_decode(c, vols, pod, &valid);
	if (!rc)
		rc = spec_containers_decode(c, spec, where, pod, &valid);
	if (!rc && spec)
		security_decode(c, spec, pod);
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

static void kv_free(struct spec_kv *kv, size_t n)
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
	kv_free(pod->labels, pod->n_labels);
	kv_free(pod->annotations, pod->n_annotations);
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

struct meta {
	yaml_node_t *node;			/* NULL when absent */
	char *name;
	char *generate_name;
	char *namespace;
	struct spec_field fname;
	struct spec_field fns;
};

static void meta_free(struct meta *m)
{
	free(m->name);
	free(m->generate_name);
	free(m->namespace);
}

/* Decodes and validates metadata (ValidateObjectMeta, namespaced). */
static void meta_decode(struct spec_ctx *c, yaml_node_t *root, struct meta *m)
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
		spec_map_check(c, m->node, meta_fields);
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
	n = *m->name ? spec_dns_subdomain_errors(m->name, msgs) : 0;
	for (unsigned k = 0; k < n; k++)
		spec_err_invalid(c, &m->fname.mark, m->name, msgs[k]);
	spec_path_reset(&c->path, mark);
	spec_path_key(&c->path, "namespace");
	n = *m->namespace ? spec_dns_label_errors(m->namespace, msgs) : 0;
	for (unsigned k = 0; k < n; k++)
		spec_err_invalid(c, &m->fns.mark, m->namespace, msgs[k]);
out_reset:
	spec_path_reset(&c->path, 0);
}

/* ---- pods ---- */

static struct spec_pod *pods_add(struct spec_ctx *c, struct spec_objects *o,
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

static void pod_ident(struct spec_ctx *c, struct spec_pod *pod,
		      yaml_node_t *root, const struct meta *m)
{
	pod->namespace = spec_ctx_strdup(c, *m->namespace ? m->namespace : "default");
	pod->file = spec_ctx_strdup(c, c->file);
	spec_pos_of(c, &root->start_mark, &pod->pos);
	pod->list_item = strndup(c->path.buf, c->path.root);
	if (!pod->list_item)
		c->oom = true;
}

static int load_pod(struct spec_ctx *c, yaml_node_t *root,
		    struct spec_objects *out)
{
	struct spec_pod *pod;
	struct spec_field fs;
	yaml_node_t *spec;
	char name[64];
	struct meta m;
	int rc;

	meta_decode(c, root, &m);
	spec = spec_get_map(c, root, "spec", &fs);
	pod = pods_add(c, out, 1);
	if (!pod || c->oom) {
		meta_free(&m);
		return -ENOMEM;
	}
	pod_ident(c, pod, root, &m);
	if (!*m.name && *m.generate_name) {
		spec_generate_name(pod->namespace ? pod->namespace : "",
				   m.generate_name, 0, name);
		pod->name = spec_ctx_strdup(c, name);
	} else {
		pod->name = spec_ctx_strdup(c, m.name);
	}
	if (m.node) {
		spec_path_set(&c->path, "metadata");
		spec_get_kv(c, m.node, "labels", &pod->labels, &pod->n_labels);
		spec_get_kv(c, m.node, "annotations", &pod->annotations,
		       &pod->n_annotations);
	}
	spec_path_set(&c->path, "spec");
	rc = spec_pod_spec_decode(c, spec, &fs.mark, pod);
	spec_path_reset(&c->path, 0);
	if (!rc && pod->namespace && pod->name)
		pod_set_uid(c, pod, spec, 0);
	pod_fix_files(pod);
	meta_free(&m);
	return rc ? rc : (c->oom ? -ENOMEM : 0);
}

/* ---- workloads ---- */

struct workload {
	const char *kind;
	struct meta meta;
	yaml_node_t *tmeta;			/* template metadata or NULL */
	yaml_node_t *tspec;			/* template spec or NULL */
	yaml_mark_t tspec_mark;
	char hash[16];				/* pod-template-hash, Deployment */
	char rs_name[320];
	int64_t replicas;
};

/* Adds or replaces label "pod-template-hash". */
static int label_template_hash(struct spec_ctx *c, struct spec_pod *pod,
			       const char *hash)
{
	static const char key[] = "pod-template-hash";
	struct spec_kv *kv;

	for (size_t i = 0; i < pod->n_labels; i++) {
		if (strcmp(pod->labels[i].key, key) == 0) {
			free(pod->labels[i].value);
			pod->labels[i].value = spec_ctx_strdup(c, hash);
			return c->oom ? -ENOMEM : 0;
		}
	}
	kv = reallocarray(pod->labels, pod->n_labels + 1, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	pod->labels = kv;
	kv[pod->n_labels].key = spec_ctx_strdup(c, key);
	kv[pod->n_labels].value = spec_ctx_strdup(c, hash);
	pod->n_labels++;
	return c->oom ? -ENOMEM : 0;
}

static int workload_pod(struct spec_ctx *c, yaml_node_t *root,
			const struct workload *w, unsigned index,
			struct spec_pod *pod)
{
	char name[64];
	int rc;

	pod_ident(c, pod, root, &w->meta);
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
	if (*w->hash && !c->oom && label_template_hash(c, pod, w->hash))
		return -ENOMEM;
	spec_path_set(&c->path, "spec.template.spec");
	rc = spec_pod_spec_decode(c, w->tspec, &w->tspec_mark, pod);
	spec_path_reset(&c->path, 0);
	if (!rc && pod->namespace && pod->name)
		pod_set_uid(c, pod, w->tspec, index);
	pod_fix_files(pod);
	return rc ? rc : (c->oom ? -ENOMEM : 0);
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
			    struct workload *w)
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

/* spec and spec.template; returns false when the template is missing. */
static bool template_decode(struct spec_ctx *c, yaml_node_t *root,
			    struct workload *w)
{
	bool deploy = strcmp(w->kind, "Deployment") == 0;
	struct spec_field fs, ft, fts;
	yaml_node_t *spec, *tmpl;

	spec = spec_get_map(c, root, "spec", &fs);
	tmpl = spec ? spec_get_map(c, spec, "template", &ft) : NULL;
	if (spec) {
		spec_path_set(&c->path, "spec");
		spec_map_check(c, spec, deploy ? deployment_spec_fields :
					    replicaset_spec_fields);
		replicas_decode(c, spec, w);
	}
	spec_path_set(&c->path, "spec.template");
	if (!tmpl) {
		/* a mistyped spec or template was reported already */
		if (!(fs.val && !spec) && !(spec && ft.val))
			spec_err_required(c, spec ? &ft.mark : &fs.mark, NULL);
		spec_path_reset(&c->path, 0);
		return false;
	}
	spec_map_check(c, tmpl, template_fields);
	w->tmeta = spec_get_map(c, tmpl, "metadata", NULL);
	w->tspec = spec_get_map(c, tmpl, "spec", &fts);
	w->tspec_mark = fts.mark;
	if (w->tmeta) {
		spec_path_set(&c->path, "spec.template.metadata");
		spec_map_check(c, w->tmeta, meta_fields);
	}
	spec_path_reset(&c->path, 0);
	if (deploy) {
		struct spec_hash h;

		spec_hash_init(&h);
		spec_hash_node(c, &h, tmpl, 0);
		spec_template_hash(&h, w->hash, sizeof(w->hash));
	}
	return true;
}

/* Decodes the template once, with errors, and throws the result away. */
static int workload_validate(struct spec_ctx *c, yaml_node_t *root,
			     struct workload *w)
{
	struct spec_pod scratch = { 0 };
	int rc = workload_pod(c, root, w, 0, &scratch);

	spec_pod_free(&scratch);
	return rc;
}

static int workload_expand(struct spec_ctx *c, yaml_node_t *root,
			   struct workload *w, struct spec_objects *out)
{
	struct podvolfs_err *saved = c->err, *saved_warn = c->warn;
	struct spec_pod *pods;
	unsigned before = c->nerr;
	int rc;

	rc = workload_validate(c, root, w);
	if (rc || c->nerr != before || w->replicas <= 0)
		return rc;
	pods = pods_add(c, out, (size_t)w->replicas);
	if (!pods)
		return -ENOMEM;
	/* the template was checked above; the replicas are decoded quietly */
	c->err = NULL;
	c->warn = NULL;
	for (int64_t i = 0; i < w->replicas && !rc; i++)
		rc = workload_pod(c, root, w, (unsigned)i, &pods[i]);
	c->err = saved;
	c->warn = saved_warn;
	return rc;
}

static int load_workload(struct spec_ctx *c, yaml_node_t *root,
			 const char *kind, struct spec_objects *out)
{
	struct workload w = { .kind = kind };
	unsigned before = c->nerr;
	int rc = 0;

	meta_decode(c, root, &w.meta);
	if (c->oom)
		goto out_free;
	if (!template_decode(c, root, &w) || c->nerr != before)
		goto out_free;
	snprintf(w.rs_name, sizeof(w.rs_name), "%s%s%s", w.meta.name,
		 *w.hash ? "-" : "", w.hash);
	rc = workload_expand(c, root, &w, out);
out_free:
	meta_free(&w.meta);
	return rc ? rc : (c->oom ? -ENOMEM : 0);
}

int spec_load_kind(struct spec_ctx *c, yaml_node_t *root, const char *kind,
		   struct spec_objects *out)
{
	if (strcmp(kind, "Pod") == 0)
		return load_pod(c, root, out);
	return load_workload(c, root, kind, out);
}
