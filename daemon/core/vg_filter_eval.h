/*
 * vg_filter_eval.h - a compiled filter as data, for consumers that test
 * filters per event inline (vigild's dispatch: an event every handler's
 * filter rejects then costs no call at all).  Everything else about
 * filters is vg_core.h: vg_filter_compile(), vg_filter_match(),
 * vg_filter_free().  Nothing here is to be written by consumers.
 *
 * A filter is a branch program: one leaf per comparison, each naming
 * the leaf to test next when it holds and when it does not, or the
 * answer (VG_FILTER_ACCEPT, VG_FILTER_REJECT).  A number against a
 * constant is a range test whatever the operator,
 * ((v ^ flip) - lo <= span) != neg (flip makes a signed comparison an
 * unsigned one).  Leaves whose value is at hand -- a field of the
 * fixed-size prefix of a class (which the record iterator checked is in
 * the record), a common number -- are tested inline; at the first other
 * leaf vg_filter_match_from() takes over.
 */
#ifndef VG_FILTER_EVAL_H
#define VG_FILTER_EVAL_H

#include <string.h>
#include "vg_core.h"

G_BEGIN_DECLS

enum { VG_FILTER_ACCEPT = -1, VG_FILTER_REJECT = -2 };

/* Leaf codes.  The first eight read an integer of the fixed prefix at
 * off, as the core's VG_RD_* readers do (vg_filter.c checks the order). */
enum {
	VG_FL_U8, VG_FL_U16, VG_FL_U32, VG_FL_U64,
	VG_FL_S8, VG_FL_S16, VG_FL_S32, VG_FL_S64,
	VG_FL_TID, VG_FL_PID, VG_FL_PPID, VG_FL_CPU, VG_FL_TS,
	VG_FL_NEAR_END,		/* the codes above are tested inline */
	VG_FL_GET = VG_FL_NEAR_END,	/* another value against a constant */
	VG_FL_INT,		/* two values */
	VG_FL_STR,		/* text against a pattern */
	VG_FL_TRUTH,		/* a value alone: true when not 0 */
};

/* One side of a comparison (vg_filter.c's getters). */
typedef struct {
	guint8 kind;
	guint idx;
	guint elem;
	gint64 value;		/* a constant */
	gboolean is_unsigned;
} VgFilterGetter;

typedef struct {
	guint8 code;		/* VG_FL_* */
	guint8 op;		/* VG_FL_INT, VG_FL_STR: the operator */
	gboolean glob;
	gboolean neg;		/* range tests: true outside the range */
	guint32 off;		/* fixed-prefix reads: offset in the payload */
	guint64 flip, lo, span;	/* range tests */
	VgFilterGetter l, r;
	const char *pat;	/* VG_FL_STR */
	gsize pat_len;
	gint32 t, f;		/* next leaf when true / false, or the answer */
} VgFilterLeaf;

struct VgFilter {
	gpointer root;		/* the parsed tree (vg_filter.c) */
	char *expr;
	VgFilterLeaf *prog;
	guint n_leaves;
	gint32 start;		/* first leaf, or the answer */
};

/* The value of a leaf tested inline into *v; FALSE for the others. */
static inline gboolean vg_filter_near_value(const VgFilterLeaf *L,
					    const VgEvent *e, gint64 *v)
{
	const guint8 *p = e->payload + L->off;

	switch (L->code) {
	case VG_FL_U8: *v = p[0]; return TRUE;
	case VG_FL_U16: { guint16 x; memcpy(&x, p, 2); *v = x; return TRUE; }
	case VG_FL_U32: { guint32 x; memcpy(&x, p, 4); *v = x; return TRUE; }
	case VG_FL_U64:
	case VG_FL_S64: memcpy(v, p, 8); return TRUE;
	case VG_FL_S8: *v = (gint8)p[0]; return TRUE;
	case VG_FL_S16: { gint16 x; memcpy(&x, p, 2); *v = x; return TRUE; }
	case VG_FL_S32: { gint32 x; memcpy(&x, p, 4); *v = x; return TRUE; }
	case VG_FL_TID: *v = e->tid; return TRUE;
	case VG_FL_PID: *v = e->task->pid; return TRUE;
	case VG_FL_PPID: *v = e->task->ppid; return TRUE;
	case VG_FL_CPU: *v = e->cpu; return TRUE;
	case VG_FL_TS: *v = (gint64)e->ts; return TRUE;
	}
	return FALSE;
}

static inline gboolean vg_filter_in_range(const VgFilterLeaf *L, gint64 v)
{
	return (((guint64)v ^ L->flip) - L->lo <= L->span) != L->neg;
}

/* The rest of the program from leaf i on (any leaf). */
gboolean vg_filter_match_from(const VgFilter *f, VgEvent *e, gint32 i);

/* The program run inline as far as its leaves allow: the answer
 * (VG_FILTER_ACCEPT or VG_FILTER_REJECT), or the first leaf not tested
 * inline (>= 0), whose value vg_filter_match_from() then takes.  A
 * caller deciding on the answer itself keeps the call out of its path. */
static inline gint32 vg_filter_run_inline(const VgFilter *f, const VgEvent *e)
{
	gint32 i = f->start;

	while (i >= 0) {
		const VgFilterLeaf *L = &f->prog[i];
		gint64 v;

		if (G_UNLIKELY(!vg_filter_near_value(L, e, &v)))
			break;
		i = vg_filter_in_range(L, v) ? L->t : L->f;
	}
	return i;
}

/* vg_filter_match(), inline. */
static inline gboolean vg_filter_match_inline(const VgFilter *f, VgEvent *e)
{
	gint32 i = vg_filter_run_inline(f, e);

	if (G_UNLIKELY(i >= 0))
		return vg_filter_match_from(f, e, i);
	return i == VG_FILTER_ACCEPT;
}

G_END_DECLS

#endif
