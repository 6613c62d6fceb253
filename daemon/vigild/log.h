/*
 * log.h - vigild's log writer: GLib's log messages up to log_level go
 * to the journal (under systemd), to syslog (daemon, not in the
 * foreground) or to stderr (foreground).
 */
#ifndef VGD_LOG_H
#define VGD_LOG_H

#include <glib.h>
#include "config.h"

G_BEGIN_DECLS

/* Install the writer for cfg (log_level, foreground). */
void vgd_log_setup(const VgdConfig *cfg);
/* After daemonizing: a JOURNAL_STREAM in the environment means stderr
 * was the journal. */
void vgd_log_daemonized(void);
/* TRUE when the log goes to the journal or syslog, not to stderr. */
gboolean vgd_log_elsewhere(void);

/* The journal's MESSAGE_ID of "dump complete" entries
 * (journalctl MESSAGE_ID=...). */
#define VGD_LOG_DUMP_MESSAGE_ID "155fed7c2e3448ca97754821ca4984b2"

/* Announce a complete dump: message (the log line) at level message,
 * with the structured fields MESSAGE_ID, VIGIL_DUMP_PATH,
 * VIGIL_DUMP_REASON, VIGIL_DUMP_EVENTS, VIGIL_DUMP_PACKETS and
 * VIGIL_DUMP_DISCARDED that the journal keeps (syslog and stderr get
 * the message). */
void vgd_log_dump_complete(const char *path, const char *reason,
			   guint64 events, guint64 packets, guint64 discarded,
			   const char *message);

G_END_DECLS

#endif
