/*
 * volume_i.h - private to the volume layer: how sources change a volume.
 *
 * Only code in src/volume/ changes a volume's state, message and store,
 * through these calls, which take v->lock and announce changes once the
 * lock is dropped.
 */
#ifndef PODVOLFS_VOLUME_I_H
#define PODVOLFS_VOLUME_I_H

#include "podvolfs/volume.h"

/* A slow source's background work, embedded first in the source's struct. */
struct volume_source {
	/* Cancels the work and waits until none runs; a second call does nothing. */
	void (*stop)(struct volume_source *src);
	/* Frees the source, after stop. */
	void (*free)(struct volume_source *src);
	/*
	 * Writes what a Ready volume's message says now (a connection's
	 * health) into @buf, or leaves it. May be NULL. Called under v->lock.
	 */
	void (*describe)(struct volume_source *src, char *buf, size_t len);
};

/*
 * Sets @v's state and message. With @store (its reference passes to @v),
 * serves it from now on as a new generation; the previous store's reference
 * is dropped. Announces the change unless only the message changed.
 */
void volume_set(struct volume *v, enum volume_state state,
		struct store *store, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Replaces the message only (progress); announces nothing. */
void volume_progress(struct volume *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Sets up @v, started by volume_start() or given its PV by pvc_resolve(),
 * from the source @sv. Returns 0 or -ENOMEM.
 */
int volume_setup_source(struct volume *v, const struct spec_volume *sv,
			const struct volume_ctx *ctx);

/* pvc.c: prefixes a claim volume's Ready message with its PV. Under v->lock. */
void claim_describe(struct volume *v, char *buf, size_t len);

/* pvc.c: frees what pvc_start() kept of the pod. Accepts NULL. */
void pvc_ctx_free(struct pvc_ctx *pc);

#endif
