/*
 * killpriv.c - which set-id bits a write, truncate or chown clears, when
 * the daemon clears them (FUSE_CAP_HANDLE_KILLPRIV_V2, libfuse 3.17+).
 *
 * Without that capability the kernel clears set-id bits itself, with a
 * setattr of the mode, and before every write asks for the file's
 * security.capability (a GETXATTR request) to learn whether to remove it.
 * With it, an inode found to have neither set-id bits nor a capability is
 * marked S_NOSEC and its later writes ask nothing; the kernel still
 * removes a capability it finds (a REMOVEXATTR request), but leaves the
 * set-id bits to the daemon, and says when:
 *
 * - a truncate, or an open with O_TRUNC, by a process without CAP_FSETID:
 *   a setattr of the size with FATTR_KILL_SUIDGID (FUSE_SET_ATTR_KILL_SUID
 *   to libfuse);
 * - a chown of anything but a directory: FATTR_KILL_SUIDGID with the new
 *   owner;
 * - a write, fallocate or copy into a file whose set-id bits the writer
 *   must lose (it lacks CAP_FSETID): a setattr with nothing to set just
 *   before, from the kernel's file_remove_privs(), whose mode change the
 *   kernel now leaves to the daemon. The WRITE would also carry
 *   FUSE_WRITE_KILL_SUIDGID, but libfuse passes no write flags on, and a
 *   passthrough write never reaches the daemon; the empty setattr comes
 *   on every data path.
 *
 * The daemon then clears what the kernel clears for a local file system
 * (setattr_should_drop_suidgid()): the setuid bit; the setgid bit when the
 * group may execute the file, or when the caller is not in the file's
 * group (not on chown, whose caller is nearly always root, who keeps it).
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdbool.h>

#include "fs_i.h"

/* Most supplementary groups looked at; more are rare, and /proc has them all. */
#define KILLPRIV_GROUPS 64

static bool in_group(fuse_req_t req, gid_t gid)
{
	gid_t groups[KILLPRIV_GROUPS];
	int n;

	if (fuse_req_ctx(req)->gid == gid)
		return true;
	n = fuse_req_getgroups(req, KILLPRIV_GROUPS, groups);
	for (int i = 0; i < n && i < KILLPRIV_GROUPS; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

mode_t fs_killpriv_bits(fuse_req_t req, const struct stat *st, bool chown)
{
	mode_t kill = 0;

	if (S_ISDIR(st->st_mode))
		return 0;
	if (st->st_mode & S_ISUID)
		kill |= S_ISUID;
	if ((st->st_mode & S_ISGID) &&
	    ((st->st_mode & S_IXGRP) || (!chown && !in_group(req, st->st_gid))))
		kill |= S_ISGID;
	return kill;
}
