/*
 * test_state.c - the state directory's layout and atomic records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podvolfs/rmtree.h"
#include "podvolfs/state.h"

struct fixture {
	char dir[64];
	struct state *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/podvolfs-test-state.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* state_open makes the directory itself */
	strcat(f->dir, "/state");
	f->st = state_open(f->dir);
	if (!f->st)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *slash = strrchr(f->dir, '/');

	state_close(f->st);
	*slash = '\0';
	rmtree_at(AT_FDCWD, f->dir);
	free(f);
	return 0;
}

static void test_state__volume_dirs_are_private_and_found_again(void **state)
{
	struct fixture *f = *state;
	char path[512];
	struct stat st;
	bool fresh;
	int fd;

	fd = state_volume_open(f->st, "uid-1", "html", &fresh);
	assert_true(fd >= 0);
	assert_true(fresh);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	close(fd);
	fd = state_volume_open(f->st, "uid-1", "html", &fresh);
	assert_true(fd >= 0);
	assert_false(fresh);
	close(fd);
	assert_int_equal(state_volume_path(f->st, "uid-1", "html", "x", path,
					   sizeof(path)), 0);
	snprintf(path + 400, 112, "%s/pods/uid-1/volumes/html/x", f->dir);
	assert_string_equal(path, path + 400);
	assert_int_equal(state_volume_path(f->st, "uid-1", "html", "x", path,
					   10), -ENAMETOOLONG);
	assert_int_equal(state_pod_remove(f->st, "uid-1"), 0);
	snprintf(path, sizeof(path), "%s/pods/uid-1", f->dir);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(state_pod_remove(f->st, "uid-1"), 0);
}

static void test_state__records_are_replaced_whole(void **state)
{
	struct fixture *f = *state;
	char buf[16];
	bool fresh;
	DIR *d;
	struct dirent *de;
	int fd;

	fd = state_volume_open(f->st, "uid-2", "repo", &fresh);
	assert_true(fd >= 0);
	assert_int_equal(state_read(fd, "current", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(state_write_atomic(fd, "current", "one\n", 4), 0);
	assert_int_equal(state_read(fd, "current", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "one\n");
	assert_int_equal(state_write_atomic(fd, "current", "second\n", 7), 0);
	assert_int_equal(state_read(fd, "current", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "second\n");
	assert_int_equal(state_write_atomic(fd, "current",
					    "0123456789abcdefXYZ", 19), 0);
	assert_int_equal(state_read(fd, "current", buf, sizeof(buf)), -EFBIG);
	/* no temporary file is left beside the record */
	d = fdopendir(dup(fd));
	assert_non_null(d);
	while ((de = readdir(d)))
		assert_true(!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, "..") ||
			    !strcmp(de->d_name, "current"));
	closedir(d);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_state__volume_dirs_are_private_and_found_again,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_state__records_are_replaced_whole,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
