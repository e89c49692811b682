/*
 * records.c - PersistentVolumes, claims and StorageClasses kept under STATE.
 *
 * Everything the binder decided and everything the daemon made lives in
 * one file, STATE/objects/records, rewritten atomically (temp file, fsync,
 * rename) whenever it changes: a bind touches a PV and a claim, and both
 * halves must land together. One line per object; fields are "key=value"
 * separated by tabs, values escaped (\\, \t, \n), unknown keys ignored so
 * that a newer daemon's records still load. Besides the status, a line
 * keeps the object's spec as far as podvolfs needs it to go on without
 * the manifest (a "ghost"): a provisioned PV has no other home, a claim
 * whose pod still uses it outlives its manifest, and a file that fails to
 * load after a restart must not make its objects look deleted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_i.h"
#include "podvolfs/log.h"
#include "storage_i.h"

#define RECORDS "records"

/* ---- writing ---- */

static void put_str(FILE *f, const char *key, const char *val)
{
	fprintf(f, "\t%s=", key);
	for (const char *p = val ? val : ""; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
}

static void put_num(FILE *f, const char *key, long long val)
{
	fprintf(f, "\t%s=%lld", key, val);
}

static void put_quantity(FILE *f, const char *key, const struct quantity *q)
{
	char buf[64];

	quantity_format(q, buf, sizeof(buf));
	put_str(f, key, buf);
}

static void put_ref(FILE *f, const char *key, const struct binder_ref *r)
{
	char buf[sizeof(*r) + 4];

	snprintf(buf, sizeof(buf), "%s/%s/%s", r->namespace, r->name, r->uid);
	put_str(f, key, buf);
}

/* The node of a PV whose affinity is one kubernetes.io/hostname In [node]. */
static const char *affinity_node(const struct spec_pv *g)
{
	const struct spec_requirement *r;

	if (g->n_node_terms != 1 || g->node_terms[0].n_exprs != 1)
		return NULL;
	r = &g->node_terms[0].exprs[0];
	if (strcmp(r->key, "kubernetes.io/hostname") || r->op != SPEC_OP_IN ||
	    r->n_values != 1)
		return NULL;
	return r->values[0];
}

static void write_pv(FILE *f, const struct spv *pv)
{
	const struct spec_pv *g = &pv->ghost;
	const struct binder_pv *b = &pv->b;

	fputs("pv", f);
	put_str(f, "name", g->name);
	put_str(f, "file", pv->file);
	put_num(f, "created", pv->created);
	put_num(f, "phase", b->phase);
	put_num(f, "phase_time", b->phase_time);
	put_num(f, "has_ref", b->has_claim_ref);
	put_ref(f, "ref", &b->claim_ref);
	put_num(f, "bbc", b->bound_by_controller);
	put_str(f, "reason", b->reason);
	put_num(f, "applied_has_ref", pv->applied_has_ref);
	put_ref(f, "applied_ref", &pv->applied_ref);
	put_num(f, "deleting", b->deleting);
	put_str(f, "provisioned_by", pv->provisioned_by);
	put_str(f, "on_delete", pv->on_delete);
	put_str(f, "nfs_base", pv->nfs_base);
	put_num(f, "retry_at", pv->retry_at);
	put_quantity(f, "capacity", &g->capacity);
	put_num(f, "modes", g->access_modes);
	put_str(f, "policy", g->reclaim_policy);
	put_str(f, "class", g->storage_class);
	put_num(f, "block", g->block);
	put_num(f, "type", g->type);
	put_str(f, "source", g->source);
	put_str(f, "host_path", g->host_path.path);
	put_str(f, "host_type", g->host_path.type);
	put_str(f, "local_path", g->local.path);
	put_str(f, "server", g->nfs.server);
	put_str(f, "nfs_path", g->nfs.path);
	put_num(f, "nfs_ro", g->nfs.read_only);
	if (affinity_node(g))
		put_str(f, "node", affinity_node(g));
	for (size_t i = 0; i < g->n_mount_options; i++)
		put_str(f, "mount_option", g->mount_options[i]);
	fputc('\n', f);
}

static void write_pvc(FILE *f, const struct spvc *pvc)
{
	const struct spec_pvc *g = &pvc->ghost;
	const struct binder_pvc *b = &pvc->b;

	fputs("pvc", f);
	put_str(f, "namespace", g->namespace);
	put_str(f, "name", g->name);
	put_str(f, "uid", b->uid);
	put_str(f, "file", pvc->file);
	put_num(f, "created", pvc->created);
	put_num(f, "deleting", b->deleting);
	put_num(f, "has_class", b->has_storage_class);
	put_str(f, "class", b->storage_class);
	put_str(f, "volume", b->volume_name);
	put_num(f, "bind_completed", b->bind_completed);
	put_num(f, "bbc", b->bound_by_controller);
	put_num(f, "phase", b->phase);
	put_num(f, "phase_time", b->phase_time);
	put_quantity(f, "capacity", &b->capacity);
	put_num(f, "status_modes", b->access_modes);
	put_num(f, "delete_when_deleted", pvc->delete_when_deleted);
	put_num(f, "delete_when_scaled", pvc->delete_when_scaled);
	put_str(f, "selector", pvc->selector);
	put_num(f, "modes", g->access_modes);
	put_quantity(f, "request", &g->request);
	put_num(f, "spec_has_class", g->has_storage_class);
	put_str(f, "spec_class", g->storage_class);
	put_str(f, "spec_volume", g->volume_name);
	put_num(f, "block", g->block);
	if (g->owner_kind) {
		put_str(f, "owner_kind", g->owner_kind);
		put_str(f, "owner_name", g->owner_name);
		put_str(f, "owner_uid", g->owner_uid);
	}
	fputc('\n', f);
}

static void write_class(FILE *f, const struct ssc *sc)
{
	const struct spec_storage_class *g = &sc->ghost;

	fputs("class", f);
	put_str(f, "name", g->name);
	put_str(f, "file", sc->file);
	put_num(f, "created", sc->b.created);
	put_str(f, "provisioner", g->provisioner);
	put_str(f, "policy", g->reclaim_policy);
	put_num(f, "wffc", g->wait_for_first_consumer);
	put_num(f, "expansion", g->allow_volume_expansion);
	put_num(f, "default", g->is_default);
	for (size_t i = 0; i < g->n_parameters; i++) {
		char *kv;

		if (asprintf(&kv, "%s=%s", g->parameters[i].key,
			     g->parameters[i].value) < 0)
			continue;
		put_str(f, "parameter", kv);
		free(kv);
	}
	for (size_t i = 0; i < g->n_mount_options; i++)
		put_str(f, "mount_option", g->mount_options[i]);
	fputc('\n', f);
}

/*
 * A failed write leaves the file as it was, whole; the watch thread tries
 * again each second (storage_due()), so the failure is logged once and the
 * recovery once.
 */
static int records_failed(struct cluster *c, int rc)
{
	struct storage *s = c->storage;

	if (!s->unsaved)
		log_err("%s/objects/%s: cannot write: %s; it keeps what it held, and writing is tried again each second",
			state_dir(c->state), RECORDS, strerror(-rc));
	s->unsaved = true;
	return rc;
}

int records_save(struct cluster *c)
{
	struct storage *s = c->storage;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = open_memstream(&buf, &len);
	if (!f)
		return records_failed(c, -ENOMEM);
	fputs("# podvolfs objects: PersistentVolumes, claims, StorageClasses\n", f);
	for (size_t i = 0; i < s->n_classes; i++)
		write_class(f, s->classes[i]);
	for (size_t i = 0; i < s->n_pvs; i++)
		write_pv(f, s->pvs[i]);
	for (size_t i = 0; i < s->n_pvcs; i++)
		write_pvc(f, s->pvcs[i]);
	if (fclose(f)) {
		free(buf);
		return records_failed(c, -ENOMEM);
	}
	if (s->records && !strcmp(s->records, buf)) {
		free(buf);
		s->unsaved = false;
		return 0;
	}
	rc = state_objects_write(c->state, RECORDS, buf, len);
	if (rc) {
		free(buf);
		return records_failed(c, rc);
	}
	if (s->unsaved)
		log_notice("%s/objects/%s: written again", state_dir(c->state),
			   RECORDS);
	s->unsaved = false;
	free(s->records);
	s->records = buf;
	return 0;
}

/* ---- reading ---- */

/* One line split into its fields; values unescaped in place. */
struct fields {
	char *kind;
	char *key[128];
	char *val[128];
	size_t n;
};

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void split(char *line, struct fields *fs)
{
	char *save = NULL, *tok;

	fs->n = 0;
	fs->kind = strtok_r(line, "\t", &save);
	while ((tok = strtok_r(NULL, "\t", &save)) && fs->n < 128) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		unescape(eq + 1);
		fs->key[fs->n] = tok;
		fs->val[fs->n++] = eq + 1;
	}
}

static const char *get(const struct fields *fs, const char *key)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->key[i], key))
			return fs->val[i];
	return "";
}

static long long num(const struct fields *fs, const char *key)
{
	return strtoll(get(fs, key), NULL, 10);
}

static void quantity_get(const struct fields *fs, const char *key,
			 struct quantity *q)
{
	if (quantity_parse(get(fs, key), q, NULL))
		memset(q, 0, sizeof(*q));
}

/* Copies @src into @dst of @size bytes, cut short if need be. */
static void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void ref_get(const struct fields *fs, const char *key,
		    struct binder_ref *r)
{
	char buf[sizeof(*r) + 4], *a, *b;

	snprintf(buf, sizeof(buf), "%s", get(fs, key));
	a = strchr(buf, '/');
	b = a ? strchr(a + 1, '/') : NULL;
	memset(r, 0, sizeof(*r));
	if (!a || !b)
		return;
	*a = *b = '\0';
	copy_field(r->namespace, sizeof(r->namespace), buf);
	copy_field(r->name, sizeof(r->name), a + 1);
	copy_field(r->uid, sizeof(r->uid), b + 1);
}

static char *opt_dup(const struct fields *fs, const char *key)
{
	const char *v = get(fs, key);

	return *v ? strdup(v) : NULL;
}

/* Every value of @key, in order, into a new array. */
static int list_get(const struct fields *fs, const char *key, char ***out,
		    size_t *n)
{
	size_t count = 0;
	char **v;

	for (size_t i = 0; i < fs->n; i++)
		count += !strcmp(fs->key[i], key);
	v = calloc(count + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*out = v;
	*n = 0;
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->key[i], key))
			continue;
		v[*n] = strdup(fs->val[i]);
		if (!v[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static int read_pv(struct storage *s, const struct fields *fs)
{
	struct spv *pv = calloc(1, sizeof(*pv));
	struct spec_pv *g;
	struct binder_pv *b;
	struct spv **grown;

	if (!pv)
		return -ENOMEM;
	g = &pv->ghost;
	b = &pv->b;
	g->name = strdup(get(fs, "name"));
	g->reclaim_policy = strdup(get(fs, "policy"));
	g->storage_class = strdup(get(fs, "class"));
	g->source = strdup(get(fs, "source"));
	g->host_path.path = strdup(get(fs, "host_path"));
	g->host_path.type = strdup(get(fs, "host_type"));
	g->local.path = strdup(get(fs, "local_path"));
	g->nfs.server = strdup(get(fs, "server"));
	g->nfs.path = strdup(get(fs, "nfs_path"));
	g->claim_ref.namespace = strdup("");
	g->claim_ref.name = strdup("");
	g->claim_ref.uid = strdup("");
	g->file = strdup(get(fs, "file"));
	g->list_item = strdup("");
	pv->file = opt_dup(fs, "file");
	pv->provisioned_by = opt_dup(fs, "provisioned_by");
	pv->on_delete = opt_dup(fs, "on_delete");
	pv->nfs_base = opt_dup(fs, "nfs_base");
	quantity_get(fs, "capacity", &g->capacity);
	g->access_modes = (unsigned)num(fs, "modes");
	g->block = num(fs, "block");
	g->type = (enum spec_pv_type)num(fs, "type");
	g->nfs.read_only = num(fs, "nfs_ro");
	pv->created = num(fs, "created");
	pv->retry_at = num(fs, "retry_at");
	pv->applied_has_ref = num(fs, "applied_has_ref");
	ref_get(fs, "applied_ref", &pv->applied_ref);
	b->spec = g;
	b->provisioned_by = pv->provisioned_by;
	b->phase = (enum pv_phase)num(fs, "phase");
	b->phase_time = num(fs, "phase_time");
	b->has_claim_ref = num(fs, "has_ref");
	ref_get(fs, "ref", &b->claim_ref);
	b->bound_by_controller = num(fs, "bbc");
	b->deleting = num(fs, "deleting");
	snprintf(b->reason, sizeof(b->reason), "%s", get(fs, "reason"));
	grown = reallocarray(s->pvs, s->n_pvs + 1, sizeof(*grown));
	if (grown)
		s->pvs = grown;
	if (!grown || !g->name || !g->reclaim_policy || !g->storage_class ||
	    !g->source || !g->host_path.path || !g->host_path.type ||
	    !g->local.path || !g->nfs.server || !g->nfs.path ||
	    !g->claim_ref.namespace || !g->claim_ref.name ||
	    !g->claim_ref.uid || !g->file || !g->list_item ||
	    list_get(fs, "mount_option", &g->mount_options,
		     &g->n_mount_options) ||
	    (*get(fs, "node") && hostname_affinity(g, get(fs, "node")))) {
		ghost_pv_free(g);
		free(pv->file);
		free(pv->provisioned_by);
		free(pv->on_delete);
		free(pv->nfs_base);
		free(pv);
		return -ENOMEM;
	}
	s->pvs[s->n_pvs++] = pv;
	return 0;
}

static int read_pvc(struct storage *s, const struct fields *fs)
{
	struct spvc *pvc = calloc(1, sizeof(*pvc));
	struct spec_pvc *g;
	struct binder_pvc *b;
	struct spvc **grown;

	if (!pvc)
		return -ENOMEM;
	g = &pvc->ghost;
	b = &pvc->b;
	g->namespace = strdup(get(fs, "namespace"));
	g->name = strdup(get(fs, "name"));
	g->storage_class = strdup(get(fs, "spec_class"));
	g->volume_name = strdup(get(fs, "spec_volume"));
	g->file = strdup(get(fs, "file"));
	g->list_item = strdup("");
	g->owner_kind = opt_dup(fs, "owner_kind");
	g->owner_name = opt_dup(fs, "owner_name");
	g->owner_uid = opt_dup(fs, "owner_uid");
	pvc->file = opt_dup(fs, "file");
	pvc->selector = strdup(get(fs, "selector"));
	g->access_modes = (unsigned)num(fs, "modes");
	quantity_get(fs, "request", &g->request);
	g->has_storage_class = num(fs, "spec_has_class");
	g->block = num(fs, "block");
	pvc->created = num(fs, "created");
	pvc->delete_when_deleted = num(fs, "delete_when_deleted");
	pvc->delete_when_scaled = num(fs, "delete_when_scaled");
	b->spec = g;
	snprintf(b->uid, sizeof(b->uid), "%s", get(fs, "uid"));
	b->deleting = num(fs, "deleting");
	b->has_storage_class = num(fs, "has_class");
	snprintf(b->storage_class, sizeof(b->storage_class), "%s",
		 get(fs, "class"));
	snprintf(b->volume_name, sizeof(b->volume_name), "%s",
		 get(fs, "volume"));
	b->bind_completed = num(fs, "bind_completed");
	b->bound_by_controller = num(fs, "bbc");
	b->phase = (enum pvc_phase)num(fs, "phase");
	b->phase_time = num(fs, "phase_time");
	quantity_get(fs, "capacity", &b->capacity);
	b->access_modes = (unsigned)num(fs, "status_modes");
	grown = reallocarray(s->pvcs, s->n_pvcs + 1, sizeof(*grown));
	if (grown)
		s->pvcs = grown;
	if (!grown || !g->namespace || !g->name || !g->storage_class ||
	    !g->volume_name || !g->file || !g->list_item || !pvc->selector) {
		ghost_pvc_free(g);
		free(pvc->file);
		free(pvc->selector);
		free(pvc);
		return -ENOMEM;
	}
	s->pvcs[s->n_pvcs++] = pvc;
	return 0;
}

static int params_get(const struct fields *fs, struct spec_storage_class *g)
{
	size_t count = 0;

	for (size_t i = 0; i < fs->n; i++)
		count += !strcmp(fs->key[i], "parameter");
	g->parameters = calloc(count + 1, sizeof(*g->parameters));
	if (!g->parameters)
		return -ENOMEM;
	for (size_t i = 0; i < fs->n; i++) {
		const char *eq;
		struct spec_kv *kv;

		if (strcmp(fs->key[i], "parameter"))
			continue;
		eq = strchr(fs->val[i], '=');
		if (!eq)
			continue;
		kv = &g->parameters[g->n_parameters];
		kv->key = strndup(fs->val[i], (size_t)(eq - fs->val[i]));
		kv->value = strdup(eq + 1);
		g->n_parameters++;
		if (!kv->key || !kv->value)
			return -ENOMEM;
	}
	return 0;
}

static int read_class(struct storage *s, const struct fields *fs)
{
	struct ssc *sc = calloc(1, sizeof(*sc));
	struct spec_storage_class *g;
	struct ssc **grown;

	if (!sc)
		return -ENOMEM;
	g = &sc->ghost;
	g->name = strdup(get(fs, "name"));
	g->provisioner = strdup(get(fs, "provisioner"));
	g->reclaim_policy = strdup(get(fs, "policy"));
	g->file = strdup(get(fs, "file"));
	g->list_item = strdup("");
	g->wait_for_first_consumer = num(fs, "wffc");
	g->allow_volume_expansion = num(fs, "expansion");
	g->is_default = num(fs, "default");
	sc->file = opt_dup(fs, "file");
	sc->b.spec = g;
	sc->b.created = num(fs, "created");
	grown = reallocarray(s->classes, s->n_classes + 1, sizeof(*grown));
	if (grown)
		s->classes = grown;
	if (!grown || !g->name || !g->provisioner || !g->reclaim_policy ||
	    !g->file || !g->list_item || params_get(fs, g) ||
	    list_get(fs, "mount_option", &g->mount_options,
		     &g->n_mount_options)) {
		ghost_class_free(g);
		free(sc->file);
		free(sc);
		return -ENOMEM;
	}
	s->classes[s->n_classes++] = sc;
	return 0;
}

int records_load(struct cluster *c)
{
	struct storage *s = c->storage;
	char *buf = NULL, *line, *save = NULL;
	struct fields fs;
	ssize_t len;
	int rc = 0;

	len = state_objects_read(c->state, RECORDS, &buf);
	if (len == -ENOENT) {
		s->loaded = true;
		return 0;
	}
	if (len < 0) {
		log_err("%s/objects/%s: cannot read: %s; PersistentVolumes and claims are not served",
			state_dir(c->state), RECORDS, strerror((int)-len));
		return (int)len;
	}
	s->records = strdup(buf);
	for (line = strtok_r(buf, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		split(line, &fs);
		if (!fs.kind)
			continue;
		if (!strcmp(fs.kind, "pv"))
			rc = read_pv(s, &fs);
		else if (!strcmp(fs.kind, "pvc"))
			rc = read_pvc(s, &fs);
		else if (!strcmp(fs.kind, "class"))
			rc = read_class(s, &fs);
	}
	free(buf);
	if (rc) {
		log_err("%s/objects/%s: cannot read: %s", state_dir(c->state),
			RECORDS, strerror(-rc));
		return rc;
	}
	s->loaded = true;
	log_info("%s/objects/%s: %zu PersistentVolumes, %zu claims, %zu StorageClasses",
		 state_dir(c->state), RECORDS, s->n_pvs, s->n_pvcs,
		 s->n_classes);
	return 0;
}
