/*
 * binder.c - the PersistentVolume controller's binder (SPEC section 7.5).
 *
 * syncVolume, syncClaim, findBestMatch and bind as pv_controller.go, index.go
 * and component-helpers do them, over the tables of a struct binder_world
 * instead of an API server. Every write the controller would send as an API
 * update is a change to a field here, counted, so that binder_run() can
 * repeat its passes until nothing moves. The controller's asynchronous work
 * (provisioning, deleting, recycling) is not done here: the binder marks
 * what needs it (wants_volume, phase Released or Failed) and the cluster
 * acts. Pure: no I/O, no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "podvolfs/binder.h"

#define KIND_PV "PersistentVolume"
#define KIND_PVC "PersistentVolumeClaim"

/* An event message: two names and some words; a reason: one name. */
#define MSG_LEN (2 * BINDER_NAME_LEN + 128)
#define WHY_LEN (BINDER_NAME_LEN + 64)

/*
 * One binder_run(), or one call from the cluster: the changes it made, and
 * whether the events that describe a state rather than a change are held
 * back (until the last pass, so that a run reports each once, and only
 * for the state it settled in).
 */
struct pass {
	struct binder_world *w;
	unsigned changes;
	bool quiet;
};

static void pv_event(const struct binder_world *w, const struct binder_pv *pv,
		     const char *type, const char *reason, const char *msg)
{
	if (w->event)
		w->event(w->arg, KIND_PV, "", pv->spec->name, type, reason,
			 msg);
}

static void pvc_event(const struct binder_world *w,
		      const struct binder_pvc *c, const char *type,
		      const char *reason, const char *msg)
{
	if (w->event)
		w->event(w->arg, KIND_PVC, c->spec->namespace, c->spec->name,
			 type, reason, msg);
}

/* An event about how a claim stands: reported by the last pass only. */
static void pvc_state_event(const struct pass *p, const struct binder_pvc *c,
			    const char *type, const char *reason,
			    const char *msg)
{
	if (!p->quiet)
		pvc_event(p->w, c, type, reason, msg);
}

/* The claim's class as the controller reads it: nil is "". */
static const char *pvc_class(const struct binder_pvc *c)
{
	return c->has_storage_class ? c->storage_class : "";
}

static bool is_policy(const struct binder_pv *pv, const char *policy)
{
	return strcmp(pv->spec->reclaim_policy, policy) == 0;
}

static bool same_quantity(const struct quantity *a, const struct quantity *b)
{
	return quantity_cmp(a, b) == 0;
}

/* Copies @src into the fixed field @dst; true when that changed it. */
static bool set_name(char *dst, size_t size, const char *src)
{
	if (strcmp(dst, src) == 0)
		return false;
	snprintf(dst, size, "%s", src);
	return true;
}

static struct binder_pv *find_pv(const struct binder_world *w,
				 const char *name)
{
	for (size_t i = 0; i < w->n_pvs; i++)
		if (strcmp(w->pvs[i].spec->name, name) == 0)
			return &w->pvs[i];
	return NULL;
}

static struct binder_pvc *find_claim(const struct binder_world *w,
				     const char *ns, const char *name)
{
	for (size_t i = 0; i < w->n_pvcs; i++) {
		struct binder_pvc *c = &w->pvcs[i];

		if (strcmp(c->spec->namespace, ns) == 0 &&
		    strcmp(c->spec->name, name) == 0)
			return c;
	}
	return NULL;
}

/*
 * IsVolumeBoundToClaim: the claimRef names the claim and its uid, if set,
 * is the claim's. True for a user's pre-binding and for a finished bind.
 */
static bool bound_to_claim(const struct binder_pv *pv,
			   const struct binder_pvc *c)
{
	const struct binder_ref *ref = &pv->claim_ref;

	if (!pv->has_claim_ref)
		return false;
	if (strcmp(ref->namespace, c->spec->namespace) != 0 ||
	    strcmp(ref->name, c->spec->name) != 0)
		return false;
	return ref->uid[0] == '\0' || strcmp(ref->uid, c->uid) == 0;
}

/*
 * updateVolumePhase: a new phase gets the time and the message (the reason
 * of a Failed volume, "" otherwise). True when the phase changed.
 */
static bool pv_set_phase(struct pass *p, struct binder_pv *pv,
			 enum pv_phase phase, const char *reason)
{
	if (pv->phase == phase)
		return false;
	pv->phase = phase;
	pv->phase_time = p->w->now;
	snprintf(pv->reason, sizeof(pv->reason), "%s", reason);
	p->changes++;
	return true;
}

/*
 * updateClaimStatus: the phase, and the PV's access modes and capacity when
 * @pv is given (the capacity only as the claim becomes Bound: an expanded
 * claim keeps its own), or neither when it is NULL.
 */
static void pvc_set_status(struct pass *p, struct binder_pvc *c,
			   enum pvc_phase phase, const struct binder_pv *pv)
{
	static const struct quantity none;
	unsigned modes = pv ? pv->spec->access_modes : 0;

	if (c->access_modes != modes) {
		c->access_modes = modes;
		p->changes++;
	}
	if (!pv && !same_quantity(&c->capacity, &none)) {
		c->capacity = none;
		p->changes++;
	}
	if (pv && c->phase != phase &&
	    !same_quantity(&c->capacity, &pv->spec->capacity)) {
		c->capacity = pv->spec->capacity;
		p->changes++;
	}
	if (c->phase != phase) {
		c->phase = phase;
		c->phase_time = p->w->now;
		p->changes++;
	}
}

/* Step 1 of bind(): the PV's claimRef names the claim, with its uid. */
static void bind_volume_to_claim(struct pass *p, struct binder_pv *pv,
				 const struct binder_pvc *c)
{
	bool user_bound = bound_to_claim(pv, c);
	struct binder_ref *ref = &pv->claim_ref;
	bool changed = !pv->has_claim_ref;

	pv->has_claim_ref = true;
	changed |= set_name(ref->namespace, sizeof(ref->namespace),
			    c->spec->namespace);
	changed |= set_name(ref->name, sizeof(ref->name), c->spec->name);
	changed |= set_name(ref->uid, sizeof(ref->uid), c->uid);
	if (changed)
		p->changes++;
	if (!user_bound && !pv->bound_by_controller) {
		pv->bound_by_controller = true;
		p->changes++;
	}
}

/* Step 3 of bind(): the claim's volumeName and its annotations. */
static void bind_claim_to_volume(struct pass *p, struct binder_pvc *c,
				 const struct binder_pv *pv)
{
	if (set_name(c->volume_name, sizeof(c->volume_name), pv->spec->name)) {
		c->bound_by_controller = true;
		p->changes++;
	}
	if (!c->bind_completed) {
		c->bind_completed = true;
		p->changes++;
	}
}

/*
 * bind(): the four writes of the controller, in its order. Each is a no-op
 * when already done, so a bind interrupted anywhere is finished by calling
 * it again.
 */
static void bind(struct pass *p, struct binder_pv *pv, struct binder_pvc *c)
{
	bind_volume_to_claim(p, pv, c);
	pv_set_phase(p, pv, PV_BOUND, "");
	bind_claim_to_volume(p, c, pv);
	pvc_set_status(p, c, PVC_BOUND, pv);
	if (c->wants_volume) {
		c->wants_volume = false;
		p->changes++;
	}
}

/*
 * unbindVolume: a claimRef the controller set goes; a user's pre-binding
 * loses only its uid and stays reserved for that claim name.
 */
static void unbind_volume(struct pass *p, struct binder_pv *pv)
{
	if (pv->bound_by_controller) {
		pv->has_claim_ref = false;
		memset(&pv->claim_ref, 0, sizeof(pv->claim_ref));
		pv->bound_by_controller = false;
		p->changes++;
	} else if (pv->claim_ref.uid[0]) {
		pv->claim_ref.uid[0] = '\0';
		p->changes++;
	}
	pv_set_phase(p, pv, PV_AVAILABLE, "");
}

/*
 * reclaimVolume: Retain does nothing, Delete and Recycle are the cluster's
 * (it reclaims Released and Failed volumes with those policies), anything
 * else fails the volume.
 */
static void reclaim(struct pass *p, struct binder_pv *pv)
{
	static const char msg[] =
		"Volume has unrecognized PersistentVolumeReclaimPolicy";

	if (is_policy(pv, "Retain") || is_policy(pv, "Delete") ||
	    is_policy(pv, "Recycle"))
		return;
	if (pv_set_phase(p, pv, PV_FAILED, msg))
		pv_event(p->w, pv, BINDER_WARNING, "VolumeUnknownReclaimPolicy",
			 msg);
}

/* Released, unless already Released or Failed (a failure stays visible). */
static void release(struct pass *p, struct binder_pv *pv)
{
	if (pv->phase != PV_RELEASED && pv->phase != PV_FAILED)
		pv_set_phase(p, pv, PV_RELEASED, "");
	reclaim(p, pv);
}

static void volume_mode_mismatch(const struct pass *p,
				 const struct binder_pv *pv,
				 const struct binder_pvc *c)
{
	char msg[MSG_LEN];

	if (p->quiet)
		return;
	snprintf(msg, sizeof(msg),
		 "Cannot bind PersistentVolume to requested PersistentVolumeClaim \"%s\" due to incompatible volumeMode.",
		 c->spec->name);
	pv_event(p->w, pv, BINDER_WARNING, "VolumeMismatch", msg);
	snprintf(msg, sizeof(msg),
		 "Cannot bind PersistentVolume \"%s\" to requested PersistentVolumeClaim due to incompatible volumeMode.",
		 pv->spec->name);
	pvc_event(p->w, c, BINDER_WARNING, "VolumeMismatch", msg);
}

/* syncVolume. */
static void sync_volume(struct pass *p, struct binder_pv *pv)
{
	const struct binder_ref *ref = &pv->claim_ref;
	struct binder_pvc *c;

	if (!pv->has_claim_ref || ref->uid[0] == '\0') {
		pv_set_phase(p, pv, PV_AVAILABLE, "");
		return;
	}
	c = find_claim(p->w, ref->namespace, ref->name);
	if (!c || strcmp(c->uid, ref->uid) != 0) {
		release(p, pv);
		return;
	}
	if (c->volume_name[0] == '\0') {
		/* the bind is syncClaim's to finish, unless it never can */
		if (c->spec->block != pv->spec->block)
			volume_mode_mismatch(p, pv, c);
		return;
	}
	if (strcmp(c->volume_name, pv->spec->name) == 0) {
		pv_set_phase(p, pv, PV_BOUND, "");
		return;
	}
	/* the claim is bound to another volume */
	if (pv->provisioned_by && is_policy(pv, "Delete"))
		release(p, pv);
	else
		unbind_volume(p, pv);
}

/*
 * The matcher of component-helpers (FindMatchingVolume) over the PVs whose
 * access modes are exactly @set, or over all PVs when @set is 0. @node is
 * NULL on the controller's path and this node's name on the scheduler's.
 */
static struct binder_pv *match(const struct binder_world *w,
			       const struct binder_pvc *c, unsigned set,
			       bool delay, const char *node)
{
	const struct spec_pvc *s = c->spec;
	struct binder_pv *best = NULL;

	for (size_t i = 0; i < w->n_pvs; i++) {
		struct binder_pv *pv = &w->pvs[i];
		bool node_ok;

		if (set && pv->spec->access_modes != set)
			continue;
		if (pv->has_claim_ref && !bound_to_claim(pv, c))
			continue;
		if (quantity_cmp(&pv->spec->capacity, &s->request) < 0 ||
		    pv->spec->block != s->block || pv->deleting)
			continue;
		node_ok = !node || binder_node_matches(pv->spec, node);
		/* a pre-bound PV is taken whatever its class, labels, phase */
		if (bound_to_claim(pv, c))
			return node_ok ? pv : NULL;
		if (delay && !node)
			continue;
		if (pv->phase != PV_AVAILABLE ||
		    !binder_selector_matches(&s->selector, pv->spec->labels,
					     pv->spec->n_labels) ||
		    strcmp(pv->spec->storage_class, pvc_class(c)) != 0 ||
		    !node_ok)
			continue;
		if (node && (s->access_modes & ~pv->spec->access_modes))
			continue;
		if (!best || quantity_cmp(&best->spec->capacity,
					  &pv->spec->capacity) > 0)
			best = pv;
	}
	return best;
}

/*
 * findBestMatchForClaim: the access-mode sets that hold every requested
 * mode, fewest modes first, each searched on its own, so a PV with fewer
 * modes wins over a smaller one with more. A delayed claim with a pod on
 * this node then takes the scheduler's path: every PV at once, node
 * affinity and access modes checked.
 */
static struct binder_pv *find_best_match(const struct binder_world *w,
					 const struct binder_pvc *c, bool delay)
{
	unsigned want = c->spec->access_modes;
	unsigned all = SPEC_RWO | SPEC_ROX | SPEC_RWX | SPEC_RWOP;

	for (int n = 1; n <= __builtin_popcount(all); n++) {
		for (unsigned set = 1; set <= all; set++) {
			struct binder_pv *pv;

			if (__builtin_popcount(set) != n ||
			    (set & want) != want)
				continue;
			pv = match(w, c, set, delay, NULL);
			if (pv)
				return pv;
		}
	}
	if (delay && c->has_consumer)
		return match(w, c, 0, delay, w->node_name ? w->node_name : "");
	return NULL;
}

/* IsDelayBindingMode: an existing class with WaitForFirstConsumer. */
static bool delay_binding(const struct binder_world *w,
			  const struct binder_pvc *c)
{
	const struct binder_class *cls;

	if (pvc_class(c)[0] == '\0')
		return false;
	cls = binder_class_find(w, pvc_class(c));
	return cls && cls->spec->wait_for_first_consumer;
}

/* syncUnboundClaim with no volumeName: any matching PV will do. */
static void sync_unbound_claim(struct pass *p, struct binder_pvc *c)
{
	const struct binder_world *w = p->w;
	bool delay = delay_binding(w, c);
	struct binder_pv *pv = find_best_match(w, c, delay);
	const struct binder_class *def;

	if (pv) {
		bind(p, pv, c);
		return;
	}
	def = c->has_storage_class ? NULL : binder_default_class(w);
	if (def) {
		/* retroactive default class; the next pass matches again */
		c->has_storage_class = true;
		set_name(c->storage_class, sizeof(c->storage_class),
			 def->spec->name);
		p->changes++;
		return;
	}
	if (delay && !c->has_consumer) {
		pvc_state_event(p, c, BINDER_NORMAL, "WaitForFirstConsumer",
				"waiting for first consumer to be created before binding");
	} else if (pvc_class(c)[0]) {
		if (!c->wants_volume) {
			c->wants_volume = true;
			p->changes++;
		}
		return;
	} else {
		pvc_state_event(p, c, BINDER_NORMAL, "FailedBinding",
				"no persistent volumes available for this claim and no storage class is set");
	}
	pvc_set_status(p, c, PVC_PENDING, NULL);
}

/*
 * checkVolumeSatisfyClaim, for a claim that names an unclaimed PV: NULL
 * when @pv will do, else why not (in @buf when it names the PV). Sizes are
 * compared as integers (Value()), unlike the matcher; selector and node
 * affinity are not looked at.
 */
static const char *check_satisfy(const struct binder_pv *pv,
				 const struct binder_pvc *c, char *buf,
				 size_t size)
{
	if (pv->deleting) {
		snprintf(buf, size, "the volume is marked for deletion \"%s\"",
			 pv->spec->name);
		return buf;
	}
	if (quantity_value(&pv->spec->capacity) <
	    quantity_value(&c->spec->request))
		return "requested PV is too small";
	if (strcmp(pv->spec->storage_class, pvc_class(c)) != 0)
		return "storageClassName does not match";
	if (pv->spec->block != c->spec->block)
		return "incompatible volumeMode";
	if (c->spec->access_modes & ~pv->spec->access_modes)
		return "incompatible accessMode";
	return NULL;
}

/* syncUnboundClaim with a volumeName: the user asked for that PV. */
static void sync_named_claim(struct pass *p, struct binder_pvc *c)
{
	const struct binder_world *w = p->w;
	struct binder_pv *pv = find_pv(w, c->volume_name);
	char why[WHY_LEN];
	char msg[MSG_LEN];
	const char *reason;

	if (!pv) {
		pvc_set_status(p, c, PVC_PENDING, NULL);
		return;
	}
	if (!pv->has_claim_ref) {
		reason = check_satisfy(pv, c, why, sizeof(why));
		if (!reason) {
			bind(p, pv, c);
			return;
		}
		snprintf(msg, sizeof(msg),
			 "Cannot bind to requested volume \"%s\": %s",
			 pv->spec->name, reason);
		pvc_state_event(p, c, BINDER_WARNING, "VolumeMismatch", msg);
		pvc_set_status(p, c, PVC_PENDING, NULL);
		return;
	}
	if (bound_to_claim(pv, c)) {
		bind(p, pv, c);
		return;
	}
	snprintf(msg, sizeof(msg),
		 "volume \"%s\" already bound to a different claim.",
		 pv->spec->name);
	pvc_state_event(p, c, BINDER_WARNING, "FailedBinding", msg);
	pvc_set_status(p, c, PVC_PENDING, NULL);
}

/* updateClaimStatusWithEvent to Lost: the event only on the change. */
static void lose_claim(struct pass *p, struct binder_pvc *c,
		       const char *reason, const char *msg)
{
	if (c->phase == PVC_LOST)
		return;
	pvc_set_status(p, c, PVC_LOST, NULL);
	pvc_event(p->w, c, BINDER_WARNING, reason, msg);
}

/* syncBoundClaim: the claim was bound once; repair it or call it Lost. */
static void sync_bound_claim(struct pass *p, struct binder_pvc *c)
{
	struct binder_pv *pv;

	if (c->volume_name[0] == '\0') {
		lose_claim(p, c, "ClaimLost",
			   "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!");
		return;
	}
	pv = find_pv(p->w, c->volume_name);
	if (!pv) {
		lose_claim(p, c, "ClaimLost",
			   "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
		return;
	}
	if (!pv->has_claim_ref || strcmp(pv->claim_ref.uid, c->uid) == 0) {
		bind(p, pv, c);
		return;
	}
	lose_claim(p, c, "ClaimMisbound",
		   "Two claims are bound to the same volume, this one is bound incorrectly");
}

/* syncClaim; Lost is terminal here. */
static void sync_claim(struct pass *p, struct binder_pvc *c)
{
	if (c->phase == PVC_LOST)
		return;
	if (c->bind_completed)
		sync_bound_claim(p, c);
	else if (c->volume_name[0])
		sync_named_claim(p, c);
	else
		sync_unbound_claim(p, c);
}

static void run_pass(struct pass *p)
{
	struct binder_world *w = p->w;

	for (size_t i = 0; i < w->n_pvs; i++)
		sync_volume(p, &w->pvs[i]);
	for (size_t i = 0; i < w->n_pvcs; i++)
		sync_claim(p, &w->pvcs[i]);
}

/*
 * Quiet passes until one changes nothing, then one more that reports how
 * things stand: it changes nothing either, the tables being what the
 * quiet one started from.
 */
unsigned binder_run(struct binder_world *w)
{
	struct pass p = { .w = w, .changes = 0, .quiet = true };
	/* a settled world takes a few passes; more means a bug, not work */
	size_t max_passes = 2 * (w->n_pvs + w->n_pvcs) + 4;

	for (size_t pass = 0; pass < max_passes; pass++) {
		unsigned before = p.changes;

		run_pass(&p);
		if (p.changes == before)
			break;
	}
	p.quiet = false;
	run_pass(&p);
	return p.changes;
}

void binder_recycled(struct binder_world *w, struct binder_pv *pv)
{
	struct pass p = { .w = w, .changes = 0, .quiet = false };

	pv_event(w, pv, BINDER_NORMAL, "VolumeRecycled", "Volume recycled");
	unbind_volume(&p, pv);
}

void binder_reclaim_failed(struct binder_world *w, struct binder_pv *pv,
			   const char *event_reason, const char *reason)
{
	struct pass p = { .w = w, .changes = 0, .quiet = false };

	if (pv_set_phase(&p, pv, PV_FAILED, reason))
		pv_event(w, pv, BINDER_WARNING, event_reason, reason);
}
