/*
 * manifest.h - manifests as texts cut into documents, for apply and delete.
 *
 * podvolfs-ctl edits SOURCE's files as texts: a document is a byte range of
 * its file, from its start (its "---", or the file's start for the first)
 * to the next document's start, so that removing one keeps every other
 * document as it was written, comments included. Each document knows the
 * objects it defines (several for a List) and a canonical text of each.
 */
#ifndef PODVOLFS_CTL_MANIFEST_H
#define PODVOLFS_CTL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl.h"

/* An object a manifest defines. */
struct ctl_key {
	char *kind;			/* as written: "Pod" */
	char *ns;			/* "" for PersistentVolume, StorageClass */
	char *name;
	char *canon;			/* ctl_node_canon(); NULL when too big */
};

struct ctl_doc {
	size_t start, end;		/* bytes of the file's text */
	unsigned line;			/* 1-based, of its start */
	bool is_list;
	struct ctl_key *keys;
	size_t n_keys;
};

struct ctl_manifest {
	char *path;
	char *text;
	size_t len;
	bool parsed;			/* false: not YAML; no documents */
	struct ctl_doc *docs;
	size_t n_docs;
};

/*
 * Reads @path ("-": standard input) and cuts it into documents. A text
 * that is not YAML is read with parsed false. Returns 0 or -errno.
 */
int ctl_manifest_read(const char *path, struct ctl_manifest *mf);

void ctl_manifest_release(struct ctl_manifest *mf);

/* True when @a and @b name one object. */
bool ctl_key_same(const struct ctl_key *a, const struct ctl_key *b);

/* kubectl's "pod/fortune" or "deployment.apps/cache" for @key. */
void ctl_key_ref(const struct ctl_key *key, char *buf, size_t len);

/* The manifest files of SOURCE: the daemon's choice of them. */
struct ctl_source {
	struct ctl_manifest *files;
	size_t n;
};

/* Reads every manifest of SOURCE. Returns 0 or -errno (printed). */
int ctl_source_read(const struct ctl_mount *m, struct ctl_source *s);

void ctl_source_release(struct ctl_source *s);

/*
 * Where @key is defined in @s: the file and document, or false.
 */
bool ctl_source_find(const struct ctl_source *s, const struct ctl_key *key,
		     size_t *file, size_t *doc, size_t *index);

/*
 * The text of @mf without the documents whose @drop is set, followed by
 * @extra (may be NULL), with "---" between documents. malloc'ed; *@empty
 * set when nothing but blanks and comments would be left.
 */
char *ctl_manifest_compose(const struct ctl_manifest *mf, const bool *drop,
			   const char *extra, size_t extra_len, bool *empty);

/*
 * Writes @text into a new hidden temporary file beside @path (the daemon
 * reads no hidden file). Returns the temporary's name (malloc'ed) or NULL
 * with errno set.
 */
char *ctl_write_temp(const char *path, const char *text, size_t len);

#endif
