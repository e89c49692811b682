/*
 * ro-probe.c - every mutating syscall on a read-only view fails with EROFS.
 *
 *   ro-probe [--no-xattr] RODIR RWDIR
 *
 * RODIR is a read-only view of a directory holding a regular file "f"
 * whose contents are "hello\n" and which has the xattr user.probe = "v", a
 * directory "d" and a symlink "l" to "f"; RWDIR is a writable directory of
 * the same mount (another view) holding a file "w", for renames into and
 * out of the read-only view. Every mutation must fail with EROFS and change
 * nothing; reads (read, readdir, stat, getxattr, readlink, a read-only
 * shared mmap) must work; a writable shared mmap is impossible because no
 * fd open for writing can be had. Prints "ok NAME" or "not ok NAME: why"
 * per check and exits 1 if any failed.
 *
 * --no-xattr is for a file system without extended attributes (NFSv3):
 * "f" has none, and getxattr and listxattr are not checked; setting and
 * removing one must still fail with EROFS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

static int failures;
static const char *ro;
static const char *rw;
static bool no_xattr;

static void report(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", name);
		return;
	}
	failures++;
	printf("not ok %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Checks that @ret (a syscall's result) is a failure with @want. */
static void expect_err(const char *name, long ret, int want)
{
	int err = ret < 0 ? errno : 0;

	report(ret < 0 && err == want, name, "expected %s, got %s",
	       strerrorname_np(want), ret < 0 ? strerrorname_np(err) : "success");
}

/* "@dir/@name" in one of a few static buffers: good for two uses in a call. */
static char *path(const char *dir, const char *name)
{
	static char bufs[4][4096];
	static int next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, sizeof(bufs[0]), "%s/%s", dir, name);
	return buf;
}

/* open(2) that closes what it opened: returns the fd's result only. */
static long try_open(const char *p, int flags)
{
	int fd = open(p, flags, 0644);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void mutations(void)
{
	const struct timespec times[2] = { { 1, 0 }, { 2, 0 } };
	char f[4096];
	int fd;

	snprintf(f, sizeof(f), "%s", path(ro, "f"));
	expect_err("open-wronly", try_open(f, O_WRONLY), EROFS);
	expect_err("open-rdwr", try_open(f, O_RDWR), EROFS);
	expect_err("open-append", try_open(f, O_WRONLY | O_APPEND), EROFS);
	expect_err("open-trunc", try_open(f, O_RDONLY | O_TRUNC), EROFS);
	expect_err("open-creat-existing", try_open(f, O_WRONLY | O_CREAT), EROFS);
	expect_err("create", try_open(path(ro, "new"), O_WRONLY | O_CREAT), EROFS);
	expect_err("create-excl", try_open(path(ro, "new"),
					   O_RDWR | O_CREAT | O_EXCL), EROFS);
	expect_err("mkdir", mkdir(path(ro, "newdir"), 0755), EROFS);
	expect_err("mknod-fifo", mknod(path(ro, "fifo"), S_IFIFO | 0644, 0), EROFS);
	expect_err("mknod-reg", mknod(path(ro, "reg"), S_IFREG | 0644, 0), EROFS);
	expect_err("symlink", symlink("f", path(ro, "newlink")), EROFS);
	expect_err("link", link(f, path(ro, "hard")), EROFS);
	expect_err("unlink", unlink(f), EROFS);
	expect_err("unlink-symlink", unlink(path(ro, "l")), EROFS);
	expect_err("rmdir", rmdir(path(ro, "d")), EROFS);
	expect_err("rename-inside", rename(f, path(ro, "g")), EROFS);
	expect_err("rename-dir-inside", rename(path(ro, "d"), path(ro, "e")), EROFS);
	expect_err("rename-into", rename(path(rw, "w"), path(ro, "w2")), EROFS);
	expect_err("rename-out-of", rename(f, path(rw, "f")), EROFS);
	expect_err("rename-over", rename(path(rw, "w"), f), EROFS);
	expect_err("renameat2-exchange", renameat2(AT_FDCWD, f, AT_FDCWD,
						   path(ro, "d"), RENAME_EXCHANGE),
		   EROFS);
	expect_err("link-into", link(path(rw, "w"), path(ro, "w2")), EROFS);
	expect_err("truncate", truncate(f, 0), EROFS);
	expect_err("truncate-extend", truncate(f, 1 << 20), EROFS);
	expect_err("chmod", chmod(f, 0600), EROFS);
	expect_err("chmod-dir", chmod(ro, 0700), EROFS);
	expect_err("chown", chown(f, 1, 1), EROFS);
	expect_err("lchown-symlink", lchown(path(ro, "l"), 1, 1), EROFS);
	expect_err("utimensat-now", utimensat(AT_FDCWD, f, NULL, 0), EROFS);
	expect_err("utimensat-times", utimensat(AT_FDCWD, f, times, 0), EROFS);
	expect_err("utimes-dir", utimes(path(ro, "d"), NULL), EROFS);
	expect_err("setxattr", setxattr(f, "user.new", "x", 1, 0), EROFS);
	expect_err("setxattr-replace", setxattr(f, "user.probe", "w", 1,
						XATTR_REPLACE), EROFS);
	expect_err("setxattr-dir", setxattr(ro, "user.new", "x", 1, 0), EROFS);
	expect_err("removexattr", removexattr(f, "user.probe"), EROFS);

	/* What an fd open for reading cannot do, the kernel refuses itself. */
	fd = open(f, O_RDONLY);
	if (fd < 0) {
		report(false, "open-rdonly", "%s", strerror(errno));
		return;
	}
	expect_err("write-rdonly-fd", write(fd, "x", 1), EBADF);
	expect_err("ftruncate-rdonly-fd", ftruncate(fd, 0), EINVAL);
	expect_err("fallocate-rdonly-fd", fallocate(fd, 0, 0, 4096), EBADF);
	expect_err("fchmod", fchmod(fd, 0600), EROFS);
	expect_err("fchown", fchown(fd, 1, 1), EROFS);
	expect_err("futimens", futimens(fd, NULL), EROFS);
	expect_err("fsetxattr", fsetxattr(fd, "user.new", "x", 1, 0), EROFS);
	expect_err("fremovexattr", fremovexattr(fd, "user.probe"), EROFS);
	{
		void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);

		expect_err("mmap-shared-write", map == MAP_FAILED ? -1 : 0, EACCES);
		if (map != MAP_FAILED)
			munmap(map, 4096);
		map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		report(map != MAP_FAILED, "mprotect-setup", "%s", strerror(errno));
		if (map != MAP_FAILED) {
			expect_err("mprotect-shared-write",
				   mprotect(map, 4096, PROT_READ | PROT_WRITE),
				   EACCES);
			munmap(map, 4096);
		}
	}
	close(fd);
}

static void reads(void)
{
	char buf[64] = "";
	char f[4096];
	struct dirent *de;
	struct stat st;
	ssize_t n;
	int seen = 0;
	void *map;
	DIR *d;
	int fd;

	snprintf(f, sizeof(f), "%s", path(ro, "f"));
	fd = open(f, O_RDONLY);
	n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	report(n == 6 && !memcmp(buf, "hello\n", 6), "read",
	       "got %zd bytes '%s' (%s)", n, buf, strerror(errno));
	map = fd >= 0 ? mmap(NULL, 6, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	report(map != MAP_FAILED && !memcmp(map, "hello\n", 6),
	       "mmap-shared-read", "%s", strerror(errno));
	if (map != MAP_FAILED)
		munmap(map, 6);
	map = fd >= 0 ? mmap(NULL, 6, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
		      : MAP_FAILED;
	report(map != MAP_FAILED, "mmap-private-write", "%s", strerror(errno));
	if (map != MAP_FAILED) {
		/* A private copy: the file is not changed. */
		memcpy(map, "HELLO\n", 6);
		munmap(map, 6);
	}
	n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	report(n == 6 && !memcmp(buf, "hello\n", 6), "read-after-private",
	       "got '%s'", buf);
	if (fd >= 0)
		close(fd);

	report(stat(f, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 6,
	       "stat", "%s", strerror(errno));
	report(stat(path(ro, "d"), &st) == 0 && S_ISDIR(st.st_mode), "stat-dir",
	       "%s", strerror(errno));
	if (!no_xattr) {
		n = getxattr(f, "user.probe", buf, sizeof(buf));
		report(n == 1 && buf[0] == 'v', "getxattr", "got %zd (%s)", n,
		       strerror(errno));
		n = listxattr(f, buf, sizeof(buf));
		report(n > 0 && memmem(buf, n, "user.probe", 11), "listxattr",
		       "got %zd (%s)", n, strerror(errno));
	}
	n = readlink(path(ro, "l"), buf, sizeof(buf));
	report(n == 1 && buf[0] == 'f', "readlink", "got %zd (%s)", n,
	       strerror(errno));
	d = opendir(ro);
	while (d && (de = readdir(d)))
		seen += !strcmp(de->d_name, "f") || !strcmp(de->d_name, "d") ||
			!strcmp(de->d_name, "l");
	if (d)
		closedir(d);
	report(seen == 3, "readdir", "saw %d of f, d, l", seen);
	/* Nothing changed: the file is still there, unchanged, with its names. */
	report(stat(path(ro, "g"), &st) < 0 && errno == ENOENT &&
	       stat(path(ro, "new"), &st) < 0 && stat(path(rw, "w"), &st) == 0,
	       "unchanged", "a mutation went through");
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--no-xattr")) {
		no_xattr = true;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: ro-probe [--no-xattr] RODIR RWDIR\n");
		return 2;
	}
	ro = argv[1];
	rw = argv[2];
	mutations();
	reads();
	return failures ? 1 : 0;
}
