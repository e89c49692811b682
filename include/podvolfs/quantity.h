/*
 * quantity.h - Kubernetes resource quantities ("10Mi", "1G", "500m", "1e3").
 *
 * Parsing and comparison follow apimachinery's resource.ParseQuantity exactly:
 * fixed-point arithmetic in nano-units held in 128 bits, never floating point,
 * so "1G" (10^9) is less than "1Gi" (2^30) and "0.1" equals "100m".
 */
#ifndef PODVOLFS_QUANTITY_H
#define PODVOLFS_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum quantity_format {
	QUANTITY_DECIMAL_SI,		/* no suffix, n u m k M G T P E */
	QUANTITY_BINARY_SI,		/* Ki Mi Gi Ti Pi Ei */
	QUANTITY_DECIMAL_EXPONENT,	/* e3, E-2 */
};

struct quantity {
	__int128 nanos;			/* the value times 10^9, rounded up */
	enum quantity_format format;	/* how it was written; drives printing */
};

/*
 * Parses @s. Returns 0 and fills @q, or -EINVAL and sets *@why (when @why is
 * not NULL) to the upstream message: "quantities must match the regular
 * expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", "unable to parse
 * quantity's suffix" or "unable to parse numeric part of quantity". @q is
 * untouched on error.
 */
int quantity_parse(const char *s, struct quantity *q, const char **why);

/* The value as an integer, rounded up (Kubernetes' Value()); saturates at INT64_MAX/MIN. */
int64_t quantity_value(const struct quantity *q);

/* <0, 0, >0 as @a is less than, equal to or greater than @b. */
int quantity_cmp(const struct quantity *a, const struct quantity *b);

/* True when the quantity is below zero. */
bool quantity_is_negative(const struct quantity *q);

/*
 * Writes the canonical form ("1536Mi", "1500m", "1Gi") into @buf, always
 * terminated. Returns the length it needed, like snprintf.
 */
size_t quantity_format(const struct quantity *q, char *buf, size_t size);

#endif
