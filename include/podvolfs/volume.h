/*
 * volume.h - volume sources: from a pod's volume spec to a store.
 *
 * A source checks the fields the apiserver leaves to the kubelet, sets the
 * volume up (creates its directory, checks a host path, clones, connects),
 * picks a store, and tears it down by its lifetime rules. A volume that
 * cannot be set up says why in its message and is left out of the tree;
 * the pod's other volumes are served. Sources never do I/O for FUSE.
 *
 * A volume has a state that only this layer changes:
 *
 *   Pending ---> Preparing ---> Ready
 *     ^  |           |            (a re-sync publishes a new store, still Ready)
 *     |  +-----------+----> Failed
 *     +--------------+      (a failure that may heal: retried with backoff)
 *
 * Quick sources (emptyDir, hostPath) go straight to Ready or Failed inside
 * volume_start(). Slow ones (gitRepo) return Pending at once and do their
 * work on the work queue; each change of state or of the served store is
 * announced through ctx->changed, which the cluster layer registers. Mere
 * progress (the message of a Preparing volume) is not announced: readers
 * see it whenever they look.
 */
#ifndef PODVOLFS_VOLUME_H
#define PODVOLFS_VOLUME_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "podvolfs/spec.h"
#include "podvolfs/state.h"
#include "podvolfs/store.h"
#include "podvolfs/tree.h"
#include "podvolfs/workq.h"

enum volume_state {
	VOLUME_PENDING,			/* queued, or waiting to try again */
	VOLUME_PREPARING,		/* set up in the background; message: progress */
	VOLUME_READY,			/* served */
	VOLUME_FAILED,			/* setup failed for good; message says why */
	VOLUME_UNSUPPORTED,		/* a source podvolfs does not implement */
};

#define VOLUME_MESSAGE_LEN 512

/* What a source needs to know about its pod and the daemon. Borrowed: sources copy what they keep. */
struct volume_ctx {
	struct state *state;
	struct workq *workq;		/* for sources that set up slowly */
	const char *pod_uid;
	const char *pod_path;		/* "<ns>/<name>", for the log */
	const struct spec_kv *annotations;	/* the pod's */
	size_t n_annotations;
	bool has_fs_group;
	gid_t fs_group;
	uint64_t memory_limit;		/* bytes; a Memory emptyDir's ceiling */
	/* bytes; the pod's memory limit from its containers', or 0 */
	uint64_t pod_memory_limit;
	/* Memory emptyDirs on private tmpfs instances (else the RAM store) */
	bool memory_tmpfs;
	/* seconds a hostPath's attributes, names and pages may be cached */
	double hostpath_cache;
	bool allow_local_git;		/* file:// and local paths as gitRepo */
	double git_timeout;		/* seconds without data before a clone gives up */
	/* nfs volumes: ports, timeout and attribute cache (server, export unset) */
	struct nfs_target nfs;
	/*
	 * Called after the volume's state or served store changed, from any
	 * thread, with no lock of this layer held. It must not block: the
	 * cluster layer only wakes its own thread.
	 */
	void (*changed)(void *arg);
	void *changed_arg;
};

struct volume_source;
struct pvc_ctx;

struct volume {
	char *name;
	char *type;			/* the source's key: "emptyDir", ... */
	char *detail;			/* e.g. "medium=Memory"; may be NULL */
	struct view_cache cache;	/* how the kernel may cache it */
	/*
	 * The source makes every view read-only, whatever the volumeMount
	 * says (SPEC section 2 step 5): a read-only PVC or NFS volume.
	 */
	bool forced_read_only;
	/*
	 * A persistentVolumeClaim or ephemeral volume: the claim's name, and
	 * whether pvc_resolve() gave it its PV (changed under the cluster's
	 * lock only). NULL and false for the other sources.
	 */
	char *claim;
	bool claim_resolved;
	struct pvc_ctx *claim_ctx;	/* what pvc_resolve() needs of the pod */
	pthread_mutex_t lock;		/* protects the fields below */
	enum volume_state state;
	char message[VOLUME_MESSAGE_LEN];	/* why not ready, progress, or what is served */
	struct store *store;		/* one reference while Ready: what is served */
	/* counts the stores published; a new one means new content to serve */
	unsigned long generation;
	struct volume_source *src;	/* a slow source's background work, or NULL */
	/* a claim's volume: the PV it was resolved to, for the message; or NULL */
	char *claim_pv;
	void (*changed)(void *arg);
	void *changed_arg;
};

/* A consistent copy of what may change, from volume_get(). */
struct volume_info {
	enum volume_state state;
	char message[VOLUME_MESSAGE_LEN];
	struct store *store;		/* a new reference, or NULL when not asked or not Ready */
	unsigned long generation;
};

/*
 * Sets up @v from @sv: quick sources to Ready or Failed at once, slow ones
 * to Pending with their work queued. Always fills @v unless it returns
 * -ENOMEM; a failed setup is not an error of this call, it is the
 * volume's state. Stop with volume_stop(), free with volume_release().
 */
int volume_start(struct volume *v, const struct spec_volume *sv,
		 const struct volume_ctx *ctx);

/*
 * Copies @v's state, message and generation into @out, and with
 * @want_store takes a reference to the served store (the caller drops it
 * with store_unref()). Thread-safe.
 */
void volume_get(struct volume *v, struct volume_info *out, bool want_store);

/*
 * Cancels @v's background work and waits until none runs: a clone in
 * progress is killed. Afterwards the state no longer changes and nothing
 * writes into the volume's state directory, which may then be deleted.
 * Call it from a thread that no job of the work queue waits for.
 */
void volume_stop(struct volume *v);

/*
 * The layer above could not serve @v's store (-@err, e.g. -ENOMEM): @v
 * becomes Failed with "cannot serve: <error>". Thread-safe.
 */
void volume_unservable(struct volume *v, int err);

/* Stops @v and drops what it holds. The data stays; the pod's removal deletes it. */
void volume_release(struct volume *v);

/* The display name of a state: "Pending", "Ready", "NotSupported", ... */
const char *volume_state_name(enum volume_state state);

/* Whether a volume in @state is done changing state on its own: neither Pending nor Preparing. */
bool volume_state_settled(enum volume_state state);

/* emptyDir: its store, or -errno with @msg (size @len) saying why. */
int emptydir_setup(const struct spec_volume *sv, const struct volume_ctx *ctx,
		   struct store **out, char *msg, size_t len);

/*
 * hostPath: checks (and for the *OrCreate types and type "" creates) the
 * host path as the kubelet does, and returns a passthrough store whose root
 * is the object found there, a directory or not. On failure returns -errno
 * with @msg (size @len) in the kubelet's words ("hostPath type check
 * failed: /srv is not a directory"). Never changes an existing object.
 */
int hostpath_setup(const struct spec_volume *sv, struct store **out,
		   char *msg, size_t len);

/*
 * gitRepo: checks the fields as the kubelet does, then clones in the
 * background (docs/design/gitrepo.md). Leaves @v Pending, or Ready at once
 * when the same pod's checkout is found in STATE, or Failed. Returns 0 or
 * -ENOMEM.
 */
int gitrepo_start(struct volume *v, const struct spec_volume *sv,
		  const struct volume_ctx *ctx);

/*
 * nfs: connects to the export in the background (docs/design/nfs.md).
 * Leaves @v Pending; Ready once the server answers, retried with backoff
 * until then. Returns 0 or -ENOMEM.
 */
int nfs_start(struct volume *v, const struct spec_volume *sv,
	      const struct volume_ctx *ctx);

/*
 * persistentVolumeClaim and ephemeral: the volume waits, Pending, until the
 * cluster layer has a PV for the claim and calls pvc_resolve(). @sv's
 * readOnly forces read-only views. Returns 0 or -ENOMEM.
 */
int pvc_start(struct volume *v, const struct spec_volume *sv,
	      const struct volume_ctx *ctx);

/* What a bound claim gives a pod's volume. */
struct pvc_target {
	const struct spec_pv *pv;	/* borrowed for the call */
	/* nfs PVs: ports, timeout and attribute cache (server, export unset) */
	struct nfs_target nfs;
	bool read_only;			/* every view read-only (a ROX-only PV) */
};

/*
 * Serves @t's PV through the claim volume @v: a hostPath or local PV as a
 * host directory, an nfs PV through the nfs store (its mountOptions port=,
 * mountport= and nfsvers= honoured). Once only: a volume stays with the PV
 * it was first given. The caller holds the cluster's lock. Returns 0 or
 * -ENOMEM; a PV that cannot be served makes @v Failed, with the reason.
 */
int pvc_resolve(struct volume *v, const struct pvc_target *t);

/*
 * Says why the claim volume @v has no PV yet: Pending with @fmt's message,
 * or Failed with @failed. Does nothing once @v is resolved.
 */
void pvc_wait(struct volume *v, bool failed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The helper process that runs libgit2 for gitRepo volumes: the daemon
 * starts its own executable with argv[0] GITREPO_HELPER_NAME, and main()
 * calls this. Returns the process's exit status.
 */
int gitrepo_helper_main(int argc, char **argv);

#define GITREPO_HELPER_NAME "podvolfs-git"

#endif
