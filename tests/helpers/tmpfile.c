/*
 * tmpfile.c - an O_TMPFILE file: made, written, maybe named, held open.
 *
 *   tmpfile DIR BYTES [--link NAME] [--hold]
 *
 * Opens a new unnamed file in DIR with O_TMPFILE | O_RDWR (mode 0640) and
 * writes BYTES bytes of 'x' (K, M or G suffix allowed) with pwrite. With
 * --link it then gives the file the name DIR/NAME with linkat of
 * /proc/self/fd/N (AT_SYMLINK_FOLLOW, which needs no capability). With
 * --hold it prints "ready" and waits for a line (or end of file) on its
 * standard input before it closes the file. Prints the name of the errno
 * that stopped it ("EOPNOTSUPP") or "0", and exits 0 when every step
 * worked, 1 when one failed, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK	65536

static void usage(void)
{
	fprintf(stderr, "usage: tmpfile DIR BYTES [--link NAME] [--hold]\n");
	exit(2);
}

/* Parses "123", "4K", "64M", "1G" into bytes. */
static long long size_arg(const char *s)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		usage();
	if (*end == 'K')
		v <<= 10, end++;
	else if (*end == 'M')
		v <<= 20, end++;
	else if (*end == 'G')
		v <<= 30, end++;
	if (*end)
		usage();
	return v;
}

/* Prints the errno's name and exits 1. */
static void failed(int err)
{
	const char *name = strerrorname_np(err);

	printf("%s\n", name ? name : "EUNKNOWN");
	exit(1);
}

int main(int argc, char **argv)
{
	const char *link_name = NULL;
	char buf[CHUNK], path[64], line[16];
	long long left, off = 0;
	int hold = 0;
	int fd;

	if (argc < 3)
		usage();
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--link") && i + 1 < argc)
			link_name = argv[++i];
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else
			usage();
	}
	left = size_arg(argv[2]);
	memset(buf, 'x', sizeof(buf));
	fd = open(argv[1], O_TMPFILE | O_RDWR, 0640);
	if (fd < 0)
		failed(errno);
	while (left > 0) {
		ssize_t n = pwrite(fd, buf, left < CHUNK ? left : CHUNK, off);

		if (n <= 0)
			failed(n < 0 ? errno : ENOSPC);
		left -= n;
		off += n;
	}
	if (link_name) {
		int dfd = open(argv[1], O_PATH | O_DIRECTORY);

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (dfd < 0 ||
		    linkat(AT_FDCWD, path, dfd, link_name, AT_SYMLINK_FOLLOW) < 0)
			failed(errno);
		close(dfd);
	}
	if (hold) {
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) && ferror(stdin))
			failed(errno);
	}
	if (close(fd) < 0)
		failed(errno);
	printf("0\n");
	return 0;
}
