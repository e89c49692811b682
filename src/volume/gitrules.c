/*
 * gitrules.c - gitRepo's pure rules: URLs, fields, names, periods, errors.
 *
 * The URL check is the first line of the safety argument (docs/design/
 * gitrepo.md): libgit2 clones file:// URLs and plain paths through its
 * local transport, and a plain path even hard-links the source's packs, so
 * a pod could read any repository on the host (CVE-2025-1767). Local URLs
 * are therefore refused by their text before anything is cloned, unless
 * the daemon's owner allowed them; the helper checks the remote's URL again
 * after libgit2 has parsed it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <git2/errors.h>

#include "podvolfs/gitrepo.h"

/* The length of "scheme://" at the start of @url, or 0. */
static size_t scheme_len(const char *url)
{
	size_t n = 0;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	while (isalnum((unsigned char)url[n]) || url[n] == '+' ||
	       url[n] == '.' || url[n] == '-')
		n++;
	return strncmp(url + n, "://", 3) ? 0 : n + 3;
}

static bool scheme_is(const char *url, size_t n, const char *scheme)
{
	return strlen(scheme) == n && !strncasecmp(url, scheme, n);
}

enum git_url_kind git_url_kind(const char *url)
{
	size_t n = scheme_len(url);
	const char *colon;

	if (n) {
		if (scheme_is(url, n, "git://"))
			return GIT_URL_GIT;
		if (scheme_is(url, n, "http://") || scheme_is(url, n, "https://"))
			return GIT_URL_HTTP;
		if (scheme_is(url, n, "ssh://") ||
		    scheme_is(url, n, "git+ssh://") ||
		    scheme_is(url, n, "ssh+git://"))
			return GIT_URL_SSH;
		if (scheme_is(url, n, "file://"))
			return GIT_URL_LOCAL;
		return GIT_URL_OTHER;
	}
	if (!*url)
		return GIT_URL_OTHER;
	/* "helper::address" asks git for a remote helper (ext:: runs a command) */
	if (strstr(url, "::"))
		return GIT_URL_OTHER;
	/* scp-like "[user@]host:path": a ':' before any '/' */
	colon = strchr(url, ':');
	if (colon && colon > url && !memchr(url, '/', colon - url))
		return GIT_URL_SSH;
	return GIT_URL_LOCAL;
}

int git_url_check(const char *url, bool allow_local, char *msg, size_t len)
{
	switch (git_url_kind(url)) {
	case GIT_URL_GIT:
	case GIT_URL_HTTP:
	case GIT_URL_SSH:
		return 0;
	case GIT_URL_LOCAL:
		if (allow_local)
			return 0;
		snprintf(msg, len,
			 "repository \"%s\" is on this machine: local repositories are cloned only when podvolfs runs with -o allow_local_git",
			 url);
		return -EPERM;
	case GIT_URL_OTHER:
		break;
	}
	snprintf(msg, len,
		 "repository \"%s\" is not a git://, http://, https:// or ssh:// URL",
		 url);
	return -EPERM;
}

int gitrepo_check_fields(const char *repository, const char *revision,
			 const char *directory, char *msg, size_t len)
{
	const char *const names[] = { "repository", "revision", "directory" };
	const char *const values[] = { repository, revision, directory };
	char clean[4096];

	for (size_t i = 0; i < 3; i++) {
		if (values[i][0] == '-') {
			snprintf(msg, len, "\"%s\" is an invalid value for %s",
				 values[i], names[i]);
			return -EINVAL;
		}
	}
	if (!*revision || !*directory)
		return 0;
	if (path_clean(directory, clean, sizeof(clean)) ||
	    strpbrk(clean, "/\\")) {
		snprintf(msg, len,
			 "\"%s\" is not a valid directory, it must not contain a directory separator",
			 directory);
		return -EINVAL;
	}
	return 0;
}

/* Whether the last element of @out (length @o, elements after @base) is "..". */
static bool last_is_dotdot(const char *out, size_t o, size_t base)
{
	return o - base >= 2 && out[o - 1] == '.' && out[o - 2] == '.' &&
	       (o - base == 2 || out[o - 3] == '/');
}

int path_clean(const char *in, char *out, size_t len)
{
	bool rooted = in[0] == '/';
	size_t base = rooted ? 1 : 0;
	size_t o = base;

	if (len < 2)
		return -ENAMETOOLONG;
	if (rooted)
		out[0] = '/';
	for (const char *p = in; *p; p += *p ? 1 : 0) {
		size_t n = strcspn(p, "/");
		const char *elem = p;

		p += n;
		if (n == 0 || (n == 1 && elem[0] == '.'))
			continue;
		if (n == 2 && elem[0] == '.' && elem[1] == '.') {
			if (o > base && !last_is_dotdot(out, o, base)) {
				while (o > base && out[o - 1] != '/')
					o--;
				if (o > base)
					o--;
				continue;
			}
			if (rooted)
				continue;
		}
		if (o + n + 2 > len)
			return -ENAMETOOLONG;
		if (o > base)
			out[o++] = '/';
		memcpy(out + o, elem, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

static bool is_sep(char c)
{
	return c == '/' || c == '\\';
}

int git_clone_dir_name(const char *url, char *out, size_t len)
{
	const char *start = url;
	const char *end = url + strlen(url);
	const char *p = strstr(url, "://");
	size_t n;

	if (p)
		start = p + 3;
	/* user@ of the authority part */
	for (p = start; p < end && !is_sep(*p); p++)
		if (*p == '@')
			start = p + 1;
	while (start < end && (is_sep(end[-1]) || isspace((unsigned char)end[-1])))
		end--;
	if (end - start > 5 && is_sep(end[-5]) && !strncmp(end - 4, ".git", 4)) {
		end -= 5;
		while (start < end && is_sep(end[-1]))
			end--;
	}
	/* a bare host: its port is no name */
	if (!memchr(start, '/', end - start)) {
		p = end;
		while (start < p && isdigit((unsigned char)p[-1]))
			p--;
		if (start < p && p[-1] == ':')
			end = p - 1;
	}
	/* the last element, ':' separating too (scp-like host:path) */
	p = end;
	while (start < p && !is_sep(p[-1]) && p[-1] != ':')
		p--;
	start = p;
	n = end - start;
	if (n > 4 && !strncmp(end - 4, ".git", 4))
		n -= 4;
	if (!n || (n == 1 && start[0] == '.') ||
	    (n == 2 && start[0] == '.' && start[1] == '.'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (iscntrl((unsigned char)start[i]))
			return -EINVAL;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, start, n);
	out[n] = '\0';
	return 0;
}

int gitrepo_checkout_dir(const char *directory, const char *const *entries,
			 size_t n, const char **out, char *msg, size_t len)
{
	char clean[4096];
	size_t used;

	if (*directory && !path_clean(directory, clean, sizeof(clean)) &&
	    !strcmp(clean, ".")) {
		*out = NULL;
		return 0;
	}
	if (n == 1) {
		*out = entries[0];
		return 0;
	}
	/* Go prints the list as "[a b]" */
	used = snprintf(msg, len, "unexpected directory contents: [");
	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(msg + used, len - used, "%s%s", i ? " " : "",
				 entries[i]);
	if (used < len)
		snprintf(msg + used, len - used, "]");
	return -EINVAL;
}

/* One unit of a Go duration: its text and seconds. */
static const struct {
	const char *unit;
	double seconds;
} units[] = {
	{ "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 },
	{ "\xce\xbcs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 },
	{ "h", 3600 },
};

int git_sync_period_parse(const char *text, double *seconds, char *msg,
			  size_t len)
{
	const char *p = text;
	double total = 0;

	if (!*p)
		goto out_invalid;
	while (*p) {
		size_t best = 0, k = 0;
		size_t num = strspn(p, "0123456789");
		char *end;
		double v;

		/* Go's [0-9]*(.[0-9]*)?: strtod would also take "1e3", "0x10" */
		if (p[num] == '.')
			num += 1 + strspn(p + num + 1, "0123456789");
		v = strtod(p, &end);
		if (end == p || end != p + num)
			goto out_invalid;
		p = end;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t ul = strlen(units[i].unit);

			if (!strncmp(p, units[i].unit, ul) && ul > best) {
				best = ul;
				k = i;
			}
		}
		if (!best)
			goto out_invalid;
		total += v * units[k].seconds;
		p += best;
	}
	if (total < 1) {
		snprintf(msg, len,
			 "invalid %s \"%s\": must be at least 1s",
			 GIT_SYNC_PERIOD_ANNOTATION, text);
		return -EINVAL;
	}
	*seconds = total;
	return 0;

out_invalid:
	snprintf(msg, len,
		 "invalid %s \"%s\": not a duration such as \"30s\", \"1m30s\" or \"1h\"",
		 GIT_SYNC_PERIOD_ANNOTATION, text);
	return -EINVAL;
}

/* The status of an "unexpected http status code: 404" message, or 0. */
static int http_status(const char *message)
{
	const char *p = strstr(message, "status code: ");

	return p ? atoi(p + strlen("status code: ")) : 0;
}

bool git_error_retryable(int code, int klass, const char *message)
{
	int status;

	if (code == GIT_EAUTH || code == GIT_ECERTIFICATE)
		return false;
	switch (klass) {
	case GIT_ERROR_NET:
		/* the server answered: the repository is missing or refused */
		return strncmp(message, "remote error:", 13) != 0;
	case GIT_ERROR_HTTP:
		status = http_status(message);
		return status == 0 || status == 408 || status == 429 ||
		       status >= 500;
	case GIT_ERROR_SSL:
	case GIT_ERROR_OS:
		return true;
	default:
		return false;
	}
}
