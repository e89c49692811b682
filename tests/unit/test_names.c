/*
 * test_names.c - RFC 1123 name rules and replica pod names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/spec.h"
#include "../../src/spec/spec_i.h"

static const char label_msg[] =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char subdomain_msg[] =
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_names__label_accepts_valid(void **state)
{
	static const char *const ok[] = { "a", "0", "html", "my-vol", "123-abc",
					  "a1-b2-c3", NULL };
	char *max = repeat('a', 63);

	(void)state;
	for (size_t i = 0; ok[i]; i++)
		assert_null(spec_check_dns_label(ok[i]));
	assert_null(spec_check_dns_label(max));
	free(max);
}

static void test_names__label_rejects_format(void **state)
{
	static const char *const bad[] = { "", "Html", "my_vol", "-a", "a-",
					   "a b", "a..b", ".a", NULL };

	(void)state;
	for (size_t i = 0; bad[i]; i++)
		assert_string_equal(spec_check_dns_label(bad[i]), label_msg);
}

static void test_names__label_with_only_dots_wrong_says_so(void **state)
{
	(void)state;
	assert_string_equal(spec_check_dns_label("my.vol"),
			    "must not contain dots");
	assert_string_equal(spec_check_dns_label("a.b.c"),
			    "must not contain dots");
}

static void test_names__label_length(void **state)
{
	char *long_ok = repeat('a', 64), *long_bad = repeat('A', 64);
	const char *msgs[2];

	(void)state;
	assert_string_equal(spec_check_dns_label(long_ok),
			    "must be no more than 63 characters");
	/* both the length and the format are reported */
	assert_int_equal(spec_dns_label_errors(long_bad, msgs), 2);
	assert_string_equal(msgs[0], "must be no more than 63 characters");
	assert_string_equal(msgs[1], label_msg);
	free(long_ok);
	free(long_bad);
}

static void test_names__subdomain_rules(void **state)
{
	char *max = repeat('a', 253), *over = repeat('a', 254);
	char *long_label = repeat('b', 70);

	(void)state;
	assert_null(spec_check_dns_subdomain("fortune"));
	assert_null(spec_check_dns_subdomain("web.example.com"));
	assert_null(spec_check_dns_subdomain("a-1.b-2"));
	/* subdomains do not limit the length of each label */
	assert_null(spec_check_dns_subdomain(long_label));
	for (size_t i = 63; i < 253; i += 64)
		max[i] = '.';
	assert_null(spec_check_dns_subdomain(max));
	assert_string_equal(spec_check_dns_subdomain(over),
			    "must be no more than 253 characters");
	assert_string_equal(spec_check_dns_subdomain("Fortune"), subdomain_msg);
	assert_string_equal(spec_check_dns_subdomain("a..b"), subdomain_msg);
	assert_string_equal(spec_check_dns_subdomain("a."), subdomain_msg);
	assert_string_equal(spec_check_dns_subdomain(""), subdomain_msg);
	free(max);
	free(over);
	free(long_label);
}

static void assert_replica_shape(const char *name, const char *base)
{
	size_t n = strlen(name), b = strlen(base);

	assert_int_equal(n, b + 5);
	assert_memory_equal(name, base, b);
	for (size_t i = b; i < n; i++)
		assert_non_null(strchr(alphabet, name[i]));
	assert_null(spec_check_dns_subdomain(name));
}

static void test_names__replica_shape(void **state)
{
	char buf[64];

	(void)state;
	spec_replica_name("default", "web", 0, buf);
	assert_replica_shape(buf, "web-");
}

static void test_names__replica_truncates_base_at_58(void **state)
{
	char *rs = repeat('r', 80), *base = repeat('r', 58);
	char buf[64];

	(void)state;
	spec_replica_name("default", rs, 3, buf);
	assert_int_equal(strlen(buf), 63);
	assert_replica_shape(buf, base);
	/* 57 characters and the dash make exactly 58 */
	rs[57] = '\0';
	spec_replica_name("default", rs, 3, buf);
	assert_int_equal(buf[57], '-');
	assert_int_equal(strlen(buf), 63);
	free(rs);
	free(base);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_names__replicas_are_distinct(void **state)
{
	enum { N = 5000 };
	char (*names)[64] = calloc(N, 64);

	(void)state;
	assert_non_null(names);
	for (unsigned i = 0; i < N; i++)
		spec_replica_name("default", "web-7d4b9c6f5", i, names[i]);
	qsort(names, N, 64, cmp_str);
	for (unsigned i = 1; i < N; i++)
		assert_string_not_equal(names[i - 1], names[i]);
	free(names);
}

static void test_names__replicas_are_stable(void **state)
{
	char a[64], b[64], c[64];

	(void)state;
	spec_replica_name("default", "web", 7, a);
	spec_replica_name("default", "web", 7, b);
	assert_string_equal(a, b);
	/* namespace and name both feed the suffix */
	spec_replica_name("other", "web", 7, c);
	assert_string_not_equal(a, c);
	spec_replica_name("default", "web", 8, c);
	assert_string_not_equal(a, c);
}

static void test_names__template_hash_alphabet(void **state)
{
	struct spec_hash h;
	char buf[16];

	(void)state;
	spec_hash_init(&h);
	spec_hash_str(&h, "template");
	spec_template_hash(&h, buf, sizeof(buf));
	assert_in_range(strlen(buf), 8, 10);
	for (size_t i = 0; buf[i]; i++)
		assert_non_null(strchr(alphabet, buf[i]));
	/* the decimal digits 0-9 map onto "456789bcdf" */
	h.c = 1234567890;
	spec_template_hash(&h, buf, sizeof(buf));
	assert_string_equal(buf, "56789bcdf4");
	h.c = 7;
	spec_template_hash(&h, buf, sizeof(buf));
	assert_string_equal(buf, "4444444c");
}

static void test_names__uid_format(void **state)
{
	struct spec_hash h;
	char a[37], b[37];

	(void)state;
	spec_hash_init(&h);
	spec_hash_str(&h, "default");
	spec_uid(&h, a);
	assert_int_equal(strlen(a), 36);
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '8');
	spec_hash_str(&h, "x");
	spec_uid(&h, b);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names__label_accepts_valid),
		cmocka_unit_test(test_names__label_rejects_format),
		cmocka_unit_test(test_names__label_with_only_dots_wrong_says_so),
		cmocka_unit_test(test_names__label_length),
		cmocka_unit_test(test_names__subdomain_rules),
		cmocka_unit_test(test_names__replica_shape),
		cmocka_unit_test(test_names__replica_truncates_base_at_58),
		cmocka_unit_test(test_names__replicas_are_distinct),
		cmocka_unit_test(test_names__replicas_are_stable),
		cmocka_unit_test(test_names__template_hash_alphabet),
		cmocka_unit_test(test_names__uid_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
