/*
 * test_memory_store.c - the memory store, driven through its store_ops.
 *
 * Each test gets a fresh store (root 01777, owned by 0:0); helpers below
 * keep the calls short. Threaded tests check that concurrent writers and
 * concurrent renames neither corrupt data nor deadlock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "podvolfs/store.h"

#define MiB (1024ULL * 1024)
/* What @b bytes of data cost against the limit: whole 4 KiB pages. */
#define PAGES(b) (((uint64_t)(b) + 4095) / 4096 * 4096)

struct fix {
	struct store *s;
	struct snode *root;
};

static const struct store_cred user = { .uid = 1000, .gid = 1000 };

static int fix_new(void **state, uint64_t limit)
{
	struct fix *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->s = memory_store_new(01777, 0, 0, limit);
	if (!fx->s) {
		free(fx);
		return -1;
	}
	fx->s->ops->root(fx->s, &fx->root);
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return fix_new(state, 0);
}

static int setup_limit(void **state)
{
	return fix_new(state, 10 * MiB);
}

static int teardown(void **state)
{
	struct fix *fx = *state;

	store_put(fx->root);
	store_unref(fx->s);
	free(fx);
	return 0;
}

/* ---- helpers: each asserts the call succeeded ---- */

static struct store_file *create(struct fix *fx, struct snode *dir,
				 const char *name, struct snode **out)
{
	struct store_file *f = NULL;
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(fx->s->ops->create(fx->s, dir, name, 0644,
					    O_RDWR | O_EXCL, &user, &n, &st,
					    &f), 0);
	assert_non_null(f);
	assert_int_equal(f->fd, -1);
	assert_ptr_equal(f->node, n);
	if (out)
		*out = n;
	else
		store_put(n);
	return f;
}

static struct snode *mkdir_(struct fix *fx, struct snode *dir,
			    const char *name)
{
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(fx->s->ops->mkdir(fx->s, dir, name, 0755, &user, &n,
					   &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	return n;
}

static void touch(struct fix *fx, struct snode *dir, const char *name)
{
	struct snode *n = NULL;
	struct stat st;

	assert_int_equal(fx->s->ops->mknod(fx->s, dir, name, S_IFREG | 0644,
					   0, &user, &n, &st), 0);
	store_put(n);
}

static int lookup(struct fix *fx, struct snode *dir, const char *name,
		  struct stat *st)
{
	struct snode *n = NULL;
	struct stat tmp;
	int rc = fx->s->ops->lookup(fx->s, dir, name, &n, st ? st : &tmp);

	if (!rc)
		store_put(n);
	return rc;
}

static struct stat getattr(struct fix *fx, struct snode *n)
{
	struct stat st;

	assert_int_equal(fx->s->ops->getattr(fx->s, n, NULL, &st), 0);
	return st;
}

static void write_all(struct fix *fx, struct store_file *f, const void *buf,
		      size_t size, off_t off)
{
	assert_int_equal(fx->s->ops->write(fx->s, f, buf, size, off),
			 (ssize_t)size);
}

static void fill_pattern(char *buf, size_t size, uint64_t off)
{
	size_t i;

	for (i = 0; i < size; i++)
		buf[i] = (char)((off + i) * 7 + ((off + i) >> 13));
}

static bool check_pattern(const char *buf, size_t size, uint64_t off)
{
	size_t i;

	for (i = 0; i < size; i++) {
		if (buf[i] != (char)((off + i) * 7 + ((off + i) >> 13)))
			return false;
	}
	return true;
}

static bool all_zero(const char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		if (buf[i])
			return false;
	}
	return true;
}

static uint64_t used(struct fix *fx)
{
	return __atomic_load_n(&fx->s->used, __ATOMIC_RELAXED);
}

/* ---- files ---- */

static void test_root(void **state)
{
	struct fix *fx = *state;
	struct stat st = getattr(fx, fx->root);
	struct statvfs sv;

	assert_int_equal(st.st_ino, 1);
	assert_int_equal(st.st_mode, S_IFDIR | 01777);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_blksize, 4096);
	assert_int_equal(strcmp(fx->s->ops->name, "memory"), 0);
	assert_int_equal(fx->s->ops->statfs(fx->s, fx->root, &sv), 0);
	assert_int_equal(sv.f_bsize, 4096);
	assert_int_equal(sv.f_namemax, 255);
	assert_true(sv.f_blocks > 0);
	assert_true(sv.f_files > sv.f_ffree);
}

static void test_create_write_read(void **state)
{
	struct fix *fx = *state;
	char buf[10000], out[10000];
	struct store_file *f;
	struct snode *n;
	struct stat st, st2;

	f = create(fx, fx->root, "a", &n);
	st = getattr(fx, n);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 0);
	assert_true(st.st_ino >= 2);

	fill_pattern(buf, sizeof(buf), 100);
	write_all(fx, f, buf, sizeof(buf), 100);
	st2 = getattr(fx, n);
	assert_int_equal(st2.st_size, 10100);
	/* Three pages hold [100, 10100). */
	assert_int_equal(st2.st_blocks, 3 * 4096 / 512);
	assert_true(st2.st_mtim.tv_sec > st.st_mtim.tv_sec ||
		    (st2.st_mtim.tv_sec == st.st_mtim.tv_sec &&
		     st2.st_mtim.tv_nsec >= st.st_mtim.tv_nsec));
	assert_int_equal(used(fx), 3 * 4096);

	assert_int_equal(fx->s->ops->read(fx->s, f, out, sizeof(out), 100),
			 sizeof(out));
	assert_true(check_pattern(out, sizeof(out), 100));
	assert_int_equal(fx->s->ops->read(fx->s, f, out, 100, 0), 100);
	assert_true(all_zero(out, 100));
	/* Short read at the end, nothing past it. */
	assert_int_equal(fx->s->ops->read(fx->s, f, out, 100, 10050), 50);
	assert_int_equal(fx->s->ops->read(fx->s, f, out, 100, 10100), 0);
	assert_int_equal(fx->s->ops->read(fx->s, f, out, 100, 99999), 0);
	assert_int_equal(fx->s->ops->flush(fx->s, f), 0);
	assert_int_equal(fx->s->ops->fsync(fx->s, f, false), 0);

	fx->s->ops->release(fx->s, f);
	/* Still there by name. */
	assert_int_equal(lookup(fx, fx->root, "a", &st), 0);
	assert_int_equal(st.st_size, 10100);
	store_put(n);
}

static void test_write_across_chunks(void **state)
{
	struct fix *fx = *state;
	size_t size = 3 * MiB + 12345;
	char *buf = malloc(size), *out = malloc(size);
	struct store_file *f = create(fx, fx->root, "big", NULL);
	size_t off;

	assert_non_null(buf);
	assert_non_null(out);
	/* Odd-sized appends that straddle chunk boundaries. */
	fill_pattern(buf, size, 0);
	for (off = 0; off < size; off += 4099) {
		size_t n = size - off < 4099 ? size - off : 4099;

		write_all(fx, f, buf + off, n, off);
	}
	/* Overwrite in the middle. */
	memset(buf + 65530, 'x', 20);
	write_all(fx, f, buf + 65530, 20, 65530);
	assert_int_equal(fx->s->ops->read(fx->s, f, out, size, 0), size);
	assert_memory_equal(out, buf, size);
	assert_int_equal(used(fx), PAGES(size));
	fx->s->ops->release(fx->s, f);
	free(buf);
	free(out);
}

static void test_append(void **state)
{
	struct fix *fx = *state;
	struct store_file *f;
	struct snode *n;
	char out[8];

	touch(fx, fx->root, "log");
	assert_int_equal(fx->s->ops->lookup(fx->s, fx->root, "log", &n,
					    &(struct stat){ 0 }), 0);
	assert_int_equal(fx->s->ops->open(fx->s, n, O_WRONLY | O_APPEND, &f),
			 0);
	write_all(fx, f, "abc", 3, 0);
	write_all(fx, f, "def", 3, 0);
	assert_int_equal(fx->s->ops->read(fx->s, f, out, 8, 0), 6);
	assert_memory_equal(out, "abcdef", 6);
	fx->s->ops->release(fx->s, f);
	store_put(n);
}

static void test_sparse(void **state)
{
	struct fix *fx = *state;
	struct store_file *f;
	struct snode *n;
	char *out = malloc(2 * MiB);
	struct stat st;

	assert_non_null(out);
	f = create(fx, fx->root, "sparse", &n);
	write_all(fx, f, "end", 3, 5 * MiB);
	st = getattr(fx, n);
	assert_int_equal(st.st_size, 5 * MiB + 3);
	/* One page allocated, however far it is. */
	assert_int_equal(st.st_blocks * 512, 4096);
	assert_int_equal(used(fx), 4096);
	memset(out, 'z', 2 * MiB);
	assert_int_equal(fx->s->ops->read(fx->s, f, out, 2 * MiB, 3 * MiB + 1),
			 2 * MiB);
	assert_true(all_zero(out, 2 * MiB - 1));
	assert_int_equal(out[2 * MiB - 1], 'e');
	fx->s->ops->release(fx->s, f);
	store_put(n);
	free(out);
}

static void test_huge_sparse(void **state)
{
	struct fix *fx = *state;
	uint64_t tib = 1024 * 1024 * MiB;
	struct store_file *f;
	struct snode *n;
	char out[64];
	struct stat st;

	f = create(fx, fx->root, "tib", &n);
	write_all(fx, f, "x", 1, tib);
	write_all(fx, f, "y", 1, tib / 2);
	st = getattr(fx, n);
	assert_int_equal(st.st_size, tib + 1);
	assert_int_equal(st.st_blocks * 512, 2 * 4096);
	assert_int_equal(used(fx), 2 * 4096);
	assert_int_equal(fx->s->ops->read(fx->s, f, out, 64, tib - 63), 64);
	assert_true(all_zero(out, 63));
	assert_int_equal(out[63], 'x');
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 0, SEEK_DATA),
			 (off_t)(tib / 2));
	assert_int_equal(fx->s->ops->lseek(fx->s, f, tib / 2, SEEK_HOLE),
			 (off_t)(tib / 2 + 4096));
	assert_int_equal(fx->s->ops->lseek(fx->s, f, tib / 2 + 4096,
					   SEEK_DATA), (off_t)tib);
	/* The limit of off_t. */
	assert_int_equal(fx->s->ops->write(fx->s, f, "z", 1, INT64_MAX),
			 -EFBIG);
	fx->s->ops->release(fx->s, f);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "tib"), 0);
	store_put(n);
	assert_int_equal(used(fx), 0);
}

static void test_truncate(void **state)
{
	struct fix *fx = *state;
	struct stat in = { 0 }, st;
	struct store_file *f;
	struct snode *n;
	char buf[200000], out[200000];

	f = create(fx, fx->root, "t", &n);
	fill_pattern(buf, sizeof(buf), 0);
	write_all(fx, f, buf, sizeof(buf), 0);

	in.st_size = 70000;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, f, &in, STORE_SET_SIZE,
					     &st), 0);
	assert_int_equal(st.st_size, 70000);
	assert_int_equal(used(fx), PAGES(70000));
	/* Growing makes a hole: it costs nothing. */
	in.st_size = 150000;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, NULL, &in,
					     STORE_SET_SIZE, &st), 0);
	assert_int_equal(st.st_size, 150000);
	assert_int_equal(st.st_blocks * 512, PAGES(70000));
	assert_int_equal(used(fx), PAGES(70000));
	assert_int_equal(fx->s->ops->read(fx->s, f, out, sizeof(out), 0),
			 150000);
	assert_true(check_pattern(out, 70000, 0));
	assert_true(all_zero(out + 70000, 80000));

	in.st_size = -1;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, NULL, &in,
					     STORE_SET_SIZE, &st), -EINVAL);
	in.st_size = 0;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, NULL, &in,
					     STORE_SET_SIZE, &st), 0);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(used(fx), 0);
	/* Truncating a directory. */
	in.st_size = 10;
	assert_int_equal(fx->s->ops->setattr(fx->s, fx->root, NULL, &in,
					     STORE_SET_SIZE, &st), -EISDIR);

	/* O_TRUNC on open. */
	write_all(fx, f, "hello", 5, 0);
	fx->s->ops->release(fx->s, f);
	assert_int_equal(fx->s->ops->open(fx->s, n, O_RDWR | O_TRUNC, &f), 0);
	assert_int_equal(getattr(fx, n).st_size, 0);
	fx->s->ops->release(fx->s, f);
	store_put(n);
}

static void test_fallocate(void **state)
{
	struct fix *fx = *state;
	struct store_file *f;
	struct snode *n;
	char buf[300000], out[300000];
	struct stat st;

	f = create(fx, fx->root, "fa", &n);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, 0, 0, 100000), 0);
	st = getattr(fx, n);
	assert_int_equal(st.st_size, 100000);
	assert_int_equal(st.st_blocks * 512, PAGES(100000));
	assert_int_equal(used(fx), PAGES(100000));

	/*
	 * KEEP_SIZE does not grow the file, but allocates the pages past its
	 * end: they count.
	 */
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, FALLOC_FL_KEEP_SIZE,
					       50000, 200000), 0);
	st = getattr(fx, n);
	assert_int_equal(st.st_size, 100000);
	assert_int_equal(st.st_blocks * 512, PAGES(250000));
	assert_int_equal(used(fx), PAGES(250000));

	/* Writing into allocated pages costs nothing more; past them, more. */
	fill_pattern(buf, sizeof(buf), 0);
	write_all(fx, f, buf, sizeof(buf), 0);
	assert_int_equal(used(fx), PAGES(300000));

	/* Punch a hole across chunks. */
	assert_int_equal(fx->s->ops->fallocate(fx->s, f,
					       FALLOC_FL_PUNCH_HOLE |
					       FALLOC_FL_KEEP_SIZE,
					       1000, 200000), 0);
	st = getattr(fx, n);
	assert_int_equal(st.st_size, 300000);
	/* Pages 1 to 48 go; the partial ones at the edges are zeroed. */
	assert_int_equal(st.st_blocks * 512, PAGES(300000) - 48 * 4096);
	assert_int_equal(used(fx), PAGES(300000) - 48 * 4096);
	assert_int_equal(fx->s->ops->read(fx->s, f, out, sizeof(out), 0),
			 300000);
	assert_true(check_pattern(out, 1000, 0));
	assert_true(all_zero(out + 1000, 200000));
	assert_true(check_pattern(out + 201000, 99000, 201000));
	/* Punching past the end changes nothing. */
	assert_int_equal(fx->s->ops->fallocate(fx->s, f,
					       FALLOC_FL_PUNCH_HOLE |
					       FALLOC_FL_KEEP_SIZE,
					       400000, 1000), 0);
	assert_int_equal(getattr(fx, n).st_size, 300000);

	assert_int_equal(fx->s->ops->fallocate(fx->s, f, FALLOC_FL_PUNCH_HOLE,
					       0, 10), -EOPNOTSUPP);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f,
					       FALLOC_FL_COLLAPSE_RANGE,
					       0, 65536), -EOPNOTSUPP);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, FALLOC_FL_ZERO_RANGE,
					       0, 10), -EOPNOTSUPP);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, 0, 0, 0), -EINVAL);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, 0, -1, 10), -EINVAL);
	fx->s->ops->release(fx->s, f);
	store_put(n);
}

static void test_seek(void **state)
{
	struct fix *fx = *state;
	const uint64_t c = 65536;
	struct store_file *f;
	char buf[100];

	memset(buf, 1, sizeof(buf));
	f = create(fx, fx->root, "seek", NULL);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 0, SEEK_DATA), -ENXIO);
	write_all(fx, f, buf, 100, 3 * c + 10);
	write_all(fx, f, buf, 100, 10 * c);
	/* size is 10c + 100 */
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 0, SEEK_DATA), 3 * c);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 0, SEEK_HOLE), 0);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 3 * c + 5, SEEK_DATA),
			 3 * c + 5);
	/* A held page is data as a whole. */
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 3 * c + 5, SEEK_HOLE),
			 3 * c + 4096);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 3 * c + 300, SEEK_DATA),
			 3 * c + 300);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 3 * c + 4096, SEEK_DATA),
			 10 * c);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 10 * c, SEEK_HOLE),
			 10 * c + 100);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 10 * c + 100, SEEK_DATA),
			 -ENXIO);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 10 * c + 100, SEEK_HOLE),
			 -ENXIO);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 0, SEEK_END), -EINVAL);

	/* Full chunks: the hole is at the end of the file. */
	{
		char *big = calloc(1, 3 * c);

		assert_non_null(big);
		memset(big, 2, 3 * c);
		write_all(fx, f, big, 3 * c, 20 * c);
		free(big);
	}
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 20 * c + 1, SEEK_HOLE),
			 23 * c);
	assert_int_equal(fx->s->ops->lseek(fx->s, f, 11 * c, SEEK_DATA),
			 20 * c);
	fx->s->ops->release(fx->s, f);
}

/* ---- directories and names ---- */

static void test_mkdir_rmdir(void **state)
{
	struct fix *fx = *state;
	struct snode *d, *sub, *n, *x;
	struct stat st;

	d = mkdir_(fx, fx->root, "d");
	assert_int_equal(getattr(fx, fx->root).st_nlink, 3);
	assert_int_equal(getattr(fx, d).st_nlink, 2);
	sub = mkdir_(fx, d, "sub");
	assert_int_equal(getattr(fx, d).st_nlink, 3);
	touch(fx, d, "file");
	assert_int_equal(getattr(fx, d).st_nlink, 3);

	assert_int_equal(fx->s->ops->mkdir(fx->s, fx->root, "d", 0755, &user,
					   &n, &st), -EEXIST);
	assert_int_equal(fx->s->ops->rmdir(fx->s, fx->root, "d"), -ENOTEMPTY);
	assert_int_equal(fx->s->ops->rmdir(fx->s, d, "file"), -ENOTDIR);
	assert_int_equal(fx->s->ops->unlink(fx->s, d, "sub"), -EISDIR);
	assert_int_equal(fx->s->ops->rmdir(fx->s, d, "nope"), -ENOENT);
	assert_int_equal(lookup(fx, d, "nope", NULL), -ENOENT);
	assert_int_equal(fx->s->ops->lookup(fx->s, d, "file", &n, &st), 0);
	assert_int_equal(lookup(fx, n, "x", NULL), -ENOTDIR);
	assert_int_equal(fx->s->ops->mkdir(fx->s, n, "x", 0755, &user, &x,
					   &st), -ENOTDIR);
	store_put(n);

	assert_int_equal(fx->s->ops->unlink(fx->s, d, "file"), 0);
	assert_int_equal(fx->s->ops->rmdir(fx->s, d, "sub"), 0);
	assert_int_equal(getattr(fx, d).st_nlink, 2);
	/* The removed dir lives on while referenced, taking no new names. */
	st = getattr(fx, sub);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(fx->s->ops->mkdir(fx->s, sub, "x", 0755, &user, &n,
					   &st), -ENOENT);
	store_put(sub);
	assert_int_equal(fx->s->ops->rmdir(fx->s, fx->root, "d"), 0);
	assert_int_equal(getattr(fx, fx->root).st_nlink, 2);
	store_put(d);
}

static void test_rename(void **state)
{
	struct fix *fx = *state;
	struct snode *a, *b, *sub, *n;
	struct stat st, st2;
	uint64_t ino;

	a = mkdir_(fx, fx->root, "a");
	b = mkdir_(fx, fx->root, "b");
	touch(fx, a, "f");
	assert_int_equal(lookup(fx, a, "f", &st), 0);
	ino = st.st_ino;

	/* Plain, within and across directories. */
	assert_int_equal(fx->s->ops->rename(fx->s, a, "f", a, "g", 0), 0);
	assert_int_equal(lookup(fx, a, "f", NULL), -ENOENT);
	assert_int_equal(fx->s->ops->rename(fx->s, a, "g", b, "g", 0), 0);
	assert_int_equal(lookup(fx, b, "g", &st), 0);
	assert_int_equal(st.st_ino, ino);
	assert_int_equal(fx->s->ops->rename(fx->s, a, "g", b, "h", 0),
			 -ENOENT);

	/* Overwrite a file: the victim goes, its charge too. */
	{
		struct store_file *f = create(fx, b, "victim", NULL);

		write_all(fx, f, "12345", 5, 0);
		fx->s->ops->release(fx->s, f);
	}
	assert_int_equal(used(fx), 4096);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "g", b, "victim", 0), 0);
	assert_int_equal(lookup(fx, b, "victim", &st), 0);
	assert_int_equal(st.st_ino, ino);
	assert_int_equal(lookup(fx, b, "g", NULL), -ENOENT);
	assert_int_equal(used(fx), 0);

	/* NOREPLACE. */
	touch(fx, b, "other");
	assert_int_equal(fx->s->ops->rename(fx->s, b, "other", b, "victim",
					    RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "other", b, "new",
					    RENAME_NOREPLACE), 0);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "new", b, "other",
					    RENAME_NOREPLACE), 0);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "other", b, "victim",
					    RENAME_NOREPLACE |
					    RENAME_EXCHANGE), -EINVAL);

	/* Directories: type checks and nlink bookkeeping. */
	sub = mkdir_(fx, a, "sub");
	assert_int_equal(fx->s->ops->rename(fx->s, a, "sub", b, "victim", 0),
			 -ENOTDIR);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "victim", a, "sub", 0),
			 -EISDIR);
	store_put(mkdir_(fx, b, "empty"));
	store_put(mkdir_(fx, b, "full"));
	touch(fx, sub, "inside");
	assert_int_equal(fx->s->ops->lookup(fx->s, b, "full", &n, &st), 0);
	touch(fx, n, "x");
	store_put(n);
	assert_int_equal(fx->s->ops->rename(fx->s, a, "sub", b, "full", 0),
			 -ENOTEMPTY);
	assert_int_equal(getattr(fx, a).st_nlink, 3);
	assert_int_equal(getattr(fx, b).st_nlink, 4);
	assert_int_equal(fx->s->ops->rename(fx->s, a, "sub", b, "empty", 0),
			 0);
	assert_int_equal(getattr(fx, a).st_nlink, 2);
	assert_int_equal(getattr(fx, b).st_nlink, 4);
	assert_int_equal(lookup(fx, b, "empty", &st), 0);
	assert_int_equal(st.st_ino, getattr(fx, sub).st_ino);
	assert_int_equal(lookup(fx, sub, "inside", NULL), 0);

	/* Into its own subtree. */
	store_put(mkdir_(fx, sub, "deep"));
	assert_int_equal(fx->s->ops->lookup(fx->s, sub, "deep", &n, &st), 0);
	assert_int_equal(fx->s->ops->rename(fx->s, fx->root, "b", n, "b", 0),
			 -EINVAL);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "empty", sub, "x", 0),
			 -EINVAL);
	assert_int_equal(fx->s->ops->rename(fx->s, fx->root, "b", b, "b2", 0),
			 -EINVAL);
	store_put(n);
	/* Onto its ancestor: the ancestor is not empty. */
	assert_int_equal(fx->s->ops->rename(fx->s, sub, "deep", fx->root, "b",
					    0), -ENOTEMPTY);
	/* Same name, and hard links to one file: nothing happens. */
	assert_int_equal(fx->s->ops->rename(fx->s, b, "empty", b, "empty", 0),
			 0);
	assert_int_equal(fx->s->ops->lookup(fx->s, b, "other", &n, &st), 0);
	assert_int_equal(fx->s->ops->link(fx->s, n, b, "other2", &n, &st), 0);
	store_put(n);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "other", b, "other2", 0),
			 0);
	assert_int_equal(lookup(fx, b, "other", NULL), 0);
	assert_int_equal(getattr(fx, n).st_nlink, 2);
	store_put(n);

	/* Parent times move. */
	st = getattr(fx, a);
	assert_int_equal(fx->s->ops->rename(fx->s, b, "other2", a, "o", 0), 0);
	st2 = getattr(fx, a);
	assert_true(st2.st_mtim.tv_sec > st.st_mtim.tv_sec ||
		    (st2.st_mtim.tv_sec == st.st_mtim.tv_sec &&
		     st2.st_mtim.tv_nsec >= st.st_mtim.tv_nsec));
	assert_int_equal(fx->s->ops->rename(fx->s, a, "o", a, "o", 7), -EINVAL);

	store_put(sub);
	store_put(a);
	store_put(b);
}

static void test_rename_exchange(void **state)
{
	struct fix *fx = *state;
	struct snode *a, *b, *d, *n;
	struct stat st;
	uint64_t ia, ib;

	a = mkdir_(fx, fx->root, "a");
	b = mkdir_(fx, fx->root, "b");
	touch(fx, a, "f");
	d = mkdir_(fx, b, "d");
	assert_int_equal(lookup(fx, a, "f", &st), 0);
	ia = st.st_ino;
	ib = getattr(fx, d).st_ino;

	assert_int_equal(fx->s->ops->rename(fx->s, a, "f", b, "nope",
					    RENAME_EXCHANGE), -ENOENT);
	assert_int_equal(fx->s->ops->rename(fx->s, a, "f", b, "d",
					    RENAME_EXCHANGE), 0);
	assert_int_equal(lookup(fx, a, "f", &st), 0);
	assert_int_equal(st.st_ino, ib);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(lookup(fx, b, "d", &st), 0);
	assert_int_equal(st.st_ino, ia);
	/* The directory moved from b to a. */
	assert_int_equal(getattr(fx, a).st_nlink, 3);
	assert_int_equal(getattr(fx, b).st_nlink, 2);

	/* Exchanging a directory with something inside it. */
	assert_int_equal(fx->s->ops->lookup(fx->s, a, "f", &n, &st), 0);
	touch(fx, n, "in");
	assert_int_equal(fx->s->ops->rename(fx->s, a, "f", n, "in",
					    RENAME_EXCHANGE), -EINVAL);
	assert_int_equal(fx->s->ops->rename(fx->s, n, "in", a, "f",
					    RENAME_EXCHANGE), -EINVAL);
	/* Two directories swap within one parent; a's count holds. */
	store_put(mkdir_(fx, a, "g"));
	assert_int_equal(fx->s->ops->rename(fx->s, a, "f", a, "g",
					    RENAME_EXCHANGE), 0);
	assert_int_equal(getattr(fx, a).st_nlink, 4);
	assert_int_equal(lookup(fx, a, "g", &st), 0);
	assert_int_equal(st.st_ino, ib);
	store_put(n);
	store_put(d);
	store_put(a);
	store_put(b);
}

static void test_hardlinks(void **state)
{
	struct fix *fx = *state;
	struct snode *n, *n2, *d;
	struct stat st;

	touch(fx, fx->root, "f");
	d = mkdir_(fx, fx->root, "d");
	assert_int_equal(fx->s->ops->lookup(fx->s, fx->root, "f", &n, &st), 0);
	assert_int_equal(fx->s->ops->link(fx->s, n, d, "f2", &n2, &st), 0);
	assert_ptr_equal(n, n2);
	assert_int_equal(st.st_nlink, 2);
	store_put(n2);
	assert_int_equal(fx->s->ops->link(fx->s, n, d, "f3", &n2, &st), 0);
	store_put(n2);
	assert_int_equal(getattr(fx, n).st_nlink, 3);
	assert_int_equal(fx->s->ops->link(fx->s, n, d, "f3", &n2, &st),
			 -EEXIST);
	assert_int_equal(fx->s->ops->link(fx->s, d, fx->root, "dd", &n2, &st),
			 -EPERM);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "f"), 0);
	assert_int_equal(getattr(fx, n).st_nlink, 2);
	assert_int_equal(lookup(fx, d, "f2", &st), 0);
	assert_int_equal(st.st_ino, getattr(fx, n).st_ino);
	assert_int_equal(fx->s->ops->unlink(fx->s, d, "f2"), 0);
	assert_int_equal(fx->s->ops->unlink(fx->s, d, "f3"), 0);
	assert_int_equal(getattr(fx, n).st_nlink, 0);
	/* No new name for a file that has none left. */
	assert_int_equal(fx->s->ops->link(fx->s, n, d, "back", &n2, &st),
			 -ENOENT);
	store_put(n);
	store_put(d);
}

static void test_symlink(void **state)
{
	struct fix *fx = *state;
	struct snode *n;
	struct stat st;
	char buf[64];

	assert_int_equal(fx->s->ops->symlink(fx->s, fx->root, "l",
					     "../target/x", &user, &n, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_size, 11);
	assert_int_equal(used(fx), 11);
	assert_int_equal(fx->s->ops->readlink(fx->s, n, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "../target/x");
	memset(buf, 'q', sizeof(buf));
	assert_int_equal(fx->s->ops->readlink(fx->s, n, buf, 4), 11);
	assert_memory_equal(buf, "../tq", 5);
	store_put(n);
	assert_int_equal(fx->s->ops->symlink(fx->s, fx->root, "e", "", &user,
					     &n, &st), -ENOENT);
	assert_int_equal(fx->s->ops->symlink(fx->s, fx->root, "l", "x", &user,
					     &n, &st), -EEXIST);
	assert_int_equal(used(fx), 11);
	assert_int_equal(fx->s->ops->readlink(fx->s, fx->root, buf, 64),
			 -EINVAL);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "l"), 0);
	assert_int_equal(used(fx), 0);
}

static void test_unlink_open(void **state)
{
	struct fix *fx = *state;
	struct store_file *f, *f2;
	struct snode *n;
	char out[6];

	f = create(fx, fx->root, "f", &n);
	write_all(fx, f, "hello", 5, 0);
	assert_int_equal(fx->s->ops->open(fx->s, n, O_RDONLY, &f2), 0);
	store_put(n);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "f"), 0);
	assert_int_equal(lookup(fx, fx->root, "f", NULL), -ENOENT);
	assert_int_equal(used(fx), 4096);
	assert_int_equal(fx->s->ops->read(fx->s, f2, out, 6, 0), 5);
	assert_memory_equal(out, "hello", 5);
	write_all(fx, f, "!", 1, 5);
	assert_int_equal(getattr(fx, f->node).st_nlink, 0);
	fx->s->ops->release(fx->s, f);
	assert_int_equal(used(fx), 4096);
	assert_int_equal(fx->s->ops->read(fx->s, f2, out, 6, 0), 6);
	assert_memory_equal(out, "hello!", 6);
	/* A new file under the old name is a new node. */
	touch(fx, fx->root, "f");
	fx->s->ops->release(fx->s, f2);
	assert_int_equal(used(fx), 0);
}

static void test_xattrs(void **state)
{
	struct fix *fx = *state;
	struct snode *n;
	char buf[64];
	struct stat st;

	touch(fx, fx->root, "x");
	assert_int_equal(fx->s->ops->lookup(fx->s, fx->root, "x", &n, &st), 0);
	assert_int_equal(fx->s->ops->setxattr(fx->s, n, "user.a", "one", 3,
					      XATTR_REPLACE), -ENODATA);
	assert_int_equal(fx->s->ops->setxattr(fx->s, n, "user.a", "one", 3,
					      XATTR_CREATE), 0);
	assert_int_equal(used(fx), 6 + 3);
	assert_int_equal(fx->s->ops->setxattr(fx->s, n, "user.a", "two", 3,
					      XATTR_CREATE), -EEXIST);
	assert_int_equal(fx->s->ops->setxattr(fx->s, n, "user.a", "three", 5,
					      XATTR_REPLACE), 0);
	assert_int_equal(used(fx), 6 + 5);
	assert_int_equal(fx->s->ops->setxattr(fx->s, n, "user.b", "", 0, 0), 0);
	assert_int_equal(used(fx), 6 + 5 + 6);

	assert_int_equal(fx->s->ops->getxattr(fx->s, n, "user.a", NULL, 0), 5);
	assert_int_equal(fx->s->ops->getxattr(fx->s, n, "user.a", buf, 2),
			 -ERANGE);
	assert_int_equal(fx->s->ops->getxattr(fx->s, n, "user.a", buf, 64), 5);
	assert_memory_equal(buf, "three", 5);
	assert_int_equal(fx->s->ops->getxattr(fx->s, n, "user.b", buf, 64), 0);
	assert_int_equal(fx->s->ops->getxattr(fx->s, n, "user.c", buf, 64),
			 -ENODATA);

	assert_int_equal(fx->s->ops->listxattr(fx->s, n, NULL, 0), 14);
	assert_int_equal(fx->s->ops->listxattr(fx->s, n, buf, 5), -ERANGE);
	assert_int_equal(fx->s->ops->listxattr(fx->s, n, buf, 64), 14);
	assert_true((!memcmp(buf, "user.a\0user.b\0", 14)) ||
		    (!memcmp(buf, "user.b\0user.a\0", 14)));

	assert_int_equal(fx->s->ops->removexattr(fx->s, n, "user.c"),
			 -ENODATA);
	assert_int_equal(fx->s->ops->removexattr(fx->s, n, "user.a"), 0);
	assert_int_equal(used(fx), 6);
	assert_int_equal(fx->s->ops->listxattr(fx->s, n, buf, 64), 7);
	assert_string_equal(buf, "user.b");
	assert_int_equal(fx->s->ops->getxattr(fx->s, n, "user.a", buf, 64),
			 -ENODATA);
	/* Xattrs on a directory; the charge goes when the node does. */
	assert_int_equal(fx->s->ops->setxattr(fx->s, fx->root, "user.d", "v",
					      1, 0), 0);
	assert_int_equal(fx->s->ops->removexattr(fx->s, fx->root, "user.d"), 0);
	store_put(n);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "x"), 0);
	assert_int_equal(used(fx), 0);
}

/* ---- readdir ---- */

struct listing {
	struct fix *fx;
	unsigned char *seen;		/* per index of "f%06d" names */
	size_t nseen;
	size_t taken;			/* this call */
	size_t room;			/* entries a call takes */
	off_t last;
	size_t others;			/* names not in the f%06d set */
	size_t dup_below;		/* indexes below this never repeat */
	bool dup;
	bool plus;
};

static int collect(void *ctx, const char *name, const struct stat *st,
		   off_t off, struct snode *node)
{
	struct listing *l = ctx;
	unsigned int i;

	if (l->taken == l->room) {
		store_put(node);
		return 1;
	}
	assert_true(off > l->last);
	assert_true(st->st_ino >= 2);
	if (l->plus) {
		assert_non_null(node);
		assert_int_equal(node->ino, st->st_ino);
		assert_true(st->st_nlink >= 1);
		store_put(node);
	} else {
		assert_null(node);
	}
	l->last = off;
	l->taken++;
	if (sscanf(name, "f%06u", &i) == 1 && i < l->nseen) {
		if (l->seen[i] && i < l->dup_below)
			l->dup = true;
		l->seen[i] = 1;
	} else {
		l->others++;
	}
	return 0;
}

/* One readdir call from @l->last; returns the entries it took. */
static size_t list_step(struct fix *fx, struct store_file *d,
			struct listing *l)
{
	l->taken = 0;
	assert_int_equal(fx->s->ops->readdir(fx->s, d, l->last, l->plus,
					     collect, l), 0);
	return l->taken;
}

static void make_names(struct fix *fx, struct snode *dir, size_t n)
{
	char name[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%06zu", i);
		touch(fx, dir, name);
	}
}

static void test_readdir_large(void **state)
{
	struct fix *fx = *state;
	const size_t n = 25000;
	struct listing l = { .fx = fx, .nseen = n, .dup_below = n,
			     .room = 97 };
	struct store_file *d;
	struct snode *dir;
	size_t i, calls = 0;
	off_t mid = 0;

	l.seen = calloc(n, 1);
	assert_non_null(l.seen);
	dir = mkdir_(fx, fx->root, "big");
	make_names(fx, dir, n);
	assert_int_equal(lookup(fx, dir, "f012345", NULL), 0);
	assert_int_equal(fx->s->ops->opendir(fx->s, dir, &d), 0);
	assert_int_equal(d->fd, -1);
	while (list_step(fx, d, &l)) {
		if (++calls == 100)
			mid = l.last;
	}
	assert_false(l.dup);
	assert_int_equal(l.others, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(l.seen[i], 1);

	/* Resuming at an old cookie gives the rest, in plus mode too. */
	memset(l.seen, 0, n);
	l.last = mid;
	l.plus = true;
	l.room = 1000;
	while (list_step(fx, d, &l))
		;
	for (i = 0; i < n; i++)
		assert_int_equal(l.seen[i], i >= 9700);
	fx->s->ops->releasedir(fx->s, d);
	assert_int_equal(fx->s->ops->opendir(fx->s, fx->root, &d), 0);
	assert_int_equal(fx->s->ops->fsyncdir(fx->s, d, true), 0);
	fx->s->ops->releasedir(fx->s, d);

	for (i = 0; i < n; i += 2) {
		char name[32];

		snprintf(name, sizeof(name), "f%06zu", i);
		assert_int_equal(fx->s->ops->unlink(fx->s, dir, name), 0);
	}
	assert_int_equal(fx->s->ops->rmdir(fx->s, fx->root, "big"),
			 -ENOTEMPTY);
	store_put(dir);
	free(l.seen);
}

/*
 * During a listing, entries not yet seen and entries already seen go away
 * and new ones arrive: none shows twice, every one that stays shows.
 */
static void test_readdir_changes(void **state)
{
	struct fix *fx = *state;
	const size_t n = 6000;
	struct listing l = { .fx = fx, .nseen = n, .dup_below = n,
			     .room = 50 };
	unsigned char *gone = calloc(n, 1);
	struct store_file *d;
	struct snode *dir;
	size_t i, round = 0, added = 0;
	char name[32];

	l.seen = calloc(n, 1);
	assert_non_null(l.seen);
	assert_non_null(gone);
	dir = mkdir_(fx, fx->root, "dir");
	make_names(fx, dir, n);
	assert_int_equal(fx->s->ops->opendir(fx->s, dir, &d), 0);
	while (list_step(fx, d, &l)) {
		round++;
		/* Remove a spread of names, seen or not. */
		for (i = round * 7 % 13; i < n; i += 37 + round % 5) {
			if (gone[i])
				continue;
			snprintf(name, sizeof(name), "f%06zu", i);
			assert_int_equal(fx->s->ops->unlink(fx->s, dir, name),
					 0);
			gone[i] = 1;
		}
		if (round < 50) {
			snprintf(name, sizeof(name), "new%zu", added++);
			touch(fx, dir, name);
		}
	}
	assert_false(l.dup);
	for (i = 0; i < n; i++) {
		if (!gone[i])
			assert_int_equal(l.seen[i], 1);
	}
	/* Entries added during the listing came after the cursor. */
	assert_int_equal(l.others, added);
	fx->s->ops->releasedir(fx->s, d);
	store_put(dir);
	free(gone);
	free(l.seen);
}

struct churn {
	struct fix *fx;
	struct snode *dir;
	size_t n;
	bool stop;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	unsigned int seed = 1;
	char name[32];
	struct stat st;
	struct snode *n;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		/* Churn only names above n/2; the lower half stays. */
		size_t i = c->n / 2 + rand_r(&seed) % (c->n / 2);

		snprintf(name, sizeof(name), "f%06zu", i);
		if (c->fx->s->ops->unlink(c->fx->s, c->dir, name) == -ENOENT &&
		    !c->fx->s->ops->mknod(c->fx->s, c->dir, name,
					  S_IFREG | 0600, 0, &user, &n, &st))
			store_put(n);
	}
	return NULL;
}

static void test_readdir_concurrent(void **state)
{
	struct fix *fx = *state;
	const size_t n = 4000;
	struct churn c = { .fx = fx, .n = n };
	struct listing l = { .fx = fx, .nseen = n, .dup_below = n / 2,
			     .room = 64 };
	struct store_file *d;
	pthread_t th;
	size_t i;
	int pass;

	l.seen = calloc(n, 1);
	assert_non_null(l.seen);
	c.dir = mkdir_(fx, fx->root, "dir");
	make_names(fx, c.dir, n);
	assert_int_equal(pthread_create(&th, NULL, churn_thread, &c), 0);
	for (pass = 0; pass < 20; pass++) {
		memset(l.seen, 0, n);
		l.last = 0;
		l.dup = false;
		l.plus = pass & 1;
		assert_int_equal(fx->s->ops->opendir(fx->s, c.dir, &d), 0);
		while (list_step(fx, d, &l))
			;
		fx->s->ops->releasedir(fx->s, d);
		assert_false(l.dup);
		for (i = 0; i < n / 2; i++)
			assert_int_equal(l.seen[i], 1);
	}
	__atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	store_put(c.dir);
	free(l.seen);
}

/* ---- the limit ---- */

/* A KEEP_SIZE reservation is kept for its file: writes into it never fail. */
static void test_limit_reservation(void **state)
{
	struct fix *fx = *state;
	struct stat in = { 0 }, st;
	struct store_file *f, *g;
	struct snode *n, *m;
	char *buf = calloc(1, MiB);

	assert_non_null(buf);
	f = create(fx, fx->root, "reserved", &n);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, FALLOC_FL_KEEP_SIZE,
					       0, 10 * MiB), 0);
	assert_int_equal(getattr(fx, n).st_size, 0);
	assert_int_equal(used(fx), 10 * MiB);
	g = create(fx, fx->root, "other", &m);
	assert_int_equal(fx->s->ops->write(fx->s, g, "x", 1, 0), -ENOSPC);
	for (uint64_t off = 0; off < 10 * MiB; off += MiB)
		write_all(fx, f, buf, MiB, off);
	assert_int_equal(used(fx), 10 * MiB);
	/* Truncating drops what was preallocated past the new end. */
	in.st_size = 0;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, f, &in, STORE_SET_SIZE,
					     &st), 0);
	assert_int_equal(used(fx), 0);
	write_all(fx, g, "x", 1, 0);
	fx->s->ops->release(fx->s, g);
	fx->s->ops->release(fx->s, f);
	store_put(m);
	store_put(n);
	free(buf);
}

static void test_limit(void **state)
{
	struct fix *fx = *state;
	const size_t chunk = MiB;
	struct stat in = { 0 }, st;
	struct store_file *f;
	struct snode *n, *l;
	struct statvfs sv;
	char *buf = malloc(chunk), *out = malloc(chunk);
	uint64_t off;

	assert_non_null(buf);
	assert_non_null(out);
	assert_int_equal(fx->s->limit, 10 * MiB);
	f = create(fx, fx->root, "full", &n);
	for (off = 0; off < 10 * MiB; off += chunk) {
		fill_pattern(buf, chunk, off);
		write_all(fx, f, buf, chunk, off);
	}
	assert_int_equal(used(fx), 10485760);
	assert_int_equal(fx->s->ops->statfs(fx->s, fx->root, &sv), 0);
	assert_int_equal(sv.f_blocks, 2560);
	assert_int_equal(sv.f_bfree, 0);

	/*
	 * One more page fails; a write straddling the end is short, as on
	 * tmpfs: what fits in allocated pages is written.
	 */
	assert_int_equal(fx->s->ops->write(fx->s, f, "x", 1, 10 * MiB),
			 -ENOSPC);
	assert_int_equal(fx->s->ops->write(fx->s, f, "abcdef", 6,
					   10 * MiB - 5), 5);
	assert_int_equal(getattr(fx, n).st_size, 10 * MiB);
	assert_int_equal(fx->s->ops->write(fx->s, f, "x", 1, 20 * MiB),
			 -ENOSPC);
	/* Growing the size makes a hole, which costs nothing. */
	in.st_size = 1024 * 1024 * MiB;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, f, &in, STORE_SET_SIZE,
					     &st), 0);
	assert_int_equal(used(fx), 10 * MiB);
	in.st_size = 10 * MiB;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, f, &in, STORE_SET_SIZE,
					     &st), 0);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, 0, 10 * MiB - 1, 2),
			 -ENOSPC);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, FALLOC_FL_KEEP_SIZE,
					       10 * MiB - 1, 2), -ENOSPC);
	assert_int_equal(fx->s->ops->symlink(fx->s, fx->root, "l", "t", &user,
					     &l, &st), -ENOSPC);
	assert_int_equal(lookup(fx, fx->root, "l", NULL), -ENOENT);
	assert_int_equal(fx->s->ops->setxattr(fx->s, n, "user.x", "", 0, 0),
			 -ENOSPC);
	/* Overwriting inside the file costs nothing. */
	write_all(fx, f, "Z", 1, 10 * MiB - 1);
	assert_int_equal(getattr(fx, n).st_size, 10 * MiB);
	for (off = 0; off < 10 * MiB; off += chunk) {
		assert_int_equal(fx->s->ops->read(fx->s, f, out, chunk, off),
				 chunk);
		if (off + chunk < 10 * MiB)
			assert_true(check_pattern(out, chunk, off));
		else
			assert_true(check_pattern(out, chunk - 5, off));
	}
	assert_int_equal(used(fx), 10 * MiB);

	/* Freeing a page makes room again, to the byte. */
	in.st_size = 10 * MiB - 4096;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, f, &in, STORE_SET_SIZE,
					     &st), 0);
	assert_int_equal(used(fx), 10 * MiB - 4096);
	assert_int_equal(fx->s->ops->symlink(fx->s, fx->root, "l",
					     "0123456789", &user, &l, &st), 0);
	store_put(l);
	assert_int_equal(used(fx), 10 * MiB - 4096 + 10);
	/* The page no longer fits: the write stops where it begins. */
	assert_int_equal(fx->s->ops->write(fx->s, f, buf, 4106,
					   10 * MiB - 4106), 10);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "l"), 0);
	write_all(fx, f, buf, 4096, 10 * MiB - 4096);
	assert_int_equal(used(fx), 10 * MiB);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "full"), 0);
	/* Still open: still charged. */
	assert_int_equal(used(fx), 10 * MiB);
	fx->s->ops->release(fx->s, f);
	assert_int_equal(used(fx), 10 * MiB);
	store_put(n);
	assert_int_equal(used(fx), 0);

	f = create(fx, fx->root, "again", NULL);
	assert_int_equal(fx->s->ops->fallocate(fx->s, f, 0, 0, 10 * MiB), 0);
	assert_int_equal(used(fx), 10 * MiB);
	fx->s->ops->release(fx->s, f);
	assert_int_equal(fx->s->ops->unlink(fx->s, fx->root, "again"), 0);
	assert_int_equal(used(fx), 0);
	free(buf);
	free(out);
}

/* ---- ownership and attributes ---- */

static void test_setgid(void **state)
{
	struct fix *fx = *state;
	struct stat in = { 0 }, st;
	struct snode *d, *sub, *n;
	struct store_file *f;

	d = mkdir_(fx, fx->root, "shared");
	in.st_mode = 02775;
	in.st_gid = 555;
	assert_int_equal(fx->s->ops->setattr(fx->s, d, NULL, &in,
					     STORE_SET_MODE | STORE_SET_GID,
					     &st), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 02775);
	assert_int_equal(st.st_gid, 555);

	sub = mkdir_(fx, d, "sub");
	st = getattr(fx, sub);
	assert_int_equal(st.st_gid, 555);
	assert_int_equal(st.st_uid, 1000);
	assert_true(st.st_mode & S_ISGID);
	f = create(fx, sub, "file", &n);
	st = getattr(fx, n);
	assert_int_equal(st.st_gid, 555);
	assert_false(st.st_mode & S_ISGID);
	fx->s->ops->release(fx->s, f);
	store_put(n);
	assert_int_equal(fx->s->ops->symlink(fx->s, sub, "l", "x", &user, &n,
					     &st), 0);
	assert_int_equal(st.st_gid, 555);
	store_put(n);

	/* Without setgid, the creator's group. */
	store_put(mkdir_(fx, fx->root, "plain"));
	assert_int_equal(lookup(fx, fx->root, "plain", &st), 0);
	assert_int_equal(st.st_gid, 1000);
	assert_false(st.st_mode & S_ISGID);
	store_put(sub);
	store_put(d);
}

static void test_setattr(void **state)
{
	struct fix *fx = *state;
	struct stat in = { 0 }, st, before;
	struct snode *n;

	touch(fx, fx->root, "f");
	assert_int_equal(fx->s->ops->lookup(fx->s, fx->root, "f", &n, &before),
			 0);
	in.st_mode = S_IFDIR | 04711;
	in.st_uid = 7;
	in.st_gid = 8;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, NULL, &in,
					     STORE_SET_MODE | STORE_SET_UID |
					     STORE_SET_GID, &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 04711);
	assert_int_equal(st.st_uid, 7);
	assert_int_equal(st.st_gid, 8);
	assert_true(st.st_ctim.tv_sec > before.st_ctim.tv_sec ||
		    (st.st_ctim.tv_sec == before.st_ctim.tv_sec &&
		     st.st_ctim.tv_nsec >= before.st_ctim.tv_nsec));

	in.st_atim.tv_sec = 1000;
	in.st_atim.tv_nsec = 123456789;
	in.st_mtim.tv_sec = 2000;
	in.st_mtim.tv_nsec = 987654321;
	in.st_ctim.tv_sec = 3000;
	in.st_ctim.tv_nsec = 5;
	assert_int_equal(fx->s->ops->setattr(fx->s, n, NULL, &in,
					     STORE_SET_ATIME | STORE_SET_MTIME |
					     STORE_SET_CTIME, &st), 0);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 123456789);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 987654321);
	assert_int_equal(st.st_ctim.tv_sec, 3000);
	assert_int_equal(st.st_ctim.tv_nsec, 5);
	assert_int_equal(fx->s->ops->setattr(fx->s, n, NULL, &in,
					     STORE_SET_ATIME_NOW |
					     STORE_SET_MTIME_NOW, &st), 0);
	assert_true(st.st_atim.tv_sec > 1000000000);
	assert_true(st.st_mtim.tv_sec > 1000000000);
	assert_true(st.st_ctim.tv_sec > 1000000000);
	store_put(n);
}

static void test_create_excl(void **state)
{
	struct fix *fx = *state;
	struct store_file *f = NULL;
	struct snode *n = NULL, *n2 = NULL;
	struct stat st;

	f = create(fx, fx->root, "x", &n);
	write_all(fx, f, "data", 4, 0);
	fx->s->ops->release(fx->s, f);
	assert_int_equal(fx->s->ops->create(fx->s, fx->root, "x", 0600,
					    O_RDWR | O_EXCL, &user, &n2, &st,
					    &f), -EEXIST);
	/* Without O_EXCL the existing file opens; O_TRUNC empties it. */
	assert_int_equal(fx->s->ops->create(fx->s, fx->root, "x", 0600,
					    O_RDWR, &user, &n2, &st, &f), 0);
	assert_ptr_equal(n, n2);
	assert_int_equal(st.st_size, 4);
	fx->s->ops->release(fx->s, f);
	store_put(n2);
	assert_int_equal(fx->s->ops->create(fx->s, fx->root, "x", 0600,
					    O_RDWR | O_TRUNC, &user, &n2, &st,
					    &f), 0);
	assert_int_equal(st.st_size, 0);
	fx->s->ops->release(fx->s, f);
	store_put(n2);
	store_put(mkdir_(fx, fx->root, "d"));
	assert_int_equal(fx->s->ops->create(fx->s, fx->root, "d", 0600,
					    O_RDWR, &user, &n2, &st, &f),
			 -EISDIR);
	assert_int_equal(fx->s->ops->open(fx->s, fx->root, O_RDONLY, &f),
			 -EISDIR);
	assert_int_equal(fx->s->ops->opendir(fx->s, n, &f), -ENOTDIR);
	store_put(n);
}

static void test_mknod(void **state)
{
	struct fix *fx = *state;
	static const mode_t types[] = { S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK,
					0 };
	struct snode *n;
	struct stat st;
	char name[16];
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		assert_int_equal(fx->s->ops->mknod(fx->s, fx->root, name,
						   types[i] | 0640,
						   makedev(1, 3), &user, &n,
						   &st), 0);
		assert_int_equal(st.st_mode & S_IFMT,
				 types[i] ? types[i] : S_IFREG);
		assert_int_equal(st.st_mode & 07777, 0640);
		if (S_ISCHR(types[i]) || S_ISBLK(types[i]))
			assert_int_equal(st.st_rdev, makedev(1, 3));
		else
			assert_int_equal(st.st_rdev, 0);
		store_put(n);
	}
	assert_int_equal(fx->s->ops->mknod(fx->s, fx->root, "d",
					   S_IFDIR | 0755, 0, &user, &n, &st),
			 -EINVAL);
}

static void test_names(void **state)
{
	struct fix *fx = *state;
	char name[300];
	struct snode *n;
	struct stat st;

	memset(name, 'a', sizeof(name));
	name[255] = '\0';
	touch(fx, fx->root, name);
	assert_int_equal(lookup(fx, fx->root, name, NULL), 0);
	name[255] = 'a';
	name[256] = '\0';
	assert_int_equal(fx->s->ops->mknod(fx->s, fx->root, name,
					   S_IFREG | 0644, 0, &user, &n, &st),
			 -ENAMETOOLONG);
	assert_int_equal(lookup(fx, fx->root, name, NULL), -ENAMETOOLONG);
	assert_int_equal(fx->s->ops->mkdir(fx->s, fx->root, name, 0755, &user,
					   &n, &st), -ENAMETOOLONG);
	assert_int_equal(fx->s->ops->rename(fx->s, fx->root, "x", fx->root,
					    name, 0), -ENAMETOOLONG);
	assert_int_equal(fx->s->ops->symlink(fx->s, fx->root, name, "t", &user,
					     &n, &st), -ENAMETOOLONG);
}

static void test_inode_numbers(void **state)
{
	struct fix *fx = *state;
	uint64_t inos[200];
	struct stat st;
	char name[16];
	size_t i, j;

	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "i%zu", i);
		touch(fx, fx->root, name);
		assert_int_equal(lookup(fx, fx->root, name, &st), 0);
		inos[i] = st.st_ino;
		assert_true(inos[i] > 1);
		for (j = 0; j < i; j++)
			assert_true(inos[j] != inos[i]);
	}
	/* Stable across renames and lookups. */
	assert_int_equal(fx->s->ops->rename(fx->s, fx->root, "i5", fx->root,
					    "five", 0), 0);
	assert_int_equal(lookup(fx, fx->root, "five", &st), 0);
	assert_int_equal(st.st_ino, inos[5]);
}

/* Nodes still referenced when the store goes are freed by destroy(). */
static void test_destroy_frees_all(void **state)
{
	struct fix *fx = *state;
	struct store *s = memory_store_new(0755, 0, 0, 0);
	struct snode *root, *d, *n;
	struct store_file *f;
	struct stat st;

	(void)fx;
	assert_non_null(s);
	s->ops->root(s, &root);
	assert_int_equal(s->ops->mkdir(s, root, "d", 0755, &user, &d, &st), 0);
	assert_int_equal(s->ops->create(s, d, "f", 0644, O_RDWR, &user, &n,
					&st, &f), 0);
	assert_int_equal(s->ops->write(s, f, "abc", 3, 70000), 3);
	assert_int_equal(s->ops->setxattr(s, n, "user.k", "v", 1, 0), 0);
	s->ops->release(s, f);
	assert_int_equal(s->ops->unlink(s, d, "f"), 0);
	/* n is an orphan now, kept by our reference; d and root too. */
	store_unref(s);
}

/* ---- threads ---- */

struct writer {
	struct fix *fx;
	struct store_file *f;
	uint64_t base;			/* where this writer's range starts */
	size_t len;
	unsigned int seed;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	char *buf = malloc(70000);
	size_t done = 0;

	if (!buf)
		return (void *)1;
	while (done < w->len) {
		size_t n = 1 + rand_r(&w->seed) % 70000;

		if (n > w->len - done)
			n = w->len - done;
		fill_pattern(buf, n, w->base + done);
		if (w->fx->s->ops->write(w->fx->s, w->f, buf, n,
					 w->base + done) != (ssize_t)n)
			break;
		if (w->fx->s->ops->read(w->fx->s, w->f, buf, n,
					w->base + done) != (ssize_t)n ||
		    !check_pattern(buf, n, w->base + done))
			break;
		done += n;
	}
	free(buf);
	return done == w->len ? NULL : (void *)1;
}

static void test_threads_writers(void **state)
{
	struct fix *fx = *state;
	enum { NT = 8 };
	const size_t len = 3 * MiB + 777;
	struct writer w[2 * NT];
	pthread_t th[2 * NT];
	struct store_file *shared;
	char *out = malloc(len);
	char name[16];
	void *ret;
	int i;

	assert_non_null(out);
	shared = create(fx, fx->root, "shared", NULL);
	for (i = 0; i < 2 * NT; i++) {
		w[i].fx = fx;
		w[i].seed = i + 1;
		w[i].len = len;
		if (i < NT) {
			snprintf(name, sizeof(name), "own%d", i);
			w[i].f = create(fx, fx->root, name, NULL);
			w[i].base = 0;
		} else {
			w[i].f = shared;
			w[i].base = (uint64_t)(i - NT) * len;
		}
		assert_int_equal(pthread_create(&th[i], NULL, writer_thread,
						&w[i]), 0);
	}
	for (i = 0; i < 2 * NT; i++) {
		pthread_join(th[i], &ret);
		assert_null(ret);
	}
	for (i = 0; i < 2 * NT; i++) {
		assert_int_equal(fx->s->ops->read(fx->s, w[i].f, out, len,
						  w[i].base), len);
		assert_true(check_pattern(out, len, w[i].base));
	}
	assert_int_equal(used(fx), NT * PAGES(len) + PAGES(NT * len));
	for (i = 0; i < NT; i++)
		fx->s->ops->release(fx->s, w[i].f);
	fx->s->ops->release(fx->s, shared);
	free(out);
}

struct renamer {
	struct fix *fx;
	struct snode *dirs[3];
	unsigned int seed;
	int errors;
};

/* Random renames, links and unlinks among a few names in three dirs. */
static void *renamer_thread(void *arg)
{
	struct renamer *r = arg;
	struct store *s = r->fx->s;
	int i;

	for (i = 0; i < 3000; i++) {
		struct snode *a = r->dirs[rand_r(&r->seed) % 3];
		struct snode *b = r->dirs[rand_r(&r->seed) % 3];
		char n1[8], n2[8];
		struct snode *n;
		struct stat st;
		int rc = 0;

		snprintf(n1, sizeof(n1), "n%u", rand_r(&r->seed) % 8);
		snprintf(n2, sizeof(n2), "n%u", rand_r(&r->seed) % 8);
		switch (rand_r(&r->seed) % 7) {
		case 0:
			rc = s->ops->mknod(s, a, n1, S_IFREG | 0644, 0, &user,
					   &n, &st);
			if (!rc)
				store_put(n);
			break;
		case 1:
			rc = s->ops->mkdir(s, a, n1, 0755, &user, &n, &st);
			if (!rc)
				store_put(n);
			break;
		case 2:
			rc = s->ops->rename(s, a, n1, b, n2, 0);
			break;
		case 3:
			rc = s->ops->rename(s, a, n1, b, n2, RENAME_EXCHANGE);
			break;
		case 4:
			rc = s->ops->lookup(s, a, n1, &n, &st);
			if (!rc) {
				rc = s->ops->link(s, n, b, n2, &n, &st);
				if (!rc)
					store_put(n);
				store_put(n);
			}
			break;
		case 5:
			rc = s->ops->unlink(s, a, n1);
			break;
		default:
			rc = s->ops->rmdir(s, a, n1);
			break;
		}
		if (rc && rc != -ENOENT && rc != -EEXIST && rc != -ENOTEMPTY &&
		    rc != -EISDIR && rc != -ENOTDIR && rc != -EPERM &&
		    rc != -EINVAL)
			r->errors++;
	}
	return NULL;
}

/* Checks nlink of every directory under @dir; returns the subdir count. */
static int check_tree(struct fix *fx, struct snode *dir, int depth);

struct tree_ctx {
	struct fix *fx;
	struct snode *dir;
	int depth;
	int subdirs;
	char names[64][8];
	int nnames;
};

static int tree_fill(void *ctx, const char *name, const struct stat *st,
		     off_t off, struct snode *node)
{
	struct tree_ctx *t = ctx;

	(void)off;
	(void)node;
	if (S_ISDIR(st->st_mode) && t->nnames < 64)
		snprintf(t->names[t->nnames++], 8, "%s", name);
	return 0;
}

static int check_tree(struct fix *fx, struct snode *dir, int depth)
{
	struct tree_ctx t = { .fx = fx, .dir = dir, .depth = depth };
	struct store_file *d;
	int i;

	assert_true(depth < 64);
	assert_int_equal(fx->s->ops->opendir(fx->s, dir, &d), 0);
	assert_int_equal(fx->s->ops->readdir(fx->s, d, 0, false, tree_fill,
					     &t), 0);
	fx->s->ops->releasedir(fx->s, d);
	for (i = 0; i < t.nnames; i++) {
		struct snode *sub;
		struct stat st;

		assert_int_equal(fx->s->ops->lookup(fx->s, dir, t.names[i],
						    &sub, &st), 0);
		assert_int_equal(st.st_nlink, 2 + check_tree(fx, sub,
							     depth + 1));
		store_put(sub);
	}
	return t.nnames;
}

static void test_threads_namespace(void **state)
{
	struct fix *fx = *state;
	enum { NT = 6 };
	struct renamer r[NT];
	pthread_t th[NT];
	struct snode *dirs[3];
	int i;

	dirs[0] = fx->root;
	dirs[1] = mkdir_(fx, fx->root, "x");
	dirs[2] = mkdir_(fx, fx->root, "y");
	for (i = 0; i < NT; i++) {
		r[i].fx = fx;
		memcpy(r[i].dirs, dirs, sizeof(dirs));
		r[i].seed = 100 + i;
		r[i].errors = 0;
		assert_int_equal(pthread_create(&th[i], NULL, renamer_thread,
						&r[i]), 0);
	}
	for (i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].errors, 0);
	}
	assert_int_equal(getattr(fx, fx->root).st_nlink,
			 2 + check_tree(fx, fx->root, 0));
	store_put(dirs[1]);
	store_put(dirs[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_write_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_across_chunks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_sparse, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallocate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_rmdir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_exchange, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hardlinks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlink_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_large, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_readdir_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_readdir_concurrent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limit_reservation,
						setup_limit, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup_limit,
						teardown),
		cmocka_unit_test_setup_teardown(test_setgid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setattr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_excl, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mknod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inode_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_destroy_frees_all, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threads_writers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threads_namespace, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
