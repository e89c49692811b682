/*
 * expand.c - a container's environment, $(VAR) expansion, clean mountPaths.
 *
 * Pure string work, no I/O: what the kubelet computes before it touches a
 * volume (SPEC section 2 steps 2 and 4). The expansion follows Kubernetes'
 * third_party/forked/golang/expansion byte for byte, including the odd
 * cases ("$(" without ")" is kept and scanning goes on after the "(").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/views.h"

/* A growing string; on allocation failure it turns NULL and stays so. */
struct sbuf {
	char *s;
	size_t len;
	size_t cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->s, cap);
		if (!grown) {
			free(b->s);
			b->s = NULL;
			b->failed = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static char *sb_finish(struct sbuf *b)
{
	sb_add(b, "", 0);
	return b->failed ? NULL : b->s;
}

char *expand_refs(const char *in, expand_fn fn, void *ctx)
{
	struct sbuf b = { 0 };
	size_t len = strlen(in);
	size_t checkpoint = 0;

	for (size_t cur = 0; cur < len; cur++) {
		const char *close;

		if (in[cur] != '$' || cur + 1 >= len)
			continue;
		sb_add(&b, in + checkpoint, cur - checkpoint);
		if (in[cur + 1] == '$') {
			sb_add(&b, "$", 1);
			cur += 1;
		} else if (in[cur + 1] == '(' &&
			   (close = strchr(in + cur + 2, ')'))) {
			size_t n = close - (in + cur + 2);
			char *name = strndup(in + cur + 2, n);
			const char *val = name ? fn(ctx, name) : NULL;

			if (!name)
				b.failed = true;
			if (val)
				sb_add(&b, val, strlen(val));
			else
				sb_add(&b, in + cur, n + 3);
			free(name);
			cur += n + 2;
		} else {
			/* "$(" unclosed or "$x": kept, scanning resumes after it */
			sb_add(&b, in + cur, 2);
			cur += 1;
		}
		checkpoint = cur + 1;
	}
	sb_add(&b, in + checkpoint, len - checkpoint);
	return sb_finish(&b);
}

const char *container_env_get(const struct container_env *env,
			      const char *name)
{
	for (size_t i = env->n; i-- > 0;)
		if (!strcmp(env->vars[i].name, name))
			return env->vars[i].value;
	return NULL;
}

void container_env_free(struct container_env *env)
{
	for (size_t i = 0; i < env->n; i++) {
		free(env->vars[i].name);
		free(env->vars[i].value);
	}
	free(env->vars);
	env->vars = NULL;
	env->n = 0;
}

static const char *kv_get(const struct spec_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return "";
}

/*
 * The value of a downward-API fieldRef (fieldpath.ExtractFieldPathAsString):
 * "metadata.labels['k']" is split as SplitMaybeSubscriptedPath splits it.
 */
static const char *field_value(const struct spec_pod *p, const char *path)
{
	size_t len = strlen(path);
	const char *open = strstr(path, "['");

	if (len > 2 && !strcmp(path + len - 2, "']") && open && open > path &&
	    open + 2 <= path + len - 2) {
		size_t base = open - path;
		char key[512];

		snprintf(key, sizeof(key), "%.*s",
			 (int)(len - 2 - (base + 2)), open + 2);
		if (base == 15 && !strncmp(path, "metadata.labels", base))
			return kv_get(p->labels, p->n_labels, key);
		if (base == 20 && !strncmp(path, "metadata.annotations", base))
			return kv_get(p->annotations, p->n_annotations, key);
		return "";
	}
	if (!strcmp(path, "metadata.name"))
		return p->name;
	if (!strcmp(path, "metadata.namespace"))
		return p->namespace;
	if (!strcmp(path, "metadata.uid"))
		return p->uid;
	return "";
}

/* Expands references to variables defined so far; unknown ones stay. */
static const char *env_so_far(void *ctx, const char *name)
{
	return container_env_get(ctx, name);
}

int container_env_make(const struct spec_pod *p, const struct spec_container *c,
		       struct container_env *env)
{
	env->n = 0;
	env->vars = calloc(c->n_env ? c->n_env : 1, sizeof(*env->vars));
	if (!env->vars)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_env; i++) {
		const struct spec_env *e = &c->env[i];
		struct env_var *v = &env->vars[env->n];

		if (e->value)
			v->value = expand_refs(e->value, env_so_far, env);
		else
			v->value = strdup(e->field_path ?
					  field_value(p, e->field_path) : "");
		v->name = strdup(e->name);
		if (!v->name || !v->value) {
			free(v->name);
			free(v->value);
			container_env_free(env);
			return -ENOMEM;
		}
		env->n++;
	}
	return 0;
}

/* What subPathExpr expansion collects: the names with no value. */
struct missing {
	const struct container_env *env;
	char **names;
	size_t n;
	bool failed;
};

static const char *env_or_missing(void *ctx, const char *name)
{
	struct missing *m = ctx;
	const char *val = container_env_get(m->env, name);
	char **grown;

	if (val && *val)
		return val;
	grown = realloc(m->names, (m->n + 1) * sizeof(*grown));
	if (!grown || !(grown[m->n] = strdup(name))) {
		m->names = grown ? grown : m->names;
		m->failed = true;
		return "";
	}
	m->names = grown;
	m->n++;
	return "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "missing value for A, B": sorted, each name once. */
static void missing_message(struct missing *m, char *msg, size_t len)
{
	size_t pos;

	qsort(m->names, m->n, sizeof(*m->names), cmp_str);
	pos = snprintf(msg, len, "missing value for ");
	for (size_t i = 0; i < m->n && pos < len; i++) {
		if (i && !strcmp(m->names[i], m->names[i - 1]))
			continue;
		pos += snprintf(msg + pos, len - pos, "%s%s",
				i ? ", " : "", m->names[i]);
	}
}

int subpath_expr_expand(const char *expr, const struct container_env *env,
			char **out, char *msg, size_t len)
{
	struct missing m = { .env = env };
	int rc = 0;

	*out = expand_refs(expr, env_or_missing, &m);
	if (!*out || m.failed) {
		rc = -ENOMEM;
	} else if (m.n) {
		missing_message(&m, msg, len);
		rc = -EINVAL;
	}
	if (rc) {
		free(*out);
		*out = NULL;
	}
	for (size_t i = 0; i < m.n; i++)
		free(m.names[i]);
	free(m.names);
	return rc;
}

char *mount_path_clean(const char *raw)
{
	size_t len = strlen(raw);
	char *out = malloc(len + 2);
	size_t pos = 0;
	const char *p = raw;

	if (!out)
		return NULL;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = end - p;

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (pos > 0 && out[--pos] != '/')
				;
		} else if (n && !(n == 1 && p[0] == '.')) {
			out[pos++] = '/';
			memcpy(out + pos, p, n);
			pos += n;
		}
		p = *end ? end + 1 : end;
	}
	if (pos == 0)
		out[pos++] = '/';
	out[pos] = '\0';
	return out;
}
