/*
 * heap.c - giving free heap memory back to the system after a burst.
 *
 * glibc gives freed memory back to the system only from the top of a heap
 * (past M_TRIM_THRESHOLD, see main.c) and in malloc_trim(), which also
 * releases the free pages in the middle of each arena. The daemon frees in
 * the middle all the time: request buffers, nodes, directory entries and a
 * memory emptyDir's chunks, on up to 8 arenas a core. Without a trim, stress
 * runs against a hostPath left the daemon 60 MiB more resident than malloc
 * had handed out, more after every run, until the arenas had seen their
 * worst. So once a second this thread compares the anonymous resident
 * memory with what malloc has handed out (mallinfo2) and trims when the
 * difference, the free memory still resident, has grown by HEAP_SLACK past
 * what the last trim left. What a trim cannot give back (part-used pages,
 * the tops of heaps below the threshold) is the new floor, so that a
 * fragmented heap is not trimmed again every second while a burst that
 * frees much is trimmed within a second of its end, or during it.
 *
 * The same thread keeps the reserve (heap.h): an anonymous mapping rather
 * than a malloc block, so that spending it gives its address space and
 * commit charge back to the system, where every arena can grow into them.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "podvolfs/heap.h"

/* Free resident memory left alone above the floor: a few request buffers. */
#define HEAP_SLACK		(16ULL << 20)
#define HEAP_CHECK_SECONDS	1
#define HEAP_RESERVE		(1UL << 20)

/* The reserve's mapping, or NULL; atomic. */
static void *reserve;
/* The reserve was spent and is not back yet; atomic. */
static bool spent;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* stop was set */
	bool stop;			/* protected by lock */
	bool running;			/* only start and stop touch it */
	pthread_t thread;
} trimmer = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

/* Bytes of anonymous memory resident: statm's resident less shared. */
static uint64_t anon_resident(void)
{
	unsigned long resident, shared;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%*u %lu %lu", &resident, &shared);
	fclose(f);
	if (n != 2 || shared > resident)
		return 0;
	return (uint64_t)(resident - shared) * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Resident bytes that malloc does not account as handed out. */
static uint64_t heap_free_resident(void)
{
	struct mallinfo2 mi = mallinfo2();
	uint64_t used = mi.uordblks + mi.hblkhd;
	uint64_t res = anon_resident();

	return res > used ? res - used : 0;
}

/* Maps the reserve if it is spent and the system has the memory. */
static void reserve_take(void)
{
	void *p;

	if (__atomic_load_n(&reserve, __ATOMIC_ACQUIRE))
		return;
	p = mmap(NULL, HEAP_RESERVE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	__atomic_store_n(&reserve, p, __ATOMIC_RELEASE);
	__atomic_store_n(&spent, false, __ATOMIC_RELEASE);
}

/* Unmaps the reserve; returns whether there was one. */
static bool reserve_drop(void)
{
	void *p = __atomic_exchange_n(&reserve, NULL, __ATOMIC_ACQ_REL);

	if (p)
		munmap(p, HEAP_RESERVE);
	return p != NULL;
}

void heap_reserve_spend(void)
{
	if (reserve_drop())
		__atomic_store_n(&spent, true, __ATOMIC_RELEASE);
}

bool heap_short(void)
{
	return __atomic_load_n(&spent, __ATOMIC_ACQUIRE);
}

static void *trimmer_main(void *arg)
{
	uint64_t floor = 0;
	struct timespec due;

	(void)arg;
	pthread_mutex_lock(&trimmer.lock);
	while (!trimmer.stop) {
		uint64_t spare;

		clock_gettime(CLOCK_REALTIME, &due);
		due.tv_sec += HEAP_CHECK_SECONDS;
		if (pthread_cond_timedwait(&trimmer.wake, &trimmer.lock,
					   &due) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&trimmer.lock);
		reserve_take();
		spare = heap_free_resident();
		if (spare > floor + HEAP_SLACK) {
			malloc_trim(0);
			spare = heap_free_resident();
		}
		if (spare < floor || floor + HEAP_SLACK < spare)
			floor = spare;
		pthread_mutex_lock(&trimmer.lock);
	}
	pthread_mutex_unlock(&trimmer.lock);
	return NULL;
}

int heap_trimmer_start(void)
{
	int rc;

	if (trimmer.running)
		return 0;
	reserve_take();
	trimmer.stop = false;
	rc = pthread_create(&trimmer.thread, NULL, trimmer_main, NULL);
	if (rc)
		return -rc;
	trimmer.running = true;
	return 0;
}

void heap_trimmer_stop(void)
{
	if (!trimmer.running)
		return;
	pthread_mutex_lock(&trimmer.lock);
	trimmer.stop = true;
	pthread_cond_signal(&trimmer.wake);
	pthread_mutex_unlock(&trimmer.lock);
	pthread_join(trimmer.thread, NULL);
	trimmer.running = false;
	reserve_drop();
	__atomic_store_n(&spent, false, __ATOMIC_RELEASE);
}
