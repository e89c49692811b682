/*
 * spec_i.h - private interface of the spec layer.
 *
 * The loader keeps a libyaml document in memory and walks it with a
 * struct spec_ctx, which carries the file name, the error sink and the
 * Kubernetes field path ("spec.volumes[2].emptyDir") of the node being
 * decoded. Decoding and validation happen in the same walk, so every error
 * knows the exact line and column of the value it complains about.
 */
#ifndef PODVOLFS_SPEC_I_H
#define PODVOLFS_SPEC_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "podvolfs/spec.h"
#include "podvolfs/strmap.h"

#define SPEC_PATH_MAX 512

/*
 * Limits, so that the time and memory a file takes are bounded by its size
 * whatever it holds; docs/podvolfs.8 (LIMITS) lists each one. The first
 * ones are checked by the streaming pass of scan.c before a document is
 * built, the expanded ones by the loader.
 */
#define SPEC_FILE_MAX (3 << 20)			/* bytes: the apiserver's request limit */
#define SPEC_DOCS_MAX 1000			/* documents in a file */
#define SPEC_DIRECTIVES_MAX 100			/* %YAML and %TAG before one document */
#define SPEC_DEPTH_MAX 100			/* levels of nesting, the root's included */
#define SPEC_KEYS_MAX 10000			/* keys of one mapping */
#define SPEC_SCALAR_MAX (1 << 20)		/* bytes of one scalar */
#define SPEC_ANCHORS_MAX 100			/* anchors in a document */
/* A document, as written and once its aliases are expanded. */
#define SPEC_NODE_BUDGET 200000
#define SPEC_TEXT_BUDGET SPEC_FILE_MAX		/* bytes of scalars, expanded */
/* A file, as written and once aliases and replicas are expanded. */
#define SPEC_FILE_NODE_BUDGET 1000000
#define SPEC_FILE_TEXT_BUDGET (32 << 20)	/* bytes of scalars, expanded */

/* Replicas beyond this are refused (each one is a full pod in memory). */
#define SPEC_REPLICAS_MAX 10000

struct spec_path {
	char buf[SPEC_PATH_MAX];		/* always terminated */
	size_t len;
	/* what resets keep: "items[2]" in an item of a List, else 0 bytes */
	size_t root;
};

struct spec_ctx {
	const char *file;			/* borrowed, for messages */
	yaml_document_t *doc;			/* borrowed */
	struct podvolfs_err *err;		/* NULL: count errors, keep none */
	struct podvolfs_err *warn;		/* NULL: warnings dropped */
	enum spec_field_validation fields;	/* what an unknown field is */
	unsigned nerr;				/* errors found through this ctx */
	/*
	 * Of those, the errors about keys: unknown, repeated or not a field
	 * name. They leave the meaning of the rest intact, so they never make
	 * what holds them invalid for the checks that follow.
	 */
	unsigned nkeys;
	bool oom;				/* an allocation failed */
	struct spec_path path;			/* field path of the current node */
	size_t doc_nodes;			/* of the current document, expanded */
	size_t doc_text;			/* bytes of its scalars, expanded */
	/* documents so far, an item of a List counting as one, a List as none */
	unsigned docs;
	size_t file_nodes;			/* of the documents so far, replicas counted */
	size_t file_text;			/* bytes of their scalars, the same way */
	/*
	 * Where the claims of a pod's ephemeral volumes go while it is
	 * decoded; NULL when the pod is only being checked.
	 */
	struct spec_objects *claims;
};

/* Running hashes over bytes: two FNV-1a 64 with different bases, one FNV-1a 32. */
struct spec_hash {
	uint64_t a;
	uint64_t b;
	uint32_t c;
};

/* A field looked up in a mapping. */
struct spec_field {
	yaml_node_t *key;			/* NULL when absent */
	yaml_node_t *val;			/* NULL when absent or null */
	yaml_mark_t mark;			/* of the value, else of the mapping */
};

/* yaml.c: paths, errors, node access */
size_t spec_path_key(struct spec_path *p, const char *key);
size_t spec_path_index(struct spec_path *p, size_t i);
/* "[key]": a key of a map of strings (labels, annotations, ...) */
size_t spec_path_bracket(struct spec_path *p, const char *key);
/* Back to @mark, or to the root when @mark is below it (0: the root). */
void spec_path_reset(struct spec_path *p, size_t mark);
/* The root, then @s: "spec.template" is "items[2].spec.template" in an item. */
void spec_path_set(struct spec_path *p, const char *s);
/* Makes the first @root bytes of the path its root (0: none) and resets to it. */
void spec_path_set_root(struct spec_path *p, size_t root);

void spec_pos_of(const struct spec_ctx *c, const yaml_mark_t *m,
		 struct spec_pos *pos);
void spec_ctx_err(struct spec_ctx *c, const yaml_mark_t *m, const char *field,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void spec_err_required(struct spec_ctx *c, const yaml_mark_t *m, const char *detail);
void spec_err_invalid(struct spec_ctx *c, const yaml_mark_t *m, const char *value,
		 const char *detail);
void spec_err_invalid_int(struct spec_ctx *c, const yaml_mark_t *m, int64_t value,
		     const char *detail);
void spec_err_duplicate(struct spec_ctx *c, const yaml_mark_t *m, const char *value);
void spec_err_not_found(struct spec_ctx *c, const yaml_mark_t *m, const char *value);
void spec_err_forbidden(struct spec_ctx *c, const yaml_mark_t *m, const char *detail);
void spec_err_unsupported(struct spec_ctx *c, const yaml_mark_t *m,
		     const char *value, const char *const *supported);
size_t spec_quote(const char *s, char *buf, size_t size);

char *spec_ctx_strdup(struct spec_ctx *c, const char *s);
void *spec_ctx_calloc(struct spec_ctx *c, size_t n, size_t size);

yaml_node_t *spec_node_at(const struct spec_ctx *c, int id);
bool spec_node_is_null(const yaml_node_t *n);
const char *spec_node_kind_name(const yaml_node_t *n);
size_t spec_seq_len(const yaml_node_t *n);
yaml_node_t *spec_seq_item(const struct spec_ctx *c, const yaml_node_t *n, size_t i);
/*
 * Expands the aliases of the document at @root within the budgets of one
 * document and of the file so far, and adds it to the file's counts.
 * Returns 0, or -EINVAL with the error reported.
 */
int spec_doc_check(struct spec_ctx *c, yaml_node_t *root);
/*
 * Makes @n, a node of a document spec_doc_check() passed, the current
 * document for the budgets of its replicas (c->doc_nodes, c->doc_text).
 * Can't fail: a part of that document is within its budgets.
 */
void spec_doc_measure(struct spec_ctx *c, const yaml_node_t *n);

/*
 * Reports, in @map, scalar keys that are not field names and keys that
 * repeat an earlier key (errors), and with @fields, keys not in that list
 * (as c->fields says). Each error counts in c->nkeys.
 */
void spec_map_check(struct spec_ctx *c, yaml_node_t *map,
	       const char *const *fields);
void spec_map_find(const struct spec_ctx *c, yaml_node_t *map, const char *key,
	      struct spec_field *f);
char *spec_get_str(struct spec_ctx *c, yaml_node_t *map, const char *key,
	      struct spec_field *f);
bool spec_get_bool(struct spec_ctx *c, yaml_node_t *map, const char *key);
bool spec_get_int(struct spec_ctx *c, yaml_node_t *map, const char *key,
	     int64_t min, int64_t max, int64_t *out, struct spec_field *f);
yaml_node_t *spec_get_map(struct spec_ctx *c, yaml_node_t *map, const char *key,
		     struct spec_field *f);
yaml_node_t *spec_get_seq(struct spec_ctx *c, yaml_node_t *map, const char *key,
		     struct spec_field *f);
/* @n as a string (a copy), or "" after an error on the current path. */
char *spec_node_str(struct spec_ctx *c, const yaml_node_t *n);
/* "FIELD: Invalid value: <v>: expected <what>" on the current path. */
void spec_err_type(struct spec_ctx *c, const yaml_node_t *n, const char *what);
/* A scalar that is a string or a number (what a quantity may be). */
bool spec_node_is_text(const yaml_node_t *n);
bool spec_want_kind(struct spec_ctx *c, yaml_node_t *n, yaml_node_type_t type,
	       const char *what);
int spec_get_kv(struct spec_ctx *c, yaml_node_t *map, const char *key,
	   struct spec_kv **out, size_t *n);

void spec_hash_init(struct spec_hash *h);
void spec_hash_bytes(struct spec_hash *h, const void *p, size_t n);
void spec_hash_str(struct spec_hash *h, const char *s);
void spec_hash_node(const struct spec_ctx *c, struct spec_hash *h,
	       const yaml_node_t *n, unsigned depth);

/*
 * A warning about what podvolfs reads but does not implement, at @m on
 * the current path: "FILE:LINE:COL: FIELD: DETAIL". Can't fail.
 */
void spec_warn(struct spec_ctx *c, const yaml_mark_t *m, const char *detail);

/*
 * scan.c: checks the limits of the file @buf (@len bytes) in streaming
 * passes, before anything is built. Returns 0 when none is crossed (a YAML
 * syntax error is left for the loader to report), -EINVAL with the error
 * reported, or -ENOMEM.
 */
int spec_scan(struct spec_ctx *c, const unsigned char *buf, size_t len);

/* names.c */
unsigned spec_dns_label_errors(const char *s, const char *msgs[2]);
unsigned spec_dns_subdomain_errors(const char *s, const char *msgs[2]);
/*
 * IsQualifiedName (a label key): up to four messages, each the
 * concatenation of @pre[i] ("prefix part ", "name part " or "") and
 * @msgs[i].
 */
unsigned spec_qualified_name_errors(const char *s, const char *pre[4],
				    const char *msgs[4]);
/* IsValidLabelValue: up to two messages. */
unsigned spec_label_value_errors(const char *s, const char *msgs[2]);

/* replica.c */
void spec_generate_name(const char *namespace, const char *base,
			unsigned index, char *buf);
void spec_template_hash(const struct spec_hash *h, char *buf, size_t size);
void spec_uid(const struct spec_hash *h, char *buf);

/*
 * The volumes a StatefulSet's controller puts first in each pod, one per
 * claim template; a volume of the pod template with one of these names is
 * replaced (and so not decoded).
 */
struct spec_claim_volumes {
	char **names;				/* the templates' names */
	char **claims;				/* "<template>-<set>-<ordinal>" */
	yaml_mark_t *marks;			/* of the templates */
	size_t n;
};

/* volume.c, container.c, pod.c */
/* Whether @p, split on '/', has an element "..". */
bool spec_has_backstep(const char *p);
void spec_check_descending_path(struct spec_ctx *c, const yaml_mark_t *m,
			   const char *p);
/* @claims: NULL, or the volumes a StatefulSet adds. */
int spec_pod_spec_decode(struct spec_ctx *c, yaml_node_t *spec,
		    const yaml_mark_t *where,
		    const struct spec_claim_volumes *claims,
		    struct spec_pod *pod);
/* Adds the name of each volume without errors to @valid. */
int spec_volumes_decode(struct spec_ctx *c, yaml_node_t *seq,
		   const struct spec_claim_volumes *claims,
		   struct spec_pod *pod, struct strmap *valid);
/* A volumeMount may name a volume of @valid only. */
int spec_containers_decode(struct spec_ctx *c, yaml_node_t *spec,
		      const yaml_mark_t *where, struct spec_pod *pod,
		      const struct strmap *valid);
/*
 * @key of @map, a quantity, parsed into *@q with errors on the current
 * path plus @key; false when absent or refused.
 */
bool spec_quantity_decode(struct spec_ctx *c, yaml_node_t *map,
			  const char *key, struct quantity *q);
/* The value of @f, a quantity, parsed into *@q with errors on the current path. */
bool spec_quantity_value(struct spec_ctx *c, const struct spec_field *f,
			 struct quantity *q);
/* hostPath and nfs, as pod volumes and PersistentVolumes have them. */
void spec_host_path_decode(struct spec_ctx *c, yaml_node_t *m, char **path,
			   char **type);
void spec_nfs_decode(struct spec_ctx *c, yaml_node_t *m, char **server,
		     char **path, bool *read_only);
void spec_pod_free(struct spec_pod *pod);
void spec_kv_free(struct spec_kv *kv, size_t n);
/* Sets @key to @value in the map *@kv of *@n entries; 0 or -ENOMEM. */
int spec_kv_set(struct spec_kv **kv, size_t *n, const char *key,
		const char *value);

/* pod.c: object metadata, shared by every kind */

/* ObjectMeta's fields, in the order of the Go struct. */
extern const char *const spec_meta_fields[];

/* The class annotation that comes before storageClassName when present. */
#define SPEC_CLASS_ANNOTATION "volume.beta.kubernetes.io/storage-class"

struct spec_meta {
	yaml_node_t *node;			/* NULL when absent */
	char *name;
	char *generate_name;
	char *namespace;			/* "" when absent or cluster-scoped */
	struct spec_field fname;
	struct spec_field fns;
};

#define SPEC_META_CLUSTER 1u		/* cluster-scoped: a namespace is dropped */
#define SPEC_META_DNS_LABEL 2u		/* the name must be a DNS label */

/* Decodes and validates metadata (ValidateObjectMeta), as @flags say. */
void spec_meta_decode(struct spec_ctx *c, yaml_node_t *root, unsigned flags,
		      struct spec_meta *m);
void spec_meta_free(struct spec_meta *m);
/* metadata.name, or a name derived from generateName as a pod's is. */
char *spec_meta_name(struct spec_ctx *c, const struct spec_meta *m);
/* metadata.labels and metadata.annotations, on path "metadata". */
void spec_meta_kv(struct spec_ctx *c, const struct spec_meta *m,
		  struct spec_kv **labels, size_t *n_labels,
		  struct spec_kv **annotations, size_t *n_annotations);
/* "items[2]" in an item of a List, else "". */
char *spec_list_item(struct spec_ctx *c);

/* pod.c: workloads, shared with statefulset.c */
struct spec_workload {
	const char *kind;
	struct spec_meta meta;
	yaml_node_t *spec;			/* spec or NULL */
	yaml_node_t *tmeta;			/* template metadata or NULL */
	yaml_node_t *tspec;			/* template spec or NULL */
	yaml_mark_t tspec_mark;
	char hash[16];				/* pod-template-hash, Deployment */
	char rs_name[320];
	int64_t replicas;
};

/*
 * spec (its keys checked against @fields), spec.replicas and
 * spec.template of a workload; false when the template is missing.
 */
bool spec_template_decode(struct spec_ctx *c, yaml_node_t *root,
			  const char *const *fields, struct spec_workload *w);
struct spec_pod *spec_pods_add(struct spec_ctx *c, struct spec_objects *o,
			       size_t n);
/* namespace, file, position and List item of a pod made from @root. */
void spec_pod_ident(struct spec_ctx *c, struct spec_pod *pod,
		    yaml_node_t *root, const struct spec_meta *m);
/*
 * Decodes @spec into @pod (named already), gives it its UID from @index,
 * and gives its ephemeral claims their owner. Returns 0 or -errno.
 */
int spec_pod_finish(struct spec_ctx *c, yaml_node_t *spec,
		    const yaml_mark_t *where,
		    const struct spec_claim_volumes *claims, unsigned index,
		    struct spec_pod *pod);

/* selector.c: lists of strings, access modes, label and node selectors */
int spec_get_strv(struct spec_ctx *c, yaml_node_t *map, const char *key,
		  char ***out, size_t *n);
void spec_strv_free(char **v, size_t n);
/*
 * spec.accessModes of a PV or PVC as SPEC_RWO... bits; when there are
 * none, "Required value" with @required as its detail, at @where.
 */
unsigned spec_access_modes_decode(struct spec_ctx *c, yaml_node_t *spec,
				  const yaml_mark_t *where,
				  const char *required);
/* The label selector at @key of @map; sel->present when there is one. */
void spec_selector_decode(struct spec_ctx *c, yaml_node_t *map,
			  const char *key, struct spec_selector *sel);
/* The value of @key in the map @kv of @n entries, or NULL. */
const char *spec_kv_find(const struct spec_kv *kv, size_t n, const char *key);
bool spec_selector_matches(const struct spec_selector *sel,
			   const struct spec_kv *labels, size_t n);
void spec_selector_free(struct spec_selector *sel);
/*
 * A PV's nodeAffinity at @key of @map into *@terms; true when there is
 * one (upstream's nodeAffinitySpecified).
 */
bool spec_node_affinity_decode(struct spec_ctx *c, yaml_node_t *map,
			       const char *key, struct spec_node_term **terms,
			       size_t *n);
void spec_node_terms_free(struct spec_node_term *t, size_t n);

/* pvc.c */
/*
 * A PVC's spec, @spec (NULL when absent: errors at @where), into @pvc,
 * whose annotations are decoded already (for the legacy class).
 */
void spec_pvc_spec_decode(struct spec_ctx *c, yaml_node_t *spec,
			  const yaml_mark_t *where, struct spec_pvc *pvc);
/*
 * @key of @spec, a class name (storageClassName...): a DNS subdomain
 * unless empty; f->val tells nil from "".
 */
char *spec_class_name_decode(struct spec_ctx *c, yaml_node_t *spec,
			     const char *key, struct spec_field *f);
/* spec.volumeMode of a PV or PVC: true for Block. */
bool spec_volume_mode_decode(struct spec_ctx *c, yaml_node_t *spec);
struct spec_pvc *spec_pvcs_add(struct spec_ctx *c, struct spec_objects *o);
/*
 * The claim "<pod>-<volume>" of the ephemeral volume @v of @pod, its
 * source at @m: decoded from the volumeClaimTemplate and added to
 * c->claims (dropped when that is NULL).
 */
void spec_ephemeral_decode(struct spec_ctx *c, yaml_node_t *m,
			   const struct spec_pod *pod, struct spec_volume *v);
void spec_pvc_free(struct spec_pvc *pvc);

/* pv.c, storageclass.c, statefulset.c */
void spec_pv_free(struct spec_pv *pv);
void spec_class_free(struct spec_storage_class *sc);
void spec_statefulset_free(struct spec_statefulset *s);

/* The loader of each kind: one document (or List item) into @out. */
typedef int spec_load_fn(struct spec_ctx *c, yaml_node_t *root,
			 struct spec_objects *out);
spec_load_fn spec_load_pod;
spec_load_fn spec_load_deployment;
spec_load_fn spec_load_replicaset;
spec_load_fn spec_load_pv;
spec_load_fn spec_load_pvc;
spec_load_fn spec_load_class;
spec_load_fn spec_load_statefulset;

/* dedupe.c: objects by kind, namespace and name */
struct spec_index {
	struct strmap map;			/* key -> the file of the first */
	char **keys;				/* owned */
	size_t n_keys;
};

void spec_index_init(struct spec_index *ix);
void spec_index_free(struct spec_index *ix);
/* Adds every object of @o; 0 or -ENOMEM. */
int spec_index_objects(struct spec_index *ix, const struct spec_objects *o);
/* Two objects of one kind, namespace and name in the file @o: errors. */
void spec_duplicates_check(struct spec_ctx *c, const struct spec_objects *o);
/*
 * Drops the objects of @tmp that @ix (the source so far) has, with an
 * error each, and what they made (a StatefulSet's pods and claims, a
 * pod's ephemeral claims) silently; adds the others to @ix. Returns 0 or
 * -ENOMEM.
 */
int spec_source_dedupe(struct spec_objects *tmp, struct spec_index *ix,
		       struct podvolfs_err *err);

#endif

