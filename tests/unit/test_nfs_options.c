/*
 * test_nfs_options.c - a PersistentVolume's or StorageClass's mountOptions
 * as the nfs store reads them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "podvolfs/store.h"

static int apply(struct nfs_target *t, char *msg, const char *const *opts,
		 size_t n)
{
	memset(t, 0, sizeof(*t));
	msg[0] = '\0';
	return nfs_target_options(t, opts, n, msg, 256);
}

static void ports_and_v3_are_taken(void **state)
{
	const char *opts[] = { "hard", "nfsvers=3", "port=2049",
			       "mountport=20048", "vers=3" };
	struct nfs_target t;
	char msg[256];

	(void)state;
	assert_int_equal(apply(&t, msg, opts, 5), 0);
	assert_int_equal(t.nfs_port, 2049);
	assert_int_equal(t.mount_port, 20048);
	assert_string_equal(msg, "");
}

static void other_versions_are_refused(void **state)
{
	const char *opts[] = { "nfsvers=4.1" };
	struct nfs_target t;
	char msg[256];

	(void)state;
	assert_int_equal(apply(&t, msg, opts, 1), -EINVAL);
	assert_string_equal(msg,
		"mount option \"nfsvers=4.1\": podvolfs speaks NFSv3 only");
}

/* The kubelet joins the items with commas: one item may hold several. */
static void an_item_may_hold_several_options(void **state)
{
	const char *v4[] = { "hard,nfsvers=4" };
	const char *ports[] = { "port=2050,,mountport=20049", "noatime" };
	struct nfs_target t;
	char msg[256];

	(void)state;
	assert_int_equal(apply(&t, msg, v4, 1), -EINVAL);
	assert_string_equal(msg,
		"mount option \"nfsvers=4\": podvolfs speaks NFSv3 only");
	assert_int_equal(apply(&t, msg, ports, 2), 0);
	assert_int_equal(t.nfs_port, 2050);
	assert_int_equal(t.mount_port, 20049);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ports_and_v3_are_taken),
		cmocka_unit_test(other_versions_are_refused),
		cmocka_unit_test(an_item_may_hold_several_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
