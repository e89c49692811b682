/*
 * replica.c - names and identities derived from manifests.
 *
 * Kubernetes draws pod-name suffixes at random; podvolfs derives them from
 * the manifest so that a restart finds the same pods. Replica i of a
 * ReplicaSet gets suffix number (off + i * step) mod 27^5, where off and
 * step come from a hash of namespace and name and step is not a multiple
 * of 3: the map is then a bijection on [0, 27^5), so replicas never share
 * a name. The pod UID is 128 bits of hash over namespace, name, replica
 * index and the serialized pod spec, printed as an RFC 9562 version 8
 * (custom) UUID.
 */
#include <stdio.h>
#include <string.h>

#include "spec_i.h"

#define NAME_BASE_MAX 58
#define SUFFIX_LEN 5
#define SUFFIX_SPACE 14348907U			/* 27^5 */

static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

/* splitmix64's finalizer: spreads every input bit over the output. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

void spec_generate_name(const char *namespace, const char *base,
			unsigned index, char *buf)
{
	struct spec_hash h;
	uint64_t off, step, x;
	size_t len = strnlen(base, NAME_BASE_MAX);

	spec_hash_init(&h);
	spec_hash_str(&h, namespace);
	spec_hash_str(&h, base);
	off = mix64(h.a) % SUFFIX_SPACE;
	step = mix64(h.b) % SUFFIX_SPACE;
	if (step % 3 == 0)
		step++;
	x = (off + (uint64_t)index * step) % SUFFIX_SPACE;
	memcpy(buf, base, len);
	for (int i = SUFFIX_LEN - 1; i >= 0; i--) {
		buf[len + (size_t)i] = alphabet[x % 27];
		x /= 27;
	}
	buf[len + SUFFIX_LEN] = '\0';
}

void spec_replica_name(const char *namespace, const char *rs_name,
		       unsigned index, char *buf)
{
	char base[NAME_BASE_MAX + 2];

	snprintf(base, sizeof(base), "%.*s-", NAME_BASE_MAX, rs_name);
	spec_generate_name(namespace, base, index, buf);
}

/*
 * SafeEncodeString of the decimal FNV-32a, as the Deployment controller
 * names its ReplicaSets; the decimal is zero-padded to 8 digits so that the
 * hash is always 8 to 10 characters long.
 */
void spec_template_hash(const struct spec_hash *h, char *buf, size_t size)
{
	char dec[16];
	size_t i;

	snprintf(dec, sizeof(dec), "%08u", (unsigned)h->c);
	for (i = 0; dec[i] && i + 1 < size; i++)
		buf[i] = alphabet[(unsigned char)dec[i] % 27];
	if (size)
		buf[i] = '\0';
}

void spec_uid(const struct spec_hash *h, char *buf)
{
	uint64_t hi = mix64(h->a), lo = mix64(h->b ^ hi);

	hi = (hi & ~0xf000ULL) | 0x8000ULL;		/* version 8 */
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);	/* RFC variant */
	snprintf(buf, 37, "%08x-%04x-%04x-%04x-%012llx",
		 (unsigned)(hi >> 32), (unsigned)(hi >> 16) & 0xffff,
		 (unsigned)hi & 0xffff, (unsigned)(lo >> 48),
		 (unsigned long long)(lo & 0xffffffffffffULL));
}
