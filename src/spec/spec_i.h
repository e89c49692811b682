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

/* volume.c, container.c, pod.c */
void spec_check_descending_path(struct spec_ctx *c, const yaml_mark_t *m,
			   const char *p);
int spec_pod_spec_decode(struct spec_ctx *c, yaml_node_t *spec,
		    const yaml_mark_t *where, struct spec_pod *pod);
/* Adds the name of each volume without errors to @valid. */
int spec_volumes_decode(struct spec_ctx *c, yaml_node_t *seq,
		   struct spec_pod *pod, struct strmap *valid);
/* A volumeMount may name a volume of @valid only. */
int spec_containers_decode(struct spec_ctx *c, yaml_node_t *spec,
		      const yaml_mark_t *where, struct spec_pod *pod,
		      const struct strmap *valid);
void spec_pod_free(struct spec_pod *pod);
/* Loads a Pod, Deployment or ReplicaSet document into @out. */
int spec_load_kind(struct spec_ctx *c, yaml_node_t *root, const char *kind,
		   struct spec_objects *out);

#endif
