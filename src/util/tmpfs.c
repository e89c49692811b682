/*
 * tmpfs.c - private tmpfs instances, made with the mount API (fsopen,
 * fsconfig, fsmount) and never attached to a mount point: no other
 * process sees them in its mount table, and none is left behind when the
 * daemon dies.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "podvolfs/tmpfs.h"

static int set_string(int fd, const char *key, const char *value)
{
	return fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0) < 0 ? -errno : 0;
}

int tmpfs_private(uint64_t size, mode_t mode, gid_t gid, int *out)
{
	char buf[32];
	int fd, mfd, rc;

	fd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* size=0 would mean no limit: at least one page */
	snprintf(buf, sizeof(buf), "%" PRIu64, size ? size : 1);
	rc = set_string(fd, "size", buf);
	if (!rc) {
		snprintf(buf, sizeof(buf), "%o", (unsigned)(mode & 07777));
		rc = set_string(fd, "mode", buf);
	}
	if (!rc) {
		snprintf(buf, sizeof(buf), "%u", (unsigned)gid);
		rc = set_string(fd, "gid", buf);
	}
	if (!rc && fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	mfd = fsmount(fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	rc = mfd < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	*out = mfd;
	return 0;
}
