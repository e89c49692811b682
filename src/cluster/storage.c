/*
 * storage.c - PersistentVolumes, claims and StorageClasses through a sync.
 *
 * Each object is known by its name (a claim by namespace and name) across
 * syncs, and recorded under STATE with its binding and phase (records.c).
 * A sync first merges the manifests into the known objects (merge.c).
 * Then the binder (binder.c) runs over the objects, the records are
 * written, and only then are provisioning and reclaim started, so that a
 * daemon killed at any moment finds, on restart, the claim UID a volume
 * was provisioned for and the Released phase a delete started from. Last,
 * each pod's claim volumes are given their PVs, or told why not in the
 * words of the scheduler and the kubelet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster_i.h"
#include "podvolfs/cluster.h"
#include "podvolfs/log.h"
#include "storage_i.h"

static int cmp_pv(const void *a, const void *b)
{
	return strcmp((*(struct spv *const *)a)->b.spec->name,
		      (*(struct spv *const *)b)->b.spec->name);
}

struct spv *storage_pv_find(struct storage *s, const char *name)
{
	for (size_t i = 0; i < s->n_pvs; i++)
		if (!strcmp(s->pvs[i]->ghost.name, name))
			return s->pvs[i];
	return NULL;
}

struct spvc *storage_pvc_find(struct storage *s, const char *ns,
			      const char *name)
{
	for (size_t i = 0; i < s->n_pvcs; i++)
		if (!strcmp(s->pvcs[i]->ghost.namespace, ns) &&
		    !strcmp(s->pvcs[i]->ghost.name, name))
			return s->pvcs[i];
	return NULL;
}

struct ssc *storage_class_find(struct storage *s, const char *name)
{
	for (size_t i = 0; i < s->n_classes; i++)
		if (!strcmp(s->classes[i]->ghost.name, name))
			return s->classes[i];
	return NULL;
}

/* ---- consumers ---- */

static void count_consumers(struct cluster *c)
{
	struct storage *s = c->storage;

	for (size_t i = 0; i < s->n_pvcs; i++)
		s->pvcs[i]->consumers = 0;
	for (size_t i = 0; i < c->n_pods; i++) {
		struct pod *p = c->pods[i];

		for (size_t j = 0; j < p->n_volumes; j++) {
			struct spvc *pvc;

			if (!p->volumes[j].claim)
				continue;
			pvc = storage_pvc_find(s, p->ns, p->volumes[j].claim);
			if (pvc)
				pvc->consumers++;
		}
	}
}

/* ---- the binder ---- */

static void binder_event(void *arg, const char *kind, const char *ns,
			 const char *name, const char *type, const char *reason,
			 const char *message)
{
	struct cluster *c = arg;

	if (!strcmp(kind, "PersistentVolumeClaim")) {
		struct spvc *pvc = storage_pvc_find(c->storage, ns, name);

		if (pvc)
			snprintf(pvc->status_msg, sizeof(pvc->status_msg), "%s",
				 message);
	}
	storage_event(c, kind, ns, name, type, reason, message);
}

/* Runs the binder over the objects; returns the number of changes. */
static unsigned bind(struct cluster *c)
{
	struct storage *s = c->storage;
	struct binder_world w = {
		.node_name = s->node_name,
		.now = time(NULL),
		.event = binder_event,
		.arg = c,
	};
	struct binder_class *classes;
	unsigned changes = 0;

	if (s->n_pvs > 1)
		qsort(s->pvs, s->n_pvs, sizeof(*s->pvs), cmp_pv);
	w.pvs = calloc(s->n_pvs + 1, sizeof(*w.pvs));
	w.pvcs = calloc(s->n_pvcs + 1, sizeof(*w.pvcs));
	classes = calloc(s->n_classes + 1, sizeof(*classes));
	if (!w.pvs || !w.pvcs || !classes) {
		log_err("cannot bind claims: %s", strerror(ENOMEM));
		goto out_free;
	}
	for (size_t i = 0; i < s->n_pvs; i++)
		w.pvs[w.n_pvs++] = s->pvs[i]->b;
	for (size_t i = 0; i < s->n_pvcs; i++) {
		s->pvcs[i]->b.has_consumer = s->pvcs[i]->consumers > 0;
		w.pvcs[w.n_pvcs++] = s->pvcs[i]->b;
	}
	for (size_t i = 0; i < s->n_classes; i++)
		if (!s->classes[i]->drop)
			classes[w.n_classes++] = s->classes[i]->b;
	w.classes = classes;
	changes = binder_run(&w);
	for (size_t i = 0; i < s->n_pvs; i++)
		s->pvs[i]->b = w.pvs[i];
	for (size_t i = 0; i < s->n_pvcs; i++)
		s->pvcs[i]->b = w.pvcs[i];
out_free:
	free(classes);
	free(w.pvcs);
	free(w.pvs);
	return changes;
}

/* ---- what the binder leaves to the cluster ---- */

static void pv_free(struct spv *pv)
{
	ghost_pv_free(&pv->ghost);
	free(pv->file);
	free(pv->provisioned_by);
	free(pv->on_delete);
	free(pv->nfs_base);
	free(pv);
}

static void pvc_free(struct spvc *pvc)
{
	ghost_pvc_free(&pvc->ghost);
	free(pvc->file);
	free(pvc->selector);
	free(pvc);
}

static void class_free(struct ssc *sc)
{
	ghost_class_free(&sc->ghost);
	free(sc->file);
	free(sc);
}

/*
 * Objects whose deletion is complete go: claims no pod uses any more (a
 * sync is then asked for, so that a manifest that made the claim again
 * creates it anew), PVs no longer Bound. Returns true when one went.
 */
static bool drop_deleted(struct cluster *c)
{
	struct storage *s = c->storage;
	bool any = false, resync = false;
	size_t kept = 0;

	for (size_t i = 0; i < s->n_pvcs; i++) {
		struct spvc *pvc = s->pvcs[i];

		if ((pvc->b.deleting && !pvc->consumers && !pvc->job) ||
		    pvc->drop) {
			if (pvc->b.deleting) {
				log_info("persistentvolumeclaim %s/%s removed",
					 pvc->ghost.namespace, pvc->ghost.name);
				resync = true;
			}
			pvc_free(pvc);
			any = true;
			continue;
		}
		s->pvcs[kept++] = pvc;
	}
	s->n_pvcs = kept;
	kept = 0;
	for (size_t i = 0; i < s->n_pvs; i++) {
		struct spv *pv = s->pvs[i];

		if ((pv->b.deleting && pv->b.phase != PV_BOUND && !pv->job) ||
		    pv->drop) {
			pv_free(pv);
			any = true;
			continue;
		}
		s->pvs[kept++] = pv;
	}
	s->n_pvs = kept;
	kept = 0;
	for (size_t i = 0; i < s->n_classes; i++) {
		if (s->classes[i]->drop) {
			class_free(s->classes[i]);
			any = true;
			continue;
		}
		s->classes[kept++] = s->classes[i];
	}
	s->n_classes = kept;
	if (resync)
		cluster_request_sync(c);
	return any;
}

static const char *const external_wait =
	"Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.";

/* Starts the provisionings and reclaims the binder asks for. */
static void act(struct cluster *c)
{
	struct storage *s = c->storage;
	time_t now = time(NULL);
	char msg[BINDER_REASON_LEN];

	for (size_t i = 0; i < s->n_pvcs; i++) {
		struct spvc *pvc = s->pvcs[i];
		const struct ssc *sc;

		if (!pvc->b.wants_volume || pvc->job || pvc->b.deleting ||
		    now < pvc->retry_at)
			continue;
		sc = storage_class_find(s, pvc->b.storage_class);
		if (!sc || sc->drop) {
			snprintf(msg, sizeof(msg),
				 "storageclass.storage.k8s.io \"%s\" not found",
				 pvc->b.storage_class);
			binder_event(c, "PersistentVolumeClaim",
				     pvc->ghost.namespace, pvc->ghost.name,
				     BINDER_WARNING, "ProvisioningFailed", msg);
			continue;
		}
		if (!provisioner_known(sc->b.spec->provisioner)) {
			snprintf(msg, sizeof(msg), external_wait,
				 sc->b.spec->provisioner);
			binder_event(c, "PersistentVolumeClaim",
				     pvc->ghost.namespace, pvc->ghost.name,
				     BINDER_NORMAL, "ExternalProvisioning", msg);
			continue;
		}
		if (provision_start(c, pvc, sc))
			log_err("persistentvolumeclaim %s/%s: cannot provision: %s",
				pvc->ghost.namespace, pvc->ghost.name,
				strerror(ENOMEM));
	}
	for (size_t i = 0; i < s->n_pvs; i++) {
		struct spv *pv = s->pvs[i];
		const char *policy = pv->b.spec->reclaim_policy;

		if (pv->job || pv->b.deleting || now < pv->retry_at ||
		    (pv->b.phase != PV_RELEASED &&
		     !(pv->b.phase == PV_FAILED && pv->retry_at)))
			continue;
		if (strcmp(policy, "Delete") && strcmp(policy, "Recycle"))
			continue;
		if (reclaim_start(c, pv))
			log_err("persistentvolume %s: cannot reclaim: %s",
				pv->ghost.name, strerror(ENOMEM));
	}
}

/* ---- pods' claim volumes ---- */

/* Whether a pod other than @p has been given the claim @pvc of its namespace. */
static bool claim_held_elsewhere(struct cluster *c, const struct pod *p,
				 const char *claim)
{
	for (size_t i = 0; i < c->n_pods; i++) {
		const struct pod *o = c->pods[i];

		if (o == p || strcmp(o->ns, p->ns))
			continue;
		for (size_t j = 0; j < o->n_volumes; j++)
			if (o->volumes[j].claim && o->volumes[j].claim_resolved &&
			    !strcmp(o->volumes[j].claim, claim))
				return true;
	}
	return false;
}

static void serve_claim(struct cluster *c, struct pod *p, struct volume *v)
{
	struct storage *s = c->storage;
	struct spvc *pvc = storage_pvc_find(s, p->ns, v->claim);
	struct pvc_target t = { .nfs = c->nfs };
	struct spv *pv;

	if (!pvc) {
		pvc_wait(v, false, "persistentvolumeclaim \"%s\" not found",
			 v->claim);
		return;
	}
	if (pvc->b.deleting) {
		pvc_wait(v, false, "persistentvolumeclaim \"%s\" is being deleted",
			 v->claim);
		return;
	}
	if (pvc->b.phase == PVC_LOST) {
		pvc_wait(v, true, "persistentvolumeclaim \"%s\" is Lost%s%s",
			 v->claim, pvc->status_msg[0] ? ": " : "",
			 pvc->status_msg);
		return;
	}
	pv = storage_pv_find(s, pvc->b.volume_name);
	if (pvc->b.phase != PVC_BOUND || !pv ||
	    strcmp(pv->b.claim_ref.uid, pvc->b.uid)) {
		pvc_wait(v, false, "pod has unbound immediate PersistentVolumeClaims: persistentvolumeclaim \"%s\" is Pending%s%s",
			 v->claim, pvc->status_msg[0] ? ": " : "",
			 pvc->status_msg);
		return;
	}
	if (pv->b.spec->block) {
		pvc_wait(v, true, "volume %s has volumeMode Block, but is specified in volumeMounts",
			 v->name);
		return;
	}
	if (!binder_node_matches(pv->b.spec, s->node_name)) {
		pvc_wait(v, false, "0/1 nodes are available: 1 node(s) had volume node affinity conflict (pv %s, node %s).",
			 pv->ghost.name, s->node_name);
		return;
	}
	if ((pvc->b.spec->access_modes & SPEC_RWOP) &&
	    claim_held_elsewhere(c, p, v->claim)) {
		pvc_wait(v, false, "0/1 nodes are available: 1 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode.");
		return;
	}
	t.pv = pv->b.spec;
	t.read_only = pv->b.spec->access_modes == SPEC_ROX;
	if (pvc_resolve(v, &t))
		log_err("pod %s volume \"%s\": cannot serve its claim: %s",
			p->path, v->name, strerror(ENOMEM));
}

static void serve_claims(struct cluster *c)
{
	for (size_t i = 0; i < c->n_pods; i++) {
		struct pod *p = c->pods[i];

		for (size_t j = 0; j < p->n_volumes; j++)
			if (p->volumes[j].claim && !p->volumes[j].claim_resolved)
				serve_claim(c, p, &p->volumes[j]);
	}
}

bool storage_from_file(struct cluster *c, const char *path)
{
	struct storage *s = c->storage;

	for (size_t i = 0; i < s->n_pvs; i++)
		if (s->pvs[i]->file && !strcmp(s->pvs[i]->file, path))
			return true;
	for (size_t i = 0; i < s->n_pvcs; i++)
		if (s->pvcs[i]->file && !strcmp(s->pvcs[i]->file, path))
			return true;
	for (size_t i = 0; i < s->n_classes; i++)
		if (s->classes[i]->file && !strcmp(s->classes[i]->file, path))
			return true;
	return false;
}

/* ---- retries ---- */

/* Whether something waits for @when: any time (@now 0) or by @now. */
static bool retry_pending(struct cluster *c, time_t now)
{
	struct storage *s = c->storage;

	for (size_t i = 0; i < s->n_pvcs; i++)
		if (s->pvcs[i]->retry_at && !s->pvcs[i]->job &&
		    s->pvcs[i]->b.wants_volume &&
		    (!now || s->pvcs[i]->retry_at <= now))
			return true;
	for (size_t i = 0; i < s->n_pvs; i++)
		if (s->pvs[i]->retry_at && !s->pvs[i]->job &&
		    (!now || s->pvs[i]->retry_at <= now))
			return true;
	return false;
}

bool storage_waiting(struct cluster *c)
{
	return c->storage->unsaved || retry_pending(c, 0);
}

bool storage_due(struct cluster *c)
{
	return c->storage->unsaved || retry_pending(c, time(NULL));
}

/* ---- the whole pass ---- */

void storage_reconcile(struct cluster *c, bool merge,
		       const struct manifest *m, size_t n)
{
	struct storage *s = c->storage;
	bool again;

	if (!s->loaded)
		return;
	if (merge)
		storage_merge(c, m, n);
	__atomic_store_n(&c->storage_dirty, false, __ATOMIC_RELEASE);
	do {
		jobs_collect(c);
		count_consumers(c);
		drop_deleted(c);
		again = bind(c) > 0 && drop_deleted(c);
	} while (again);
	/* nothing starts that the records do not hold yet (storage.md) */
	if (records_save(c) == 0)
		act(c);
	serve_claims(c);
	storage_render(c);
}

int storage_init(struct cluster *c, const char *node_name)
{
	struct storage *s = calloc(1, sizeof(*s));
	char host[256];

	if (!s)
		return -ENOMEM;
	if (!node_name || !*node_name) {
		if (gethostname(host, sizeof(host)))
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		node_name = host;
	}
	s->node_name = strdup(node_name);
	if (!s->node_name) {
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->jobs_lock, NULL);
	pthread_mutex_init(&s->show_lock, NULL);
	c->storage = s;
	return 0;
}

void storage_fini(struct cluster *c)
{
	struct storage *s = c->storage;

	if (!s)
		return;
	jobs_stop(c);
	for (size_t i = 0; i < s->n_pvs; i++)
		pv_free(s->pvs[i]);
	for (size_t i = 0; i < s->n_pvcs; i++)
		pvc_free(s->pvcs[i]);
	for (size_t i = 0; i < s->n_classes; i++)
		class_free(s->classes[i]);
	free(s->pvs);
	free(s->pvcs);
	free(s->classes);
	for (size_t i = 0; i < 6; i++)
		free(s->show[i]);
	free(s->records);
	free(s->node_name);
	pthread_mutex_destroy(&s->jobs_lock);
	pthread_mutex_destroy(&s->show_lock);
	free(s);
	c->storage = NULL;
}
