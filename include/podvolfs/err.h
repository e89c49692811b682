/*
 * err.h - errors about user input: manifests, fields, volumes.
 *
 * Everything that reads user input reports through a struct podvolfs_err
 * instead of printing or exiting: the caller decides whether to log it, show
 * it in a pod's status, or fail a command. Each message is one line in the
 * form "FILE:LINE:COL: FIELD: DETAIL" (the position and the field are left
 * out when they are unknown), worded as Kubernetes words it. An err keeps the
 * first PODVOLFS_ERR_MAX messages; more are counted but not kept.
 */
#ifndef PODVOLFS_ERR_H
#define PODVOLFS_ERR_H

#include <stdbool.h>
#include <stddef.h>

#define PODVOLFS_ERR_MAX 16
#define PODVOLFS_ERR_LEN 512

struct podvolfs_err {
	unsigned count;				/* messages reported, kept or not */
	char msg[PODVOLFS_ERR_MAX][PODVOLFS_ERR_LEN];
};

/* A position in a manifest; line and col are 1-based, 0 when unknown. */
struct spec_pos {
	const char *file;			/* borrowed; NULL when unknown */
	unsigned line;
	unsigned col;
};

/* Empties @err. Can't fail. */
void err_init(struct podvolfs_err *err);

/* True when @err holds at least one message. */
bool err_isset(const struct podvolfs_err *err);

/*
 * Adds one message, prefixed with "FILE:LINE:COL: " when @pos names a file
 * and with "FIELD: " when @field is not NULL. Control bytes are escaped
 * ("\n", "\x1b"), so that the message is one line whatever the file name or
 * the manifest's keys hold. Longer messages are truncated.
 * @err may be NULL, in which case nothing happens. Can't fail.
 */
void err_add(struct podvolfs_err *err, const struct spec_pos *pos,
	     const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes every kept message, one per line, into @buf (always terminated). */
void err_join(const struct podvolfs_err *err, char *buf, size_t size);

#endif
