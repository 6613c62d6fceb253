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

G_END_DECLS

#endif
