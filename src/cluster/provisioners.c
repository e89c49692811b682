/*
 * provisioners.c - the provisioners and the reclaim: what a job does.
 *
 * Two provisioners are built in (SPEC 8.3, 8.4): podvolfs.io/local (alias
 * rancher.io/local-path) makes a directory per claim under STATE/pvs or
 * the class's nodePath, podvolfs.io/nfs-subdir (alias
 * k8s-sigs.io/nfs-subdir-external-provisioner) a directory per claim on
 * an NFS export, through the nfs store. Reclaim (SPEC 7.6) deletes or
 * recycles a Released PV's data. Each runs on a worker of the work queue
 * with no lock of the cluster, from what its job copied, and may be run
 * again from the start after a crash: directories that exist are fine,
 * what is gone needs no deleting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs_i.h"
#include "podvolfs/rmtree.h"
#include "podvolfs/storewalk.h"

const char *provisioner_canonical(const char *name)
{
	if (!strcmp(name, LOCAL) || !strcmp(name, "rancher.io/local-path"))
		return LOCAL;
	return NFS_SUBDIR;
}

/* The value of @key in @kv (@n pairs), or NULL. */
static const char *kv_get(const struct spec_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

/* A parameter of the job's StorageClass, or NULL. */
static const char *param(const struct pjob *j, const char *key)
{
	return kv_get(j->params, j->n_params, key);
}

static void fail(struct pjob *j, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct pjob *j, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
	va_end(ap);
	j->rc = rc;
}

/* A path that goes nowhere unexpected: absolute, no "." or ".." element. */
static bool path_clean(const char *p)
{
	const char *s = p;

	if (*p != '/' || !strcmp(p, "/"))
		return false;
	while (*s) {
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && !strncmp(s, "..", 2)))
			return false;
		s += n;
	}
	return true;
}

/* ---- podvolfs.io/local ---- */

/* mkdir -m 0777 -p: parents as the umask says, the volume exactly 0777. */
static int mkdir_volume(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0777) && errno != EEXIST)
		return -errno;
	if (lstat(buf, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return chmod(buf, 0777) ? -errno : 0;
}

void provision_local(struct pjob *j)
{
	const char *base = param(j, "nodePath");
	char dir[PATH_MAX];
	int rc;

	if (j->selector) {
		fail(j, -EINVAL, "claim.Spec.Selector is not supported");
		return;
	}
	if (j->modes & ~(SPEC_RWO | SPEC_RWOP)) {
		fail(j, -EINVAL, "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes");
		return;
	}
	if (!base)
		base = j->pvs_dir;
	if (!path_clean(base)) {
		fail(j, -EINVAL, "nodePath \"%s\" is not an absolute path, or is \"/\", or has \".\" or \"..\" in it",
		     base);
		return;
	}
	if (snprintf(dir, sizeof(dir), "%s/%s_%s_%s", base, j->pv, j->ns,
		     j->claim) >= (int)sizeof(dir)) {
		fail(j, -ENAMETOOLONG, "%s/%s_%s_%s: %s", base, j->pv, j->ns,
		     j->claim, strerror(ENAMETOOLONG));
		return;
	}
	rc = mkdir_volume(dir);
	if (rc) {
		fail(j, rc, "failed to create volume %s: mkdir %s: %s", j->pv, dir,
		     strerror(-rc));
		return;
	}
	j->out_path = strdup(dir);
	if (!j->out_path)
		fail(j, -ENOMEM, "%s", strerror(ENOMEM));
}

/* ---- podvolfs.io/nfs-subdir ---- */

/*
 * pathPattern: ${.PVC.namespace}, ${.PVC.name}, ${.PVC.labels.KEY} and
 * ${.PVC.annotations.KEY}; anything else is kept as written.
 */
static int expand_pattern(const struct pjob *j, const char *pat, char *out,
			  size_t size)
{
	size_t o = 0;

	while (*pat) {
		const char *end, *v = NULL;
		char key[256];

		if (strncmp(pat, "${.PVC.", 7) || !(end = strchr(pat, '}'))) {
			if (o + 1 >= size)
				return -ENAMETOOLONG;
			out[o++] = *pat++;
			continue;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(end - pat - 7), pat + 7);
		if (!strcmp(key, "namespace"))
			v = j->ns;
		else if (!strcmp(key, "name"))
			v = j->claim;
		else if (!strncmp(key, "labels.", 7))
			v = kv_get(j->labels, j->n_labels, key + 7) ?: "";
		else if (!strncmp(key, "annotations.", 12))
			v = kv_get(j->annotations, j->n_annotations, key + 12) ?: "";
		if (!v) {
			if (o + (size_t)(end + 1 - pat) >= size)
				return -ENAMETOOLONG;
			memcpy(out + o, pat, (size_t)(end + 1 - pat));
			o += (size_t)(end + 1 - pat);
		} else {
			if (o + strlen(v) >= size)
				return -ENAMETOOLONG;
			memcpy(out + o, v, strlen(v));
			o += strlen(v);
		}
		pat = end + 1;
	}
	out[o] = '\0';
	return 0;
}

/* Makes @rel relative and clean: no empty, "." or ".." element. */
static bool rel_clean(char *rel)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "/%s", rel) >= (int)sizeof(tmp))
		return false;
	while (*rel == '/')
		memmove(rel, rel + 1, strlen(rel));
	while (*rel && rel[strlen(rel) - 1] == '/')
		rel[strlen(rel) - 1] = '\0';
	return *rel && path_clean(tmp) && !strstr(rel, "//");
}

static int nfs_connect(struct pjob *j, const char *server, const char *export,
		       struct store **s)
{
	struct nfs_target t = j->nfs;
	char msg[BINDER_REASON_LEN - 64];
	int rc;

	t.server = server;
	t.export = export;
	rc = nfs_target_options(&t, (const char *const *)j->mount_options,
				j->n_mount_options, msg, sizeof(msg));
	if (!rc)
		rc = nfs_store_new(&t, s, msg, sizeof(msg));
	if (rc)
		fail(j, rc, "%s", msg);
	return rc;
}

static const struct store_cred root_cred;

void provision_nfs(struct pjob *j)
{
	const char *server = param(j, "server"), *base = param(j, "path");
	const char *pattern = param(j, "pathPattern");
	const char *on_delete = param(j, "onDelete");
	const char *archive = param(j, "archiveOnDelete");
	char rel[PATH_MAX], *path;
	struct store *s;
	int rc;

	if (j->selector) {
		fail(j, -EINVAL, "claim Selector is not supported");
		return;
	}
	if (!server || !*server || !base || !path_clean(base)) {
		fail(j, -EINVAL, "StorageClass parameters \"server\" and \"path\" (absolute) are required by %s",
		     NFS_SUBDIR);
		return;
	}
	rel[0] = '\0';
	if (pattern && expand_pattern(j, pattern, rel, sizeof(rel))) {
		fail(j, -ENAMETOOLONG, "pathPattern \"%s\": %s", pattern,
		     strerror(ENAMETOOLONG));
		return;
	}
	if (!rel[0] || strspn(rel, "/") == strlen(rel))
		snprintf(rel, sizeof(rel), "%s-%s-%s", j->ns, j->claim, j->pv);
	if (!rel_clean(rel)) {
		fail(j, -EINVAL, "pathPattern \"%s\" gives \"%s\", which leaves the export",
		     pattern ? pattern : "", rel);
		return;
	}
	if (nfs_connect(j, server, base, &s))
		return;
	rc = store_mkdirs(s, rel, 0777, &root_cred, NULL);
	store_unref(s);
	if (rc) {
		fail(j, rc, "unable to create directory to provision new pv: mkdir %s:%s/%s: %s",
		     server, base, rel, strerror(-rc));
		return;
	}
	if (asprintf(&path, "%s%s%s", base,
		     base[strlen(base) - 1] == '/' ? "" : "/", rel) < 0) {
		fail(j, -ENOMEM, "%s", strerror(ENOMEM));
		return;
	}
	j->out_path = path;
	if (on_delete && (!strcmp(on_delete, "delete") ||
			  !strcmp(on_delete, "retain")))
		j->out_on_delete = strdup(on_delete);
	else if (archive && (!strcmp(archive, "false") || !strcmp(archive, "0") ||
			     !strcmp(archive, "f") || !strcmp(archive, "F") ||
			     !strcmp(archive, "FALSE") || !strcmp(archive, "False")))
		j->out_on_delete = strdup("delete");
	else if (archive && strcmp(archive, "true") && strcmp(archive, "1") &&
		 strcmp(archive, "t") && strcmp(archive, "T") &&
		 strcmp(archive, "TRUE") && strcmp(archive, "True"))
		j->out_on_delete = strdup("invalid");
	else
		j->out_on_delete = strdup("archive");
	j->server = strdup(server);
	j->nfs_base = strdup(base);
	if (!j->out_path || !j->out_on_delete || !j->server || !j->nfs_base)
		fail(j, -ENOMEM, "%s", strerror(ENOMEM));
}

/* ---- reclaim ---- */

/* rm -rf of an absolute host path; a missing one is success. */
static int host_remove(const char *path)
{
	char buf[PATH_MAX];
	char *slash;
	int fd, rc;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = '\0';
	fd = open(buf[0] ? buf : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	rc = unlinkat(fd, slash + 1, 0) ? -errno : 0;
	if (rc == -EISDIR)
		rc = rmtree_at(fd, slash + 1);
	close(fd);
	return rc == -ENOENT ? 0 : rc;
}

/* Everything inside the host directory @path goes; the directory stays. */
static int host_clear(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	int rc = 0;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int err;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		err = unlinkat(dirfd(d), de->d_name, 0) ? -errno : 0;
		if (err == -EISDIR)
			err = rmtree_at(dirfd(d), de->d_name);
		if (err && !rc)
			rc = err;
	}
	rewinddir(d);
	while (!rc && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = -ENOTEMPTY;
	closedir(d);
	return rc;
}

/* nfs-subdir's delete: the claim's directory removed, kept or archived. */
static void delete_nfs_subdir(struct pjob *j)
{
	size_t n = strlen(j->nfs_base);
	const char *rel = j->path + n, *name;
	struct snode *dir, *root;
	char archived[NAME_MAX + 1];
	struct store *s;
	int rc;

	if (!strcmp(j->on_delete, "retain"))
		return;
	if (!strcmp(j->on_delete, "invalid")) {
		fail(j, -EINVAL, "archiveOnDelete: strconv.ParseBool: invalid syntax");
		return;
	}
	while (*rel == '/')
		rel++;
	if (strncmp(j->path, j->nfs_base, n) || !*rel) {
		fail(j, -EINVAL, "%s is not below %s", j->path, j->nfs_base);
		return;
	}
	if (nfs_connect(j, j->server, j->nfs_base, &s))
		return;
	rc = store_lookup_parent(s, rel, &dir, &name);
	if (rc == 0) {
		if (!strcmp(j->on_delete, "delete")) {
			rc = store_remove_tree(s, dir, name);
		} else {
			snprintf(archived, sizeof(archived), "archived-%s", name);
			rc = s->ops->root(s, &root);
			if (!rc) {
				rc = s->ops->rename(s, dir, name, root, archived, 0);
				store_put(root);
			}
		}
		store_put(dir);
	}
	/* what is gone already needs no deleting */
	if (rc && rc != -ENOENT)
		fail(j, rc, "%s %s:%s: %s", strcmp(j->on_delete, "delete") ?
		     "cannot archive" : "cannot remove", j->server, j->path,
		     strerror(-rc));
	store_unref(s);
}

static void recycle_nfs(struct pjob *j)
{
	struct snode *root;
	struct store *s;
	int rc;

	if (nfs_connect(j, j->server, j->path, &s))
		return;
	rc = s->ops->root(s, &root);
	if (!rc) {
		rc = store_clear(s, root);
		store_put(root);
	}
	store_unref(s);
	if (rc)
		fail(j, rc, "Recycle failed: %s:%s: %s", j->server, j->path,
		     strerror(-rc));
}

void reclaim_delete(struct pjob *j)
{
	int rc;

	if (j->provisioned && j->type == SPEC_PV_NFS) {
		delete_nfs_subdir(j);
		return;
	}
	if (!j->provisioned && j->type == SPEC_PV_HOSTPATH &&
	    (strncmp(j->path, "/tmp/", 5) || !j->path[5] || !path_clean(j->path))) {
		fail(j, -EPERM, "host_path deleter only supports /tmp/.+ but received provided %s",
		     j->path);
		return;
	}
	if (!j->provisioned && j->type != SPEC_PV_HOSTPATH) {
		fail(j, -EPERM, "error getting deleter volume plugin for volume \"%s\": no deletable volume plugin matched",
		     j->pv);
		return;
	}
	rc = host_remove(j->path);
	if (rc)
		fail(j, rc, "rm -rf %s: %s", j->path, strerror(-rc));
}

void reclaim_recycle(struct pjob *j)
{
	int rc;

	if (j->type == SPEC_PV_NFS) {
		recycle_nfs(j);
		return;
	}
	if (j->type != SPEC_PV_HOSTPATH) {
		fail(j, -EPERM, "No recycler plugin found for the volume!");
		return;
	}
	rc = host_clear(j->path);
	if (rc)
		fail(j, rc, "Recycle failed: %s: %s", j->path, strerror(-rc));
}
