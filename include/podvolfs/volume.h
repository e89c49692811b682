/*
 * volume.h - volume sources: from a pod's volume spec to a store.
 *
 * A source checks the fields the apiserver leaves to the kubelet, sets the
 * volume up (creates its directory, checks a host path, clones, connects),
 * picks a store, and tears it down by its lifetime rules. A volume that
 * cannot be set up says why in its message and is left out of the tree;
 * the pod's other volumes are served. Sources never do I/O for FUSE.
 */
#ifndef PODVOLFS_VOLUME_H
#define PODVOLFS_VOLUME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "podvolfs/fs.h"
#include "podvolfs/spec.h"
#include "podvolfs/store.h"

enum volume_state {
	VOLUME_READY,
	VOLUME_FAILED,			/* setup failed; message says why */
	VOLUME_UNSUPPORTED,		/* a source podvolfs does not implement */
};

struct volume {
	char *name;
	char *type;			/* the source's key: "emptyDir", ... */
	enum volume_state state;
	char message[512];		/* why it is not ready; "" when ready */
	struct store *store;		/* one reference when ready */
	struct view_cache cache;	/* how the kernel may cache it */
	/*
	 * The source makes every view read-only, whatever the volumeMount
	 * says (SPEC section 2 step 5): a read-only PVC or NFS volume.
	 */
	bool forced_read_only;
	char *detail;			/* e.g. "medium=Memory"; may be NULL */
};

/* What a source needs to know about its pod and the daemon. */
struct volume_ctx {
	int state_fd;			/* the state directory */
	const char *pod_uid;
	bool has_fs_group;
	gid_t fs_group;
	uint64_t memory_limit;		/* bytes; a Memory emptyDir's ceiling */
	/* seconds a hostPath's attributes, names and pages may be cached */
	double hostpath_cache;
};

/*
 * Sets up @v from @sv. Always fills @v (name, type, state, message) unless
 * it returns -ENOMEM; a failed setup is not an error of this call, it is
 * the volume's state. Free with volume_release().
 */
int volume_setup(struct volume *v, const struct spec_volume *sv,
		 const struct volume_ctx *ctx);

/* Drops what @v holds. The data stays; the pod's removal deletes it. */
void volume_release(struct volume *v);

/* The display name of a state: "Ready", "Failed", "NotSupported". */
const char *volume_state_name(enum volume_state state);

/* emptyDir: its store, or -errno with @msg (size @len) saying why. */
int emptydir_setup(const struct spec_volume *sv, const struct volume_ctx *ctx,
		   struct store **out, char *msg, size_t len);

/*
 * hostPath: checks (and for the *OrCreate types and type "" creates) the
 * host path as the kubelet does, and returns a passthrough store whose root
 * is the object found there, a directory or not. On failure returns -errno
 * with @msg (size @len) in the kubelet's words ("hostPath type check
 * failed: /srv is not a directory"). Never changes an existing object.
 */
int hostpath_setup(const struct spec_volume *sv, struct store **out,
		   char *msg, size_t len);

/*
 * Removes the directory @name beneath @dirfd and everything in it, never
 * following a symlink. Returns 0, or -errno of the first failure (what could
 * be removed is removed). A missing @name is success.
 */
int rmtree_at(int dirfd, const char *name);

/* Makes the directories of the relative @path beneath @dirfd (mode 0700). Returns 0 or -errno. */
int mkdirs_at(int dirfd, const char *path);

#endif
