/*
 * err.c - errors about user input, kept with their manifest position.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "podvolfs/err.h"

void err_init(struct podvolfs_err *err)
{
	err->count = 0;
}

bool err_isset(const struct podvolfs_err *err)
{
	return err && err->count > 0;
}

void err_add(struct podvolfs_err *err, const struct spec_pos *pos,
	     const char *field, const char *fmt, ...)
{
	char *msg;
	size_t len = 0;
	va_list ap;

	if (!err)
		return;
	if (err->count++ >= PODVOLFS_ERR_MAX)
		return;
	msg = err->msg[err->count - 1];
	if (pos && pos->file)
		len += snprintf(msg, PODVOLFS_ERR_LEN, "%s:%u:%u: ", pos->file,
				pos->line, pos->col);
	if (field && len < PODVOLFS_ERR_LEN)
		len += snprintf(msg + len, PODVOLFS_ERR_LEN - len, "%s: ", field);
	if (len < PODVOLFS_ERR_LEN) {
		va_start(ap, fmt);
		vsnprintf(msg + len, PODVOLFS_ERR_LEN - len, fmt, ap);
		va_end(ap);
	}
}

void err_join(const struct podvolfs_err *err, char *buf, size_t size)
{
	unsigned kept = err->count < PODVOLFS_ERR_MAX ? err->count : PODVOLFS_ERR_MAX;
	size_t len = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < kept && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? "\n" : "",
				err->msg[i]);
	if (err->count > kept && len < size)
		snprintf(buf + len, size - len, "\n(%u more errors)",
			 err->count - kept);
}
