/*
 * describe.c - podvolfs-ctl describe: a pod's volumes and mounts per
 * container, a claim's or volume's binding, and their events, from the
 * same JSON files as get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

static void line(int indent, const char *label, const char *value)
{
	int pad = 16 - indent - (int)strlen(label) - 1;

	printf("%*s%s:%*s%s\n", indent, "", label, pad > 1 ? pad : 1, "",
	       value && *value ? value : "<none>");
}

static void describe_mounts(yaml_document_t *doc, yaml_node_t *c)
{
	yaml_node_t *mounts = ctl_node_get(doc, c, "mounts");

	printf("    Mounts:%s\n", ctl_node_len(mounts) ? "" : "          <none>");
	for (size_t i = 0; i < ctl_node_len(mounts); i++) {
		yaml_node_t *mt = ctl_node_item(doc, mounts, i);
		const char *sub = ctl_node_str(doc, mt, "subPath");
		const char *msg = ctl_node_str(doc, mt, "message");

		printf("      %s from %s (%s", ctl_node_str(doc, mt, "mountPath") ?: "",
		       ctl_node_str(doc, mt, "volume") ?: "",
		       ctl_node_is_true(ctl_node_get(doc, mt, "readOnly")) ? "ro" : "rw");
		if (sub && *sub)
			printf(",path=\"%s\"", sub);
		printf(")%s%s\n", msg && *msg ? ": " : "", msg && *msg ? msg : "");
	}
}

static void describe_containers(yaml_document_t *doc, yaml_node_t *pod,
				bool init)
{
	yaml_node_t *cs = ctl_node_get(doc, pod, "containers");
	bool header = false;

	for (size_t i = 0; i < ctl_node_len(cs); i++) {
		yaml_node_t *c = ctl_node_item(doc, cs, i);
		const char *state = ctl_node_str(doc, c, "state") ?: "";
		const char *msg = ctl_node_str(doc, c, "message");

		if (ctl_node_is_true(ctl_node_get(doc, c, "init")) != init)
			continue;
		if (!header)
			printf("%s:\n", init ? "Init Containers" : "Containers");
		header = true;
		printf("  %s:\n", ctl_node_str(doc, c, "name") ?: "");
		if (!strcmp(state, "Ready")) {
			line(4, "State", "Ready");
		} else {
			line(4, "State", "Waiting");
			line(6, "Reason", state);
			if (msg && *msg)
				line(6, "Message", msg);
		}
		describe_mounts(doc, c);
	}
}

static void describe_volumes(yaml_document_t *doc, yaml_node_t *pod)
{
	yaml_node_t *vols = ctl_node_get(doc, pod, "volumes");
	char buf[512];

	printf("Volumes:%s\n", ctl_node_len(vols) ? "" : "         <none>");
	for (size_t i = 0; i < ctl_node_len(vols); i++) {
		yaml_node_t *v = ctl_node_item(doc, vols, i);
		const char *detail = ctl_node_str(doc, v, "detail");
		const char *used = ctl_node_str(doc, v, "used");
		const char *limit = ctl_node_str(doc, v, "limit");

		printf("  %s:\n", ctl_node_str(doc, v, "name") ?: "");
		snprintf(buf, sizeof(buf), "%s%s%s%s",
			 ctl_node_str(doc, v, "type") ?: "",
			 detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
		line(4, "Type", buf);
		line(4, "State", ctl_node_str(doc, v, "state"));
		if (used)
			line(4, "Used", used);
		if (limit)
			line(4, "Limit", limit);
		if (ctl_node_str(doc, v, "message") &&
		    *ctl_node_str(doc, v, "message"))
			line(4, "Message", ctl_node_str(doc, v, "message"));
	}
}

/*
 * The events whose object is one of @objects ("persistentvolumeclaim/NS/NAME"),
 * as kubectl describe lists them.
 */
static void describe_events(const struct ctl_mount *m, const char **objects,
			    size_t n)
{
	static const char *const head[] = { "Type", "Reason", "Age", "Message" };
	const struct ctl_kind *k = ctl_kind_lookup("events");
	const char *row[4];
	char age[32], what[64];
	struct ctl_table t;
	struct ctl_list l;
	time_t now = time(NULL);
	bool any = false;

	if (!k || ctl_list_read(m, k, NULL, NULL, &l))
		return;
	if (ctl_table_init(&t, head, 4)) {
		ctl_list_release(&l);
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *o = ctl_node_str(l.objs[i].doc, l.objs[i].node, "object");
		const char *count = ctl_node_str(l.objs[i].doc, l.objs[i].node,
						 "count");
		bool match = false;

		for (size_t j = 0; o && j < n && !match; j++)
			match = !strcmp(o, objects[j]);
		if (!match)
			continue;
		ctl_age(l.created[i], now, age, sizeof(age));
		if (count && strcmp(count, "1")) {
			snprintf(what, sizeof(what), "%s (x%s)", age, count);
			row[2] = what;
		} else {
			row[2] = age;
		}
		row[0] = ctl_node_str(l.objs[i].doc, l.objs[i].node, "type");
		row[1] = ctl_node_str(l.objs[i].doc, l.objs[i].node, "reason");
		row[3] = ctl_node_str(l.objs[i].doc, l.objs[i].node, "message");
		any = !ctl_table_add(&t, row) || any;
	}
	if (any) {
		printf("Events:\n");
		ctl_table_print(stdout, &t, 2);
	} else {
		line(0, "Events", NULL);
	}
	ctl_table_release(&t);
	ctl_list_release(&l);
}

static void describe_pod(const struct ctl_mount *m, yaml_document_t *doc,
			 yaml_node_t *pod, time_t created)
{
	yaml_node_t *vols = ctl_node_get(doc, pod, "volumes");
	const char *objects[64];
	char start[64], *claims[64];
	size_t n = 0, ready, total;
	const char *status;
	struct tm tm;

	ctl_pod_summary(doc, pod, &ready, &total, &status);
	strftime(start, sizeof(start), "%a, %d %b %Y %H:%M:%S +0000",
		 gmtime_r(&created, &tm));
	line(0, "Name", ctl_node_str(doc, pod, "name"));
	line(0, "Namespace", ctl_node_str(doc, pod, "namespace"));
	line(0, "UID", ctl_node_str(doc, pod, "uid"));
	line(0, "Start Time", start);
	line(0, "Status", status);
	describe_containers(doc, pod, true);
	describe_containers(doc, pod, false);
	describe_volumes(doc, pod);
	for (size_t i = 0; i < ctl_node_len(vols) && n < 64; i++) {
		const char *d = ctl_node_str(doc, ctl_node_item(doc, vols, i),
					     "detail");

		if (d && !strncmp(d, "claim=", 6) &&
		    asprintf(&claims[n], "persistentvolumeclaim/%s/%s",
			     ctl_node_str(doc, pod, "namespace") ?: "", d + 6) >= 0) {
			objects[n] = claims[n];
			n++;
		}
	}
	describe_events(m, objects, n);
	for (size_t i = 0; i < n; i++)
		free(claims[i]);
}

/* The pods of namespace @ns whose volumes use claim @claim, comma separated. */
static void used_by(const struct ctl_mount *m, const char *ns,
		    const char *claim, char *buf, size_t len)
{
	const struct ctl_kind *k = ctl_kind_lookup("pods");
	size_t used = 0;
	struct ctl_list l;

	buf[0] = '\0';
	if (ctl_list_read(m, k, ns, NULL, &l))
		return;
	for (size_t i = 0; i < l.n; i++) {
		yaml_node_t *vols = ctl_node_get(l.objs[i].doc, l.objs[i].node,
						 "volumes");

		for (size_t j = 0; j < ctl_node_len(vols) && used < len; j++) {
			const char *d = ctl_node_str(l.objs[i].doc,
				ctl_node_item(l.objs[i].doc, vols, j), "detail");

			if (d && !strncmp(d, "claim=", 6) && !strcmp(d + 6, claim)) {
				used += snprintf(buf + used, len - used, "%s%s",
					used ? ", " : "",
					ctl_node_str(l.objs[i].doc, l.objs[i].node,
						     "name") ?: "");
				break;
			}
		}
	}
	ctl_list_release(&l);
}

static void modes(yaml_document_t *doc, yaml_node_t *obj, char *buf, size_t len)
{
	yaml_node_t *ms = ctl_node_get(doc, obj, "accessModes");
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ctl_node_len(ms) && used < len; i++) {
		yaml_node_t *x = ctl_node_item(doc, ms, i);

		used += snprintf(buf + used, len - used, "%s%s", used ? "," : "",
				 ctl_access_mode_short(x && x->type == YAML_SCALAR_NODE ?
					(const char *)x->data.scalar.value : ""));
	}
}

static void describe_pvc(const struct ctl_mount *m, yaml_document_t *doc,
			 yaml_node_t *pvc)
{
	const char *ns = ctl_node_str(doc, pvc, "namespace") ?: "";
	const char *name = ctl_node_str(doc, pvc, "name") ?: "";
	char buf[1024], object[600];
	const char *objects[1] = { object };

	line(0, "Name", name);
	line(0, "Namespace", ns);
	line(0, "StorageClass", ctl_node_str(doc, pvc, "storageClass"));
	line(0, "Status", ctl_node_str(doc, pvc, "status"));
	line(0, "Volume", ctl_node_str(doc, pvc, "volume"));
	line(0, "Capacity", ctl_node_str(doc, pvc, "capacity"));
	line(0, "Request", ctl_node_str(doc, pvc, "request"));
	modes(doc, pvc, buf, sizeof(buf));
	line(0, "Access Modes", buf);
	line(0, "VolumeMode", ctl_node_str(doc, pvc, "volumeMode"));
	used_by(m, ns, name, buf, sizeof(buf));
	line(0, "Used By", buf);
	if (ctl_node_str(doc, pvc, "message") && *ctl_node_str(doc, pvc, "message"))
		line(0, "Message", ctl_node_str(doc, pvc, "message"));
	snprintf(object, sizeof(object), "persistentvolumeclaim/%s/%s", ns, name);
	describe_events(m, objects, 1);
}

static void describe_pv(const struct ctl_mount *m, yaml_document_t *doc,
			yaml_node_t *pv)
{
	yaml_node_t *claim = ctl_node_get(doc, pv, "claim");
	yaml_node_t *src = ctl_node_get(doc, pv, "source");
	char buf[1024], object[600];
	const char *objects[1] = { object };

	line(0, "Name", ctl_node_str(doc, pv, "name"));
	line(0, "StorageClass", ctl_node_str(doc, pv, "storageClass"));
	line(0, "Status", ctl_node_str(doc, pv, "status"));
	buf[0] = '\0';
	if (ctl_node_str(doc, claim, "name"))
		snprintf(buf, sizeof(buf), "%s/%s",
			 ctl_node_str(doc, claim, "namespace") ?: "",
			 ctl_node_str(doc, claim, "name"));
	line(0, "Claim", buf);
	line(0, "Reclaim Policy", ctl_node_str(doc, pv, "reclaimPolicy"));
	modes(doc, pv, buf, sizeof(buf));
	line(0, "Access Modes", buf);
	line(0, "VolumeMode", ctl_node_str(doc, pv, "volumeMode"));
	line(0, "Capacity", ctl_node_str(doc, pv, "capacity"));
	line(0, "Message", ctl_node_str(doc, pv, "reason"));
	if (ctl_node_str(doc, pv, "provisionedBy"))
		line(0, "Provisioned By", ctl_node_str(doc, pv, "provisionedBy"));
	printf("Source:\n");
	line(4, "Type", ctl_node_str(doc, src, "type"));
	if (ctl_node_str(doc, src, "server"))
		line(4, "Server", ctl_node_str(doc, src, "server"));
	line(4, "Path", ctl_node_str(doc, src, "path"));
	snprintf(object, sizeof(object), "persistentvolume/%s",
		 ctl_node_str(doc, pv, "name") ?: "");
	describe_events(m, objects, 1);
}

int ctl_describe(const struct ctl_mount *m, const struct ctl_opts *o)
{
	const char *names[16];
	const struct ctl_kind *k;
	struct ctl_list l;
	char word[128];
	int status = 0;
	size_t n;

	if (ctl_parse_target(o, &k, names, 16, &n))
		return 1;
	if (!k || !n || (strcmp(k->kind, "Pod") && strcmp(k->kind, "PersistentVolume") &&
			 strcmp(k->kind, "PersistentVolumeClaim"))) {
		fprintf(stderr, "error: describe takes pod, pvc or pv and a name\n");
		return 1;
	}
	ctl_kind_name(k, true, word, sizeof(word));
	for (size_t i = 0; i < n; i++) {
		if (ctl_list_read(m, k, o->namespace, names[i], &l))
			return 1;
		if (!l.n) {
			fprintf(stderr, "Error from server (NotFound): %s \"%s\" not found\n",
				word, names[i]);
			status = 1;
		} else if (i) {
			printf("\n\n");
		}
		if (l.n && !strcmp(k->kind, "Pod"))
			describe_pod(m, l.objs[0].doc, l.objs[0].node, l.created[0]);
		else if (l.n && !strcmp(k->kind, "PersistentVolumeClaim"))
			describe_pvc(m, l.objs[0].doc, l.objs[0].node);
		else if (l.n)
			describe_pv(m, l.objs[0].doc, l.objs[0].node);
		ctl_list_release(&l);
	}
	return status;
}
