/*
 * volume.c - spec.volumes[]: decoding, defaulting and validation.
 *
 * Follows ValidateVolumes: the source is checked first, then the name; a
 * volume that fails validation is left out of the set that volumeMounts may
 * name (so a mount of it also fails with "Not found"). An unknown or
 * repeated key is not such a failure: upstream meets it while decoding,
 * before any validation, so it never costs the mounts their volume.
 * Sources are counted in the fixed order of validateVolumeSource, so "may
 * not specify more than 1 volume type" lands on the later source in that
 * order, not in the file's. A volume whose every source is absent or null
 * is defaulted to emptyDir.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_i.h"

typedef void source_decode_fn(struct spec_ctx *c, yaml_node_t *m,
			      struct spec_volume *v);

struct source_def {
	const char *key;
	enum spec_volume_type type;
	source_decode_fn *decode;		/* NULL: accepted uninspected */
	const char *const *fields;
};

static const char *const empty_dir_fields[] = { "medium", "sizeLimit", NULL };
static const char *const host_path_fields[] = { "path", "type", NULL };
static const char *const git_repo_fields[] = { "repository", "revision",
					       "directory", NULL };
static const char *const nfs_fields[] = { "server", "path", "readOnly", NULL };
static const char *const pvc_fields[] = { "claimName", "readOnly", NULL };

static const char *const host_path_types[] = { "", "BlockDevice",
	"CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate",
	"Socket", NULL };

/* Splits on '/' and looks for an element equal to "..". */
static bool has_backstep(const char *p)
{
	size_t n;

	for (;;) {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (!p[n])
			return false;
		p += n + 1;
	}
}

/* validateLocalDescendingPath on the current path. */
void spec_check_descending_path(struct spec_ctx *c, const yaml_mark_t *m,
			   const char *p)
{
	if (p[0] == '/')
		spec_err_invalid(c, m, p, "must be a relative path");
	if (has_backstep(p))
		spec_err_invalid(c, m, p, "must not contain '..'");
}

static void size_limit_decode(struct spec_ctx *c, yaml_node_t *m,
			      struct spec_volume *v)
{
	struct spec_field f;
	size_t mark = spec_path_key(&c->path, "sizeLimit");
	const char *why, *text;
	char *trimmed;
	size_t len;

	spec_map_find(c, m, "sizeLimit", &f);
	if (!f.val)
		goto out_reset;
	if (!spec_node_is_text(f.val)) {
		spec_err_type(c, f.val, "a quantity");
		goto out_reset;
	}
	/* Quantity's UnmarshalJSON trims spaces before parsing */
	text = (const char *)f.val->data.scalar.value;
	text += strspn(text, " \t\r\n");
	len = strlen(text);
	while (len && strchr(" \t\r\n", text[len - 1]))
		len--;
	trimmed = strndup(text, len);
	if (!trimmed) {
		c->oom = true;
		goto out_reset;
	}
	if (quantity_parse(trimmed, &v->empty_dir.size_limit, &why))
		spec_err_invalid(c, &f.mark, trimmed, why);
	else if (quantity_is_negative(&v->empty_dir.size_limit))
		spec_err_forbidden(c, &f.mark,
			      "SizeLimit field must be a valid resource quantity");
	else
		v->empty_dir.has_size_limit = true;
	free(trimmed);
out_reset:
	spec_path_reset(&c->path, mark);
}

static void empty_dir_decode(struct spec_ctx *c, yaml_node_t *m,
			     struct spec_volume *v)
{
	v->empty_dir.medium = m ? spec_get_str(c, m, "medium", NULL) :
				  spec_ctx_strdup(c, "");
	if (m)
		size_limit_decode(c, m, v);
}

static void host_path_decode(struct spec_ctx *c, yaml_node_t *m,
			     struct spec_volume *v)
{
	struct spec_field fp, ft;
	size_t mark;

	v->host_path.path = spec_get_str(c, m, "path", &fp);
	v->host_path.type = spec_get_str(c, m, "type", &ft);
	if (!v->host_path.path || !v->host_path.type)
		return;
	mark = spec_path_key(&c->path, "path");
	if (!*v->host_path.path) {
		spec_err_required(c, &fp.mark, NULL);
		spec_path_reset(&c->path, mark);
		return;
	}
	if (has_backstep(v->host_path.path))
		spec_err_invalid(c, &fp.mark, v->host_path.path,
			    "must not contain '..'");
	spec_path_reset(&c->path, mark);
	mark = spec_path_key(&c->path, "type");
	for (size_t i = 0; ft.val && host_path_types[i]; i++)
		if (strcmp(v->host_path.type, host_path_types[i]) == 0)
			ft.val = NULL;
	if (ft.val)
		spec_err_unsupported(c, &ft.mark, v->host_path.type, host_path_types);
	spec_path_reset(&c->path, mark);
}

static void git_repo_decode(struct spec_ctx *c, yaml_node_t *m,
			    struct spec_volume *v)
{
	struct spec_field fr, fd;
	size_t mark;

	v->git_repo.repository = spec_get_str(c, m, "repository", &fr);
	v->git_repo.revision = spec_get_str(c, m, "revision", NULL);
	v->git_repo.directory = spec_get_str(c, m, "directory", &fd);
	if (!v->git_repo.repository || !v->git_repo.directory)
		return;
	mark = spec_path_key(&c->path, "repository");
	if (!*v->git_repo.repository)
		spec_err_required(c, &fr.mark, NULL);
	spec_path_reset(&c->path, mark);
	mark = spec_path_key(&c->path, "directory");
	spec_check_descending_path(c, &fd.mark, v->git_repo.directory);
	spec_path_reset(&c->path, mark);
}

static void nfs_decode(struct spec_ctx *c, yaml_node_t *m,
		       struct spec_volume *v)
{
	struct spec_field fs, fp;
	size_t mark;

	v->nfs.server = spec_get_str(c, m, "server", &fs);
	v->nfs.path = spec_get_str(c, m, "path", &fp);
	v->nfs.read_only = spec_get_bool(c, m, "readOnly");
	if (!v->nfs.server || !v->nfs.path)
		return;
	mark = spec_path_key(&c->path, "server");
	if (!*v->nfs.server)
		spec_err_required(c, &fs.mark, NULL);
	spec_path_reset(&c->path, mark);
	mark = spec_path_key(&c->path, "path");
	if (!*v->nfs.path)
		spec_err_required(c, &fp.mark, NULL);
	if (v->nfs.path[0] != '/')
		spec_err_invalid(c, &fp.mark, v->nfs.path, "must be an absolute path");
	spec_path_reset(&c->path, mark);
}

static void pvc_decode(struct spec_ctx *c, yaml_node_t *m,
		       struct spec_volume *v)
{
	struct spec_field f;
	size_t mark;

	v->pvc.claim_name = spec_get_str(c, m, "claimName", &f);
	v->pvc.read_only = spec_get_bool(c, m, "readOnly");
	if (!v->pvc.claim_name)
		return;
	mark = spec_path_key(&c->path, "claimName");
	if (!*v->pvc.claim_name)
		spec_err_required(c, &f.mark, NULL);
	spec_path_reset(&c->path, mark);
}

#define OTHER(key) { key, SPEC_VOL_OTHER, NULL, NULL }

/* In the order validateVolumeSource counts them. */
static const struct source_def sources[] = {
	{ "emptyDir", SPEC_VOL_EMPTYDIR, empty_dir_decode, empty_dir_fields },
	{ "hostPath", SPEC_VOL_HOSTPATH, host_path_decode, host_path_fields },
	{ "gitRepo", SPEC_VOL_GITREPO, git_repo_decode, git_repo_fields },
	OTHER("gcePersistentDisk"),
	OTHER("awsElasticBlockStore"),
	OTHER("secret"),
	{ "nfs", SPEC_VOL_NFS, nfs_decode, nfs_fields },
	OTHER("iscsi"),
	OTHER("glusterfs"),
	OTHER("flocker"),
	{ "persistentVolumeClaim", SPEC_VOL_PVC, pvc_decode, pvc_fields },
	OTHER("rbd"),
	OTHER("cinder"),
	OTHER("cephfs"),
	OTHER("quobyte"),
	OTHER("downwardAPI"),
	OTHER("fc"),
	OTHER("flexVolume"),
	OTHER("configMap"),
	OTHER("azureFile"),
	OTHER("vsphereVolume"),
	OTHER("photonPersistentDisk"),
	OTHER("portworxVolume"),
	OTHER("azureDisk"),
	OTHER("storageos"),
	OTHER("projected"),
	OTHER("scaleIO"),
	OTHER("csi"),
	OTHER("ephemeral"),
	OTHER("image"),
};

#define N_SOURCES (sizeof(sources) / sizeof(sources[0]))

/* "name" and every key of sources[] */
static const char *const volume_fields[] = { "name", "emptyDir", "hostPath",
	"gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs",
	"iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd",
	"cinder", "cephfs", "quobyte", "downwardAPI", "fc", "flexVolume",
	"configMap", "azureFile", "vsphereVolume", "photonPersistentDisk",
	"portworxVolume", "azureDisk", "storageos", "projected", "scaleIO",
	"csi", "ephemeral", "image", NULL };

_Static_assert(sizeof(volume_fields) / sizeof(volume_fields[0]) == N_SOURCES + 2,
	       "volume_fields must list every source");

/* Decodes the one source of @item; returns how many non-null sources it has. */
static unsigned source_decode(struct spec_ctx *c, yaml_node_t *item,
			      const struct source_def *d, unsigned count,
			      struct spec_volume *v)
{
	struct spec_field f;
	size_t mark = spec_path_key(&c->path, d->key);

	spec_map_find(c, item, d->key, &f);
	if (!f.val)
		goto out_reset;
	if (count++ > 0) {
		spec_err_forbidden(c, &f.key->start_mark,
			      "may not specify more than 1 volume type");
		goto out_reset;
	}
	v->type = d->type;
	v->source = spec_ctx_strdup(c, d->key);
	if (!spec_want_kind(c, f.val, YAML_MAPPING_NODE, "a mapping") || !d->decode)
		goto out_reset;
	spec_map_check(c, f.val, d->fields);
	d->decode(c, f.val, v);
out_reset:
	spec_path_reset(&c->path, mark);
	return count;
}

static void sources_decode(struct spec_ctx *c, yaml_node_t *item,
			   struct spec_volume *v)
{
	unsigned count = 0;

	for (size_t i = 0; i < N_SOURCES; i++)
		count = source_decode(c, item, &sources[i], count, v);
	if (count)
		return;
	/* the v1 defaulter: a volume without a source is an emptyDir */
	v->type = SPEC_VOL_EMPTYDIR;
	v->source = spec_ctx_strdup(c, "emptyDir");
	empty_dir_decode(c, NULL, v);
}

static void volume_name_check(struct spec_ctx *c, const struct spec_pod *pod,
			      size_t i, const struct strmap *valid,
			      const struct spec_field *f)
{
	const char *name = pod->volumes[i].name, *msgs[2];
	size_t mark = spec_path_key(&c->path, "name");
	unsigned n;

	if (!*name) {
		spec_err_required(c, &f->mark, NULL);
	} else {
		n = spec_dns_label_errors(name, msgs);
		for (unsigned k = 0; k < n; k++)
			spec_err_invalid(c, &f->mark, name, msgs[k]);
	}
	if (strmap_find(valid, name, strlen(name), NULL))
		spec_err_duplicate(c, &f->mark, name);
	spec_path_reset(&c->path, mark);
}

/*
 * A claimName equal to "<pod>-<volume>" of an ephemeral volume of the same
 * pod; @ephemeral holds the names of those volumes.
 */
static void ephemeral_claim_check(struct spec_ctx *c, yaml_node_t *item,
				  const struct spec_pod *pod,
				  const struct spec_volume *v,
				  const struct strmap *ephemeral)
{
	const char *claim = v->pvc.claim_name;
	struct spec_field f, fp;
	size_t mark, n;

	if (v->type != SPEC_VOL_PVC || !claim || !pod->name || !*pod->name)
		return;
	n = strlen(pod->name);
	if (strncmp(claim, pod->name, n) != 0 || claim[n] != '-' ||
	    !strmap_find(ephemeral, claim + n + 1, strlen(claim + n + 1), NULL))
		return;
	spec_map_find(c, item, "persistentVolumeClaim", &fp);
	spec_map_find(c, fp.val, "claimName", &f);
	mark = spec_path_key(&c->path, "persistentVolumeClaim.claimName");
	spec_err_invalid(c, &f.mark, claim,
		    "must not reference a PVC that gets created for an ephemeral volume");
	spec_path_reset(&c->path, mark);
}

static void volume_decode(struct spec_ctx *c, yaml_node_t *item, size_t i,
			  struct spec_pod *pod, struct strmap *valid)
{
	struct spec_volume *v = &pod->volumes[i];
	size_t mark = spec_path_index(&c->path, i);
	unsigned before = c->nerr - c->nkeys;
	struct spec_field f;

	spec_pos_of(c, &item->start_mark, &v->pos);
	if (!spec_want_kind(c, item, YAML_MAPPING_NODE, "a mapping")) {
		v->name = spec_ctx_strdup(c, "");
		goto out_reset;
	}
	spec_map_check(c, item, volume_fields);
	v->name = spec_get_str(c, item, "name", &f);
	sources_decode(c, item, v);
	if (v->name)
		volume_name_check(c, pod, i, valid, &f);
	if (v->name && c->nerr - c->nkeys == before &&
	    strmap_add(valid, v->name, strlen(v->name), v, NULL) < 0)
		c->oom = true;
out_reset:
	spec_path_reset(&c->path, mark);
}

/* The names of the ephemeral volumes of @pod, its first @n volumes. */
static void ephemeral_names(struct spec_ctx *c, const struct spec_pod *pod,
			    struct strmap *names)
{
	for (size_t i = 0; i < pod->n_volumes; i++) {
		const struct spec_volume *e = &pod->volumes[i];

		if (e->source && strcmp(e->source, "ephemeral") == 0 && e->name &&
		    strmap_add(names, e->name, strlen(e->name), NULL, NULL) < 0)
			c->oom = true;
	}
}

int spec_volumes_decode(struct spec_ctx *c, yaml_node_t *seq, struct spec_pod *pod,
		   struct strmap *valid)
{
	size_t n = spec_seq_len(seq), mark;
	struct strmap ephemeral;

	pod->volumes = spec_ctx_calloc(c, n, sizeof(*pod->volumes));
	if (!pod->volumes)
		return -ENOMEM;
	pod->n_volumes = n;
	mark = spec_path_key(&c->path, "volumes");
	for (size_t i = 0; i < n; i++)
		volume_decode(c, spec_seq_item(c, seq, i), i, pod, valid);
	strmap_init(&ephemeral);
	ephemeral_names(c, pod, &ephemeral);
	for (size_t i = 0; ephemeral.n && i < n; i++) {
		size_t imark = spec_path_index(&c->path, i);

		if (pod->volumes[i].source)
			ephemeral_claim_check(c, spec_seq_item(c, seq, i), pod,
					      &pod->volumes[i], &ephemeral);
		spec_path_reset(&c->path, imark);
	}
	strmap_free(&ephemeral);
	spec_path_reset(&c->path, mark);
	return c->oom ? -ENOMEM : 0;
}
