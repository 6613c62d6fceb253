/*
 * vg_perl.h - vigild's embedded Perl interpreter: loading handler
 * scripts, dispatching events to them, periodic callbacks, and the hooks
 * the scripts use to reach the daemon (Vigil::dump, Vigil::stats,
 * Vigil::stop).
 *
 * The only header of the Perl binding that vigild includes: everything
 * that speaks XS or the Perl API is under perl/ (Vigil.xs and the
 * event objects it shares with the embedding, vg_pl_xs.h; the embedding
 * itself in perl/embed/: embed.c, dispatch.c, host.c).  The binding
 * reaches vigild only through the VgPerlHooks given to it.
 *
 * One VgPerl owns one Perl interpreter.  Everything here runs on the
 * thread of the daemon's main loop.
 *
 * Life cycle, as vigild drives it:
 *
 *	p = vg_perl_new(&cfg, &err);
 *	vg_perl_set_hooks(p, &hooks);		(optional)
 *	vg_perl_load(p, &err)		compile the scripts; FALSE: exit 1
 *					without touching the module
 *	vg_perl_set_metadata_checked(p, md, &err)   as soon as the metadata
 *					is known (before or after load; FALSE:
 *					a filter names an unknown field)
 *	vg_perl_begin(p)		trace_begin, start "every" timers
 *	... vg_perl_deliver(e, p) for every event, in time order ...
 *	vg_perl_end(p)			trace_end, END blocks, interpreter gone
 *	vg_perl_free(p)
 *
 * Per-class dispatch state is cached in VgEventClass.dispatch of the
 * classes of the metadata given to vg_perl_set_metadata().  That
 * metadata must stay alive until vg_perl_set_metadata() is called with
 * another one, or vg_perl_end()/vg_perl_free(): those reset the slots
 * they set.
 */
#ifndef VG_PERL_H
#define VG_PERL_H

#include <glib.h>
#include "vg_core.h"

G_BEGIN_DECLS

typedef struct {
	char **scripts;		/* NULL-terminated paths, loaded in order */
	char **script_argv;	/* NULL-terminated: the scripts' @ARGV */
	guint max_errors;	/* handler errors before stopping; 0 = no limit */
	gboolean replay;	/* TRUE: "every" runs on event timestamps */
	GMainContext *context;	/* live "every" timers; NULL = default */
	/* the watchdog (perl/embed/watchdog.c): a handler call running
	 * this long is reported (with the line it is at), and aborted
	 * (it dies there); 0: never */
	guint watchdog_report_ms;
	guint watchdog_abort_ms;
} VgPerlConfig;

typedef struct VgPerl VgPerl;

/* ---- hooks vigild provides (all optional) --------------------------- */

/* Vigil::stats(): the provider adds key/value pairs to the sink. */
typedef struct VgPerlStatsSink VgPerlStatsSink;
void vg_perl_stats_add_int(VgPerlStatsSink *sink, const char *key, gint64 v);
void vg_perl_stats_add_str(VgPerlStatsSink *sink, const char *key,
			   const char *v);

/* Vigil::dump(..., done => CODE): the dump is complete (path) or failed
 * (error). */
typedef void (*VgPerlDumpDoneFunc)(const char *path, const GError *error,
				   gpointer done_data);

typedef struct {
	/* Vigil::dump(reason => R, before => B, after => A): before/after
	 * are seconds (negative: not given, use the configured default).
	 * Returns the path of the dump (g_free'd by the caller) or NULL
	 * with *error set; the error message becomes the script's $@.
	 * done (may be NULL) must be called exactly once, on the main
	 * thread, when the dump is complete or failed (possibly before
	 * dump returns), then destroy(done_data). */
	char *(*dump)(const char *reason, double before, double after,
		      VgPerlDumpDoneFunc done, gpointer done_data,
		      GDestroyNotify destroy, gpointer user_data,
		      GError **error);
	/* Vigil::stats(): add the daemon's counters.  The dispatcher's own
	 * counters (perl_*) are always added. */
	void (*stats)(VgPerlStatsSink *sink, gpointer user_data);
	/* Stop tracing cleanly (drain, end callbacks, exit 0): called when
	 * max_errors is reached or a script calls Vigil::stop(). */
	void (*stop)(const char *why, gpointer user_data);
	gpointer user_data;
} VgPerlHooks;

/* ---- statistics ------------------------------------------------------ */

typedef struct {
	guint64 events;		/* events given to vg_perl_deliver */
	guint64 dispatched;	/* handler calls and aggregation updates (an
				 * event can have several) */
	guint64 filtered;	/* handler calls and aggregation updates
				 * skipped by a C filter */
	guint64 unhandled;	/* events of classes nobody handles */
	guint64 errors;		/* handlers (and every callbacks) that died */
	guint64 ticks;		/* "every" callbacks run */
	guint64 perl_ns;	/* time spent in Perl handlers (handler calls:
				 * estimated from every 16th call) */
	guint64 aggregated;	/* aggregation updates (in C, no Perl) */
	guint64 watchdog_reports;	/* calls reported as running long */
	guint64 watchdog_aborts;	/* aborts of such calls (a call that
					 * catches the first has more) */
} VgPerlStats;

/* ---- API -------------------------------------------------------------- */

VgPerl *vg_perl_new(const VgPerlConfig *cfg, GError **error);
void vg_perl_set_hooks(VgPerl *p, const VgPerlHooks *hooks);

/* Start the interpreter and compile/run every script (BEGIN blocks, top
 * level code, `on`/`every` registrations).  On failure the GError
 * (VG_ERROR_PARSE) names the script and line, e.g.
 * "t.pl: syntax error at t.pl line 3, near \"...\"". */
gboolean vg_perl_load(VgPerl *p, GError **error);
/* The error domain of a script that called exit(N) while it loaded (its
 * `--help`): the code is N (0..255); the message names the script. */
#define VG_PERL_EXIT (vg_perl_exit_quark())
GQuark vg_perl_exit_quark(void);

/* Bind to the trace's metadata: compiles the subscriptions' filters for
 * the classes they name.  Errors (unknown field, type mismatch) name the
 * script, the event and the filter column. */
gboolean vg_perl_set_metadata_checked(VgPerl *p, const VgMetadata *md,
				      GError **error);
/* Check the event names the scripts ask for against md (the final
 * metadata: kprobes added): an `on` subscription to an exact name md
 * lacks is an error naming the script line and the nearest event of md
 * ("did you mean"); a perf-style sub SUBSYS::EVENT for an event md
 * lacks is a warning (logged once per load).  Globs are not checked,
 * nor syscalls:* names against metadata without the syscall table
 * (older traces). */
gboolean vg_perl_check_events(VgPerl *p, const VgMetadata *md,
			      GError **error);
/* Same, errors are logged (g_critical) and the failing handler is
 * disabled. */
void vg_perl_set_metadata(VgPerl *p, const VgMetadata *md);

/* VgDeliverFunc: user_data is the VgPerl. */
void vg_perl_deliver(VgEvent *e, gpointer p);
/* The same for a caller that keeps counters of its own (vigild, per
 * CPU): the event's handler calls and aggregation updates, and the
 * filter rejections, are added to *cc as well. */
typedef struct {
	guint64 dispatched;
	guint64 filtered;
} VgPerlCounts;
void vg_perl_deliver_counted(VgPerl *p, VgEvent *e, VgPerlCounts *cc);

void vg_perl_begin(VgPerl *p);
/* trace_end, every END block, then the interpreter is destroyed (stats
 * stay readable). */
void vg_perl_end(VgPerl *p);

/* Re-load the scripts in a new interpreter.  On success the old one's
 * trace_end/END blocks run and it is replaced (its "every" timers too);
 * on failure the old one stays in place and the error is returned. */
gboolean vg_perl_reload(VgPerl *p, GError **error);

/* Nonzero in a process forked by a handler (fork() without exec, set
 * by a pthread_atfork child handler).  Such a child must end with exit
 * (Vigil.pm makes that an immediate _exit) or exec: returning from the
 * handler would make it a second vigild reading the same buffers.
 * The embedding checks after each call into Perl
 * (VG_PERL_LEAVE_IF_FORKED: one load of this flag). */
extern volatile gint vg_perl_forked_child;
void vg_perl_forked_child_returned(void) G_GNUC_NORETURN;
#define VG_PERL_LEAVE_IF_FORKED() \
	do { \
		if (G_UNLIKELY(vg_perl_forked_child)) \
			vg_perl_forked_child_returned(); \
	} while (0)

/* The filter every handler of event has, when each has one: their
 * filters joined with ||, "(F1) || (F2)", so that the source may drop
 * the other events before they cost anything.  NULL when any handler
 * of it takes every event (no filter, a perf-style sub, '*' or
 * trace_unhandled).  g_free() it. */
char *vg_perl_event_filter(VgPerl *p, const char *event);
/* The exact event names (no globs, no syscalls:*) the scripts' `on`
 * subscriptions and perf-style subs name that md lacks: with vigil.ko,
 * the kernel's tracepoints that vigild reads beside it.  Never NULL;
 * g_ptr_array_unref the result. */
GPtrArray *vg_perl_absent_events(VgPerl *p, const VgMetadata *md);
/* The kernel events (names for vigil.ko) the loaded scripts need on md:
 * those their `on` subscriptions and perf-style subs name (globs matched
 * against md's classes; syscalls:* give raw_syscalls:sys_enter/exit),
 * plus what the task table lives on (sched_process_fork/exec/exit,
 * task:task_rename when the module has it) and
 * vigil's own events (statedump, annotations).  NULL: all of them (a
 * script defines trace_unhandled or subscribes to '*').  g_ptr_array_unref
 * the result. */
GPtrArray *vg_perl_wanted_events(VgPerl *p, const VgMetadata *md);

/* The events the scripts ask callchains for (Vigil::stacks), each
 * once.  With md, a name that is none of md's events is an error naming
 * the script and line.  NULL only on that error; g_ptr_array_unref the
 * result. */
GPtrArray *vg_perl_stack_events(VgPerl *p, const VgMetadata *md,
				GError **error);

/* The metrics the scripts publish (Vigil::metric_counter, _gauge,
 * _aggr; perl/lib/Vigil/Metrics.pm) in the Prometheus text exposition
 * format 0.0.4, rendered now in one call: every value as the last
 * handler or timer left it.  "" when no script publishes any (or the
 * scripts have ended).  NULL with *error set when the rendering died.
 * *len: the text's length (UTF-8).  g_free the result. */
char *vg_perl_metrics(VgPerl *p, gsize *len, GError **error);

void vg_perl_get_stats(const VgPerl *p, VgPerlStats *out);
/* The live counters (valid as long as p): for per-event bookkeeping
 * without copying them. */
const VgPerlStats *vg_perl_stats_ref(const VgPerl *p);
/* TRUE once max_errors was reached (or Vigil::stop() was called). */
gboolean vg_perl_stopped(const VgPerl *p);

void vg_perl_free(VgPerl *p);

G_END_DECLS

#endif
