/*
 * status.c - a pod's status and status.json, made afresh on every open and
 * stat.
 *
 * They read each volume through volume_get(), which copies what a worker
 * thread may be changing (a clone's progress), and the containers' table,
 * which is final once the pod's views are attached; until then they show
 * only the parts of the table that never change. No lock of the cluster is
 * taken, so a status read never waits for a sync. status is for people,
 * columns padded; status.json says the same for programs
 * (docs/design/status-json.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_i.h"
#include "podvolfs/json.h"

static int max_width(int w, const char *s)
{
	int n = strlen(s);

	return n > w ? n : w;
}

/*
 * Why a container that is not attached yet waits for @volume, in @buf:
 * "waiting for volume "html" (Preparing)", or "" when that volume is
 * settled.
 */
static void waiting_for(const struct view_volume *vols, size_t n_vols,
			const char *volume, char *buf, size_t len)
{
	const struct view_volume *vv = NULL;
	struct volume_info info;

	buf[0] = '\0';
	for (size_t i = 0; i < n_vols && !vv; i++)
		if (!strcmp(vols[i].v->name, volume))
			vv = &vols[i];
	if (!vv)
		return;
	volume_get(vv->v, &info, false);
	if (!volume_state_settled(info.state))
		snprintf(buf, len, "waiting for volume \"%s\" (%s)", volume,
			 volume_state_name(info.state));
}

/*
 * What a container's line says now: until its pod's views are attached,
 * only names and paths are stable, so it is ContainerCreating, waiting
 * for the first unsettled volume it mounts (@wait holds the words).
 */
static void container_now(const struct ccontainer *cc, bool attached,
			  const struct view_volume *vols, size_t n_vols,
			  const char **state, const char **msg, char *wait,
			  size_t len)
{
	*state = cc->state;
	*msg = cc->message;
	if (attached)
		return;
	*state = "ContainerCreating";
	*msg = wait;
	wait[0] = '\0';
	for (size_t j = 0; j < cc->n_mounts && !wait[0]; j++)
		waiting_for(vols, n_vols, cc->mounts[j].volume, wait, len);
}

/* What a mount's line says now; "" when it is mounted. */
static const char *mount_now(const struct cmount *cm, bool attached,
			     const struct view_volume *vols, size_t n_vols,
			     char *wait, size_t len)
{
	if (attached)
		return cm->message;
	waiting_for(vols, n_vols, cm->volume, wait, len);
	return wait[0] ? wait : "not mounted yet";
}


void ccontainers_print(FILE *f, const struct ccontainer *cs, size_t n,
		       bool attached, const struct view_volume *vols,
		       size_t n_vols)
{
	char wait[128];
	int wc = 9;
	int wp = 9;
	int wv = 6;
	int ws = 7;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		wc = max_width(wc, cs[i].name);
		for (size_t j = 0; j < cs[i].n_mounts; j++) {
			const struct cmount *cm = &cs[i].mounts[j];

			wp = max_width(wp, cm->path);
			wv = max_width(wv, cm->volume);
			ws = max_width(ws, cm->sub_path ? cm->sub_path : "-");
		}
	}
	fprintf(f, "\n%-*s  %-4s  %-26s  %s\n", wc, "CONTAINER", "KIND",
		"STATE", "MESSAGE");
	for (size_t i = 0; i < n; i++) {
		const char *state, *msg;

		container_now(&cs[i], attached, vols, n_vols, &state, &msg,
			      wait, sizeof(wait));
		fprintf(f, "%-*s  %-4s  %-26s  %s\n", wc, cs[i].name,
			cs[i].init ? "init" : "app", state,
			msg[0] ? msg : "-");
	}
	fprintf(f, "\n%-*s  %-*s  %-*s  %-*s  %-4s  %s\n", wc, "CONTAINER", wp,
		"MOUNTPATH", wv, "VOLUME", ws, "SUBPATH", "MODE", "MESSAGE");
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < cs[i].n_mounts; j++) {
			const struct cmount *cm = &cs[i].mounts[j];
			const char *sub = cm->sub_path && *cm->sub_path ?
					  cm->sub_path : "-";
			const char *msg = mount_now(cm, attached, vols, n_vols,
						    wait, sizeof(wait));

			fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-4s  %s\n", wc,
				cs[i].name, wp, cm->path, wv, cm->volume, ws,
				sub, __atomic_load_n(&cm->read_only,
						     __ATOMIC_RELAXED) ? "ro" : "rw",
				msg[0] ? msg : "-");
		}
	}
}

static void format_limit(struct store *s, char *used, char *limit,
			 size_t len)
{
	if (s && s->limit) {
		snprintf(used, len, "%llu", (unsigned long long)store_used(s));
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
	fprintf(f, "%-*s  %-22s  %-12s  %-12s  %-12s  %-17s  %s\n", w, v->name,
		type, volume_state_name(info.state), used, limit,
		info.store ? store_data_path_name(info.store) : "-",
		info.message[0] ? info.message : "-");
	store_unref(info.store);
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
	fprintf(f, "%-*s  %-22s  %-12s  %-12s  %-12s  %-17s  %s\n", w, "VOLUME",
		"TYPE", "STATE", "USED", "LIMIT", "DATA", "MESSAGE");
	for (size_t i = 0; i < p->n_volumes; i++)
		print_volume(f, &p->volumes[i], w);
	pthread_mutex_lock(&p->lock);
	attached = p->attached;
	pthread_mutex_unlock(&p->lock);
	ccontainers_print(f, p->containers, p->n_containers, attached,
			  p->vols, p->n_volumes);
	return fclose(f) ? -errno : 0;
}

/* The containers of status.json: the same as the tables of status. */
static void containers_json(FILE *f, const struct ccontainer *cs, size_t n,
			    bool attached, const struct view_volume *vols,
			    size_t n_vols)
{
	char wait[128];

	fputs(",\"containers\":[", f);
	for (size_t i = 0; i < n; i++) {
		const char *state, *msg;

		container_now(&cs[i], attached, vols, n_vols, &state, &msg,
			      wait, sizeof(wait));
		fprintf(f, "%s{", i ? "," : "");
		json_kv(f, "name", cs[i].name);
		fprintf(f, ",\"init\":%s,", cs[i].init ? "true" : "false");
		json_kv(f, "state", state);
		fputc(',', f);
		json_kv(f, "message", msg);
		fputs(",\"mounts\":[", f);
		for (size_t j = 0; j < cs[i].n_mounts; j++) {
			const struct cmount *cm = &cs[i].mounts[j];

			fprintf(f, "%s{", j ? "," : "");
			json_kv(f, "mountPath", cm->path);
			fputc(',', f);
			json_kv(f, "volume", cm->volume);
			fputc(',', f);
			json_kv(f, "subPath", cm->sub_path ? cm->sub_path : "");
			fprintf(f, ",\"readOnly\":%s,",
				__atomic_load_n(&cm->read_only, __ATOMIC_RELAXED) ?
				"true" : "false");
			json_kv(f, "message", mount_now(cm, attached, vols, n_vols,
							wait, sizeof(wait)));
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputc(']', f);
}

static void volume_json(FILE *f, struct volume *v, bool first)
{
	struct volume_info info;

	volume_get(v, &info, true);
	fprintf(f, "%s{", first ? "" : ",");
	json_kv(f, "name", v->name);
	fputc(',', f);
	json_kv(f, "type", v->type);
	fputc(',', f);
	json_kv(f, "detail", v->detail);
	fputc(',', f);
	json_kv(f, "state", volume_state_name(info.state));
	if (info.store && info.store->limit)
		fprintf(f, ",\"used\":%llu,\"limit\":%llu",
			(unsigned long long)store_used(info.store),
			(unsigned long long)info.store->limit);
	else
		fputs(",\"used\":null,\"limit\":null", f);
	fputc(',', f);
	json_kv(f, "data", info.store ? store_data_path_name(info.store) : "");
	fputc(',', f);
	json_kv(f, "message", info.message);
	fputc('}', f);
	store_unref(info.store);
}

int pod_status_json(void *arg, char **buf, size_t *len)
{
	struct pod *p = arg;
	FILE *f = open_memstream(buf, len);
	bool attached;

	if (!f)
		return -ENOMEM;
	fputc('{', f);
	json_kv(f, "namespace", p->ns);
	fputc(',', f);
	json_kv(f, "name", p->name);
	fputc(',', f);
	json_kv(f, "uid", p->uid);
	fputs(",\"volumes\":[", f);
	for (size_t i = 0; i < p->n_volumes; i++)
		volume_json(f, &p->volumes[i], i == 0);
	fputc(']', f);
	pthread_mutex_lock(&p->lock);
	attached = p->attached;
	pthread_mutex_unlock(&p->lock);
	containers_json(f, p->containers, p->n_containers, attached, p->vols,
			p->n_volumes);
	fputs("}\n", f);
	return fclose(f) ? -errno : 0;
}
