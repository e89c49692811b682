/*
 * storage_show.c - .podvolfs/: PersistentVolumes, claims, StorageClasses
 * and events as kubectl get shows them.
 *
 * Each reconcile renders the three tables into rows with every column but
 * AGE, which is made when a reader opens the file, from the creation
 * times kept beside the rows; the events are a ring of the last
 * STORAGE_EVENTS, repeats counted as kubectl counts them. Rows and events
 * are under show_lock, which no sync holds for long, so a reader never
 * waits for the binder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_i.h"
#include "podvolfs/json.h"
#include "podvolfs/log.h"
#include "storage_i.h"

enum show_table {
	SHOW_PVS,
	SHOW_PVCS,
	SHOW_CLASSES,
	SHOW_EVENTS,
};

/* kubectl's age: 45s, 3m, 5h, 2d. */
static void age(time_t since, time_t now, char *buf, size_t len)
{
	long d = now > since ? (long)(now - since) : 0;

	if (d < 120)
		snprintf(buf, len, "%lds", d);
	else if (d < 3600 * 3)
		snprintf(buf, len, "%ldm", d / 60);
	else if (d < 86400 * 2)
		snprintf(buf, len, "%ldh", d / 3600);
	else
		snprintf(buf, len, "%ldd", d / 86400);
}

void storage_event(struct cluster *c, const char *kind, const char *ns,
		   const char *name, const char *type, const char *reason,
		   const char *message)
{
	struct storage *s = c->storage;
	char object[sizeof(((struct sevent *)0)->object)];
	time_t now = time(NULL);
	struct sevent *e;

	snprintf(object, sizeof(object), "%s/%s%s%s",
		 !strcmp(kind, "PersistentVolume") ? "persistentvolume" :
						     "persistentvolumeclaim",
		 ns, *ns ? "/" : "", name);
	pthread_mutex_lock(&s->show_lock);
	for (size_t i = 0; i < s->n_events; i++) {
		e = &s->events[(s->head + i) % STORAGE_EVENTS];
		if (!strcmp(e->object, object) && !strcmp(e->reason, reason) &&
		    !strcmp(e->message, message)) {
			e->count++;
			e->last = now;
			pthread_mutex_unlock(&s->show_lock);
			return;
		}
	}
	if (s->n_events == STORAGE_EVENTS) {
		s->head = (s->head + 1) % STORAGE_EVENTS;
		s->n_events--;
	}
	e = &s->events[(s->head + s->n_events++) % STORAGE_EVENTS];
	memset(e, 0, sizeof(*e));
	e->first = e->last = now;
	e->count = 1;
	snprintf(e->type, sizeof(e->type), "%s", type);
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	snprintf(e->object, sizeof(e->object), "%s", object);
	snprintf(e->message, sizeof(e->message), "%s", message);
	pthread_mutex_unlock(&s->show_lock);
	if (!strcmp(type, BINDER_WARNING))
		log_warn("%s: %s: %s", object, reason, message);
	else
		log_info("%s: %s: %s", object, reason, message);
}

/*
 * A table is rows of tab-separated columns, the last one a creation time
 * in seconds; the reader turns that into AGE and pads the columns.
 */
static void row_end(FILE *f, time_t created)
{
	fprintf(f, "\t%lld\n", (long long)created);
}

static void render_pvs(FILE *f, struct storage *s)
{
	char cap[64], modes[32];

	for (size_t i = 0; i < s->n_pvs; i++) {
		const struct spv *pv = s->pvs[i];
		const struct binder_pv *b = &pv->b;
		char claim[BINDER_NAME_LEN * 2 + 2] = "";

		quantity_format(&b->spec->capacity, cap, sizeof(cap));
		binder_modes_string(b->spec->access_modes, modes, sizeof(modes));
		if (b->has_claim_ref)
			snprintf(claim, sizeof(claim), "%s/%s",
				 b->claim_ref.namespace, b->claim_ref.name);
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", b->spec->name,
			cap, modes, b->spec->reclaim_policy,
			b->deleting ? "Terminating" : binder_pv_phase_name(b->phase),
			claim, b->spec->storage_class,
			b->phase == PV_FAILED ? "Failed" : "",
			b->spec->block ? "Block" : "Filesystem");
		row_end(f, pv->created);
	}
}

static void render_pvcs(FILE *f, struct storage *s)
{
	char cap[64] = "", modes[32] = "";

	for (size_t i = 0; i < s->n_pvcs; i++) {
		const struct spvc *pvc = s->pvcs[i];
		const struct binder_pvc *b = &pvc->b;
		bool bound = b->phase == PVC_BOUND;

		cap[0] = modes[0] = '\0';
		if (bound) {
			quantity_format(&b->capacity, cap, sizeof(cap));
			binder_modes_string(b->access_modes, modes, sizeof(modes));
		}
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s",
			pvc->ghost.namespace, pvc->ghost.name,
			b->deleting ? "Terminating" : binder_pvc_phase_name(b->phase),
			bound ? b->volume_name : "", cap, modes,
			b->has_storage_class ? b->storage_class : "<unset>",
			pvc->ghost.block ? "Block" : "Filesystem");
		row_end(f, pvc->created);
	}
}

static void render_classes(FILE *f, struct storage *s)
{
	for (size_t i = 0; i < s->n_classes; i++) {
		const struct ssc *sc = s->classes[i];
		const struct spec_storage_class *g = &sc->ghost;

		fprintf(f, "%s%s\t%s\t%s\t%s\t%s", g->name,
			g->is_default ? " (default)" : "", g->provisioner,
			g->reclaim_policy,
			g->wait_for_first_consumer ? "WaitForFirstConsumer" :
						     "Immediate",
			g->allow_volume_expansion ? "true" : "false");
		row_end(f, sc->b.created);
	}
}

/* ---- the same as JSON, for programs (docs/design/status-json.md) ---- */

static void modes_json(FILE *f, unsigned modes)
{
	static const char *const names[] = { "ReadWriteOnce", "ReadOnlyMany",
					     "ReadWriteMany", "ReadWriteOncePod" };
	bool first = true;

	fputs(",\"accessModes\":[", f);
	for (unsigned i = 0; i < 4; i++) {
		if (!(modes & (1u << i)))
			continue;
		if (!first)
			fputc(',', f);
		json_str(f, names[i]);
		first = false;
	}
	fputc(']', f);
}

static void quantity_json(FILE *f, const char *key, const struct quantity *q)
{
	char buf[64];

	quantity_format(q, buf, sizeof(buf));
	fputc(',', f);
	json_kv(f, key, buf);
}

static void pv_json(FILE *f, const struct spv *pv)
{
	const struct binder_pv *b = &pv->b;
	const struct spec_pv *sp = b->spec;

	fputc('{', f);
	json_kv(f, "name", sp->name);
	quantity_json(f, "capacity", &sp->capacity);
	modes_json(f, sp->access_modes);
	fputc(',', f);
	json_kv(f, "reclaimPolicy", sp->reclaim_policy);
	fputc(',', f);
	json_kv(f, "status", b->deleting ? "Terminating" :
			     binder_pv_phase_name(b->phase));
	fputc(',', f);
	json_kv(f, "phase", binder_pv_phase_name(b->phase));
	fputs(",\"claim\":", f);
	if (b->has_claim_ref) {
		fputc('{', f);
		json_kv(f, "namespace", b->claim_ref.namespace);
		fputc(',', f);
		json_kv(f, "name", b->claim_ref.name);
		fputc(',', f);
		json_kv(f, "uid", b->claim_ref.uid);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputc(',', f);
	json_kv(f, "storageClass", sp->storage_class);
	fputc(',', f);
	json_kv(f, "reason", b->reason);
	fputc(',', f);
	json_kv(f, "volumeMode", sp->block ? "Block" : "Filesystem");
	fputs(",\"source\":{", f);
	json_kv(f, "type", sp->source);
	fputc(',', f);
	json_kv(f, "server", sp->type == SPEC_PV_NFS ? sp->nfs.server : NULL);
	fputc(',', f);
	json_kv(f, "path", sp->type == SPEC_PV_NFS ? sp->nfs.path :
			   sp->type == SPEC_PV_LOCAL ? sp->local.path :
			   sp->type == SPEC_PV_HOSTPATH ? sp->host_path.path :
							  NULL);
	fputs("},", f);
	json_kv(f, "provisionedBy", pv->provisioned_by);
	fputs(",\"creationTimestamp\":", f);
	json_time(f, pv->created);
	fputc('}', f);
}

static void pvc_json(FILE *f, const struct spvc *pvc)
{
	const struct binder_pvc *b = &pvc->b;
	bool bound = b->phase == PVC_BOUND;

	fputc('{', f);
	json_kv(f, "namespace", pvc->ghost.namespace);
	fputc(',', f);
	json_kv(f, "name", pvc->ghost.name);
	fputc(',', f);
	json_kv(f, "uid", b->uid);
	fputc(',', f);
	json_kv(f, "status", b->deleting ? "Terminating" :
			     binder_pvc_phase_name(b->phase));
	fputc(',', f);
	json_kv(f, "phase", binder_pvc_phase_name(b->phase));
	fputc(',', f);
	json_kv(f, "volume", bound ? b->volume_name : NULL);
	if (bound) {
		quantity_json(f, "capacity", &b->capacity);
		modes_json(f, b->access_modes);
	} else {
		fputs(",\"capacity\":null,\"accessModes\":[]", f);
	}
	quantity_json(f, "request", &pvc->ghost.request);
	fputc(',', f);
	json_kv(f, "storageClass", b->has_storage_class ? b->storage_class : NULL);
	fputc(',', f);
	json_kv(f, "volumeMode", pvc->ghost.block ? "Block" : "Filesystem");
	fputc(',', f);
	json_kv(f, "message", b->phase == PVC_BOUND ? "" : pvc->status_msg);
	fputs(",\"creationTimestamp\":", f);
	json_time(f, pvc->created);
	fputc('}', f);
}

static void class_json(FILE *f, const struct ssc *sc)
{
	const struct spec_storage_class *g = &sc->ghost;

	fputc('{', f);
	json_kv(f, "name", g->name);
	fputc(',', f);
	json_kv(f, "provisioner", g->provisioner);
	fputc(',', f);
	json_kv(f, "reclaimPolicy", g->reclaim_policy);
	fputc(',', f);
	json_kv(f, "volumeBindingMode", g->wait_for_first_consumer ?
					"WaitForFirstConsumer" : "Immediate");
	fprintf(f, ",\"allowVolumeExpansion\":%s,\"isDefault\":%s",
		g->allow_volume_expansion ? "true" : "false",
		g->is_default ? "true" : "false");
	fputs(",\"parameters\":{", f);
	for (size_t i = 0; i < g->n_parameters; i++) {
		if (i)
			fputc(',', f);
		json_kv(f, g->parameters[i].key, g->parameters[i].value);
	}
	fputs("},\"creationTimestamp\":", f);
	json_time(f, sc->b.created);
	fputc('}', f);
}

static void render_json(FILE *f, struct storage *s, enum show_table t)
{
	size_t n = t == SHOW_PVS ? s->n_pvs : t == SHOW_PVCS ? s->n_pvcs :
						      s->n_classes;

	fputs("{\"items\":[", f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		if (t == SHOW_PVS)
			pv_json(f, s->pvs[i]);
		else if (t == SHOW_PVCS)
			pvc_json(f, s->pvcs[i]);
		else
			class_json(f, s->classes[i]);
	}
	fputs("]}\n", f);
}

void storage_render(struct cluster *c)
{
	struct storage *s = c->storage;
	void (*render[3])(FILE *, struct storage *) = { render_pvs, render_pvcs,
							render_classes };
	char *text[6] = { NULL };

	for (size_t i = 0; i < 6; i++) {
		size_t len;
		FILE *f = open_memstream(&text[i], &len);

		if (!f)
			continue;
		if (i < 3)
			render[i](f, s);
		else
			render_json(f, s, (enum show_table)(i - 3));
		if (fclose(f)) {
			free(text[i]);
			text[i] = NULL;
		}
	}
	pthread_mutex_lock(&s->show_lock);
	for (size_t i = 0; i < 6; i++) {
		if (!text[i])
			continue;
		free(s->show[i]);
		s->show[i] = text[i];
	}
	pthread_mutex_unlock(&s->show_lock);
}

static const char *const headers[3] = {
	"NAME\tCAPACITY\tACCESS MODES\tRECLAIM POLICY\tSTATUS\tCLAIM\tSTORAGECLASS\tREASON\tVOLUMEMODE\tAGE",
	"NAMESPACE\tNAME\tSTATUS\tVOLUME\tCAPACITY\tACCESS MODES\tSTORAGECLASS\tVOLUMEMODE\tAGE",
	"NAME\tPROVISIONER\tRECLAIMPOLICY\tVOLUMEBINDINGMODE\tALLOWVOLUMEEXPANSION\tAGE",
};

#define MAX_COLS 10

/* Splits @line (modified) at tabs into @cols; returns how many. */
static size_t split_cols(char *line, char **cols)
{
	size_t n = 0;

	cols[n++] = line;
	for (char *p = line; *p && n < MAX_COLS; p++) {
		if (*p == '\t') {
			*p = '\0';
			cols[n++] = p + 1;
		}
	}
	return n;
}

/* One row, every column but the last padded to its width. */
static void print_row(FILE *f, char **cols, size_t n, const size_t *width)
{
	for (size_t i = 0; i + 1 < n; i++)
		fprintf(f, "%-*s   ", (int)width[i], cols[i]);
	fprintf(f, "%s\n", cols[n - 1]);
}

/*
 * Lays the header and the rows of @text out in columns three spaces
 * apart, as kubectl does; with @ages_last the last column of each row, a
 * creation time, becomes its AGE.
 */
static int layout(const char *header, const char *text, bool ages_last,
		  char **buf, size_t *len)
{
	char *copy = strdup(text ? text : ""), *hdr = strdup(header);
	char *cols[MAX_COLS], *save = NULL, *line, ages[32];
	size_t width[MAX_COLS] = { 0 }, n, ncols;
	time_t now = time(NULL);
	FILE *f;

	if (!copy || !hdr) {
		free(copy);
		free(hdr);
		return -ENOMEM;
	}
	ncols = split_cols(hdr, cols);
	for (size_t i = 0; i < ncols; i++)
		width[i] = strlen(cols[i]);
	for (const char *p = copy; *p;) {
		const char *end = strchr(p, '\n');
		size_t col = 0, w = 0;

		for (const char *q = p; q < end; q++) {
			if (*q == '\t') {
				if (col < MAX_COLS && w > width[col])
					width[col] = w;
				col++;
				w = 0;
			} else {
				w++;
			}
		}
		if (col < MAX_COLS && w > width[col])
			width[col] = w;
		p = end + 1;
	}
	f = open_memstream(buf, len);
	if (!f) {
		free(copy);
		free(hdr);
		return -ENOMEM;
	}
	print_row(f, cols, ncols, width);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n = split_cols(line, cols);
		if (ages_last) {
			age((time_t)strtoll(cols[n - 1], NULL, 10), now, ages,
			    sizeof(ages));
			cols[n - 1] = ages;
		}
		print_row(f, cols, n, width);
	}
	free(copy);
	free(hdr);
	return fclose(f) ? -ENOMEM : 0;
}

struct show_file {
	struct cluster *c;
	enum show_table table;
};

static int show_table(void *arg, char **buf, size_t *len)
{
	struct show_file *sf = arg;
	struct storage *s = sf->c->storage;
	char *text;
	int rc;

	pthread_mutex_lock(&s->show_lock);
	text = strdup(s->show[sf->table] ? s->show[sf->table] : "");
	pthread_mutex_unlock(&s->show_lock);
	if (!text)
		return -ENOMEM;
	rc = layout(headers[sf->table], text, true, buf, len);
	free(text);
	return rc;
}

static int show_events(void *arg, char **buf, size_t *len)
{
	struct show_file *sf = arg;
	struct storage *s = sf->c->storage;
	time_t now = time(NULL);
	char *text = NULL, seen[48];
	size_t tlen;
	FILE *f = open_memstream(&text, &tlen);
	int rc;

	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&s->show_lock);
	for (size_t i = 0; i < s->n_events; i++) {
		const struct sevent *e = &s->events[(s->head + i) % STORAGE_EVENTS];

		age(e->last, now, seen, sizeof(seen));
		if (e->count > 1) {
			char first[16];

			age(e->first, now, first, sizeof(first));
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen),
				 " (x%u over %s)", e->count, first);
		}
		fprintf(f, "%s\t%s\t%s\t%s\t%s\n", seen, e->type, e->reason,
			e->object, e->message);
	}
	pthread_mutex_unlock(&s->show_lock);
	if (fclose(f))
		return -ENOMEM;
	rc = layout("LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE", text, false,
		    buf, len);
	free(text);
	return rc;
}

/* A JSON table, as rendered by the last pass. */
static int show_json(void *arg, char **buf, size_t *len)
{
	struct show_file *sf = arg;
	struct storage *s = sf->c->storage;
	const char *text;

	pthread_mutex_lock(&s->show_lock);
	text = s->show[3 + sf->table] ? s->show[3 + sf->table] : "{\"items\":[]}\n";
	*buf = strdup(text);
	pthread_mutex_unlock(&s->show_lock);
	if (!*buf)
		return -ENOMEM;
	*len = strlen(*buf);
	return 0;
}

static int show_events_json(void *arg, char **buf, size_t *len)
{
	struct show_file *sf = arg;
	struct storage *s = sf->c->storage;
	FILE *f = open_memstream(buf, len);

	if (!f)
		return -ENOMEM;
	fputs("{\"items\":[", f);
	pthread_mutex_lock(&s->show_lock);
	for (size_t i = 0; i < s->n_events; i++) {
		const struct sevent *e = &s->events[(s->head + i) % STORAGE_EVENTS];

		fputs(i ? ",{" : "{", f);
		json_kv(f, "type", e->type);
		fputc(',', f);
		json_kv(f, "reason", e->reason);
		fputc(',', f);
		json_kv(f, "object", e->object);
		fputc(',', f);
		json_kv(f, "message", e->message);
		fprintf(f, ",\"count\":%u,\"firstTimestamp\":", e->count);
		json_time(f, e->first);
		fputs(",\"lastTimestamp\":", f);
		json_time(f, e->last);
		fputc('}', f);
	}
	pthread_mutex_unlock(&s->show_lock);
	fputs("]}\n", f);
	return fclose(f) ? -ENOMEM : 0;
}

int storage_publish(struct cluster *c)
{
	static const char *const names[4] = { "persistentvolumes",
		"persistentvolumeclaims", "storageclasses", "events" };
	tree_content_fn text[4] = { show_table, show_table, show_table,
				    show_events };
	tree_content_fn json[4] = { show_json, show_json, show_json,
				    show_events_json };
	char path[64];
	int rc = 0;

	for (size_t i = 0; i < 8 && !rc; i++) {
		struct show_file *sf = malloc(sizeof(*sf));

		if (!sf)
			return -ENOMEM;
		sf->c = c;
		sf->table = (enum show_table)(i % 4);
		snprintf(path, sizeof(path), ".podvolfs/%s%s", names[i % 4],
			 i < 4 ? "" : ".json");
		rc = tree_add_file(c->tree, path,
				   i < 4 ? text[i % 4] : json[i % 4], sf, free);
		if (rc)
			free(sf);
	}
	return rc;
}
