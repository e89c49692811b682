/*
 * common.c - helpers of the fuzz targets: checks, copies, the memfd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *fuzz_malloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	FUZZ_CHECK(p, "malloc(%zu)", size);
	return p;
}

char *fuzz_strdup(const char *s)
{
	char *d = strdup(s);

	FUZZ_CHECK(d, "strdup of %zu bytes", strlen(s));
	return d;
}

char *fuzz_text(const uint8_t *data, size_t size)
{
	char *t = fuzz_malloc(size + 1);

	if (size)
		memcpy(t, data, size);
	t[size] = '\0';
	return t;
}

size_t fuzz_split(char *text, char sep, char **fields, size_t max)
{
	size_t n = 0;
	char *p = text;

	while (n + 1 < max) {
		char *end = strchr(p, sep);

		if (!end)
			break;
		*end = '\0';
		fields[n++] = p;
		p = end + 1;
	}
	fields[n++] = p;
	return n;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	size_t done = 0;

	if (fd < 0) {
		fd = memfd_create("podvolfs-fuzz", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate: %s", strerror(errno));
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		FUZZ_CHECK(n > 0 || (n < 0 && errno == EINTR), "pwrite: %s",
			   n < 0 ? strerror(errno) : "wrote nothing");
		if (n > 0)
			done += (size_t)n;
	}
	return path;
}
