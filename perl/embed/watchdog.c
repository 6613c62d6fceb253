/*
 * watchdog.c - the per-call watchdog: a handler call that runs too long
 * is reported (which handler, on which event, the line it is at now),
 * and past a second limit it is aborted: the handler dies there, and
 * the death is reported and counted as any handler error; the daemon
 * goes on with the next event.
 *
 * Cost on the per-event path: the call generation (below), a counter
 * the dispatch writes next to the counters it writes anyway.  No clock
 * read, no lock, no system call per event.
 *
 * How it works:
 *
 *  1. vg_pl_wd_call.gen, the call generation, is odd while the
 *     interpreter thread is in a watched call and even when it is not;
 *     each new call gives it a new value (watchdog.h: vg_pl_wd_event_begin,
 *     _next and _event_end around an event's calls in dispatch.c;
 *     vg_pl_wd_enter/_leave, which nest, around vg_pl_call, END blocks
 *     and loading a script).  Only the interpreter thread writes it.
 *  2. The watchdog thread reads it every tick (a tenth of the shorter
 *     limit, 10 ms .. 500 ms).  The same odd value seen for longer than
 *     a limit is one call that long (measured from the tick that first
 *     saw it: up to a tick late).
 *  3. It writes its request (report and/or abort, for which generation,
 *     how long) under wd.lock and sends VG_PL_WD_SIGNAL to the
 *     interpreter thread (pthread_kill).  The signal interrupts a
 *     sleeping system call (sleep, select, a blocking read) and its
 *     handler, async-signal-safe, sets two flags: ours and the running
 *     interpreter's PL_sig_pending.
 *  4. At the next op boundary Perl's safe-signal check (PERL_ASYNC_CHECK)
 *     calls PL_signalhook, which is ours in every interpreter we make:
 *     it runs the request on the interpreter thread, where the
 *     interpreter may be read (the handler is the outermost sub on the
 *     context stack, the line it is at PL_curcop), then Perl's own
 *     despatcher for the signals of the scripts' %SIG.  A request for a
 *     generation that has ended meanwhile is dropped.
 *  5. An abort is a croak from there: " at FILE line N." is appended.
 *     An eval {} in the handler may catch it, so an abort is sent again
 *     every second while the same call goes on.
 *
 * What it cannot interrupt: code that reaches no op boundary (one
 * regular expression that backtracks for ever, one long C call); a
 * handler that catches every death in a loop of its own is reported
 * but never stops.
 */
#define PERL_NO_GET_CONTEXT
#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "embed_priv.h"
#include "watchdog.h"

VgPlWatchCall vg_pl_wd_call;

enum {
	VG_PL_WD_REPORT = 1,
	VG_PL_WD_ABORT = 2,
};

#define VG_PL_WD_RESEND_US	G_USEC_PER_SEC	/* abort again after 1 s */

static struct {
	GMutex lock;		/* the fields below but `perl` and `flag` */
	GCond cond;		/* stop */
	GThread *thread;
	gboolean stop;
	pthread_t perl_thread;
	guint report_ms, abort_ms;
	/* the request of the watchdog thread */
	int kind;		/* VG_PL_WD_REPORT | VG_PL_WD_ABORT */
	guint64 gen;		/* for this call */
	gint64 us;		/* running this long when asked */
} wd;

/* Set and read on the interpreter thread and in its signal handler
 * only: the interpreter whose PL_sig_pending the signal marks, and the
 * request flag the signal leaves for the hook. */
static PerlInterpreter *volatile wd_perl;
static volatile sig_atomic_t wd_flag;
static despatch_signals_proc_t wd_prev_hook;

static void vg_pl_wd_sig(int sig)
{
	PerlInterpreter *my_perl = wd_perl;

	(void)sig;
	wd_flag = 1;
	if (my_perl)
		PL_sig_pending = 1;
}

void vg_pl_wd_interp(PerlInterpreter *perl)
{
	wd_perl = perl;
}

/* ---- the interpreter thread: the request at an op boundary ------------ */

/* The handler that runs: the outermost sub on the bottom stack (the
 * calls of the dispatch, vg_pl_call and END all start there). */
static CV *vg_pl_wd_outer_cv(pTHX)
{
	PERL_SI *si = PL_curstackinfo;
	I32 i;

	while (si->si_prev)
		si = si->si_prev;
	for (i = 0; i <= si->si_cxix; i++) {
		const PERL_CONTEXT *cx = &si->si_cxstack[i];

		if (CxTYPE(cx) == CXt_SUB)
			return cx->blk_sub.cv;
	}
	return NULL;
}

/* "handler on 'sched:*' (x.pl line 3) on event E ts=... tid=...", or
 * the what of vg_pl_call ("every 1 s at x.pl line 5"), or the sub's
 * name (END, perf-style subs); NULL when no sub runs: the call is
 * returning (Perl checks its signals on the way out too). */
static char *vg_pl_wd_describe(pTHX_ VgPerl *p)
{
	const VgEvent *e = vg_pl_wd_call.event;
	CV *cv = vg_pl_wd_outer_cv(aTHX);
	GString *s;
	guint i;

	if (!cv)
		return NULL;
	s = g_string_new(vg_pl_wd_call.what);
	for (i = 0; !s->len && p && p->in && p->in->subs &&
	     i < p->in->subs->len; i++) {
		VgPlSub *sub = g_ptr_array_index(p->in->subs, i);

		if (SvROK(sub->cv) && (CV *)SvRV(sub->cv) == cv)
			g_string_printf(s, "handler on '%s' (%s)", sub->pattern,
					sub->where);
	}
	if (!s->len)
		g_string_printf(s, "sub %s", SvPV_nolen(cv_name(cv, NULL, 0)));
	if (e)
		g_string_append_printf(s, " on event %s ts=%" G_GUINT64_FORMAT
				       " cpu=%u tid=%d comm=%s", e->cls->name,
				       (guint64)e->ts, (unsigned)e->cpu,
				       (int)e->tid,
				       e->task ? e->task->comm : "<unknown>");
	return g_string_free(s, FALSE);
}

static void vg_pl_wd_act(pTHX)
{
	VgPerl *p = vg_pl_current;
	int kind;
	guint64 gen;
	gint64 us;
	char *what;

	g_mutex_lock(&wd.lock);
	kind = wd.kind;
	gen = wd.gen;
	us = wd.us;
	wd.kind = 0;
	g_mutex_unlock(&wd.lock);
	/* the call it was meant for has ended, or is returning */
	if (!kind || gen != vg_pl_wd_call.gen)
		return;
	what = vg_pl_wd_describe(aTHX_ p);
	if (!what)
		return;
	if (kind & VG_PL_WD_REPORT) {
		char abort_after[64] = "";
		STRLEN len;
		const char *m;

		if (p)
			p->stats.watchdog_reports++;
		if (wd.abort_ms && !(kind & VG_PL_WD_ABORT))
			g_snprintf(abort_after, sizeof(abort_after),
				   " (aborted at %.1f s)", wd.abort_ms / 1e3);
		/* mess(): " at FILE line N." where the handler is, as in
		 * its die messages */
		m = SvPV(mess("watchdog: %s has been running for %.1f s%s, "
			      "now", what, us / 1e6, abort_after), len);
		while (len > 0 && m[len - 1] == '\n')
			len--;
		g_warning("%.*s", (int)len, m);
	}
	g_free(what);
	if (kind & VG_PL_WD_ABORT) {
		if (p)
			p->stats.watchdog_aborts++;
		/* " at FILE line N." follows */
		Perl_croak(aTHX_ "vigild watchdog: call aborted after %.1f s "
			   "(watchdog.abort_after %.1f s)", us / 1e6,
			   wd.abort_ms / 1e3);
	}
}

/* PL_signalhook of our interpreters: the watchdog's request first, then
 * Perl's signals. */
static void vg_pl_wd_signalhook(pTHX)
{
	if (wd_flag) {
		wd_flag = 0;
		/* Perl's own pending signals, if any, still run: now, or at
		 * the next op boundary if the request aborts the call */
		PL_sig_pending = 1;
		vg_pl_wd_act(aTHX);
	}
	wd_prev_hook(aTHX);
}

void vg_pl_wd_hook_interp(pTHX)
{
	if (PL_signalhook != vg_pl_wd_signalhook) {
		wd_prev_hook = PL_signalhook;
		PL_signalhook = vg_pl_wd_signalhook;
	}
}

/* ---- the watchdog thread ------------------------------------------------- */

static void vg_pl_wd_send(int kind, guint64 gen, gint64 us)
{
	/* (wd.lock held) */
	wd.kind |= kind;
	wd.gen = gen;
	wd.us = us;
	pthread_kill(wd.perl_thread, VG_PL_WD_SIGNAL);
}

static gpointer vg_pl_wd_main(gpointer data)
{
	gint64 report_us = (gint64)wd.report_ms * 1000;
	gint64 abort_us = (gint64)wd.abort_ms * 1000;
	gint64 shorter = report_us && abort_us ? MIN(report_us, abort_us) :
		MAX(report_us, abort_us);
	gint64 tick = CLAMP(shorter / 10, 10000, 500000);
	guint64 seen = 0;
	gint64 since = 0, aborted = 0;
	gboolean reported = FALSE;

	(void)data;
	g_mutex_lock(&wd.lock);
	while (!wd.stop) {
		guint64 gen;
		gint64 now;

		g_cond_wait_until(&wd.cond, &wd.lock,
				  g_get_monotonic_time() + tick);
		if (wd.stop)
			break;
		gen = __atomic_load_n(&vg_pl_wd_call.gen, __ATOMIC_RELAXED);
		now = g_get_monotonic_time();
		if (!(gen & 1) || gen != seen) {
			/* idle, or a new call since the last tick */
			seen = gen;
			since = now;
			reported = FALSE;
			aborted = 0;
			continue;
		}
		if (report_us && !reported && now - since >= report_us) {
			reported = TRUE;
			vg_pl_wd_send(VG_PL_WD_REPORT, gen, now - since);
		}
		if (abort_us && now - since >= abort_us &&
		    (!aborted || now - aborted >= VG_PL_WD_RESEND_US)) {
			aborted = now;
			vg_pl_wd_send(VG_PL_WD_ABORT, gen, now - since);
		}
	}
	g_mutex_unlock(&wd.lock);
	return NULL;
}

void vg_pl_wd_start(guint report_ms, guint abort_ms)
{
	static gsize installed;
	sigset_t set, old;

	if ((!report_ms && !abort_ms) || wd.thread)
		return;
	if (g_once_init_enter(&installed)) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = vg_pl_wd_sig;
		sigemptyset(&sa.sa_mask);
		/* no SA_RESTART: a blocking read or sleep of the handler
		 * returns, and Perl runs its safe signals */
		sa.sa_flags = 0;
		sigaction(VG_PL_WD_SIGNAL, &sa, NULL);
		g_once_init_leave(&installed, 1);
	}
	wd.perl_thread = pthread_self();
	wd.report_ms = report_ms;
	wd.abort_ms = abort_ms;
	wd.stop = FALSE;
	wd.kind = 0;
	/* the signal is for the interpreter thread only */
	sigemptyset(&set);
	sigaddset(&set, VG_PL_WD_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	wd.thread = g_thread_new("vigild-watchdog", vg_pl_wd_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void vg_pl_wd_stop(void)
{
	if (!wd.thread)
		return;
	g_mutex_lock(&wd.lock);
	wd.stop = TRUE;
	g_cond_signal(&wd.cond);
	g_mutex_unlock(&wd.lock);
	g_thread_join(wd.thread);
	wd.thread = NULL;
	/* a signal sent before the join finds nothing to do */
	wd.kind = 0;
}
