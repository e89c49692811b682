/*
 * spec.h - manifests as plain C structs.
 *
 * The spec layer reads YAML manifests (several documents per file) with
 * libyaml, checks them the way the Kubernetes apiserver does (SPEC sections 1,
 * 10 and 11), and hands back plain structs. It knows nothing of FUSE, stores
 * or the state directory. Every string in these structs is owned by the
 * struct spec_objects it came from and lives until spec_objects_free().
 *
 * Workload kinds are expanded here: a Deployment or ReplicaSet with
 * "replicas: N" yields N struct spec_pod, named as Kubernetes names them but
 * derived from the manifest so that they are stable across restarts.
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
	SPEC_VOL_PVC,
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
	/* "Deployment" or "ReplicaSet" with its name, or NULL for a Pod */
	char *owner_kind;
	char *owner_name;
	struct spec_kv *labels;
	size_t n_labels;
	struct spec_kv *annotations;
	size_t n_annotations;
	bool has_fs_group;
	int64_t fs_group;			/* securityContext.fsGroup */
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

/* The objects of one or more manifest files. */
struct spec_objects {
	struct spec_pod *pods;
	size_t n_pods;
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
 * pods with one namespace and name: the later file's is left out with an
 * error. @fields and @warn as for spec_load_file(). Returns 0 when @path
 * itself could be read, else -errno.
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
