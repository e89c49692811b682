/*
 * pods.c - a pod's life: its volumes started, served, re-served and stopped.
 *
 * A pod is started with every volume it has, quick ones Ready at once,
 * slow ones (a clone) Pending; pod_update() then makes the tree show what
 * the volumes are now, when the pod starts and whenever a volume announces
 * a change: a new volume's view at volumes/<name>, a re-synced volume's
 * views replaced in one step, and the containers' views once no volume
 * they mount is unsettled. Everything here runs under c->lock; a volume's
 * worker never takes it, it only wakes the watch thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_i.h"
#include "podvolfs/log.h"
#include "podvolfs/state.h"
#include "storage_i.h"

static void pod_unref(void *arg)
{
	struct pod *p = arg;

	if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < p->n_volumes; i++)
		volume_release(&p->volumes[i]);
	free(p->volumes);
	free(p->vols);
	free(p->served_gen);
	ccontainers_free(p->containers, p->n_containers);
	pthread_mutex_destroy(&p->lock);
	free(p->path);
	free(p->file);
	free(p->uid);
	free(p->name);
	free(p->ns);
	free(p);
}

char *path_join(const char *a, const char *b)
{
	char *s;

	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

static uint32_t next_vol_id(struct cluster *c)
{
	/* vol_id 0 is the virtual tree's; 24 bits fit above VOL_SHIFT. */
	if (++c->next_vol_id >= (1u << 24))
		c->next_vol_id = 1;
	return c->next_vol_id;
}

/* Mounts @store, volume @i's content, at volumes/<name>. Caller holds c->lock. */
static void serve_volume(struct cluster *c, struct pod *p, size_t i,
			 struct store *store)
{
	struct volume *v = &p->volumes[i];
	uint32_t vol_id = next_vol_id(c);
	char *path;
	struct view *view;
	int rc;

	view = view_new(store, vol_id, v->forced_read_only, &v->cache);
	if (!view) {
		volume_unservable(v, -errno);
		return;
	}
	rc = -ENOMEM;
	if (asprintf(&path, "%s/volumes/%s", p->path, v->name) >= 0) {
		rc = tree_add_mount(c->tree, path, view);
		free(path);
	}
	view_unref(view);
	if (rc) {
		volume_unservable(v, rc);
		return;
	}
	p->vols[i].vol_id = vol_id;
}

/* Keeps @old, a replaced view, to sweep. Caller holds c->lock. */
static void retire_view(void *arg, struct view *old)
{
	struct cluster *c = arg;

	if (c->n_retired == c->cap_retired) {
		size_t cap = c->cap_retired ? c->cap_retired * 2 : 8;
		struct view **v = realloc(c->retired, cap * sizeof(*v));

		/* unswept, the old content goes when the kernel lets it go */
		if (!v) {
			view_unref(old);
			return;
		}
		c->retired = v;
		c->cap_retired = cap;
	}
	c->retired[c->n_retired++] = old;
}

/*
 * Sweeps the replaced views that something still holds, and drops those
 * only the cluster holds: nothing can take a new reference to a view that
 * is out of the tree, so a count of one is final. Caller holds c->lock.
 */
static void sweep_retired(struct cluster *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->n_retired; i++) {
		struct view *v = c->retired[i];

		if (__atomic_load_n(&v->refs, __ATOMIC_ACQUIRE) == 1) {
			view_unref(v);
			continue;
		}
		tree_sweep_view(c->tree, v);
		c->retired[kept++] = v;
	}
	c->n_retired = kept;
}

/*
 * Volume @i has new content, @store (a re-synced gitRepo): its volumes/
 * view and its containers' views are replaced, each in one step, with a
 * new vol_id so that no inode number of the old content is reused. What
 * the kernel holds of the old content stays usable until released.
 * Caller holds c->lock.
 */
static void republish_volume(struct cluster *c, struct pod *p, size_t i,
			     struct store *store)
{
	struct volume *v = &p->volumes[i];
	uint32_t vol_id = next_vol_id(c);
	struct view *view;
	struct view *old;
	char *path;
	int rc = -ENOMEM;

	view = view_new(store, vol_id, v->forced_read_only, &v->cache);
	if (view && asprintf(&path, "%s/volumes/%s", p->path, v->name) >= 0) {
		rc = tree_replace_mount(c->tree, path, view, &old);
		free(path);
	}
	view_unref(view);
	if (!rc)
		retire_view(c, old);
	if (rc) {
		log_err("pod %s volume \"%s\": cannot serve its new content: %s",
			p->path, v->name, strerror(-rc));
		return;
	}
	p->vols[i].vol_id = vol_id;
	if (p->attached)
		containers_republish(c->tree, p->path, p->containers,
				     p->n_containers, &p->vols[i], retire_view, c);
}

/* Whether a container of @p mounts volume @i. */
static bool volume_mounted_by_containers(const struct pod *p, size_t i)
{
	for (size_t j = 0; j < p->n_containers; j++)
		for (size_t k = 0; k < p->containers[j].n_mounts; k++)
			if (!strcmp(p->containers[j].mounts[k].volume,
				    p->volumes[i].name))
				return true;
	return false;
}

/*
 * Makes the tree show what @p's volumes are now: each newly Ready volume
 * at volumes/<name>, and, once no volume the containers mount is still
 * Pending or Preparing, the containers' views. Called when the pod starts
 * and whenever a volume announces a change. Caller holds c->lock.
 */
static int pod_update(struct cluster *c, struct pod *p)
{
	bool settled = true;
	int rc;

	for (size_t i = 0; i < p->n_volumes; i++) {
		struct volume_info info;

		volume_get(&p->volumes[i], &info, true);
		if (info.store && info.generation != p->served_gen[i]) {
			if (!p->served_gen[i])
				serve_volume(c, p, i, info.store);
			else
				republish_volume(c, p, i, info.store);
			p->served_gen[i] = info.generation;
		}
		store_unref(info.store);
		if (!volume_state_settled(info.state) &&
		    volume_mounted_by_containers(p, i))
			settled = false;
	}
	if (p->attached || !settled)
		return 0;
	rc = containers_attach(c->tree, p->path, p->containers,
			       p->n_containers, p->vols, p->n_volumes);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->lock);
	p->attached = true;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static struct pod *pod_new(const struct spec_pod *sp)
{
	size_t n = sp->n_volumes ? sp->n_volumes : 1;
	struct pod *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->refs = 1;
	pthread_mutex_init(&p->lock, NULL);
	p->ns = strdup(sp->namespace);
	p->name = strdup(sp->name);
	p->uid = strdup(sp->uid);
	p->file = strdup(sp->file);
	p->path = path_join(sp->namespace, sp->name);
	p->volumes = calloc(n, sizeof(*p->volumes));
	p->vols = calloc(n, sizeof(*p->vols));
	p->served_gen = calloc(n, sizeof(*p->served_gen));
	if (!p->ns || !p->name || !p->uid || !p->file || !p->path ||
	    !p->volumes || !p->vols || !p->served_gen) {
		pod_unref(p);
		return NULL;
	}
	return p;
}

/* A volume announced a change: the watch thread updates the pods. */
static void volume_changed(void *arg)
{
	struct cluster *c = arg;
	uint64_t one = 1;

	if (write(c->event_fd, &one, sizeof(one)) < 0)
		return;
}

/*
 * The pod's memory limit as the kubelet sizes its cgroup, and so its
 * Memory emptyDirs' tmpfs: when every container, init containers
 * included, has resources.limits.memory, the larger of the app
 * containers' sum and the largest init container's, plus the pod's
 * overhead.memory; else 0, none.
 */
static uint64_t pod_memory_limit(const struct spec_pod *sp)
{
	uint64_t sum = 0, init = 0;

	for (size_t i = 0; i < sp->n_containers; i++) {
		const struct spec_container *ct = &sp->containers[i];
		uint64_t v;

		if (!ct->has_memory_limit)
			return 0;
		v = (uint64_t)quantity_value(&ct->memory_limit);
		if (ct->init)
			init = v > init ? v : init;
		else
			sum = sum + v < sum ? UINT64_MAX : sum + v;
	}
	sum = sum > init ? sum : init;
	if (sp->has_overhead_memory) {
		uint64_t oh = (uint64_t)quantity_value(&sp->overhead_memory);

		sum = sum + oh < sum ? UINT64_MAX : sum + oh;
	}
	return sum;
}

int pod_start(struct cluster *c, const struct spec_pod *sp,
		     struct pod **out)
{
	struct volume_ctx ctx = {
		.state = c->state,
		.workq = c->workq,
		.pod_uid = sp->uid,
		.annotations = sp->annotations,
		.n_annotations = sp->n_annotations,
		.has_fs_group = sp->has_fs_group,
		.fs_group = sp->fs_group,
		.memory_limit = c->memory_limit,
		.pod_memory_limit = pod_memory_limit(sp),
		.memory_tmpfs = c->memory_tmpfs,
		.hostpath_cache = c->hostpath_cache,
		.allow_local_git = c->allow_local_git,
		.git_timeout = c->git_timeout,
		.nfs = c->nfs,
		.changed = volume_changed,
		.changed_arg = c,
	};
	struct pod *p = pod_new(sp);
	char *path;
	int rc;

	if (!p)
		return -ENOMEM;
	ctx.pod_path = p->path;
	for (size_t i = 0; i < sp->n_volumes; i++) {
		rc = volume_start(&p->volumes[i], &sp->volumes[i], &ctx);
		if (rc)
			goto out_unref;
		p->vols[i].v = &p->volumes[i];
		p->n_volumes++;
	}
	rc = containers_prepare(sp, p->vols, p->n_volumes, &p->containers,
				&p->n_containers);
	if (rc)
		goto out_unref;
	path = path_join(p->path, "volumes");
	rc = path ? tree_add_dir(c->tree, path) : -ENOMEM;
	free(path);
	if (rc)
		goto out_unref;
	rc = pod_update(c, p);
	if (rc)
		goto out_remove;
	path = path_join(p->path, "status");
	rc = path ? tree_add_file(c->tree, path, pod_status, p, pod_unref)
		  : -ENOMEM;
	free(path);
	if (rc)
		goto out_remove;
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	path = path_join(p->path, "status.json");
	rc = path ? tree_add_file(c->tree, path, pod_status_json, p, pod_unref)
		  : -ENOMEM;
	free(path);
	if (rc)
		goto out_remove;
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < p->n_volumes; i++) {
		struct volume_info info;

		volume_get(&p->volumes[i], &info, false);
		if (info.state == VOLUME_FAILED ||
		    info.state == VOLUME_UNSUPPORTED)
			log_warn("pod %s volume \"%s\": %s", p->path,
				 p->volumes[i].name, info.message);
	}
	log_info("pod %s (uid %s) added with %zu volume%s", p->path, p->uid,
		 p->n_volumes, p->n_volumes == 1 ? "" : "s");
	*out = p;
	return 0;

out_remove:
	tree_remove(c->tree, p->path);
	tree_remove_empty(c->tree, p->ns);
out_unref:
	for (size_t i = 0; i < p->n_volumes; i++)
		volume_stop(&p->volumes[i]);
	pod_unref(p);
	return rc;
}

void pod_stop(struct cluster *c, struct pod *p, bool delete)
{
	int rc;

	tree_remove(c->tree, p->path);
	tree_remove_empty(c->tree, p->ns);
	containers_unmount(p->containers, p->n_containers);
	for (size_t i = 0; i < p->n_volumes; i++)
		volume_stop(&p->volumes[i]);
	if (delete) {
		rc = state_pod_remove(c->state, p->uid);
		if (rc)
			log_err("pod %s: cannot delete %s/pods/%s: %s", p->path,
				state_dir(c->state), p->uid, strerror(-rc));
		log_info("pod %s (uid %s) removed", p->path, p->uid);
	}
	pod_unref(p);
}

void pods_update(struct cluster *c)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n_pods; i++) {
		int rc = pod_update(c, c->pods[i]);

		if (rc)
			log_err("pod %s: cannot serve its containers' views: %s",
				c->pods[i]->path, strerror(-rc));
	}
	sweep_retired(c);
	if (__atomic_load_n(&c->storage_dirty, __ATOMIC_ACQUIRE) ||
	    storage_due(c))
		storage_reconcile(c, false, NULL, 0);
	pthread_mutex_unlock(&c->lock);
}
