/*
 * expand.c - a container's environment, $(VAR) expansion, clean mountPaths.
 *
 * Pure string work, no I/O: what the kubelet computes before it touches a
 * volume (SPEC section 2 steps 2 and 4). The expansion follows Kubernetes'
 * third_party/forked/golang/expansion byte for byte, including the odd
 * cases ("$(" without ")" is kept and scanning goes on after the "(").
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/views.h"

/*
 * A growing string of at most @max bytes; past that or on allocation
 * failure it turns NULL and stays so.
 */
struct sbuf {
	char *s;
	size_t len;
	size_t cap;
	size_t max;
	bool failed;
	bool too_long;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n > b->max - b->len) {
		free(b->s);
		b->s = NULL;
		b->failed = true;
		b->too_long = true;
		return;
	}
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
	if (b->failed)
		errno = b->too_long ? E2BIG : ENOMEM;
	return b->failed ? NULL : b->s;
}

/*
 * The first ")" at or after @from, remembered in *@close: each "$(" would
 * otherwise search the rest of @in again.
 */
static const char *close_after(const char *from, const char **close)
{
	if (!*close || *close < from)
		*close = strchrnul(from, ')');
	return **close ? *close : NULL;
}

char *expand_refs(const char *in, expand_fn fn, void *ctx, size_t max)
{
	struct sbuf b = { .max = max };
	const char *next_close = NULL;
	size_t len = strlen(in);
	size_t checkpoint = 0;

	for (size_t cur = 0; cur < len && !b.failed; cur++) {
		const char *close;

		if (in[cur] != '$' || cur + 1 >= len)
			continue;
		sb_add(&b, in + checkpoint, cur - checkpoint);
		if (in[cur + 1] == '$') {
			sb_add(&b, "$", 1);
			cur += 1;
		} else if (in[cur + 1] == '(' &&
			   (close = close_after(in + cur + 2, &next_close))) {
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
	void *value;

	return strmap_find(&env->last, name, strlen(name), &value) ? value : NULL;
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
	strmap_free(&env->last);
	env->size = 0;
}

/* A pod's labels and annotations by key, made on the first fieldRef to them. */
struct pod_keys {
	const struct spec_pod *p;
	bool made;
	struct strmap labels;
	struct strmap annotations;
};

static int keys_index(struct strmap *m, const struct spec_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strmap_put(m, kv[i].key, strlen(kv[i].key), kv[i].value))
			return -ENOMEM;
	return 0;
}

static const char *kv_get(struct pod_keys *k, bool labels, const char *key)
{
	void *value;

	if (!k->made) {
		k->made = true;
		if (keys_index(&k->labels, k->p->labels, k->p->n_labels) ||
		    keys_index(&k->annotations, k->p->annotations,
			       k->p->n_annotations))
			return NULL;
	}
	if (strmap_find(labels ? &k->labels : &k->annotations, key, strlen(key),
			&value))
		return value;
	return "";
}

/*
 * The value of a downward-API fieldRef (fieldpath.ExtractFieldPathAsString):
 * "metadata.labels['k']" is split as SplitMaybeSubscriptedPath splits it.
 * NULL when out of memory.
 */
static const char *field_value(struct pod_keys *k, const char *path)
{
	const struct spec_pod *p = k->p;
	size_t len = strlen(path);
	const char *open = strstr(path, "['");

	if (len > 2 && !strcmp(path + len - 2, "']") && open && open > path &&
	    open + 2 <= path + len - 2) {
		size_t base = open - path;
		char key[512];

		snprintf(key, sizeof(key), "%.*s",
			 (int)(len - 2 - (base + 2)), open + 2);
		if (base == 15 && !strncmp(path, "metadata.labels", base))
			return kv_get(k, true, key);
		if (base == 20 && !strncmp(path, "metadata.annotations", base))
			return kv_get(k, false, key);
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

/* Variable @e, its "NAME=value" string at most ENV_VAR_MAX bytes with its NUL. */
static int env_var_make(struct pod_keys *k, const struct spec_env *e,
			struct container_env *env, struct env_var *v)
{
	size_t name = strlen(e->name);
	const char *field;

	if (name + 2 > ENV_VAR_MAX)
		return -E2BIG;
	if (e->value) {
		v->value = expand_refs(e->value, env_so_far, env,
				       ENV_VAR_MAX - name - 2);
		if (!v->value)
			return -errno;
	} else {
		field = e->field_path ? field_value(k, e->field_path) : "";
		v->value = field ? strndup(field, ENV_VAR_MAX - name - 1) : NULL;
		if (!v->value)
			return -ENOMEM;
		if (strlen(v->value) > ENV_VAR_MAX - name - 2)
			return -E2BIG;
	}
	v->name = strdup(e->name);
	return v->name ? 0 : -ENOMEM;
}

int container_env_make(const struct spec_pod *p, const struct spec_container *c,
		       struct container_env *env, char *msg, size_t len)
{
	struct pod_keys keys = { .p = p };
	int rc = 0;

	env->n = 0;
	env->size = 0;
	strmap_init(&env->last);
	env->vars = calloc(c->n_env ? c->n_env : 1, sizeof(*env->vars));
	if (!env->vars)
		return -ENOMEM;
	strmap_init(&keys.labels);
	strmap_init(&keys.annotations);
	for (size_t i = 0; i < c->n_env && !rc; i++) {
		struct env_var *v = &env->vars[env->n];

		rc = env_var_make(&keys, &c->env[i], env, v);
		if (rc == -E2BIG)
			snprintf(msg, len, "env \"%.64s\" is longer than %d bytes once expanded: execve(2) would refuse it",
				 c->env[i].name, ENV_VAR_MAX);
		if (rc) {
			free(v->name);
			free(v->value);
			break;
		}
		env->n++;
		env->size += strlen(v->name) + strlen(v->value) + 2;
		if (env->size > ENV_MAX) {
			snprintf(msg, len, "the environment is longer than %d bytes once expanded: execve(2) would refuse it",
				 ENV_MAX);
			rc = -E2BIG;
		} else if (strmap_put(&env->last, v->name, strlen(v->name),
				      v->value)) {
			rc = -ENOMEM;
		}
	}
	strmap_free(&keys.labels);
	strmap_free(&keys.annotations);
	if (rc)
		container_env_free(env);
	return rc;
}

/* What subPathExpr expansion collects: the names with no value, each once. */
struct missing {
	const struct container_env *env;
	char **names;
	size_t n;
	size_t cap;
	struct strmap seen;			/* the names in @names */
	bool failed;
};

static const char *env_or_missing(void *ctx, const char *name)
{
	struct missing *m = ctx;
	const char *val = container_env_get(m->env, name);
	char **grown, *copy;

	if (val && *val)
		return val;
	if (m->failed || strmap_find(&m->seen, name, strlen(name), NULL))
		return "";
	if (m->n == m->cap) {
		grown = reallocarray(m->names, m->cap ? m->cap * 2 : 8,
				     sizeof(*grown));
		if (!grown) {
			m->failed = true;
			return "";
		}
		m->names = grown;
		m->cap = m->cap ? m->cap * 2 : 8;
	}
	copy = strdup(name);
	if (!copy || strmap_add(&m->seen, copy, strlen(copy), NULL, NULL) < 0) {
		free(copy);
		m->failed = true;
		return "";
	}
	m->names[m->n++] = copy;
	return "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "missing value for A, B": sorted. */
static void missing_message(struct missing *m, char *msg, size_t len)
{
	size_t pos;

	qsort(m->names, m->n, sizeof(*m->names), cmp_str);
	pos = snprintf(msg, len, "missing value for ");
	for (size_t i = 0; i < m->n && pos < len; i++)
		pos += snprintf(msg + pos, len - pos, "%s%s",
				i ? ", " : "", m->names[i]);
}

int subpath_expr_expand(const char *expr, const struct container_env *env,
			char **out, char *msg, size_t len)
{
	struct missing m = { .env = env };
	int rc = 0;

	strmap_init(&m.seen);
	*out = expand_refs(expr, env_or_missing, &m, PATH_MAX - 1);
	if (!*out && errno == E2BIG) {
		snprintf(msg, len, "subPathExpr expands to more than %d bytes",
			 PATH_MAX - 1);
		rc = -EINVAL;
	} else if (!*out || m.failed) {
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
	strmap_free(&m.seen);
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
