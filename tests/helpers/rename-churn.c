/*
 * rename-churn.c - names changing fast through one view while other views
 * list and open them, as an editor or a database and its readers do.
 *
 *   rename-churn SECONDS WDIR RDIR...
 *
 * Three writer threads work in WDIR on the names f0..f7 for SECONDS: most
 * often one writes its own tmpN whole and renames it over fK; else it
 * renames fK to fJ, unlinks fK, or links fK as lnkN and renames that over
 * fJ. Two reader threads meanwhile list the RDIRs in turn and, for every
 * f* listed, stat it, open it and read it whole. Every file holds one
 * writer's whole content: a header naming its writer, number and length,
 * then bytes that follow from those.
 *
 * ENOENT is the one error allowed (a name renamed or unlinked between the
 * listing and the call, as on a local filesystem); any other errno, from a
 * reader or a writer, is a failure, and so is a read that is not the start
 * of some writer's content. A read cut short, the start of a content only,
 * is counted but allowed while names change: a view's cached size can lag
 * behind writes made through another view (attribute caching, not names).
 * After SECONDS, and at most 3 s more (other views are told of a change
 * just after the call that made it returns), every view must list the same
 * names, only f* ones, and each must read the same, whole, through WDIR and
 * every RDIR.
 *
 * Prints "not ok WHAT: WHY" for each failure (the first few of each
 * thread) and the counts; exits 1 on any failure, 2 on a bad command line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITERS		3
#define READERS		2
#define NAMES		8
#define MAX_SIZE	16384
#define CHUNK		4096
#define MAX_DIRS	8
/* Tenths of a second the views get to agree once the writers stopped. */
#define SETTLE_TRIES	30
/* Failures printed per thread; all are counted. */
#define MAX_REPORTS	5

static const char *wdir;
static const char *rdirs[MAX_DIRS];
static int nrdirs;
static int stop;
static int failures;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* One thread: what it is and what it did, summed at the end. */
struct worker {
	pthread_t thread;
	unsigned int id;		/* writer or reader number */
	unsigned long replaces;		/* tmpN renamed over fK */
	unsigned long renames;		/* fK renamed to fJ, or ENOENT */
	unsigned long unlinks;
	unsigned long links;
	unsigned long listings;
	unsigned long opens;		/* f* opened and read whole */
	unsigned long enoent;		/* f* listed but gone when opened */
	unsigned long short_reads;	/* the start of a content only */
	unsigned int reports;		/* failures printed */
};

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

static void vfail(struct worker *c, const char *fmt, va_list ap)
{
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	if (c && ++c->reports > MAX_REPORTS)
		return;
	pthread_mutex_lock(&out_lock);
	printf("not ok ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void fail(struct worker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c, fmt, ap);
	va_end(ap);
}

/*
 * A disagreement between views: a failure when @final, else only counted.
 * An errno other than ENOENT (@err, 0 when none) is a failure at once.
 */
static int disagree(bool final, int err, const char *fmt, ...)
{
	va_list ap;

	if (final || (err && err != ENOENT)) {
		va_start(ap, fmt);
		vfail(NULL, fmt, ap);
		va_end(ap);
	}
	return 1;
}

static bool stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

/* Byte @i of writer @w's content number @seq, past the header. */
static char body_byte(unsigned int w, unsigned long seq, size_t i)
{
	return 'a' + (w * 7 + seq * 13 + i * 31 + i / 97) % 26;
}

/* Fills @buf with writer @w's content number @seq; returns its length. */
static size_t make_content(char *buf, unsigned int w, unsigned long seq)
{
	size_t len = 64 + (seq * 2654435761u + w * 977) % (MAX_SIZE - 64);
	int hlen;

	hlen = snprintf(buf, MAX_SIZE, "churn %u %lu %zu\n", w, seq, len);
	for (size_t i = hlen; i < len; i++)
		buf[i] = body_byte(w, seq, i);
	return len;
}

/* What a read gave. */
enum content {
	CONTENT_WHOLE,			/* one writer's whole content */
	CONTENT_SHORT,			/* the start of one */
	CONTENT_FOREIGN,		/* anything else */
};

static enum content content_of(const char *buf, size_t len)
{
	static const char magic[] = "churn ";
	char head[64];
	unsigned int w;
	unsigned long seq;
	size_t want, n = len < sizeof(head) - 1 ? len : sizeof(head) - 1;
	int hlen = 0;

	memcpy(head, buf, n);
	head[n] = '\0';
	if (sscanf(head, "churn %u %lu %zu%n", &w, &seq, &want, &hlen) != 3 ||
	    (size_t)hlen >= n || head[hlen] != '\n') {
		/* too short to hold the header, which is shorter than 64 */
		if (len < sizeof(head) - 1 &&
		    !strncmp(buf, magic, len < 6 ? len : 6))
			return CONTENT_SHORT;
		return CONTENT_FOREIGN;
	}
	if (w >= WRITERS || want < len)
		return CONTENT_FOREIGN;
	for (size_t i = hlen + 1; i < len; i++)
		if (buf[i] != body_byte(w, seq, i))
			return CONTENT_FOREIGN;
	return want == len ? CONTENT_WHOLE : CONTENT_SHORT;
}

/* Writes @len bytes of @buf to @path, new, in CHUNK pieces. */
static int write_file(const char *path, const char *buf, size_t len)
{
	size_t off;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	for (off = 0; off < len; off += n) {
		n = write(fd, buf + off, len - off < CHUNK ? len - off : CHUNK);
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
	}
	if (close(fd) && !err)
		err = errno;
	return err;
}

/* Fails unless @rc, a call's result, is success or ENOENT. */
static void expect_ok_or_enoent(struct worker *c, int rc, const char *what,
				const char *name)
{
	if (rc < 0 && errno != ENOENT)
		fail(c, "%s %s: %s", what, name, errname(errno));
}

/* Writes tmpN whole, content number @seq, and renames it over fK. */
static void writer_replace(struct worker *c, unsigned long seq, unsigned int k,
			   char *buf)
{
	char tmp[4096], dst[4096];
	size_t len = make_content(buf, c->id, seq);
	int err;

	snprintf(tmp, sizeof(tmp), "%s/tmp%u", wdir, c->id);
	snprintf(dst, sizeof(dst), "%s/f%u", wdir, k);
	err = write_file(tmp, buf, len);
	if (err) {
		fail(c, "write %s: %s", tmp, errname(err));
		unlink(tmp);
		return;
	}
	if (rename(tmp, dst) < 0) {
		fail(c, "rename %s over %s: %s", tmp, dst, errname(errno));
		unlink(tmp);
		return;
	}
	c->replaces++;
}

/* Links fK as lnkN and renames that over fJ: fK and fJ are one file. */
static void writer_link(struct worker *c, unsigned int k, unsigned int j)
{
	char src[4096], lnk[4096], dst[4096];

	snprintf(src, sizeof(src), "%s/f%u", wdir, k);
	snprintf(lnk, sizeof(lnk), "%s/lnk%u", wdir, c->id);
	snprintf(dst, sizeof(dst), "%s/f%u", wdir, j);
	if (link(src, lnk) < 0) {
		expect_ok_or_enoent(c, -1, "link", src);
		return;
	}
	if (rename(lnk, dst) < 0)
		fail(c, "rename %s over %s: %s", lnk, dst, errname(errno));
	/* still there when fJ already was the same file: rename did nothing */
	expect_ok_or_enoent(c, unlink(lnk), "unlink", lnk);
	c->links++;
}

static void *writer(void *arg)
{
	struct worker *c = arg;
	unsigned int seed = c->id * 7919 + 1;
	char from[4096], to[4096];
	unsigned long seq = 0;
	unsigned int k, j, op;
	char *buf;

	buf = malloc(MAX_SIZE);
	if (!buf) {
		fail(c, "writer %u: out of memory", c->id);
		return NULL;
	}
	while (!stopping()) {
		op = rand_r(&seed) % 16;
		k = rand_r(&seed) % NAMES;
		j = (k + 1 + rand_r(&seed) % (NAMES - 1)) % NAMES;
		snprintf(from, sizeof(from), "%s/f%u", wdir, k);
		snprintf(to, sizeof(to), "%s/f%u", wdir, j);
		if (op < 10) {
			writer_replace(c, seq++, k, buf);
		} else if (op < 13) {
			expect_ok_or_enoent(c, rename(from, to), "rename", from);
			c->renames++;
		} else if (op < 15) {
			expect_ok_or_enoent(c, unlink(from), "unlink", from);
			c->unlinks++;
		} else {
			writer_link(c, k, j);
		}
	}
	free(buf);
	return NULL;
}

/* Reads @fd whole into @buf (MAX_SIZE + 1 bytes): the length or -errno. */
static ssize_t read_whole(int fd, char *buf)
{
	size_t len = 0;
	ssize_t n;

	while (len <= MAX_SIZE) {
		n = read(fd, buf + len, MAX_SIZE + 1 - len);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

/* Stats, opens and reads the entry @name of @dir (open as @dfd). */
static void read_entry(struct worker *c, int dfd, const char *dir,
		       const char *name, char *buf)
{
	struct stat st;
	ssize_t len;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			c->enoent++;
		else
			fail(c, "stat %s/%s: %s", dir, name, errname(errno));
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			c->enoent++;
		else
			fail(c, "open %s/%s: %s", dir, name, errname(errno));
		return;
	}
	len = read_whole(fd, buf);
	close(fd);
	if (len < 0)
		fail(c, "read %s/%s: %s", dir, name, errname(-len));
	else if (content_of(buf, len) == CONTENT_FOREIGN)
		fail(c, "%s/%s: %zd bytes, not written so by any writer",
		     dir, name, len);
	else if (content_of(buf, len) == CONTENT_SHORT)
		c->short_reads++;
	else
		c->opens++;
}

static void *reader(void *arg)
{
	struct worker *c = arg;
	unsigned int round = c->id;
	const char *dir;
	struct dirent *d;
	char *buf;
	DIR *dp;

	buf = malloc(MAX_SIZE + 1);
	if (!buf) {
		fail(c, "reader %u: out of memory", c->id);
		return NULL;
	}
	while (!stopping()) {
		dir = rdirs[round++ % nrdirs];
		dp = opendir(dir);
		if (!dp) {
			fail(c, "opendir %s: %s", dir, errname(errno));
			break;
		}
		errno = 0;
		while ((d = readdir(dp))) {
			if (d->d_name[0] == 'f')
				read_entry(c, dirfd(dp), dir, d->d_name, buf);
			errno = 0;
		}
		if (errno)
			fail(c, "readdir %s: %s", dir, errname(errno));
		closedir(dp);
		c->listings++;
	}
	free(buf);
	return NULL;
}

/* A directory's names, sorted; at most MAX_NAMES of them. */
#define MAX_NAMES	64
struct listing {
	int n;
	char names[MAX_NAMES][NAME_MAX + 1];
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int list_dir(const char *dir, struct listing *l, bool final)
{
	struct dirent *d;
	DIR *dp;

	l->n = 0;
	dp = opendir(dir);
	if (!dp)
		return disagree(final, errno, "opendir %s: %s", dir,
				errname(errno));
	while ((d = readdir(dp)) && l->n < MAX_NAMES) {
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			snprintf(l->names[l->n++], NAME_MAX + 1, "%s", d->d_name);
	}
	closedir(dp);
	qsort(l->names, l->n, sizeof(l->names[0]), name_cmp);
	return 0;
}

/* Reads @dir/@name whole into @buf; returns the length or -errno. */
static ssize_t read_path(const char *dir, const char *name, char *buf)
{
	char path[4096];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read_whole(fd, buf);
	close(fd);
	return len;
}

/*
 * Once quiet, every view lists the same names and reads the same whole
 * content under each. Returns the number of disagreements, which are
 * failures when @final.
 */
static int check_views(bool final)
{
	static struct listing want, got;
	static char first[MAX_SIZE + 1], other[MAX_SIZE + 1];
	char got_what[32];
	ssize_t len, olen;
	int bad = 0;

	if (list_dir(wdir, &want, final))
		return 1;
	for (int d = 0; d < nrdirs; d++) {
		if (list_dir(rdirs[d], &got, final))
			bad++;
		else if (got.n != want.n ||
			 memcmp(got.names, want.names,
				sizeof(got.names[0]) * got.n))
			bad += disagree(final, 0, "%s and %s list different names (%d, %d)",
					rdirs[d], wdir, got.n, want.n);
	}
	for (int i = 0; i < want.n; i++) {
		if (want.names[i][0] != 'f') {
			bad += disagree(final, 0, "%s/%s left behind", wdir,
					want.names[i]);
			continue;
		}
		len = read_path(wdir, want.names[i], first);
		if (len < 0 || content_of(first, len) != CONTENT_WHOLE) {
			bad += disagree(final, len < 0 ? -len : 0, "%s/%s: %s",
					wdir, want.names[i],
					len < 0 ? errname(-len) : "not whole");
			continue;
		}
		for (int d = 0; d < nrdirs; d++) {
			olen = read_path(rdirs[d], want.names[i], other);
			if (olen == len && !memcmp(first, other, len))
				continue;
			if (olen < 0)
				snprintf(got_what, sizeof(got_what), "%s",
					 errname(-olen));
			else
				snprintf(got_what, sizeof(got_what),
					 "%zd other bytes", olen);
			bad += disagree(final, olen < 0 ? -olen : 0,
					"%s/%s gives %s, %s/%s %zd bytes",
					rdirs[d], want.names[i], got_what,
					wdir, want.names[i], len);
		}
	}
	if (final)
		printf("checked %d names through %d views\n", want.n,
		       nrdirs + 1);
	return bad;
}

int main(int argc, char **argv)
{
	static struct worker writers[WRITERS], readers[READERS];
	unsigned long replaces = 0, renames = 0, unlinks = 0, links = 0;
	unsigned long listings = 0, opens = 0, enoent = 0, short_reads = 0;
	int seconds;

	if (argc < 4 || argc - 3 > MAX_DIRS || (seconds = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: rename-churn SECONDS WDIR RDIR...\n");
		return 2;
	}
	wdir = argv[2];
	for (int i = 3; i < argc; i++)
		rdirs[nrdirs++] = argv[i];
	for (unsigned int i = 0; i < WRITERS; i++) {
		writers[i].id = i;
		if (pthread_create(&writers[i].thread, NULL, writer, &writers[i]))
			return 1;
	}
	for (unsigned int i = 0; i < READERS; i++) {
		readers[i].id = i;
		if (pthread_create(&readers[i].thread, NULL, reader, &readers[i]))
			return 1;
	}
	sleep(seconds);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(writers[i].thread, NULL);
		replaces += writers[i].replaces;
		renames += writers[i].renames;
		unlinks += writers[i].unlinks;
		links += writers[i].links;
	}
	for (int i = 0; i < READERS; i++) {
		pthread_join(readers[i].thread, NULL);
		listings += readers[i].listings;
		opens += readers[i].opens;
		enoent += readers[i].enoent;
		short_reads += readers[i].short_reads;
	}
	printf("writers: %lu replaces, %lu renames, %lu unlinks, %lu links\n",
	       replaces, renames, unlinks, links);
	printf("readers: %lu listings, %lu files read whole, %lu cut short, "
	       "%lu ENOENT\n", listings, opens, short_reads, enoent);
	if (!replaces || !opens)
		fail(NULL, "the load did not run");
	/* Other views are told of a change just after the call returns */
	for (int i = 0; i < SETTLE_TRIES && check_views(false); i++)
		usleep(100000);
	check_views(true);
	return failures ? 1 : 0;
}
