/*
 * status.c - a pod's status file, made afresh on every open and stat.
 *
 * It reads each volume through volume_get(), which copies what a worker
 * thread may be changing (a clone's progress), and the containers' table,
 * which is final once the pod's views are attached; until then it prints
 * only the parts of the table that never change. No lock of the cluster is
 * taken, so a status read never waits for a sync.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_i.h"

static void format_limit(const struct store *s, char *used, char *limit,
			 size_t len)
{
	if (s && s->limit) {
		snprintf(used, len, "%llu", (unsigned long long)
			 __atomic_load_n(&s->used, __ATOMIC_RELAXED));
		snprintf(limit, len, "%llu", (unsigned long long)s->limit);
	} else {
		snprintf(used, len, "-");
		snprintf(limit, len, "-");
	}
}

static void print_volume(FILE *f, struct volume *v, int w)
{
	struct volume_info info;
	char type[64];
	char used[32];
	char limit[32];

	volume_get(v, &info, true);
	snprintf(type, sizeof(type), "%s%s%s", v->type, v->detail ? "," : "",
		 v->detail ? v->detail : "");
	format_limit(info.store, used, limit, sizeof(used));
	store_unref(info.store);
	fprintf(f, "%-*s  %-22s  %-12s  %-12s  %-12s  %s\n", w, v->name, type,
		volume_state_name(info.state), used, limit,
		info.message[0] ? info.message : "-");
}

int pod_status(void *arg, char **buf, size_t *len)
{
	struct pod *p = arg;
	FILE *f = open_memstream(buf, len);
	bool attached;
	int w = 6;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_volumes; i++)
		if ((int)strlen(p->volumes[i].name) > w)
			w = strlen(p->volumes[i].name);
	fprintf(f, "pod %s/%s uid %s\n", p->ns, p->name, p->uid);
	fprintf(f, "%-*s  %-22s  %-12s  %-12s  %-12s  %s\n", w, "VOLUME",
		"TYPE", "STATE", "USED", "LIMIT", "MESSAGE");
	for (size_t i = 0; i < p->n_volumes; i++)
		print_volume(f, &p->volumes[i], w);
	pthread_mutex_lock(&p->lock);
	attached = p->attached;
	pthread_mutex_unlock(&p->lock);
	ccontainers_print(f, p->containers, p->n_containers, attached,
			  p->vols, p->n_volumes);
	return fclose(f) ? -errno : 0;
}
