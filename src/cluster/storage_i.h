/*
 * storage_i.h - private to the cluster layer: PersistentVolumes, claims and
 * StorageClasses, and what is done for them.
 *
 * storage.c keeps every such object the daemon knows, merges each sync's
 * manifests into them, runs the binder, and hands pods' claim volumes
 * their PVs; records.c writes and reads them under STATE, so that a
 * restart finds every binding and phase again; provision.c runs the
 * provisioners and the reclaim on the work queue; storage_show.c renders
 * .podvolfs/ and keeps the events. Objects change under the cluster's
 * lock; the rendered tables and the events have their own lock, so that
 * readers of .podvolfs/ never wait for a sync.
 */
#ifndef PODVOLFS_STORAGE_I_H
#define PODVOLFS_STORAGE_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "podvolfs/binder.h"
#include "podvolfs/spec.h"
#include "podvolfs/state.h"
#include "podvolfs/workq.h"

struct cluster;
struct manifest;
struct pjob;

/*
 * What an object is when no manifest gives it now: the spec as recorded,
 * owned here. Every string is malloc'ed (NULL-free once filled).
 */

/* A PersistentVolume the daemon knows. */
struct spv {
	struct binder_pv b;		/* b.spec: the manifest's, or &ghost */
	struct spec_pv ghost;
	char *file;			/* the manifest; NULL for a provisioned PV */
	time_t created;
	bool in_manifest;		/* this sync's manifests give it */
	/*
	 * The claimRef the manifest had when last applied: an edit of it
	 * (removed, or its uid cleared, as an admin frees a Released PV) is
	 * applied to the binding, as kubectl apply's merge would.
	 */
	bool applied_has_ref;
	struct binder_ref applied_ref;
	/* a provisioned PV: who made it, and how to delete it */
	char *provisioned_by;		/* NULL for a static PV */
	char *on_delete;		/* nfs-subdir: "delete", "retain" or "archive" */
	char *nfs_base;			/* nfs-subdir: the export the directory is in */
	bool job;			/* a reclaim runs */
	time_t retry_at;		/* a failed reclaim is tried again then */
	bool drop;			/* deleted: goes at the end of this pass */
};

/* A PersistentVolumeClaim the daemon knows. */
struct spvc {
	struct binder_pvc b;		/* b.spec: the manifest's, or &ghost */
	struct spec_pvc ghost;
	char *file;			/* the manifest it last came from */
	time_t created;
	bool in_manifest;
	char *selector;			/* the spec's selector, as text: it is immutable */
	/* StatefulSet claims: what the set's retention policy says */
	bool delete_when_deleted;
	bool delete_when_scaled;
	unsigned consumers;		/* pods using it, counted each pass */
	bool job;			/* a provisioning runs */
	time_t retry_at;		/* a failed provisioning is tried again then */
	unsigned attempts;
	char status_msg[BINDER_REASON_LEN];	/* why Pending, for pods */
	bool drop;
};

/* A StorageClass the daemon knows. */
struct ssc {
	struct binder_class b;		/* b.spec: the manifest's, or &ghost */
	struct spec_storage_class ghost;
	char *file;
	bool in_manifest;
	bool drop;
};

/* One event, as kubectl get events shows it; repeats counted. */
struct sevent {
	time_t first, last;
	unsigned count;
	char type[8];
	char reason[40];
	char object[BINDER_NAME_LEN * 2 + 32];	/* "persistentvolumeclaim/ns/name" */
	char message[BINDER_REASON_LEN];
};

#define STORAGE_EVENTS 256

struct storage {
	struct spv **pvs;		/* sorted by name */
	size_t n_pvs;
	struct spvc **pvcs;		/* sorted by namespace, name */
	size_t n_pvcs;
	struct ssc **classes;		/* sorted by name */
	size_t n_classes;
	char *node_name;
	char *records;			/* what was last written to STATE */
	bool unsaved;			/* the last write of the records failed */
	bool loaded;			/* the records were read */
	struct pjob *jobs;		/* running or done, not yet collected */
	pthread_mutex_t jobs_lock;	/* protects jobs' done flags */
	/* what .podvolfs/ shows: rendered tables and events, under show_lock */
	pthread_mutex_t show_lock;
	/* persistentvolumes, claims, classes: '\t' columns, then the same as JSON */
	char *show[6];
	struct sevent events[STORAGE_EVENTS];
	size_t n_events;		/* ring: the newest is at (head + n - 1) */
	size_t head;
};

/* storage.c */
int storage_init(struct cluster *c, const char *node_name);
void storage_fini(struct cluster *c);
/*
 * With @merge, merges the objects of a sync's manifests @m (@n of them,
 * none when SOURCE is empty); without, only settles what jobs and pods
 * changed. Then binds, acts, persists, and gives
 * pods' claim volumes their PVs. The objects of a file that failed keep
 * their records. The specs of @m must live until the next call with
 * manifests. Caller holds c->lock.
 */
void storage_reconcile(struct cluster *c, bool merge,
		       const struct manifest *m, size_t n);
/* merge.c: applies a sync's manifests @m to the objects. Caller holds c->lock. */
void storage_merge(struct cluster *c, const struct manifest *m, size_t n);

/* Whether a PV, claim or StorageClass came from the manifest @path. */
bool storage_from_file(struct cluster *c, const char *path);
/*
 * Whether a failed provisioning or reclaim, or a failed write of the
 * records, waits to be tried again.
 */
bool storage_waiting(struct cluster *c);
/* Whether one of them is due now. */
bool storage_due(struct cluster *c);
struct spv *storage_pv_find(struct storage *s, const char *name);
struct spvc *storage_pvc_find(struct storage *s, const char *ns,
			      const char *name);
struct ssc *storage_class_find(struct storage *s, const char *name);

/* records.c: the objects under STATE/objects, one file written atomically */
int records_load(struct cluster *c);
int records_save(struct cluster *c);
void ghost_pv_free(struct spec_pv *g);
void ghost_pvc_free(struct spec_pvc *g);
void ghost_class_free(struct spec_storage_class *g);
/* Copies of lists of strings and of key-value pairs; on -ENOMEM free what was made. */
void strv_free(char **v, size_t n);
int strv_copy(char ***out, size_t *n_out, char *const *v, size_t n);
void kv_free(struct spec_kv *kv, size_t n);
int kv_copy(struct spec_kv **out, size_t *n_out, const struct spec_kv *kv,
	    size_t n);
/* Gives @g the node affinity kubernetes.io/hostname In [@node], and no other. Returns 0 or -ENOMEM. */
int hostname_affinity(struct spec_pv *g, const char *node);
/* Copies what a ghost keeps of @from into @g (freed first). Returns 0 or -ENOMEM. */
int ghost_pv_set(struct spec_pv *g, const struct spec_pv *from);
int ghost_pvc_set(struct spec_pvc *g, const struct spec_pvc *from);
int ghost_class_set(struct spec_storage_class *g,
		    const struct spec_storage_class *from);

/* provision.c */
/* Starts provisioning a volume for @pvc with class @sc. Caller holds c->lock. */
int provision_start(struct cluster *c, struct spvc *pvc, const struct ssc *sc);
/* Starts reclaiming the Released @pv by its policy. Caller holds c->lock. */
int reclaim_start(struct cluster *c, struct spv *pv);
/*
 * Applies the results of finished jobs to the objects. Returns true when
 * one changed something. Caller holds c->lock.
 */
bool jobs_collect(struct cluster *c);
/* Cancels and waits for every job, and frees them. */
void jobs_stop(struct cluster *c);
/* Whether the provisioner @name is one podvolfs runs (its aliases included). */
bool provisioner_known(const char *name);

/* storage_show.c */
void storage_event(struct cluster *c, const char *kind, const char *ns,
		   const char *name, const char *type, const char *reason,
		   const char *message);
/* Renders the tables of .podvolfs/ from the objects. Caller holds c->lock. */
void storage_render(struct cluster *c);
/* Puts .podvolfs/ in the tree. */
int storage_publish(struct cluster *c);

#endif
