/*
 * gitrepo.c - gitRepo volumes: an emptyDir filled by a clone, in the background.
 *
 * The kubelet ran "git clone" as root on the host, so a repository's hooks
 * ran there (CVE-2024-10220) and a pod could clone another pod's local
 * repository (CVE-2025-1767). Here libgit2 clones, in a helper process
 * (gitrepo_helper.c) that a worker of the work queue starts, watches and
 * kills when the pod goes, the daemon stops, or no data came for
 * git_timeout seconds. libgit2 runs nothing from the repository; the URL is
 * checked before (gitrules.c) and local clones are refused unless allowed.
 *
 * With the pod annotation podvolfs.io/git-sync-period, the job comes back
 * every period and does git-sync's work: it fetches the revision by URL
 * into a bare repository beside the checkouts (never one the pod can
 * write), checks a new commit out beside the served one, and publishes it
 * as the volume's new store; the cluster swaps every view in one step.
 * Readers holding the old checkout keep it until they let go: its store's
 * release renames it dead-..., and the next run deletes it.
 *
 * Layout of the volume's state directory (STATE/pods/<uid>/volumes/<name>):
 *
 *   current               the record: which checkout is served (atomic)
 *   rev-<gen>-<sha12>/    a checkout: the volume's root (0777, as an emptyDir)
 *   tmp-<gen>/            a checkout being made; never served
 *   dead-<gen>-<sha12>/   a superseded checkout nobody uses; deleted next run
 *   repo.git/             git-sync only: the bare repository fetched into
 *
 * A checkout is made in tmp-<gen>, renamed once complete, flushed to disk,
 * and only then named by the record; so whatever killed the daemon, the
 * record names a whole checkout or nothing, and a restart either serves
 * the same checkout again (no second clone) or starts a clean one.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "podvolfs/gitrepo.h"
#include "podvolfs/log.h"
#include "podvolfs/rmtree.h"
#include "volume_i.h"

#define RECORD "current"
#define BARE_REPO "repo.git"

struct gitrepo {
	struct volume_source src;	/* first: the volume layer casts back */
	struct volume *v;
	struct workq *q;
	struct work work;
	char *pod_path;			/* for the log */
	char *url;
	char *revision;
	char *directory;		/* the field as written */
	char dir[256];			/* where the checkout goes in the root: "." or a path */
	char base[4096];		/* absolute path of the volume's state directory */
	long fs_group;			/* -1: none */
	bool allow_local;
	double timeout;			/* seconds */
	double period;			/* git-sync: seconds between fetches; 0: never */
	int dirfd;			/* the volume's state directory */
	/* Below: the job's own, and gitrepo_start()'s before the first submission. */
	unsigned attempt;		/* failed tries in a row */
	unsigned long gen;		/* number of the newest checkout made */
	char served[64];		/* the served checkout's name; "" before the first */
	char commit[41];
	char ref[256];			/* branch or tag served; "-" for a bare commit */
	bool ran;			/* the job ran since the daemon started */
	char synced[32];		/* when the last clone or fetch succeeded */
	char failure[VOLUME_MESSAGE_LEN];	/* when and why the last re-sync failed, or "" */
};

/* A superseded checkout, removed once nothing uses it. */
struct retired {
	int dirfd;			/* the volume's state directory, a duplicate */
	char name[64];			/* rev-<gen>-<sha12> */
};

/* What one run of the helper came to. */
struct outcome {
	enum { OUT_NONE, OUT_DONE, OUT_UNCHANGED, OUT_RETRY, OUT_FINAL,
	       OUT_CANCELLED } kind;
	char commit[41];
	char ref[256];
	char message[VOLUME_MESSAGE_LEN];
};

/* "2026-11-27T12:00:03Z", @delay seconds from now. */
static void time_text(double delay, char *buf, size_t len)
{
	time_t t = time(NULL) + (time_t)(delay + 0.999);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The Ready message: "at 5d1c0e3 (main)", and with git-sync when it synced. */
static void ready_message(const struct gitrepo *g, char *buf, size_t len)
{
	int n = snprintf(buf, len, "at %.7s", g->commit);

	if (strcmp(g->ref, "-"))
		n += snprintf(buf + n, len - n, " (%s)", g->ref);
	if (g->period && g->synced[0] && (size_t)n < len)
		n += snprintf(buf + n, len - n, ", synced %s", g->synced);
	if (g->failure[0] && (size_t)n < len)
		snprintf(buf + n, len - n, ", last failure %.300s", g->failure);
}

static void publish_message(struct gitrepo *g)
{
	char msg[VOLUME_MESSAGE_LEN];

	ready_message(g, msg, sizeof(msg));
	volume_set(g->v, VOLUME_READY, NULL, "%s", msg);
}

/*
 * Whether @name stays: the record and what it names, the bare repository
 * of git-sync, and while the daemon runs every checkout, which a reader
 * may still hold (a superseded one is renamed dead-... once released).
 */
static bool needed(const struct gitrepo *g, const char *name)
{
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, RECORD))
		return true;
	if (!g->served[0])
		return false;
	return !strcmp(name, g->served) ||
	       (g->period && !strcmp(name, BARE_REPO)) ||
	       (g->ran && !strncmp(name, "rev-", 4));
}

/* Removes what is not needed: checkouts cut short or superseded, leftovers of a crash. */
static void remove_stale(struct gitrepo *g)
{
	/* a new open file: a dup would share, and leave at the end, the offset */
	int fd = openat(g->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (!needed(g, de->d_name))
			rmtree_at(g->dirfd, de->d_name);
	closedir(d);
	g->ran = true;
}

/* The new volume root tmp-<gen>, with an emptyDir's modes. */
static int make_root(struct gitrepo *g, char *name, size_t len)
{
	mode_t mode = 0777;
	int fd;
	int rc = 0;

	snprintf(name, len, "tmp-%lu", ++g->gen);
	rmtree_at(g->dirfd, name);
	if (mkdirat(g->dirfd, name, 0700))
		return -errno;
	fd = openat(g->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (g->fs_group >= 0) {
		mode |= S_ISGID;
		if (fchown(fd, -1, (gid_t)g->fs_group))
			rc = -errno;
	}
	if (!rc && fchmod(fd, mode))
		rc = -errno;
	close(fd);
	return rc;
}

/* Applies one line of the helper's output to @o, and to the volume's progress with @progress. */
static void helper_line(struct gitrepo *g, char *line, bool progress,
			struct outcome *o)
{
	char *rest = strchr(line, ' ');

	if (rest)
		*rest++ = '\0';
	if (!strcmp(line, "progress") && rest) {
		if (progress)
			volume_progress(g->v, "cloning %s: %s", g->url, rest);
	} else if (!strcmp(line, "commit") && rest) {
		if (sscanf(rest, "%40s %255s", o->commit, o->ref) != 2)
			o->kind = OUT_RETRY;
	} else if (!strcmp(line, "done")) {
		o->kind = OUT_DONE;
	} else if (!strcmp(line, "unchanged")) {
		o->kind = OUT_UNCHANGED;
	} else if (!strcmp(line, "fail") && rest) {
		o->kind = strncmp(rest, "retry ", 6) ? OUT_FINAL : OUT_RETRY;
		snprintf(o->message, sizeof(o->message), "%s",
			 strchrnul(rest, ' ') + (strchr(rest, ' ') ? 1 : 0));
	}
}

/* The environment of the helper: nothing of the daemon's but the sanitizers'. */
static void helper_env(char **env, size_t n)
{
	static const char *const keep[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS",
					    "LSAN_OPTIONS" };
	size_t k = 0;

	env[k++] = (char *)"LC_ALL=C";
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]) && k + 1 < n; i++) {
		char *e = getenv(keep[i]);

		if (e)
			env[k++] = e - strlen(keep[i]) - 1;
	}
	env[k] = NULL;
}

static pid_t spawn_helper(char **argv, int out_fd)
{
	posix_spawn_file_actions_t fa;
	char *env[8];
	pid_t pid;
	int rc;

	helper_env(env, sizeof(env) / sizeof(env[0]));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
					 O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	/* the daemon's own executable, whatever became of its path */
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		errno = rc;
		return -1;
	}
	return pid;
}

static long remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

static void extend(struct timespec *deadline, double seconds)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += (time_t)seconds;
	deadline->tv_nsec += (long)((seconds - (time_t)seconds) * 1e9);
	if (deadline->tv_nsec >= 1000000000) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000;
	}
}

/* Reads the helper's lines until it ends, is cancelled, or falls silent. */
static void watch_helper(struct gitrepo *g, pid_t pid, int fd, bool progress,
			 struct outcome *o)
{
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = work_cancel_fd(&g->work), .events = POLLIN },
	};
	struct timespec deadline;
	char buf[4096];
	size_t len = 0;

	extend(&deadline, g->timeout);
	for (;;) {
		int n = poll(pfd, 2, (int)remaining_ms(&deadline));
		ssize_t got;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (pfd[1].revents & POLLIN) {
			kill(pid, SIGKILL);
			o->kind = OUT_CANCELLED;
			return;
		}
		if (n == 0) {
			kill(pid, SIGKILL);
			o->kind = OUT_RETRY;
			snprintf(o->message, sizeof(o->message),
				 "no data from %s for %g seconds", g->url,
				 g->timeout);
			return;
		}
		got = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		extend(&deadline, g->timeout);
		len += got;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			helper_line(g, buf, progress, o);
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0;	/* a line too long to be ours */
	}
}

/*
 * Runs the helper into the root @root, to clone or, with git-sync, to
 * fetch into the bare repository and check out, and says how it went in
 * @o. Shows its progress with @progress. Never blocks past a cancellation.
 */
static void run_helper(struct gitrepo *g, const char *root, bool progress,
		       struct outcome *o)
{
	char parent[24], fs_group[24], target[4096 + 64], repo[4096 + 16];
	char *argv[] = {
		(char *)GITREPO_HELPER_NAME, (char *)(g->period ? "sync" : "clone"),
		parent, g->url, target, g->dir, g->directory, g->revision,
		fs_group, (char *)(g->allow_local ? "1" : "0"), repo,
		(char *)(g->commit[0] ? g->commit : "-"), NULL
	};
	int pfd[2];
	int status;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	snprintf(parent, sizeof(parent), "%ld", (long)getpid());
	snprintf(fs_group, sizeof(fs_group), "%ld", g->fs_group);
	snprintf(target, sizeof(target), "%s/%s", g->base, root);
	snprintf(repo, sizeof(repo), "%s/%s", g->base, BARE_REPO);
	if (pipe2(pfd, O_CLOEXEC)) {
		o->kind = OUT_RETRY;
		snprintf(o->message, sizeof(o->message),
			 "cannot start the clone: %s", strerror(errno));
		return;
	}
	pid = spawn_helper(argv, pfd[1]);
	close(pfd[1]);
	if (pid < 0) {
		o->kind = OUT_RETRY;
		snprintf(o->message, sizeof(o->message),
			 "cannot start the clone: %s", strerror(errno));
		close(pfd[0]);
		return;
	}
	watch_helper(g, pid, pfd[0], progress, o);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (o->kind != OUT_NONE && (o->kind != OUT_DONE || status == 0))
		return;
	o->kind = OUT_RETRY;
	if (WIFSIGNALED(status))
		snprintf(o->message, sizeof(o->message),
			 "the clone process died of signal %d",
			 WTERMSIG(status));
	else
		snprintf(o->message, sizeof(o->message),
			 "the clone process exited with status %d",
			 WEXITSTATUS(status));
}

/* The record: the checkout @name is served, of @commit and @ref. */
static int write_record(struct gitrepo *g, const char *name,
			const char *commit, const char *ref)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "dir %s\ncommit %s\nref %.255s\ngen %lu\n",
		     name, commit, ref, g->gen);
	return state_write_atomic(g->dirfd, RECORD, buf, n);
}

/* Reads the record into @g; -ENOENT when there is none or it is not whole. */
static int read_record(struct gitrepo *g)
{
	char buf[512];
	char dir[64];
	struct stat st;
	ssize_t n;

	n = state_read(g->dirfd, RECORD, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (sscanf(buf, "dir %63s\ncommit %40s\nref %255s\ngen %lu", dir,
		   g->commit, g->ref, &g->gen) != 4 ||
	    strncmp(dir, "rev-", 4) ||
	    fstatat(g->dirfd, dir, &st, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISDIR(st.st_mode)) {
		g->commit[0] = '\0';
		return -ENOENT;
	}
	snprintf(g->served, sizeof(g->served), "%s", dir);
	return 0;
}

/*
 * The last user of a superseded checkout let go. This may run on a FUSE
 * thread that forgot an inode: it only renames the checkout, for the job's
 * next run to delete. A pod removed meanwhile took it already (ENOENT).
 */
static void retire_checkout(void *arg)
{
	struct retired *r = arg;
	char dead[72];

	snprintf(dead, sizeof(dead), "dead-%s", r->name + strlen("rev-"));
	renameat(r->dirfd, r->name, r->dirfd, dead);
	close(r->dirfd);
	free(r);
}

/* Asks for the checkout served now to be retired once its store is released. */
static void retire_served(struct gitrepo *g)
{
	struct volume_info info;
	struct retired *r;

	volume_get(g->v, &info, true);
	if (!info.store)
		return;
	r = malloc(sizeof(*r));
	if (r && (r->dirfd = fcntl(g->dirfd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		snprintf(r->name, sizeof(r->name), "%s", g->served);
		store_on_release(info.store, retire_checkout, r);
	} else {
		free(r);
	}
	store_unref(info.store);
}

/* A store over the checkout @name. */
static struct store *open_checkout(struct gitrepo *g, const char *name)
{
	int fd = openat(g->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);

	return fd < 0 ? NULL : passthrough_store_new(fd, 0);
}

/*
 * The checkout in @root is complete: names it rev-<gen>-<sha12>, makes it
 * durable, records it and serves it. Returns 0 or -errno.
 */
static int publish(struct gitrepo *g, const char *root,
		   const struct outcome *o)
{
	char msg[VOLUME_MESSAGE_LEN];
	struct store *store = NULL;
	char name[64];
	int fd;
	int rc;

	snprintf(name, sizeof(name), "rev-%lu-%.12s", g->gen, o->commit);
	if (renameat(g->dirfd, root, g->dirfd, name))
		return -errno;
	/* the files libgit2 wrote must be on disk before the record names them */
	fd = openat(g->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd))
		goto out_errno;
	close(fd);
	fd = -1;
	store = open_checkout(g, name);
	if (!store)
		goto out_errno;
	rc = write_record(g, name, o->commit, o->ref);
	if (rc)
		goto out_remove;
	if (g->served[0])
		retire_served(g);
	snprintf(g->served, sizeof(g->served), "%s", name);
	snprintf(g->commit, sizeof(g->commit), "%s", o->commit);
	snprintf(g->ref, sizeof(g->ref), "%s", o->ref);
	time_text(0, g->synced, sizeof(g->synced));
	ready_message(g, msg, sizeof(msg));
	volume_set(g->v, VOLUME_READY, store, "%s", msg);
	log_info("pod %s volume \"%s\": %s at %s", g->pod_path, g->v->name,
		 g->url, msg + 3);
	return 0;

out_errno:
	rc = -errno;
out_remove:
	if (fd >= 0)
		close(fd);
	store_unref(store);
	rmtree_at(g->dirfd, name);
	return rc;
}

/* A failure before anything was served: retried with backoff, or final. */
static void first_failed(struct gitrepo *g, const struct outcome *o)
{
	char when[32];
	double delay;

	if (o->kind == OUT_FINAL) {
		volume_set(g->v, VOLUME_FAILED, NULL,
			   "MountVolume.SetUp failed for volume \"%s\" : %s",
			   g->v->name, o->message);
		log_warn("pod %s volume \"%s\": %s", g->pod_path, g->v->name,
			 o->message);
		return;
	}
	delay = backoff_delay(g->attempt++);
	time_text(delay, when, sizeof(when));
	volume_set(g->v, VOLUME_PENDING, NULL,
		   "next try at %s: MountVolume.SetUp failed for volume \"%s\" : %s",
		   when, g->v->name, o->message);
	log_warn("pod %s volume \"%s\": %s; trying again in %gs", g->pod_path,
		 g->v->name, o->message, delay);
	workq_submit(g->q, &g->work, delay);
}

/* A re-sync that failed: the served checkout stays; status says when and why. */
static void resync_failed(struct gitrepo *g, const struct outcome *o)
{
	char when[32];

	time_text(0, when, sizeof(when));
	snprintf(g->failure, sizeof(g->failure), "%s: %.400s", when,
		 o->message);
	publish_message(g);
	log_warn("pod %s volume \"%s\": re-sync failed: %s", g->pod_path,
		 g->v->name, o->message);
}

/* The job: the first clone, or one re-sync. */
static void gitrepo_run(struct work *w)
{
	struct gitrepo *g = (struct gitrepo *)((char *)w -
					       offsetof(struct gitrepo, work));
	bool first = !g->served[0];
	struct outcome o;
	char root[32];
	int rc;

	remove_stale(g);
	if (work_cancelled(w))
		return;
	if (first)
		volume_set(g->v, VOLUME_PREPARING, NULL, "cloning %s", g->url);
	rc = make_root(g, root, sizeof(root));
	if (rc) {
		o.kind = OUT_RETRY;
		snprintf(o.message, sizeof(o.message),
			 "cannot make the volume's directory: %s", strerror(-rc));
	} else {
		run_helper(g, root, first, &o);
	}
	if (o.kind == OUT_CANCELLED)
		return;
	if (o.kind == OUT_DONE) {
		rc = publish(g, root, &o);
		if (rc) {
			o.kind = OUT_RETRY;
			snprintf(o.message, sizeof(o.message),
				 "cannot keep the checkout: %s", strerror(-rc));
		}
	}
	if (o.kind != OUT_DONE)
		rmtree_at(g->dirfd, root);
	if (o.kind == OUT_UNCHANGED) {
		time_text(0, g->synced, sizeof(g->synced));
		publish_message(g);
	}
	if (o.kind == OUT_DONE || o.kind == OUT_UNCHANGED) {
		g->attempt = 0;
	} else if (first) {
		first_failed(g, &o);
		return;
	} else {
		resync_failed(g, &o);
	}
	if (g->period)
		workq_submit(g->q, w, g->period);
}

static void gitrepo_stop(struct volume_source *src)
{
	struct gitrepo *g = (struct gitrepo *)src;

	workq_cancel(g->q, &g->work);
}

static void gitrepo_free(struct volume_source *src)
{
	struct gitrepo *g = (struct gitrepo *)src;

	if (g->dirfd >= 0)
		close(g->dirfd);
	work_destroy(&g->work);
	free(g->pod_path);
	free(g->url);
	free(g->revision);
	free(g->directory);
	free(g);
}

/* The pod's podvolfs.io/git-sync-period, in seconds; 0 when absent. */
static int sync_period(const struct volume_ctx *ctx, double *out, char *msg,
		       size_t len)
{
	*out = 0;
	for (size_t i = 0; i < ctx->n_annotations; i++)
		if (!strcmp(ctx->annotations[i].key, GIT_SYNC_PERIOD_ANNOTATION))
			return git_sync_period_parse(ctx->annotations[i].value,
						     out, msg, len);
	return 0;
}

/* Where the checkout goes inside the volume's root, as git clone would put it. */
static int clone_dir(const struct spec_volume *sv, char *out, size_t len)
{
	if (*sv->git_repo.directory)
		return path_clean(sv->git_repo.directory, out, len);
	return git_clone_dir_name(sv->git_repo.repository, out, len);
}

static struct gitrepo *gitrepo_new(struct volume *v,
				   const struct spec_volume *sv,
				   const struct volume_ctx *ctx)
{
	struct gitrepo *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->dirfd = -1;
	g->v = v;
	g->q = ctx->workq;
	g->src.stop = gitrepo_stop;
	g->src.free = gitrepo_free;
	g->fs_group = ctx->has_fs_group ? (long)ctx->fs_group : -1;
	g->allow_local = ctx->allow_local_git;
	g->timeout = ctx->git_timeout;
	g->pod_path = strdup(ctx->pod_path);
	g->url = strdup(sv->git_repo.repository);
	g->revision = strdup(sv->git_repo.revision);
	g->directory = strdup(sv->git_repo.directory);
	if (work_init(&g->work, gitrepo_run) || !g->pod_path || !g->url ||
	    !g->revision || !g->directory) {
		gitrepo_free(&g->src);
		return NULL;
	}
	return g;
}

/* Everything the kubelet and podvolfs refuse before cloning; 0 or -EINVAL with @msg. */
static int gitrepo_check(struct gitrepo *g, const struct spec_volume *sv,
			 const struct volume_ctx *ctx, char *msg, size_t len)
{
	char why[VOLUME_MESSAGE_LEN];

	if (gitrepo_check_fields(sv->git_repo.repository,
				 sv->git_repo.revision,
				 sv->git_repo.directory, why, sizeof(why))) {
		snprintf(msg, len,
			 "MountVolume.NewMounter initialization failed for volume \"%.63s\" : %.380s",
			 sv->name, why);
		return -EINVAL;
	}
	if (git_url_check(g->url, g->allow_local, why, sizeof(why)) ||
	    sync_period(ctx, &g->period, why, sizeof(why))) {
		snprintf(msg, len,
			 "MountVolume.SetUp failed for volume \"%.63s\" : %.380s",
			 sv->name, why);
		return -EINVAL;
	}
	if (clone_dir(sv, g->dir, sizeof(g->dir))) {
		snprintf(msg, len,
			 "MountVolume.SetUp failed for volume \"%s\" : no directory name could be guessed from \"%s\"",
			 sv->name, g->url);
		return -EINVAL;
	}
	return 0;
}

int gitrepo_start(struct volume *v, const struct spec_volume *sv,
		  const struct volume_ctx *ctx)
{
	char msg[VOLUME_MESSAGE_LEN];
	struct store *store;
	struct gitrepo *g;
	bool fresh;
	int rc;

	g = gitrepo_new(v, sv, ctx);
	if (!g)
		return -ENOMEM;
	v->src = &g->src;
	if (gitrepo_check(g, sv, ctx, msg, sizeof(msg))) {
		volume_set(v, VOLUME_FAILED, NULL, "%s", msg);
		return 0;
	}
	rc = state_volume_path(ctx->state, ctx->pod_uid, sv->name, "", g->base,
			       sizeof(g->base));
	if (!rc)
		rc = g->dirfd = state_volume_open(ctx->state, ctx->pod_uid,
						  sv->name, &fresh);
	if (rc < 0) {
		volume_set(v, VOLUME_FAILED, NULL,
			   "cannot create the volume directory: %s",
			   strerror(-rc));
		return 0;
	}
	/* the same pod again: serve what it had, never clone twice */
	if (read_record(g) == 0 && (store = open_checkout(g, g->served))) {
		ready_message(g, msg, sizeof(msg));
		volume_set(v, VOLUME_READY, store, "%s", msg);
		/* git-sync catches up at once, as after a pod restart */
		if (g->period)
			workq_submit(g->q, &g->work, 0);
		return 0;
	}
	g->served[0] = '\0';
	volume_set(v, VOLUME_PENDING, NULL, "waiting for a worker to clone %s",
		   g->url);
	workq_submit(g->q, &g->work, 0);
	return 0;
}
