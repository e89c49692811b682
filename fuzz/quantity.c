/*
 * quantity.c - fuzzes quantity_parse() and quantity_format().
 *
 * The input is one quantity, or two separated by a newline (no quantity
 * holds one). Beyond not crashing:
 *
 *   - what parses formats to a canonical text (digits without leading
 *     zeros and one known suffix) that parses to the same value and
 *     formats to itself, but for a BinarySI value that is no multiple of
 *     1024: it prints without a suffix, as upstream prints it ("62.5Ki" is
 *     "64000"), and so reads back as DecimalSI ("64k");
 *   - a sign put in front negates the value or keeps it;
 *   - Value() rounds away from zero;
 *   - quantity_format() returns what snprintf would and writes no more
 *     than it is given;
 *   - two quantities of one format and value format the same, and equal
 *     texts have equal values.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "podvolfs/quantity.h"

#define NANO 1000000000LL
#define TEXT_MAX 128

static const char *const suffixes[] = { "", "n", "u", "m", "k", "M", "G", "T",
	"P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", NULL };

/* "-?[0-9]+" without leading zeros (but "0"), then a suffix or "e-?[0-9]+". */
static bool canonical(const char *t)
{
	const char *p = t + (*t == '-');
	size_t digits = strspn(p, "0123456789");

	if (!digits || (p[0] == '0' && strcmp(t, "0")))
		return false;
	p += digits;
	if (*p == 'e') {
		p += 1 + (p[1] == '-');
		return *p && strspn(p, "0123456789") == strlen(p);
	}
	for (size_t i = 0; suffixes[i]; i++)
		if (!strcmp(p, suffixes[i]))
			return true;
	return false;
}

/* quantity_format() into buffers of exactly @size bytes. */
static void format_sizes(const struct quantity *q, const char *text)
{
	size_t len = strlen(text);
	const size_t sizes[] = { len + 1, len, len / 2, 1 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i];
		char *buf;

		if (!size)
			continue;
		buf = fuzz_malloc(size);
		FUZZ_CHECK(quantity_format(q, buf, size) == len,
			   "format of \"%s\" into %zu bytes measures otherwise",
			   text, size);
		FUZZ_CHECK(strlen(buf) == (len < size ? len : size - 1) &&
			   !strncmp(buf, text, strlen(buf)),
			   "format of \"%s\" into %zu bytes gave \"%s\"", text,
			   size, buf);
		free(buf);
	}
}

/* Value(): the nanos divided by 10^9, rounded away from zero, saturated. */
static void value_check(const struct quantity *q, const char *text)
{
	__int128 v = quantity_value(q);
	__int128 n = q->nanos;

	FUZZ_CHECK(quantity_is_negative(q) == (n < 0), "sign of \"%s\"", text);
	if (v == INT64_MAX || v == INT64_MIN)
		return;
	if (n >= 0)
		FUZZ_CHECK(v * NANO >= n && (n == 0 || (v - 1) * NANO < n),
			   "Value() of \"%s\" is %lld", text, (long long)v);
	else
		FUZZ_CHECK(v * NANO <= n && (v + 1) * NANO > n,
			   "Value() of \"%s\" is %lld", text, (long long)v);
}

/* With @sign ('-' or '+') in front, @s (unsigned) parses to -q or q. */
static void sign_check(const char *s, const struct quantity *q, char sign)
{
	size_t len = strlen(s);
	char *signed_text = fuzz_malloc(len + 2);
	struct quantity sq;

	signed_text[0] = sign;
	memcpy(signed_text + 1, s, len + 1);
	FUZZ_CHECK(quantity_parse(signed_text, &sq, NULL) == 0,
		   "\"%s\" parses but \"%s\" does not", s, signed_text);
	FUZZ_CHECK(sq.nanos == (sign == '-' ? -q->nanos : q->nanos) &&
		   sq.format == q->format,
		   "\"%s\" is not %c\"%s\"", signed_text, sign, s);
	free(signed_text);
}

/* Parses @s; on success checks it and leaves its canonical text in @text. */
static bool one(const char *s, struct quantity *q, char *text)
{
	struct quantity again;
	const char *why = NULL;
	char text2[TEXT_MAX];
	size_t len;

	if (quantity_parse(s, q, &why)) {
		FUZZ_CHECK(why && *why, "no reason for refusing \"%s\"", s);
		return false;
	}
	len = quantity_format(q, text, TEXT_MAX);
	FUZZ_CHECK(len < TEXT_MAX && canonical(text),
		   "\"%s\" formats as \"%s\" (%zu bytes)", s, text, len);
	format_sizes(q, text);
	value_check(q, s);
	FUZZ_CHECK(quantity_parse(text, &again, &why) == 0,
		   "\"%s\" formats as \"%s\", which does not parse: %s", s,
		   text, why);
	FUZZ_CHECK(again.nanos == q->nanos && quantity_cmp(&again, q) == 0,
		   "\"%s\" formats as \"%s\", which is another value", s, text);
	quantity_format(&again, text2, sizeof(text2));
	FUZZ_CHECK(!strcmp(text, text2) || (q->format == QUANTITY_BINARY_SI &&
					    again.format != QUANTITY_BINARY_SI),
		   "\"%s\" formats as \"%s\", then \"%s\"", s, text, text2);
	if (*s != '-' && *s != '+') {
		sign_check(s, q, '-');
		sign_check(s, q, '+');
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_text(data, size);
	char ta[TEXT_MAX], tb[TEXT_MAX];
	struct quantity a, b;
	char *parts[2];
	bool ok_a, ok_b;
	size_t n;

	n = fuzz_split(in, '\n', parts, 2);
	ok_a = one(parts[0], &a, ta);
	ok_b = n == 2 && one(parts[1], &b, tb);
	if (ok_a && ok_b) {
		FUZZ_CHECK(quantity_cmp(&a, &b) == -quantity_cmp(&b, &a),
			   "\"%s\" and \"%s\" compare unevenly", parts[0],
			   parts[1]);
		if (a.format == b.format && a.nanos == b.nanos)
			FUZZ_CHECK(!strcmp(ta, tb), "\"%s\" and \"%s\" format as \"%s\" and \"%s\"",
				   parts[0], parts[1], ta, tb);
		if (!strcmp(ta, tb))
			FUZZ_CHECK(quantity_cmp(&a, &b) == 0,
				   "\"%s\" and \"%s\" both format as \"%s\"",
				   parts[0], parts[1], ta);
	}
	free(in);
	return 0;
}
