/*
 * nfs.c - nfs volumes: an NFSv3 export served by podvolfs's own client.
 *
 * The volume's root is the export's directory, with the server's modes and
 * owners: no fsGroup, no chmod (SPEC section 6). readOnly makes every view
 * read-only. Connecting happens on the work queue: a server that does not
 * answer leaves the volume Pending, with the reason and the time of the
 * next try, and it is tried again with the kubelet's backoff for as long
 * as the pod exists; the pod's other volumes are served meanwhile.
 *
 * Once Ready, the status message shows the export and how its connections
 * fare (nfs_store_health), read afresh on every look.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "podvolfs/log.h"
#include "volume_i.h"

struct nfs_volume {
	struct volume_source src;
	struct volume *v;
	struct workq *q;
	struct work work;
	struct nfs_target target;
	char *server, *export, *pod_path;
	unsigned attempt;
	/* the job's caller: root, interrupted by a cancel */
	struct store_caller caller;
};

static bool job_cancelled(void *arg)
{
	return work_cancelled(arg);
}

static void describe(struct volume_source *src, char *buf, size_t len)
{
	struct nfs_volume *nv = (struct nfs_volume *)src;
	char health[256];

	if (!nv->v->store)
		return;
	nfs_store_health(nv->v->store, health, sizeof(health));
	snprintf(buf, len, "%s:%s over NFSv3%s, locks local to this daemon: %s",
		 nv->server, nv->export,
		 nv->v->forced_read_only ? ", read-only" : "", health);
}

static void nfs_run(struct work *w)
{
	struct nfs_volume *nv = (struct nfs_volume *)((char *)w -
				offsetof(struct nfs_volume, work));
	char msg[VOLUME_MESSAGE_LEN - 128], when[16];
	struct store *store;
	struct tm tm;
	time_t t;
	double delay;

	volume_set(nv->v, VOLUME_PREPARING, NULL, "connecting to %s:%s",
		   nv->server, nv->export);
	store_caller_set(&nv->caller);
	if (nfs_store_new(&nv->target, &store, msg, sizeof(msg)) == 0) {
		store_caller_set(NULL);
		nv->attempt = 0;
		volume_set(nv->v, VOLUME_READY, store, "%s:%s", nv->server,
			   nv->export);
		log_info("pod %s volume \"%s\": %s:%s mounted", nv->pod_path,
			 nv->v->name, nv->server, nv->export);
		return;
	}
	store_caller_set(NULL);
	if (work_cancelled(w))
		return;
	/* a server may come back: wait for it like the kubelet retries */
	delay = backoff_delay(nv->attempt++);
	t = time(NULL) + (time_t)(delay + 0.5);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	volume_set(nv->v, VOLUME_PENDING, NULL,
		   "next try at %s: MountVolume.SetUp failed for volume \"%s\" : %s",
		   when, nv->v->name, msg);
	log_warn("pod %s volume \"%s\": %s; trying again in %gs", nv->pod_path,
		 nv->v->name, msg, delay);
	workq_submit(nv->q, w, delay);
}

static void nfs_stop(struct volume_source *src)
{
	struct nfs_volume *nv = (struct nfs_volume *)src;

	workq_cancel(nv->q, &nv->work);
}

static void nfs_free(struct volume_source *src)
{
	struct nfs_volume *nv = (struct nfs_volume *)src;

	work_destroy(&nv->work);
	free(nv->server);
	free(nv->export);
	free(nv->pod_path);
	free(nv);
}

int nfs_start(struct volume *v, const struct spec_volume *sv,
	      const struct volume_ctx *ctx)
{
	struct nfs_volume *nv = calloc(1, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv->src.stop = nfs_stop;
	nv->src.free = nfs_free;
	nv->src.describe = describe;
	nv->v = v;
	nv->q = ctx->workq;
	nv->server = strdup(sv->nfs.server);
	nv->export = strdup(sv->nfs.path);
	nv->pod_path = strdup(ctx->pod_path);
	if (!nv->server || !nv->export || !nv->pod_path ||
	    work_init(&nv->work, nfs_run)) {
		free(nv->server);
		free(nv->export);
		free(nv->pod_path);
		free(nv);
		return -ENOMEM;
	}
	nv->caller.interrupted = job_cancelled;
	nv->caller.arg = &nv->work;
	nv->target = ctx->nfs;
	nv->target.server = nv->server;
	nv->target.export = nv->export;
	pthread_mutex_lock(&v->lock);
	v->src = &nv->src;
	pthread_mutex_unlock(&v->lock);
	v->forced_read_only |= sv->nfs.read_only;
	/* the kernel keeps nothing: the store caches as an NFS client does */
	v->cache.attr_timeout = 0;
	v->cache.entry_timeout = ctx->nfs.actimeo >= 0 ? ctx->nfs.actimeo : 3;
	v->cache.keep_cache = false;
	v->cache.cache_readdir = false;
	v->cache.changes_behind = true;
	/* a claim's volume keeps saying which claim it is */
	if (!v->detail &&
	    asprintf(&v->detail, "%s:%s", sv->nfs.server, sv->nfs.path) < 0) {
		v->detail = NULL;
		return -ENOMEM;
	}
	volume_set(v, VOLUME_PENDING, NULL, "waiting for a worker to mount %s:%s",
		   nv->server, nv->export);
	workq_submit(nv->q, &nv->work, 0);
	return 0;
}
