/*
 * tpsource.h - vigild's second live source: the kernel's own tracepoints
 * through perf_event_open, without vigil.ko (docs/kernel-source.md).
 *
 * One PERF_TYPE_TRACEPOINT event per tracepoint and CPU, all of a CPU's
 * events writing into one perf ring buffer (PERF_EVENT_IOC_SET_OUTPUT),
 * CLOCK_MONOTONIC timestamps (use_clockid).  The samples are turned into
 * vigil packets (daemon/core/vg_tp.h) with metadata generated from the
 * tracefs format files, so the merge, the handlers, the flight recorder,
 * --record and replay see what they see with vigil.ko.  A statedump from
 * /proc precedes the first sample; vigild's own events are left out as
 * vigil.ko leaves them out.
 */
#ifndef VGD_TPSOURCE_H
#define VGD_TPSOURCE_H

#include <glib.h>
#include "config.h"
#include "vg_stream.h"
#include "recordout.h"

G_BEGIN_DECLS

typedef struct VgdTp VgdTp;

typedef struct {
	guint64 samples;	/* PERF_RECORD_SAMPLE read */
	guint64 lost;		/* samples the kernel lost (PERF_RECORD_LOST) */
	guint64 bad;		/* records that could not be decoded (logged) */
	guint64 packets;	/* packets made */
	guint64 own;		/* vigild's own events, left out */
	guint64 reordered;	/* samples older than the one before them on
				 * their CPU: written with that one's time */
} VgdTpCpuStats;

/* Find tracefs and list the tracepoints; nothing is opened yet. */
VgdTp *vgd_tp_new(const VgdConfig *cfg, GError **error);
void vgd_tp_free(VgdTp *tp);		/* stops tracing if running */

/* Metadata with every tracepoint of the kernel that vigild can read
 * (the syscalls:* subsystem excepted: syscalls:sys_enter_NAME and
 * sys_exit_NAME are derived from raw_syscalls as with vigil.ko), plus
 * the syscall table as with vigil.ko.  For checking the handlers and
 * choosing the events they need, before vgd_tp_enable_events(). */
VgMetadata *vgd_tp_catalog(VgdTp *tp, VgSyscallTable **syscalls,
			   GError **error);

/* The tracepoints to read: names ("all": the kernel's counterparts of
 * vigil.ko's events, those this kernel has).  An unknown name is an
 * error naming it. */
gboolean vgd_tp_enable_events(VgdTp *tp, GPtrArray *names, GError **error);
/* The events of names (enabled now if they were not) are sampled with
 * their callchain, kernel and user frames, at most depth addresses
 * (PERF_SAMPLE_CALLCHAIN, sample_max_stack): their metadata and records
 * end with it.  The other events' samples stay as they were.  After
 * vgd_tp_enable_events(), before vgd_tp_metadata(). */
gboolean vgd_tp_set_stacks(VgdTp *tp, GPtrArray *names, guint depth,
			   GError **error);
/* pid/tgid/syscall filters of cfg, as tracepoint filters in the kernel
 * (PERF_EVENT_IOC_SET_FILTER); tgids are taken as the threads they have
 * when tracing starts. */
gboolean vgd_tp_set_filters(VgdTp *tp, const VgdConfig *cfg,
			    const VgSyscallTable *syscalls, GError **error);
/* The metadata of the enabled events (a new uuid and clock offset),
 * with the syscall table. */
VgMetadata *vgd_tp_metadata(VgdTp *tp, const VgSyscallTable *syscalls,
			    GError **error);
guint vgd_tp_n_cpus(const VgdTp *tp);
/* Does the kernel have the tracepoint "system:event"? */
gboolean vgd_tp_has(const VgdTp *tp, const char *name);
/* The enabled tracepoints' names (borrowed; g_ptr_array_unref). */
GPtrArray *vgd_tp_enabled_names(const VgdTp *tp);
/* Before vgd_tp_start(): expr, the filter every handler of the enabled
 * tracepoint name has (vg_perl_event_filter), is applied by the kernel
 * too when it is one the kernel evaluates the same way
 * (vg_tp_kernel_filter; logged), so that the other samples are never
 * written.  Else nothing changes (vigild applies it, as always). */
void vgd_tp_set_event_filter(VgdTp *tp, const char *name, const char *expr);
/* Is "system:event" among the enabled tracepoints?  (tp may be NULL.) */
gboolean vgd_tp_enabled(const VgdTp *tp, const char *name);
/* Join a session of vigil.ko (both sources in one time order): after
 * vgd_tp_enable_events() and instead of vgd_tp_metadata().  The enabled
 * tracepoints get the event ids after mod_md's, our packets mod_md's
 * uuid, and no statedump is written (the module's serves).  Returns the
 * session's metadata: mod_md's text with these events added, env
 * vigil_source = "module+kernel", and the syscall table. */
VgMetadata *vgd_tp_join(VgdTp *tp, const VgMetadata *mod_md,
			const VgSyscallTable *syscalls, GError **error);
/* Our packets' lanes are lane_base + cpu (default 0; beside vigil.ko,
 * after the module's lanes). */
void vgd_tp_set_lane_base(VgdTp *tp, guint lane_base);

void vgd_tp_set_merge(VgdTp *tp, VgMerge *m);
/* The --record output (owned by the caller; NULL: none), which
 * receives every packet before the merge. */
void vgd_tp_set_record(VgdTp *tp, VgdRecordOut *r);
void vgd_tp_set_after_read(VgdTp *tp, void (*func)(gpointer), gpointer data);

/* Open the perf events on every online CPU, map the rings, enable them
 * and read them from ctx's loop (when a ring is half full, and every
 * switch_interval). */
gboolean vgd_tp_start(VgdTp *tp, GMainContext *ctx, GError **error);
/* Disable the events and read what the rings still hold into the merge
 * (drained by the caller).  Safe to call twice. */
void vgd_tp_stop(VgdTp *tp);
/* Read the rings now; returns the samples read. */
guint vgd_tp_poll(VgdTp *tp);

const VgdTpCpuStats *vgd_tp_cpu_stats(const VgdTp *tp, guint cpu);
/* How many tracepoints are read (events x CPUs = perf events). */
guint vgd_tp_n_events(const VgdTp *tp);

G_END_DECLS

#endif
