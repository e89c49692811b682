/*
 * test_gitrepo.c - gitRepo's pure rules: URL schemes, the kubelet's field
 * checks and directory rules, git's directory name, the git-sync period,
 * and which errors are retried.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <git2/errors.h>

#include "podvolfs/gitrepo.h"

static void test_url__kinds_by_scheme(void **state)
{
	(void)state;
	assert_int_equal(git_url_kind("git://127.0.0.1:9418/site.git"), GIT_URL_GIT);
	assert_int_equal(git_url_kind("GIT://host/x"), GIT_URL_GIT);
	assert_int_equal(git_url_kind("http://host/git/x.git"), GIT_URL_HTTP);
	assert_int_equal(git_url_kind("HTTPS://host/x"), GIT_URL_HTTP);
	assert_int_equal(git_url_kind("ssh://git@host/x.git"), GIT_URL_SSH);
	assert_int_equal(git_url_kind("git+ssh://host/x"), GIT_URL_SSH);
	assert_int_equal(git_url_kind("git@github.com:user/repo.git"), GIT_URL_SSH);
	assert_int_equal(git_url_kind("file:///srv/repo.git"), GIT_URL_LOCAL);
	assert_int_equal(git_url_kind("FILE:///srv/repo.git"), GIT_URL_LOCAL);
	assert_int_equal(git_url_kind("/srv/repo.git"), GIT_URL_LOCAL);
	assert_int_equal(git_url_kind("../other-pod/volumes/x"), GIT_URL_LOCAL);
	assert_int_equal(git_url_kind("repo"), GIT_URL_LOCAL);
	assert_int_equal(git_url_kind("./a:b"), GIT_URL_LOCAL);
	assert_int_equal(git_url_kind("ext::sh -c touch% /tmp/x"), GIT_URL_OTHER);
	assert_int_equal(git_url_kind("ftp://host/x.git"), GIT_URL_OTHER);
	assert_int_equal(git_url_kind(""), GIT_URL_OTHER);
}

static void test_url__local_only_when_allowed(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(git_url_check("git://h/x", false, msg, sizeof(msg)), 0);
	assert_int_equal(git_url_check("https://h/x", false, msg, sizeof(msg)), 0);
	assert_int_equal(git_url_check("ssh://h/x", false, msg, sizeof(msg)), 0);
	assert_int_equal(git_url_check("file:///srv/x", false, msg, sizeof(msg)),
			 -EPERM);
	assert_non_null(strstr(msg, "-o allow_local_git"));
	assert_int_equal(git_url_check("/srv/x", false, msg, sizeof(msg)), -EPERM);
	assert_int_equal(git_url_check("file:///srv/x", true, msg, sizeof(msg)), 0);
	assert_int_equal(git_url_check("/srv/x", true, msg, sizeof(msg)), 0);
	assert_int_equal(git_url_check("ext::sh", true, msg, sizeof(msg)), -EPERM);
	assert_string_equal(msg,
		"repository \"ext::sh\" is not a git://, http://, https:// or ssh:// URL");
}

static void check_fields(const char *repo, const char *rev, const char *dir,
			 const char *want)
{
	char msg[256] = "";
	int rc = gitrepo_check_fields(repo, rev, dir, msg, sizeof(msg));

	if (!want) {
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(msg, want);
}

static void test_fields__kubelet_rules(void **state)
{
	(void)state;
	check_fields("git://h/x", "", "", NULL);
	check_fields("--upload-pack=touch /x", "", "",
		     "\"--upload-pack=touch /x\" is an invalid value for repository");
	check_fields("git://h/x", "-b", "", "\"-b\" is an invalid value for revision");
	check_fields("git://h/x", "", "-d", "\"-d\" is an invalid value for directory");
	check_fields("git://h/x", "", "a/b", NULL);
	check_fields("git://h/x", "main", "a", NULL);
	check_fields("git://h/x", "main", "a/", NULL);
	check_fields("git://h/x", "main", "./a", NULL);
	check_fields("git://h/x", "main", ".", NULL);
	check_fields("git://h/x", "main", "a/b",
		     "\"a/b\" is not a valid directory, it must not contain a directory separator");
	check_fields("git://h/x", "main", "a\\b",
		     "\"a\\b\" is not a valid directory, it must not contain a directory separator");
}

static void check_clean(const char *in, const char *want)
{
	char out[64];

	assert_int_equal(path_clean(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_path_clean__as_go(void **state)
{
	char out[4];

	(void)state;
	check_clean("", ".");
	check_clean(".", ".");
	check_clean("./", ".");
	check_clean("a/", "a");
	check_clean("./a", "a");
	check_clean("a//b/./c/", "a/b/c");
	check_clean("a/..", ".");
	check_clean("a/../..", "..");
	check_clean("../../a", "../../a");
	check_clean("a/b/../../../c", "../c");
	check_clean("/../a", "/a");
	check_clean("/a/b/../c", "/a/c");
	check_clean("/", "/");
	assert_int_equal(path_clean("abcdef", out, sizeof(out)), -ENAMETOOLONG);
}

static void check_name(const char *url, const char *want)
{
	char out[64];
	int rc = git_clone_dir_name(url, out, sizeof(out));

	if (!want) {
		assert_int_equal(rc, -EINVAL);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
}

static void test_clone_dir_name__as_git(void **state)
{
	(void)state;
	check_name("git://127.0.0.1:9418/site.git", "site");
	check_name("http://127.0.0.1:8080/git/site.git/", "site");
	check_name("https://github.com/kubernetes/git-sync", "git-sync");
	check_name("git@github.com:user/repo.git", "repo");
	check_name("/srv/repo/.git", "repo");
	check_name("/srv/repo.git/", "repo");
	check_name("git://host:9418", "host");
	check_name("http://user@host/", "host");
	check_name("git://h/.git", "h");
	check_name("git://h/..", NULL);
	check_name("", NULL);
	check_name("/", NULL);
}

static void test_checkout_dir__one_entry_or_dot(void **state)
{
	const char *two[] = { "a", "b" };
	const char *one[] = { "site" };
	const char *out = "x";
	char msg[128];

	(void)state;
	assert_int_equal(gitrepo_checkout_dir(".", two, 2, &out, msg,
					      sizeof(msg)), 0);
	assert_null(out);
	assert_int_equal(gitrepo_checkout_dir("./", two, 2, &out, msg,
					      sizeof(msg)), 0);
	assert_null(out);
	assert_int_equal(gitrepo_checkout_dir("", one, 1, &out, msg,
					      sizeof(msg)), 0);
	assert_string_equal(out, "site");
	assert_int_equal(gitrepo_checkout_dir("sub", one, 1, &out, msg,
					      sizeof(msg)), 0);
	assert_string_equal(out, "site");
	assert_int_equal(gitrepo_checkout_dir("", two, 2, &out, msg,
					      sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "unexpected directory contents: [a b]");
	assert_int_equal(gitrepo_checkout_dir("", NULL, 0, &out, msg,
					      sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "unexpected directory contents: []");
}

static void check_period(const char *text, double want)
{
	char msg[256];
	double s = -1;
	int rc = git_sync_period_parse(text, &s, msg, sizeof(msg));

	if (want < 0) {
		assert_int_equal(rc, -EINVAL);
		assert_non_null(strstr(msg, "podvolfs.io/git-sync-period"));
		return;
	}
	assert_int_equal(rc, 0);
	assert_true(s > want - 1e-9 && s < want + 1e-9);
}

static void test_sync_period__go_durations(void **state)
{
	(void)state;
	check_period("30s", 30);
	check_period("1m30s", 90);
	check_period("1.5h", 5400);
	check_period("2000ms", 2);
	check_period("1s500ms", 1.5);
	check_period("500ms", -1);
	check_period("0s", -1);
	check_period("30", -1);
	check_period("30 s", -1);
	check_period("-30s", -1);
	check_period("s", -1);
	check_period("", -1);
	check_period("10x", -1);
	/* strtod's syntax beyond Go's: exponents, hex */
	check_period(".7m.7m.7e7m", -1);
	check_period("1e3s", -1);
	check_period("0x10s", -1);
	check_period("5.s", 5);
	check_period(".5m", 30);
}

static void test_retry__what_may_heal(void **state)
{
	(void)state;
	assert_true(git_error_retryable(-1, GIT_ERROR_NET,
		"failed to connect to 127.0.0.1: Connection refused"));
	assert_true(git_error_retryable(-1, GIT_ERROR_NET, "early EOF"));
	assert_false(git_error_retryable(-1, GIT_ERROR_NET,
		"remote error: access denied or repository not exported: /x.git"));
	assert_false(git_error_retryable(-1, GIT_ERROR_HTTP,
		"unexpected http status code: 404"));
	assert_true(git_error_retryable(-1, GIT_ERROR_HTTP,
		"unexpected http status code: 503"));
	assert_true(git_error_retryable(-1, GIT_ERROR_OS, "could not write"));
	assert_false(git_error_retryable(GIT_EAUTH, GIT_ERROR_SSH,
		"authentication required but no callback set"));
	assert_false(git_error_retryable(GIT_ECERTIFICATE, GIT_ERROR_SSL,
		"the SSL certificate is invalid"));
	assert_false(git_error_retryable(GIT_ENOTFOUND, GIT_ERROR_REFERENCE,
		"revspec 'nope' not found"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url__kinds_by_scheme),
		cmocka_unit_test(test_url__local_only_when_allowed),
		cmocka_unit_test(test_fields__kubelet_rules),
		cmocka_unit_test(test_path_clean__as_go),
		cmocka_unit_test(test_clone_dir_name__as_git),
		cmocka_unit_test(test_checkout_dir__one_entry_or_dot),
		cmocka_unit_test(test_sync_period__go_durations),
		cmocka_unit_test(test_retry__what_may_heal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
