/*
 * test_spec.c - manifests to structs: the good fixtures, every bad fixture,
 * pod identity and directory sources. Run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podvolfs/spec.h"

#define GOOD "tests/fixtures/good/"
#define BAD "tests/fixtures/bad"

struct fixture {
	struct spec_objects objs;
	struct podvolfs_err err;
	struct podvolfs_err warn;
	char dir[64];				/* a scratch directory */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	spec_objects_init(&f->objs);
	err_init(&f->err);
	err_init(&f->warn);
	snprintf(f->dir, sizeof(f->dir), "/tmp/podvolfs-spec-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	spec_objects_free(&f->objs);
	assert_null(f->objs.pods);
	assert_int_equal(f->objs.n_pods, 0);
	assert_int_equal(f->objs.n_notices, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Loads @path in the default mode, Warn, its warnings into f->warn. */
static int load(struct fixture *f, const char *path)
{
	return spec_load_file(path, SPEC_FIELDS_WARN, &f->objs, &f->err,
			      &f->warn);
}

/* Loads @path, which must give neither an error nor a warning. */
static void load_ok(struct fixture *f, const char *path)
{
	char buf[4096];
	int rc = load(f, path);

	err_join(&f->err, buf, sizeof(buf));
	if (rc != 0 || err_isset(&f->err))
		fail_msg("%s: rc %d: %s", path, rc, buf);
	err_join(&f->warn, buf, sizeof(buf));
	if (err_isset(&f->warn))
		fail_msg("%s: warnings: %s", path, buf);
}

static char *scratch_file(struct fixture *f, const char *name,
			  const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static const struct spec_volume *volume(const struct spec_pod *p,
					const char *name)
{
	for (size_t i = 0; i < p->n_volumes; i++)
		if (strcmp(p->volumes[i].name, name) == 0)
			return &p->volumes[i];
	fail_msg("no volume %s", name);
	return NULL;
}

static const char *label(const struct spec_pod *p, const char *key)
{
	for (size_t i = 0; i < p->n_labels; i++)
		if (strcmp(p->labels[i].key, key) == 0)
			return p->labels[i].value;
	return NULL;
}

static void test_spec__fortune(void **state)
{
	struct fixture *f = *state;
	const struct spec_pod *p;
	const struct spec_container *gen, *web;

	load_ok(f, GOOD "fortune.yaml");
	assert_int_equal(f->objs.n_pods, 1);
	p = &f->objs.pods[0];
	assert_string_equal(p->namespace, "default");
	assert_string_equal(p->name, "fortune");
	assert_null(p->owner_kind);
	assert_int_equal(strlen(p->uid), 36);
	assert_string_equal(p->file, GOOD "fortune.yaml");
	assert_int_equal(p->pos.line, 2);
	assert_string_equal(label(p, "app"), "fortune");
	assert_int_equal(p->n_volumes, 1);
	assert_string_equal(p->volumes[0].name, "html");
	assert_int_equal(p->volumes[0].type, SPEC_VOL_EMPTYDIR);
	assert_string_equal(p->volumes[0].source, "emptyDir");
	assert_string_equal(p->volumes[0].empty_dir.medium, "");
	assert_false(p->volumes[0].empty_dir.has_size_limit);
	assert_int_equal(p->volumes[0].pos.line, 25);
	assert_ptr_equal(p->volumes[0].pos.file, p->file);
	assert_int_equal(p->n_containers, 2);
	gen = &p->containers[0];
	web = &p->containers[1];
	assert_string_equal(gen->name, "html-generator");
	assert_false(gen->init);
	assert_int_equal(gen->n_mounts, 1);
	assert_string_equal(gen->mounts[0].name, "html");
	assert_string_equal(gen->mounts[0].mount_path, "/var/htdocs");
	assert_false(gen->mounts[0].read_only);
	assert_string_equal(gen->mounts[0].sub_path, "");
	assert_string_equal(web->name, "web-server");
	assert_string_equal(web->mounts[0].mount_path, "/usr/share/nginx/html");
	assert_true(web->mounts[0].read_only);
	assert_string_equal(web->mounts[0].mount_propagation, "");
}

static void test_spec__memory_emptydir(void **state)
{
	struct fixture *f = *state;
	const struct spec_volume *v;
	const struct spec_pod *p;

	load_ok(f, GOOD "memory-emptydir.yaml");
	p = &f->objs.pods[0];
	assert_string_equal(p->namespace, "team-a");
	assert_true(p->has_fs_group);
	assert_int_equal(p->fs_group, 2000);
	assert_int_equal(p->n_annotations, 1);
	assert_string_equal(p->annotations[0].key, "podvolfs.io/note");
	assert_string_equal(p->annotations[0].value, "tmpfs");
	v = volume(p, "cache");
	assert_string_equal(v->empty_dir.medium, "Memory");
	assert_true(v->empty_dir.has_size_limit);
	assert_int_equal(quantity_value(&v->empty_dir.size_limit), 10485760);
	/* initContainers first */
	assert_string_equal(p->containers[0].name, "warm");
	assert_true(p->containers[0].init);
	assert_string_equal(p->containers[1].name, "app");
	assert_false(p->containers[1].init);
	assert_string_equal(p->containers[1].mounts[0].sub_path, "app");
}

static void test_spec__deployment_replicas(void **state)
{
	struct fixture *f = *state;
	const char *hash;
	char prefix[64];

	load_ok(f, GOOD "deployment.yaml");
	assert_int_equal(f->objs.n_pods, 3);
	hash = label(&f->objs.pods[0], "pod-template-hash");
	assert_non_null(hash);
	assert_in_range(strlen(hash), 8, 10);
	snprintf(prefix, sizeof(prefix), "web-%s-", hash);
	for (size_t i = 0; i < 3; i++) {
		const struct spec_pod *p = &f->objs.pods[i];

		assert_string_equal(p->owner_kind, "Deployment");
		assert_string_equal(p->owner_name, "web");
		assert_string_equal(label(p, "app"), "web");
		assert_string_equal(label(p, "pod-template-hash"), hash);
		assert_int_equal(strlen(p->name), strlen(prefix) + 5);
		assert_memory_equal(p->name, prefix, strlen(prefix));
		/* a volume with only a name is an emptyDir */
		assert_int_equal(p->volumes[0].type, SPEC_VOL_EMPTYDIR);
		assert_string_equal(p->volumes[0].empty_dir.medium, "");
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(p->name, f->objs.pods[j].name);
			assert_string_not_equal(p->uid, f->objs.pods[j].uid);
		}
	}
}

static void test_spec__replicaset_defaults_to_one(void **state)
{
	struct fixture *f = *state;
	const struct spec_pod *p;
	const struct spec_container *ct;

	load_ok(f, GOOD "replicaset.yaml");
	assert_int_equal(f->objs.n_pods, 1);
	p = &f->objs.pods[0];
	assert_string_equal(p->namespace, "ops");
	assert_string_equal(p->owner_kind, "ReplicaSet");
	assert_string_equal(p->owner_name, "logger");
	assert_int_equal(strlen(p->name), strlen("logger-") + 5);
	assert_null(label(p, "pod-template-hash"));
	assert_int_equal(p->volumes[0].type, SPEC_VOL_HOSTPATH);
	assert_string_equal(p->volumes[0].host_path.path, "/var/log/pods");
	assert_string_equal(p->volumes[0].host_path.type, "DirectoryOrCreate");
	ct = &p->containers[0];
	assert_int_equal(ct->n_env, 1);
	assert_string_equal(ct->env[0].name, "POD_NAME");
	assert_null(ct->env[0].value);
	assert_string_equal(ct->env[0].field_path, "metadata.name");
	assert_string_equal(ct->mounts[0].sub_path_expr, "$(POD_NAME)");
}

static void test_spec__multi_document_skips_other_kinds(void **state)
{
	struct fixture *f = *state;

	load_ok(f, GOOD "multi.yaml");
	assert_int_equal(f->objs.n_pods, 1);
	assert_int_equal(f->objs.n_notices, 1);
	assert_string_equal(f->objs.notices[0],
			    GOOD "multi.yaml:2:1: skipping kind \"Service\"");
	assert_int_equal(f->objs.pods[0].pos.line, 12);
}

static void test_spec__every_source(void **state)
{
	struct fixture *f = *state;
	const struct spec_volume *v;
	const struct spec_pod *p;

	load_ok(f, GOOD "all-sources.yaml");
	p = &f->objs.pods[0];
	assert_string_equal(label(p, "tier"), "1");
	v = volume(p, "scratch");
	assert_true(v->empty_dir.has_size_limit);
	assert_int_equal(quantity_value(&v->empty_dir.size_limit), 1024);
	v = volume(p, "host");
	assert_int_equal(v->type, SPEC_VOL_HOSTPATH);
	assert_string_equal(v->host_path.path, "relative/is/allowed");
	assert_string_equal(v->host_path.type, "");
	v = volume(p, "repo");
	assert_int_equal(v->type, SPEC_VOL_GITREPO);
	assert_string_equal(v->git_repo.repository,
			    "https://example.com/repo.git");
	assert_string_equal(v->git_repo.revision, "main");
	assert_string_equal(v->git_repo.directory, ".");
	v = volume(p, "share");
	assert_int_equal(v->type, SPEC_VOL_NFS);
	assert_string_equal(v->nfs.server, "nfs.example.com");
	assert_string_equal(v->nfs.path, "/exports/share");
	assert_true(v->nfs.read_only);
	v = volume(p, "claim");
	assert_int_equal(v->type, SPEC_VOL_PVC);
	assert_string_equal(v->pvc.claim_name, "data");
	assert_false(v->pvc.read_only);
	v = volume(p, "config");
	assert_int_equal(v->type, SPEC_VOL_OTHER);
	assert_string_equal(v->source, "configMap");
	assert_int_equal(p->containers[0].n_mounts, 8);
	assert_string_equal(p->containers[0].env[0].value, "8080");
	assert_string_equal(p->containers[0].mounts[7].sub_path, "..foo");
}

static void test_spec__json_manifest(void **state)
{
	struct fixture *f = *state;
	const struct spec_volume *v;
	char buf[32];

	load_ok(f, GOOD "pod.json");
	v = volume(&f->objs.pods[0], "data");
	quantity_format(&v->empty_dir.size_limit, buf, sizeof(buf));
	assert_string_equal(buf, "1536Mi");
	assert_true(f->objs.pods[0].containers[0].mounts[0].read_only);
}

/* Reads "# expect: " and "# at: " from the first two lines of @path. */
static void read_expectation(const char *path, char *expect, size_t esize,
			     char *at, size_t asize)
{
	char line[1024];
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "# expect: ", 10) != 0)
		fail_msg("%s: first line must be \"# expect: ...\"", path);
	if (strlen(line + 10) >= esize)
		fail_msg("%s: \"# expect:\" is too long", path);
	memcpy(expect, line + 10, strlen(line + 10) + 1);
	assert_non_null(fgets(line, sizeof(line), fp));
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "# at: ", 6) != 0)
		fail_msg("%s: second line must be \"# at: LINE:COL\"", path);
	if (strlen(line + 6) >= asize)
		fail_msg("%s: \"# at:\" is too long", path);
	memcpy(at, line + 6, strlen(line + 6) + 1);
	fclose(fp);
}

static void check_bad_fixture(const char *path)
{
	char expect[1024], at[32], want[1400];
	struct spec_objects objs;
	struct podvolfs_err err;
	int rc;

	read_expectation(path, expect, sizeof(expect), at, sizeof(at));
	spec_objects_init(&objs);
	err_init(&err);
	rc = spec_load_file(path, SPEC_FIELDS_STRICT, &objs, &err, NULL);
	if (rc != -EINVAL)
		fail_msg("%s: rc %d, want -EINVAL", path, rc);
	assert_int_equal(objs.n_pods, 0);
	assert_int_equal(objs.n_notices, 0);
	assert_true(err.count >= 1);
	snprintf(want, sizeof(want), "%s:%s: %s", path, at, expect);
	if (strcmp(err.msg[0], want) != 0)
		fail_msg("%s:\n got: %s\nwant: %s", path, err.msg[0], want);
	spec_objects_free(&objs);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_spec__bad_fixtures(void **state)
{
	DIR *d = opendir(BAD);
	struct dirent *e;
	char *names[256];
	size_t n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) && n < 256) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 ||
		    strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		assert_true(asprintf(&names[n++], BAD "/%s", e->d_name) > 0);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	assert_true(n >= 25);
	for (size_t i = 0; i < n; i++) {
		check_bad_fixture(names[i]);
		free(names[i]);
	}
}

static void test_spec__file_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;

	load_ok(f, GOOD "fortune.yaml");
	assert_int_equal(load(f, BAD "/second-document-bad.yaml"), -EINVAL);
	assert_int_equal(f->objs.n_pods, 1);
	assert_string_equal(f->objs.pods[0].name, "fortune");
}

static void test_spec__errors_name_every_problem(void **state)
{
	struct fixture *f = *state;
	const char *path = scratch_file(f, "two.yaml",
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata: {name: p}\n"
		"spec:\n"
		"  containers:\n"
		"  - name: app\n"
		"    image: busybox\n"
		"    volumeMounts:\n"
		"    - {name: bad, mountPath: /a}\n"
		"  volumes:\n"
		"  - name: bad\n"
		"    hostPath: {path: /a, type: Nope}\n");
	char want[512];

	assert_int_equal(load(f, path), -EINVAL);
	assert_int_equal(f->err.count, 2);
	/* the failed volume is left out, so the mount cannot find it */
	snprintf(want, sizeof(want),
		 "%s:9:14: spec.containers[0].volumeMounts[0].name: Not found: \"bad\"",
		 path);
	assert_string_equal(f->err.msg[1], want);
}

/* An unknown or repeated key in a volume: one error, and its mounts still find it. */
static void test_spec__key_errors_leave_the_volume(void **state)
{
	struct fixture *f = *state;
	const char *path = scratch_file(f, "dup.yaml",
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata: {name: p}\n"
		"spec:\n"
		"  containers:\n"
		"  - name: app\n"
		"    image: busybox\n"
		"    volumeMounts:\n"
		"    - {name: logs, mountPath: /a}\n"
		"  volumes:\n"
		"  - name: logs\n"
		"    hostPath: {path: /a, path: /b}\n");
	char want[512];

	assert_int_equal(spec_load_file(BAD "/unknown-field-emptydir.yaml",
					SPEC_FIELDS_STRICT, &f->objs, &f->err,
					NULL), -EINVAL);
	assert_int_equal(f->err.count, 1);
	assert_string_equal(f->err.msg[0], BAD "/unknown-field-emptydir.yaml:17:7: "
			    "unknown field \"spec.volumes[0].emptyDir.foo\"");
	err_init(&f->err);
	assert_int_equal(load(f, path), -EINVAL);
	assert_int_equal(f->err.count, 1);
	snprintf(want, sizeof(want),
		 "%s:12:26: duplicate field \"spec.volumes[0].hostPath.path\"",
		 path);
	assert_string_equal(f->err.msg[0], want);
}

static const char pod_text[] =
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata:\n"
	"  name: p\n"
	"  labels: {v: \"%s\"}\n"
	"spec:\n"
	"  containers:\n"
	"  - name: app\n"
	"    image: %s\n";

static void load_pod_text(struct fixture *f, const char *label_value,
			  const char *image, char *uid)
{
	char text[512];
	const char *path;

	snprintf(text, sizeof(text), pod_text, label_value, image);
	path = scratch_file(f, "p.yaml", text);
	load_ok(f, path);
	snprintf(uid, 37, "%s", f->objs.pods[f->objs.n_pods - 1].uid);
}

static void test_spec__uid_follows_the_spec(void **state)
{
	struct fixture *f = *state;
	char a[37], b[37], c[37], d[37];

	load_pod_text(f, "1", "busybox", a);
	load_pod_text(f, "1", "busybox", b);
	load_pod_text(f, "2", "busybox", c);
	load_pod_text(f, "1", "alpine", d);
	/* same manifest, same pod; labels are not the spec; new spec, new pod */
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_string_not_equal(a, d);
}

static void test_spec__replicas_zero_and_limits(void **state)
{
	struct fixture *f = *state;
	const char *path = scratch_file(f, "zero.yaml",
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata: {name: idle}\n"
		"spec:\n"
		"  replicas: 0\n"
		"  selector: {matchLabels: {app: idle}}\n"
		"  template:\n"
		"    metadata: {labels: {app: idle}}\n"
		"    spec:\n"
		"      containers: [{name: c, image: busybox}]\n");

	load_ok(f, path);
	assert_int_equal(f->objs.n_pods, 0);
	/* a template is validated even when no pod is made from it */
	path = scratch_file(f, "zero-bad.yaml",
		"apiVersion: apps/v1\n"
		"kind: ReplicaSet\n"
		"metadata: {name: idle}\n"
		"spec:\n"
		"  replicas: 0\n"
		"  template:\n"
		"    spec:\n"
		"      containers: [{name: C, image: busybox}]\n");
	assert_int_equal(load(f, path), -EINVAL);
	assert_non_null(strstr(f->err.msg[0], "spec.template.spec.containers[0].name: Invalid value: \"C\""));
}

static void test_spec__source_directory(void **state)
{
	struct fixture *f = *state;
	char want[256];

	assert_int_equal(spec_load_source("tests/fixtures/good",
					  SPEC_FIELDS_WARN, &f->objs, &f->err,
					  &f->warn), 0);
	/* multi.yaml's "fortune" comes after fortune.yaml's and is left out */
	assert_int_equal(f->err.count, 1);
	snprintf(want, sizeof(want),
		 "%s:12:1: metadata.name: Duplicate value: \"fortune\": pod \"default/fortune\" is already defined in %s",
		 GOOD "multi.yaml", GOOD "fortune.yaml");
	assert_string_equal(f->err.msg[0], want);
	assert_int_equal(f->objs.n_pods, 11);
	assert_string_equal(f->objs.pods[0].name, "everything");
	assert_int_equal(f->objs.n_notices, 2);
}

static void test_spec__source_skips_hidden_and_failing(void **state)
{
	struct fixture *f = *state;

	scratch_file(f, ".hidden.yaml", "not: [valid");
	scratch_file(f, "notes.txt", "not: [valid");
	scratch_file(f, "b.yml", "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: i}]}\n");
	scratch_file(f, "a.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}}");
	scratch_file(f, "c.yaml", "kind: Pod\nbroken: [\n");
	assert_int_equal(spec_load_source(f->dir,
					  SPEC_FIELDS_WARN, &f->objs, &f->err,
					  &f->warn), 0);
	assert_int_equal(f->objs.n_pods, 2);
	assert_string_equal(f->objs.pods[0].name, "a");
	assert_string_equal(f->objs.pods[1].name, "b");
	assert_int_equal(f->err.count, 1);
	assert_non_null(strstr(f->err.msg[0], "/c.yaml:3:1: "));
}

/* A comment line of 64 bytes, to pad files to a size. */
static const char line64[] =
	"# 3456789012345678901234567890123456789012345678901234567890123\n";

_Static_assert(sizeof(line64) == 65, "line64 must be 64 bytes long");

/* A Pod "p" whose metadata ends with @meta and whose spec ends with @spec. */
static char *pod_with(const char *meta, const char *spec)
{
	char *text;

	assert_true(asprintf(&text,
			     "apiVersion: v1\n"
			     "kind: Pod\n"
			     "metadata:\n"
			     "  name: p\n"
			     "%s"
			     "spec:\n"
			     "  containers: [{name: app, image: busybox}]\n"
			     "%s", meta, spec) > 0);
	return text;
}

/* "    k0: v\n" ... for @n keys, @first with an extra line "  @first:\n". */
static char *keys_text(const char *first, size_t n)
{
	char *text;
	size_t len;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	fprintf(fp, "  %s:\n", first);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "    k%zu: v\n", i);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static char *repeat_text(const char *head, const char *unit, size_t n,
			 const char *tail)
{
	char *text;
	size_t len;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	fputs(head, fp);
	for (size_t i = 0; i < n; i++)
		fputs(unit, fp);
	fputs(tail, fp);
	assert_int_equal(fclose(fp), 0);
	return text;
}

/* Loads @text as @name: -EINVAL, with @want ("LINE:COL: ...") first. */
static void load_refused(struct fixture *f, const char *name, char *text,
			 const char *want)
{
	const char *path = scratch_file(f, name, text);
	char full[1024];

	free(text);
	assert_int_equal(load(f, path), -EINVAL);
	assert_int_equal(f->objs.n_pods, 0);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	assert_string_equal(f->err.msg[0], full);
	err_init(&f->err);
}

static void load_text_ok(struct fixture *f, const char *name, char *text)
{
	const char *path = scratch_file(f, name, text);

	free(text);
	load_ok(f, path);
}

/* Every limit lets through what is at it, and the exact pod comes out. */
static void test_spec__limits_allow_their_edge(void **state)
{
	struct fixture *f = *state;
	char *big = repeat_text("", "x", (1 << 20) - 2, "");
	char *meta = keys_text("labels", 10000), *ann;

	load_text_ok(f, "labels.yaml", pod_with(meta, ""));
	free(meta);
	assert_int_equal(f->objs.pods[0].n_labels, 10000);
	assert_string_equal(f->objs.pods[0].labels[9999].key, "k9999");
	/* a quoted scalar of 1 MiB: its quotes are not part of it */
	assert_true(asprintf(&ann, "  annotations: {big: \"x%s\"}\n", big) > 0);
	free(big);
	load_text_ok(f, "scalar.yaml", pod_with(ann, ""));
	free(ann);
	assert_int_equal(strlen(f->objs.pods[1].annotations[0].value),
			 (1 << 20) - 1);
	/* the root, spec and 98 lists: 100 levels */
	big = repeat_text("  affinity: ", "[", 98, "");
	meta = repeat_text(big, "]", 98, "\n");
	free(big);
	load_text_ok(f, "deep.yaml", pod_with("", meta));
	free(meta);
	/* a file of exactly 3 MiB: a pod, then lines of 64 bytes */
	meta = pod_with("", "");
	big = repeat_text(meta, line64, ((3 << 20) - strlen(meta)) / 64, "");
	assert_true(strlen(big) <= 3 << 20);
	free(meta);
	meta = repeat_text(big, "#", (3 << 20) - strlen(big), "");
	free(big);
	assert_int_equal(strlen(meta), 3 << 20);
	load_text_ok(f, "size.yaml", meta);
	assert_int_equal(f->objs.n_pods, 4);
}

/* One past each limit checked as a stream: refused at the exact spot. */
static void test_spec__limits_refuse_past_the_edge(void **state)
{
	struct fixture *f = *state;
	char *meta = keys_text("labels", 10001), *text, *big;

	load_refused(f, "labels.yaml", pod_with(meta, ""),
		     "10006:5: metadata.labels: Too many: must have at most 10000 keys (a podvolfs limit)");
	free(meta);
	big = repeat_text("", "x", 1 << 20, "");
	assert_true(asprintf(&meta, "  annotations:\n    app.kubernetes.io/big: \"x%s\"\n",
			     big) > 0);
	free(big);
	load_refused(f, "scalar.yaml", pod_with(meta, ""),
		     "6:28: metadata.annotations[app.kubernetes.io/big]: Too long: may not be more than 1048576 bytes (a podvolfs limit)");
	free(meta);
	/* 200,001 nodes: the root, "x", the list and 199,998 items */
	text = repeat_text("x: [", "0,", 199998, "]\n");
	load_refused(f, "nodes.yaml", text,
		     "1:399999: document has more than 200000 nodes (a podvolfs limit)");
	/* six documents of 199,999 nodes: the sixth one's fifth item crosses */
	big = repeat_text("---\n[", "0,", 199997, "0]\n");
	text = repeat_text("", big, 6, "");
	free(big);
	load_refused(f, "file-nodes.yaml", text,
		     "12:10: file has more than 1000000 nodes (a podvolfs limit)");
	/* lines of 64 bytes: the first byte past 3 MiB starts line 49153 */
	text = repeat_text("", line64, (3 << 20) / 64 + 1, "");
	load_refused(f, "size.yaml", text,
		     "49153:1: file is larger than 3145728 bytes (3 MiB, the apiserver's limit on a request)");
}

/* A duplicate among many keys is found, without comparing every pair. */
static void test_spec__duplicate_among_many_keys(void **state)
{
	struct fixture *f = *state;
	char *meta = keys_text("labels", 9999), *text;

	assert_true(asprintf(&text, "%s    k42: again\n", meta) > 0);
	free(meta);
	load_refused(f, "dup.yaml", pod_with(text, ""),
		     "10005:5: duplicate field \"metadata.labels.k42\"");
	free(text);
}

/* kubectl get -o yaml's List: each item is a document of its own. */
static void test_spec__list_items_are_documents(void **state)
{
	struct fixture *f = *state;
	const struct spec_pod *p;

	load_ok(f, GOOD "list.yaml");
	assert_int_equal(f->objs.n_pods, 3);
	assert_int_equal(f->objs.n_notices, 1);
	assert_string_equal(f->objs.notices[0],
			    GOOD "list.yaml:114:3: skipping kind \"Service\"");
	p = &f->objs.pods[0];
	assert_string_equal(p->namespace, "shop");
	assert_string_equal(p->name, "cart");
	assert_string_equal(p->list_item, "items[0]");
	assert_int_equal(p->pos.line, 5);
	assert_int_equal(p->pos.col, 3);
	assert_int_equal(volume(p, "data")->type, SPEC_VOL_EMPTYDIR);
	assert_string_equal(volume(p, "kube-api-access-7xq2m")->source,
			    "projected");
	for (size_t i = 1; i < 3; i++) {
		p = &f->objs.pods[i];
		assert_string_equal(p->owner_kind, "Deployment");
		assert_string_equal(p->owner_name, "web");
		assert_string_equal(p->list_item, "items[1]");
		assert_non_null(label(p, "pod-template-hash"));
		assert_int_equal(quantity_value(&volume(p, "cache")->empty_dir.size_limit),
				 16 << 20);
	}
}

static const char list_pod[] =
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata: {name: p}\n"
	"spec:\n"
	"  containers: [{name: app, image: busybox}]\n"
	"  volumes: [{name: data}]\n";

/* The same object in a List or in a document: the same pod, the same UID. */
static void test_spec__list_item_is_the_same_pod(void **state)
{
	struct fixture *f = *state;
	char *text;

	load_ok(f, scratch_file(f, "pod.yaml", list_pod));
	assert_true(asprintf(&text,
			     "{apiVersion: v1, kind: List, items: [\n"
			     "{apiVersion: v1, kind: Pod, metadata: {name: p},\n"
			     " spec: {containers: [{name: app, image: busybox}],\n"
			     "        volumes: [{name: data}]}}]}\n") > 0);
	load_text_ok(f, "list.yaml", text);
	assert_int_equal(f->objs.n_pods, 2);
	assert_string_equal(f->objs.pods[0].list_item, "");
	assert_string_equal(f->objs.pods[1].list_item, "items[0]");
	assert_string_equal(f->objs.pods[0].uid, f->objs.pods[1].uid);
}

/* A List among a List's items is flattened, as kubectl does. */
static void test_spec__list_in_list_is_flattened(void **state)
{
	static const char text[] =
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- apiVersion: v1\n"
		"  kind: List\n"
		"  items:\n"
		"  - {apiVersion: v1, kind: Pod, metadata: {name: p},\n"
		"     spec: {containers: [{name: app, image: busybox}]}}\n"
		"  - {apiVersion: v1, kind: Pod, metadata: {name: %s},\n"
		"     spec: {containers: [{name: app, image: busybox}]}}\n"
		"- {apiVersion: v1, kind: Pod, metadata: {name: r},\n"
		"   spec: {containers: [{name: app, image: busybox}]}}\n";
	struct fixture *f = *state;
	char buf[sizeof(text) + 8];

	snprintf(buf, sizeof(buf), text, "q");
	assert_int_equal(load(f, scratch_file(f, "nested.yaml", buf)), 0);
	assert_int_equal(f->objs.n_pods, 3);
	assert_string_equal(f->objs.pods[0].list_item, "items[0].items[0]");
	assert_string_equal(f->objs.pods[1].name, "q");
	assert_string_equal(f->objs.pods[1].list_item, "items[0].items[1]");
	assert_string_equal(f->objs.pods[2].list_item, "items[1]");

	snprintf(buf, sizeof(buf), text, "Q");
	assert_int_equal(load(f, scratch_file(f, "bad.yaml", buf)), -EINVAL);
	assert_int_equal(f->err.count, 1);
	assert_non_null(strstr(f->err.msg[0],
			       "items[0].items[1].metadata.name: Invalid value: \"Q\""));
}

/* A List's own fields, its items and their errors, each on its path. */
static void test_spec__list_errors_name_the_item(void **state)
{
	struct fixture *f = *state;
	const char *path = scratch_file(f, "list.yaml",
		"apiVersion: apps/v1\n"
		"kind: List\n"
		"metadata: {resourceVersion: \"\"}\n"
		"items:\n"
		"- just text\n"
		"- apiVersion: v1\n"
		"  metadata: {name: nokind}\n"
		"- apiVersion: v1\n"
		"  kind: Pod\n"
		"  metadata: {name: p}\n"
		"  spec: {containers: [{name: app, image: busybox}]}\n"
		"- apiVersion: v1\n"
		"  kind: Pod\n"
		"  metadata: {name: p}\n"
		"  spec: {containers: [{name: app, image: busybox}]}\n"
		"---\n"
		"kind: List\n"
		"apiVersion: v1\n"
		"items: {}\n");
	static const char *const want[] = {
		"1:13: no matches for kind \"List\" in version \"apps/v1\" (podvolfs reads it as apiVersion \"v1\")",
		"5:3: items[0]: Invalid value: \"just text\": expected a mapping",
		"6:3: items[1].kind: Required value",
		"19:8: items: Invalid value: a mapping: expected a list",
	};
	char full[512];

	assert_int_equal(load(f, path), -EINVAL);
	assert_int_equal(f->err.count, 4);
	for (size_t i = 0; i < 4; i++) {
		snprintf(full, sizeof(full), "%s:%s", path, want[i]);
		assert_string_equal(f->err.msg[i], full);
	}
	/* two pods of one List with one name: the second is named by its item */
	err_init(&f->err);
	path = scratch_file(f, "twice.yaml",
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- {apiVersion: v1, kind: Pod, metadata: {name: p},\n"
		"   spec: {containers: [{name: app, image: busybox}]}}\n"
		"- {apiVersion: v1, kind: Pod, metadata: {name: p},\n"
		"   spec: {containers: [{name: app, image: busybox}]}}\n");
	assert_int_equal(load(f, path), -EINVAL);
	assert_int_equal(f->err.count, 1);
	snprintf(full, sizeof(full),
		 "%s:6:3: items[1].metadata.name: Duplicate value: \"p\"", path);
	assert_string_equal(f->err.msg[0], full);
}

/*
 * Each item counts as a document against the file's limit, and a
 * Deployment's replicas are copies of its item, not of the whole List.
 */
static void test_spec__list_limits(void **state)
{
	struct fixture *f = *state;
	const char *item = "- {apiVersion: v1, kind: ConfigMap}\n";
	char *text, *big;

	text = repeat_text("apiVersion: v1\nkind: List\nitems:\n", item, 1000, "");
	load_text_ok(f, "1000.yaml", text);
	assert_int_equal(f->objs.n_notices, 1000);
	spec_objects_free(&f->objs);
	text = repeat_text("apiVersion: v1\nkind: List\nitems:\n", item, 1001, "");
	load_refused(f, "1001.yaml", text,
		     "1004:3: file has more than 1000 documents, each item of a List counting as one (a podvolfs limit)");
	/* 100,000 nodes of a ConfigMap, then 2,000 replicas of 24 nodes */
	big = repeat_text("apiVersion: v1\nkind: List\nitems:\n"
			  "- {apiVersion: v1, kind: ConfigMap, data: [", "0,", 100000,
			  "]}\n");
	text = repeat_text(big,
			   "- apiVersion: apps/v1\n"
			   "  kind: ReplicaSet\n"
			   "  metadata: {name: rs}\n"
			   "  spec:\n"
			   "    replicas: 2000\n"
			   "    template: {spec: {containers: [{name: app, image: busybox}]}}\n",
			   1, "");
	free(big);
	load_text_ok(f, "replicas.yaml", text);
	assert_int_equal(f->objs.n_pods, 2000);
}

static const char unknown_fields[] =
	"apiVersion: v1\n"
	"kind: List\n"
	"metadata: {resourceVersion: \"\", selfLinks: x}\n"
	"extra: 1\n"
	"items:\n"
	"- apiVersion: v1\n"
	"  kind: Pod\n"
	"  metadata: {name: p}\n"
	"  spec:\n"
	"    containers:\n"
	"    - name: app\n"
	"      image: busybox\n"
	"      volumeMounts: [{name: data, mountPath: /data}]\n"
	"    volumes:\n"
	"    - name: data\n"
	"      emptyDir: {sizelimit: 1Mi}\n";

/* @e holds exactly the three problems of unknown_fields[] in @path. */
static void assert_unknown_fields(const struct podvolfs_err *e,
				  const char *path)
{
	static const char *const want[] = {
		"4:1: unknown field \"extra\"",
		"3:33: unknown field \"metadata.selfLinks\"",
		"16:18: unknown field \"items[0].spec.volumes[0].emptyDir.sizelimit\"",
	};
	char full[512];

	assert_int_equal(e->count, 3);
	for (size_t i = 0; i < 3; i++) {
		snprintf(full, sizeof(full), "%s:%s", path, want[i]);
		assert_string_equal(e->msg[i], full);
	}
}

/* Unknown fields: warnings and served, errors and refused, or nothing. */
static void test_spec__unknown_fields_by_mode(void **state)
{
	struct fixture *f = *state;
	const char *path = scratch_file(f, "loose.yaml", unknown_fields);
	const struct spec_pod *p;

	assert_int_equal(load(f, path), 0);
	assert_int_equal(f->err.count, 0);
	assert_unknown_fields(&f->warn, path);
	assert_int_equal(f->objs.n_pods, 1);
	p = &f->objs.pods[0];
	assert_int_equal(volume(p, "data")->type, SPEC_VOL_EMPTYDIR);
	assert_false(volume(p, "data")->empty_dir.has_size_limit);
	assert_string_equal(p->containers[0].mounts[0].name, "data");
	spec_objects_free(&f->objs);
	err_init(&f->warn);

	assert_int_equal(spec_load_file(path, SPEC_FIELDS_STRICT, &f->objs,
					&f->err, &f->warn), -EINVAL);
	assert_unknown_fields(&f->err, path);
	assert_int_equal(f->warn.count, 0);
	assert_int_equal(f->objs.n_pods, 0);
	err_init(&f->err);

	assert_int_equal(spec_load_file(path, SPEC_FIELDS_IGNORE, &f->objs,
					&f->err, &f->warn), 0);
	assert_int_equal(f->err.count, 0);
	assert_int_equal(f->warn.count, 0);
	assert_int_equal(f->objs.n_pods, 1);
	spec_objects_free(&f->objs);

	/* a source directory reads its files the same way */
	assert_int_equal(spec_load_source(f->dir, SPEC_FIELDS_STRICT, &f->objs,
					  &f->err, &f->warn), 0);
	assert_int_equal(f->objs.n_pods, 0);
	assert_int_equal(f->err.count, 3);
	err_init(&f->err);
	assert_int_equal(spec_load_source(f->dir, SPEC_FIELDS_WARN, &f->objs,
					  &f->err, &f->warn), 0);
	assert_int_equal(f->objs.n_pods, 1);
	assert_int_equal(f->err.count, 0);
	assert_unknown_fields(&f->warn, path);
}

/* A repeated key is an error whatever the mode. */
static void test_spec__duplicate_field_in_every_mode(void **state)
{
	static const enum spec_field_validation modes[] = {
		SPEC_FIELDS_WARN, SPEC_FIELDS_STRICT, SPEC_FIELDS_IGNORE,
	};
	struct fixture *f = *state;
	const char *path = BAD "/duplicate-field.yaml";

	for (size_t i = 0; i < 3; i++) {
		err_init(&f->err);
		assert_int_equal(spec_load_file(path, modes[i], &f->objs,
						&f->err, &f->warn), -EINVAL);
		assert_int_equal(f->err.count, 1);
		assert_string_equal(f->err.msg[0], BAD "/duplicate-field.yaml:7:3: "
				    "duplicate field \"metadata.name\"");
		assert_int_equal(f->warn.count, 0);
		assert_int_equal(f->objs.n_pods, 0);
	}
}

/* A workload's template is decoded once per replica, but warns once. */
static void test_spec__template_warns_once(void **state)
{
	struct fixture *f = *state;
	const char *path = scratch_file(f, "rs.yaml",
		"apiVersion: apps/v1\n"
		"kind: ReplicaSet\n"
		"metadata: {name: rs}\n"
		"spec:\n"
		"  replicas: 3\n"
		"  template:\n"
		"    spec:\n"
		"      containers: [{name: app, image: busybox, imagePolicy: Always}]\n");
	char want[512];

	assert_int_equal(load(f, path), 0);
	assert_int_equal(f->objs.n_pods, 3);
	assert_int_equal(f->warn.count, 1);
	snprintf(want, sizeof(want),
		 "%s:8:48: unknown field \"spec.template.spec.containers[0].imagePolicy\"",
		 path);
	assert_string_equal(f->warn.msg[0], want);
}

/*
 * Keys are any text: a newline in one, echoed in a message, is escaped as
 * Go's %q escapes it, so that the message stays one line in a log.
 */
static void test_spec__messages_are_one_line(void **state)
{
	struct fixture *f = *state;
	const char *path = scratch_file(f, "keys.json",
		"{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n"
		" \"metadata\": {\"name\": \"p\", \"a\\nb\": 1,\n"
		"  \"labels\": {\"c\\u001bd\": [1]}},\n"
		" \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"i\"}]}}\n");
	char want[512];

	assert_int_equal(load(f, path), -EINVAL);
	assert_int_equal(f->warn.count, 1);
	snprintf(want, sizeof(want), "%s:2:28: unknown field \"metadata.a\\nb\"",
		 path);
	assert_string_equal(f->warn.msg[0], want);
	assert_int_equal(f->err.count, 1);
	snprintf(want, sizeof(want),
		 "%s:3:26: metadata.labels[c\\x1bd]: Invalid value: a list: expected a string",
		 path);
	assert_string_equal(f->err.msg[0], want);
}

static void test_spec__missing_source(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(spec_load_source("tests/fixtures/nope",
					  SPEC_FIELDS_WARN, &f->objs, &f->err,
					  &f->warn), -ENOENT);
	assert_string_equal(f->err.msg[0],
			    "tests/fixtures/nope: No such file or directory");
	assert_int_equal(load(f, "tests/fixtures/good"), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_spec__fortune),
		T(test_spec__memory_emptydir),
		T(test_spec__deployment_replicas),
		T(test_spec__replicaset_defaults_to_one),
		T(test_spec__multi_document_skips_other_kinds),
		T(test_spec__every_source),
		T(test_spec__json_manifest),
		T(test_spec__list_items_are_documents),
		T(test_spec__list_item_is_the_same_pod),
		T(test_spec__list_errors_name_the_item),
		T(test_spec__list_in_list_is_flattened),
		T(test_spec__list_limits),
		T(test_spec__unknown_fields_by_mode),
		T(test_spec__duplicate_field_in_every_mode),
		T(test_spec__template_warns_once),
		T(test_spec__bad_fixtures),
		T(test_spec__file_is_all_or_nothing),
		T(test_spec__errors_name_every_problem),
		T(test_spec__key_errors_leave_the_volume),
		T(test_spec__uid_follows_the_spec),
		T(test_spec__replicas_zero_and_limits),
		T(test_spec__source_directory),
		T(test_spec__source_skips_hidden_and_failing),
		T(test_spec__limits_allow_their_edge),
		T(test_spec__limits_refuse_past_the_edge),
		T(test_spec__duplicate_among_many_keys),
		T(test_spec__missing_source),
		T(test_spec__messages_are_one_line),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
