/*
 * subpath.c - fuzzes how a container sees its volumes: the environment,
 * $(VAR) and subPathExpr expansion, clean mountPaths and the subPath rules
 * (views.h, and the containers' preparation of src/cluster/views.c).
 *
 * The input is a pod written one line per item, the first byte saying what
 * the rest is:
 *
 *   P name    N namespace    U uid       the pod (default web-0, team, u-1)
 *   L k=v     A k=v                      a label, an annotation
 *   C name    I name                     a container, an init container
 *   E NAME=value    F NAME=fieldPath     an env var of the current container
 *   M mountPath|subPath|subPathExpr      a mount of volume "v" in it
 *
 * (a container "c" is there before the first line; other lines are
 * ignored). Beyond not crashing:
 *
 *   - the environment gives every name its last definition, within the
 *     execve limits, and a value without '$' is kept as written;
 *   - expand_refs() honours its bound exactly: a result of N bytes comes
 *     with a bound of N, and a bound of N - 1 gives E2BIG;
 *   - subPathExpr expands within PATH_MAX, or says why not;
 *   - mount_path_clean() gives a clean absolute path, is idempotent and
 *     agrees with path_clean() (gitrepo.h) on the path with "/" in front;
 *   - a prepared mount that kubelet would start has a relative subPath
 *     without "..", and every other mount of a started container says why.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "podvolfs/gitrepo.h"
#include "podvolfs/views.h"
#include "../src/cluster/cluster_i.h"
#include "../src/spec/spec_i.h"

struct input {
	struct spec_pod pod;
	struct spec_kv *labels, *annotations;
	struct spec_container *containers;
	struct spec_env *env;
	struct spec_volume_mount *mounts;
};

static char volume_name[] = "v";
static char none[] = "";

/* "key=value" cut at its first '='; no '=' makes the value "". */
static void kv_cut(char *s, char **key, char **value)
{
	char *eq = strchr(s, '=');

	*key = s;
	*value = none;
	if (eq) {
		*eq = '\0';
		*value = eq + 1;
	}
}

static void mount_add(struct input *in, char *spec)
{
	struct spec_container *c = &in->containers[in->pod.n_containers - 1];
	struct spec_volume_mount *m = &c->mounts[c->n_mounts++];
	char *parts[3] = { none, none, none };

	fuzz_split(spec, '|', parts, 3);
	m->name = volume_name;
	m->mount_path = parts[0];
	m->sub_path = parts[1];
	m->sub_path_expr = parts[2];
	m->mount_propagation = none;
}

static void env_add(struct input *in, char *spec, bool field)
{
	struct spec_container *c = &in->containers[in->pod.n_containers - 1];
	struct spec_env *e = &c->env[c->n_env++];
	char *value;

	kv_cut(spec, &e->name, &value);
	e->value = field ? NULL : value;
	e->field_path = field ? value : NULL;
}

/* The next container starts where the last one's env and mounts end. */
static void container_add(struct input *in, char *name, bool init)
{
	struct spec_container *c = &in->containers[in->pod.n_containers];

	if (in->pod.n_containers) {
		const struct spec_container *prev = c - 1;

		c->env = prev->env + prev->n_env;
		c->mounts = prev->mounts + prev->n_mounts;
	} else {
		c->env = in->env;
		c->mounts = in->mounts;
	}
	c->name = name;
	c->init = init;
	in->pod.n_containers++;
}

static void line_add(struct input *in, char *line)
{
	struct spec_pod *p = &in->pod;
	char *rest = line[0] ? line + 1 : line;

	switch (line[0]) {
	case 'P': p->name = rest; break;
	case 'N': p->namespace = rest; break;
	case 'U': p->uid = rest; break;
	case 'L':
		kv_cut(rest, &in->labels[p->n_labels].key,
		       &in->labels[p->n_labels].value);
		p->n_labels++;
		break;
	case 'A':
		kv_cut(rest, &in->annotations[p->n_annotations].key,
		       &in->annotations[p->n_annotations].value);
		p->n_annotations++;
		break;
	case 'C': container_add(in, rest, false); break;
	case 'I': container_add(in, rest, true); break;
	case 'E': env_add(in, rest, false); break;
	case 'F': env_add(in, rest, true); break;
	case 'M': mount_add(in, rest); break;
	default: break;
	}
}

/* Builds the pod of @text (cut in place); every array has room for every line. */
static void input_parse(struct input *in, char *text)
{
	static char pod_name[] = "web-0", ns[] = "team", uid[] = "u-1",
		    first[] = "c";
	size_t lines = 1;
	char **line;

	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	line = fuzz_malloc(lines * sizeof(*line));
	memset(in, 0, sizeof(*in));
	in->labels = fuzz_malloc(lines * sizeof(*in->labels));
	in->annotations = fuzz_malloc(lines * sizeof(*in->annotations));
	in->containers = fuzz_malloc((lines + 1) * sizeof(*in->containers));
	memset(in->containers, 0, (lines + 1) * sizeof(*in->containers));
	in->env = fuzz_malloc(lines * sizeof(*in->env));
	in->mounts = fuzz_malloc(lines * sizeof(*in->mounts));
	memset(in->mounts, 0, lines * sizeof(*in->mounts));
	in->pod.name = pod_name;
	in->pod.namespace = ns;
	in->pod.uid = uid;
	in->pod.labels = in->labels;
	in->pod.annotations = in->annotations;
	in->pod.containers = in->containers;
	container_add(in, first, false);
	lines = fuzz_split(text, '\n', line, lines);
	for (size_t i = 0; i < lines; i++)
		line_add(in, line[i]);
	free(line);
}

static void input_free(struct input *in)
{
	free(in->labels);
	free(in->annotations);
	free(in->containers);
	free(in->env);
	free(in->mounts);
}

static const char *keep_all(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

static const char *two_bytes(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return "xy";
}

/* expand_refs() with @fn, then with the bound at the result's length and one below. */
static void bound_check(const char *s, expand_fn fn)
{
	char *full = expand_refs(s, fn, NULL, SIZE_MAX), *again;
	size_t len;

	FUZZ_CHECK(full, "expand_refs(\"%s\") failed unbounded", s);
	len = strlen(full);
	if (fn == keep_all)
		FUZZ_CHECK(len <= strlen(s), "\"%s\" grew to \"%s\" with nothing to expand",
			   s, full);
	again = expand_refs(s, fn, NULL, len);
	FUZZ_CHECK(again && !strcmp(again, full),
		   "\"%s\" does not expand within its own length %zu", s, len);
	free(again);
	if (len) {
		errno = 0;
		again = expand_refs(s, fn, NULL, len - 1);
		FUZZ_CHECK(!again && errno == E2BIG,
			   "\"%s\" expands to %zu bytes within %zu", s, len,
			   len - 1);
	}
	free(full);
}

/* The value @name must have: that of its last definition. */
static const char *last_value(const struct container_env *env,
			      const char *name)
{
	for (size_t i = env->n; i-- > 0;)
		if (!strcmp(env->vars[i].name, name))
			return env->vars[i].value;
	return NULL;
}

static void env_check(const struct spec_pod *p, const struct spec_container *c,
		      const struct container_env *env)
{
	FUZZ_CHECK(env->n == c->n_env && env->size <= ENV_MAX,
		   "%zu of %zu variables, %zu bytes", env->n, c->n_env,
		   env->size);
	for (size_t i = 0; i < env->n; i++) {
		const struct env_var *v = &env->vars[i];
		const struct spec_env *e = &c->env[i];

		FUZZ_CHECK(!strcmp(v->name, e->name), "variable %zu renamed", i);
		FUZZ_CHECK(strlen(v->name) + strlen(v->value) + 2 <= ENV_VAR_MAX,
			   "variable %s is %zu bytes", v->name, strlen(v->value));
		FUZZ_CHECK(container_env_get(env, v->name) == last_value(env, v->name),
			   "variable %s is not its last definition", v->name);
		if (e->value && !strchr(e->value, '$'))
			FUZZ_CHECK(!strcmp(v->value, e->value),
				   "\"%s\" became \"%s\"", e->value, v->value);
		if (!e->value && !strcmp(e->field_path, "metadata.name"))
			FUZZ_CHECK(!strcmp(v->value, p->name), "metadata.name");
	}
}

static void expr_check(const char *expr, const struct container_env *env)
{
	char msg[512] = "";
	char *out = (char *)none;
	int rc = subpath_expr_expand(expr, env, &out, msg, sizeof(msg));

	if (rc) {
		FUZZ_CHECK(rc == -EINVAL && !out && msg[0],
			   "subPathExpr \"%s\" gives %d, \"%s\"", expr, rc, msg);
		return;
	}
	FUZZ_CHECK(out && strlen(out) < PATH_MAX, "subPathExpr \"%s\" too long", expr);
	if (!strchr(expr, '$'))
		FUZZ_CHECK(!strcmp(out, expr), "\"%s\" expands to \"%s\"", expr,
			   out);
	free(out);
}

/* Absolute, and "/" or elements that are neither empty, "." nor "..". */
static bool clean_absolute(const char *path)
{
	const char *p = path + 1;

	if (path[0] != '/')
		return false;
	if (!*p)
		return true;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

/* mount_path_clean(): absolute, clean, idempotent, and path_clean("/" raw). */
static void mount_path_check(const char *raw)
{
	char *clean = mount_path_clean(raw), *again, *rooted, *go;
	size_t len = strlen(raw);

	FUZZ_CHECK(clean && clean_absolute(clean),
		   "mountPath \"%s\" cleans to \"%s\"", raw, clean);
	again = mount_path_clean(clean);
	FUZZ_CHECK(again && !strcmp(again, clean),
		   "mountPath \"%s\" cleans to \"%s\", then \"%s\"", raw, clean,
		   again);
	rooted = fuzz_malloc(len + 2);
	rooted[0] = '/';
	memcpy(rooted + 1, raw, len + 1);
	go = fuzz_malloc(len + 3);
	FUZZ_CHECK(path_clean(rooted, go, len + 3) == 0 && !strcmp(go, clean),
		   "mountPath \"%s\" cleans to \"%s\", path_clean to \"%s\"",
		   raw, clean, go);
	free(go);
	free(rooted);
	free(again);
	free(clean);
}

/*
 * A prepared container that the kubelet starts: its mounts in order,
 * until one fails it; each has the clean path and a subPath the rules
 * admit, or a reason.
 */
static void prepared_check(const struct spec_container *c,
			   const struct ccontainer *cc, bool env_ok)
{
	bool uses_env = false, started;

	/* the environment is made, and can fail, only for a subPathExpr */
	for (size_t j = 0; j < c->n_mounts; j++)
		uses_env |= *c->mounts[j].sub_path_expr != '\0';
	started = env_ok || !uses_env;

	FUZZ_CHECK(cc->n_mounts == c->n_mounts, "%zu of %zu mounts prepared",
		   cc->n_mounts, c->n_mounts);
	for (size_t j = 0; j < cc->n_mounts; j++) {
		const struct cmount *cm = &cc->mounts[j];
		const struct spec_volume_mount *m = &c->mounts[j];
		char *clean = mount_path_clean(m->mount_path);

		FUZZ_CHECK(clean && !strcmp(cm->path, clean) &&
			   !strcmp(cm->volume, m->name),
			   "mount %zu prepared at \"%s\"", j, cm->path);
		free(clean);
		if (!started)
			continue;
		if (strlen(cm->path) >= PATH_MAX) {
			started = false;
			continue;
		}
		FUZZ_CHECK(cm->sub_path, "mount %zu has no subPath", j);
		if (cm->prep_state)
			FUZZ_CHECK(cm->message[0], "mount %zu failed silently", j);
		else
			FUZZ_CHECK(cm->sub_path[0] != '/' &&
				   !spec_has_backstep(cm->sub_path),
				   "subPath \"%s\" admitted", cm->sub_path);
		if (!*m->sub_path_expr)
			FUZZ_CHECK(!strcmp(cm->sub_path, m->sub_path),
				   "subPath \"%s\" became \"%s\"", m->sub_path,
				   cm->sub_path);
	}
}

static void print_check(const struct ccontainer *cs, size_t n)
{
	for (int attached = 0; attached < 2; attached++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		FUZZ_CHECK(f, "open_memstream");
		ccontainers_print(f, cs, n, attached, NULL, 0);
		FUZZ_CHECK(fclose(f) == 0 && (len > 0) == (n > 0),
			   "%zu bytes of status for %zu containers", len, n);
		free(text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct ccontainer *cs = NULL;
	bool *env_ok;
	struct input in;
	size_t n = 0;

	input_parse(&in, text);
	env_ok = fuzz_malloc(in.pod.n_containers * sizeof(*env_ok));
	for (size_t i = 0; i < in.pod.n_containers; i++) {
		const struct spec_container *c = &in.containers[i];
		struct container_env env;
		char msg[512] = "";
		int rc = container_env_make(&in.pod, c, &env, msg, sizeof(msg));

		FUZZ_CHECK(rc == 0 || (rc == -E2BIG && msg[0]),
			   "environment of container %zu: %d", i, rc);
		env_ok[i] = rc == 0;
		if (rc == 0)
			env_check(&in.pod, c, &env);
		for (size_t j = 0; j < c->n_env; j++)
			if (c->env[j].value) {
				bound_check(c->env[j].value, keep_all);
				bound_check(c->env[j].value, two_bytes);
			}
		for (size_t j = 0; j < c->n_mounts; j++) {
			const struct spec_volume_mount *m = &c->mounts[j];

			mount_path_check(m->mount_path);
			bound_check(m->sub_path_expr, keep_all);
			if (rc == 0 && *m->sub_path_expr)
				expr_check(m->sub_path_expr, &env);
		}
		if (rc == 0)
			container_env_free(&env);
	}
	FUZZ_CHECK(containers_prepare(&in.pod, NULL, 0, &cs, &n) == 0 &&
		   n == in.pod.n_containers, "containers_prepare");
	for (size_t i = 0; i < n; i++)
		prepared_check(&in.containers[i], &cs[i], env_ok[i]);
	print_check(cs, n);
	ccontainers_free(cs, n);
	free(env_ok);
	input_free(&in);
	free(text);
	return 0;
}
