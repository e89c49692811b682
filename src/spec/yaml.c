/*
 * yaml.c - field paths, error wording and typed access to libyaml nodes.
 *
 * Manifests reach Kubernetes as JSON (sigs.k8s.io/yaml converts them), so a
 * plain scalar is typed the way a YAML 1.2 core schema resolver types it:
 * null (~, null, empty), bool (true/false), int, float, else string. A
 * quoted scalar is always a string. A field that wants a string refuses a
 * number, as the apiserver does ("value: 8080" in an env var is an error),
 * and JSON null means "absent" everywhere.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

enum scalar_type {
	SCALAR_STR,
	SCALAR_NULL,
	SCALAR_BOOL,
	SCALAR_INT,
	SCALAR_FLOAT,
};

/* ---- field paths ---- */

/* Appends @pre, @text and @post; a path too long is cut, never overrun. */
static size_t path_append(struct spec_path *p, const char *pre,
			  const char *text, const char *post)
{
	size_t mark = p->len;
	int n = snprintf(p->buf + p->len, SPEC_PATH_MAX - p->len, "%s%s%s",
			 pre, text, post);

	if (n > 0)
		p->len += (size_t)n;
	if (p->len >= SPEC_PATH_MAX)
		p->len = SPEC_PATH_MAX - 1;
	return mark;
}

size_t spec_path_key(struct spec_path *p, const char *key)
{
	return path_append(p, p->len ? "." : "", key, "");
}

size_t spec_path_index(struct spec_path *p, size_t i)
{
	char num[32];

	snprintf(num, sizeof(num), "%zu", i);
	return path_append(p, "[", num, "]");
}

size_t spec_path_bracket(struct spec_path *p, const char *key)
{
	return path_append(p, "[", key, "]");
}

void spec_path_reset(struct spec_path *p, size_t mark)
{
	p->len = mark > p->root ? mark : p->root;
	p->buf[p->len] = '\0';
}

void spec_path_set(struct spec_path *p, const char *s)
{
	spec_path_reset(p, 0);
	spec_path_key(p, s);
}

void spec_path_set_root(struct spec_path *p, size_t root)
{
	p->root = root;
	spec_path_reset(p, root);
}

/* ---- errors ---- */

void spec_pos_of(const struct spec_ctx *c, const yaml_mark_t *m,
		 struct spec_pos *pos)
{
	pos->file = c->file;
	pos->line = (unsigned)m->line + 1;
	pos->col = (unsigned)m->column + 1;
}

void spec_ctx_err(struct spec_ctx *c, const yaml_mark_t *m, const char *field,
	     const char *fmt, ...)
{
	char msg[PODVOLFS_ERR_LEN];
	struct spec_pos pos;
	va_list ap;

	c->nerr++;
	if (!c->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m)
		spec_pos_of(c, m, &pos);
	err_add(c->err, m ? &pos : NULL, field && *field ? field : NULL, "%s",
		msg);
}

/* Go's %q, enough for messages: quotes, backslashes and control bytes escaped. */
size_t spec_quote(const char *s, char *buf, size_t size)
{
	size_t n = 0;

#define PUT(ch) do { if (n + 1 < size) buf[n] = (ch); n++; } while (0)
	PUT('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			PUT('\\');
			PUT((char)ch);
		} else if (ch == '\n' || ch == '\t') {
			PUT('\\');
			PUT(ch == '\n' ? 'n' : 't');
		} else if (ch < 0x20 || ch == 0x7f) {
			PUT('\\');
			PUT('x');
			PUT("0123456789abcdef"[ch >> 4]);
			PUT("0123456789abcdef"[ch & 15]);
		} else {
			PUT((char)ch);
		}
	}
	PUT('"');
#undef PUT
	if (size)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

void spec_err_required(struct spec_ctx *c, const yaml_mark_t *m, const char *detail)
{
	if (detail && *detail)
		spec_ctx_err(c, m, c->path.buf, "Required value: %s", detail);
	else
		spec_ctx_err(c, m, c->path.buf, "Required value");
}

void spec_err_invalid(struct spec_ctx *c, const yaml_mark_t *m, const char *value,
		 const char *detail)
{
	char q[256];

	spec_quote(value, q, sizeof(q));
	spec_ctx_err(c, m, c->path.buf, "Invalid value: %s: %s", q, detail);
}

void spec_err_invalid_int(struct spec_ctx *c, const yaml_mark_t *m, int64_t value,
		     const char *detail)
{
	spec_ctx_err(c, m, c->path.buf, "Invalid value: %lld: %s", (long long)value,
		detail);
}

void spec_err_duplicate(struct spec_ctx *c, const yaml_mark_t *m, const char *value)
{
	char q[256];

	spec_quote(value, q, sizeof(q));
	spec_ctx_err(c, m, c->path.buf, "Duplicate value: %s", q);
}

void spec_err_not_found(struct spec_ctx *c, const yaml_mark_t *m, const char *value)
{
	char q[256];

	spec_quote(value, q, sizeof(q));
	spec_ctx_err(c, m, c->path.buf, "Not found: %s", q);
}

void spec_err_forbidden(struct spec_ctx *c, const yaml_mark_t *m, const char *detail)
{
	spec_ctx_err(c, m, c->path.buf, "Forbidden: %s", detail);
}

void spec_err_unsupported(struct spec_ctx *c, const yaml_mark_t *m,
		     const char *value, const char *const *supported)
{
	char q[256], list[PODVOLFS_ERR_LEN];
	size_t n = 0;

	list[0] = '\0';
	for (size_t i = 0; supported[i] && n < sizeof(list); i++) {
		if (i)
			n += (size_t)snprintf(list + n, sizeof(list) - n, ", ");
		if (n < sizeof(list))
			n += spec_quote(supported[i], list + n, sizeof(list) - n);
	}
	spec_quote(value, q, sizeof(q));
	spec_ctx_err(c, m, c->path.buf, "Unsupported value: %s: supported values: %s",
		q, list);
}

void spec_warn(struct spec_ctx *c, const yaml_mark_t *m, const char *detail)
{
	struct spec_pos pos;

	spec_pos_of(c, m, &pos);
	err_add(c->warn, &pos, c->path.len ? c->path.buf : NULL, "%s", detail);
}

char *spec_ctx_strdup(struct spec_ctx *c, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		c->oom = true;
	return d;
}

void *spec_ctx_calloc(struct spec_ctx *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		c->oom = true;
	return p;
}

/* ---- nodes ---- */

yaml_node_t *spec_node_at(const struct spec_ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *scalar_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool text_in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static bool is_int_text(const char *s)
{
	size_t n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
		return s[2] && strspn(s + 2, s[1] == 'x' ?
				      "0123456789abcdefABCDEF" : "01234567") ==
				       strlen(s + 2);
	if (*s == '-' || *s == '+')
		s++;
	n = strspn(s, "0123456789");
	return n > 0 && s[n] == '\0';
}

static bool is_float_text(const char *s)
{
	static const char *const special[] = { ".inf", ".Inf", ".INF", "-.inf",
		"-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", ".nan", ".NaN",
		".NAN", NULL };
	size_t a, b = 0;

	if (text_in(s, special))
		return true;
	if (*s == '-' || *s == '+')
		s++;
	a = strspn(s, "0123456789");
	s += a;
	if (*s == '.') {
		b = strspn(s + 1, "0123456789");
		s += 1 + b;
	}
	if (a + b == 0)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (strspn(s, "0123456789") == 0)
			return false;
		s += strspn(s, "0123456789");
	}
	return *s == '\0';
}

static enum scalar_type scalar_type(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false",
					     "False", "FALSE", NULL };
	const char *s = scalar_text(n);

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return SCALAR_STR;
	if (text_in(s, nulls))
		return SCALAR_NULL;
	if (text_in(s, bools))
		return SCALAR_BOOL;
	if (is_int_text(s))
		return SCALAR_INT;
	if (is_float_text(s))
		return SCALAR_FLOAT;
	return SCALAR_STR;
}

bool spec_node_is_null(const yaml_node_t *n)
{
	return !n || (n->type == YAML_SCALAR_NODE &&
		      scalar_type(n) == SCALAR_NULL);
}

const char *spec_node_kind_name(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return "a scalar";
}

size_t spec_seq_len(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(n->data.sequence.items.top -
			n->data.sequence.items.start);
}

yaml_node_t *spec_seq_item(const struct spec_ctx *c, const yaml_node_t *n, size_t i)
{
	return spec_node_at(c, n->data.sequence.items.start[i]);
}

/* "Invalid value: <v>: expected <what>" on the current path. */
void spec_err_type(struct spec_ctx *c, const yaml_node_t *n, const char *what)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "expected %s", what);
	if (n->type != YAML_SCALAR_NODE)
		spec_ctx_err(c, &n->start_mark, c->path.buf,
			"Invalid value: %s: %s", spec_node_kind_name(n), detail);
	else if (scalar_type(n) == SCALAR_STR)
		spec_err_invalid(c, &n->start_mark, scalar_text(n), detail);
	else
		spec_ctx_err(c, &n->start_mark, c->path.buf,
			"Invalid value: %s: %s", scalar_text(n), detail);
}

bool spec_node_is_text(const yaml_node_t *n)
{
	enum scalar_type t;

	if (!n || n->type != YAML_SCALAR_NODE)
		return false;
	t = scalar_type(n);
	return t == SCALAR_STR || t == SCALAR_INT || t == SCALAR_FLOAT;
}

bool spec_want_kind(struct spec_ctx *c, yaml_node_t *n, yaml_node_type_t type,
	       const char *what)
{
	if (n->type == type)
		return true;
	spec_err_type(c, n, what);
	return false;
}

/* ---- alias expansion, depth and size guard ---- */

/* What a document holds once its aliases are expanded. */
struct expansion {
	size_t nodes;
	size_t text;				/* bytes of scalars */
};

/*
 * Walks @n at nesting level @level (the root is level 1), expanding
 * aliases, into @x: -ELOOP past SPEC_DEPTH_MAX levels (which an alias to
 * its own ancestor reaches), -E2BIG past @most->nodes, -EFBIG past
 * @most->text. The limits bound the walk itself.
 */
static int expand(const struct spec_ctx *c, const yaml_node_t *n,
		  unsigned level, struct expansion *x,
		  const struct expansion *most)
{
	int rc = 0;

	if (level > SPEC_DEPTH_MAX)
		return -ELOOP;
	if (++x->nodes > most->nodes)
		return -E2BIG;
	if (n->type == YAML_SCALAR_NODE) {
		x->text += n->data.scalar.length;
		if (x->text > most->text)
			return -EFBIG;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     !rc && i < n->data.sequence.items.top; i++)
			rc = expand(c, spec_node_at(c, *i), level + 1, x, most);
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     !rc && p < n->data.mapping.pairs.top; p++) {
			rc = expand(c, spec_node_at(c, p->key), level + 1, x,
				    most);
			if (!rc)
				rc = expand(c, spec_node_at(c, p->value),
					    level + 1, x, most);
		}
	}
	return rc;
}

int spec_doc_check(struct spec_ctx *c, yaml_node_t *root)
{
	const size_t nodes_left = c->file_nodes < SPEC_FILE_NODE_BUDGET ?
				  SPEC_FILE_NODE_BUDGET - c->file_nodes : 0;
	const size_t text_left = c->file_text < SPEC_FILE_TEXT_BUDGET ?
				 SPEC_FILE_TEXT_BUDGET - c->file_text : 0;
	const struct expansion most = {
		.nodes = nodes_left < SPEC_NODE_BUDGET ? nodes_left : SPEC_NODE_BUDGET,
		.text = text_left < SPEC_TEXT_BUDGET ? text_left : SPEC_TEXT_BUDGET,
	};
	struct expansion x = { 0 };
	int rc = expand(c, root, 1, &x, &most);

	/* counted even when refused: so a file of many bad documents is bounded too */
	c->file_nodes += x.nodes;
	c->file_text += x.text;

	if (rc == -ELOOP)
		spec_ctx_err(c, &root->start_mark, NULL,
			"document nests deeper than %d levels (or an alias refers to its own ancestor)",
			SPEC_DEPTH_MAX);
	else if (rc == -E2BIG && most.nodes == SPEC_NODE_BUDGET)
		spec_ctx_err(c, &root->start_mark, NULL,
			"document has more than %d nodes once its aliases are expanded",
			SPEC_NODE_BUDGET);
	else if (rc == -EFBIG && most.text == SPEC_TEXT_BUDGET)
		spec_ctx_err(c, &root->start_mark, NULL,
			"document has more than %d bytes of text once its aliases are expanded (a podvolfs limit)",
			SPEC_TEXT_BUDGET);
	else if (rc)
		spec_ctx_err(c, &root->start_mark, NULL,
			"file has more than %d nodes or %d bytes of text once its aliases are expanded (a podvolfs limit)",
			SPEC_FILE_NODE_BUDGET, SPEC_FILE_TEXT_BUDGET);
	if (rc)
		return -EINVAL;
	c->doc_nodes = x.nodes;
	c->doc_text = x.text;
	return 0;
}

void spec_doc_measure(struct spec_ctx *c, const yaml_node_t *n)
{
	const struct expansion most = { .nodes = SPEC_NODE_BUDGET,
					.text = SPEC_TEXT_BUDGET };
	struct expansion x = { 0 };

	expand(c, n, 1, &x, &most);
	c->doc_nodes = x.nodes;
	c->doc_text = x.text;
}

/* ---- mappings ---- */

static bool key_is(const yaml_node_t *k, const char *key)
{
	return k->type == YAML_SCALAR_NODE &&
	       k->data.scalar.length == strlen(key) &&
	       memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0;
}

static void full_name(const struct spec_ctx *c, const char *key, char *buf,
		      size_t size)
{
	snprintf(buf, size, "%s%s%s", c->path.buf, c->path.len ? "." : "", key);
}

/* Key @k, not a field here: an error, a warning or nothing, as c->fields says. */
static void unknown_field(struct spec_ctx *c, const yaml_node_t *k,
			  const char *key)
{
	char name[SPEC_PATH_MAX + 64];
	struct spec_pos pos;

	if (c->fields == SPEC_FIELDS_IGNORE)
		return;
	full_name(c, key, name, sizeof(name));
	if (c->fields == SPEC_FIELDS_STRICT) {
		spec_ctx_err(c, &k->start_mark, NULL, "unknown field \"%s\"", name);
		return;
	}
	spec_pos_of(c, &k->start_mark, &pos);
	err_add(c->warn, &pos, NULL, "unknown field \"%s\"", name);
}

void spec_map_check(struct spec_ctx *c, yaml_node_t *map, const char *const *fields)
{
	char name[SPEC_PATH_MAX + 64];
	unsigned before = c->nerr;
	struct strmap seen;

	strmap_init(&seen);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = spec_node_at(c, p->key);
		const char *key;
		int rc;

		if (k->type != YAML_SCALAR_NODE) {
			spec_ctx_err(c, &k->start_mark, c->path.buf,
				"Invalid value: %s: expected a field name",
				spec_node_kind_name(k));
			continue;
		}
		key = scalar_text(k);
		rc = strmap_add(&seen, k->data.scalar.value,
				k->data.scalar.length, NULL, NULL);
		if (rc < 0)
			c->oom = true;
		if (rc == 0) {
			full_name(c, key, name, sizeof(name));
			spec_ctx_err(c, &k->start_mark, NULL,
				"duplicate field \"%s\"", name);
		}
		if (fields && !text_in(key, fields))
			unknown_field(c, k, key);
	}
	strmap_free(&seen);
	c->nkeys += c->nerr - before;
}

void spec_map_find(const struct spec_ctx *c, yaml_node_t *map, const char *key,
	      struct spec_field *f)
{
	f->key = NULL;
	f->val = NULL;
	f->mark = map->start_mark;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *v;

		if (!key_is(spec_node_at(c, p->key), key))
			continue;
		v = spec_node_at(c, p->value);
		f->key = spec_node_at(c, p->key);
		f->mark = v->start_mark;
		f->val = spec_node_is_null(v) ? NULL : v;
		return;
	}
}

/* Looks @key up and pushes it on the path; the caller resets to the returned mark. */
static size_t field_enter(struct spec_ctx *c, yaml_node_t *map, const char *key,
			  struct spec_field *f)
{
	spec_map_find(c, map, key, f);
	return spec_path_key(&c->path, key);
}

char *spec_node_str(struct spec_ctx *c, const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || scalar_type(n) != SCALAR_STR) {
		spec_err_type(c, n, "a string");
		return spec_ctx_strdup(c, "");
	}
	if (strlen(scalar_text(n)) != n->data.scalar.length) {
		spec_err_invalid(c, &n->start_mark, scalar_text(n),
			    "must not contain a NUL character");
		return spec_ctx_strdup(c, "");
	}
	return spec_ctx_strdup(c, scalar_text(n));
}

char *spec_get_str(struct spec_ctx *c, yaml_node_t *map, const char *key,
	      struct spec_field *f)
{
	struct spec_field local;
	size_t mark;
	char *s;

	if (!f)
		f = &local;
	mark = field_enter(c, map, key, f);
	s = f->val ? spec_node_str(c, f->val) : spec_ctx_strdup(c, "");
	spec_path_reset(&c->path, mark);
	return s;
}

bool spec_get_bool(struct spec_ctx *c, yaml_node_t *map, const char *key)
{
	struct spec_field f;
	size_t mark = field_enter(c, map, key, &f);
	bool v = false;

	if (!f.val) {
		spec_path_reset(&c->path, mark);
		return false;
	}
	if (f.val->type == YAML_SCALAR_NODE &&
	    scalar_type(f.val) == SCALAR_BOOL)
		v = scalar_text(f.val)[0] == 't' || scalar_text(f.val)[0] == 'T';
	else
		spec_err_type(c, f.val, "a boolean (true or false)");
	spec_path_reset(&c->path, mark);
	return v;
}

/* Parses int text; false when out of int64 range. */
static bool int_value(const char *s, int64_t *out)
{
	int base = 10;
	char *end;
	long long v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		s += 2;
	}
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool spec_get_int(struct spec_ctx *c, yaml_node_t *map, const char *key,
	     int64_t min, int64_t max, int64_t *out, struct spec_field *f)
{
	const char *what = max > INT32_MAX ? "a 64-bit integer" :
					     "a 32-bit integer";
	size_t mark = field_enter(c, map, key, f);
	int64_t v;
	bool ok = false;

	if (!f->val)
		goto out_reset;
	if (f->val->type == YAML_SCALAR_NODE &&
	    scalar_type(f->val) == SCALAR_INT &&
	    int_value(scalar_text(f->val), &v) && v >= min && v <= max) {
		*out = v;
		ok = true;
	} else {
		spec_err_type(c, f->val, what);
	}
out_reset:
	spec_path_reset(&c->path, mark);
	return ok;
}

static yaml_node_t *get_typed(struct spec_ctx *c, yaml_node_t *map,
			      const char *key, struct spec_field *f,
			      yaml_node_type_t type, const char *what)
{
	struct spec_field local;
	yaml_node_t *n = NULL;
	size_t mark;

	if (!f)
		f = &local;
	mark = field_enter(c, map, key, f);
	if (f->val && spec_want_kind(c, f->val, type, what))
		n = f->val;
	spec_path_reset(&c->path, mark);
	return n;
}

yaml_node_t *spec_get_map(struct spec_ctx *c, yaml_node_t *map, const char *key,
		     struct spec_field *f)
{
	return get_typed(c, map, key, f, YAML_MAPPING_NODE, "a mapping");
}

yaml_node_t *spec_get_seq(struct spec_ctx *c, yaml_node_t *map, const char *key,
		     struct spec_field *f)
{
	return get_typed(c, map, key, f, YAML_SEQUENCE_NODE, "a list");
}

/* One entry of a string map; keys are any scalar, as JSON keys are strings. */
static void kv_decode(struct spec_ctx *c, yaml_node_pair_t *p, struct spec_kv *kv)
{
	yaml_node_t *k = spec_node_at(c, p->key), *v = spec_node_at(c, p->value);
	size_t mark;

	if (k->type != YAML_SCALAR_NODE) {
		spec_err_type(c, k, "a string key");
		kv->key = spec_ctx_strdup(c, "");
		kv->value = spec_ctx_strdup(c, "");
		return;
	}
	kv->key = spec_ctx_strdup(c, scalar_text(k));
	mark = spec_path_bracket(&c->path, scalar_text(k));
	kv->value = spec_node_is_null(v) ? spec_ctx_strdup(c, "") :
					   spec_node_str(c, v);
	spec_path_reset(&c->path, mark);
}

int spec_get_kv(struct spec_ctx *c, yaml_node_t *map, const char *key,
	   struct spec_kv **out, size_t *n)
{
	yaml_node_t *m = spec_get_map(c, map, key, NULL);
	size_t mark, count;

	*out = NULL;
	*n = 0;
	if (!m)
		return 0;
	count = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	*out = spec_ctx_calloc(c, count, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	mark = spec_path_key(&c->path, key);
	spec_map_check(c, m, NULL);
	for (size_t i = 0; i < count; i++)
		kv_decode(c, &m->data.mapping.pairs.start[i], &(*out)[i]);
	spec_path_reset(&c->path, mark);
	*n = count;
	return 0;
}

/* ---- hashing ---- */

#define FNV64_PRIME 0x100000001b3ULL
#define FNV32_PRIME 0x01000193U

void spec_hash_init(struct spec_hash *h)
{
	h->a = 0xcbf29ce484222325ULL;		/* the FNV-1a 64 basis */
	h->b = 0x84222325cbf29ce4ULL;		/* its halves swapped */
	h->c = 0x811c9dc5U;			/* the FNV-1a 32 basis */
}

void spec_hash_bytes(struct spec_hash *h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h->a = (h->a ^ s[i]) * FNV64_PRIME;
		h->b = (h->b ^ s[i]) * FNV64_PRIME;
		h->c = (h->c ^ s[i]) * FNV32_PRIME;
	}
}

/* A string with its terminator, so that "ab","c" and "a","bc" differ. */
void spec_hash_str(struct spec_hash *h, const char *s)
{
	spec_hash_bytes(h, s, strlen(s) + 1);
}

static void hash_len(struct spec_hash *h, char tag, size_t n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%c%zu:", tag, n);

	spec_hash_bytes(h, buf, (size_t)len);
}

/*
 * Feeds a canonical serialization of @n: every scalar with its length,
 * every collection with its size, in document order. Same text, same bytes.
 */
void spec_hash_node(const struct spec_ctx *c, struct spec_hash *h,
	       const yaml_node_t *n, unsigned depth)
{
	if (!n || depth > SPEC_DEPTH_MAX)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		hash_len(h, 's', n->data.scalar.length);
		spec_hash_bytes(h, n->data.scalar.value, n->data.scalar.length);
	} else if (n->type == YAML_SEQUENCE_NODE) {
		hash_len(h, 'q', spec_seq_len(n));
		for (size_t i = 0; i < spec_seq_len(n); i++)
			spec_hash_node(c, h, spec_seq_item(c, n, i), depth + 1);
	} else if (n->type == YAML_MAPPING_NODE) {
		hash_len(h, 'm', (size_t)(n->data.mapping.pairs.top -
					  n->data.mapping.pairs.start));
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			spec_hash_node(c, h, spec_node_at(c, p->key), depth + 1);
			spec_hash_node(c, h, spec_node_at(c, p->value), depth + 1);
		}
	}
}
