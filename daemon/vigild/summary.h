/*
 * summary.h - what a dump holds, counted from its packets, and the
 * summary file written into it (VGD_DUMP_SUMMARY_NAME, YAML; its keys
 * are documented in docs/flight-recorder.md).
 *
 * Used by the dump writer (dump.c) and the statedump (statedump.c).
 */
#ifndef VGD_SUMMARY_H
#define VGD_SUMMARY_H

#include <glib.h>
#include "dumpreq.h"

G_BEGIN_DECLS

/* One lane of a dump: a CPU's packets from one source (vg_merge.c). */
typedef struct {
	guint cpu;
	guint lane;
	guint64 packets, events;
	guint64 first_seq, last_seq;
	guint64 disc_first, disc_last;
	guint64 seq_gaps;	/* packets missing between first and last */
	guint64 overwritten;	/* flight: lost before the first packet */
	gboolean any;
} VgdCpuSum;

typedef struct {
	guint64 events, packets, bytes;
	guint64 first_ts, last_ts;
	guint64 discarded, seq_gaps, overwritten;
	guint64 corrupt;
	GArray *cpus;		/* VgdCpuSum, by cpu */
	GHashTable *tids;	/* every tid of the dump's records */
	guint statedump;	/* tasks in the added statedump */
	guint statedump_cpu;	/* its stream */
	guint statedump_irqs;	/* ... its vigil:statedump_irq records */
	guint statedump_mmaps;	/* ... its vigil:statedump_mmap records */
} VgdDumpSum;

/* Count q->packets (sorted by cpu, then sequence number).  Clear with
 * vgd_dump_sum_clear(). */
void vgd_dump_summarize(const VgdDump *q, VgdDumpSum *s);
void vgd_dump_sum_clear(VgdDumpSum *s);
/* The summary file's text (g_free). */
char *vgd_dump_summary_text(const VgdDump *q, const VgdDumpSum *s);

G_END_DECLS

#endif
