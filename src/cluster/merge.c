/*
 * merge.c - a sync's manifests applied to the PersistentVolumes, claims and
 * StorageClasses the daemon knows, as the apiserver would apply them.
 *
 * A new object is created (a claim gets its UID and, by the
 * DefaultStorageClass admission, the default class); an edit that changes
 * an immutable field is refused with the apiserver's message and the
 * object stays as it was; an object whose manifest failed to load stays as
 * recorded; a deleted object goes, unless a finalizer holds it: a claim
 * while a pod uses it (kubernetes.io/pvc-protection), a PV while it is
 * Bound (kubernetes.io/pv-protection). Claims made from templates go by
 * their owner's rules: a StatefulSet's by its retention policy, an
 * ephemeral volume's with its pod.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cluster_i.h"
#include "podvolfs/log.h"
#include "storage_i.h"

/* Appends @obj to the array *@arr of *@n. Returns 0 or -ENOMEM. */
static int array_add(void ***arr, size_t *n, void *obj)
{
	void **grown = reallocarray(*arr, *n + 1, sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	*arr = grown;
	grown[(*n)++] = obj;
	return 0;
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int replace_str(char **dst, const char *src)
{
	char *copy = strdup_or_null(src);

	if (src && !copy)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

/* A new random UID, as the apiserver gives each object (RFC 4122 v4). */
static void new_uid(char *buf)
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n > 0)
			got += (size_t)n;
	}
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(buf, BINDER_UID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
}

static bool file_failed(const struct manifest *m, size_t n, const char *file)
{
	for (size_t i = 0; file && i < n; i++)
		if (!strcmp(m[i].path, file))
			return m[i].failed;
	return false;
}

/* Where an object's manifest is, for messages: "FILE:LINE:COL". */
static void where(char *buf, size_t size, const char *file,
		  const struct spec_pos *pos)
{
	snprintf(buf, size, "%s:%u:%u", file, pos->line, pos->col);
}

/* ---- StorageClasses ---- */

static bool kv_equal(const struct spec_kv *a, size_t na,
		     const struct spec_kv *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		size_t j;

		for (j = 0; j < nb; j++)
			if (!strcmp(a[i].key, b[j].key))
				break;
		if (j == nb || strcmp(a[i].value, b[j].value))
			return false;
	}
	return true;
}

/* The apiserver's ValidateStorageClassUpdate. Returns false with @why. */
static bool class_update_ok(const struct spec_storage_class *old,
			    const struct spec_storage_class *new, char *why,
			    size_t len)
{
	if (!kv_equal(old->parameters, old->n_parameters, new->parameters,
		      new->n_parameters))
		snprintf(why, len, "parameters: Forbidden: updates to parameters are forbidden.");
	else if (strcmp(old->provisioner, new->provisioner))
		snprintf(why, len, "provisioner: Forbidden: updates to provisioner are forbidden.");
	else if (strcmp(old->reclaim_policy, new->reclaim_policy))
		snprintf(why, len, "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.");
	else if (old->wait_for_first_consumer != new->wait_for_first_consumer)
		snprintf(why, len, "volumeBindingMode: Invalid value: \"%s\": field is immutable",
			 new->wait_for_first_consumer ? "WaitForFirstConsumer" :
							"Immediate");
	else
		return true;
	return false;
}

static void merge_class(struct cluster *c, const struct spec_storage_class *sp)
{
	struct storage *s = c->storage;
	struct ssc *sc = storage_class_find(s, sp->name);
	char why[256], at[512];

	if (!sc) {
		sc = calloc(1, sizeof(*sc));
		if (!sc || ghost_class_set(&sc->ghost, sp) ||
		    array_add((void ***)&s->classes, &s->n_classes, sc)) {
			if (sc)
				ghost_class_free(&sc->ghost);
			free(sc);
			log_err("storageclass %s: cannot add: %s", sp->name,
				strerror(ENOMEM));
			return;
		}
		sc->b.created = time(NULL);
		log_info("storageclass %s added (provisioner %s)", sp->name,
			 sp->provisioner);
	} else if (!class_update_ok(&sc->ghost, sp, why, sizeof(why))) {
		where(at, sizeof(at), sp->file, &sp->pos);
		log_err("%s: StorageClass \"%s\" is invalid: %s; it stays as it was",
			at, sp->name, why);
		sc->in_manifest = false;
		sc->drop = false;
		return;
	} else if (ghost_class_set(&sc->ghost, sp)) {
		log_err("storageclass %s: cannot update: %s", sp->name,
			strerror(ENOMEM));
	}
	sc->b.spec = sp;
	sc->in_manifest = true;
	sc->drop = false;
	replace_str(&sc->file, sp->file);
}

static void merge_classes(struct cluster *c, const struct manifest *m,
			  size_t n)
{
	struct storage *s = c->storage;

	for (size_t i = 0; i < s->n_classes; i++) {
		s->classes[i]->in_manifest = false;
		s->classes[i]->drop = true;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; !m[i].failed && j < m[i].objs.n_classes; j++)
			merge_class(c, &m[i].objs.classes[j]);
	for (size_t i = 0; i < s->n_classes; i++) {
		struct ssc *sc = s->classes[i];

		if (sc->drop && file_failed(m, n, sc->file))
			sc->drop = false;
		if (!sc->in_manifest)
			sc->b.spec = &sc->ghost;
		if (sc->drop)
			log_info("storageclass %s deleted", sc->ghost.name);
	}
}

/* ---- PersistentVolumes ---- */

static bool pv_source_equal(const struct spec_pv *a, const struct spec_pv *b)
{
	if (a->type != b->type || strcmp(a->source, b->source))
		return false;
	switch (a->type) {
	case SPEC_PV_HOSTPATH:
		return !strcmp(a->host_path.path, b->host_path.path) &&
		       !strcmp(a->host_path.type, b->host_path.type);
	case SPEC_PV_LOCAL:
		return !strcmp(a->local.path, b->local.path);
	case SPEC_PV_NFS:
		return !strcmp(a->nfs.server, b->nfs.server) &&
		       !strcmp(a->nfs.path, b->nfs.path) &&
		       a->nfs.read_only == b->nfs.read_only;
	case SPEC_PV_OTHER:
		break;
	}
	return true;
}

/* The apiserver's ValidatePersistentVolumeUpdate. Returns false with @why. */
static bool pv_update_ok(const struct spec_pv *old, const struct spec_pv *new,
			 char *why, size_t len)
{
	if (!pv_source_equal(old, new))
		snprintf(why, len, "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation");
	else if (old->block != new->block)
		snprintf(why, len, "volumeMode: Invalid value: \"%s\": field is immutable",
			 new->block ? "Block" : "Filesystem");
	else
		return true;
	return false;
}

static void ref_from_spec(struct binder_ref *r, const struct spec_pv *sp)
{
	snprintf(r->namespace, sizeof(r->namespace), "%s", sp->claim_ref.namespace);
	snprintf(r->name, sizeof(r->name), "%s", sp->claim_ref.name);
	snprintf(r->uid, sizeof(r->uid), "%s", sp->claim_ref.uid);
}

static bool ref_equal(const struct binder_ref *a, const struct binder_ref *b)
{
	return !strcmp(a->namespace, b->namespace) && !strcmp(a->name, b->name) &&
	       !strcmp(a->uid, b->uid);
}

/*
 * The manifest's claimRef against the one applied last: a change is the
 * admin's, and wins over what the controller set (SPEC 7.6: removing the
 * claimRef of a Released PV, or clearing its uid, makes it Available).
 */
static void apply_claim_ref(struct spv *pv, const struct spec_pv *sp,
			    bool created)
{
	struct binder_ref ref = { 0 };

	if (sp->has_claim_ref)
		ref_from_spec(&ref, sp);
	if (!created && pv->applied_has_ref == sp->has_claim_ref &&
	    (!sp->has_claim_ref || ref_equal(&ref, &pv->applied_ref)))
		return;
	pv->applied_has_ref = sp->has_claim_ref;
	pv->applied_ref = ref;
	pv->b.has_claim_ref = sp->has_claim_ref;
	pv->b.claim_ref = ref;
	pv->b.bound_by_controller = false;
}

static void merge_pv(struct cluster *c, const struct spec_pv *sp)
{
	struct storage *s = c->storage;
	struct spv *pv = storage_pv_find(s, sp->name);
	char why[256], at[512];
	bool created = false;

	where(at, sizeof(at), sp->file, &sp->pos);
	if (pv && pv->provisioned_by) {
		log_err("%s: persistentvolumes \"%s\" already exists (provisioned by %s); not applied",
			at, sp->name, pv->provisioned_by);
		return;
	}
	if (pv && pv->in_manifest) {
		log_err("%s: persistentvolumes \"%s\" already exists in %s; not applied",
			at, sp->name, pv->file);
		return;
	}
	if (!pv) {
		pv = calloc(1, sizeof(*pv));
		if (!pv || ghost_pv_set(&pv->ghost, sp) ||
		    array_add((void ***)&s->pvs, &s->n_pvs, pv)) {
			if (pv)
				ghost_pv_free(&pv->ghost);
			free(pv);
			log_err("persistentvolume %s: cannot add: %s", sp->name,
				strerror(ENOMEM));
			return;
		}
		pv->created = time(NULL);
		pv->b.phase = PV_PENDING;
		pv->b.phase_time = pv->created;
		created = true;
		log_info("persistentvolume %s added", sp->name);
	} else if (!pv_update_ok(&pv->ghost, sp, why, sizeof(why))) {
		log_err("%s: PersistentVolume \"%s\" is invalid: %s; it stays as it was",
			at, sp->name, why);
		pv->drop = false;
		return;
	} else if (ghost_pv_set(&pv->ghost, sp)) {
		log_err("persistentvolume %s: cannot update: %s", sp->name,
			strerror(ENOMEM));
	}
	apply_claim_ref(pv, sp, created);
	pv->b.spec = sp;
	pv->b.deleting = false;
	pv->in_manifest = true;
	pv->drop = false;
	replace_str(&pv->file, sp->file);
}

static void merge_pvs(struct cluster *c, const struct manifest *m, size_t n)
{
	struct storage *s = c->storage;

	for (size_t i = 0; i < s->n_pvs; i++) {
		struct spv *pv = s->pvs[i];

		pv->in_manifest = false;
		pv->drop = !pv->provisioned_by;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; !m[i].failed && j < m[i].objs.n_pvs; j++)
			merge_pv(c, &m[i].objs.pvs[j]);
	for (size_t i = 0; i < s->n_pvs; i++) {
		struct spv *pv = s->pvs[i];

		if (!pv->in_manifest)
			pv->b.spec = &pv->ghost;
		if (!pv->drop)
			continue;
		if (file_failed(m, n, pv->file)) {
			pv->drop = false;
			continue;
		}
		/* kubernetes.io/pv-protection: a Bound PV waits for its claim */
		if (pv->b.phase == PV_BOUND) {
			if (!pv->b.deleting)
				log_info("persistentvolume %s deleted; Terminating until its claim %s/%s lets it go",
					 pv->ghost.name, pv->b.claim_ref.namespace,
					 pv->b.claim_ref.name);
			pv->b.deleting = true;
			pv->drop = false;
			continue;
		}
		log_info("persistentvolume %s deleted", pv->ghost.name);
	}
}

/* ---- claims ---- */

/* The selector as text: what an edit may not change. */
static char *selector_text(const struct spec_selector *sel)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!sel->present)
		return strdup("");
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < sel->n_match_labels; i++)
		fprintf(f, "%s=%s,", sel->match_labels[i].key,
			sel->match_labels[i].value);
	for (size_t i = 0; i < sel->n_exprs; i++) {
		const struct spec_requirement *r = &sel->exprs[i];

		fprintf(f, "%s %d (", r->key, (int)r->op);
		for (size_t j = 0; j < r->n_values; j++)
			fprintf(f, "%s,", r->values[j]);
		fprintf(f, "),");
	}
	if (fclose(f))
		return NULL;
	return buf;
}

/*
 * The apiserver's ValidatePersistentVolumeClaimUpdate and the resize
 * admission. Returns false with @why.
 */
static bool pvc_update_ok(const struct spvc *pvc, const struct spec_pvc *new,
			  const char *new_selector, const struct ssc *sc,
			  char *why, size_t len)
{
	const struct spec_pvc *old = &pvc->ghost;
	int grow = quantity_cmp(&new->request, &old->request);

	if (old->access_modes != new->access_modes ||
	    old->has_storage_class != new->has_storage_class ||
	    strcmp(old->storage_class, new->storage_class) ||
	    (old->volume_name[0] && strcmp(old->volume_name, new->volume_name)) ||
	    old->block != new->block || strcmp(pvc->selector, new_selector)) {
		snprintf(why, len, "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");
		return false;
	}
	if (grow == 0)
		return true;
	if (pvc->b.phase != PVC_BOUND) {
		snprintf(why, len, "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");
		return false;
	}
	if (grow < 0) {
		snprintf(why, len, "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity");
		return false;
	}
	if (!sc || !sc->b.spec->allow_volume_expansion) {
		snprintf(why, len, "spec: Forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize");
		return false;
	}
	return true;
}

/* The default class: the newest marked default, ties by name (SPEC 8.2). */
static const struct binder_class *default_class(const struct storage *s)
{
	const struct binder_class *def = NULL;

	for (size_t i = 0; i < s->n_classes; i++) {
		const struct binder_class *b = &s->classes[i]->b;

		if (s->classes[i]->drop || !b->spec->is_default)
			continue;
		if (!def || b->created > def->created ||
		    (b->created == def->created &&
		     strcmp(b->spec->name, def->spec->name) < 0))
			def = b;
	}
	return def;
}

static struct spvc *pvc_create(struct cluster *c, const struct spec_pvc *sp)
{
	struct storage *s = c->storage;
	struct spvc *pvc = calloc(1, sizeof(*pvc));
	const struct binder_class *def;

	if (!pvc || ghost_pvc_set(&pvc->ghost, sp) ||
	    !(pvc->selector = selector_text(&sp->selector)) ||
	    array_add((void ***)&s->pvcs, &s->n_pvcs, pvc)) {
		if (pvc) {
			ghost_pvc_free(&pvc->ghost);
			free(pvc->selector);
		}
		free(pvc);
		return NULL;
	}
	pvc->created = time(NULL);
	new_uid(pvc->b.uid);
	pvc->b.phase = PVC_PENDING;
	pvc->b.phase_time = pvc->created;
	pvc->b.has_storage_class = sp->has_storage_class;
	snprintf(pvc->b.storage_class, sizeof(pvc->b.storage_class), "%s",
		 sp->storage_class);
	snprintf(pvc->b.volume_name, sizeof(pvc->b.volume_name), "%s",
		 sp->volume_name);
	/* the DefaultStorageClass admission, on create only */
	def = default_class(s);
	if (!sp->has_storage_class && def) {
		pvc->b.has_storage_class = true;
		snprintf(pvc->b.storage_class, sizeof(pvc->b.storage_class), "%s",
			 def->spec->name);
	}
	log_info("persistentvolumeclaim %s/%s added (uid %s%s%s%s)",
		 sp->namespace, sp->name, pvc->b.uid,
		 pvc->b.has_storage_class ? ", class \"" : "",
		 pvc->b.has_storage_class ? pvc->b.storage_class : "",
		 pvc->b.has_storage_class ? "\"" : "");
	return pvc;
}

static void merge_pvc(struct cluster *c, const struct spec_pvc *sp)
{
	struct storage *s = c->storage;
	struct spvc *pvc = storage_pvc_find(s, sp->namespace, sp->name);
	char why[256], at[512], *sel;

	where(at, sizeof(at), sp->file, &sp->pos);
	if (pvc && pvc->in_manifest) {
		log_err("%s: persistentvolumeclaims \"%s\" already exists in namespace %s (%s); not applied",
			at, sp->name, sp->namespace, pvc->file);
		return;
	}
	if (pvc && pvc->b.deleting) {
		/* the old claim is Terminating; a new one comes once it is gone */
		pvc->drop = false;
		return;
	}
	if (!pvc) {
		pvc = pvc_create(c, sp);
		if (!pvc) {
			log_err("persistentvolumeclaim %s/%s: cannot add: %s",
				sp->namespace, sp->name, strerror(ENOMEM));
			return;
		}
	} else {
		sel = selector_text(&sp->selector);
		if (!sel) {
			pvc->drop = false;
			return;
		}
		if (!pvc_update_ok(pvc, sp, sel,
				   storage_class_find(s, pvc->b.storage_class),
				   why, sizeof(why))) {
			log_err("%s: PersistentVolumeClaim \"%s\" is invalid: %s; it stays as it was",
				at, sp->name, why);
			free(sel);
			pvc->drop = false;
			return;
		}
		free(pvc->selector);
		pvc->selector = sel;
		if (ghost_pvc_set(&pvc->ghost, sp))
			log_err("persistentvolumeclaim %s/%s: cannot update: %s",
				sp->namespace, sp->name, strerror(ENOMEM));
		/* volumeName may be set once, from empty */
		if (!pvc->b.volume_name[0])
			snprintf(pvc->b.volume_name, sizeof(pvc->b.volume_name),
				 "%s", sp->volume_name);
	}
	pvc->b.spec = sp;
	pvc->in_manifest = true;
	pvc->drop = false;
	replace_str(&pvc->file, sp->file);
}

static const struct spec_statefulset *set_find(const struct manifest *m,
					       size_t n, const char *ns,
					       const char *name)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; !m[i].failed && j < m[i].objs.n_statefulsets; j++) {
			const struct spec_statefulset *ss = &m[i].objs.statefulsets[j];

			if (!strcmp(ss->namespace, ns) && !strcmp(ss->name, name))
				return ss;
		}
	return NULL;
}

/*
 * A StatefulSet's claim its manifest no longer makes: kept, unless the
 * set's retention policy deletes it (whenScaled for a replica scaled
 * away, whenDeleted once the set is gone).
 */
static bool set_claim_kept(struct spvc *pvc, const struct manifest *m,
			   size_t n)
{
	const struct spec_pvc *g = &pvc->ghost;
	const struct spec_statefulset *ss = set_find(m, n, g->namespace,
						     g->owner_name);

	if (ss) {
		pvc->delete_when_deleted = ss->delete_when_deleted;
		pvc->delete_when_scaled = ss->delete_when_scaled;
		return !ss->delete_when_scaled;
	}
	if (file_failed(m, n, pvc->file))
		return true;
	return !pvc->delete_when_deleted;
}

/* The retention policy of a StatefulSet's claim, kept for when the set goes. */
static void set_claim_policy(struct spvc *pvc, const struct manifest *m,
			     size_t n)
{
	const struct spec_pvc *g = &pvc->ghost;
	const struct spec_statefulset *ss;

	if (!g->owner_kind || strcmp(g->owner_kind, "StatefulSet"))
		return;
	ss = set_find(m, n, g->namespace, g->owner_name);
	if (!ss)
		return;
	pvc->delete_when_deleted = ss->delete_when_deleted;
	pvc->delete_when_scaled = ss->delete_when_scaled;
}

static void merge_pvcs(struct cluster *c, const struct manifest *m, size_t n)
{
	struct storage *s = c->storage;

	for (size_t i = 0; i < s->n_pvcs; i++) {
		s->pvcs[i]->in_manifest = false;
		s->pvcs[i]->drop = true;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; !m[i].failed && j < m[i].objs.n_pvcs; j++)
			merge_pvc(c, &m[i].objs.pvcs[j]);
	for (size_t i = 0; i < s->n_pvcs; i++) {
		struct spvc *pvc = s->pvcs[i];
		const char *owner = pvc->ghost.owner_kind;

		if (!pvc->in_manifest)
			pvc->b.spec = &pvc->ghost;
		else
			set_claim_policy(pvc, m, n);
		if (!pvc->drop)
			continue;
		if (pvc->b.deleting || file_failed(m, n, pvc->file) ||
		    (owner && !strcmp(owner, "StatefulSet") &&
		     set_claim_kept(pvc, m, n))) {
			pvc->drop = false;
			continue;
		}
		/* kubernetes.io/pvc-protection: a used claim waits for its pods */
		pvc->drop = false;
		pvc->b.deleting = true;
		log_info("persistentvolumeclaim %s/%s deleted", pvc->ghost.namespace,
			 pvc->ghost.name);
	}
}

void storage_merge(struct cluster *c, const struct manifest *m, size_t n)
{
	merge_classes(c, m, n);
	merge_pvs(c, m, n);
	merge_pvcs(c, m, n);
}
