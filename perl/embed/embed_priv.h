/*
 * embed_priv.h - inside vigild's Perl embedding: what embed.c
 * (interpreter, loading, timers), dispatch.c (the per event fast path)
 * and host.c (Vigil::dump/stats/stop) share.  Include after
 * EXTERN.h/perl.h/XSUB.h.
 */
#ifndef VG_EMBED_PRIV_H
#define VG_EMBED_PRIV_H

#include "vg_perl.h"
#include "vg_pl_xs.h"
#include "vg_aggr.h"

/* One `on NAME [, FILTER] => CODE` of a script. */
typedef struct {
	char *pattern;		/* event name, may be a glob ("sched:*") */
	gboolean glob;
	char *filter;		/* NULL: none */
	SV *cv;			/* the handler (we hold a reference) */
	char *where;		/* "script.pl line 12" */
	gboolean bad;		/* its filter failed for some class */
} VgPlSub;

/* One `every SECONDS => CODE`. */
typedef struct {
	guint64 period_ns;
	SV *cv;
	char *where;
	guint64 next_due;	/* replay: event time of the next call */
	GSource *source;	/* live: the GLib timeout */
	VgPerl *owner;
} VgPlEvery;

/* A handler sub the dispatch may run in a kept sub context
 * (dispatch.c, "the kept sub context"): a pure-Perl sub without goto,
 * as it was when looked at (its op tree). */
typedef struct {
	CV *cv;			/* NULL: always the plain call */
	OP *root;		/* CvROOT when checked; another: plain call */
} VgPlFast;

typedef struct {
	SV *cv;
	VgFilter *filter;
	VgPlSub *sub;
	VgPlFast fast;
} VgPlHandler;

/* One `aggregate NAME [, FILTER], by => ..., TYPE => ...` of a script
 * (aggregate.c): updated in C per event, read in Perl as the
 * Vigil::Aggr it returned. */
#define VG_PL_AGG_MAX_BY 16
typedef struct {
	char *pattern;		/* event name, may be a glob */
	gboolean glob;
	char *filter;		/* NULL: none */
	SV *obj;		/* the Vigil::Aggr (we hold a reference) */
	VgAggr *aggr;		/* its table */
	guint n_by;		/* key fields (0: one key, '') */
	char **by;		/* their names: NAME or NAME[INDEX] */
	gboolean tuple;		/* by => [...]: a tuple key, else a scalar */
	VgAggrType type;
	char *field;		/* the value's field; NULL for count */
	char *where;		/* "script.pl line 12" */
	gboolean bad;		/* it could not be bound to some class */
} VgPlAggSpec;

/* How to read one key part or value of an event (aggregate.c). */
typedef struct {
	guint8 kind;
	guint8 size;		/* a field at a fixed offset: bytes (1, 2, 4, 8) */
	gboolean sgn;		/* ... signed */
	gboolean uns;		/* an unsigned 64-bit value (a UV in Perl) */
	gboolean fixed;		/* at offset off in every record */
	guint idx, elem;
	guint32 off;
} VgPlAggGet;

/* Recent keys of an aggregation, by the raw values of their parts
 * (aggregate.c): the entry found without building the key. */
#define VG_PL_AGG_CACHE 256
#define VG_PL_AGG_RAW 4		/* words of raw values at most */
typedef struct {
	guint64 w[VG_PL_AGG_RAW];
	VgAggrEntry *e;
	guint64 gen;		/* the table's generation it was found in */
} VgPlAggCached;

/* An aggregation bound to one event class. */
typedef struct {
	VgPlAggSpec *spec;
	VgAggr *aggr;
	const guint64 *gen;	/* the table's generation (vg_aggr_generation) */
	VgFilter *filter;
	guint n_by;
	gboolean tuple;
	VgPlAggGet by[VG_PL_AGG_MAX_BY];
	VgPlAggGet val;		/* kind NONE for count */
	guint8 *kbuf;		/* the key being built */
	gsize kcap;
	guint n_raw;		/* words of raw key values; cache NULL when
				 * a part is text of any length */
	VgPlAggCached *cache;
} VgPlAggBind;

/* What one event class does; cached in VgEventClass.dispatch. */
typedef struct {
	VgEventClass *cls;
	VgPlClass *pc;		/* event objects / perf arguments */
	guint n_handlers;	/* Vigil API handlers */
	VgPlHandler *handlers;
	CV *perf_cv;		/* perf-style sub subsys::event */
	CV *unhandled_cv;	/* main::trace_unhandled for this class */
	VgPlFast perf_fast;	/* perf_cv or unhandled_cv */
	char *perf_what;	/* "sub subsys::event" / "trace_unhandled" */
	gboolean derive;	/* raw_syscalls: also give syscalls:* */
	guint n_aggrs;		/* aggregations of the class, run in C */
	VgPlAggBind *aggrs;
	gboolean calls_or_aggrs;	/* perf_cv, unhandled_cv or n_aggrs */
	gboolean after;		/* derive, or the enters to forget on exit */
	const VgFilter *gate;	/* the filter of the class's only consumer
				 * (handler or aggregation), if it has one
				 * and nothing else takes the event */
	gboolean idle;		/* nothing takes the class's events */
	gboolean aggr_only;	/* only aggregations take them */
} VgPlDisp;

/* One interpreter with its scripts' registrations (vigild has two for a
 * moment while it reloads). */
typedef struct {
	PerlInterpreter *perl;
	GPtrArray *subs;	/* VgPlSub */
	GPtrArray *everys;	/* VgPlEvery */
	GPtrArray *aggrs;	/* VgPlAggSpec */
	gboolean perf_mode;	/* some script defines no on/every */
	gboolean want_syscalls;
	gboolean want_enters;	/* an `on` may take syscalls:sys_exit_*: keep
				 * each thread's last syscall entry ($e->enter) */
	CV *trace_begin_cv, *trace_end_cv, *trace_unhandled_cv;
	/* The dispatch frame (dispatch.c): one eval context kept on
	 * the interpreter's context stack while events flow, so a handler
	 * call needs no eval scope of its own. */
	gboolean frame;
	I32 frame_cxix;		/* its index on the context stack */
	LOGOP callop;		/* the entersub op handler calls run from */
	/* The kept sub context (dispatch.c): a handler's sub context left
	 * above the frame between its calls, NULL when there is none. */
	CV *mc_cv;
	AV *mc_av;		/* its @_ (pad entry 0 of depth 1) */
	PAD *mc_pad;		/* its pad of depth 1 */
	I32 mc_cxix;		/* its index on the context stack */
} VgPlInterp;

struct VgPerl {
	VgPerlConfig cfg;	/* deep copy */
	VgPerlHooks hooks;
	VgPlInterp *in;		/* NULL before load and after end */
	PerlInterpreter *perl;	/* = in->perl, or NULL */
	const VgMetadata *md;
	GPtrArray *disps;	/* VgPlDisp we put in class slots */
	guint64 next_tick;	/* replay: smallest next_due; G_MAXUINT64 none */
	gboolean ticks_started;
	gboolean begun, ended, stopped;
	VgPerlStats stats;
	guint64 calls;		/* handler calls, for sampled timing */
	GHashTable *enters;	/* tid -> VgPlEnter: last syscall entry */
};

/* A thread's last syscalls:sys_enter_NAME, for $e->enter of its exit. */
typedef struct {
	const VgEventClass *cls;	/* the derived enter class; NULL once
					 * its exit went by */
	guint64 ts;
	guint n;
	gint64 ints[6];
	char *strs[6];		/* text arguments (the path), else NULL */
} VgPlEnter;

void vg_pl_enter_free(gpointer p);

/* dispatch.c */
VgPlDisp *vg_pl_resolve(VgPerl *p, VgEventClass *cls);
void vg_pl_disp_free(VgPerl *p, VgPlDisp *d);
void vg_pl_unbind(VgPerl *p);
void vg_pl_run_ticks(VgPerl *p, guint64 ts);
/* Call cv with the args pushed after PUSHMARK by the caller, in G_EVAL;
 * count and log a death.  what/e describe where it happened.  The
 * caller has called vg_pl_frame_idle before pushing anything. */
void vg_pl_call(VgPerl *p, SV *cv, const char *what, VgEvent *e);
guint64 vg_pl_now_ns(void);
/* Take the dispatch frame off the context stack (before anything else
 * runs Perl that expects a clean stack: trace_end, destruction). */
void vg_pl_frame_pop(VgPerl *p, VgPlInterp *in);
/* Take the kept handler sub context (if any) off the context stack; the
 * frame stays.  Before Perl runs anything but the dispatch's handler
 * calls (every, trace_begin/end, the metrics, dump callbacks): what
 * runs then must not find a handler's sub as its caller (unless a
 * handler called it: then it stays, a no-op).  Call it before
 * ENTER, SAVETMPS or PUSHMARK: taking the context off restores the
 * scope, save and mark stacks to where they were when it was set up. */
void vg_pl_frame_idle(VgPlInterp *in);

/* aggregate.c */
/* Read @Vigil::_AGGR into in->aggrs. */
gboolean vg_pl_agg_collect(VgPlInterp *in, GError **error);
void vg_pl_agg_spec_free(pTHX_ VgPlAggSpec *s);
/* Bind s to cls: fields resolved, filter compiled.  FALSE with an error
 * naming the field or the filter's column. */
gboolean vg_pl_agg_bind(VgPlAggSpec *s, const VgEventClass *cls,
			VgPlAggBind *b, GError **error);
void vg_pl_agg_unbind(VgPlAggBind *b);
/* The class's aggregations for one event (counted in p and *cc). */
void vg_pl_agg_run(VgPerl *p, VgPlDisp *d, VgEvent *e, VgPerlCounts *cc);

/* host.c */
/* The VgPerl whose interpreter runs (the Vigil functions of host.c act
 * on it); NULL when none. */
extern VgPerl *vg_pl_current;
/* newXS the functions of host.c into the interpreter (from xs_init). */
void vg_pl_host_register(pTHX);
/* The done subs of unfinished dumps die with in. */
void vg_pl_host_forget(VgPlInterp *in);

#endif
