/*
 * volume.c - dispatch from a pod's volume spec to its source.
 *
 * Each source sets up a store; this file fills in what every volume shows
 * in its pod's status and how the kernel may cache it. A volume the daemon
 * owns alone (emptyDir) may be cached for long: nothing changes it behind
 * the mount's back. A hostPath is shared with the host, which may change
 * it at any time: the kernel keeps what it learns only for hostpath_cache
 * seconds and drops a file's pages on each open.
 *
 * The state, message and store of a volume change under v->lock; readers
 * (the status file, the cluster layer) copy them with volume_get(). A
 * change is announced through the changed callback after the lock is
 * dropped, so that the callback may look at the volume again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "volume_i.h"

static const struct view_cache owned_cache = {
	.attr_timeout = 3600.0,
	.entry_timeout = 3600.0,
	.keep_cache = true,
	.cache_readdir = true,
};

const char *volume_state_name(enum volume_state state)
{
	switch (state) {
	case VOLUME_PENDING:
		return "Pending";
	case VOLUME_PREPARING:
		return "Preparing";
	case VOLUME_READY:
		return "Ready";
	case VOLUME_FAILED:
		return "Failed";
	case VOLUME_UNSUPPORTED:
		return "NotSupported";
	}
	return "Unknown";
}

bool volume_state_settled(enum volume_state state)
{
	return state != VOLUME_PENDING && state != VOLUME_PREPARING;
}

void volume_set(struct volume *v, enum volume_state state,
		struct store *store, const char *fmt, ...)
{
	struct store *old = NULL;
	bool changed;
	va_list ap;

	pthread_mutex_lock(&v->lock);
	changed = v->state != state || store;
	v->state = state;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	if (store) {
		old = v->store;
		v->store = store;
		v->generation++;
	}
	pthread_mutex_unlock(&v->lock);
	store_unref(old);
	if (changed && v->changed)
		v->changed(v->changed_arg);
}

void volume_progress(struct volume *v, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&v->lock);
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&v->lock);
}

void volume_get(struct volume *v, struct volume_info *out, bool want_store)
{
	pthread_mutex_lock(&v->lock);
	out->state = v->state;
	memcpy(out->message, v->message, sizeof(out->message));
	out->generation = v->generation;
	if (v->state == VOLUME_READY && v->src && v->src->describe)
		v->src->describe(v->src, out->message, sizeof(out->message));
	if (v->state == VOLUME_READY && v->claim_pv)
		claim_describe(v, out->message, sizeof(out->message));
	out->store = want_store && v->state == VOLUME_READY ? v->store : NULL;
	if (out->store)
		store_ref(out->store);
	pthread_mutex_unlock(&v->lock);
}

static int setup_emptydir(struct volume *v, const struct spec_volume *sv,
			  const struct volume_ctx *ctx)
{
	char msg[VOLUME_MESSAGE_LEN];
	struct store *store;
	char detail[64];

	snprintf(detail, sizeof(detail), "medium=%s",
		 sv->empty_dir.medium[0] ? sv->empty_dir.medium : "disk");
	v->detail = strdup(detail);
	if (!v->detail)
		return -ENOMEM;
	v->cache = owned_cache;
	if (emptydir_setup(sv, ctx, &store, msg, sizeof(msg)))
		volume_set(v, VOLUME_FAILED, NULL, "%s", msg);
	else
		volume_set(v, VOLUME_READY, store, "%s", "");
	return 0;
}

static int setup_hostpath(struct volume *v, const struct spec_volume *sv,
			  const struct volume_ctx *ctx)
{
	char msg[VOLUME_MESSAGE_LEN];
	struct store *store;

	/* a claim's volume keeps saying which claim it is */
	if (sv->host_path.type[0] && !v->detail) {
		if (asprintf(&v->detail, "type=%s", sv->host_path.type) < 0) {
			v->detail = NULL;
			return -ENOMEM;
		}
	}
	/*
	 * Pages stay cached but are dropped once a refresh after
	 * hostpath_cache seconds shows a new mtime or size; listings are read
	 * again on every open, so new host files show at once.
	 */
	v->cache.attr_timeout = ctx->hostpath_cache;
	v->cache.entry_timeout = ctx->hostpath_cache;
	v->cache.keep_cache = true;
	v->cache.cache_readdir = false;
	v->cache.changes_behind = true;
	/* The kubelet's FailedMount event, which its users grep for */
	if (hostpath_setup(sv, &store, msg, sizeof(msg)))
		volume_set(v, VOLUME_FAILED, NULL,
			   "MountVolume.SetUp failed for volume \"%s\" : %s",
			   sv->name, msg);
	else
		volume_set(v, VOLUME_READY, store, "%s", "");
	return 0;
}

int volume_setup_source(struct volume *v, const struct spec_volume *sv,
			const struct volume_ctx *ctx)
{
	switch (sv->type) {
	case SPEC_VOL_EMPTYDIR:
		return setup_emptydir(v, sv, ctx);
	case SPEC_VOL_HOSTPATH:
		return setup_hostpath(v, sv, ctx);
	case SPEC_VOL_GITREPO:
		/* each checkout changes only through the mount; a re-sync is a new store */
		v->cache = owned_cache;
		return gitrepo_start(v, sv, ctx);
	case SPEC_VOL_NFS:
		return nfs_start(v, sv, ctx);
	case SPEC_VOL_PVC:
		return pvc_start(v, sv, ctx);
	case SPEC_VOL_OTHER:
		break;
	}
	volume_set(v, VOLUME_UNSUPPORTED, NULL,
		   "volume type \"%s\" is not supported yet", sv->source);
	return 0;
}

int volume_start(struct volume *v, const struct spec_volume *sv,
		 const struct volume_ctx *ctx)
{
	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->lock, NULL);
	v->state = VOLUME_PENDING;
	v->name = strdup(sv->name);
	v->type = strdup(sv->source);
	if (!v->name || !v->type)
		goto out_nomem;
	v->changed = ctx->changed;
	v->changed_arg = ctx->changed_arg;
	if (volume_setup_source(v, sv, ctx))
		goto out_nomem;
	return 0;

out_nomem:
	volume_release(v);
	return -ENOMEM;
}

void volume_unservable(struct volume *v, int err)
{
	volume_set(v, VOLUME_FAILED, NULL, "cannot serve: %s", strerror(-err));
}

void volume_stop(struct volume *v)
{
	struct volume_source *src = v->src;

	if (!src)
		return;
	src->stop(src);
}

void volume_release(struct volume *v)
{
	if (v->src) {
		volume_stop(v);
		v->src->free(v->src);
	}
	store_unref(v->store);
	pvc_ctx_free(v->claim_ctx);
	free(v->claim_pv);
	free(v->claim);
	free(v->detail);
	free(v->type);
	free(v->name);
	pthread_mutex_destroy(&v->lock);
	memset(v, 0, sizeof(*v));
}
