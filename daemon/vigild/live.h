/*
 * live.h - vigild's live source: /dev/vigil and the per-CPU relay
 * buffers (file descriptors from /dev/vigil, no debugfs), read through
 * read-only mappings and handed to the merge.
 */
#ifndef VGD_LIVE_H
#define VGD_LIVE_H

#include <glib.h>
#include "config.h"
#include "vg_stream.h"
#include "recordout.h"

G_BEGIN_DECLS

typedef struct VgdLive VgdLive;

typedef struct {
	guint64 packets;	/* sub-buffers read */
	guint64 bytes;		/* content bytes read */
	guint64 bad_packets;	/* failed validation (logged, skipped) */
	guint64 lost_packets;	/* sequence numbers never seen */
	/* from VIGIL_IOC_STATS */
	guint64 k_events_written;
	guint64 k_events_discarded;
	guint64 k_subbufs_produced;
	guint64 k_subbufs_consumed;
	guint64 k_annotations_dropped;
	/* causes of k_events_discarded; the rest came while paused */
	guint64 k_discarded_too_big;
	guint64 k_discarded_full;
	guint64 k_discarded_nested;
} VgdLiveCpuStats;

/* Open /dev/vigil (a missing device is "vigil.ko is not loaded (no
 * /dev/vigil)"), stop a session left running, and CONFIGURE it from cfg
 * (mode, buffer size and count, switch interval, flags). */
VgdLive *vgd_live_open(const VgdConfig *cfg, GError **error);
void vgd_live_free(VgdLive *l);		/* stops tracing if running */

/* The metadata the module publishes now (with the running kernel's
 * syscall table added when it can be read: the table is returned in
 * *syscalls when that is not NULL, else freed; a table already in
 * *syscalls is used instead of reading it again).  The trace uuid and
 * clock offset change with each CONFIGURE: read it again after
 * vgd_live_open().  It needs no session (VIGIL_IOC_METADATA_FD works
 * on any fd): it is read before the module is configured, so that
 * handler filters can be checked against it first. */
VgMetadata *vgd_live_read_metadata(VgSyscallTable **syscalls,
				   GError **error);
/* Whether /dev/vigil opens (--source auto); FALSE with why not. */
gboolean vgd_live_usable(GError **error);
/* FALSE with "vigil.ko is not loaded (no /dev/vigil)" when it is not. */
gboolean vgd_live_check_module(GError **error);

/* Channels (cfg->channels): each event listed goes to its channel
 * (channel i + 1 for cfg->channels->pdata[i]).  After the events were
 * enabled and the kprobes added.  Errors name the channel and event. */
gboolean vgd_live_route_events(VgdLive *l, const VgdConfig *cfg,
			       GError **error);
/* Lanes of the module: a channel's per CPU, channel * n_cpus + cpu. */
guint vgd_live_n_lanes(const VgdLive *l);
/* Whether lane's packets are read live (a normal channel's). */
gboolean vgd_live_lane_streamed(const VgdLive *l, guint lane);
/* Mixed mode: the default channel streams and some channel is a flight
 * one. */
gboolean vgd_live_mixed(const VgdLive *l);
/* Mixed mode snapshot: each flight channel paused (CHAN_PAUSE), its
 * newest n_subbufs - 1 packets of every CPU copied, resumed; the normal
 * channels stream on.  A GPtrArray of VgPacket, or NULL with the error. */
GPtrArray *vgd_live_snapshot_flight(VgdLive *l, GError **error);
/* vigilctl status: one line a channel (nothing with one channel). */
void vgd_live_append_channels(VgdLive *l, GString *s);

/* Enable events by name ("all" = every built-in event).  Errors name the
 * event the module refused. */
/* The kernel stacks of these built-in events (VIGIL_IOC_STACK), at most
 * depth addresses each; after vgd_live_open(), before the metadata is
 * read (it then has their callchain sequences). */
gboolean vgd_live_set_stacks(VgdLive *l, GPtrArray *names, guint depth,
			     GError **error);
gboolean vgd_live_enable_events(VgdLive *l, GPtrArray *names,
				GError **error);
/* Add cfg's kprobes (events kprobes:NAME, recorded from now on); the
 * metadata must be read again afterwards to know their classes.  Errors
 * name the probe and its symbol. */
gboolean vgd_live_add_kprobes(VgdLive *l, const VgdConfig *cfg,
			      GError **error);
/* In-kernel pid/tgid/syscall filters from cfg; syscall names are looked
 * up in syscalls (may be NULL: then names are an error). */
gboolean vgd_live_set_filters(VgdLive *l, const VgdConfig *cfg,
			      const VgSyscallTable *syscalls, GError **error);

/* Get every CPU's buffer from /dev/vigil and map it read-only. */
/* After vgd_live_set_filters(): whether vigil.ko leaves out the events
 * about vigild's own process (else vigild must drop them itself). */
gboolean vgd_live_excludes_self(const VgdLive *l);

gboolean vgd_live_map(VgdLive *l, GError **error);
guint vgd_live_n_cpus(const VgdLive *l);

/* Where packets read go: the merge (owned by the caller, may be NULL in
 * flight mode), and optionally the --record output (owned by the
 * caller), which receives every packet first. */
void vgd_live_set_merge(VgdLive *l, VgMerge *m, const guint8 *uuid);
void vgd_live_set_record(VgdLive *l, VgdRecordOut *r);
/* Called after packets were pushed (instead of vg_merge_run). */
void vgd_live_set_after_read(VgdLive *l, void (*func)(gpointer),
			     gpointer data);

/* START and (unless flight mode) start the reader thread, which copies
 * finished sub-buffers out and gives them back to the kernel, and hands
 * the copies to ctx's loop (record, merge, after-read callback). */
gboolean vgd_live_start(VgdLive *l, GMainContext *ctx, GError **error);
/* Stop the reader, STOP, FLUSH, read what is left (into the merge,
 * which is then drained by the caller).  Safe to call twice. */
void vgd_live_stop(VgdLive *l);
/* Hand what was read to the merge (and, when the reader thread is not
 * running, read everything finished now first).  Returns packets. */
guint vgd_live_poll(VgdLive *l);

/* Flight mode snapshot: PAUSE, copy the newest n_subbufs - 1 finished
 * packets of every CPU (validated, in sequence order per CPU), RESUME.
 * Returns a GPtrArray of VgPacket (free func vg_packet_unref). */
GPtrArray *vgd_live_snapshot(VgdLive *l, GError **error);

/* Refresh the kernel counters (VIGIL_IOC_STATS) and return one CPU's. */
gboolean vgd_live_update_stats(VgdLive *l, GError **error);
const VgdLiveCpuStats *vgd_live_cpu_stats(const VgdLive *l, guint cpu);

G_END_DECLS

#endif
