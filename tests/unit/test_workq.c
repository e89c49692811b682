/*
 * test_workq.c - the work queue: order, delays, resubmission, cancellation,
 * and the backoff schedule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "podvolfs/workq.h"

struct job {
	struct work w;			/* first: the callback casts back */
	struct workq *q;
	int runs;			/* atomic */
	int again;			/* times to resubmit itself */
	int order;			/* when it ran, from *clock */
	int *clock;			/* shared counter, atomic */
	bool block;			/* wait for cancellation when run */
	bool started;			/* atomic */
	int submit_rc;			/* of its last resubmission */
};

static void job_run(struct work *w)
{
	struct job *j = (struct job *)w;
	struct pollfd pfd = { .fd = work_cancel_fd(w), .events = POLLIN };

	__atomic_store_n(&j->started, true, __ATOMIC_RELEASE);
	if (j->clock)
		j->order = __atomic_add_fetch(j->clock, 1, __ATOMIC_ACQ_REL);
	if (j->block)
		poll(&pfd, 1, 10000);
	__atomic_add_fetch(&j->runs, 1, __ATOMIC_ACQ_REL);
	/* cmocka's asserts may not run on this thread: the test checks. */
	if (j->again-- > 0)
		j->submit_rc = workq_submit(j->q, w, 0.01);
}

/* A started queue of @threads workers. */
static struct workq *started(unsigned threads)
{
	struct workq *q = workq_new(threads);

	assert_non_null(q);
	assert_int_equal(workq_start(q), 0);
	return q;
}

static void job_init(struct job *j, struct workq *q)
{
	*j = (struct job){ .q = q };
	assert_int_equal(work_init(&j->w, job_run), 0);
}

/* Waits up to 5 s for *@p to reach @want. */
static void wait_int(int *p, int want)
{
	for (int i = 0; i < 500; i++) {
		if (__atomic_load_n(p, __ATOMIC_ACQUIRE) >= want)
			return;
		usleep(10000);
	}
	fail_msg("waited for %d, have %d", want, *p);
}

static void test_workq__delays_order_the_runs(void **state)
{
	struct workq *q = started(1);
	struct job a, b, c;
	int clock = 0;

	(void)state;
	job_init(&a, q);
	job_init(&b, q);
	job_init(&c, q);
	a.clock = b.clock = c.clock = &clock;
	assert_int_equal(workq_submit(q, &a.w, 0.2), 0);
	assert_int_equal(workq_submit(q, &b.w, 0), 0);
	assert_int_equal(workq_submit(q, &c.w, 0.1), 0);
	wait_int(&a.runs, 1);
	assert_int_equal(b.order, 1);
	assert_int_equal(c.order, 2);
	assert_int_equal(a.order, 3);
	workq_free(q);
	work_destroy(&a.w);
	work_destroy(&b.w);
	work_destroy(&c.w);
}

static void test_workq__submit_twice_is_refused(void **state)
{
	struct workq *q = started(1);
	struct job a;

	(void)state;
	job_init(&a, q);
	assert_int_equal(workq_submit(q, &a.w, 10), 0);
	assert_int_equal(workq_submit(q, &a.w, 0), -EALREADY);
	workq_cancel(q, &a.w);
	assert_int_equal(workq_submit(q, &a.w, 0), -ECANCELED);
	assert_true(work_cancelled(&a.w));
	workq_free(q);
	assert_int_equal(a.runs, 0);
	work_destroy(&a.w);
}

static void test_workq__a_job_resubmits_itself(void **state)
{
	struct workq *q = started(2);
	struct job a;

	(void)state;
	job_init(&a, q);
	a.again = 3;
	assert_int_equal(workq_submit(q, &a.w, 0), 0);
	wait_int(&a.runs, 4);
	usleep(50000);
	assert_int_equal(__atomic_load_n(&a.runs, __ATOMIC_ACQUIRE), 4);
	workq_cancel(q, &a.w);
	assert_int_equal(a.submit_rc, 0);
	workq_free(q);
	work_destroy(&a.w);
}

static void test_workq__cancel_waits_for_a_running_job(void **state)
{
	struct workq *q = started(2);
	struct job a;

	(void)state;
	job_init(&a, q);
	a.block = true;
	a.again = 1;
	assert_int_equal(workq_submit(q, &a.w, 0), 0);
	for (int i = 0; i < 500 && !__atomic_load_n(&a.started,
						     __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	assert_true(a.started);
	workq_cancel(q, &a.w);
	/* it ran to its end, and its resubmission was refused */
	assert_int_equal(a.runs, 1);
	assert_int_equal(a.submit_rc, -ECANCELED);
	usleep(50000);
	assert_int_equal(a.runs, 1);
	workq_free(q);
	work_destroy(&a.w);
}

static void test_workq__jobs_wait_for_the_start(void **state)
{
	struct workq *q = workq_new(1);
	struct job a;

	(void)state;
	assert_non_null(q);
	job_init(&a, q);
	assert_int_equal(workq_submit(q, &a.w, 0), 0);
	usleep(100000);
	assert_int_equal(a.runs, 0);
	assert_int_equal(workq_start(q), 0);
	wait_int(&a.runs, 1);
	workq_free(q);
	work_destroy(&a.w);
}

static void test_workq__cancel_before_it_runs(void **state)
{
	struct workq *q = started(1);
	struct job a;

	(void)state;
	job_init(&a, q);
	assert_int_equal(workq_submit(q, &a.w, 0.1), 0);
	workq_cancel(q, &a.w);
	usleep(200000);
	assert_int_equal(a.runs, 0);
	workq_free(q);
	work_destroy(&a.w);
}

static void test_backoff__doubles_to_the_kubelet_cap(void **state)
{
	(void)state;
	assert_true(backoff_delay(0) == 0.5);
	assert_true(backoff_delay(1) == 1.0);
	assert_true(backoff_delay(2) == 2.0);
	assert_true(backoff_delay(7) == 64.0);
	assert_true(backoff_delay(8) == 122.0);
	assert_true(backoff_delay(1000) == 122.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workq__delays_order_the_runs),
		cmocka_unit_test(test_workq__submit_twice_is_refused),
		cmocka_unit_test(test_workq__a_job_resubmits_itself),
		cmocka_unit_test(test_workq__cancel_waits_for_a_running_job),
		cmocka_unit_test(test_workq__jobs_wait_for_the_start),
		cmocka_unit_test(test_workq__cancel_before_it_runs),
		cmocka_unit_test(test_backoff__doubles_to_the_kubelet_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
