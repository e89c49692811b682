/*
 * test_binder.c - the PV controller's binder over hand-filled tables.
 *
 * Each test builds a small world of PersistentVolumes, claims and classes
 * the way the cluster layer fills it and checks the binder's predicates
 * against SPEC 7.5 and 8.2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/binder.h"

#define MAX_OBJS 16
#define MAX_EVENTS 64

struct event {
	char kind[32];
	char ns[BINDER_NAME_LEN];
	char name[BINDER_NAME_LEN];
	char type[16];
	char reason[64];
	char message[1024];
};

struct fx {
	struct binder_world w;
	struct spec_pv spv[MAX_OBJS];
	struct binder_pv pv[MAX_OBJS];
	struct spec_pvc spvc[MAX_OBJS];
	size_t n_spvc;
	struct binder_pvc pvc[MAX_OBJS];
	struct spec_storage_class ssc[MAX_OBJS];
	struct binder_class sc[MAX_OBJS];
	struct spec_kv kv[64];
	size_t n_kv;
	struct spec_requirement req[32];
	size_t n_req;
	char *vals[64];
	size_t n_vals;
	struct spec_node_term terms[8];
	size_t n_terms;
	char arena[16384];
	size_t used;
	struct event ev[MAX_EVENTS];
	size_t n_ev;
};

/* ----- building the world ----- */

static char *dup(struct fx *f, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = f->arena + f->used;

	assert_true(f->used + n <= sizeof(f->arena));
	memcpy(p, s, n);
	f->used += n;
	return p;
}

static struct quantity qty(const char *s)
{
	struct quantity q;
	const char *why = NULL;

	if (quantity_parse(s, &q, &why) != 0)
		fail_msg("quantity \"%s\": %s", s, why);
	return q;
}

static void record(void *arg, const char *kind, const char *ns,
		   const char *name, const char *type, const char *reason,
		   const char *message)
{
	struct fx *f = arg;
	struct event *e;

	assert_true(f->n_ev < MAX_EVENTS);
	e = &f->ev[f->n_ev++];
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->ns, sizeof(e->ns), "%s", ns);
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->type, sizeof(e->type), "%s", type);
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	snprintf(e->message, sizeof(e->message), "%s", message);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->w.pvs = f->pv;
	f->w.pvcs = f->pvc;
	f->w.classes = f->sc;
	f->w.node_name = "node1";
	f->w.now = 1000;
	f->w.event = record;
	f->w.arg = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* A manual PV (reclaim policy Retain), added in name order. */
static struct binder_pv *add_pv(struct fx *f, const char *name,
				const char *size, unsigned modes,
				const char *cls)
{
	size_t i = f->w.n_pvs;
	struct spec_pv *s = &f->spv[i];
	struct binder_pv *pv = &f->pv[i];

	assert_true(i < MAX_OBJS);
	if (i > 0 && strcmp(f->spv[i - 1].name, name) >= 0)
		fail_msg("PVs must be added sorted by name: \"%s\"", name);
	s->name = dup(f, name);
	s->capacity = qty(size);
	s->access_modes = modes;
	s->reclaim_policy = dup(f, "Retain");
	s->storage_class = dup(f, cls);
	s->type = SPEC_PV_HOSTPATH;
	s->source = dup(f, "hostPath");
	s->host_path.path = dup(f, "/tmp/pv");
	s->host_path.type = dup(f, "");
	pv->spec = s;
	pv->phase = PV_PENDING;
	f->w.n_pvs++;
	return pv;
}

/* A claim in "default" with uid "uid-NAME"; @cls NULL for a nil class. */
static struct binder_pvc *add_pvc(struct fx *f, const char *name,
				  const char *size, unsigned modes,
				  const char *cls)
{
	size_t i = f->w.n_pvcs;
	struct spec_pvc *s = &f->spvc[f->n_spvc];
	struct binder_pvc *c = &f->pvc[i];
	char uid[BINDER_UID_LEN];

	assert_true(i < MAX_OBJS && f->n_spvc < MAX_OBJS);
	f->n_spvc++;
	s->namespace = dup(f, "default");
	s->name = dup(f, name);
	s->access_modes = modes;
	s->request = qty(size);
	s->has_storage_class = cls != NULL;
	s->storage_class = dup(f, cls ? cls : "");
	s->volume_name = dup(f, "");
	memset(c, 0, sizeof(*c));
	c->spec = s;
	snprintf(uid, sizeof(uid), "uid-%s", name);
	snprintf(c->uid, sizeof(c->uid), "%s", uid);
	c->has_storage_class = s->has_storage_class;
	snprintf(c->storage_class, sizeof(c->storage_class), "%s",
		 s->storage_class);
	c->phase = PVC_PENDING;
	f->w.n_pvcs++;
	return c;
}

static struct binder_class *add_class(struct fx *f, const char *name,
				      bool wffc, bool is_default,
				      time_t created)
{
	size_t i = f->w.n_classes;
	struct spec_storage_class *s = &f->ssc[i];

	assert_true(i < MAX_OBJS);
	s->name = dup(f, name);
	s->provisioner = dup(f, "podvolfs.io/local");
	s->reclaim_policy = dup(f, "Delete");
	s->wait_for_first_consumer = wffc;
	s->is_default = is_default;
	f->sc[i].spec = s;
	f->sc[i].created = created;
	f->w.n_classes++;
	return &f->sc[i];
}

/* "key=value" strings, NULL-terminated, as one contiguous label list. */
static struct spec_kv *kvs(struct fx *f, size_t *n, va_list ap)
{
	struct spec_kv *first = &f->kv[f->n_kv];
	const char *s;

	*n = 0;
	while ((s = va_arg(ap, const char *))) {
		const char *eq = strchr(s, '=');
		char *key;

		assert_non_null(eq);
		assert_true(f->n_kv < 64);
		key = dup(f, s);
		key[eq - s] = '\0';
		f->kv[f->n_kv].key = key;
		f->kv[f->n_kv].value = key + (eq - s) + 1;
		f->n_kv++;
		(*n)++;
	}
	return first;
}

static void pv_labels(struct fx *f, struct binder_pv *pv, ...)
{
	struct spec_pv *s = &f->spv[pv - f->pv];
	va_list ap;

	va_start(ap, pv);
	s->labels = kvs(f, &s->n_labels, ap);
	va_end(ap);
}

static void sel_labels(struct fx *f, struct binder_pvc *c, ...)
{
	struct spec_pvc *s = (struct spec_pvc *)c->spec;
	va_list ap;

	va_start(ap, c);
	s->selector.present = true;
	s->selector.match_labels = kvs(f, &s->selector.n_match_labels, ap);
	va_end(ap);
}

/* One requirement with NULL-terminated values, appended to f->req. */
static struct spec_requirement *requirement(struct fx *f, const char *key,
					    enum spec_op op, va_list ap)
{
	struct spec_requirement *r = &f->req[f->n_req++];
	const char *v;

	assert_true(f->n_req <= 32);
	r->key = dup(f, key);
	r->op = op;
	r->values = &f->vals[f->n_vals];
	while ((v = va_arg(ap, const char *))) {
		assert_true(f->n_vals < 64);
		f->vals[f->n_vals++] = dup(f, v);
		r->n_values++;
	}
	return r;
}

/* Appends a requirement; those of one list must be added one after another. */
static void add_req(struct fx *f, struct spec_requirement **list, size_t *n,
		    const char *key, enum spec_op op, va_list ap)
{
	struct spec_requirement *r = requirement(f, key, op, ap);

	if (*n == 0)
		*list = r;
	else
		assert_ptr_equal(&(*list)[*n], r);
	(*n)++;
}

static void sel_expr(struct fx *f, struct binder_pvc *c, const char *key,
		     enum spec_op op, ...)
{
	struct spec_selector *sel = &((struct spec_pvc *)c->spec)->selector;
	va_list ap;

	sel->present = true;
	va_start(ap, op);
	add_req(f, &sel->exprs, &sel->n_exprs, key, op, ap);
	va_end(ap);
}

/* A new nodeSelectorTerm on @pv's required nodeAffinity. */
static struct spec_node_term *node_term(struct fx *f, struct spec_pv *s)
{
	struct spec_node_term *t = &f->terms[f->n_terms++];

	assert_true(f->n_terms <= 8);
	if (s->n_node_terms == 0)
		s->node_terms = t;
	else
		assert_ptr_equal(&s->node_terms[s->n_node_terms], t);
	s->n_node_terms++;
	return t;
}

static void term_expr(struct fx *f, struct spec_node_term *t, const char *key,
		      enum spec_op op, ...)
{
	va_list ap;

	va_start(ap, op);
	add_req(f, &t->exprs, &t->n_exprs, key, op, ap);
	va_end(ap);
}

/* A PV on one node only: kubernetes.io/hostname In [node]. */
static void pin_to_node(struct fx *f, struct binder_pv *pv, const char *node)
{
	term_expr(f, node_term(f, &f->spv[pv - f->pv]),
		  "kubernetes.io/hostname", SPEC_OP_IN, node, NULL);
}

/* ----- the predicates ----- */

static void test_binder__modes_string(void **state)
{
	char buf[24];

	(void)state;
	binder_modes_string(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	binder_modes_string(SPEC_RWO, buf, sizeof(buf));
	assert_string_equal(buf, "RWO");
	binder_modes_string(SPEC_RWX | SPEC_RWO, buf, sizeof(buf));
	assert_string_equal(buf, "RWO,RWX");
	binder_modes_string(SPEC_RWOP | SPEC_ROX, buf, sizeof(buf));
	assert_string_equal(buf, "ROX,RWOP");
	binder_modes_string(SPEC_RWO | SPEC_ROX | SPEC_RWX | SPEC_RWOP, buf,
			    sizeof(buf));
	assert_string_equal(buf, "RWO,ROX,RWX,RWOP");
	binder_modes_string(SPEC_RWO | SPEC_ROX, buf, 6);
	assert_string_equal(buf, "RWO");
}

static void test_binder__phase_names(void **state)
{
	(void)state;
	assert_string_equal(binder_pv_phase_name(PV_PENDING), "Pending");
	assert_string_equal(binder_pv_phase_name(PV_AVAILABLE), "Available");
	assert_string_equal(binder_pv_phase_name(PV_BOUND), "Bound");
	assert_string_equal(binder_pv_phase_name(PV_RELEASED), "Released");
	assert_string_equal(binder_pv_phase_name(PV_FAILED), "Failed");
	assert_string_equal(binder_pvc_phase_name(PVC_PENDING), "Pending");
	assert_string_equal(binder_pvc_phase_name(PVC_BOUND), "Bound");
	assert_string_equal(binder_pvc_phase_name(PVC_LOST), "Lost");
}

static void test_binder__selector(void **state)
{
	struct fx *f = *state;
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	const struct spec_selector *sel = &c->spec->selector;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pv *bare = add_pv(f, "pv-bare", "1Gi", SPEC_RWO, "");

	/* absent: everything matches */
	assert_true(binder_selector_matches(sel, NULL, 0));
	assert_true(binder_selector_matches(NULL, NULL, 0));
	pv_labels(f, pv, "tier=gold", "zone=a", NULL);
	sel_labels(f, c, "tier=gold", NULL);
	assert_true(binder_selector_matches(sel, pv->spec->labels,
					    pv->spec->n_labels));
	assert_false(binder_selector_matches(sel, bare->spec->labels,
					     bare->spec->n_labels));
	sel_expr(f, c, "zone", SPEC_OP_IN, "a", "b", NULL);
	sel_expr(f, c, "disk", SPEC_OP_NOT_IN, "hdd", NULL);
	sel_expr(f, c, "tier", SPEC_OP_EXISTS, NULL);
	sel_expr(f, c, "broken", SPEC_OP_DOES_NOT_EXIST, NULL);
	/* NotIn holds for an absent key, as in apimachinery */
	assert_true(binder_selector_matches(sel, pv->spec->labels,
					    pv->spec->n_labels));
}


static void test_binder__selector_mismatches(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	static const char *const names[] = { "a", "b", "c", "d", "e", "g" };
	struct binder_pvc *c[6];
	struct binder_pvc *empty;

	pv_labels(f, pv, "tier=gold", "zone=a", "rank=5", NULL);
	for (size_t i = 0; i < 6; i++)
		c[i] = add_pvc(f, names[i], "1Gi", SPEC_RWO, "");
	sel_labels(f, c[0], "tier=silver", NULL);
	sel_expr(f, c[1], "zone", SPEC_OP_IN, "b", "c", NULL);
	sel_expr(f, c[2], "zone", SPEC_OP_NOT_IN, "a", NULL);
	sel_expr(f, c[3], "disk", SPEC_OP_EXISTS, NULL);
	sel_expr(f, c[4], "tier", SPEC_OP_DOES_NOT_EXIST, NULL);
	/* label selectors have no Gt: nothing matches */
	sel_expr(f, c[5], "rank", SPEC_OP_GT, "1", NULL);
	for (size_t i = 0; i < 6; i++)
		if (binder_selector_matches(&c[i]->spec->selector,
					    pv->spec->labels,
					    pv->spec->n_labels))
			fail_msg("selector of %s matched", names[i]);
	/* present with nothing in it: everything */
	empty = add_pvc(f, "h", "1Gi", SPEC_RWO, "");
	((struct spec_pvc *)empty->spec)->selector.present = true;
	assert_true(binder_selector_matches(&empty->spec->selector,
					    pv->spec->labels,
					    pv->spec->n_labels));
}

static void test_binder__node_affinity(void **state)
{
	struct fx *f = *state;
	struct spec_pv *s[8];
	struct spec_node_term *t;

	for (int i = 0; i < 8; i++) {
		char name[16];

		snprintf(name, sizeof(name), "pv%d", i);
		s[i] = &f->spv[add_pv(f, name, "1Gi", SPEC_RWO, "") - f->pv];
	}
	/* no affinity: any node */
	assert_true(binder_node_matches(s[0], "node1"));
	pin_to_node(f, &f->pv[1], "node1");
	assert_true(binder_node_matches(s[1], "node1"));
	assert_false(binder_node_matches(s[1], "node2"));
	/* terms are ORed */
	pin_to_node(f, &f->pv[2], "node9");
	pin_to_node(f, &f->pv[2], "node2");
	assert_true(binder_node_matches(s[2], "node2"));
	assert_false(binder_node_matches(s[2], "node1"));
	/* expressions ANDed; the node has no label but its hostname */
	t = node_term(f, s[3]);
	term_expr(f, t, "kubernetes.io/hostname", SPEC_OP_IN, "node1", NULL);
	term_expr(f, t, "topology.kubernetes.io/zone", SPEC_OP_IN, "a", NULL);
	assert_false(binder_node_matches(s[3], "node1"));
	t = node_term(f, s[4]);
	term_expr(f, t, "kubernetes.io/hostname", SPEC_OP_EXISTS, NULL);
	term_expr(f, t, "topology.kubernetes.io/zone", SPEC_OP_DOES_NOT_EXIST,
		  NULL);
	term_expr(f, t, "disk", SPEC_OP_NOT_IN, "hdd", NULL);
	assert_true(binder_node_matches(s[4], "node1"));
	t = node_term(f, s[5]);
	term_expr(f, t, "kubernetes.io/hostname", SPEC_OP_NOT_IN, "node1",
		  NULL);
	assert_false(binder_node_matches(s[5], "node1"));
	assert_true(binder_node_matches(s[5], "node2"));
	/* an empty term matches nothing */
	node_term(f, s[6]);
	assert_false(binder_node_matches(s[6], "node1"));
	/* Gt and Lt compare integers; a name that is not one never matches */
	t = node_term(f, s[7]);
	term_expr(f, t, "kubernetes.io/hostname", SPEC_OP_GT, "10", NULL);
	assert_true(binder_node_matches(s[7], "42"));
	assert_true(binder_node_matches(s[7], "+11"));
	assert_false(binder_node_matches(s[7], "10"));
	assert_false(binder_node_matches(s[7], "7"));
	assert_false(binder_node_matches(s[7], "node1"));
	assert_false(binder_node_matches(s[7], " 42"));
	assert_false(binder_node_matches(s[7], "99999999999999999999"));
	f->req[f->n_req - 1].op = SPEC_OP_LT;
	assert_true(binder_node_matches(s[7], "7"));
	assert_true(binder_node_matches(s[7], "-3"));
	assert_false(binder_node_matches(s[7], "42"));
}

static void test_binder__default_class(void **state)
{
	struct fx *f = *state;
	const struct binder_class *plain;
	const struct binder_class *newest;

	plain = add_class(f, "plain", false, false, 300);
	assert_null(binder_default_class(&f->w));
	add_class(f, "old", false, true, 100);
	assert_string_equal(binder_default_class(&f->w)->spec->name, "old");
	newest = add_class(f, "new", false, true, 200);
	assert_ptr_equal(binder_default_class(&f->w), newest);
	/* same age: the name first in order */
	add_class(f, "zz-tie", false, true, 200);
	assert_ptr_equal(binder_default_class(&f->w), newest);
	add_class(f, "a-tie", false, true, 200);
	assert_string_equal(binder_default_class(&f->w)->spec->name, "a-tie");
	assert_ptr_equal(binder_class_find(&f->w, "plain"), plain);
	assert_null(binder_class_find(&f->w, "missing"));
	assert_null(binder_class_find(&f->w, ""));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binder__modes_string),
		cmocka_unit_test(test_binder__phase_names),
		T(test_binder__selector),
		T(test_binder__selector_mismatches),
		T(test_binder__node_affinity),
		T(test_binder__default_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
