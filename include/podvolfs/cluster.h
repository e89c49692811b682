/*
 * cluster.h - the objects' life: pods appearing and going.
 *
 * The cluster reads SOURCE (a manifest file or a directory of them), works
 * out which pods should exist, and makes the tree match: new pods get their
 * volumes set up and appear, gone pods disappear and their emptyDirs are
 * deleted, edited pods (a new UID) are replaced. A manifest file that fails
 * to load changes nothing: its pods stay as they were.
 */
#ifndef PODVOLFS_CLUSTER_H
#define PODVOLFS_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "podvolfs/spec.h"
#include "podvolfs/store.h"
#include "podvolfs/tree.h"

struct cluster_config {
	const char *source;		/* absolute path of a file or directory */
	const char *state_dir;		/* absolute path */
	uint64_t memory_limit;		/* bytes; ceiling of each Memory emptyDir */
	bool memory_tmpfs;		/* -o memory_medium=tmpfs */
	double hostpath_cache;		/* seconds; -o hostpath_cache= */
	bool allow_local_git;		/* -o allow_local_git */
	double git_timeout;		/* seconds; -o git_timeout= */
	/* unknown fields in manifests; -o field_validation= */
	enum spec_field_validation field_validation;
	/* nfs volumes: -o nfs_port=, nfs_mount_port=, nfs_timeout=, nfs_actimeo= */
	struct nfs_target nfs;
	const char *node_name;		/* -o node_name=; NULL: the host name */
};

struct cluster;

/*
 * Opens the state directory (creating it, mode 0700) and binds the cluster
 * to @tree. Reads nothing yet. Returns NULL with errno set.
 */
struct cluster *cluster_new(const struct cluster_config *cfg,
			    struct tree *tree);

/*
 * Reads SOURCE and makes the tree match it. Problems with manifests are
 * logged, not returned. On the first call, state left by pods that no
 * longer exist is deleted, unless some manifest failed to load (it may
 * have held them). Returns 0, or -errno when SOURCE itself cannot be read.
 * Thread-safe.
 */
int cluster_sync(struct cluster *c);

/*
 * Starts the cluster's threads, in the process that serves (after the
 * daemon forked to the background): the work queue's workers, which run
 * the volumes' slow setup queued since cluster_new(), and a thread that
 * calls cluster_sync() when SOURCE changes (inotify) or when
 * cluster_request_sync() is called, and applies the volumes' changes.
 * Returns 0 or -errno (the watch thread could not start).
 */
int cluster_watch_start(struct cluster *c);

/* Asks the watch thread for a sync. Async-signal-safe. */
void cluster_request_sync(struct cluster *c);

/* Stops the watch thread, takes every pod out of the tree (keeping their data) and frees @c. */
void cluster_free(struct cluster *c);

#endif
