/*
 * workq.h - a bounded work queue for long jobs, with delays and cancellation.
 *
 * Setting up some volumes takes seconds or minutes (a clone, later an NFS
 * connection or a provisioning) and may have to be tried again later. Such
 * work runs here, on a fixed number of threads, never on a FUSE thread and
 * never under the cluster's lock. A job is a struct work embedded in its
 * owner's struct; it runs once per submission, at the earliest after its
 * delay, and may submit itself again from inside its function (a retry, a
 * periodic re-sync). Cancelling a job waits until it no longer runs, so
 * that its owner may then free what the job uses.
 */
#ifndef PODVOLFS_WORKQ_H
#define PODVOLFS_WORKQ_H

#include <stdbool.h>
#include <time.h>

struct workq;
struct work;

typedef void (*work_fn)(struct work *w);

/* One job; embed it in the owner's struct. Fields are private to workq.c. */
struct work {
	work_fn fn;
	struct work *next;		/* in the queue; protected by q->lock */
	struct timespec due;		/* CLOCK_MONOTONIC; protected by q->lock */
	int cancel_fd;			/* eventfd, readable once cancelled */
	bool queued;			/* protected by q->lock */
	bool running;			/* protected by q->lock */
	bool again;			/* submitted while running; q->lock */
	bool cancelled;			/* written under q->lock, read atomically */
};

/*
 * A queue for @threads worker threads (at least 1), not started yet: jobs
 * may be queued at once and run once workq_start() is called. Returns NULL
 * with errno set.
 */
struct workq *workq_new(unsigned threads);

/*
 * Starts the worker threads. Call it in the process that will run the
 * jobs: threads do not survive a fork (the daemon forks to go to the
 * background after reading SOURCE). Returns 0 or -errno; on error the
 * threads started are stopped again. A second call does nothing.
 */
int workq_start(struct workq *q);

/*
 * Stops and joins the workers. Jobs still queued never run: their owners
 * must have cancelled them. Accepts NULL.
 */
void workq_free(struct workq *q);

/*
 * Prepares @w to run @fn. Returns 0 or -errno (no eventfd). Free with
 * work_destroy() once it is cancelled or was never submitted.
 */
int work_init(struct work *w, work_fn fn);
void work_destroy(struct work *w);

/*
 * Queues @w to run after @delay seconds (0: as soon as a thread is free).
 * From inside @w's own function, queues it to run again once the function
 * returns. Returns 0; -EALREADY when it is already queued (the earlier
 * submission stands); -ECANCELED once it was cancelled. Thread-safe.
 */
int workq_submit(struct workq *q, struct work *w, double delay);

/*
 * Cancels @w for good: takes it off the queue, makes work_cancelled() true
 * and its cancel fd readable, and waits until its function has returned if
 * it runs now. Must not be called from @w's own function. Thread-safe;
 * cancelling twice is harmless.
 */
void workq_cancel(struct workq *q, struct work *w);

/* Whether @w was cancelled: a running job checks it between steps. */
bool work_cancelled(struct work *w);

/* An fd that becomes readable when @w is cancelled, for poll(). */
int work_cancel_fd(const struct work *w);

/*
 * The delay before retry @attempt (0 for the first retry) after a failure
 * that may heal: 0.5 s doubling up to 122 s, the kubelet's backoff for
 * failed volume operations. Can't fail.
 */
double backoff_delay(unsigned attempt);

#endif
