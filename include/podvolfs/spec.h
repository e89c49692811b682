/*
 * spec.h - manifests as plain C structs.
 *
 * The spec layer reads YAML manifests (several documents per file) with
 * libyaml, checks them the way the Kubernetes apiserver does (SPEC sections 1,
 * 7, 8, 10 and 11), and hands back plain structs. It knows nothing of FUSE, stores
 * or the state directory. Every string in these structs is owned by the
 * struct spec_objects it came from and lives until spec_objects_free().
 *
 * Workload kinds are expanded here: a Deployment, ReplicaSet or StatefulSet
 * with "replicas: N" yields N struct spec_pod, named as Kubernetes names
 * them but derived from the manifest so that they are stable across
 * restarts; the claims a StatefulSet's volumeClaimTemplates and a pod's
 * ephemeral volumes make are in spec_objects' pvcs beside those of
 * PersistentVolumeClaim documents.
 */
#ifndef PODVOLFS_SPEC_H
#define PODVOLFS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "podvolfs/err.h"
#include "podvolfs/quantity.h"

enum spec_volume_type {
	SPEC_VOL_EMPTYDIR,
	SPEC_VOL_HOSTPATH,
	SPEC_VOL_GITREPO,
	SPEC_VOL_NFS,
	SPEC_VOL_PVC,			/* persistentVolumeClaim, and ephemeral */
	SPEC_VOL_OTHER,			/* a source podvolfs does not implement */
};

/*
 * What an unknown field in a manifest is: the choices of the apiserver's
 * fieldValidation and of kubectl's --validate.
 */
enum spec_field_validation {
	SPEC_FIELDS_WARN,		/* a warning; the object is served (the default) */
	SPEC_FIELDS_STRICT,		/* an error: the file is refused */
	SPEC_FIELDS_IGNORE,		/* nothing is said */
};

struct spec_kv {
	char *key;
	char *value;
};

struct spec_volume {
	char *name;
	enum spec_volume_type type;
	/* the source's key as written: "emptyDir", "hostPath", "configMap", ... */
	char *source;
	struct spec_pos pos;			/* of the list item */
	struct {
		char *medium;			/* "" when absent */
		bool has_size_limit;
		struct quantity size_limit;
	} empty_dir;
	struct {
		char *path;
		char *type;			/* "" when absent (the v1 default) */
	} host_path;
	struct {
		char *repository;
		char *revision;			/* "" when absent */
		char *directory;		/* "" when absent */
	} git_repo;
	struct {
		char *server;
		char *path;
		bool read_only;
	} nfs;
	struct {
		char *claim_name;
		bool read_only;
		/*
		 * An ephemeral volume: its claim "<pod>-<volume>" is made
		 * for the pod (SPEC section 10) and is in spec_objects'
		 * claims with the pod as its owner.
		 */
		bool ephemeral;
	} pvc;
};

struct spec_env {
	char *name;
	char *value;				/* NULL when value_from is set */
	char *field_path;			/* valueFrom.fieldRef.fieldPath or NULL */
};

struct spec_volume_mount {
	char *name;
	char *mount_path;			/* as written (not made absolute) */
	bool read_only;
	char *sub_path;				/* "" when absent */
	char *sub_path_expr;			/* "" when absent */
	char *mount_propagation;		/* "" when absent */
	struct spec_pos pos;
};

struct spec_container {
	char *name;
	bool init;				/* from initContainers */
	/* resources.limits.memory, when given and not zero */
	bool has_memory_limit;
	struct quantity memory_limit;
	struct spec_env *env;
	size_t n_env;
	struct spec_volume_mount *mounts;
	size_t n_mounts;
	struct spec_pos pos;
};

struct spec_pod {
	char *namespace;			/* "default" when absent */
	char *name;
	/* 36-char UUID text: a hash of namespace, name and spec (and replica) */
	char *uid;
	/* "Deployment", "ReplicaSet" or "StatefulSet" with its name, or NULL for a Pod */
	char *owner_kind;
	char *owner_name;
	struct spec_kv *labels;
	size_t n_labels;
	struct spec_kv *annotations;
	size_t n_annotations;
	bool has_fs_group;
	int64_t fs_group;			/* securityContext.fsGroup */
	/* overhead.memory, when given and not zero */
	bool has_overhead_memory;
	struct quantity overhead_memory;
	struct spec_volume *volumes;
	size_t n_volumes;
	/* initContainers first, in order, then containers */
	struct spec_container *containers;
	size_t n_containers;
	char *file;				/* the manifest it came from */
	struct spec_pos pos;			/* of the document */
	/* the field path of its List item, "items[2]", or "" outside a List */
	char *list_item;
};

/* Access modes, as bits; strings list them in this order: RWO,ROX,RWX,RWOP. */
#define SPEC_RWO	(1u << 0)		/* ReadWriteOnce */
#define SPEC_ROX	(1u << 1)		/* ReadOnlyMany */
#define SPEC_RWX	(1u << 2)		/* ReadWriteMany */
#define SPEC_RWOP	(1u << 3)		/* ReadWriteOncePod */

/* An operator of a label selector or node selector requirement. */
enum spec_op {
	SPEC_OP_IN,
	SPEC_OP_NOT_IN,
	SPEC_OP_EXISTS,
	SPEC_OP_DOES_NOT_EXIST,
	SPEC_OP_GT,			/* node selectors only */
	SPEC_OP_LT,			/* node selectors only */
};

/* One matchExpressions item. */
struct spec_requirement {
	char *key;
	enum spec_op op;
	char **values;
	size_t n_values;
};

/* A label selector (metav1.LabelSelector); absent when !present. */
struct spec_selector {
	bool present;
	struct spec_kv *match_labels;
	size_t n_match_labels;
	struct spec_requirement *exprs;
	size_t n_exprs;
};

/* One nodeSelectorTerms item: its matchExpressions, ANDed. */
struct spec_node_term {
	struct spec_requirement *exprs;
	size_t n_exprs;
};

enum spec_pv_type {
	SPEC_PV_HOSTPATH,
	SPEC_PV_LOCAL,
	SPEC_PV_NFS,
	SPEC_PV_OTHER,			/* csi, iscsi, ...: listed, never served */
};

/* A PersistentVolume (SPEC section 7.2), defaults applied. */
struct spec_pv {
	char *name;
	struct spec_kv *labels;
	size_t n_labels;
	struct spec_kv *annotations;
	size_t n_annotations;
	struct quantity capacity;		/* capacity.storage */
	unsigned access_modes;			/* SPEC_RWO | ... */
	char *reclaim_policy;			/* "Retain" when absent */
	/* the legacy annotation volume.beta.kubernetes.io/storage-class if set, else storageClassName or "" */
	char *storage_class;
	bool block;				/* volumeMode: Block */
	char **mount_options;
	size_t n_mount_options;
	enum spec_pv_type type;
	char *source;				/* the source's key as written: "hostPath", "csi" */
	struct {
		char *path;
		char *type;			/* "" when absent */
	} host_path;
	struct {
		char *path;
	} local;
	struct {
		char *server;
		char *path;
		bool read_only;			/* ignored for serving (SPEC 12.10) */
	} nfs;
	/* nodeAffinity.required.nodeSelectorTerms: ORed */
	struct spec_node_term *node_terms;
	size_t n_node_terms;
	bool has_claim_ref;			/* spec.claimRef: pre-bound by the user */
	struct {
		char *namespace;		/* "default" when absent */
		char *name;
		char *uid;			/* "" when absent */
	} claim_ref;
	char *file;
	struct spec_pos pos;
	char *list_item;			/* as in struct spec_pod */
};

/*
 * A PersistentVolumeClaim (SPEC section 7.3): from a manifest, or made
 * from a template of a StatefulSet or of a pod's ephemeral volume (then
 * @owner_kind is "StatefulSet" or "Pod").
 */
struct spec_pvc {
	char *namespace;			/* "default" when absent */
	char *name;
	struct spec_kv *labels;
	size_t n_labels;
	struct spec_kv *annotations;
	size_t n_annotations;
	unsigned access_modes;
	struct quantity request;		/* resources.requests.storage */
	/*
	 * The class: the legacy annotation volume.beta.kubernetes.io/storage-class
	 * if set, else storageClassName; has_storage_class false when both are
	 * absent (nil: the default class may be given to it).
	 */
	bool has_storage_class;
	char *storage_class;			/* "" when nil */
	struct spec_selector selector;
	char *volume_name;			/* "" when absent */
	bool block;				/* volumeMode: Block */
	char *owner_kind;			/* NULL, "StatefulSet" or "Pod" */
	char *owner_name;
	char *owner_uid;			/* the pod's UID for "Pod", else NULL */
	char *file;
	struct spec_pos pos;
	char *list_item;
};

/* A StorageClass (SPEC section 8.1), defaults applied. */
struct spec_storage_class {
	char *name;
	struct spec_kv *annotations;
	size_t n_annotations;
	char *provisioner;
	struct spec_kv *parameters;
	size_t n_parameters;
	char *reclaim_policy;			/* "Delete" when absent */
	bool wait_for_first_consumer;		/* volumeBindingMode */
	bool allow_volume_expansion;
	char **mount_options;
	size_t n_mount_options;
	/* storageclass(.beta).kubernetes.io/is-default-class is exactly "true" */
	bool is_default;
	char *file;
	struct spec_pos pos;
	char *list_item;
};

/*
 * A StatefulSet: its pods are in spec_objects' pods ("<name>-<ordinal>")
 * and the claims of its volumeClaimTemplates in its claims; this says what
 * the cluster needs to keep or delete the claims of replicas that went.
 */
struct spec_statefulset {
	char *namespace;
	char *name;
	unsigned replicas;
	/* persistentVolumeClaimRetentionPolicy: true for Delete, false for Retain */
	bool delete_when_deleted;
	bool delete_when_scaled;
	char **templates;			/* the claim templates' names */
	size_t n_templates;
	char *file;
	struct spec_pos pos;
	char *list_item;			/* as in struct spec_pod */
};

/* The objects of one or more manifest files. */
struct spec_objects {
	struct spec_pod *pods;
	size_t n_pods;
	struct spec_pv *pvs;
	size_t n_pvs;
	struct spec_pvc *pvcs;
	size_t n_pvcs;
	struct spec_storage_class *classes;
	size_t n_classes;
	struct spec_statefulset *statefulsets;
	size_t n_statefulsets;
	/* one line per skipped document: "FILE:LINE:COL: skipping kind "X"" */
	char **notices;
	size_t n_notices;
};

/* Empties @objs. Can't fail. */
void spec_objects_init(struct spec_objects *objs);

/* Frees everything @objs holds and empties it. Accepts an empty one. */
void spec_objects_free(struct spec_objects *objs);

/*
 * Reads every document of the manifest file @path and appends its objects
 * to @objs. A List (kind List, apiVersion v1, as kubectl get -o yaml writes
 * it) stands for its items, each read as a document of its own, its errors
 * on field paths "items[i]..."; a List inside a List is an error. Documents
 * of kinds podvolfs does not use are skipped with a notice. An unknown
 * field is, as @fields says, a warning added to @warn (which may be NULL),
 * an error, or nothing; a repeated field is always an error. Returns 0, or
 * -EINVAL (bad YAML, repeated, mistyped or in Strict mode unknown fields, a
 * failed validation, a limit of podvolfs(8) LIMITS crossed: every problem
 * is added to @err) or another -errno (the file could not be read; @err
 * says so). On any error @objs is unchanged: a file is taken whole or not
 * at all; @warn has the warnings either way. The time and memory it takes
 * are bounded by those limits.
 */
int spec_load_file(const char *path, enum spec_field_validation fields,
		   struct spec_objects *objs, struct podvolfs_err *err,
		   struct podvolfs_err *warn);

/*
 * Reads @path: a manifest file, or a directory whose "*.yaml", "*.yml" and
 * "*.json" files are read in name order (hidden files skipped). A file that
 * fails is left out, its errors added to @err; the others are kept. Two
 * objects of one kind with one name (and namespace, for namespaced kinds):
 * the later file's is left out with an error, and so is what it made (a
 * StatefulSet's pods and claims, a pod's ephemeral claims). @fields and
 * @warn as for spec_load_file(). Returns 0 when @path itself could be
 * read, else -errno.
 */
int spec_load_source(const char *path, enum spec_field_validation fields,
		     struct spec_objects *objs, struct podvolfs_err *err,
		     struct podvolfs_err *warn);

/* Name rules, exposed for tests. Each returns NULL when @s is valid, else the upstream detail. */
const char *spec_check_dns_label(const char *s);
const char *spec_check_dns_subdomain(const char *s);

/*
 * Writes the name of replica @index of ReplicaSet @rs_name into @buf
 * ("<rs>-xxxxx": the base truncated to 58 characters, then five characters
 * of "bcdfghjklmnpqrstvwxz2456789" derived from @namespace, @rs_name and
 * @index). @buf must hold 64 bytes.
 */
void spec_replica_name(const char *namespace, const char *rs_name,
		       unsigned index, char *buf);

#endif
