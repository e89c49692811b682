/*
 * cluster_i.h - private to the cluster layer: containers' views of a pod.
 *
 * cluster.c starts a pod's volumes and mounts them at volumes/; views.c
 * then makes every container's views (SPEC section 2) and mounts them at
 * containers/<container>/<mountPath>, and says in the status file how each
 * went. Everything here runs under c->lock, in the sync that starts the
 * pod; the results are immutable once the pod is in the tree, so the status
 * file reads them without a lock.
 */
#ifndef PODVOLFS_CLUSTER_I_H
#define PODVOLFS_CLUSTER_I_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "podvolfs/fs.h"
#include "podvolfs/spec.h"
#include "podvolfs/volume.h"

/* One volumeMount of one container, as made. */
struct cmount {
	char *path;			/* the mountPath made absolute and clean */
	char *volume;
	char *sub_path;			/* expanded; "" for the volume's root */
	bool read_only;			/* readOnly or the volume's forced read-only */
	bool mounted;			/* in the tree */
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
	const struct volume *v;
	uint32_t vol_id;		/* its views' vol_id; 0 when not served */
};

/*
 * Makes the views of every container of @sp and mounts them under
 * @pod_path/containers/. @vols (@n_vols of them) are the pod's volumes in
 * spec order. A container whose mount cannot be made (an undefined
 * subPathExpr variable, a subPath that escapes its volume, a volume that is
 * not ready) gets no view at all, as a container that cannot start, and its
 * state says why. Returns 0 with the results in *@out (free with
 * ccontainers_free()), or -ENOMEM; what was added to the tree then stays
 * for the caller to remove with the pod.
 */
int containers_start(struct tree *t, const char *pod_path,
		     const struct spec_pod *sp, const struct view_volume *vols,
		     size_t n_vols, struct ccontainer **out, size_t *n);

/* Frees @cs. Accepts NULL. */
void ccontainers_free(struct ccontainer *cs, size_t n);

/* Writes the containers' and mounts' tables of the status file to @f. */
void ccontainers_print(FILE *f, const struct ccontainer *cs, size_t n);

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

#endif
