/*
 * rmtree.h - removing and making directory trees by file descriptor.
 */
#ifndef PODVOLFS_RMTREE_H
#define PODVOLFS_RMTREE_H

/*
 * Removes the directory @name beneath @dirfd and everything in it, never
 * following a symlink. Returns 0, or -errno of the first failure (what could
 * be removed is removed). A missing @name is success.
 */
int rmtree_at(int dirfd, const char *name);

/* Makes the directories of the relative @path beneath @dirfd (mode 0700). Returns 0 or -errno. */
int mkdirs_at(int dirfd, const char *path);

#endif
