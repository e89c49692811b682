/*
 * names.c - RFC 1123 label and subdomain rules, label keys and values,
 * with apimachinery's messages.
 *
 * IsDNS1123Label and IsDNS1123Subdomain return a list of messages: one for
 * the length and one for the format. The format message of a label is
 * "must not contain dots" when the name would be a valid subdomain, since
 * then only the dots are wrong. IsQualifiedName (label keys) checks an
 * optional subdomain prefix and a name part, and says which part is wrong.
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

static const char qname_msg[] =
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

static const char qname_slashes_msg[] =
	"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

static const char label_value_msg[] =
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

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

/* Whether @s[0..n) is labels joined by dots. */
static bool subdomain_match(const char *s, size_t n)
{
	const char *dot;

	for (;;) {
		dot = memchr(s, '.', n);
		if (!label_match(s, dot ? (size_t)(dot - s) : n))
			return false;
		if (!dot)
			return true;
		n -= (size_t)(dot - s) + 1;
		s = dot + 1;
	}
}

static unsigned subdomain_errors(const char *s, size_t n, const char *msgs[2])
{
	unsigned k = 0;

	if (n > SUBDOMAIN_MAX)
		msgs[k++] = subdomain_len_msg;
	if (!subdomain_match(s, n))
		msgs[k++] = subdomain_msg;
	return k;
}

unsigned spec_dns_label_errors(const char *s, const char *msgs[2])
{
	unsigned n = 0;

	if (strlen(s) > LABEL_MAX)
		msgs[n++] = label_len_msg;
	if (!label_match(s, strlen(s)))
		msgs[n++] = subdomain_match(s, strlen(s)) ?
			    "must not contain dots" : label_msg;
	return n;
}

unsigned spec_dns_subdomain_errors(const char *s, const char *msgs[2])
{
	return subdomain_errors(s, strlen(s), msgs);
}

static bool is_alnum_any_case(char c)
{
	return is_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* Whether @s[0..n) matches ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] in full. */
static bool qname_match(const char *s, size_t n)
{
	if (n == 0 || !is_alnum_any_case(s[0]) || !is_alnum_any_case(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum_any_case(s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

unsigned spec_qualified_name_errors(const char *s, const char *pre[4],
				    const char *msgs[4])
{
	const char *slash = strchr(s, '/'), *name = s, *sub[2];
	unsigned n = 0, k;
	size_t len;

	if (slash && strchr(slash + 1, '/')) {
		pre[0] = "";
		msgs[0] = qname_slashes_msg;
		return 1;
	}
	if (slash) {
		len = (size_t)(slash - s);
		name = slash + 1;
		if (len == 0) {
			pre[n] = "prefix part ";
			msgs[n++] = "must be non-empty";
		} else {
			k = subdomain_errors(s, len, sub);
			for (unsigned i = 0; i < k; i++) {
				pre[n] = "prefix part ";
				msgs[n++] = sub[i];
			}
		}
	}
	len = strlen(name);
	if (len == 0 || len > LABEL_MAX) {
		pre[n] = "name part ";
		msgs[n++] = len ? label_len_msg : "must be non-empty";
	}
	if (!qname_match(name, len)) {
		pre[n] = "name part ";
		msgs[n++] = qname_msg;
	}
	return n;
}

unsigned spec_label_value_errors(const char *s, const char *msgs[2])
{
	size_t len = strlen(s);
	unsigned n = 0;

	if (len > LABEL_MAX)
		msgs[n++] = label_len_msg;
	if (len && !qname_match(s, len))
		msgs[n++] = label_value_msg;
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
