/*
 * heap.h - giving free heap memory back to the system after a burst.
 */
#ifndef PODVOLFS_HEAP_H
#define PODVOLFS_HEAP_H

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

#endif
