/*
 * manifest.c - manifest texts cut into documents (see manifest.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"

/* As the daemon's loader: files bigger than this are refused anyway. */
#define TEXT_MAX (3u << 20)

static int read_text(const char *path, char **text, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t cap = 0, n = 0;
	char *buf = NULL;
	int rc = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *grown = realloc(buf, cap = 2 * cap + 8192);

			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			buf = grown;
		}
		size_t got = fread(buf + n, 1, 4096, f);

		n += got;
		if (n > TEXT_MAX) {
			rc = -EFBIG;
			break;
		}
		if (got < 4096) {
			rc = ferror(f) ? -EIO : 0;
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

static bool namespaced(const char *kind)
{
	const struct ctl_kind *k = ctl_kind_of(kind);

	return k ? k->namespaced : strcmp(kind, "Namespace") != 0;
}

/* The object at @obj (a mapping with kind and metadata.name), or no key. */
static int add_key(struct ctl_doc *d, yaml_document_t *doc, yaml_node_t *obj)
{
	yaml_node_t *meta = ctl_node_get(doc, obj, "metadata");
	const char *kind = ctl_node_str(doc, obj, "kind");
	const char *name = ctl_node_str(doc, meta, "name");
	const char *ns = ctl_node_str(doc, meta, "namespace");
	struct ctl_key *keys, *k;

	if (!kind || !name)
		return 0;
	keys = realloc(d->keys, (d->n_keys + 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	d->keys = keys;
	k = &d->keys[d->n_keys];
	k->kind = strdup(kind);
	k->name = strdup(name);
	k->ns = strdup(!namespaced(kind) ? "" : ns && *ns ? ns : "default");
	k->canon = ctl_node_canon(doc, obj);
	d->n_keys++;
	return k->kind && k->name && k->ns ? 0 : -ENOMEM;
}

static int index_doc(struct ctl_doc *d, yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	const char *kind = ctl_node_str(doc, root, "kind");
	yaml_node_t *items;
	int rc = 0;

	d->line = (unsigned)doc->start_mark.line + 1;
	if (!kind || strcmp(kind, "List"))
		return add_key(d, doc, root);
	d->is_list = true;
	items = ctl_node_get(doc, root, "items");
	for (size_t i = 0; i < ctl_node_len(items) && !rc; i++)
		rc = add_key(d, doc, ctl_node_item(doc, items, i));
	return rc;
}

static int parse(struct ctl_manifest *mf)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)mf->text,
				     mf->len);
	for (;;) {
		struct ctl_doc *docs;

		if (!yaml_parser_load(&parser, &doc)) {
			/* not YAML: the loader says why when it matters */
			mf->n_docs = 0;
			goto out;
		}
		if (!yaml_document_get_root_node(&doc)) {
			yaml_document_delete(&doc);
			break;
		}
		docs = realloc(mf->docs, (mf->n_docs + 1) * sizeof(*docs));
		if (!docs) {
			yaml_document_delete(&doc);
			rc = -ENOMEM;
			goto out;
		}
		mf->docs = docs;
		memset(&docs[mf->n_docs], 0, sizeof(*docs));
		docs[mf->n_docs].start = mf->n_docs ? doc.start_mark.index : 0;
		rc = index_doc(&docs[mf->n_docs++], &doc);
		yaml_document_delete(&doc);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < mf->n_docs; i++)
		mf->docs[i].end = i + 1 < mf->n_docs ? mf->docs[i + 1].start :
						       mf->len;
	mf->parsed = true;
out:
	yaml_parser_delete(&parser);
	return rc;
}

int ctl_manifest_read(const char *path, struct ctl_manifest *mf)
{
	int rc;

	memset(mf, 0, sizeof(*mf));
	mf->path = strdup(path);
	if (!mf->path)
		return -ENOMEM;
	rc = read_text(path, &mf->text, &mf->len);
	if (!rc)
		rc = parse(mf);
	if (rc)
		ctl_manifest_release(mf);
	return rc;
}

void ctl_manifest_release(struct ctl_manifest *mf)
{
	for (size_t i = 0; i < mf->n_docs; i++) {
		for (size_t j = 0; j < mf->docs[i].n_keys; j++) {
			struct ctl_key *k = &mf->docs[i].keys[j];

			free(k->kind);
			free(k->ns);
			free(k->name);
			free(k->canon);
		}
		free(mf->docs[i].keys);
	}
	free(mf->docs);
	free(mf->text);
	free(mf->path);
	memset(mf, 0, sizeof(*mf));
}

bool ctl_key_same(const struct ctl_key *a, const struct ctl_key *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(a->ns, b->ns) &&
	       !strcmp(a->name, b->name);
}

void ctl_key_ref(const struct ctl_key *key, char *buf, size_t len)
{
	const struct ctl_kind *k = ctl_kind_of(key->kind);
	char kind[128];
	size_t i;

	if (k) {
		ctl_kind_name(k, false, kind, sizeof(kind));
	} else {
		for (i = 0; key->kind[i] && i + 1 < sizeof(kind); i++)
			kind[i] = (char)(key->kind[i] >= 'A' && key->kind[i] <= 'Z' ?
					 key->kind[i] - 'A' + 'a' : key->kind[i]);
		kind[i] = '\0';
	}
	snprintf(buf, len, "%s/%s", kind, key->name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static int manifest_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' &&
	       (has_suffix(d->d_name, ".yaml") || has_suffix(d->d_name, ".yml") ||
		has_suffix(d->d_name, ".json"));
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int add_file(struct ctl_source *s, const char *path)
{
	struct ctl_manifest *files;
	struct stat st;
	int rc;

	/* a directory or socket named *.yaml is not a manifest */
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	files = realloc(s->files, (s->n + 1) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	s->files = files;
	rc = ctl_manifest_read(path, &s->files[s->n]);
	if (!rc)
		s->n++;
	return rc == -ENOENT ? 0 : rc;
}

int ctl_source_read(const struct ctl_mount *m, struct ctl_source *s)
{
	struct dirent **list;
	char path[PATH_MAX];
	int n, rc = 0;

	memset(s, 0, sizeof(*s));
	if (!m->source_is_dir)
		rc = add_file(s, m->source);
	n = m->source_is_dir ? scandir(m->source, &list, manifest_filter,
				       name_cmp) : 0;
	if (n < 0)
		rc = -errno;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->source, list[i]->d_name);
		if (!rc)
			rc = add_file(s, path);
		free(list[i]);
	}
	if (n > 0)
		free(list);
	if (rc) {
		fprintf(stderr, "error: reading SOURCE %s: %s\n", m->source,
			strerror(-rc));
		ctl_source_release(s);
	}
	return rc;
}

void ctl_source_release(struct ctl_source *s)
{
	for (size_t i = 0; i < s->n; i++)
		ctl_manifest_release(&s->files[i]);
	free(s->files);
	memset(s, 0, sizeof(*s));
}

bool ctl_source_find(const struct ctl_source *s, const struct ctl_key *key,
		     size_t *file, size_t *doc, size_t *index)
{
	for (size_t f = 0; f < s->n; f++)
		for (size_t d = 0; d < s->files[f].n_docs; d++)
			for (size_t i = 0; i < s->files[f].docs[d].n_keys; i++)
				if (ctl_key_same(&s->files[f].docs[d].keys[i],
						 key)) {
					*file = f;
					*doc = d;
					*index = i;
					return true;
				}
	return false;
}

/* True when @s[0..len) holds only blanks, comments and document markers. */
static bool blank(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t eol = i;

		while (eol < len && s[eol] != '\n')
			eol++;
		while (i < eol && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i < eol && s[i] != '#' && strncmp(s + i, "---", 3) &&
		    strncmp(s + i, "...", 3))
			return false;
		i = eol + 1;
	}
	return true;
}

/* Whether @s starts, past blank and comment lines, with "---". */
static bool starts_with_marker(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i < len && s[i] == '#') {
			while (i < len && s[i] != '\n')
				i++;
		}
		if (i < len && s[i] == '\n') {
			i++;
			continue;
		}
		return len - i >= 3 && !strncmp(s + i, "---", 3);
	}
	return false;
}

static void put_piece(FILE *f, const char *s, size_t len, bool *first)
{
	if (!*first && !starts_with_marker(s, len))
		fputs("---\n", f);
	fwrite(s, 1, len, f);
	if (len && s[len - 1] != '\n')
		fputc('\n', f);
	*first = false;
}

char *ctl_manifest_compose(const struct ctl_manifest *mf, const bool *drop,
			   const char *extra, size_t extra_len, bool *empty)
{
	bool first = true;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	*empty = true;
	for (size_t i = 0; mf && i < mf->n_docs; i++) {
		const struct ctl_doc *d = &mf->docs[i];

		if (drop[i])
			continue;
		put_piece(f, mf->text + d->start, d->end - d->start, &first);
		*empty = *empty && blank(mf->text + d->start, d->end - d->start);
	}
	if (extra) {
		put_piece(f, extra, extra_len, &first);
		*empty = *empty && blank(extra, extra_len);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *ctl_write_temp(const char *path, const char *text, size_t len)
{
	char *copy = strdup(path), *tmp = NULL;
	int fd = -1, saved;

	if (!copy || asprintf(&tmp, "%s/.%s.XXXXXX", dirname(copy),
			      strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		tmp = NULL;
		goto fail;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, 0644) || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd))
		goto fail_unlink;
	if (close(fd)) {
		fd = -1;
		goto fail_unlink;
	}
	free(copy);
	return tmp;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	saved = errno ? errno : ENOMEM;
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(copy);
	errno = saved;
	return NULL;
}
