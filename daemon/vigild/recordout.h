/*
 * recordout.h - the --record output: every packet a live source reads,
 * copied into a trace directory as it is read.
 *
 * vigild.c owns it; the live sources (live.c for vigil.ko, tpsource.c
 * for the kernel's tracepoints) borrow it and hand it each packet before
 * the packet goes into the merge.  A write error stops the recording
 * (tracing goes on): it is logged once when it happens, kept, and
 * reported again by vgd_record_out_finish(), which then fails.
 *
 * Uses the trace writer of libvigilcore (vg_stream.h) and nothing of
 * vigild's.
 */
#ifndef VGD_RECORDOUT_H
#define VGD_RECORDOUT_H

#include <glib.h>
#include "vg_stream.h"

G_BEGIN_DECLS

typedef struct VgdRecordOut VgdRecordOut;

/* Create dir for a trace (vg_writer_new: the error names it). */
VgdRecordOut *vgd_record_out_new(const char *dir, GError **error);

/* Copy p into the trace.  After a write error: nothing (the error was
 * logged and is kept for vgd_record_out_finish). */
void vgd_record_out_add(VgdRecordOut *r, const VgPacket *p);

/* Write the metadata and close the trace; logs where it went, or why
 * it was not written (a kept add error, or this one), then frees r.
 * FALSE: the trace is incomplete (removed). */
gboolean vgd_record_out_finish(VgdRecordOut *r, const VgMetadata *md);

/* The directory being written (renamed to dir by _finish); NULL once a
 * write failed. */
const char *vgd_record_out_work_dir(const VgdRecordOut *r);

/* Remove the partial trace and free r (start-up failed).  NULL is fine. */
void vgd_record_out_abort(VgdRecordOut *r);

G_END_DECLS

#endif
