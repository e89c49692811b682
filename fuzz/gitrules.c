/*
 * gitrules.c - fuzzes the pure rules of gitRepo volumes (gitrepo.h).
 *
 * The input is lines: the repository URL, the revision, the directory, a
 * git-sync period, "CODE CLASS MESSAGE" of a libgit2 error, then the
 * names a clone left in the volume's root. Beyond not crashing:
 *
 *   - git_url_check() admits exactly the kinds it says, and a URL it
 *     admits as remote is never a plain absolute path or a file:// URL;
 *   - gitrepo_check_fields() refuses every value that starts with '-' and
 *     admits no directory that cleans to more than one element;
 *   - path_clean() is idempotent, its result clean (no empty or "."
 *     element, ".." only leading a relative path, none in a rooted one), it
 *     never needs more than its input's length plus two bytes, and given
 *     less it fails instead of truncating;
 *   - git_clone_dir_name() gives one element, never "." or "..";
 *   - gitrepo_checkout_dir() picks the root or the only entry, else says why;
 *   - git_sync_period_parse() accepts only the grammar of a Go duration
 *     (time.ParseDuration, without a sign), and never less than a second;
 *   - authentication and certificate errors are never retried.
 *
 * Every output buffer is allocated at its exact size, so that the
 * sanitizers see a write past it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <git2/errors.h>

#include "fuzz.h"
#include "podvolfs/gitrepo.h"

#define FIELDS 13

/* Output buffer sizes tried for messages. */
static const size_t msg_sizes[] = { 1, 24, 600 };

static void url_check(const char *url)
{
	enum git_url_kind kind = git_url_kind(url);
	bool remote = kind == GIT_URL_GIT || kind == GIT_URL_HTTP ||
		      kind == GIT_URL_SSH;

	if (remote)
		FUZZ_CHECK(url[0] != '/' && strncasecmp(url, "file://", 7),
			   "\"%s\" is a remote URL of kind %d", url, kind);
	for (size_t i = 0; i < sizeof(msg_sizes) / sizeof(msg_sizes[0]); i++) {
		for (int allow = 0; allow < 2; allow++) {
			char *msg = fuzz_malloc(msg_sizes[i]);
			bool ok = remote || (allow && kind == GIT_URL_LOCAL);
			int rc;

			msg[0] = '\0';
			rc = git_url_check(url, allow, msg, msg_sizes[i]);
			FUZZ_CHECK(ok ? rc == 0 : rc == -EPERM,
				   "git_url_check(\"%s\", %d) is %d for kind %d",
				   url, allow, rc, kind);
			FUZZ_CHECK(rc == 0 || msg_sizes[i] == 1 || msg[0],
				   "\"%s\" refused without a reason", url);
			free(msg);
		}
	}
}

/* True when @p, of @n bytes, is ".." */
static bool is_dotdot(const char *p, size_t n)
{
	return n == 2 && p[0] == '.' && p[1] == '.';
}

/* The shape of a path_clean() result of @in. */
static void clean_shape(const char *in, const char *out)
{
	bool rooted = out[0] == '/';
	bool leading = !rooted;
	const char *p = out + rooted;

	FUZZ_CHECK(rooted == (in[0] == '/'), "\"%s\" cleans to \"%s\"", in, out);
	if (!strcmp(out, ".") || !strcmp(out, "/"))
		return;
	for (;;) {
		size_t n = strcspn(p, "/");

		FUZZ_CHECK(n && !(n == 1 && p[0] == '.'),
			   "\"%s\" cleans to \"%s\": an empty or \".\" element",
			   in, out);
		if (is_dotdot(p, n))
			FUZZ_CHECK(leading, "\"%s\" cleans to \"%s\": a \"..\" after a name",
				   in, out);
		else
			leading = false;
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* path_clean(): shape, idempotence, the room it needs. */
static void clean_check(const char *in)
{
	size_t room = strlen(in) + 2, len;
	char *out = fuzz_malloc(room), *again;
	int rc = path_clean(in, out, room);

	FUZZ_CHECK(rc == 0, "path_clean(\"%s\") needs more than %zu bytes: %d",
		   in, room, rc);
	clean_shape(in, out);
	len = strlen(out);
	again = fuzz_malloc(len + 2);
	FUZZ_CHECK(path_clean(out, again, len + 2) == 0 && !strcmp(out, again),
		   "\"%s\" cleans to \"%s\", then to \"%s\"", in, out, again);
	free(again);
	for (size_t size = 1; size <= len + 1; size += size < 4 ? 1 : len / 3 + 1) {
		char *small = fuzz_malloc(size);

		rc = path_clean(in, small, size);
		if (size <= len)
			FUZZ_CHECK(rc == -ENAMETOOLONG,
				   "path_clean(\"%s\") fits %zu bytes for \"%s\"",
				   in, size, out);
		else
			FUZZ_CHECK(rc == -ENAMETOOLONG ||
				   (rc == 0 && !strcmp(small, out)),
				   "path_clean(\"%s\") in %zu bytes gives %d", in,
				   size, rc);
		free(small);
	}
	free(out);
}

static void fields_check(const char *repo, const char *rev, const char *dir)
{
	char clean[4096];

	for (size_t i = 0; i < sizeof(msg_sizes) / sizeof(msg_sizes[0]); i++) {
		char *msg = fuzz_malloc(msg_sizes[i]);
		int rc = gitrepo_check_fields(repo, rev, dir, msg, msg_sizes[i]);

		if (repo[0] == '-' || rev[0] == '-' || dir[0] == '-')
			FUZZ_CHECK(rc == -EINVAL, "a leading '-' admitted");
		else if (rc == 0 && *rev && *dir)
			FUZZ_CHECK(!path_clean(dir, clean, sizeof(clean)) &&
				   !strpbrk(clean, "/\\"),
				   "directory \"%s\" admitted with a revision",
				   dir);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL, "check_fields gives %d", rc);
		free(msg);
	}
}

static void dir_name_check(const char *url)
{
	size_t room = strlen(url) + 1, len;
	char *out = fuzz_malloc(room), *small;
	int rc = git_clone_dir_name(url, out, room);

	FUZZ_CHECK(rc == 0 || rc == -EINVAL,
		   "git_clone_dir_name(\"%s\") gives %d with %zu bytes", url,
		   rc, room);
	if (rc) {
		free(out);
		return;
	}
	len = strlen(out);
	FUZZ_CHECK(len && strcmp(out, ".") && strcmp(out, "..") &&
		   !strpbrk(out, "/\\"),
		   "\"%s\" clones into \"%s\"", url, out);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f,
			   "\"%s\" clones into a name with control characters",
			   url);
	small = fuzz_malloc(len);
	FUZZ_CHECK(git_clone_dir_name(url, small, len) == -ENAMETOOLONG,
		   "\"%s\" clones into \"%s\", which fits %zu bytes", url, out,
		   len);
	free(small);
	free(out);
}

static void checkout_check(const char *dir, char **entries, size_t n)
{
	static const char prefix[] = "unexpected directory contents: [";
	const size_t plen = sizeof(prefix) - 1;
	char clean[4096];
	bool root = *dir && !path_clean(dir, clean, sizeof(clean)) &&
		    !strcmp(clean, ".");

	for (size_t i = 0; i < sizeof(msg_sizes) / sizeof(msg_sizes[0]); i++) {
		char *msg = fuzz_malloc(msg_sizes[i]);
		const char *out = dir;
		int rc;

		msg[0] = '\0';
		rc = gitrepo_checkout_dir(dir, (const char *const *)entries, n,
					  &out, msg, msg_sizes[i]);
		if (root)
			FUZZ_CHECK(rc == 0 && !out, "directory \"%s\" is not the root", dir);
		else if (n == 1)
			FUZZ_CHECK(rc == 0 && out == entries[0], "the only entry not taken");
		else
			FUZZ_CHECK(rc == -EINVAL && strlen(msg) < msg_sizes[i] &&
				   !strncmp(msg, prefix, msg_sizes[i] - 1 < plen ?
							 msg_sizes[i] - 1 : plen),
				   "%zu entries give %d, \"%s\"", n, rc, msg);
		free(msg);
	}
}

/* time.ParseDuration's grammar, without a sign: (number unit)+. */
static bool go_duration(const char *s)
{
	static const char *const units[] = { "ns", "us", "\xc2\xb5s",
		"\xce\xbcs", "ms", "s", "m", "h", NULL };

	if (!*s)
		return false;
	while (*s) {
		size_t whole = strspn(s, "0123456789"), frac = 0, unit = 0;

		s += whole;
		if (*s == '.') {
			frac = strspn(s + 1, "0123456789");
			s += 1 + frac;
		}
		if (!whole && !frac)
			return false;
		for (size_t i = 0; units[i]; i++) {
			size_t n = strlen(units[i]);

			if (n > unit && !strncmp(s, units[i], n))
				unit = n;
		}
		if (!unit)
			return false;
		s += unit;
	}
	return true;
}

static void period_check(const char *text)
{
	for (size_t i = 0; i < sizeof(msg_sizes) / sizeof(msg_sizes[0]); i++) {
		char *msg = fuzz_malloc(msg_sizes[i]);
		double secs = -1;
		int rc;

		msg[0] = '\0';
		rc = git_sync_period_parse(text, &secs, msg, msg_sizes[i]);
		if (rc == 0)
			FUZZ_CHECK(go_duration(text) && secs >= 1,
				   "period \"%s\" accepted as %g s", text, secs);
		else
			FUZZ_CHECK(rc == -EINVAL && secs == -1 &&
				   (msg_sizes[i] == 1 || msg[0]),
				   "period \"%s\" refused with %d", text, rc);
		free(msg);
	}
}

static void retry_check(const char *line)
{
	char *end;
	long code = strtol(line, &end, 10);
	long klass = strtol(end, &end, 10);
	bool retry = git_error_retryable((int)code, (int)klass,
					 *end ? end + 1 : end);

	if (code == GIT_EAUTH || code == GIT_ECERTIFICATE)
		FUZZ_CHECK(!retry, "error %ld retried", code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char none[] = "";
	char *in = fuzz_text(data, size);
	char *f[FIELDS];
	size_t n = fuzz_split(in, '\n', f, FIELDS);

	for (size_t i = n; i < FIELDS; i++)
		f[i] = none;
	url_check(f[0]);
	fields_check(f[0], f[1], f[2]);
	clean_check(f[2]);
	dir_name_check(f[0]);
	checkout_check(f[2], f + 5, n > 5 ? n - 5 : 0);
	period_check(f[3]);
	retry_check(f[4]);
	free(in);
	return 0;
}
