/*
 * binder_match.c - the small predicates and names the binder is built on.
 *
 * Label selectors as apimachinery's labels package reads them, node
 * selectors as the scheduler's nodeaffinity helper does (for a node whose
 * only label is its hostname), the default StorageClass, access modes and
 * phases as kubectl prints them. Pure functions: no I/O, no allocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/binder.h"

/* The hostname label every node carries; podvolfs's node has only it. */
#define HOSTNAME_LABEL "kubernetes.io/hostname"

static const char *label_get(const struct spec_kv *labels, size_t n,
			     const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(labels[i].key, key) == 0)
			return labels[i].value;
	return NULL;
}

static bool value_listed(const struct spec_requirement *r, const char *value)
{
	for (size_t i = 0; i < r->n_values; i++)
		if (strcmp(r->values[i], value) == 0)
			return true;
	return false;
}

/* strconv.ParseInt(s, 10, 64): an optional sign and decimal digits only. */
static bool parse_int64(const char *s, long long *out)
{
	const char *digits = (*s == '+' || *s == '-') ? s + 1 : s;
	char *end;

	if (*digits < '0' || *digits > '9')
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/*
 * One requirement against a label value (NULL: the key is absent), as
 * labels.Requirement.Matches: NotIn and DoesNotExist hold for an absent
 * key; Gt and Lt need one integer value and an integer label.
 */
static bool requirement_matches(const struct spec_requirement *r,
				const char *value)
{
	long long have;
	long long bound;

	switch (r->op) {
	case SPEC_OP_IN:
		return value && value_listed(r, value);
	case SPEC_OP_NOT_IN:
		return !value || !value_listed(r, value);
	case SPEC_OP_EXISTS:
		return value != NULL;
	case SPEC_OP_DOES_NOT_EXIST:
		return value == NULL;
	case SPEC_OP_GT:
	case SPEC_OP_LT:
		if (!value || r->n_values != 1 || !parse_int64(value, &have) ||
		    !parse_int64(r->values[0], &bound))
			return false;
		return r->op == SPEC_OP_GT ? have > bound : have < bound;
	}
	return false;
}

bool binder_selector_matches(const struct spec_selector *sel,
			     const struct spec_kv *labels, size_t n)
{
	if (!sel || !sel->present)
		return true;
	for (size_t i = 0; i < sel->n_match_labels; i++) {
		const char *v = label_get(labels, n, sel->match_labels[i].key);

		if (!v || strcmp(v, sel->match_labels[i].value) != 0)
			return false;
	}
	for (size_t i = 0; i < sel->n_exprs; i++) {
		const struct spec_requirement *r = &sel->exprs[i];

		/* metav1.LabelSelector refuses Gt and Lt: nothing matches */
		if (r->op == SPEC_OP_GT || r->op == SPEC_OP_LT)
			return false;
		if (!requirement_matches(r, label_get(labels, n, r->key)))
			return false;
	}
	return true;
}

/* An empty term matches no node, as in the nodeaffinity helper. */
static bool term_matches(const struct spec_node_term *t, const char *node_name)
{
	if (t->n_exprs == 0)
		return false;
	for (size_t i = 0; i < t->n_exprs; i++) {
		const struct spec_requirement *r = &t->exprs[i];
		const char *v = NULL;

		if (node_name && strcmp(r->key, HOSTNAME_LABEL) == 0)
			v = node_name;
		if (!requirement_matches(r, v))
			return false;
	}
	return true;
}

bool binder_node_matches(const struct spec_pv *pv, const char *node_name)
{
	if (pv->n_node_terms == 0)
		return true;
	for (size_t i = 0; i < pv->n_node_terms; i++)
		if (term_matches(&pv->node_terms[i], node_name))
			return true;
	return false;
}

const struct binder_class *binder_class_find(const struct binder_world *w,
					     const char *name)
{
	for (size_t i = 0; i < w->n_classes; i++)
		if (strcmp(w->classes[i].spec->name, name) == 0)
			return &w->classes[i];
	return NULL;
}

const struct binder_class *binder_default_class(const struct binder_world *w)
{
	const struct binder_class *best = NULL;

	for (size_t i = 0; i < w->n_classes; i++) {
		const struct binder_class *c = &w->classes[i];

		if (!c->spec->is_default)
			continue;
		if (!best || c->created > best->created ||
		    (c->created == best->created &&
		     strcmp(c->spec->name, best->spec->name) < 0))
			best = c;
	}
	return best;
}

void binder_modes_string(unsigned modes, char *buf, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} order[] = {
		{ SPEC_RWO, "RWO" },
		{ SPEC_ROX, "ROX" },
		{ SPEC_RWX, "RWX" },
		{ SPEC_RWOP, "RWOP" },
	};
	size_t len = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		size_t need;

		if (!(modes & order[i].bit))
			continue;
		need = strlen(order[i].name) + (len ? 1 : 0);
		if (len + need >= size)
			return;
		if (len)
			buf[len++] = ',';
		memcpy(buf + len, order[i].name, strlen(order[i].name) + 1);
		len = strlen(buf);
	}
}

const char *binder_pv_phase_name(enum pv_phase p)
{
	switch (p) {
	case PV_PENDING:
		return "Pending";
	case PV_AVAILABLE:
		return "Available";
	case PV_BOUND:
		return "Bound";
	case PV_RELEASED:
		return "Released";
	case PV_FAILED:
		return "Failed";
	}
	return "Unknown";
}

const char *binder_pvc_phase_name(enum pvc_phase p)
{
	switch (p) {
	case PVC_PENDING:
		return "Pending";
	case PVC_BOUND:
		return "Bound";
	case PVC_LOST:
		return "Lost";
	}
	return "Unknown";
}
