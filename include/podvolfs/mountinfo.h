/*
 * mountinfo.h - the mounts of this process's mount namespace.
 */
#ifndef PODVOLFS_MOUNTINFO_H
#define PODVOLFS_MOUNTINFO_H

/* One line of /proc/self/mountinfo; the strings live until @fn returns. */
struct mountinfo {
	unsigned major, minor;		/* st_dev of the mounted file system */
	const char *mount_point;	/* unescaped ("\040" is a space again) */
	const char *fstype;		/* "fuse.podvolfs", "tmpfs", ... */
	const char *source;		/* unescaped */
};

/*
 * Calls @fn(@m, @arg) for each mount, in the kernel's order (a later mount
 * at the same point is over an earlier one), until @fn returns nonzero.
 * Returns what @fn returned last, or 0, or -errno when the table cannot be
 * read. Lines it cannot parse are skipped.
 */
int mountinfo_each(int (*fn)(const struct mountinfo *m, void *arg),
		   void *arg);

#endif
