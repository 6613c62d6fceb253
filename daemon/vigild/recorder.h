/*
 * recorder.h - the flight recorder: a per-CPU history of the newest
 * packets, dump requests with a before and an after window, the rate
 * policy, and the dumps it has written (dump.h), kept within the
 * retention limits (dumpdir.h).
 *
 * A component created with what it needs and called by its owner
 * (vigild), all on the main loop's thread; it calls nothing back:
 *
 *	r = vgd_recorder_new(&setup)	once the source is set up
 *	vgd_recorder_add_packet(r, p)	every packet the merge has finished
 *	vgd_recorder_request(r, ...)	Vigil::dump, vigilctl dump, SIGUSR1
 *	vgd_recorder_finish(r)		after the last packet was delivered:
 *					open requests are written with what
 *					there is, the history is released;
 *					later requests are refused
 *	vgd_recorder_free(r)
 *
 * Dependencies, one way: vigild.c -> recorder.c -> dump.c (one dump) ->
 * summary.c, statedump.c, dumpdir.c; recorder.c -> dumpdir.c (names,
 * leftovers, retention).
 */
#ifndef VGD_RECORDER_H
#define VGD_RECORDER_H

#include <glib.h>
#include "config.h"
#include "vg_stream.h"

G_BEGIN_DECLS

typedef struct VgdRecorder VgdRecorder;

/* Pure flight mode: PAUSE, copy the newest packets of every CPU,
 * RESUME.  GPtrArray of VgPacket (unref'd with the array), or NULL with
 * the error. */
typedef GPtrArray *(*VgdSnapshotFunc)(gpointer data, GError **error);

typedef struct {
	const VgdConfig *cfg;	/* dump.*, history, mode, replay_dir */
	const VgMetadata *md;	/* the trace's (outlives the recorder) */
	VgMerge *merge;		/* newest delivered timestamp, CPUs; NULL in
				 * pure flight mode */
	VgTasks *tasks;		/* who a dump's tids are (its statedump);
				 * NULL in pure flight mode */
	VgdSnapshotFunc snapshot;	/* pure flight mode */
	/* mixed mode (channels: some flight, the default one streamed):
	 * the flight channels' newest packets, taken when a dump of the
	 * history is complete and added for the same window */
	VgdSnapshotFunc flight_channels;
	gpointer snapshot_data;		/* of either */
} VgdRecorderSetup;

/* Completion of one dump request: path and error NULL-or-not as it
 * went (error set: nothing was left in the dump directory). */
typedef void (*VgdDumpDoneFunc)(const char *path, const GError *error,
				gpointer user_data);

typedef struct {
	guint64 requests;	/* accepted */
	guint64 written;	/* complete dumps */
	guint64 failed;		/* write errors (partial output removed) */
	guint64 suppressed;	/* refused by the rate policy */
	guint64 removed;	/* old dumps deleted by retention */
	guint open;		/* requests waiting for their after window */
	guint64 history_packets;	/* held now, all CPUs */
	guint64 history_bytes;
} VgdRecorderStats;

/* Leftovers of an interrupted dump in cfg->dump_dir (our hidden
 * staging/temporary names) are removed.  setup's pointers must outlive
 * the recorder. */
VgdRecorder *vgd_recorder_new(const VgdRecorderSetup *setup);

/* A packet whose events have all been delivered; the recorder owns the
 * reference from then on (its history keeps it, or it is released). */
void vgd_recorder_add_packet(VgdRecorder *r, VgPacket *p);

/* Ask for a dump.  before/after in seconds (negative: not given; before
 * then means the whole history, after 0).  The trigger time is the
 * timestamp of the event being dispatched (the newest delivered one
 * outside a handler); pure flight mode snapshots the kernel buffers.
 * Returns the final path (the directory appears there once complete)
 * or NULL with the reason (rate policy, no source, ...; logged unless
 * it is the rate policy's VG_ERROR_REFUSED).  done, if not NULL, is
 * called exactly once when the dump is complete or has failed (possibly
 * before this returns), then destroy(user_data). */
char *vgd_recorder_request(VgdRecorder *r, const char *reason, double before,
			   double after, VgdDumpDoneFunc done,
			   gpointer user_data, GDestroyNotify destroy,
			   GError **error);

void vgd_recorder_get_stats(const VgdRecorder *r, VgdRecorderStats *out);
/* The lines vigilctl status shows ("dumps written: ..."). */
void vgd_recorder_append_status(const VgdRecorder *r, GString *s);

/* Finish: open requests are written with the packets they have, the
 * history is released.  The counters stay readable. */
void vgd_recorder_finish(VgdRecorder *r);
void vgd_recorder_free(VgdRecorder *r);

G_END_DECLS

#endif
