/*
 * vg_internal.h - what the parts of libvigilcore share and nobody else
 * sees: the metadata object and the per-class layout.  Calls go one
 * way: vg_tsdl.c (parser) -> vg_syscall.c (derived classes) ->
 * vg_metadata.c (model); vg_decode.c, vg_merge.c, vg_tasks.c and
 * vg_filter.c read the model.
 */
#ifndef VG_INTERNAL_H
#define VG_INTERNAL_H

#include "vg_stream.h"
#include <string.h>

#define VG_EVENT_HDR_SIZE 14	/* u16 id, u64 timestamp, s32 tid */
#define VG_MAX_DIRECT_ID 65536	/* uint16 event ids */

/* How to read one integer: */
enum {
	VG_RD_U8, VG_RD_U16, VG_RD_U32, VG_RD_U64,
	VG_RD_S8, VG_RD_S16, VG_RD_S32, VG_RD_S64,
	VG_RD_NONE,
};

/* Roles of the classes the core itself looks at (VG_ROLE_*, VG_EV_*):
 * generated from the VIGIL_EVENT_ROLE lines of kmod/vigil_events.h. */
#include "vg_events_gen.h"

typedef struct {
	guint n_fixed;		/* fields 0..n_fixed have fixed offsets */
	gboolean has_var;	/* a STRING field or a callchain exists */
	gboolean callchain;	/* the record ends with a callchain */
	guint32 fixed_size;	/* payload size when !has_var */
	/* the record iterator's per-record constants (vg_record_iter_take):
	 * payload bytes the fixed prefix needs (off[n_fixed]), the event's
	 * priv_known, and the step from a record's start to the next one's
	 * (header and fixed_size; VG_ITER_FAR when !has_var does not hold) */
	guint32 prefix_size;
	guint32 priv_known;
	gsize step;
	guint32 *off;		/* n_fields + 1 entries; valid up to n_fixed */
	guint32 *size;		/* bytes of each field (0 for STRING) */
	guint8 *rd;		/* VG_RD_* per field (element reader for arrays) */
	int role;		/* VG_ROLE_* */
	gboolean task_update;	/* the task table learns from it (vg_tasks_before) */
	gboolean task_role;	/* task_update, or a switch: the merge does
				 * more than look its task up */
	/* role SYS_ENTER / SYS_EXIT: field indexes, -1 if missing */
	int sc_id, sc_args, sc_path_arg, sc_path_status, sc_path, sc_ret;
	/* role STATEDUMP/FORK/EXEC/EXIT: field indexes by name */
	int t_tid, t_pid, t_ppid, t_comm, t_uid, t_exe;
	int t_child_pid, t_child_tgid, t_filename, t_tgid;
	int t_prev_pid, t_prev_comm, t_next_pid, t_next_comm;
	int t_newcomm;		/* task:task_rename (its pid is t_pid) */
	/* cgroups: statedump_process cgroup_id, fork child_cgroup_id,
	 * cgroup_attach_task dst_id/dst_root/dst_path/threadgroup (its pid
	 * is t_pid), statedump_cgroup id/path */
	int t_cgroup_id, t_cg_root, t_cg_path, t_cg_whole;
	/* derived classes */
	guint nr;
	guint n_args;
} VgClassLayout;

typedef struct {
	char *key;
	char *value;
	gboolean is_string;
} VgEnvEntry;

struct VgMetadata {
	char *text;		/* the parsed text */
	gsize text_len;
	gsize env_start, env_end;	/* env block range in text (start == end: none) */
	GString *extra;		/* event blocks added by vg_metadata_update */
	char *origin;
	guint8 uuid[16];
	gboolean has_uuid;
	guint64 clock_freq;
	gint64 clock_offset;
	GArray *env;		/* VgEnvEntry */
	GPtrArray *classes;	/* VgEventClass *, owned */
	GHashTable *by_name;	/* name -> class */
	VgEventClass **by_id;	/* ids < by_id_len */
	guint by_id_len;
	GHashTable *derived;	/* id -> class, for derived ids */
};

/* The model, vg_metadata.c (it calls none of the files below): */
VgEventClass *vg_class_new(guint32 id, const char *name, guint n_fields);
void vg_class_free(VgEventClass *cls);
/* The largest event record a class may describe (its fields' bytes, strings
 * counted empty): the layout's offsets are 32-bit and must never wrap. */
#define VG_CLASS_MAX_SIZE (64u << 20)
/* Compute cls->priv (layout) from cls->fields. */
void vg_class_layout(VgEventClass *cls);
void vg_metadata_add_class(VgMetadata *md, VgEventClass *cls);
/* A metadata object without text, classes or env (vg_tsdl.c fills it). */
VgMetadata *vg_metadata_new_empty(void);
/* Add or replace an env entry (nothing derived from it). */
void vg_metadata_env_put(VgMetadata *md, const char *key, const char *value,
			 gboolean is_string);

/* The syscall code, vg_syscall.c (calls the model): make the derived
 * syscalls:sys_enter_NAME / sys_exit_NAME classes of every
 * vigil_syscall_<nr> env entry (the parser calls it after a parse). */
void vg_syscall_derive_classes(VgMetadata *md);

/* Cgroup ids -> paths, vg_cgroup.c (for vg_tasks.c).  live: unknown
 * ids are looked up under the cgroup2 mount of /proc/self/mountinfo. */
typedef struct VgCgroups VgCgroups;
VgCgroups *vg_cgroups_new(gboolean live);
/* Live, with the tree below mount taken for the cgroup2 mount (tests). */
VgCgroups *vg_cgroups_new_at(const char *mount);
void vg_cgroups_free(VgCgroups *cg);
/* The entry of id (created if new; NULL for id 0). */
VgCgroup *vg_cgroups_get(VgCgroups *cg, guint64 id);
/* A path the trace gives for id ("/..."; others are ignored). */
void vg_cgroups_learn(VgCgroups *cg, guint64 id, const char *path, gsize len);
/* Live: the entry of a path below the mount (stat), NULL if none. */
VgCgroup *vg_cgroups_by_path(VgCgroups *cg, const char *path, gsize len);
void vg_cgroups_foreach(VgCgroups *cg, void (*fn)(const VgCgroup *c, gpointer data),
			gpointer data);

/* The front of vg_tasks.c's table: the direct-mapped cache (tid ->
 * task, checked by tid) in front of its hash table, for the lookup
 * inline below.  A slot never holds a freed task: removing a
 * task empties the slot of its tid (vg_tasks.c, forget_slot). */
#define VG_TASKS_CACHE 256
typedef struct {
	VgTask *cache[VG_TASKS_CACHE];
} VgTasksFront;

/* vg_tasks_get(), its cache hit inline (the merge, per event). */
static inline const VgTask *vg_tasks_get_inline(VgTasks *t, gint32 tid)
{
	const VgTasksFront *f = (const VgTasksFront *)t;
	const VgTask *k = f->cache[(guint32)tid % VG_TASKS_CACHE];

	if (G_LIKELY(k && k->tid == tid))
		return k;
	return vg_tasks_get(t, tid);
}

/* Report a corrupt packet met by a source feeding m (takes err): the
 * message gets "; NOTE (N bytes)" appended; counted in corrupt_packets. */
void vg_merge_report_error(VgMerge *m, GError *err, const char *note,
			   gsize skipped);

/* Offset of field i in e's payload, G_MAXSIZE when the record is corrupt. */
gsize vg_event_field_offset(VgEvent *e, guint i);
/* Payload size, G_MAXSIZE when corrupt. */
gsize vg_event_payload_end(VgEvent *e);

/* vg_metadata_class() for the record iterator's hot path. */
static inline const VgEventClass *vg_md_class_fast(const VgMetadata *md, guint16 id)
{
	return G_LIKELY(id < md->by_id_len) ? md->by_id[id] : NULL;
}

static inline guint64 vg_rd_u64(const guint8 *p)
{
	guint64 v;

	memcpy(&v, p, 8);
	return v;
}

/* VgRecordIter.next when the next record's start is not known without
 * decoding: past the end of any content, with room to add a step. */
#define VG_ITER_FAR (G_MAXSIZE / 4)

/* The record iterator asks for the bytes this far ahead of the record
 * it hands out: the processor's own prefetch stops at page boundaries,
 * and a replayed trace comes from memory, not from a cache (measured:
 * 10-20 % of the CPU time of a replay, docs/benchmarks.md). */
#define VG_ITER_PREFETCH 1024

/* Hand out the record at pos (of class cls, whose fixed prefix fits in
 * avail bytes after the header) as e: the one place an iterator fills
 * in an event (vg_record_iter_next and its fast case below). */
static inline void vg_record_iter_take(VgRecordIter *it, VgEvent *e,
				       const VgEventClass *cls, gsize pos,
				       gsize avail)
{
	const VgClassLayout *L = cls->priv;
	const guint8 *data = it->data;
	gint32 tid;

	/* (an address, not a pointer into the packet: past its end a
	 * prefetch asks for nothing useful, and never faults) */
	__builtin_prefetch((const void *)((guintptr)data + pos + VG_ITER_PREFETCH));
	it->pos = pos;
	it->next = pos + L->step;
	e->cls = cls;
	e->ts = vg_rd_u64(data + pos + 2);
	it->last_ts = e->ts;
	memcpy(&tid, data + pos + 10, 4);
	e->tid = tid;
	e->cpu = it->cpu;
	e->task = NULL;
	e->payload = data + pos + VG_EVENT_HDR_SIZE;
	e->payload_len = avail;
	e->priv_known = L->priv_known;
	e->priv_raw = NULL;
	it->cur = e;
}

/* vg_record_iter_next() for its common case, inline for the merge: the
 * record handed out last (it->cur) has a fixed size, so it->next is
 * where the next one starts, and that one is of a known class whose
 * fixed-size prefix fits in the content.  FALSE leaves the iterator as
 * it was: vg_record_iter_next() then does the rest (records with
 * strings, the end of the packet, errors).  Without a current record
 * it->next is VG_ITER_FAR (it->pkt may be a packet already released). */
static inline gboolean vg_record_iter_next_fast(VgRecordIter *it, VgEvent *e)
{
	const VgEventClass *cls;
	gsize pos = it->next;
	gsize avail;
	guint16 id;

	if (G_UNLIKELY(pos + VG_EVENT_HDR_SIZE > it->end))
		return FALSE;
	memcpy(&id, it->data + pos, 2);
	cls = vg_md_class_fast(it->md, id);
	if (G_UNLIKELY(!cls))
		return FALSE;
	avail = it->end - pos - VG_EVENT_HDR_SIZE;
	if (G_UNLIKELY(((const VgClassLayout *)cls->priv)->prefix_size > avail))
		return FALSE;
	vg_record_iter_take(it, e, cls, pos, avail);
	return TRUE;
}

static inline gint64 vg_read_int(const guint8 *p, guint rd)
{
	switch (rd) {
	case VG_RD_U8: return p[0];
	case VG_RD_U16: { guint16 v; memcpy(&v, p, 2); return v; }
	case VG_RD_U32: { guint32 v; memcpy(&v, p, 4); return v; }
	case VG_RD_U64: { guint64 v; memcpy(&v, p, 8); return (gint64)v; }
	case VG_RD_S8: return (gint8)p[0];
	case VG_RD_S16: { gint16 v; memcpy(&v, p, 2); return v; }
	case VG_RD_S32: { gint32 v; memcpy(&v, p, 4); return v; }
	case VG_RD_S64: { gint64 v; memcpy(&v, p, 8); return v; }
	default: return 0;
	}
}

#endif
