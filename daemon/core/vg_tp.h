/*
 * vg_tp.h - the kernel's own tracepoints as an event source, the parts
 * that need no running kernel: tracefs format files parsed into field
 * descriptions, CTF metadata (TSDL in vigil's layout) generated from
 * them, perf ring-buffer records (PERF_RECORD_SAMPLE with
 * PERF_SAMPLE_IDENTIFIER|TID|TIME|CPU|RAW, PERF_RECORD_LOST) parsed, and
 * a sample's raw tracepoint data written as a record of a vigil packet
 * (vg_pktwrite.c).  vigild's tpsource.c opens the perf events and reads
 * the rings; everything downstream (merge, decode, filters, flight
 * recorder, dumps, replay) sees ordinary vigil packets.
 *
 * Field names are the kernel's, except that the format's common_*
 * fields are left out (the record header gives the thread, the daemon
 * adds common_pid and the rest) and dynamic arrays other than strings
 * (`__data_loc unsigned long[] x`) are left out.  A kernel name starting
 * with an underscore (`_type`) keeps it: in the TSDL text such a name,
 * and one that is a TSDL keyword, is written with one more leading
 * underscore, which CTF readers (babeltrace2 and vigild's parser)
 * remove.
 */
#ifndef VG_TP_H
#define VG_TP_H

#include "vg_stream.h"

G_BEGIN_DECLS

typedef enum {
	VG_TP_INT,		/* integer of size 1, 2, 4 or 8 */
	VG_TP_HEX,		/* pointer: uint64_hex_t */
	VG_TP_CHARS,		/* char NAME[N] */
	VG_TP_ARRAY,		/* integers NAME[N], elem_size each */
	VG_TP_BYTES,		/* anything else of a fixed size: uint8_t NAME[size] */
	VG_TP_STRING,		/* __data_loc char[] / __rel_loc char[] */
} VgTpKind;

typedef struct {
	char *name;		/* the kernel's name */
	char *type;		/* the C type the format declares */
	VgTpKind kind;
	guint offset;		/* in the raw data (common fields included) */
	guint size;		/* bytes in the raw data */
	guint elem_size;	/* INT, ARRAY: bytes of one integer */
	guint count;		/* CHARS, ARRAY: elements */
	gboolean is_signed;
	gboolean rel_loc;	/* STRING: __rel_loc (offset from the field's end) */
} VgTpField;

typedef struct {
	char *system;		/* "sched" */
	char *event;		/* "sched_switch" */
	char *name;		/* "sched:sched_switch" */
	guint32 id;		/* the kernel's tracepoint id (perf config) */
	guint32 class_id;	/* its event id in the trace: id, unless the
				 * trace has other events too (vigil.ko's) */
	guint n_fields;		/* fields handed on (common_* excluded) */
	VgTpField *fields;
	guint min_size;		/* raw bytes every field needs */
	gboolean callchain;	/* sampled with its callchain: the event's
				 * metadata and records end with it
				 * (VG_CALLCHAIN_DEPTH_FIELD, VG_CALLCHAIN_FIELD) */
} VgTpFormat;

/* Parse the text of events/SYSTEM/EVENT/format.  Errors name origin and
 * line: "ORIGIN:7: expected 'offset:N;'". */
VgTpFormat *vg_tp_format_parse(const char *text, gsize len,
			       const char *system, const char *origin,
			       GError **error);
void vg_tp_format_free(VgTpFormat *f);

/* The tracefs events directory: /sys/kernel/tracing/events, else
 * /sys/kernel/debug/tracing/events; when neither is there, mount tracefs
 * on /sys/kernel/tracing (root only).  g_free() the result.  The error
 * says what was tried. */
char *vg_tp_events_dir(GError **error);
/* "system:event" names of every tracepoint under events_dir, sorted. */
GPtrArray *vg_tp_list(const char *events_dir, GError **error);
/* Read and parse events_dir/SYSTEM/EVENT/format for "system:event".  An
 * unknown name is "no such tracepoint in this kernel: NAME". */
VgTpFormat *vg_tp_format_load(const char *events_dir, const char *name,
			      GError **error);

/* vigild's own statedump events in a trace of the kernel's tracepoints
 * (vigil:statedump_process, _end, _cgroup, _irq, _mmap, with the fields
 * kmod/vigil_events.h gives them: docs/design.md), written by vigild
 * from /proc and /sys when tracing starts (by field name, vg_pw_fields);
 * ids no tracepoint format may have. */
#define VG_TP_OWN_ID_MIN	65531u
#define VG_TP_STATEDUMP_MMAP_ID	65531u
#define VG_TP_STATEDUMP_IRQ_ID	65532u
#define VG_TP_STATEDUMP_CGROUP_ID 65533u
#define VG_TP_STATEDUMP_ID	65534u
#define VG_TP_STATEDUMP_END_ID	65535u

/* CTF metadata text for a trace of these formats (VgTpFormat *, event
 * ids: their class_id), in vigil's layout (docs/design.md), with
 * the env block naming the kernel as the source (vigil_source =
 * "kernel") and the clock offset (ns) that turns CLOCK_MONOTONIC into
 * wall-clock time, and the statedump classes above.  g_free() it. */
char *vg_tp_tsdl(GPtrArray *formats, const guint8 *uuid, gint64 clock_offset);

/* The event blocks of vg_tp_tsdl() alone, to add these formats to
 * another trace's metadata (vigil.ko's): their class_ids must be free
 * there.  g_free() it. */
char *vg_tp_tsdl_events(GPtrArray *formats);
/* Append the record of one sample to w: header (id = f->class_id, ts, tid)
 * and the payload in the field order of vg_tp_tsdl().  FALSE (nothing
 * written) when raw is too short for the format or a string runs out of
 * it; the error says which field. */
gboolean vg_tp_write_record(VgPacketWriter *w, const VgTpFormat *f,
			    guint64 ts, gint32 tid, const guint8 *raw,
			    gsize raw_len, GError **error);
/* The same for a format with f->callchain, followed by the callchain:
 * chain (n addresses, perf's PERF_SAMPLE_CALLCHAIN order, unaligned)
 * without perf's context markers (PERF_CONTEXT_KERNEL, _USER, ...),
 * at most G_MAXUINT16 addresses. */
gboolean vg_tp_write_record_chain(VgPacketWriter *w, const VgTpFormat *f,
				  guint64 ts, gint32 tid, const guint8 *raw,
				  gsize raw_len, const guint8 *chain, guint64 n,
				  GError **error);

/* expr, a handler's filter (vg_filter syntax), as a tracepoint filter
 * the kernel applies before it writes a sample
 * (PERF_EVENT_IOC_SET_FILTER), or NULL when it is not certainly the
 * same there: only integer and pointer fields of f, integer constants,
 * comparisons, &, !, && and || with parentheses pass (no strings, no
 * arrays, no common_* fields: the kernel's common_pid is the thread).
 * g_free() it.  The daemon still applies expr itself. */
char *vg_tp_kernel_filter(const VgTpFormat *f, const char *expr);

/* One perf ring-buffer record, as read with the sample type
 * VG_TP_SAMPLE_TYPE. */
#define VG_TP_SAMPLE_TYPE_BITS "IDENTIFIER|TID|TIME|CPU|RAW"
/* ... and "IDENTIFIER|TID|TIME|CPU|CALLCHAIN|RAW" for the events sampled
 * with their callchain (parse them with VG_TP_REC_CALLCHAIN: the
 * IDENTIFIER, vg_tp_record_ident(), says which event a record is of) */
#define VG_TP_REC_CALLCHAIN	(1u << 0)
typedef struct {
	guint32 type;		/* PERF_RECORD_* */
	guint64 id;		/* SAMPLE: the perf event's id; LOST: id */
	guint32 pid, tid;
	guint64 time;
	guint32 cpu;
	const guint8 *raw;	/* SAMPLE: the tracepoint's data */
	guint32 raw_size;
	guint64 lost;		/* LOST: samples lost */
	const guint8 *chain;	/* CALLCHAIN: chain_nr u64 (unaligned) */
	guint64 chain_nr;
} VgTpRecord;

/* Parse the record at rec (len bytes: the whole record, header
 * included).  Returns TRUE for SAMPLE and LOST records (filled in),
 * FALSE with *error NULL for other record types (skip them), FALSE with
 * an error for a malformed one. */
gboolean vg_tp_parse_record(const guint8 *rec, gsize len, VgTpRecord *out,
			    GError **error);
/* The same with the sample layout flags (VG_TP_REC_*) of its event. */
gboolean vg_tp_parse_record_as(const guint8 *rec, gsize len, guint flags,
			       VgTpRecord *out, GError **error);
/* The IDENTIFIER of a PERF_RECORD_SAMPLE at rec (FALSE: another type, or
 * too short), to choose the flags before parsing it. */
gboolean vg_tp_record_ident(const guint8 *rec, gsize len, guint64 *id);
/* The common_type (tracepoint id) at the start of raw data, or -1. */
gint32 vg_tp_raw_type(const guint8 *raw, gsize len);

G_END_DECLS

#endif
