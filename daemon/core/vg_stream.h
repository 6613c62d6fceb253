/*
 * vg_stream.h - libvigilcore beyond the event/field boundary of
 * vg_core.h: metadata details, the syscall table, packets and their
 * records, the k-way merge, the task table, replay of a trace
 * directory and the atomic trace writer.
 *
 * Consumers: vigild (live source, flight recorder, main loop), the
 * Vigil XS module, gen-trace and the unit tests.
 *
 * Threading: nothing here takes locks; each object is used by one
 * thread at a time.
 */
#ifndef VG_STREAM_H
#define VG_STREAM_H

#include "vg_core.h"
#include "vigil_abi.h"

G_BEGIN_DECLS

/* ---- metadata: more than the class list ---------------------------- */

/* The 16 uuid bytes of the trace block (all zero if the metadata had
 * none). */
const guint8 *vg_metadata_uuid(const VgMetadata *md);
/* Clock "monotonic": offset in ns (offset_s * 1e9 + offset scaled by
 * freq) that turns event timestamps into ns since the epoch. */
gint64 vg_metadata_clock_offset(const VgMetadata *md);
guint64 vg_metadata_clock_freq(const VgMetadata *md);

/* env block.  Values are kept as text: a string value without its
 * quotes, an integer in decimal.  is_string tells which. */
guint vg_metadata_env_count(const VgMetadata *md);
gboolean vg_metadata_env_nth(const VgMetadata *md, guint i,
			     const char **key, const char **value,
			     gboolean *is_string);
/* NULL when absent. */
const char *vg_metadata_env(const VgMetadata *md, const char *key);
/* Add or replace an env entry; it appears in vg_metadata_to_tsdl().
 * Setting a "vigil_syscall_<nr>" entry also (re)creates the derived
 * syscalls:sys_enter_NAME / sys_exit_NAME classes. */
void vg_metadata_set_env(VgMetadata *md, const char *key, const char *value);
void vg_metadata_set_env_int(VgMetadata *md, const char *key, gint64 value);

/* TSDL text of the metadata as it is now: the parsed text with its env
 * block regenerated (entries added with vg_metadata_set_env included),
 * starting with the CTF 1.8 signature comment.  Derived classes are not
 * written: they follow from the env entries.  g_free() the result. */
char *vg_metadata_to_tsdl(const VgMetadata *md, gsize *len);

/* Add the event classes of a newer TSDL text of the same trace (the
 * module regenerates its metadata when kprobes are added): classes with
 * ids not yet known are added, the rest must be unchanged.  Class
 * pointers handed out before stay valid. */
gboolean vg_metadata_update(VgMetadata *md, const char *tsdl, gsize len,
			    const char *origin, GError **error);

/* Read a whole metadata file (plain text TSDL). */
VgMetadata *vg_metadata_load(const char *path, GError **error);

/* Ids of derived classes (never in a trace). */
#define VG_SYSCALL_ENTER_ID_BASE 0x100000u	/* + syscall nr */
#define VG_SYSCALL_EXIT_ID_BASE  0x200000u	/* + syscall nr */

/* For derived syscalls:sys_enter_NAME events the path argument (the one
 * the record's path_arg names, when path_status == 1) is a string; the
 * class says UINT for every argument.  This gives the kind of one field
 * of this event: STRING for that argument, the class's kind otherwise.
 * vg_event_str() works on it; vg_event_int() still gives the raw value. */
VgFieldKind vg_event_field_kind(VgEvent *e, guint field);

/* Exact payload size of a record, walking strings if needed; 0 if the
 * record is corrupt (a string runs past the packet's content). */
gsize vg_event_payload_size(VgEvent *e);

/* ---- syscall table -------------------------------------------------- */

typedef struct VgSyscallTable VgSyscallTable;

VgSyscallTable *vg_syscall_table_new(void);
void vg_syscall_table_free(VgSyscallTable *t);
/* Name a syscall number (no arguments known yet). */
void vg_syscall_table_set_name(VgSyscallTable *t, guint nr, const char *name);
/* Read "#define __NR_name nr" lines of an asm/unistd_64.h style header:
 * numbers for names.  Lines of other shapes are ignored. */
gboolean vg_syscall_table_load_numbers(VgSyscallTable *t, const char *path,
				       GError **error);
/* The numbers this vigil was built with (daemon/gen-syscall-numbers,
 * from the build machine's asm/unistd_64.h): { NULL, 0 } ends it. */
typedef struct {
	const char *name;
	guint nr;
} VgSyscallNumber;
extern const VgSyscallNumber vg_syscall_builtin[];
/* Parse one tracefs format file (events/syscalls/sys_enter_NAME/format):
 * the argument names are the fields after the common_* fields and
 * __syscall_nr.  NAME is matched to a number loaded before (a "new"
 * prefix, a "64" suffix and umount/umount2 are tried too); unknown names
 * are skipped (*matched = FALSE).  sys_exit_NAME formats are checked
 * (field ret) but add nothing.  Malformed text is an error naming
 * origin and line. */
gboolean vg_syscall_table_parse_format(VgSyscallTable *t, const char *text,
				       gsize len, const char *origin,
				       gboolean *matched, GError **error);
/* The whole job for the running kernel: numbers from unistd_h (NULL:
 * vg_syscall_builtin, no header needed at run time), names and arguments
 * from events_dir (NULL: /sys/kernel/tracing/events/syscalls, falling
 * back to /sys/kernel/debug/tracing/events/syscalls). */
VgSyscallTable *vg_syscall_table_load(const char *events_dir,
				      const char *unistd_h, GError **error);
guint vg_syscall_table_count(const VgSyscallTable *t);	/* named syscalls */
const char *vg_syscall_table_name(const VgSyscallTable *t, guint nr);
/* The number of the syscall called name, or -1 (t may be NULL). */
gint32 vg_syscall_table_number(const VgSyscallTable *t, const char *name);
/* NULL-terminated argument names, NULL if nr is unknown. */
const char *const *vg_syscall_table_args(const VgSyscallTable *t, guint nr);
/* Their C types as the format file declares them ("int", "const char *"),
 * same order; NULL if nr is unknown. */
const char *const *vg_syscall_table_types(const VgSyscallTable *t, guint nr);
/* Store the table in the metadata as env entries
 * vigil_syscall_<nr> = "name:arg0=TYPE0,arg1=TYPE1,..." and create the
 * derived classes.  "=TYPE" may be absent (traces written before types
 * were kept): such an argument is unsigned.  Arguments of a signed C type
 * (int, pid_t, long, ...) are signed, those of 32-bit types sign-extended
 * from their low 32 bits (dfd = -100, not 4294967196).  (Metadata parsed
 * from a trace that has these entries gets its derived classes at parse
 * time.) */
void vg_metadata_add_syscalls(VgMetadata *md, const VgSyscallTable *t);

/* ---- packets -------------------------------------------------------- */

typedef struct VgPacket VgPacket;
/* Lanes (stream_instance_id) and CPUs (cpu_id) are below this. */
#define VG_MAX_LANES 65536

struct VgPacket {
	guint32 cpu;		/* cpu_id: the CPU of its events */
	guint32 lane;		/* stream_instance_id: its queue in the merge
				 * (the CPU's, unless a session has several
				 * sources: vg_merge.c) */
	guint64 seq;		/* packet_seq_num */
	guint64 ts_begin;
	guint64 ts_end;
	guint64 events_discarded;	/* running total of this CPU */
	const guint8 *data;	/* the packet, header first */
	gsize content_size;	/* bytes with records (header included) */
	gsize packet_size;	/* bytes of the packet (with padding) */
	/* where the packet is, for messages: set by sources whose origin
	 * outlives the packet (replay: the stream file), else NULL / 0 */
	const char *origin;
	guint64 offset;
	/* private */
	gint refcount;
	GDestroyNotify release;	/* called with release_data when freed */
	gpointer release_data;
	VgPacket *next;		/* queue link, owned by whoever queues it */
};

/* Check the packet at data (avail bytes readable from there): magic,
 * uuid (when uuid is not NULL), stream id 0, content_size <= packet_size
 * <= avail, content_size >= header size, both whole bytes, ts_begin <=
 * ts_end, stream_instance_id and cpu_id below VG_MAX_LANES.  On success
 * fills *hdr_out fields (cpu, lane, seq, timestamps, sizes).  Errors are VG_ERROR_FORMAT: "ORIGIN offset N: bad magic
 * 0x...". */
gboolean vg_packet_check(const guint8 *data, gsize avail,
			 const guint8 *uuid, const char *origin,
			 guint64 offset, VgPacket *hdr_out, GError **error);
/* Validated packet that borrows data: release(release_data) is called
 * when the last reference goes (NULL release: nothing). */
VgPacket *vg_packet_new_borrowed(const guint8 *data, gsize avail,
				 const guint8 *uuid, const char *origin,
				 guint64 offset, GDestroyNotify release,
				 gpointer release_data, GError **error);
/* Validated packet holding a private copy of its packet_size bytes. */
VgPacket *vg_packet_new_copy(const guint8 *data, gsize avail,
			     const guint8 *uuid, const char *origin,
			     guint64 offset, GError **error);
VgPacket *vg_packet_ref(VgPacket *p);
void vg_packet_unref(VgPacket *p);
/* A copy of p without its padding (packet_size rewritten to the content
 * rounded up to 8 bytes: still a valid packet), or NULL when p has no
 * padding to drop or is not in the layout of vigil_abi.h. */
VgPacket *vg_packet_compact(VgPacket *p);

/* ---- packet writer (vg_pktwrite.c) ------------------------------------- */

/* Builds one packet in vigil's layout in memory:
 *
 *	vg_pw_begin(&w, uuid, cpu, seq, discarded);
 *	vg_pw_record(&w, id, ts, tid);	record header, then its payload:
 *	vg_pw_u32(&w, ...); vg_pw_chars(&w, comm, 16); vg_pw_string(&w, s);
 *	p = vg_pw_finish(&w, 0, 0, 0, "origin", &err);
 *
 * Integers are written little-endian, packed (align = 8 bits). */
typedef struct {
	GByteArray *buf;	/* the packet so far (header space first) */
	guint8 uuid[16];
	guint32 cpu;		/* cpu_id */
	guint32 lane;		/* stream_instance_id: cpu unless set after
				 * vg_pw_begin */
	guint64 seq;		/* packet_seq_num */
	guint64 discarded;	/* events_discarded */
	guint64 ts_first, ts_last;	/* of the records written */
	gboolean any;
} VgPacketWriter;

void vg_pw_begin(VgPacketWriter *w, const guint8 *uuid, guint32 cpu,
		 guint64 seq, guint64 discarded);
/* Bytes written so far (headers included). */
gsize vg_pw_len(const VgPacketWriter *w);
/* Record header { uint16 id; uint64 timestamp; } and context { int32 tid }. */
void vg_pw_record(VgPacketWriter *w, guint16 id, guint64 ts, gint32 tid);
void vg_pw_put(VgPacketWriter *w, const void *data, gsize n);
void vg_pw_u8(VgPacketWriter *w, guint8 v);
void vg_pw_u16(VgPacketWriter *w, guint16 v);
void vg_pw_u32(VgPacketWriter *w, guint32 v);
void vg_pw_u64(VgPacketWriter *w, guint64 v);
/* The low size bytes of v (size 1..8). */
void vg_pw_uint(VgPacketWriter *w, guint64 v, guint size);
/* NUL-terminated string field. */
void vg_pw_string(VgPacketWriter *w, const char *s);
/* char_t NAME[n]: s truncated or NUL-padded to n bytes (s may be NULL). */
void vg_pw_chars(VgPacketWriter *w, const char *s, guint n);
/* Fill in the packet header and context and pad with zeros to
 * packet_size bytes (0: the content rounded up to 8; a packet_size below
 * the content is written as given, for tests of bad packets).  ts_begin/ts_end 0:
 * the first/last record's timestamp (ts_end never below ts_begin).
 * Returns the bytes (g_free) and their number; w is spent. */
guint8 *vg_pw_end(VgPacketWriter *w, gsize packet_size, guint64 ts_begin,
		  guint64 ts_end, gsize *len);
/* Same, as a packet that owns the bytes (NULL with error if the result is
 * not a valid packet, e.g. packet_size below the content). */
VgPacket *vg_pw_finish(VgPacketWriter *w, gsize packet_size,
		       guint64 ts_begin, guint64 ts_end, const char *origin,
		       GError **error);
/* Drop an unfinished packet. */
void vg_pw_abort(VgPacketWriter *w);

/* One record of class cls with its fields given by name (vg_sdwrite.c:
 * the statedumps vigild writes): integers from num, CHARS and STRING
 * fields from str (NULL: empty); a field of cls not in f is 0 / empty,
 * a name in f that cls lacks is left out. */
typedef struct {
	const char *name;
	guint64 num;
	const char *str;
} VgPwField;
void vg_pw_fields(VgPacketWriter *w, const VgEventClass *cls, guint64 ts,
		  gint32 tid, const VgPwField *f, guint n);

/* Iterate over the records of a packet.  The event handed out has
 * cls, ts, cpu, tid, payload (payload_len = bytes up to the end of
 * content: an upper bound); task is NULL (the merge fills it).  Field
 * offsets are computed lazily: the fixed-size prefix of a class once per
 * class, fields after a string only when read. */
typedef struct {
	const VgMetadata *md;
	const VgPacket *pkt;
	gsize pos;		/* offset of the next record */
	gsize end;		/* content end */
	VgEvent *cur;		/* event handed out last (end not known yet) */
	guint64 last_ts;	/* of the last record handed out */
	gboolean tail_checked;	/* the bytes after content_size were looked at */
	/* for the merge's inline step (vg_internal.h): */
	const guint8 *data;	/* pkt->data */
	guint32 cpu;		/* pkt->cpu */
	gsize next;		/* where the record after cur starts when cur
				 * has a fixed size, else past any content */
} VgRecordIter;

void vg_record_iter_init(VgRecordIter *it, const VgMetadata *md,
			 const VgPacket *pkt);
/* 1: *e holds the next record; 0: no more records; -1: corrupt record
 * (unknown class id, record past content end, unterminated string), or
 * content_size cut records off (a plausible record -- known class,
 * timestamp within the packet's and not before the last record's --
 * starts right at content_size in the padding): error says
 * "FILE offset N (cpu C packet SEQ): ..." when the packet has an origin,
 * else "cpu C packet SEQ offset N: ..."; the rest of the packet is
 * skipped (later calls return 0).  e must stay valid until the next
 * call (its string walk is reused to find the next record). */
int vg_record_iter_next(VgRecordIter *it, VgEvent *e, GError **error);

/* ---- cgroup v2 ---------------------------------------------------------- */

/* The cgroup2 mount point from /proc/self/mountinfo (g_free), or NULL. */
char *vg_cgroup2_mount(void);
/* The id of the cgroup directory path ("/..." below mount): its inode. */
gboolean vg_cgroup2_id(const char *mount, const char *path, guint64 *id);
/* The v2 path of /proc/TID/cgroup ("0::/PATH"), g_free; NULL if none. */
char *vg_cgroup_of_tid(gint32 tid);

/* ---- task table ------------------------------------------------------ */

typedef struct VgTasks VgTasks;

/* live: unknown tids are looked up in /proc/<tid>/stat (and status,
 * exe) the first time; otherwise (replay) they get a placeholder:
 * pid = tid, ppid = 0, comm "<unknown>". */
VgTasks *vg_tasks_new(const VgMetadata *md, gboolean live);
void vg_tasks_free(VgTasks *t);
/* Never NULL: creates a placeholder for unknown tids.  The pointer is
 * valid until the task is removed (after its exit event is delivered). */
const VgTask *vg_tasks_get(VgTasks *t, gint32 tid);
/* NULL if unknown (creates nothing). */
const VgTask *vg_tasks_find(VgTasks *t, gint32 tid);
guint vg_tasks_count(const VgTasks *t);
/* Apply vigil:statedump_process, sched:sched_process_fork and
 * sched:sched_process_exec (before the event is delivered), set e->task. */
void vg_tasks_before(VgTasks *t, VgEvent *e);
/* Apply sched:sched_process_exit (after the event is delivered). */
void vg_tasks_after(VgTasks *t, VgEvent *e);
/* Every cgroup the table has met (tasks' ones, the trace's paths and,
 * live, what walks of the cgroup2 mount found), in no order. */
void vg_tasks_foreach_cgroup(VgTasks *t,
			     void (*fn)(const VgCgroup *c, gpointer data),
			     gpointer data);

/* ---- merge ----------------------------------------------------------- */

/* The merge keeps one queue per lane: a stream instance (VgPacket.lane),
 * the packets of one CPU from one source, in time order.  With one
 * source, lane = CPU; with several, each source has its own lanes
 * (vg_merge.c). */
typedef struct VgMerge VgMerge;

/* A packet whose last event has been delivered.  The callee owns the
 * merge's reference (default, no callback: vg_packet_unref). */
typedef void (*VgPacketDoneFunc)(VgPacket *p, gpointer user_data);
/* A lane's queue ran dry: push more packets for it (vg_merge_push) and
 * return TRUE, or return FALSE if that lane has ended (it then never
 * holds events back).  Used by replay; live sources set none. */
typedef gboolean (*VgRefillFunc)(VgMerge *m, guint lane, gpointer user_data);
/* Corrupt records and packets: the error is logged (g_warning) unless a
 * callback takes it. */
typedef void (*VgErrorFunc)(const GError *error, gpointer user_data);

typedef struct {
	guint64 packets;
	guint64 events;		/* delivered */
	guint64 discarded;	/* by the kernel (events_discarded deltas) */
	guint64 lost_packets;	/* seq gaps */
	guint64 out_of_order;	/* earlier than the previous event of the lane */
	guint64 corrupt;	/* corrupt records (rest of packet skipped) */
} VgLaneStats;

typedef struct {
	guint64 events;
	guint64 late;		/* delivered earlier than an event already
				 * delivered from another lane */
	guint64 last_ts;
	guint64 corrupt_packets;	/* skipped by the source (replay) */
} VgMergeStats;

/* md must outlive the merge.  tasks may be NULL (events then get a
 * shared placeholder task).  deliver is called for every event, in
 * timestamp order (ties: lower lane first, then arrival order).  n_lanes
 * is a hint: a packet of a higher lane adds lanes. */
VgMerge *vg_merge_new(const VgMetadata *md, guint n_lanes, VgTasks *tasks,
		      VgDeliverFunc deliver, gpointer user_data);
void vg_merge_free(VgMerge *m);	/* queued packets are released */
void vg_merge_set_packet_done(VgMerge *m, VgPacketDoneFunc func,
			      gpointer user_data);
void vg_merge_set_refill(VgMerge *m, VgRefillFunc func, gpointer user_data);
void vg_merge_set_error_func(VgMerge *m, VgErrorFunc func, gpointer user_data);
/* Queue a packet in its lane (ownership passes to the merge).  Packets
 * of one lane must come in sequence order.  Raises the lane's watermark
 * to ts_end. */
void vg_merge_push(VgMerge *m, VgPacket *p);
/* The lane will produce nothing earlier than ts (e.g. its CPU has been
 * quiet through a switch at ts). */
void vg_merge_set_watermark(VgMerge *m, guint lane, guint64 ts);
/* The lane produces nothing for now (CPU offline, or not traced): it no
 * longer holds other lanes' events back, until its next packet arrives. */
void vg_merge_set_lane_idle(VgMerge *m, guint lane);
/* Deliver every event that is safe: no lane can still produce an
 * earlier one (each lane has a queued later event or a watermark at or
 * past it).  Returns the number delivered. */
guint64 vg_merge_run(VgMerge *m);
/* Deliver everything queued (stop of a live session, end of replay;
 * with a refill function, until every lane has ended). */
guint64 vg_merge_drain(VgMerge *m);
/* Make run/drain return after the event being delivered. */
void vg_merge_interrupt(VgMerge *m);
guint vg_merge_n_lanes(const VgMerge *m);
const VgLaneStats *vg_merge_lane_stats(const VgMerge *m, guint lane);
const VgMergeStats *vg_merge_stats(const VgMerge *m);

/* ---- replay ---------------------------------------------------------- */

typedef struct VgReplay VgReplay;

/* Open a CTF trace directory: DIR/metadata and every other regular file
 * not starting with '.' as a stream file (concatenated packets of one
 * lane, normally stream_<lane>; the lane is taken from the packets).
 * Files are mmap'd. */
VgReplay *vg_replay_open(const char *dir, GError **error);
void vg_replay_free(VgReplay *r);	/* after the merge using it */
VgMetadata *vg_replay_metadata(VgReplay *r);
guint vg_replay_n_lanes(const VgReplay *r);	/* highest lane + 1 */
/* Install the refill function on m (created with vg_replay_n_lanes()
 * lanes): m then pulls packets from the stream files as it goes.  Corrupt
 * packets are reported through m's error function (file and offset) and
 * skipped (the reader resynchronises on the next valid header). */
void vg_replay_attach(VgReplay *r, VgMerge *m);
/* Convenience: merge the whole trace into deliver (tasks as for
 * vg_merge_new).  Returns events delivered. */
guint64 vg_replay_run(VgReplay *r, VgTasks *tasks, VgDeliverFunc deliver,
		      gpointer user_data, VgErrorFunc errfunc,
		      gpointer err_data);

/* ---- trace writer ----------------------------------------------------- */

typedef struct VgWriter VgWriter;

/* Start a trace directory at path (must not exist).  Everything goes to
 * a temporary sibling "path.tmp-XXXXXX" first. */
VgWriter *vg_writer_new(const char *path, GError **error);
/* Append one packet (packet_size bytes) to the stream file of its lane
 * ("stream_<lane>"). */
gboolean vg_writer_add_packet(VgWriter *w, const VgPacket *p, GError **error);
gboolean vg_writer_add_data(VgWriter *w, guint lane, const void *data,
			    gsize len, GError **error);
/* Write metadata (vg_metadata_to_tsdl), fsync every file and the
 * directory, rename into place, fsync the parent.  Frees w.  On any
 * error the partial output is removed and the error names the path. */
gboolean vg_writer_finish(VgWriter *w, const VgMetadata *md, GError **error);
/* An error from add_* has already removed the partial output; w must
 * still be freed with vg_writer_abort().  Remove the partial output and
 * free w. */
void vg_writer_abort(VgWriter *w);
/* The temporary directory being written ("path.tmp-XXXXXX"), until
 * vg_writer_finish renames it to path; NULL once the writer failed. */
const char *vg_writer_work_dir(const VgWriter *w);

G_END_DECLS

#endif
