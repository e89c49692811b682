/*
 * workq.c - the bounded work queue: a few threads, a list sorted by due time.
 *
 * The queue is a singly linked list ordered by due time; submissions are
 * rare (a volume being set up, a re-sync every few seconds), so an O(n)
 * insert costs nothing. Workers sleep on a condition variable on the
 * monotonic clock until the head is due. A job that is running is never
 * queued at the same time: a submission from inside its function is kept
 * in w->again and queued when the function returns, so one job never runs
 * on two threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "podvolfs/workq.h"

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* a job was queued, or stop */
	pthread_cond_t done;		/* a job returned */
	struct work *head;		/* by due time; protected by lock */
	bool stop;			/* protected by lock */
	unsigned max_threads;
	unsigned n_threads;		/* started */
	pthread_t *threads;
};

static void due_in(struct timespec *ts, double delay)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (!(delay > 0))
		return;
	if (delay > 1e9)
		delay = 1e9;
	ts->tv_sec += (time_t)delay;
	ts->tv_nsec += (long)((delay - (double)(time_t)delay) * 1e9);
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Caller holds q->lock. Equal due times keep submission order. */
static void insert(struct workq *q, struct work *w)
{
	struct work **pp = &q->head;

	while (*pp && !before(&w->due, &(*pp)->due))
		pp = &(*pp)->next;
	w->next = *pp;
	*pp = w;
	w->queued = true;
	pthread_cond_broadcast(&q->wake);
}

/* Caller holds q->lock. */
static void unlink_work(struct workq *q, struct work *w)
{
	struct work **pp = &q->head;

	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	w->next = NULL;
	w->queued = false;
}

static void *worker(void *arg)
{
	struct workq *q = arg;
	struct timespec now;
	struct work *w;

	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		w = q->head;
		if (!w) {
			pthread_cond_wait(&q->wake, &q->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &w->due)) {
			pthread_cond_timedwait(&q->wake, &q->lock, &w->due);
			continue;
		}
		unlink_work(q, w);
		w->running = true;
		pthread_mutex_unlock(&q->lock);
		w->fn(w);
		pthread_mutex_lock(&q->lock);
		w->running = false;
		if (w->again && !w->cancelled)
			insert(q, w);
		w->again = false;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct workq *workq_new(unsigned threads)
{
	struct workq *q = calloc(1, sizeof(*q));
	pthread_condattr_t attr;

	if (!q)
		return NULL;
	q->max_threads = threads ? threads : 1;
	q->threads = calloc(q->max_threads, sizeof(*q->threads));
	if (!q->threads) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&q->done, NULL);
	return q;
}

static void stop_threads(struct workq *q)
{
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	q->n_threads = 0;
}

int workq_start(struct workq *q)
{
	int rc;

	for (; q->n_threads < q->max_threads; q->n_threads++) {
		rc = pthread_create(&q->threads[q->n_threads], NULL, worker, q);
		if (rc) {
			stop_threads(q);
			q->stop = false;
			return -rc;
		}
	}
	return 0;
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	stop_threads(q);
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
}

int work_init(struct work *w, work_fn fn)
{
	*w = (struct work){ .fn = fn };
	w->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return w->cancel_fd < 0 ? -errno : 0;
}

void work_destroy(struct work *w)
{
	if (w->cancel_fd >= 0)
		close(w->cancel_fd);
	w->cancel_fd = -1;
}

int workq_submit(struct workq *q, struct work *w, double delay)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (w->cancelled) {
		rc = -ECANCELED;
	} else if (w->queued || (w->running && w->again)) {
		rc = -EALREADY;
	} else {
		due_in(&w->due, delay);
		if (w->running)
			w->again = true;
		else
			insert(q, w);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void workq_cancel(struct workq *q, struct work *w)
{
	uint64_t one = 1;

	pthread_mutex_lock(&q->lock);
	if (!w->cancelled && write(w->cancel_fd, &one, sizeof(one)) < 0)
		one = 0;	/* an eventfd write fails only on overflow */
	__atomic_store_n(&w->cancelled, true, __ATOMIC_RELEASE);
	if (w->queued)
		unlink_work(q, w);
	while (w->running)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

bool work_cancelled(struct work *w)
{
	return __atomic_load_n(&w->cancelled, __ATOMIC_ACQUIRE);
}

int work_cancel_fd(const struct work *w)
{
	return w->cancel_fd;
}

double backoff_delay(unsigned attempt)
{
	double d = 0.5;

	for (unsigned i = 0; i < attempt && d < 122.0; i++)
		d *= 2;
	return d < 122.0 ? d : 122.0;
}
