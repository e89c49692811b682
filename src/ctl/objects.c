/*
 * objects.c - the objects a mount shows, read from its JSON files.
 *
 * Pods are MNT/<namespace>/<pod>/status.json, one file each; their age is
 * the pod directory's time, which the daemon sets when it adds the pod.
 * Claims, volumes, classes and events are the items of
 * MNT/.podvolfs/<table>.json, their age from creationTimestamp (events:
 * lastTimestamp).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"

/* Room for @n objects. */
static int list_grow(struct ctl_list *l, size_t n)
{
	struct ctl_obj *objs;
	time_t *created;

	objs = realloc(l->objs, n * sizeof(*objs));
	if (!objs)
		return -ENOMEM;
	l->objs = objs;
	created = realloc(l->created, n * sizeof(*created));
	if (!created)
		return -ENOMEM;
	l->created = created;
	return 0;
}

void ctl_list_release(struct ctl_list *l)
{
	for (size_t i = 0; i < l->n_docs; i++) {
		yaml_document_delete(l->docs[i]);
		free(l->docs[i]);
	}
	free(l->docs);
	free(l->objs);
	free(l->created);
	memset(l, 0, sizeof(*l));
}

void ctl_event_namespace(const char *object, char *buf, size_t len)
{
	static const char prefix[] = "persistentvolumeclaim/";
	const char *ns = object + sizeof(prefix) - 1;
	const char *slash;

	if (strncmp(object, prefix, sizeof(prefix) - 1) ||
	    !(slash = strchr(ns, '/'))) {
		snprintf(buf, len, "default");
		return;
	}
	snprintf(buf, len, "%.*s", (int)(slash - ns), ns);
}

/* One pod's status.json; a pod that went meanwhile is no error. */
/* Loads @path as one more document of @l. */
static int new_doc(struct ctl_list *l, const char *path,
		   yaml_document_t **out)
{
	yaml_document_t **docs = realloc(l->docs, (l->n_docs + 1) *
					 sizeof(*docs));
	yaml_document_t *doc;
	int rc;

	if (!docs)
		return -ENOMEM;
	l->docs = docs;
	doc = malloc(sizeof(*doc));
	if (!doc)
		return -ENOMEM;
	rc = ctl_node_load(path, doc);
	if (rc) {
		free(doc);
		return rc;
	}
	l->docs[l->n_docs++] = doc;
	*out = doc;
	return 0;
}

static int read_pod(const char *dir, const char *ns, const char *pod,
		    struct ctl_list *l)
{
	yaml_document_t *doc;
	char path[PATH_MAX];
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, ns, pod);
	if (stat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	rc = list_grow(l, l->n + 1);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s/%s/status.json", dir, ns, pod);
	rc = new_doc(l, path, &doc);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	l->objs[l->n] = (struct ctl_obj){ doc, yaml_document_get_root_node(doc),
					  "Pod" };
	l->created[l->n++] = st.st_mtime;
	return 0;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int read_namespace(const char *mnt, const char *ns, const char *name,
			  struct ctl_list *l)
{
	char path[PATH_MAX];
	struct dirent **pods;
	int n, rc = 0;

	if (name)
		return read_pod(mnt, ns, name, l);
	snprintf(path, sizeof(path), "%s/%s", mnt, ns);
	n = scandir(path, &pods, not_hidden, name_cmp);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = read_pod(mnt, ns, pods[i]->d_name, l);
		free(pods[i]);
	}
	free(pods);
	return rc;
}

static int read_pods(const char *mnt, const char *ns, const char *name,
		     struct ctl_list *l)
{
	struct dirent **nss;
	int n, rc = 0;

	if (ns)
		return read_namespace(mnt, ns, name, l);
	n = scandir(mnt, &nss, not_hidden, name_cmp);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = read_namespace(mnt, nss[i]->d_name, name, l);
		free(nss[i]);
	}
	free(nss);
	return rc;
}

/* Whether item @it of a table is in @ns and named @name (NULL: any). */
static bool item_matches(yaml_document_t *doc, yaml_node_t *it,
			 const struct ctl_kind *k, const char *ns,
			 const char *name)
{
	const char *s;
	char evns[256];

	if (!strcmp(k->kind, "Event")) {
		s = ctl_node_str(doc, it, "object");
		ctl_event_namespace(s ? s : "", evns, sizeof(evns));
		return !ns || !strcmp(ns, evns);
	}
	if (k->namespaced && ns) {
		s = ctl_node_str(doc, it, "namespace");
		if (!s || strcmp(s, ns))
			return false;
	}
	s = ctl_node_str(doc, it, "name");
	return !name || (s && !strcmp(s, name));
}

static int read_table(const char *mnt, const struct ctl_kind *k,
		      const char *ns, const char *name, struct ctl_list *l)
{
	char path[PATH_MAX];
	yaml_document_t *doc;
	yaml_node_t *items;
	int rc;

	snprintf(path, sizeof(path), "%s/.podvolfs/%s.json", mnt, k->plural);
	rc = new_doc(l, path, &doc);
	if (rc)
		return rc;
	items = ctl_node_get(doc, yaml_document_get_root_node(doc), "items");
	for (size_t i = 0; i < ctl_node_len(items); i++) {
		yaml_node_t *it = ctl_node_item(doc, items, i);
		const char *t;

		if (!item_matches(doc, it, k, ns, name))
			continue;
		rc = list_grow(l, l->n + 1);
		if (rc)
			return rc;
		t = ctl_node_str(doc, it, strcmp(k->kind, "Event") ?
				 "creationTimestamp" : "lastTimestamp");
		l->objs[l->n] = (struct ctl_obj){ doc, it, k->kind };
		l->created[l->n++] = ctl_parse_time(t);
	}
	return 0;
}

int ctl_list_read(const struct ctl_mount *m, const struct ctl_kind *k,
		  const char *ns, const char *name, struct ctl_list *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if (!strcmp(k->kind, "Pod"))
		rc = read_pods(m->mnt, ns, name, l);
	else
		rc = read_table(m->mnt, k, k->namespaced ? ns : NULL, name, l);
	if (rc) {
		fprintf(stderr, "error: reading %s of %s: %s\n", k->plural,
			m->mnt, strerror(-rc));
		ctl_list_release(l);
	}
	return rc;
}

void ctl_pod_summary(yaml_document_t *doc, yaml_node_t *pod, size_t *ready,
		     size_t *total, const char **status)
{
	yaml_node_t *cs = ctl_node_get(doc, pod, "containers");
	static char word[128];

	*ready = *total = 0;
	*status = NULL;
	for (size_t i = 0; i < ctl_node_len(cs); i++) {
		yaml_node_t *c = ctl_node_item(doc, cs, i);
		const char *state = ctl_node_str(doc, c, "state");
		bool init = ctl_node_is_true(ctl_node_get(doc, c, "init"));
		bool is_ready = state && !strcmp(state, "Ready");

		if (!init) {
			(*total)++;
			*ready += is_ready;
		}
		if (!is_ready && !*status) {
			snprintf(word, sizeof(word), "%s%s", init ? "Init:" : "",
				 state ? state : "Unknown");
			*status = word;
		}
	}
	if (!*status)
		*status = "Ready";
}
