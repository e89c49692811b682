/*
 * emptydir.c - emptyDir: a directory that lives exactly as long as its pod.
 *
 * medium "" is a passthrough store over STATE/pods/<uid>/volumes/<name>, so
 * it survives a daemon restart with the same pod; medium Memory is a RAM
 * store that dies with the pod or the daemon. Both enforce sizeLimit as a
 * hard limit. A new directory gets the kubelet's modes: 0777 on disk, 01777
 * in RAM, and with fsGroup the group and setgid bit (02777, 03777).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podvolfs/volume.h"

static uint64_t size_limit(const struct spec_volume *sv)
{
	int64_t v;

	if (!sv->empty_dir.has_size_limit)
		return 0;
	v = quantity_value(&sv->empty_dir.size_limit);
	return v > 0 ? (uint64_t)v : 0;
}

/* Opens the volume's directory, making it with the kubelet's modes if new. */
static int disk_dir_open(const struct spec_volume *sv,
			 const struct volume_ctx *ctx, int *out)
{
	mode_t mode = 0777;
	bool fresh;
	int fd;
	int rc;

	fd = state_volume_open(ctx->state, ctx->pod_uid, sv->name, &fresh);
	if (fd < 0)
		return fd;
	if (fresh && ctx->has_fs_group) {
		mode |= S_ISGID;
		if (fchown(fd, -1, ctx->fs_group))
			goto out_errno;
	}
	if (fresh && fchmod(fd, mode))
		goto out_errno;
	*out = fd;
	return 0;

out_errno:
	rc = -errno;
	close(fd);
	return rc;
}

int emptydir_setup(const struct spec_volume *sv, const struct volume_ctx *ctx,
		   struct store **out, char *msg, size_t len)
{
	const char *medium = sv->empty_dir.medium;
	uint64_t limit = size_limit(sv);
	int fd = -1;
	int rc;

	if (strcmp(medium, "Memory") == 0) {
		/*
		 * Sized as the kubelet sizes the tmpfs: what the daemon may use
		 * (the node's allocatable memory), then the pod's memory limit
		 * and the sizeLimit where each is smaller.
		 */
		uint64_t size = ctx->memory_limit;

		if (ctx->pod_memory_limit && ctx->pod_memory_limit < size)
			size = ctx->pod_memory_limit;
		if (limit && limit < size)
			size = limit;
		limit = size;
		*out = memory_store_new(ctx->has_fs_group ? 03777 : 01777, 0,
					ctx->has_fs_group ? ctx->fs_group : 0,
					limit);
		if (!*out) {
			snprintf(msg, len, "out of memory");
			return -ENOMEM;
		}
		return 0;
	}
	if (medium[0]) {
		snprintf(msg, len, "unknown storage medium \"%s\"", medium);
		return -EINVAL;
	}
	rc = disk_dir_open(sv, ctx, &fd);
	if (rc) {
		snprintf(msg, len, "cannot create the volume directory: %s",
			 strerror(-rc));
		return rc;
	}
	*out = passthrough_store_new(fd, limit);
	if (!*out) {
		rc = -errno;
		snprintf(msg, len, "cannot open the volume directory: %s",
			 strerror(-rc));
		return rc;
	}
	return 0;
}
