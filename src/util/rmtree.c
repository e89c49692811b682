/*
 * rmtree.c - removing and making directory trees by file descriptor.
 *
 * Removal walks with O_NOFOLLOW fds, so a symlink planted inside a pod's
 * volume is removed as a link and never leads the daemon's rm -rf outside.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podvolfs/rmtree.h"

static int empty_dir(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int first = 0;

	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int rc;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = unlinkat(dirfd(d), de->d_name, 0) ? -errno : 0;
		if (rc == -EISDIR || rc == -EPERM)
			rc = rmtree_at(dirfd(d), de->d_name);
		if (rc && !first)
			first = rc;
	}
	closedir(d);
	return first;
}

int rmtree_at(int dirfd, const char *name)
{
	int fd;
	int rc;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != ENOTDIR && errno != ELOOP)
			return -errno;
		return unlinkat(dirfd, name, 0) && errno != ENOENT ? -errno : 0;
	}
	rc = empty_dir(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) && errno != ENOENT && !rc)
		rc = -errno;
	return rc;
}

int mkdirs_at(int dirfd, const char *path)
{
	char *copy = strdup(path);
	char *p;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (p = strchr(copy, '/'); ; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		if (mkdirat(dirfd, copy, 0700) && errno != EEXIST) {
			rc = -errno;
			break;
		}
		if (!p)
			break;
		*p = '/';
	}
	free(copy);
	return rc;
}
