/*
 * emit.c - objects read from the mount written out again as JSON (indented
 * four spaces, as kubectl writes it) or YAML (libyaml's emitter, block
 * style), one object or a kubectl List of them.
 *
 * Each object is written with "kind" first, then its own fields as the
 * mount gave them: status.json and the .podvolfs/ tables are the source of
 * truth, nothing is added but the kind.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "podvolfs/json.h"

static void indent(FILE *f, int level)
{
	fprintf(f, "\n%*s", level * 4, "");
}

static void json_node(FILE *f, yaml_document_t *doc, yaml_node_t *n,
		      int level);

static void json_scalar(FILE *f, yaml_node_t *n)
{
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (ctl_node_is_null(n))
			fputs("null", f);
		else
			fputs((const char *)n->data.scalar.value, f);
		return;
	}
	json_str(f, (const char *)n->data.scalar.value);
}

static void json_mapping(FILE *f, yaml_document_t *doc, yaml_node_t *n,
			 int level, const char *kind)
{
	bool first = true;

	fputc('{', f);
	if (kind) {
		indent(f, level + 1);
		fputs("\"kind\": ", f);
		json_str(f, kind);
		first = false;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (!first)
			fputc(',', f);
		first = false;
		indent(f, level + 1);
		json_str(f, k && k->type == YAML_SCALAR_NODE ?
			 (const char *)k->data.scalar.value : "");
		fputs(": ", f);
		json_node(f, doc, yaml_document_get_node(doc, p->value),
			  level + 1);
	}
	if (!first)
		indent(f, level);
	fputc('}', f);
}

static void json_node(FILE *f, yaml_document_t *doc, yaml_node_t *n,
		      int level)
{
	size_t len;

	if (!n) {
		fputs("null", f);
		return;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		json_scalar(f, n);
		break;
	case YAML_SEQUENCE_NODE:
		len = ctl_node_len(n);
		fputc('[', f);
		for (size_t i = 0; i < len; i++) {
			indent(f, level + 1);
			json_node(f, doc, ctl_node_item(doc, n, i), level + 1);
			if (i + 1 < len)
				fputc(',', f);
		}
		if (len)
			indent(f, level);
		fputc(']', f);
		break;
	case YAML_MAPPING_NODE:
		json_mapping(f, doc, n, level, NULL);
		break;
	default:
		fputs("null", f);
	}
}

void ctl_emit_json(FILE *f, const struct ctl_obj *objs, size_t n, bool list)
{
	int level = list ? 2 : 0;

	if (list)
		fputs("{\n    \"apiVersion\": \"v1\",\n    \"items\": [", f);
	for (size_t i = 0; i < n; i++) {
		if (list)
			indent(f, level);
		json_mapping(f, objs[i].doc, objs[i].node, level,
			     objs[i].kind);
		if (i + 1 < n)
			fputc(',', f);
	}
	if (list)
		fputs(n ? "\n    ],\n" : "],\n", f);
	if (list)
		fputs("    \"kind\": \"List\",\n    \"metadata\": {\n"
		      "        \"resourceVersion\": \"\"\n    }\n}", f);
	fputc('\n', f);
}

/* ---- YAML ---- */

/* True when @s, written plain, would read back as the same string. */
static bool plain_is_string(const char *s)
{
	static const char *const special[] = { "null", "~", "true", "false",
		"yes", "no", "on", "off", "y", "n", ".nan", ".inf", "-.inf",
		"+.inf" };
	char *end;

	if (!*s)
		return false;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcasecmp(s, special[i]))
			return false;
	strtod(s, &end);
	if (!*end || (*s >= '0' && *s <= '9'))
		return false;
	return true;
}

static int emit_scalar(yaml_emitter_t *e, const char *value, bool plain)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
					  (yaml_char_t *)value, -1,
					  plain || plain_is_string(value), 1,
					  YAML_ANY_SCALAR_STYLE))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_node(yaml_emitter_t *e, yaml_document_t *doc,
		     yaml_node_t *n, const char *kind);

static int emit_mapping(yaml_emitter_t *e, yaml_document_t *doc,
			yaml_node_t *n, const char *kind)
{
	yaml_event_t ev;
	int rc = 0;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						 YAML_BLOCK_MAPPING_STYLE) ||
	    !yaml_emitter_emit(e, &ev))
		return -1;
	if (kind)
		rc = emit_scalar(e, "kind", false) ?: emit_scalar(e, kind, false);
	for (yaml_node_pair_t *p = n ? n->data.mapping.pairs.start : NULL;
	     !rc && p && p < n->data.mapping.pairs.top; p++)
		rc = emit_node(e, doc, yaml_document_get_node(doc, p->key),
			       NULL) ?:
		     emit_node(e, doc, yaml_document_get_node(doc, p->value),
			       NULL);
	if (rc || !yaml_mapping_end_event_initialize(&ev))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_node(yaml_emitter_t *e, yaml_document_t *doc,
		     yaml_node_t *n, const char *kind)
{
	yaml_event_t ev;
	int rc = 0;

	if (!n)
		return emit_scalar(e, "null", true);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return emit_scalar(e, (const char *)n->data.scalar.value,
				   n->data.scalar.style ==
					   YAML_PLAIN_SCALAR_STYLE);
	case YAML_SEQUENCE_NODE:
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
				ctl_node_len(n) ? YAML_BLOCK_SEQUENCE_STYLE :
						  YAML_FLOW_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(e, &ev))
			return -1;
		for (size_t i = 0; !rc && i < ctl_node_len(n); i++)
			rc = emit_node(e, doc, ctl_node_item(doc, n, i), NULL);
		if (rc || !yaml_sequence_end_event_initialize(&ev))
			return -1;
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	case YAML_MAPPING_NODE:
		return emit_mapping(e, doc, n, kind);
	default:
		return -1;
	}
}

static int emit_list(yaml_emitter_t *e, const struct ctl_obj *objs, size_t n)
{
	yaml_event_t ev;
	int rc;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						 YAML_BLOCK_MAPPING_STYLE) ||
	    !yaml_emitter_emit(e, &ev))
		return -1;
	rc = emit_scalar(e, "apiVersion", false) ?: emit_scalar(e, "v1", false) ?:
	     emit_scalar(e, "items", false);
	if (rc || !yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
				n ? YAML_BLOCK_SEQUENCE_STYLE :
				    YAML_FLOW_SEQUENCE_STYLE) ||
	    !yaml_emitter_emit(e, &ev))
		return -1;
	for (size_t i = 0; !rc && i < n; i++)
		rc = emit_mapping(e, objs[i].doc, objs[i].node, objs[i].kind);
	if (rc || !yaml_sequence_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(e, &ev))
		return -1;
	rc = emit_scalar(e, "kind", false) ?: emit_scalar(e, "List", false) ?:
	     emit_scalar(e, "metadata", false);
	if (rc || !yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						 YAML_BLOCK_MAPPING_STYLE) ||
	    !yaml_emitter_emit(e, &ev))
		return -1;
	rc = emit_scalar(e, "resourceVersion", false) ?: emit_scalar(e, "", false);
	if (rc || !yaml_mapping_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(e, &ev) ||
	    !yaml_mapping_end_event_initialize(&ev))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

int ctl_emit_yaml(FILE *f, const struct ctl_obj *objs, size_t n, bool list)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int rc = -1;

	if (!yaml_emitter_initialize(&e))
		return -1;
	yaml_emitter_set_output_file(&e, f);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&e, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&e, &ev))
		goto out;
	if (list ? emit_list(&e, objs, n) :
		   emit_mapping(&e, objs[0].doc, objs[0].node, objs[0].kind))
		goto out;
	if (yaml_document_end_event_initialize(&ev, 1) &&
	    yaml_emitter_emit(&e, &ev) &&
	    yaml_stream_end_event_initialize(&ev) &&
	    yaml_emitter_emit(&e, &ev))
		rc = 0;
out:
	yaml_emitter_delete(&e);
	return rc;
}
