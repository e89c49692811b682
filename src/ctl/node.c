/*
 * node.c - JSON and YAML read into libyaml's document tree.
 *
 * JSON is YAML, so the status files of the mount and manifests alike are
 * read by libyaml's loader; a scalar's style tells a JSON string (quoted)
 * from a number, true, false or null (plain).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define CANON_MAX (8u << 20)
#define CANON_DEPTH 100

int ctl_node_load(const char *path, yaml_document_t *doc)
{
	yaml_parser_t parser;
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return -errno;
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, doc))
		rc = -EINVAL;
	else if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		rc = -ENODATA;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

yaml_node_t *ctl_node_get(yaml_document_t *doc, yaml_node_t *map,
			  const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

bool ctl_node_is_null(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!strcmp((const char *)n->data.scalar.value, "null") ||
		!strcmp((const char *)n->data.scalar.value, "~") ||
		!n->data.scalar.length);
}

bool ctl_node_is_true(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !strcmp((const char *)n->data.scalar.value, "true");
}

const char *ctl_node_str(yaml_document_t *doc, yaml_node_t *map,
			 const char *key)
{
	yaml_node_t *n = ctl_node_get(doc, map, key);

	if (!n || n->type != YAML_SCALAR_NODE || ctl_node_is_null(n))
		return NULL;
	return (const char *)n->data.scalar.value;
}

yaml_node_t *ctl_node_item(yaml_document_t *doc, yaml_node_t *seq, size_t i)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE ||
	    i >= ctl_node_len(seq))
		return NULL;
	return yaml_document_get_node(doc, seq->data.sequence.items.start[i]);
}

size_t ctl_node_len(yaml_node_t *seq)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top -
			seq->data.sequence.items.start);
}

struct canon {
	FILE *f;
	size_t depth;
	bool failed;
};

static char *canon_string(yaml_document_t *doc, yaml_node_t *n, size_t depth);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A mapping's pairs as "key=value" texts, sorted, so that order does not count. */
static void canon_mapping(struct canon *c, yaml_document_t *doc,
			  yaml_node_t *n)
{
	size_t np = (size_t)(n->data.mapping.pairs.top -
			     n->data.mapping.pairs.start);
	char **pairs = calloc(np ? np : 1, sizeof(*pairs));

	if (!pairs) {
		c->failed = true;
		return;
	}
	for (size_t i = 0; i < np && !c->failed; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		char *k = canon_string(doc, yaml_document_get_node(doc, p->key),
				       c->depth + 1);
		char *v = canon_string(doc,
				       yaml_document_get_node(doc, p->value),
				       c->depth + 1);

		if (!k || !v || asprintf(&pairs[i], "%s=%s", k, v) < 0) {
			pairs[i] = NULL;
			c->failed = true;
		}
		free(k);
		free(v);
	}
	if (!c->failed) {
		qsort(pairs, np, sizeof(*pairs), cmp_str);
		fputc('{', c->f);
		for (size_t i = 0; i < np; i++)
			fprintf(c->f, "%s,", pairs[i]);
		fputc('}', c->f);
	}
	for (size_t i = 0; i < np; i++)
		free(pairs[i]);
	free(pairs);
}

static void canon_node(struct canon *c, yaml_document_t *doc, yaml_node_t *n)
{
	if (!n || c->depth > CANON_DEPTH) {
		c->failed = true;
		return;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		fprintf(c->f, "%c%zu:",
			n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 'p' : 'q',
			n->data.scalar.length);
		fwrite(n->data.scalar.value, 1, n->data.scalar.length, c->f);
		break;
	case YAML_SEQUENCE_NODE:
		fputc('[', c->f);
		for (size_t i = 0; i < ctl_node_len(n) && !c->failed; i++) {
			char *s = canon_string(doc, ctl_node_item(doc, n, i),
					       c->depth + 1);

			if (!s)
				c->failed = true;
			else
				fprintf(c->f, "%s,", s);
			free(s);
		}
		fputc(']', c->f);
		break;
	case YAML_MAPPING_NODE:
		canon_mapping(c, doc, n);
		break;
	default:
		c->failed = true;
	}
}

static char *canon_string(yaml_document_t *doc, yaml_node_t *n, size_t depth)
{
	struct canon c = { .depth = depth };
	char *buf = NULL;
	size_t len = 0;

	c.f = open_memstream(&buf, &len);
	if (!c.f)
		return NULL;
	canon_node(&c, doc, n);
	if (fclose(c.f) || c.failed || len > CANON_MAX) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *ctl_node_canon(yaml_document_t *doc, yaml_node_t *n)
{
	return canon_string(doc, n, 0);
}
