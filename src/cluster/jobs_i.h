/*
 * jobs_i.h - private to the cluster layer: a provisioning or reclaim job.
 *
 * provision.c makes jobs under the cluster's lock, copying into them all
 * they need, runs them on the work queue and applies their results;
 * provisioners.c is the work itself, done without any lock of the cluster.
 */
#ifndef PODVOLFS_JOBS_I_H
#define PODVOLFS_JOBS_I_H

#include <stdbool.h>
#include <stddef.h>

#include "podvolfs/binder.h"
#include "podvolfs/spec.h"
#include "podvolfs/store.h"
#include "podvolfs/workq.h"

struct cluster;

#define LOCAL "podvolfs.io/local"
#define NFS_SUBDIR "podvolfs.io/nfs-subdir"

enum job_kind {
	JOB_PROVISION,
	JOB_DELETE,
	JOB_RECYCLE,
};

struct pjob {
	struct work work;
	struct cluster *c;
	enum job_kind kind;
	struct pjob *next;
	bool done;				/* under s->jobs_lock */
	/* what the job is for */
	char pv[BINDER_NAME_LEN];
	char ns[BINDER_NAME_LEN];
	char claim[BINDER_NAME_LEN];
	char uid[BINDER_UID_LEN];
	char *provisioner;			/* canonical name */
	char *provisioned_by;			/* as the class names it */
	struct spec_kv *params;
	size_t n_params;
	struct spec_kv *labels, *annotations;	/* the claim's, for pathPattern */
	size_t n_labels, n_annotations;
	bool selector;				/* the claim has one */
	unsigned modes;
	char *pvs_dir;				/* STATE/pvs */
	struct nfs_target nfs;			/* ports and timeouts */
	char **mount_options;			/* the class's, or the PV's */
	size_t n_mount_options;
	/* reclaim: the PV's source */
	enum spec_pv_type type;
	char *path;				/* hostPath, local, or nfs path */
	char *server;
	char *on_delete, *nfs_base;
	bool provisioned;
	/* the result */
	int rc;
	char msg[BINDER_REASON_LEN];
	char *out_path;				/* provisioned: the directory */
	char *out_on_delete;
};

/* The canonical name of a provisioner podvolfs runs: LOCAL or NFS_SUBDIR. */
const char *provisioner_canonical(const char *name);

/* The work of a job; each leaves j->rc and j->msg, and its results. */
void provision_local(struct pjob *j);
void provision_nfs(struct pjob *j);
void reclaim_delete(struct pjob *j);
void reclaim_recycle(struct pjob *j);

#endif
