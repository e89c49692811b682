/*
 * dirents.c - lists a directory with getdents64 and checks every listing.
 *
 *   dirents [--seconds S] [--print] DIR
 *   dirents [--print] --fd FD
 *
 * Reads the whole listing with small getdents64 calls (1 KiB), so that a
 * directory of a few hundred entries takes many calls and the file system
 * must resume from its offsets. A listing fails if it returns a name twice,
 * or two directories with one inode number. DIR is opened afresh for each
 * listing; with --seconds it is listed again and again until S seconds have
 * passed (a DIR that is missing then counts as an empty listing). --fd lists
 * an inherited descriptor once, from its start. --print prints each name but
 * "." and ".."; otherwise the last line says how many listings were made:
 * "listings N". Failures go to stderr. Exits 0 if every listing was clean,
 * 1 if one was not or a call failed, 2 on usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct entry {
	char *name;
	uint64_t ino;
	bool dir;
};

struct listing {
	struct entry *ents;
	size_t n;
	size_t cap;
};

static void usage(void)
{
	fprintf(stderr, "usage: dirents [--seconds S] [--print] DIR\n"
			"       dirents [--print] --fd FD\n");
	exit(2);
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		perror("dirents");
		exit(1);
	}
	return p;
}

static void add(struct listing *l, const struct dirent64 *d)
{
	struct entry *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->ents = xrealloc(l->ents, l->cap * sizeof(*l->ents));
	}
	e = &l->ents[l->n++];
	e->name = strdup(d->d_name);
	if (!e->name) {
		perror("dirents");
		exit(1);
	}
	e->ino = d->d_ino;
	e->dir = d->d_type == DT_DIR;
}

static void clear(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ents[i].name);
	l->n = 0;
}

/* Reads @fd's whole listing, "." and ".." left out. Returns 0 or an errno. */
static int read_listing(int fd, struct listing *l)
{
	_Alignas(struct dirent64) char buf[1024];
	long n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return errno;
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (long pos = 0; pos < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);

			pos += d->d_reclen;
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				add(l, d);
		}
	}
	return n < 0 ? errno : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

static int by_ino(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Reports what is repeated in @l (whose order it changes); true if nothing. */
static bool check(struct listing *l, const char *what)
{
	bool ok = true;

	if (l->n < 2)
		return true;
	qsort(l->ents, l->n, sizeof(*l->ents), by_name);
	for (size_t i = 1; i < l->n; i++) {
		if (!strcmp(l->ents[i].name, l->ents[i - 1].name)) {
			fprintf(stderr, "%s: \"%s\" listed twice\n", what,
				l->ents[i].name);
			ok = false;
		}
	}
	/* Files may be hard links; directories cannot share a number. */
	qsort(l->ents, l->n, sizeof(*l->ents), by_ino);
	for (size_t i = 1; i < l->n && l->ents[i].dir; i++) {
		if (l->ents[i].ino == l->ents[i - 1].ino) {
			fprintf(stderr, "%s: directories \"%s\" and \"%s\" have inode %llu\n",
				what, l->ents[i - 1].name, l->ents[i].name,
				(unsigned long long)l->ents[i].ino);
			ok = false;
		}
	}
	return ok;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct listing l = { 0 };
	double seconds = 0, end;
	bool print = false;
	const char *dir = NULL;
	const char *what;
	unsigned long listings = 0;
	int given_fd = -1;
	bool ok = true;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--print"))
			print = true;
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--fd") && i + 1 < argc)
			given_fd = atoi(argv[++i]);
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			usage();
	}
	if (!dir == (given_fd < 0) || (given_fd >= 0 && seconds > 0))
		usage();
	what = dir ? dir : "--fd";

	end = now() + seconds;
	do {
		int fd = given_fd;

		if (fd < 0) {
			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT && seconds > 0) {
				listings++;
				continue;
			}
			if (fd < 0) {
				fprintf(stderr, "dirents: %s: %s\n", dir,
					strerror(errno));
				return 1;
			}
		}
		err = read_listing(fd, &l);
		if (fd != given_fd)
			close(fd);
		if (err) {
			fprintf(stderr, "dirents: getdents64 %s: %s\n", what,
				strerror(err));
			return 1;
		}
		listings++;
		if (print)
			for (size_t j = 0; j < l.n; j++)
				printf("%s\n", l.ents[j].name);
		ok &= check(&l, what);
		clear(&l);
	} while (now() < end);
	if (!print)
		printf("listings %lu\n", listings);
	free(l.ents);
	return ok ? 0 : 1;
}
