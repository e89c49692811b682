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

/*
 * Copies @s into @out (PODVOLFS_ERR_LEN bytes) with its control bytes
 * escaped as Go's %q escapes them ("\n", "\x1b"): a manifest's keys and a
 * file's name may hold any, and a message must stay one line, in a log
 * and when joined.
 */
static void one_line(char *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[5] = { (char)ch };
		size_t k = 1;

		if (ch == '\n' || ch == '\t' || ch == '\r')
			k = (size_t)snprintf(esc, sizeof(esc), "\\%c",
					     ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r');
		else if (ch < 0x20 || ch == 0x7f)
			k = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", ch);
		if (n + k >= PODVOLFS_ERR_LEN)
			break;
		memcpy(out + n, esc, k);
		n += k;
	}
	out[n] = '\0';
}

void err_add(struct podvolfs_err *err, const struct spec_pos *pos,
	     const char *field, const char *fmt, ...)
{
	char msg[PODVOLFS_ERR_LEN];
	size_t len = 0;
	va_list ap;

	if (!err)
		return;
	if (err->count++ >= PODVOLFS_ERR_MAX)
		return;
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
	one_line(err->msg[err->count - 1], msg);
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
