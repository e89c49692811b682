/*
 * mountinfo.c - reading /proc/self/mountinfo (proc(5)): "ID PARENT
 * MAJOR:MINOR ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE
 * SUPER_OPTIONS", where the kernel escapes space, tab, newline and
 * backslash in paths as three octal digits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/mountinfo.h"

/* Undoes the kernel's "\ooo" escapes in place. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* Splits @line into @m; false when it is not a mountinfo line. */
static bool parse_line(char *line, struct mountinfo *m)
{
	char *save = NULL, *sep = strstr(line, " - ");
	char *dev = NULL, *mnt = NULL, *fstype, *source, *tok;
	unsigned i;

	if (!sep)
		return false;
	*sep = '\0';
	tok = strtok_r(line, " ", &save);
	for (i = 0; tok && i < 5; i++, tok = strtok_r(NULL, " ", &save)) {
		if (i == 2)
			dev = tok;
		else if (i == 4)
			mnt = tok;
	}
	save = NULL;
	fstype = strtok_r(sep + 3, " \n", &save);
	source = strtok_r(NULL, " \n", &save);
	if (!mnt || !fstype || !source ||
	    sscanf(dev, "%u:%u", &m->major, &m->minor) != 2)
		return false;
	unescape(mnt);
	unescape(source);
	m->mount_point = mnt;
	m->fstype = fstype;
	m->source = source;
	return true;
}

int mountinfo_each(int (*fn)(const struct mountinfo *m, void *arg),
		   void *arg)
{
	struct mountinfo m;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (!rc && getline(&line, &cap, f) > 0)
		if (parse_line(line, &m))
			rc = fn(&m, arg);
	free(line);
	fclose(f);
	return rc;
}
