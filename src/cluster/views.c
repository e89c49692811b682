/*
 * views.c - containers' views of their volumes (SPEC section 2, makeMounts).
 *
 * For each volumeMount of each container (init containers first), in
 * order, as the kubelet does: find the volume, expand subPathExpr, resolve
 * the subPath inside the volume once, and make a view of the object found:
 * (store, that object, read-only flag). The view holds the object itself,
 * not a path, so a symlink swapped in later is never followed: the race of
 * CVE-2017-1002101 and CVE-2021-25741 has nothing to race against. The
 * views are mounted at <pod>/containers/<container>/<mountPath>; a mount
 * inside another is mounted over its mount point in that one's view
 * (places.c), and re-published with it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster_i.h"
#include "podvolfs/log.h"
#include "podvolfs/strmap.h"
#include "podvolfs/views.h"

static bool has_dotdot(const char *path)
{
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, '/');

		if (end - p == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* A pod's volumes by name; names are unique, the spec layer saw to it. */
static const struct view_volume *find_volume(const struct strmap *vols,
					     const char *name)
{
	void *vv;

	return strmap_find(vols, name, strlen(name), &vv) ? vv : NULL;
}

/* Indexes @vols by name into @by_name. Returns 0 or -ENOMEM. */
static int volumes_index(struct strmap *by_name,
			 const struct view_volume *vols, size_t n_vols)
{
	strmap_init(by_name);
	for (size_t i = 0; i < n_vols; i++)
		if (strmap_add(by_name, vols[i].v->name, strlen(vols[i].v->name),
			       (void *)&vols[i], NULL) < 0) {
			strmap_free(by_name);
			return -ENOMEM;
		}
	return 0;
}

void container_fail(struct ccontainer *cc, struct cmount *cm,
		    const char *state, const char *msg)
{
	cc->state = state;
	snprintf(cc->message, sizeof(cc->message), "%s", msg);
	if (cm)
		snprintf(cm->message, sizeof(cm->message), "%s", msg);
}

/*
 * What makeMounts finds wrong with a volumeMount before looking into the
 * volume: subPathExpr expansion, an absolute subPath, a ".." element. It
 * is recorded in cm->prep_state and cm->message and reported when the
 * mount's turn comes, after the volume itself was found. Returns 0 or
 * -ENOMEM.
 */
static int prepare_mount(struct cmount *cm, const struct spec_volume_mount *m,
			 const struct container_env *env)
{
	const char *config_error = "CreateContainerConfigError";
	int rc;

	if (*m->sub_path_expr) {
		rc = subpath_expr_expand(m->sub_path_expr, env, &cm->sub_path,
					 cm->message, sizeof(cm->message));
		if (rc == -EINVAL) {
			cm->prep_state = config_error;
			cm->sub_path = strdup(m->sub_path_expr);
			return cm->sub_path ? 0 : -ENOMEM;
		}
		if (rc)
			return rc;
	} else {
		cm->sub_path = strdup(m->sub_path);
		if (!cm->sub_path)
			return -ENOMEM;
	}
	if (cm->sub_path[0] == '/') {
		snprintf(cm->message, sizeof(cm->message),
			 "error SubPath `%s` must not be an absolute path",
			 cm->sub_path);
		cm->prep_state = config_error;
	} else if (has_dotdot(cm->sub_path)) {
		snprintf(cm->message, sizeof(cm->message),
			 "unable to provision SubPath `%s`: must not contain '..'",
			 cm->sub_path);
		cm->prep_state = config_error;
	}
	return 0;
}

/*
 * Resolves @cm's subPath in @v's served store and makes the view. Returns
 * 0 with the view in *@out, or with *@out NULL and the container failed;
 * -ENOMEM.
 */
static int resolve_view(struct ccontainer *cc, struct cmount *cm,
			const struct volume *v, struct store *store,
			uint32_t vol_id, struct view **out)
{
	struct snode *root;
	char msg[512];
	int rc;

	rc = store->ops->root(store, &root);
	if (rc)
		return rc == -ENOMEM ? rc : 0;
	if (*cm->sub_path) {
		struct snode *top;

		rc = subpath_resolve(store, root, cm->sub_path,
				     !v->forced_read_only, &top);
		store_put(root);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			snprintf(msg, sizeof(msg), rc == -EACCES ?
				 "failed to create subPath directory for volumeMount \"%s\" of container \"%s\"" :
				 "failed to prepare subPath for volumeMount \"%s\" of container \"%s\"",
				 cm->volume, cc->name);
			container_fail(cc, cm, "CreateContainerConfigError", msg);
			return 0;
		}
		root = top;
	}
	*out = view_new_at(store, root, vol_id, cm->read_only, &v->cache);
	store_put(root);
	return *out ? 0 : -ENOMEM;
}

/*
 * Steps 1 to 5 of makeMounts for one prepared volumeMount: the view, or
 * NULL with the container failed. Returns 0 or -ENOMEM.
 */
static int make_view(struct ccontainer *cc, struct cmount *cm,
		     const struct strmap *vols, struct view **out)
{
	const struct view_volume *vv = find_volume(vols, cm->volume);
	struct volume_info info;
	char msg[512];
	int rc;

	*out = NULL;
	info.store = NULL;
	if (vv)
		volume_get(vv->v, &info, vv->vol_id != 0);
	if (vv && info.state == VOLUME_UNSUPPORTED) {
		/* not "cannot find": the volume is there, of a type not served */
		cc->state = "NotSupported";
		snprintf(cc->message, sizeof(cc->message),
			 "volume \"%s\" is of type %s, which podvolfs does not serve",
			 cm->volume, vv->v->type);
		snprintf(cm->message, sizeof(cm->message), "NotSupported: %s",
			 vv->v->type);
		return 0;
	}
	if (!info.store) {
		snprintf(msg, sizeof(msg),
			 "cannot find volume \"%s\" to mount into container \"%s\"",
			 cm->volume, cc->name);
		container_fail(cc, cm, "ContainerCreating", msg);
		return 0;
	}
	if (cm->prep_state) {
		container_fail(cc, NULL, cm->prep_state, cm->message);
		rc = 0;
	} else {
		rc = resolve_view(cc, cm, vv->v, info.store, vv->vol_id, out);
	}
	store_unref(info.store);
	return rc;
}

/* @cm is mounted, through @view. */
static void mounted(struct cmount *cm, struct view *view)
{
	cm->mounted = true;
	view_ref(view);
	cm->view = view;
}

/*
 * Mounts in the tree the shown mounts of @cc that lie inside no other,
 * in order; those inside another are mounted with it. Returns 0 or
 * -ENOMEM.
 */
static int mount_views(struct tree *t, const char *pod_path,
		       struct ccontainer *cc, struct view **views,
		       const size_t *order)
{
	size_t n = cc->n_mounts;
	char *path;
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct cmount *cm = &cc->mounts[i];

		if (cm->message[0] || cm->parent < n)
			continue;
		if (asprintf(&path, "%s/containers/%s%s", pod_path, cc->name,
			     cm->path) < 0)
			return -ENOMEM;
		rc = tree_add_mount(t, path, views[i]);
		free(path);
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			snprintf(cm->message, sizeof(cm->message),
				 "cannot serve: %s", strerror(-rc));
		else
			mounted(cm, views[i]);
	}
	for (size_t k = 0; k < n; k++) {
		struct cmount *cm = &cc->mounts[order[k]];

		if (cm->message[0] || cm->parent == n)
			continue;
		if (cc->mounts[cm->parent].mounted)
			mounted(cm, views[order[k]]);
		else
			snprintf(cm->message, sizeof(cm->message),
				 "not mounted: %s, which holds it, is not",
				 cc->mounts[cm->parent].path);
	}
	return 0;
}

/* Only subPathExpr reads the environment, so only then is it computed. */
static bool uses_env(const struct spec_container *c)
{
	for (size_t i = 0; i < c->n_mounts; i++)
		if (*c->mounts[i].sub_path_expr)
			return true;
	return false;
}

/* Prepares one container's mounts. Returns 0 or -ENOMEM. */
static int container_prepare(const struct spec_pod *sp,
			     const struct spec_container *c,
			     const struct strmap *vols, struct ccontainer *cc)
{
	struct container_env env = { 0 };
	char msg[512];
	int rc;

	cc->state = "Ready";
	cc->init = c->init;
	cc->name = strdup(c->name);
	cc->mounts = calloc(c->n_mounts ? c->n_mounts : 1, sizeof(*cc->mounts));
	if (!cc->name || !cc->mounts)
		return -ENOMEM;
	rc = uses_env(c) ? container_env_make(sp, c, &env, msg, sizeof(msg)) : 0;
	if (rc == -E2BIG) {
		/* the runtime would fail to start it */
		container_fail(cc, NULL, "RunContainerError", msg);
		rc = 0;
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < c->n_mounts && !rc; i++) {
		const struct spec_volume_mount *m = &c->mounts[i];
		const struct view_volume *vv = find_volume(vols, m->name);
		struct cmount *cm = &cc->mounts[i];

		cm->path = mount_path_clean(m->mount_path);
		cm->volume = strdup(m->name);
		if (!cm->path || !cm->volume) {
			rc = -ENOMEM;
			break;
		}
		cc->n_mounts++;
		cm->read_only = m->read_only || (vv && vv->v->forced_read_only);
		if (strcmp(cc->state, "Ready"))
			continue;
		if (strlen(cm->path) >= PATH_MAX) {
			/* no such mount point can be, and the tree would nest as deep */
			snprintf(msg, sizeof(msg),
				 "mountPath is longer than %d bytes", PATH_MAX - 1);
			container_fail(cc, cm, "CreateContainerError", msg);
			continue;
		}
		rc = prepare_mount(cm, m, &env);
	}
	container_env_free(&env);
	return rc;
}

int containers_prepare(const struct spec_pod *sp,
		       const struct view_volume *vols, size_t n_vols,
		       struct ccontainer **out, size_t *n)
{
	struct ccontainer *cs = calloc(sp->n_containers ? sp->n_containers : 1,
				       sizeof(*cs));
	struct strmap by_name;
	size_t count = 0;
	int rc;

	if (!cs)
		return -ENOMEM;
	rc = volumes_index(&by_name, vols, n_vols);
	if (rc) {
		free(cs);
		return rc;
	}
	for (size_t i = 0; i < sp->n_containers && rc == 0; i++) {
		rc = container_prepare(sp, &sp->containers[i], &by_name, &cs[i]);
		count++;
	}
	strmap_free(&by_name);
	if (rc) {
		ccontainers_free(cs, count);
		return rc;
	}
	*out = cs;
	*n = count;
	return 0;
}

/* Makes and mounts the views of one prepared container. Returns 0 or -ENOMEM. */
static int container_attach(struct tree *t, const char *pod_path,
			    struct ccontainer *cc, const struct strmap *vols)
{
	size_t *order = NULL;
	struct view **views;
	char *path;
	int rc = 0;

	views = calloc(cc->n_mounts ? cc->n_mounts : 1, sizeof(*views));
	if (!views)
		return -ENOMEM;
	for (size_t i = 0; i < cc->n_mounts && !rc; i++) {
		struct cmount *cm = &cc->mounts[i];

		if (strcmp(cc->state, "Ready")) {
			if (!cm->message[0])
				snprintf(cm->message, sizeof(cm->message),
					 "not mounted: the container cannot start");
			continue;
		}
		rc = make_view(cc, cm, vols, &views[i]);
	}
	if (rc)
		goto out_free;
	rc = -ENOMEM;
	order = places_depth_order(cc);
	if (!order || (!strcmp(cc->state, "Ready") && places_check(cc)))
		goto out_free;
	rc = !strcmp(cc->state, "Ready") ? places_nest(cc, views, order) : 0;
	if (rc)
		goto out_free;
	if (asprintf(&path, "%s/containers/%s", pod_path, cc->name) < 0) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = tree_add_dir(t, path);
	free(path);
	if (rc == 0 && !strcmp(cc->state, "Ready"))
		rc = mount_views(t, pod_path, cc, views, order);
	if (rc == 0 && strcmp(cc->state, "Ready"))
		log_warn("pod %s container \"%s\": %s: %s", pod_path, cc->name,
			 cc->state, cc->message);

out_free:
	for (size_t i = 0; i < cc->n_mounts; i++)
		view_unref(views[i]);
	free(views);
	free(order);
	return rc;
}

int containers_attach(struct tree *t, const char *pod_path,
		      struct ccontainer *cs, size_t n,
		      const struct view_volume *vols, size_t n_vols)
{
	struct strmap by_name;
	int rc;

	rc = volumes_index(&by_name, vols, n_vols);
	if (rc)
		return rc;
	/* a claim's volume is known to be read-only only once it has its PV */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < cs[i].n_mounts; j++) {
			const struct view_volume *vv =
				find_volume(&by_name, cs[i].mounts[j].volume);

			if (vv && vv->v->forced_read_only)
				__atomic_store_n(&cs[i].mounts[j].read_only, true,
						 __ATOMIC_RELAXED);
		}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = container_attach(t, pod_path, &cs[i], &by_name);
	strmap_free(&by_name);
	return rc;
}

/* What containers_republish() hands back: the views it replaced. */
struct retire_to {
	void (*fn)(void *arg, struct view *old);
	void *arg;
};

/*
 * A new view for the mount @k of @cc, mounted in @top's nest: of @store
 * for a mount of @vv's volume, its subPath resolved anew; for the others
 * the same object of the same store as before (the covers are made anew).
 * NULL with the reason in @scratch's message, or -ENOMEM.
 */
static int renew_view(struct ccontainer *scratch, const struct cmount *cm,
		      const struct view_volume *vv, struct store *store,
		      struct view **out)
{
	struct cmount probe = *cm;
	const struct view *old = cm->view;

	if (strcmp(cm->volume, vv->v->name)) {
		*out = view_new_at(old->store, old->root, old->vol_id,
				   old->read_only, &old->cache);
		return *out ? 0 : -ENOMEM;
	}
	return resolve_view(scratch, &probe, vv->v, store, vv->vol_id, out);
}

/*
 * Replaces the view of @top, a mount of @cc in the tree, and of every
 * mount inside it, by new ones where the volume @vv has @store's content,
 * mount points made anew. Returns 0 or -errno with the reason in
 * @scratch's message when it is not -ENOMEM.
 */
static int republish_nest(struct tree *t, const char *pod_path,
			  struct ccontainer *cc, size_t top,
			  struct ccontainer *scratch,
			  const struct view_volume *vv, struct store *store,
			  const struct retire_to *to)
{
	size_t n = cc->n_mounts;
	struct view **views = calloc(n, sizeof(*views));
	size_t *order = places_depth_order(cc);
	struct view *old;
	char *path;
	int rc = -ENOMEM;

	if (!views || !order)
		goto out_free;
	rc = 0;
	for (size_t k = 0; k < n && !rc; k++)
		if (cc->mounts[k].mounted && places_top(cc, k) == top) {
			rc = renew_view(scratch, &cc->mounts[k], vv, store,
					&views[k]);
			if (!rc && !views[k])
				rc = -EINVAL;
		}
	for (size_t j = 0; j < n && !rc; j++) {
		size_t k = order[j];
		struct cmount probe = cc->mounts[k];

		if (!views[k] || k == top)
			continue;
		rc = places_nest_one(scratch, &probe, &cc->mounts[probe.parent],
			      views[probe.parent], views[k]);
		if (!rc && strcmp(scratch->state, "Ready"))
			rc = -EINVAL;
	}
	if (rc)
		goto out_free;
	rc = -ENOMEM;
	if (asprintf(&path, "%s/containers/%s%s", pod_path, cc->name,
		     cc->mounts[top].path) < 0)
		goto out_free;
	rc = tree_replace_mount(t, path, views[top], &old);
	free(path);
	if (rc)
		goto out_free;
	to->fn(to->arg, old);
	for (size_t k = 0; k < n; k++) {
		if (!views[k])
			continue;
		/* the tree handed back the top's old view with a reference */
		if (k == top)
			view_unref(cc->mounts[k].view);
		else
			to->fn(to->arg, cc->mounts[k].view);
		cc->mounts[k].view = views[k];
		views[k] = NULL;
	}
out_free:
	for (size_t k = 0; views && k < n; k++)
		view_unref(views[k]);
	free(views);
	free(order);
	return rc;
}

/* Whether the nest of mounts held by @top, a mount in the tree, mounts @name. */
static bool nest_mounts(const struct ccontainer *cc, size_t top,
			const char *name)
{
	for (size_t k = 0; k < cc->n_mounts; k++)
		if (cc->mounts[k].mounted && places_top(cc, k) == top &&
		    !strcmp(cc->mounts[k].volume, name))
			return true;
	return false;
}

void containers_republish(struct tree *t, const char *pod_path,
			  struct ccontainer *cs, size_t n,
			  const struct view_volume *vv,
			  void (*retired)(void *arg, struct view *old),
			  void *arg)
{
	const struct retire_to to = { retired, arg };
	struct volume_info info;

	volume_get(vv->v, &info, true);
	if (!info.store)
		return;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < cs[i].n_mounts; j++) {
			/* the container's state stays as it was made */
			struct ccontainer scratch = {
				.name = cs[i].name,
				.state = "Ready",
			};
			int rc;

			if (!cs[i].mounts[j].mounted ||
			    cs[i].mounts[j].parent < cs[i].n_mounts ||
			    !nest_mounts(&cs[i], j, vv->v->name))
				continue;
			rc = republish_nest(t, pod_path, &cs[i], j, &scratch,
					    vv, info.store, &to);
			if (rc)
				log_warn("pod %s container \"%s\": %s keeps the volume's previous content: %s",
					 pod_path, cs[i].name,
					 cs[i].mounts[j].path,
					 rc != -EINVAL ? strerror(-rc) :
					 scratch.message[0] ? scratch.message :
					 "its root cannot be reached");
		}
	store_unref(info.store);
}

void containers_unmount(struct ccontainer *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < cs[i].n_mounts; j++) {
			view_unref(cs[i].mounts[j].view);
			cs[i].mounts[j].view = NULL;
		}
}

void ccontainers_free(struct ccontainer *cs, size_t n)
{
	if (!cs)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < cs[i].n_mounts; j++) {
			view_unref(cs[i].mounts[j].view);
			free(cs[i].mounts[j].path);
			free(cs[i].mounts[j].volume);
			free(cs[i].mounts[j].sub_path);
		}
		free(cs[i].mounts);
		free(cs[i].name);
	}
	free(cs);
}
