/*
 * manifest.c - fuzzes the manifest loader and its validators.
 *
 * The input is a whole manifest file: YAML documents or JSON, of any kind.
 * It is written to a memfd and read by spec_load_file() three times, once
 * per field validation mode, and then by spec_load_source() again on top
 * of what the first load gave. Beyond not crashing or leaking:
 *
 *   - a file is taken whole or not at all: on an error nothing is added
 *     and there is a message, on success there is none;
 *   - every message names the file and is one line, without control
 *     bytes (err.h);
 *   - Warn and Ignore differ only by the warnings about unknown fields,
 *     and Strict refuses a file exactly when there are such warnings (or
 *     when the others refuse it), taking the same objects otherwise;
 *   - what is loaded passed the validators: names of the right form,
 *     positive capacities and requests, relative subPaths without "..",
 *     absolute NFS paths, mounts of volumes the pod has, and so on;
 *   - reading the same file again as a second file of a source leaves out
 *     each of its objects as a duplicate.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "podvolfs/spec.h"
#include "../src/spec/spec_i.h"

struct load {
	int rc;
	struct spec_objects objs;
	struct podvolfs_err err;
	struct podvolfs_err warn;
};

/* Kept: a struct podvolfs_err is 8 KiB, too much for a fuzzer's stack. */
static struct load loads[3];
static struct podvolfs_err again_err, again_warn;

static const enum spec_field_validation modes[3] = {
	SPEC_FIELDS_WARN, SPEC_FIELDS_IGNORE, SPEC_FIELDS_STRICT,
};

static bool is_one_of(const char *s, const char *const *set)
{
	for (size_t i = 0; set[i]; i++)
		if (!strcmp(s, set[i]))
			return true;
	return false;
}

static void messages_check(const struct podvolfs_err *e, const char *path)
{
	size_t kept = e->count < PODVOLFS_ERR_MAX ? e->count : PODVOLFS_ERR_MAX;
	size_t len = strlen(path);

	for (size_t i = 0; i < kept; i++) {
		FUZZ_CHECK(!strncmp(e->msg[i], path, len) && e->msg[i][len] == ':',
			   "message does not name the file: %s", e->msg[i]);
		for (const char *p = e->msg[i]; *p; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
				   "message with control byte %#x: %s",
				   (unsigned char)*p, e->msg[i]);
	}
}

static bool empty(const struct spec_objects *o)
{
	return !o->n_pods && !o->n_pvs && !o->n_pvcs && !o->n_classes &&
	       !o->n_statefulsets && !o->n_notices;
}

static void name_check(const char *what, const char *name, bool label)
{
	const char *why = label ? spec_check_dns_label(name) :
				  spec_check_dns_subdomain(name);

	FUZZ_CHECK(!why, "%s \"%s\" loaded: %s", what, name, why);
}

static void path_rule(const char *what, const char *path)
{
	FUZZ_CHECK(path[0] != '/' && !spec_has_backstep(path),
		   "%s \"%s\" loaded", what, path);
}

static void volume_check(const struct spec_volume *v)
{
	name_check("volume", v->name, true);
	FUZZ_CHECK(v->source, "volume %s has no source", v->name);
	switch (v->type) {
	case SPEC_VOL_EMPTYDIR:
		FUZZ_CHECK(v->empty_dir.medium, "emptyDir without medium");
		if (v->empty_dir.has_size_limit)
			FUZZ_CHECK(!quantity_is_negative(&v->empty_dir.size_limit),
				   "negative sizeLimit loaded");
		break;
	case SPEC_VOL_HOSTPATH:
		FUZZ_CHECK(*v->host_path.path &&
			   !spec_has_backstep(v->host_path.path),
			   "hostPath \"%s\" loaded", v->host_path.path);
		break;
	case SPEC_VOL_GITREPO:
		FUZZ_CHECK(*v->git_repo.repository, "gitRepo without repository");
		path_rule("gitRepo directory", v->git_repo.directory);
		break;
	case SPEC_VOL_NFS:
		FUZZ_CHECK(*v->nfs.server && v->nfs.path[0] == '/',
			   "nfs %s:%s loaded", v->nfs.server, v->nfs.path);
		break;
	case SPEC_VOL_PVC:
		FUZZ_CHECK(*v->pvc.claim_name, "claim volume without a claim");
		break;
	case SPEC_VOL_OTHER:
		break;
	}
}

static bool has_volume(const struct spec_pod *p, const char *name)
{
	for (size_t i = 0; i < p->n_volumes; i++)
		if (!strcmp(p->volumes[i].name, name))
			return true;
	return false;
}

static void container_check(const struct spec_pod *p, size_t ci)
{
	const struct spec_container *c = &p->containers[ci];

	FUZZ_CHECK(c->name && *c->name, "pod %s: a container without a name", p->name);
	for (size_t i = 0; i < ci; i++)
		FUZZ_CHECK(strcmp(p->containers[i].name, c->name),
			   "pod %s: container %s twice", p->name, c->name);
	for (size_t i = 0; i < c->n_env; i++)
		FUZZ_CHECK(c->env[i].name &&
			   !(c->env[i].value && c->env[i].field_path),
			   "pod %s: env %zu has a value and a fieldRef", p->name, i);
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct spec_volume_mount *m = &c->mounts[i];

		FUZZ_CHECK(has_volume(p, m->name), "pod %s mounts unknown volume %s",
			   p->name, m->name);
		FUZZ_CHECK(*m->mount_path, "pod %s: an empty mountPath", p->name);
		FUZZ_CHECK(!*m->sub_path || !*m->sub_path_expr,
			   "pod %s: subPath and subPathExpr", p->name);
		path_rule("subPath", m->sub_path);
		path_rule("subPathExpr", m->sub_path_expr);
	}
}

static void pod_check(const struct spec_pod *p)
{
	name_check("pod", p->name, false);
	name_check("namespace", p->namespace, true);
	FUZZ_CHECK(strlen(p->uid) == 36, "pod %s: uid \"%s\"", p->name, p->uid);
	FUZZ_CHECK(p->n_containers > 0, "pod %s without containers", p->name);
	FUZZ_CHECK(p->file && p->list_item, "pod %s: no file", p->name);
	for (size_t i = 0; i < p->n_volumes; i++) {
		volume_check(&p->volumes[i]);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(p->volumes[i].name, p->volumes[j].name),
				   "pod %s: volume %s twice", p->name,
				   p->volumes[i].name);
	}
	for (size_t i = 0; i < p->n_containers; i++)
		container_check(p, i);
}

static void pv_check(const struct spec_pv *pv)
{
	static const char *const policies[] = { "Retain", "Delete", "Recycle", NULL };

	name_check("persistentvolume", pv->name, false);
	FUZZ_CHECK(pv->capacity.nanos > 0, "pv %s: capacity not positive", pv->name);
	FUZZ_CHECK(pv->access_modes && !(pv->access_modes & ~0xfu),
		   "pv %s: access modes %#x", pv->name, pv->access_modes);
	FUZZ_CHECK(is_one_of(pv->reclaim_policy, policies),
		   "pv %s: reclaim policy %s", pv->name, pv->reclaim_policy);
	FUZZ_CHECK(pv->source && pv->storage_class, "pv %s: no source or class",
		   pv->name);
	if (pv->type == SPEC_PV_NFS)
		FUZZ_CHECK(*pv->nfs.server && pv->nfs.path[0] == '/',
			   "pv %s: nfs %s:%s", pv->name, pv->nfs.server,
			   pv->nfs.path);
	if (pv->type == SPEC_PV_HOSTPATH)
		FUZZ_CHECK(*pv->host_path.path && !spec_has_backstep(pv->host_path.path),
			   "pv %s: hostPath %s", pv->name, pv->host_path.path);
	if (pv->type == SPEC_PV_LOCAL)
		FUZZ_CHECK(*pv->local.path && !spec_has_backstep(pv->local.path),
			   "pv %s: local %s", pv->name, pv->local.path);
	if (pv->has_claim_ref)
		FUZZ_CHECK(pv->claim_ref.namespace && pv->claim_ref.name &&
			   pv->claim_ref.uid, "pv %s: claimRef", pv->name);
	for (size_t i = 0; i < pv->n_mount_options; i++)
		FUZZ_CHECK(pv->mount_options[i], "pv %s: mount option %zu",
			   pv->name, i);
}

static void objects_check(const struct spec_objects *o)
{
	static const char *const class_policies[] = { "Delete", "Retain", NULL };

	for (size_t i = 0; i < o->n_pods; i++)
		pod_check(&o->pods[i]);
	for (size_t i = 0; i < o->n_pvs; i++)
		pv_check(&o->pvs[i]);
	for (size_t i = 0; i < o->n_pvcs; i++) {
		const struct spec_pvc *c = &o->pvcs[i];

		name_check("persistentvolumeclaim", c->name, false);
		name_check("namespace", c->namespace, true);
		FUZZ_CHECK(c->request.nanos > 0, "pvc %s: request not positive",
			   c->name);
		FUZZ_CHECK(c->access_modes && !(c->access_modes & ~0xfu),
			   "pvc %s: access modes %#x", c->name, c->access_modes);
		FUZZ_CHECK(c->storage_class && c->volume_name,
			   "pvc %s: no class or volume name", c->name);
	}
	for (size_t i = 0; i < o->n_classes; i++) {
		const struct spec_storage_class *sc = &o->classes[i];

		name_check("storageclass", sc->name, false);
		FUZZ_CHECK(*sc->provisioner, "class %s: no provisioner", sc->name);
		FUZZ_CHECK(is_one_of(sc->reclaim_policy, class_policies),
			   "class %s: reclaim policy %s", sc->name,
			   sc->reclaim_policy);
	}
	for (size_t i = 0; i < o->n_statefulsets; i++) {
		const struct spec_statefulset *ss = &o->statefulsets[i];

		name_check("statefulset", ss->name, false);
		FUZZ_CHECK(ss->replicas <= SPEC_REPLICAS_MAX,
			   "statefulset %s: %u replicas", ss->name, ss->replicas);
	}
	for (size_t i = 0; i < o->n_notices; i++)
		FUZZ_CHECK(!strchr(o->notices[i], '\n'), "notice of two lines: %s",
			   o->notices[i]);
}

/* The same objects, in the same order, by kind and name. */
static void same_objects(const struct spec_objects *a,
			 const struct spec_objects *b, const char *what)
{
	FUZZ_CHECK(a->n_pods == b->n_pods && a->n_pvs == b->n_pvs &&
		   a->n_pvcs == b->n_pvcs && a->n_classes == b->n_classes &&
		   a->n_statefulsets == b->n_statefulsets &&
		   a->n_notices == b->n_notices, "%s: other objects", what);
	for (size_t i = 0; i < a->n_pods; i++)
		FUZZ_CHECK(!strcmp(a->pods[i].uid, b->pods[i].uid),
			   "%s: pod %zu differs", what, i);
	for (size_t i = 0; i < a->n_pvs; i++)
		FUZZ_CHECK(!strcmp(a->pvs[i].name, b->pvs[i].name),
			   "%s: pv %zu differs", what, i);
	for (size_t i = 0; i < a->n_pvcs; i++)
		FUZZ_CHECK(!strcmp(a->pvcs[i].name, b->pvcs[i].name) &&
			   !strcmp(a->pvcs[i].namespace, b->pvcs[i].namespace),
			   "%s: pvc %zu differs", what, i);
	for (size_t i = 0; i < a->n_classes; i++)
		FUZZ_CHECK(!strcmp(a->classes[i].name, b->classes[i].name),
			   "%s: class %zu differs", what, i);
}

static void load_one(struct load *l, const char *path,
		     enum spec_field_validation mode)
{
	spec_objects_init(&l->objs);
	err_init(&l->err);
	err_init(&l->warn);
	l->rc = spec_load_file(path, mode, &l->objs, &l->err, &l->warn);
	FUZZ_CHECK(l->rc == 0 || l->rc == -EINVAL, "mode %d: rc %d", mode, l->rc);
	FUZZ_CHECK(l->rc ? err_isset(&l->err) && empty(&l->objs) :
			   !err_isset(&l->err),
		   "mode %d: rc %d with %u errors", mode, l->rc, l->err.count);
	messages_check(&l->err, path);
	messages_check(&l->warn, path);
	if (!l->rc)
		objects_check(&l->objs);
}

/* The file again, as a later file of the same source: all of it is left out. */
static void again_check(struct load *first, const char *path)
{
	struct spec_objects before = first->objs;
	bool any = first->objs.n_pods || first->objs.n_pvs ||
		   first->objs.n_pvcs || first->objs.n_classes ||
		   first->objs.n_statefulsets;
	int rc;

	err_init(&again_err);
	err_init(&again_warn);
	rc = spec_load_source(path, SPEC_FIELDS_WARN, &first->objs, &again_err,
			      &again_warn);
	FUZZ_CHECK(rc == 0, "the file again: rc %d", rc);
	FUZZ_CHECK(first->objs.n_pods == before.n_pods &&
		   first->objs.n_pvs == before.n_pvs &&
		   first->objs.n_pvcs == before.n_pvcs &&
		   first->objs.n_classes == before.n_classes &&
		   first->objs.n_statefulsets == before.n_statefulsets,
		   "the file again added objects");
	FUZZ_CHECK(err_isset(&again_err) == any,
		   "the file again: %u errors for its duplicates", again_err.count);
	messages_check(&again_err, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct load *warn = &loads[0], *ignore = &loads[1], *strict = &loads[2];
	unsigned unknown;

	for (size_t i = 0; i < 3; i++)
		load_one(&loads[i], path, modes[i]);
	FUZZ_CHECK(warn->rc == ignore->rc, "Warn gives %d, Ignore %d", warn->rc,
		   ignore->rc);
	same_objects(&warn->objs, &ignore->objs, "Warn and Ignore");
	FUZZ_CHECK(warn->warn.count >= ignore->warn.count,
		   "Ignore warns more than Warn");
	unknown = warn->warn.count - ignore->warn.count;
	if (unknown || warn->rc) {
		FUZZ_CHECK(strict->rc == -EINVAL,
			   "Strict takes a file with %u unknown fields", unknown);
	} else {
		FUZZ_CHECK(strict->rc == 0, "Strict refuses a file Warn takes cleanly");
		same_objects(&warn->objs, &strict->objs, "Warn and Strict");
	}
	if (!warn->rc)
		again_check(warn, path);
	for (size_t i = 0; i < 3; i++)
		spec_objects_free(&loads[i].objs);
	return 0;
}
