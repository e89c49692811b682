/*
 * nfs_data.c - open files of an NFS store: reads, writes and commits (see
 * nfs.c for the model).
 *
 * Writes are sent UNSTABLE and committed at close and fsync, like a
 * kernel client's, and once an open file holds NFS_UNSTABLE_MAX of them.
 * Until their commit the written bytes stay here, with the write verifier
 * the server answered: a server that restarted in between answers a new
 * verifier, and those bytes are written again.
 *
 * Removing a name that a file open here still uses renames it to
 * .podvolfs-silly-N instead (nfs_dir.c), and removes that at the last
 * close, as the kernel client's "silly rename" does: the open file stays
 * readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "nfs_store_i.h"

/* Unstable bytes an open file may hold before it commits them. */
#define NFS_UNSTABLE_MAX (64u << 20)

static int file_new(struct nfs_store *s, struct nfs_node *n,
		    struct store_file **out)
{
	struct nfs_file *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->base.node = &n->base;
	f->base.fd = -1;
	pthread_mutex_lock(&s->lock);
	n->opens++;
	s->opens++;
	pthread_mutex_unlock(&s->lock);
	*out = &f->base;
	return 0;
}

int nst_open(struct store *st, struct snode *sn, int flags,
		    struct store_file **out)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_node *n = NFS_NODE(sn);
	struct stat in = { 0 };
	struct stat cur;
	int rc;

	/* close-to-open: what others closed before this open shows */
	rc = (flags & O_TRUNC) ?
		nst_setattr(st, sn, NULL, &in, STORE_SET_SIZE, &cur) :
		nst_refresh(s, n, &cur);
	if (rc)
		return rc;
	rc = file_new(s, n, out);
	if (rc == 0)
		store_get(sn);
	return rc;
}

struct read_call {
	struct nfs_call call;
	struct nfs_store *s;
	struct nfs_node *n;
	char *buf;
	size_t got;
	bool eof;
};

static void read_done(struct nfs_call *call, void *res)
{
	struct read_call *rd = (struct read_call *)call;
	READ3res *r = res;
	READ3resok *ok = &r->READ3res_u.resok;

	if (call->err)
		return;
	rd->got = ok->data.data_len < ok->count ? ok->data.data_len : ok->count;
	memcpy(rd->buf, ok->data.data_val, rd->got);
	rd->eof = ok->eof;
	nst_post_attrs(rd->s, rd->n, &ok->file_attributes);
}

ssize_t nst_read(struct store *st, struct store_file *f, char *buf,
			size_t size, off_t off)
{
	struct nfs_store *s = (struct nfs_store *)st;
	size_t done = 0;
	int rc;

	while (done < size) {
		struct read_call rd = { .call.proc = NFS_READ,
					.call.done = read_done, .s = s,
					.n = NFS_NODE(f->node),
					.buf = buf + done };
		size_t want = size - done;

		if (want > s->pool->rtmax)
			want = s->pool->rtmax;
		nst_fh_arg(&rd.call.args.read.file, rd.n);
		rd.call.args.read.offset = off + done;
		rd.call.args.read.count = want;
		rc = nfs_call(s->pool, &rd.call);
		if (rc)
			return done ? (ssize_t)done : rc;
		done += rd.got;
		if (rd.eof || !rd.got)
			break;
	}
	return done;
}

struct write_call {
	struct nfs_call call;
	struct nfs_store *s;
	struct nfs_node *n;
	size_t count;
	stable_how committed;
	char verf[NFS3_WRITEVERFSIZE];
};

static void write_done(struct nfs_call *call, void *res)
{
	struct write_call *wr = (struct write_call *)call;
	WRITE3res *r = res;
	WRITE3resok *ok = &r->WRITE3res_u.resok;

	if (call->err) {
		nst_post_attrs(wr->s, wr->n, &r->WRITE3res_u.resfail.file_wcc.after);
		return;
	}
	wr->count = ok->count;
	wr->committed = ok->committed;
	memcpy(wr->verf, ok->verf, sizeof(wr->verf));
	nst_post_attrs(wr->s, wr->n, &ok->file_wcc.after);
}

/* One WRITE of at most wtmax bytes; the count written, or -errno. */
static ssize_t write_once(struct nfs_store *s, struct nfs_node *n,
			  const char *buf, size_t size, off_t off,
			  stable_how how, struct write_call *wr)
{
	int rc;

	memset(wr, 0, sizeof(*wr));
	wr->call.proc = NFS_WRITE;
	wr->call.done = write_done;
	wr->s = s;
	wr->n = n;
	nst_fh_arg(&wr->call.args.write.file, n);
	wr->call.args.write.offset = off;
	wr->call.args.write.count = size;
	wr->call.args.write.stable = how;
	wr->call.args.write.data.data_len = size;
	wr->call.args.write.data.data_val = (char *)buf;
	rc = nfs_call(s->pool, &wr->call);
	if (rc)
		return rc;
	if (!wr->count || wr->count > size)
		return -EIO;
	return wr->count;
}

/* Writes @size bytes at @off, all of them, as @how. 0 or -errno. */
static int write_all(struct nfs_store *s, struct nfs_node *n,
		     const char *buf, size_t size, off_t off, stable_how how)
{
	struct write_call wr;
	size_t done = 0;

	while (done < size) {
		size_t want = size - done;
		ssize_t got;

		if (want > s->pool->wtmax)
			want = s->pool->wtmax;
		got = write_once(s, n, buf + done, want, off + done, how, &wr);
		if (got < 0)
			return got;
		done += got;
	}
	return 0;
}

struct commit_call {
	struct nfs_call call;
	struct nfs_store *s;
	struct nfs_node *n;
	char verf[NFS3_WRITEVERFSIZE];
};

static void commit_done(struct nfs_call *call, void *res)
{
	struct commit_call *c = (struct commit_call *)call;
	COMMIT3res *r = res;

	if (call->err)
		return;
	memcpy(c->verf, r->COMMIT3res_u.resok.verf, sizeof(c->verf));
	nst_post_attrs(c->s, c->n, &r->COMMIT3res_u.resok.file_wcc.after);
}

/*
 * Commits what @f wrote unstably. Bytes whose WRITE got another verifier
 * than the COMMIT (the server restarted and may have lost them) are
 * written again, stably.
 */
static int commit_file(struct nfs_store *s, struct nfs_file *f)
{
	struct commit_call c = { .call.proc = NFS_COMMIT,
				 .call.done = commit_done, .s = s,
				 .n = NFS_NODE(f->base.node) };
	struct nfs_extent *list, *e;
	int rc;

	pthread_mutex_lock(&f->lock);
	list = f->unstable;
	f->unstable = NULL;
	f->unstable_bytes = 0;
	pthread_mutex_unlock(&f->lock);
	if (!list)
		return 0;
	nst_fh_arg(&c.call.args.commit.file, c.n);
	rc = nfs_call(s->pool, &c.call);
	for (e = list; e && rc == 0; e = e->next)
		if (memcmp(e->verf, c.verf, sizeof(c.verf)))
			rc = write_all(s, c.n, e->data, e->len, e->off,
				       FILE_SYNC);
	while (list) {
		e = list;
		list = e->next;
		free(e);
	}
	return rc;
}

ssize_t nst_write(struct store *st, struct store_file *sf,
			 const char *buf, size_t size, off_t off)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_file *f = (struct nfs_file *)sf;
	struct nfs_node *n = NFS_NODE(sf->node);
	struct write_call wr;
	size_t done = 0;
	bool full;

	while (done < size) {
		size_t want = size - done;
		struct nfs_extent *e;
		ssize_t got;

		if (want > s->pool->wtmax)
			want = s->pool->wtmax;
		got = write_once(s, n, buf + done, want, off + done, UNSTABLE,
				 &wr);
		if (got < 0)
			return done ? (ssize_t)done : got;
		if (wr.committed != FILE_SYNC) {
			e = malloc(sizeof(*e) + got);
			if (!e)
				return done ? (ssize_t)done : -ENOMEM;
			e->off = off + done;
			e->len = got;
			memcpy(e->verf, wr.verf, sizeof(e->verf));
			memcpy(e->data, buf + done, got);
			pthread_mutex_lock(&f->lock);
			e->next = f->unstable;
			f->unstable = e;
			f->unstable_bytes += got;
			pthread_mutex_unlock(&f->lock);
		}
		done += got;
	}
	pthread_mutex_lock(&f->lock);
	full = f->unstable_bytes > NFS_UNSTABLE_MAX;
	pthread_mutex_unlock(&f->lock);
	if (full) {
		int rc = commit_file(s, f);

		if (rc)
			return rc;
	}
	return done;
}

int nst_flush(struct store *st, struct store_file *f)
{
	return commit_file((struct nfs_store *)st, (struct nfs_file *)f);
}

int nst_fsync(struct store *st, struct store_file *f, bool datasync)
{
	(void)datasync;
	return commit_file((struct nfs_store *)st, (struct nfs_file *)f);
}

int nst_fallocate(struct store *st, struct store_file *f, int mode,
			 off_t off, off_t len)
{
	(void)st, (void)f, (void)mode, (void)off, (void)len;
	/* NFSv3 has no ALLOCATE: the Linux client says the same */
	return -EOPNOTSUPP;
}

off_t nst_lseek(struct store *st, struct store_file *f, off_t off,
		       int whence)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct stat cur;
	int rc;

	rc = nst_refresh(s, NFS_NODE(f->node), &cur);
	if (rc)
		return rc;
	/* NFSv3 knows no holes: data up to the end, one hole after it */
	if (off >= cur.st_size)
		return -ENXIO;
	return whence == SEEK_DATA ? off : cur.st_size;
}

void nst_release(struct store *st, struct store_file *sf)
{
	struct nfs_store *s = (struct nfs_store *)st;
	struct nfs_file *f = (struct nfs_file *)sf;

	if (f->unstable && commit_file(s, f))
		log_warn("nfs %s:%s: data written to a file could not be "
			 "committed at its last close", s->pool->server,
			 s->pool->export);
	nst_file_closed(s, NFS_NODE(sf->node));
	store_put(sf->node);
	pthread_mutex_destroy(&f->lock);
	nst_free_listing(f);
	free(f);
}

int nst_file_open(struct nfs_store *s, struct nfs_node *n,
		  struct store_file **out)
{
	int rc = file_new(s, n, out);

	if (rc == 0)
		store_get(&n->base);
	return rc;
}
