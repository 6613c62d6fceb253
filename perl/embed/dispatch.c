/*
 * dispatch.c - the per-event path from the merge into Perl.
 *
 * Per event: one pointer load (the class's cached VgPlDisp), the C
 * filters, then for each handler that wants the event: the class's
 * reusable event object filled in place (or perf's reusable positional
 * arguments) and one sub call inside the dispatch frame (see "the fast
 * path" below: no eval scope per call, one setjmp per event; the
 * handler's sub context kept between its calls, no pp_entersub).  Names are
 * resolved once per class, the first time an event of the class is seen.
 * Callbacks without an event (every, trace_begin/end) use vg_pl_call:
 * call_sv with G_EVAL.  Every call is marked for the watchdog
 * (watchdog.h: a counter written per call, nothing else).
 */
#define PERL_NO_GET_CONTEXT
#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>

#include <string.h>
#include <time.h>

#include "vg_core.h"
#include "vg_stream.h"
#include "vg_filter_eval.h"
#include "embed_priv.h"
#include "watchdog.h"
#include "vg_events_gen.h"	/* event names by role, from kmod/vigil_events.h */

guint64 vg_pl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (guint64)ts.tv_sec * 1000000000u + (guint64)ts.tv_nsec;
}

/* ---- errors ------------------------------------------------------------ */

#define VG_PL_LOG_ALL_ERRORS 100
#define VG_PL_EXIT_MARK "Vigil::exit\n"	/* = $Vigil::_EXIT_MARK */
#define VG_PL_LOG_EVERY 1000

static void vg_pl_error(VgPerl *p, const char *what, VgEvent *e)
{
	PerlInterpreter *my_perl = p->perl;
	STRLEN len;
	const char *msg = SvPV(ERRSV, len);
	guint64 n;

	/* exit() in a handler (Vigil.pm): tracing stops, not an error */
	if (len == sizeof(VG_PL_EXIT_MARK) - 1 &&
	    memcmp(msg, VG_PL_EXIT_MARK, len) == 0) {
		return;
	}
	n = ++p->stats.errors;
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	if (n <= VG_PL_LOG_ALL_ERRORS || n % VG_PL_LOG_EVERY == 0) {
		const char *more = n == VG_PL_LOG_ALL_ERRORS ?
			" (further errors are counted, and logged once per "
			G_STRINGIFY(VG_PL_LOG_EVERY) ")" : "";

		if (e)
			g_warning("handler error %" G_GUINT64_FORMAT
				  " (%s) on event %s ts=%" G_GUINT64_FORMAT
				  " cpu=%u tid=%d pid=%d comm=%s: %.*s%s",
				  n, what, e->cls->name, (guint64)e->ts,
				  (unsigned)e->cpu, (int)e->tid,
				  e->task ? (int)e->task->pid : (int)e->tid,
				  e->task ? e->task->comm : "<unknown>",
				  (int)len, msg, more);
		else
			g_warning("handler error %" G_GUINT64_FORMAT
				  " (%s): %.*s%s", n, what, (int)len, msg, more);
	}
	if (p->cfg.max_errors && n >= p->cfg.max_errors && !p->stopped) {
		p->stopped = TRUE;
		g_warning("%" G_GUINT64_FORMAT " handler errors: the limit "
			  "(max_errors %u) is reached, stopping", n,
			  p->cfg.max_errors);
		if (p->hooks.stop)
			p->hooks.stop("too many handler errors",
				      p->hooks.user_data);
	}
}

/* Handler time is measured on one call in VG_PL_TIME_EVERY and scaled:
 * reading the clock twice per call would cost as much as a small
 * handler's body.  Calls without an event (every, trace_begin/end) are
 * always measured. */
#define VG_PL_TIME_EVERY 16

void vg_pl_call(VgPerl *p, SV *cv, const char *what, VgEvent *e)
{
	PerlInterpreter *my_perl = p->perl;
	VgPlWatchSaved ws = vg_pl_wd_enter(e, what);

	if (G_LIKELY(e && (++p->calls % VG_PL_TIME_EVERY) != 0)) {
		call_sv(cv, G_VOID | G_DISCARD | G_EVAL);
	} else {
		guint64 t0 = vg_pl_now_ns();

		call_sv(cv, G_VOID | G_DISCARD | G_EVAL);
		p->stats.perl_ns += (vg_pl_now_ns() - t0) *
			(e ? VG_PL_TIME_EVERY : 1);
	}
	vg_pl_wd_leave(ws);
	/* a child the handler forked never goes on as vigild */
	VG_PERL_LEAVE_IF_FORKED();
	if (G_UNLIKELY(SvTRUE(ERRSV)))
		vg_pl_error(p, what, e);
}

/* ---- resolution, once per class ----------------------------------------- */

static VgPlFast vg_pl_fast_of(SV *sv);

static gboolean vg_pl_is_raw_syscall(const VgEventClass *cls)
{
	return cls->name && (strcmp(cls->name, VG_EV_SYS_ENTER) == 0 ||
			     strcmp(cls->name, VG_EV_SYS_EXIT) == 0);
}

static CV *vg_pl_defined_cv(pTHX_ const char *name)
{
	CV *cv = get_cv(name, 0);

	if (cv && (CvROOT(cv) || CvXSUB(cv)))
		return cv;
	return NULL;
}

VgPlDisp *vg_pl_resolve(VgPerl *p, VgEventClass *cls)
{
	PerlInterpreter *my_perl = p->perl;
	VgPlInterp *in = p->in;
	VgPlDisp *d = g_new0(VgPlDisp, 1);
	GArray *hs = g_array_new(FALSE, TRUE, sizeof(VgPlHandler));
	guint i;

	d->cls = cls;
	for (i = 0; in && i < in->subs->len; i++) {
		VgPlSub *s = g_ptr_array_index(in->subs, i);
		VgPlHandler h = { s->cv, NULL, s, vg_pl_fast_of(s->cv) };

		if (s->glob ? !g_pattern_match_simple(s->pattern, cls->name) :
		    strcmp(s->pattern, cls->name) != 0)
			continue;
		if (s->filter) {
			GError *err = NULL;

			h.filter = vg_filter_compile(s->filter, cls, &err);
			if (!h.filter) {
				g_critical("%s: on '%s': filter \"%s\" for event "
					   "%s: %s; this handler gets no %s "
					   "events", s->where, s->pattern,
					   s->filter, cls->name, err->message,
					   cls->name);
				g_error_free(err);
				s->bad = TRUE;
				continue;
			}
		}
		g_array_append_val(hs, h);
	}
	d->n_handlers = hs->len;
	d->handlers = (VgPlHandler *)(void *)g_array_free(hs, FALSE);
	hs = g_array_new(FALSE, TRUE, sizeof(VgPlAggBind));
	for (i = 0; in && i < in->aggrs->len; i++) {
		VgPlAggSpec *s = g_ptr_array_index(in->aggrs, i);
		GError *err = NULL;
		VgPlAggBind b;

		if (s->glob ? !g_pattern_match_simple(s->pattern, cls->name) :
		    strcmp(s->pattern, cls->name) != 0)
			continue;
		if (!vg_pl_agg_bind(s, cls, &b, &err)) {
			g_critical("%s: aggregate '%s': event %s: %s; this "
				   "aggregation gets no %s events", s->where,
				   s->pattern, cls->name, err->message,
				   cls->name);
			g_error_free(err);
			s->bad = TRUE;
			continue;
		}
		g_array_append_val(hs, b);
	}
	d->n_aggrs = hs->len;
	d->aggrs = (VgPlAggBind *)(void *)g_array_free(hs, FALSE);
	if (in && in->perf_mode && cls->subsys && cls->event) {
		char *name = g_strdup_printf("%s::%s", cls->subsys, cls->event);

		d->perf_cv = vg_pl_defined_cv(aTHX_ name);
		if (d->perf_cv)
			d->perf_what = g_strdup_printf("sub %s", name);
		g_free(name);
	}
	d->derive = in && in->want_syscalls && p->md &&
		vg_pl_is_raw_syscall(cls);
	if (in && in->trace_unhandled_cv && !d->n_handlers && !d->perf_cv &&
	    !d->n_aggrs && cls->id < VG_SYSCALL_ENTER_ID_BASE && !d->derive)
		d->unhandled_cv = in->trace_unhandled_cv;
	if (d->unhandled_cv)
		d->perf_what = g_strdup("sub main::trace_unhandled");
	d->perf_fast = vg_pl_fast_of((SV *)(d->perf_cv ? d->perf_cv :
					    d->unhandled_cv));
	if (d->n_handlers || d->perf_cv || d->unhandled_cv)
		d->pc = vg_pl_class_new(aTHX_ cls);
	d->calls_or_aggrs = d->perf_cv || d->unhandled_cv || d->n_aggrs;
	d->after = d->derive || (in && in->want_enters && cls->name &&
				 strcmp(cls->name, VG_EV_EXIT) == 0);
	/* one consumer with a filter, nothing else: an event the filter
	 * rejects is only counted (vg_perl_deliver_counted, inline) */
	if (d->n_handlers + d->n_aggrs == 1 && !d->perf_cv &&
	    !d->unhandled_cv && !d->after)
		d->gate = d->n_handlers ? d->handlers[0].filter : d->aggrs[0].filter;
	d->idle = !d->n_handlers && !d->n_aggrs && !d->perf_cv &&
		!d->unhandled_cv && !d->after;
	d->aggr_only = !d->n_handlers && d->n_aggrs && !d->perf_cv &&
		!d->unhandled_cv && !d->after;
	cls->dispatch = d;
	g_ptr_array_add(p->disps, d);
	return d;
}

void vg_pl_disp_free(VgPerl *p, VgPlDisp *d)
{
	PerlInterpreter *my_perl = p->perl;
	guint i;

	for (i = 0; i < d->n_handlers; i++)
		if (d->handlers[i].filter)
			vg_filter_free(d->handlers[i].filter);
	g_free(d->handlers);
	for (i = 0; i < d->n_aggrs; i++)
		vg_pl_agg_unbind(&d->aggrs[i]);
	g_free(d->aggrs);
	g_free(d->perf_what);
	if (d->pc && my_perl)
		vg_pl_class_free(aTHX_ d->pc);
	g_free(d);
}

void vg_pl_enter_free(gpointer data)
{
	VgPlEnter *en = data;

	for (guint i = 0; i < en->n; i++)
		g_free(en->strs[i]);
	g_free(en);
}

/* Keep de (a derived syscalls:sys_enter_NAME) as its thread's last
 * entry. */
static void vg_pl_enter_keep(VgPerl *p, VgEvent *de)
{
	VgPlEnter *en = g_hash_table_lookup(p->enters, GINT_TO_POINTER(de->tid));
	guint i;

	/* the thread's entry is reused: no allocation per syscall */
	if (en) {
		for (i = 0; i < en->n; i++)
			g_free(en->strs[i]);
		memset(en, 0, sizeof(*en));
	} else {
		en = g_new0(VgPlEnter, 1);
		g_hash_table_insert(p->enters, GINT_TO_POINTER(de->tid), en);
	}

	en->cls = de->cls;
	en->ts = de->ts;
	en->n = MIN(de->cls->n_fields, G_N_ELEMENTS(en->ints));
	for (i = 0; i < en->n; i++) {
		if (vg_event_field_kind(de, i) == VG_FIELD_STRING) {
			gsize len;
			const char *s = vg_event_str(de, i, &len);

			en->strs[i] = s ? g_strndup(s, len) : g_strdup("");
		} else {
			en->ints[i] = vg_event_int(de, i);
		}
	}
}

/* Forget every cached resolution (new metadata, new interpreter). */
void vg_pl_unbind(VgPerl *p)
{
	guint i;

	/* the kept entries point to classes of the old metadata */
	g_hash_table_remove_all(p->enters);

	for (i = 0; i < p->disps->len; i++) {
		VgPlDisp *d = g_ptr_array_index(p->disps, i);

		if (d->cls->dispatch == d)
			d->cls->dispatch = NULL;
		vg_pl_disp_free(p, d);
	}
	g_ptr_array_set_size(p->disps, 0);
}

/* ---- periodic callbacks on replay ---------------------------------------- */

static void vg_pl_next_tick(VgPerl *p)
{
	guint i;

	p->next_tick = G_MAXUINT64;
	for (i = 0; p->in && i < p->in->everys->len; i++) {
		VgPlEvery *ev = g_ptr_array_index(p->in->everys, i);

		if (ev->next_due < p->next_tick)
			p->next_tick = ev->next_due;
	}
}

void vg_pl_run_ticks(VgPerl *p, guint64 ts)
{
	PerlInterpreter *my_perl = p->perl;
	guint i;

	if (!p->cfg.replay || !p->in || !p->in->everys->len || p->stopped) {
		p->next_tick = G_MAXUINT64;
		return;
	}
	if (!p->ticks_started) {
		/* the first event starts every clock */
		for (i = 0; i < p->in->everys->len; i++) {
			VgPlEvery *ev = g_ptr_array_index(p->in->everys, i);

			ev->next_due = ts + ev->period_ns;
		}
		p->ticks_started = TRUE;
		vg_pl_next_tick(p);
		return;
	}
	while (p->next_tick <= ts && !p->stopped) {
		VgPlEvery *first = NULL;

		for (i = 0; i < p->in->everys->len; i++) {
			VgPlEvery *ev = g_ptr_array_index(p->in->everys, i);

			if (ev->next_due == p->next_tick) {
				first = ev;
				break;
			}
		}
		first->next_due += first->period_ns;
		vg_pl_next_tick(p);
		vg_pl_frame_idle(p->in);	/* (before its arguments) */
		{
			dSP;
			PUSHMARK(SP);
			PUTBACK;
		}
		p->stats.ticks++;
		vg_pl_call(p, first->cv, first->where, NULL);
		/* periodic reports appear when made, even into a pipe */
		PerlIO_flush(PerlIO_stdout());
	}
}

/* ---- the fast path ----------------------------------------------------------- */

/*
 * Handler calls run inside one eval context that stays on the context
 * stack while events flow (the "dispatch frame"): pushing and popping an
 * eval scope per call (call_sv with G_EVAL) costs as much as a small
 * handler's body.  Per event there is only a setjmp (JMPENV_PUSH), so a
 * die still lands here, on the event it happened on.  die_unwind pops
 * the frame on its way; the next call pushes a new one.
 *
 * The frame: ENTER, SAVETMPS (temporaries of a handler are freed after
 * each call), then the eval context.
 */
static void vg_pl_frame_push(VgPerl *p, VgPlInterp *in)
{
	PerlInterpreter *my_perl = in->perl;
	OP *oldop = PL_op;

	Zero(&in->callop, 1, LOGOP);
	in->callop.op_flags = OPf_STACKED | OPf_WANT_VOID;
	PL_op = (OP *)&in->callop;	/* GIMME_V of the eval: void */
	ENTER;
	SAVETMPS;
	Perl_create_eval_scope(aTHX_ NULL, G_FAKINGEVAL);
	in->frame_cxix = cxstack_ix;
	in->frame = TRUE;
	PL_op = oldop;
	(void)p;
}

/*
 * The kept sub context: the common handler - a pure-Perl sub, not
 * running - is not entered through pp_entersub per call.  Its sub
 * context (CXt_SUB, flagged CXp_MULTICALL so that its leavesub and a
 * `return` stop the run loop instead of popping it) is pushed above the
 * frame once and stays there while the same sub is called again; a call
 * then only sets @_, runs the sub's ops from CvSTART, and undoes what the
 * call left (its savestack: the `my` variables it introduced, its
 * `local`s; the marks, scopes and match state of the block; its
 * temporaries).  That is what pp_entersub and pp_leavesub do per call,
 * without the work that does not change between calls (the context,
 * CvDEPTH, the pad, *_ pointing to the pad's @_).
 *
 * When each is taken:
 *   - kept context: the handler's sub is pure Perl, its op tree has no
 *     goto (Perl refuses `goto &sub` and a goto out of the sub in a
 *     multicall context), it is not running (CvDEPTH 0) when its context
 *     is set up or switched to (once kept, CvDEPTH is 1 and a recursive
 *     call gets depth 2 and a pad of its own), its op tree is the one
 *     looked at (not redefined), no debugger and no profiler's entersub
 *     are in place;
 *   - the plain call (vg_pl_invoke_plain, pp_entersub as call_sv does
 *     it without G_EVAL): every other case.  The kept context is taken
 *     off first, so a plain call never runs above another handler's.
 * A call of another handler's sub (several handlers, several classes)
 * switches the kept context to that sub (vg_pl_mc_switch: @_, *_,
 * CvDEPTH, pad; the block stays).  There is one kept context at most,
 * that of the sub called last: a context below the top one would be a
 * caller of the running handler (caller(), die messages, the watchdog's
 * report would see it), so one per handler sub is not possible.
 *
 * The context goes (vg_pl_mc_drop, a cx_popsub as Perl does on leaving
 * a sub) before a plain call, when a call left @_ reified or *_ pointing
 * elsewhere, before Perl runs anything but the handlers (vg_pl_call:
 * every, trace_begin/end, dump callbacks; the metrics), and with the
 * frame (reload, trace_end, destruction).  A die or exit in a handler
 * pops it on the way (dounwind: a cx_popsub like any sub's); the next
 * call sets up a new one.
 *
 * Inside the handler everything sees an ordinary call: caller() finds
 * the sub with its arguments (hasargs, @DB::args), wantarray is undef
 * (void), recursion pushes a new pad (CvDEPTH is 1 while the context is
 * kept), __SUB__ and string evals find the sub, sort blocks and nested
 * calls push contexts of their own above it.
 */

/* Perl's own entersub (libperl exports it; pp_proto.h declares it for
 * the core only): a profiler or debugger that replaced it in PL_ppaddr
 * sees every call, so the kept context is not used then. */
PERL_CALLCONV OP *Perl_pp_entersub(pTHX);

/* Whether the op tree from o (and its siblings) has a goto or a dump. */
static gboolean vg_pl_has_goto(OP *o)
{
	for (; o; o = OpSIBLING(o)) {
		if (o->op_type == OP_GOTO || o->op_type == OP_DUMP)
			return TRUE;
		if ((o->op_flags & OPf_KIDS) &&
		    vg_pl_has_goto(cUNOPx(o)->op_first))
			return TRUE;
	}
	return FALSE;
}

/* What the dispatch needs to know of sv (a code ref or a CV) to run it
 * in a kept context: its CV and op tree, or none. */
static VgPlFast vg_pl_fast_of(SV *sv)
{
	VgPlFast f = { NULL, NULL };
	CV *cv;

	if (sv && SvROK(sv))
		sv = SvRV(sv);
	if (!sv || SvTYPE(sv) != SVt_PVCV)
		return f;
	cv = (CV *)sv;
	if (CvISXSUB(cv) || !CvROOT(cv) || !CvSTART(cv) ||
	    vg_pl_has_goto(CvROOT(cv)))
		return f;
	f.cv = cv;
	f.root = CvROOT(cv);
	return f;
}

/* Take the kept context off the context stack: what leaving the sub
 * would do (its savestack, @_ and *_, CvDEPTH, the pad, the block). */
static void vg_pl_mc_drop(pTHX_ VgPlInterp *in)
{
	PERL_CONTEXT *cx;

	if (G_LIKELY(!in->mc_cv))
		return;
	in->mc_cv = NULL;
	if (cxstack_ix != in->mc_cxix || CxTYPE(CX_CUR()) != CXt_SUB) {
		/* cannot happen: a call leaves the stack as it found it */
		g_critical("perl dispatch: context stack at %d, expected the "
			   "kept handler context at %d", (int)cxstack_ix,
			   (int)in->mc_cxix);
		return;
	}
	cx = CX_CUR();
	PL_comppad = in->mc_pad;	/* (cx_popsub reads @_ from it) */
	PL_curpad = AvARRAY(PL_comppad);
	CX_LEAVE_SCOPE(cx);
	cx_popsub(cx);
	cx_popblock(cx);
	CX_POP(cx);
}

void vg_pl_frame_idle(VgPlInterp *in)
{
	PerlInterpreter *my_perl;

	/* Called while a handler runs (a dump whose done callback runs
	 * during Vigil::dump): what runs now is the handler's callee, the
	 * context stays under it.  (The watchdog's generation is odd while
	 * an event's handlers or a vg_pl_call run: watchdog.h.) */
	if (!in || !in->mc_cv || (vg_pl_wd_call.gen & 1))
		return;
	my_perl = in->perl;
	PERL_SET_CONTEXT(my_perl);
	vg_pl_mc_drop(aTHX_ in);
}

/* The frame and the kept context above it off the context stack. */
void vg_pl_frame_pop(VgPerl *p, VgPlInterp *in)
{
	PerlInterpreter *my_perl;
	OP *oldop;

	(void)p;
	if (!in || !in->frame)
		return;
	my_perl = in->perl;
	PERL_SET_CONTEXT(my_perl);
	oldop = PL_op;
	vg_pl_mc_drop(aTHX_ in);
	in->frame = FALSE;
	if (cxstack_ix != in->frame_cxix ||
	    CxTYPE(CX_CUR()) != CXt_EVAL) {
		/* cannot happen: calls leave the stack as they found it */
		g_critical("perl dispatch: context stack at %d, expected the "
			   "dispatch frame at %d", (int)cxstack_ix,
			   (int)in->frame_cxix);
		return;
	}
	PL_op = (OP *)&in->callop;
	Perl_delete_eval_scope(aTHX);
	FREETMPS;
	LEAVE;
	PL_op = oldop;
}

/* Whether f's sub can run in the kept context now. */
static inline gboolean vg_pl_mc_can(pTHX_ const VgPlFast *f)
{
	return CvDEPTH(f->cv) == 0 && CvROOT(f->cv) == f->root &&
		!PL_perldb && PL_ppaddr[OP_ENTERSUB] == Perl_pp_entersub;
}

/* The kept context cx entered into cv (its blk_sub.cv already cv): the
 * depth and pad of a first call, *_ the pad's @_ while the sub runs
 * (the caller's comes back when the context goes: cx_popsub). */
static void vg_pl_mc_enter(pTHX_ VgPlInterp *in, PERL_CONTEXT *cx, CV *cv)
{
	AV *av;

	CvDEPTH(cv) = 1;
	PAD_SET_CUR_NOSAVE(CvPADLIST(cv), 1);
	av = MUTABLE_AV(PAD_SVl(0));
	cx->blk_sub.savearray = GvAV(PL_defgv);
	GvAV(PL_defgv) = MUTABLE_AV(SvREFCNT_inc_simple_NN(av));
	in->mc_cv = cv;
	in->mc_av = av;
	in->mc_pad = PL_comppad;
}

/* Make the kept context f's (its @_ and *_, CvDEPTH and pad), that of
 * another sub so far: what cx_popsub does for the one and pp_entersub
 * for the other, the block (its saved stack positions) left as it is.
 * Several handlers of an event, or of events in turn, cost this per
 * call rather than a context taken off and pushed again. */
static void vg_pl_mc_switch(pTHX_ VgPlInterp *in, const VgPlFast *f)
{
	PERL_CONTEXT *cx = CX_CUR();
	CV *old = in->mc_cv, *cv = f->cv;
	AV *av = in->mc_av;

	/* the old sub left: its pad's @_ clean for its next entry, *_ and
	 * its depth as before its context */
	CLEAR_ARGARRAY(av);
	GvAV(PL_defgv) = cx->blk_sub.savearray;
	SvREFCNT_dec_NN(av);
	CvDEPTH(old) = cx->blk_sub.olddepth;
	SvREFCNT_dec_NN(old);
	/* the new one entered */
	cx->blk_sub.cv = cv;
	cx->blk_sub.olddepth = 0;
	SvREFCNT_inc_simple_void_NN(cv);
	vg_pl_mc_enter(aTHX_ in, cx, cv);
}

/* Push f's sub context above the frame (what pp_entersub does, but for
 * all the calls to come), or switch the kept one to f's sub; the
 * arguments of the first call are on the stack above base.  FALSE when
 * the plain call must be made. */
static gboolean vg_pl_mc_setup(pTHX_ VgPlInterp *in, const VgPlFast *f,
			       SSize_t base)
{
	CV *cv = f->cv;
	PERL_CONTEXT *cx;

	if (!vg_pl_mc_can(aTHX_ f))
		return FALSE;
	if (in->mc_cv) {
		vg_pl_mc_switch(aTHX_ in, f);
		return TRUE;
	}
	PL_op = (OP *)&in->callop;	/* (cx_pushsub reads its flags) */
	cx = cx_pushblock(CXt_SUB | CXp_MULTICALL, G_VOID,
			  PL_stack_base + base, PL_savestack_ix);
	cx_pushsub(cx, cv, NULL, TRUE);
	vg_pl_mc_enter(aTHX_ in, cx, cv);
	in->mc_cxix = cxstack_ix;
	return TRUE;
}

/* After a call in the kept context (its leavesub or return stopped the
 * run loop): undo what the call did, keep the context for the next one
 * unless the call left it unusable. */
static inline void vg_pl_mc_end(pTHX_ VgPlInterp *in)
{
	PERL_CONTEXT *cx = CX_CUR();
	AV *av = in->mc_av;

	/* the `my` variables it introduced cleared, its locals restored:
	 * pp_leavesub's CX_LEAVE_SCOPE */
	CX_LEAVE_SCOPE(cx);
	/* marks, scopes and the last match as at the sub's start; the
	 * stack empty (return values dropped: a void call) */
	cx_topblock(cx);
	PL_op = NULL;
	FREETMPS;
	/* @_ taken over (\@_, push @_: reified, it holds references
	 * now), *_ pointed elsewhere: the context goes as a sub's would
	 * (cx_popsub: a reified @_ is left to whoever holds it) */
	if (G_UNLIKELY(AvREAL(av) || GvAV(PL_defgv) != av ||
		       cxstack_ix != in->mc_cxix || PL_comppad != in->mc_pad))
		vg_pl_mc_drop(aTHX_ in);
	else
		AvFILLp(av) = -1;	/* (no stale event in @_ between calls) */
}

/* A call in the kept context: @_ from the arguments on the stack above
 * base, then the sub's ops. */
static inline void vg_pl_mc_run(pTHX_ VgPlInterp *in, SSize_t base)
{
	PERL_CONTEXT *cx = CX_CUR();
	AV *av = in->mc_av;
	SV **args = PL_stack_base + base + 1;
	SSize_t items = PL_stack_sp - args + 1;

	/* @_ from its start (a `shift` of the last call moved it) */
	AvMAX(av) += AvARRAY(av) - AvALLOC(av);
	AvARRAY(av) = AvALLOC(av);
	if (G_UNLIKELY(items - 1 > AvMAX(av))) {
		SV **ary = AvALLOC(av);

		Renew(ary, items, SV *);
		AvALLOC(av) = AvARRAY(av) = ary;
		AvMAX(av) = items - 1;
	}
	if (G_LIKELY(items == 1))	/* (the event object: no memcpy) */
		AvARRAY(av)[0] = args[0];
	else
		Copy(args, AvARRAY(av), items, SV *);
	AvFILLp(av) = items - 1;
	PL_stack_sp = PL_stack_base + base;
	cx->blk_oldsp = (I32)base;
	PL_comppad = in->mc_pad;
	PL_curpad = AvARRAY(PL_comppad);
	CATCH_SET(TRUE);	/* eval {} in the handler catches its own */
	PL_op = CvSTART(in->mc_cv);
	CALLRUNOPS(aTHX);
	vg_pl_mc_end(aTHX_ in);
}

/* Call cv with the arguments the caller pushed above base, inside the
 * dispatch frame and a JMPENV of the caller's: what call_sv does
 * without G_EVAL, minus the scope it opens and closes per call. */
static void vg_pl_invoke_plain(pTHX_ VgPerl *p, SV *cv, SSize_t base)
{
	VgPlInterp *in = p->in;
	SV **sp;

	vg_pl_mc_drop(aTHX_ in);
	PUSHMARK(PL_stack_base + base);
	sp = PL_stack_sp;
	XPUSHs(cv);
	PUTBACK;
	PL_op = (OP *)&in->callop;
	CATCH_SET(TRUE);	/* eval {} in the handler catches its own */
	if ((PL_op = PL_ppaddr[OP_ENTERSUB](aTHX)) != NULL)
		CALLRUNOPS(aTHX);
	PL_op = NULL;
	PL_stack_sp = PL_stack_base + base;
	FREETMPS;
}

/* One handler call: in the kept context when f allows, else plain. */
static inline void vg_pl_invoke(pTHX_ VgPerl *p, SV *cv, const VgPlFast *f,
				SSize_t base)
{
	VgPlInterp *in = p->in;

	if (G_LIKELY(f->cv && (in->mc_cv == f->cv ||
			       vg_pl_mc_setup(aTHX_ in, f, base))))
		vg_pl_mc_run(aTHX_ in, base);
	else
		vg_pl_invoke_plain(aTHX_ p, cv, base);
}

static inline void vg_pl_invoke_timed(pTHX_ VgPerl *p, SV *cv,
				      const VgPlFast *f, SSize_t base)
{
	if (G_LIKELY((++p->calls % VG_PL_TIME_EVERY) != 0)) {
		vg_pl_invoke(aTHX_ p, cv, f, base);
	} else {
		guint64 t0 = vg_pl_now_ns();

		vg_pl_invoke(aTHX_ p, cv, f, base);
		p->stats.perl_ns += (vg_pl_now_ns() - t0) * VG_PL_TIME_EVERY;
	}
}

/* The calls of one event, from call *next on (0 .. n_handlers-1: the
 * Vigil handlers; n_handlers: the perf-style sub).  *next is advanced
 * before each call, so after a die it says which call died.  *rv_out
 * gets the event object once it is filled. */
static void vg_pl_calls(VgPerl *p, VgPlDisp *d, VgEvent *e,
			volatile guint *next, SV *volatile *rv_out)
{
	PerlInterpreter *my_perl = p->perl;
	SV *rv = *rv_out;
	/* an offset: the stack may move (grow) during a call */
	SSize_t base = PL_stack_sp - PL_stack_base;
	guint i;

	while ((i = *next) < d->n_handlers) {
		VgPlHandler *h = &d->handlers[i];

		*next = i + 1;
		if (h->filter && !vg_filter_match(h->filter, e)) {
			p->stats.filtered++;
			continue;
		}
		if (!rv)
			*rv_out = rv = vg_pl_event_fill(aTHX_ d->pc, e);
		{
			SV **sp = PL_stack_base + base;

			XPUSHs(rv);
			PUTBACK;
		}
		p->stats.dispatched++;
		vg_pl_wd_next();
		vg_pl_invoke_timed(aTHX_ p, h->cv, &h->fast, base);
		if (G_UNLIKELY(p->stopped))
			return;
	}
	if (*next == d->n_handlers && (d->perf_cv || d->unhandled_cv)) {
		CV *cv = d->perf_cv ? d->perf_cv : d->unhandled_cv;

		*next = d->n_handlers + 1;
		{
			SV **sp = PL_stack_base + base;

			sp = vg_pl_perf_push(aTHX_ d->pc, e, sp);
			PUTBACK;
		}
		p->stats.dispatched++;
		vg_pl_wd_next();
		vg_pl_invoke_timed(aTHX_ p, (SV *)cv, &d->perf_fast, base);
	}
}

/* The calls of one event from handler first on (the ones before it were
 * rejected by their filters: vg_pl_deliver_class). */
static void vg_pl_dispatch(VgPerl *p, VgPlDisp *d, VgEvent *e, guint first)
{
	PerlInterpreter *my_perl = p->perl;
	VgPlInterp *in = p->in;
	volatile guint next = first;
	SV *volatile rv = NULL;
	gboolean perf = d->perf_cv || d->unhandled_cv;
	guint total = d->n_handlers + (perf ? 1 : 0);
	SSize_t base;
	int ret;
	dJMPENV;

	/* the watchdog sees the calls from here (an event's calls run in
	 * no other watched call: nothing to save) */
	vg_pl_wd_event_begin(e);
	while (!p->stopped && next < total) {
		if (G_UNLIKELY(!in->frame))
			vg_pl_frame_push(p, in);
		base = PL_stack_sp - PL_stack_base;
		JMPENV_PUSH(ret);
		if (G_UNLIKELY(ret == 3 && PL_restartop)) {
			/* an eval in the handler without a JMPENV of its own
			 * caught a die: go on where it says, as call_sv does */
			PL_restartjmpenv = NULL;
			PL_op = PL_restartop;
			PL_restartop = NULL;
			CALLRUNOPS(aTHX);
			/* the handler it resumed has returned: in the kept
			 * context (its leavesub stopped the loop there) or
			 * from a plain call (its context popped) */
			if (in->mc_cv && cxstack_ix == in->mc_cxix) {
				vg_pl_mc_end(aTHX_ in);
			} else {
				PL_op = NULL;
				PL_stack_sp = PL_stack_base + base;
				FREETMPS;
			}
			ret = 0;
		}
		if (G_LIKELY(ret == 0)) {
			vg_pl_calls(p, d, e, &next, &rv);
			JMPENV_POP;
			break;
		}
		JMPENV_POP;
		PL_op = NULL;
		/* die or exit: the kept context (if any) was popped on the way
		 * (dounwind), as a sub's is */
		in->mc_cv = NULL;
		if (ret != 3) {
			/* exit(): every context is gone, the frame too; go
			 * on unwinding as call_sv does */
			in->frame = FALSE;
			vg_pl_wd_event_end();
			JMPENV_JUMP(ret);
		}
		/* A die: die_unwind popped the frame (its eval context) on
		 * the way here; the next call pushes a new one. */
		if (cxstack_ix > in->frame_cxix)
			Perl_dounwind(aTHX_ in->frame_cxix);	/* cannot happen */
		if (cxstack_ix < in->frame_cxix ||
		    CxTYPE(CX_CUR()) != CXt_EVAL)
			in->frame = FALSE;
		vg_pl_error(p, next - 1 < d->n_handlers ?
			    d->handlers[next - 1].sub->where : d->perf_what, e);
	}
	vg_pl_wd_event_end();
	/* a child a handler forked never goes on as vigild */
	VG_PERL_LEAVE_IF_FORKED();
	if (rv)
		vg_pl_event_done(aTHX_ d->pc);
	if (perf && next > d->n_handlers)
		vg_pl_perf_done(aTHX_ d->pc);
}

/* What the aggregations and the Perl calls of an event (not the
 * filters rejecting it: vg_pl_deliver_class counts those) add to the
 * caller's counters. */
G_GNUC_NO_INLINE
static void vg_pl_deliver_slow(VgPerl *p, VgPlDisp *d, VgEvent *e,
			       guint first, VgPerlCounts *cc)
{
	if (d->n_aggrs)
		vg_pl_agg_run(p, d, e, cc);
	if (first < d->n_handlers || d->perf_cv || d->unhandled_cv) {
		guint64 d0 = p->stats.dispatched, f0 = p->stats.filtered;

		vg_pl_dispatch(p, d, e, first);
		cc->dispatched += p->stats.dispatched - d0;
		cc->filtered += p->stats.filtered - f0;
	}
}

/* One event to the class's aggregations and handlers.  The handlers
 * whose C filter rejects the event are skipped here, before the Perl
 * call frame (a setjmp) is set up: filters run in C and cannot die, and
 * an event no handler takes costs no more than its filters. */
static inline void vg_pl_deliver_class(VgPerl *p, VgPlDisp *d, VgEvent *e,
				       VgPerlCounts *cc)
{
	guint i = 0;

	while (i < d->n_handlers && d->handlers[i].filter &&
	       !vg_filter_match(d->handlers[i].filter, e))
		i++;
	p->stats.filtered += i;
	cc->filtered += i;
	if (i < d->n_handlers || d->calls_or_aggrs)
		vg_pl_deliver_slow(p, d, e, i, cc);
	else if (!d->n_handlers)
		p->stats.unhandled++;
}

/* After the event: its derived syscalls:* event, the thread's syscall
 * entry kept or forgotten. */
G_GNUC_NO_INLINE
static void vg_pl_after(VgPerl *p, VgPlDisp *d, VgEvent *e, VgPerlCounts *cc)
{
	VgEventClass *cls = (VgEventClass *)e->cls;

	if (d->derive && !p->stopped) {
		VgEvent de;
		VgPlDisp *dd;

		if (!vg_event_derive_syscall(p->md, e, &de))
			return;
		dd = ((VgEventClass *)de.cls)->dispatch;
		if (G_UNLIKELY(!dd))
			dd = vg_pl_resolve(p, (VgEventClass *)de.cls);
		if (p->in->want_enters &&
		    (de.cls->flags & VG_CLASS_SYSCALL_ENTER))
			vg_pl_enter_keep(p, &de);
		vg_pl_deliver_class(p, dd, &de, cc);
		/* an entry belongs to one exit: the next exit of the thread
		 * without an entry seen (events lost) gets none */
		if (p->in && p->in->want_enters &&
		    (de.cls->flags & VG_CLASS_SYSCALL_EXIT)) {
			VgPlEnter *en = g_hash_table_lookup(p->enters,
						GINT_TO_POINTER(de.tid));

			if (en)
				en->cls = NULL;	/* used up */
		}
	} else if (G_UNLIKELY(p->in && p->in->want_enters) &&
		   strcmp(cls->name, VG_EV_EXIT) == 0) {
		/* the thread is gone (its tid may come back) */
		g_hash_table_remove(p->enters, GINT_TO_POINTER(e->tid));
	}
}

G_GNUC_NO_INLINE
static void vg_pl_deliver(VgPerl *p, VgEvent *e, VgPerlCounts *cc)
{
	VgEventClass *cls = (VgEventClass *)e->cls;
	VgPlDisp *d;

	p->stats.events++;
	if (G_UNLIKELY(e->ts >= p->next_tick))
		vg_pl_run_ticks(p, e->ts);
	if (G_UNLIKELY(p->stopped || !p->perl))
		return;
	d = cls->dispatch;
	if (G_UNLIKELY(!d))
		d = vg_pl_resolve(p, cls);
	vg_pl_deliver_class(p, d, e, cc);
	if (G_UNLIKELY(d->after))
		vg_pl_after(p, d, e, cc);
}

/* An event the class's only consumer rejects by its filter. */
static inline void vg_pl_count_filtered(VgPerl *p, VgPerlCounts *cc)
{
	p->stats.events++;
	p->stats.filtered++;
	cc->filtered++;
}

/* An event its class takes (no filter rejected it): a class of
 * aggregations only runs them here, without the dispatcher; the rest
 * goes to vg_pl_deliver. */
static inline void vg_pl_deliver_taken(VgPerl *p, const VgPlDisp *d,
				       VgEvent *e, VgPerlCounts *cc)
{
	if (d->aggr_only) {
		p->stats.events++;
		vg_pl_agg_run(p, (VgPlDisp *)d, e, cc);
		return;
	}
	vg_pl_deliver(p, e, cc);
}

/* The rest of vg_perl_deliver_counted for an event the gate's inline
 * leaves did not reject: i is the first leaf they could not test (>= 0)
 * or VG_FILTER_ACCEPT.  Out of line: the rejecting path makes no call. */
G_GNUC_NO_INLINE
static void vg_pl_deliver_gated(VgPerl *p, const VgPlDisp *d, VgEvent *e,
				VgPerlCounts *cc, gint32 i)
{
	if (i >= 0 && !vg_filter_match_from(d->gate, e, i)) {
		vg_pl_count_filtered(p, cc);
		return;
	}
	vg_pl_deliver_taken(p, d, e, cc);
}

/* The event a class's only consumer rejects by its filter, the common
 * case of a filter, and the event nobody takes are counted here without
 * a call; the rest goes to vg_pl_deliver (which, for an event that
 * passes, tests the filter again).  Every call here is a tail call. */
void vg_perl_deliver_counted(VgPerl *p, VgEvent *e, VgPerlCounts *cc)
{
	const VgPlDisp *d = e->cls->dispatch;

	if (G_LIKELY(d && e->ts < p->next_tick && !p->stopped)) {
		if (d->gate) {
			gint32 i = vg_filter_run_inline(d->gate, e);

			if (G_LIKELY(i == VG_FILTER_REJECT)) {
				vg_pl_count_filtered(p, cc);
				return;
			}
			vg_pl_deliver_gated(p, d, e, cc, i);
			return;
		}
		if (d->idle) {
			p->stats.events++;
			p->stats.unhandled++;
			return;
		}
		vg_pl_deliver_taken(p, d, e, cc);
		return;
	}
	vg_pl_deliver(p, e, cc);
}

void vg_perl_deliver(VgEvent *e, gpointer data)
{
	VgPerlCounts cc = { 0, 0 };

	vg_pl_deliver(data, e, &cc);
}
