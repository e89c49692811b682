/*
 * test_binder.c - the PV controller's binder over hand-filled tables.
 *
 * Each test builds a small world of PersistentVolumes, claims and classes
 * the way the cluster layer fills it (a PV's claimRef as the manifest or
 * STATE has it, a claim's class and volumeName as its spec has them), runs
 * the binder and checks the tables and events against SPEC 7.5 and 12.
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

/* Events about @name with @reason (and @message unless NULL). */
static unsigned events(const struct fx *f, const char *name,
		       const char *reason, const char *message)
{
	unsigned n = 0;

	for (size_t i = 0; i < f->n_ev; i++) {
		const struct event *e = &f->ev[i];

		if (strcmp(e->name, name) == 0 &&
		    strcmp(e->reason, reason) == 0 &&
		    (!message || strcmp(e->message, message) == 0))
			n++;
	}
	return n;
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

static void set_policy(struct fx *f, struct binder_pv *pv, const char *policy)
{
	f->spv[pv - f->pv].reclaim_policy = dup(f, policy);
}

/* claimRef as the PV's status has it now (from STATE, say). */
static void set_ref(struct binder_pv *pv, const char *ns, const char *name,
		    const char *uid)
{
	pv->has_claim_ref = true;
	snprintf(pv->claim_ref.namespace, sizeof(pv->claim_ref.namespace),
		 "%s", ns);
	snprintf(pv->claim_ref.name, sizeof(pv->claim_ref.name), "%s", name);
	snprintf(pv->claim_ref.uid, sizeof(pv->claim_ref.uid), "%s", uid);
}

/* The user's pre-binding in the manifest, copied to the status at load. */
static void prebind(struct fx *f, struct binder_pv *pv, const char *name)
{
	struct spec_pv *s = &f->spv[pv - f->pv];

	s->has_claim_ref = true;
	s->claim_ref.namespace = dup(f, "default");
	s->claim_ref.name = dup(f, name);
	s->claim_ref.uid = dup(f, "");
	set_ref(pv, "default", name, "");
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

/* spec.volumeName in the claim's manifest. */
static void want_volume(struct fx *f, struct binder_pvc *c, const char *pv)
{
	struct spec_pvc *s = (struct spec_pvc *)c->spec;

	s->volume_name = dup(f, pv);
	snprintf(c->volume_name, sizeof(c->volume_name), "%s", pv);
}

static struct binder_pvc *claim(struct fx *f, const char *name)
{
	for (size_t i = 0; i < f->w.n_pvcs; i++)
		if (strcmp(f->pvc[i].spec->name, name) == 0)
			return &f->pvc[i];
	fail_msg("no claim \"%s\"", name);
	return NULL;
}

/* The claim is deleted: it leaves the table. */
static void remove_pvc(struct fx *f, const char *name)
{
	struct binder_pvc *c = claim(f, name);
	size_t i = (size_t)(c - f->pvc);

	memmove(&f->pvc[i], &f->pvc[i + 1],
		(f->w.n_pvcs - i - 1) * sizeof(f->pvc[0]));
	f->w.n_pvcs--;
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

/* ----- checking it ----- */

static void assert_bound(const struct binder_pv *pv,
			 const struct binder_pvc *c)
{
	if (pv->phase != PV_BOUND || c->phase != PVC_BOUND)
		fail_msg("%s is %s, %s is %s", pv->spec->name,
			 binder_pv_phase_name(pv->phase), c->spec->name,
			 binder_pvc_phase_name(c->phase));
	assert_true(pv->has_claim_ref);
	assert_string_equal(pv->claim_ref.namespace, c->spec->namespace);
	assert_string_equal(pv->claim_ref.name, c->spec->name);
	assert_string_equal(pv->claim_ref.uid, c->uid);
	assert_string_equal(c->volume_name, pv->spec->name);
	assert_true(c->bind_completed);
	assert_false(c->wants_volume);
	assert_int_equal(c->access_modes, pv->spec->access_modes);
	assert_int_equal(quantity_cmp(&c->capacity, &pv->spec->capacity), 0);
}

static void assert_unbound(const struct binder_pvc *c)
{
	if (c->phase != PVC_PENDING || c->volume_name[0] || c->bind_completed)
		fail_msg("%s: %s, volumeName \"%s\"", c->spec->name,
			 binder_pvc_phase_name(c->phase), c->volume_name);
}

/* Runs the binder and checks that the result is settled. */
static unsigned run(struct fx *f)
{
	unsigned changes = binder_run(&f->w);
	size_t n_ev = f->n_ev;

	assert_int_equal(binder_run(&f->w), 0);
	f->n_ev = n_ev;
	return changes;
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

/* ----- syncVolume ----- */

static void test_binder__pv_available_or_reserved(void **state)
{
	struct fx *f = *state;
	struct binder_pv *a = add_pv(f, "a", "2Gi", SPEC_RWO, "");
	struct binder_pv *b = add_pv(f, "b", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c;

	prebind(f, b, "who");
	assert_true(run(f) > 0);
	assert_int_equal(a->phase, PV_AVAILABLE);
	assert_int_equal(b->phase, PV_AVAILABLE);
	assert_true(a->phase_time == 1000 && b->phase_time == 1000);
	/* b is smaller but kept for "who" */
	c = add_pvc(f, "other", "1Gi", SPEC_RWO, "");
	run(f);
	assert_bound(a, c);
	assert_int_equal(b->phase, PV_AVAILABLE);
	assert_string_equal(b->claim_ref.name, "who");
	assert_string_equal(b->claim_ref.uid, "");
}

static void test_binder__retain_keeps_released(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");

	run(f);
	assert_bound(pv, c);
	f->w.now = 2000;
	remove_pvc(f, "c");
	run(f);
	assert_int_equal(pv->phase, PV_RELEASED);
	assert_true(pv->phase_time == 2000);
	assert_string_equal(pv->claim_ref.uid, "uid-c");
	/* the same name again is a new claim: it does not bind */
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	snprintf(c->uid, sizeof(c->uid), "uid-c-2");
	run(f);
	assert_unbound(c);
	assert_int_equal(pv->phase, PV_RELEASED);
	assert_string_equal(pv->claim_ref.uid, "uid-c");
	assert_int_equal(events(f, "c", "FailedBinding", NULL), 1);
}

static void test_binder__claim_replaced_releases(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");

	run(f);
	assert_bound(pv, c);
	/* deleted and made again between two runs: a new uid, no volume */
	snprintf(c->uid, sizeof(c->uid), "uid-c-2");
	c->volume_name[0] = '\0';
	c->bind_completed = false;
	c->bound_by_controller = false;
	c->phase = PVC_PENDING;
	run(f);
	assert_int_equal(pv->phase, PV_RELEASED);
	assert_string_equal(pv->claim_ref.uid, "uid-c");
	assert_unbound(c);
}

static void test_binder__unknown_reclaim_policy(void **state)
{
	struct fx *f = *state;
	static const char msg[] =
		"Volume has unrecognized PersistentVolumeReclaimPolicy";
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");

	set_policy(f, pv, "Scrub");
	add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	run(f);
	assert_int_equal(pv->phase, PV_BOUND);
	remove_pvc(f, "c");
	binder_run(&f->w);
	binder_run(&f->w);
	assert_int_equal(pv->phase, PV_FAILED);
	assert_string_equal(pv->reason, msg);
	assert_int_equal(events(f, "pv", "VolumeUnknownReclaimPolicy", msg),
			 1);
	assert_string_equal(f->ev[f->n_ev - 1].kind, "PersistentVolume");
	assert_string_equal(f->ev[f->n_ev - 1].ns, "");
	assert_string_equal(f->ev[f->n_ev - 1].type, "Warning");
}

static void test_binder__volume_mode_mismatch(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c;

	f->spv[0].block = true;
	set_ref(pv, "default", "c", "uid-c");
	pv->bound_by_controller = true;
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	run(f);
	assert_unbound(c);
	assert_int_equal(pv->phase, PV_PENDING);
	assert_int_equal(events(f, "pv", "VolumeMismatch",
				"Cannot bind PersistentVolume to requested PersistentVolumeClaim \"c\" due to incompatible volumeMode."),
			 1);
	assert_int_equal(events(f, "c", "VolumeMismatch",
				"Cannot bind PersistentVolume \"pv\" to requested PersistentVolumeClaim due to incompatible volumeMode."),
			 1);
}

static void test_binder__claim_bound_elsewhere(void **state)
{
	struct fx *f = *state;
	struct binder_pv *ctl = add_pv(f, "p-ctl", "1Gi", SPEC_RWO, "");
	struct binder_pv *dyn = add_pv(f, "p-dyn", "1Gi", SPEC_RWO, "");
	struct binder_pv *kept = add_pv(f, "p-kept", "1Gi", SPEC_RWO, "");
	struct binder_pv *real = add_pv(f, "p-real", "1Gi", SPEC_RWO, "");
	struct binder_pv *user = add_pv(f, "p-user", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");

	want_volume(f, c, "p-real");
	set_ref(ctl, "default", "c", "uid-c");
	ctl->bound_by_controller = true;
	set_ref(dyn, "default", "c", "uid-c");
	dyn->bound_by_controller = true;
	dyn->provisioned_by = "podvolfs.io/local";
	set_policy(f, dyn, "Delete");
	set_ref(kept, "default", "c", "uid-c");
	kept->bound_by_controller = true;
	kept->provisioned_by = "podvolfs.io/local";
	prebind(f, user, "c");
	set_ref(user, "default", "c", "uid-c");
	run(f);
	assert_bound(real, c);
	/* provisioned for the claim, not needed: released to be deleted */
	assert_int_equal(dyn->phase, PV_RELEASED);
	assert_string_equal(dyn->claim_ref.uid, "uid-c");
	/* provisioned but Retain: undone like any controller's claimRef */
	assert_int_equal(kept->phase, PV_AVAILABLE);
	assert_false(kept->has_claim_ref);
	/* the controller's own claimRef is undone */
	assert_int_equal(ctl->phase, PV_AVAILABLE);
	assert_false(ctl->has_claim_ref);
	assert_false(ctl->bound_by_controller);
	/* the user's stays, without the uid */
	assert_int_equal(user->phase, PV_AVAILABLE);
	assert_true(user->has_claim_ref);
	assert_string_equal(user->claim_ref.name, "c");
	assert_string_equal(user->claim_ref.uid, "");
}

/* ----- syncClaim and findBestMatch ----- */

static void test_binder__binds_smallest(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv[4];
	struct binder_pvc *c;

	pv[0] = add_pv(f, "a", "5Gi", SPEC_RWO, "");
	pv[1] = add_pv(f, "b", "2Gi", SPEC_RWO, "");
	pv[2] = add_pv(f, "c", "3Gi", SPEC_RWO, "");
	pv[3] = add_pv(f, "d", "2Gi", SPEC_RWO, "");
	c = add_pvc(f, "data", "1500Mi", SPEC_RWO, "");
	assert_true(run(f) > 0);
	/* the smallest; of two equal ones the first by name */
	assert_bound(pv[1], c);
	assert_true(pv[1]->bound_by_controller);
	assert_true(c->bound_by_controller);
	/* status.capacity is the PV's, not the request */
	assert_int_equal(quantity_cmp(&c->capacity, &f->spv[1].capacity), 0);
	assert_true(pv[1]->phase_time == 1000 && c->phase_time == 1000);
	assert_int_equal(pv[0]->phase, PV_AVAILABLE);
	assert_int_equal(pv[2]->phase, PV_AVAILABLE);
	assert_int_equal(pv[3]->phase, PV_AVAILABLE);
	assert_int_equal(f->n_ev, 0);
}

static void test_binder__fewest_modes_before_smallest(void **state)
{
	struct fx *f = *state;
	struct binder_pv *rwx = add_pv(f, "a-rwx", "1Gi",
				       SPEC_RWO | SPEC_ROX | SPEC_RWX, "");
	struct binder_pv *rox = add_pv(f, "b-rox", "2Gi", SPEC_RWO | SPEC_ROX,
				       "");
	struct binder_pv *rwo = add_pv(f, "c-rwo", "10Gi", SPEC_RWO, "");
	struct binder_pvc *one = add_pvc(f, "one", "1Gi", SPEC_RWO, "");
	struct binder_pvc *two = add_pvc(f, "two", "1Gi", SPEC_RWO, "");
	struct binder_pvc *three = add_pvc(f, "three", "1Gi", SPEC_RWO, "");

	run(f);
	assert_bound(rwo, one);
	assert_bound(rox, two);
	assert_bound(rwx, three);
	assert_int_equal(two->access_modes, SPEC_RWO | SPEC_ROX);
}

static void test_binder__exact_quantities(void **state)
{
	struct fx *f = *state;
	struct binder_pv *g = add_pv(f, "pv-1g", "1G", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	struct binder_pv *gi;
	struct binder_pvc *d;

	run(f);
	assert_unbound(c);
	assert_int_equal(g->phase, PV_AVAILABLE);
	gi = add_pv(f, "pv-1gi", "1Gi", SPEC_RWO, "");
	d = add_pvc(f, "d", "1G", SPEC_RWO, "");
	run(f);
	assert_bound(gi, c);
	assert_bound(g, d);
}

static void test_binder__prebound_pv_skips_checks(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "gold");
	struct binder_pv *rel = add_pv(f, "pv-released", "1Gi", SPEC_RWO, "");
	struct binder_pv *small = add_pv(f, "pv-small", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c2 = add_pvc(f, "c2", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c3 = add_pvc(f, "c3", "2Gi", SPEC_RWO, "");

	/* other class, unmatched selector: still taken */
	prebind(f, pv, "c");
	sel_labels(f, c, "tier=x", NULL);
	/* not Available: still taken */
	set_ref(rel, "default", "c2", "uid-c2");
	rel->phase = PV_RELEASED;
	/* too small: the size is still checked */
	prebind(f, small, "c3");
	run(f);
	assert_bound(pv, c);
	assert_false(pv->bound_by_controller);
	assert_true(c->bound_by_controller);
	assert_bound(rel, c2);
	assert_unbound(c3);
	assert_int_equal(small->phase, PV_AVAILABLE);
}

static void test_binder__volume_name_checks(void **state)
{
	static const struct {
		const char *claim;
		const char *message;
	} t[] = {
		{ "c-block", "Cannot bind to requested volume \"pv-block\": incompatible volumeMode" },
		{ "c-del", "Cannot bind to requested volume \"pv-del\": the volume is marked for deletion \"pv-del\"" },
		{ "c-gold", "Cannot bind to requested volume \"pv-gold\": storageClassName does not match" },
		{ "c-rox", "Cannot bind to requested volume \"pv-rox\": incompatible accessMode" },
		{ "c-small", "Cannot bind to requested volume \"pv-small\": requested PV is too small" },
	};
	struct fx *f = *state;
	struct binder_pv *ok;
	struct binder_pvc *c;

	add_pv(f, "pv-block", "5Gi", SPEC_RWO, "");
	f->spv[0].block = true;
	add_pv(f, "pv-del", "5Gi", SPEC_RWO, "")->deleting = true;
	add_pv(f, "pv-gold", "5Gi", SPEC_RWO, "gold");
	ok = add_pv(f, "pv-ok", "5Gi", SPEC_RWO, "");
	pv_labels(f, ok, "tier=bronze", NULL);
	add_pv(f, "pv-rox", "5Gi", SPEC_ROX, "");
	add_pv(f, "pv-small", "1Gi", SPEC_RWO, "");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		want_volume(f, add_pvc(f, t[i].claim, "2Gi", SPEC_RWO, ""),
			    t[i].claim[2] == 'b' ? "pv-block" :
			    t[i].claim[2] == 'd' ? "pv-del" :
			    t[i].claim[2] == 'g' ? "pv-gold" :
			    t[i].claim[2] == 'r' ? "pv-rox" : "pv-small");
	/* the selector is not looked at */
	c = add_pvc(f, "c-ok", "2Gi", SPEC_RWO, "");
	sel_labels(f, c, "tier=gold", NULL);
	want_volume(f, c, "pv-ok");
	run(f);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = claim(f, t[i].claim);
		assert_int_equal(c->phase, PVC_PENDING);
		assert_false(c->bind_completed);
		if (events(f, t[i].claim, "VolumeMismatch", t[i].message) != 1)
			fail_msg("%s: no event \"%s\"", t[i].claim,
				 t[i].message);
		assert_int_equal(f->pv[0].phase, PV_AVAILABLE);
	}
	c = claim(f, "c-ok");
	assert_bound(ok, c);
	/* the user named the volume; the controller set the claimRef */
	assert_false(c->bound_by_controller);
	assert_true(ok->bound_by_controller);
}

static void test_binder__volume_name_taken_or_missing(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *a = add_pvc(f, "a", "1Gi", SPEC_RWO, "");
	struct binder_pvc *b = add_pvc(f, "b", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	struct binder_pv *later;

	want_volume(f, a, "pv");
	want_volume(f, b, "pv");
	want_volume(f, c, "x-later");
	run(f);
	assert_bound(pv, a);
	assert_int_equal(b->phase, PVC_PENDING);
	assert_string_equal(b->volume_name, "pv");
	assert_int_equal(events(f, "b", "FailedBinding",
				"volume \"pv\" already bound to a different claim."),
			 1);
	assert_int_equal(c->phase, PVC_PENDING);
	assert_int_equal(events(f, "c", "FailedBinding", NULL), 0);
	later = add_pv(f, "x-later", "1Gi", SPEC_RWO, "");
	run(f);
	assert_bound(later, c);
}

static void test_binder__volume_name_both_ways(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "other");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");

	/* pre-bound on both sides: no class check, nobody's annotation */
	prebind(f, pv, "c");
	want_volume(f, c, "pv");
	run(f);
	assert_bound(pv, c);
	assert_false(pv->bound_by_controller);
	assert_false(c->bound_by_controller);
}

static void test_binder__nil_class_gets_default(void **state)
{
	struct fx *f = *state;
	struct binder_pvc *c;
	struct binder_pv *pv;

	add_class(f, "older", false, true, 100);
	add_class(f, "std", false, true, 200);
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, NULL);
	run(f);
	assert_true(c->has_storage_class);
	assert_string_equal(c->storage_class, "std");
	assert_true(c->wants_volume);
	assert_unbound(c);
	/* now "std": a class-less PV is no longer its match */
	pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	run(f);
	assert_unbound(c);
	assert_int_equal(pv->phase, PV_AVAILABLE);
}

static void test_binder__nil_class_without_default(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c;

	add_class(f, "plain", false, false, 100);
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, NULL);
	run(f);
	assert_bound(pv, c);
	assert_false(c->has_storage_class);
}

static void test_binder__empty_class_matches_empty_only(void **state)
{
	struct fx *f = *state;
	struct binder_pv *fast = add_pv(f, "pv-fast", "1Gi", SPEC_RWO, "fast");
	struct binder_pvc *none = add_pvc(f, "none", "1Gi", SPEC_RWO, "");
	struct binder_pvc *want_fast;
	struct binder_pv *bare;

	add_class(f, "fast", false, true, 100);
	run(f);
	assert_unbound(none);
	assert_false(none->wants_volume);
	assert_int_equal(events(f, "none", "FailedBinding",
				"no persistent volumes available for this claim and no storage class is set"),
			 1);
	assert_string_equal(f->ev[0].kind, "PersistentVolumeClaim");
	assert_string_equal(f->ev[0].ns, "default");
	assert_string_equal(f->ev[0].type, "Normal");
	bare = add_pv(f, "pv-none", "5Gi", SPEC_RWO, "");
	want_fast = add_pvc(f, "want-fast", "1Gi", SPEC_RWO, "fast");
	run(f);
	assert_bound(bare, none);
	assert_bound(fast, want_fast);
}

static void test_binder__provisioning(void **state)
{
	struct fx *f = *state;
	struct binder_pvc *c;
	struct binder_pv *pv;

	add_class(f, "local", false, false, 100);
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "local");
	run(f);
	assert_unbound(c);
	assert_true(c->wants_volume);
	assert_int_equal(f->n_ev, 0);
	/* what the cluster makes for it */
	pv = add_pv(f, "pvc-uid-c", "1Gi", SPEC_RWO, "local");
	set_policy(f, pv, "Delete");
	pv->provisioned_by = "podvolfs.io/local";
	set_ref(pv, "default", "c", "uid-c");
	pv->bound_by_controller = true;
	run(f);
	assert_bound(pv, c);
	assert_false(c->wants_volume);
	assert_true(c->bound_by_controller);
}

static void test_binder__wait_for_first_consumer(void **state)
{
	struct fx *f = *state;
	struct binder_pv *there = add_pv(f, "pv-a-there", "1Gi", SPEC_RWO,
					 "wffc");
	struct binder_pv *here = add_pv(f, "pv-b-here", "2Gi", SPEC_RWO, "wffc");
	struct binder_pvc *c;
	struct binder_pvc *d;

	pin_to_node(f, there, "node2");
	pin_to_node(f, here, "node1");
	add_class(f, "wffc", true, false, 100);
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "wffc");
	run(f);
	assert_unbound(c);
	assert_false(c->wants_volume);
	assert_int_equal(here->phase, PV_AVAILABLE);
	assert_int_equal(events(f, "c", "WaitForFirstConsumer",
				"waiting for first consumer to be created before binding"),
			 1);
	/* a pod here: the scheduler's path, node affinity checked */
	c->has_consumer = true;
	run(f);
	assert_bound(here, c);
	assert_int_equal(there->phase, PV_AVAILABLE);
	/* nothing left here: provision for this node */
	f->n_ev = 0;
	d = add_pvc(f, "d", "1Gi", SPEC_RWO, "wffc");
	d->has_consumer = true;
	run(f);
	assert_unbound(d);
	assert_true(d->wants_volume);
	assert_int_equal(events(f, "d", "WaitForFirstConsumer", NULL), 0);
}

static void test_binder__wffc_scheduler_path(void **state)
{
	struct fx *f = *state;
	struct binder_pv *a = add_pv(f, "a", "1Gi", SPEC_RWO | SPEC_ROX, "w");
	struct binder_pv *b = add_pv(f, "b", "5Gi", SPEC_RWO, "w");
	struct binder_pvc *rwo;
	struct binder_pvc *rwx;

	add_class(f, "w", true, false, 100);
	rwx = add_pvc(f, "rwx", "1Gi", SPEC_RWX, "w");
	rwo = add_pvc(f, "rwo", "1Gi", SPEC_RWO, "w");
	rwx->has_consumer = true;
	rwo->has_consumer = true;
	run(f);
	/* one search over every PV: the smallest, whatever its modes */
	assert_bound(a, rwo);
	/* access modes are checked there */
	assert_unbound(rwx);
	assert_true(rwx->wants_volume);
	assert_int_equal(b->phase, PV_AVAILABLE);
}

static void test_binder__wffc_prebound(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "w");
	struct binder_pvc *c;

	add_class(f, "w", true, false, 100);
	pin_to_node(f, pv, "node2");
	prebind(f, pv, "c");
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "w");
	/* the controller binds a pre-bound PV with no pod and no node check */
	run(f);
	assert_bound(pv, c);
}

static void test_binder__n_pvs_m_claims(void **state)
{
	static const struct {
		size_t pvs;
		size_t claims;
	} t[] = { { 5, 3 }, { 3, 5 }, { 4, 4 }, { 0, 2 }, { 2, 0 } };

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		size_t want = t[k].pvs < t[k].claims ? t[k].pvs : t[k].claims;
		size_t bound_pvs = 0;
		size_t bound_claims = 0;
		char name[32];
		struct fx *f;

		teardown(state);
		assert_int_equal(setup(state), 0);
		f = *state;
		for (size_t i = 0; i < t[k].pvs; i++) {
			snprintf(name, sizeof(name), "pv-%zu", i);
			add_pv(f, name, "1Gi", SPEC_RWO, "");
		}
		for (size_t i = 0; i < t[k].claims; i++) {
			snprintf(name, sizeof(name), "c-%zu", i);
			add_pvc(f, name, "1Gi", SPEC_RWO, "");
		}
		run(f);
		for (size_t i = 0; i < f->w.n_pvs; i++)
			bound_pvs += f->pv[i].phase == PV_BOUND;
		for (size_t i = 0; i < f->w.n_pvcs; i++) {
			struct binder_pvc *c = &f->pvc[i];

			if (c->phase != PVC_BOUND)
				continue;
			bound_claims++;
			for (size_t j = 0; j < i; j++)
				assert_string_not_equal(c->volume_name,
							f->pvc[j].volume_name);
		}
		assert_int_equal(bound_pvs, want);
		assert_int_equal(bound_claims, want);
	}
}

static void test_binder__rwop(void **state)
{
	struct fx *f = *state;
	struct binder_pv *op = add_pv(f, "a-rwop", "1Gi", SPEC_RWOP, "");
	struct binder_pv *rwo = add_pv(f, "b-rwo", "1Gi", SPEC_RWO, "");
	struct binder_pvc *w = add_pvc(f, "w", "1Gi", SPEC_RWO, "");
	struct binder_pvc *o = add_pvc(f, "o", "1Gi", SPEC_RWOP, "");
	struct binder_pvc *o2 = add_pvc(f, "o2", "1Gi", SPEC_RWOP, "");

	run(f);
	assert_bound(rwo, w);
	assert_bound(op, o);
	assert_int_equal(o->access_modes, SPEC_RWOP);
	assert_unbound(o2);
}

static void test_binder__selector_in_matching(void **state)
{
	struct fx *f = *state;
	struct binder_pv *bronze = add_pv(f, "a-bronze", "1Gi", SPEC_RWO, "");
	struct binder_pv *gold = add_pv(f, "b-gold", "5Gi", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	struct binder_pvc *d = add_pvc(f, "d", "1Gi", SPEC_RWO, "");

	pv_labels(f, bronze, "tier=bronze", NULL);
	pv_labels(f, gold, "tier=gold", NULL);
	sel_labels(f, c, "tier=gold", NULL);
	sel_expr(f, d, "tier", SPEC_OP_IN, "platinum", NULL);
	run(f);
	assert_bound(gold, c);
	assert_unbound(d);
	assert_int_equal(bronze->phase, PV_AVAILABLE);
}

/* A claim bound once (bind-completed) to @volume: Bound, 1Gi, RWO. */
static struct binder_pvc *bound_claim(struct fx *f, const char *name,
				      const char *volume)
{
	struct binder_pvc *c = add_pvc(f, name, "1Gi", SPEC_RWO, "");

	snprintf(c->volume_name, sizeof(c->volume_name), "%s", volume);
	c->bind_completed = true;
	c->bound_by_controller = true;
	c->phase = PVC_BOUND;
	c->capacity = qty("1Gi");
	c->access_modes = SPEC_RWO;
	return c;
}

static void test_binder__lost(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *a = bound_claim(f, "a", "");
	struct binder_pvc *b = bound_claim(f, "b", "x-gone");
	struct binder_pvc *c = bound_claim(f, "c", "pv");
	struct binder_pv *back;

	set_ref(pv, "default", "someone", "uid-someone");
	pv->phase = PV_BOUND;
	f->w.now = 5000;
	binder_run(&f->w);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(f->pvc[i].phase, PVC_LOST);
		assert_true(f->pvc[i].phase_time == 5000);
		assert_int_equal(f->pvc[i].access_modes, 0);
		assert_true(f->pvc[i].capacity.nanos == 0);
	}
	assert_int_equal(events(f, "a", "ClaimLost",
				"Bound claim has lost reference to PersistentVolume. Data on the volume is lost!"),
			 1);
	assert_int_equal(events(f, "b", "ClaimLost",
				"Bound claim has lost its PersistentVolume. Data on the volume is lost!"),
			 1);
	assert_int_equal(events(f, "c", "ClaimMisbound",
				"Two claims are bound to the same volume, this one is bound incorrectly"),
			 1);
	assert_string_equal(f->ev[0].type, "Warning");
	/* terminal: the volume coming back changes nothing */
	back = add_pv(f, "x-gone", "1Gi", SPEC_RWO, "");
	set_ref(back, "default", "b", "uid-b");
	binder_run(&f->w);
	assert_int_equal(b->phase, PVC_LOST);
	assert_int_equal(a->phase, PVC_LOST);
	assert_int_equal(c->phase, PVC_LOST);
	assert_int_equal(events(f, "b", "ClaimLost", NULL), 1);
}

static void test_binder__repairs_interrupted_binds(void **state)
{
	struct fx *f = *state;
	struct binder_pv *spare = add_pv(f, "p0-spare", "1Gi", SPEC_RWO, "");
	struct binder_pv *p[5];
	struct binder_pvc *c[5];
	char name[16];

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "p%d", i + 1);
		p[i] = add_pv(f, name, "2Gi", SPEC_RWO, "");
		snprintf(name, sizeof(name), "c%d", i + 1);
		c[i] = add_pvc(f, name, "1Gi", SPEC_RWO, "");
	}
	/* 1: the PV's claimRef written, nothing else */
	set_ref(p[0], "default", "c1", "uid-c1");
	p[0]->bound_by_controller = true;
	p[0]->phase = PV_AVAILABLE;
	/* 1, 2: the PV Bound too */
	set_ref(p[1], "default", "c2", "uid-c2");
	p[1]->bound_by_controller = true;
	p[1]->phase = PV_BOUND;
	/* 1, 2, 3: the claim's volumeName, not its status */
	set_ref(p[2], "default", "c3", "uid-c3");
	p[2]->bound_by_controller = true;
	p[2]->phase = PV_BOUND;
	snprintf(c[2]->volume_name, sizeof(c[2]->volume_name), "p3");
	c[2]->bound_by_controller = true;
	c[2]->bind_completed = true;
	/* the claim bound, the PV's claimRef lost */
	snprintf(c[3]->volume_name, sizeof(c[3]->volume_name), "p4");
	c[3]->bound_by_controller = true;
	c[3]->bind_completed = true;
	c[3]->phase = PVC_BOUND;
	c[3]->capacity = qty("2Gi");
	c[3]->access_modes = SPEC_RWO;
	/* volumeName written without bind-completed */
	set_ref(p[4], "default", "c5", "uid-c5");
	p[4]->bound_by_controller = true;
	snprintf(c[4]->volume_name, sizeof(c[4]->volume_name), "p5");
	c[4]->bound_by_controller = true;
	run(f);
	for (int i = 0; i < 5; i++)
		assert_bound(p[i], c[i]);
	assert_true(p[3]->bound_by_controller);
	/* the smaller spare came first and was passed over for p1 */
	assert_int_equal(spare->phase, PV_AVAILABLE);
	assert_false(spare->has_claim_ref);
}

static void test_binder__recycle_user_prebound(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c;
	struct binder_pvc *other;

	set_policy(f, pv, "Recycle");
	prebind(f, pv, "c");
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	run(f);
	assert_bound(pv, c);
	assert_false(pv->bound_by_controller);
	remove_pvc(f, "c");
	run(f);
	assert_int_equal(pv->phase, PV_RELEASED);
	f->w.now = 3000;
	binder_recycled(&f->w, pv);
	assert_int_equal(pv->phase, PV_AVAILABLE);
	assert_true(pv->phase_time == 3000);
	assert_true(pv->has_claim_ref);
	assert_string_equal(pv->claim_ref.name, "c");
	assert_string_equal(pv->claim_ref.uid, "");
	assert_int_equal(events(f, "pv", "VolumeRecycled", "Volume recycled"),
			 1);
	/* reserved again for the name "c", whatever its uid */
	other = add_pvc(f, "another", "1Gi", SPEC_RWO, "");
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	snprintf(c->uid, sizeof(c->uid), "uid-c-2");
	run(f);
	assert_unbound(other);
	assert_bound(pv, c);
}

static void test_binder__recycle_controller_bound(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *d;

	set_policy(f, pv, "Recycle");
	add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	run(f);
	assert_true(pv->bound_by_controller);
	remove_pvc(f, "c");
	run(f);
	assert_int_equal(pv->phase, PV_RELEASED);
	binder_recycled(&f->w, pv);
	assert_int_equal(pv->phase, PV_AVAILABLE);
	assert_false(pv->has_claim_ref);
	assert_false(pv->bound_by_controller);
	d = add_pvc(f, "d", "1Gi", SPEC_RWO, "");
	run(f);
	assert_bound(pv, d);
}

static void test_binder__reclaim_failed(void **state)
{
	struct fx *f = *state;
	static const char why[] =
		"host_path deleter only supports /tmp/.+ but received provided /data";
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");

	set_policy(f, pv, "Delete");
	add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	run(f);
	remove_pvc(f, "c");
	run(f);
	assert_int_equal(pv->phase, PV_RELEASED);
	f->w.now = 4000;
	binder_reclaim_failed(&f->w, pv, "VolumeFailedDelete", why);
	binder_reclaim_failed(&f->w, pv, "VolumeFailedDelete", why);
	assert_int_equal(pv->phase, PV_FAILED);
	assert_true(pv->phase_time == 4000);
	assert_string_equal(pv->reason, why);
	assert_int_equal(events(f, "pv", "VolumeFailedDelete", why), 1);
	assert_string_equal(f->ev[f->n_ev - 1].type, "Warning");
	/* a failure is not overwritten by Released */
	assert_int_equal(run(f), 0);
	assert_int_equal(pv->phase, PV_FAILED);
}

static void test_binder__deleting(void **state)
{
	struct fx *f = *state;
	struct binder_pv *del = add_pv(f, "a-del", "1Gi", SPEC_RWO, "");
	struct binder_pv *pre = add_pv(f, "b-pre", "1Gi", SPEC_RWO, "");
	struct binder_pv *ok = add_pv(f, "c-ok", "5Gi", SPEC_RWO, "");
	struct binder_pvc *c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	struct binder_pvc *e = add_pvc(f, "e", "1Gi", SPEC_RWO, "");

	del->deleting = true;
	pre->deleting = true;
	prebind(f, pre, "e");
	run(f);
	assert_bound(ok, c);
	assert_unbound(e);
	/* a claim being deleted keeps its volume */
	c->deleting = true;
	assert_int_equal(binder_run(&f->w), 0);
	assert_bound(ok, c);
}

static void test_binder__phase_times(void **state)
{
	struct fx *f = *state;
	struct binder_pv *pv = add_pv(f, "pv", "1Gi", SPEC_RWO, "");
	struct binder_pvc *c;

	run(f);
	assert_true(pv->phase_time == 1000);
	f->w.now = 2000;
	assert_int_equal(binder_run(&f->w), 0);
	assert_true(pv->phase_time == 1000);
	f->w.now = 3000;
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	run(f);
	assert_bound(pv, c);
	assert_true(pv->phase_time == 3000);
	assert_true(c->phase_time == 3000);
}

static void test_binder__no_event_callback(void **state)
{
	struct fx *f = *state;
	struct binder_pvc *c;

	f->w.event = NULL;
	c = add_pvc(f, "c", "1Gi", SPEC_RWO, "");
	bound_claim(f, "lost", "");
	run(f);
	assert_unbound(c);
	assert_int_equal(claim(f, "lost")->phase, PVC_LOST);
	assert_int_equal(f->n_ev, 0);
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
		T(test_binder__pv_available_or_reserved),
		T(test_binder__retain_keeps_released),
		T(test_binder__claim_replaced_releases),
		T(test_binder__unknown_reclaim_policy),
		T(test_binder__volume_mode_mismatch),
		T(test_binder__claim_bound_elsewhere),
		T(test_binder__binds_smallest),
		T(test_binder__fewest_modes_before_smallest),
		T(test_binder__exact_quantities),
		T(test_binder__prebound_pv_skips_checks),
		T(test_binder__volume_name_checks),
		T(test_binder__volume_name_taken_or_missing),
		T(test_binder__volume_name_both_ways),
		T(test_binder__nil_class_gets_default),
		T(test_binder__nil_class_without_default),
		T(test_binder__empty_class_matches_empty_only),
		T(test_binder__provisioning),
		T(test_binder__wait_for_first_consumer),
		T(test_binder__wffc_scheduler_path),
		T(test_binder__wffc_prebound),
		T(test_binder__n_pvs_m_claims),
		T(test_binder__rwop),
		T(test_binder__selector_in_matching),
		T(test_binder__lost),
		T(test_binder__repairs_interrupted_binds),
		T(test_binder__recycle_user_prebound),
		T(test_binder__recycle_controller_bound),
		T(test_binder__reclaim_failed),
		T(test_binder__deleting),
		T(test_binder__phase_times),
		T(test_binder__no_event_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
