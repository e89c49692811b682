/*
 * state.h - everything podvolfs keeps under STATE, and how it is written.
 *
 * The state directory outlives the daemon: disk emptyDirs and gitRepo
 * checkouts of a pod are found again after a restart (same manifest, same
 * pod UID). This module is the only code that names paths under STATE:
 *
 *   STATE/                       mode 0700
 *     pods/<uid>/volumes/<name>/ one directory per volume that keeps data
 *     pvs/<pv>_<ns>_<claim>/     volumes made by the local provisioner
 *     objects/records            PVs, claims and StorageClasses: bindings,
 *                                phases, provisioned PVs (one file)
 *
 * What a source keeps inside its volume's directory is the source's
 * business (volume/), but it writes records there only through
 * state_write_atomic(), so that a daemon killed at any moment leaves either
 * the old record or the new one, never a torn one.
 */
#ifndef PODVOLFS_STATE_H
#define PODVOLFS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct state;

/*
 * Opens the state directory @dir (an absolute path), making it with mode
 * 0700 if missing. Returns NULL with errno set.
 */
struct state *state_open(const char *dir);

/* Closes @st. Accepts NULL. */
void state_close(struct state *st);

/* The absolute path given to state_open(). */
const char *state_dir(const struct state *st);

/*
 * Opens pods/<@uid>/volumes/<@name>, making it and its parents (mode 0700)
 * when missing; *@fresh tells whether it was made now. Returns an
 * O_DIRECTORY descriptor (close-on-exec), or -errno.
 */
int state_volume_open(struct state *st, const char *uid, const char *name,
		      bool *fresh);

/*
 * Writes the absolute path of pods/<@uid>/volumes/<@name>/<@entry> (of the
 * volume's directory itself when @entry is "") into @buf of @size bytes,
 * for code that needs a path rather than a descriptor (libgit2). Returns 0
 * or -ENAMETOOLONG.
 */
int state_volume_path(const struct state *st, const char *uid,
		      const char *name, const char *entry, char *buf,
		      size_t size);

/*
 * Deletes pods/<@uid> and everything in it, never following a symlink.
 * Returns 0 (also when it did not exist) or -errno of the first failure.
 */
int state_pod_remove(struct state *st, const char *uid);

/*
 * Deletes the state of every pod for which @keep answers false, logging
 * each. Entries whose names start with '.' are left alone.
 */
void state_collect(struct state *st, bool (*keep)(void *arg, const char *uid),
		   void *arg);

/*
 * Replaces objects/<@name> by @len bytes of @data, atomically and durably
 * (state_write_atomic), making objects/ when missing. Returns 0 or -errno.
 */
int state_objects_write(struct state *st, const char *name, const char *data,
			size_t len);

/*
 * Reads objects/<@name> whole into *@out (malloc'ed, terminated). Returns
 * its length, -ENOENT when there is none, or another -errno.
 */
ssize_t state_objects_read(struct state *st, const char *name, char **out);

/*
 * Writes the absolute path of pvs/, where the local provisioner makes
 * volumes, into @buf of @size bytes, making the directory (mode 0700)
 * when missing. Returns 0 or -errno.
 */
int state_pvs_dir(struct state *st, char *buf, size_t size);

/*
 * Replaces the file @name beneath @dirfd by @len bytes of @data, atomically
 * and durably: a temporary file is written and fsynced, renamed over @name,
 * and the directory fsynced. After a crash @name holds the old or the new
 * contents, whole. Returns 0 or -errno (then @name is unchanged).
 */
int state_write_atomic(int dirfd, const char *name, const char *data,
		       size_t len);

/*
 * Reads the small file @name beneath @dirfd into @buf (at most @size - 1
 * bytes, then terminated). Returns the length, -ENOENT, -EFBIG when it does
 * not fit, or another -errno.
 */
ssize_t state_read(int dirfd, const char *name, char *buf, size_t size);

#endif
