/*
 * control.h - vigild's control socket: a Unix stream socket speaking a
 * line protocol.
 *
 * Who may connect: root (and the user that started vigild, when not
 * root): every command.  Without a control group the socket is 0600 and
 * its directory 0700, both root's.  With one (control_group:) the socket
 * is 0660 and its directory 0750, both of that group, and its members
 * may ask for status and dump only (VGD_CONTROL_GROUP_COMMANDS); the
 * peer's credentials (SO_PEERCRED, SO_PEERGROUPS) are checked again on
 * accept.  The socket and its directory are made before vigild gives up
 * root (privdrop.h) and stay root's.
 *
 * Protocol (one command per connection):
 *   client: COMMAND [ARGUMENT...] "\n"     e.g. "status", "dump oom seen"
 *   server: "OK\n" or "ERR <message>\n", then the reply text, then it
 *           closes the connection.
 * Commands: status, dump [REASON], reload, stop.
 */
#ifndef VGD_CONTROL_H
#define VGD_CONTROL_H

#include <glib.h>

G_BEGIN_DECLS

#define VGD_CONTROL_MAX_LINE 4096
/* what members of the control group may ask */
#define VGD_CONTROL_GROUP_COMMANDS "status, dump [REASON]"

typedef struct VgdControl VgdControl;

/* Run one command.  Return TRUE and the reply text in *reply (may be
 * NULL), or FALSE with *error set.  `arg` is the rest of the line after
 * the command word and spaces ("" when none). */
typedef gboolean (*VgdCommandFunc)(const char *cmd, const char *arg,
				   char **reply, gpointer user_data,
				   GError **error);

/* group: the control group's name, or NULL (root only). */
VgdControl *vgd_control_new(const char *path, const char *group,
			    GMainContext *ctx,
			    VgdCommandFunc func, gpointer user_data,
			    GError **error);
/* Close and unlink the socket. */
void vgd_control_free(VgdControl *c);

G_END_DECLS

#endif
