/*
 * status.h - vigild's status text and statistics, from a view of its
 * parts that the daemon fills in (vigild.c) each time it asks.
 */
#ifndef VGD_STATUS_H
#define VGD_STATUS_H

#include <glib.h>
#include "config.h"
#include "live.h"
#include "tpsource.h"
#include "recorder.h"
#include "vg_perl.h"

G_BEGIN_DECLS

/* Per CPU: what happened to the events the merge delivered. */
typedef struct {
	guint64 delivered;	/* events handed on (after comm filter) */
	union {
		VgPerlCounts perl;	/* what vg_perl_deliver_counted adds */
		struct {
			guint64 dispatched;	/* handler calls, aggregation updates */
			guint64 filtered;	/* skipped by handler filters */
		};
	};
	guint64 comm_filtered;	/* dropped by filters.comms */
	guint64 self;		/* vigild's own events, dropped */
} VgdCpuCounters;

/* The parts the status reads (NULL: that part is not there). */
typedef struct {
	const VgdConfig *cfg;
	gint64 start_us;	/* g_get_monotonic_time() at start */
	gboolean replay;	/* source: a trace directory (else live) */
	gboolean stopping;
	const char *stop_reason;
	VgPerl *perl;
	VgdLive *live;
	VgdTp *tp;		/* the kernel's tracepoints, or NULL */
	VgMerge *merge;
	VgTasks *tasks;
	const VgdRecorder *recorder;
	guint n_cpus;
	const VgdCpuCounters *cc;	/* n_cpus of them */
	const char *metrics_url;	/* the Prometheus endpoint, or NULL */
	guint64 metrics_scrapes;	/* ... requests of it answered */
} VgdStatusView;

/* The text `vigilctl status` prints (g_free). */
char *vgd_status_text(const VgdStatusView *v);
/* The same, line by line into the log. */
void vgd_status_log(const VgdStatusView *v);
/* Vigil::stats(): the daemon's counters (events_read, dumps, ...). */
void vgd_status_add_perl_stats(const VgdStatusView *v, VgPerlStatsSink *sink);

G_END_DECLS

#endif
