/*
 * main.c - the podvolfs daemon: options, the FUSE session, signals.
 *
 *   podvolfs [options] SOURCE MOUNTPOINT
 *   podvolfs --check SOURCE
 *
 * Options are parsed with fuse_opt; what podvolfs does not know is left for
 * libfuse, which refuses what it does not know either. Manifests are read
 * before the daemon goes to the background, so their errors reach the
 * terminal of whoever mounted.
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podvolfs/cluster.h"
#include "podvolfs/fs.h"
#include "podvolfs/heap.h"
#include "podvolfs/json.h"
#include "podvolfs/log.h"
#include "podvolfs/mountinfo.h"
#include "podvolfs/quantity.h"
#include "podvolfs/spec.h"
#include "podvolfs/volume.h"

struct options {
	char *source;
	char *state;
	char *memory_limit;
	int max_threads;
	double hostpath_cache;		/* seconds */
	int allow_local_git;
	double git_timeout;		/* seconds */
	int nfs_port;
	int nfs_mount_port;
	double nfs_timeout;		/* seconds; 0: for ever */
	double nfs_actimeo;		/* seconds; < 0: the kernel's defaults */
	int nfs_version;
	char *field_validation;
	char *node_name;
	char *passthrough;		/* "on" or "off" */
	char *memory_medium;		/* "tmpfs" or "daemon" */
	int show_help;
	int show_version;
	int check;
};

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_CHECK,
};

#define OPT(t, p, v) { t, offsetof(struct options, p), v }

static const struct fuse_opt option_spec[] = {
	OPT("state=%s", state, 0),
	OPT("memory_limit=%s", memory_limit, 0),
	OPT("max_threads=%d", max_threads, 0),
	OPT("hostpath_cache=%lf", hostpath_cache, 0),
	OPT("allow_local_git", allow_local_git, 1),
	OPT("git_timeout=%lf", git_timeout, 0),
	OPT("nfs_port=%d", nfs_port, 0),
	OPT("nfs_mount_port=%d", nfs_mount_port, 0),
	OPT("nfs_timeout=%lf", nfs_timeout, 0),
	OPT("nfs_actimeo=%lf", nfs_actimeo, 0),
	OPT("nfs_version=%d", nfs_version, 0),
	OPT("field_validation=%s", field_validation, 0),
	OPT("node_name=%s", node_name, 0),
	OPT("passthrough=%s", passthrough, 0),
	OPT("memory_medium=%s", memory_medium, 0),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("--check", KEY_CHECK),
	FUSE_OPT_END
};

static void usage(const char *prog)
{
	printf("usage: %s [options] SOURCE MOUNTPOINT\n"
	       "       %s --check SOURCE\n"
	       "\n"
	       "Mounts the volumes of the pods that the manifests in SOURCE (a file,\n"
	       "or a directory of *.yaml, *.yml and *.json files, watched for changes)\n"
	       "define, as MOUNTPOINT/<namespace>/<pod>/volumes/<volume>.\n"
	       "\n"
	       "podvolfs options:\n"
	       "    -h, --help             print this help and exit\n"
	       "    -V, --version          print the version and exit\n"
	       "    --check                validate SOURCE, print every problem, and exit\n"
	       "                           (status 1 when a manifest has errors)\n"
	       "    -o state=DIR           where disk emptyDirs and gitRepo clones live\n"
	       "                           (default /var/lib/podvolfs)\n"
	       "    -o memory_limit=SIZE   ceiling of each Memory emptyDir, a Kubernetes\n"
	       "                           quantity (default: half of the machine's RAM)\n"
	       "    -o max_threads=N       most threads serving requests at once (default 64)\n"
	       "    -o hostpath_cache=SECONDS\n"
	       "                           how long the kernel may cache names and attributes\n"
	       "                           of hostPath volumes: a change made on the host shows\n"
	       "                           through within this time (default 1, 0: never cache)\n"
	       "    -o allow_local_git     clone gitRepo volumes from file:// URLs and local\n"
	       "                           paths too (default: refused, as they let a pod read\n"
	       "                           any repository on this machine)\n"
	       "    -o git_timeout=SECONDS give up a gitRepo clone or fetch that receives\n"
	       "                           nothing for this long, and try again later\n"
	       "                           (default 60)\n"
	       "    -o nfs_port=PORT       the NFS servers' NFS port (default: asked of the\n"
	       "                           server's portmapper, port 111)\n"
	       "    -o nfs_mount_port=PORT the NFS servers' MOUNT port (default: asked of\n"
	       "                           the portmapper)\n"
	       "    -o nfs_timeout=SECONDS fail a request to an NFS server that does not\n"
	       "                           answer for this long with EIO (default 0: wait\n"
	       "                           until it answers, like a kernel hard mount; a\n"
	       "                           signal still stops the waiting call with EINTR)\n"
	       "    -o nfs_actimeo=SECONDS how long attributes of nfs volumes are trusted\n"
	       "                           (default: 3 for files, 30 for directories, as\n"
	       "                           the kernel's acregmin and acdirmin)\n"
	       "    -o nfs_version=3       the NFS version spoken (3, the only one offered)\n"
	       "    -o field_validation=MODE\n"
	       "                           what an unknown field in a manifest is: Warn, a\n"
	       "                           warning in the log (the object is served; the\n"
	       "                           default), Strict, an error (the file is refused),\n"
	       "                           or Ignore, nothing; --check follows it too\n"
	       "    -o node_name=NAME      this node's name, which local PersistentVolumes'\n"
	       "                           nodeAffinity (kubernetes.io/hostname) must admit\n"
	       "                           (default: the host name)\n"
	       "    -o passthrough=on|off  let the kernel read and write files kept on the\n"
	       "                           host (hostPath, disk emptyDir) itself, through\n"
	       "                           FUSE passthrough, where the kernel and libfuse\n"
	       "                           offer it (default on; see --version)\n"
	       "    -o memory_medium=tmpfs|daemon\n"
	       "                           where Memory emptyDirs keep their bytes: each in\n"
	       "                           a private tmpfs of its size, mounted nowhere,\n"
	       "                           whose files the kernel may reach through FUSE\n"
	       "                           passthrough (the default; needs CAP_SYS_ADMIN,\n"
	       "                           else the daemon's memory is used), or in the\n"
	       "                           daemon's own memory\n"
	       "\n"
	       "podvolfs always mounts with default_permissions, and with allow_other\n"
	       "when started as root.\n"
	       "\n", prog, prog);
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct options *o = data;

	(void)outargs;
	switch (key) {
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_CHECK:
		o->check = 1;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (!o->source) {
			o->source = strdup(arg);
			return o->source ? 0 : -1;
		}
		return 1;
	}
	return 1;
}

/*
 * `podvolfs --check SOURCE`: every problem and warning on stderr, notices
 * on stdout. Warnings do not change the exit status.
 */
static int check_source(const char *source, enum spec_field_validation fields)
{
	char msg[PODVOLFS_ERR_MAX * PODVOLFS_ERR_LEN];
	struct podvolfs_err err, warn;
	struct spec_objects objs;
	unsigned kept;
	int rc;

	err_init(&err);
	err_init(&warn);
	spec_objects_init(&objs);
	rc = spec_load_source(source, fields, &objs, &err, &warn);
	kept = warn.count < PODVOLFS_ERR_MAX ? warn.count : PODVOLFS_ERR_MAX;
	for (unsigned i = 0; i < kept; i++)
		fprintf(stderr, "warning: %s\n", warn.msg[i]);
	if (warn.count > kept)
		fprintf(stderr, "warning: %u more warnings\n", warn.count - kept);
	for (size_t i = 0; i < objs.n_notices; i++)
		printf("%s\n", objs.notices[i]);
	for (size_t i = 0; i < objs.n_pods; i++)
		printf("pod %s/%s: %zu volumes\n", objs.pods[i].namespace,
		       objs.pods[i].name, objs.pods[i].n_volumes);
	if (err_isset(&err)) {
		err_join(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	if (rc)
		fprintf(stderr, "%s: %s\n", source, strerror(-rc));
	spec_objects_free(&objs);
	return rc || err_isset(&err) ? 1 : 0;
}

/* -o field_validation=: the apiserver's words, in any case (kubectl's --validate). */
static int parse_field_validation(const char *s,
				  enum spec_field_validation *out)
{
	static const struct {
		const char *name;
		enum spec_field_validation mode;
	} modes[] = {
		{ "Warn", SPEC_FIELDS_WARN },
		{ "Strict", SPEC_FIELDS_STRICT },
		{ "Ignore", SPEC_FIELDS_IGNORE },
	};

	*out = SPEC_FIELDS_WARN;
	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcasecmp(s, modes[i].name) == 0) {
			*out = modes[i].mode;
			return 0;
		}
	}
	fprintf(stderr, "podvolfs: -o field_validation=%s: must be Strict, Warn or Ignore\n",
		s);
	return -1;
}

static uint64_t default_memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * size / 2 : 1ULL << 30;
}

static int parse_memory_limit(const char *s, uint64_t *out)
{
	struct quantity q;
	const char *why;

	if (!s) {
		*out = default_memory_limit();
		return 0;
	}
	if (quantity_parse(s, &q, &why)) {
		fprintf(stderr, "podvolfs: -o memory_limit=%s: %s\n", s, why);
		return -1;
	}
	if (quantity_value(&q) <= 0) {
		fprintf(stderr, "podvolfs: -o memory_limit=%s: must be greater than zero\n",
			s);
		return -1;
	}
	*out = quantity_value(&q);
	return 0;
}

/* Mount options podvolfs always wants, and allow_other for root. */
static int add_mount_options(struct fuse_args *args, const char *source)
{
	char *fsname = NULL;
	int rc;

	if (fuse_opt_add_opt_escaped(&fsname, source))
		return -1;
	rc = fuse_opt_add_arg(args, "-odefault_permissions,subtype=podvolfs");
	if (!rc && geteuid() == 0)
		rc = fuse_opt_add_arg(args, "-oallow_other");
	if (!rc)
		rc = fuse_opt_add_arg(args, "-o");
	if (!rc) {
		char *opt;

		rc = asprintf(&opt, "fsname=%s", fsname) < 0 ? -1 : 0;
		if (!rc)
			rc = fuse_opt_add_arg(args, opt);
		free(opt);
	}
	free(fsname);
	return rc;
}

static struct cluster *hup_cluster;

static void on_sighup(int sig)
{
	(void)sig;
	if (hup_cluster)
		cluster_request_sync(hup_cluster);
}

static int run_loop(struct fuse_session *se, struct fuse_cmdline_opts *cmd,
		    int max_threads)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (cmd->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, cmd->clone_fd);
	/* UINT_MAX is fuse_parse_cmdline's "not given": keep libfuse's default. */
	if (cmd->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(cfg, cmd->max_idle_threads);
	fuse_loop_cfg_set_max_threads(cfg, max_threads);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

/* The last mount at a mount point (the one on top): its device and type. */
struct mount_at {
	const char *mountpoint;
	unsigned maj, min;
	char fstype[64];
	bool found;
};

static int mount_at_fn(const struct mountinfo *m, void *arg)
{
	struct mount_at *at = arg;

	if (!strcmp(m->mount_point, at->mountpoint)) {
		at->maj = m->major;
		at->min = m->minor;
		snprintf(at->fstype, sizeof(at->fstype), "%s", m->fstype);
		at->found = true;
	}
	return 0;
}

/*
 * The kernel reads ahead at most the smaller of what the filesystem asks
 * (max_readahead) and its default of 128 KiB, so sequential reads arrive
 * in 128 KiB requests. As root, raises the new mount's limit to @kib
 * before the session's INIT, so that the filesystem's own ask stands. The
 * mount is found in mountinfo: a stat() of it would wait for the INIT that
 * this thread is to serve.
 */
static void widen_readahead(const char *mountpoint, unsigned kib)
{
	struct mount_at at = { .mountpoint = mountpoint };
	char path[64];
	FILE *f;

	/* the last mount at @mountpoint is ours */
	if (mountinfo_each(mount_at_fn, &at) || !at.found)
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 at.maj, at.min);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "%u\n", kib);
	if (fclose(f))
		log_debug("%s: %s", path, strerror(errno));
}

/* fusermount3 -u -z @mountpoint, for a user who may not umount(2). */
static int fusermount_detach(const char *mountpoint)
{
	char *const argv[] = { (char *)"fusermount3", (char *)"-u", (char *)"-z",
			       (char *)mountpoint, NULL };
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ))
		return -1;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * A podvolfs whose daemon died (kill -9, a crash) leaves its mount behind:
 * every access to it fails with ENOTCONN, and so would mounting over it.
 * Such a dead podvolfs mount at @mountpoint is detached, so that starting
 * the daemon again just works; a live mount, or another file system's,
 * is left alone.
 */
static void detach_dead_mount(const char *mountpoint)
{
	struct mount_at at = { .mountpoint = mountpoint };
	struct statfs sf;

	/* statfs always asks the daemon: a stat may be answered from cache */
	if (statfs(mountpoint, &sf) == 0 || errno != ENOTCONN ||
	    mountinfo_each(mount_at_fn, &at) || !at.found ||
	    strcmp(at.fstype, "fuse.podvolfs"))
		return;
	if (umount2(mountpoint, MNT_DETACH) == 0 ||
	    (errno == EPERM && fusermount_detach(mountpoint) == 0))
		log_notice("%s: detached the mount left by a podvolfs that is gone",
			   mountpoint);
	else
		log_warn("%s: cannot detach the mount left by a podvolfs that is gone: %s",
			 mountpoint, strerror(errno));
}

static void *wait_for_cancel(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/*
 * glibc loads libgcc_s, the unwinder, on the first pthread_cancel, and
 * aborts the process when it cannot ("libgcc_s.so.1 must be installed for
 * pthread_cancel to work"), as when memory is short. libfuse cancels its
 * workers when the session ends, so that first cancel would come when a
 * daemon out of memory is stopped. One cancel now, while memory is there,
 * keeps the unwinder loaded for the life of the process.
 */
static int load_unwinder(void)
{
	pthread_t t;
	int rc;

	rc = pthread_create(&t, NULL, wait_for_cancel, NULL);
	if (rc)
		return -rc;
	pthread_cancel(t);
	pthread_join(t, NULL);
	return 0;
}

/*
 * MNT/.podvolfs/daemon.json: what a client cannot learn from mountinfo,
 * so that podvolfs-ctl validates manifests as this daemon will.
 */
static int show_daemon(void *ctx, char **buf, size_t *len)
{
	const struct cluster_config *ccfg = ctx;
	static const char *const modes[] = {
		[SPEC_FIELDS_WARN] = "Warn",
		[SPEC_FIELDS_STRICT] = "Strict",
		[SPEC_FIELDS_IGNORE] = "Ignore",
	};
	FILE *f = open_memstream(buf, len);

	if (!f)
		return -ENOMEM;
	fputc('{', f);
	json_kv(f, "source", ccfg->source);
	fputc(',', f);
	json_kv(f, "fieldValidation", modes[ccfg->field_validation]);
	fputc(',', f);
	json_kv(f, "version", PODVOLFS_VERSION);
	fputs("}\n", f);
	if (fclose(f)) {
		free(*buf);
		return -ENOMEM;
	}
	return 0;
}

/* Mounts, serves until unmounted or signalled, and unwinds. Returns the exit status. */
static int serve(struct fuse_args *args, struct fuse_cmdline_opts *cmd,
		 struct options *o, struct cluster_config *ccfg)
{
	const struct fs_config fcfg = {
		.max_write = 1 << 20,
		.passthrough = !o->passthrough || strcmp(o->passthrough, "off"),
	};
	struct fuse_session *se;
	struct cluster *c;
	struct tree *tree;
	struct fs *fs;
	int status = 1;
	int rc;

	detach_dead_mount(cmd->mountpoint);
	rc = load_unwinder();
	if (rc) {
		fprintf(stderr, "podvolfs: cannot start a thread: %s\n",
			strerror(-rc));
		return 1;
	}
	tree = tree_new();
	fs = tree ? fs_new(tree, &fcfg) : NULL;
	if (!fs) {
		fprintf(stderr, "podvolfs: out of memory\n");
		goto out_free_tree;
	}
	c = cluster_new(ccfg, tree);
	if (!c) {
		fprintf(stderr, "podvolfs: state directory %s: %s\n",
			ccfg->state_dir, strerror(errno));
		goto out_free_fs;
	}
	if (tree_add_file(tree, ".podvolfs/daemon.json", show_daemon, ccfg,
			  NULL)) {
		fprintf(stderr, "podvolfs: out of memory\n");
		goto out_free_cluster;
	}
	if (cluster_sync(c))
		goto out_free_cluster;
	se = fuse_session_new(args, &fs_ops, sizeof(fs_ops), fs);
	if (!se)
		goto out_free_cluster;
	fs_set_session(fs, se);
	if (fuse_set_signal_handlers(se))
		goto out_destroy;
	hup_cluster = c;
	signal(SIGHUP, on_sighup);
	if (fuse_session_mount(se, cmd->mountpoint))
		goto out_remove_handlers;
	widen_readahead(cmd->mountpoint, fcfg.max_write >> 10);
	if (fuse_daemonize(cmd->foreground))
		goto out_unmount;
	if (!cmd->foreground)
		log_to_syslog();
	if (cluster_watch_start(c))
		log_warn("%s: not watched for changes; send SIGHUP to reload",
			 ccfg->source);
	rc = heap_trimmer_start();
	if (rc)
		log_warn("freed heap memory is not given back: %s", strerror(-rc));
	log_info("serving %s at %s", ccfg->source, cmd->mountpoint);
	rc = run_loop(se, cmd, o->max_threads);
	heap_trimmer_stop();
	/* libfuse reports the signal that ended the loop: that is a clean stop. */
	status = rc == 0 || rc == SIGTERM || rc == SIGINT ? 0 : 1;
	if (rc < 0)
		log_err("%s: libfuse stopped serving: %s", cmd->mountpoint,
			strerror(-rc));
	log_info("unmounted %s", cmd->mountpoint);
out_unmount:
	fuse_session_unmount(se);
out_remove_handlers:
	signal(SIGHUP, SIG_DFL);
	hup_cluster = NULL;
	fuse_remove_signal_handlers(se);
out_destroy:
	fs_set_session(fs, NULL);
	fuse_session_destroy(se);
out_free_cluster:
	cluster_free(c);
out_free_fs:
	fs_free(fs);
out_free_tree:
	tree_free(tree);
	return status;
}

/* Absolute forms of SOURCE and the state directory: the daemon runs from /. */
static int resolve_paths(struct options *o, char *source, char *state)
{
	if (!realpath(o->source, source)) {
		fprintf(stderr, "podvolfs: %s: %s\n", o->source, strerror(errno));
		return -1;
	}
	if (mkdir(o->state, 0700) && errno != EEXIST) {
		fprintf(stderr, "podvolfs: state directory %s: %s\n", o->state,
			strerror(errno));
		return -1;
	}
	if (!realpath(o->state, state)) {
		fprintf(stderr, "podvolfs: state directory %s: %s\n", o->state,
			strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o = { .max_threads = 64, .hostpath_cache = 1.0,
			     .git_timeout = 60.0, .nfs_actimeo = -1,
			     .nfs_version = 3 };
	struct fuse_cmdline_opts cmd = { 0 };
	enum spec_field_validation fields;
	struct cluster_config ccfg;
	char source[PATH_MAX];
	char state[PATH_MAX];
	int status = 1;

	/* the daemon starts itself under this name to run libgit2 */
	if (argc > 0 && !strcmp(argv[0], GITREPO_HELPER_NAME))
		return gitrepo_helper_main(argc, argv);
	umask(0);
	/*
	 * Requests carry up to 1 MiB (reads, writes, an NFS volume's unstable
	 * data): keep such buffers on the heap for reuse instead of mapping
	 * and unmapping, and faulting in, fresh pages for each one. A heap's
	 * free top is kept up to 8 MiB, several such buffers, and given back
	 * past that: the heap of a thread's arena is 64 MiB at most and
	 * malloc_trim() leaves its top alone, so at 64 MiB nothing freed at
	 * the top of one ever went back (heap.c gives back the rest).
	 */
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	if (fuse_opt_parse(&args, &o, option_spec, opt_proc))
		goto out_free;
	if (o.show_help) {
		usage(argv[0]);
		status = 0;
		goto out_free;
	}
	if (o.show_version) {
		printf("podvolfs %s (libfuse %s, %s; %s)\n", PODVOLFS_VERSION,
		       fuse_pkgversion(), PODVOLFS_LIBFUSE, fs_passthrough_built());
		status = 0;
		goto out_free;
	}
	if (parse_field_validation(o.field_validation, &fields))
		goto out_free;
	if (o.check) {
		status = o.source ? check_source(o.source, fields) : 2;
		if (!o.source)
			fprintf(stderr, "usage: %s --check SOURCE\n", argv[0]);
		goto out_free;
	}
	if (fuse_parse_cmdline(&args, &cmd))
		goto out_free;
	if (!o.source || !cmd.mountpoint) {
		fprintf(stderr, "usage: %s [options] SOURCE MOUNTPOINT\n"
			"see '%s --help' for usage\n", argv[0], argv[0]);
		goto out_free;
	}
	if (o.max_threads < 1) {
		fprintf(stderr, "podvolfs: -o max_threads=%d: must be at least 1\n",
			o.max_threads);
		goto out_free;
	}
	/* Also refuses NaN: the kernel takes the timeout as whole seconds */
	if (!(o.hostpath_cache >= 0 && o.hostpath_cache <= 86400)) {
		fprintf(stderr, "podvolfs: -o hostpath_cache=%g: must be between 0 and 86400 seconds\n",
			o.hostpath_cache);
		goto out_free;
	}
	if (!(o.git_timeout >= 1 && o.git_timeout <= 86400)) {
		fprintf(stderr, "podvolfs: -o git_timeout=%g: must be between 1 and 86400 seconds\n",
			o.git_timeout);
		goto out_free;
	}
	if (o.nfs_port < 0 || o.nfs_port > 65535 || o.nfs_mount_port < 0 ||
	    o.nfs_mount_port > 65535) {
		fprintf(stderr, "podvolfs: -o nfs_port=%d, nfs_mount_port=%d: a port is between 1 and 65535\n",
			o.nfs_port, o.nfs_mount_port);
		goto out_free;
	}
	if (o.nfs_version != 3) {
		fprintf(stderr, "podvolfs: -o nfs_version=%d: only NFSv3 is offered "
			"(the NFSv4 client of libnfs 4.0 cannot keep a connection "
			"alive; see podvolfs(8))\n", o.nfs_version);
		goto out_free;
	}
	if (!(o.nfs_timeout >= 0 && o.nfs_timeout <= 86400)) {
		fprintf(stderr, "podvolfs: -o nfs_timeout=%g: must be between 0 and 86400 seconds\n",
			o.nfs_timeout);
		goto out_free;
	}
	if (!(o.nfs_actimeo == -1 || (o.nfs_actimeo >= 0 && o.nfs_actimeo <= 3600))) {
		fprintf(stderr, "podvolfs: -o nfs_actimeo=%g: must be between 0 and 3600 seconds\n",
			o.nfs_actimeo);
		goto out_free;
	}
	if (o.passthrough && strcmp(o.passthrough, "on") &&
	    strcmp(o.passthrough, "off")) {
		fprintf(stderr, "podvolfs: -o passthrough=%s: say on or off\n",
			o.passthrough);
		goto out_free;
	}
	if (o.memory_medium && strcmp(o.memory_medium, "tmpfs") &&
	    strcmp(o.memory_medium, "daemon")) {
		fprintf(stderr, "podvolfs: -o memory_medium=%s: say tmpfs or daemon\n",
			o.memory_medium);
		goto out_free;
	}
	if (!o.state)
		o.state = strdup("/var/lib/podvolfs");
	if (!o.state || resolve_paths(&o, source, state))
		goto out_free;
	ccfg.source = source;
	ccfg.state_dir = state;
	ccfg.hostpath_cache = o.hostpath_cache;
	ccfg.memory_tmpfs = !o.memory_medium ||
			    !strcmp(o.memory_medium, "tmpfs");
	ccfg.allow_local_git = o.allow_local_git;
	ccfg.git_timeout = o.git_timeout;
	ccfg.field_validation = fields;
	ccfg.node_name = o.node_name;
	ccfg.nfs = (struct nfs_target){ .nfs_port = o.nfs_port,
					.mount_port = o.nfs_mount_port,
					.timeout = o.nfs_timeout,
					.actimeo = o.nfs_actimeo };
	if (parse_memory_limit(o.memory_limit, &ccfg.memory_limit))
		goto out_free;
	if (cmd.debug)
		log_set_level(LOG_LVL_DEBUG);
	if (add_mount_options(&args, source))
		goto out_free;
	status = serve(&args, &cmd, &o, &ccfg);
out_free:
	free(cmd.mountpoint);
	free(o.source);
	free(o.state);
	free(o.memory_limit);
	free(o.field_validation);
	free(o.node_name);
	free(o.passthrough);
	free(o.memory_medium);
	fuse_opt_free_args(&args);
	return status;
}
