/*
 * fsops - the metadata workloads of bench/run, timed from inside one process
 * so that the numbers are the filesystem's and not fork/exec's.
 *
 *   fsops meta DIR N      create N small files in DIR (which must exist),
 *                         stat each, unlink each; prints three lines
 *                         "create SECONDS", "stat SECONDS", "unlink SECONDS"
 *   fsops fill DIR N      create N small files in DIR and keep them (setup
 *                         of the listing workloads); prints "create SECONDS"
 *   fsops readdir DIR     list DIR with readdir(3), no stat; prints
 *                         "readdir SECONDS ENTRIES"
 *
 * Each file gets 100 bytes, so that create is a create-and-write as a
 * compiler or an unpacker does it, and names are f0000000, f0000001, ...
 * Exit status 1 on any failure, with the failing call on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_BYTES 100

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *name)
{
	fprintf(stderr, "fsops: %s %s: %s\n", what, name, strerror(errno));
	return 1;
}

static void name_of(char *buf, size_t len, long i)
{
	snprintf(buf, len, "f%07ld", i);
}

static int create_files(int dfd, long n)
{
	char data[FILE_BYTES], name[32];

	memset(data, 'x', sizeof(data));
	for (long i = 0; i < n; i++) {
		int fd;

		name_of(name, sizeof(name), i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return fail("create", name);
		if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data)) {
			close(fd);
			return fail("write", name);
		}
		if (close(fd))
			return fail("close", name);
	}
	return 0;
}

static int stat_files(int dfd, long n)
{
	char name[32];
	struct stat st;

	for (long i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
			return fail("stat", name);
		if (st.st_size != FILE_BYTES) {
			errno = EIO;
			return fail("wrong size of", name);
		}
	}
	return 0;
}

static int unlink_files(int dfd, long n)
{
	char name[32];

	for (long i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		if (unlinkat(dfd, name, 0))
			return fail("unlink", name);
	}
	return 0;
}

static int list_dir(const char *dir)
{
	double t0 = now();
	long entries = 0;
	DIR *d = opendir(dir);

	if (!d)
		return fail("opendir", dir);
	errno = 0;
	while (readdir(d))
		entries++;
	if (errno)
		return fail("readdir", dir);
	closedir(d);
	printf("readdir %.6f %ld\n", now() - t0, entries);
	return 0;
}

int main(int argc, char **argv)
{
	int dfd;
	long n;
	double t0;

	if (argc == 3 && !strcmp(argv[1], "readdir"))
		return list_dir(argv[2]);
	if (argc != 4 || (strcmp(argv[1], "meta") && strcmp(argv[1], "fill"))) {
		fprintf(stderr, "usage: fsops meta|fill DIR N | fsops readdir DIR\n");
		return 2;
	}
	n = atol(argv[3]);
	dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail("open", argv[2]);
	t0 = now();
	if (create_files(dfd, n))
		return 1;
	printf("create %.6f\n", now() - t0);
	if (!strcmp(argv[1], "fill"))
		return 0;
	t0 = now();
	if (stat_files(dfd, n))
		return 1;
	printf("stat %.6f\n", now() - t0);
	t0 = now();
	if (unlink_files(dfd, n))
		return 1;
	printf("unlink %.6f\n", now() - t0);
	return 0;
}
