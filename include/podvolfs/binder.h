/*
 * binder.h - the PersistentVolume controller's binder, as pure functions.
 *
 * The binder works over tables of PersistentVolumes, claims and
 * StorageClasses that the cluster layer fills from manifests and STATE,
 * and does what the Kubernetes PV controller does with them (SPEC section
 * 7.5): it moves phases, binds claims to volumes both ways, repairs half
 * done binds, gives nil-class claims the default class, and says which
 * claims need a volume provisioned and which volumes need reclaiming. It
 * does no I/O and keeps no state of its own: everything it decides is
 * written into the tables, and the cluster persists and acts on it.
 *
 * Inputs (the objects' specs) are borrowed pointers the caller keeps
 * alive; outputs (status, bindings) are fixed-size fields of the tables.
 */
#ifndef PODVOLFS_BINDER_H
#define PODVOLFS_BINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "podvolfs/spec.h"

/* Names are DNS subdomains (253) or, for namespaces, labels (63); UIDs 36. */
#define BINDER_NAME_LEN 254
#define BINDER_UID_LEN 40
#define BINDER_REASON_LEN 512

enum pv_phase {
	PV_PENDING,			/* just loaded; not yet looked at */
	PV_AVAILABLE,
	PV_BOUND,
	PV_RELEASED,
	PV_FAILED,
};

enum pvc_phase {
	PVC_PENDING,
	PVC_BOUND,
	PVC_LOST,
};

/* A claimRef (or a claim's key): namespace, name and, once bound, uid. */
struct binder_ref {
	char namespace[BINDER_NAME_LEN];
	char name[BINDER_NAME_LEN];
	char uid[BINDER_UID_LEN];		/* "" when not set */
};

struct binder_pv {
	/* spec, borrowed; spec->has_claim_ref is the user's pre-binding */
	const struct spec_pv *spec;
	bool deleting;				/* being deleted: never matched */
	/* annotation pv.kubernetes.io/provisioned-by, or NULL */
	const char *provisioned_by;

	/* status: the binder changes these */
	enum pv_phase phase;
	time_t phase_time;			/* lastPhaseTransitionTime */
	bool has_claim_ref;			/* spec.claimRef as it is now */
	struct binder_ref claim_ref;
	bool bound_by_controller;		/* pv.kubernetes.io/bound-by-controller */
	char reason[BINDER_REASON_LEN];		/* why Failed, or "" */
};

struct binder_pvc {
	/* spec, borrowed */
	const struct spec_pvc *spec;
	char uid[BINDER_UID_LEN];		/* given when the claim was first seen */
	bool deleting;				/* deleted but still used by a pod */
	/*
	 * A pod on this node uses the claim: for WaitForFirstConsumer the
	 * scheduler's path is taken (node affinity checked, provisioning
	 * with this node selected).
	 */
	bool has_consumer;

	/*
	 * status and the fields the controller writes: the binder changes
	 * these. @storage_class starts as the spec's and may be set from nil
	 * to the default class (has_storage_class then becomes true).
	 */
	bool has_storage_class;
	char storage_class[BINDER_NAME_LEN];
	char volume_name[BINDER_NAME_LEN];	/* spec.volumeName as it is now */
	bool bind_completed;			/* pv.kubernetes.io/bind-completed */
	bool bound_by_controller;		/* pv.kubernetes.io/bound-by-controller */
	enum pvc_phase phase;
	time_t phase_time;
	struct quantity capacity;		/* status.capacity: the PV's */
	unsigned access_modes;			/* status.accessModes: the PV's */
	/*
	 * The claim waits for a provisioner: set by the binder when a volume
	 * should be made (class non-empty, no match, not delayed); the
	 * cluster provisions and clears nothing: the binder clears it once
	 * the claim is bound.
	 */
	bool wants_volume;
};

struct binder_class {
	const struct spec_storage_class *spec;	/* borrowed */
	time_t created;				/* when podvolfs first saw it */
};

/* Event types, as Kubernetes prints them. */
#define BINDER_NORMAL "Normal"
#define BINDER_WARNING "Warning"

struct binder_world {
	struct binder_pv *pvs;			/* sorted by name (ties are stable) */
	size_t n_pvs;
	struct binder_pvc *pvcs;
	size_t n_pvcs;
	const struct binder_class *classes;
	size_t n_classes;
	/* this node: its name and labels, for nodeAffinity */
	const char *node_name;
	time_t now;				/* phase transition times */
	/*
	 * An event about an object: @kind "PersistentVolume" or
	 * "PersistentVolumeClaim", @ns "" for a PV. Called with the message
	 * Kubernetes uses ("waiting for first consumer to be created before
	 * binding"); the same event may be reported on every run, and the
	 * caller drops repeats. May be NULL.
	 */
	void (*event)(void *arg, const char *kind, const char *ns,
		      const char *name, const char *type, const char *reason,
		      const char *message);
	void *arg;
};

/*
 * Runs syncVolume over every PV, then syncClaim over every claim, and again
 * until a pass changes nothing (SPEC 7.5 [G]), at most 2 * (n_pvs +
 * n_pvcs) + 4 passes. Events that mark a change (ClaimLost, ...) are
 * reported as it happens; those that say how a claim stands (FailedBinding,
 * WaitForFirstConsumer, VolumeMismatch) once per run, for the state the
 * tables settled in. Returns the number of changes made to the tables (0:
 * they were settled).
 */
unsigned binder_run(struct binder_world *w);

/*
 * The cluster recycled @pv's data (SPEC 7.6): reports the event
 * VolumeRecycled ("Volume recycled"), unbinds it as the controller does (a
 * claimRef the controller set is removed, a user's pre-binding keeps its
 * name and loses its uid) and makes it Available.
 */
void binder_recycled(struct binder_world *w, struct binder_pv *pv);

/*
 * The cluster could not reclaim @pv (a delete or recycle failed, or a
 * deleter refused it): Failed, with @reason, and an event
 * VolumeFailedDelete or VolumeFailedRecycle (@event_reason). As Kubernetes
 * does, a PV already Failed keeps its first reason and gets no new event.
 */
void binder_reclaim_failed(struct binder_world *w, struct binder_pv *pv,
			   const char *event_reason, const char *reason);

/*
 * The default StorageClass of @w: among the classes marked default the
 * newest (largest @created), ties broken by name ascending; NULL if none.
 */
const struct binder_class *binder_default_class(const struct binder_world *w);

/* The class named @name, or NULL. */
const struct binder_class *binder_class_find(const struct binder_world *w,
					     const char *name);

/* Whether @labels (@n of them) match @sel (an absent selector matches all). */
bool binder_selector_matches(const struct spec_selector *sel,
			     const struct spec_kv *labels, size_t n);

/*
 * Whether the PV @pv's nodeAffinity admits the node @node_name, whose only
 * label is kubernetes.io/hostname=@node_name. No affinity admits every node.
 */
bool binder_node_matches(const struct spec_pv *pv, const char *node_name);

/* Writes "RWO,ROX" for @modes into @buf (at least 24 bytes). */
void binder_modes_string(unsigned modes, char *buf, size_t size);

const char *binder_pv_phase_name(enum pv_phase p);
const char *binder_pvc_phase_name(enum pvc_phase p);

#endif
