/*
 * ctl.h - podvolfs-ctl, a kubectl-like client of a mounted podvolfs.
 *
 * The client reads what the mount shows (status.json per pod, the JSON
 * tables of .podvolfs/) and writes manifests into the mount's SOURCE, which
 * the daemon watches: it needs no socket. It links libpodvolfs.a so that a
 * manifest is validated by the daemon's own loader before it is placed.
 * Commands print what kubectl prints and exit with its statuses (0, or 1
 * for every error). docs/design/ctl.md says where each column comes from.
 */
#ifndef PODVOLFS_CTL_H
#define PODVOLFS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <yaml.h>

#include "podvolfs/spec.h"

/* ---- kinds (kinds.c) ---- */

struct ctl_kind {
	const char *kind;		/* "Pod" */
	const char *plural;		/* "pods" */
	const char *singular;		/* "pod" */
	const char *short_name;		/* "po", or NULL */
	const char *group;		/* "" for the core group, "apps" */
	bool namespaced;
	bool served;			/* the mount shows it: get, describe, wait */
};

/* The kind that kubectl's @name stands for ("po", "pods", "Pod"), or NULL. */
const struct ctl_kind *ctl_kind_lookup(const char *name);

/* The kind named @kind as a manifest writes it ("Pod"), or NULL. */
const struct ctl_kind *ctl_kind_of(const char *kind);

/* kubectl's names: "deployment.apps" (@plural false) or "deployments.apps". */
void ctl_kind_name(const struct ctl_kind *k, bool plural, char *buf,
		   size_t len);

/* ---- the mount (find.c) ---- */

struct ctl_mount {
	char mnt[2048];			/* the mount point */
	char source[2048];		/* SOURCE, absolute */
	bool source_is_dir;
	enum spec_field_validation fields;	/* the daemon's -o field_validation */
};

/*
 * Finds the podvolfs mount: @want (a path given with --mount) or, when
 * NULL, the only fuse.podvolfs mount of this mount namespace. Prints the
 * error (none, or several, listed) and returns -1 when there is none.
 */
int ctl_find_mount(const char *want, struct ctl_mount *m);

/* ---- YAML and JSON nodes (node.c) ---- */

/* Reads the JSON or YAML file @path into @doc. Returns 0 or -errno. */
int ctl_node_load(const char *path, yaml_document_t *doc);

/* The value of @key in mapping @map, or NULL. */
yaml_node_t *ctl_node_get(yaml_document_t *doc, yaml_node_t *map,
			  const char *key);

/* The scalar at @key of @map; NULL when absent, not a scalar, or null. */
const char *ctl_node_str(yaml_document_t *doc, yaml_node_t *map,
			 const char *key);

/* The @i-th item of the sequence @seq, or NULL. */
yaml_node_t *ctl_node_item(yaml_document_t *doc, yaml_node_t *seq, size_t i);

/* The number of items of a sequence (0 for other nodes or NULL). */
size_t ctl_node_len(yaml_node_t *seq);

/* True when @n is the plain scalar null (JSON's null). */
bool ctl_node_is_null(yaml_node_t *n);

/* True when @n is a plain scalar "true". */
bool ctl_node_is_true(yaml_node_t *n);

/*
 * A canonical text of @n: mappings with their keys sorted, scalars with
 * their value and whether they were quoted; the same object however it is
 * laid out gives the same text. malloc'ed; NULL when it would pass 8 MiB
 * or 100 levels (an alias bomb).
 */
char *ctl_node_canon(yaml_document_t *doc, yaml_node_t *n);

/* ---- output of objects (emit.c) ---- */

struct ctl_obj {
	yaml_document_t *doc;
	yaml_node_t *node;		/* a mapping */
	const char *kind;		/* written first, as "kind" */
};

/* Writes one object, or a List of @n when @list, as JSON. */
void ctl_emit_json(FILE *f, const struct ctl_obj *objs, size_t n, bool list);

/* The same as YAML, by libyaml's emitter. Returns 0 or -1. */
int ctl_emit_yaml(FILE *f, const struct ctl_obj *objs, size_t n, bool list);

/* ---- tables (table.c) ---- */

struct ctl_table {
	size_t cols;
	size_t rows;			/* with the header */
	char **cells;			/* rows * cols, malloc'ed */
};

/* A table with the header @names (cols of them). Returns 0 or -ENOMEM. */
int ctl_table_init(struct ctl_table *t, const char *const *names,
		   size_t cols);

/* Appends a row of t->cols strings (NULL is ""). Returns 0 or -ENOMEM. */
int ctl_table_add(struct ctl_table *t, const char *const *cells);

/*
 * Prints as kubectl does: columns three spaces apart, the last unpadded,
 * each line after @indent spaces.
 */
void ctl_table_print(FILE *f, const struct ctl_table *t, int indent);

void ctl_table_release(struct ctl_table *t);

/* kubectl's age of @since at @now: "45s", "3m", "5h", "2d", or "<unknown>". */
void ctl_age(time_t since, time_t now, char *buf, size_t len);

/* Parses RFC 3339 "2026-11-27T21:46:00Z". Returns (time_t)-1 when bad. */
time_t ctl_parse_time(const char *s);

/* "ReadWriteOnce" -> "RWO"; unknown names as they are. */
const char *ctl_access_mode_short(const char *mode);

/* ---- options shared by the commands (main.c) ---- */

enum ctl_output {
	CTL_OUT_TABLE,
	CTL_OUT_WIDE,
	CTL_OUT_JSON,
	CTL_OUT_YAML,
	CTL_OUT_NAME,
};

struct ctl_opts {
	const char *mount;		/* --mount, or NULL */
	const char *namespace;		/* -n; "default" when not given */
	bool all_namespaces;		/* -A */
	enum ctl_output output;
	const char **files;		/* -f, in order */
	size_t n_files;
	const char *wait_for;		/* --for= */
	double timeout;			/* --timeout=, seconds */
	bool has_validate;		/* --validate= given */
	enum spec_field_validation validate;
	char **args;			/* what is left: TYPE, NAME... */
	size_t n_args;
};

/*
 * Parses the command line after the command's name into @o. Returns 0,
 * or -1 after printing kubectl's error for a bad option.
 */
int ctl_parse_opts(int argc, char **argv, struct ctl_opts *o);

/*
 * Resolves "TYPE NAME..." or "TYPE/NAME" in @o's args: the kind in *@k,
 * the names in @names (at most @max; *@n of them). Prints the error and
 * returns -1 for an unknown type.
 */
int ctl_parse_target(const struct ctl_opts *o, const struct ctl_kind **k,
		     const char **names, size_t max, size_t *n);

/* ---- the commands: each returns the exit status ---- */

int ctl_apply(const struct ctl_mount *m, const struct ctl_opts *o);
int ctl_delete(const struct ctl_mount *m, const struct ctl_opts *o);
int ctl_get(const struct ctl_mount *m, const struct ctl_opts *o);
int ctl_describe(const struct ctl_mount *m, const struct ctl_opts *o);
int ctl_wait(const struct ctl_mount *m, const struct ctl_opts *o);

/* ---- what the mount shows (objects.c) ---- */

/* The objects of one kind as the mount shows them, parsed. */
struct ctl_list {
	yaml_document_t **docs;		/* one per pod; one for a table */
	size_t n_docs;
	struct ctl_obj *objs;
	size_t n;
	time_t *created;		/* per object; (time_t)-1 when unknown */
};

/*
 * Reads the objects of @k (pods, claims, volumes, classes, events) in
 * namespace @ns (NULL: every namespace), and only @name when not NULL.
 * Returns 0 or -errno (the mount could not be read; printed).
 */
int ctl_list_read(const struct ctl_mount *m, const struct ctl_kind *k,
		  const char *ns, const char *name, struct ctl_list *l);

void ctl_list_release(struct ctl_list *l);

/* The namespace of an event ("persistentvolumeclaim/NS/NAME": NS, else "default"). */
void ctl_event_namespace(const char *object, char *buf, size_t len);

/* Pod facts from status.json: ready containers, and the pod's status word. */
void ctl_pod_summary(yaml_document_t *doc, yaml_node_t *pod, size_t *ready,
		     size_t *total, const char **status);

#endif
