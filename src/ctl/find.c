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
#include "podvolfs/mountinfo.h"

#define MAX_MOUNTS 64

struct found {
	char *mnt;
	char *source;
};

struct mounts {
	struct found *list;
	size_t n, max;
};

/* Takes each fuse.podvolfs mount, until the list is full. */
static int take_mount(const struct mountinfo *m, void *arg)
{
	struct mounts *ms = arg;
	struct found *f = &ms->list[ms->n];

	if (strcmp(m->fstype, "fuse.podvolfs"))
		return 0;
	f->mnt = strdup(m->mount_point);
	f->source = strdup(m->source);
	if (!f->mnt || !f->source) {
		free(f->mnt);
		free(f->source);
		return 0;
	}
	return ++ms->n == ms->max;
}

static size_t read_mounts(struct found *list, size_t max)
{
	struct mounts ms = { .list = list, .max = max };

	mountinfo_each(take_mount, &ms);
	return ms.n;
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
