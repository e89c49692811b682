/*
 * provision.c - provisioning and reclaim jobs: made, run, applied.
 *
 * A job copies everything it needs when it is made, under the cluster's
 * lock, and works without it (provisioners.c); when done it marks itself
 * and wakes the watch thread, which applies the result (jobs_collect)
 * under the lock: a provisioned PV joins the objects, a failure becomes a
 * Warning event and a retry with backoff. Every job is safe to run again
 * from the start, which is what makes a restart at any moment harmless:
 * the records say which claim UID wants a volume (so the same PV name) and
 * which PV is Released under Delete, and were written before the job
 * started.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_i.h"
#include "jobs_i.h"
#include "podvolfs/log.h"
#include "storage_i.h"

bool provisioner_known(const char *name)
{
	return !strcmp(name, LOCAL) || !strcmp(name, "rancher.io/local-path") ||
	       !strcmp(name, NFS_SUBDIR) ||
	       !strcmp(name, "k8s-sigs.io/nfs-subdir-external-provisioner");
}

/* ---- jobs ---- */

static void job_run(struct work *w)
{
	struct pjob *j = (struct pjob *)w;
	uint64_t one = 1;

	if (j->kind == JOB_PROVISION && !strcmp(j->provisioner, LOCAL))
		provision_local(j);
	else if (j->kind == JOB_PROVISION)
		provision_nfs(j);
	else if (j->kind == JOB_DELETE)
		reclaim_delete(j);
	else
		reclaim_recycle(j);
	pthread_mutex_lock(&j->c->storage->jobs_lock);
	j->done = true;
	pthread_mutex_unlock(&j->c->storage->jobs_lock);
	__atomic_store_n(&j->c->storage_dirty, true, __ATOMIC_RELEASE);
	if (write(j->c->event_fd, &one, sizeof(one)) < 0)
		return;
}

static void job_free(struct pjob *j)
{
	work_destroy(&j->work);
	strv_free(j->mount_options, j->n_mount_options);
	free(j->provisioner);
	free(j->provisioned_by);
	kv_free(j->params, j->n_params);
	kv_free(j->labels, j->n_labels);
	kv_free(j->annotations, j->n_annotations);
	free(j->pvs_dir);
	free(j->path);
	free(j->server);
	free(j->on_delete);
	free(j->nfs_base);
	free(j->out_path);
	free(j->out_on_delete);
	free(j);
}

static struct pjob *job_new(struct cluster *c, enum job_kind kind)
{
	struct pjob *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	if (work_init(&j->work, job_run)) {
		free(j);
		return NULL;
	}
	j->c = c;
	j->kind = kind;
	j->nfs = c->nfs;
	return j;
}

static void job_submit(struct cluster *c, struct pjob *j)
{
	struct storage *s = c->storage;

	pthread_mutex_lock(&s->jobs_lock);
	j->next = s->jobs;
	s->jobs = j;
	pthread_mutex_unlock(&s->jobs_lock);
	workq_submit(c->workq, &j->work, 0);
}

int provision_start(struct cluster *c, struct spvc *pvc, const struct ssc *sc)
{
	const struct spec_pvc *sp = pvc->b.spec;
	struct pjob *j = job_new(c, JOB_PROVISION);
	char dir[PATH_MAX], msg[BINDER_REASON_LEN];
	int rc;

	if (!j)
		return -ENOMEM;
	snprintf(j->pv, sizeof(j->pv), "pvc-%s", pvc->b.uid);
	snprintf(j->ns, sizeof(j->ns), "%s", sp->namespace);
	snprintf(j->claim, sizeof(j->claim), "%s", sp->name);
	snprintf(j->uid, sizeof(j->uid), "%s", pvc->b.uid);
	j->provisioner = strdup(provisioner_canonical(sc->b.spec->provisioner));
	j->provisioned_by = strdup(sc->b.spec->provisioner);
	j->selector = sp->selector.present;
	j->modes = sp->access_modes;
	rc = state_pvs_dir(c->state, dir, sizeof(dir));
	if (rc) {
		log_err("%s/pvs: %s", state_dir(c->state), strerror(-rc));
		snprintf(dir, sizeof(dir), "%s/pvs", state_dir(c->state));
	}
	j->pvs_dir = strdup(dir);
	if (!j->provisioner || !j->provisioned_by || !j->pvs_dir ||
	    kv_copy(&j->params, &j->n_params, sc->b.spec->parameters,
		    sc->b.spec->n_parameters) ||
	    strv_copy(&j->mount_options, &j->n_mount_options,
		      sc->b.spec->mount_options, sc->b.spec->n_mount_options) ||
	    kv_copy(&j->labels, &j->n_labels, sp->labels, sp->n_labels) ||
	    kv_copy(&j->annotations, &j->n_annotations, sp->annotations,
		    sp->n_annotations)) {
		job_free(j);
		return -ENOMEM;
	}
	pvc->job = true;
	snprintf(msg, sizeof(msg),
		 "External provisioner is provisioning volume for claim \"%s/%s\"",
		 sp->namespace, sp->name);
	storage_event(c, "PersistentVolumeClaim", sp->namespace, sp->name,
		      BINDER_NORMAL, "Provisioning", msg);
	snprintf(pvc->status_msg, sizeof(pvc->status_msg), "%s", msg);
	job_submit(c, j);
	return 0;
}

int reclaim_start(struct cluster *c, struct spv *pv)
{
	const struct spec_pv *sp = pv->b.spec;
	bool recycle = !strcmp(sp->reclaim_policy, "Recycle");
	struct pjob *j = job_new(c, recycle ? JOB_RECYCLE : JOB_DELETE);
	const char *path = sp->type == SPEC_PV_NFS ? sp->nfs.path :
			   sp->type == SPEC_PV_LOCAL ? sp->local.path :
			   sp->host_path.path;

	if (!j)
		return -ENOMEM;
	snprintf(j->pv, sizeof(j->pv), "%s", sp->name);
	j->type = sp->type;
	j->provisioned = pv->provisioned_by != NULL;
	j->path = strdup(path ? path : "");
	j->server = strdup(sp->nfs.server ? sp->nfs.server : "");
	j->on_delete = strdup(pv->on_delete ? pv->on_delete : "archive");
	j->nfs_base = strdup(pv->nfs_base ? pv->nfs_base : "");
	if (!j->path || !j->server || !j->on_delete || !j->nfs_base ||
	    strv_copy(&j->mount_options, &j->n_mount_options,
		      sp->mount_options, sp->n_mount_options)) {
		job_free(j);
		return -ENOMEM;
	}
	pv->job = true;
	log_info("persistentvolume %s: %s started", sp->name,
		 recycle ? "recycle" : "delete");
	job_submit(c, j);
	return 0;
}

/* ---- results ---- */

/*
 * The PV a provisioning made, as the provisioner creates it: name
 * pvc-<uid>, the claim's modes, capacity the request, the class's reclaim
 * policy and mount options, pre-bound to the claim.
 */
static int provisioned_pv(struct cluster *c, struct pjob *j, struct spvc *pvc,
			  const struct ssc *sc)
{
	struct storage *s = c->storage;
	struct spv *pv = calloc(1, sizeof(*pv));
	struct spec_pv g = {
		.capacity = pvc->b.spec->request,
		.access_modes = pvc->b.spec->access_modes,
		.block = pvc->b.spec->block,
		.has_claim_ref = true,
	};
	char nothing[] = "", type[] = "DirectoryOrCreate";
	char hp[] = "hostPath", nfs[] = "nfs";
	struct spv **grown;
	int rc;

	if (!pv)
		return -ENOMEM;
	g.name = j->pv;
	g.reclaim_policy = sc ? sc->ghost.reclaim_policy : nothing;
	g.storage_class = pvc->b.storage_class;
	g.mount_options = sc ? sc->ghost.mount_options : NULL;
	g.n_mount_options = sc ? sc->ghost.n_mount_options : 0;
	g.claim_ref.namespace = j->ns;
	g.claim_ref.name = j->claim;
	g.claim_ref.uid = j->uid;
	g.file = nothing;
	g.list_item = nothing;
	g.host_path.path = nothing;
	g.host_path.type = nothing;
	g.local.path = nothing;
	g.nfs.server = nothing;
	g.nfs.path = nothing;
	if (!strcmp(j->provisioner, LOCAL)) {
		g.type = SPEC_PV_HOSTPATH;
		g.source = hp;
		g.host_path.path = j->out_path;
		g.host_path.type = type;
	} else {
		g.type = SPEC_PV_NFS;
		g.source = nfs;
		g.nfs.server = j->server;
		g.nfs.path = j->out_path;
	}
	rc = ghost_pv_set(&pv->ghost, &g);
	if (!rc && g.type == SPEC_PV_HOSTPATH)
		rc = hostname_affinity(&pv->ghost, s->node_name);
	pv->provisioned_by = strdup(j->provisioned_by);
	pv->on_delete = j->out_on_delete ? strdup(j->out_on_delete) : NULL;
	pv->nfs_base = j->nfs_base ? strdup(j->nfs_base) : NULL;
	grown = reallocarray(s->pvs, s->n_pvs + 1, sizeof(*grown));
	if (grown)
		s->pvs = grown;
	if (rc || !grown || !pv->provisioned_by ||
	    (j->out_on_delete && !pv->on_delete) || (j->nfs_base && !pv->nfs_base)) {
		ghost_pv_free(&pv->ghost);
		free(pv->provisioned_by);
		free(pv->on_delete);
		free(pv->nfs_base);
		free(pv);
		return -ENOMEM;
	}
	pv->created = time(NULL);
	pv->b.spec = &pv->ghost;
	pv->b.provisioned_by = pv->provisioned_by;
	pv->b.phase = PV_PENDING;
	pv->b.phase_time = pv->created;
	pv->b.has_claim_ref = true;
	snprintf(pv->b.claim_ref.namespace, sizeof(pv->b.claim_ref.namespace),
		 "%s", j->ns);
	snprintf(pv->b.claim_ref.name, sizeof(pv->b.claim_ref.name), "%s",
		 j->claim);
	snprintf(pv->b.claim_ref.uid, sizeof(pv->b.claim_ref.uid), "%s", j->uid);
	pv->b.bound_by_controller = true;
	s->pvs[s->n_pvs++] = pv;
	return 0;
}

static void provision_done(struct cluster *c, struct pjob *j)
{
	struct storage *s = c->storage;
	struct spvc *pvc = storage_pvc_find(s, j->ns, j->claim);
	char msg[BINDER_REASON_LEN * 2];

	if (!pvc || strcmp(pvc->b.uid, j->uid))
		return;
	pvc->job = false;
	if (!j->rc && storage_pv_find(s, j->pv))
		return;
	if (!j->rc)
		j->rc = provisioned_pv(c, j, pvc,
				       storage_class_find(s, pvc->b.storage_class));
	if (j->rc == -ENOMEM && !j->msg[0])
		snprintf(j->msg, sizeof(j->msg), "%s", strerror(ENOMEM));
	if (j->rc) {
		pvc->retry_at = time(NULL) + (time_t)backoff_delay(pvc->attempts++);
		snprintf(msg, sizeof(msg), "failed to provision volume with StorageClass \"%s\": %s",
			 pvc->b.storage_class, j->msg);
		storage_event(c, "PersistentVolumeClaim", j->ns, j->claim,
			      BINDER_WARNING, "ProvisioningFailed", msg);
		snprintf(pvc->status_msg, sizeof(pvc->status_msg), "%.*s",
			 (int)sizeof(pvc->status_msg) - 1, msg);
		return;
	}
	pvc->attempts = 0;
	snprintf(msg, sizeof(msg), "Successfully provisioned volume %s", j->pv);
	storage_event(c, "PersistentVolumeClaim", j->ns, j->claim, BINDER_NORMAL,
		      "ProvisioningSucceeded", msg);
	log_info("persistentvolume %s provisioned for claim %s/%s: %s", j->pv,
		 j->ns, j->claim, j->out_path);
}

static void reclaim_done(struct cluster *c, struct pjob *j)
{
	struct storage *s = c->storage;
	struct spv *pv = storage_pv_find(s, j->pv);
	struct binder_world w = { .now = time(NULL) };

	if (!pv)
		return;
	pv->job = false;
	if (j->rc) {
		pv->retry_at = time(NULL) + 15;
		binder_reclaim_failed(&w, &pv->b, j->kind == JOB_RECYCLE ?
				      "VolumeFailedRecycle" : "VolumeFailedDelete",
				      j->msg);
		storage_event(c, "PersistentVolume", "", j->pv, BINDER_WARNING,
			      j->kind == JOB_RECYCLE ? "VolumeFailedRecycle" :
						       "VolumeFailedDelete",
			      j->msg);
		log_err("persistentvolume %s: %s", j->pv, j->msg);
		return;
	}
	pv->retry_at = 0;
	if (j->kind == JOB_RECYCLE) {
		binder_recycled(&w, &pv->b);
		storage_event(c, "PersistentVolume", "", j->pv, BINDER_NORMAL,
			      "VolumeRecycled", "Volume recycled");
		log_info("persistentvolume %s recycled", j->pv);
		return;
	}
	pv->drop = true;
	log_info("persistentvolume %s reclaimed and deleted", j->pv);
}

bool jobs_collect(struct cluster *c)
{
	struct storage *s = c->storage;
	struct pjob **pp, *done = NULL;
	bool any = false;

	pthread_mutex_lock(&s->jobs_lock);
	for (pp = &s->jobs; *pp;) {
		struct pjob *j = *pp;

		if (!j->done) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		j->next = done;
		done = j;
	}
	pthread_mutex_unlock(&s->jobs_lock);
	while (done) {
		struct pjob *j = done;

		done = j->next;
		/* the worker may still be between the job and its queue's lock */
		workq_cancel(c->workq, &j->work);
		if (j->kind == JOB_PROVISION)
			provision_done(c, j);
		else
			reclaim_done(c, j);
		job_free(j);
		any = true;
	}
	return any;
}

void jobs_stop(struct cluster *c)
{
	struct storage *s = c->storage;
	struct pjob *j;

	pthread_mutex_lock(&s->jobs_lock);
	j = s->jobs;
	s->jobs = NULL;
	pthread_mutex_unlock(&s->jobs_lock);
	while (j) {
		struct pjob *next = j->next;

		workq_cancel(c->workq, &j->work);
		job_free(j);
		j = next;
	}
}
