/*
 * state.c - the layout of STATE and its atomic writes.
 *
 * Every directory made here is 0700: volume data is reached by users only
 * through the mount, where the volume's own modes apply. Paths are built
 * from a pod UID (36 characters the spec layer made) and a volume name (a
 * DNS label), so none holds a '/' or "..".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podvolfs/log.h"
#include "podvolfs/rmtree.h"
#include "podvolfs/state.h"

struct state {
	char *dir;
	int fd;
};

struct state *state_open(const char *dir)
{
	struct state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return NULL;
	st->dir = strdup(dir);
	if (!st->dir)
		goto out_free;
	if (mkdir(dir, 0700) && errno != EEXIST)
		goto out_free;
	st->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->fd < 0)
		goto out_free;
	return st;

out_free:
	err = errno;
	free(st->dir);
	free(st);
	errno = err;
	return NULL;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	close(st->fd);
	free(st->dir);
	free(st);
}

const char *state_dir(const struct state *st)
{
	return st->dir;
}

int state_volume_open(struct state *st, const char *uid, const char *name,
		      bool *fresh)
{
	char path[512];
	int fd;
	int rc;

	snprintf(path, sizeof(path), "pods/%s/volumes", uid);
	rc = mkdirs_at(st->fd, path);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "pods/%s/volumes/%s", uid, name);
	*fresh = mkdirat(st->fd, path, 0700) == 0;
	if (!*fresh && errno != EEXIST)
		return -errno;
	fd = openat(st->fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int state_volume_path(const struct state *st, const char *uid,
		      const char *name, const char *entry, char *buf,
		      size_t size)
{
	int n = snprintf(buf, size, "%s/pods/%s/volumes/%s%s%s", st->dir, uid,
			 name, *entry ? "/" : "", entry);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int state_pod_remove(struct state *st, const char *uid)
{
	char path[512];

	snprintf(path, sizeof(path), "pods/%s", uid);
	return rmtree_at(st->fd, path);
}

void state_collect(struct state *st, bool (*keep)(void *arg, const char *uid),
		   void *arg)
{
	int fd = openat(st->fd, "pods",
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || keep(arg, de->d_name))
			continue;
		log_info("deleting the state of pod uid %s, which no manifest defines",
			 de->d_name);
		rmtree_at(dirfd(d), de->d_name);
	}
	closedir(d);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= n;
	}
	return 0;
}

int state_write_atomic(int dirfd, const char *name, const char *data,
		       size_t len)
{
	char tmp[NAME_MAX + 1];
	int fd;
	int rc;

	if (snprintf(tmp, sizeof(tmp), ".%s.new", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, data, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && renameat(dirfd, tmp, dirfd, name))
		rc = -errno;
	if (rc) {
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	/* The rename is durable only once the directory is. */
	return fsync(dirfd) ? -errno : 0;
}

ssize_t state_read(int dirfd, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - len)) > 0) {
		len += n;
		if (len == size)
			break;
	}
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	if (len == size)
		return -EFBIG;
	buf[len] = '\0';
	return len;
}

int state_objects_write(struct state *st, const char *name, const char *data,
			size_t len)
{
	int fd, rc;

	if (mkdirat(st->fd, "objects", 0700) && errno != EEXIST)
		return -errno;
	fd = openat(st->fd, "objects", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = state_write_atomic(fd, name, data, len);
	close(fd);
	return rc;
}

ssize_t state_objects_read(struct state *st, const char *name, char **out)
{
	char path[NAME_MAX + 16];
	size_t cap = 4096, len = 0;
	char *buf = NULL, *grown;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "objects/%s", name);
	fd = openat(st->fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		if (!buf || len + 1 >= cap) {
			cap = buf ? cap * 2 : cap;
			grown = realloc(buf, cap);
			if (!grown) {
				n = -ENOMEM;
				break;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			n = -errno;
		else
			len += (size_t)n;
	} while (n > 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return n;
	}
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

int state_pvs_dir(struct state *st, char *buf, size_t size)
{
	int n;

	if (mkdirat(st->fd, "pvs", 0700) && errno != EEXIST)
		return -errno;
	n = snprintf(buf, size, "%s/pvs", st->dir);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
