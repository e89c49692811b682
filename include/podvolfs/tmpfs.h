/*
 * tmpfs.h - private tmpfs instances, mounted nowhere.
 */
#ifndef PODVOLFS_TMPFS_H
#define PODVOLFS_TMPFS_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Makes a new tmpfs of @size bytes (rounded up to whole pages by the
 * kernel) whose root has @mode (with its special bits) and group @gid, and
 * attaches it to no mount point: only the returned file descriptor (an
 * O_PATH descriptor of its root) and what is opened beneath it reach it,
 * and the kernel frees it with the last of them. Nothing on it may be a
 * set-user-ID program or a device to open. Returns 0 and stores the
 * descriptor in *@out, or -errno: -EPERM without CAP_SYS_ADMIN, -ENOSYS on
 * a kernel older than 5.2.
 */
int tmpfs_private(uint64_t size, mode_t mode, gid_t gid, int *out);

#endif
