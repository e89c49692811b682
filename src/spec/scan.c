/*
 * scan.c - the limits of a manifest file, checked as a stream.
 *
 * libyaml's document API builds a whole document before anything can be
 * looked at, and some of libyaml's work grows faster than its input: its
 * scanner checks every open flow collection on each token, its parser
 * compares each %TAG directive with the ones before it, and its loader
 * looks every alias up among all the document's anchors. So before a file
 * is loaded, its bytes are read as a stream of events (yaml_parser_parse),
 * keeping one small record per open collection, and the first limit
 * crossed stops the file at once, naming the spot: documents in the file,
 * nesting depth, keys of one mapping, bytes of one scalar, nodes of a
 * document and of the file, anchors of a document. Stopping at the 101st
 * level also keeps the scanner's flow collections few.
 *
 * The parser takes in all the directives before a document in one call,
 * so those are counted beforehand by a second parser, reading the same
 * bytes as tokens (yaml_parser_scan) in step with the first one: at each
 * document boundary it catches up with the events and reads on through
 * the directives that follow. It never runs ahead of the events by more
 * than that, so a file stopped early is not read to its end.
 *
 * A YAML syntax error stops the passes silently: the loader meets it at
 * the same place and reports it after the problems of the documents before
 * it, as it always has.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

/* Bytes of a key kept for the field path of a message. */
#define KEY_TEXT 128

struct level {
	bool map;				/* a mapping, else a sequence */
	bool at_key;				/* mapping: the next node is a key */
	size_t n;				/* keys or items so far */
	char key[KEY_TEXT];			/* mapping: the latest key, cut */
};

struct scan {
	struct spec_ctx *c;
	yaml_parser_t tokens;			/* the same bytes, as tokens */
	bool tokens_done;			/* at their end, or a YAML error */
	unsigned docs;
	size_t doc_nodes;
	size_t file_nodes;
	unsigned anchors;			/* of the current document */
	unsigned depth;				/* collections open */
	struct level level[SPEC_DEPTH_MAX];
};

/* A key that reads well after a dot; others go in brackets. */
static bool plain_key(const char *key)
{
	return *key && !key[strspn(key, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")];
}

/* Reports @fmt at @m, on the field path of the current node when @path. */
static int __attribute__((format(printf, 4, 5)))
refuse(struct scan *s, const yaml_mark_t *m, bool path, const char *fmt, ...)
{
	struct spec_path *p = &s->c->path;
	char msg[PODVOLFS_ERR_LEN];
	va_list ap;

	spec_path_reset(p, 0);
	for (unsigned i = 0; path && i < s->depth; i++) {
		const struct level *l = &s->level[i];

		if (!l->map)
			spec_path_index(p, l->n - 1);
		else if (l->at_key)
			break;
		else if (plain_key(l->key))
			spec_path_key(p, l->key);
		else
			spec_path_bracket(p, l->key);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	spec_ctx_err(s->c, m, p->buf, "%s", msg);
	spec_path_reset(p, 0);
	return -EINVAL;
}

static int yaml_failed(const yaml_parser_t *p)
{
	return p->error == YAML_MEMORY_ERROR ? -ENOMEM : 0;
}

/*
 * At a document boundary, the event ending at @end: reads the tokens up to
 * there, then the directives of the next document with what may come
 * before them ("...", and the block ends that a directive at column 0
 * closes), and stops at the first token of that document.
 */
static int directives_check(struct scan *s, size_t end)
{
	unsigned directives = 0;
	yaml_token_type_t type;
	yaml_mark_t mark;
	yaml_token_t t;

	while (!s->tokens_done) {
		if (!yaml_parser_scan(&s->tokens, &t)) {
			s->tokens_done = true;
			return yaml_failed(&s->tokens);
		}
		type = t.type;
		mark = t.start_mark;
		yaml_token_delete(&t);
		if (type == YAML_STREAM_END_TOKEN) {
			s->tokens_done = true;
		} else if (type == YAML_VERSION_DIRECTIVE_TOKEN ||
			   type == YAML_TAG_DIRECTIVE_TOKEN) {
			if (++directives > SPEC_DIRECTIVES_MAX)
				return refuse(s, &mark, false,
					      "document has more than %d directives (a podvolfs limit)",
					      SPEC_DIRECTIVES_MAX);
		} else if (mark.index >= end && type != YAML_STREAM_START_TOKEN &&
			   type != YAML_DOCUMENT_END_TOKEN &&
			   type != YAML_BLOCK_END_TOKEN) {
			/* "---" or the content of an implicit document */
			break;
		}
	}
	return 0;
}

static const yaml_char_t *event_anchor(const yaml_event_t *e)
{
	if (e->type == YAML_SCALAR_EVENT)
		return e->data.scalar.anchor;
	if (e->type == YAML_SEQUENCE_START_EVENT)
		return e->data.sequence_start.anchor;
	if (e->type == YAML_MAPPING_START_EVENT)
		return e->data.mapping_start.anchor;
	return NULL;
}

/* A node begins: a scalar, an alias, or a collection. */
static int node_begin(struct scan *s, const yaml_event_t *e)
{
	struct level *up = s->depth ? &s->level[s->depth - 1] : NULL;
	const yaml_mark_t *m = &e->start_mark;

	if (s->depth >= SPEC_DEPTH_MAX)
		return refuse(s, m, false,
			      "document nests deeper than %d levels (a podvolfs limit)",
			      SPEC_DEPTH_MAX);
	if (up && up->map && up->at_key) {
		if (++up->n > SPEC_KEYS_MAX)
			return refuse(s, m, true,
				      "Too many: must have at most %d keys (a podvolfs limit)",
				      SPEC_KEYS_MAX);
		if (e->type == YAML_SCALAR_EVENT)
			snprintf(up->key, sizeof(up->key), "%.*s",
				 (int)(e->data.scalar.length < KEY_TEXT ?
				       e->data.scalar.length : KEY_TEXT - 1),
				 (const char *)e->data.scalar.value);
		else
			snprintf(up->key, sizeof(up->key), "?");
	} else if (up && !up->map) {
		up->n++;
	}
	if (++s->doc_nodes > SPEC_NODE_BUDGET)
		return refuse(s, m, false,
			      "document has more than %d nodes (a podvolfs limit)",
			      SPEC_NODE_BUDGET);
	if (++s->file_nodes > SPEC_FILE_NODE_BUDGET)
		return refuse(s, m, false,
			      "file has more than %d nodes (a podvolfs limit)",
			      SPEC_FILE_NODE_BUDGET);
	if (event_anchor(e) && ++s->anchors > SPEC_ANCHORS_MAX)
		return refuse(s, m, false,
			      "document has more than %d anchors (a podvolfs limit)",
			      SPEC_ANCHORS_MAX);
	if (e->type == YAML_SCALAR_EVENT &&
	    e->data.scalar.length > SPEC_SCALAR_MAX)
		return refuse(s, m, true,
			      "Too long: may not be more than %d bytes (a podvolfs limit)",
			      SPEC_SCALAR_MAX);
	return 0;
}

/* A node ends: the next node of a mapping is a key again, or a value. */
static void node_end(struct scan *s)
{
	struct level *up = s->depth ? &s->level[s->depth - 1] : NULL;

	if (up && up->map)
		up->at_key = !up->at_key;
}

static int scan_event(struct scan *s, const yaml_event_t *e)
{
	struct level *l;
	int rc;

	switch (e->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return directives_check(s, e->end_mark.index);
	case YAML_DOCUMENT_START_EVENT:
		if (++s->docs > SPEC_DOCS_MAX)
			return refuse(s, &e->start_mark, false,
				      "file has more than %d documents (a podvolfs limit)",
				      SPEC_DOCS_MAX);
		s->doc_nodes = 0;
		s->anchors = 0;
		s->depth = 0;
		return 0;
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
		rc = node_begin(s, e);
		if (!rc)
			node_end(s);
		return rc;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		rc = node_begin(s, e);
		if (rc)
			return rc;
		l = &s->level[s->depth++];
		l->map = e->type == YAML_MAPPING_START_EVENT;
		l->at_key = true;
		l->n = 0;
		l->key[0] = '\0';
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		s->depth--;
		node_end(s);
		return 0;
	default:
		return 0;
	}
}

int spec_scan(struct spec_ctx *c, const unsigned char *buf, size_t len)
{
	struct scan *s = calloc(1, sizeof(*s));
	yaml_parser_t parser;
	yaml_event_t e;
	bool end;
	int rc = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->c = c;
	if (!yaml_parser_initialize(&s->tokens))
		goto out_free;
	if (!yaml_parser_initialize(&parser))
		goto out_delete_tokens;
	yaml_parser_set_input_string(&s->tokens, buf, len);
	yaml_parser_set_input_string(&parser, buf, len);
	do {
		if (!yaml_parser_parse(&parser, &e)) {
			rc = yaml_failed(&parser);
			break;
		}
		end = e.type == YAML_STREAM_END_EVENT;
		rc = scan_event(s, &e);
		yaml_event_delete(&e);
	} while (!rc && !end);
	yaml_parser_delete(&parser);
out_delete_tokens:
	yaml_parser_delete(&s->tokens);
out_free:
	free(s);
	return rc;
}
