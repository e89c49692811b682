/*
 * emptydir.c - emptyDir: a directory that lives exactly as long as its pod.
 *
 * medium "" is a passthrough store over STATE/pods/<uid>/volumes/<name>, so
 * it survives a daemon restart with the same pod; medium Memory is a
 * passthrough store over a private tmpfs of the volume's size (or, where
 * the daemon may not make one, a RAM store), which dies with the pod or
 * the daemon. Both enforce sizeLimit as a hard limit. A new directory gets
 * the kubelet's modes: 0777 on disk, 01777 in RAM, and with fsGroup the
 * group and setgid bit (02777, 03777).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podvolfs/log.h"
#include "podvolfs/tmpfs.h"
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

/*
 * A Memory emptyDir: a private tmpfs of @limit bytes where the daemon may
 * make one (the kernel keeps the limit and passthrough may serve its
 * files), else the daemon's own RAM store, which keeps the limit itself.
 */
static int memory_setup(const struct volume_ctx *ctx, uint64_t limit,
			struct store **out, char *msg, size_t len)
{
	static bool told;
	mode_t mode = ctx->has_fs_group ? 03777 : 01777;
	gid_t gid = ctx->has_fs_group ? ctx->fs_group : 0;
	int fd, rc;

	if (ctx->memory_tmpfs) {
		rc = tmpfs_private(limit, mode, gid, &fd);
		if (!rc) {
			*out = passthrough_store_new(fd, 0);
			if (!*out) {
				rc = -errno;
				snprintf(msg, len, "cannot open the volume's tmpfs: %s",
					 strerror(-rc));
				return rc;
			}
			store_limit_by_fs(*out, limit);
			return 0;
		}
		if (!__atomic_exchange_n(&told, true, __ATOMIC_RELAXED))
			log_warn("cannot make a private tmpfs (%s): Memory emptyDirs are kept in the daemon's memory",
				 strerror(-rc));
	}
	*out = memory_store_new(mode, 0, gid, limit);
	if (!*out) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	return 0;
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
		return memory_setup(ctx, limit, out, msg, len);
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
