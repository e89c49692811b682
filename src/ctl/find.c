/*
 * find.c - which podvolfs mount, and its SOURCE.
 *
 * The mounts are read from /proc/self/mountinfo (type fuse.podvolfs). The
 * daemon mounts with SOURCE, made absolute, as the file system's name, so
 * the mount source field names SOURCE; MNT/.podvolfs/daemon.json says it
 * too, with the daemon's -o field_validation, which apply validates with.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ctl.h"

#define MAX_MOUNTS 64

struct found {
	char *mnt;
	char *source;
};

void ctl_unescape_mountinfo(char *s)
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

/* Field @i (0-based, space separated) of @line, or NULL. */
static char *field(char *line, unsigned i)
{
	char *save = NULL, *tok = strtok_r(line, " \n", &save);

	while (tok && i--)
		tok = strtok_r(NULL, " \n", &save);
	return tok;
}

/* One mountinfo line: a fuse.podvolfs mount, into @f. */
static bool parse_line(char *line, struct found *f)
{
	char *sep = strstr(line, " - ");
	char *type, *source, *mnt;

	if (!sep)
		return false;
	*sep = '\0';
	type = field(sep + 3, 0);
	if (!type || strcmp(type, "fuse.podvolfs"))
		return false;
	source = field(sep + 3 + strlen(type) + 1, 0);
	mnt = field(line, 4);
	if (!source || !mnt)
		return false;
	ctl_unescape_mountinfo(source);
	ctl_unescape_mountinfo(mnt);
	f->mnt = strdup(mnt);
	f->source = strdup(source);
	if (!f->mnt || !f->source) {
		free(f->mnt);
		free(f->source);
		return false;
	}
	return true;
}

static size_t read_mounts(struct found *list, size_t max)
{
	char *line = NULL;
	size_t cap = 0, n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return 0;
	while (n < max && getline(&line, &cap, f) > 0)
		if (parse_line(line, &list[n]))
			n++;
	free(line);
	fclose(f);
	return n;
}

/* MNT/.podvolfs/daemon.json: the daemon's field validation, if it says so. */
static void read_daemon_json(struct ctl_mount *m)
{
	char path[PATH_MAX];
	yaml_document_t doc;
	const char *mode;

	m->fields = SPEC_FIELDS_WARN;
	snprintf(path, sizeof(path), "%s/.podvolfs/daemon.json", m->mnt);
	if (ctl_node_load(path, &doc))
		return;
	mode = ctl_node_str(&doc, yaml_document_get_root_node(&doc),
			    "fieldValidation");
	if (mode && !strcasecmp(mode, "Strict"))
		m->fields = SPEC_FIELDS_STRICT;
	else if (mode && !strcasecmp(mode, "Ignore"))
		m->fields = SPEC_FIELDS_IGNORE;
	yaml_document_delete(&doc);
}

static int pick(struct found *list, size_t n, const char *want)
{
	char real[PATH_MAX];
	int chosen = -1;

	if (!want) {
		if (n == 1)
			return 0;
		if (!n) {
			fprintf(stderr, "error: no podvolfs is mounted (no fuse.podvolfs mount in /proc/self/mountinfo)\n");
			return -1;
		}
		fprintf(stderr, "error: %zu podvolfs mounts; choose one with --mount:\n",
			n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %s (SOURCE %s)\n", list[i].mnt,
				list[i].source);
		return -1;
	}
	if (!realpath(want, real)) {
		fprintf(stderr, "error: --mount %s: %s\n", want, strerror(errno));
		return -1;
	}
	/* the last mount at a path is the one seen there */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].mnt, real))
			chosen = (int)i;
	if (chosen < 0)
		fprintf(stderr, "error: --mount %s: not a podvolfs mount point\n",
			want);
	return chosen;
}

int ctl_find_mount(const char *want, struct ctl_mount *m)
{
	struct found list[MAX_MOUNTS];
	size_t n = read_mounts(list, MAX_MOUNTS);
	struct stat st;
	int i = pick(list, n, want);
	int rc = -1;

	if (i < 0)
		goto out;
	if (strlen(list[i].mnt) >= sizeof(m->mnt) ||
	    strlen(list[i].source) >= sizeof(m->source)) {
		fprintf(stderr, "error: %s: %s\n", list[i].mnt,
			strerror(ENAMETOOLONG));
		goto out;
	}
	strcpy(m->mnt, list[i].mnt);
	strcpy(m->source, list[i].source);
	if (stat(m->source, &st)) {
		fprintf(stderr, "error: SOURCE %s of %s: %s\n", m->source,
			m->mnt, strerror(errno));
		goto out;
	}
	m->source_is_dir = S_ISDIR(st.st_mode);
	read_daemon_json(m);
	rc = 0;
out:
	for (size_t j = 0; j < n; j++) {
		free(list[j].mnt);
		free(list[j].source);
	}
	return rc;
}
