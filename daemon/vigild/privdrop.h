/*
 * privdrop.h - least privilege: vigild becomes the configured user
 * (`user:`, `group:`, --user) once everything that needs root is done
 * (the source's fds open and mapped, kprobes added, the control socket
 * bound, the dump directory and the --record output made), before the
 * first handler call.  docs/security.md says what changes for the rest
 * of the run.
 *
 * Order (vigild.c): vgd_priv_resolve() at start; vgd_priv_prepare_dir()
 * on the directories the user writes; vgd_priv_drop(); then
 * vgd_priv_check_access() on the same directories, now as the user.
 */
#ifndef VGD_PRIVDROP_H
#define VGD_PRIVDROP_H

#include <sys/types.h>
#include <glib.h>
#include "config.h"

G_BEGIN_DECLS

typedef struct {
	char *user;		/* name */
	char *group;		/* name */
	uid_t uid;
	gid_t gid;
	char *where;		/* the key or option that named the user,
				 * for messages */
} VgdPrivUser;

/* With a user to become, set no_new_privs now, before vigild starts
 * any thread, so that every thread has it (it is per thread and
 * inherited; it only concerns execve).  FALSE with *error when the
 * kernel refused. */
gboolean vgd_priv_early(const VgdConfig *cfg, GError **error);

/* vigild as root runs what the configuration file and the handler
 * scripts say: warn about each that someone other than root may write
 * (owned by another user, or group- or world-writable).  Nothing when
 * vigild is not root. */
void vgd_priv_warn_untrusted(const VgdConfig *cfg);

/* cfg's user and group to ids: FALSE (nothing to do) when cfg names no
 * user; FALSE with *error when a name is unknown or vigild is not root
 * (it cannot change its user then). */
gboolean vgd_priv_resolve(const VgdConfig *cfg, VgdPrivUser *u,
			  GError **error);
void vgd_priv_user_clear(VgdPrivUser *u);

/* A directory the user must write after the drop (the dump directory):
 * created if missing (mode 0700, missing parents 0755), owned by the
 * user with mode 0700.  Our dumps and their leftovers in it (vigil-*,
 * .vigil-*, written by an earlier vigild as root) are given to the user
 * too, so that retention can remove them. */
gboolean vgd_priv_prepare_dir(const char *dir, const VgdPrivUser *u,
			      GError **error);
/* Give path (not followed if a link) and, for a directory, the files
 * in it to the user (the --record output being written). */
gboolean vgd_priv_give(const char *path, const VgdPrivUser *u,
		       GError **error);

/* initgroups, setresgid, setresuid (each checked), then checks that
 * every uid and gid is the user's and root cannot be had back, sets
 * PR_SET_NO_NEW_PRIVS and makes sure no capability is left (effective,
 * permitted, inheritable, ambient), in every thread (/proc/self/task).
 * FALSE: vigild must exit. */
gboolean vgd_priv_drop(const VgdPrivUser *u, GError **error);

/* May the user do `mode` (access(2) bits) on path?  Before the drop
 * vigild asks as the user for a moment (its groups, egid and euid; root
 * stays the real and saved id and is taken back), after it simply as
 * itself.  The error names the path, the user and `what` it is for. */
gboolean vgd_priv_check_access(const char *path, int mode,
			       const char *what, const VgdPrivUser *u,
			       GError **error);

G_END_DECLS

#endif
