/*
 * vg_pl_xs.h - what the Vigil XS code (Vigil.xs) and vigild's Perl
 * embedding (embed/: embed.c, dispatch.c) share: the event objects.
 *
 * Vigil.xs is compiled twice: statically into vigild and as the dynamic
 * module Vigil.so for plain perl (Vigil::Trace).  The event objects are
 * built by code in Vigil.xs so both give exactly the same $e.
 *
 * Include after EXTERN.h/perl.h/XSUB.h.
 */
#ifndef VG_PL_XS_H
#define VG_PL_XS_H

#include <glib.h>
#include "vg_core.h"

/* Fixed perf positional arguments before the fields:
 * $event_name, $context, $common_cpu, $common_secs, $common_nsecs,
 * $common_pid, $common_comm, $common_callchain */
#define VG_PL_PERF_FIXED 8

/* Common fields every event object carries, in this order. */
enum {
	VG_PL_C_TS,
	VG_PL_C_CPU,
	VG_PL_C_TID,
	VG_PL_C_PID,
	VG_PL_C_PPID,
	VG_PL_C_COMM,
	VG_PL_C_CGROUP,
	VG_PL_C_CGROUP_ID,
	VG_PL_N_COMMON
};

/* Per-class Perl data: shared keys, the reusable event object and the
 * reusable perf arguments. */
typedef struct VgPlClass {
	const VgEventClass *cls;
	gboolean derived;	/* syscalls:* (field kinds vary per event) */
	guint n_keys;		/* VG_PL_N_COMMON + n_fields (+ 1: chain) */
	gboolean chain;		/* its records carry a callchain: the last
				 * key is common_callchain */
	gboolean check_refs;	/* some field is an array ref (see event_done) */
	guint32 *fixed_off;	/* per field: its offset when at the same place
				 * in every record (vg_class_fixed_offset),
				 * else G_MAXUINT32 */
	SV **keys;		/* shared key SVs: common fields, then fields */
	U32 *hashes;
	SV *info;		/* RV to [name, [field names]] (magic on $e) */
	/* the reusable event object (NULL until first use, or after a
	 * handler kept it) */
	HV *hv;
	SV *rv;
	SV **vals;		/* n_keys value SVs (we hold a reference) */
	/* perf arguments (NULL until first use) */
	SV **pargs;		/* VG_PL_PERF_FIXED + n_fields */
	SV *perf_name;		/* "subsys::event" */
} VgPlClass;

VgPlClass *vg_pl_class_new(pTHX_ const VgEventClass *cls);
void vg_pl_class_free(pTHX_ VgPlClass *pc);

/* The reusable event object of the class, filled from e: an RV owned by
 * pc (not mortal).  Call vg_pl_event_done() after the handlers ran. */
SV *vg_pl_event_fill(pTHX_ VgPlClass *pc, VgEvent *e);
/* If a handler kept the object (or a part of it), let it go: the next
 * event gets a fresh one. */
void vg_pl_event_done(pTHX_ VgPlClass *pc);
/* A new event object (RV with refcount 1, caller owns it). */
SV *vg_pl_event_new(pTHX_ VgPlClass *pc, VgEvent *e);

/* Push perf's positional arguments for e (on the stack at sp, which
 * must have room: EXTEND is done here).  Returns the new sp. */
SV **vg_pl_perf_push(pTHX_ VgPlClass *pc, VgEvent *e, SV **sp);
/* After the call: fresh array refs if a handler kept one. */
void vg_pl_perf_done(pTHX_ VgPlClass *pc);

#endif
