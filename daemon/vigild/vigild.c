/*
 * vigild.c - the daemon: options, configuration, and the main loop that
 * ties the live (or replay) source, the merge, the Perl dispatcher, the
 * flight recorder, the control socket, signals and timers together.
 *
 * vigild owns every part and calls each directly:
 *	source (live.c / the core's replay) -> merge -> deliver() -> Perl
 *	(vg_perl.h); finished packets -> the flight recorder (recorder.h);
 *	dump requests (Vigil::dump, vigilctl dump, SIGUSR1) -> the recorder;
 *	status and statistics -> status.c; log -> log.c.
 *	handlers' metrics -> the Prometheus endpoint (metrics.h), which asks
 *	the Perl binding for their text.
 * The only calls back into vigild are the ones its parts are built for:
 * the Perl binding's hooks (VgPerlHooks: dump, stats, stop) and the
 * control socket's command function.
 */
#define G_LOG_DOMAIN "vigild"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>

#include "config.h"
#include "control.h"
#include "dumpdir.h"
#include "handlers.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "privdrop.h"
#include "vg_sym.h"
#include "quick.h"
#include "recorder.h"
#include "status.h"
#include "tpsource.h"
#include "vg_perl.h"
#include "vg_events_gen.h"	/* event names by role, from kmod/vigil_events.h */

/* ---- the daemon's state --------------------------------------------- */

typedef struct Vigild Vigild;

struct Vigild {
	VgdConfig *cfg;
	GMainContext *ctx;
	GMainLoop *loop;
	gint64 start_us;
	/* whose events deliver() drops: vigild's pid when vigil.ko refused
	 * to exclude it, or on replay of a trace recorded so (env
	 * vigild_pid); NO_SELF_PID: none (any gint32, -1 too, can be a
	 * task's pid in a record) */
	gint64 self_pid;

	VgPerl *perl;
	VgdLive *live;
	VgdTp *tp;		/* the kernel's tracepoints (--source kernel) */
	VgReplay *replay;
	VgMetadata *md;		/* owned unless replay */
	VgSyscallTable *syscalls;
	VgTasks *tasks;
	VgMerge *merge;
	VgdRecorder *recorder;	/* the flight recorder, once the source is up */
	VgdRecordOut *record;	/* --record */
	VgdControl *control;
	VgdMetrics *metrics;	/* --metrics, metrics.listen */

	guint n_cpus;
	VgdCpuCounters *cc;
	char **comm_globs;		/* fnmatch patterns, NULL-terminated, or NULL */
	GHashTable *replay_tgids;	/* --replay with filters.tgids (--pid): the
					 * processes whose events are delivered */
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
	guint64 data_errors;	/* corrupt or lost data reported by the merge */

	gboolean stopping;
	char *stop_reason;
	int load_exit;		/* >= 0: a script's exit(N) while loading */
};

/* ---- status -------------------------------------------------------------- */

static void status_view(Vigild *d, VgdStatusView *v)
{
	v->cfg = d->cfg;
	v->start_us = d->start_us;
	v->replay = d->replay != NULL;
	v->stopping = d->stopping;
	v->stop_reason = d->stop_reason;
	v->perl = d->perl;
	v->live = d->live;
	v->tp = d->tp;
	v->merge = d->merge;
	v->tasks = d->tasks;
	v->recorder = d->recorder;
	v->n_cpus = d->n_cpus;
	v->cc = d->cc;
	v->metrics_url = d->metrics ? vgd_metrics_url(d->metrics) : NULL;
	v->metrics_scrapes = d->metrics ? vgd_metrics_scrapes(d->metrics) : 0;
}

static char *status_text(Vigild *d)
{
	VgdStatusView v;

	status_view(d, &v);
	return vgd_status_text(&v);
}

static void perl_stats_hook(VgPerlStatsSink *sink, gpointer data)
{
	VgdStatusView v;

	status_view(data, &v);
	vgd_status_add_perl_stats(&v, sink);
}

/* Exit status after a run in which handlers died (vigild(8)). */
#define VGD_EXIT_HANDLER_ERRORS 3
/* ... a replay that met corrupt or lost data, and both (vigild(8)) */
#define VGD_EXIT_DATA_LOST 4
#define VGD_EXIT_DATA_LOST_AND_HANDLER_ERRORS 5

/* ---- stop ---------------------------------------------------------------- */

static void request_stop(Vigild *d, const char *why)
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
	request_stop(data, why);
}

static gboolean on_sigterm(gpointer data)
{
	request_stop(data, "SIGTERM");
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer data)
{
	request_stop(data, "SIGINT");
	return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
	Vigild *d = data;
	char *why = g_strdup_printf("--duration %u s elapsed", d->cfg->duration_s);

	request_stop(d, why);
	g_free(why);
	return G_SOURCE_REMOVE;
}

/* ---- reload and dump ---------------------------------------------------- */

static gboolean reload(Vigild *d, GError **error)
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

/* What Vigil::dump, `vigilctl dump` and SIGUSR1 call: the flight
 * recorder's request (see recorder.h), or a refusal before it exists. */
static char *dump(Vigild *d, const char *reason, double before, double after,
		  VgdDumpDoneFunc done, gpointer done_data,
		  GDestroyNotify destroy, GError **error)
{
	if (d->recorder)
		return vgd_recorder_request(d->recorder, reason, before, after,
					    done, done_data, destroy, error);
	g_set_error(error, VG_ERROR, VG_ERROR_IO,
		    "dump: no flight recorder is attached to this %s",
		    d->replay ? "replay" : "session");
	g_warning("dump (%s) failed: %s", reason && *reason ? reason :
		  "no reason", (*error)->message);
	if (done)
		done(NULL, *error, done_data);
	if (destroy)
		destroy(done_data);
	return NULL;
}

static char *perl_dump_hook(const char *reason, double before, double after,
			    VgPerlDumpDoneFunc done, gpointer done_data,
			    GDestroyNotify destroy, gpointer data,
			    GError **error)
{
	return dump(data, reason, before, after, done, done_data, destroy,
		    error);
}

static gboolean on_sigusr1(gpointer data)
{
	GError *err = NULL;
	char *p = dump(data, "SIGUSR1", -1, -1, NULL, NULL, NULL, &err);

	g_clear_error(&err);
	g_free(p);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sighup(gpointer data)
{
	GError *err = NULL;

	if (!reload(data, &err))
		g_clear_error(&err);
	return G_SOURCE_CONTINUE;
}

static gboolean on_command(const char *cmd, const char *arg, char **reply,
			   gpointer data, GError **error)
{
	Vigild *d = data;

	if (strcmp(cmd, "status") == 0) {
		*reply = status_text(d);
		return TRUE;
	}
	if (strcmp(cmd, "dump") == 0) {
		char *reason = *arg ? g_strdup(arg) : g_strdup("vigilctl dump");
		char *path = dump(d, reason, -1, -1, NULL, NULL, NULL, error);

		g_free(reason);
		if (!path)
			return FALSE;
		*reply = g_strdup_printf("%s\n", path);
		g_free(path);
		return TRUE;
	}
	if (strcmp(cmd, "reload") == 0) {
		if (!reload(d, error))
			return FALSE;
		*reply = g_strdup("reloaded\n");
		return TRUE;
	}
	if (strcmp(cmd, "stop") == 0) {
		request_stop(d, "vigilctl stop");
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

/* Vigild.self_pid when no events are vigild's own: no gint32 pid. */
#define NO_SELF_PID ((gint64)G_MAXINT32 + 1)

/* FALSE (counted) for an event deliver() drops: vigild's own, of a task
 * the comm filter or a replay's --pid leaves out. */
G_GNUC_NO_INLINE
static gboolean selected(Vigild *d, VgEvent *e, VgdCpuCounters *c)
{
	if (e->task->pid == d->self_pid &&
	    strcmp(e->cls->name, VG_EV_STATEDUMP) != 0 &&
	    strcmp(e->cls->name, VG_EV_STATEDUMP_END) != 0) {
		/* Only when vigil.ko could not exclude vigild (or on replay
		 * of a trace recorded so): handlers make syscalls (and under
		 * some clock sources even reading the time is one), and
		 * delivering vigild's own events would feed back into
		 * themselves.  The statedump describes every task (older
		 * modules wrote it with vigild's tid): it is not vigild's own
		 * activity. */
		c->self++;
		return FALSE;
	}
	if (d->comm_globs && !comm_ok(d, e)) {
		c->comm_filtered++;
		return FALSE;
	}
	if (d->replay_tgids &&
	    !g_hash_table_contains(d->replay_tgids,
				   GINT_TO_POINTER(e->task->pid))) {
		/* live, vigil.ko filters by process; a trace holds them all */
		c->comm_filtered++;
		return FALSE;
	}
	return TRUE;
}

G_GNUC_NO_INLINE
static void batch_check(Vigild *d)
{
	d->batch_count = 0;
	if (!d->no_interrupt &&
	    g_get_monotonic_time() > d->batch_deadline_us) {
		d->interrupted = TRUE;
		vg_merge_interrupt(d->merge);
	}
}

/* deliver() for an event due for the clock check or whose selection
 * needs a look (see there). */
G_GNUC_NO_INLINE
static void deliver_checked(Vigild *d, VgEvent *e, VgdCpuCounters *c)
{
	if (d->batch_count >= BATCH_CHECK)
		batch_check(d);
	if ((e->task->pid == d->self_pid || d->comm_globs || d->replay_tgids) &&
	    !selected(d, e, c))
		return;
	c->delivered++;
	if (d->perl)
		vg_perl_deliver_counted(d->perl, e, &c->perl);
}

/* Per event: kept short, every call a tail call (so the common path
 * saves no registers); the time is looked at every BATCH_CHECK events
 * (the merge stops after the event being delivered). */
static void deliver(VgEvent *e, gpointer data)
{
	Vigild *d = data;
	VgdCpuCounters *c = &d->cc[e->cpu < d->n_cpus ? e->cpu : 0];

	if (G_UNLIKELY(++d->batch_count >= BATCH_CHECK ||
		       e->task->pid == d->self_pid || d->comm_globs ||
		       d->replay_tgids)) {
		deliver_checked(d, e, c);
		return;
	}
	c->delivered++;
	if (d->perl)
		vg_perl_deliver_counted(d->perl, e, &c->perl);
}

static void packet_done(VgPacket *p, gpointer data)
{
	Vigild *d = data;

	/* (the flight recorder's history keeps it) */
	if (d->recorder)
		vgd_recorder_add_packet(d->recorder, p);
	else
		vg_packet_unref(p);
}

static void merge_error(const GError *error, gpointer data)
{
	Vigild *d = data;

	d->data_errors++;
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
	pc.watchdog_report_ms = d->cfg->watchdog_report_ms;
	pc.watchdog_abort_ms = d->cfg->watchdog_abort_ms;
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
	/* Live, say which files run: `-s syscall-top` may resolve to the
	 * installed handlers directory or to a file of the same name here. */
	if (!pc.replay && d->cfg->scripts->len) {
		GString *list = g_string_new(NULL);

		for (guint i = 0; i < d->cfg->scripts->len; i++)
			g_string_append_printf(list, "%s%s", i ? ", " : "",
					       (char *)d->cfg->scripts->pdata[i]);
		g_message("handler scripts: %s", list->str);
		g_string_free(list, TRUE);
	}
	return p;
}

static void make_merge(Vigild *d)
{
	/* one lane per CPU, and with the kernel's tracepoints beside
	 * vigil.ko one more per CPU after the module's: every lane exists
	 * from the start, so that none is passed over before its first
	 * packet */
	guint lanes = (d->live ? vgd_live_n_lanes(d->live) : d->n_cpus) +
		      (d->live && d->tp ? vgd_tp_n_cpus(d->tp) : 0);

	d->cc = g_new0(VgdCpuCounters, d->n_cpus);
	d->merge = vg_merge_new(d->md, lanes, d->tasks, deliver, d);
	vg_merge_set_packet_done(d->merge, packet_done, d);
	vg_merge_set_error_func(d->merge, merge_error, d);
}

static GPtrArray *stack_events(Vigild *d, const VgMetadata *md,
			       GError **error);

static gboolean start_replay(Vigild *d, GError **error)
{
	d->replay = vg_replay_open(d->cfg->replay_dir, error);
	if (!d->replay)
		return FALSE;
	d->md = vg_replay_metadata(d->replay);
	/* callchains are symbolized only on the machine and boot that
	 * recorded them, else from the symbols a dump stores (vg_sym.h) */
	g_debug("callchain symbols: %s",
		vg_sym_setup_replay(d->cfg->replay_dir, d->md));
	if (d->perl && (!vg_perl_set_metadata_checked(d->perl, d->md, error) ||
			!vg_perl_check_events(d->perl, d->md, error)))
		return FALSE;
	/* stacks named must be the trace's events (it has their callchains
	 * or not) */
	{
		GPtrArray *stacks = stack_events(d, d->md, error);

		if (!stacks)
			return FALSE;
		g_ptr_array_unref(stacks);
	}
	/* A trace recorded by a vigild whose module could not exclude it
	 * (env vigild_pid) holds vigild's own events; they were not
	 * delivered live, so they are not on replay either. */
	{
		const char *sp = vg_metadata_env(d->md, "vigild_pid");

		if (sp)
			d->self_pid = (gint32)g_ascii_strtoll(sp, NULL, 10);
	}
	if (d->cfg->filter_tgids->len) {
		d->replay_tgids = g_hash_table_new(g_direct_hash, g_direct_equal);
		for (guint i = 0; i < d->cfg->filter_tgids->len; i++)
			g_hash_table_add(d->replay_tgids, GINT_TO_POINTER(
				g_array_index(d->cfg->filter_tgids, gint32, i)));
	}
	d->n_cpus = vg_replay_n_lanes(d->replay);
	if (d->n_cpus == 0)
		d->n_cpus = 1;
	d->tasks = vg_tasks_new(d->md, FALSE);
	make_merge(d);
	vg_replay_attach(d->replay, d->merge);
	g_message("replaying %s (%u CPUs)", d->cfg->replay_dir, d->n_cpus);
	return TRUE;
}

static gboolean start_module(Vigild *d, GError **error);

/* --events or 'events:' name what to record; the task table still needs
 * its events (forks, execs, exits, renames, the statedump), or names go
 * stale live and unknown on replay: they are added (and listed). */
static void add_task_events(Vigild *d, const VgMetadata *md)
{
	GPtrArray *events = d->cfg->events;
	GString *added = g_string_new(NULL);
	const char *need;

	for (guint i = 0; i < events->len; i++)
		if (strcmp(events->pdata[i], "all") == 0)
			goto out;
	for (guint i = 0; (need = vgd_task_event(i)); i++) {
		gboolean listed = FALSE;

		if (!vg_metadata_class_by_name(md, need))
			continue;
		for (guint k = 0; k < events->len && !listed; k++)
			listed = strcmp(events->pdata[k], need) == 0;
		if (listed)
			continue;
		g_ptr_array_add(events, g_strdup(need));
		g_string_append_printf(added, "%s%s", added->len ? "," : "",
				       need);
	}
	if (added->len)
		g_message("events the task table needs, added: %s", added->str);
out:
	g_string_free(added, TRUE);
}

/* channels: the events the channels list are recorded whatever the
 * handlers subscribe to (a flight channel's are what a dump is for),
 * and, once a list is chosen, the task table's too. */
static void add_channel_events(Vigild *d, const VgMetadata *md)
{
	GPtrArray *events = d->cfg->events;
	GString *added = g_string_new(NULL);

	if (!d->cfg->channels->len)
		goto out;
	add_task_events(d, md);
	for (guint c = 0; c < d->cfg->channels->len; c++) {
		const VgdChannel *ch = d->cfg->channels->pdata[c];

		for (guint i = 0; i < ch->events->len; i++) {
			const char *n = ch->events->pdata[i];
			gboolean listed = FALSE;

			for (guint k = 0; k < events->len && !listed; k++)
				listed = strcmp(events->pdata[k], n) == 0;
			if (listed)
				continue;
			g_ptr_array_add(events, g_strdup(n));
			g_string_append_printf(added, "%s%s", added->len ? "," : "", n);
		}
	}
	if (added->len)
		g_message("events the channels record, added: %s", added->str);
out:
	g_string_free(added, TRUE);
}

/* Every event a channel lists is one of the module's (its metadata,
 * kprobes included): else the error names the channel and where it is
 * defined, before anything is enabled. */
static gboolean check_channel_events(Vigild *d, const VgMetadata *md,
				     GError **error)
{
	for (guint c = 0; c < d->cfg->channels->len; c++) {
		const VgdChannel *ch = d->cfg->channels->pdata[c];

		for (guint i = 0; i < ch->events->len; i++) {
			const char *n = ch->events->pdata[i];

			if (vg_metadata_class_by_name(md, n))
				continue;
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s:%u: channels.%s.events: '%s' is not an event of vigil.ko (vigild -l lists them)",
				    d->cfg->source ? d->cfg->source : "configuration",
				    ch->line, ch->name, n);
			return FALSE;
		}
	}
	return TRUE;
}

/* A handler subscribed to an event of a flight channel sees it only in
 * a replay of a dump: say so once at load, naming both. */
static void warn_flight_subscriptions(Vigild *d, const VgMetadata *md)
{
	GPtrArray *want;

	if (!d->perl || !d->cfg->channels->len)
		return;
	want = vg_perl_wanted_events(d->perl, md);
	for (guint i = 0; want && i < want->len; i++) {
		const VgdChannel *ch = vgd_config_channel_of(d->cfg, want->pdata[i]);

		if (ch && ch->mode == VGD_MODE_FLIGHT)
			g_warning("a handler subscribes to %s, which is in flight channel '%s' (%s:%u): it is kept in the kernel and not seen live, only in a replay of a dump",
				  (char *)want->pdata[i], ch->name,
				  d->cfg->source ? d->cfg->source : "configuration",
				  ch->line);
	}
	if (want)
		g_ptr_array_unref(want);
}

/* Neither --events nor 'events:': what the handlers subscribe to (the
 * status and the log then list it), or all when they take anything
 * (trace_unhandled, '*'), or without handlers.  *all is set (and
 * returned) for "all"; the caller frees it. */
static GPtrArray *choose_events(Vigild *d, const VgMetadata *md,
				GPtrArray **all)
{
	GPtrArray *events = d->cfg->events;

	*all = NULL;
	if (events->len)
		add_task_events(d, md);
	if (events->len == 0 && d->perl && d->cfg->mode == VGD_MODE_NORMAL) {
		GPtrArray *want = vg_perl_wanted_events(d->perl, md);

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
		*all = g_ptr_array_new();
		g_ptr_array_add(*all, (gpointer)"all");
		events = *all;
	} else {
		add_channel_events(d, md);
	}
	return events;
}

/* The handlers' filters the kernel can apply to the tracepoints (all
 * but the events the task table lives on, which vigild needs whatever
 * the handlers want, and raw_syscalls:*, which the syscalls:* handlers
 * share). */
static void push_filters(Vigild *d)
{
	static const char *const own[] = {
#define VGD_ROLE_EVENT(role, name, always) name,
		VG_EVENT_ROLES(VGD_ROLE_EVENT)
#undef VGD_ROLE_EVENT
	};
	GPtrArray *names;

	if (!d->perl || !d->tp)
		return;
	names = vgd_tp_enabled_names(d->tp);
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];
		gboolean skip = g_str_has_prefix(n, "raw_syscalls:");
		char *f;

		for (guint k = 0; k < G_N_ELEMENTS(own) && !skip; k++)
			skip = strcmp(n, own[k]) == 0;
		if (skip || !(f = vg_perl_event_filter(d->perl, n)))
			continue;
		vgd_tp_set_event_filter(d->tp, n, f);
		g_free(f);
	}
	g_ptr_array_unref(names);
}

/* The events that carry their callchain: stacks: (--stacks) and the
 * scripts' Vigil::stacks, checked against md. */
static GPtrArray *stack_events(Vigild *d, const VgMetadata *md,
			       GError **error)
{
	GPtrArray *out = d->perl ? vg_perl_stack_events(d->perl, md, error) :
		g_ptr_array_new_with_free_func(g_free);

	if (!out)
		return NULL;
	for (guint i = 0; i < d->cfg->stacks->len; i++) {
		const char *n = d->cfg->stacks->pdata[i];
		gboolean dup = FALSE;

		if (!vg_metadata_class_by_name(md, n)) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "stacks: no event %s in this trace (vigild -l lists them)",
				    n);
			g_ptr_array_unref(out);
			return NULL;
		}
		for (guint k = 0; k < out->len && !dup; k++)
			dup = strcmp(out->pdata[k], n) == 0;
		if (!dup)
			g_ptr_array_add(out, g_strdup(n));
	}
	return out;
}

/* Callchains are symbolized by vigild (vg_sym.h): the kernel's symbols
 * are read now, while vigild may still read their addresses; a trace
 * it writes names this boot, so that a replay elsewhere does not take
 * another machine's symbols for its own. */
static void stacks_ready(Vigild *d, guint n_stacks)
{
	vg_metadata_set_env(d->md, "vigil_boot_id", vg_sym_boot_id());
	if (n_stacks) {
		GError *err = NULL;
		guint n = vg_sym_load_kernel(NULL, &err);

		if (n)
			g_debug("%u kernel symbols read for callchains", n);
		else
			g_warning("%s", err->message);
		g_clear_error(&err);
	}
}

/* --source kernel: the kernel's tracepoints through perf_event_open
 * (tpsource.c), everything after them as with vigil.ko. */
static gboolean start_kernel(Vigild *d, GError **error)
{
	GPtrArray *events, *all = NULL, *stacks;
	VgMetadata *cat;
	gboolean ok;

	if (d->cfg->kprobes->len) {
		/* (source auto without vigil.ko; vgd_config_check refused
		 * an explicit source kernel already) */
		char *k = vgd_config_kprobes_text(d->cfg);

		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: kprobes need vigil.ko; the kernel's tracepoints "
			    "(source kernel) have none: load vigil.ko, or "
			    "remove the kprobes", k);
		g_free(k);
		return FALSE;
	}
	/* No kernel buffer to snapshot: a flight recorder reads all the
	 * time and keeps the recent events in vigild's memory (the history
	 * of normal mode), with no handlers. */
	if (d->cfg->mode == VGD_MODE_FLIGHT) {
		g_message("flight recorder on the kernel's tracepoints: the "
			  "recent events are kept in vigild's memory "
			  "(dump.history_size, dump.history_time)");
		d->cfg->mode = VGD_MODE_NORMAL;
	}
	d->tp = vgd_tp_new(d->cfg, error);
	if (!d->tp)
		return FALSE;
	cat = vgd_tp_catalog(d->tp, &d->syscalls, error);
	if (!cat)
		return FALSE;
	/* every event the scripts name must be one of the kernel's (a
	 * misspelt one is an error naming the script line) */
	if (d->perl && (!vg_perl_set_metadata_checked(d->perl, cat, error) ||
			!vg_perl_check_events(d->perl, cat, error))) {
		(void)vg_perl_set_metadata_checked(d->perl, NULL, NULL);
		vg_metadata_free(cat);
		return FALSE;
	}
	events = choose_events(d, cat, &all);
	stacks = stack_events(d, cat, error);
	ok = stacks && vgd_tp_enable_events(d->tp, events, error) &&
	     vgd_tp_set_stacks(d->tp, stacks, d->cfg->stack_depth, error) &&
	     vgd_tp_set_filters(d->tp, d->cfg, d->syscalls, error) &&
	     (d->md = vgd_tp_metadata(d->tp, d->syscalls, error)) != NULL;
	if (ok)
		stacks_ready(d, stacks->len);
	if (stacks)
		g_ptr_array_unref(stacks);
	if (all)
		g_ptr_array_unref(all);
	if (ok && d->perl)
		ok = vg_perl_set_metadata_checked(d->perl, d->md, error);
	else if (d->perl)	/* it must not keep cat */
		(void)vg_perl_set_metadata_checked(d->perl, NULL, NULL);
	vg_metadata_free(cat);
	if (!ok)
		return FALSE;
	/* vigild's own events are left out by tpsource.c as vigil.ko
	 * leaves them out (the events about vigild alone), so deliver()
	 * drops nothing and a recording needs no env.vigild_pid */
	d->n_cpus = vgd_tp_n_cpus(d->tp);
	d->tasks = vg_tasks_new(d->md, TRUE);
	make_merge(d);
	vgd_tp_set_merge(d->tp, d->merge);
	vgd_tp_set_after_read(d->tp, live_read, d);
	if (d->cfg->record_dir) {
		d->record = vgd_record_out_new(d->cfg->record_dir, error);
		if (!d->record)
			return FALSE;
		vgd_tp_set_record(d->tp, d->record);
	}
	push_filters(d);
	/* (the handlers begin once vigild is the configured user: main) */
	if (!vgd_tp_start(d->tp, d->ctx, error))
		return FALSE;
	g_message("tracing %u CPUs from the kernel's tracepoints (%u events), "
		  "%s, perf rings of %u x %u bytes per CPU%s%s",
		  d->n_cpus, vgd_tp_n_events(d->tp),
		  d->perl ? "normal mode" : "no handlers",
		  d->cfg->buffer_count, d->cfg->buffer_size,
		  d->cfg->record_dir ? ", recording to " : "",
		  d->cfg->record_dir ? d->cfg->record_dir : "");
	return TRUE;
}

/* The module, the kernel's tracepoints, or (auto) the module when
 * /dev/vigil can be opened, else the tracepoints; the log says which
 * and why. */
static gboolean start_live(Vigild *d, GError **error)
{
	VgdSource src = d->cfg->event_source;

	if (src == VGD_SOURCE_AUTO) {
		GError *why = NULL;

		if (vgd_live_usable(&why)) {
			g_message("event source: vigil.ko (%s)", "/dev/vigil");
			src = VGD_SOURCE_MODULE;
		} else {
			g_message("vigil.ko not usable: %s; using the kernel's tracepoints",
				  why->message);
			g_error_free(why);
			src = VGD_SOURCE_KERNEL;
		}
	}
	if (src == VGD_SOURCE_KERNEL) {
		if (d->cfg->event_source == VGD_SOURCE_KERNEL)
			g_message("event source: the kernel's tracepoints (--source kernel)");
		return start_kernel(d, error);
	}
	return start_module(d, error);
}

/* Events the session names (handlers' `on` and perf-style subs, the
 * configuration's events) that vigil.ko lacks and the kernel has as
 * tracepoints are read beside the module through perf_event_open
 * (tpsource.c), in one time order with the module's: d->tp and d->md
 * (the module's metadata with these events) are set.  Names neither has
 * are left to the handlers' event check, which reports them.  FALSE:
 * the kernel's tracepoints were needed and could not be had. */
static gboolean join_kernel_tracepoints(Vigild *d, GError **error)
{
	GPtrArray *want = d->perl ? vg_perl_absent_events(d->perl, d->md) :
			  g_ptr_array_new_with_free_func(g_free);
	GPtrArray *extra = g_ptr_array_new();
	GString *list = g_string_new(NULL);
	GError *why = NULL;
	VgMetadata *md;
	VgdTp *tp;
	gboolean ok = FALSE;

	for (guint i = 0; i < d->cfg->events->len; i++) {
		const char *n = d->cfg->events->pdata[i];

		if (strcmp(n, "all") != 0 && !strchr(n, '*') &&
		    !g_str_has_prefix(n, "syscalls:") &&
		    !vg_metadata_class_by_name(d->md, n))
			g_ptr_array_add(want, g_strdup(n));
	}
	if (want->len == 0) {
		ok = TRUE;
		goto out;
	}
	tp = vgd_tp_new(d->cfg, &why);
	if (!tp) {
		/* the handlers' check names the events */
		g_message("the kernel's tracepoints are not readable (%s)",
			  why->message);
		g_error_free(why);
		ok = TRUE;
		goto out;
	}
	for (guint i = 0; i < want->len; i++)
		if (vgd_tp_has(tp, want->pdata[i])) {
			g_ptr_array_add(extra, want->pdata[i]);
			g_string_append_printf(list, "%s%s", list->len ? ", " : "",
					       (char *)want->pdata[i]);
		}
	if (extra->len == 0) {
		vgd_tp_free(tp);
		ok = TRUE;
		goto out;
	}
	if (d->cfg->mode == VGD_MODE_FLIGHT) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: tracepoints of the kernel that vigil.ko does "
			    "not have; vigild reads them beside vigil.ko in "
			    "normal mode only (flight mode keeps the events "
			    "in the module's buffers): use normal mode or "
			    "--source kernel", list->str);
		vgd_tp_free(tp);
		goto out;
	}
	if (!vgd_tp_enable_events(tp, extra, error) ||
	    !vgd_tp_set_filters(tp, d->cfg, d->syscalls, error) ||
	    !(md = vgd_tp_join(tp, d->md, d->syscalls, error))) {
		vgd_tp_free(tp);
		goto out;
	}
	vg_metadata_free(d->md);
	d->md = md;
	d->tp = tp;
	g_message("from the kernel's tracepoints beside vigil.ko: %s",
		  list->str);
	ok = TRUE;
out:
	g_string_free(list, TRUE);
	g_ptr_array_unref(extra);
	g_ptr_array_unref(want);
	return ok;
}

/* The names of events that vigil.ko is asked to enable: events less
 * those read from the kernel's tracepoints beside it. */
static GPtrArray *module_events(Vigild *d, GPtrArray *events)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < events->len; i++) {
		const VgEventClass *cls =
			vg_metadata_class_by_name(d->md, events->pdata[i]);

		if (!cls || !vgd_tp_enabled(d->tp, cls->name))
			g_ptr_array_add(out, events->pdata[i]);
	}
	return out;
}

static gboolean start_module(Vigild *d, GError **error)
{
	GPtrArray *events = d->cfg->events;
	GPtrArray *mod_events;
	GPtrArray *all = NULL;
	g_autoptr(GPtrArray) stacks = NULL;

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
	/* stacks: checked against the module's events, set before the
	 * metadata is read (it then has their callchains) */
	stacks = stack_events(d, md0, error);
	if (!stacks) {
		vg_metadata_free(md0);
		return FALSE;
	}
	d->live = vgd_live_open(d->cfg, error);
	/* kprobes first: the metadata read next then has their classes */
	if (d->live && vgd_live_add_kprobes(d->live, d->cfg, error) &&
	    vgd_live_set_stacks(d->live, stacks, d->cfg->stack_depth, error))
		d->md = vgd_live_read_metadata(&d->syscalls, error);
	if (d->md && !join_kernel_tracepoints(d, error)) {
		vg_metadata_free(md0);
		return FALSE;
	}
	if (d->perl && d->md &&
	    (!vg_perl_set_metadata_checked(d->perl, d->md, error) ||
	     !vg_perl_check_events(d->perl, d->md, error))) {
		vg_metadata_free(md0);
		return FALSE;
	}
	vg_metadata_free(md0);
	if (!d->md)
		return FALSE;
	if (!check_channel_events(d, d->md, error))
		return FALSE;
	warn_flight_subscriptions(d, d->md);
	stacks_ready(d, stacks->len);
	events = choose_events(d, d->md, &all);
	/* an event with stacks is recorded whatever the handlers take
	 * (latency-watch --stacks: the switches in its dumps) */
	for (guint i = 0; !all && i < stacks->len; i++) {
		gboolean listed = FALSE;

		for (guint k = 0; k < events->len && !listed; k++)
			listed = strcmp(events->pdata[k], stacks->pdata[i]) == 0 ||
				 strcmp(events->pdata[k], "all") == 0;
		if (!listed)
			g_ptr_array_add(events, g_strdup(stacks->pdata[i]));
	}
	mod_events = d->tp ? module_events(d, events) : g_ptr_array_ref(events);
	if (!vgd_live_enable_events(d->live, mod_events, error) ||
	    !vgd_live_route_events(d->live, d->cfg, error) ||
	    !vgd_live_set_filters(d->live, d->cfg, d->syscalls, error) ||
	    !vgd_live_map(d->live, error)) {
		g_ptr_array_unref(mod_events);
		if (all)
			g_ptr_array_unref(all);
		return FALSE;
	}
	g_ptr_array_unref(mod_events);
	if (all)
		g_ptr_array_unref(all);
	/* Only a module that could not exclude vigild leaves the drop to
	 * deliver(); a recording then names vigild's pid so that replay
	 * drops the same events. */
	if (!vgd_live_excludes_self(d->live)) {
		d->self_pid = getpid();
		vg_metadata_set_env_int(d->md, "vigild_pid", d->self_pid);
	}
	d->n_cpus = vgd_live_n_cpus(d->live);
	if (d->cfg->mode == VGD_MODE_FLIGHT) {
		d->cc = g_new0(VgdCpuCounters, d->n_cpus);
		vgd_live_set_merge(d->live, NULL, vg_metadata_uuid(d->md));
	} else {
		d->tasks = vg_tasks_new(d->md, TRUE);
		make_merge(d);
		vgd_live_set_merge(d->live, d->merge, vg_metadata_uuid(d->md));
		vgd_live_set_after_read(d->live, live_read, d);
	}
	if (d->tp) {
		/* its lanes after the module's (all its channels') */
		vgd_tp_set_lane_base(d->tp, vgd_live_n_lanes(d->live));
		vgd_tp_set_merge(d->tp, d->merge);
		vgd_tp_set_after_read(d->tp, live_read, d);
	}
	if (d->cfg->record_dir) {
		d->record = vgd_record_out_new(d->cfg->record_dir, error);
		if (!d->record)
			return FALSE;
		vgd_live_set_record(d->live, d->record);
		if (d->tp)
			vgd_tp_set_record(d->tp, d->record);
	}
	push_filters(d);
	/* (the handlers begin once vigild is the configured user: main) */
	/* the tracepoints first: when the module starts (and its statedump
	 * lists the tasks), both sources are recording */
	if (d->tp && !vgd_tp_start(d->tp, d->ctx, error))
		return FALSE;
	if (!vgd_live_start(d->live, d->ctx, error))
		return FALSE;
	g_message("tracing %u CPUs, %s mode, %u x %u bytes per CPU%s%s",
		  d->n_cpus, d->cfg->mode == VGD_MODE_FLIGHT ? "flight" : "normal",
		  d->cfg->buffer_count, d->cfg->buffer_size,
		  d->cfg->record_dir ? ", recording to " : "",
		  d->cfg->record_dir ? d->cfg->record_dir : "");
	if (d->cfg->mode == VGD_MODE_FLIGHT)
		g_message("flight recorder: `vigilctl dump` or SIGUSR1 writes "
			  "the recent events to %s", d->cfg->dump_dir);
	return TRUE;
}

/* The source stops handing packets to the --record output. */
static void detach_record(Vigild *d)
{
	if (d->live)
		vgd_live_set_record(d->live, NULL);
	if (d->tp)
		vgd_tp_set_record(d->tp, NULL);
}

/* Finish the --record trace; FALSE: it was not written (logged). */
static gboolean finish_record(Vigild *d)
{
	VgdRecordOut *r = d->record;

	if (!r)
		return TRUE;
	detach_record(d);
	d->record = NULL;
	return vgd_record_out_finish(r, d->md);
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
	char *stacks;
	char *mode;
	char *source;
	char *buffer_size;
	char *buffers;
	char *dump_dir;
	char *metrics;
	char *watchdog;
	char *user;
	gboolean check;
	gboolean version;
} Options;

/* -l, -v, -e, --pid, --comm (quick.c); lives until vigild exits (the -e
 * script file with it) */
static VgdQuick quick;

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
	if (o->stacks && !vgd_config_set_stacks(cfg, o->stacks, "--stacks", error))
		return FALSE;
	if (o->mode && !vgd_config_set_mode(cfg, o->mode, "--mode", error))
		return FALSE;
	if (o->source && !vgd_config_set_source(cfg, o->source, "--source", error))
		return FALSE;
	if (o->buffer_size &&
	    !vgd_config_set_buffer_size(cfg, o->buffer_size, "--buffer-size", error))
		return FALSE;
	if (o->buffers &&
	    !vgd_config_set_buffer_count(cfg, o->buffers, "--buffers", error))
		return FALSE;
	if (o->user && !vgd_config_set_user(cfg, o->user, "--user", error))
		return FALSE;
	if (o->dump_dir) {
		g_free(cfg->dump_dir);
		cfg->dump_dir = g_strdup(o->dump_dir);
	}
	if (o->metrics && !vgd_config_set_metrics(cfg, o->metrics, "--metrics", error))
		return FALSE;
	if (o->watchdog &&
	    !vgd_config_set_watchdog(cfg, o->watchdog, "--watchdog", error))
		return FALSE;
	if (o->duration < 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "--duration: %d is not a number of seconds", o->duration);
		return FALSE;
	}
	cfg->duration_s = (guint)o->duration;
	cfg->foreground = o->foreground;
	cfg->replay_dir = g_strdup(o->replay);
	cfg->record_dir = g_strdup(o->record);
	if (!vgd_quick_apply(&quick, cfg, error))
		return FALSE;
	/* handler names (-s syscall-top, scripts: [syscall-top]) to files */
	if (!vgd_handlers_resolve(cfg->scripts, error))
		return FALSE;
	vgd_config_resolve_mode(cfg);
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
	g_free(o->stacks);
	g_free(o->mode);
	g_free(o->source);
	g_free(o->buffer_size);
	g_free(o->buffers);
	g_free(o->dump_dir);
	g_free(o->metrics);
	g_free(o->user);
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


/* Options, then the configuration file with the options applied: the
 * effective configuration, or NULL with the exit status in *rc (2: bad
 * usage or configuration; 0: --check-config printed it). */
static VgdConfig *configure(int argc, char **argv, int *rc)
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
		{ "stacks", 0, 0, G_OPTION_ARG_STRING, &o.stacks,
		  "Events that carry their callchain (comma-separated)", "LIST" },
		{ "mode", 0, 0, G_OPTION_ARG_STRING, &o.mode,
		  "auto (default), normal or flight", "MODE" },
		{ "source", 0, 0, G_OPTION_ARG_STRING, &o.source,
		  "Event source: auto (default), module (vigil.ko) or kernel (tracepoints)", "SOURCE" },
		{ "buffer-size", 0, 0, G_OPTION_ARG_STRING, &o.buffer_size,
		  "Sub-buffer size (power of 2, e.g. 1MiB)", "SIZE" },
		{ "buffers", 0, 0, G_OPTION_ARG_STRING, &o.buffers,
		  "Sub-buffers per CPU", "N" },
		{ "dump-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.dump_dir,
		  "Directory for flight recorder dumps", "DIR" },
		{ "user", 0, 0, G_OPTION_ARG_STRING, &o.user,
		  "Run as USER (no capabilities) once tracing has started", "USER" },
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &o.record,
		  "Also write everything read live as a CTF trace in DIR", "DIR" },
		{ "metrics", 0, 0, G_OPTION_ARG_STRING, &o.metrics,
		  "Serve the handlers' metrics for Prometheus on http://ADDR:PORT/metrics "
		  "(ADDR default 127.0.0.1; \"\" for off)", "[ADDR:]PORT" },
		{ "watchdog", 0, 0, G_OPTION_ARG_STRING, &o.watchdog,
		  "Report a handler call running longer than REPORT (default 5s), "
		  "abort it after ABORT (default never); 0 = never", "REPORT[,ABORT]" },
		{ "check-config", 0, 0, G_OPTION_ARG_NONE, &o.check,
		  "Print the effective configuration and exit", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o.version,
		  "Print vigild's version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	GOptionContext *oc;
	GError *err = NULL;
	VgdConfig *cfg;
	char **script_args = NULL;
	gboolean have_args = FALSE;

	*rc = 2;
	/* Everything after the first "--" is the scripts' @ARGV. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			script_args = &argv[i + 1];
			have_args = TRUE;
			argc = i;
			break;
		}
	}
	oc = g_option_context_new("[-- SCRIPT-ARGS...]");
	g_option_context_set_summary(oc,
		"vigil's tracing daemon: reads kernel events from vigil.ko (or the kernel's tracepoints) and "
		"hands them, in time order, to Perl handler scripts.");
	g_option_context_add_main_entries(oc, entries, NULL);
	g_option_context_add_main_entries(oc, vgd_quick_entries(&quick), NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &err)) {
		g_printerr("vigild: %s (see vigild --help)\n", err->message);
		g_error_free(err);
		g_option_context_free(oc);
		options_clear(&o);
		return NULL;
	}
	g_option_context_free(oc);
	if (o.version) {
		printf("vigild %s\n", VIGIL_VERSION);
		options_clear(&o);
		*rc = 0;
		return NULL;
	}
	if (vgd_quick_run(&quick, argc, argv, rc)) {
		options_clear(&o);
		return NULL;
	}
	if (argc > 1) {
		g_printerr("vigild: unexpected argument '%s' (script arguments "
			   "go after --)\n", argv[1]);
		options_clear(&o);
		return NULL;
	}

	cfg = vgd_config_new();
	if (!vgd_config_load_file(cfg, o.config ? o.config : VGD_DEFAULT_CONFIG,
				  o.config != NULL, &err) ||
	    !apply_options(cfg, &o, script_args, have_args, &err)) {
		g_printerr("vigild: %s\n", err->message);
		g_error_free(err);
		options_clear(&o);
		vgd_config_free(cfg);
		return NULL;
	}
	if (o.check) {
		char *s = vgd_config_to_string(cfg);

		fputs(s, stdout);
		fflush(stdout);
		g_free(s);
		options_clear(&o);
		*rc = vgd_quick_check_scripts(cfg);
		vgd_config_free(cfg);
		return NULL;
	}
	options_clear(&o);	/* cfg has its own copies */
	return cfg;
}

/* ---- least privilege (privdrop.h) ----------------------------------------- */

/* With user: (or --user) vigild becomes that user now, with no
 * capability: everything that needs root is done (the source's fds
 * open and mapped, kprobes added, the control socket bound, the --record
 * output created); the dump directory and the --record output are given
 * to the user first.  FALSE: vigild must exit (logged). */
static gboolean become_user(Vigild *d)
{
	const char *work = d->record ? vgd_record_out_work_dir(d->record) : NULL;
	GError *err = NULL;
	VgdPrivUser u;
	char *parent = NULL;
	gboolean ok;

	if (!vgd_priv_resolve(d->cfg, &u, &err)) {
		if (!err)
			return TRUE;	/* no user: vigild stays root */
		ok = FALSE;
		goto out;
	}
	/* the finished --record trace is renamed into place in parent */
	parent = work ? g_path_get_dirname(d->cfg->record_dir) : NULL;
	/* what the user must write: checked as the user while still root
	 * (so a refusal leaves nothing behind), and again after the drop */
	ok = vgd_priv_prepare_dir(d->cfg->dump_dir, &u, &err) &&
	     (!work || vgd_priv_give(work, &u, &err)) &&
	     /* -e's script: reloaded, and removed at exit, by the user */
	     (!quick.exec_path || vgd_priv_give(quick.exec_path, &u, &err));
	for (int pass = 0; ok && pass < 2; pass++) {
		ok = vgd_priv_check_access(d->cfg->dump_dir, W_OK | X_OK,
					   "dump directory", &u, &err) &&
		     (!parent || vgd_priv_check_access(parent, W_OK | X_OK,
					"the directory of --record", &u, &err));
		if (ok && pass == 0)
			ok = vgd_priv_drop(&u, &err);
	}
	if (!ok)
		goto out;
	/* what an interrupted dump left, if root could not see it */
	vgd_dumpdir_remove_leftovers(d->cfg->dump_dir);
	for (guint i = 0; i < d->cfg->scripts->len; i++) {
		const char *sc = d->cfg->scripts->pdata[i];

		if (access(sc, R_OK) < 0)
			g_warning("%s: not readable by user %s: a reload "
				  "(SIGHUP, vigilctl reload) will fail and keep "
				  "the running handlers", sc, u.user);
	}
	g_message("running as user %s (uid %u), group %s (gid %u), without "
		  "capabilities", u.user, (guint)u.uid, u.group, (guint)u.gid);
out:
	if (!ok) {
		g_printerr("vigild: %s\n", err->message);
		if (vgd_log_elsewhere())
			g_critical("%s", err->message);
		g_error_free(err);
	}
	g_free(parent);
	vgd_priv_user_clear(&u);
	return ok;
}

/* ---- the daemon's life ------------------------------------------------------- */

static Vigild *daemon_new(VgdConfig *cfg)
{
	Vigild *d = g_new0(Vigild, 1);

	d->cfg = cfg;
	d->ctx = g_main_context_default();
	d->loop = g_main_loop_new(d->ctx, FALSE);
	d->start_us = g_get_monotonic_time();
	d->self_pid = NO_SELF_PID;
	d->load_exit = -1;
	if (cfg->filter_comms->len) {
		d->comm_globs = g_new0(char *, cfg->filter_comms->len + 1);
		for (guint k = 0; k < cfg->filter_comms->len; k++)
			d->comm_globs[k] = g_strdup(cfg->filter_comms->pdata[k]);
	}
	return d;
}

static GPtrArray *snapshot_live(gpointer live, GError **error)
{
	return vgd_live_snapshot(live, error);
}

static GPtrArray *snapshot_flight_channels(gpointer live, GError **error)
{
	return vgd_live_snapshot_flight(live, error);
}

/* The Prometheus endpoint of the handlers' metrics. */
static gboolean start_metrics(Vigild *d, GError **error)
{
	char *addr;
	guint16 port;

	if (!vgd_parse_listen(d->cfg->metrics_listen, &addr, &port)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "metrics: '%s' is not [ADDR:]PORT", d->cfg->metrics_listen);
		return FALSE;
	}
	d->metrics = vgd_metrics_new(addr, port, d->perl, d->ctx, error);
	g_free(addr);
	if (!d->metrics)
		return FALSE;
	g_message("metrics for Prometheus: %s", vgd_metrics_url(d->metrics));
	return TRUE;
}

/* Handlers, then (as a daemon unless in the foreground or replaying)
 * the source, then the flight recorder on top of it.  FALSE: the reason
 * is on stderr (and in the log when that goes elsewhere). */
static gboolean start(Vigild *d)
{
	GError *err = NULL;
	VgdRecorderSetup rs = { 0 };

	/* Scripts first: a compile error must not touch the module. */
	if (d->cfg->scripts->len) {
		d->perl = load_perl(d, &err);
		if (!d->perl && err->domain == VG_PERL_EXIT) {
			/* a script's --help: its exit status, nothing traced */
			d->load_exit = err->code;
			g_error_free(err);
			return FALSE;
		}
		if (!d->perl) {
			g_printerr("vigild: %s\n", err->message);
			g_error_free(err);
			return FALSE;
		}
	}
	/* Before detaching: an address in use is said on the terminal. */
	if (d->cfg->metrics_listen && d->perl && !start_metrics(d, &err)) {
		g_printerr("vigild: %s\n", err->message);
		g_error_free(err);
		return FALSE;
	}
	if (!d->cfg->foreground && !d->cfg->replay_dir) {
		daemonize();
		vgd_log_daemonized();
	}
	if (d->cfg->replay_dir ? !start_replay(d, &err) : !start_live(d, &err)) {
		/* stderr always (the caller sees why); the log too when it
		 * goes elsewhere (journal, syslog) */
		g_printerr("vigild: %s\n", err->message);
		if (vgd_log_elsewhere())
			g_critical("%s", err->message);
		g_clear_error(&err);
		detach_record(d);
		vgd_record_out_abort(d->record);
		d->record = NULL;
		return FALSE;
	}
	rs.cfg = d->cfg;
	rs.md = d->md;
	rs.merge = d->merge;
	rs.tasks = d->tasks;
	if (d->live && vgd_live_mixed(d->live)) {
		/* mixed mode: the history plus the flight channels' buffers */
		rs.flight_channels = snapshot_flight_channels;
		rs.snapshot_data = d->live;
	} else if (d->live) {
		rs.snapshot = snapshot_live;
		rs.snapshot_data = d->live;
	}
	d->recorder = vgd_recorder_new(&rs);
	return TRUE;
}

/* Signals, the --duration timer, the control socket; a replay starts
 * from the loop. */
static void watch(Vigild *d)
{
	GError *err = NULL;

	g_unix_signal_add(SIGINT, on_sigint, d);
	g_unix_signal_add(SIGTERM, on_sigterm, d);
	g_unix_signal_add(SIGHUP, on_sighup, d);
	g_unix_signal_add(SIGUSR1, on_sigusr1, d);
	signal(SIGPIPE, SIG_IGN);
	if (d->cfg->duration_s)
		g_timeout_add_seconds(d->cfg->duration_s, on_duration, d);
	d->control = vgd_control_new(d->cfg->control_socket,
				     d->cfg->control_group, d->ctx,
				     on_command, d, &err);
	if (!d->control) {
		g_warning("no control socket (vigilctl will not work): %s",
			  err->message);
		g_clear_error(&err);
	}
	if (d->replay) {
		/* (the handlers begin in main, as the configured user) */
		d->continue_id = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE,
						 continue_merge, d, NULL);
	}
}

/* After the loop: no more interrupts, drain everything, write the open
 * dumps, end the handlers, finish --record.  Returns the exit status. */
static int stop(Vigild *d)
{
	VgdStatusView v;
	int rc = 0;

	d->no_interrupt = TRUE;
	if (d->continue_id) {
		g_source_remove(d->continue_id);
		d->continue_id = 0;
	}
	/* both sources stop and hand over what they hold before the merge
	 * drains: a drain between them would deliver one source's last
	 * events before the other's earlier ones */
	if (d->live)
		vgd_live_stop(d->live);
	if (d->tp)
		vgd_tp_stop(d->tp);
	if (d->merge)
		vg_merge_drain(d->merge);
	vgd_recorder_finish(d->recorder);	/* open dumps */
	if (d->perl)
		vg_perl_end(d->perl);
	if ((d->live || d->tp) && !finish_record(d))
		rc = 1;
	if (d->perl && vg_perl_stopped(d->perl) && d->cfg->max_handler_errors) {
		VgPerlStats ps;

		vg_perl_get_stats(d->perl, &ps);
		if (ps.errors >= d->cfg->max_handler_errors) {
			g_critical("stopped after %" G_GUINT64_FORMAT
				   " handler errors (max_handler_errors: %u)",
				   ps.errors, d->cfg->max_handler_errors);
			rc = 1;
		}
	}
	if (d->perl && rc == 0 && (d->cfg->foreground || d->replay)) {
		VgPerlStats ps;

		/* errors never hide: the handlers did not do their whole job */
		vg_perl_get_stats(d->perl, &ps);
		if (ps.errors) {
			g_printerr("vigild: %" G_GUINT64_FORMAT " handler "
				   "error%s (logged above)\n", ps.errors,
				   ps.errors == 1 ? "" : "s");
			rc = VGD_EXIT_HANDLER_ERRORS;
		}
	}
	if (d->replay && d->data_errors && (rc == 0 || rc == VGD_EXIT_HANDLER_ERRORS)) {
		/* a damaged trace never replays with status 0 */
		g_printerr("vigild: %s: %" G_GUINT64_FORMAT " piece%s of corrupt "
			   "or lost data (reported above with file and offset)\n",
			   d->cfg->replay_dir, d->data_errors,
			   d->data_errors == 1 ? "" : "s");
		rc = rc ? VGD_EXIT_DATA_LOST_AND_HANDLER_ERRORS : VGD_EXIT_DATA_LOST;
	}
	status_view(d, &v);
	vgd_status_log(&v);
	g_message("vigild exits (%s)", d->replay_done ? "end of trace" :
		  d->stop_reason ? d->stop_reason : "stopped");
	return rc;
}

static void daemon_free(Vigild *d)
{
	vgd_metrics_free(d->metrics);
	vgd_control_free(d->control);
	if (d->tp) {
		vgd_tp_set_merge(d->tp, NULL);
		vgd_tp_set_after_read(d->tp, NULL, NULL);
		vgd_tp_free(d->tp);
	}
	vgd_recorder_free(d->recorder);
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
	if (d->replay_tgids)
		g_hash_table_destroy(d->replay_tgids);
	g_free(d->cc);
	g_free(d->stop_reason);
	g_main_loop_unref(d->loop);
	g_free(d);
}

int main(int argc, char **argv)
{
	VgdConfig *cfg;
	Vigild *d;
	int rc;

	cfg = configure(argc, argv, &rc);
	if (!cfg) {
		vgd_quick_clear(&quick);
		return rc;
	}
	vgd_log_setup(cfg);
	{
		GError *err = NULL;

		vgd_priv_warn_untrusted(cfg);
		/* (before any thread: every thread inherits it) */
		if (!vgd_priv_early(cfg, &err)) {
			g_printerr("vigild: %s\n", err->message);
			g_error_free(err);
			vgd_config_free(cfg);
			vgd_quick_clear(&quick);
			return 1;
		}
	}
	d = daemon_new(cfg);
	if (start(d)) {
		watch(d);
		if (become_user(d)) {
			/* the first handler call: trace_begin, the timers */
			if (d->perl)
				vg_perl_begin(d->perl);
			g_main_loop_run(d->loop);
			rc = stop(d);
		} else {
			/* no handler has run (nor will its END blocks) */
			detach_record(d);
			vgd_record_out_abort(d->record);
			d->record = NULL;
			rc = 1;
		}
	} else {
		rc = d->load_exit >= 0 ? d->load_exit : 1;
	}
	daemon_free(d);
	vgd_config_free(cfg);
	vgd_quick_clear(&quick);
	return rc;
}
