/*
 * statefulset.c - StatefulSet documents: pods "<set>-<ordinal>" and the
 * claims of their volumeClaimTemplates (SPEC section 10).
 *
 * Each pod is built as the StatefulSet controller builds it: the
 * template's pod, labelled statefulset.kubernetes.io/pod-name and
 * apps.kubernetes.io/pod-index, with first among its volumes one claim
 * volume per claim template, named as the template, for the claim
 * "<template>-<set>-<ordinal>"; a template volume of that name is replaced.
 * Each claim copies its template's labels and annotations, the selector's
 * matchLabels over the labels, and is owned by the set. The set is checked
 * as ValidateStatefulSetSpec checks it, the pod template as a Deployment's
 * is, and the claim templates as the claims they become, which upstream
 * leaves to their creation. spec.ordinals.start is read, but pods are
 * numbered from 0, with a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

static const char *const sts_spec_fields[] = { "replicas", "selector",
	"template", "volumeClaimTemplates", "serviceName",
	"podManagementPolicy", "updateStrategy", "revisionHistoryLimit",
	"minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals",
	NULL };
static const char *const claim_fields[] = { "apiVersion", "kind", "metadata",
	"spec", "status", NULL };
static const char *const retention_fields[] = { "whenDeleted", "whenScaled",
	NULL };
static const char *const strategy_fields[] = { "type", "rollingUpdate", NULL };
static const char *const ordinals_fields[] = { "start", NULL };
/* as upstream lists them, unsorted */
static const char *const retention_policies[] = { "Retain", "Delete", NULL };
static const char *const restart_policies[] = { "Always", NULL };

struct sts {
	struct spec_workload w;
	char *name;				/* metadata.name, or generated */
	struct spec_selector selector;
	yaml_node_t *templates;			/* volumeClaimTemplates or NULL */
	struct spec_claim_volumes cv;		/* names and marks; claims per pod */
	bool delete_when_deleted;
	bool delete_when_scaled;
};

/* ---- the set's own fields ---- */

/* @key of @m: absent, "" (defaulted to @a), @a or @b; else Invalid. */
static void either_check(struct spec_ctx *c, yaml_node_t *m, const char *key,
			 const char *a, const char *b)
{
	struct spec_field f;
	char *v = spec_get_str(c, m, key, &f), detail[96];
	size_t mark;

	if (v && *v && strcmp(v, a) != 0 && strcmp(v, b) != 0) {
		mark = spec_path_key(&c->path, key);
		snprintf(detail, sizeof(detail), "must be '%s' or '%s'", a, b);
		spec_err_invalid(c, &f.mark, v, detail);
		spec_path_reset(&c->path, mark);
	}
	free(v);
}

/* Retain (also for "") or Delete: true for Delete. */
static bool retention_decode(struct spec_ctx *c, yaml_node_t *m,
			     const char *key)
{
	struct spec_field f;
	char *v = spec_get_str(c, m, key, &f);
	bool del = v && strcmp(v, "Delete") == 0;
	size_t mark;

	if (v && *v && !del && strcmp(v, "Retain") != 0) {
		mark = spec_path_key(&c->path, key);
		spec_err_unsupported(c, &f.mark, v, retention_policies);
		spec_path_reset(&c->path, mark);
	}
	free(v);
	return del;
}

static void nonnegative_check(struct spec_ctx *c, yaml_node_t *m,
			      const char *key, int64_t *v)
{
	struct spec_field f;
	size_t mark;

	*v = 0;
	if (!spec_get_int(c, m, key, INT32_MIN, INT32_MAX, v, &f) || *v >= 0)
		return;
	mark = spec_path_key(&c->path, key);
	spec_err_invalid_int(c, &f.mark, *v, "must be greater than or equal to 0");
	spec_path_reset(&c->path, mark);
}

static void ordinals_decode(struct spec_ctx *c, yaml_node_t *spec)
{
	yaml_node_t *o = spec_get_map(c, spec, "ordinals", NULL);
	struct spec_field f;
	int64_t start;
	size_t mark;

	if (!o)
		return;
	mark = spec_path_key(&c->path, "ordinals");
	spec_map_check(c, o, ordinals_fields);
	nonnegative_check(c, o, "start", &start);
	if (start > 0) {
		spec_map_find(c, o, "start", &f);
		spec_path_key(&c->path, "start");
		spec_warn(c, &f.mark,
			  "not supported by podvolfs: pods are numbered from 0");
	}
	spec_path_reset(&c->path, mark);
}

static void policies_decode(struct spec_ctx *c, yaml_node_t *spec,
			    struct sts *s)
{
	struct spec_field f;
	yaml_node_t *m;
	size_t mark;
	int64_t v;

	either_check(c, spec, "podManagementPolicy", "OrderedReady", "Parallel");
	m = spec_get_map(c, spec, "updateStrategy", NULL);
	if (m) {
		mark = spec_path_key(&c->path, "updateStrategy");
		spec_map_check(c, m, strategy_fields);
		either_check(c, m, "type", "RollingUpdate", "OnDelete");
		spec_path_reset(&c->path, mark);
	}
	m = spec_get_map(c, spec, "persistentVolumeClaimRetentionPolicy", NULL);
	if (m) {
		mark = spec_path_key(&c->path,
				     "persistentVolumeClaimRetentionPolicy");
		spec_map_check(c, m, retention_fields);
		s->delete_when_deleted = retention_decode(c, m, "whenDeleted");
		s->delete_when_scaled = retention_decode(c, m, "whenScaled");
		spec_path_reset(&c->path, mark);
	}
	nonnegative_check(c, spec, "minReadySeconds", &v);
	spec_get_int(c, spec, "revisionHistoryLimit", INT32_MIN, INT32_MAX, &v,
		     &f);
	ordinals_decode(c, spec);
}

static void selector_check(struct spec_ctx *c, yaml_node_t *spec,
			   struct sts *s)
{
	struct spec_field f;
	size_t mark;

	spec_map_find(c, spec, "selector", &f);
	spec_selector_decode(c, spec, "selector", &s->selector);
	mark = spec_path_key(&c->path, "selector");
	if (!f.val)
		spec_err_required(c, &f.mark, NULL);
	else if (s->selector.present &&
		 s->selector.n_match_labels + s->selector.n_exprs == 0)
		spec_ctx_err(c, &f.mark, c->path.buf,
			"Invalid value: {}: empty selector is invalid for statefulset");
	spec_path_reset(&c->path, mark);
}

/* The template's restartPolicy and activeDeadlineSeconds. */
static void template_spec_check(struct spec_ctx *c, yaml_node_t *tspec)
{
	struct spec_field f;
	char *policy;
	size_t mark;

	spec_path_set(&c->path, "spec.template.spec");
	policy = spec_get_str(c, tspec, "restartPolicy", &f);
	mark = spec_path_key(&c->path, "restartPolicy");
	if (policy && *policy && strcmp(policy, "Always") != 0)
		spec_err_unsupported(c, &f.mark, policy, restart_policies);
	free(policy);
	spec_path_reset(&c->path, mark);
	spec_map_find(c, tspec, "activeDeadlineSeconds", &f);
	mark = spec_path_key(&c->path, "activeDeadlineSeconds");
	if (f.val)
		spec_err_forbidden(c, &f.mark,
			      "activeDeadlineSeconds in StatefulSet is not Supported");
	spec_path_reset(&c->path, 0);
}

/* ---- claim templates ---- */

/* Item @i of volumeClaimTemplates: its name, checked (it names a volume). */
static void template_name_decode(struct spec_ctx *c, yaml_node_t *item,
				 size_t i, struct sts *s, struct strmap *seen)
{
	yaml_node_t *meta = spec_get_map(c, item, "metadata", NULL);
	struct spec_field f = { .mark = item->start_mark };
	const char *msgs[2];
	size_t mark;
	unsigned n;

	s->cv.names[i] = meta ? spec_get_str(c, meta, "name", &f) :
				spec_ctx_strdup(c, "");
	if (!s->cv.names[i])
		return;
	mark = spec_path_key(&c->path, "metadata.name");
	if (!*s->cv.names[i])
		spec_err_required(c, &f.mark, NULL);
	n = *s->cv.names[i] ? spec_dns_label_errors(s->cv.names[i], msgs) : 0;
	for (unsigned k = 0; k < n; k++)
		spec_err_invalid(c, &f.mark, s->cv.names[i], msgs[k]);
	if (*s->cv.names[i] &&
	    strmap_add(seen, s->cv.names[i], strlen(s->cv.names[i]), NULL,
		       NULL) == 0)
		spec_err_duplicate(c, &f.mark, s->cv.names[i]);
	spec_path_reset(&c->path, mark);
}

/* Template @i's metadata and spec into @pvc, on its path. */
static void claim_decode(struct spec_ctx *c, const struct sts *s, size_t i,
			 struct spec_pvc *pvc)
{
	yaml_node_t *item = spec_seq_item(c, s->templates, i), *meta, *spec;
	struct spec_field fs;

	spec_path_set(&c->path, "spec.volumeClaimTemplates");
	spec_path_index(&c->path, i);
	if (!spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping"))
		goto out_reset;
	meta = spec_get_map(c, item, "metadata", NULL);
	if (meta) {
		spec_path_key(&c->path, "metadata");
		spec_get_kv(c, meta, "labels", &pvc->labels, &pvc->n_labels);
		spec_get_kv(c, meta, "annotations", &pvc->annotations,
			    &pvc->n_annotations);
		spec_path_set(&c->path, "spec.volumeClaimTemplates");
		spec_path_index(&c->path, i);
	}
	spec = spec_get_map(c, item, "spec", &fs);
	spec_path_key(&c->path, "spec");
	spec_pvc_spec_decode(c, spec, &fs.mark, pvc);
out_reset:
	spec_path_reset(&c->path, 0);
}

static void templates_decode(struct spec_ctx *c, yaml_node_t *spec,
			     struct sts *s)
{
	size_t n, mark;
	struct strmap seen;

	s->templates = spec_get_seq(c, spec, "volumeClaimTemplates", NULL);
	n = spec_seq_len(s->templates);
	if (!n)
		return;
	s->cv.names = spec_ctx_calloc(c, n, sizeof(*s->cv.names));
	s->cv.claims = spec_ctx_calloc(c, n, sizeof(*s->cv.claims));
	s->cv.marks = spec_ctx_calloc(c, n, sizeof(*s->cv.marks));
	if (!s->cv.names || !s->cv.claims || !s->cv.marks)
		return;
	s->cv.n = n;
	strmap_init(&seen);
	mark = spec_path_key(&c->path, "volumeClaimTemplates");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = spec_seq_item(c, s->templates, i);
		struct spec_pvc scratch = { 0 };
		size_t imark = spec_path_index(&c->path, i);

		s->cv.marks[i] = item->start_mark;
		if (item->type == YAML_MAPPING_NODE) {
			spec_map_check(c, item, claim_fields);
			template_name_decode(c, item, i, s, &seen);
		}
		spec_path_reset(&c->path, imark);
		claim_decode(c, s, i, &scratch);
		spec_pvc_free(&scratch);
		spec_path_set(&c->path, "spec.volumeClaimTemplates");
	}
	spec_path_reset(&c->path, mark);
	strmap_free(&seen);
}

/* ---- pods and claims ---- */

static int kv_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct spec_kv *const *)a)->key,
		      (*(const struct spec_kv *const *)b)->key);
}

/* Go's %#v of a map[string]string: keys sorted, cut to @size. */
static void labels_text(struct spec_ctx *c, const struct spec_kv *kv,
			size_t n, char *buf, size_t size)
{
	const struct spec_kv **sorted = spec_ctx_calloc(c, n, sizeof(*sorted));
	size_t len = (size_t)snprintf(buf, size, "map[string]string{");

	for (size_t i = 0; sorted && i < n; i++)
		sorted[i] = &kv[i];
	if (sorted)
		qsort(sorted, n, sizeof(*sorted), kv_cmp);
	for (size_t i = 0; sorted && i < n && len < size; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, size - len, ", ");
		if (len < size)
			len += spec_quote(sorted[i]->key, buf + len, size - len);
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, ":");
		if (len < size)
			len += spec_quote(sorted[i]->value, buf + len, size - len);
	}
	if (len < size)
		snprintf(buf + len, size - len, "}");
	free(sorted);
}

/* The pod's metadata, from the template's. */
static void pod_meta(struct spec_ctx *c, yaml_node_t *root,
		     const struct sts *s, unsigned ordinal, struct spec_pod *pod)
{
	char name[80];

	spec_pod_ident(c, pod, root, &s->w.meta);
	snprintf(name, sizeof(name), "%s-%u", s->name, ordinal);
	pod->name = spec_ctx_strdup(c, name);
	pod->owner_kind = spec_ctx_strdup(c, "StatefulSet");
	pod->owner_name = spec_ctx_strdup(c, s->name);
	if (!s->w.tmeta)
		return;
	spec_path_set(&c->path, "spec.template.metadata");
	spec_get_kv(c, s->w.tmeta, "labels", &pod->labels, &pod->n_labels);
	spec_get_kv(c, s->w.tmeta, "annotations", &pod->annotations,
		    &pod->n_annotations);
	spec_path_reset(&c->path, 0);
}

/* The claim names of pod @ordinal into s->cv.claims. */
static int claim_names(struct spec_ctx *c, struct sts *s, unsigned ordinal)
{
	for (size_t i = 0; i < s->cv.n; i++) {
		free(s->cv.claims[i]);
		if (asprintf(&s->cv.claims[i], "%s-%s-%u", s->cv.names[i],
			     s->name, ordinal) < 0) {
			s->cv.claims[i] = NULL;
			c->oom = true;
			return -ENOMEM;
		}
	}
	return 0;
}

static int pod_rest(struct spec_ctx *c, struct sts *s, unsigned ordinal,
		    struct spec_pod *pod)
{
	char index[16];
	int rc;

	snprintf(index, sizeof(index), "%u", ordinal);
	if (spec_kv_set(&pod->labels, &pod->n_labels,
			"statefulset.kubernetes.io/pod-name", pod->name) ||
	    spec_kv_set(&pod->labels, &pod->n_labels,
			"apps.kubernetes.io/pod-index", index) ||
	    claim_names(c, s, ordinal))
		return -ENOMEM;
	spec_path_set(&c->path, "spec.template.spec");
	rc = spec_pod_finish(c, s->w.tspec, &s->w.tspec_mark, &s->cv, ordinal,
			     pod);
	spec_path_reset(&c->path, 0);
	return rc;
}

/* Pod 0, decoded with errors and thrown away; and the selector's match. */
static int pod_validate(struct spec_ctx *c, yaml_node_t *root, struct sts *s,
			const yaml_mark_t *tmark)
{
	struct spec_pod scratch = { 0 };
	char labels[PODVOLFS_ERR_LEN];
	int rc;

	pod_meta(c, root, s, 0, &scratch);
	if (s->selector.present && !c->oom &&
	    !spec_selector_matches(&s->selector, scratch.labels,
				   scratch.n_labels)) {
		labels_text(c, scratch.labels, scratch.n_labels, labels,
			    sizeof(labels));
		spec_path_set(&c->path, "spec.template.metadata.labels");
		spec_ctx_err(c, tmark, c->path.buf,
			"Invalid value: %s: `selector` does not match template `labels`",
			labels);
		spec_path_reset(&c->path, 0);
	}
	rc = pod_rest(c, s, 0, &scratch);
	spec_pod_free(&scratch);
	return rc;
}

/* The claim of template @i for pod @ordinal. */
static void claim_make(struct spec_ctx *c, const struct sts *s, size_t i,
		       struct spec_objects *out)
{
	struct spec_pvc *pvc = spec_pvcs_add(c, out);
	const struct spec_selector *sel = &s->selector;

	if (!pvc)
		return;
	pvc->namespace = spec_ctx_strdup(c, *s->w.meta.namespace ?
					 s->w.meta.namespace : "default");
	pvc->name = spec_ctx_strdup(c, s->cv.claims[i]);
	claim_decode(c, s, i, pvc);
	for (size_t k = 0; k < sel->n_match_labels && !c->oom; k++)
		if (spec_kv_set(&pvc->labels, &pvc->n_labels,
				sel->match_labels[k].key,
				sel->match_labels[k].value))
			c->oom = true;
	pvc->owner_kind = spec_ctx_strdup(c, "StatefulSet");
	pvc->owner_name = spec_ctx_strdup(c, s->name);
	pvc->file = spec_ctx_strdup(c, c->file);
	spec_pos_of(c, &s->cv.marks[i], &pvc->pos);
	pvc->pos.file = pvc->file;
	pvc->list_item = spec_list_item(c);
}

static int set_add(struct spec_ctx *c, yaml_node_t *root, const struct sts *s,
		   struct spec_objects *out)
{
	struct spec_statefulset *sets, *set;

	sets = reallocarray(out->statefulsets, out->n_statefulsets + 1,
			    sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	out->statefulsets = sets;
	set = memset(&sets[out->n_statefulsets++], 0, sizeof(*set));
	set->namespace = spec_ctx_strdup(c, *s->w.meta.namespace ?
					 s->w.meta.namespace : "default");
	set->name = spec_ctx_strdup(c, s->name);
	set->replicas = (unsigned)s->w.replicas;
	set->delete_when_deleted = s->delete_when_deleted;
	set->delete_when_scaled = s->delete_when_scaled;
	set->templates = spec_ctx_calloc(c, s->cv.n, sizeof(*set->templates));
	for (size_t i = 0; set->templates && i < s->cv.n; i++)
		set->templates[i] = spec_ctx_strdup(c, s->cv.names[i]);
	if (set->templates)
		set->n_templates = s->cv.n;
	set->file = spec_ctx_strdup(c, c->file);
	spec_pos_of(c, &root->start_mark, &set->pos);
	set->pos.file = set->file;
	set->list_item = spec_list_item(c);
	return c->oom ? -ENOMEM : 0;
}

/* The pods and claims, decoded quietly: they were checked once already. */
static int expand(struct spec_ctx *c, yaml_node_t *root, struct sts *s,
		  struct spec_objects *out)
{
	struct podvolfs_err *saved = c->err, *saved_warn = c->warn;
	struct spec_pod *pods = spec_pods_add(c, out, (size_t)s->w.replicas);
	int rc = 0;

	if (!pods)
		return -ENOMEM;
	c->err = NULL;
	c->warn = NULL;
	c->claims = out;
	for (int64_t i = 0; i < s->w.replicas && !rc; i++) {
		pod_meta(c, root, s, (unsigned)i, &pods[i]);
		rc = pod_rest(c, s, (unsigned)i, &pods[i]);
		for (size_t k = 0; k < s->cv.n && !rc; k++)
			claim_make(c, s, k, out);
		if (!rc && c->oom)
			rc = -ENOMEM;
	}
	c->claims = NULL;
	c->err = saved;
	c->warn = saved_warn;
	return rc;
}

/* The mark the template's labels are reported at. */
static yaml_mark_t labels_mark(struct spec_ctx *c, const struct sts *s)
{
	struct spec_field f;

	if (!s->w.tmeta)
		return s->w.tspec_mark;
	spec_map_find(c, s->w.tmeta, "labels", &f);
	return f.mark;
}

int spec_load_statefulset(struct spec_ctx *c, yaml_node_t *root,
			  struct spec_objects *out)
{
	struct sts s = { .w = { .kind = "StatefulSet" } };
	unsigned before = c->nerr;
	yaml_mark_t tmark;
	bool tmpl;
	int rc = 0;

	spec_meta_decode(c, root, SPEC_META_DNS_LABEL, &s.w.meta);
	s.name = spec_meta_name(c, &s.w.meta);
	if (c->oom)
		goto out_free;
	tmpl = spec_template_decode(c, root, sts_spec_fields, &s.w);
	if (s.w.spec) {
		spec_path_set(&c->path, "spec");
		policies_decode(c, s.w.spec, &s);
		selector_check(c, s.w.spec, &s);
		templates_decode(c, s.w.spec, &s);
		spec_path_reset(&c->path, 0);
	}
	if (s.w.tspec)
		template_spec_check(c, s.w.tspec);
	if (!tmpl || c->nerr != before || c->oom)
		goto out_free;
	tmark = labels_mark(c, &s);
	rc = pod_validate(c, root, &s, &tmark);
	if (rc || c->nerr != before)
		goto out_free;
	rc = set_add(c, root, &s, out);
	if (!rc && s.w.replicas > 0)
		rc = expand(c, root, &s, out);
out_free:
	spec_meta_free(&s.w.meta);
	free(s.name);
	spec_selector_free(&s.selector);
	spec_strv_free(s.cv.names, s.cv.n);
	spec_strv_free(s.cv.claims, s.cv.n);
	free(s.cv.marks);
	return rc ? rc : (c->oom ? -ENOMEM : 0);
}

void spec_statefulset_free(struct spec_statefulset *s)
{
	free(s->namespace);
	free(s->name);
	spec_strv_free(s->templates, s->n_templates);
	free(s->file);
	free(s->list_item);
	memset(s, 0, sizeof(*s));
}
