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
 * is defaulted to emptyDir. An ephemeral volume is a claim made for its
 * pod (pvc.c); a StatefulSet's pods get a claim volume per template first,
 * and those replace the template's volumes of the same name.
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
	source_decode_fn *decode;		/* NULL: not decoded here */
	const char *const *fields;		/* NULL: none, or the decoder's own */
};

static const char *const empty_dir_fields[] = { "medium", "sizeLimit", NULL };
static const char *const host_path_fields[] = { "path", "type", NULL };
static const char *const git_repo_fields[] = { "repository", "revision",
					       "directory", NULL };
static const char *const nfs_fields[] = { "server", "path", "readOnly", NULL };
static const char *const pvc_fields[] = { "claimName", "readOnly", NULL };
static const char *const ephemeral_fields[] = { "volumeClaimTemplate", NULL };

static const char *const host_path_types[] = { "", "BlockDevice",
	"CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate",
	"Socket", NULL };

bool spec_has_backstep(const char *p)
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
	if (spec_has_backstep(p))
		spec_err_invalid(c, m, p, "must not contain '..'");
}

bool spec_quantity_value(struct spec_ctx *c, const struct spec_field *f,
			 struct quantity *q)
{
	const char *why, *text;
	char *trimmed;
	size_t len;
	bool ok = false;

	if (!spec_node_is_text(f->val)) {
		spec_err_type(c, f->val, "a quantity");
		return false;
	}
	/* Quantity's UnmarshalJSON trims spaces before parsing */
	text = (const char *)f->val->data.scalar.value;
	text += strspn(text, " \t\r\n");
	len = strlen(text);
	while (len && strchr(" \t\r\n", text[len - 1]))
		len--;
	trimmed = strndup(text, len);
	if (!trimmed) {
		c->oom = true;
		return false;
	}
	if (quantity_parse(trimmed, q, &why))
		spec_err_invalid(c, &f->mark, trimmed, why);
	else
		ok = true;
	free(trimmed);
	return ok;
}

bool spec_quantity_decode(struct spec_ctx *c, yaml_node_t *map,
			  const char *key, struct quantity *q)
{
	size_t mark = spec_path_key(&c->path, key);
	struct spec_field f;
	bool ok = false;

	spec_map_find(c, map, key, &f);
	if (f.val)
		ok = spec_quantity_value(c, &f, q);
	spec_path_reset(&c->path, mark);
	return ok;
}

static void size_limit_decode(struct spec_ctx *c, yaml_node_t *m,
			      struct spec_volume *v)
{
	struct quantity *q = &v->empty_dir.size_limit;
	struct spec_field f;
	size_t mark;

	if (!spec_quantity_decode(c, m, "sizeLimit", q))
		return;
	if (!quantity_is_negative(q)) {
		v->empty_dir.has_size_limit = true;
		return;
	}
	spec_map_find(c, m, "sizeLimit", &f);
	mark = spec_path_key(&c->path, "sizeLimit");
	spec_err_forbidden(c, &f.mark,
		      "SizeLimit field must be a valid resource quantity");
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

void spec_host_path_decode(struct spec_ctx *c, yaml_node_t *m, char **path,
			   char **type)
{
	struct spec_field fp, ft;
	size_t mark;

	spec_map_check(c, m, host_path_fields);
	*path = spec_get_str(c, m, "path", &fp);
	*type = spec_get_str(c, m, "type", &ft);
	if (!*path || !*type)
		return;
	mark = spec_path_key(&c->path, "path");
	if (!**path) {
		spec_err_required(c, &fp.mark, NULL);
		spec_path_reset(&c->path, mark);
		return;
	}
	if (spec_has_backstep(*path))
		spec_err_invalid(c, &fp.mark, *path, "must not contain '..'");
	spec_path_reset(&c->path, mark);
	mark = spec_path_key(&c->path, "type");
	for (size_t i = 0; ft.val && host_path_types[i]; i++)
		if (strcmp(*type, host_path_types[i]) == 0)
			ft.val = NULL;
	if (ft.val)
		spec_err_unsupported(c, &ft.mark, *type, host_path_types);
	spec_path_reset(&c->path, mark);
}

static void host_path_decode(struct spec_ctx *c, yaml_node_t *m,
			     struct spec_volume *v)
{
	spec_host_path_decode(c, m, &v->host_path.path, &v->host_path.type);
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

void spec_nfs_decode(struct spec_ctx *c, yaml_node_t *m, char **server,
		     char **path, bool *read_only)
{
	struct spec_field fs, fp;
	size_t mark;

	spec_map_check(c, m, nfs_fields);
	*server = spec_get_str(c, m, "server", &fs);
	*path = spec_get_str(c, m, "path", &fp);
	*read_only = spec_get_bool(c, m, "readOnly");
	if (!*server || !*path)
		return;
	mark = spec_path_key(&c->path, "server");
	if (!**server)
		spec_err_required(c, &fs.mark, NULL);
	spec_path_reset(&c->path, mark);
	mark = spec_path_key(&c->path, "path");
	if (!**path)
		spec_err_required(c, &fp.mark, NULL);
	if ((*path)[0] != '/')
		spec_err_invalid(c, &fp.mark, *path, "must be an absolute path");
	spec_path_reset(&c->path, mark);
}

static void nfs_decode(struct spec_ctx *c, yaml_node_t *m,
		       struct spec_volume *v)
{
	spec_nfs_decode(c, m, &v->nfs.server, &v->nfs.path, &v->nfs.read_only);
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
	/* hostPath and nfs check their own fields, as PVs have them too */
	{ "hostPath", SPEC_VOL_HOSTPATH, host_path_decode, NULL },
	{ "gitRepo", SPEC_VOL_GITREPO, git_repo_decode, git_repo_fields },
	OTHER("gcePersistentDisk"),
	OTHER("awsElasticBlockStore"),
	OTHER("secret"),
	{ "nfs", SPEC_VOL_NFS, nfs_decode, NULL },
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
	/* its claim needs the pod: volume_decode() makes it */
	{ "ephemeral", SPEC_VOL_PVC, NULL, ephemeral_fields },
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
	if (!spec_want_kind(c, f.val, YAML_MAPPING_NODE, "a mapping"))
		goto out_reset;
	if (d->fields)
		spec_map_check(c, f.val, d->fields);
	if (d->decode)
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

static void volume_name_check(struct spec_ctx *c, const struct spec_volume *v,
			      const struct strmap *valid,
			      const struct spec_field *f)
{
	const char *name = v->name, *msgs[2];
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

	if (v->type != SPEC_VOL_PVC || v->pvc.ephemeral || !claim ||
	    !pod->name || !*pod->name)
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

static void ephemeral_decode(struct spec_ctx *c, yaml_node_t *item,
			     const struct spec_pod *pod, struct spec_volume *v)
{
	size_t mark = spec_path_key(&c->path, "ephemeral");
	struct spec_field f;

	v->pvc.ephemeral = true;
	spec_map_find(c, item, "ephemeral", &f);
	if (f.val && f.val->type == YAML_MAPPING_NODE)
		spec_ephemeral_decode(c, f.val, pod, v);
	spec_path_reset(&c->path, mark);
}

/* Item @i of spec.volumes into @v. */
static void volume_decode(struct spec_ctx *c, yaml_node_t *item, size_t i,
			  const struct spec_pod *pod, struct spec_volume *v,
			  struct strmap *valid)
{
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
	if (v->name && v->source && strcmp(v->source, "ephemeral") == 0)
		ephemeral_decode(c, item, pod, v);
	if (v->name)
		volume_name_check(c, v, valid, &f);
	if (v->name && c->nerr - c->nkeys == before &&
	    strmap_add(valid, v->name, strlen(v->name), v, NULL) < 0)
		c->oom = true;
out_reset:
	spec_path_reset(&c->path, mark);
}

/* The names of the ephemeral volumes of @pod. */
static void ephemeral_names(struct spec_ctx *c, const struct spec_pod *pod,
			    struct strmap *names)
{
	for (size_t i = 0; i < pod->n_volumes; i++) {
		const struct spec_volume *e = &pod->volumes[i];

		if (e->pvc.ephemeral && e->name &&
		    strmap_add(names, e->name, strlen(e->name), NULL, NULL) < 0)
			c->oom = true;
	}
}

/* Whether @item is a volume that a claim volume of @cv replaces. */
static bool replaced(const struct spec_ctx *c, yaml_node_t *item,
		     const struct spec_claim_volumes *cv)
{
	struct spec_field f;

	if (!cv || item->type != YAML_MAPPING_NODE)
		return false;
	spec_map_find(c, item, "name", &f);
	if (!f.val || f.val->type != YAML_SCALAR_NODE)
		return false;
	for (size_t i = 0; i < cv->n; i++)
		if (strcmp((const char *)f.val->data.scalar.value, cv->names[i]) == 0)
			return true;
	return false;
}

/* The volumes a StatefulSet's controller adds, first in @pod's. */
static void claim_volumes_add(struct spec_ctx *c,
			      const struct spec_claim_volumes *cv,
			      struct spec_pod *pod, struct strmap *valid)
{
	for (size_t i = 0; cv && i < cv->n; i++) {
		struct spec_volume *v = &pod->volumes[i];

		v->name = spec_ctx_strdup(c, cv->names[i]);
		v->type = SPEC_VOL_PVC;
		v->source = spec_ctx_strdup(c, "persistentVolumeClaim");
		v->pvc.claim_name = spec_ctx_strdup(c, cv->claims[i]);
		spec_pos_of(c, &cv->marks[i], &v->pos);
		if (v->name && strmap_add(valid, v->name, strlen(v->name), v,
					  NULL) < 0)
			c->oom = true;
	}
}

int spec_volumes_decode(struct spec_ctx *c, yaml_node_t *seq,
		   const struct spec_claim_volumes *cv, struct spec_pod *pod,
		   struct strmap *valid)
{
	size_t n = spec_seq_len(seq), first = cv ? cv->n : 0, k, mark;
	struct strmap ephemeral;

	k = first;
	for (size_t i = 0; i < n; i++)
		k += !replaced(c, spec_seq_item(c, seq, i), cv);
	pod->volumes = spec_ctx_calloc(c, k, sizeof(*pod->volumes));
	if (!pod->volumes)
		return -ENOMEM;
	pod->n_volumes = k;
	claim_volumes_add(c, cv, pod, valid);
	mark = spec_path_key(&c->path, "volumes");
	for (size_t i = 0, j = first; i < n; i++)
		if (!replaced(c, spec_seq_item(c, seq, i), cv))
			volume_decode(c, spec_seq_item(c, seq, i), i, pod,
				      &pod->volumes[j++], valid);
	strmap_init(&ephemeral);
	ephemeral_names(c, pod, &ephemeral);
	for (size_t i = 0, j = first; ephemeral.n && i < n; i++) {
		yaml_node_t *item = spec_seq_item(c, seq, i);
		size_t imark;

		if (replaced(c, item, cv))
			continue;
		imark = spec_path_index(&c->path, i);
		if (pod->volumes[j].source)
			ephemeral_claim_check(c, item, pod, &pod->volumes[j],
					      &ephemeral);
		spec_path_reset(&c->path, imark);
		j++;
	}
	strmap_free(&ephemeral);
	spec_path_reset(&c->path, mark);
	return c->oom ? -ENOMEM : 0;
}
