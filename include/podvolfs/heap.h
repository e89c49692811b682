/*
 * heap.h - giving free heap memory back to the system after a burst.
 */
#ifndef PODVOLFS_HEAP_H
#define PODVOLFS_HEAP_H

#include <stdbool.h>

/*
 * Starts the thread that, once a second, compares the daemon's anonymous
 * resident memory with what malloc has handed out, and calls malloc_trim()
 * when more than 16 MiB beyond what the last trim left sits free and
 * resident. Call it in the process that serves, after any fork. Returns 0 or
 * -errno; a second call does nothing. Not thread-safe against
 * heap_trimmer_stop().
 */
int heap_trimmer_start(void);

/* Stops the thread and waits for it. Harmless when it was never started. */
void heap_trimmer_stop(void);

/*
 * The reserve: 1 MiB of address space that heap_trimmer_start() maps and
 * heap_reserve_spend() gives back to the system, so that once a store that
 * keeps data in the daemon's memory finds none left, libfuse can still
 * allocate the requests that free memory again (it drops a FORGET it cannot
 * allocate, and with it the memory of the removed file). While it is spent,
 * heap_short() is true and such stores allocate nothing new; the trimmer's
 * thread maps it again once it can. Thread-safe.
 */
void heap_reserve_spend(void);
bool heap_short(void);

#endif
