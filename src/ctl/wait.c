/*
 * wait.c - podvolfs-ctl wait: polls the mount's JSON files until a pod is
 * Ready or an object is gone, or the timeout passes.
 *
 * A pod is Ready when every container, init containers included, is
 * Ready in its status.json: all its volumes are served and every mount of
 * every container is in place.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"

#define POLL_NS (100 * 1000 * 1000)

enum wait_for {
	WAIT_READY,
	WAIT_DELETE,
};

/* 1 when the condition holds, 0 when not yet, -1 when it cannot (printed). */
static int check(const struct ctl_mount *m, const struct ctl_kind *k,
		 const char *ns, const char *name, enum wait_for what,
		 bool *seen)
{
	struct ctl_list l;
	size_t ready, total;
	const char *status;
	int rc;

	if (ctl_list_read(m, k, ns, name, &l))
		return -1;
	if (what == WAIT_DELETE) {
		rc = !l.n;
	} else if (!l.n) {
		rc = 0;
	} else {
		yaml_document_t *doc = l.objs[0].doc;
		yaml_node_t *cs = ctl_node_get(doc, l.objs[0].node, "containers");

		ctl_pod_summary(doc, l.objs[0].node, &ready, &total, &status);
		rc = !strcmp(status, "Ready") && ctl_node_len(cs) > 0;
	}
	*seen = *seen || l.n;
	ctl_list_release(&l);
	return rc;
}

/* Whether SOURCE defines pod @name: the daemon may not have read it yet. */
static bool defined_in_source(const struct ctl_mount *m, const char *ns,
			      const char *name)
{
	struct podvolfs_err err;
	struct spec_objects objs;
	bool found = false;

	err_init(&err);
	spec_objects_init(&objs);
	spec_load_source(m->source, SPEC_FIELDS_IGNORE, &objs, &err, NULL);
	for (size_t i = 0; i < objs.n_pods && !found; i++)
		found = !strcmp(objs.pods[i].namespace, ns) &&
			!strcmp(objs.pods[i].name, name);
	spec_objects_free(&objs);
	return found;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int ctl_wait(const struct ctl_mount *m, const struct ctl_opts *o)
{
	const struct timespec pause = { 0, POLL_NS };
	const char *names[16];
	const struct ctl_kind *k;
	enum wait_for what;
	char word[128], plural[128];
	double deadline;
	int status = 0;
	size_t n;

	if (!o->wait_for) {
		fprintf(stderr, "error: --for must be given: --for=condition=Ready or --for=delete\n");
		return 1;
	}
	if (!strcasecmp(o->wait_for, "delete"))
		what = WAIT_DELETE;
	else if (!strcasecmp(o->wait_for, "condition=Ready") ||
		 !strcasecmp(o->wait_for, "condition=Ready=true"))
		what = WAIT_READY;
	else {
		fprintf(stderr, "error: unrecognized condition: \"%s\" (podvolfs-ctl waits for condition=Ready or delete)\n",
			o->wait_for);
		return 1;
	}
	if (ctl_parse_target(o, &k, names, 16, &n))
		return 1;
	if (!k || !n) {
		fprintf(stderr, "error: resource(s) were provided, but no name was specified\n");
		return 1;
	}
	if (!k->served || (what == WAIT_READY && strcmp(k->kind, "Pod"))) {
		fprintf(stderr, "error: podvolfs-ctl waits for pods to be Ready, or for pods, pvc, pv and sc to be deleted\n");
		return 1;
	}
	ctl_kind_name(k, false, word, sizeof(word));
	ctl_kind_name(k, true, plural, sizeof(plural));
	deadline = now() + o->timeout;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		int rc;

		for (;;) {
			rc = check(m, k, o->namespace, names[i], what, &seen);
			if (rc)
				break;
			if (!seen && what == WAIT_READY &&
			    !defined_in_source(m, o->namespace, names[i])) {
				fprintf(stderr, "Error from server (NotFound): %s \"%s\" not found\n",
					plural, names[i]);
				return 1;
			}
			if (now() >= deadline)
				break;
			nanosleep(&pause, NULL);
		}
		if (rc < 0)
			return 1;
		if (rc > 0) {
			printf("%s/%s condition met\n", word, names[i]);
			continue;
		}
		fprintf(stderr, "error: timed out waiting for the condition on %s/%s\n",
			plural, names[i]);
		status = 1;
	}
	return status;
}
