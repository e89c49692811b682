/*
 * main.c - podvolfs-ctl: the command line, help and dispatch.
 *
 *   podvolfs-ctl [--mount MNT] COMMAND [ARGS] [OPTIONS]
 *
 * Options may come before or after the command, as kubectl takes them.
 * Only this file exits; the commands return the exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

struct command {
	const char *name;
	int (*run)(const struct ctl_mount *m, const struct ctl_opts *o);
	const char *usage;
	const char *help;
};

static const struct command commands[] = {
	{ "apply", ctl_apply, "apply -f FILE|DIR|- [--validate=MODE]",
	  "Validate manifests as the daemon does and place them into SOURCE.\n"
	  "Prints TYPE/NAME created, configured or unchanged per object.\n"
	  "\n"
	  "Options:\n"
	  "  -f, --filename=FILE   a manifest file, a directory of *.yaml, *.yml\n"
	  "                        and *.json files, or - for standard input\n"
	  "                        (repeatable)\n"
	  "  --validate=MODE       Strict, Warn or Ignore (also true = Strict,\n"
	  "                        false = Ignore): what an unknown field is;\n"
	  "                        default: the daemon's -o field_validation\n" },
	{ "delete", ctl_delete, "delete (-f FILE | TYPE NAME... | TYPE/NAME...) [-n NS]",
	  "Remove objects' manifests from SOURCE; the daemon then removes them.\n"
	  "\n"
	  "Options:\n"
	  "  -f, --filename=FILE   the objects a manifest file defines\n"
	  "  -n, --namespace=NS    the namespace (default: default)\n" },
	{ "get", ctl_get, "get TYPE [NAME...] [-n NS | -A] [-o wide|json|yaml|name]",
	  "List pods, pvc, pv, sc or events as the mount shows them.\n"
	  "\n"
	  "Options:\n"
	  "  -n, --namespace=NS    the namespace (default: default)\n"
	  "  -A, --all-namespaces  every namespace\n"
	  "  -o, --output=FORMAT   wide, json, yaml or name\n" },
	{ "describe", ctl_describe, "describe TYPE NAME [-n NS]",
	  "Show a pod's, claim's or volume's details and recent events.\n"
	  "\n"
	  "Options:\n"
	  "  -n, --namespace=NS    the namespace (default: default)\n" },
	{ "wait", ctl_wait, "wait --for=condition=Ready|--for=delete TYPE/NAME [--timeout=30s]",
	  "Wait until a pod is Ready (every container's volumes mounted), or\n"
	  "until an object is gone.\n"
	  "\n"
	  "Options:\n"
	  "  --for=condition=Ready  the pod's condition\n"
	  "  --for=delete           the object is gone\n"
	  "  --timeout=DURATION     how long to wait: 30s (the default), 2m, 1h\n"
	  "  -n, --namespace=NS     the namespace (default: default)\n" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "podvolfs-ctl controls a mounted podvolfs as kubectl controls a cluster.\n"
		"\n"
		"Usage: podvolfs-ctl [--mount MNT] COMMAND [ARGS] [OPTIONS]\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "  help [COMMAND]\n"
		"  version\n"
		"\n"
		"Options:\n"
		"  --mount=MNT     the podvolfs mount point (default: the only one mounted)\n"
		"  -h, --help      this help, or a command's\n"
		"  --version       the version\n"
		"\n"
		"Types: pods (pod, po), persistentvolumeclaims (pvc), persistentvolumes (pv),\n"
		"storageclasses (sc), events (ev); delete also takes deployments (deploy),\n"
		"replicasets (rs) and statefulsets (sts). See podvolfs-ctl(8).\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void command_help(const struct command *c)
{
	printf("Usage: podvolfs-ctl %s\n\n%s", c->usage, c->help);
}

/* "30s", "2m", "1h", "1m30s" or plain seconds. */
static int parse_duration(const char *s, double *out)
{
	double total = 0;
	char *end;

	if (!*s)
		return -1;
	while (*s) {
		double v = strtod(s, &end);

		if (end == s || v < 0)
			return -1;
		s = end;
		if (!strncmp(s, "ms", 2)) {
			v /= 1000;
			s += 2;
		} else if (*s == 's') {
			s++;
		} else if (*s == 'm') {
			v *= 60;
			s++;
		} else if (*s == 'h') {
			v *= 3600;
			s++;
		} else if (*s) {
			return -1;
		}
		total += v;
	}
	*out = total;
	return 0;
}

static int parse_validate(const char *s, enum spec_field_validation *out)
{
	if (!strcasecmp(s, "strict") || !strcasecmp(s, "true"))
		*out = SPEC_FIELDS_STRICT;
	else if (!strcasecmp(s, "warn"))
		*out = SPEC_FIELDS_WARN;
	else if (!strcasecmp(s, "ignore") || !strcasecmp(s, "false"))
		*out = SPEC_FIELDS_IGNORE;
	else
		return -1;
	return 0;
}

static int parse_output(const char *s, enum ctl_output *out)
{
	static const struct {
		const char *name;
		enum ctl_output output;
	} outputs[] = {
		{ "wide", CTL_OUT_WIDE }, { "json", CTL_OUT_JSON },
		{ "yaml", CTL_OUT_YAML }, { "name", CTL_OUT_NAME },
	};

	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++)
		if (!strcmp(s, outputs[i].name)) {
			*out = outputs[i].output;
			return 0;
		}
	fprintf(stderr, "error: unable to match a printer suitable for the output format \"%s\", allowed formats are: json,name,wide,yaml\n",
		s);
	return -1;
}

/*
 * Option @argv[*i] with a value, as "--long=V", "--long V", "-xV" or
 * "-x V": the value, or NULL when @argv[*i] is not this option.
 */
static const char *opt_value(int argc, char **argv, int *i, const char *s,
			     const char *l, bool *missing)
{
	const char *a = argv[*i];
	size_t ll = strlen(l);

	*missing = false;
	if ((s && !strcmp(a, s)) || !strcmp(a, l)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (!strncmp(a, l, ll) && a[ll] == '=')
		return a + ll + 1;
	if (s && !strncmp(a, s, 2) && a[2])
		return a + 2;
	return NULL;
}

static int value_option(int argc, char **argv, int *i, struct ctl_opts *o,
			bool *matched)
{
	static const char *const names[][2] = {
		{ NULL, "--mount" }, { "-n", "--namespace" }, { "-o", "--output" },
		{ "-f", "--filename" }, { NULL, "--for" }, { NULL, "--timeout" },
		{ NULL, "--validate" },
	};
	const char **files;
	const char *v = NULL;
	bool missing = false;
	size_t which = 0;

	for (; which < sizeof(names) / sizeof(names[0]); which++) {
		v = opt_value(argc, argv, i, names[which][0], names[which][1],
			      &missing);
		if (v || missing)
			break;
	}
	*matched = v || missing;
	if (missing) {
		fprintf(stderr, "error: flag needs an argument: %s\n", argv[*i]);
		return -1;
	}
	if (!v)
		return 0;
	switch (which) {
	case 0:
		o->mount = v;
		return 0;
	case 1:
		o->namespace = v;
		return 0;
	case 2:
		return parse_output(v, &o->output);
	case 3:
		files = realloc(o->files, (o->n_files + 1) * sizeof(*files));
		if (!files)
			return -1;
		o->files = files;
		o->files[o->n_files++] = v;
		return 0;
	case 4:
		o->wait_for = v;
		return 0;
	case 5:
		if (!parse_duration(v, &o->timeout))
			return 0;
		fprintf(stderr, "error: invalid argument \"%s\" for \"--timeout\" flag: invalid duration\n",
			v);
		return -1;
	default:
		o->has_validate = true;
		if (!parse_validate(v, &o->validate))
			return 0;
		fprintf(stderr, "error: invalid - validate option \"%s\"; must be one of: strict (or true), warn, ignore (or false)\n",
			v);
		return -1;
	}
}

int ctl_parse_opts(int argc, char **argv, struct ctl_opts *o)
{
	bool matched;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (value_option(argc, argv, &i, o, &matched))
			return -1;
		if (matched)
			continue;
		if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces")) {
			o->all_namespaces = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help") ||
			   !strcmp(a, "--version")) {
			continue;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "error: unknown flag: %s\n", a);
			return -1;
		} else {
			o->args[o->n_args++] = argv[i];
		}
	}
	return 0;
}

int ctl_parse_target(const struct ctl_opts *o, const struct ctl_kind **k,
		     const char **names, size_t max, size_t *n)
{
	char type[128];

	*k = NULL;
	*n = 0;
	for (size_t i = 0; i < o->n_args; i++) {
		const char *a = o->args[i];
		const char *slash = strchr(a, '/');
		const struct ctl_kind *ak;

		if (!slash && !*k) {
			*k = ctl_kind_lookup(a);
			if (!*k) {
				fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n",
					a);
				return -1;
			}
			continue;
		}
		if (slash) {
			snprintf(type, sizeof(type), "%.*s", (int)(slash - a), a);
			ak = ctl_kind_lookup(type);
			if (!ak) {
				fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n",
					type);
				return -1;
			}
			if (*k && *k != ak) {
				fprintf(stderr, "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form\n");
				return -1;
			}
			*k = ak;
			a = slash + 1;
		}
		if (*n == max) {
			fprintf(stderr, "error: too many names\n");
			return -1;
		}
		names[(*n)++] = a;
	}
	return 0;
}

static int run(const struct command *c, struct ctl_opts *o)
{
	struct ctl_mount m;

	if (ctl_find_mount(o->mount, &m))
		return 1;
	if (o->has_validate)
		m.fields = o->validate;
	return c->run(&m, o);
}

int main(int argc, char **argv)
{
	struct ctl_opts o = { .namespace = NULL, .timeout = 30 };
	const struct command *c;
	bool help = false;
	int status = 1;

	o.args = calloc(argc ? (size_t)argc : 1, sizeof(*o.args));
	if (!o.args)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			help = true;
		else if (!strcmp(argv[i], "--version")) {
			printf("podvolfs-ctl %s\n", PODVOLFS_VERSION);
			status = 0;
			goto out;
		}
	}
	if (ctl_parse_opts(argc - 1, argv + 1, &o)) {
		fprintf(stderr, "See 'podvolfs-ctl --help' for usage.\n");
		goto out;
	}
	if (!o.n_args || !strcmp(o.args[0], "help")) {
		const char *topic = o.n_args > 1 ? o.args[1] : NULL;

		c = topic ? find_command(topic) : NULL;
		if (c) {
			command_help(c);
			status = 0;
		} else if (topic) {
			fprintf(stderr, "error: unknown command \"%s\" for \"podvolfs-ctl\"\n",
				topic);
		} else {
			usage(o.n_args || help ? stdout : stderr);
			status = o.n_args || help ? 0 : 1;
		}
		goto out;
	}
	if (!strcmp(o.args[0], "version")) {
		printf("podvolfs-ctl %s\n", PODVOLFS_VERSION);
		status = 0;
		goto out;
	}
	c = find_command(o.args[0]);
	if (!c) {
		fprintf(stderr, "error: unknown command \"%s\" for \"podvolfs-ctl\"\n"
			"See 'podvolfs-ctl --help' for usage.\n", o.args[0]);
		goto out;
	}
	if (help) {
		command_help(c);
		status = 0;
		goto out;
	}
	o.args++;
	o.n_args--;
	if (!o.namespace)
		o.namespace = "default";
	status = run(c, &o);
	o.args--;
out:
	free(o.args);
	free(o.files);
	return status;
}
