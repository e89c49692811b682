/*
 * storage.c - fuzzes PersistentVolumes, claims and StorageClasses from the
 * manifest to the binder.
 *
 * The input is a manifest file, as for the manifest target. What loads is
 * put in a binder world the way the cluster fills it for new objects
 * (src/cluster/merge.c): PVs sorted by name with their claimRef, claims
 * with their class (the default one given to a nil class) and volumeName,
 * a claim's consumer being a pod of the file that names it. The binder
 * runs; then the later half of the PVs and claims is deleted (those in use
 * stay, marked deleting) and it runs again; then what reclaim would do to
 * Released volumes is reported to it and it runs once more. Beyond not
 * crashing:
 *
 *   - each run settles: a run right after it changes nothing;
 *   - binds are whole: a Bound claim names a Bound PV whose claimRef
 *     names it with its uid, and a Bound PV's claim names it back;
 *   - a claim waiting for a provisioned volume is not Bound;
 *   - events carry a kind, a type and a reason;
 *   - the mount options of PVs and classes give the nfs store ports in
 *     range, or a reason for refusing them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "podvolfs/binder.h"
#include "podvolfs/spec.h"
#include "podvolfs/store.h"

#define NODE "node-1"
#define PROVISIONED_BY "pv.kubernetes.io/provisioned-by"

static struct podvolfs_err err, warn;

static void event(void *arg, const char *kind, const char *ns,
		  const char *name, const char *type, const char *reason,
		  const char *message)
{
	(void)arg;
	FUZZ_CHECK(kind && ns && name && type && reason && message &&
		   (!strcmp(type, BINDER_NORMAL) || !strcmp(type, BINDER_WARNING)) &&
		   *reason && *message, "event %s %s/%s %s %s", kind, ns, name,
		   type, reason);
}

static const char *kv_get(const struct spec_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

static int pv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct binder_pv *)a)->spec->name,
		      ((const struct binder_pv *)b)->spec->name);
}

static bool consumed(const struct spec_objects *o, const struct spec_pvc *c)
{
	for (size_t i = 0; i < o->n_pods; i++) {
		const struct spec_pod *p = &o->pods[i];

		if (strcmp(p->namespace, c->namespace))
			continue;
		for (size_t j = 0; j < p->n_volumes; j++)
			if (p->volumes[j].type == SPEC_VOL_PVC &&
			    !strcmp(p->volumes[j].pvc.claim_name, c->name))
				return true;
	}
	return false;
}

/* The world of @o, as the cluster makes it for objects it sees first. */
static void world_make(struct binder_world *w, const struct spec_objects *o,
		       struct binder_class *classes)
{
	const struct binder_class *def;

	memset(w, 0, sizeof(*w));
	w->pvs = fuzz_malloc(o->n_pvs * sizeof(*w->pvs));
	w->pvcs = fuzz_malloc(o->n_pvcs * sizeof(*w->pvcs));
	memset(w->pvs, 0, o->n_pvs * sizeof(*w->pvs));
	memset(w->pvcs, 0, o->n_pvcs * sizeof(*w->pvcs));
	for (size_t i = 0; i < o->n_classes; i++)
		classes[i] = (struct binder_class){ &o->classes[i], (time_t)i };
	w->classes = classes;
	w->n_classes = o->n_classes;
	w->node_name = NODE;
	w->now = 1000;
	w->event = event;
	for (size_t i = 0; i < o->n_pvs; i++) {
		const struct spec_pv *sp = &o->pvs[i];
		struct binder_pv *pv = &w->pvs[w->n_pvs++];

		pv->spec = sp;
		pv->provisioned_by = kv_get(sp->annotations, sp->n_annotations,
					    PROVISIONED_BY);
		pv->phase = PV_PENDING;
		pv->has_claim_ref = sp->has_claim_ref;
		if (sp->has_claim_ref) {
			snprintf(pv->claim_ref.namespace, sizeof(pv->claim_ref.namespace),
				 "%s", sp->claim_ref.namespace);
			snprintf(pv->claim_ref.name, sizeof(pv->claim_ref.name),
				 "%s", sp->claim_ref.name);
			snprintf(pv->claim_ref.uid, sizeof(pv->claim_ref.uid),
				 "%s", sp->claim_ref.uid);
		}
	}
	if (w->n_pvs > 1)
		qsort(w->pvs, w->n_pvs, sizeof(*w->pvs), pv_cmp);
	def = binder_default_class(w);
	for (size_t i = 0; i < o->n_pvcs; i++) {
		const struct spec_pvc *sp = &o->pvcs[i];
		struct binder_pvc *c = &w->pvcs[w->n_pvcs++];

		c->spec = sp;
		snprintf(c->uid, sizeof(c->uid), "uid-%zu", i);
		c->has_consumer = consumed(o, sp);
		c->has_storage_class = sp->has_storage_class || def;
		snprintf(c->storage_class, sizeof(c->storage_class), "%s",
			 sp->has_storage_class || !def ? sp->storage_class :
							 def->spec->name);
		snprintf(c->volume_name, sizeof(c->volume_name), "%s",
			 sp->volume_name);
		c->phase = PVC_PENDING;
	}
}

static const struct binder_pv *pv_find(const struct binder_world *w,
				       const char *name)
{
	for (size_t i = 0; i < w->n_pvs; i++)
		if (!strcmp(w->pvs[i].spec->name, name))
			return &w->pvs[i];
	return NULL;
}

static const struct binder_pvc *pvc_find(const struct binder_world *w,
					 const char *ns, const char *name)
{
	for (size_t i = 0; i < w->n_pvcs; i++)
		if (!strcmp(w->pvcs[i].spec->namespace, ns) &&
		    !strcmp(w->pvcs[i].spec->name, name))
			return &w->pvcs[i];
	return NULL;
}

/* Runs the binder, checks that it settled and that its binds are whole. */
static void run_check(struct binder_world *w, const char *when)
{
	char modes[24];
	unsigned again;

	binder_run(w);
	again = binder_run(w);
	FUZZ_CHECK(again == 0, "%s: the binder did not settle (%u changes more)",
		   when, again);
	for (size_t i = 0; i < w->n_pvcs; i++) {
		const struct binder_pvc *c = &w->pvcs[i];
		const struct binder_pv *pv;

		FUZZ_CHECK(binder_pvc_phase_name(c->phase), "pvc phase %d", c->phase);
		if (c->phase != PVC_BOUND)
			continue;
		FUZZ_CHECK(!c->wants_volume, "%s: claim %s Bound and waiting",
			   when, c->spec->name);
		pv = pv_find(w, c->volume_name);
		FUZZ_CHECK(pv && pv->phase == PV_BOUND && pv->has_claim_ref &&
			   !strcmp(pv->claim_ref.namespace, c->spec->namespace) &&
			   !strcmp(pv->claim_ref.name, c->spec->name) &&
			   !strcmp(pv->claim_ref.uid, c->uid),
			   "%s: claim %s/%s Bound to \"%s\", which is not bound to it",
			   when, c->spec->namespace, c->spec->name, c->volume_name);
	}
	for (size_t i = 0; i < w->n_pvs; i++) {
		const struct binder_pv *pv = &w->pvs[i];
		const struct binder_pvc *c;

		FUZZ_CHECK(binder_pv_phase_name(pv->phase), "pv phase %d", pv->phase);
		binder_modes_string(pv->spec->access_modes, modes, sizeof(modes));
		FUZZ_CHECK(strlen(modes) < sizeof(modes), "modes");
		if (pv->phase != PV_BOUND)
			continue;
		c = pv->has_claim_ref ? pvc_find(w, pv->claim_ref.namespace,
						 pv->claim_ref.name) : NULL;
		FUZZ_CHECK(c && !strcmp(c->uid, pv->claim_ref.uid) &&
			   !strcmp(c->volume_name, pv->spec->name),
			   "%s: pv %s Bound to a claim that does not name it",
			   when, pv->spec->name);
	}
}

/*
 * The later half of the objects deleted from the manifests, as a sync
 * finds them: a claim a pod uses, or a Bound PV, stays while it is
 * deleted (kubernetes.io/pvc-protection and pv-protection); the others go.
 */
static void delete_later_half(struct binder_world *w)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->n_pvcs; i++) {
		struct binder_pvc *c = &w->pvcs[i];

		if (i >= (w->n_pvcs + 1) / 2 && c->has_consumer)
			c->deleting = true;
		if (i < (w->n_pvcs + 1) / 2 || c->deleting)
			w->pvcs[kept++] = *c;
	}
	w->n_pvcs = kept;
	kept = 0;
	for (size_t i = 0; i < w->n_pvs; i++) {
		struct binder_pv *pv = &w->pvs[i];

		if (i >= (w->n_pvs + 1) / 2 && pv->phase == PV_BOUND)
			pv->deleting = true;
		if (i < (w->n_pvs + 1) / 2 || pv->deleting)
			w->pvs[kept++] = *pv;
	}
	w->n_pvs = kept;
}

/* What the cluster's reclaim would report for each Released volume. */
static void reclaim(struct binder_world *w)
{
	for (size_t i = 0; i < w->n_pvs; i++) {
		struct binder_pv *pv = &w->pvs[i];

		if (pv->phase != PV_RELEASED)
			continue;
		if (!strcmp(pv->spec->reclaim_policy, "Recycle"))
			binder_recycled(w, pv);
		else if (!strcmp(pv->spec->reclaim_policy, "Delete"))
			binder_reclaim_failed(w, pv, "VolumeFailedDelete",
					      "deleter refused it");
	}
}

static void options_check(char **opts, size_t n)
{
	struct nfs_target t = { .nfs_port = -1, .mount_port = -1 };
	char msg[128] = "";
	int rc = nfs_target_options(&t, (const char *const *)opts, n, msg,
				    sizeof(msg));

	FUZZ_CHECK(rc == 0 || (rc == -EINVAL && msg[0]), "mount options: %d", rc);
	FUZZ_CHECK(t.nfs_port >= -1 && t.nfs_port <= 65535 &&
		   t.mount_port >= -1 && t.mount_port <= 65535,
		   "ports %d and %d", t.nfs_port, t.mount_port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct binder_class *classes;
	struct spec_objects o;
	struct binder_world w;

	spec_objects_init(&o);
	err_init(&err);
	err_init(&warn);
	if (spec_load_file(path, SPEC_FIELDS_WARN, &o, &err, &warn)) {
		spec_objects_free(&o);
		return 0;
	}
	classes = fuzz_malloc(o.n_classes * sizeof(*classes));
	world_make(&w, &o, classes);
	run_check(&w, "first run");
	delete_later_half(&w);
	run_check(&w, "after deletions");
	reclaim(&w);
	run_check(&w, "after reclaim");
	for (size_t i = 0; i < o.n_pvs; i++) {
		options_check(o.pvs[i].mount_options, o.pvs[i].n_mount_options);
		binder_node_matches(&o.pvs[i], NODE);
		for (size_t j = 0; j < o.n_pvcs; j++)
			binder_selector_matches(&o.pvcs[j].selector,
						o.pvs[i].labels,
						o.pvs[i].n_labels);
	}
	for (size_t i = 0; i < o.n_classes; i++)
		options_check(o.classes[i].mount_options,
			      o.classes[i].n_mount_options);
	free(w.pvs);
	free(w.pvcs);
	free(classes);
	spec_objects_free(&o);
	return 0;
}
