/*
 * views.h - how a container sees its volumes: env, subPathExpr, mountPath.
 *
 * The kubelet turns each volumeMount into a container mount (SPEC section
 * 2, makeMounts). The pure parts of that live here, apart from any store,
 * so that they can be tested alone: the container's environment as the
 * kubelet computes it, the $(VAR) expansion of subPathExpr, and the
 * mountPath made absolute and clean. The resolution of a subPath inside a
 * volume, which needs the volume's store, is in src/cluster/views.c.
 */
#ifndef PODVOLFS_VIEWS_H
#define PODVOLFS_VIEWS_H

#include <stddef.h>

#include "podvolfs/spec.h"
#include "podvolfs/strmap.h"

/*
 * What execve(2) takes with the default 8 MiB stack, and so the most a
 * container's environment may expand to: one "NAME=value" string
 * (MAX_ARG_STRLEN, its NUL counted), and all of them.
 */
#define ENV_VAR_MAX 131072
#define ENV_MAX (2 << 20)

/* One variable of a container's environment. */
struct env_var {
	char *name;
	char *value;			/* "" when its fieldRef names nothing */
};

/* A container's environment, in definition order; later names win. */
struct container_env {
	struct env_var *vars;
	size_t n;
	struct strmap last;		/* name -> the value of its last definition */
	size_t size;			/* bytes of the "NAME=value" strings */
};

/*
 * Computes the environment of container @c of pod @p as the kubelet does:
 * each "value" has its $(VAR) references to variables defined before it
 * expanded (an unknown one is kept as written), and each fieldRef gets its
 * value from the pod: metadata.name, metadata.namespace, metadata.uid,
 * metadata.labels['k'], metadata.annotations['k'] (an absent key gives "").
 * Other field paths give "". Returns 0; -E2BIG when a variable or the
 * whole environment would pass ENV_VAR_MAX or ENV_MAX, which references
 * can make grow twice as large from one variable to the next (why, in
 * @msg of size @len); -ENOMEM. On error @env is empty. Free with
 * container_env_free(). Takes time linear in @c's env and what it expands to.
 */
int container_env_make(const struct spec_pod *p, const struct spec_container *c,
		       struct container_env *env, char *msg, size_t len);

/* Frees what @env holds and empties it. Accepts an empty one. */
void container_env_free(struct container_env *env);

/* The value of @name (the last definition), or NULL when undefined. */
const char *container_env_get(const struct container_env *env,
			      const char *name);

/*
 * Returns the replacement for the reference $(@name), or NULL to keep the
 * reference as written.
 */
typedef const char *(*expand_fn)(void *ctx, const char *name);

/*
 * Expands @in as Kubernetes expands command, args, env values and
 * subPathExpr: "$(NAME)" becomes @fn's answer, "$$" becomes "$", and
 * everything else is kept: "$(" with no ")", "$x", a trailing "$".
 * Returns a malloc'ed string; NULL with errno E2BIG when it would be
 * longer than @max bytes, or ENOMEM.
 */
char *expand_refs(const char *in, expand_fn fn, void *ctx, size_t max);

/*
 * Expands the subPathExpr @expr from @env (kubelet's
 * ExpandContainerVolumeMounts). Returns 0 with the malloc'ed result in
 * *@out; -EINVAL when a referenced variable is undefined or empty, with
 * "missing value for A, B" (sorted, each once) in @msg of size @len, or
 * when the result would be longer than a path can be (PATH_MAX), saying
 * so; -ENOMEM. *@out is NULL on error.
 */
int subpath_expr_expand(const char *expr, const struct container_env *env,
			char **out, char *msg, size_t len);

/*
 * The mountPath @raw made absolute and clean as the kubelet and the
 * runtime make it: "/" prefixed, repeated and trailing slashes and "."
 * dropped, ".." taking one component off (never above "/"). "data/" and
 * "/data" both give "/data"; "" and "/.." give "/". Returns a malloc'ed
 * string or NULL on allocation failure.
 */
char *mount_path_clean(const char *raw);

#endif
