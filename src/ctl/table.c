/*
 * table.c - kubectl's tables: a header, columns three spaces apart, and
 * the small formats of its cells (ages, access modes).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

int ctl_table_init(struct ctl_table *t, const char *const *names,
		   size_t cols)
{
	t->cols = cols;
	t->rows = 0;
	t->cells = NULL;
	return ctl_table_add(t, names);
}

int ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	char **grown = realloc(t->cells, (t->rows + 1) * t->cols *
				       sizeof(*grown));
	char **row;

	if (!grown)
		return -ENOMEM;
	t->cells = grown;
	row = t->cells + t->rows * t->cols;
	for (size_t i = 0; i < t->cols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			while (i--)
				free(row[i]);
			return -ENOMEM;
		}
	}
	t->rows++;
	return 0;
}

void ctl_table_print(FILE *f, const struct ctl_table *t, int indent)
{
	size_t *width = calloc(t->cols ? t->cols : 1, sizeof(*width));

	if (!width)
		return;
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			size_t len = strlen(t->cells[r * t->cols + c]);

			if (len > width[c])
				width[c] = len;
		}
	for (size_t r = 0; r < t->rows; r++) {
		fprintf(f, "%*s", indent, "");
		for (size_t c = 0; c + 1 < t->cols; c++)
			fprintf(f, "%-*s   ", (int)width[c],
				t->cells[r * t->cols + c]);
		fprintf(f, "%s\n", t->cells[r * t->cols + t->cols - 1]);
	}
	free(width);
}

void ctl_table_release(struct ctl_table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->rows = 0;
}

void ctl_age(time_t since, time_t now, char *buf, size_t len)
{
	long d;

	if (since == (time_t)-1) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	d = now > since ? (long)(now - since) : 0;
	if (d < 120)
		snprintf(buf, len, "%lds", d);
	else if (d < 600)
		snprintf(buf, len, "%ldm%lds", d / 60, d % 60);
	else if (d < 3600 * 3)
		snprintf(buf, len, "%ldm", d / 60);
	else if (d < 3600 * 8)
		snprintf(buf, len, "%ldh%ldm", d / 3600, d % 3600 / 60);
	else if (d < 86400 * 2)
		snprintf(buf, len, "%ldh", d / 3600);
	else if (d < 86400 * 8)
		snprintf(buf, len, "%ldd%ldh", d / 86400, d % 86400 / 3600);
	else
		snprintf(buf, len, "%ldd", d / 86400);
}

time_t ctl_parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	if (!s)
		return (time_t)-1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return (time_t)-1;
	return timegm(&tm);
}

const char *ctl_access_mode_short(const char *mode)
{
	static const char *const modes[][2] = {
		{ "ReadWriteOnce", "RWO" },
		{ "ReadOnlyMany", "ROX" },
		{ "ReadWriteMany", "RWX" },
		{ "ReadWriteOncePod", "RWOP" },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode, modes[i][0]))
			return modes[i][1];
	return mode;
}
