/*
 * kinds.c - the kinds podvolfs-ctl knows, under kubectl's names and aliases.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

static const struct ctl_kind kinds[] = {
	{ "Pod", "pods", "pod", "po", "", true, true },
	{ "PersistentVolumeClaim", "persistentvolumeclaims",
	  "persistentvolumeclaim", "pvc", "", true, true },
	{ "PersistentVolume", "persistentvolumes", "persistentvolume", "pv",
	  "", false, true },
	{ "StorageClass", "storageclasses", "storageclass", "sc",
	  "storage.k8s.io", false, true },
	{ "Event", "events", "event", "ev", "", true, true },
	{ "Deployment", "deployments", "deployment", "deploy", "apps", true,
	  false },
	{ "ReplicaSet", "replicasets", "replicaset", "rs", "apps", true, false },
	{ "StatefulSet", "statefulsets", "statefulset", "sts", "apps", true,
	  false },
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* "pods", "pods.v1", "deployments.apps" and "deployments.v1.apps" name one kind. */
static bool group_matches(const struct ctl_kind *k, const char *rest)
{
	size_t glen = strlen(k->group);

	if (!*rest)
		return true;
	if (*rest++ != '.')
		return false;
	if (!strncmp(rest, "v1", 2) && (rest[2] == '.' || !rest[2]))
		rest += rest[2] ? 3 : 2;
	return !*rest || (glen && !strcmp(rest, k->group));
}

const struct ctl_kind *ctl_kind_lookup(const char *name)
{
	for (size_t i = 0; i < N_KINDS; i++) {
		const struct ctl_kind *k = &kinds[i];
		const char *names[] = { k->plural, k->singular, k->short_name };

		if (!strcasecmp(name, k->kind))
			return k;
		for (size_t j = 0; j < 3; j++) {
			size_t len = names[j] ? strlen(names[j]) : 0;

			if (len && !strncasecmp(name, names[j], len) &&
			    group_matches(k, name + len))
				return k;
		}
	}
	return NULL;
}

const struct ctl_kind *ctl_kind_of(const char *kind)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (!strcmp(kind, kinds[i].kind))
			return &kinds[i];
	return NULL;
}

void ctl_kind_name(const struct ctl_kind *k, bool plural, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s%s%s", plural ? k->plural : k->singular,
		 *k->group ? "." : "", k->group);
}
