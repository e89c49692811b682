/*
 * edit.h - a change to SOURCE's files, prepared whole, then made file by
 * file with renames: documents dropped from the files that define them,
 * and for apply one file (the target) written with new text.
 */
#ifndef PODVOLFS_CTL_EDIT_H
#define PODVOLFS_CTL_EDIT_H

#include "manifest.h"

struct ctl_edit {
	const struct ctl_mount *m;
	struct ctl_source src;		/* SOURCE as it was */
	bool **drop;			/* per file, per document */
	bool *touched;			/* per file: a document is dropped */
	char *target;			/* the file apply writes, or NULL */
	const char *text;		/* the target's new documents */
	size_t len;
};

/* Reads SOURCE. Returns 0 or -1 (printed). */
int ctl_edit_init(struct ctl_edit *e, const struct ctl_mount *m);

void ctl_edit_release(struct ctl_edit *e);

/*
 * Drops the document that defines @key. Returns 1 when dropped, 0 when
 * SOURCE does not define it, -1 when its document is a List that defines
 * other objects too (printed).
 */
int ctl_edit_drop(struct ctl_edit *e, const struct ctl_key *key);

/* Drops every document that defines an object of @in. Returns 0 or -1 (printed). */
int ctl_edit_take(struct ctl_edit *e, const struct ctl_manifest *in);

/* Apply's target: @path gets its kept documents and then @text. Returns 0 or -1. */
int ctl_edit_place(struct ctl_edit *e, const char *path, const char *text,
		   size_t len);

/*
 * Writes every changed file as a temporary and validates the target's as
 * the daemon will read it; then renames the target's into place first and
 * the others after it, and removes files left empty. Nothing in SOURCE
 * changes when a temporary cannot be written or the target is invalid.
 * Returns 0 or -1 (printed).
 */
int ctl_edit_commit(struct ctl_edit *e);

/* apply.c: loads @path as the daemon would; errors name @shown. Returns 0 or -1. */
int ctl_validate(const struct ctl_mount *m, const char *path,
		 const char *shown, bool warnings);

#endif
