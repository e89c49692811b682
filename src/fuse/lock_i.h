/*
 * lock_i.h - private to the FUSE layer: POSIX and BSD locks on store objects.
 *
 * The kernel sends every lock request on the mount here (FUSE_CAP_POSIX_LOCKS
 * and FUSE_CAP_FLOCK_LOCKS); lock.c lets the host kernel do the locking on
 * open file descriptions of a "carrier" file: the host file itself when the
 * store's handle has a host fd (the passthrough store), so host processes
 * and every view of the file see the same locks, else a memfd made for the
 * store object. See docs/design/hostpath.md, "Locks".
 *
 * All calls are non-blocking and thread-safe; a blocking lock is the
 * caller's loop of attempts. They take only lock.c's own mutex, never
 * across a reply.
 */
#ifndef PODVOLFS_FUSE_LOCK_I_H
#define PODVOLFS_FUSE_LOCK_I_H

#include <fcntl.h>
#include <stdint.h>

#include "podvolfs/store.h"

/*
 * F_GETLK for @owner on @sn: fills @lk with a lock that conflicts with it
 * (l_type F_UNLCK when none). @carrier is the handle's host fd or -1.
 * Returns 0 or -errno.
 */
int lock_posix_get(struct snode *sn, int carrier, uint64_t owner,
		   struct flock *lk);

/*
 * F_SETLK for @owner (the kernel's lock_owner) on @sn, asked through the
 * open file @handle: takes, changes or drops (F_UNLCK) the record lock @lk
 * without waiting. Returns 0, -EAGAIN when another owner holds a
 * conflicting lock, or -errno.
 */
int lock_posix_set(struct snode *sn, int carrier, uint64_t owner,
		   const void *handle, const struct flock *lk);

/* Drops every record lock @owner holds on @sn (close of any of its fds). Can't fail. */
void lock_posix_release(struct snode *sn, uint64_t owner);

/*
 * flock(2) @op (LOCK_SH, LOCK_EX, LOCK_UN; LOCK_NB is implied) for the open
 * file @handle on @sn. Returns 0, -EAGAIN (held elsewhere), or -errno.
 */
int lock_flock(struct snode *sn, int carrier, const void *handle, int op);

/*
 * The last close of the open file @handle: drops its flock and the record
 * locks of owners first seen through it, which are its OFD locks (the
 * kernel names no owner then). Can't fail.
 */
void lock_release_handle(struct snode *sn, const void *handle);

/* Drops every lock left, at unmount, before the stores go. Can't fail. */
void lock_table_clear(void);

#endif
