/*
 * gitrepo.h - the pure rules of gitRepo volumes, apart from any clone.
 *
 * What the kubelet checks before it runs git (SPEC 5.2), which URLs
 * podvolfs clones at all, the directory git would choose, the kubelet's
 * "unexpected directory contents" rule, the git-sync period, and which
 * libgit2 errors are worth trying again. Nothing here does I/O, so all of
 * it is unit-tested (tests/unit/test_gitrepo.c).
 */
#ifndef PODVOLFS_GITREPO_H
#define PODVOLFS_GITREPO_H

#include <stdbool.h>
#include <stddef.h>

enum git_url_kind {
	GIT_URL_GIT,			/* git:// */
	GIT_URL_HTTP,			/* http:// and https:// */
	GIT_URL_SSH,			/* ssh://, git+ssh://, ssh+git://, [user@]host:path */
	GIT_URL_LOCAL,			/* file:// or a plain path */
	GIT_URL_OTHER,			/* any other scheme, "helper::address", "" */
};

/* What kind of URL @url is, by its text alone (case-insensitive scheme). */
enum git_url_kind git_url_kind(const char *url);

/*
 * Whether podvolfs clones @url: git, http(s) and ssh URLs always, local
 * ones only with @allow_local, others never. Returns 0, or -EPERM with the
 * reason in @msg (size @len).
 */
int git_url_check(const char *url, bool allow_local, char *msg, size_t len);

/*
 * The kubelet's own checks of the fields (NewMounter): no value may start
 * with '-' ("\"-x\" is an invalid value for repository"), and with a
 * revision the directory, cleaned, may hold no separator ("\"a/b\" is not
 * a valid directory, it must not contain a directory separator").
 * Returns 0, or -EINVAL with the kubelet's message in @msg.
 */
int gitrepo_check_fields(const char *repository, const char *revision,
			 const char *directory, char *msg, size_t len);

/*
 * Go's filepath.Clean of the relative path @in into @out (size @len):
 * repeated and trailing slashes and "." elements dropped, ".." taking one
 * element off; "" gives ".". Returns 0 or -ENAMETOOLONG.
 */
int path_clean(const char *in, char *out, size_t len);

/*
 * The directory "git clone URL" makes when given none: the last part of
 * @url without a trailing "/", "/.git" or ".git", the port of a bare
 * host dropped ("git://host:9418/site.git" gives "site"). Returns 0, or
 * -EINVAL when no name can be guessed (as git refuses), -ENAMETOOLONG.
 */
int git_clone_dir_name(const char *url, char *out, size_t len);

/*
 * The kubelet's step 4: where "git checkout" runs. @directory is the
 * field; @entries (@n of them) are the names in the volume's root after the
 * clone. With a @directory that cleans to ".", the root itself (*@out =
 * NULL); else the only entry (*@out points to it). Returns 0, or -EINVAL
 * with "unexpected directory contents: [a b]" in @msg.
 */
int gitrepo_checkout_dir(const char *directory, const char *const *entries,
			 size_t n, const char **out, char *msg, size_t len);

/*
 * The value of the annotation podvolfs.io/git-sync-period, a Go duration
 * ("30s", "1m30s", "1.5h", "500ms"), in seconds. Returns 0, or -EINVAL with
 * why in @msg (not a duration, or below one second).
 */
int git_sync_period_parse(const char *text, double *seconds, char *msg,
			  size_t len);

#define GIT_SYNC_PERIOD_ANNOTATION "podvolfs.io/git-sync-period"

/*
 * Whether a failed clone or fetch may succeed when tried again, from
 * libgit2's error @code, class @klass and message: connections refused,
 * reset or timed out, DNS, server errors (HTTP 5xx) may heal; a server's
 * answer that the repository is not there or not allowed (a "remote
 * error:", HTTP 4xx), an unknown revision, refused credentials or a bad
 * certificate do not.
 */
bool git_error_retryable(int code, int klass, const char *message);

#endif
