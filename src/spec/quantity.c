/*
 * quantity.c - Kubernetes resource quantities in exact fixed point.
 *
 * A port of apimachinery's resource.ParseQuantity: the same grammar (kept as
 * the same hand-written scanner, quirks included: "5." and ".5" are numbers,
 * "1.G" is accepted), the same suffix table and the same rounding, but the
 * value lives in an __int128 count of nano-units instead of an arbitrary
 * precision decimal. That holds about +/-1.7e29 units; a larger decimal
 * value is refused as a numeric error (upstream would accept "1e40"), while
 * binary values are capped at 2^63-1 as upstream caps them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/quantity.h"

#define NANO 1000000000LL
#define I128_MAX ((__int128)(((unsigned __int128)1 << 127) - 1))

static const char err_format[] =
	"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char err_suffix[] = "unable to parse quantity's suffix";
static const char err_numeric[] = "unable to parse numeric part of quantity";

/* The pieces of "<sign><num>.<denom><suffix>", as parseQuantityString cuts them. */
struct qparts {
	bool negative;
	const char *num;			/* leading zeros stripped */
	size_t num_len;
	const char *denom;
	size_t denom_len;
	const char *suffix;
	size_t suffix_len;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t span_digits(const char *s)
{
	size_t n = 0;

	while (is_digit(s[n]))
		n++;
	return n;
}

/*
 * Cuts @s into its parts. Returns false when the text after the suffix
 * letters is not an optionally signed run of digits (ErrFormatWrong).
 */
static bool qparts_split(const char *s, struct qparts *p)
{
	const char *q;

	memset(p, 0, sizeof(*p));
	if (*s == '-' || *s == '+')
		p->negative = *s++ == '-';
	while (*s == '0')
		s++;
	p->num = s;
	p->num_len = span_digits(s);
	s += p->num_len;
	if (*s == '.') {
		p->denom = ++s;
		p->denom_len = span_digits(s);
		s += p->denom_len;
	}
	p->suffix = s;
	q = s + strspn(s, "eEinumkKMGTP");
	if (*q == '-' || *q == '+')
		q++;
	q += span_digits(q);
	p->suffix_len = strlen(s);
	return *q == '\0';
}

/* Go's strconv.ParseInt(s, 10, 64) on @n bytes. */
static bool parse_int64(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	unsigned __int128 v = 0;
	size_t i = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > (unsigned __int128)INT64_MAX + 1)
			return false;
	}
	if (!neg && v > INT64_MAX)
		return false;
	*out = neg ? (int64_t)-v : (int64_t)v;
	return true;
}

struct suffix_def {
	const char *text;
	int base;
	int exp;
};

static const struct suffix_def suffixes[] = {
	{ "", 10, 0 }, { "n", 10, -9 }, { "u", 10, -6 }, { "m", 10, -3 },
	{ "k", 10, 3 }, { "M", 10, 6 }, { "G", 10, 9 }, { "T", 10, 12 },
	{ "P", 10, 15 }, { "E", 10, 18 },
	{ "Ki", 2, 10 }, { "Mi", 2, 20 }, { "Gi", 2, 30 }, { "Ti", 2, 40 },
	{ "Pi", 2, 50 }, { "Ei", 2, 60 },
};

/* suffixHandler.interpret: base, exponent and format of a suffix. */
static bool suffix_interpret(const char *s, size_t n, int *base, int *exp,
			     enum quantity_format *fmt)
{
	int64_t e;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strlen(suffixes[i].text) != n ||
		    memcmp(suffixes[i].text, s, n) != 0)
			continue;
		*base = suffixes[i].base;
		*exp = suffixes[i].exp;
		*fmt = *base == 2 ? QUANTITY_BINARY_SI : QUANTITY_DECIMAL_SI;
		return true;
	}
	if (n < 2 || (s[0] != 'e' && s[0] != 'E'))
		return false;
	if (!parse_int64(s + 1, n - 1, &e))
		return false;
	*base = 10;
	*exp = (int32_t)e;		/* Go truncates to int32 the same way */
	*fmt = QUANTITY_DECIMAL_EXPONENT;
	return true;
}

/* Doubles the decimal digit string @d of length @n in place (room for one more digit in front). */
static size_t digits_double(char *d, size_t n)
{
	int carry = 0;

	for (size_t i = n; i-- > 0;) {
		int v = (d[i] - '0') * 2 + carry;

		d[i] = (char)('0' + v % 10);
		carry = v / 10;
	}
	if (!carry)
		return n;
	memmove(d + 1, d, n);
	d[0] = '1';
	return n + 1;
}

/*
 * The value of digits @d (an integer) times 10^@shift, in the units of the
 * last place, rounded up when nonzero digits fall below the unit. Returns
 * false on overflow of the 128-bit range.
 */
static bool digits_scale(const char *d, size_t n, long shift, __int128 *out)
{
	__int128 acc = 0;
	bool frac = false;

	for (size_t i = 0; i < n; i++) {
		long pos = (long)(n - 1 - i) + shift;
		__int128 term = d[i] - '0';

		if (term == 0)
			continue;
		if (pos < 0) {
			frac = true;
			continue;
		}
		if (pos > 38)
			return false;
		for (long k = 0; k < pos; k++) {
			if (term > I128_MAX / 10)
				return false;
			term *= 10;
		}
		if (term > I128_MAX - acc)
			return false;
		acc += term;
	}
	if (frac && acc == I128_MAX)
		return false;
	*out = acc + frac;
	return true;
}

/* The magnitude in nanos; false when it does not fit. */
static bool qparts_nanos(const struct qparts *p, int base, int exp,
			 __int128 *out)
{
	size_t n = p->num_len + p->denom_len, cap = n + 24;
	long shift = 9 - (long)p->denom_len;
	char *d = malloc(cap);
	bool ok;

	if (!d)
		return false;
	if (p->num_len)
		memcpy(d, p->num, p->num_len);
	if (p->denom_len)
		memcpy(d + p->num_len, p->denom, p->denom_len);
	if (base == 2) {
		for (int i = 0; i < exp; i++)
			n = digits_double(d, n);
	} else {
		shift += exp;
	}
	ok = digits_scale(d, n, shift, out);
	free(d);
	return ok;
}

static int parse_fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

int quantity_parse(const char *s, struct quantity *q, const char **why)
{
	const __int128 bin_max = (__int128)INT64_MAX * NANO;
	enum quantity_format fmt;
	struct qparts p;
	__int128 v;
	int base, exp;

	if (!s || !*s)
		return parse_fail(why, err_format);
	if (!qparts_split(s, &p))
		return parse_fail(why, err_format);
	if (!suffix_interpret(p.suffix, p.suffix_len, &base, &exp, &fmt))
		return parse_fail(why, err_suffix);
	if (!qparts_nanos(&p, base, exp, &v)) {
		if (fmt != QUANTITY_BINARY_SI)
			return parse_fail(why, err_numeric);
		v = bin_max;
	}
	if (fmt == QUANTITY_BINARY_SI && v > bin_max)
		v = bin_max;
	if (fmt == QUANTITY_BINARY_SI && v > 0 && v < NANO)
		fmt = QUANTITY_DECIMAL_SI;
	q->nanos = p.negative ? -v : v;
	q->format = fmt;
	return 0;
}

int64_t quantity_value(const struct quantity *q)
{
	__int128 v = q->nanos / NANO;

	/* Value() rounds up, away from zero */
	if (q->nanos % NANO != 0)
		v += q->nanos > 0 ? 1 : -1;
	if (v > INT64_MAX)
		return INT64_MAX;
	if (v < INT64_MIN)
		return INT64_MIN;
	return (int64_t)v;
}

int quantity_cmp(const struct quantity *a, const struct quantity *b)
{
	return (a->nanos > b->nanos) - (a->nanos < b->nanos);
}

bool quantity_is_negative(const struct quantity *q)
{
	return q->nanos < 0;
}

/* Writes the decimal digits of @v (>= 0) into @buf (at least 41 bytes). */
static void u128_text(unsigned __int128 v, char *buf)
{
	char tmp[48];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

/* The BinarySI spelling: the integer value divided by 1024 while exact. */
static void format_binary(unsigned __int128 units, char *num, const char **suf)
{
	static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	unsigned e = 0;

	while (e < 6 && units % 1024 == 0) {
		units /= 1024;
		e++;
	}
	u128_text(units, num);
	*suf = bin[e];
}

/* The decimal spelling: mantissa and an exponent that is a multiple of 3. */
static void format_decimal(unsigned __int128 m, enum quantity_format fmt,
			   char *num, char *suf)
{
	static const char *const dec[] = { "n", "u", "m", "", "k", "M", "G",
					   "T", "P", "E" };
	int e = -9;

	while (m % 10 == 0) {
		m /= 10;
		e++;
	}
	while (((e % 3) + 3) % 3 != 0) {
		m *= 10;
		e--;
	}
	if (fmt == QUANTITY_DECIMAL_EXPONENT) {
		u128_text(m, num);
		if (e == 0)
			suf[0] = '\0';
		else
			snprintf(suf, 16, "e%d", e);
		return;
	}
	for (; e > 18; e -= 3)
		m *= 1000;
	u128_text(m, num);
	snprintf(suf, 16, "%s", dec[(e + 9) / 3]);
}

size_t quantity_format(const struct quantity *q, char *buf, size_t size)
{
	enum quantity_format fmt = q->format;
	unsigned __int128 mag;
	char num[48], suf[16];
	const char *bsuf;
	int n;

	if (q->nanos == 0) {
		n = snprintf(buf, size, "0");
		return (size_t)n;
	}
	mag = q->nanos < 0 ? -(unsigned __int128)q->nanos :
			     (unsigned __int128)q->nanos;
	if (fmt == QUANTITY_BINARY_SI &&
	    (mag < (unsigned __int128)1024 * NANO || mag % NANO != 0))
		fmt = QUANTITY_DECIMAL_SI;
	if (fmt == QUANTITY_BINARY_SI) {
		format_binary(mag / NANO, num, &bsuf);
		n = snprintf(buf, size, "%s%s%s", q->nanos < 0 ? "-" : "", num,
			     bsuf);
	} else {
		format_decimal(mag, fmt, num, suf);
		n = snprintf(buf, size, "%s%s%s", q->nanos < 0 ? "-" : "", num,
			     suf);
	}
	return n < 0 ? 0 : (size_t)n;
}
