/*
 * nfs_i.h - private to the NFS store: connection pools and NFSv3 calls.
 *
 * A pool holds the connections to one (server, export, ports): every
 * store on that export shares it. libnfs 4.0 has no thread support, so a
 * connection (one nfs_context, one TCP connection) serves one thread at a
 * time; a pool has NFS_POOL_CONNS of them, made when first needed, so that
 * that many requests (the kernel's readahead, several users) run at once.
 *
 * A call is one NFSv3 procedure through libnfs's raw RPC layer, by file
 * handle, as a kernel client makes them: nfs_call() picks a free
 * connection, sets the caller's AUTH_SYS credential, sends, and waits
 * while polling the connection itself. libnfs reconnects a v3 connection
 * that breaks and sends again what was in flight, so a server restart
 * costs a pause, not an error. A call that outlasts the pool's timeout, or
 * whose caller is interrupted, tears its connection down (the only way to
 * abandon a request in libnfs 4.0) and fails with EIO or EINTR.
 */
#ifndef PODVOLFS_NFS_I_H
#define PODVOLFS_NFS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>

#include "podvolfs/store.h"

#define NFS_POOL_CONNS 4
#define NFS_FH_MAX 64			/* NFS3_FHSIZE */
/* A request unanswered this long makes the pool "not responding". */
#define NFS_SLOW_SECONDS 5

struct nfs_fh {
	uint32_t len;
	char data[NFS_FH_MAX];
};

struct nfs_conn {
	struct nfs_context *nfs;	/* NULL: not connected */
	bool busy;			/* a thread uses it; pool->lock */
	bool have_cred;			/* cred below is the context's AUTH */
	struct store_cred cred;
};

struct nfs_pool {
	struct nfs_pool *next;		/* in the registry */
	unsigned long refs;		/* registry lock */
	char *server;
	char *export;
	int nfs_port;
	int mount_port;
	double timeout;			/* seconds; 0: for ever */
	struct nfs_fh root;
	uint64_t rtmax, wtmax;		/* FSINFO's transfer sizes */
	pthread_mutex_t lock;		/* protects what follows */
	pthread_cond_t cond;		/* a connection became free */
	struct nfs_conn conns[NFS_POOL_CONNS];
	unsigned in_flight;
	unsigned long reconnects;	/* connections given up and made anew */
	time_t slow_since;		/* oldest unanswered slow request, or 0 */
	char last_error[160];
};

/* NFSv3 procedures nfs_call() makes. */
enum nfs_proc {
	NFS_GETATTR, NFS_SETATTR, NFS_LOOKUP, NFS_READLINK, NFS_READ,
	NFS_WRITE, NFS_CREATE, NFS_MKDIR, NFS_SYMLINK, NFS_MKNOD,
	NFS_REMOVE, NFS_RMDIR, NFS_RENAME, NFS_LINK, NFS_READDIRPLUS,
	NFS_FSSTAT, NFS_FSINFO, NFS_COMMIT,
};

/*
 * One call: the procedure, its arguments, and @done, which runs inside
 * libnfs's callback with the decoded reply (freed when it returns, so it
 * copies what it keeps) and sets the result fields of the struct that
 * embeds this one. @done is called only for replies the server sent,
 * successful or not; @err holds the reply's errno by then.
 */
struct nfs_call {
	enum nfs_proc proc;
	union {
		GETATTR3args getattr;
		SETATTR3args setattr;
		LOOKUP3args lookup;
		READLINK3args readlink;
		READ3args read;
		WRITE3args write;
		CREATE3args create;
		MKDIR3args mkdir;
		SYMLINK3args symlink;
		MKNOD3args mknod;
		REMOVE3args remove;
		RMDIR3args rmdir;
		RENAME3args rename;
		LINK3args link;
		READDIRPLUS3args readdirplus;
		FSSTAT3args fsstat;
		FSINFO3args fsinfo;
		COMMIT3args commit;
	} args;
	void (*done)(struct nfs_call *call, void *res);
	int err;			/* 0 or -errno */
	bool finished;
};

/*
 * The pool for @t, shared, or a new one that connects and finds the
 * export's root handle. Returns NULL with @msg set (and errno).
 */
struct nfs_pool *nfs_pool_get(const struct nfs_target *t, char *msg,
			      size_t len);
void nfs_pool_put(struct nfs_pool *p);

/* Runs @call on a connection of @p, as store_caller() or as root. 0 or -errno. */
int nfs_call(struct nfs_pool *p, struct nfs_call *call);

/* The pool's connections for status: up and busy, or not responding since when. */
void nfs_pool_health(struct nfs_pool *p, char *buf, size_t len);

/* The errno of an NFSv3 status, as the Linux client reports it. */
int nfs3_errno(nfsstat3 status);

#endif
