/*
 * get.c - podvolfs-ctl get: kubectl's tables, names, JSON and YAML, from
 * the JSON files of the mount.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define MAX_NAMES 64
#define MAX_COLS 12

static const char *const pod_cols[] = { "NAME", "READY", "STATUS", "VOLUMES",
					"AGE", "UID" };
static const char *const pvc_cols[] = { "NAME", "STATUS", "VOLUME",
	"CAPACITY", "ACCESS MODES", "STORAGECLASS", "AGE", "VOLUMEMODE" };
static const char *const pv_cols[] = { "NAME", "CAPACITY", "ACCESS MODES",
	"RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS", "REASON", "AGE",
	"VOLUMEMODE" };
static const char *const sc_cols[] = { "NAME", "PROVISIONER", "RECLAIMPOLICY",
	"VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE" };
static const char *const ev_cols[] = { "LAST SEEN", "TYPE", "REASON", "OBJECT",
				       "MESSAGE" };

/* The columns of @k: how many plainly, and how many with -o wide. */
static const char *const *columns(const struct ctl_kind *k, size_t *plain,
				  size_t *wide)
{
	static const struct {
		const char *kind;
		const char *const *cols;
		size_t plain, wide;
	} tables[] = {
		{ "Pod", pod_cols, 5, 6 },
		{ "PersistentVolumeClaim", pvc_cols, 7, 8 },
		{ "PersistentVolume", pv_cols, 9, 10 },
		{ "StorageClass", sc_cols, 6, 6 },
		{ "Event", ev_cols, 5, 5 },
	};

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(k->kind, tables[i].kind)) {
			*plain = tables[i].plain;
			*wide = tables[i].wide;
			return tables[i].cols;
		}
	*plain = *wide = 0;
	return NULL;
}

/* "RWO,RWX" from an accessModes list. */
static void access_modes(yaml_document_t *doc, yaml_node_t *obj, char *buf,
			 size_t len)
{
	yaml_node_t *modes = ctl_node_get(doc, obj, "accessModes");
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ctl_node_len(modes) && used < len; i++) {
		yaml_node_t *m = ctl_node_item(doc, modes, i);

		if (m && m->type == YAML_SCALAR_NODE)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "",
					 ctl_access_mode_short(
					 (const char *)m->data.scalar.value));
	}
}

static void pod_row(yaml_document_t *doc, yaml_node_t *obj, char cells[][256])
{
	yaml_node_t *vols = ctl_node_get(doc, obj, "volumes");
	size_t ready, total, vready = 0;
	const char *status;

	ctl_pod_summary(doc, obj, &ready, &total, &status);
	for (size_t i = 0; i < ctl_node_len(vols); i++) {
		const char *s = ctl_node_str(doc, ctl_node_item(doc, vols, i),
					     "state");

		vready += s && !strcmp(s, "Ready");
	}
	snprintf(cells[0], 256, "%s", ctl_node_str(doc, obj, "name") ?: "");
	snprintf(cells[1], 256, "%zu/%zu", ready, total);
	snprintf(cells[2], 256, "%s", status);
	snprintf(cells[3], 256, "%zu/%zu", vready, ctl_node_len(vols));
	snprintf(cells[5], 256, "%s", ctl_node_str(doc, obj, "uid") ?: "");
}

static void pvc_row(yaml_document_t *doc, yaml_node_t *obj, char cells[][256])
{
	const char *keys[] = { "name", "status", "volume", "capacity" };

	for (size_t i = 0; i < 4; i++)
		snprintf(cells[i], 256, "%s", ctl_node_str(doc, obj, keys[i]) ?: "");
	access_modes(doc, obj, cells[4], 256);
	snprintf(cells[5], 256, "%s",
		 ctl_node_str(doc, obj, "storageClass") ?: "");
	snprintf(cells[7], 256, "%s", ctl_node_str(doc, obj, "volumeMode") ?: "");
}

static void pv_row(yaml_document_t *doc, yaml_node_t *obj, char cells[][256])
{
	yaml_node_t *claim = ctl_node_get(doc, obj, "claim");
	const char *cns = ctl_node_str(doc, claim, "namespace");
	const char *cname = ctl_node_str(doc, claim, "name");

	snprintf(cells[0], 256, "%s", ctl_node_str(doc, obj, "name") ?: "");
	snprintf(cells[1], 256, "%s", ctl_node_str(doc, obj, "capacity") ?: "");
	access_modes(doc, obj, cells[2], 256);
	snprintf(cells[3], 256, "%s",
		 ctl_node_str(doc, obj, "reclaimPolicy") ?: "");
	snprintf(cells[4], 256, "%s", ctl_node_str(doc, obj, "status") ?: "");
	if (cname)
		snprintf(cells[5], 256, "%s/%s", cns ? cns : "", cname);
	snprintf(cells[6], 256, "%s",
		 ctl_node_str(doc, obj, "storageClass") ?: "");
	snprintf(cells[7], 256, "%s", ctl_node_str(doc, obj, "reason") ?: "");
	snprintf(cells[9], 256, "%s", ctl_node_str(doc, obj, "volumeMode") ?: "");
}

static void sc_row(yaml_document_t *doc, yaml_node_t *obj, char cells[][256])
{
	bool def = ctl_node_is_true(ctl_node_get(doc, obj, "isDefault"));

	snprintf(cells[0], 256, "%s%s", ctl_node_str(doc, obj, "name") ?: "",
		 def ? " (default)" : "");
	snprintf(cells[1], 256, "%s", ctl_node_str(doc, obj, "provisioner") ?: "");
	snprintf(cells[2], 256, "%s",
		 ctl_node_str(doc, obj, "reclaimPolicy") ?: "");
	snprintf(cells[3], 256, "%s",
		 ctl_node_str(doc, obj, "volumeBindingMode") ?: "");
	snprintf(cells[4], 256, "%s",
		 ctl_node_is_true(ctl_node_get(doc, obj, "allowVolumeExpansion")) ?
		 "true" : "false");
}

/* OBJECT as kubectl shows it: "persistentvolumeclaim/notes", without the namespace. */
static void ev_row(yaml_document_t *doc, yaml_node_t *obj, char cells[][256])
{
	const char *o = ctl_node_str(doc, obj, "object") ?: "";
	const char *slash = strchr(o, '/');
	const char *last = strrchr(o, '/');

	snprintf(cells[1], 256, "%s", ctl_node_str(doc, obj, "type") ?: "");
	snprintf(cells[2], 256, "%s", ctl_node_str(doc, obj, "reason") ?: "");
	if (slash && last != slash)
		snprintf(cells[3], 256, "%.*s%s", (int)(slash - o + 1), o, last + 1);
	else
		snprintf(cells[3], 256, "%s", o);
	snprintf(cells[4], 256, "%s", ctl_node_str(doc, obj, "message") ?: "");
}

static int print_table(const struct ctl_kind *k, const struct ctl_obj *objs,
		       const time_t *created, size_t n, bool wide,
		       bool with_ns)
{
	size_t plain, nwide, ncols, off = with_ns ? 1 : 0;
	const char *const *cols = columns(k, &plain, &nwide);
	const char *header[MAX_COLS + 1], *row[MAX_COLS + 1];
	char cells[MAX_COLS + 1][256];
	time_t now = time(NULL);
	struct ctl_table t;
	int rc;

	ncols = wide ? nwide : plain;
	header[0] = "NAMESPACE";
	for (size_t i = 0; i < ncols; i++)
		header[i + off] = cols[i];
	rc = ctl_table_init(&t, header, ncols + off);
	for (size_t i = 0; i < n && !rc; i++) {
		yaml_document_t *doc = objs[i].doc;
		yaml_node_t *obj = objs[i].node;
		size_t age = !strcmp(k->kind, "Event") ? 0 : plain - 1;

		memset(cells, 0, sizeof(cells));
		if (!strcmp(k->kind, "Pod"))
			pod_row(doc, obj, cells + off);
		else if (!strcmp(k->kind, "PersistentVolumeClaim"))
			pvc_row(doc, obj, cells + off);
		else if (!strcmp(k->kind, "PersistentVolume"))
			pv_row(doc, obj, cells + off);
		else if (!strcmp(k->kind, "StorageClass"))
			sc_row(doc, obj, cells + off);
		else
			ev_row(doc, obj, cells + off);
		ctl_age(created[i], now, cells[age + off], 256);
		if (with_ns && !strcmp(k->kind, "Event"))
			ctl_event_namespace(ctl_node_str(doc, obj, "object") ?: "",
					    cells[0], 256);
		else if (with_ns)
			snprintf(cells[0], 256, "%s",
				 ctl_node_str(doc, obj, "namespace") ?: "");
		for (size_t c = 0; c < ncols + off; c++)
			row[c] = cells[c];
		rc = ctl_table_add(&t, row);
	}
	if (!rc)
		ctl_table_print(stdout, &t, 0);
	ctl_table_release(&t);
	return rc;
}

static void print_names(const struct ctl_kind *k, const struct ctl_obj *objs,
			size_t n)
{
	char kind[128];

	ctl_kind_name(k, false, kind, sizeof(kind));
	for (size_t i = 0; i < n; i++) {
		const char *name = ctl_node_str(objs[i].doc, objs[i].node, "name");

		if (!name)
			name = ctl_node_str(objs[i].doc, objs[i].node, "reason");
		printf("%s/%s\n", kind, name ? name : "");
	}
}

/*
 * Keeps in @l the objects named in @names, in that order; a missing one is
 * reported and sets *@missing. Returns 0 or -ENOMEM.
 */
static int pick_named(const struct ctl_kind *k, struct ctl_list *l,
		      const char **names, size_t n_names, bool *missing)
{
	struct ctl_obj *objs = calloc(n_names, sizeof(*objs));
	time_t *created = calloc(n_names, sizeof(*created));
	char kind[128];
	size_t n = 0;

	if (!objs || !created) {
		free(objs);
		free(created);
		return -ENOMEM;
	}
	ctl_kind_name(k, true, kind, sizeof(kind));
	for (size_t i = 0; i < n_names; i++) {
		size_t j = 0;

		for (; j < l->n; j++) {
			const char *name = ctl_node_str(l->objs[j].doc,
							l->objs[j].node, "name");

			if (name && !strcmp(name, names[i]))
				break;
		}
		if (j == l->n) {
			fprintf(stderr, "Error from server (NotFound): %s \"%s\" not found\n",
				kind, names[i]);
			*missing = true;
			continue;
		}
		objs[n] = l->objs[j];
		created[n++] = l->created[j];
	}
	free(l->objs);
	free(l->created);
	l->objs = objs;
	l->created = created;
	l->n = n;
	return 0;
}

static int print_objects(const struct ctl_kind *k, const struct ctl_opts *o,
			 struct ctl_list *l, bool single)
{
	bool with_ns = o->all_namespaces && k->namespaced;

	switch (o->output) {
	case CTL_OUT_JSON:
		ctl_emit_json(stdout, l->objs, l->n, !single);
		return 0;
	case CTL_OUT_YAML:
		return ctl_emit_yaml(stdout, l->objs, l->n, !single);
	case CTL_OUT_NAME:
		print_names(k, l->objs, l->n);
		return 0;
	default:
		if (!l->n)
			return 0;
		return print_table(k, l->objs, l->created, l->n,
				   o->output == CTL_OUT_WIDE, with_ns);
	}
}

int ctl_get(const struct ctl_mount *m, const struct ctl_opts *o)
{
	const char *names[MAX_NAMES];
	const char *ns = o->all_namespaces ? NULL : o->namespace;
	const struct ctl_kind *k;
	struct ctl_list l;
	bool missing = false;
	size_t n_names;
	int rc;

	if (ctl_parse_target(o, &k, names, MAX_NAMES, &n_names))
		return 1;
	if (!k) {
		fprintf(stderr, "error: you must specify the type of resource to get: pods, pvc, pv, sc or events\n");
		return 1;
	}
	if (!k->served) {
		fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n",
			k->plural);
		return 1;
	}
	if (ctl_list_read(m, k, ns, NULL, &l))
		return 1;
	if (n_names && pick_named(k, &l, names, n_names, &missing)) {
		ctl_list_release(&l);
		return 1;
	}
	if (!n_names && !l.n && o->output != CTL_OUT_JSON &&
	    o->output != CTL_OUT_YAML) {
		if (k->namespaced && ns)
			fprintf(stderr, "No resources found in %s namespace.\n",
				ns);
		else
			fprintf(stderr, "No resources found\n");
	}
	rc = l.n || !n_names ? print_objects(k, o, &l, n_names == 1 && l.n == 1) : 0;
	ctl_list_release(&l);
	return rc || missing ? 1 : 0;
}
