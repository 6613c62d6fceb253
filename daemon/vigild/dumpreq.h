/*
 * dumpreq.h - one dump request: what the flight recorder asks the dump
 * writer (dump.h) to write.  A plain data type, apart from the writer,
 * so that the writer's helpers (summary.c, statedump.c) can read a
 * request without including the writer: dependencies point one way,
 *	dump.c -> summary.c, statedump.c -> dumpreq.h
 */
#ifndef VGD_DUMPREQ_H
#define VGD_DUMPREQ_H

#include <glib.h>
#include "vg_stream.h"

G_BEGIN_DECLS

/* One dump to write, as the flight recorder asked for it. */
typedef struct {
	const char *path;	/* final name (must not exist) */
	const char *reason;
	const char *source;	/* "live history", "replay of DIR", ... */
	guint64 trigger;	/* trace clock, ns */
	guint64 lo, hi;		/* the window */
	double before, after;	/* as asked (negative: not given) */
	const char *cut;	/* why the after window was cut short, or NULL */
	GPtrArray *packets;	/* VgPacket *: sorted by (cpu, seq) here */
	const VgMetadata *md;
	VgTasks *tasks;		/* for the statedump; NULL: none */
	gboolean live;		/* the traced host is this one (the statedump
				 * reads its /proc and /sys) */
	guint statedump_mmaps;	/* config statedump.mmaps */
	/* pure flight mode: cpu -> (last seq dumped + 2); tells how many
	 * packets were overwritten since, and is updated once written.
	 * NULL otherwise. */
	gboolean snapshot;
	GHashTable *snap_last_seq;
} VgdDump;

G_END_DECLS

#endif
