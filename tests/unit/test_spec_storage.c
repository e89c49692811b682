/*
 * test_spec_storage.c - the storage kinds: PersistentVolumes, claims,
 * StorageClasses, StatefulSets and ephemeral volumes, as manifests written
 * to a scratch directory and loaded; their defaults, every validation
 * rule with its message, the expansion of templates, duplicates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podvolfs/spec.h"

struct fixture {
	struct spec_objects objs;
	struct podvolfs_err err;
	struct podvolfs_err warn;
	char dir[64];				/* a scratch directory */
	char path[128];				/* the last file written */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	spec_objects_init(&f->objs);
	err_init(&f->err);
	err_init(&f->warn);
	snprintf(f->dir, sizeof(f->dir), "/tmp/podvolfs-storage-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	spec_objects_free(&f->objs);
	assert_null(f->objs.pvs);
	assert_null(f->objs.pvcs);
	assert_null(f->objs.classes);
	assert_null(f->objs.statefulsets);
	assert_int_equal(f->objs.n_pvs + f->objs.n_pvcs + f->objs.n_classes +
			 f->objs.n_statefulsets + f->objs.n_pods, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static const char *scratch(struct fixture *f, const char *name,
			   const char *text)
{
	FILE *fp;

	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return f->path;
}

/* Loads @text, which must give neither an error nor a warning. */
static void load_ok(struct fixture *f, const char *text)
{
	char buf[4096];
	int rc;

	err_init(&f->err);
	err_init(&f->warn);
	rc = spec_load_file(scratch(f, "ok.yaml", text), SPEC_FIELDS_STRICT,
			    &f->objs, &f->err, &f->warn);
	err_join(&f->err, buf, sizeof(buf));
	if (rc != 0 || err_isset(&f->err))
		fail_msg("rc %d: %s", rc, buf);
	err_join(&f->warn, buf, sizeof(buf));
	if (err_isset(&f->warn))
		fail_msg("warnings: %s", buf);
}

/*
 * Loads @text, which must be refused, keeping nothing; returns whether
 * each of the @n "LINE:COL: FIELD: DETAIL" of @want is among its errors,
 * and says which is not.
 */
static bool refused_with(struct fixture *f, const char *text, size_t n,
			 const char *const *want)
{
	size_t before = f->objs.n_pods + f->objs.n_pvs + f->objs.n_pvcs +
			f->objs.n_classes + f->objs.n_statefulsets;
	char full[1024], buf[8192];
	unsigned kept;
	bool found;

	err_init(&f->err);
	assert_int_equal(spec_load_file(scratch(f, "bad.yaml", text),
					SPEC_FIELDS_STRICT, &f->objs, &f->err,
					NULL), -EINVAL);
	assert_int_equal(f->objs.n_pods + f->objs.n_pvs + f->objs.n_pvcs +
			 f->objs.n_classes + f->objs.n_statefulsets, before);
	kept = f->err.count < PODVOLFS_ERR_MAX ? f->err.count : PODVOLFS_ERR_MAX;
	for (size_t i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s:%s", f->path, want[i]);
		found = false;
		for (unsigned k = 0; k < kept && !found; k++)
			found = strcmp(f->err.msg[k], full) == 0;
		err_join(&f->err, buf, sizeof(buf));
		if (!found) {
			print_error("no error\n  %s\namong\n%s\n", full, buf);
			return false;
		}
	}
	return true;
}

static void refused(struct fixture *f, const char *text, size_t n,
		    const char *const *want)
{
	if (!refused_with(f, text, n, want))
		fail();
}

/* Whether @text is refused with exactly the one error @want. */
static bool refused_only(struct fixture *f, const char *text,
			 const char *want)
{
	if (!refused_with(f, text, 1, &want))
		return false;
	if (f->err.count == 1)
		return true;
	print_error("%u errors, want 1; the first: %s\n", f->err.count,
		    f->err.msg[0]);
	return false;
}

static void refused_one(struct fixture *f, const char *text, const char *want)
{
	if (!refused_only(f, text, want))
		fail();
}

static const char *kv(const struct spec_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

static const struct spec_pvc *claim(const struct fixture *f, const char *name)
{
	for (size_t i = 0; i < f->objs.n_pvcs; i++)
		if (strcmp(f->objs.pvcs[i].name, name) == 0)
			return &f->objs.pvcs[i];
	fail_msg("no claim %s", name);
	return NULL;
}

static const struct spec_pod *pod(const struct fixture *f, const char *name)
{
	for (size_t i = 0; i < f->objs.n_pods; i++)
		if (strcmp(f->objs.pods[i].name, name) == 0)
			return &f->objs.pods[i];
	fail_msg("no pod %s", name);
	return NULL;
}

/* ---- PersistentVolume ---- */

static void test_pv__defaults_and_sources(void **state)
{
	struct fixture *f = *state;
	const struct spec_pv *pv;

	load_ok(f,
		"apiVersion: v1\n"
		"kind: PersistentVolume\n"
		"metadata:\n"
		"  name: pv1\n"
		"  namespace: Not_A_Label\n"
		"  labels: {tier: fast}\n"
		"spec:\n"
		"  capacity: {storage: 2Gi}\n"
		"  accessModes: [ReadWriteOnce, ReadOnlyMany]\n"
		"  hostPath: {path: /srv/pv1}\n"
		"  mountOptions: [noatime]\n"
		"  claimRef: {name: data}\n"
		"status: {phase: Bound}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: PersistentVolume\n"
		"metadata:\n"
		"  name: pv2\n"
		"  annotations: {volume.beta.kubernetes.io/storage-class: legacy}\n"
		"spec:\n"
		"  capacity: {storage: 1G}\n"
		"  accessModes: [ReadWriteOncePod]\n"
		"  persistentVolumeReclaimPolicy: Delete\n"
		"  storageClassName: modern\n"
		"  volumeMode: Block\n"
		"  nfs: {server: nfs.example.com, path: /exports, readOnly: true}\n"
		"  claimRef: {namespace: apps, name: db, uid: \"1234\"}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: PersistentVolume\n"
		"metadata: {name: pv3}\n"
		"spec:\n"
		"  capacity: {storage: 1Mi}\n"
		"  accessModes: [ReadWriteMany]\n"
		"  storageClassName: local\n"
		"  local: {path: /mnt/disks/a, fsType: ext4}\n"
		"  nodeAffinity:\n"
		"    required:\n"
		"      nodeSelectorTerms:\n"
		"      - matchExpressions:\n"
		"        - {key: kubernetes.io/hostname, operator: In, values: [n1, n2]}\n"
		"        - {key: rank, operator: Gt, values: [\"3\"]}\n"
		"      - matchExpressions: [{key: zone, operator: DoesNotExist}]\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: PersistentVolume\n"
		"metadata: {name: pv4}\n"
		"spec:\n"
		"  capacity: {storage: 1Mi}\n"
		"  accessModes: [ReadWriteOnce]\n"
		"  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-1}\n");
	assert_int_equal(f->objs.n_pvs, 4);
	pv = &f->objs.pvs[0];
	assert_string_equal(pv->name, "pv1");
	assert_string_equal(kv(pv->labels, pv->n_labels, "tier"), "fast");
	assert_int_equal(quantity_value(&pv->capacity), 2LL << 30);
	assert_int_equal(pv->access_modes, SPEC_RWO | SPEC_ROX);
	assert_string_equal(pv->reclaim_policy, "Retain");
	assert_string_equal(pv->storage_class, "");
	assert_false(pv->block);
	assert_int_equal(pv->type, SPEC_PV_HOSTPATH);
	assert_string_equal(pv->source, "hostPath");
	assert_string_equal(pv->host_path.path, "/srv/pv1");
	assert_string_equal(pv->host_path.type, "");
	assert_int_equal(pv->n_mount_options, 1);
	assert_string_equal(pv->mount_options[0], "noatime");
	assert_true(pv->has_claim_ref);
	assert_string_equal(pv->claim_ref.namespace, "default");
	assert_string_equal(pv->claim_ref.name, "data");
	assert_string_equal(pv->claim_ref.uid, "");
	assert_int_equal(pv->pos.line, 1);
	assert_ptr_equal(pv->pos.file, pv->file);
	assert_string_equal(pv->list_item, "");

	pv = &f->objs.pvs[1];
	/* the legacy annotation wins over storageClassName */
	assert_string_equal(pv->storage_class, "legacy");
	assert_string_equal(pv->reclaim_policy, "Delete");
	assert_int_equal(pv->access_modes, SPEC_RWOP);
	assert_true(pv->block);
	assert_int_equal(pv->type, SPEC_PV_NFS);
	assert_string_equal(pv->nfs.server, "nfs.example.com");
	assert_string_equal(pv->nfs.path, "/exports");
	assert_true(pv->nfs.read_only);
	assert_string_equal(pv->claim_ref.namespace, "apps");
	assert_string_equal(pv->claim_ref.uid, "1234");
	assert_int_equal(pv->pos.line, 15);

	pv = &f->objs.pvs[2];
	assert_int_equal(pv->type, SPEC_PV_LOCAL);
	assert_string_equal(pv->local.path, "/mnt/disks/a");
	assert_string_equal(pv->storage_class, "local");
	assert_false(pv->has_claim_ref);
	assert_int_equal(pv->n_node_terms, 2);
	assert_int_equal(pv->node_terms[0].n_exprs, 2);
	assert_string_equal(pv->node_terms[0].exprs[0].key, "kubernetes.io/hostname");
	assert_int_equal(pv->node_terms[0].exprs[0].op, SPEC_OP_IN);
	assert_int_equal(pv->node_terms[0].exprs[0].n_values, 2);
	assert_string_equal(pv->node_terms[0].exprs[0].values[1], "n2");
	assert_int_equal(pv->node_terms[0].exprs[1].op, SPEC_OP_GT);
	assert_int_equal(pv->node_terms[1].exprs[0].op, SPEC_OP_DOES_NOT_EXIST);

	pv = &f->objs.pvs[3];
	assert_int_equal(pv->type, SPEC_PV_OTHER);
	assert_string_equal(pv->source, "csi");
}

static const char pv_head[] =
	"apiVersion: v1\n"
	"kind: PersistentVolume\n"
	"metadata: {name: pv}\n"
	"spec:\n";

/* A PV of @spec (lines under "spec:", from line 5). */
static char *pv_text(const char *spec)
{
	char *text;

	assert_true(asprintf(&text, "%s%s", pv_head, spec) > 0);
	return text;
}

struct case_one {
	const char *spec;
	const char *want;
};

/* Each case refused with its one error; all are tried, then failures fail. */
static void refused_cases(struct fixture *f, char *(*make)(const char *),
			  const struct case_one *cases, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		char *text = make(cases[i].spec);

		ok = refused_only(f, text, cases[i].want) && ok;
		free(text);
	}
	if (!ok)
		fail();
}

#define GOOD_PV "  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n"

static void test_pv__each_rule(void **state)
{
	static const struct case_one cases[] = {
		{ "  capacity: {storage: 1Gi}\n  hostPath: {path: /a}\n",
		  "5:3: spec.accessModes: Required value" },
		{ "  accessModes: []\n  capacity: {storage: 1Gi}\n  hostPath: {path: /a}\n",
		  "5:16: spec.accessModes: Required value" },
		{ "  accessModes: [ReadWriteOnce, ReadWriteSome]\n  capacity: {storage: 1Gi}\n  hostPath: {path: /a}\n",
		  "5:32: spec.accessModes: Unsupported value: \"ReadWriteSome\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"" },
		{ "  accessModes: [ReadWriteOncePod, ReadOnlyMany]\n  capacity: {storage: 1Gi}\n  hostPath: {path: /a}\n",
		  "5:16: spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes" },
		{ "  accessModes: [ReadWriteOnce]\n  hostPath: {path: /a}\n",
		  "5:3: spec.capacity: Required value" },
		{ "  accessModes: [ReadWriteOnce]\n  capacity: {size: 1Gi}\n  hostPath: {path: /a}\n",
		  "6:14: spec.capacity: Unsupported value: \"size\": supported values: \"storage\"" },
		{ "  accessModes: [ReadWriteOnce]\n  capacity: {storage: 0}\n  hostPath: {path: /a}\n",
		  "6:23: spec.capacity[storage]: Invalid value: \"0\": must be greater than zero" },
		{ "  accessModes: [ReadWriteOnce]\n  capacity: {storage: 1ki}\n  hostPath: {path: /a}\n",
		  "6:23: spec.capacity.storage: Invalid value: \"1ki\": unable to parse quantity's suffix" },
		{ GOOD_PV "  persistentVolumeReclaimPolicy: Keep\n  hostPath: {path: /a}\n",
		  "7:34: spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\"" },
		{ GOOD_PV,
		  "5:3: spec: Required value: must specify a volume type" },
		{ GOOD_PV "  hostPath: {path: /a}\n  nfs: {server: s, path: /e}\n",
		  "8:3: spec.nfs: Forbidden: may not specify more than 1 volume type" },
		{ GOOD_PV "  csi: {driver: d}\n  hostPath: {path: /a}\n",
		  "7:3: spec.csi: Forbidden: may not specify more than 1 volume type" },
		{ GOOD_PV "  hostPath: {path: /a}\n  cephfs: {monitors: [m]}\n",
		  "8:3: spec.cephFS: Forbidden: may not specify more than 1 volume type" },
		{ GOOD_PV "  hostPath: {path: /a/../b}\n",
		  "7:20: spec.hostPath.path: Invalid value: \"/a/../b\": must not contain '..'" },
		{ GOOD_PV "  hostPath: {path: /a, type: Dir}\n",
		  "7:30: spec.hostPath.type: Unsupported value: \"Dir\": supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"" },
		{ GOOD_PV "  nfs: {server: s, path: exports}\n",
		  "7:26: spec.nfs.path: Invalid value: \"exports\": must be an absolute path" },
		{ GOOD_PV "  local: {path: /mnt/a}\n",
		  "5:3: spec.nodeAffinity: Required value: Local volume requires node affinity" },
		{ GOOD_PV "  local: {path: /mnt/../a}\n"
		  "  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: k, operator: Exists}]}]}}\n",
		  "7:17: spec.local.path: Invalid value: \"/mnt/../a\": must not contain '..'" },
		{ GOOD_PV "  local: {path: /mnt/a}\n  nodeAffinity: {}\n",
		  "8:17: spec.nodeAffinity.required: Required value: must specify required node constraints" },
		{ GOOD_PV "  local: {path: /mnt/a}\n  nodeAffinity: {required: {nodeSelectorTerms: []}}\n",
		  "8:48: spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have at least one node selector term" },
		{ GOOD_PV "  hostPath: {path: /a}\n  nodeAffinity: {required: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [n]}]}]}}\n",
		  "8:63: spec.nodeAffinity.required.nodeSelectorTerms[0].matchFields: Forbidden: not supported by podvolfs: use matchExpressions with key kubernetes.io/hostname" },
		{ GOOD_PV "  hostPath: {path: /a}\n  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: k, operator: Lt}]}]}}\n",
		  "8:69: spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'" },
		{ GOOD_PV "  hostPath: {path: /a}\n  storageClassName: Fast\n",
		  "8:21: spec.storageClassName: Invalid value: \"Fast\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" },
		{ GOOD_PV "  hostPath: {path: /a}\n  volumeMode: Raw\n",
		  "8:15: spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"" },
		{ GOOD_PV "  hostPath: {path: //.}\n  persistentVolumeReclaimPolicy: Recycle\n",
		  "8:34: spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'" },
	};

	refused_cases(*state, pv_text, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Upstream counts a flexVolume without looking for an earlier source. */
static void test_pv__flex_volume_quirk(void **state)
{
	struct fixture *f = *state;
	char *text = pv_text(GOOD_PV "  hostPath: {path: /a}\n  flexVolume: {driver: d}\n");

	load_ok(f, text);
	free(text);
	assert_int_equal(f->objs.pvs[0].type, SPEC_PV_HOSTPATH);
}

/* ---- PersistentVolumeClaim ---- */

static void test_pvc__defaults_and_class(void **state)
{
	struct fixture *f = *state;
	const struct spec_pvc *c;

	load_ok(f,
		"apiVersion: v1\n"
		"kind: PersistentVolumeClaim\n"
		"metadata: {name: nil-class}\n"
		"spec:\n"
		"  accessModes: [ReadWriteOnce]\n"
		"  resources: {requests: {storage: 1Gi}, limits: {storage: 2Gi}}\n"
		"status: {phase: Pending}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: PersistentVolumeClaim\n"
		"metadata: {name: no-class, namespace: apps}\n"
		"spec:\n"
		"  accessModes: [ReadWriteMany, ReadOnlyMany]\n"
		"  resources: {requests: {storage: 500Mi}}\n"
		"  storageClassName: \"\"\n"
		"  volumeName: pv1\n"
		"  volumeMode: Block\n"
		"  selector:\n"
		"    matchLabels: {tier: fast}\n"
		"    matchExpressions:\n"
		"    - {key: zone, operator: NotIn, values: [a]}\n"
		"    - {key: disk, operator: Exists}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: PersistentVolumeClaim\n"
		"metadata:\n"
		"  name: legacy\n"
		"  annotations: {volume.beta.kubernetes.io/storage-class: old}\n"
		"spec:\n"
		"  accessModes: [ReadWriteOncePod]\n"
		"  resources: {requests: {storage: 1}}\n"
		"  storageClassName: new\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: PersistentVolumeClaim\n"
		"metadata:\n"
		"  name: legacy-empty\n"
		"  annotations: {volume.beta.kubernetes.io/storage-class: \"\"}\n"
		"spec:\n"
		"  accessModes: [ReadWriteOnce]\n"
		"  resources: {requests: {storage: 1}}\n");
	assert_int_equal(f->objs.n_pvcs, 4);
	c = claim(f, "nil-class");
	assert_string_equal(c->namespace, "default");
	assert_int_equal(c->access_modes, SPEC_RWO);
	assert_int_equal(quantity_value(&c->request), 1LL << 30);
	assert_false(c->has_storage_class);
	assert_string_equal(c->storage_class, "");
	assert_false(c->selector.present);
	assert_string_equal(c->volume_name, "");
	assert_false(c->block);
	assert_null(c->owner_kind);
	assert_null(c->owner_uid);

	c = claim(f, "no-class");
	assert_string_equal(c->namespace, "apps");
	assert_int_equal(c->access_modes, SPEC_RWX | SPEC_ROX);
	assert_true(c->has_storage_class);
	assert_string_equal(c->storage_class, "");
	assert_string_equal(c->volume_name, "pv1");
	assert_true(c->block);
	assert_true(c->selector.present);
	assert_int_equal(c->selector.n_match_labels, 1);
	assert_int_equal(c->selector.n_exprs, 2);
	assert_int_equal(c->selector.exprs[0].op, SPEC_OP_NOT_IN);
	assert_int_equal(c->selector.exprs[1].op, SPEC_OP_EXISTS);

	c = claim(f, "legacy");
	assert_true(c->has_storage_class);
	assert_string_equal(c->storage_class, "old");
	assert_int_equal(c->access_modes, SPEC_RWOP);
	c = claim(f, "legacy-empty");
	assert_true(c->has_storage_class);
	assert_string_equal(c->storage_class, "");
}

static const char pvc_head[] =
	"apiVersion: v1\n"
	"kind: PersistentVolumeClaim\n"
	"metadata: {name: c}\n"
	"spec:\n";

static char *pvc_text(const char *spec)
{
	char *text;

	assert_true(asprintf(&text, "%s%s", pvc_head, spec) > 0);
	return text;
}

#define GOOD_PVC "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n"

static void test_pvc__each_rule(void **state)
{
	static const struct case_one cases[] = {
		{ "  resources: {requests: {storage: 1Gi}}\n",
		  "5:3: spec.accessModes: Required value: at least 1 access mode is required" },
		{ "  accessModes: [ReadWriteOncePod, ReadWriteMany]\n  resources: {requests: {storage: 1Gi}}\n",
		  "5:16: spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes" },
		{ "  accessModes: [Once]\n  resources: {requests: {storage: 1Gi}}\n",
		  "5:17: spec.accessModes: Unsupported value: \"Once\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"" },
		{ "  accessModes: [ReadWriteOnce]\n",
		  "5:3: spec.resources[storage]: Required value" },
		{ "  accessModes: [ReadWriteOnce]\n  resources: {limits: {storage: 1Gi}}\n",
		  "6:14: spec.resources[storage]: Required value" },
		{ "  accessModes: [ReadWriteOnce]\n  resources: {requests: {cpu: 1}}\n",
		  "6:25: spec.resources[storage]: Required value" },
		{ "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: -1Gi}}\n",
		  "6:35: spec.resources[storage]: Invalid value: \"-1Gi\": must be greater than zero" },
		{ "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 0}}\n",
		  "6:35: spec.resources[storage]: Invalid value: \"0\": must be greater than zero" },
		{ GOOD_PVC "  storageClassName: My_Class\n",
		  "7:21: spec.storageClassName: Invalid value: \"My_Class\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" },
		{ GOOD_PVC "  volumeMode: \"\"\n",
		  "7:15: spec.volumeMode: Unsupported value: \"\": supported values: \"Block\", \"Filesystem\"" },
		{ GOOD_PVC "  selector: {matchExpressions: [{key: k, operator: In}]}\n",
		  "7:33: spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'" },
		{ GOOD_PVC "  selector: {matchExpressions: [{key: k, operator: DoesNotExist, values: [v]}]}\n",
		  "7:74: spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'" },
		{ GOOD_PVC "  selector: {matchExpressions: [{key: k, operator: Gt, values: [\"1\"]}]}\n",
		  "7:52: spec.selector.matchExpressions[0].operator: Invalid value: \"Gt\": not a valid selector operator" },
		{ GOOD_PVC "  selector: {matchLabels: {\"/x\": v}}\n",
		  "7:28: spec.selector.matchLabels: Invalid value: \"/x\": prefix part must be non-empty" },
		{ GOOD_PVC "  selector: {matchLabels: {k: \"-v\"}}\n",
		  "7:31: spec.selector.matchLabels: Invalid value: \"-v\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" },
		{ GOOD_PVC "  selector: {matchExpressions: [{key: \"a/b/c\", operator: Exists}]}\n",
		  "7:39: spec.selector.matchExpressions[0].key: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
	};

	refused_cases(*state, pvc_text, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_pvc__missing_spec_and_data_source(void **state)
{
	static const char *const want[] = {
		"1:1: spec.accessModes: Required value: at least 1 access mode is required",
		"1:1: spec.resources[storage]: Required value",
	};
	struct fixture *f = *state;
	char expect[512];

	refused(f, "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n",
		2, want);
	assert_int_equal(f->err.count, 2);
	/* a data source is read, and said not to be used */
	err_init(&f->err);
	assert_int_equal(spec_load_file(scratch(f, "ds.yaml",
		"apiVersion: v1\n"
		"kind: PersistentVolumeClaim\n"
		"metadata: {name: c}\n"
		"spec:\n"
		GOOD_PVC
		"  dataSource: {kind: VolumeSnapshot, name: snap, apiGroup: snapshot.storage.k8s.io}\n"),
		SPEC_FIELDS_STRICT, &f->objs, &f->err, &f->warn), 0);
	assert_int_equal(f->warn.count, 1);
	snprintf(expect, sizeof(expect),
		 "%s:7:15: spec.dataSource: not supported by podvolfs: the claim's volume starts empty",
		 f->path);
	assert_string_equal(f->warn.msg[0], expect);
	assert_int_equal(f->objs.n_pvcs, 1);
}

/* ---- StorageClass ---- */

static void test_class__defaults_and_default_marker(void **state)
{
	struct fixture *f = *state;
	const struct spec_storage_class *sc;

	load_ok(f,
		"apiVersion: storage.k8s.io/v1\n"
		"kind: StorageClass\n"
		"metadata:\n"
		"  name: plain\n"
		"  annotations: {storageclass.kubernetes.io/is-default-class: \"True\"}\n"
		"provisioner: podvolfs.io/local\n"
		"---\n"
		"apiVersion: storage.k8s.io/v1\n"
		"kind: StorageClass\n"
		"metadata:\n"
		"  name: fast\n"
		"  namespace: ignored\n"
		"  annotations: {storageclass.beta.kubernetes.io/is-default-class: \"true\"}\n"
		"provisioner: k8s-sigs.io/nfs-subdir-external-provisioner\n"
		"parameters: {server: nfs.example.com, path: /exports, archiveOnDelete: \"false\"}\n"
		"reclaimPolicy: Retain\n"
		"volumeBindingMode: WaitForFirstConsumer\n"
		"allowVolumeExpansion: true\n"
		"mountOptions: [nfsvers=4.1]\n"
		"allowedTopologies: [{matchLabelExpressions: [{key: zone, values: [a]}]}]\n"
		"---\n"
		"apiVersion: storage.k8s.io/v1\n"
		"kind: StorageClass\n"
		"metadata:\n"
		"  name: current\n"
		"  annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}\n"
		"provisioner: kubernetes.io/no-provisioner\n"
		"reclaimPolicy: \"\"\n");
	assert_int_equal(f->objs.n_classes, 3);
	sc = &f->objs.classes[0];
	assert_string_equal(sc->name, "plain");
	assert_string_equal(sc->provisioner, "podvolfs.io/local");
	assert_string_equal(sc->reclaim_policy, "Delete");
	assert_false(sc->wait_for_first_consumer);
	assert_false(sc->allow_volume_expansion);
	assert_int_equal(sc->n_parameters, 0);
	/* "True" is not "true" */
	assert_false(sc->is_default);
	sc = &f->objs.classes[1];
	assert_string_equal(sc->reclaim_policy, "Retain");
	assert_true(sc->wait_for_first_consumer);
	assert_true(sc->allow_volume_expansion);
	assert_int_equal(sc->n_parameters, 3);
	assert_string_equal(kv(sc->parameters, sc->n_parameters, "archiveOnDelete"),
			    "false");
	assert_int_equal(sc->n_mount_options, 1);
	assert_true(sc->is_default);
	sc = &f->objs.classes[2];
	assert_true(sc->is_default);
	/* an explicit "" is what the PersistentVolume defaulter makes Retain */
	assert_string_equal(sc->reclaim_policy, "Retain");
}

static const char class_head[] =
	"apiVersion: storage.k8s.io/v1\n"
	"kind: StorageClass\n"
	"metadata: {name: sc}\n";

static char *class_text(const char *body)
{
	char *text;

	assert_true(asprintf(&text, "%s%s", class_head, body) > 0);
	return text;
}

static void test_class__each_rule(void **state)
{
	static const struct case_one cases[] = {
		{ "reclaimPolicy: Delete\n", "1:1: provisioner: Required value" },
		{ "provisioner: \"\"\n", "4:14: provisioner: Required value" },
		{ "provisioner: example.com/a/b\n",
		  "4:14: provisioner: Invalid value: \"example.com/a/b\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
		{ "provisioner: p\nreclaimPolicy: Recycle\n",
		  "5:16: reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"" },
		{ "provisioner: p\nvolumeBindingMode: Later\n",
		  "5:20: volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"" },
		{ "provisioner: p\nvolumeBindingMode: \"\"\n",
		  "5:20: volumeBindingMode: Unsupported value: \"\": supported values: \"Immediate\", \"WaitForFirstConsumer\"" },
		{ "provisioner: p\nparameters: {\"\": x}\n",
		  "5:13: parameters: Invalid value: \"\": field can not be empty." },
		{ "provisioner: p\nparameters: {k: 1}\n",
		  "5:17: parameters[k]: Invalid value: 1: expected a string" },
	};

	refused_cases(*state, class_text, cases, sizeof(cases) / sizeof(cases[0]));
}

/* The provisioner is checked in lower case, and printed as written. */
static void test_class__parameters_limit(void **state)
{
	struct fixture *f = *state;
	char *params, *text;
	size_t len;
	FILE *fp = open_memstream(&params, &len);

	assert_non_null(fp);
	fputs("provisioner: Example.COM/Local\nparameters:\n", fp);
	for (int i = 0; i < 512; i++)
		fprintf(fp, "  k%d: v\n", i);
	assert_int_equal(fclose(fp), 0);
	text = class_text(params);
	load_ok(f, text);
	free(text);
	assert_int_equal(f->objs.classes[0].n_parameters, 512);
	spec_objects_free(&f->objs);
	assert_true(asprintf(&text, "%s%s  k512: v\n", class_head, params) > 0);
	free(params);
	refused_one(f, text, "6:3: parameters: Too long: may not be more than 512 bytes");
	free(text);
}

/* ---- StatefulSet ---- */

static const char web_set[] =
	"apiVersion: apps/v1\n"
	"kind: StatefulSet\n"
	"metadata: {name: web, namespace: shop}\n"
	"spec:\n"
	"  serviceName: web\n"
	"  replicas: 3\n"
	"  podManagementPolicy: Parallel\n"
	"  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0}}\n"
	"  minReadySeconds: 5\n"
	"  revisionHistoryLimit: 2\n"
	"  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete}\n"
	"  selector: {matchLabels: {app: web}}\n"
	"  template:\n"
	"    metadata: {labels: {app: web, tier: front}}\n"
	"    spec:\n"
	"      containers:\n"
	"      - name: nginx\n"
	"        image: nginx\n"
	"        volumeMounts:\n"
	"        - {name: www, mountPath: /usr/share/nginx/html}\n"
	"        - {name: logs, mountPath: /var/log}\n"
	"        - {name: cache, mountPath: /cache}\n"
	"      volumes:\n"
	"      - name: www\n"
	"        hostPath: {path: /a/../not/checked}\n"
	"      - name: cache\n"
	"  volumeClaimTemplates:\n"
	"  - metadata:\n"
	"      name: www\n"
	"      labels: {app: other, kind: content}\n"
	"      annotations: {volume.beta.kubernetes.io/storage-class: fast}\n"
	"    spec:\n"
	"      accessModes: [ReadWriteOnce]\n"
	"      resources: {requests: {storage: 1Gi}}\n"
	"  - apiVersion: v1\n"
	"    kind: PersistentVolumeClaim\n"
	"    metadata: {name: logs}\n"
	"    spec:\n"
	"      accessModes: [ReadWriteOncePod]\n"
	"      resources: {requests: {storage: 100Mi}}\n";

static void test_statefulset__pods_and_claims(void **state)
{
	struct fixture *f = *state;
	const struct spec_statefulset *s;
	const struct spec_pvc *c;
	const struct spec_pod *p;
	char name[64];

	load_ok(f, web_set);
	assert_int_equal(f->objs.n_statefulsets, 1);
	s = &f->objs.statefulsets[0];
	assert_string_equal(s->namespace, "shop");
	assert_string_equal(s->name, "web");
	assert_int_equal(s->replicas, 3);
	assert_true(s->delete_when_deleted);
	assert_false(s->delete_when_scaled);
	assert_int_equal(s->n_templates, 2);
	assert_string_equal(s->templates[0], "www");
	assert_string_equal(s->templates[1], "logs");
	assert_int_equal(s->pos.line, 1);

	assert_int_equal(f->objs.n_pods, 3);
	assert_int_equal(f->objs.n_pvcs, 6);
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "web-%u", i);
		p = pod(f, name);
		assert_string_equal(p->namespace, "shop");
		assert_string_equal(p->owner_kind, "StatefulSet");
		assert_string_equal(p->owner_name, "web");
		assert_string_equal(kv(p->labels, p->n_labels, "tier"), "front");
		assert_string_equal(kv(p->labels, p->n_labels,
				       "statefulset.kubernetes.io/pod-name"), name);
		assert_int_equal(atoi(kv(p->labels, p->n_labels,
					 "apps.kubernetes.io/pod-index")), i);
		/* claim volumes first, the template's www replaced, then cache */
		assert_int_equal(p->n_volumes, 3);
		assert_string_equal(p->volumes[0].name, "www");
		assert_int_equal(p->volumes[0].type, SPEC_VOL_PVC);
		assert_string_equal(p->volumes[0].source, "persistentVolumeClaim");
		snprintf(name, sizeof(name), "www-web-%u", i);
		assert_string_equal(p->volumes[0].pvc.claim_name, name);
		assert_false(p->volumes[0].pvc.read_only);
		assert_false(p->volumes[0].pvc.ephemeral);
		assert_int_equal(p->volumes[0].pos.line, 28);
		assert_ptr_equal(p->volumes[0].pos.file, p->file);
		snprintf(name, sizeof(name), "logs-web-%u", i);
		assert_string_equal(p->volumes[1].pvc.claim_name, name);
		assert_string_equal(p->volumes[2].name, "cache");
		assert_int_equal(p->volumes[2].type, SPEC_VOL_EMPTYDIR);
		assert_string_equal(p->containers[0].mounts[1].name, "logs");
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(p->uid, f->objs.pods[j].uid);

		snprintf(name, sizeof(name), "www-web-%u", i);
		c = claim(f, name);
		assert_string_equal(c->namespace, "shop");
		assert_string_equal(c->owner_kind, "StatefulSet");
		assert_string_equal(c->owner_name, "web");
		assert_null(c->owner_uid);
		/* the selector's matchLabels over the template's labels */
		assert_int_equal(c->n_labels, 2);
		assert_string_equal(kv(c->labels, c->n_labels, "app"), "web");
		assert_string_equal(kv(c->labels, c->n_labels, "kind"), "content");
		assert_string_equal(c->storage_class, "fast");
		assert_true(c->has_storage_class);
		assert_int_equal(c->access_modes, SPEC_RWO);
		assert_int_equal(c->pos.line, 28);
		snprintf(name, sizeof(name), "logs-web-%u", i);
		c = claim(f, name);
		assert_int_equal(c->access_modes, SPEC_RWOP);
		assert_string_equal(kv(c->labels, c->n_labels, "app"), "web");
		assert_false(c->has_storage_class);
	}
}

/* The same manifest gives the same pods; the ordinal is in the UID. */
static void test_statefulset__stable_uids(void **state)
{
	struct fixture *f = *state;
	char first[3][37];

	load_ok(f, web_set);
	for (size_t i = 0; i < 3; i++)
		snprintf(first[i], sizeof(first[i]), "%s", f->objs.pods[i].uid);
	spec_objects_free(&f->objs);
	load_ok(f, web_set);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(first[i], f->objs.pods[i].uid);
}

static void test_statefulset__defaults_and_zero(void **state)
{
	struct fixture *f = *state;
	const struct spec_statefulset *s;

	load_ok(f,
		"apiVersion: apps/v1\n"
		"kind: StatefulSet\n"
		"metadata: {name: db}\n"
		"spec:\n"
		"  selector: {matchExpressions: [{key: app, operator: In, values: [db]}]}\n"
		"  persistentVolumeClaimRetentionPolicy: {whenScaled: Delete, whenDeleted: \"\"}\n"
		"  template:\n"
		"    metadata: {labels: {app: db}}\n"
		"    spec: {containers: [{name: c, image: i}]}\n"
		"---\n"
		"apiVersion: apps/v1\n"
		"kind: StatefulSet\n"
		"metadata: {name: idle}\n"
		"spec:\n"
		"  replicas: 0\n"
		"  selector: {matchLabels: {app: idle}}\n"
		"  template:\n"
		"    metadata: {labels: {app: idle}}\n"
		"    spec: {containers: [{name: c, image: i, volumeMounts: [{name: d, mountPath: /d}]}]}\n"
		"  volumeClaimTemplates:\n"
		"  - metadata: {name: d}\n"
		"    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n");
	assert_int_equal(f->objs.n_statefulsets, 2);
	s = &f->objs.statefulsets[0];
	assert_string_equal(s->namespace, "default");
	assert_int_equal(s->replicas, 1);
	assert_false(s->delete_when_deleted);
	assert_true(s->delete_when_scaled);
	assert_int_equal(s->n_templates, 0);
	assert_int_equal(f->objs.n_pods, 1);
	assert_string_equal(f->objs.pods[0].name, "db-0");
	s = &f->objs.statefulsets[1];
	assert_int_equal(s->replicas, 0);
	assert_int_equal(s->n_templates, 1);
	assert_int_equal(f->objs.n_pvcs, 0);
}

static const char set_head[] =
	"apiVersion: apps/v1\n"
	"kind: StatefulSet\n"
	"metadata: {name: web}\n"
	"spec:\n";

static char *set_text(const char *spec)
{
	char *text;

	assert_true(asprintf(&text, "%s%s", set_head, spec) > 0);
	return text;
}

#define SET_TEMPLATE \
	"  template:\n" \
	"    metadata: {labels: {app: web}}\n" \
	"    spec: {containers: [{name: c, image: i, volumeMounts: [{name: d, mountPath: /d}]}]}\n"
#define SET_SELECTOR "  selector: {matchLabels: {app: web}}\n"
#define SET_CLAIM \
	"  volumeClaimTemplates:\n" \
	"  - metadata: {name: d}\n" \
	"    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"

static void test_statefulset__each_rule(void **state)
{
	static const struct case_one cases[] = {
		{ SET_TEMPLATE SET_CLAIM, "5:3: spec.selector: Required value" },
		{ "  selector: {}\n" SET_TEMPLATE SET_CLAIM,
		  "5:13: spec.selector: Invalid value: {}: empty selector is invalid for statefulset" },
		{ "  selector: {matchLabels: {app: db, tier: x}}\n" SET_TEMPLATE SET_CLAIM,
		  "7:24: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`" },
		{ SET_SELECTOR SET_TEMPLATE,
		  "8:67: spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"d\"" },
		{ SET_SELECTOR SET_TEMPLATE SET_CLAIM "  - metadata: {name: d}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n",
		  "12:22: spec.volumeClaimTemplates[1].metadata.name: Duplicate value: \"d\"" },
		{ SET_SELECTOR SET_TEMPLATE "  volumeClaimTemplates:\n  - spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n",
		  "10:5: spec.volumeClaimTemplates[0].metadata.name: Required value" },
		{ SET_SELECTOR SET_TEMPLATE "  volumeClaimTemplates:\n  - metadata: {name: d.x}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n",
		  "10:22: spec.volumeClaimTemplates[0].metadata.name: Invalid value: \"d.x\": must not contain dots" },
		{ SET_SELECTOR SET_TEMPLATE "  volumeClaimTemplates:\n  - metadata: {name: d}\n    spec: {resources: {requests: {storage: 1}}}\n",
		  "11:11: spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required" },
		{ SET_SELECTOR SET_TEMPLATE SET_CLAIM "  persistentVolumeClaimRetentionPolicy: {whenScaled: Keep}\n",
		  "12:54: spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: \"Keep\": supported values: \"Retain\", \"Delete\"" },
		{ SET_SELECTOR SET_TEMPLATE SET_CLAIM "  podManagementPolicy: Random\n",
		  "12:24: spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'" },
		{ SET_SELECTOR SET_TEMPLATE SET_CLAIM "  updateStrategy: {type: Now}\n",
		  "12:26: spec.updateStrategy.type: Invalid value: \"Now\": must be 'RollingUpdate' or 'OnDelete'" },
		{ SET_SELECTOR SET_TEMPLATE SET_CLAIM "  minReadySeconds: -1\n",
		  "12:20: spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0" },
		{ SET_SELECTOR SET_TEMPLATE SET_CLAIM "  replicas: -1\n",
		  "12:13: spec.replicas: Invalid value: -1: must be greater than or equal to 0" },
		{ SET_SELECTOR
		  "  template:\n"
		  "    metadata: {labels: {app: web}}\n"
		  "    spec: {restartPolicy: Never, containers: [{name: c, image: i}]}\n",
		  "8:27: spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"" },
	};

	refused_cases(*state, set_text, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_statefulset__name_is_a_label(void **state)
{
	refused_one(*state,
		"apiVersion: apps/v1\n"
		"kind: StatefulSet\n"
		"metadata: {name: web.v2}\n"
		"spec:\n" SET_SELECTOR SET_TEMPLATE SET_CLAIM,
		"3:18: metadata.name: Invalid value: \"web.v2\": must not contain dots");
}

static void test_statefulset__ordinals_start_warns(void **state)
{
	struct fixture *f = *state;
	char *text = set_text(SET_SELECTOR SET_TEMPLATE SET_CLAIM "  ordinals: {start: 5}\n");
	char want[256];

	assert_int_equal(spec_load_file(scratch(f, "o.yaml", text),
					SPEC_FIELDS_STRICT, &f->objs, &f->err,
					&f->warn), 0);
	free(text);
	snprintf(want, sizeof(want),
		 "%s:12:21: spec.ordinals.start: not supported by podvolfs: pods are numbered from 0",
		 f->path);
	assert_int_equal(f->warn.count, 1);
	assert_string_equal(f->warn.msg[0], want);
	assert_string_equal(f->objs.pods[0].name, "web-0");
}

/* ---- ephemeral volumes ---- */

static void test_ephemeral__pod_claim(void **state)
{
	struct fixture *f = *state;
	const struct spec_volume *v;
	const struct spec_pvc *c;
	const struct spec_pod *p;

	load_ok(f,
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata: {name: p, namespace: team}\n"
		"spec:\n"
		"  containers:\n"
		"  - name: app\n"
		"    image: busybox\n"
		"    volumeMounts: [{name: scratch, mountPath: /s}]\n"
		"  volumes:\n"
		"  - name: scratch\n"
		"    ephemeral:\n"
		"      volumeClaimTemplate:\n"
		"        metadata:\n"
		"          labels: {type: scratch}\n"
		"          annotations: {volume.beta.kubernetes.io/storage-class: fast}\n"
		"        spec:\n"
		"          accessModes: [ReadWriteOnce]\n"
		"          storageClassName: slow\n"
		"          resources: {requests: {storage: 1Gi}}\n");
	p = &f->objs.pods[0];
	v = &p->volumes[0];
	assert_int_equal(v->type, SPEC_VOL_PVC);
	assert_string_equal(v->source, "ephemeral");
	assert_true(v->pvc.ephemeral);
	assert_false(v->pvc.read_only);
	assert_string_equal(v->pvc.claim_name, "p-scratch");
	assert_int_equal(f->objs.n_pvcs, 1);
	c = &f->objs.pvcs[0];
	assert_string_equal(c->name, "p-scratch");
	assert_string_equal(c->namespace, "team");
	assert_string_equal(c->owner_kind, "Pod");
	assert_string_equal(c->owner_name, "p");
	assert_string_equal(c->owner_uid, p->uid);
	assert_string_equal(kv(c->labels, c->n_labels, "type"), "scratch");
	assert_string_equal(c->storage_class, "fast");
	assert_int_equal(c->pos.line, 10);
	assert_ptr_equal(c->pos.file, c->file);
}

/* Each replica of a Deployment gets a claim of its own. */
static void test_ephemeral__every_replica(void **state)
{
	struct fixture *f = *state;
	char name[80];

	load_ok(f,
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata: {name: d}\n"
		"spec:\n"
		"  replicas: 3\n"
		"  template:\n"
		"    spec:\n"
		"      containers: [{name: c, image: i}]\n"
		"      volumes:\n"
		"      - name: tmp\n"
		"        ephemeral:\n"
		"          volumeClaimTemplate:\n"
		"            spec: {accessModes: [ReadWriteOncePod], resources: {requests: {storage: 1Mi}}}\n");
	assert_int_equal(f->objs.n_pods, 3);
	assert_int_equal(f->objs.n_pvcs, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct spec_pod *p = &f->objs.pods[i];

		snprintf(name, sizeof(name), "%s-tmp", p->name);
		assert_string_equal(p->volumes[0].pvc.claim_name, name);
		assert_string_equal(f->objs.pvcs[i].name, name);
		assert_string_equal(f->objs.pvcs[i].owner_uid, p->uid);
		assert_int_equal(f->objs.pvcs[i].access_modes, SPEC_RWOP);
	}
}

static char *pod_text(const char *volume)
{
	char *text;

	assert_true(asprintf(&text,
			     "apiVersion: v1\n"
			     "kind: Pod\n"
			     "metadata: {name: p}\n"
			     "spec:\n"
			     "  containers: [{name: c, image: i}]\n"
			     "  volumes:\n"
			     "%s", volume) > 0);
	return text;
}

static void test_ephemeral__each_rule(void **state)
{
	static const struct case_one cases[] = {
		{ "  - name: e\n    ephemeral: {}\n",
		  "8:16: spec.volumes[0].ephemeral.volumeClaimTemplate: Required value" },
		{ "  - name: e\n    ephemeral:\n      volumeClaimTemplate:\n        metadata: {name: x}\n"
		  "        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n",
		  "10:26: spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.name: Forbidden: cannot be set" },
		{ "  - name: e\n    ephemeral:\n      volumeClaimTemplate:\n"
		  "        spec: {accessModes: [ReadWriteOnce]}\n",
		  "10:15: spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]: Required value" },
		{ "  - name: e\n    ephemeral:\n      volumeClaimTemplate:\n"
		  "        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n"
		  "  - name: c\n    persistentVolumeClaim: {claimName: p-e}\n",
		  "12:40: spec.volumes[1].persistentVolumeClaim.claimName: Invalid value: \"p-e\": must not reference a PVC that gets created for an ephemeral volume" },
	};

	refused_cases(*state, pod_text, cases, sizeof(cases) / sizeof(cases[0]));
}

/* ---- duplicates ---- */

static void test_duplicates__in_a_file(void **state)
{
	struct fixture *f = *state;
	char *text;

	refused_one(f,
		"apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\n"
		"spec: {capacity: {storage: 1}, accessModes: [ReadWriteOnce], hostPath: {path: /a}}\n"
		"---\n"
		"apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv, namespace: x}\n"
		"spec: {capacity: {storage: 1}, accessModes: [ReadWriteOnce], hostPath: {path: /b}}\n",
		"6:1: metadata.name: Duplicate value: \"pv\"");
	refused_one(f,
		"apiVersion: v1\nkind: List\nitems:\n"
		"- {apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: sc}, provisioner: p}\n"
		"- {apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: sc}, provisioner: q}\n",
		"5:3: items[1].metadata.name: Duplicate value: \"sc\"");
	/* claims of one name in two namespaces are two claims */
	load_ok(f,
		"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n"
		"spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n"
		"---\n"
		"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c, namespace: b}\n"
		"spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n");
	assert_int_equal(f->objs.n_pvcs, 2);
	spec_objects_free(&f->objs);
	/* a manifest claim with the name of a template's */
	text = set_text(SET_SELECTOR SET_TEMPLATE SET_CLAIM
			"---\n"
			"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d-web-0}\n"
			"spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n");
	refused_one(f, text, "13:1: metadata.name: Duplicate value: \"d-web-0\"");
	free(text);
	/* two sets of one name: one error, not one per pod and claim */
	text = set_text(SET_SELECTOR SET_TEMPLATE SET_CLAIM "---\n" "apiVersion: apps/v1\n"
			"kind: StatefulSet\nmetadata: {name: web}\nspec:\n"
			SET_SELECTOR SET_TEMPLATE SET_CLAIM);
	refused_one(f, text, "13:1: metadata.name: Duplicate value: \"web\"");
	free(text);
}

static void test_duplicates__template_claim_after_manifest(void **state)
{
	struct fixture *f = *state;
	char *text, want[256];

	assert_true(asprintf(&text,
			     "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d-web-0}\n"
			     "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n"
			     "---\n%s%s", set_head,
			     SET_SELECTOR SET_TEMPLATE SET_CLAIM) > 0);
	assert_int_equal(spec_load_file(scratch(f, "t.yaml", text),
					SPEC_FIELDS_STRICT, &f->objs, &f->err,
					NULL), -EINVAL);
	free(text);
	assert_int_equal(f->err.count, 1);
	snprintf(want, sizeof(want),
		 "%s:15:5: Duplicate value: \"d-web-0\": persistentvolumeclaim \"default/d-web-0\" of StatefulSet \"web\"",
		 f->path);
	assert_string_equal(f->err.msg[0], want);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Across files: the later file's object is left out, and what it made. */
static void test_duplicates__across_a_source(void **state)
{
	struct fixture *f = *state;
	char *set, want[512];

	set = set_text(SET_SELECTOR SET_TEMPLATE SET_CLAIM);
	write_file(f->dir, "a.yaml", set);
	write_file(f->dir, "b.yaml",
		   "apiVersion: storage.k8s.io/v1\nkind: StorageClass\n"
		   "metadata: {name: sc}\nprovisioner: p\n"
		   "---\n"
		   "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\n"
		   "spec: {capacity: {storage: 1}, accessModes: [ReadWriteOnce], hostPath: {path: /a}}\n");
	write_file(f->dir, "c.yaml", set);
	write_file(f->dir, "d.yaml",
		   "apiVersion: storage.k8s.io/v1\nkind: StorageClass\n"
		   "metadata: {name: sc}\nprovisioner: q\n"
		   "---\n"
		   "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d-web-0}\n"
		   "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n"
		   "---\n"
		   "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: mine}\n"
		   "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}\n");
	free(set);
	assert_int_equal(spec_load_source(f->dir, SPEC_FIELDS_STRICT, &f->objs,
					  &f->err, &f->warn), 0);
	assert_int_equal(f->err.count, 3);
	snprintf(want, sizeof(want),
		 "%s/c.yaml:1:1: metadata.name: Duplicate value: \"web\": statefulset \"default/web\" is already defined in %s/a.yaml",
		 f->dir, f->dir);
	assert_string_equal(f->err.msg[0], want);
	snprintf(want, sizeof(want),
		 "%s/d.yaml:1:1: metadata.name: Duplicate value: \"sc\": storageclass \"sc\" is already defined in %s/b.yaml",
		 f->dir, f->dir);
	assert_string_equal(f->err.msg[2], want);
	snprintf(want, sizeof(want),
		 "%s/d.yaml:6:1: metadata.name: Duplicate value: \"d-web-0\": persistentvolumeclaim \"default/d-web-0\" is already defined in %s/a.yaml",
		 f->dir, f->dir);
	assert_string_equal(f->err.msg[1], want);
	assert_int_equal(f->objs.n_statefulsets, 1);
	assert_int_equal(f->objs.n_pods, 1);
	assert_int_equal(f->objs.n_classes, 1);
	assert_string_equal(f->objs.classes[0].provisioner, "p");
	assert_int_equal(f->objs.n_pvs, 1);
	assert_int_equal(f->objs.n_pvcs, 2);
	assert_string_equal(f->objs.pvcs[0].name, "d-web-0");
	assert_string_equal(f->objs.pvcs[0].owner_kind, "StatefulSet");
	assert_string_equal(f->objs.pvcs[1].name, "mine");
}

/* Other kinds are still skipped with a notice; these are read in Lists. */
static void test_kinds__lists_and_notices(void **state)
{
	struct fixture *f = *state;

	load_ok(f,
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- {apiVersion: v1, kind: ConfigMap, metadata: {name: cm}}\n"
		"- {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: c},\n"
		"   spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1}}}}\n");
	assert_int_equal(f->objs.n_notices, 1);
	assert_int_equal(f->objs.n_pvcs, 1);
	assert_string_equal(f->objs.pvcs[0].list_item, "items[1]");
	assert_int_equal(f->objs.pvcs[0].pos.line, 5);
	refused_one(f, "apiVersion: storage.k8s.io/v1beta1\nkind: StorageClass\n"
		    "metadata: {name: sc}\nprovisioner: p\n",
		    "1:13: no matches for kind \"StorageClass\" in version \"storage.k8s.io/v1beta1\" (podvolfs reads it as apiVersion \"storage.k8s.io/v1\")");
	refused_one(f, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\n"
		    "metadata: {name: sc}\nprovisioner: p\nspec: {}\n",
		    "5:1: unknown field \"spec\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_pv__defaults_and_sources),
		T(test_pv__each_rule),
		T(test_pv__flex_volume_quirk),
		T(test_pvc__defaults_and_class),
		T(test_pvc__each_rule),
		T(test_pvc__missing_spec_and_data_source),
		T(test_class__defaults_and_default_marker),
		T(test_class__each_rule),
		T(test_class__parameters_limit),
		T(test_statefulset__pods_and_claims),
		T(test_statefulset__stable_uids),
		T(test_statefulset__defaults_and_zero),
		T(test_statefulset__each_rule),
		T(test_statefulset__name_is_a_label),
		T(test_statefulset__ordinals_start_warns),
		T(test_ephemeral__pod_claim),
		T(test_ephemeral__every_replica),
		T(test_ephemeral__each_rule),
		T(test_duplicates__in_a_file),
		T(test_duplicates__template_claim_after_manifest),
		T(test_duplicates__across_a_source),
		T(test_kinds__lists_and_notices),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
