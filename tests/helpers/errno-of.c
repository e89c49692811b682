/*
 * errno-of.c - performs one syscall and prints the errno it ended with.
 *
 *   errno-of OP ARGS...
 *
 * Prints the errno's name ("EROFS", "ENOSPC", ...) or "0" when the call
 * succeeded, and exits 0 either way: the caller compares the name
 * (_assert_errno in tests/lib/common.sh). A bad command line prints usage
 * and exits 2. Operations that open a file first report the open's errno
 * if that fails; "write" also reports a failure of fsync or close, where a
 * filesystem may deliver a delayed error such as ENOSPC.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

struct op {
	const char *name;
	int nargs;
	const char *usage;
	int (*run)(char **arg);	/* returns 0 or an errno */
};

static int err_of(int ret)
{
	return ret < 0 ? errno : 0;
}

/* Parses a non-negative integer, or exits with a usage error. */
static long long number(const char *s, int base)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, base);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "errno-of: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int open_close(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		return errno;
	return close(fd) ? errno : 0;
}

static int op_open_write(char **a)
{
	return open_close(a[0], O_WRONLY);
}

static int op_open_create(char **a)
{
	return open_close(a[0], O_WRONLY | O_CREAT);
}

static int op_open_trunc(char **a)
{
	return open_close(a[0], O_WRONLY | O_TRUNC);
}

static int op_write(char **a)
{
	long long left = number(a[1], 10);
	char buf[65536];
	int fd;
	int err = 0;

	memset(buf, 'w', sizeof(buf));
	fd = open(a[0], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return errno;
	while (left > 0) {
		size_t len = sizeof(buf);
		ssize_t n;

		if (left < (long long)len)
			len = left;
		n = write(fd, buf, len);

		if (n < 0) {
			err = errno;
			break;
		}
		left -= n;
	}
	if (fsync(fd) && !err)
		err = errno;
	if (close(fd) && !err)
		err = errno;
	return err;
}

static int op_truncate(char **a)
{
	return err_of(truncate(a[0], number(a[1], 10)));
}

static int op_mkdir(char **a)
{
	return err_of(mkdir(a[0], 0755));
}

static int op_rmdir(char **a)
{
	return err_of(rmdir(a[0]));
}

static int op_unlink(char **a)
{
	return err_of(unlink(a[0]));
}

static int op_rename(char **a)
{
	return err_of(rename(a[0], a[1]));
}

static int op_rename_noreplace(char **a)
{
	return err_of(renameat2(AT_FDCWD, a[0], AT_FDCWD, a[1],
				RENAME_NOREPLACE));
}

static int op_rename_exchange(char **a)
{
	return err_of(renameat2(AT_FDCWD, a[0], AT_FDCWD, a[1],
				RENAME_EXCHANGE));
}

static int op_link(char **a)
{
	return err_of(link(a[0], a[1]));
}

static int op_symlink(char **a)
{
	return err_of(symlink(a[0], a[1]));
}

static int op_mknod_fifo(char **a)
{
	return err_of(mknod(a[0], S_IFIFO | 0644, 0));
}

static int op_chmod(char **a)
{
	return err_of(chmod(a[0], number(a[1], 8)));
}

static int op_chown(char **a)
{
	return err_of(chown(a[0], number(a[1], 10), number(a[2], 10)));
}

static int op_utimens(char **a)
{
	return err_of(utimensat(AT_FDCWD, a[0], NULL, 0));
}

static int op_setxattr(char **a)
{
	return err_of(setxattr(a[0], a[1], a[2], strlen(a[2]), 0));
}

static int op_getxattr(char **a)
{
	char buf[65536];

	return err_of(getxattr(a[0], a[1], buf, sizeof(buf)));
}

static int op_removexattr(char **a)
{
	return err_of(removexattr(a[0], a[1]));
}

static int op_fallocate(char **a)
{
	int fd = open(a[0], O_WRONLY);
	int err;

	if (fd < 0)
		return errno;
	err = err_of(fallocate(fd, 0, number(a[1], 10), number(a[2], 10)));
	close(fd);
	return err;
}

/* Maps the file shared and writable, and stores its first byte again. */
static int op_mmap_shared_write(char **a)
{
	struct stat st;
	size_t len;
	char *p;
	int fd;
	int err = 0;

	fd = open(a[0], O_RDWR);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st)) {
		err = errno;
		goto out_close;
	}
	len = st.st_size ? st.st_size : 1;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		goto out_close;
	}
	/* touching a page past EOF would be SIGBUS, not an errno */
	if (st.st_size) {
		volatile char *v = p;

		v[0] = v[0];
		if (msync(p, len, MS_SYNC))
			err = errno;
	}
	munmap(p, len);
out_close:
	close(fd);
	return err;
}

static int op_read(char **a)
{
	char buf[65536];
	ssize_t n;
	int fd;
	int err = 0;

	fd = open(a[0], O_RDONLY);
	if (fd < 0)
		return errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = errno;
	close(fd);
	return err;
}

static int op_readdir(char **a)
{
	DIR *d = opendir(a[0]);
	int err;

	if (!d)
		return errno;
	errno = 0;
	while (readdir(d))
		;
	err = errno;
	closedir(d);
	return err;
}

static int op_stat(char **a)
{
	struct stat st;

	return err_of(stat(a[0], &st));
}

static int op_lstat(char **a)
{
	struct stat st;

	return err_of(lstat(a[0], &st));
}

static const struct op ops[] = {
	{ "open-write", 1, "PATH", op_open_write },
	{ "open-create", 1, "PATH", op_open_create },
	{ "open-trunc", 1, "PATH", op_open_trunc },
	{ "write", 2, "PATH BYTES", op_write },
	{ "truncate", 2, "PATH SIZE", op_truncate },
	{ "mkdir", 1, "PATH", op_mkdir },
	{ "rmdir", 1, "PATH", op_rmdir },
	{ "unlink", 1, "PATH", op_unlink },
	{ "rename", 2, "FROM TO", op_rename },
	{ "rename-noreplace", 2, "FROM TO", op_rename_noreplace },
	{ "rename-exchange", 2, "A B", op_rename_exchange },
	{ "link", 2, "TARGET NEWPATH", op_link },
	{ "symlink", 2, "TARGET PATH", op_symlink },
	{ "mknod-fifo", 1, "PATH", op_mknod_fifo },
	{ "chmod", 2, "PATH OCTAL_MODE", op_chmod },
	{ "chown", 3, "PATH UID GID", op_chown },
	{ "utimens", 1, "PATH", op_utimens },
	{ "setxattr", 3, "PATH NAME VALUE", op_setxattr },
	{ "getxattr", 2, "PATH NAME", op_getxattr },
	{ "removexattr", 2, "PATH NAME", op_removexattr },
	{ "fallocate", 3, "PATH OFFSET LENGTH", op_fallocate },
	{ "mmap-shared-write", 1, "PATH", op_mmap_shared_write },
	{ "read", 1, "PATH", op_read },
	{ "readdir", 1, "PATH", op_readdir },
	{ "stat", 1, "PATH", op_stat },
	{ "lstat", 1, "PATH", op_lstat },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: errno-of OP ARGS...\n");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		fprintf(stderr, "  %s %s\n", ops[i].name, ops[i].usage);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *name;
	size_t i;
	int err;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, argv[1]))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]) || argc - 2 != ops[i].nargs)
		usage();
	err = ops[i].run(argv + 2);
	if (!err) {
		puts("0");
		return 0;
	}
	name = strerrorname_np(err);
	if (name)
		puts(name);
	else
		printf("E%d\n", err);
	return 0;
}
