/*
 * test_strmap.c - the hash map behind duplicate keys and unique names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/strmap.h"

static void test_strmap__add_then_find(void **state)
{
	struct strmap m;
	int one = 1, two = 2;
	void *v = NULL;

	(void)state;
	strmap_init(&m);
	assert_false(strmap_find(&m, "a", 1, &v));
	assert_int_equal(strmap_add(&m, "a", 1, &one, NULL), 1);
	assert_int_equal(strmap_add(&m, "b", 1, &two, NULL), 1);
	assert_true(strmap_find(&m, "a", 1, &v));
	assert_ptr_equal(v, &one);
	assert_true(strmap_find(&m, "b", 1, NULL));
	assert_false(strmap_find(&m, "c", 1, NULL));
	assert_int_equal(m.n, 2);
	strmap_free(&m);
	assert_int_equal(m.n, 0);
	assert_false(strmap_find(&m, "a", 1, NULL));
}

static void test_strmap__duplicate_keeps_the_first(void **state)
{
	struct strmap m;
	int first = 1, second = 2;
	char copy[] = "name";
	void *old = NULL;

	(void)state;
	strmap_init(&m);
	assert_int_equal(strmap_add(&m, "name", 4, &first, NULL), 1);
	/* equal bytes at another address are the same key */
	assert_int_equal(strmap_add(&m, copy, 4, &second, &old), 0);
	assert_ptr_equal(old, &first);
	assert_true(strmap_find(&m, copy, 4, &old));
	assert_ptr_equal(old, &first);
	assert_int_equal(m.n, 1);
	strmap_free(&m);
}

static void test_strmap__put_replaces_the_value(void **state)
{
	struct strmap m;
	int first = 1, second = 2;
	void *v = NULL;

	(void)state;
	strmap_init(&m);
	assert_int_equal(strmap_put(&m, "k", 1, &first), 0);
	assert_int_equal(strmap_put(&m, "k", 1, &second), 0);
	assert_true(strmap_find(&m, "k", 1, &v));
	assert_ptr_equal(v, &second);
	assert_int_equal(m.n, 1);
	strmap_free(&m);
}

static void test_strmap__length_ends_a_key(void **state)
{
	static const char bytes[] = "ab\0ab\0c";
	struct strmap m;

	(void)state;
	strmap_init(&m);
	/* "", "a", "ab", "ab\0", "ab\0a": prefixes of one another, all distinct */
	for (size_t len = 0; len <= 4; len++)
		assert_int_equal(strmap_add(&m, bytes, len, NULL, NULL), 1);
	assert_int_equal(strmap_add(&m, bytes + 3, 2, NULL, NULL), 0);
	assert_int_equal(strmap_add(&m, "ab\0b", 4, NULL, NULL), 1);
	assert_false(strmap_find(&m, bytes, 7, NULL));
	assert_true(strmap_find(&m, "", 0, NULL));
	assert_int_equal(m.n, 6);
	strmap_free(&m);
}

/* Grows through many sizes; every key stays findable with its value. */
static void test_strmap__many_keys(void **state)
{
	enum { N = 100000 };
	char (*keys)[16] = calloc(N, sizeof(*keys));
	struct strmap m;
	void *v;

	(void)state;
	assert_non_null(keys);
	strmap_init(&m);
	for (size_t i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key%zu", i);
		assert_int_equal(strmap_add(&m, keys[i], strlen(keys[i]),
					    keys[i], NULL), 1);
	}
	assert_int_equal(m.n, N);
	assert_true(m.cap >= 2 * N);
	for (size_t i = 0; i < N; i++) {
		assert_true(strmap_find(&m, keys[i], strlen(keys[i]), &v));
		assert_ptr_equal(v, keys[i]);
		assert_int_equal(strmap_add(&m, keys[i], strlen(keys[i]), NULL,
					    NULL), 0);
	}
	assert_false(strmap_find(&m, "key100000", 9, NULL));
	strmap_free(&m);
	free(keys);
}

/* Deleting leaves every other key findable, whatever the probing. */
static void test_strmap__delete(void **state)
{
	enum { N = 20000 };
	char (*keys)[16] = calloc(N, sizeof(*keys));
	struct strmap m;
	void *v;

	(void)state;
	assert_non_null(keys);
	strmap_init(&m);
	assert_false(strmap_del(&m, "none", 4));
	for (size_t i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		assert_int_equal(strmap_add(&m, keys[i], strlen(keys[i]),
					    keys[i], NULL), 1);
	}
	for (size_t i = 0; i < N; i += 2)
		assert_true(strmap_del(&m, keys[i], strlen(keys[i])));
	assert_false(strmap_del(&m, keys[0], strlen(keys[0])));
	assert_int_equal(m.n, N / 2);
	for (size_t i = 0; i < N; i++) {
		bool odd = i % 2;

		assert_int_equal(strmap_find(&m, keys[i], strlen(keys[i]), &v),
				 odd);
		if (odd)
			assert_ptr_equal(v, keys[i]);
	}
	for (size_t i = 0; i < N; i += 2)
		assert_int_equal(strmap_add(&m, keys[i], strlen(keys[i]),
					    keys[i], NULL), 1);
	assert_int_equal(m.n, N);
	strmap_free(&m);
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strmap__add_then_find),
		cmocka_unit_test(test_strmap__duplicate_keeps_the_first),
		cmocka_unit_test(test_strmap__put_replaces_the_value),
		cmocka_unit_test(test_strmap__length_ends_a_key),
		cmocka_unit_test(test_strmap__many_keys),
		cmocka_unit_test(test_strmap__delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
