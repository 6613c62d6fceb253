/*
 * log.c - where vigild's log goes (see log.h): the configured level,
 * then the journal, syslog or stderr.
 */
#define G_LOG_DOMAIN "vigild"

#include "log.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

static GLogLevelFlags log_max = G_LOG_LEVEL_MESSAGE;
static gboolean log_journal;
static gboolean log_syslog;

static int syslog_prio(GLogLevelFlags lvl)
{
	if (lvl & G_LOG_LEVEL_ERROR)
		return LOG_ERR;
	if (lvl & G_LOG_LEVEL_CRITICAL)
		return LOG_CRIT;
	if (lvl & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (lvl & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (lvl & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static GLogWriterOutput log_writer(GLogLevelFlags level,
				   const GLogField *fields, gsize n_fields,
				   gpointer user_data)
{
	GLogLevelFlags l = level & G_LOG_LEVEL_MASK;

	(void)user_data;
	if (l > log_max && !(level & G_LOG_FLAG_FATAL))
		return G_LOG_WRITER_HANDLED;
	if (log_journal &&
	    g_log_writer_journald(level, fields, n_fields, NULL) ==
	    G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	if (log_syslog) {
		for (gsize i = 0; i < n_fields; i++) {
			if (strcmp(fields[i].key, "MESSAGE") == 0) {
				syslog(syslog_prio(l), "%s",
				       (const char *)fields[i].value);
				return G_LOG_WRITER_HANDLED;
			}
		}
	}
	return g_log_writer_standard_streams(level, fields, n_fields, NULL);
}

void vgd_log_setup(const VgdConfig *cfg)
{
	/* a replay runs in the foreground: its log (handler errors
	 * too) goes where the person who started it sees it */
	gboolean fg = cfg->foreground || cfg->replay_dir;

	log_max = cfg->log_level;
	/* ... but a replay without -f says only what went wrong (its
	 * output is the handlers') */
	if (!cfg->foreground && cfg->replay_dir && log_max > G_LOG_LEVEL_WARNING)
		log_max = G_LOG_LEVEL_WARNING;
	/* Under systemd stderr is the journal (JOURNAL_STREAM names it). */
	log_journal = g_log_writer_is_journald(fileno(stderr)) ||
		      (!fg && g_getenv("JOURNAL_STREAM"));
	if (!fg && !log_journal) {
		openlog("vigild", LOG_PID, LOG_DAEMON);
		log_syslog = TRUE;
	}
	g_log_set_writer_func(log_writer, NULL, NULL);
}

void vgd_log_daemonized(void)
{
	log_journal = log_journal || g_getenv("JOURNAL_STREAM");
}

gboolean vgd_log_elsewhere(void)
{
	return log_journal || log_syslog;
}

void vgd_log_dump_complete(const char *path, const char *reason,
			   guint64 events, guint64 packets, guint64 discarded,
			   const char *message)
{
	char ev[24], pk[24], di[24];
	const GLogField fields[] = {
		{ "MESSAGE", message, -1 },
		{ "PRIORITY", "5", -1 },	/* notice, as g_message */
		{ "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
		{ "MESSAGE_ID", VGD_LOG_DUMP_MESSAGE_ID, -1 },
		{ "VIGIL_DUMP_PATH", path, -1 },
		{ "VIGIL_DUMP_REASON", reason ? reason : "", -1 },
		{ "VIGIL_DUMP_EVENTS", ev, -1 },
		{ "VIGIL_DUMP_PACKETS", pk, -1 },
		{ "VIGIL_DUMP_DISCARDED", di, -1 },
	};

	g_snprintf(ev, sizeof(ev), "%" G_GUINT64_FORMAT, events);
	g_snprintf(pk, sizeof(pk), "%" G_GUINT64_FORMAT, packets);
	g_snprintf(di, sizeof(di), "%" G_GUINT64_FORMAT, discarded);
	g_log_structured_array(G_LOG_LEVEL_MESSAGE, fields,
			       G_N_ELEMENTS(fields));
}
