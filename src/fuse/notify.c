/*
 * notify.c - the notifications a request sends after its reply, sent by a
 * thread of their own.
 *
 * A dentry invalidation takes the kernel's lock on the directory, and a
 * page invalidation the file's page locks. A process holding such a lock
 * (a lookup in that directory, a read of that page) may be waiting for a
 * request of its own, which only a free request thread can serve. Sent from
 * request threads, those notifications could occupy every one of them: a
 * writer renaming through one view while others list another view used up
 * all 64 threads in fuse_reverse_inval_entry() and hung the mount. The
 * notifier thread may wait there instead; request threads only queue and
 * go on. Notifications keep their order. The thread starts with the first
 * notice, after fuse_daemonize() has forked, and stops with the session.
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"

/* What one request left to tell the kernel about its siblings. */
struct notice {
	struct notice *next;
	uint64_t *ids;			/* node ids; owned */
	size_t n;
	char *name;			/* an entry of each, or NULL: pages */
};

/* The entry @name (unless NULL) and the pages of each of @ids go. */
static void send_now(struct fs *fs, const uint64_t *ids, size_t n,
		     const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (name)
			fuse_lowlevel_notify_inval_entry(fs->se, ids[i], name,
							 strlen(name));
		fuse_lowlevel_notify_inval_inode(fs->se, ids[i], 0, 0);
	}
}

static void notice_free(struct notice *no)
{
	free(no->ids);
	free(no->name);
	free(no);
}

static void *notifier(void *arg)
{
	struct fs *fs = arg;
	struct notice *no;

	pthread_mutex_lock(&fs->notify_lock);
	for (;;) {
		while (!fs->notices && !fs->notify_stop)
			pthread_cond_wait(&fs->notify_cond, &fs->notify_lock);
		no = fs->notices;
		if (!no)
			break;
		fs->notices = no->next;
		if (!fs->notices)
			fs->notices_tail = &fs->notices;
		pthread_mutex_unlock(&fs->notify_lock);
		send_now(fs, no->ids, no->n, no->name);
		notice_free(no);
		pthread_mutex_lock(&fs->notify_lock);
	}
	pthread_mutex_unlock(&fs->notify_lock);
	return NULL;
}

void fs_notify_init(struct fs *fs)
{
	pthread_mutex_init(&fs->notify_lock, NULL);
	pthread_cond_init(&fs->notify_cond, NULL);
	fs->notices = NULL;
	fs->notices_tail = &fs->notices;
	fs->notifier_running = false;
	fs->notify_stop = false;
}

/*
 * Queues @ids (@n of them; the array is consumed) for the notifier. When
 * that cannot be done (no memory, no thread), sends them now, as the
 * request thread did before there was a notifier.
 */
void fs_notify_later(struct fs *fs, uint64_t *ids, size_t n, const char *name)
{
	struct notice *no = calloc(1, sizeof(*no));
	bool queued = false;

	if (!no)
		goto out_send_now;
	no->ids = ids;
	no->n = n;
	no->name = name ? strdup(name) : NULL;
	if (name && !no->name)
		goto out_send_now;
	pthread_mutex_lock(&fs->notify_lock);
	if (!fs->notifier_running && !fs->notify_stop &&
	    pthread_create(&fs->notifier, NULL, notifier, fs) == 0)
		fs->notifier_running = true;
	if (fs->notifier_running) {
		*fs->notices_tail = no;
		fs->notices_tail = &no->next;
		pthread_cond_signal(&fs->notify_cond);
		queued = true;
	}
	pthread_mutex_unlock(&fs->notify_lock);
	if (queued)
		return;

out_send_now:
	if (no) {
		no->ids = NULL;
		notice_free(no);
	}
	send_now(fs, ids, n, name);
	free(ids);
}

/*
 * Sends what is queued, then ends the notifier. Called once no request can
 * queue more, with fs->se still valid.
 */
void fs_notify_stop(struct fs *fs)
{
	bool running;

	pthread_mutex_lock(&fs->notify_lock);
	fs->notify_stop = true;
	running = fs->notifier_running;
	fs->notifier_running = false;
	pthread_cond_signal(&fs->notify_cond);
	pthread_mutex_unlock(&fs->notify_lock);
	if (running)
		pthread_join(fs->notifier, NULL);
}

void fs_notify_destroy(struct fs *fs)
{
	fs_notify_stop(fs);
	pthread_cond_destroy(&fs->notify_cond);
	pthread_mutex_destroy(&fs->notify_lock);
}
