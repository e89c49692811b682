/*
 * cluster.c - pods appearing and going, from SOURCE to the tree.
 *
 * A sync reads every manifest file, then compares pods by UID: a pod whose
 * UID is still wanted stays untouched (its volumes keep serving), a pod no
 * longer wanted is removed with its emptyDirs, a new UID is set up. A file
 * that fails to load keeps its previous pods, so a typo in an edit never
 * deletes data. Syncs are serialised by c->lock. Pods are matched through
 * hash maps, so that a sync stays linear in the number of pods, and a sync
 * still reading files when the daemon stops is dropped between two files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster_i.h"
#include "podvolfs/cluster.h"
#include "podvolfs/log.h"
#include "podvolfs/spec.h"
#include "podvolfs/strmap.h"
#include "podvolfs/volume.h"

struct pod {
	char *ns;
	char *name;
	char *uid;
	char *file;			/* the manifest it came from */
	char *path;			/* "<ns>/<name>" in the tree */
	struct volume *volumes;		/* immutable once the pod is in the tree */
	size_t n_volumes;
	uint32_t *vol_ids;		/* per volume: its views' vol_id, 0 if not served */
	struct ccontainer *containers;	/* immutable once the pod is in the tree */
	size_t n_containers;
	unsigned long refs;		/* atomic: the cluster and the status file */
};

/* One manifest file as a sync read it. */
struct manifest {
	char *path;
	struct spec_objects objs;
	bool failed;
};

/* What a sync read, indexed; keys and values are the manifests'. */
struct wanted {
	struct strmap by_uid;		/* pod UID -> const struct spec_pod * */
	struct strmap failed;		/* paths of the files that failed */
};

struct cluster {
	char *source;
	char *state_dir;
	uint64_t memory_limit;
	double hostpath_cache;
	int state_fd;
	struct tree *tree;
	pthread_mutex_t lock;		/* serialises syncs */
	struct pod **pods;		/* protected by lock */
	size_t n_pods;			/* protected by lock */
	size_t cap_pods;		/* protected by lock */
	bool synced;			/* protected by lock: a sync has run */
	uint32_t next_vol_id;		/* protected by lock */
	int wake_fd;			/* eventfd: sync or stop requested */
	bool stopping;			/* atomic */
	bool watching;
	pthread_t thread;
};

static void pod_unref(void *arg)
{
	struct pod *p = arg;

	if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < p->n_volumes; i++)
		volume_release(&p->volumes[i]);
	free(p->volumes);
	free(p->vol_ids);
	ccontainers_free(p->containers, p->n_containers);
	free(p->path);
	free(p->file);
	free(p->uid);
	free(p->name);
	free(p->ns);
	free(p);
}

static void format_limit(const struct volume *v, char *used, char *limit,
			 size_t len)
{
	if (v->store && v->store->limit) {
		snprintf(used, len, "%llu", (unsigned long long)
			 __atomic_load_n(&v->store->used, __ATOMIC_RELAXED));
		snprintf(limit, len, "%llu",
			 (unsigned long long)v->store->limit);
	} else {
		snprintf(used, len, "-");
		snprintf(limit, len, "-");
	}
}

/* The status file: a header, then one line per volume. */
static int pod_status(void *arg, char **buf, size_t *len)
{
	struct pod *p = arg;
	FILE *f = open_memstream(buf, len);
	int w = 6;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_volumes; i++)
		if ((int)strlen(p->volumes[i].name) > w)
			w = strlen(p->volumes[i].name);
	fprintf(f, "pod %s/%s uid %s\n", p->ns, p->name, p->uid);
	fprintf(f, "%-*s  %-22s  %-12s  %-12s  %-12s  %s\n", w, "VOLUME",
		"TYPE", "STATE", "USED", "LIMIT", "MESSAGE");
	for (size_t i = 0; i < p->n_volumes; i++) {
		const struct volume *v = &p->volumes[i];
		char type[64];
		char used[32];
		char limit[32];

		snprintf(type, sizeof(type), "%s%s%s", v->type,
			 v->detail ? "," : "", v->detail ? v->detail : "");
		format_limit(v, used, limit, sizeof(used));
		fprintf(f, "%-*s  %-22s  %-12s  %-12s  %-12s  %s\n", w,
			v->name, type, volume_state_name(v->state), used,
			limit, v->message[0] ? v->message : "-");
	}
	ccontainers_print(f, p->containers, p->n_containers);
	return fclose(f) ? -errno : 0;
}

static char *join(const char *a, const char *b)
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

static void mount_volume(struct cluster *c, struct pod *p, size_t i)
{
	struct volume *v = &p->volumes[i];
	uint32_t vol_id = next_vol_id(c);
	char *path;
	struct view *view;
	int rc;

	view = view_new(v->store, vol_id, v->forced_read_only, &v->cache);
	if (!view) {
		snprintf(v->message, sizeof(v->message), "cannot serve: %s",
			 strerror(errno));
		v->state = VOLUME_FAILED;
		return;
	}
	rc = -ENOMEM;
	if (asprintf(&path, "%s/volumes/%s", p->path, v->name) >= 0) {
		rc = tree_add_mount(c->tree, path, view);
		free(path);
	}
	view_unref(view);
	if (rc) {
		snprintf(v->message, sizeof(v->message), "cannot serve: %s",
			 strerror(-rc));
		v->state = VOLUME_FAILED;
		return;
	}
	p->vol_ids[i] = vol_id;
}

/* Mounts the containers' views of the pod's served volumes. */
static int mount_containers(struct cluster *c, struct pod *p,
			    const struct spec_pod *sp)
{
	struct view_volume *vols;
	int rc;

	vols = calloc(p->n_volumes ? p->n_volumes : 1, sizeof(*vols));
	if (!vols)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_volumes; i++) {
		vols[i].v = &p->volumes[i];
		vols[i].vol_id = p->vol_ids[i];
	}
	rc = containers_start(c->tree, p->path, sp, vols, p->n_volumes,
			      &p->containers, &p->n_containers);
	free(vols);
	return rc;
}

static struct pod *pod_new(const struct spec_pod *sp)
{
	struct pod *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->refs = 1;
	p->ns = strdup(sp->namespace);
	p->name = strdup(sp->name);
	p->uid = strdup(sp->uid);
	p->file = strdup(sp->file);
	p->path = join(sp->namespace, sp->name);
	p->volumes = calloc(sp->n_volumes ? sp->n_volumes : 1,
			    sizeof(*p->volumes));
	p->vol_ids = calloc(sp->n_volumes ? sp->n_volumes : 1,
			    sizeof(*p->vol_ids));
	if (!p->ns || !p->name || !p->uid || !p->file || !p->path ||
	    !p->volumes || !p->vol_ids) {
		pod_unref(p);
		return NULL;
	}
	return p;
}

/* Sets up the pod's volumes and puts it in the tree. Caller holds c->lock. */
static int pod_start(struct cluster *c, const struct spec_pod *sp,
		     struct pod **out)
{
	struct volume_ctx ctx = {
		.state_fd = c->state_fd,
		.pod_uid = sp->uid,
		.has_fs_group = sp->has_fs_group,
		.fs_group = sp->fs_group,
		.memory_limit = c->memory_limit,
		.hostpath_cache = c->hostpath_cache,
	};
	struct pod *p = pod_new(sp);
	char *path;
	int rc;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < sp->n_volumes; i++) {
		rc = volume_setup(&p->volumes[i], &sp->volumes[i], &ctx);
		if (rc)
			goto out_unref;
		p->n_volumes++;
	}
	path = join(p->path, "volumes");
	rc = path ? tree_add_dir(c->tree, path) : -ENOMEM;
	free(path);
	if (rc)
		goto out_unref;
	for (size_t i = 0; i < p->n_volumes; i++)
		if (p->volumes[i].state == VOLUME_READY)
			mount_volume(c, p, i);
	rc = mount_containers(c, p, sp);
	if (rc)
		goto out_remove;
	path = join(p->path, "status");
	rc = path ? tree_add_file(c->tree, path, pod_status, p, pod_unref)
		  : -ENOMEM;
	free(path);
	if (rc)
		goto out_remove;
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < p->n_volumes; i++)
		if (p->volumes[i].state != VOLUME_READY)
			log_warn("pod %s volume \"%s\": %s", p->path,
				 p->volumes[i].name, p->volumes[i].message);
	log_info("pod %s (uid %s) added with %zu volume%s", p->path, p->uid,
		 p->n_volumes, p->n_volumes == 1 ? "" : "s");
	*out = p;
	return 0;

out_remove:
	tree_remove(c->tree, p->path);
	tree_remove_empty(c->tree, p->ns);
out_unref:
	pod_unref(p);
	return rc;
}

/* Takes the pod out of the tree; with @delete, its emptyDirs go too. */
static void pod_stop(struct cluster *c, struct pod *p, bool delete)
{
	char path[PATH_MAX];
	int rc;

	tree_remove(c->tree, p->path);
	tree_remove_empty(c->tree, p->ns);
	if (delete) {
		snprintf(path, sizeof(path), "pods/%s", p->uid);
		rc = rmtree_at(c->state_fd, path);
		if (rc)
			log_err("pod %s: cannot delete %s/%s: %s", p->path,
				c->state_dir, path, strerror(-rc));
		log_info("pod %s (uid %s) removed", p->path, p->uid);
	}
	pod_unref(p);
}

static bool is_manifest_name(const char *name)
{
	size_t len = strlen(name);

	if (name[0] == '.')
		return false;
	return (len > 5 && !strcmp(name + len - 5, ".yaml")) ||
	       (len > 4 && !strcmp(name + len - 4, ".yml")) ||
	       (len > 5 && !strcmp(name + len - 5, ".json"));
}

static int cmp_manifest(const void *a, const void *b)
{
	return strcmp(((const struct manifest *)a)->path,
		      ((const struct manifest *)b)->path);
}

static void manifests_free(struct manifest *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		spec_objects_free(&m[i].objs);
		free(m[i].path);
	}
	free(m);
}

/* The manifest files of SOURCE, sorted, not yet read. */
static int list_manifests(struct cluster *c, struct manifest **out, size_t *n)
{
	struct manifest *m = NULL;
	struct dirent *de;
	size_t count = 0;
	struct stat st;
	DIR *d;

	if (stat(c->source, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		m = calloc(1, sizeof(*m));
		if (!m || !(m->path = strdup(c->source))) {
			free(m);
			return -ENOMEM;
		}
		*out = m;
		*n = 1;
		return 0;
	}
	d = opendir(c->source);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct manifest *grown;

		if (!is_manifest_name(de->d_name))
			continue;
		grown = realloc(m, (count + 1) * sizeof(*m));
		if (!grown)
			goto out_nomem;
		m = grown;
		memset(&m[count], 0, sizeof(*m));
		m[count].path = join(c->source, de->d_name);
		if (!m[count].path)
			goto out_nomem;
		count++;
	}
	closedir(d);
	if (count)
		qsort(m, count, sizeof(*m), cmp_manifest);
	*out = m;
	*n = count;
	return 0;

out_nomem:
	closedir(d);
	manifests_free(m, count);
	return -ENOMEM;
}

static void load_manifest(struct manifest *m)
{
	struct podvolfs_err err;
	char msg[PODVOLFS_ERR_MAX * PODVOLFS_ERR_LEN];

	err_init(&err);
	spec_objects_init(&m->objs);
	if (spec_load_file(m->path, &m->objs, &err) == 0) {
		for (size_t i = 0; i < m->objs.n_notices; i++)
			log_notice("%s", m->objs.notices[i]);
		return;
	}
	m->failed = true;
	err_join(&err, msg, sizeof(msg));
	log_err("%s: not applied, its pods are left as they were:\n%s",
		m->path, msg);
}

static int wanted_index(struct wanted *w, const struct manifest *m, size_t n)
{
	int rc = 0;

	strmap_init(&w->by_uid);
	strmap_init(&w->failed);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		if (m[i].failed)
			rc = strmap_add(&w->failed, m[i].path, strlen(m[i].path),
					NULL, NULL);
		for (size_t j = 0; !m[i].failed && j < m[i].objs.n_pods &&
				   rc >= 0; j++) {
			const struct spec_pod *sp = &m[i].objs.pods[j];

			rc = strmap_add(&w->by_uid, sp->uid, strlen(sp->uid),
					(void *)sp, NULL);
		}
	}
	return rc < 0 ? rc : 0;
}

static void wanted_free(struct wanted *w)
{
	strmap_free(&w->by_uid);
	strmap_free(&w->failed);
}

static bool stopping(struct cluster *c)
{
	return __atomic_load_n(&c->stopping, __ATOMIC_ACQUIRE);
}

/*
 * A pod moved to another file (a renamed manifest) now belongs to that
 * file, so that the file failing later keeps it.
 */
static void follow_file(struct pod *p, const struct spec_pod *sp)
{
	char *file;

	if (!strcmp(p->file, sp->file) || !(file = strdup(sp->file)))
		return;
	free(p->file);
	p->file = file;
}

/*
 * Removes running pods that are no longer wanted. A stop keeps the pods
 * not yet looked at. Caller holds c->lock.
 */
static void stop_unwanted(struct cluster *c, const struct wanted *w)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->n_pods; i++) {
		struct pod *p = c->pods[i];
		void *sp = NULL;

		if (strmap_find(&w->by_uid, p->uid, strlen(p->uid), &sp))
			follow_file(p, sp);
		if (sp || stopping(c) ||
		    strmap_find(&w->failed, p->file, strlen(p->file), NULL))
			c->pods[kept++] = p;
		else
			pod_stop(c, p, true);
	}
	c->n_pods = kept;
}

static int add_running(struct cluster *c, struct pod *p)
{
	if (c->n_pods == c->cap_pods) {
		size_t cap = c->cap_pods ? c->cap_pods * 2 : 16;
		struct pod **pods = realloc(c->pods, cap * sizeof(*pods));

		if (!pods)
			return -ENOMEM;
		c->pods = pods;
		c->cap_pods = cap;
	}
	c->pods[c->n_pods++] = p;
	return 0;
}

/* Indexes @p, running, by its "<ns>/<name>", which is unique. */
static int running_add(struct strmap *running, struct pod *p)
{
	return strmap_add(running, p->path, strlen(p->path), p, NULL) < 0 ?
	       -ENOMEM : 0;
}

static void start_one(struct cluster *c, const struct spec_pod *sp,
		      struct strmap *running)
{
	void *found = NULL;
	struct pod *p;
	char *path;
	int rc;

	path = join(sp->namespace, sp->name);
	if (!path) {
		log_err("pod %s/%s: cannot start: %s", sp->namespace, sp->name,
			strerror(ENOMEM));
		return;
	}
	strmap_find(running, path, strlen(path), &found);
	free(path);
	p = found;
	if (p && !strcmp(p->uid, sp->uid))
		return;
	if (p) {
		log_err("%s: pod %s/%s is already defined in %s", sp->file,
			sp->namespace, sp->name, p->file);
		return;
	}
	rc = pod_start(c, sp, &p);
	if (rc == 0) {
		rc = add_running(c, p);
		if (rc == 0)
			rc = running_add(running, p);
	}
	if (rc)
		log_err("pod %s/%s: cannot start: %s", sp->namespace, sp->name,
			strerror(-rc));
}

/* Starts wanted pods that are not running, until a stop. Caller holds c->lock. */
static void start_wanted(struct cluster *c, const struct manifest *m,
			 size_t n)
{
	struct strmap running;
	int rc = 0;

	strmap_init(&running);
	for (size_t i = 0; i < c->n_pods && !rc; i++)
		rc = running_add(&running, c->pods[i]);
	if (rc)
		log_err("%s: cannot start pods: %s", c->source, strerror(-rc));
	for (size_t i = 0; i < n && !rc && !stopping(c); i++)
		for (size_t j = 0; !m[i].failed && j < m[i].objs.n_pods &&
				   !stopping(c); j++)
			start_one(c, &m[i].objs.pods[j], &running);
	strmap_free(&running);
}

/* Deletes STATE/pods/<uid> of pods that do not exist. Caller holds c->lock. */
static void collect_garbage(struct cluster *c)
{
	int fd = openat(c->state_fd, "pods",
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct strmap uids;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	strmap_init(&uids);
	for (size_t i = 0; i < c->n_pods; i++) {
		if (strmap_add(&uids, c->pods[i]->uid, strlen(c->pods[i]->uid),
			       NULL, NULL) < 0) {
			/* unsure what runs: delete nothing */
			strmap_free(&uids);
			closedir(d);
			return;
		}
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    strmap_find(&uids, de->d_name, strlen(de->d_name), NULL))
			continue;
		log_info("deleting the state of pod uid %s, which no manifest defines",
			 de->d_name);
		rmtree_at(dirfd(d), de->d_name);
	}
	strmap_free(&uids);
	closedir(d);
}

int cluster_sync(struct cluster *c)
{
	struct manifest *m = NULL;
	bool any_failed = false;
	struct wanted w;
	size_t n = 0;
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = list_manifests(c, &m, &n);
	if (rc) {
		log_err("%s: cannot read: %s; nothing changed", c->source,
			strerror(-rc));
		goto out_unlock;
	}
	for (size_t i = 0; i < n; i++) {
		/* files not read would count as emptied: change nothing */
		if (stopping(c))
			goto out_free;
		load_manifest(&m[i]);
		any_failed |= m[i].failed;
	}
	if (wanted_index(&w, m, n)) {
		log_err("%s: cannot sync: %s; nothing changed", c->source,
			strerror(ENOMEM));
		wanted_free(&w);
		goto out_free;
	}
	stop_unwanted(c, &w);
	start_wanted(c, m, n);
	wanted_free(&w);
	if (!c->synced && !any_failed && !stopping(c))
		collect_garbage(c);
	c->synced = true;
out_free:
	manifests_free(m, n);
out_unlock:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

struct cluster *cluster_new(const struct cluster_config *cfg,
			    struct tree *tree)
{
	struct cluster *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->source = strdup(cfg->source);
	c->state_dir = strdup(cfg->state_dir);
	if (!c->source || !c->state_dir)
		goto out_errno;
	if (mkdir(c->state_dir, 0700) && errno != EEXIST)
		goto out_errno;
	c->state_fd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->state_fd < 0)
		goto out_errno;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		goto out_close_state;
	c->memory_limit = cfg->memory_limit;
	c->hostpath_cache = cfg->hostpath_cache;
	c->tree = tree;
	pthread_mutex_init(&c->lock, NULL);
	return c;

out_close_state:
	err = errno;
	close(c->state_fd);
	errno = err;
out_errno:
	err = errno;
	free(c->state_dir);
	free(c->source);
	free(c);
	errno = err;
	return NULL;
}

/* What inotify watches: SOURCE itself, or the directory of a SOURCE file. */
static int watch_source(struct cluster *c)
{
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
			      IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;
	char dir[PATH_MAX];
	struct stat st;
	int fd;

	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "%s", c->source);
	if (stat(c->source, &st) == 0 && !S_ISDIR(st.st_mode))
		*strrchr(dir, '/') = '\0';
	if (inotify_add_watch(fd, dir[0] ? dir : "/", mask) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * Syncs when SOURCE changes, once it has been quiet for a moment: an editor
 * saving a file, or a cp of many files, becomes one sync.
 */
static void *watch_thread(void *arg)
{
	struct cluster *c = arg;
	int ifd = watch_source(c);
	struct pollfd pfd[2] = {
		{ .fd = c->wake_fd, .events = POLLIN },
		{ .fd = ifd, .events = POLLIN },
	};
	bool pending = false;

	if (ifd < 0)
		log_warn("%s: not watched for changes (%s); send SIGHUP to reload",
			 c->source, strerror(-ifd));
	while (!__atomic_load_n(&c->stopping, __ATOMIC_ACQUIRE)) {
		int n = poll(pfd, ifd < 0 ? 1 : 2, pending ? 200 : -1);

		if (n == 0) {
			pending = false;
			cluster_sync(c);
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			drain(c->wake_fd);
			pending = true;
		}
		if (ifd >= 0 && (pfd[1].revents & POLLIN)) {
			drain(ifd);
			pending = true;
		}
	}
	if (ifd >= 0)
		close(ifd);
	return NULL;
}

int cluster_watch_start(struct cluster *c)
{
	int rc = pthread_create(&c->thread, NULL, watch_thread, c);

	if (rc)
		return -rc;
	c->watching = true;
	return 0;
}

void cluster_request_sync(struct cluster *c)
{
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) < 0)
		return;
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	if (c->watching) {
		__atomic_store_n(&c->stopping, true, __ATOMIC_RELEASE);
		cluster_request_sync(c);
		pthread_join(c->thread, NULL);
	}
	for (size_t i = 0; i < c->n_pods; i++)
		pod_stop(c, c->pods[i], false);
	free(c->pods);
	close(c->wake_fd);
	close(c->state_fd);
	pthread_mutex_destroy(&c->lock);
	free(c->state_dir);
	free(c->source);
	free(c);
}
