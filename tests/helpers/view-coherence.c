/*
 * view-coherence.c - one file through several views shows one content.
 *
 *   view-coherence RWFILE ROFILE [RWFILE2]
 *
 * RWFILE and ROFILE name the same file through two views of one volume (a
 * writable one and a read-only one; RWFILE2, if given, through a third,
 * writable view). The file is made 8 KiB long through RWFILE. Then, with
 * ROFILE open and mapped shared (its pages cached by the kernel), each
 * change made through a writable view must show through ROFILE at once,
 * with no wait: pwrite, a write through a shared writable mapping and
 * msync, ftruncate (size), a write through RWFILE2 read back through
 * RWFILE. Prints "ok NAME" or "not ok NAME: why" and exits 1 on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE 8192

static int failures;

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

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0) {
		fprintf(stderr, "view-coherence: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* True when @n bytes from @buf are all @c. */
static bool all(const char *buf, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != c)
			return false;
	return true;
}

/* Checks both ways of reading through @fd and @map: pread and the mapping. */
static void expect(const char *what, int fd, const char *map, char c)
{
	static char buf[SIZE];
	char name[128];
	ssize_t n;

	n = pread(fd, buf, SIZE, 0);
	snprintf(name, sizeof(name), "%s-pread", what);
	report(n == SIZE && all(buf, SIZE, c), name,
	       "read %zd bytes, first '%c', expected all '%c'", n,
	       n > 0 ? buf[0] : '?', c);
	if (!map)
		return;
	snprintf(name, sizeof(name), "%s-mmap", what);
	report(all(map, SIZE, c), name, "mapping shows '%c' '%c', expected '%c'",
	       map[0], map[SIZE - 1], c);
}

static void fill(int fd, char c)
{
	static char buf[SIZE];

	memset(buf, c, SIZE);
	if (pwrite(fd, buf, SIZE, 0) != SIZE) {
		fprintf(stderr, "view-coherence: pwrite: %s\n", strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct stat st;
	char *rwmap;
	char *romap;
	int rwfd;
	int rofd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: view-coherence RWFILE ROFILE [RWFILE2]\n");
		return 2;
	}
	rwfd = open_or_die(argv[1], O_RDWR | O_CREAT);
	fill(rwfd, 'a');
	rofd = open_or_die(argv[2], O_RDONLY);
	romap = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, rofd, 0);
	if (romap == MAP_FAILED) {
		fprintf(stderr, "view-coherence: mmap %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	expect("initial", rofd, romap, 'a');

	fill(rwfd, 'b');
	expect("pwrite", rofd, romap, 'b');

	rwmap = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rwfd, 0);
	if (rwmap == MAP_FAILED) {
		fprintf(stderr, "view-coherence: mmap %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	memset(rwmap, 'c', SIZE);
	if (msync(rwmap, SIZE, MS_SYNC)) {
		fprintf(stderr, "view-coherence: msync: %s\n", strerror(errno));
		return 1;
	}
	expect("mmap-write", rofd, romap, 'c');

	if (argc == 4) {
		int fd2 = open_or_die(argv[3], O_RDWR);

		fill(fd2, 'd');
		expect("third-view", rofd, romap, 'd');
		report(all(rwmap, SIZE, 'd'), "third-view-rw-mmap",
		       "the writable mapping shows '%c'", rwmap[0]);
		close(fd2);
	}
	munmap(rwmap, SIZE);
	munmap(romap, SIZE);

	if (ftruncate(rwfd, 100)) {
		fprintf(stderr, "view-coherence: ftruncate: %s\n", strerror(errno));
		return 1;
	}
	report(fstat(rofd, &st) == 0 && st.st_size == 100, "ftruncate-size",
	       "size %lld, expected 100", (long long)st.st_size);
	report(stat(argv[2], &st) == 0 && st.st_size == 100, "stat-size",
	       "size %lld, expected 100", (long long)st.st_size);
	close(rofd);
	close(rwfd);
	return failures ? 1 : 0;
}
