/*
 * cluster_i.h - private to the cluster layer: pods, containers' views, status.
 *
 * cluster.c starts a pod's volumes and mounts each at volumes/ once it is
 * Ready; views.c prepares every container's views (SPEC section 2) when
 * the pod starts and makes them, under containers/<container>/<mountPath>,
 * once every volume the containers mount is settled, as the kubelet starts
 * a pod's containers only after its volumes are mounted (places.c: where
 * each mount goes, nested ones over their mount points; subpath.c: walks
 * in a volume); status.c says in the status file how each went. Everything that changes the tree runs
 * under c->lock, in a sync or in the watch thread.
 */
#ifndef PODVOLFS_CLUSTER_I_H
#define PODVOLFS_CLUSTER_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "podvolfs/spec.h"
#include "podvolfs/state.h"
#include "podvolfs/tree.h"
#include "podvolfs/volume.h"
#include "podvolfs/workq.h"

/* One manifest file as a sync read it. */
struct manifest {
	char *path;
	struct spec_objects objs;
	bool failed;
};

struct storage;

/* One volumeMount of one container, as made. */
struct cmount {
	char *path;			/* the mountPath made absolute and clean */
	char *volume;
	char *sub_path;			/* expanded; "" for the volume's root */
	bool read_only;			/* readOnly or the volume's forced read-only */
	bool mounted;			/* in the tree, or over a mount point */
	/*
	 * The mount this one lies inside, over whose view it is mounted (the
	 * last one at the nearest place that holds it); n_mounts when none,
	 * and it is mounted in the tree.
	 */
	size_t parent;
	struct view *view;		/* one reference while mounted; c->lock */
	/* a failure found when preparing (expansion, absolute, ".."), or NULL */
	const char *prep_state;
	char message[512];		/* why not mounted; "" when mounted */
};

/* One container (init containers first), with its mounts. */
struct ccontainer {
	char *name;
	bool init;
	const char *state;		/* "Ready", "CreateContainerConfigError", ... */
	char message[512];		/* why not Ready; "" when Ready */
	struct cmount *mounts;
	size_t n_mounts;
};

/* A volume of the pod as the views need it. */
struct view_volume {
	struct volume *v;
	uint32_t vol_id;		/* its views' vol_id; 0 when not served */
};

/* The cluster: see cluster.c (the sync, the watch thread) and pods.c. */
struct cluster {
	char *source;
	bool source_is_dir;		/* what SOURCE was when the daemon started */
	struct state *state;
	uint64_t memory_limit;
	bool memory_tmpfs;
	double hostpath_cache;
	bool allow_local_git;
	double git_timeout;
	enum spec_field_validation field_validation;
	struct nfs_target nfs;
	struct tree *tree;
	struct workq *workq;
	/* the last sync's manifests: the storage objects' specs point into them */
	struct manifest *manifests;
	size_t n_manifests;
	struct storage *storage;	/* PVs, claims, classes: storage_i.h */
	bool storage_dirty;		/* atomic: a job finished or a claim went */
	pthread_mutex_t lock;		/* serialises syncs and volume events */
	struct pod **pods;		/* protected by lock */
	size_t n_pods;			/* protected by lock */
	size_t cap_pods;		/* protected by lock */
	bool synced;			/* protected by lock: a sync has run */
	bool source_failed;		/* protected by lock: the last sync could not list SOURCE */
	uint32_t next_vol_id;		/* protected by lock */
	/*
	 * Views replaced by a volume's new content, each with a reference,
	 * swept until that reference is the last; protected by lock.
	 */
	struct view **retired;
	size_t n_retired;
	size_t cap_retired;
	int wake_fd;			/* eventfd: sync or stop requested */
	int event_fd;			/* eventfd: a volume changed */
	bool stopping;			/* atomic */
	bool watching;
	pthread_t thread;
};

/*
 * A running pod. Its volumes' changing parts are under each volume's own
 * lock; the rest changes only under the cluster's lock, except @attached.
 */
struct pod {
	char *ns;
	char *name;
	char *uid;
	char *file;			/* the manifest it came from */
	char *path;			/* "<ns>/<name>" in the tree */
	struct volume *volumes;		/* the array is fixed once the pod is in the tree */
	size_t n_volumes;
	struct view_volume *vols;	/* per volume; vol_id under c->lock */
	unsigned long *served_gen;	/* per volume: generation at volumes/; c->lock */
	/*
	 * Prepared when the pod starts; once @attached, every field is final.
	 * Before, only names, paths, volumes, subPaths and modes are.
	 */
	struct ccontainer *containers;
	size_t n_containers;
	pthread_mutex_t lock;		/* protects attached */
	bool attached;			/* the containers' views are made */
	unsigned long refs;		/* atomic: the cluster and the status file */
};

/*
 * Prepares the views of every container of @sp: mountPaths, volumes,
 * read-only flags, expanded subPaths, and what is wrong with them before
 * any volume is looked into. @vols (@n_vols of them) are the pod's volumes
 * in spec order. Returns 0 with the results in *@out (free with
 * ccontainers_free()), or -ENOMEM.
 */
int containers_prepare(const struct spec_pod *sp,
		       const struct view_volume *vols, size_t n_vols,
		       struct ccontainer **out, size_t *n);

/*
 * Makes the prepared views of @cs and mounts them under
 * @pod_path/containers/. A container whose mount cannot be made (an
 * undefined subPathExpr variable, a subPath that escapes its volume, a
 * volume that is not served) gets no view at all, as a container that
 * cannot start, and its state says why. Returns 0 or -ENOMEM; what was
 * added to the tree then stays for the caller to remove with the pod.
 */
int containers_attach(struct tree *t, const char *pod_path,
		      struct ccontainer *cs, size_t n,
		      const struct view_volume *vols, size_t n_vols);

/*
 * Points every mounted view of the volume @vv in the attached @cs at the
 * volume's current store, under the same vol_id as its new volumes/ view:
 * a re-synced gitRepo. Each view is replaced in one step, and the one it
 * replaced handed to @retired with a reference; a subPath is resolved
 * again in the new content (a mount whose subPath fails there keeps the
 * previous content, logged). Mounts inside one another are replaced
 * together, from the one in the tree down, their mount points made anew
 * where missing. Of the containers' records only the views they keep
 * change, so the status file may read them meanwhile.
 */
void containers_republish(struct tree *t, const char *pod_path,
			  struct ccontainer *cs, size_t n,
			  const struct view_volume *vv,
			  void (*retired)(void *arg, struct view *old),
			  void *arg);

/*
 * Drops the views the records of @cs keep, once the pod is out of the
 * tree: a volume's store then goes with the kernel's last use of it.
 */
void containers_unmount(struct ccontainer *cs, size_t n);

/* Frees @cs. Accepts NULL. */
void ccontainers_free(struct ccontainer *cs, size_t n);

/*
 * A container that cannot start: its state, and why in the kubelet's
 * words, on the container and (unless NULL) on the mount @cm.
 */
void container_fail(struct ccontainer *cc, struct cmount *cm,
		    const char *state, const char *msg);

/*
 * places.c: where a started container's mounts go. Two mounts at one
 * place: the later one is on top, as with a runtime's mounts, and the
 * earlier is hidden (its message says so). A mount inside another gets in
 * ->parent the one on top at the nearest place that holds it, over whose
 * view it is to be mounted. A mount at "/" fails the container. Returns 0
 * or -ENOMEM.
 */
int places_check(struct ccontainer *cc);

/*
 * The indexes of @cc's mounts in the order a runtime mounts them
 * (containerd sorts them by depth, stably): outer before inner. A new
 * array, or NULL without memory.
 */
size_t *places_depth_order(const struct ccontainer *cc);

/*
 * Mounts @iv, the view of @cm, over its mount point in @ov, the view of
 * @outer, which holds it (view_cover()), the mount point found or made by
 * mount_point_make(). Returns 0, with @cc failed and @cm's message set
 * when the mount point cannot be had (what runc refuses fails as
 * RunContainerError), or -ENOMEM.
 */
int places_nest_one(struct ccontainer *cc, struct cmount *cm,
		    const struct cmount *outer, struct view *ov,
		    struct view *iv);

/*
 * places_nest_one() for each shown mount of @cc inside another, in
 * @order (places_depth_order()), @views[i] being mount i's view. Stops at
 * the first failure, as a runtime does. Returns 0 or -ENOMEM.
 */
int places_nest(struct ccontainer *cc, struct view **views,
		const size_t *order);

/* The mount in the tree whose view holds the mount @k of @cc, or @k itself. */
size_t places_top(const struct ccontainer *cc, size_t k);

/*
 * status.c: writes the containers' and mounts' tables of the status file
 * to @f. Before the views are @attached, every container is
 * ContainerCreating and says which of @vols it waits for.
 */
void ccontainers_print(FILE *f, const struct ccontainer *cs, size_t n,
		       bool attached, const struct view_volume *vols,
		       size_t n_vols);

/* status.c: the status file's contents; a tree_content_fn over a struct pod. */
int pod_status(void *arg, char **buf, size_t *len);
/* status.c: status.json, the same for programs. */
int pod_status_json(void *arg, char **buf, size_t *len);

/* pods.c: "<a>/<b>", malloc'ed, or NULL without memory. */
char *path_join(const char *a, const char *b);

/*
 * Sets up the pod @sp's volumes and puts it in the tree. Returns 0 with the
 * pod in *@out (the cluster's reference), or -ENOMEM (nothing is left in
 * the tree). Caller holds c->lock.
 */
int pod_start(struct cluster *c, const struct spec_pod *sp, struct pod **out);

/*
 * Takes @p out of the tree and stops its volumes' background work (a clone
 * is killed and waited for); with @delete, its data in STATE goes too.
 * Drops the cluster's reference. Caller holds c->lock.
 */
void pod_stop(struct cluster *c, struct pod *p, bool delete);

/*
 * Brings every pod's tree up to date with its volumes, and sweeps the views
 * their new content replaced. Takes c->lock.
 */
void pods_update(struct cluster *c);

/*
 * Resolves the relative @sub inside the volume whose root is @root, as the
 * kubelet prepares a subPath (SPEC section 2 step 3): symlinks are followed
 * inside the volume (a relative target is relative to the link's
 * directory; an absolute one is a host path, outside the volume), missing
 * directories named by @sub itself are made (when @may_create) with the
 * root's full mode and owned by root, and anything that leads outside is
 * refused. Returns 0 with the object (any type) and a new reference in
 * *@out; -EXDEV when the path leaves the volume or cannot be resolved,
 * -EACCES when a directory could not be made (a dangling symlink, a read-
 * only volume, a store error), -ENOMEM. The caller's message tells the two
 * first apart as the kubelet does ("failed to prepare subPath" and
 * "failed to create subPath directory").
 */
int subpath_resolve(struct store *s, struct snode *root, const char *sub,
		    bool may_create, struct snode **out);

/*
 * The mount point of a volumeMount inside another (SPEC section 2, nested
 * mountPaths): @rel (clean, relative, not empty) beneath @root, the root
 * of the outer mount's view in @s, found or made as runc makes a mount's
 * destination in a container's root: each missing directory on the way
 * with mode 0755, then the mount point itself, a directory when @is_dir,
 * else an empty file of mode 0644, all owned by root. Nothing is made
 * when @read_only (the outer mount is read-only: runc's mkdir fails), and
 * no symlink is followed (runc would follow it inside the container's
 * root, where the mount would then land: not a place this view has).
 * Returns 0 with the node and a new reference in *@out; else -EROFS
 * (something is missing and @read_only), -ENOTDIR (a file on the way, or a
 * mount point of the other type), -ELOOP (a symlink), -ENAMETOOLONG,
 * -ENOMEM or the store's error, with in *@end the length of the part of
 * @rel that failed (up to and including the failing name).
 */
int mount_point_make(struct store *s, struct snode *root, const char *rel,
		     bool is_dir, bool read_only, struct snode **out,
		     size_t *end);

#endif
