/*
 * selector.c - what PersistentVolumes, claims and StatefulSets share:
 * lists of strings, access modes, label selectors and node selectors.
 *
 * Follows ValidateLabelSelector and ValidateNodeSelector: an operator
 * outside the set is "not a valid selector operator", In and NotIn need
 * values, Exists and DoesNotExist may have none, Gt and Lt (node
 * selectors only) exactly one; keys are qualified names and values label
 * values. A node selector term's matchFields is refused: podvolfs's one
 * node is matched by its kubernetes.io/hostname label only. Access modes
 * are Unsupported one by one on the index-less path "spec.accessModes".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

static const char *const selector_fields[] = { "matchLabels",
	"matchExpressions", NULL };
static const char *const requirement_fields[] = { "key", "operator",
	"values", NULL };
static const char *const node_affinity_fields[] = { "required", NULL };
static const char *const node_selector_fields[] = { "nodeSelectorTerms", NULL };
static const char *const term_fields[] = { "matchExpressions", "matchFields",
	NULL };

/* Sorted, as the message lists them (sets.List). */
static const char *const access_modes[] = { "ReadOnlyMany", "ReadWriteMany",
	"ReadWriteOnce", "ReadWriteOncePod", NULL };
static const unsigned access_bits[] = { SPEC_ROX, SPEC_RWX, SPEC_RWO,
	SPEC_RWOP };

/* In the order of enum spec_op; node selectors have all six. */
static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist",
	"Gt", "Lt", NULL };
#define LABEL_OPS 4

void spec_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int spec_get_strv(struct spec_ctx *c, yaml_node_t *map, const char *key,
		  char ***out, size_t *n)
{
	yaml_node_t *seq = spec_get_seq(c, map, key, NULL);
	size_t len = spec_seq_len(seq), mark;

	*out = NULL;
	*n = 0;
	if (!seq)
		return 0;
	*out = spec_ctx_calloc(c, len, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*n = len;
	mark = spec_path_key(&c->path, key);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = spec_seq_item(c, seq, i);
		size_t imark = spec_path_index(&c->path, i);

		/* JSON null into a Go string leaves it empty */
		(*out)[i] = spec_node_is_null(item) ? spec_ctx_strdup(c, "") :
						      spec_node_str(c, item);
		spec_path_reset(&c->path, imark);
	}
	spec_path_reset(&c->path, mark);
	return c->oom ? -ENOMEM : 0;
}

/* ---- access modes ---- */

/* One mode at @m: its bit, or 0 after an error. */
static unsigned access_mode(struct spec_ctx *c, const yaml_mark_t *m,
			    const char *mode)
{
	for (size_t i = 0; access_modes[i]; i++)
		if (strcmp(mode, access_modes[i]) == 0)
			return access_bits[i];
	spec_err_unsupported(c, m, mode, access_modes);
	return 0;
}

unsigned spec_access_modes_decode(struct spec_ctx *c, yaml_node_t *spec,
				  const yaml_mark_t *where,
				  const char *required)
{
	struct spec_field f = { .mark = *where };
	unsigned bits = 0;
	char **modes = NULL;
	size_t n = 0, mark;

	if (spec) {
		spec_map_find(c, spec, "accessModes", &f);
		spec_get_strv(c, spec, "accessModes", &modes, &n);
	}
	mark = spec_path_key(&c->path, "accessModes");
	if (n == 0 && !(f.val && f.val->type != YAML_SEQUENCE_NODE))
		spec_err_required(c, &f.mark, required);
	for (size_t i = 0; i < n && modes[i]; i++)
		bits |= access_mode(c, &spec_seq_item(c, f.val, i)->start_mark,
				    modes[i]);
	if ((bits & SPEC_RWOP) && (bits & ~SPEC_RWOP))
		spec_err_forbidden(c, &f.mark,
			      "may not use ReadWriteOncePod with other access modes");
	spec_path_reset(&c->path, mark);
	spec_strv_free(modes, n);
	return bits;
}

/* ---- requirements ---- */

static void requirements_free(struct spec_requirement *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].key);
		spec_strv_free(r[i].values, r[i].n_values);
	}
	free(r);
}

/* @key (ValidateLabelName) at @m: Invalid on the current path. */
static void label_key_check(struct spec_ctx *c, const yaml_mark_t *m,
			    const char *key)
{
	const char *pre[4], *msgs[4];
	unsigned n = spec_qualified_name_errors(key, pre, msgs);
	char detail[PODVOLFS_ERR_LEN];

	for (unsigned i = 0; i < n; i++) {
		snprintf(detail, sizeof(detail), "%s%s", pre[i], msgs[i]);
		spec_err_invalid(c, m, key, detail);
	}
}

static void label_value_check(struct spec_ctx *c, const yaml_mark_t *m,
			      const char *value)
{
	const char *msgs[2];
	unsigned n = spec_label_value_errors(value, msgs);

	for (unsigned i = 0; i < n; i++)
		spec_err_invalid(c, m, value, msgs[i]);
}

/* The number of values operator @op wants, as upstream checks it. */
static void op_values_check(struct spec_ctx *c, const struct spec_field *fv,
			    enum spec_op op, size_t n)
{
	size_t mark = spec_path_key(&c->path, "values");

	if ((op == SPEC_OP_IN || op == SPEC_OP_NOT_IN) && n == 0)
		spec_err_required(c, &fv->mark,
			     "must be specified when `operator` is 'In' or 'NotIn'");
	else if ((op == SPEC_OP_EXISTS || op == SPEC_OP_DOES_NOT_EXIST) && n > 0)
		spec_err_forbidden(c, &fv->mark,
			      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
	else if ((op == SPEC_OP_GT || op == SPEC_OP_LT) && n != 1)
		spec_err_required(c, &fv->mark,
			     "must be specified single value when `operator` is 'Lt' or 'Gt'");
	spec_path_reset(&c->path, mark);
}

/* Item @i of a matchExpressions list, with @n_ops operators allowed. */
static void requirement_decode(struct spec_ctx *c, yaml_node_t *item,
			       size_t n_ops, struct spec_requirement *r)
{
	struct spec_field fk, fo, fv;
	char *op;
	size_t k, mark;

	if (!spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping"))
		return;
	spec_map_check(c, item, requirement_fields);
	r->key = spec_get_str(c, item, "key", &fk);
	op = spec_get_str(c, item, "operator", &fo);
	spec_map_find(c, item, "values", &fv);
	spec_get_strv(c, item, "values", &r->values, &r->n_values);
	if (!r->key || !op)
		goto out_free;
	for (k = 0; k < n_ops && strcmp(op, ops[k]) != 0; k++)
		;
	if (k < n_ops) {
		r->op = (enum spec_op)k;
		op_values_check(c, &fv, r->op, r->n_values);
	} else {
		mark = spec_path_key(&c->path, "operator");
		spec_err_invalid(c, &fo.mark, op, "not a valid selector operator");
		spec_path_reset(&c->path, mark);
	}
	mark = spec_path_key(&c->path, "key");
	label_key_check(c, &fk.mark, r->key);
	spec_path_reset(&c->path, mark);
	for (size_t i = 0; i < r->n_values && r->values[i]; i++) {
		mark = spec_path_key(&c->path, "values");
		spec_path_index(&c->path, i);
		label_value_check(c, &spec_seq_item(c, fv.val, i)->start_mark,
				  r->values[i]);
		spec_path_reset(&c->path, mark);
	}
out_free:
	free(op);
}

static void requirements_decode(struct spec_ctx *c, yaml_node_t *map,
				size_t n_ops, struct spec_requirement **out,
				size_t *n)
{
	yaml_node_t *seq = spec_get_seq(c, map, "matchExpressions", NULL);
	size_t len = spec_seq_len(seq), mark;

	*out = NULL;
	*n = 0;
	if (!seq)
		return;
	*out = spec_ctx_calloc(c, len, sizeof(**out));
	if (!*out)
		return;
	*n = len;
	mark = spec_path_key(&c->path, "matchExpressions");
	for (size_t i = 0; i < len; i++) {
		size_t imark = spec_path_index(&c->path, i);

		requirement_decode(c, spec_seq_item(c, seq, i), n_ops,
				   &(*out)[i]);
		spec_path_reset(&c->path, imark);
	}
	spec_path_reset(&c->path, mark);
}

/* ---- label selectors ---- */

/* ValidateLabels: keys and values, each on the map's own path. */
static void match_labels_check(struct spec_ctx *c, yaml_node_t *sel,
			       const struct spec_selector *s)
{
	yaml_node_t *m = spec_get_map(c, sel, "matchLabels", NULL);
	size_t mark;

	if (!m || !s->match_labels)
		return;
	mark = spec_path_key(&c->path, "matchLabels");
	for (size_t i = 0; i < s->n_match_labels; i++) {
		yaml_node_pair_t *p = &m->data.mapping.pairs.start[i];
		const struct spec_kv *kv = &s->match_labels[i];

		/* a key that is not a string was reported already */
		if (!kv->key || !kv->value ||
		    spec_node_at(c, p->key)->type != YAML_SCALAR_NODE)
			continue;
		label_key_check(c, &spec_node_at(c, p->key)->start_mark, kv->key);
		label_value_check(c, &spec_node_at(c, p->value)->start_mark,
				  kv->value);
	}
	spec_path_reset(&c->path, mark);
}

void spec_selector_decode(struct spec_ctx *c, yaml_node_t *map,
			  const char *key, struct spec_selector *s)
{
	yaml_node_t *sel = spec_get_map(c, map, key, NULL);
	size_t mark;

	memset(s, 0, sizeof(*s));
	if (!sel)
		return;
	s->present = true;
	mark = spec_path_key(&c->path, key);
	spec_map_check(c, sel, selector_fields);
	spec_get_kv(c, sel, "matchLabels", &s->match_labels,
		    &s->n_match_labels);
	match_labels_check(c, sel, s);
	requirements_decode(c, sel, LABEL_OPS, &s->exprs, &s->n_exprs);
	spec_path_reset(&c->path, mark);
}

const char *spec_kv_find(const struct spec_kv *labels, size_t n,
			 const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(labels[i].key, key) == 0)
			return labels[i].value;
	return NULL;
}

static bool requirement_matches(const struct spec_requirement *r,
				const char *value)
{
	bool in = false;

	for (size_t i = 0; value && i < r->n_values; i++)
		in = in || strcmp(r->values[i], value) == 0;
	switch (r->op) {
	case SPEC_OP_IN:
		return in;
	case SPEC_OP_NOT_IN:
		return !in;
	case SPEC_OP_EXISTS:
		return value != NULL;
	case SPEC_OP_DOES_NOT_EXIST:
		return value == NULL;
	default:
		return false;
	}
}

bool spec_selector_matches(const struct spec_selector *sel,
			   const struct spec_kv *labels, size_t n)
{
	const char *v;

	if (!sel->present)
		return true;
	for (size_t i = 0; i < sel->n_match_labels; i++) {
		v = spec_kv_find(labels, n, sel->match_labels[i].key);
		if (!v || strcmp(v, sel->match_labels[i].value) != 0)
			return false;
	}
	for (size_t i = 0; i < sel->n_exprs; i++) {
		v = spec_kv_find(labels, n, sel->exprs[i].key);
		if (!requirement_matches(&sel->exprs[i], v))
			return false;
	}
	return true;
}

void spec_selector_free(struct spec_selector *sel)
{
	spec_kv_free(sel->match_labels, sel->n_match_labels);
	requirements_free(sel->exprs, sel->n_exprs);
	memset(sel, 0, sizeof(*sel));
}

/* ---- node selectors ---- */

static void term_decode(struct spec_ctx *c, yaml_node_t *item,
			struct spec_node_term *t)
{
	struct spec_field f;
	size_t mark;

	if (!spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping"))
		return;
	spec_map_check(c, item, term_fields);
	requirements_decode(c, item, sizeof(ops) / sizeof(ops[0]) - 1,
			    &t->exprs, &t->n_exprs);
	spec_map_find(c, item, "matchFields", &f);
	if (!f.val || spec_seq_len(f.val) == 0)
		return;
	mark = spec_path_key(&c->path, "matchFields");
	spec_err_forbidden(c, &f.mark,
		      "not supported by podvolfs: use matchExpressions with key kubernetes.io/hostname");
	spec_path_reset(&c->path, mark);
}

/* nodeAffinity.required: a NodeSelector, its terms ORed. */
static void node_selector_decode(struct spec_ctx *c, yaml_node_t *req,
				 struct spec_node_term **terms, size_t *n)
{
	struct spec_field f;
	yaml_node_t *seq;
	size_t len, mark;

	spec_map_check(c, req, node_selector_fields);
	seq = spec_get_seq(c, req, "nodeSelectorTerms", &f);
	len = spec_seq_len(seq);
	mark = spec_path_key(&c->path, "nodeSelectorTerms");
	if (len == 0 && !(f.val && !seq))
		spec_err_required(c, &f.mark,
			     "must have at least one node selector term");
	*terms = len ? spec_ctx_calloc(c, len, sizeof(**terms)) : NULL;
	if (*terms)
		*n = len;
	for (size_t i = 0; *terms && i < len; i++) {
		size_t imark = spec_path_index(&c->path, i);

		term_decode(c, spec_seq_item(c, seq, i), &(*terms)[i]);
		spec_path_reset(&c->path, imark);
	}
	spec_path_reset(&c->path, mark);
}

bool spec_node_affinity_decode(struct spec_ctx *c, yaml_node_t *map,
			       const char *key, struct spec_node_term **terms,
			       size_t *n)
{
	struct spec_field f, fr;
	yaml_node_t *na = spec_get_map(c, map, key, &f), *req;
	size_t mark;

	*terms = NULL;
	*n = 0;
	if (!na)
		return f.val != NULL;
	mark = spec_path_key(&c->path, key);
	spec_map_check(c, na, node_affinity_fields);
	req = spec_get_map(c, na, "required", &fr);
	spec_path_key(&c->path, "required");
	if (req)
		node_selector_decode(c, req, terms, n);
	else if (!fr.val)
		spec_err_required(c, &fr.mark,
			     "must specify required node constraints");
	spec_path_reset(&c->path, mark);
	return true;
}

void spec_node_terms_free(struct spec_node_term *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		requirements_free(t[i].exprs, t[i].n_exprs);
	free(t);
}
