/*
 * watchdog.h - the per-call watchdog (watchdog.c): what the call paths
 * (dispatch.c, embed.c) mark, and how the watchdog starts and stops.
 * Include after embed_priv.h.
 */
#ifndef VG_PL_WATCHDOG_H
#define VG_PL_WATCHDOG_H

#include <signal.h>

/* The signal the watchdog thread sends to the interpreter thread.  A
 * script must not take it over ($SIG{RTMAX}). */
#define VG_PL_WD_SIGNAL SIGRTMAX

/* The call the interpreter thread is in: written by it only, gen read by
 * the watchdog thread.  Its own cache line: the watchdog's reads do not
 * disturb the lines the dispatch writes. */
typedef struct {
	guint64 gen;		/* odd: in a watched call; new value per call */
	const VgEvent *event;	/* the event of the dispatch, or NULL */
	const char *what;	/* vg_pl_call's what, or NULL: the handler is
				 * found from its sub */
} __attribute__((aligned(64))) VgPlWatchCall;

/* (hidden: vigild's own, read without a GOT load on the per-event path) */
extern VgPlWatchCall vg_pl_wd_call __attribute__((visibility("hidden")));

/* The state of the calls around a nested one (vg_pl_wd_enter's result,
 * for vg_pl_wd_leave). */
typedef struct {
	guint64 gen;
	const VgEvent *event;
	const char *what;
} VgPlWatchSaved;

static inline void vg_pl_wd_set_gen(guint64 gen)
{
	/* a plain store: only this thread writes it */
	__atomic_store_n(&vg_pl_wd_call.gen, gen, __ATOMIC_RELAXED);
}

/* A watched call begins (the first of an event's calls, or a call of
 * vg_pl_call, END): gen becomes a new odd value. */
static inline VgPlWatchSaved vg_pl_wd_enter(const VgEvent *e, const char *what)
{
	VgPlWatchSaved s = { vg_pl_wd_call.gen, vg_pl_wd_call.event,
			     vg_pl_wd_call.what };

	vg_pl_wd_call.event = e;
	vg_pl_wd_call.what = what;
	vg_pl_wd_set_gen((s.gen + 2) | 1);
	return s;
}

/* The calls of one event (dispatch.c), never inside another watched
 * call: the light form of vg_pl_wd_enter/_leave, nothing to save. */
static inline void vg_pl_wd_event_begin(const VgEvent *e)
{
	vg_pl_wd_call.event = e;
	vg_pl_wd_set_gen((vg_pl_wd_call.gen + 2) | 1);
}

static inline void vg_pl_wd_event_end(void)
{
	vg_pl_wd_set_gen((vg_pl_wd_call.gen + 1) & ~(guint64)1);
}

/* The next call of the same event: a new generation, still odd. */
static inline void vg_pl_wd_next(void)
{
	vg_pl_wd_set_gen(vg_pl_wd_call.gen + 2);
}

/* The calls end: the state before them is back (an outer call goes on,
 * as a new generation), or gen is even. */
static inline void vg_pl_wd_leave(VgPlWatchSaved s)
{
	vg_pl_wd_call.event = s.event;
	vg_pl_wd_call.what = s.what;
	if (s.gen & 1)
		vg_pl_wd_set_gen((vg_pl_wd_call.gen + 2) | 1);
	else
		vg_pl_wd_set_gen((vg_pl_wd_call.gen + 1) & ~(guint64)1);
}

/* Start the watchdog thread (on the interpreter thread: the one it
 * signals) unless both limits are 0; stop and join it. */
void vg_pl_wd_start(guint report_ms, guint abort_ms);
void vg_pl_wd_stop(void);
/* Our PL_signalhook in a new interpreter. */
void vg_pl_wd_hook_interp(pTHX);
/* The interpreter whose calls run now (NULL: none, before it is freed). */
void vg_pl_wd_interp(PerlInterpreter *perl);

#endif
