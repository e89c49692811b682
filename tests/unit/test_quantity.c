/*
 * test_quantity.c - resource quantities as apimachinery parses and prints them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "podvolfs/quantity.h"

static const char err_format[] =
	"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char err_suffix[] = "unable to parse quantity's suffix";
static const char err_numeric[] = "unable to parse numeric part of quantity";

static struct quantity parse_ok(const char *s)
{
	struct quantity q;
	const char *why = NULL;

	if (quantity_parse(s, &q, &why) != 0)
		fail_msg("\"%s\" failed: %s", s, why);
	return q;
}

static void assert_canonical(const char *in, const char *out)
{
	struct quantity q = parse_ok(in);
	char buf[64];

	quantity_format(&q, buf, sizeof(buf));
	if (strcmp(buf, out) != 0)
		fail_msg("\"%s\" printed as \"%s\", want \"%s\"", in, buf, out);
}

static void assert_parse_error(const char *in, const char *want)
{
	struct quantity q = { .nanos = 42, .format = QUANTITY_BINARY_SI };
	const char *why = NULL;

	assert_int_equal(quantity_parse(in, &q, &why), -EINVAL);
	assert_non_null(why);
	if (strcmp(why, want) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s\"", in, why, want);
	/* untouched on error */
	assert_true(q.nanos == 42);
	assert_int_equal(q.format, QUANTITY_BINARY_SI);
}

static void test_quantity__decimal_suffixes(void **state)
{
	static const struct {
		const char *in;
		int64_t nanos_per_unit_exp;	/* log10 of the multiplier, + 9 */
	} t[] = {
		{ "1n", 0 }, { "1u", 3 }, { "1m", 6 }, { "1", 9 }, { "1k", 12 },
		{ "1M", 15 }, { "1G", 18 }, { "1T", 21 }, { "1P", 24 },
		{ "1E", 27 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct quantity q = parse_ok(t[i].in);
		__int128 want = 1;

		for (int k = 0; k < t[i].nanos_per_unit_exp; k++)
			want *= 10;
		assert_true(q.nanos == want);
		assert_int_equal(q.format, QUANTITY_DECIMAL_SI);
		assert_canonical(t[i].in, t[i].in);
	}
}

static void test_quantity__binary_suffixes(void **state)
{
	static const char *const t[] = { "1Ki", "1Mi", "1Gi", "1Ti", "1Pi",
					 "1Ei" };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct quantity q = parse_ok(t[i]);

		assert_true(q.nanos == ((__int128)1 << (10 * (i + 1))) * 1000000000);
		assert_int_equal(q.format, QUANTITY_BINARY_SI);
		assert_canonical(t[i], t[i]);
	}
}

static void test_quantity__exponent_forms(void **state)
{
	(void)state;
	assert_true(parse_ok("1e3").nanos == (__int128)1000 * 1000000000);
	assert_int_equal(parse_ok("1e3").format, QUANTITY_DECIMAL_EXPONENT);
	assert_true(parse_ok("5E-2").nanos == 50000000);
	assert_true(parse_ok("2e+6").nanos == (__int128)2000000 * 1000000000);
	/* a bare E is exa, not an exponent */
	assert_int_equal(parse_ok("3E").format, QUANTITY_DECIMAL_SI);
	assert_canonical("1e3", "1e3");
	assert_canonical("1E3", "1e3");
	assert_canonical("5E-2", "50e-3");
	assert_canonical("2e+6", "2e6");
	assert_canonical("1.5e3", "1500");
	assert_canonical("1e-10", "1e-9");
}

static void test_quantity__decimal_is_less_than_binary(void **state)
{
	struct quantity g = parse_ok("1G"), gi = parse_ok("1Gi");

	(void)state;
	assert_true(quantity_cmp(&g, &gi) < 0);
	assert_true(quantity_cmp(&gi, &g) > 0);
	assert_int_equal(quantity_value(&g), 1000000000);
	assert_int_equal(quantity_value(&gi), 1073741824);
}

static void test_quantity__fractions(void **state)
{
	struct quantity a = parse_ok("0.1"), b = parse_ok("100m");

	(void)state;
	assert_int_equal(quantity_cmp(&a, &b), 0);
	assert_true(parse_ok("500m").nanos == 500000000);
	assert_canonical("0.1", "100m");
	assert_canonical("1.5", "1500m");
	assert_canonical("1.5Gi", "1536Mi");
	assert_canonical("1024Mi", "1Gi");
	assert_canonical("1000m", "1");
	assert_canonical("1000", "1k");
	assert_canonical(".5", "500m");
	assert_canonical("5.", "5");
	assert_canonical("+5", "5");
	assert_canonical("0.5Ki", "512");
	assert_canonical("1023Ki", "1023Ki");
	assert_canonical("1.5Ki", "1536");
	assert_canonical("-1.5Gi", "-1536Mi");
	assert_canonical("0", "0");
	assert_canonical("0Mi", "0");
	assert_canonical("007", "7");
}

static void test_quantity__rounds_up_below_a_nano(void **state)
{
	(void)state;
	assert_true(parse_ok("0.0000000001").nanos == 1);
	assert_true(parse_ok("0.0000000019").nanos == 2);
	assert_true(parse_ok("-0.0000000001").nanos == -1);
	assert_true(parse_ok("1.0000000001").nanos == 1000000001);
	assert_true(parse_ok("0.1n").nanos == 1);
	assert_canonical("0.0000000001", "1n");
	assert_canonical("1.5n", "2n");
}

static void test_quantity__binary_below_one_becomes_decimal(void **state)
{
	struct quantity q = parse_ok("0.0001Ki");

	(void)state;
	assert_int_equal(q.format, QUANTITY_DECIMAL_SI);
	assert_true(q.nanos == 102400000);
}

static void test_quantity__binary_capped(void **state)
{
	struct quantity q = parse_ok("8Ei");

	(void)state;
	assert_true(q.nanos == (__int128)INT64_MAX * 1000000000);
	assert_int_equal(quantity_value(&q), INT64_MAX);
}

static void test_quantity__value_rounds_away_from_zero(void **state)
{
	struct quantity q;

	(void)state;
	q = parse_ok("1.5");
	assert_int_equal(quantity_value(&q), 2);
	q = parse_ok("1n");
	assert_int_equal(quantity_value(&q), 1);
	q = parse_ok("-1.5");
	assert_int_equal(quantity_value(&q), -2);
	q = parse_ok("10Mi");
	assert_int_equal(quantity_value(&q), 10485760);
	q = parse_ok("2k");
	assert_int_equal(quantity_value(&q), 2000);
}

static void test_quantity__negative(void **state)
{
	struct quantity q = parse_ok("-1Gi"), z = parse_ok("-0");

	(void)state;
	assert_true(quantity_is_negative(&q));
	assert_false(quantity_is_negative(&z));
	q = parse_ok("1m");
	assert_false(quantity_is_negative(&q));
}

static void test_quantity__rejects_bad_format(void **state)
{
	(void)state;
	assert_parse_error("", err_format);
	assert_parse_error("12Qi", err_format);
	assert_parse_error("abc", err_format);
	assert_parse_error("1.5.5", err_format);
	assert_parse_error(" 1", err_format);
	assert_parse_error("1 ", err_format);
	assert_parse_error("1Gi ", err_format);
	assert_parse_error("1KI", err_format);
}

static void test_quantity__rejects_unknown_suffix(void **state)
{
	(void)state;
	assert_parse_error("1K", err_suffix);
	assert_parse_error("1ki", err_suffix);
	/* upstream's scanner takes "-1" as the suffix here */
	assert_parse_error("--1", err_suffix);
	assert_parse_error("1e", err_suffix);
	assert_parse_error("1e+", err_suffix);
	assert_parse_error("1Gii", err_suffix);
	assert_parse_error("1mm", err_suffix);
}

static void test_quantity__rejects_numbers_too_large(void **state)
{
	(void)state;
	assert_parse_error("1e30", err_numeric);
	assert_parse_error("1000000000000000000000000000000", err_numeric);
}

static void test_quantity__format_reports_needed_length(void **state)
{
	struct quantity q = parse_ok("1536Mi");
	char small[3];

	(void)state;
	assert_int_equal(quantity_format(&q, small, sizeof(small)), 6);
	assert_string_equal(small, "15");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantity__decimal_suffixes),
		cmocka_unit_test(test_quantity__binary_suffixes),
		cmocka_unit_test(test_quantity__exponent_forms),
		cmocka_unit_test(test_quantity__decimal_is_less_than_binary),
		cmocka_unit_test(test_quantity__fractions),
		cmocka_unit_test(test_quantity__rounds_up_below_a_nano),
		cmocka_unit_test(test_quantity__binary_below_one_becomes_decimal),
		cmocka_unit_test(test_quantity__binary_capped),
		cmocka_unit_test(test_quantity__value_rounds_away_from_zero),
		cmocka_unit_test(test_quantity__negative),
		cmocka_unit_test(test_quantity__rejects_bad_format),
		cmocka_unit_test(test_quantity__rejects_unknown_suffix),
		cmocka_unit_test(test_quantity__rejects_numbers_too_large),
		cmocka_unit_test(test_quantity__format_reports_needed_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
