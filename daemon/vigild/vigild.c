/*
 * vigild.c - the daemon: options, configuration, the main loop that
 * ties the live (or replay) source, the merge, the Perl dispatcher, the
 * control socket, signals and timers together, and the statistics.
 */
#define G_LOG_DOMAIN "vigild"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>

#include "config.h"
#include "control.h"
#include "dump.h"
#include "live.h"
#include "perl_embed.h"
#include "recorder.h"
#include "vigild.h"

/* ---- the daemon's state --------------------------------------------- */

typedef struct {
	guint64 delivered;	/* events handed on (after comm filter) */
	guint64 dispatched;	/* handler calls */
	guint64 filtered;	/* skipped by handler filters */
	guint64 comm_filtered;	/* dropped by filters.comms */
	guint64 self;		/* vigild's own events, dropped */
} CpuCounters;

struct Vigild {
	VgdConfig *cfg;
	GMainContext *ctx;
	GMainLoop *loop;
	gint64 start_us;
	gboolean live_mode;
	gint32 self_pid;	/* live: drop our own events (no feedback) */

	VgPerl *perl;
	VgdLive *live;
	VgReplay *replay;
	VgMetadata *md;		/* owned unless replay */
	VgSyscallTable *syscalls;
	VgTasks *tasks;
	VgMerge *merge;
	VgWriter *record;
	VgdControl *control;

	guint n_cpus;
	CpuCounters *cc;
	char **comm_globs;		/* fnmatch patterns, NULL-terminated, or NULL */
	const VgTask *comm_task;	/* last answer of comm_ok, for this task */
	char comm_seen[16];		/* ... with this comm */
	gboolean comm_answer;

	/* keeping the loop responsive while a long batch is delivered */
	gint64 batch_deadline_us;
	guint batch_count;
	gboolean interrupted;
	gboolean no_interrupt;
	guint continue_id;
	gboolean replay_done;

	/* released packets go here (the flight recorder's history) */
	VgdPacketHook packet_hook;
	gpointer packet_hook_data;
	VgdDumpFunc dump_func;
	gpointer dump_func_data;

	gboolean stopping;
	char *stop_reason;
	int exit_code;
	guint64 dumps;
};

static Vigild *the_daemon;	/* for the log writer */

/* ---- logging ---------------------------------------------------------- */

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

static void setup_logging(const VgdConfig *cfg)
{
	log_max = cfg->log_level;
	/* Under systemd stderr is the journal (JOURNAL_STREAM names it). */
	log_journal = g_log_writer_is_journald(fileno(stderr)) ||
		      (!cfg->foreground && g_getenv("JOURNAL_STREAM"));
	if (!cfg->foreground && !log_journal) {
		openlog("vigild", LOG_PID, LOG_DAEMON);
		log_syslog = TRUE;
	}
	g_log_set_writer_func(log_writer, NULL, NULL);
}

/* ---- statistics --------------------------------------------------------- */

static guint64 rss_bytes(void)
{
	char *text = NULL;
	guint64 pages = 0;

	if (g_file_get_contents("/proc/self/statm", &text, NULL, NULL)) {
		char **f = g_strsplit(text, " ", 3);

		if (f[0] && f[1])
			pages = g_ascii_strtoull(f[1], NULL, 10);
		g_strfreev(f);
		g_free(text);
	}
	return pages * (guint64)sysconf(_SC_PAGESIZE);
}

char *vgd_status_text(Vigild *d)
{
	GString *s = g_string_new(NULL);
	VgPerlStats ps = { 0 };
	double up = (g_get_monotonic_time() - d->start_us) / 1e6;
	guint64 tot[6] = { 0 };
	guint64 self = 0;

	if (d->perl)
		vg_perl_get_stats(d->perl, &ps);
	if (d->live)
		vgd_live_update_stats(d->live, NULL);
	g_string_append_printf(s, "vigild %d: %s, %s mode, uptime %.1f s%s%s\n",
			       (int)getpid(),
			       d->replay ? "replay" : "live",
			       d->cfg->mode == VGD_MODE_FLIGHT ? "flight" : "normal",
			       up, d->stopping ? ", stopping: " : "",
			       d->stopping ? d->stop_reason : "");
	if (d->replay) {
		g_string_append_printf(s, "trace: %s\n", d->cfg->replay_dir);
	} else {
		GString *e = g_string_new(NULL);
		char *ev;

		for (guint i = 0; i < d->cfg->events->len; i++)
			g_string_append_printf(e, "%s%s", i ? "," : "",
					       (char *)d->cfg->events->pdata[i]);
		ev = g_string_free(e, FALSE);
		g_string_append_printf(s, "events: %s; kprobes: %u\n",
				       *ev ? ev : "all", d->cfg->kprobes->len);
		g_string_append_printf(s, "buffers: %u x %u KiB per CPU, switch "
				       "every %u ms\n", d->cfg->buffer_count,
				       d->cfg->buffer_size / 1024,
				       d->cfg->switch_interval_ms);
		g_free(ev);
	}
	g_string_append_printf(s, "%-5s %14s %14s %14s %14s %10s\n", "cpu",
			       "events_read", "discarded", "dispatched",
			       "filtered_out", "packets");
	for (guint i = 0; i < d->n_cpus; i++) {
		const VgCpuStats *ms = d->merge ? vg_merge_cpu_stats(d->merge, i) : NULL;
		const VgdLiveCpuStats *ls = d->live ? vgd_live_cpu_stats(d->live, i) : NULL;
		guint64 v[6];

		v[0] = ms ? ms->events : 0;
		/* the kernel's own counter when live (it counts drops even
		 * before a packet reports them), else the packets' */
		v[1] = ls ? ls->k_events_discarded : ms ? ms->discarded : 0;
		v[2] = d->cc[i].dispatched;
		v[3] = d->cc[i].filtered + d->cc[i].comm_filtered;
		v[4] = ls ? ls->packets : ms ? ms->packets : 0;
		v[5] = 0;
		self += d->cc[i].self;
		for (int k = 0; k < 5; k++)
			tot[k] += v[k];
		g_string_append_printf(s, "%-5u %14" G_GUINT64_FORMAT " %14"
				       G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT
				       " %14" G_GUINT64_FORMAT " %10"
				       G_GUINT64_FORMAT "\n", i, v[0], v[1],
				       v[2], v[3], v[4]);
	}
	g_string_append_printf(s, "%-5s %14" G_GUINT64_FORMAT " %14"
			       G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT " %14"
			       G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT "\n",
			       "all", tot[0], tot[1], tot[2], tot[3], tot[4]);
	if (d->live)
		g_string_append_printf(s, "own events dropped: %" G_GUINT64_FORMAT
				       "\n", self);
	g_string_append_printf(s, "handler errors: %" G_GUINT64_FORMAT "\n",
			       ps.errors);
	g_string_append_printf(s, "events unhandled: %" G_GUINT64_FORMAT "\n",
			       ps.unhandled);
	g_string_append_printf(s, "time in perl: %.3f s\n", ps.perl_ns / 1e9);
	g_string_append_printf(s, "memory (rss): %" G_GUINT64_FORMAT " KiB\n",
			       rss_bytes() / 1024);
	if (d->merge) {
		const VgMergeStats *m = vg_merge_stats(d->merge);

		g_string_append_printf(s, "merged events: %" G_GUINT64_FORMAT
				       " (late: %" G_GUINT64_FORMAT ")\n",
				       m->events, m->late);
	}
	if (d->tasks)
		g_string_append_printf(s, "tasks known: %u\n",
				       vg_tasks_count(d->tasks));
	g_string_append_printf(s, "dumps: %" G_GUINT64_FORMAT "\n", d->dumps);
	vgd_recorder_append_status(s);	/* flight recorder */
	g_string_append_printf(s, "uptime: %.1f s\n", up);
	return g_string_free(s, FALSE);
}

static void log_stats(Vigild *d)
{
	char *t = vgd_status_text(d);
	char **lines = g_strsplit(t, "\n", -1);

	for (guint i = 0; lines[i]; i++)
		if (*lines[i])
			g_message("%s", lines[i]);
	g_strfreev(lines);
	g_free(t);
}

static void perl_stats_hook(VgPerlStatsSink *sink, gpointer data)
{
	Vigild *d = data;
	guint64 read = 0, disc = 0;

	if (d->live)
		vgd_live_update_stats(d->live, NULL);
	for (guint i = 0; i < d->n_cpus; i++) {
		const VgCpuStats *ms = d->merge ? vg_merge_cpu_stats(d->merge, i) : NULL;
		const VgdLiveCpuStats *ls = d->live ? vgd_live_cpu_stats(d->live, i) : NULL;

		read += ms ? ms->events : 0;
		disc += ls ? ls->k_events_discarded : ms ? ms->discarded : 0;
	}
	vg_perl_stats_add_int(sink, "events_read", (gint64)read);
	vg_perl_stats_add_int(sink, "events_discarded", (gint64)disc);
	vg_perl_stats_add_int(sink, "cpus", d->n_cpus);
	vg_perl_stats_add_int(sink, "rss_bytes", (gint64)rss_bytes());
	vg_perl_stats_add_int(sink, "uptime_ns",
			      (g_get_monotonic_time() - d->start_us) * 1000);
	vg_perl_stats_add_int(sink, "dumps", (gint64)d->dumps);
	vgd_recorder_add_stats(sink);	/* flight recorder */
	vg_perl_stats_add_str(sink, "source", d->replay ? "replay" : "live");
}

/* ---- stop ---------------------------------------------------------------- */

void vgd_request_stop(Vigild *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = TRUE;
	d->stop_reason = g_strdup(why);
	g_message("stopping: %s", why);
	if (d->merge && !d->no_interrupt)
		vg_merge_interrupt(d->merge);
	g_main_loop_quit(d->loop);
}

static void perl_stop_hook(const char *why, gpointer data)
{
	vgd_request_stop(data, why);
}

static gboolean on_sigterm(gpointer data)
{
	vgd_request_stop(data, "SIGTERM");
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer data)
{
	vgd_request_stop(data, "SIGINT");
	return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
	Vigild *d = data;
	char *why = g_strdup_printf("--duration %u s elapsed", d->cfg->duration_s);

	vgd_request_stop(d, why);
	g_free(why);
	return G_SOURCE_REMOVE;
}

/* ---- reload and dump ---------------------------------------------------- */

gboolean vgd_reload(Vigild *d, GError **error)
{
	if (!d->perl) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "no handler scripts to reload");
		return FALSE;
	}
	g_message("reloading handler scripts");
	/* Single-threaded: events wait in the kernel buffers and in the
	 * merge while the new interpreter compiles; none are lost. */
	/* (vg_perl_reload checks the new scripts against the metadata and
	 * starts them as the old ones were) */
	if (!vg_perl_reload(d->perl, error)) {
		g_warning("reload failed, the old handlers stay: %s",
			  (*error)->message);
		return FALSE;
	}
	g_message("handler scripts reloaded");
	return TRUE;
}

void vgd_set_packet_hook(Vigild *d, VgdPacketHook hook, gpointer data)
{
	d->packet_hook = hook;
	d->packet_hook_data = data;
}

void vgd_set_dump_func(Vigild *d, VgdDumpFunc func, gpointer data)
{
	d->dump_func = func;
	d->dump_func_data = data;
}

GPtrArray *vgd_snapshot(Vigild *d, GError **error)
{
	if (!d->live || d->cfg->mode != VGD_MODE_FLIGHT) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "kernel buffer snapshots need live flight mode");
		return NULL;
	}
	return vgd_live_snapshot(d->live, error);
}

const VgMetadata *vgd_metadata(Vigild *d)
{
	return d->md;
}

const VgdConfig *vgd_config(Vigild *d)
{
	return d->cfg;
}

/* flight recorder: trigger times and CPUs of the merge */
VgMerge *vgd_merge(Vigild *d)
{
	return d->merge;
}

/* flight recorder: who the tids of a dump are */
VgTasks *vgd_tasks(Vigild *d)
{
	return d->tasks;
}

char *vgd_dump(Vigild *d, const char *reason, double before, double after,
	       GError **error)
{
	return vgd_dump_full(d, reason, before, after, NULL, NULL, NULL,
			     error);
}

char *vgd_dump_full(Vigild *d, const char *reason, double before,
		    double after, VgdDumpDoneFunc done, gpointer done_data,
		    GDestroyNotify destroy, GError **error)
{
	GPtrArray *pk;
	char *path = NULL;

	if (d->dump_func) {
		/* the dump function calls done (and destroy) itself */
		path = d->dump_func(reason, before, after, done, done_data,
				    destroy, d->dump_func_data, error);
		done = NULL;
		destroy = NULL;
	} else if (d->live && d->cfg->mode == VGD_MODE_FLIGHT) {
		pk = vgd_live_snapshot(d->live, error);
		if (pk) {
			path = vgd_dump_write(d->cfg->dump_dir, reason, d->md,
					      pk, error);
			g_ptr_array_unref(pk);
		}
	} else {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump: no flight recorder is attached to this %s",
			    d->replay ? "replay" : "session");
		path = NULL;
	}
	if (path)
		d->dumps++;
	else if (!g_error_matches(*error, VG_ERROR, VG_ERROR_REFUSED))
		g_warning("dump (%s) failed: %s", reason && *reason ? reason : "no reason",
			  (*error)->message);
	/* (a refusal by the rate policy is counted, and logged once, at
	 * message level, by the recorder) */
	if (done)
		done(path, path ? NULL : *error, done_data);
	if (destroy)
		destroy(done_data);
	return path;
}

static char *perl_dump_hook(const char *reason, double before, double after,
			    VgPerlDumpDoneFunc done, gpointer done_data,
			    GDestroyNotify destroy, gpointer data,
			    GError **error)
{
	return vgd_dump_full(data, reason, before, after, done, done_data,
			     destroy, error);
}

static gboolean on_sigusr1(gpointer data)
{
	GError *err = NULL;
	char *p = vgd_dump(data, "SIGUSR1", -1, -1, &err);

	g_clear_error(&err);
	g_free(p);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sighup(gpointer data)
{
	GError *err = NULL;

	if (!vgd_reload(data, &err))
		g_clear_error(&err);
	return G_SOURCE_CONTINUE;
}

static gboolean on_command(const char *cmd, const char *arg, char **reply,
			   gpointer data, GError **error)
{
	Vigild *d = data;

	if (strcmp(cmd, "status") == 0) {
		*reply = vgd_status_text(d);
		return TRUE;
	}
	if (strcmp(cmd, "dump") == 0) {
		char *reason = *arg ? g_strdup(arg) : g_strdup("vigilctl dump");
		char *path = vgd_dump(d, reason, -1, -1, error);

		g_free(reason);
		if (!path)
			return FALSE;
		*reply = g_strdup_printf("%s\n", path);
		g_free(path);
		return TRUE;
	}
	if (strcmp(cmd, "reload") == 0) {
		if (!vgd_reload(d, error))
			return FALSE;
		*reply = g_strdup("reloaded\n");
		return TRUE;
	}
	if (strcmp(cmd, "stop") == 0) {
		vgd_request_stop(d, "vigilctl stop");
		*reply = g_strdup("stopping\n");
		return TRUE;
	}
	g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
		    "unknown command '%s' (status, dump [REASON], reload, stop)",
		    cmd);
	return FALSE;
}

/* ---- the event path ------------------------------------------------------ */

static gboolean comm_ok(Vigild *d, const VgEvent *e)
{
	const char *comm = e->task ? e->task->comm : "";

	/* consecutive events mostly come from one task: match once */
	if (e->task && e->task == d->comm_task &&
	    memcmp(d->comm_seen, comm, sizeof(d->comm_seen)) == 0)
		return d->comm_answer;
	d->comm_answer = FALSE;
	for (char **g = d->comm_globs; *g; g++) {
		if (fnmatch(*g, comm, 0) == 0) {
			d->comm_answer = TRUE;
			break;
		}
	}
	d->comm_task = e->task;
	memcpy(d->comm_seen, comm, sizeof(d->comm_seen));
	return d->comm_answer;
}

/* Events between clock reads: small enough that a slow handler (ms per
 * event) cannot keep the loop (control socket, signals, timers) away for
 * long; a clock read per 256 events costs nothing measurable. */
#define BATCH_CHECK 256
#define BATCH_US    50000	/* longest stretch without the main loop */

static void deliver(VgEvent *e, gpointer data)
{
	Vigild *d = data;
	CpuCounters *c = &d->cc[e->cpu < d->n_cpus ? e->cpu : 0];

	if (G_UNLIKELY(e->task->pid == d->self_pid) &&
	    !g_str_has_prefix(e->cls->name, "vigil:statedump")) {
		/* Handlers make syscalls (and under some clock sources even
		 * reading the time is one): delivering vigild's own events
		 * would feed back into themselves.  The statedump is written
		 * by vigild's START call, so it carries vigild's tid, but it
		 * describes every task: it is not vigild's own activity. */
		c->self++;
	} else if (G_UNLIKELY(d->comm_globs) && !comm_ok(d, e)) {
		c->comm_filtered++;
	} else if (d->perl) {
		const VgPerlStats *ps = vg_perl_stats_ref(d->perl);
		guint64 dispatched = ps->dispatched, filtered = ps->filtered;

		vg_perl_deliver(e, d->perl);
		c->delivered++;
		c->dispatched += ps->dispatched - dispatched;
		c->filtered += ps->filtered - filtered;
	} else {
		c->delivered++;
	}
	if (G_UNLIKELY(++d->batch_count >= BATCH_CHECK)) {
		d->batch_count = 0;
		if (!d->no_interrupt &&
		    g_get_monotonic_time() > d->batch_deadline_us) {
			d->interrupted = TRUE;
			vg_merge_interrupt(d->merge);
		}
	}
}

static void packet_done(VgPacket *p, gpointer data)
{
	Vigild *d = data;

	if (d->packet_hook)
		d->packet_hook(p, d->packet_hook_data);
	else
		vg_packet_unref(p);
}

static void merge_error(const GError *error, gpointer data)
{
	(void)data;
	g_warning("%s", error->message);
}

static gboolean continue_merge(gpointer data);

/* Run the merge for at most BATCH_US, then come back from the loop. */
static void run_merge(Vigild *d, gboolean drain)
{
	d->interrupted = FALSE;
	d->batch_deadline_us = g_get_monotonic_time() + BATCH_US;
	if (drain)
		vg_merge_drain(d->merge);
	else
		vg_merge_run(d->merge);
	if (d->interrupted && !d->stopping && !d->continue_id)
		d->continue_id = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE,
						 continue_merge, d, NULL);
	else if (drain && !d->interrupted && !d->stopping) {
		d->replay_done = TRUE;
		g_main_loop_quit(d->loop);
	}
}

static void live_read(gpointer data)
{
	Vigild *d = data;

	if (d->merge)
		run_merge(d, FALSE);
}

static gboolean continue_merge(gpointer data)
{
	Vigild *d = data;

	d->continue_id = 0;
	run_merge(d, d->replay != NULL);
	return G_SOURCE_REMOVE;
}

/* ---- setup ---------------------------------------------------------------- */

static char **strv_of(GPtrArray *a)
{
	char **v = g_new0(char *, a->len + 1);

	for (guint i = 0; i < a->len; i++)
		v[i] = g_strdup(a->pdata[i]);
	return v;
}

static VgPerl *load_perl(Vigild *d, GError **error)
{
	VgPerlConfig pc = { 0 };
	VgPerlHooks hooks = {
		.dump = perl_dump_hook,
		.stats = perl_stats_hook,
		.stop = perl_stop_hook,
		.user_data = d,
	};
	VgPerl *p;

	pc.scripts = strv_of(d->cfg->scripts);
	pc.script_argv = strv_of(d->cfg->script_args);
	pc.max_errors = d->cfg->max_handler_errors;
	pc.replay = d->cfg->replay_dir != NULL;
	pc.context = d->ctx;
	p = vg_perl_new(&pc, error);
	g_strfreev(pc.scripts);
	g_strfreev(pc.script_argv);
	if (!p)
		return NULL;
	vg_perl_set_hooks(p, &hooks);
	if (!vg_perl_load(p, error)) {
		vg_perl_free(p);
		return NULL;
	}
	return p;
}

static void make_merge(Vigild *d)
{
	d->cc = g_new0(CpuCounters, d->n_cpus);
	d->merge = vg_merge_new(d->md, d->n_cpus, d->tasks, deliver, d);
	vg_merge_set_packet_done(d->merge, packet_done, d);
	vg_merge_set_error_func(d->merge, merge_error, d);
}

static gboolean start_replay(Vigild *d, GError **error)
{
	d->replay = vg_replay_open(d->cfg->replay_dir, error);
	if (!d->replay)
		return FALSE;
	d->md = vg_replay_metadata(d->replay);
	if (d->perl && !vg_perl_set_metadata_checked(d->perl, d->md, error))
		return FALSE;
	/* A trace vigild recorded holds vigild's own events; they were not
	 * delivered live, so they are not on replay either. */
	{
		const char *sp = vg_metadata_env(d->md, "vigild_pid");

		if (sp)
			d->self_pid = (gint32)g_ascii_strtoll(sp, NULL, 10);
	}
	d->n_cpus = vg_replay_n_cpus(d->replay);
	if (d->n_cpus == 0)
		d->n_cpus = 1;
	d->tasks = vg_tasks_new(d->md, FALSE);
	make_merge(d);
	vg_replay_attach(d->replay, d->merge);
	g_message("replaying %s (%u CPUs)", d->cfg->replay_dir, d->n_cpus);
	return TRUE;
}

static gboolean start_live(Vigild *d, GError **error)
{
	GPtrArray *events = d->cfg->events;
	GPtrArray *all = NULL;

	VgMetadata *md0;

	if (!vgd_live_check_module(error))
		return FALSE;
	/* Check the handlers against the module's events before configuring
	 * it (the uuid and clock offset of this text are not final yet). */
	md0 = vgd_live_read_metadata(&d->syscalls, error);
	if (!md0)
		return FALSE;
	if (d->perl && !vg_perl_set_metadata_checked(d->perl, md0, error)) {
		vg_metadata_free(md0);
		return FALSE;
	}
	d->self_pid = (gint32)getpid();
	d->live = vgd_live_open(d->cfg, error);
	/* kprobes first: the metadata read next then has their classes */
	if (d->live && vgd_live_add_kprobes(d->live, d->cfg, error))
		d->md = vgd_live_read_metadata(&d->syscalls, error);
	if (d->perl && d->md &&
	    !vg_perl_set_metadata_checked(d->perl, d->md, error)) {
		vg_metadata_free(md0);
		return FALSE;
	}
	vg_metadata_free(md0);
	if (!d->md)
		return FALSE;
	vg_metadata_set_env_int(d->md, "vigild_pid", d->self_pid);
	/* Neither --events nor 'events:': what the handlers subscribe to
	 * (the status and the log then list it), or all when they take
	 * anything (trace_unhandled, '*'), or without handlers. */
	if (events->len == 0 && d->perl && d->cfg->mode == VGD_MODE_NORMAL) {
		GPtrArray *want = vg_perl_wanted_events(d->perl, d->md);

		GString *list = g_string_new(NULL);

		for (guint i = 0; want && i < want->len; i++) {
			g_ptr_array_add(events, g_strdup(want->pdata[i]));
			g_string_append_printf(list, "%s%s", i ? "," : "",
					       (char *)want->pdata[i]);
		}
		if (want) {
			g_message("events the handlers need: %s", list->str);
			g_ptr_array_unref(want);
		}
		g_string_free(list, TRUE);
	}
	if (events->len == 0) {
		all = g_ptr_array_new();
		g_ptr_array_add(all, (gpointer)"all");
		events = all;
	}
	if (!vgd_live_enable_events(d->live, events, error) ||
	    !vgd_live_set_filters(d->live, d->cfg, d->syscalls, error) ||
	    !vgd_live_map(d->live, error)) {
		if (all)
			g_ptr_array_unref(all);
		return FALSE;
	}
	if (all)
		g_ptr_array_unref(all);
	d->n_cpus = vgd_live_n_cpus(d->live);
	if (d->cfg->mode == VGD_MODE_FLIGHT) {
		d->cc = g_new0(CpuCounters, d->n_cpus);
		vgd_live_set_merge(d->live, NULL, vg_metadata_uuid(d->md));
	} else {
		d->tasks = vg_tasks_new(d->md, TRUE);
		make_merge(d);
		vgd_live_set_merge(d->live, d->merge, vg_metadata_uuid(d->md));
		vgd_live_set_after_read(d->live, live_read, d);
	}
	if (d->cfg->record_dir) {
		d->record = vg_writer_new(d->cfg->record_dir, error);
		if (!d->record)
			return FALSE;
		vgd_live_set_record(d->live, d->record);
	}
	if (d->perl)
		vg_perl_begin(d->perl);
	if (!vgd_live_start(d->live, d->ctx, error))
		return FALSE;
	g_message("tracing %u CPUs, %s mode, %u x %u bytes per CPU%s%s",
		  d->n_cpus, d->cfg->mode == VGD_MODE_FLIGHT ? "flight" : "normal",
		  d->cfg->buffer_count, d->cfg->buffer_size,
		  d->cfg->record_dir ? ", recording to " : "",
		  d->cfg->record_dir ? d->cfg->record_dir : "");
	return TRUE;
}

static gboolean finish_record(Vigild *d)
{
	GError *err = NULL;
	const GError *rerr = d->live ? vgd_live_record_error(d->live) : NULL;

	if (rerr) {
		g_critical("--record %s was not written: %s", d->cfg->record_dir,
			   rerr->message);
		return FALSE;
	}
	if (!d->record)
		return TRUE;
	vgd_live_set_record(d->live, NULL);
	if (!vg_writer_finish(d->record, d->md, &err)) {
		d->record = NULL;
		g_critical("--record: %s", err->message);
		g_error_free(err);
		return FALSE;
	}
	d->record = NULL;
	g_message("trace recorded in %s", d->cfg->record_dir);
	return TRUE;
}

/* ---- options ------------------------------------------------------------ */

typedef struct {
	char *config;
	char **scripts;
	gboolean foreground;
	char *replay;
	char *record;
	gint duration;
	char *events;
	char *mode;
	char *buffer_size;
	char *buffers;
	char *dump_dir;
	gboolean check;
} Options;

static gboolean apply_options(VgdConfig *cfg, Options *o, char **script_args,
			      gboolean have_args, GError **error)
{
	if (o->scripts) {
		for (char **s = o->scripts; *s; s++)
			g_ptr_array_add(cfg->scripts, g_strdup(*s));
	}
	if (have_args) {
		g_ptr_array_set_size(cfg->script_args, 0);
		for (char **a = script_args; *a; a++)
			g_ptr_array_add(cfg->script_args, g_strdup(*a));
	}
	if (o->events && !vgd_config_set_events(cfg, o->events, "--events", error))
		return FALSE;
	if (o->mode && !vgd_config_set_mode(cfg, o->mode, "--mode", error))
		return FALSE;
	if (o->buffer_size &&
	    !vgd_config_set_buffer_size(cfg, o->buffer_size, "--buffer-size", error))
		return FALSE;
	if (o->buffers &&
	    !vgd_config_set_buffer_count(cfg, o->buffers, "--buffers", error))
		return FALSE;
	if (o->dump_dir) {
		g_free(cfg->dump_dir);
		cfg->dump_dir = g_strdup(o->dump_dir);
	}
	if (o->duration < 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "--duration: %d is not a number of seconds", o->duration);
		return FALSE;
	}
	cfg->duration_s = (guint)o->duration;
	cfg->foreground = o->foreground;
	cfg->replay_dir = g_strdup(o->replay);
	cfg->record_dir = g_strdup(o->record);
	if (cfg->mode == VGD_MODE_FLIGHT && cfg->scripts->len && !cfg->replay_dir) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "--mode flight runs no handlers: remove the scripts "
			    "(-s or 'scripts:') or use --mode normal");
		return FALSE;
	}
	return vgd_config_check(cfg, error);
}

static void options_clear(Options *o)
{
	g_free(o->config);
	g_strfreev(o->scripts);
	g_free(o->replay);
	g_free(o->record);
	g_free(o->events);
	g_free(o->mode);
	g_free(o->buffer_size);
	g_free(o->buffers);
	g_free(o->dump_dir);
	memset(o, 0, sizeof(*o));
}

static void daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		g_printerr("vigild: fork: %s\n", g_strerror(errno));
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		exit(1);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	Options o = { 0 };
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config,
		  "Configuration file (default " VGD_DEFAULT_CONFIG ")", "FILE" },
		{ "script", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &o.scripts,
		  "Handler script (repeatable)", "SCRIPT" },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &o.foreground,
		  "Stay in the foreground, log to stderr", NULL },
		{ "replay", 0, 0, G_OPTION_ARG_FILENAME, &o.replay,
		  "Run the handlers over a recorded trace directory", "DIR" },
		{ "duration", 0, 0, G_OPTION_ARG_INT, &o.duration,
		  "Stop after SECONDS", "SECONDS" },
		{ "events", 0, 0, G_OPTION_ARG_STRING, &o.events,
		  "Events to enable (comma-separated, or all)", "LIST" },
		{ "mode", 0, 0, G_OPTION_ARG_STRING, &o.mode,
		  "normal or flight", "MODE" },
		{ "buffer-size", 0, 0, G_OPTION_ARG_STRING, &o.buffer_size,
		  "Sub-buffer size (power of 2, e.g. 1MiB)", "SIZE" },
		{ "buffers", 0, 0, G_OPTION_ARG_STRING, &o.buffers,
		  "Sub-buffers per CPU", "N" },
		{ "dump-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.dump_dir,
		  "Directory for flight recorder dumps", "DIR" },
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &o.record,
		  "Also write everything read live as a CTF trace in DIR", "DIR" },
		{ "check-config", 0, 0, G_OPTION_ARG_NONE, &o.check,
		  "Print the effective configuration and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	GOptionContext *oc;
	GError *err = NULL;
	VgdConfig *cfg;
	Vigild *d;
	char **script_args = NULL;
	gboolean have_args = FALSE;
	int i, rc;

	/* Everything after the first "--" is the scripts' @ARGV. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			script_args = &argv[i + 1];
			have_args = TRUE;
			argc = i;
			break;
		}
	}
	oc = g_option_context_new("[-- SCRIPT-ARGS...]");
	g_option_context_set_summary(oc,
		"vigil's tracing daemon: reads kernel events from vigil.ko and "
		"hands them, in time order, to Perl handler scripts.");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &err)) {
		g_printerr("vigild: %s (see vigild --help)\n", err->message);
		g_error_free(err);
		g_option_context_free(oc);
		options_clear(&o);
		return 2;
	}
	g_option_context_free(oc);
	if (argc > 1) {
		g_printerr("vigild: unexpected argument '%s' (script arguments "
			   "go after --)\n", argv[1]);
		options_clear(&o);
		return 2;
	}

	cfg = vgd_config_new();
	if (!vgd_config_load_file(cfg, o.config ? o.config : VGD_DEFAULT_CONFIG,
				  o.config != NULL, &err) ||
	    !apply_options(cfg, &o, script_args, have_args, &err)) {
		g_printerr("vigild: %s\n", err->message);
		g_error_free(err);
		options_clear(&o);
		vgd_config_free(cfg);
		return 2;
	}
	if (o.check) {
		char *s = vgd_config_to_string(cfg);

		fputs(s, stdout);
		g_free(s);
		options_clear(&o);
		vgd_config_free(cfg);
		return 0;
	}
	options_clear(&o);	/* cfg has its own copies */
	setup_logging(cfg);

	d = the_daemon = g_new0(Vigild, 1);
	d->cfg = cfg;
	d->ctx = g_main_context_default();
	d->loop = g_main_loop_new(d->ctx, FALSE);
	d->start_us = g_get_monotonic_time();
	d->self_pid = -1;
	if (cfg->filter_comms->len) {
		d->comm_globs = g_new0(char *, cfg->filter_comms->len + 1);
		for (guint k = 0; k < cfg->filter_comms->len; k++)
			d->comm_globs[k] = g_strdup(cfg->filter_comms->pdata[k]);
	}

	/* Scripts first: a compile error must not touch the module. */
	if (cfg->scripts->len) {
		d->perl = load_perl(d, &err);
		if (!d->perl) {
			g_printerr("vigild: %s\n", err->message);
			return 1;
		}
	}
	if (!cfg->foreground && !cfg->replay_dir) {
		daemonize();
		log_journal = log_journal || g_getenv("JOURNAL_STREAM");
	}

	if (cfg->replay_dir ? !start_replay(d, &err) : !start_live(d, &err)) {
		/* stderr always (the caller sees why); the log too when it
		 * goes elsewhere (journal, syslog) */
		g_printerr("vigild: %s\n", err->message);
		if (log_journal || log_syslog)
			g_critical("%s", err->message);
		g_clear_error(&err);
		if (d->perl) {
			vg_perl_free(d->perl);
			d->perl = NULL;
		}
		if (d->record)
			vg_writer_abort(d->record);
		d->record = NULL;
		if (d->live)
			vgd_live_set_record(d->live, NULL);
		vgd_live_free(d->live);
		return 1;
	}

	vgd_recorder_attach(d, cfg);	/* flight recorder */
	g_unix_signal_add(SIGINT, on_sigint, d);
	g_unix_signal_add(SIGTERM, on_sigterm, d);
	g_unix_signal_add(SIGHUP, on_sighup, d);
	g_unix_signal_add(SIGUSR1, on_sigusr1, d);
	signal(SIGPIPE, SIG_IGN);
	if (cfg->duration_s)
		g_timeout_add_seconds(cfg->duration_s, on_duration, d);
	d->control = vgd_control_new(cfg->control_socket, d->ctx, on_command,
				     d, &err);
	if (!d->control) {
		g_warning("no control socket (vigilctl will not work): %s",
			  err->message);
		g_clear_error(&err);
	}

	if (d->replay) {
		if (d->perl)
			vg_perl_begin(d->perl);
		d->continue_id = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE,
						 continue_merge, d, NULL);
	}

	g_main_loop_run(d->loop);

	/* Stop: no more interrupts, drain everything, end callbacks. */
	d->no_interrupt = TRUE;
	if (d->continue_id) {
		g_source_remove(d->continue_id);
		d->continue_id = 0;
	}
	if (d->live) {
		vgd_live_stop(d->live);
		if (d->merge)
			vg_merge_drain(d->merge);
	}
	vgd_recorder_shutdown(d);	/* flight recorder: open dumps */
	if (d->perl)
		vg_perl_end(d->perl);
	rc = 0;
	if (d->live && !finish_record(d))
		rc = 1;
	if (d->perl && vg_perl_stopped(d->perl) && cfg->max_handler_errors) {
		VgPerlStats ps;

		vg_perl_get_stats(d->perl, &ps);
		if (ps.errors >= cfg->max_handler_errors) {
			g_critical("stopped after %" G_GUINT64_FORMAT
				   " handler errors (max_handler_errors: %u)",
				   ps.errors, cfg->max_handler_errors);
			rc = 1;
		}
	}
	log_stats(d);
	g_message("vigild exits (%s)", d->replay_done ? "end of trace" :
		  d->stop_reason ? d->stop_reason : "stopped");

	vgd_control_free(d->control);
	if (d->merge)
		vg_merge_free(d->merge);
	if (d->tasks)
		vg_tasks_free(d->tasks);
	if (d->perl)
		vg_perl_free(d->perl);
	vgd_live_free(d->live);
	if (d->replay)
		vg_replay_free(d->replay);
	else if (d->md)
		vg_metadata_free(d->md);
	if (d->syscalls)
		vg_syscall_table_free(d->syscalls);
	g_strfreev(d->comm_globs);
	g_free(d->cc);
	g_free(d->stop_reason);
	g_main_loop_unref(d->loop);
	g_free(d);
	vgd_config_free(cfg);
	return rc;
}
