/*
 * storewalk.h - whole trees through any store: mkdir -p, rm -rf, and
 * emptying a directory in place.
 *
 * These are built on struct store_ops alone, so they work where there is no
 * kernel path to run rm or mkdir on, as in an NFS export served by the nfs
 * store. PersistentVolume Recycle (SPEC 7.6) empties a volume's root with
 * store_clear(). The nfs-subdir provisioner (SPEC 8.3) makes a claim's
 * directory with store_mkdirs(), finds it again with store_lookup_parent(),
 * and deletes it with store_remove_tree() or archives it with ops->rename.
 *
 * No call follows a symlink: a symlink in a tree that is removed is
 * unlinked, and a symlink on a path is not a directory. Nothing is atomic:
 * names that others add while a walk runs may stay, and the walk then
 * fails as described below.
 *
 * Thread context: any thread, a work-queue thread with no FUSE request
 * included. The calls take no lock of their own and block for as long as
 * the store's calls do. On a store that acts as the caller
 * (STORE_CAP_AS_CALLER, the nfs store), lookups and removals go out as the
 * thread's store_caller(), or as root on a thread that has none. See
 * docs/design/store-walk.md.
 */
#ifndef PODVOLFS_STOREWALK_H
#define PODVOLFS_STOREWALK_H

#include <sys/types.h>

#include "podvolfs/store.h"

/*
 * How many levels of directories a removal descends below the directory it
 * empties. A directory nested deeper is left in place, and the call returns
 * -ELOOP after removing everything else it could. This also stops a walk
 * that a store's directory cycle would send round for ever.
 */
#define STORE_WALK_MAX_DEPTH	4096

/*
 * Makes every missing directory of @relpath below the store's root, as
 * mkdir -p does. @relpath is relative ("ns/claim", "a/b/c"): an absolute
 * path, an empty component (including a trailing "/"), "." or ".." is
 * refused with -EINVAL, a component longer than NAME_MAX and a path of
 * PATH_MAX bytes or more with -ENAMETOOLONG. Existing directories are used
 * as they are, with their mode unchanged. Each directory this call makes is
 * created with @mode and then set to exactly @mode & 07777 by setattr, so
 * neither the daemon's umask nor a setgid parent changes the result.
 *
 * New directories belong to @cred. A store that acts as the caller takes
 * the owner from store_caller(), so for the duration of the call the
 * thread's caller is @cred (keeping the previous caller's interruption
 * check), and the previous caller is set back before the call returns.
 *
 * Returns 0 with the last directory and a new reference in *@out (@out may
 * be NULL). Returns -ENOTDIR when a component exists and is not a
 * directory (a symlink included), or the store's error. On failure the
 * directories this call made are removed again, except one that someone
 * else has put something into meanwhile.
 */
int store_mkdirs(struct store *s, const char *relpath, mode_t mode,
		 const struct store_cred *cred, struct snode **out);

/*
 * Finds the directory that holds the last component of @relpath (checked as
 * for store_mkdirs()), without making anything. Returns 0 with that
 * directory and a new reference in *@dir, and in *@name a pointer to the
 * last component inside @relpath. The last component itself need not
 * exist. Returns -ENOENT when a directory on the way is missing, -ENOTDIR
 * when one is not a directory (a symlink included), or the store's error.
 *
 * For "a/b/c" this gives the directory "a/b" and "c"; for "c" the root and
 * "c".
 */
int store_lookup_parent(struct store *s, const char *relpath,
			struct snode **dir, const char **name);

/*
 * Removes the entry @name of the directory @dir, whatever it is, as rm -rf
 * does: a directory is emptied depth first, then removed; anything else,
 * symlinks included, is unlinked. @name is one component: "", ".", ".."
 * and names with a "/" are refused with -EINVAL.
 *
 * Returns 0 once @name is gone, -ENOENT when it did not exist, -ELOOP when
 * the tree is nested deeper than STORE_WALK_MAX_DEPTH, -ENOTEMPTY when a
 * directory still showed names in each of 64 listings from its start
 * (something keeps filling it) or was filled before its rmdir, or the first
 * error of the store. After an error the walk still removes whatever else
 * it can; the directories on the way to what could not be removed stay.
 *
 * Memory: the names of at most 1 MiB of @name's entries and 4 KiB of each
 * directory on the current path below it, whatever the size of the tree.
 * At most one directory of the store is open at a time.
 */
int store_remove_tree(struct store *s, struct snode *dir, const char *name);

/*
 * Removes every entry of the directory @dir as store_remove_tree() does,
 * dot-files included, and keeps @dir itself: its mode, owner and group are
 * not touched. Returns 0 only once a listing of @dir from its start has
 * shown no entry. Returns -ENOTDIR when @dir is not a directory, and
 * otherwise what store_remove_tree() returns.
 *
 * Files held open elsewhere, on the nfs store: one that another NFS client
 * removed while open shows as ".nfsXXXX", which the server removes like any
 * file (that client then reads ESTALE), so it does not stop store_clear().
 * One that this daemon holds open through the same store is renamed to
 * ".podvolfs-silly-..." by the store's unlink; the next listing removes
 * that name too, so store_clear() returns 0 and the open handle reads
 * ESTALE. A store that refuses to remove such a name (the Linux client
 * says -EBUSY) makes store_clear() return its error, with that name left.
 */
int store_clear(struct store *s, struct snode *dir);

#endif
