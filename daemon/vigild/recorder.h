/*
 * recorder.h - the flight recorder: a per-CPU history of the newest
 * packets, dump requests with a before and an after window, the rate
 * policy, retention in the dump directory and the summary file.
 *
 * Life cycle, as vigild drives it (all on the main loop's thread):
 *
 *	vgd_recorder_attach(d, cfg)	after the source is set up: installs
 *					the packet hook and the dump function
 *	... packets flow into the history; dumps are requested ...
 *	vgd_recorder_shutdown(d)	after the last packet was delivered:
 *					open requests are written with what
 *					there is, the history is released
 *
 * What a dump is (docs/flight-recorder.md): DUMP_DIR/vigil-YYYYMMDD-
 * HHMMSS[-N] (time of the trigger, UTC), a CTF 1.8 trace directory
 * (metadata + stream_<cpu>) plus the summary SUMMARY_NAME inside it
 * (a dot file: babeltrace2 and vigild --replay skip it).  Written under
 * a hidden staging name, synced, then renamed: the directory appears
 * complete or not at all.
 */
#ifndef VGD_RECORDER_H
#define VGD_RECORDER_H

#include <glib.h>
#include "config.h"
#include "vigild.h"

G_BEGIN_DECLS

#define VGD_DUMP_SUMMARY_NAME ".vigil-dump.yaml"

typedef struct VgdRecorder VgdRecorder;

/* VgdDumpDoneFunc: see vigild.h */

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

/* Install the recorder on d (packet hook + dump function).  One per
 * process; cfg must outlive it.  Leftovers of an interrupted dump in
 * cfg->dump_dir (our hidden staging/temporary names) are removed. */
VgdRecorder *vgd_recorder_attach(Vigild *d, const VgdConfig *cfg);

/* Ask for a dump.  before/after in seconds (negative: not given; before
 * then means the whole history, after 0).  The trigger time is the
 * timestamp of the event being dispatched (the newest delivered one
 * outside a handler); pure flight mode snapshots the kernel buffers.
 * Returns the final path (the directory appears there once complete)
 * or NULL with the reason (rate policy, no source, ...).  done, if not
 * NULL, is called exactly once when the dump is complete or has failed
 * (possibly before this returns), then destroy(user_data). */
char *vgd_recorder_request(VgdRecorder *r, const char *reason, double before,
			   double after, VgdDumpDoneFunc done,
			   gpointer user_data, GDestroyNotify destroy,
			   GError **error);

void vgd_recorder_get_stats(const VgdRecorder *r, VgdRecorderStats *out);
/* The lines vigilctl status shows ("dumps written: ..."); nothing when
 * no recorder is attached. */
void vgd_recorder_append_status(GString *s);
/* Add the recorder's counters to Vigil::stats (dumps_suppressed, ...).
 * sink is a VgPerlStatsSink *. */
void vgd_recorder_add_stats(gpointer sink);

/* Finish: open requests are written with the packets they have, the
 * history is released, the hooks are removed. */
void vgd_recorder_shutdown(Vigild *d);

G_END_DECLS

#endif
