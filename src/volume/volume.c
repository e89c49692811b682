/*
 * volume.c - dispatch from a pod's volume spec to its source.
 *
 * Each source sets up a store; this file fills in what every volume shows
 * in its pod's status and how the kernel may cache it. A volume the daemon
 * owns alone (emptyDir) may be cached for long: nothing changes it behind
 * the mount's back. A hostPath is shared with the host, which may change
 * it at any time: the kernel keeps what it learns only for hostpath_cache
 * seconds and drops a file's pages on each open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/volume.h"

static const struct view_cache owned_cache = {
	.attr_timeout = 3600.0,
	.entry_timeout = 3600.0,
	.keep_cache = true,
	.cache_readdir = true,
};

const char *volume_state_name(enum volume_state state)
{
	switch (state) {
	case VOLUME_READY:
		return "Ready";
	case VOLUME_FAILED:
		return "Failed";
	case VOLUME_UNSUPPORTED:
		return "NotSupported";
	}
	return "Unknown";
}

static int setup_emptydir(struct volume *v, const struct spec_volume *sv,
			  const struct volume_ctx *ctx)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "medium=%s",
		 sv->empty_dir.medium[0] ? sv->empty_dir.medium : "disk");
	v->detail = strdup(detail);
	if (!v->detail)
		return -ENOMEM;
	v->cache = owned_cache;
	if (emptydir_setup(sv, ctx, &v->store, v->message, sizeof(v->message)))
		v->state = VOLUME_FAILED;
	return 0;
}

static int setup_hostpath(struct volume *v, const struct spec_volume *sv,
			  const struct volume_ctx *ctx)
{
	size_t n;

	if (sv->host_path.type[0]) {
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
	n = snprintf(v->message, sizeof(v->message),
		     "MountVolume.SetUp failed for volume \"%s\" : ", sv->name);
	if (n >= sizeof(v->message))
		n = sizeof(v->message) - 1;
	if (hostpath_setup(sv, &v->store, v->message + n,
			   sizeof(v->message) - n))
		v->state = VOLUME_FAILED;
	else
		v->message[0] = '\0';
	return 0;
}

int volume_setup(struct volume *v, const struct spec_volume *sv,
		 const struct volume_ctx *ctx)
{
	memset(v, 0, sizeof(*v));
	v->name = strdup(sv->name);
	v->type = strdup(sv->source);
	if (!v->name || !v->type)
		goto out_nomem;
	v->state = VOLUME_READY;
	if (sv->type == SPEC_VOL_EMPTYDIR) {
		if (setup_emptydir(v, sv, ctx))
			goto out_nomem;
		return 0;
	}
	if (sv->type == SPEC_VOL_HOSTPATH) {
		if (setup_hostpath(v, sv, ctx))
			goto out_nomem;
		return 0;
	}
	v->state = VOLUME_UNSUPPORTED;
	snprintf(v->message, sizeof(v->message),
		 "volume type \"%s\" is not supported yet", sv->source);
	return 0;

out_nomem:
	volume_release(v);
	return -ENOMEM;
}

void volume_release(struct volume *v)
{
	store_unref(v->store);
	free(v->detail);
	free(v->type);
	free(v->name);
	memset(v, 0, sizeof(*v));
}
