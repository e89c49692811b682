/*
 * syscalls.c - a syscall exerciser run against a directory.
 *
 *   syscalls DIR [--quick] [--only NAME]... [--skip NAME]... [--daemon-pid PID]
 *
 * Each test gets its own subdirectory DIR/NAME, removed afterwards, and prints
 * "ok NAME" or "not ok NAME: what failed (ERRNO)". The program exits 1 if any
 * test failed, 2 on a usage error. --quick leaves out the slow tests (25,000
 * directory entries, 21,000 files). With --daemon-pid, the many-files test
 * also fails if that process holds more than 1,024 open files while 21,000
 * files are known to the kernel: a filesystem must not keep an fd per file.
 *
 * The same checks pass on tmpfs and ext4; a podvolfs volume must pass them
 * too (libfuse test/test_syscalls.c plays this part for libfuse).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define KIB		1024L
#define MIB		(1024L * KIB)
#define GIB		(1024L * MIB)

#define READDIR_FILES	25000
#define MANY_FILES	21000
#define MAX_DAEMON_FDS	1024
#define WRITER_THREADS	8

/* What a test gets: its own empty directory, as an fd and as a path. */
struct ctx {
	int dfd;
	char path[PATH_MAX];
};

struct test {
	const char *name;
	int (*run)(const struct ctx *c);
	bool slow;		/* left out by --quick */
};

/* the first failure of the running test; later ones would only be echoes */
static char fail_msg[1024];
static pid_t daemon_pid;

static const char *errname(int err)
{
	static char buf[32];
	const char *name = err ? strerrorname_np(err) : "0";

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* Records a failure (only the first of a test) and returns -1. */
__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;

	if (fail_msg[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A syscall failed: records what, with errno's name. */
static int fail_errno(const char *what)
{
	return fail("%s (%s)", what, errname(errno));
}

/* A call that should have failed with @want: checks it did. */
static int expect_err(int ret, int want, const char *what)
{
	if (ret >= 0)
		return fail("%s: succeeded, expected %s", what, errname(want));
	if (errno != want) {
		int got = errno;

		return fail("%s: expected %s, got %s", what, errname(want),
			    errname(got));
	}
	return 0;
}

static int expect_long(long got, long want, const char *what)
{
	if (got != want)
		return fail("%s: expected %ld, got %ld", what, want, got);
	return 0;
}

static bool all_zero(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0)
			return fail_errno("pwrite");
		if (n == 0)
			return fail("pwrite: wrote nothing at %lld",
				    (long long)off);
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Reads up to @len bytes at @off; returns how many (short only at EOF). */
static ssize_t pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, off + done);

		if (n < 0)
			return fail_errno("pread");
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

/* Creates or truncates @name and writes @len bytes into it. */
static int put(int dfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret;

	if (fd < 0)
		return fail("open %s for writing (%s)", name, errname(errno));
	ret = pwrite_all(fd, buf, len, 0);
	if (close(fd) && !ret)
		ret = fail_errno("close");
	return ret;
}

static int put_str(int dfd, const char *name, const char *s)
{
	return put(dfd, name, s, strlen(s));
}

/* Checks that @name holds exactly the string @want. */
static int expect_content(int dfd, const char *name, const char *want)
{
	char buf[4096];
	size_t len = strlen(want);
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY);
	if (fd < 0)
		return fail("open %s (%s)", name, errname(errno));
	n = pread_all(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < 0)
		return -1;
	if ((size_t)n != len || memcmp(buf, want, len))
		return fail("%s holds '%.*s', expected '%s'", name, (int)n, buf,
			    want);
	return 0;
}

static int lstat_at(int dfd, const char *name, struct stat *st)
{
	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW))
		return fail("lstat %s (%s)", name, errname(errno));
	return 0;
}

static int expect_absent(int dfd, const char *name)
{
	struct stat st;

	return expect_err(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), ENOENT,
			  name);
}

static int mkdir_at(int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0755))
		return fail("mkdir %s (%s)", name, errname(errno));
	return 0;
}

/* Counts the entries of @dfd other than . and .., and whether @name is one. */
static int count_entries(int dfd, const char *name, bool *found)
{
	struct dirent *de;
	int count = 0;
	DIR *d;
	int fd;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fail_errno("open directory");
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail_errno("fdopendir");
	}
	if (found)
		*found = false;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (found && name && !strcmp(de->d_name, name))
			*found = true;
		count++;
	}
	if (errno) {
		closedir(d);
		return fail_errno("readdir");
	}
	closedir(d);
	return count;
}

static void fill_pattern(unsigned char *buf, size_t len, unsigned int seed,
			 off_t off)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t x = (uint64_t)(off + i);

		buf[i] = (unsigned char)(seed * 131 + x + (x >> 9) * 7);
	}
}

/* ---- the tests ------------------------------------------------------- */

static int t_basic_io(const struct ctx *c)
{
	char buf[64] = "";
	struct stat st;
	int fd;

	fd = openat(c->dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fail_errno("create f");
	if (write(fd, "hello world", 11) != 11)
		return fail_errno("write");
	if (expect_long(lseek(fd, 0, SEEK_CUR), 11, "offset after write"))
		return -1;
	if (pread(fd, buf, 5, 6) != 5 || memcmp(buf, "world", 5))
		return fail("pread at 6: '%.5s'", buf);
	if (pwrite(fd, "WORLD", 5, 6) != 5)
		return fail_errno("pwrite");
	if (expect_long(lseek(fd, 0, SEEK_CUR), 11, "offset after pread/pwrite"))
		return -1;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return fail_errno("lseek");
	memset(buf, 0, sizeof(buf));
	if (read(fd, buf, sizeof(buf)) != 11 || strcmp(buf, "hello WORLD"))
		return fail("read back '%s'", buf);
	if (expect_long(read(fd, buf, sizeof(buf)), 0, "read at EOF"))
		return -1;
	if (fstat(fd, &st))
		return fail_errno("fstat");
	if (!S_ISREG(st.st_mode) || st.st_size != 11)
		return fail("fstat: mode %o size %lld", st.st_mode,
			    (long long)st.st_size);
	close(fd);

	if (expect_err(openat(c->dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0644),
		       EEXIST, "O_CREAT|O_EXCL on an existing file"))
		return -1;
	if (expect_err(openat(c->dfd, "missing", O_RDONLY), ENOENT,
		       "open missing"))
		return -1;

	fd = openat(c->dfd, "f", O_WRONLY | O_APPEND);
	if (fd < 0)
		return fail_errno("open O_APPEND");
	lseek(fd, 0, SEEK_SET);
	if (write(fd, "!", 1) != 1)
		return fail_errno("write O_APPEND");
	close(fd);
	if (expect_content(c->dfd, "f", "hello WORLD!"))
		return -1;

	fd = openat(c->dfd, "f", O_RDONLY);
	if (fd < 0)
		return fail_errno("open O_RDONLY");
	if (expect_err(write(fd, "x", 1), EBADF, "write to an O_RDONLY fd"))
		return -1;
	close(fd);

	fd = openat(c->dfd, "f", O_RDWR | O_TRUNC);
	if (fd < 0)
		return fail_errno("open O_TRUNC");
	if (fstat(fd, &st))
		return fail_errno("fstat");
	close(fd);
	if (expect_long(st.st_size, 0, "size after O_TRUNC"))
		return -1;
	return expect_content(c->dfd, "f", "");
}

static int renameat2_at(int dfd, const char *from, const char *to,
			unsigned int flags)
{
	return renameat2(dfd, from, dfd, to, flags);
}

static int t_rename(const struct ctx *c)
{
	struct stat st, st2;
	int dfd = c->dfd;

	/* plain, then over a file: the moved inode replaces the target */
	if (put_str(dfd, "a", "A") || renameat2_at(dfd, "a", "b", 0))
		return fail_errno("rename a b");
	if (expect_absent(dfd, "a") || expect_content(dfd, "b", "A"))
		return -1;
	if (put_str(dfd, "c", "C") || lstat_at(dfd, "b", &st))
		return -1;
	if (renameat2_at(dfd, "b", "c", 0))
		return fail_errno("rename over a file");
	if (expect_absent(dfd, "b") || expect_content(dfd, "c", "A") ||
	    lstat_at(dfd, "c", &st2))
		return -1;
	if (st.st_ino != st2.st_ino)
		return fail("rename changed st_ino %lu -> %lu",
			    (unsigned long)st.st_ino, (unsigned long)st2.st_ino);

	/* a directory over an empty directory */
	if (mkdir_at(dfd, "d1") || mkdir_at(dfd, "d2") ||
	    put_str(dfd, "d1/inside", "I"))
		return -1;
	if (renameat2_at(dfd, "d1", "d2", 0))
		return fail_errno("rename a dir over an empty dir");
	if (expect_absent(dfd, "d1") || expect_content(dfd, "d2/inside", "I"))
		return -1;

	/* a directory into its own subtree */
	if (mkdir_at(dfd, "p") || mkdir_at(dfd, "p/q"))
		return -1;
	if (expect_err(renameat2_at(dfd, "p", "p/q/r", 0), EINVAL,
		       "rename a dir into its own subtree"))
		return -1;

	/* over a non-empty directory, and type mismatches */
	if (mkdir_at(dfd, "g"))
		return -1;
	if (expect_err(renameat2_at(dfd, "g", "d2", 0), ENOTEMPTY,
		       "rename over a non-empty dir"))
		return -1;
	if (expect_err(renameat2_at(dfd, "c", "g", 0), EISDIR,
		       "rename a file over a dir"))
		return -1;
	if (expect_err(renameat2_at(dfd, "g", "c", 0), ENOTDIR,
		       "rename a dir over a file"))
		return -1;
	if (expect_err(renameat2_at(dfd, "missing", "z", 0), ENOENT,
		       "rename a missing name"))
		return -1;

	/* to itself (no-op), and across directories */
	if (renameat2_at(dfd, "c", "c", 0))
		return fail_errno("rename to itself");
	if (expect_content(dfd, "c", "A"))
		return -1;
	if (renameat2_at(dfd, "c", "p/q/c", 0))
		return fail_errno("rename across directories");
	if (expect_absent(dfd, "c"))
		return -1;
	return expect_content(dfd, "p/q/c", "A");
}

/* renameat2's flags, apart from the plain renames (NFSv3 has none) */
static int t_rename_flags(const struct ctx *c)
{
	int dfd = c->dfd;

	/* RENAME_NOREPLACE */
	if (put_str(dfd, "x", "X") || put_str(dfd, "c", "C"))
		return -1;
	if (expect_err(renameat2_at(dfd, "x", "c", RENAME_NOREPLACE), EEXIST,
		       "RENAME_NOREPLACE over a file"))
		return -1;
	if (expect_content(dfd, "x", "X") || expect_content(dfd, "c", "C"))
		return -1;
	if (renameat2_at(dfd, "x", "y", RENAME_NOREPLACE))
		return fail_errno("RENAME_NOREPLACE to a new name");
	if (expect_absent(dfd, "x") || expect_content(dfd, "y", "X"))
		return -1;

	/* RENAME_EXCHANGE of a file and a directory */
	if (mkdir_at(dfd, "d") || put_str(dfd, "d/inside", "I"))
		return -1;
	if (renameat2_at(dfd, "c", "d", RENAME_EXCHANGE))
		return fail_errno("RENAME_EXCHANGE file <-> dir");
	if (expect_content(dfd, "d", "C") ||
	    expect_content(dfd, "c/inside", "I"))
		return -1;
	return expect_err(renameat2_at(dfd, "c", "nothere", RENAME_EXCHANGE),
			  ENOENT, "RENAME_EXCHANGE with a missing target");
}

static int t_hardlink(const struct ctx *c)
{
	struct stat sa, sb;
	int dfd = c->dfd;
	int fd;

	if (put_str(dfd, "a", "data"))
		return -1;
	if (linkat(dfd, "a", dfd, "b", 0))
		return fail_errno("link a b");
	if (lstat_at(dfd, "a", &sa) || lstat_at(dfd, "b", &sb))
		return -1;
	if (sa.st_ino != sb.st_ino)
		return fail("link has st_ino %lu, file %lu",
			    (unsigned long)sb.st_ino, (unsigned long)sa.st_ino);
	if (expect_long(sa.st_nlink, 2, "nlink after link") ||
	    expect_long(sb.st_nlink, 2, "nlink of the link"))
		return -1;

	fd = openat(dfd, "b", O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, "more", 4) != 4)
		return fail_errno("append through the link");
	close(fd);
	if (expect_content(dfd, "a", "datamore"))
		return -1;

	if (linkat(dfd, "b", dfd, "c", 0))
		return fail_errno("link b c");
	if (lstat_at(dfd, "a", &sa) || expect_long(sa.st_nlink, 3, "nlink"))
		return -1;
	if (expect_err(linkat(dfd, "a", dfd, "c", 0), EEXIST,
		       "link to an existing name"))
		return -1;
	if (mkdir_at(dfd, "d"))
		return -1;
	if (expect_err(linkat(dfd, "d", dfd, "dlink", 0), EPERM,
		       "link a directory"))
		return -1;

	if (unlinkat(dfd, "a", 0))
		return fail_errno("unlink a");
	if (lstat_at(dfd, "c", &sb) ||
	    expect_long(sb.st_nlink, 2, "nlink after unlink"))
		return -1;
	if (unlinkat(dfd, "b", 0))
		return fail_errno("unlink b");
	if (lstat_at(dfd, "c", &sb) ||
	    expect_long(sb.st_nlink, 1, "nlink of the last name"))
		return -1;
	return expect_content(dfd, "c", "datamore");
}

static int expect_link(int dfd, const char *name, const char *target)
{
	char buf[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat_at(dfd, name, &st))
		return -1;
	if (!S_ISLNK(st.st_mode))
		return fail("lstat %s: mode %o is not a symlink", name,
			    st.st_mode);
	if (expect_long(st.st_size, strlen(target), "symlink st_size"))
		return -1;
	n = readlinkat(dfd, name, buf, sizeof(buf));
	if (n < 0)
		return fail_errno("readlink");
	if ((size_t)n != strlen(target) || memcmp(buf, target, n))
		return fail("readlink %s: '%.*s', expected '%s'", name, (int)n,
			    buf, target);
	return 0;
}

static int t_symlink(const struct ctx *c)
{
	char longtarget[1001];
	struct stat st, tst;
	char buf[16];
	int dfd = c->dfd;
	int i;

	if (put_str(dfd, "target", "T"))
		return -1;
	if (symlinkat("target", dfd, "l"))
		return fail_errno("symlink");
	if (expect_link(dfd, "l", "target"))
		return -1;
	if (fstatat(dfd, "l", &st, 0) || lstat_at(dfd, "target", &tst))
		return fail_errno("stat through the symlink");
	if (!S_ISREG(st.st_mode) || st.st_ino != tst.st_ino)
		return fail("stat through the symlink: not the target");
	if (expect_content(dfd, "l", "T"))
		return -1;

	if (symlinkat("nowhere", dfd, "dangling"))
		return fail_errno("symlink dangling");
	if (expect_err(fstatat(dfd, "dangling", &st, 0), ENOENT,
		       "stat a dangling symlink"))
		return -1;
	if (expect_link(dfd, "dangling", "nowhere"))
		return -1;

	if (symlinkat("/nonexistent/abs", dfd, "abs") ||
	    expect_link(dfd, "abs", "/nonexistent/abs"))
		return fail_errno("absolute symlink");
	for (i = 0; i < 1000; i++)
		longtarget[i] = i % 2 ? '/' : 'a' + i % 26;
	longtarget[1000] = '\0';
	if (symlinkat(longtarget, dfd, "long"))
		return fail_errno("symlink with a 1000-byte target");
	if (expect_link(dfd, "long", longtarget))
		return -1;

	if (expect_err(readlinkat(dfd, "target", buf, sizeof(buf)), EINVAL,
		       "readlink a regular file"))
		return -1;
	if (expect_err(symlinkat("x", dfd, "target"), EEXIST,
		       "symlink over an existing name"))
		return -1;
	if (unlinkat(dfd, "l", 0))
		return fail_errno("unlink the symlink");
	return expect_content(dfd, "target", "T");
}

static int t_unlink_open(const struct ctx *c)
{
	char buf[32] = "";
	struct stat st;
	bool found;
	int fd;
	int ret = -1;

	fd = openat(c->dfd, "f", O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return fail_errno("create");
	if (pwrite_all(fd, "before", 6, 0))
		goto out_close;
	if (unlinkat(c->dfd, "f", 0)) {
		fail_errno("unlink while open");
		goto out_close;
	}
	if (fstat(fd, &st)) {
		fail_errno("fstat after unlink");
		goto out_close;
	}
	if (expect_long(st.st_nlink, 0, "nlink after unlink"))
		goto out_close;
	if (pread_all(fd, buf, 6, 0) != 6 || memcmp(buf, "before", 6)) {
		fail("read after unlink: '%s'", buf);
		goto out_close;
	}
	if (pwrite_all(fd, "after!", 6, 6))
		goto out_close;
	memset(buf, 0, sizeof(buf));
	if (pread_all(fd, buf, sizeof(buf), 0) != 12 ||
	    strcmp(buf, "beforeafter!")) {
		fail("read back after writing the unlinked file: '%s'", buf);
		goto out_close;
	}
	if (fstat(fd, &st) || expect_long(st.st_size, 12, "size after unlink"))
		goto out_close;
	if (expect_absent(c->dfd, "f"))
		goto out_close;
	if (count_entries(c->dfd, "f", &found) < 0)
		goto out_close;
	if (found) {
		fail("readdir still lists the unlinked file");
		goto out_close;
	}
	/* the name is free for a new, independent file */
	if (put_str(c->dfd, "f", "new") || expect_content(c->dfd, "f", "new"))
		goto out_close;
	memset(buf, 0, sizeof(buf));
	if (pread_all(fd, buf, sizeof(buf), 0) != 12 ||
	    strcmp(buf, "beforeafter!")) {
		fail("unlinked file changed by a new file of its name: '%s'",
		     buf);
		goto out_close;
	}
	ret = 0;
out_close:
	close(fd);
	return ret;
}

/* Checks @name's size and that bytes [from, size) are zero. */
static int expect_zero_tail(int dfd, const char *name, off_t size, off_t from)
{
	unsigned char buf[16384];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat_at(dfd, name, &st) || expect_long(st.st_size, size, "size"))
		return -1;
	if ((size_t)size > sizeof(buf))
		return fail("file too large for the check");
	fd = openat(dfd, name, O_RDONLY);
	if (fd < 0)
		return fail_errno("open");
	n = pread_all(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n != size)
		return fail("read %zd bytes, expected %lld", n, (long long)size);
	if (!all_zero(buf + from, size - from))
		return fail("bytes after %lld are not zero", (long long)from);
	return 0;
}

static int t_truncate(const struct ctx *c)
{
	unsigned char buf[10000];
	char path[PATH_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "%s/f", c->path);
	if (put_str(c->dfd, "f", "0123456789"))
		return -1;
	if (truncate(path, 4))
		return fail_errno("truncate down");
	if (expect_content(c->dfd, "f", "0123"))
		return -1;
	if (truncate(path, 8192))
		return fail_errno("truncate up");
	if (expect_zero_tail(c->dfd, "f", 8192, 4))
		return -1;

	fd = openat(c->dfd, "f", O_RDWR);
	if (fd < 0)
		return fail_errno("open");
	if (ftruncate(fd, 2)) {
		close(fd);
		return fail_errno("ftruncate down");
	}
	if (ftruncate(fd, 5000)) {
		close(fd);
		return fail_errno("ftruncate up");
	}
	close(fd);
	if (expect_zero_tail(c->dfd, "f", 5000, 2))
		return -1;

	/* old bytes past a truncation must not come back when extending */
	memset(buf, 'x', sizeof(buf));
	if (put(c->dfd, "g", buf, sizeof(buf)))
		return -1;
	snprintf(path, sizeof(path), "%s/g", c->path);
	if (truncate(path, 5000) || truncate(path, 10000))
		return fail_errno("truncate g");
	if (expect_zero_tail(c->dfd, "g", 10000, 5000))
		return -1;

	if (expect_err(truncate(path, -1), EINVAL, "truncate to -1"))
		return -1;
	snprintf(path, sizeof(path), "%s/missing", c->path);
	return expect_err(truncate(path, 0), ENOENT, "truncate missing");
}

/*
 * The file "sparse": @data (4 KiB of 'S') at 1 GiB and nothing before.
 * Returns its open fd, or -1 with the failure reported.
 */
static int make_sparse(const struct ctx *c, unsigned char data[4096])
{
	int fd;

	fd = openat(c->dfd, "sparse", O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return fail_errno("create");
	memset(data, 'S', 4096);
	if (pwrite_all(fd, data, 4096, GIB)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int t_sparse(const struct ctx *c)
{
	unsigned char buf[64 * 1024];
	unsigned char data[4096];
	off_t size = GIB + sizeof(data);
	struct stat st;
	int fd;
	int ret = -1;

	fd = make_sparse(c, data);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		fail_errno("fstat");
		goto out_close;
	}
	if (expect_long(st.st_size, size, "st_size"))
		goto out_close;
	if (st.st_blocks * 512 > MIB) {
		fail("st_blocks %lld for 4 KiB of data at 1 GiB",
		     (long long)st.st_blocks);
		goto out_close;
	}
	memset(buf, 0xff, sizeof(buf));
	if (pread_all(fd, buf, sizeof(buf), GIB / 2) != sizeof(buf) ||
	    !all_zero(buf, sizeof(buf))) {
		fail("hole at 512 MiB does not read as zeros");
		goto out_close;
	}
	if (pread_all(fd, buf, 200, GIB - 100) != 200 || !all_zero(buf, 100) ||
	    memcmp(buf + 100, data, 100)) {
		fail("bytes around 1 GiB are wrong");
		goto out_close;
	}
	ret = 0;
out_close:
	close(fd);
	return ret;
}

/* SEEK_DATA and SEEK_HOLE in a sparse file, apart (NFSv3 cannot) */
static int t_seek_data(const struct ctx *c)
{
	unsigned char data[4096];
	off_t size = GIB + sizeof(data);
	int fd;
	int ret = -1;

	fd = make_sparse(c, data);
	if (fd < 0)
		return -1;
	if (expect_long(lseek(fd, 0, SEEK_DATA), GIB, "SEEK_DATA from 0") ||
	    expect_long(lseek(fd, 0, SEEK_HOLE), 0, "SEEK_HOLE from 0") ||
	    expect_long(lseek(fd, GIB, SEEK_HOLE), size, "SEEK_HOLE from 1 GiB"))
		goto out_close;
	if (expect_err(lseek(fd, size, SEEK_DATA), ENXIO, "SEEK_DATA at EOF"))
		goto out_close;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

static int t_mmap(const struct ctx *c)
{
	const size_t len = 8192;
	unsigned char buf[8192];
	unsigned char *p;
	int fd;
	int ret = -1;

	memset(buf, 'a', len);
	if (put(c->dfd, "m", buf, len))
		return -1;
	fd = openat(c->dfd, "m", O_RDWR);
	if (fd < 0)
		return fail_errno("open");

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fail_errno("mmap MAP_SHARED");
		goto out_close;
	}
	memcpy(p + 100, "shared", 6);
	if (msync(p, len, MS_SYNC)) {
		fail_errno("msync");
		munmap(p, len);
		goto out_close;
	}
	if (pread_all(fd, buf, 6, 100) != 6 || memcmp(buf, "shared", 6)) {
		fail("read(2) does not see a MAP_SHARED store");
		munmap(p, len);
		goto out_close;
	}
	if (pwrite_all(fd, "pwrite", 6, 5000)) {
		munmap(p, len);
		goto out_close;
	}
	if (memcmp(p + 5000, "pwrite", 6)) {
		fail("the mapping does not see a pwrite(2)");
		munmap(p, len);
		goto out_close;
	}
	munmap(p, len);

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		fail_errno("mmap MAP_PRIVATE");
		goto out_close;
	}
	memcpy(p + 200, "private", 7);
	munmap(p, len);
	if (pread_all(fd, buf, 7, 200) != 7 || memcmp(buf, "aaaaaaa", 7)) {
		fail("a MAP_PRIVATE store reached the file");
		goto out_close;
	}
	close(fd);

	/* the MAP_SHARED store is in the file for a new opener too */
	fd = openat(c->dfd, "m", O_RDONLY);
	if (fd < 0)
		return fail_errno("reopen");
	if (pread_all(fd, buf, 6, 100) != 6 || memcmp(buf, "shared", 6)) {
		fail("MAP_SHARED store lost after close");
		goto out_close;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		munmap(p, len);
		fail("writable MAP_SHARED of an O_RDONLY fd succeeded");
		goto out_close;
	}
	if (expect_err(-1, EACCES, "writable MAP_SHARED of an O_RDONLY fd"))
		goto out_close;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

static int expect_xattr(int fd, const char *name, const void *want, size_t len)
{
	char buf[2048];
	ssize_t n;

	n = fgetxattr(fd, name, NULL, 0);
	if (n < 0)
		return fail("getxattr %s size (%s)", name, errname(errno));
	if (expect_long(n, len, "xattr size query"))
		return -1;
	n = fgetxattr(fd, name, buf, sizeof(buf));
	if (n < 0)
		return fail("getxattr %s (%s)", name, errname(errno));
	if ((size_t)n != len || memcmp(buf, want, len))
		return fail("getxattr %s: wrong value (%zd bytes)", name, n);
	return 0;
}

/* Checks that the NUL-separated list has (or lacks) @name. */
static bool xattr_listed(int fd, const char *name)
{
	char list[4096];
	ssize_t n = flistxattr(fd, list, sizeof(list));
	ssize_t i;

	for (i = 0; i < n; i += strlen(list + i) + 1)
		if (!strcmp(list + i, name))
			return true;
	return false;
}

static int t_xattr(const struct ctx *c)
{
	char path[PATH_MAX + 8];
	unsigned char bin[1000];
	char small[2];
	ssize_t n;
	int fd;
	int ret = -1;
	int i;

	if (put_str(c->dfd, "f", "x"))
		return -1;
	fd = openat(c->dfd, "f", O_RDONLY);
	if (fd < 0)
		return fail_errno("open");

	if (fsetxattr(fd, "user.a", "1", 1, 0)) {
		fail_errno("setxattr user.a");
		goto out_close;
	}
	if (expect_xattr(fd, "user.a", "1", 1))
		goto out_close;
	if (fsetxattr(fd, "user.b", "two", 3, XATTR_CREATE)) {
		fail_errno("setxattr XATTR_CREATE");
		goto out_close;
	}
	if (expect_err(fsetxattr(fd, "user.b", "2", 1, XATTR_CREATE), EEXIST,
		       "XATTR_CREATE on an existing name") ||
	    expect_err(fsetxattr(fd, "user.c", "3", 1, XATTR_REPLACE), ENODATA,
		       "XATTR_REPLACE on a missing name"))
		goto out_close;
	if (expect_err(fgetxattr(fd, "user.b", small, sizeof(small)), ERANGE,
		       "getxattr into a small buffer"))
		goto out_close;
	if (fsetxattr(fd, "user.b", "2", 1, XATTR_REPLACE)) {
		fail_errno("setxattr XATTR_REPLACE");
		goto out_close;
	}
	if (expect_xattr(fd, "user.b", "2", 1))
		goto out_close;

	n = flistxattr(fd, NULL, 0);
	if (n < (ssize_t)sizeof("user.a") * 2) {
		fail("listxattr size %zd (%s)", n, errname(errno));
		goto out_close;
	}
	if (!xattr_listed(fd, "user.a") || !xattr_listed(fd, "user.b")) {
		fail("listxattr lacks user.a or user.b");
		goto out_close;
	}

	if (fsetxattr(fd, "user.empty", "", 0, 0) ||
	    expect_xattr(fd, "user.empty", "", 0)) {
		fail_errno("empty xattr value");
		goto out_close;
	}
	for (i = 0; i < (int)sizeof(bin); i++)
		bin[i] = i % 7 ? i : 0;
	if (fsetxattr(fd, "user.bin", bin, sizeof(bin), 0) ||
	    expect_xattr(fd, "user.bin", bin, sizeof(bin))) {
		fail_errno("binary xattr value");
		goto out_close;
	}

	if (fremovexattr(fd, "user.a")) {
		fail_errno("removexattr");
		goto out_close;
	}
	if (expect_err(fgetxattr(fd, "user.a", small, sizeof(small)), ENODATA,
		       "getxattr after removexattr") ||
	    expect_err(fremovexattr(fd, "user.a"), ENODATA,
		       "removexattr of a missing name") ||
	    expect_err(fgetxattr(fd, "user.none", small, sizeof(small)),
		       ENODATA, "getxattr of a missing name"))
		goto out_close;
	if (xattr_listed(fd, "user.a")) {
		fail("listxattr still lists a removed name");
		goto out_close;
	}

	/* by path, on a directory */
	if (mkdir_at(c->dfd, "d"))
		goto out_close;
	snprintf(path, sizeof(path), "%s/d", c->path);
	if (setxattr(path, "user.dir", "D", 1, 0)) {
		fail_errno("setxattr on a directory");
		goto out_close;
	}
	n = getxattr(path, "user.dir", small, sizeof(small));
	if (n != 1 || small[0] != 'D') {
		fail("getxattr on a directory (%s)", errname(errno));
		goto out_close;
	}
	if (removexattr(path, "user.dir")) {
		fail_errno("removexattr on a directory");
		goto out_close;
	}
	ret = 0;
out_close:
	close(fd);
	return ret;
}

static int name_index(const char *name, char prefix)
{
	char *end;
	long i;

	if (!strcmp(name, "."))
		return -1;
	if (!strcmp(name, ".."))
		return -2;
	if (name[0] != prefix)
		return -3;
	i = strtol(name + 1, &end, 10);
	if (*end || i < 0 || i >= INT_MAX)
		return -3;
	return i;
}

static int create_files(int dfd, char prefix, int count, bool with_data)
{
	char name[32];
	int fd;
	int i;

	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%c%05d", prefix, i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return fail("create %s (%s)", name, errname(errno));
		if (with_data && write(fd, name, 6) != 6) {
			close(fd);
			return fail("write %s (%s)", name, errname(errno));
		}
		if (close(fd))
			return fail("close %s (%s)", name, errname(errno));
	}
	return 0;
}

static int unlink_files(int dfd, char prefix, int count)
{
	char name[32];
	int i;

	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%c%05d", prefix, i);
		if (unlinkat(dfd, name, 0))
			return fail("unlink %s (%s)", name, errname(errno));
	}
	return 0;
}

/*
 * Reads the whole listing into @seq (entry indices in order, -1 for ".",
 * -2 for ".."), checking no duplicates and d_ino against lstat. Records
 * telldir() before entry k for each k in @marks (0 where never reached).
 */
static int read_listing(DIR *d, int *seq, int cap, const int *marks,
			long *pos, int nmarks)
{
	unsigned char *seen = calloc(cap, 1);
	struct dirent *de;
	struct stat st;
	int n = 0;
	int m;
	int idx;

	if (!seen)
		return fail("out of memory");
	for (;;) {
		for (m = 0; m < nmarks; m++)
			if (marks[m] == n)
				pos[m] = telldir(d);
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		idx = name_index(de->d_name, 'f');
		if (idx == -3 || idx >= cap || n >= cap + 2) {
			fail("readdir: unexpected entry '%s'", de->d_name);
			goto out_free;
		}
		if (idx >= 0 && seen[idx]++) {
			fail("readdir: '%s' listed twice", de->d_name);
			goto out_free;
		}
		seq[n++] = idx;
		if (idx < 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			fail("lstat %s (%s)", de->d_name, errname(errno));
			goto out_free;
		}
		if (de->d_ino != st.st_ino) {
			fail("%s: d_ino %lu but st_ino %lu", de->d_name,
			     (unsigned long)de->d_ino, (unsigned long)st.st_ino);
			goto out_free;
		}
	}
	if (errno) {
		fail_errno("readdir");
		goto out_free;
	}
	free(seen);
	return n;
out_free:
	free(seen);
	return -1;
}

/* Seeks back to @pos and checks the next entries are seq[from..]. */
static int check_resume(DIR *d, long pos, const int *seq, int n, int from)
{
	struct dirent *de;
	int i;

	seekdir(d, pos);
	for (i = from; i < n && i < from + 50; i++) {
		errno = 0;
		de = readdir(d);
		if (!de)
			return fail("seekdir to entry %d: listing ended at %d (%s)",
				    from, i, errname(errno));
		if (name_index(de->d_name, 'f') != seq[i])
			return fail("seekdir to entry %d: entry %d is '%s'",
				    from, i, de->d_name);
	}
	if (i == n && readdir(d))
		return fail("seekdir to entry %d: entries past the end", from);
	return 0;
}

static int t_readdir_25k(const struct ctx *c)
{
	const int marks[] = { 0, 1, 1000, 12345, READDIR_FILES + 1 };
	const int nmarks = sizeof(marks) / sizeof(marks[0]);
	long pos[sizeof(marks) / sizeof(marks[0])] = { 0 };
	int *seq = NULL;
	DIR *d = NULL;
	int names;
	int ret = -1;
	int n, i, fd;

	if (create_files(c->dfd, 'f', READDIR_FILES, false))
		return -1;
	seq = calloc(READDIR_FILES + 2, sizeof(*seq));
	fd = openat(c->dfd, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0 || !seq) {
		if (fd >= 0)
			close(fd);
		fail_errno("open the directory");
		goto out;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		fail_errno("fdopendir");
		goto out;
	}

	n = read_listing(d, seq, READDIR_FILES, marks, pos, nmarks);
	if (n < 0)
		goto out;
	for (names = 0, i = 0; i < n; i++)
		names += seq[i] >= 0;
	if (names != READDIR_FILES) {
		fail("readdir listed %d files, expected %d", names,
		     READDIR_FILES);
		goto out;
	}
	for (i = 0; i < nmarks; i++)
		if (marks[i] < n && check_resume(d, pos[i], seq, n, marks[i]))
			goto out;

	/* a second full pass after rewinddir lists the same sequence */
	rewinddir(d);
	for (i = 0; i < n; i++) {
		struct dirent *de = readdir(d);

		if (!de || name_index(de->d_name, 'f') != seq[i]) {
			fail("after rewinddir entry %d differs", i);
			goto out;
		}
	}

	if (unlink_files(c->dfd, 'f', READDIR_FILES))
		goto out;
	if (count_entries(c->dfd, NULL, NULL) != 0) {
		fail("directory not empty after unlinking every file");
		goto out;
	}
	ret = 0;
out:
	if (d)
		closedir(d);
	free(seq);
	return ret;
}

static int cmp_ino(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a;
	ino_t y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

/* Pushes the kernel's dentries and inodes out (root only; else no-op). */
static void drop_inode_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0)
		return;
	sync();
	if (write(fd, "2", 1) != 1)
		fprintf(stderr, "# drop_caches: %s\n", errname(errno));
	close(fd);
}

#define INO_ENTRIES	150

static int t_inodes(const struct ctx *c)
{
	ino_t ino[INO_ENTRIES], sorted[INO_ENTRIES];
	struct stat st, first;
	char name[32];
	int dfd = c->dfd;
	int pass, i, fd;

	for (i = 0; i < INO_ENTRIES; i++) {
		snprintf(name, sizeof(name), "e%03d", i);
		switch (i % 5) {
		case 0:
			if (mkdirat(dfd, name, 0755))
				return fail_errno("mkdir");
			break;
		case 1:
			if (symlinkat("target", dfd, name))
				return fail_errno("symlink");
			break;
		case 2:
			if (mkfifoat(dfd, name, 0644))
				return fail_errno("mkfifo");
			break;
		default:
			if (put_str(dfd, name, name))
				return -1;
		}
	}
	if (lstat_at(dfd, "e000", &first))
		return -1;

	for (pass = 0; pass < 3; pass++) {
		if (pass == 2)
			drop_inode_caches();
		for (i = 0; i < INO_ENTRIES; i++) {
			snprintf(name, sizeof(name), "e%03d", i);
			if (lstat_at(dfd, name, &st))
				return -1;
			if (st.st_dev != first.st_dev)
				return fail("%s: st_dev differs", name);
			if (pass == 0) {
				ino[i] = st.st_ino;
			} else if (ino[i] != st.st_ino) {
				return fail("%s: st_ino %lu then %lu (pass %d)",
					    name, (unsigned long)ino[i],
					    (unsigned long)st.st_ino, pass);
			}
		}
	}
	memcpy(sorted, ino, sizeof(ino));
	qsort(sorted, INO_ENTRIES, sizeof(sorted[0]), cmp_ino);
	for (i = 1; i < INO_ENTRIES; i++)
		if (sorted[i] == sorted[i - 1])
			return fail("st_ino %lu used twice",
				    (unsigned long)sorted[i]);

	/* fstat of an open file, and a rename, keep the number */
	fd = openat(dfd, "e003", O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return fail_errno("fstat");
	close(fd);
	if (st.st_ino != ino[3])
		return fail("fstat st_ino differs from lstat");
	if (renameat(dfd, "e003", dfd, "e000/moved"))
		return fail_errno("rename");
	if (lstat_at(dfd, "e000/moved", &st))
		return -1;
	if (st.st_ino != ino[3])
		return fail("rename changed st_ino");
	return 0;
}

static int expect_times(int dfd, const char *name, int flags,
			const struct timespec *at, const struct timespec *mt)
{
	struct stat st;

	if (fstatat(dfd, name, &st, flags))
		return fail_errno("stat");
	if (st.st_atim.tv_sec != at->tv_sec || st.st_atim.tv_nsec != at->tv_nsec)
		return fail("%s atime %lld.%09ld, expected %lld.%09ld", name,
			    (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
			    (long long)at->tv_sec, at->tv_nsec);
	if (st.st_mtim.tv_sec != mt->tv_sec || st.st_mtim.tv_nsec != mt->tv_nsec)
		return fail("%s mtime %lld.%09ld, expected %lld.%09ld", name,
			    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			    (long long)mt->tv_sec, mt->tv_nsec);
	return 0;
}

static int expect_mode(int dfd, const char *name, mode_t mode)
{
	struct stat st;

	if (lstat_at(dfd, name, &st))
		return -1;
	if ((st.st_mode & 07777) != mode)
		return fail("%s: mode %04o, expected %04o", name,
			    st.st_mode & 07777, mode);
	return 0;
}

static int t_chmod_chown_utimens(const struct ctx *c)
{
	const mode_t modes[] = { 0600, 0640, 0755, 0444, 0, 0644 };
	struct timespec ts[2] = {
		{ .tv_sec = 1234567890, .tv_nsec = 123456789 },
		{ .tv_sec = 1500000000, .tv_nsec = 987654321 },
	};
	struct timespec mt2 = { .tv_sec = 1600000000, .tv_nsec = 1 };
	int dfd = c->dfd;
	struct stat st;
	size_t i;
	int fd;

	if (put_str(dfd, "f", "f") || mkdir_at(dfd, "d") ||
	    symlinkat("f", dfd, "l"))
		return fail_errno("setup");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (fchmodat(dfd, "f", modes[i], 0))
			return fail_errno("chmod");
		if (expect_mode(dfd, "f", modes[i]))
			return -1;
	}
	if (fchmodat(dfd, "d", 0700, 0) || expect_mode(dfd, "d", 0700))
		return fail_errno("chmod a directory");
	fd = openat(dfd, "f", O_RDONLY);
	if (fd < 0)
		return fail_errno("open");
	if (fchmod(fd, 0644)) {
		close(fd);
		return fail_errno("fchmod");
	}
	close(fd);
	if (expect_mode(dfd, "f", 0644))
		return -1;

	if (geteuid() == 0) {
		if (fchownat(dfd, "f", 1234, 5678, 0) || lstat_at(dfd, "f", &st))
			return fail_errno("chown");
		if (st.st_uid != 1234 || st.st_gid != 5678)
			return fail("chown: owner %u:%u", st.st_uid, st.st_gid);
		if (fchownat(dfd, "f", -1, 42, 0) || lstat_at(dfd, "f", &st))
			return fail_errno("chgrp");
		if (st.st_uid != 1234 || st.st_gid != 42)
			return fail("chown -1 42: owner %u:%u", st.st_uid,
				    st.st_gid);
		if (fchownat(dfd, "l", 4321, 8765, AT_SYMLINK_NOFOLLOW) ||
		    lstat_at(dfd, "l", &st))
			return fail_errno("lchown");
		if (st.st_uid != 4321 || st.st_gid != 8765)
			return fail("lchown: owner %u:%u", st.st_uid, st.st_gid);
		if (lstat_at(dfd, "f", &st) || st.st_uid != 1234)
			return fail("lchown changed the target");
	} else if (expect_err(fchownat(dfd, "f", 0, 0, 0), EPERM,
			      "chown to root as a user")) {
		return -1;
	}

	if (utimensat(dfd, "f", ts, 0))
		return fail_errno("utimensat");
	if (expect_times(dfd, "f", 0, &ts[0], &ts[1]))
		return -1;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = mt2;
	if (utimensat(dfd, "f", ts, 0))
		return fail_errno("utimensat UTIME_OMIT");
	ts[0] = (struct timespec){ .tv_sec = 1234567890, .tv_nsec = 123456789 };
	if (expect_times(dfd, "f", 0, &ts[0], &mt2))
		return -1;
	if (utimensat(dfd, "d", ts, 0) ||
	    expect_times(dfd, "d", 0, &ts[0], &mt2))
		return fail_errno("utimensat on a directory");

	if (utimensat(dfd, "f", NULL, 0) || lstat_at(dfd, "f", &st))
		return fail_errno("utimensat now");
	if (llabs((long long)st.st_mtim.tv_sec - time(NULL)) > 60)
		return fail("mtime after UTIME_NOW is %lld, now is %lld",
			    (long long)st.st_mtim.tv_sec,
			    (long long)time(NULL));
	return 0;
}

static int expect_nlink(int dfd, const char *name, long want)
{
	struct stat st;
	char what[64];

	if (lstat_at(dfd, name, &st))
		return -1;
	snprintf(what, sizeof(what), "nlink of %s", name);
	return expect_long(st.st_nlink, want, what);
}

/* a symlink's own times, apart (ganesha's VFS backend drops them) */
static int t_symlink_times(const struct ctx *c)
{
	const struct timespec ts[2] = {
		{ .tv_sec = 1234567890, .tv_nsec = 123456789 },
		{ .tv_sec = 1600000000, .tv_nsec = 1 },
	};
	struct timespec ft[2];
	struct stat st;
	int dfd = c->dfd;

	if (put_str(dfd, "f", "f") || symlinkat("f", dfd, "l") ||
	    lstat_at(dfd, "f", &st))
		return fail_errno("setup");
	ft[0] = st.st_atim;
	ft[1] = st.st_mtim;
	if (utimensat(dfd, "l", ts, AT_SYMLINK_NOFOLLOW))
		return fail_errno("utimensat on a symlink");
	if (expect_times(dfd, "l", AT_SYMLINK_NOFOLLOW, &ts[0], &ts[1]))
		return -1;
	return expect_times(dfd, "f", 0, &ft[0], &ft[1]);
}

static int t_dir_nlink(const struct ctx *c)
{
	int dfd = c->dfd;

	if (expect_nlink(dfd, ".", 2))
		return -1;
	if (mkdir_at(dfd, "d") || expect_nlink(dfd, "d", 2) ||
	    expect_nlink(dfd, ".", 3))
		return -1;
	if (mkdir_at(dfd, "d/a") || mkdir_at(dfd, "d/b") ||
	    expect_nlink(dfd, "d", 4))
		return -1;
	if (put_str(dfd, "d/f", "f") || symlinkat("f", dfd, "d/l") ||
	    expect_nlink(dfd, "d", 4))
		return fail_errno("files in d");
	if (unlinkat(dfd, "d/a", AT_REMOVEDIR) || expect_nlink(dfd, "d", 3))
		return fail_errno("rmdir d/a");
	if (mkdir_at(dfd, "e") || renameat(dfd, "d/b", dfd, "e/b"))
		return fail_errno("move d/b to e/b");
	if (expect_nlink(dfd, "d", 2) || expect_nlink(dfd, "e", 3) ||
	    expect_nlink(dfd, ".", 4))
		return -1;
	/* a directory replacing an empty one leaves the parent's count */
	if (mkdir_at(dfd, "e/c") || renameat(dfd, "e/b", dfd, "e/c"))
		return fail_errno("rename e/b over e/c");
	return expect_nlink(dfd, "e", 3);
}

static int t_mkdir_rmdir(const struct ctx *c)
{
	char longname[257];
	int dfd = c->dfd;

	memset(longname, 'n', 256);
	longname[256] = '\0';
	if (mkdir_at(dfd, "d") || put_str(dfd, "f", "f"))
		return -1;
	if (expect_err(mkdirat(dfd, "d", 0755), EEXIST, "mkdir existing dir") ||
	    expect_err(mkdirat(dfd, "f", 0755), EEXIST, "mkdir over a file") ||
	    expect_err(mkdirat(dfd, "f/x", 0755), ENOTDIR,
		       "mkdir under a file") ||
	    expect_err(mkdirat(dfd, "no/x", 0755), ENOENT,
		       "mkdir in a missing dir") ||
	    expect_err(mkdirat(dfd, longname, 0755), ENAMETOOLONG,
		       "mkdir with a 256-byte name") ||
	    expect_err(openat(dfd, longname, O_CREAT | O_WRONLY, 0644),
		       ENAMETOOLONG, "create with a 256-byte name"))
		return -1;
	if (expect_err(unlinkat(dfd, "no", AT_REMOVEDIR), ENOENT,
		       "rmdir missing") ||
	    expect_err(unlinkat(dfd, "f", AT_REMOVEDIR), ENOTDIR,
		       "rmdir a file") ||
	    expect_err(unlinkat(dfd, "d", 0), EISDIR, "unlink a dir") ||
	    expect_err(unlinkat(dfd, "d/.", AT_REMOVEDIR), EINVAL,
		       "rmdir d/."))
		return -1;
	if (put_str(dfd, "d/g", "g"))
		return -1;
	if (expect_err(unlinkat(dfd, "d", AT_REMOVEDIR), ENOTEMPTY,
		       "rmdir a non-empty dir"))
		return -1;
	if (expect_err(openat(dfd, "f/x", O_CREAT | O_WRONLY, 0644), ENOTDIR,
		       "create under a file") ||
	    expect_err(openat(dfd, "d", O_WRONLY), EISDIR,
		       "open a dir for writing") ||
	    expect_err(openat(dfd, "f", O_RDONLY | O_DIRECTORY), ENOTDIR,
		       "O_DIRECTORY on a file"))
		return -1;
	if (unlinkat(dfd, "d/g", 0) || unlinkat(dfd, "d", AT_REMOVEDIR))
		return fail_errno("rmdir an emptied dir");
	if (expect_absent(dfd, "d"))
		return -1;
	if (mkdir_at(dfd, "d"))
		return -1;
	return count_entries(dfd, NULL, NULL) == 2 ? 0 :
	       fail("directory should hold d and f");
}

struct writer {
	pthread_t thread;
	pthread_barrier_t *start;
	int dfd;
	int fd;			/* the shared file, or -1: write an own file */
	unsigned int id;
	char err[128];
};

#define CHUNK	(64 * KIB)

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	unsigned char *buf = malloc(CHUNK);
	off_t base = w->fd >= 0 ? (off_t)w->id * MIB : 0;
	char name[16];
	int fd = w->fd;
	off_t off;

	if (!buf) {
		snprintf(w->err, sizeof(w->err), "out of memory");
		return NULL;
	}
	pthread_barrier_wait(w->start);
	if (fd < 0) {
		snprintf(name, sizeof(name), "own%u", w->id);
		fd = openat(w->dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			snprintf(w->err, sizeof(w->err), "create %s (%s)",
				 name, errname(errno));
			goto out_free;
		}
	}
	for (off = base; off < base + MIB; off += CHUNK) {
		ssize_t n;

		fill_pattern(buf, CHUNK, w->id, off);
		n = w->fd >= 0 ? pwrite(fd, buf, CHUNK, off) :
				 write(fd, buf, CHUNK);
		if (n != CHUNK) {
			snprintf(w->err, sizeof(w->err),
				 "writer %u at %lld: %zd (%s)", w->id,
				 (long long)off, n, errname(errno));
			break;
		}
	}
	if (w->fd < 0 && close(fd) && !w->err[0])
		snprintf(w->err, sizeof(w->err), "close (%s)", errname(errno));
out_free:
	free(buf);
	return NULL;
}

/* Checks that @len bytes of @fd from @off are the pattern of @seed. */
static int expect_pattern(int fd, off_t off, off_t len, unsigned int seed,
			  off_t pattern_off)
{
	unsigned char *got = malloc(CHUNK);
	unsigned char *want = malloc(CHUNK);
	int ret = -1;
	off_t i;

	if (!got || !want) {
		fail("out of memory");
		goto out_free;
	}
	for (i = 0; i < len; i += CHUNK) {
		if (pread_all(fd, got, CHUNK, off + i) != CHUNK) {
			fail("short read at %lld", (long long)(off + i));
			goto out_free;
		}
		fill_pattern(want, CHUNK, seed, pattern_off + i);
		if (memcmp(got, want, CHUNK)) {
			fail("wrong data at %lld (writer %u)",
			     (long long)(off + i), seed);
			goto out_free;
		}
	}
	ret = 0;
out_free:
	free(got);
	free(want);
	return ret;
}

static int t_concurrent_writers(const struct ctx *c)
{
	struct writer w[2 * WRITER_THREADS];
	pthread_barrier_t start;
	char name[16];
	struct stat st;
	int shared;
	int ret = -1;
	int i, fd;

	shared = openat(c->dfd, "shared", O_RDWR | O_CREAT, 0644);
	if (shared < 0)
		return fail_errno("create shared");
	pthread_barrier_init(&start, NULL, 2 * WRITER_THREADS);
	memset(w, 0, sizeof(w));
	for (i = 0; i < 2 * WRITER_THREADS; i++) {
		w[i].start = &start;
		w[i].dfd = c->dfd;
		w[i].id = i % WRITER_THREADS;
		w[i].fd = i < WRITER_THREADS ? shared : -1;
		if (pthread_create(&w[i].thread, NULL, writer_run, &w[i])) {
			/* the barrier would never open: nothing to unwind */
			fprintf(stderr, "pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < 2 * WRITER_THREADS; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < 2 * WRITER_THREADS; i++) {
		if (w[i].err[0]) {
			fail("%s", w[i].err);
			goto out_close;
		}
	}

	if (fstat(shared, &st) ||
	    expect_long(st.st_size, WRITER_THREADS * MIB, "shared file size"))
		goto out_close;
	for (i = 0; i < WRITER_THREADS; i++)
		if (expect_pattern(shared, i * MIB, MIB, i, i * MIB))
			goto out_close;
	for (i = 0; i < WRITER_THREADS; i++) {
		snprintf(name, sizeof(name), "own%d", i);
		fd = openat(c->dfd, name, O_RDONLY);
		if (fd < 0) {
			fail_errno("open own file");
			goto out_close;
		}
		if (fstat(fd, &st) || expect_long(st.st_size, MIB, name) ||
		    expect_pattern(fd, 0, MIB, i, 0)) {
			close(fd);
			goto out_close;
		}
		close(fd);
	}
	ret = 0;
out_close:
	close(shared);
	return ret;
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return fail("open %s (%s)", path, errname(errno));
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int t_many_files_21k(const struct ctx *c)
{
	char name[32], buf[16];
	struct stat st;
	int i, fd, fds;

	if (create_files(c->dfd, 'm', MANY_FILES, true))
		return -1;
	for (i = 0; i < MANY_FILES; i++) {
		snprintf(name, sizeof(name), "m%05d", i);
		if (lstat_at(c->dfd, name, &st))
			return -1;
		if (!S_ISREG(st.st_mode) || st.st_size != 6)
			return fail("%s: mode %o size %lld", name, st.st_mode,
				    (long long)st.st_size);
	}
	if (daemon_pid) {
		fds = count_fds(daemon_pid);
		if (fds < 0)
			return -1;
		if (fds > MAX_DAEMON_FDS)
			return fail("daemon %d holds %d fds for %d files",
				    (int)daemon_pid, fds, MANY_FILES);
	}
	for (i = 0; i < MANY_FILES; i += 997) {
		snprintf(name, sizeof(name), "m%05d", i);
		fd = openat(c->dfd, name, O_RDONLY);
		if (fd < 0)
			return fail("open %s (%s)", name, errname(errno));
		memset(buf, 0, sizeof(buf));
		if (read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, name, 6)) {
			close(fd);
			return fail("%s holds '%s'", name, buf);
		}
		close(fd);
	}
	if (unlink_files(c->dfd, 'm', MANY_FILES))
		return -1;
	return count_entries(c->dfd, NULL, NULL) == 0 ? 0 :
	       fail("directory not empty after unlinking every file");
}

static int expect_alloc(int fd, off_t size, off_t min_bytes, const char *what)
{
	struct stat st;

	if (fstat(fd, &st))
		return fail_errno("fstat");
	if (st.st_size != size)
		return fail("%s: size %lld, expected %lld", what,
			    (long long)st.st_size, (long long)size);
	if (st.st_blocks * 512 < min_bytes)
		return fail("%s: %lld bytes allocated, expected at least %lld",
			    what, (long long)st.st_blocks * 512,
			    (long long)min_bytes);
	return 0;
}

static int t_fallocate(const struct ctx *c)
{
	unsigned char *buf = malloc(256 * KIB);
	int ret = -1;
	int fd;

	if (!buf)
		return fail("out of memory");
	fd = openat(c->dfd, "f", O_RDWR | O_CREAT, 0644);
	if (fd < 0) {
		fail_errno("create");
		goto out_free;
	}
	if (fallocate(fd, 0, 0, MIB)) {
		fail_errno("fallocate mode 0");
		goto out_close;
	}
	if (expect_alloc(fd, MIB, MIB, "fallocate mode 0"))
		goto out_close;
	memset(buf, 0xff, 256 * KIB);
	if (pread_all(fd, buf, 256 * KIB, 0) != 256 * KIB ||
	    !all_zero(buf, 256 * KIB)) {
		fail("fallocated range does not read as zeros");
		goto out_close;
	}
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, MIB, MIB)) {
		fail_errno("fallocate KEEP_SIZE");
		goto out_close;
	}
	if (expect_alloc(fd, MIB, 2 * MIB, "fallocate KEEP_SIZE"))
		goto out_close;

	memset(buf, 'P', 256 * KIB);
	if (pwrite_all(fd, buf, 256 * KIB, 0))
		goto out_close;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 64 * KIB,
		      64 * KIB)) {
		fail_errno("fallocate PUNCH_HOLE");
		goto out_close;
	}
	if (expect_alloc(fd, MIB, 0, "after PUNCH_HOLE"))
		goto out_close;
	if (pread_all(fd, buf, 256 * KIB, 0) != 256 * KIB) {
		fail("short read after PUNCH_HOLE");
		goto out_close;
	}
	if (buf[0] != 'P' || buf[64 * KIB - 1] != 'P' ||
	    !all_zero(buf + 64 * KIB, 64 * KIB) || buf[128 * KIB] != 'P' ||
	    buf[256 * KIB - 1] != 'P') {
		fail("PUNCH_HOLE did not zero exactly the punched range");
		goto out_close;
	}
	close(fd);

	fd = openat(c->dfd, "f", O_RDONLY);
	if (fd < 0) {
		fail_errno("open O_RDONLY");
		goto out_free;
	}
	if (expect_err(fallocate(fd, 0, 0, 4096), EBADF,
		       "fallocate on an O_RDONLY fd"))
		goto out_close;
	ret = 0;
out_close:
	close(fd);
out_free:
	free(buf);
	return ret;
}

static const struct test tests[] = {
	{ "basic_io", t_basic_io, false },
	{ "rename", t_rename, false },
	{ "rename_flags", t_rename_flags, false },
	{ "hardlink", t_hardlink, false },
	{ "symlink", t_symlink, false },
	{ "unlink_open", t_unlink_open, false },
	{ "truncate", t_truncate, false },
	{ "sparse", t_sparse, false },
	{ "seek_data", t_seek_data, false },
	{ "mmap", t_mmap, false },
	{ "xattr", t_xattr, false },
	{ "readdir_25k", t_readdir_25k, true },
	{ "inodes", t_inodes, false },
	{ "chmod_chown_utimens", t_chmod_chown_utimens, false },
	{ "symlink_times", t_symlink_times, false },
	{ "dir_nlink", t_dir_nlink, false },
	{ "mkdir_rmdir", t_mkdir_rmdir, false },
	{ "concurrent_writers", t_concurrent_writers, false },
	{ "many_files_21k", t_many_files_21k, true },
	{ "fallocate", t_fallocate, false },
};

#define NTESTS	(sizeof(tests) / sizeof(tests[0]))

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT) {
		fprintf(stderr, "# cannot remove %s: %s\n", path,
			errname(errno));
		return -1;
	}
	return 0;
}

/* Removes @path and everything below it; a missing @path is fine. */
static int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -1;
	/* a test may have left a read-only mode behind */
	if (S_ISDIR(st.st_mode))
		chmod(path, 0755);
	return nftw(path, rm_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Runs one test in DIR/NAME; prints its line; returns 0 if it passed. */
static int run_test(const char *dir, const struct test *t)
{
	struct ctx c;
	int ret;

	fail_msg[0] = '\0';
	if ((size_t)snprintf(c.path, sizeof(c.path), "%s/%s", dir, t->name) >=
	    sizeof(c.path)) {
		printf("not ok %s: path too long\n", t->name);
		return -1;
	}
	if (rm_rf(c.path) || mkdir(c.path, 0755)) {
		printf("not ok %s: mkdir %s (%s)\n", t->name, c.path,
		       errname(errno));
		return -1;
	}
	c.dfd = open(c.path, O_RDONLY | O_DIRECTORY);
	if (c.dfd < 0) {
		printf("not ok %s: open %s (%s)\n", t->name, c.path,
		       errname(errno));
		return -1;
	}
	ret = t->run(&c);
	close(c.dfd);
	if (rm_rf(c.path) && !ret)
		ret = fail("cleanup of %s failed", c.path);
	if (ret && !fail_msg[0])
		fail("failed without saying why");
	if (ret)
		printf("not ok %s: %s\n", t->name, fail_msg);
	else
		printf("ok %s\n", t->name);
	fflush(stdout);
	return ret;
}

static const struct test *find_test(const char *name)
{
	size_t i;

	for (i = 0; i < NTESTS; i++)
		if (!strcmp(tests[i].name, name))
			return &tests[i];
	return NULL;
}

static void usage(const char *prog)
{
	size_t i;

	fprintf(stderr,
		"usage: %s DIR [--quick] [--only NAME]... [--skip NAME]... [--daemon-pid PID]\n"
		"tests:", prog);
	for (i = 0; i < NTESTS; i++)
		fprintf(stderr, " %s", tests[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bool only[NTESTS] = { false };
	bool skip[NTESTS] = { false };
	bool any_only = false;
	bool quick = false;
	const char *dir = NULL;
	int run = 0, failed = 0;
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		const struct test *t;

		if (!strcmp(argv[a], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[a], "--only") ||
			   !strcmp(argv[a], "--skip")) {
			if (a + 1 >= argc || !(t = find_test(argv[a + 1])))
				usage(argv[0]);
			if (argv[a][2] == 'o')
				only[t - tests] = any_only = true;
			else
				skip[t - tests] = true;
			a++;
		} else if (!strcmp(argv[a], "--daemon-pid") && a + 1 < argc) {
			daemon_pid = atoi(argv[++a]);
		} else if (argv[a][0] != '-' && !dir) {
			dir = argv[a];
		} else {
			usage(argv[0]);
		}
	}
	if (!dir)
		usage(argv[0]);

	for (i = 0; i < NTESTS; i++) {
		if (any_only ? !only[i] : (skip[i] || (quick && tests[i].slow)))
			continue;
		run++;
		failed += run_test(dir, &tests[i]) != 0;
	}
	printf("# %d of %d tests ok in %s\n", run - failed, run, dir);
	return failed ? 1 : 0;
}
