/*
 * test_views.c - subPathExpr expansion, containers' env, clean mountPaths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podvolfs/views.h"

/* Maps A=a, B=bee, EMPTY=""; anything else is unknown (kept as written). */
static const char *map_abc(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, "A"))
		return "a";
	if (!strcmp(name, "B"))
		return "bee";
	if (!strcmp(name, "EMPTY"))
		return "";
	return NULL;
}

static void check_expand(const char *in, const char *want)
{
	char *out = expand_refs(in, map_abc, NULL, 1 << 20);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_expand__references(void **state)
{
	(void)state;
	check_expand("", "");
	check_expand("plain/path", "plain/path");
	check_expand("$(A)", "a");
	check_expand("x/$(A)/$(B)/y", "x/a/bee/y");
	check_expand("$(A)$(B)", "abee");
	check_expand("$(EMPTY)z", "z");
	check_expand("$(UNKNOWN)/x", "$(UNKNOWN)/x");
}

static void test_expand__escapes_and_literals(void **state)
{
	(void)state;
	check_expand("$$", "$");
	check_expand("$$(A)", "$(A)");
	check_expand("$$$(A)", "$a");
	check_expand("$$$$", "$$");
	check_expand("a$", "a$");
	check_expand("$", "$");
	check_expand("$x", "$x");
	check_expand("$x$(A)", "$xa");
	check_expand("$(A", "$(A");
	/* the name runs to the first ")", whatever it holds */
	check_expand("$($(A)", "$($(A)");
	/* after an unclosed "$(", scanning goes on */
	check_expand("$(A$$", "$(A$");
	check_expand("$()", "$()");
	check_expand("$(A)$", "a$");
}

static void test_expand__bounded(void **state)
{
	enum { N = 200000 };
	char *in = malloc(2 * N + 2), *out;

	(void)state;
	assert_non_null(in);
	/* unclosed "$(", then one ")" at the end: each "$(" runs to it */
	for (size_t i = 0; i < N; i++)
		memcpy(in + 2 * i, "$(", 2);
	strcpy(in + 2 * N, ")");
	out = expand_refs(in, map_abc, NULL, 4 * N);
	assert_non_null(out);
	assert_string_equal(out, in);
	free(out);
	in[2 * N] = '\0';
	out = expand_refs(in, map_abc, NULL, 4 * N);
	assert_non_null(out);
	assert_string_equal(out, in);
	free(out);
	free(in);
	out = expand_refs("$(B)$(B)", map_abc, NULL, 6);
	assert_string_equal(out, "beebee");
	free(out);
	errno = 0;
	assert_null(expand_refs("$(B)$(B)", map_abc, NULL, 5));
	assert_int_equal(errno, E2BIG);
}

/* A writable string, as the spec layer hands out. */
#define S(str) ((char[]){ str })

static struct spec_env envs[] = {
	{ .name = S("LOGS"), .value = S("logs") },
	{ .name = S("POD"), .field_path = S("metadata.name") },
	{ .name = S("NS"), .field_path = S("metadata.namespace") },
	{ .name = S("UID"), .field_path = S("metadata.uid") },
	{ .name = S("APP"), .field_path = S("metadata.labels['app']") },
	{ .name = S("NOLABEL"), .field_path = S("metadata.labels['nope']") },
	{ .name = S("NOTE"), .field_path = S("metadata.annotations['note']") },
	{ .name = S("NODE"), .field_path = S("status.podIP") },
	{ .name = S("EMPTY"), .value = S("") },
	{ .name = S("DIR"), .value = S("$(POD)/$(LOGS)/$(LATER)") },
	{ .name = S("LATER"), .value = S("later") },
	{ .name = S("LOGS"), .value = S("logs2") },
};

static struct spec_kv labels[] = { { .key = S("app"), .value = S("web") } };
static struct spec_kv annotations[] = { { .key = S("note"), .value = S("n1") } };

static struct spec_pod pod = {
	.namespace = S("team"),
	.name = S("web-0"),
	.uid = S("0b7a3b8e-0000-4000-8000-000000000001"),
	.labels = labels,
	.n_labels = 1,
	.annotations = annotations,
	.n_annotations = 1,
};

static struct spec_container container = {
	.name = S("c"),
	.env = envs,
	.n_env = sizeof(envs) / sizeof(envs[0]),
};

static int env_setup(void **state)
{
	struct container_env *env = calloc(1, sizeof(*env));

	char msg[256];

	if (!env || container_env_make(&pod, &container, env, msg, sizeof(msg)))
		return -1;
	*state = env;
	return 0;
}

static int env_teardown(void **state)
{
	struct container_env *env = *state;

	container_env_free(env);
	assert_null(env->vars);
	assert_int_equal(env->n, 0);
	free(env);
	return 0;
}

static void test_env__values_and_field_refs(void **state)
{
	struct container_env *env = *state;

	assert_string_equal(container_env_get(env, "POD"), "web-0");
	assert_string_equal(container_env_get(env, "NS"), "team");
	assert_string_equal(container_env_get(env, "UID"), pod.uid);
	assert_string_equal(container_env_get(env, "APP"), "web");
	assert_string_equal(container_env_get(env, "NOLABEL"), "");
	assert_string_equal(container_env_get(env, "NOTE"), "n1");
	assert_string_equal(container_env_get(env, "NODE"), "");
	assert_null(container_env_get(env, "UNDEFINED"));
	/* the last definition wins */
	assert_string_equal(container_env_get(env, "LOGS"), "logs2");
}

static void test_env__values_expand_earlier_vars(void **state)
{
	struct container_env *env = *state;

	/* LATER is defined after DIR: kept as written, as the kubelet does */
	assert_string_equal(container_env_get(env, "DIR"),
			    "web-0/logs/$(LATER)");
}

static void test_subpath_expr__expands(void **state)
{
	struct container_env *env = *state;
	char msg[256] = "";
	char *out;

	assert_int_equal(subpath_expr_expand("$(NS)/$(POD)/$(APP)", env, &out,
					     msg, sizeof(msg)), 0);
	assert_string_equal(out, "team/web-0/web");
	free(out);
	assert_int_equal(subpath_expr_expand("lit-$$(POD)", env, &out, msg,
					     sizeof(msg)), 0);
	assert_string_equal(out, "lit-$(POD)");
	free(out);
	assert_int_equal(subpath_expr_expand("$(DIR)", env, &out, msg,
					     sizeof(msg)), 0);
	assert_string_equal(out, "web-0/logs/$(LATER)");
	free(out);
	assert_string_equal(msg, "");
}

/* Each variable twice the one before: refused before it gets large. */
static void test_env__doubling_is_refused(void **state)
{
	struct spec_env doubling[40];
	struct spec_container c = { .name = S("c"), .env = doubling, .n_env = 40 };
	struct container_env env = { 0 };
	char names[40][16], values[40][32], msg[256];

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "V%d", i);
		if (i == 0)
			snprintf(values[i], sizeof(values[i]), "x");
		else
			snprintf(values[i], sizeof(values[i]), "$(V%d)$(V%d)",
				 i - 1, i - 1);
		doubling[i] = (struct spec_env){ .name = names[i],
						 .value = values[i] };
	}
	assert_int_equal(container_env_make(&pod, &c, &env, msg, sizeof(msg)),
			 -E2BIG);
	/* V17 would be 2^17 bytes, and "V17=" and its NUL with them */
	assert_string_equal(msg, "env \"V17\" is longer than 131072 bytes once expanded: execve(2) would refuse it");
	assert_int_equal(env.n, 0);
	container_env_free(&env);
}

static void test_env__total_is_bounded(void **state)
{
	struct spec_env many[20];
	struct spec_container c = { .name = S("c"), .env = many, .n_env = 20 };
	struct container_env env = { 0 };
	char names[20][16], msg[256];
	char *big = malloc(120001);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 120000);
	big[120000] = '\0';
	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "V%d", i);
		many[i] = (struct spec_env){ .name = names[i], .value = big };
	}
	assert_int_equal(container_env_make(&pod, &c, &env, msg, sizeof(msg)),
			 -E2BIG);
	assert_string_equal(msg, "the environment is longer than 2097152 bytes once expanded: execve(2) would refuse it");
	container_env_free(&env);
	/* 17 of them fit */
	c.n_env = 17;
	assert_int_equal(container_env_make(&pod, &c, &env, msg, sizeof(msg)), 0);
	assert_int_equal(strlen(container_env_get(&env, "V16")), 120000);
	container_env_free(&env);
	free(big);
}

static void test_subpath_expr__too_long(void **state)
{
	struct spec_env one = { .name = S("P") };
	struct spec_container c = { .name = S("c"), .env = &one, .n_env = 1 };
	struct container_env env = { 0 };
	char msg[256] = "", *out = NULL;
	char *path = malloc(3000);

	(void)state;
	assert_non_null(path);
	memset(path, 'p', 2999);
	path[2999] = '\0';
	one.value = path;
	assert_int_equal(container_env_make(&pod, &c, &env, msg, sizeof(msg)), 0);
	assert_int_equal(subpath_expr_expand("$(P)", &env, &out, msg,
					     sizeof(msg)), 0);
	free(out);
	assert_int_equal(subpath_expr_expand("$(P)/$(P)", &env, &out, msg,
					     sizeof(msg)), -EINVAL);
	assert_null(out);
	assert_string_equal(msg, "subPathExpr expands to more than 4095 bytes");
	container_env_free(&env);
	free(path);
}

static void test_subpath_expr__missing_values(void **state)
{
	struct container_env *env = *state;
	char msg[256] = "";
	char *out = (char *)"unchanged";

	assert_int_equal(subpath_expr_expand("$(NOPE)", env, &out, msg,
					     sizeof(msg)), -EINVAL);
	assert_null(out);
	assert_string_equal(msg, "missing value for NOPE");
	/* sorted, each once; empty values count as missing */
	assert_int_equal(subpath_expr_expand("$(ZED)/$(EMPTY)/$(POD)/$(NOLABEL)/$(ZED)/$(ABC)",
					     env, &out, msg, sizeof(msg)),
			 -EINVAL);
	assert_null(out);
	assert_string_equal(msg, "missing value for ABC, EMPTY, NOLABEL, ZED");
}

static void check_clean(const char *raw, const char *want)
{
	char *out = mount_path_clean(raw);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_mount_path__made_absolute_and_clean(void **state)
{
	(void)state;
	check_clean("/data", "/data");
	check_clean("/data/", "/data");
	check_clean("data", "/data");
	check_clean("data/logs/", "/data/logs");
	check_clean("//usr//share/./nginx/html/", "/usr/share/nginx/html");
	check_clean("/a/b/../c", "/a/c");
	check_clean("../../x", "/x");
	check_clean("/..", "/");
	check_clean("", "/");
	check_clean("/", "/");
	check_clean(".", "/");
	check_clean("..foo/.bar", "/..foo/.bar");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand__references),
		cmocka_unit_test(test_expand__escapes_and_literals),
		cmocka_unit_test(test_expand__bounded),
		cmocka_unit_test(test_env__doubling_is_refused),
		cmocka_unit_test(test_env__total_is_bounded),
		cmocka_unit_test(test_subpath_expr__too_long),
		cmocka_unit_test_setup_teardown(test_env__values_and_field_refs,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_env__values_expand_earlier_vars,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_subpath_expr__expands,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_subpath_expr__missing_values,
						env_setup, env_teardown),
		cmocka_unit_test(test_mount_path__made_absolute_and_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
