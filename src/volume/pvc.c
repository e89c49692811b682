/*
 * pvc.c - persistentVolumeClaim and ephemeral volumes: a claim's PV, served.
 *
 * The volume knows only its claim's name. It waits, Pending, with the
 * kubelet's or the scheduler's words for why ("persistentvolumeclaim
 * \"data\" not found", "pod has unbound immediate PersistentVolumeClaims"),
 * until the cluster layer, which binds claims, hands it the bound PV. Then
 * the PV's source is set up on this same volume as a pod's own hostPath or
 * nfs volume would be: a hostPath PV is a host directory, a local PV a host
 * directory that must already exist, an nfs PV an export through the nfs
 * store with its mountOptions. A volume keeps the PV it was given first; a
 * claim rebound elsewhere is a new pod's business.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "volume_i.h"

/* What pvc_resolve() needs of the pod, kept from volume_start(). */
struct pvc_ctx {
	struct volume_ctx ctx;		/* pod_path owned; annotations unused */
	char *pod_path;
	bool read_only;			/* the pod's claim reference says readOnly */
};

void pvc_ctx_free(struct pvc_ctx *pc)
{
	if (!pc)
		return;
	free(pc->pod_path);
	free(pc);
}

int pvc_start(struct volume *v, const struct spec_volume *sv,
	      const struct volume_ctx *ctx)
{
	struct pvc_ctx *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	pc->ctx = *ctx;
	pc->ctx.annotations = NULL;
	pc->ctx.n_annotations = 0;
	pc->pod_path = strdup(ctx->pod_path);
	v->claim = strdup(sv->pvc.claim_name);
	if (!pc->pod_path || !v->claim ||
	    asprintf(&v->detail, "claim=%s", sv->pvc.claim_name) < 0) {
		v->detail = NULL;
		pvc_ctx_free(pc);
		return -ENOMEM;
	}
	pc->ctx.pod_path = pc->pod_path;
	pc->read_only = sv->pvc.read_only;
	v->claim_ctx = pc;
	/* SPEC 7.1: the claim reference's readOnly makes every mount read-only */
	v->forced_read_only = sv->pvc.read_only;
	volume_set(v, VOLUME_PENDING, NULL,
		   "waiting for persistentvolumeclaim \"%s\"",
		   sv->pvc.claim_name);
	return 0;
}

void pvc_wait(struct volume *v, bool failed, const char *fmt, ...)
{
	char msg[VOLUME_MESSAGE_LEN];
	va_list ap;

	if (v->claim_resolved)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	volume_set(v, failed ? VOLUME_FAILED : VOLUME_PENDING, NULL, "%s", msg);
}

void claim_describe(struct volume *v, char *buf, size_t len)
{
	char rest[VOLUME_MESSAGE_LEN];

	snprintf(rest, sizeof(rest), "%s", buf);
	snprintf(buf, len, "pv %s%s%s", v->claim_pv, rest[0] ? ": " : "", rest);
}

static int resolve_nfs(struct volume *v, struct pvc_ctx *pc,
		       const struct pvc_target *t)
{
	struct spec_volume sv = {
		.name = v->name,
		.type = SPEC_VOL_NFS,
		.source = v->type,
		.nfs = { .server = t->pv->nfs.server, .path = t->pv->nfs.path },
	};
	struct volume_ctx ctx = pc->ctx;
	char msg[VOLUME_MESSAGE_LEN - 64];

	ctx.nfs = t->nfs;
	if (nfs_target_options(&ctx.nfs, (const char *const *)t->pv->mount_options,
			       t->pv->n_mount_options, msg, sizeof(msg))) {
		volume_set(v, VOLUME_FAILED, NULL,
			   "MountVolume.SetUp failed for volume \"%s\" : %s",
			   t->pv->name, msg);
		return 0;
	}
	return volume_setup_source(v, &sv, &ctx);
}

/*
 * A local PV: its path must exist (the kubelet does not create it), and
 * it is then served like a hostPath.
 */
static char no_type[] = "";

static int resolve_local(struct volume *v, struct pvc_ctx *pc,
			 const struct pvc_target *t)
{
	struct spec_volume sv = {
		.name = v->name,
		.type = SPEC_VOL_HOSTPATH,
		.source = v->type,
		.host_path = { .path = t->pv->local.path, .type = no_type },
	};
	struct stat st;

	if (stat(t->pv->local.path, &st) != 0) {
		volume_set(v, VOLUME_FAILED, NULL,
			   "MountVolume.NewMounter initialization failed for volume \"%s\" : path \"%s\" does not exist",
			   t->pv->name, t->pv->local.path);
		return 0;
	}
	return volume_setup_source(v, &sv, &pc->ctx);
}

int pvc_resolve(struct volume *v, const struct pvc_target *t)
{
	struct pvc_ctx *pc = v->claim_ctx;
	struct spec_volume sv = {
		.name = v->name,
		.type = SPEC_VOL_HOSTPATH,
		.source = v->type,
	};
	const struct spec_pv *pv = t->pv;
	char *pv_name;
	int rc;

	if (v->claim_resolved)
		return 0;
	if (pv->type == SPEC_PV_NFS)
		rc = asprintf(&pv_name, "%s (nfs %s:%s)", pv->name, pv->nfs.server,
			      pv->nfs.path);
	else
		rc = asprintf(&pv_name, "%s (%s %s)", pv->name, pv->source,
			      pv->type == SPEC_PV_LOCAL ? pv->local.path :
			      pv->type == SPEC_PV_HOSTPATH ? pv->host_path.path :
			      "");
	if (rc < 0)
		return -ENOMEM;
	pthread_mutex_lock(&v->lock);
	v->claim_pv = pv_name;
	pthread_mutex_unlock(&v->lock);
	v->claim_resolved = true;
	v->forced_read_only = pc->read_only || t->read_only;
	switch (pv->type) {
	case SPEC_PV_HOSTPATH:
		sv.host_path.path = pv->host_path.path;
		sv.host_path.type = pv->host_path.type;
		return volume_setup_source(v, &sv, &pc->ctx);
	case SPEC_PV_LOCAL:
		return resolve_local(v, pc, t);
	case SPEC_PV_NFS:
		return resolve_nfs(v, pc, t);
	case SPEC_PV_OTHER:
		break;
	}
	volume_set(v, VOLUME_UNSUPPORTED, NULL,
		   "pv %s is of type %s, which podvolfs does not serve",
		   pv->name, pv->source);
	return 0;
}
