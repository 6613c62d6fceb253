/*
 * vg_core.h - the public face of libvigilcore, the C core shared by
 * vigild, vigilctl, the unit tests and the Vigil XS module.
 *
 * This is the boundary between the core (metadata, packets, merge,
 * decode, tasks, filters, traces) and its consumers (Perl dispatch,
 * flight recorder).  Keep it small; grow it only with both sides.
 */
#ifndef VG_CORE_H
#define VG_CORE_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define VG_ERROR (vg_error_quark())
GQuark vg_error_quark(void);
typedef enum {
	VG_ERROR_PARSE,		/* bad metadata, config, filter: message names where */
	VG_ERROR_FORMAT,	/* bad packet or record */
	VG_ERROR_IO,
	VG_ERROR_KERNEL,	/* an ioctl failed */
	VG_ERROR_REFUSED,	/* declined by a policy (dump rate limit): not
				 * a failure, logged where it was decided */
} VgErrorCode;

/* ---- event classes (from the CTF metadata) ------------------------- */

typedef enum {
	VG_FIELD_INT,		/* signed integer */
	VG_FIELD_UINT,		/* unsigned integer */
	VG_FIELD_CHARS,		/* char_t NAME[N]: NUL-padded text */
	VG_FIELD_STRING,	/* NUL-terminated string */
	VG_FIELD_INT_ARRAY,	/* fixed array of signed integers */
	VG_FIELD_UINT_ARRAY,	/* fixed array of unsigned integers */
} VgFieldKind;

typedef struct {
	char *name;
	VgFieldKind kind;
	guint elem_size;	/* bytes of one integer (1, 2, 4, 8) */
	guint length;		/* element count of arrays and CHARS */
	guint base;		/* 10 or 16: how to print it */
} VgField;

typedef struct VgEventClass {
	guint32 id;
	char *name;		/* "sched:sched_switch" */
	char *subsys;		/* "sched" */
	char *event;		/* "sched_switch" */
	guint n_fields;
	VgField *fields;
	/* For consumers: one slot each, NULL until they set it.  The Perl
	 * dispatcher caches its resolved handlers here, so resolution by
	 * name happens once per class, never per event. */
	gpointer dispatch;
	gpointer filter_cache;
	/* Set by the core: VG_CLASS_* flags, and its private layout data. */
	guint32 flags;
	gpointer priv;
	/* Its records end with a callchain (not one of the fields):
	 * `uint16_t vigil_callchain_depth; uint64_hex_t
	 * vigil_callchain[vigil_callchain_depth];` (docs/design.md). */
	gboolean callchain;
} VgEventClass;

#define VG_CALLCHAIN_DEPTH_FIELD	"vigil_callchain_depth"
#define VG_CALLCHAIN_FIELD		"vigil_callchain"

#define VG_CLASS_SYSCALL_ENTER	(1u << 0)	/* derived syscalls:sys_enter_NAME */
#define VG_CLASS_SYSCALL_EXIT	(1u << 1)	/* derived syscalls:sys_exit_NAME */

typedef struct VgMetadata VgMetadata;

VgMetadata *vg_metadata_parse(const char *tsdl, gsize len,
			      const char *origin, GError **error);
void vg_metadata_free(VgMetadata *md);
const VgEventClass *vg_metadata_class(const VgMetadata *md, guint32 id);
const VgEventClass *vg_metadata_class_by_name(const VgMetadata *md,
					      const char *name);
/* Every class, including derived syscalls:sys_enter_NAME / sys_exit_NAME. */
GPtrArray *vg_metadata_classes(const VgMetadata *md);
int vg_class_field_index(const VgEventClass *cls, const char *name);

/* ---- tasks ---------------------------------------------------------- */

/* A cgroup v2 directory (vg_cgroup.c): its id, the kernel's, and its
 * path below the cgroup2 mount ("/..."), NULL until known.  Entries
 * live as long as their task table. */
typedef struct VgCgroup {
	guint64 id;
	char *path;
	guint32 path_len;	/* strlen(path) */
	gboolean live;		/* a NULL path may still be found by a walk */
	struct VgCgroups *owner;
} VgCgroup;

/* The path of c for handlers: "" for NULL or while unknown (live: a
 * rate-limited walk of the cgroup2 mount is tried first). */
const char *vg_cgroup_path(const VgCgroup *c);

typedef struct {
	gint32 tid;
	gint32 pid;		/* process id (tgid) */
	gint32 ppid;
	guint32 uid;
	char comm[16];		/* NUL-terminated */
	char *exe;		/* may be NULL */
	const VgCgroup *cgroup;	/* cgroup v2; NULL: not known */
} VgTask;

/* ---- events --------------------------------------------------------- */

/* One decoded record.  Valid only during the callback that receives it:
 * payload points into a packet that is released afterwards. */
typedef struct {
	const VgEventClass *cls;
	guint64 ts;		/* ns, vigil clock */
	guint32 cpu;
	gint32 tid;
	const VgTask *task;	/* never NULL (a placeholder for unknown tids) */
	const guint8 *payload;
	gsize payload_len;	/* bytes readable from payload: up to the end
				 * of the packet's content (the record itself
				 * may be shorter; vg_event_payload_size()) */
	/* private: lazily computed field offsets */
	guint32 priv_known;
	guint32 priv_off[32];
	gconstpointer priv_raw;	/* derived syscall events: the raw event */
} VgEvent;

/* Field accessors.  The wrong kind, an index out of range or a corrupt
 * record give 0 / NULL (with *len = 0), never a crash.  Text is not
 * NUL-terminated for a full CHARS field: use *len. */
gint64 vg_event_int(VgEvent *e, guint field);	/* INT and UINT */
const char *vg_event_str(VgEvent *e, guint field, gsize *len); /* CHARS, STRING */
gint64 vg_event_array_int(VgEvent *e, guint field, guint idx);

/* The callchain of e (a class with cls->callchain, or a syscalls:*
 * event derived from one): its number of addresses, and *ips at the
 * first (little-endian 64-bit, unaligned: read with memcpy).  0 (and
 * *ips NULL) for other events or a corrupt record.  The innermost call
 * comes first; kernel addresses (top bit set) before user ones. */
guint vg_event_callchain(VgEvent *e, const guint8 **ips);

/* Where field i of cls lies when it has the same place in every record
 * of the class (a field before the first string, of a class of the
 * trace; not of a derived syscalls:* class): its offset in the payload,
 * and TRUE.  The record iterator checks that this part is in each record
 * it hands out, so e->payload + offset may be read without a bound
 * check (for consumers reading fields per event inline). */
gboolean vg_class_fixed_offset(const VgEventClass *cls, guint i,
			       guint32 *offset);

/* A raw_syscalls event seen as syscalls:sys_enter_NAME / sys_exit_NAME,
 * using the argument names of the syscall table in the metadata.
 * Returns FALSE when there is no such class (unknown syscall id). */
gboolean vg_event_derive_syscall(const VgMetadata *md, VgEvent *raw,
				 VgEvent *out);

/* ---- filters ------------------------------------------------------- */

/* Compile `expr` against one class: field names and common_* resolve
 * now, so evaluation does no lookups.  Errors point at the token:
 * "filter: unknown field 'rett' at column 5".
 * cls NULL: syntax check only, before the class is known.  Any name is
 * accepted as a field of unknown type (number or text, NAME[N] for an
 * array); syntax errors and what is wrong whatever the types are
 * (comparing two strings, '<' with a string, a text field common_comm
 * compared with a number) are reported with their column.  The filter
 * returned then matches no event: only free it. */
typedef struct VgFilter VgFilter;
VgFilter *vg_filter_compile(const char *expr, const VgEventClass *cls,
			    GError **error);
gboolean vg_filter_match(const VgFilter *f, VgEvent *e);
void vg_filter_free(VgFilter *f);

/* ---- consumers ----------------------------------------------------- */

typedef void (*VgDeliverFunc)(VgEvent *e, gpointer user_data);

G_END_DECLS

#endif
