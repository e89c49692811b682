/*
 * fill.c - writes an exact number of bytes into a file, for sizeLimit tests.
 *
 *   fill PATH BYTES [--offset N]
 *
 * Opens PATH (creating it, never truncating), writes BYTES bytes starting at
 * offset N (default 0) in chunks of 1 MiB with pwrite, then fsyncs and
 * closes. BYTES and N take an optional K, M or G suffix (powers of 1024).
 * Prints one line, "WRITTEN ERRNO": how many bytes were written and the
 * name of the errno that stopped it ("0" if none), e.g. "1048576 0" or
 * "65536 ENOSPC". A failing fsync or close is reported the same way; a
 * pwrite that makes no progress without an errno stops it with "N 0".
 * Exits 0 if every byte was written, 1 if it stopped early, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK	(1024 * 1024)

static void usage(void)
{
	fprintf(stderr, "usage: fill PATH BYTES [--offset N]\n");
	exit(2);
}

/* Parses "123", "4K", "64M", "1G" (also "4Ki" etc.) into bytes. */
static long long size_arg(const char *s)
{
	long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		usage();
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1LL << 10;
		break;
	case 'M':
		mult = 1LL << 20;
		break;
	case 'G':
		mult = 1LL << 30;
		break;
	case '\0':
		return v;
	default:
		usage();
	}
	end++;
	if (*end == 'i')
		end++;
	if (*end || v > __LONG_LONG_MAX__ / mult)
		usage();
	return v * mult;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "EUNKNOWN";
}

int main(int argc, char **argv)
{
	long long want, off = 0, done = 0;
	char *buf;
	int err = 0;
	int fd;

	if (argc == 5 && !strcmp(argv[3], "--offset"))
		off = size_arg(argv[4]);
	else if (argc != 3)
		usage();
	want = size_arg(argv[2]);

	buf = malloc(CHUNK);
	if (!buf) {
		perror("fill");
		return 2;
	}
	memset(buf, 'f', CHUNK);
	fd = open(argv[1], O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		printf("0 %s\n", errname(errno));
		free(buf);
		return 1;
	}
	while (done < want) {
		size_t len = want - done < CHUNK ? (size_t)(want - done) : CHUNK;
		ssize_t n = pwrite(fd, buf, len, off + done);

		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0)
			break;	/* no progress and no errno: "N 0", exit 1 */
		done += n;
	}
	if (fsync(fd) && !err)
		err = errno;
	if (close(fd) && !err)
		err = errno;
	free(buf);
	printf("%lld %s\n", done, err ? errname(err) : "0");
	return err || done != want ? 1 : 0;
}
