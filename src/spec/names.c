/*
 * names.c - RFC 1123 label and subdomain rules, with apimachinery's messages.
 *
 * IsDNS1123Label and IsDNS1123Subdomain return a list of messages: one for
 * the length and one for the format. The format message of a label is
 * "must not contain dots" when the name would be a valid subdomain, since
 * then only the dots are wrong.
 */
#include <stdbool.h>
#include <string.h>

#include "spec_i.h"

#define LABEL_MAX 63
#define SUBDOMAIN_MAX 253

static const char label_msg[] =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

static const char subdomain_msg[] =
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

static const char label_len_msg[] = "must be no more than 63 characters";
static const char subdomain_len_msg[] = "must be no more than 253 characters";

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Whether @s[0..n) matches [a-z0-9]([-a-z0-9]*[a-z0-9])? in full. */
static bool label_match(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool subdomain_match(const char *s)
{
	const char *dot;

	for (;;) {
		dot = strchr(s, '.');
		if (!label_match(s, dot ? (size_t)(dot - s) : strlen(s)))
			return false;
		if (!dot)
			return true;
		s = dot + 1;
	}
}

unsigned spec_dns_label_errors(const char *s, const char *msgs[2])
{
	unsigned n = 0;

	if (strlen(s) > LABEL_MAX)
		msgs[n++] = label_len_msg;
	if (!label_match(s, strlen(s)))
		msgs[n++] = subdomain_match(s) ? "must not contain dots" :
						 label_msg;
	return n;
}

unsigned spec_dns_subdomain_errors(const char *s, const char *msgs[2])
{
	unsigned n = 0;

	if (strlen(s) > SUBDOMAIN_MAX)
		msgs[n++] = subdomain_len_msg;
	if (!subdomain_match(s))
		msgs[n++] = subdomain_msg;
	return n;
}

const char *spec_check_dns_label(const char *s)
{
	const char *msgs[2];

	return spec_dns_label_errors(s, msgs) ? msgs[0] : NULL;
}

const char *spec_check_dns_subdomain(const char *s)
{
	const char *msgs[2];

	return spec_dns_subdomain_errors(s, msgs) ? msgs[0] : NULL;
}
