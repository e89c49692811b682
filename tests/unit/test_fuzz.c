/*
 * test_fuzz.c - replays the fuzz inputs through the fuzz targets.
 *
 * Every target of fuzz/ is linked in here, built by the usual compiler
 * with its entry point renamed fuzz_<target> (see fuzz/fuzz.h), and gets
 * every file of fuzz/corpus/<target>/ (the seeds) and fuzz/regressions/
 * <target>/ (the inputs that once crashed or leaked, kept once fixed). A
 * target checks its invariants itself and aborts when one fails, so a test
 * passes when every input returns; on the ASan build (make check-asan)
 * memory errors and leaks fail it too. Run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int fuzz_fn(const uint8_t *data, size_t size);

fuzz_fn fuzz_gitrules, fuzz_manifest, fuzz_quantity, fuzz_storage,
	fuzz_subpath;

/* The whole of @path, malloc'ed, its size in *@size. */
static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			data = realloc(data, cap);
			assert_non_null(data);
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	assert_false(ferror(f));
	fclose(f);
	*size = n;
	return data;
}

static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Feeds every file of @dir to @fn; returns how many. A missing @dir has none. */
static size_t replay_dir(const char *dir, fuzz_fn *fn)
{
	struct dirent **names;
	char path[512];
	int n = scandir(dir, &names, visible, alphasort);

	if (n < 0) {
		if (errno != ENOENT)
			fail_msg("%s: %s", dir, strerror(errno));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		uint8_t *data;
		size_t size;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		data = slurp(path, &size);
		/* named before it runs: a target that fails aborts */
		print_message("%s\n", path);
		fflush(stdout);
		assert_int_equal(fn(data, size), 0);
		free(data);
		free(names[i]);
	}
	free(names);
	return (size_t)n;
}

static void replay(const char *target, fuzz_fn *fn)
{
	char dir[128];
	size_t seeds;

	snprintf(dir, sizeof(dir), "fuzz/corpus/%s", target);
	seeds = replay_dir(dir, fn);
	if (!seeds)
		fail_msg("%s: no seeds", dir);
	snprintf(dir, sizeof(dir), "fuzz/regressions/%s", target);
	replay_dir(dir, fn);
}

static void test_fuzz__gitrules_replays(void **state)
{
	(void)state;
	replay("gitrules", fuzz_gitrules);
}

static void test_fuzz__manifest_replays(void **state)
{
	(void)state;
	replay("manifest", fuzz_manifest);
}

static void test_fuzz__quantity_replays(void **state)
{
	(void)state;
	replay("quantity", fuzz_quantity);
}

static void test_fuzz__storage_replays(void **state)
{
	(void)state;
	replay("storage", fuzz_storage);
}

static void test_fuzz__subpath_replays(void **state)
{
	(void)state;
	replay("subpath", fuzz_subpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz__gitrules_replays),
		cmocka_unit_test(test_fuzz__manifest_replays),
		cmocka_unit_test(test_fuzz__quantity_replays),
		cmocka_unit_test(test_fuzz__storage_replays),
		cmocka_unit_test(test_fuzz__subpath_replays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
