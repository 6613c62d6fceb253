/*
 * control.h - vigild's control socket: a Unix stream socket (directory
 * 0700, socket 0600, root or vigild's own user only) speaking a line
 * protocol.
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

typedef struct VgdControl VgdControl;

/* Run one command.  Return TRUE and the reply text in *reply (may be
 * NULL), or FALSE with *error set.  `arg` is the rest of the line after
 * the command word and spaces ("" when none). */
typedef gboolean (*VgdCommandFunc)(const char *cmd, const char *arg,
				   char **reply, gpointer user_data,
				   GError **error);

VgdControl *vgd_control_new(const char *path, GMainContext *ctx,
			    VgdCommandFunc func, gpointer user_data,
			    GError **error);
/* Close and unlink the socket. */
void vgd_control_free(VgdControl *c);

G_END_DECLS

#endif
