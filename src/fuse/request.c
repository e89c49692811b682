/*
 * request.c - what every request handler starts and ends with: the node or
 * open file a request names, the caller a store acts as, and the replies
 * all handlers share (errors, and changes the other views must learn).
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fuse_lowlevel.h>
#include <time.h>
#include <sys/resource.h>

#include "fs_i.h"
#include "ops_i.h"
#include "podvolfs/log.h"

/*
 * Replies with the error @err, or success when 0. EMFILE is the daemon's
 * own open-file limit, not the caller's: the caller gets ENFILE, as from
 * a kernel whose file table is full, and the log says why, once a minute
 * at most.
 */
void reply_err(fuse_req_t req, int err)
{
	static time_t said;
	time_t now, last;
	struct rlimit rl;

	if (err == EMFILE) {
		err = ENFILE;
		now = time(NULL);
		last = __atomic_load_n(&said, __ATOMIC_RELAXED);
		if (now - last >= 60 &&
		    __atomic_compare_exchange_n(&said, &last, now, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED) &&
		    getrlimit(RLIMIT_NOFILE, &rl) == 0)
			log_warn("at the limit of %llu open files (RLIMIT_NOFILE): requests that need one more fail with ENFILE",
				 (unsigned long long)rl.rlim_cur);
	}
	fuse_reply_err(req, err);
}

/* The caller gave up (a signal), or the daemon is stopping: stop waiting. */
static bool req_interrupted(void *req)
{
	return fuse_req_interrupted(req) ||
	       fuse_session_exited(fs_of(req)->se);
}

/*
 * Tells a store that acts as the caller who @req's caller is: every
 * request passes here, through node_of(), before it reaches a store.
 */
void set_caller(fuse_req_t req, const struct view *view)
{
	static __thread struct store_caller caller;
	const struct fuse_ctx *ctx;
	int n;

	if (!view || !(view->store->caps & STORE_CAP_AS_CALLER)) {
		store_caller_set(NULL);
		return;
	}
	ctx = fuse_req_ctx(req);
	caller.cred.uid = ctx->uid;
	caller.cred.gid = ctx->gid;
	n = fuse_req_getgroups(req, STORE_MAX_GROUPS, caller.cred.groups);
	caller.cred.ngroups = n < 0 ? 0 : n > STORE_MAX_GROUPS ?
			      STORE_MAX_GROUPS : (unsigned)n;
	caller.interrupted = req_interrupted;
	caller.arg = req;
	store_caller_set(&caller);
}

struct fnode *node_of(fuse_req_t req, fuse_ino_t ino)
{
	struct fnode *fn = fnode_of(fs_of(req), ino);

	set_caller(req, fn->view);
	return fn;
}

/* The open file of @fi, or NULL; sets the caller as node_of() does. */
struct fhandle *handle_of(fuse_req_t req, struct fuse_file_info *fi)
{
	struct fhandle *fh = fi ? (struct fhandle *)(uintptr_t)fi->fh : NULL;

	if (fh)
		set_caller(req, fh->view);
	return fh;
}

/*
 * Replies @rc to a request that changed @fn (when @rc is 0), after making
 * its other views drop their attributes, and with @pages their data.
 */
void reply_changed(fuse_req_t req, struct fnode *fn, int rc,
		   bool pages)
{
	struct fs *fs = fs_of(req);
	struct siblings sib;

	if (rc) {
		reply_err(req, -rc);
		return;
	}
	fs_siblings_begin(fs, fn, pages, &sib);
	reply_err(req, 0);
	fs_siblings_end(fs, &sib, NULL);
}
