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
 * A pod's own life is in pods.c.
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
#include "podvolfs/state.h"
#include "podvolfs/strmap.h"
#include "podvolfs/volume.h"
#include "podvolfs/workq.h"
#include "storage_i.h"

/* Volume sources that set up in the background: how many run at once. */
#define WORKERS 4

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

/*
 * The manifest files of SOURCE, sorted, not yet read. A SOURCE that is no
 * longer what it was at start (a directory replaced by a file) cannot be
 * read: read as it is now, it would remove every pod of the files it held.
 */
static int list_manifests(struct cluster *c, struct manifest **out, size_t *n)
{
	struct manifest *m = NULL;
	struct dirent *de;
	size_t count = 0;
	struct stat st;
	DIR *d;

	if (stat(c->source, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) != !c->source_is_dir)
		return c->source_is_dir ? -ENOTDIR : -EISDIR;
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
		m[count].path = path_join(c->source, de->d_name);
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

/* The warnings of reading @path, as many as were kept, then how many more. */
static void log_warnings(const char *path, const struct podvolfs_err *warn)
{
	unsigned kept = warn->count < PODVOLFS_ERR_MAX ? warn->count :
							 PODVOLFS_ERR_MAX;

	for (unsigned i = 0; i < kept; i++)
		log_warn("%s", warn->msg[i]);
	if (warn->count > kept)
		log_warn("%s: %u more warnings", path, warn->count - kept);
}

/* Whether a pod or a storage object running now came from the file @path. */
static bool file_has_objects(struct cluster *c, const char *path)
{
	for (size_t i = 0; i < c->n_pods; i++)
		if (!strcmp(c->pods[i]->file, path))
			return true;
	return storage_from_file(c, path);
}

static void load_manifest(struct cluster *c, struct manifest *m)
{
	char msg[PODVOLFS_ERR_MAX * PODVOLFS_ERR_LEN];
	struct podvolfs_err err, warn;
	int rc;

	err_init(&err);
	err_init(&warn);
	spec_objects_init(&m->objs);
	rc = spec_load_file(m->path, c->field_validation, &m->objs, &err, &warn);
	log_warnings(m->path, &warn);
	if (rc == 0) {
		for (size_t i = 0; i < m->objs.n_notices; i++)
			log_notice("%s", m->objs.notices[i]);
		return;
	}
	m->failed = true;
	err_join(&err, msg, sizeof(msg));
	if (file_has_objects(c, m->path))
		log_err("%s: not applied, what it defined is left as it was:\n%s",
			m->path, msg);
	else
		log_err("%s: not applied:\n%s", m->path, msg);
}

/* What a sync read, indexed; keys and values are the manifests'. */
struct wanted {
	struct strmap by_uid;		/* pod UID -> const struct spec_pod * */
	struct strmap failed;		/* paths of the files that failed */
};

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

	path = path_join(sp->namespace, sp->name);
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

/* state_collect's question: is @uid in the map of running pods' UIDs? */
static bool pod_uid_running(void *arg, const char *uid)
{
	return strmap_find(arg, uid, strlen(uid), NULL);
}

/* Deletes the state of pods that do not exist. Caller holds c->lock. */
static void collect_garbage(struct cluster *c)
{
	struct strmap uids;

	strmap_init(&uids);
	for (size_t i = 0; i < c->n_pods; i++) {
		if (strmap_add(&uids, c->pods[i]->uid, strlen(c->pods[i]->uid),
			       NULL, NULL) < 0) {
			/* unsure what runs: delete nothing */
			strmap_free(&uids);
			return;
		}
	}
	state_collect(c->state, pod_uid_running, &uids);
	strmap_free(&uids);
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
		/* the watch thread tries again each second: said once */
		if (!c->source_failed)
			log_err("%s: cannot read: %s; nothing changed", c->source,
				strerror(-rc));
		c->source_failed = true;
		goto out_unlock;
	}
	if (c->source_failed)
		log_notice("%s: can be read again", c->source);
	c->source_failed = false;
	for (size_t i = 0; i < n; i++) {
		/* files not read would count as emptied: change nothing */
		if (stopping(c))
			goto out_free;
		load_manifest(c, &m[i]);
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
	if (!stopping(c)) {
		storage_reconcile(c, true, m, n);
		/* the objects' specs now point into this sync's manifests */
		manifests_free(c->manifests, c->n_manifests);
		c->manifests = m;
		c->n_manifests = n;
		goto out_unlock;
	}
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
	struct stat st;
	int err;

	if (!c)
		return NULL;
	c->wake_fd = -1;
	c->event_fd = -1;
	c->source = strdup(cfg->source);
	if (!c->source)
		goto out_errno;
	c->source_is_dir = stat(c->source, &st) == 0 && S_ISDIR(st.st_mode);
	c->state = state_open(cfg->state_dir);
	if (!c->state)
		goto out_errno;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0 || c->event_fd < 0)
		goto out_errno;
	c->workq = workq_new(WORKERS);
	if (!c->workq)
		goto out_errno;
	c->memory_limit = cfg->memory_limit;
	c->memory_tmpfs = cfg->memory_tmpfs;
	c->hostpath_cache = cfg->hostpath_cache;
	c->allow_local_git = cfg->allow_local_git;
	c->git_timeout = cfg->git_timeout;
	c->field_validation = cfg->field_validation;
	c->nfs = cfg->nfs;
	c->tree = tree;
	pthread_mutex_init(&c->lock, NULL);
	if (storage_init(c, cfg->node_name))
		goto out_storage;
	/* unreadable records leave claims unserved, never re-bound */
	records_load(c);
	if (storage_publish(c))
		goto out_storage;
	return c;

out_storage:
	storage_fini(c);
	workq_free(c->workq);
	pthread_mutex_destroy(&c->lock);
	errno = ENOMEM;

out_errno:
	err = errno;
	if (c->event_fd >= 0)
		close(c->event_fd);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	state_close(c->state);
	free(c->source);
	free(c);
	errno = err;
	return NULL;
}

/* The inotify descriptor of the watch thread, and the directory it watches. */
struct watch {
	int fd;				/* -1: none */
	dev_t dev;
	ino_t ino;
};

/* What inotify watches: SOURCE itself, or the directory of a SOURCE file. */
static void watched_dir(struct cluster *c, char *dir, size_t len)
{
	snprintf(dir, len, "%s", c->source);
	if (!c->source_is_dir) {
		*strrchr(dir, '/') = '\0';
		if (!dir[0])
			snprintf(dir, len, "/");
	}
}

static int watch_source(struct cluster *c, struct watch *w)
{
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
			      IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;
	char dir[PATH_MAX];
	struct stat st;
	int fd, rc;

	watched_dir(c, dir, sizeof(dir));
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (inotify_add_watch(fd, dir, mask) < 0 || stat(dir, &st)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	w->fd = fd;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	return 0;
}

/*
 * Watches SOURCE again when the directory watched is no longer the one at
 * its path: deleted or moved away, and another made in its place. A watch
 * that cannot be made now is tried again after the next sync.
 */
static void rewatch(struct cluster *c, struct watch *w)
{
	struct watch fresh;
	char dir[PATH_MAX];
	struct stat st;

	watched_dir(c, dir, sizeof(dir));
	if (stat(dir, &st) || (w->fd >= 0 && st.st_dev == w->dev &&
			       st.st_ino == w->ino))
		return;
	if (watch_source(c, &fresh))
		return;
	if (w->fd >= 0)
		close(w->fd);
	*w = fresh;
	log_notice("%s: watched for changes again", dir);
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * How long the watch thread may sleep: replaced views are swept, failed
 * provisionings and reclaims tried again, and a SOURCE that could not be
 * read read again, each second.
 */
static int sleep_ms(struct cluster *c, bool pending, bool *retry_sync)
{
	bool retired;

	pthread_mutex_lock(&c->lock);
	retired = c->n_retired > 0 || storage_waiting(c);
	*retry_sync = c->source_failed;
	pthread_mutex_unlock(&c->lock);
	if (pending)
		return 200;
	return retired || *retry_sync ? 1000 : -1;
}

/*
 * Syncs when SOURCE changes, once it has been quiet for a moment: an editor
 * saving a file, or a cp of many files, becomes one sync. Applies the
 * changes volumes announce (a clone done) at once.
 */
static void *watch_thread(void *arg)
{
	struct cluster *c = arg;
	struct watch w = { .fd = -1 };
	struct pollfd pfd[3] = {
		{ .fd = c->wake_fd, .events = POLLIN },
		{ .fd = c->event_fd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};
	bool pending = false, retry_sync;
	int rc = watch_source(c, &w);

	if (rc)
		log_warn("%s: not watched for changes (%s); send SIGHUP to reload",
			 c->source, strerror(-rc));
	while (!__atomic_load_n(&c->stopping, __ATOMIC_ACQUIRE)) {
		int timeout = sleep_ms(c, pending, &retry_sync);
		int n;

		/* a negative fd is left out of poll */
		pfd[2].fd = w.fd;
		n = poll(pfd, 3, timeout);
		if (n == 0 && !pending)
			pods_update(c);
		if (n == 0 && (pending || retry_sync)) {
			pending = false;
			cluster_sync(c);
			rewatch(c, &w);
		}
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			drain(c->wake_fd);
			pending = true;
		}
		if (pfd[1].revents & POLLIN) {
			drain(c->event_fd);
			pods_update(c);
		}
		if (w.fd >= 0 && (pfd[2].revents & POLLIN)) {
			drain(w.fd);
			pending = true;
		}
	}
	if (w.fd >= 0)
		close(w.fd);
	return NULL;
}

int cluster_watch_start(struct cluster *c)
{
	int rc = workq_start(c->workq);

	if (rc)
		log_err("no worker threads (%s): gitRepo volumes stay Pending",
			strerror(-rc));
	rc = pthread_create(&c->thread, NULL, watch_thread, c);
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
	storage_fini(c);
	for (size_t i = 0; i < c->n_pods; i++)
		pod_stop(c, c->pods[i], false);
	free(c->pods);
	manifests_free(c->manifests, c->n_manifests);
	for (size_t i = 0; i < c->n_retired; i++)
		view_unref(c->retired[i]);
	free(c->retired);
	workq_free(c->workq);
	close(c->event_fd);
	close(c->wake_fd);
	state_close(c->state);
	pthread_mutex_destroy(&c->lock);
	free(c->source);
	free(c);
}
