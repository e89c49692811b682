/*
 * hostpath.c - hostPath: a path of the host, shown as the volume's root.
 *
 * Setup does what the kubelet does in SetUp: it creates the path for the
 * *OrCreate types (and, as container runtimes do, for type ""), checks the
 * type of what is there, following symlinks in the path, and never changes
 * the mode or owner of anything that existed. What it checks is what it
 * serves: the path is opened once (O_PATH, following symlinks like the bind
 * mount of a container runtime), the checks run on that fd, and the fd
 * becomes the root of a passthrough store. From then on nothing is reached
 * by the path again, so a later rename or symlink swap on the host cannot
 * point the volume elsewhere.
 *
 * A relative path is taken relative to "/", as the kubelet, which runs from
 * "/", effectively does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podvolfs/volume.h"

/* The kubelet's words for a path that is not of @type. */
static const char *type_mismatch(const char *type)
{
	if (!strcmp(type, "File") || !strcmp(type, "FileOrCreate"))
		return "is not a file";
	if (!strcmp(type, "Socket"))
		return "is not a socket file";
	if (!strcmp(type, "CharDevice"))
		return "is not a character device";
	if (!strcmp(type, "BlockDevice"))
		return "is not a block device";
	return "is not a directory";
}

/* True when @st is what @type asks for. Type "" accepts anything. */
static bool type_matches(const char *type, const struct stat *st)
{
	if (!type[0])
		return true;
	if (!strcmp(type, "File") || !strcmp(type, "FileOrCreate"))
		return S_ISREG(st->st_mode);
	if (!strcmp(type, "Socket"))
		return S_ISSOCK(st->st_mode);
	if (!strcmp(type, "CharDevice"))
		return S_ISCHR(st->st_mode);
	if (!strcmp(type, "BlockDevice"))
		return S_ISBLK(st->st_mode);
	return S_ISDIR(st->st_mode);
}

/* Go's error texts, which the kubelet's messages carry, are lower case. */
static void go_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] += 'a' - 'A';
}

/*
 * mkdir -p with mode 0755 for each directory made, following symlinks in
 * the path as os.MkdirAll does. On failure, says which step failed in @msg.
 */
static int mkdir_all(char *abs, const char *shown, char *msg, size_t len)
{
	char why[128];
	char *p = abs;
	struct stat st;
	int rc;

	for (;;) {
		p = strchr(p + 1, '/');
		if (p)
			*p = '\0';
		if (abs[0] && mkdir(abs, 0755) && errno != EEXIST) {
			rc = -errno;
			goto out_fail;
		}
		if (!p)
			break;
		*p = '/';
		while (p[1] == '/')
			p++;
	}
	/* An existing name that is not a directory (a dangling symlink, say) */
	if (stat(abs, &st)) {
		rc = -errno;
		goto out_fail;
	}
	return 0;

out_fail:
	go_strerror(-rc, why, sizeof(why));
	snprintf(msg, len, "mkdir %s: %s", shown, why);
	if (p)
		*p = '/';
	return rc;
}

/* open(path, O_CREAT, 0644) as the kubelet's MakeFile: no parent is made. */
static int make_file(const char *abs, const char *shown, char *msg,
		     size_t len)
{
	char why[128];
	int fd, rc;

	fd = open(abs, O_RDONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		  0644);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	rc = -errno;
	go_strerror(-rc, why, sizeof(why));
	snprintf(msg, len, "open %s: %s", shown, why);
	return rc;
}

/* Creates the missing path @abs as @type says. Returns 0, 1 (nothing to make), -errno. */
static int create_missing(const char *type, char *abs, const char *shown,
			  char *msg, size_t len)
{
	if (!type[0] || !strcmp(type, "DirectoryOrCreate"))
		return mkdir_all(abs, shown, msg, len);
	if (!strcmp(type, "FileOrCreate"))
		return make_file(abs, shown, msg, len);
	return 1;
}

int hostpath_setup(const struct spec_volume *sv, struct store **out,
		   char *msg, size_t len)
{
	const char *path = sv->host_path.path;
	const char *type = sv->host_path.type;
	char why[128];
	struct stat st;
	char *abs;
	int fd, rc;

	if (asprintf(&abs, "%s%s", path[0] == '/' ? "" : "/", path) < 0) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	fd = open(abs, O_PATH | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		rc = create_missing(type, abs, path, msg, len);
		if (rc < 0)
			goto out_free;
		if (rc == 0)
			fd = open(abs, O_PATH | O_CLOEXEC);
		else
			errno = ENOENT;
	}
	if (fd < 0 && errno == ENOENT) {
		rc = -ENOENT;
		snprintf(msg, len, "hostPath type check failed: %s %s", path,
			 type_mismatch(type));
		goto out_free;
	}
	if (fd < 0) {
		rc = -errno;
		go_strerror(-rc, why, sizeof(why));
		snprintf(msg, len, "stat %s: %s", path, why);
		goto out_free;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		go_strerror(-rc, why, sizeof(why));
		snprintf(msg, len, "stat %s: %s", path, why);
		goto out_close;
	}
	if (!type_matches(type, &st)) {
		rc = -EINVAL;
		snprintf(msg, len, "hostPath type check failed: %s %s", path,
			 type_mismatch(type));
		goto out_close;
	}
	free(abs);
	*out = passthrough_store_new(fd, 0);
	if (!*out) {
		rc = -errno;
		snprintf(msg, len, "cannot serve %s: %s", path, strerror(-rc));
		return rc;
	}
	return 0;

out_close:
	close(fd);
out_free:
	free(abs);
	return rc;
}
