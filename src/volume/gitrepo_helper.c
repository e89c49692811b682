/*
 * gitrepo_helper.c - the process that runs libgit2 for a gitRepo volume.
 *
 * The daemon starts itself under the name "podvolfs-git" for each clone or
 * re-sync (gitrepo.c) and reads its standard output, one line per event:
 *
 *   progress TEXT            what the volume's status shows while it works
 *   commit SHA REF           what was resolved (REF "-" for a bare commit)
 *   unchanged                a re-sync found SHA already served
 *   done                     the checkout is complete
 *   fail retry|final TEXT    libgit2's message, and whether to try again
 *
 * A process of its own, because libgit2 1.5 has no timeouts and no way to
 * interrupt a transfer: a stalled server or a removed pod is handled by
 * killing this process, which the daemon can do at any moment, and a
 * crafted pack that crashed libgit2 would take down only this process.
 * It dies with the thread that started it (PR_SET_PDEATHSIG), so a daemon
 * killed mid-clone leaves no clone running.
 *
 * libgit2 runs no program at all: no hook, filter driver, fsmonitor or
 * credential helper, whatever a repository's .gitattributes or config
 * says. What it would read from outside the clone is shut off here: the
 * system, XDG and global config files (GIT_OPT_SET_SEARCH_PATH to ""),
 * and the environment (the daemon passes almost none). No credentials are
 * offered, local clones never hard-link the source's files, and a
 * re-sync fetches by URL into a repository the pod cannot write.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "podvolfs/gitrepo.h"
#include "podvolfs/volume.h"

/* What the daemon asked for, from argv. */
struct job {
	const char *mode;		/* "clone" or "sync" */
	bool allow_local;
	const char *url;
	const char *target;		/* the new volume root, made by the daemon */
	const char *dir;		/* where in it the checkout goes: "." or a name */
	const char *directory;		/* the field, for the kubelet's rule */
	const char *revision;		/* "" for the remote's HEAD */
	long fs_group;			/* -1 for none */
	const char *repo;		/* sync: the bare repository */
	const char *current;		/* sync: the commit served now, or "-" */
	/* when each kind of progress line was last sent */
	struct timespec last_transfer, last_remote, last_checkout;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line to the daemon; control characters become spaces. */
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	printf("%s\n", line);
	fflush(stdout);
}

/*
 * Whether a progress line is due: at most ten a second of each kind, so
 * that the server's chatter never hides the transfer's first numbers.
 */
static bool progress_due(struct timespec *last, bool final)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - last->tv_sec) * 1000 +
	     (now.tv_nsec - last->tv_nsec) / 1000000;
	if (!final && ms < 100)
		return false;
	*last = now;
	return true;
}

static void human_bytes(size_t bytes, char *buf, size_t len)
{
	if (bytes >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", bytes / 1048576.0);
	else if (bytes >= 1024)
		snprintf(buf, len, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, len, "%zu B", bytes);
}

static int on_transfer(const git_indexer_progress *st, void *payload)
{
	struct job *j = payload;
	bool objects = st->received_objects < st->total_objects;
	char size[32];

	if (!progress_due(&j->last_transfer,
			  !objects && st->indexed_deltas == st->total_deltas))
		return 0;
	human_bytes(st->received_bytes, size, sizeof(size));
	if (objects || !st->total_deltas)
		say("progress %u%% objects (%u/%u), %s",
		    st->total_objects ? st->received_objects * 100 /
					st->total_objects : 0,
		    st->received_objects, st->total_objects, size);
	else
		say("progress resolving deltas %u%% (%u/%u), %s",
		    st->indexed_deltas * 100 / st->total_deltas,
		    st->indexed_deltas, st->total_deltas, size);
	return 0;
}

/* The server's own progress ("Counting objects: 45%"): also proof of life. */
static int on_sideband(const char *str, int len, void *payload)
{
	struct job *j = payload;

	while (len > 0 && (str[len - 1] == '\n' || str[len - 1] == '\r'))
		len--;
	if (len > 0 && progress_due(&j->last_remote, false))
		say("progress remote: %.*s", len > 200 ? 200 : len, str);
	return 0;
}

static void on_checkout(const char *path, size_t done, size_t total,
			void *payload)
{
	struct job *j = payload;

	(void)path;
	if (total && progress_due(&j->last_checkout, done == total))
		say("progress checking out %zu%% (%zu/%zu)", done * 100 / total,
		    done, total);
}

/* libgit2's last error as a "fail" line; @what names the step, kubelet-style. */
static int fail(const char *what, int code)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	bool retry = git_error_retryable(code, e ? e->klass : 0, msg);

	say("fail %s %s: %s", retry ? "retry" : "final", what, msg);
	return 1;
}

/* A failure of ours, in the same words. */
static int fail_msg(bool retry, const char *what, const char *msg)
{
	say("fail %s %s: %s", retry ? "retry" : "final", what, msg);
	return 1;
}

static void fetch_options(git_fetch_options *o, struct job *j)
{
	git_fetch_options_init(o, GIT_FETCH_OPTIONS_VERSION);
	o->callbacks.transfer_progress = on_transfer;
	o->callbacks.sideband_progress = on_sideband;
	o->callbacks.payload = j;
	o->download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	o->follow_redirects = GIT_REMOTE_REDIRECT_INITIAL;
}

static void checkout_options(git_checkout_options *o, struct job *j)
{
	git_checkout_options_init(o, GIT_CHECKOUT_OPTIONS_VERSION);
	o->checkout_strategy = GIT_CHECKOUT_FORCE;
	o->progress_cb = on_checkout;
	o->progress_payload = j;
}

/*
 * @rev as "git checkout" finds it: a branch of the remote, a tag (annotated
 * ones peeled), or any commit-ish ("5d1c0e3", a full id). The commit in
 * *@out; *@is_ref tells whether @rev named a branch or tag.
 */
static int resolve(git_repository *repo, const char *prefix, const char *rev,
		   git_object **out, bool *is_ref)
{
	const char *forms[] = { prefix, "refs/tags/", "" };
	char spec[1024];
	git_object *obj;
	int rc = GIT_ENOTFOUND;

	for (size_t i = 0; i < 3; i++) {
		snprintf(spec, sizeof(spec), "%s%s", forms[i], rev);
		if (git_revparse_single(&obj, repo, spec))
			continue;
		rc = git_object_peel(out, obj, GIT_OBJECT_COMMIT);
		git_object_free(obj);
		if (rc == 0) {
			*is_ref = i < 2;
			return 0;
		}
	}
	snprintf(spec, sizeof(spec), "revision '%s' not found", rev);
	git_error_set_str(GIT_ERROR_REFERENCE, spec);
	return rc;
}

/* nftw() passes no argument to its callback; this process does one job. */
static gid_t fs_group_gid;

static int apply_fs_group_entry(const char *path, const struct stat *st,
				int flag, struct FTW *ftw)
{
	mode_t mask = 0660;

	(void)ftw;
	if (lchown(path, -1, fs_group_gid))
		return -1;
	if (flag == FTW_SL || S_ISLNK(st->st_mode))
		return 0;
	if (S_ISDIR(st->st_mode))
		mask |= S_ISGID | 0110;
	return chmod(path, (st->st_mode & 07777) | mask) ? -1 : 0;
}

/* The kubelet's SetVolumeOwnership: group @gid, rw for it, setgid dirs. */
static int apply_fs_group(const char *root, gid_t gid)
{
	fs_group_gid = gid;
	return nftw(root, apply_fs_group_entry, 32, FTW_PHYS) ? -errno : 0;
}

/* The names in @path, for the kubelet's rule of one entry. */
static int list_dir(const char *path, char ***out, size_t *n)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char **grown;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		grown = realloc(names, (count + 1) * sizeof(*names));
		if (!grown || !(grown[count] = strdup(de->d_name))) {
			names = grown ? grown : names;
			break;
		}
		names = grown;
		count++;
	}
	closedir(d);
	*out = names;
	*n = count;
	return 0;
}

/*
 * Step 4 of the kubelet, with a revision: the clone must be where "git
 * checkout" would run.
 */
static int check_contents(struct job *j)
{
	const char *where = NULL;
	char msg[512];
	char **names = NULL;
	size_t n = 0;
	int rc;

	if (list_dir(j->target, &names, &n))
		return fail_msg(true, "cannot list the volume", strerror(errno));
	rc = gitrepo_checkout_dir(j->directory, (const char *const *)names, n,
				  &where, msg, sizeof(msg));
	if (rc == 0 && strcmp(where ? where : ".", j->dir))
		rc = -EINVAL;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc ? fail_msg(false, "cannot find the checkout", msg) : 0;
}

/* The name of the branch HEAD points at ("main"), or "-". */
static void head_name(git_repository *repo, char *buf, size_t len)
{
	git_reference *head;

	snprintf(buf, len, "-");
	if (git_repository_head(&head, repo))
		return;
	if (git_reference_is_branch(head))
		snprintf(buf, len, "%s", git_reference_shorthand(head));
	git_reference_free(head);
}

static int finish(struct job *j, const git_oid *id, const char *ref)
{
	char sha[GIT_OID_HEXSZ + 1];

	git_oid_tostr(sha, sizeof(sha), id);
	if (*j->revision && j->fs_group >= 0 &&
	    apply_fs_group(j->target, (gid_t)j->fs_group))
		return fail_msg(true, "cannot apply fsGroup", strerror(errno));
	say("commit %s %s", sha, ref);
	say("done");
	return 0;
}

/* "git clone -- URL [DIR]", then "git checkout REV" and "git reset --hard". */
static int run_clone(struct job *j)
{
	char what[1200];
	char path[4096];
	char ref[256];
	git_clone_options o;
	git_checkout_options co;
	git_repository *repo;
	git_object *commit = NULL;
	bool is_ref = false;
	git_oid head;
	int rc;

	snprintf(what, sizeof(what), "failed to exec 'git clone -- %s%s%s'",
		 j->url, *j->directory ? " " : "", j->directory);
	snprintf(path, sizeof(path), "%s/%s", j->target, j->dir);
	git_clone_options_init(&o, GIT_CLONE_OPTIONS_VERSION);
	fetch_options(&o.fetch_opts, j);
	o.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	/* never share an inode with the source: the pod may write its copy */
	o.local = GIT_CLONE_LOCAL_NO_LINKS;
	rc = git_clone(&repo, j->url, path, &o);
	if (rc)
		return fail(what, rc);
	if (*j->revision && check_contents(j)) {
		git_repository_free(repo);
		return 1;
	}
	checkout_options(&co, j);
	if (!*j->revision) {
		rc = git_checkout_head(repo, &co);
		head_name(repo, ref, sizeof(ref));
		if (!rc)
			rc = git_reference_name_to_id(&head, repo, "HEAD");
		git_repository_free(repo);
		if (rc)
			return fail("failed to check out", rc);
		return finish(j, &head, ref);
	}
	snprintf(what, sizeof(what), "failed to exec 'git checkout %s'",
		 j->revision);
	rc = resolve(repo, "refs/remotes/origin/", j->revision, &commit, &is_ref);
	if (rc) {
		git_repository_free(repo);
		return fail(what, rc);
	}
	rc = git_repository_set_head_detached(repo, git_object_id(commit));
	if (!rc) {
		snprintf(what, sizeof(what), "failed to exec 'git reset --hard'");
		rc = git_reset(repo, commit, GIT_RESET_HARD, &co);
	}
	if (!rc)
		rc = finish(j, git_object_id(commit), is_ref ? j->revision : "-");
	else
		rc = fail(what, rc);
	git_object_free(commit);
	git_repository_free(repo);
	return rc;
}

/* The re-sync's repository, made bare on first use. */
static int open_repo(struct job *j, git_repository **repo)
{
	if (git_repository_open_bare(repo, j->repo) == 0)
		return 0;
	return git_repository_init(repo, j->repo, 1);
}

/* What the remote's HEAD names after a fetch: "main" of refs/heads/main. */
static int remote_head(git_remote *remote, char *buf, size_t len)
{
	git_buf name = { 0 };
	const char *prefix = "refs/heads/";
	int rc = git_remote_default_branch(&name, remote);

	if (rc)
		return rc;
	if (strncmp(name.ptr, prefix, strlen(prefix))) {
		git_buf_dispose(&name);
		git_error_set_str(GIT_ERROR_REFERENCE,
				  "the remote's HEAD is not a branch");
		return GIT_ENOTFOUND;
	}
	snprintf(buf, len, "%s", name.ptr + strlen(prefix));
	git_buf_dispose(&name);
	return 0;
}

/*
 * git-sync's loop body: fetch every branch and tag by URL into the bare
 * repository, resolve the revision, and when it moved check it out into
 * the new root.
 */
static int run_sync(struct job *j)
{
	static char branches[] = "+refs/heads/*:refs/remotes/origin/*";
	static char tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[] = { branches, tags };
	git_strarray refspecs = { specs, 2 };
	git_remote_create_options ro;
	git_fetch_options fo;
	git_checkout_options co;
	git_repository *repo;
	git_remote *remote = NULL;
	git_object *commit = NULL;
	char sha[GIT_OID_HEXSZ + 1];
	char what[1200];
	char path[4096];
	char ref[256];
	bool is_ref = false;
	int rc;

	snprintf(what, sizeof(what), "failed to fetch %s", j->url);
	rc = open_repo(j, &repo);
	if (rc)
		return fail(what, rc);
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		   GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	rc = git_remote_create_with_opts(&remote, j->url, &ro);
	if (rc)
		goto out_fail;
	/* what libgit2 will connect to, after its own parsing */
	if (git_url_check(git_remote_url(remote), j->allow_local, path,
			  sizeof(path))) {
		rc = fail_msg(false, what, path);
		goto out_free;
	}
	fetch_options(&fo, j);
	fo.prune = GIT_FETCH_PRUNE;
	rc = git_remote_fetch(remote, &refspecs, &fo, NULL);
	if (rc)
		goto out_fail;
	if (*j->revision) {
		snprintf(ref, sizeof(ref), "%s", j->revision);
		snprintf(what, sizeof(what), "failed to exec 'git checkout %s'",
			 j->revision);
	} else {
		rc = remote_head(remote, ref, sizeof(ref));
		if (rc)
			goto out_fail;
	}
	rc = resolve(repo, "refs/remotes/origin/", ref, &commit, &is_ref);
	if (rc)
		goto out_fail;
	git_oid_tostr(sha, sizeof(sha), git_object_id(commit));
	if (!strcmp(sha, j->current)) {
		say("commit %s %s", sha, is_ref ? ref : "-");
		say("unchanged");
		goto out_free;
	}
	snprintf(path, sizeof(path), "%s/%s", j->target, j->dir);
	checkout_options(&co, j);
	/* a checkout beside the repository, never written back into it */
	co.checkout_strategy |= GIT_CHECKOUT_RECREATE_MISSING |
				GIT_CHECKOUT_DONT_UPDATE_INDEX;
	co.target_directory = path;
	snprintf(what, sizeof(what), "failed to check out %s", sha);
	rc = git_checkout_tree(repo, commit, &co);
	if (rc)
		goto out_fail;
	rc = *j->revision ? check_contents(j) : 0;
	if (!rc)
		rc = finish(j, git_object_id(commit), is_ref ? ref : "-");
	goto out_free;

out_fail:
	rc = fail(what, rc);
out_free:
	git_object_free(commit);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}

#ifdef __SANITIZE_ADDRESS__
const char *__lsan_default_suppressions(void);

/*
 * The sanitizer build checks this process for leaks at exit: libgit2 1.5
 * leaves the pcre2 match data of its pattern matching to the process's
 * end, which is not this program's to free.
 */
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}
#endif

/* Shuts off every configuration libgit2 would read from outside the clone. */
static void isolate(void)
{
	const int levels[] = { GIT_CONFIG_LEVEL_PROGRAMDATA,
			       GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG,
			       GIT_CONFIG_LEVEL_GLOBAL };

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "");
}

/*
 * argv: podvolfs-git clone PARENT URL TARGET DIR DIRECTORY REVISION FS_GROUP
 *       podvolfs-git sync  PARENT URL TARGET DIR DIRECTORY REVISION FS_GROUP
 *                          ALLOW_LOCAL REPO CURRENT
 */
int gitrepo_helper_main(int argc, char **argv)
{
	struct job j = { 0 };
	int rc;

	/* dies with the daemon's thread; and if that already happened, now */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (argc < 9 || getppid() != (pid_t)atol(argv[2]))
		return 2;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	/* files as git makes them, whatever the daemon's umask */
	umask(022);
	j.mode = argv[1];
	j.url = argv[3];
	j.target = argv[4];
	j.dir = argv[5];
	j.directory = argv[6];
	j.revision = argv[7];
	j.fs_group = atol(argv[8]);
	if (!strcmp(j.mode, "sync")) {
		if (argc < 12)
			return 2;
		j.allow_local = !strcmp(argv[9], "1");
		j.repo = argv[10];
		j.current = argv[11];
	} else if (strcmp(j.mode, "clone")) {
		return 2;
	}
	git_libgit2_init();
	isolate();
	rc = j.repo ? run_sync(&j) : run_clone(&j);
	git_libgit2_shutdown();
	return rc;
}
