/*
 * tpsource.c - the kernel's tracepoints as vigild's live source, without
 * vigil.ko: perf_event_open per tracepoint and CPU, one mmap'd perf ring
 * per CPU (the other events of the CPU redirected into it), samples
 * turned into vigil packets (vg_tp.h) and pushed into the merge, as
 * live.c does with vigil.ko's relay buffers.  Read from the main loop:
 * when a ring is half full (the perf fd polls readable) and every
 * switch interval; what the kernel cannot write into a full ring it
 * reports as PERF_RECORD_LOST, counted per CPU (events_discarded of
 * the packets, the status' discarded column, the dump summary).
 */
#define G_LOG_DOMAIN "vigild"
#define _GNU_SOURCE

#include "tpsource.h"
#include "vg_tp.h"
#include "hoststate.h"
#include "vg_events_gen.h"	/* event names by role, from kmod/vigil_events.h */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <glib-unix.h>

/* An event stamped before "now - SLACK" is in the ring when it is read
 * at "now": the merge may deliver up to there (later arrivals are
 * delivered and counted as late, never dropped). */
#define SLACK_NS	(10 * 1000 * 1000)

/* The kernel's counterparts of vigil.ko's events (docs/design.md), what
 * "all" means here. */
static const char *const builtin[] = {
	"raw_syscalls:sys_enter", "raw_syscalls:sys_exit",
	"sched:sched_switch", "sched:sched_wakeup", "sched:sched_wakeup_new",
	"sched:sched_process_fork", "sched:sched_process_exec",
	"sched:sched_process_exit", "task:task_rename",
	"irq:irq_handler_entry", "irq:irq_handler_exit",
	"irq:softirq_entry", "irq:softirq_exit",
	"signal:signal_generate", "signal:signal_deliver",
	"exceptions:page_fault_user",
	"block:block_rq_issue", "block:block_rq_complete",
	"net:net_dev_xmit", "net:netif_receive_skb",
};

/* Whom an event is about, for leaving out vigild's own events as
 * vigil.ko does (docs/design.md, VG_ABOUT): the current task (in task
 * context), or also a task the event names. */
typedef enum {
	ABOUT_CURRENT,		/* the current task */
	ABOUT_SWITCH,		/* prev_pid and next_pid */
	ABOUT_NAMED,		/* the current task and the thread in field a */
	ABOUT_NOBODY,		/* interrupt-context events: never left out */
} TpAbout;

typedef struct {
	const VgTpFormat *f;
	TpAbout about;
	gint a, b;		/* raw offsets of 32-bit thread ids, or -1 */
} TpEvent;

typedef struct {
	guint cpu;
	gboolean online;	/* its events are open */
	GArray *fds;		/* int: [0] owns the ring */
	guint8 *map;
	gsize map_size;
	guint watch;
	guint64 seq;		/* next packet_seq_num */
	guint64 lost;		/* running total */
	guint64 reported;	/* the total the last packet carried */
	guint64 last_ts;	/* of the last record written */
	VgdTpCpuStats st;
} TpCpu;

struct VgdTp {
	char *events_dir;
	GPtrArray *names;	/* every tracepoint, "sys:event" */
	GPtrArray *formats;	/* VgTpFormat *, enabled */
	GHashTable *by_id;	/* tracepoint id -> TpEvent * */
	GPtrArray *events;	/* TpEvent *, owned */
	gint32 self;		/* vigild's pid */
	GHashTable *self_tids;	/* tid -> 1 (vigild's thread) or 2 (not) */
	guint n_cpus;
	TpCpu *cpus;
	/* with vigil.ko in one session (vgd_tp_join): the lanes of our
	 * packets start after the module's, and the module's statedump
	 * serves both */
	guint lane_base;
	gboolean joined;
	/* the statedump's classes (vgd_tp_metadata's, owned by the caller)
	 * and config statedump.mmaps */
	const VgMetadata *md;
	guint sd_mmaps;
	guint8 uuid[16];
	gint64 clock_offset;
	gsize ring_bytes;	/* data area of one ring */
	guint32 packet_bytes;	/* a packet is finished beyond this */
	guint interval_ms;
	char *filter;		/* for every event, or NULL */
	guint stack_depth;	/* sample_max_stack of the events with
				 * f->callchain */
	GHashTable *chain_ids;	/* perf ids of those events (per CPU), or
				 * NULL when no event has one: their
				 * samples are laid out differently */
	char *sc_filter;	/* for raw_syscalls:*, or NULL */
	GHashTable *ev_filters;	/* event name -> its handlers' filter */

	VgMerge *merge;
	VgdRecordOut *record;	/* borrowed, may be NULL */
	void (*after_read)(gpointer);
	gpointer after_read_data;
	GMainContext *ctx;
	guint timer;
	gboolean running;
	guint8 *tmp;		/* a record that wraps around the ring */
	gsize tmp_size;
	guint64 bad_logged;
};

static int perf_open(struct perf_event_attr *a, int cpu)
{
	return (int)syscall(SYS_perf_event_open, a, -1, cpu, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

static void attr_for(struct perf_event_attr *a, const VgTpFormat *f,
		     guint depth)
{
	guint32 id = f->id;

	memset(a, 0, sizeof(*a));
	a->type = PERF_TYPE_TRACEPOINT;
	a->size = sizeof(*a);
	a->config = id;
	a->sample_period = 1;
	a->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID |
			 PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;
	a->disabled = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	if (f->callchain) {
		/* kernel and user frames (exclude_callchain_* left 0) */
		a->sample_type |= PERF_SAMPLE_CALLCHAIN;
		a->sample_max_stack = (guint16)depth;
	}
}

/* What perf_event_open's errno means here. */
static const char *perf_why(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return "not permitted (needs root, CAP_PERFMON, or "
		       "kernel.perf_event_paranoid <= -1 for tracepoints; "
		       "see docs/kernel-source.md)";
	case ENOENT:
	case ENODEV:
		return "the kernel has no such tracepoint or no perf events";
	case ENOSYS:
		return "the kernel has no perf_event_open (CONFIG_PERF_EVENTS)";
	case EMFILE:
		return "too many open files (raise the limit: ulimit -n)";
	case EOVERFLOW:
		return "stack_depth is above the kernel's kernel.perf_event_max_stack";
	default:
		return g_strerror(e);
	}
}

VgdTp *vgd_tp_new(const VgdConfig *cfg, GError **error)
{
	VgdTp *tp;
	char *dir = vg_tp_events_dir(error);
	GPtrArray *names;
	long n;
	guint64 ring;

	if (!dir)
		return NULL;
	names = vg_tp_list(dir, error);
	if (!names) {
		g_free(dir);
		return NULL;
	}
	tp = g_new0(VgdTp, 1);
	tp->events_dir = dir;
	tp->names = names;
	tp->formats = g_ptr_array_new_with_free_func((GDestroyNotify)vg_tp_format_free);
	tp->by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
	tp->events = g_ptr_array_new_with_free_func(g_free);
	tp->self = (gint32)getpid();
	tp->self_tids = g_hash_table_new(g_direct_hash, g_direct_equal);
	tp->ev_filters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       g_free);
	n = sysconf(_SC_NPROCESSORS_CONF);
	tp->n_cpus = n > 0 ? (guint)n : 1;
	tp->cpus = g_new0(TpCpu, tp->n_cpus);
	for (guint i = 0; i < tp->n_cpus; i++) {
		tp->cpus[i].cpu = i;
		tp->cpus[i].fds = g_array_new(FALSE, FALSE, sizeof(int));
	}
	/* the ring holds what the module's sub-buffers would: size x count,
	 * as a power of 2 of pages */
	ring = (guint64)cfg->buffer_size * cfg->buffer_count;
	tp->ring_bytes = (gsize)sysconf(_SC_PAGESIZE);
	while (tp->ring_bytes < ring)
		tp->ring_bytes *= 2;
	tp->packet_bytes = cfg->buffer_size;
	tp->interval_ms = cfg->switch_interval_ms ? cfg->switch_interval_ms : 100;
	tp->sd_mmaps = cfg->statedump_mmaps;
	for (guint i = 0; i < 16; i++)
		tp->uuid[i] = (guint8)g_random_int_range(0, 256);
	tp->uuid[6] = (tp->uuid[6] & 0x0f) | 0x40;
	tp->uuid[8] = (tp->uuid[8] & 0x3f) | 0x80;
	return tp;
}

static gboolean readable_name(const char *name)
{
	/* derived from raw_syscalls, as with vigil.ko; ftrace's own events
	 * are not tracepoints perf can open */
	return !g_str_has_prefix(name, "syscalls:") &&
	       !g_str_has_prefix(name, "ftrace:");
}

static void add_syscalls(VgMetadata *md, VgSyscallTable **syscalls,
			 const char *events_dir)
{
	char *scdir;
	VgSyscallTable *t;
	GError *err = NULL;

	if (syscalls && *syscalls) {
		vg_metadata_add_syscalls(md, *syscalls);
		return;
	}
	scdir = g_build_filename(events_dir, "syscalls", NULL);
	t = vg_syscall_table_load(scdir, NULL, &err);
	g_free(scdir);
	if (!t) {
		g_warning("syscall names unknown, no syscalls:sys_*_NAME events: %s",
			  err->message);
		g_clear_error(&err);
		return;
	}
	vg_metadata_add_syscalls(md, t);
	if (syscalls)
		*syscalls = t;
	else
		vg_syscall_table_free(t);
}

static VgMetadata *parse_tsdl(GPtrArray *formats, const guint8 *uuid,
			      gint64 offset, GError **error)
{
	char *text = vg_tp_tsdl(formats, uuid, offset);
	VgMetadata *md = vg_metadata_parse(text, strlen(text),
					   "metadata generated from tracefs formats",
					   error);

	g_free(text);
	return md;
}

VgMetadata *vgd_tp_catalog(VgdTp *tp, VgSyscallTable **syscalls,
			   GError **error)
{
	GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)vg_tp_format_free);
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	VgMetadata *md;

	for (guint i = 0; i < tp->names->len; i++) {
		const char *name = tp->names->pdata[i];
		GError *err = NULL;
		VgTpFormat *f;

		if (!readable_name(name))
			continue;
		f = vg_tp_format_load(tp->events_dir, name, &err);
		if (!f || g_hash_table_contains(seen, GUINT_TO_POINTER(f->id))) {
			if (err)
				g_debug("tracepoint %s left out: %s", name,
					err->message);
			g_clear_error(&err);
			vg_tp_format_free(f);
			continue;
		}
		g_hash_table_add(seen, GUINT_TO_POINTER(f->id));
		g_ptr_array_add(all, f);
	}
	g_hash_table_unref(seen);
	md = parse_tsdl(all, tp->uuid, 0, error);
	g_ptr_array_unref(all);
	if (md)
		add_syscalls(md, syscalls, tp->events_dir);
	return md;
}

/* Raw offset of a 4-byte field NAME of f, or -1. */
static gint tid_field(const VgTpFormat *f, const char *name)
{
	for (guint i = 0; i < f->n_fields; i++)
		if (strcmp(f->fields[i].name, name) == 0 &&
		    f->fields[i].kind == VG_TP_INT && f->fields[i].size == 4)
			return (gint)f->fields[i].offset;
	return -1;
}

static TpEvent *event_of(const VgTpFormat *f)
{
	static const char *const nobody[] = {
		"irq:", "block:block_rq_complete", "net:netif_receive_skb",
	};
	static const struct { const char *name, *field; } named[] = {
		{ "sched:sched_wakeup", "pid" },
		{ "sched:sched_wakeup_new", "pid" },
		{ "sched:sched_waking", "pid" },
		{ "sched:sched_process_fork", "child_pid" },
		{ "signal:signal_generate", "pid" },
		{ "task:task_rename", "pid" },
	};
	TpEvent *e = g_new0(TpEvent, 1);

	e->f = f;
	e->a = e->b = -1;
	e->about = ABOUT_CURRENT;
	for (guint i = 0; i < G_N_ELEMENTS(nobody); i++)
		if (g_str_has_prefix(f->name, nobody[i]))
			e->about = ABOUT_NOBODY;
	for (guint i = 0; i < G_N_ELEMENTS(named); i++)
		if (strcmp(f->name, named[i].name) == 0 &&
		    (e->a = tid_field(f, named[i].field)) >= 0)
			e->about = ABOUT_NAMED;
	if (strcmp(f->name, "sched:sched_switch") == 0) {
		e->a = tid_field(f, "prev_pid");
		e->b = tid_field(f, "next_pid");
		if (e->a >= 0 && e->b >= 0)
			e->about = ABOUT_SWITCH;
	}
	return e;
}

static gboolean enable_one(VgdTp *tp, const char *name, gboolean quiet,
			   GError **error)
{
	GError *err = NULL;
	VgTpFormat *f;

	for (guint i = 0; i < tp->formats->len; i++)
		if (strcmp(((VgTpFormat *)tp->formats->pdata[i])->name, name) == 0)
			return TRUE;
	/* written by vigild itself from /proc and /sys when tracing
	 * starts (write_statedump) */
	if (g_str_has_prefix(name, "vigil:statedump_"))
		return TRUE;
	if (g_str_has_prefix(name, "syscalls:")) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "enabling event %s: syscalls:* events come from "
			    "raw_syscalls:sys_enter and sys_exit; enable those", name);
		return FALSE;
	}
	if (g_str_has_prefix(name, "vigil:") || g_str_has_prefix(name, "kprobes:")) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "enabling event %s: vigil.ko's own events need the module (--source module)",
			    name);
		return FALSE;
	}
	f = vg_tp_format_load(tp->events_dir, name, &err);
	if (!f) {
		if (quiet) {
			g_debug("%s: %s", name, err->message);
			g_error_free(err);
			return TRUE;
		}
		g_set_error(error, VG_ERROR, err->code, "enabling event %s: %s",
			    name, err->message);
		g_error_free(err);
		return FALSE;
	}
	g_ptr_array_add(tp->formats, f);
	{
		TpEvent *ev = event_of(f);

		g_ptr_array_add(tp->events, ev);
		g_hash_table_insert(tp->by_id, GUINT_TO_POINTER(f->id), ev);
	}
	g_debug("enabled %s (tracepoint %u)", name, f->id);
	return TRUE;
}

gboolean vgd_tp_enable_events(VgdTp *tp, GPtrArray *names, GError **error)
{
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];

		if (strcmp(n, "all") == 0) {
			for (guint k = 0; k < G_N_ELEMENTS(builtin); k++)
				if (!enable_one(tp, builtin[k], TRUE, error))
					return FALSE;
		} else if (!enable_one(tp, n, FALSE, error)) {
			return FALSE;
		}
	}
	if (tp->formats->len == 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
			    "none of the events asked for is a tracepoint of this kernel");
		return FALSE;
	}
	return TRUE;
}

gboolean vgd_tp_set_stacks(VgdTp *tp, GPtrArray *names, guint depth,
			   GError **error)
{
	tp->stack_depth = depth;
	for (guint i = 0; names && i < names->len; i++) {
		const char *n = names->pdata[i];
		gboolean found = FALSE;

		if (g_str_has_prefix(n, "vigil:statedump")) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "stacks: %s is written by vigild, it has no callchain", n);
			return FALSE;
		}
		if (!enable_one(tp, n, FALSE, error))
			return FALSE;
		for (guint k = 0; k < tp->formats->len; k++) {
			VgTpFormat *f = tp->formats->pdata[k];

			if (strcmp(f->name, n) == 0) {
				f->callchain = TRUE;
				found = TRUE;
			}
		}
		if (found && !tp->chain_ids)
			tp->chain_ids = g_hash_table_new_full(g_int64_hash,
							      g_int64_equal,
							      g_free, NULL);
		if (found)
			g_message("%s: sampled with its callchain (at most %u addresses)",
				  n, depth);
	}
	return TRUE;
}

static void or_ids(GString *s, const char *field, gint32 id)
{
	g_string_append_printf(s, "%s%s == %d", s->len ? " || " : "", field, id);
}

/* The selection of cfg's filters that the kernel applies itself: pids
 * and the threads of tgids (looked up now) for every event, syscall
 * numbers for raw_syscalls:*. */
gboolean vgd_tp_set_filters(VgdTp *tp, const VgdConfig *cfg,
			    const VgSyscallTable *syscalls, GError **error)
{
	GString *pf = g_string_new(NULL), *sf = g_string_new(NULL);
	const char *where = cfg->source ? cfg->source : "configuration";
	gboolean ok = FALSE;

	for (guint i = 0; i < cfg->filter_pids->len; i++)
		or_ids(pf, "common_pid", g_array_index(cfg->filter_pids, gint32, i));
	for (guint i = 0; i < cfg->filter_tgids->len; i++) {
		gint32 tg = g_array_index(cfg->filter_tgids, gint32, i);
		char *td = g_strdup_printf("/proc/%d/task", tg);
		GDir *d = g_dir_open(td, 0, NULL);
		const char *t;

		g_free(td);
		if (!d) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: filters.tgids: no process %d (with --source kernel the threads of each process are looked up when tracing starts)",
				    where, tg);
			goto out;
		}
		while ((t = g_dir_read_name(d)))
			or_ids(pf, "common_pid", (gint32)g_ascii_strtoll(t, NULL, 10));
		g_dir_close(d);
	}
	for (guint i = 0; i < cfg->filter_syscalls->len; i++)
		or_ids(sf, "id", g_array_index(cfg->filter_syscalls, gint32, i));
	for (guint i = 0; i < cfg->filter_syscall_names->len; i++) {
		const char *name = cfg->filter_syscall_names->pdata[i];
		gint32 nr = vg_syscall_table_number(syscalls, name);

		if (nr < 0) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: filters.syscalls: '%s' is not a syscall of this kernel",
				    where, name);
			goto out;
		}
		or_ids(sf, "id", nr);
	}
	g_free(tp->filter);
	g_free(tp->sc_filter);
	tp->filter = pf->len ? g_strdup_printf("(%s)", pf->str) : NULL;
	tp->sc_filter = sf->len ? g_strdup_printf("(%s)", sf->str) : NULL;
	ok = TRUE;
out:
	g_string_free(pf, TRUE);
	g_string_free(sf, TRUE);
	return ok;
}

VgMetadata *vgd_tp_metadata(VgdTp *tp, const VgSyscallTable *syscalls,
			    GError **error)
{
	struct timespec mono, real;
	VgMetadata *md;

	/* the clock offset turns CLOCK_MONOTONIC into wall-clock ns */
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	tp->clock_offset = ((gint64)real.tv_sec - mono.tv_sec) * 1000000000 +
			   ((gint64)real.tv_nsec - mono.tv_nsec);
	md = parse_tsdl(tp->formats, tp->uuid, tp->clock_offset, error);
	if (md && syscalls)
		vg_metadata_add_syscalls(md, syscalls);
	tp->md = md;
	return md;
}

GPtrArray *vgd_tp_enabled_names(const VgdTp *tp)
{
	GPtrArray *names = g_ptr_array_new();

	for (guint i = 0; i < tp->formats->len; i++)
		g_ptr_array_add(names, ((VgTpFormat *)tp->formats->pdata[i])->name);
	return names;
}

void vgd_tp_set_event_filter(VgdTp *tp, const char *name, const char *expr)
{
	for (guint i = 0; i < tp->formats->len; i++) {
		const VgTpFormat *f = tp->formats->pdata[i];
		char *k;

		if (strcmp(f->name, name) != 0)
			continue;
		k = vg_tp_kernel_filter(f, expr);
		if (!k) {
			g_debug("%s: the handlers' filter %s stays in vigild",
				name, expr);
			return;
		}
		g_message("in the kernel for %s: the handlers' filter %s", name, k);
		g_hash_table_replace(tp->ev_filters, g_strdup(name), k);
		return;
	}
}

void vgd_tp_set_lane_base(VgdTp *tp, guint lane_base)
{
	tp->lane_base = lane_base;
}

gboolean vgd_tp_enabled(const VgdTp *tp, const char *name)
{
	for (guint i = 0; tp && i < tp->formats->len; i++)
		if (strcmp(((VgTpFormat *)tp->formats->pdata[i])->name, name) == 0)
			return TRUE;
	return FALSE;
}

gboolean vgd_tp_has(const VgdTp *tp, const char *name)
{
	for (guint i = 0; i < tp->names->len; i++)
		if (strcmp(tp->names->pdata[i], name) == 0)
			return TRUE;
	return FALSE;
}

VgMetadata *vgd_tp_join(VgdTp *tp, const VgMetadata *mod_md,
			const VgSyscallTable *syscalls, GError **error)
{
	const GPtrArray *classes = vg_metadata_classes(mod_md);
	guint32 next = 0;
	char *head, *events, *text;
	VgMetadata *md;

	/* our events get the ids after the module's own (kprobes
	 * included; the derived syscall classes have ids above the
	 * 16 bits of a record's) */
	for (guint i = 0; i < classes->len; i++) {
		const VgEventClass *cls = classes->pdata[i];

		if (cls->id <= G_MAXUINT16 && cls->id >= next)
			next = cls->id + 1;
	}
	if (next + tp->formats->len > G_MAXUINT16) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%u kernel tracepoints do not fit after vigil.ko's "
			    "%u event ids", tp->formats->len, next);
		return NULL;
	}
	for (guint i = 0; i < tp->formats->len; i++)
		((VgTpFormat *)tp->formats->pdata[i])->class_id = next + i;
	memcpy(tp->uuid, vg_metadata_uuid(mod_md), sizeof(tp->uuid));
	tp->joined = TRUE;
	head = vg_metadata_to_tsdl(mod_md, NULL);
	events = vg_tp_tsdl_events(tp->formats);
	text = g_strconcat(head, "\n", events, NULL);
	md = vg_metadata_parse(text, strlen(text), "vigil.ko metadata with "
			       "the kernel's tracepoints", error);
	if (md) {
		vg_metadata_set_env(md, "vigil_source", "module+kernel");
		if (syscalls)
			vg_metadata_add_syscalls(md, syscalls);
	}
	g_free(head);
	g_free(events);
	g_free(text);
	return md;
}

guint vgd_tp_n_cpus(const VgdTp *tp)
{
	return tp->n_cpus;
}

guint vgd_tp_n_events(const VgdTp *tp)
{
	return tp->formats->len;
}

void vgd_tp_set_merge(VgdTp *tp, VgMerge *m)
{
	tp->merge = m;
}

void vgd_tp_set_record(VgdTp *tp, VgdRecordOut *r)
{
	tp->record = r;
}

void vgd_tp_set_after_read(VgdTp *tp, void (*func)(gpointer), gpointer data)
{
	tp->after_read = func;
	tp->after_read_data = data;
}

const VgdTpCpuStats *vgd_tp_cpu_stats(const VgdTp *tp, guint cpu)
{
	return cpu < tp->n_cpus ? &tp->cpus[cpu].st : NULL;
}

/* ---- reading ---------------------------------------------------------- */

/* A packet of cpu c, in its lane. */
static void begin_packet(VgdTp *tp, TpCpu *c, VgPacketWriter *w,
			 guint64 discarded)
{
	vg_pw_begin(w, tp->uuid, c->cpu, c->seq, discarded);
	w->lane = tp->lane_base + c->cpu;
}

static void push_packet(VgdTp *tp, TpCpu *c, VgPacket *p)
{
	c->reported = p->events_discarded;
	c->seq++;
	c->st.packets++;
	if (tp->record)
		vgd_record_out_add(tp->record, p);
	if (tp->merge)
		vg_merge_push(tp->merge, p);
	else
		vg_packet_unref(p);
}

/* An empty packet: it carries the CPU's lost total at ts. */
static void empty_packet(VgdTp *tp, TpCpu *c, guint64 lost, guint64 ts)
{
	VgPacketWriter w;
	GError *err = NULL;
	VgPacket *p;

	begin_packet(tp, c, &w, lost);
	p = vg_pw_finish(&w, 0, ts, ts, "perf ring", &err);
	if (!p) {
		g_warning("cpu %u: %s", c->cpu, err->message);
		g_error_free(err);
		return;
	}
	push_packet(tp, c, p);
}

/* CTF readers count discarded events as the growth of events_discarded
 * from one packet to the next: a CPU whose first packet would already
 * report losses first gets an empty packet saying 0. */
static void baseline(VgdTp *tp, TpCpu *c, guint64 ts)
{
	if (c->seq == 0 && c->lost)
		empty_packet(tp, c, 0, ts);
}

static void finish_packet(VgdTp *tp, TpCpu *c, VgPacketWriter *w,
			  gboolean *open)
{
	GError *err = NULL;
	VgPacket *p;

	if (!*open)
		return;
	*open = FALSE;
	if (!w->any) {
		vg_pw_abort(w);
		return;
	}
	p = vg_pw_finish(w, 0, 0, 0, "perf ring", &err);
	if (!p) {
		g_warning("cpu %u: %s", c->cpu, err->message);
		g_error_free(err);
		return;
	}
	push_packet(tp, c, p);
}

static void bad_record(VgdTp *tp, TpCpu *c, const char *msg)
{
	c->st.bad++;
	if (tp->bad_logged++ < 10)
		g_warning("cpu %u: perf record skipped: %s", c->cpu, msg);
}

/* Is thread tid one of vigild's?  (Asked only about events whose
 * current task is vigild: rare.) */
static gboolean self_tid(VgdTp *tp, gint32 tid)
{
	gpointer v;
	char path[64];
	gboolean yes;

	if (tid == tp->self)
		return TRUE;
	if (tid <= 0)
		return FALSE;
	v = g_hash_table_lookup(tp->self_tids, GINT_TO_POINTER(tid));
	if (v)
		return GPOINTER_TO_INT(v) == 1;
	g_snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	yes = access(path, F_OK) == 0;
	if (g_hash_table_size(tp->self_tids) > 4096)
		g_hash_table_remove_all(tp->self_tids);
	g_hash_table_insert(tp->self_tids, GINT_TO_POINTER(tid),
			    GINT_TO_POINTER(yes ? 1 : 2));
	return yes;
}

static gint32 raw_tid(const VgTpRecord *r, gint off)
{
	gint32 v;

	if (off < 0 || (guint32)off + 4 > r->raw_size)
		return -1;
	memcpy(&v, r->raw + off, 4);
	return v;
}

/* The kernel's trace flags in common_flags (offset 2): the sample was
 * taken in a hard or soft interrupt or an NMI. */
#define TP_FLAGS_IRQ	(0x08 | 0x10 | 0x40)

/* vigild's own events are left out as vigil.ko leaves them out: an
 * event about vigild alone.  The current task counts only in task
 * context; a switch, a wakeup, a signal or a fork that involves another
 * task is kept (vigild's switches to other tasks, its wakeups of them),
 * as are interrupt-context events. */
static gboolean own_event(VgdTp *tp, const TpEvent *ev, const VgTpRecord *r)
{
	gboolean task_ctx = r->raw_size < 3 || !(r->raw[2] & TP_FLAGS_IRQ);
	gboolean cur = task_ctx && (gint32)r->pid == tp->self;

	switch (ev->about) {
	case ABOUT_NOBODY:
		return FALSE;
	case ABOUT_CURRENT:
		return cur;
	case ABOUT_SWITCH:
		/* prev is the current task; both must be vigild's */
		return (gint32)r->pid == tp->self &&
		       self_tid(tp, raw_tid(r, ev->a)) &&
		       self_tid(tp, raw_tid(r, ev->b));
	case ABOUT_NAMED:
		if (!cur && task_ctx)
			return FALSE;	/* another task's doing */
		return self_tid(tp, raw_tid(r, ev->a));
	}
	return FALSE;
}

/* The layout of the sample at rec: the events with callchains have
 * theirs (only then is the record's perf id looked up). */
static inline guint record_flags(VgdTp *tp, const guint8 *rec, gsize len)
{
	guint64 id;

	if (G_LIKELY(!tp->chain_ids))
		return 0;
	return vg_tp_record_ident(rec, len, &id) &&
	       g_hash_table_contains(tp->chain_ids, &id) ? VG_TP_REC_CALLCHAIN : 0;
}

/* Read one CPU's ring into packets; returns samples. */
static guint read_ring(VgdTp *tp, TpCpu *c)
{
	struct perf_event_mmap_page *mp = (void *)c->map;
	gsize page = (gsize)sysconf(_SC_PAGESIZE);
	const guint8 *data;
	guint64 head, tail;
	VgPacketWriter w;
	gboolean open = FALSE;
	guint n = 0;

	if (!c->map)
		return 0;
	data = c->map + page;
	head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	tail = mp->data_tail;
	while (tail < head) {
		struct perf_event_header h;
		gsize at = tail % tp->ring_bytes;
		const guint8 *rec;
		VgTpRecord r;
		GError *err = NULL;

		if (head - tail < sizeof(h)) {
			bad_record(tp, c, "truncated header");
			tail = head;
			break;
		}
		if (at + sizeof(h) <= tp->ring_bytes) {
			memcpy(&h, data + at, sizeof(h));
		} else {
			gsize first = tp->ring_bytes - at;

			memcpy(&h, data + at, first);
			memcpy((guint8 *)&h + first, data, sizeof(h) - first);
		}
		if (h.size < sizeof(h) || h.size > head - tail) {
			bad_record(tp, c, "record size out of the ring");
			tail = head;
			break;
		}
		if (at + h.size <= tp->ring_bytes) {
			rec = data + at;
		} else {
			gsize first = tp->ring_bytes - at;

			if (tp->tmp_size < h.size) {
				tp->tmp = g_realloc(tp->tmp, h.size);
				tp->tmp_size = h.size;
			}
			memcpy(tp->tmp, data + at, first);
			memcpy(tp->tmp + first, data, h.size - first);
			rec = tp->tmp;
		}
		tail += h.size;
		if (!vg_tp_parse_record_as(rec, h.size, record_flags(tp, rec, h.size),
					   &r, &err)) {
			if (err) {
				bad_record(tp, c, err->message);
				g_error_free(err);
			}
			continue;
		}
		if (r.type == PERF_RECORD_LOST) {
			c->lost += r.lost;
			c->st.lost += r.lost;
			/* the next packet carries the new total */
			finish_packet(tp, c, &w, &open);
			continue;
		}
		{
			gint32 type = vg_tp_raw_type(r.raw, r.raw_size);
			const TpEvent *ev = type < 0 ? NULL :
				g_hash_table_lookup(tp->by_id, GINT_TO_POINTER(type));
			const VgTpFormat *f = ev ? ev->f : NULL;

			if (!f) {
				char *m = g_strdup_printf("sample of unknown tracepoint %d",
							  type);

				bad_record(tp, c, m);
				g_free(m);
				continue;
			}
			if (own_event(tp, ev, &r)) {
				c->st.own++;
				continue;
			}
			if (!open) {
				baseline(tp, c, r.time);
				begin_packet(tp, c, &w, c->lost);
				open = TRUE;
			}
			/* A CTF stream is in time order.  perf takes a
			 * sample's time before it reserves ring space, so a
			 * sample from an interrupt can land before an earlier
			 * one it interrupted: such a sample gets the time of
			 * the one before it (counted). */
			if (r.time < c->last_ts) {
				r.time = c->last_ts;
				c->st.reordered++;
			}
			if (!vg_tp_write_record_chain(&w, f, r.time, (gint32)r.tid,
						      r.raw, r.raw_size, r.chain,
						      r.chain_nr, &err)) {
				bad_record(tp, c, err->message);
				g_error_free(err);
				continue;
			}
			c->last_ts = r.time;
			c->st.samples++;
			n++;
			if (vg_pw_len(&w) >= tp->packet_bytes)
				finish_packet(tp, c, &w, &open);
		}
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	finish_packet(tp, c, &w, &open);
	return n;
}

/* A packet with no records that carries the CPU's lost total, so that
 * the merge, --record and dumps account for a loss at the end of what
 * was read. */
static void report_lost(VgdTp *tp, TpCpu *c, guint64 ts)
{
	if (c->lost == c->reported)
		return;
	ts = MAX(ts, c->last_ts);
	baseline(tp, c, ts);
	empty_packet(tp, c, c->lost, ts);
}

static guint64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (guint64)ts.tv_sec * 1000000000 + (guint64)ts.tv_nsec;
}

static guint read_all(VgdTp *tp, gboolean final)
{
	guint64 now = now_ns();
	guint n = 0;

	for (guint i = 0; i < tp->n_cpus; i++) {
		TpCpu *c = &tp->cpus[i];

		n += read_ring(tp, c);
		report_lost(tp, c, now - MIN(now, SLACK_NS));
	}
	if (tp->merge)
		for (guint i = 0; i < tp->n_cpus; i++)
			if (tp->cpus[i].online)
				vg_merge_set_watermark(tp->merge, tp->lane_base + i,
					final ? G_MAXUINT64 : now - MIN(now, SLACK_NS));
	if (tp->after_read)
		tp->after_read(tp->after_read_data);
	else if (tp->merge)
		vg_merge_run(tp->merge);
	return n;
}

guint vgd_tp_poll(VgdTp *tp)
{
	return read_all(tp, FALSE);
}

static gboolean on_timer(gpointer data)
{
	read_all(data, FALSE);
	return G_SOURCE_CONTINUE;
}

static gboolean on_ring(gint fd, GIOCondition cond, gpointer data)
{
	(void)fd;
	(void)cond;
	read_all(data, FALSE);
	return G_SOURCE_CONTINUE;
}

static void close_cpu(VgdTp *tp, TpCpu *c)
{
	if (c->watch) {
		GSource *s = g_main_context_find_source_by_id(tp->ctx, c->watch);

		if (s)
			g_source_destroy(s);
		c->watch = 0;
	}
	if (c->map) {
		munmap(c->map, c->map_size);
		c->map = NULL;
	}
	for (guint k = 0; k < c->fds->len; k++)
		close(g_array_index(c->fds, int, k));
	g_array_set_size(c->fds, 0);
	c->online = FALSE;
}

static gboolean cpu_online(guint cpu)
{
	char *p, *text = NULL;
	gboolean on = TRUE;

	if (cpu == 0)
		return TRUE;
	p = g_strdup_printf("/sys/devices/system/cpu/cpu%u/online", cpu);
	if (g_file_get_contents(p, &text, NULL, NULL))
		on = text[0] == '1';
	g_free(text);
	g_free(p);
	return on;
}

/* The filter of fd: flt (the selection: pids, syscalls; may be NULL)
 * and the handlers' filter of f when the kernel can apply it.  When the
 * kernel refuses the handlers' part, vigild keeps applying it alone
 * (said once); FALSE (errno set) when it refuses the selection. */
static gboolean set_event_filter(VgdTp *tp, int fd, const VgTpFormat *f,
				 const char *flt)
{
	const char *hf = g_hash_table_lookup(tp->ev_filters, f->name);

	if (hf) {
		char *all = flt ? g_strdup_printf("%s && (%s)", flt, hf) :
				  g_strdup_printf("(%s)", hf);
		int r = ioctl(fd, PERF_EVENT_IOC_SET_FILTER, all);
		int e = errno;

		g_free(all);
		if (r == 0)
			return TRUE;
		g_message("the kernel refused the filter of %s's handlers "
			  "(%s: %s); vigild applies it alone", f->name, hf,
			  g_strerror(e));
		g_hash_table_remove(tp->ev_filters, f->name);
	}
	return !flt || ioctl(fd, PERF_EVENT_IOC_SET_FILTER, flt) == 0;
}

static gboolean open_cpu(VgdTp *tp, TpCpu *c, GError **error)
{
	gsize page = (gsize)sysconf(_SC_PAGESIZE);

	for (guint k = 0; k < tp->formats->len; k++) {
		const VgTpFormat *f = tp->formats->pdata[k];
		struct perf_event_attr a;
		const char *flt = NULL;
		char *both = NULL;
		int fd;

		attr_for(&a, f, tp->stack_depth);
		if (k == 0) {
			a.watermark = 1;
			a.wakeup_watermark = (guint32)(tp->ring_bytes / 2);
		}
		fd = perf_open(&a, (int)c->cpu);
		if (fd < 0) {
			int e = errno;

			if (k == 0 && (e == ENODEV || e == EINVAL) &&
			    !cpu_online(c->cpu)) {
				g_debug("cpu %u offline: not traced", c->cpu);
				return TRUE;
			}
			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "perf_event_open of tracepoint %s (id %u) on cpu %u: %s",
				    f->name, f->id, c->cpu, perf_why(e));
			return FALSE;
		}
		g_array_append_val(c->fds, fd);
		if (f->callchain) {
			guint64 pid_;

			if (ioctl(fd, PERF_EVENT_IOC_ID, &pid_) < 0) {
				int e = errno;

				g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
					    "PERF_EVENT_IOC_ID of %s on cpu %u: %s",
					    f->name, c->cpu, g_strerror(e));
				return FALSE;
			}
			g_hash_table_add(tp->chain_ids, g_memdup2(&pid_, 8));
		}
		if (k == 0) {
			c->map_size = page + tp->ring_bytes;
			c->map = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE,
				      MAP_SHARED, fd, 0);
			if (c->map == MAP_FAILED) {
				int e = errno;

				c->map = NULL;
				g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
					    "mmap of the perf ring of cpu %u (%zu bytes): %s%s",
					    c->cpu, c->map_size, g_strerror(e),
					    e == EPERM ? " (kernel.perf_event_mlock_kb; "
					    "smaller --buffer-size/--buffers, or CAP_IPC_LOCK)" : "");
				return FALSE;
			}
		} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT,
				 g_array_index(c->fds, int, 0)) < 0) {
			int e = errno;

			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "PERF_EVENT_IOC_SET_OUTPUT of %s on cpu %u: %s",
				    f->name, c->cpu, g_strerror(e));
			return FALSE;
		}
		if (strcmp(f->system, "raw_syscalls") == 0 && tp->sc_filter)
			flt = both = tp->filter ?
				g_strdup_printf("%s && %s", tp->filter, tp->sc_filter) :
				g_strdup(tp->sc_filter);
		else
			flt = tp->filter;
		if (!set_event_filter(tp, fd, f, flt)) {
			int e = errno;

			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "the kernel refused the filter '%s' on %s: %s",
				    flt, f->name, g_strerror(e));
			g_free(both);
			return FALSE;
		}
		g_free(both);
	}
	c->online = TRUE;
	return TRUE;
}

/* One thread of /proc/PID/task/TID into a statedump record; its cgroup
 * (id and path) into cgroups. */
static gboolean statedump_thread(VgdTp *tp, VgPacketWriter *w, guint64 ts,
				 const char *pid_s, const char *tid_s,
				 const char *cg_mount, GHashTable *cgroups)
{
	const VgEventClass *cls = vg_metadata_class_by_name(tp->md, VG_EV_STATEDUMP);
	char *path, *text = NULL, *open_p, *close_p, *line, *exe, *cg;
	char comm[16] = "";
	gint32 ppid = 0, tgid = (gint32)g_ascii_strtoll(pid_s, NULL, 10);
	gint32 tid = (gint32)g_ascii_strtoll(tid_s, NULL, 10);
	guint32 uid = 0;
	guint64 cg_id = 0;
	int pp;
	char state;

	path = g_strdup_printf("/proc/%s/task/%s/stat", pid_s, tid_s);
	if (!cls || !g_file_get_contents(path, &text, NULL, NULL)) {
		g_free(path);
		return FALSE;		/* gone meanwhile */
	}
	g_free(path);
	open_p = strchr(text, '(');
	close_p = strrchr(text, ')');
	if (open_p && close_p && close_p > open_p) {
		g_strlcpy(comm, open_p + 1,
			  MIN(sizeof(comm), (gsize)(close_p - open_p)));
		if (sscanf(close_p + 1, " %c %d", &state, &pp) == 2)
			ppid = pp;
	}
	g_free(text);
	path = g_strdup_printf("/proc/%s/task/%s/status", pid_s, tid_s);
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		line = strstr(text, "\nUid:");
		if (line)
			uid = (guint32)strtoul(line + 5, NULL, 10);
		g_free(text);
	}
	g_free(path);
	path = g_strdup_printf("/proc/%s/exe", pid_s);
	exe = g_file_read_link(path, NULL);
	g_free(path);
	cg = vg_cgroup_of_tid(tid);
	if (cg && vg_cgroup2_id(cg_mount, cg, &cg_id) &&
	    !g_hash_table_contains(cgroups, &cg_id)) {
		guint64 *k = g_new(guint64, 1);

		*k = cg_id;
		g_hash_table_insert(cgroups, k, cg);
		cg = NULL;
	}
	g_free(cg);
	{
		VgPwField f[] = {
			{ "tid", (guint64)(gint64)tid, NULL },
			{ "pid", (guint64)(gint64)tgid, NULL },
			{ "ppid", (guint64)(gint64)ppid, NULL },
			{ "comm", 0, comm },
			{ "uid", uid, NULL },
			{ "cgroup_id", cg_id, NULL },
			{ "exe", 0, exe },
		};

		vg_pw_fields(w, cls, ts, 0, f, G_N_ELEMENTS(f));
	}
	g_free(exe);
	return TRUE;
}

/* What vigil.ko's statedump gives, from /proc: every thread, as
 * vigil:statedump_process records and a vigil:statedump_end, at ts in
 * the first online CPU's stream (before any sample), so that the task
 * table, --record traces and their replay know the tasks that were
 * there before tracing started; and what vigild adds to it (hoststate.h):
 * the paths of the threads' cgroups, the interrupt lines, the processes'
 * executable maps. */
static void write_statedump(VgdTp *tp, guint64 ts)
{
	TpCpu *c = NULL;
	VgPacketWriter w;
	GDir *proc, *tasks;
	const char *pid_s, *tid_s;
	guint32 n = 0, irqs, maps = 0;
	GError *err = NULL;
	VgPacket *p;
	GHashTable *cgroups;
	GHashTableIter it;
	gpointer k, v;
	char *cg_mount;

	for (guint i = 0; i < tp->n_cpus && !c; i++)
		if (tp->cpus[i].online)
			c = &tp->cpus[i];
	proc = c && tp->md ? g_dir_open("/proc", 0, &err) : NULL;
	if (!proc) {
		if (err)
			g_warning("no statedump: %s", err->message);
		g_clear_error(&err);
		return;
	}
	cg_mount = vg_cgroup2_mount();
	cgroups = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
					g_free);
	begin_packet(tp, c, &w, 0);
	while ((pid_s = g_dir_read_name(proc))) {
		char *td;

		if (!g_ascii_isdigit(pid_s[0]))
			continue;
		td = g_strdup_printf("/proc/%s/task", pid_s);
		tasks = g_dir_open(td, 0, NULL);
		g_free(td);
		while (tasks && (tid_s = g_dir_read_name(tasks)))
			if (statedump_thread(tp, &w, ts, pid_s, tid_s,
					     cg_mount, cgroups))
				n++;
		if (tasks)
			g_dir_close(tasks);
		maps += vgd_hs_mmaps(&w, tp->md, ts,
				     (gint32)g_ascii_strtoll(pid_s, NULL, 10),
				     tp->sd_mmaps);
	}
	g_dir_close(proc);
	g_hash_table_iter_init(&it, cgroups);
	while (g_hash_table_iter_next(&it, &k, &v))
		vgd_hs_cgroup(&w, tp->md, ts, *(guint64 *)k, v);
	irqs = vgd_hs_irqs(&w, tp->md, ts);
	{
		const VgEventClass *end = vg_metadata_class_by_name(tp->md,
							VG_EV_STATEDUMP_END);
		VgPwField f[] = { { "count", n, NULL } };

		if (end)
			vg_pw_fields(&w, end, ts, 0, f, 1);
	}
	g_debug("statedump: %u threads, %u cgroups, %u interrupt lines, "
		"%u executable maps from /proc and /sys", n,
		g_hash_table_size(cgroups), irqs, maps);
	g_hash_table_destroy(cgroups);
	g_free(cg_mount);
	p = vg_pw_finish(&w, 0, ts, ts, "statedump", &err);
	if (!p) {
		g_warning("no statedump: %s", err->message);
		g_error_free(err);
		return;
	}
	c->last_ts = ts;
	push_packet(tp, c, p);
}

gboolean vgd_tp_start(VgdTp *tp, GMainContext *ctx, GError **error)
{
	guint online = 0;
	struct rlimit rl;

	/* one fd per tracepoint and CPU: a glob such as 'ext4:*' on many
	 * CPUs needs more than the usual soft limit of 1024 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	tp->ctx = ctx;
	for (guint i = 0; i < tp->n_cpus; i++) {
		if (!open_cpu(tp, &tp->cpus[i], error)) {
			for (guint k = 0; k <= i; k++)
				close_cpu(tp, &tp->cpus[k]);
			return FALSE;
		}
		if (!tp->cpus[i].online) {
			if (tp->merge)
				vg_merge_set_lane_idle(tp->merge, tp->lane_base + i);
			continue;
		}
		online++;
	}
	/* the tasks there before the first sample (with vigil.ko: its own
	 * statedump) */
	if (!tp->joined)
		write_statedump(tp, now_ns());
	for (guint i = 0; i < tp->n_cpus; i++) {
		TpCpu *c = &tp->cpus[i];

		for (guint k = 0; k < c->fds->len; k++)
			if (ioctl(g_array_index(c->fds, int, k),
				  PERF_EVENT_IOC_ENABLE, 0) < 0) {
				int e = errno;

				g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
					    "PERF_EVENT_IOC_ENABLE on cpu %u: %s",
					    i, g_strerror(e));
				return FALSE;
			}
		if (c->online) {
			GSource *s = g_unix_fd_source_new(g_array_index(c->fds, int, 0),
							  G_IO_IN);

			g_source_set_callback(s, G_SOURCE_FUNC(on_ring), tp, NULL);
			c->watch = g_source_attach(s, ctx);
			g_source_unref(s);
		}
	}
	{
		GSource *s = g_timeout_source_new(tp->interval_ms);

		g_source_set_callback(s, on_timer, tp, NULL);
		tp->timer = g_source_attach(s, ctx);
		g_source_unref(s);
	}
	tp->running = TRUE;
	g_debug("kernel tracepoints: %u events on %u CPUs, rings of %zu bytes",
		tp->formats->len, online, tp->ring_bytes);
	return TRUE;
}

void vgd_tp_stop(VgdTp *tp)
{
	if (!tp->running)
		return;
	tp->running = FALSE;
	if (tp->timer) {
		GSource *s = g_main_context_find_source_by_id(tp->ctx, tp->timer);

		if (s)
			g_source_destroy(s);
		tp->timer = 0;
	}
	for (guint i = 0; i < tp->n_cpus; i++) {
		TpCpu *c = &tp->cpus[i];

		for (guint k = 0; k < c->fds->len; k++)
			(void)ioctl(g_array_index(c->fds, int, k),
				    PERF_EVENT_IOC_DISABLE, 0);
	}
	read_all(tp, TRUE);
	for (guint i = 0; i < tp->n_cpus; i++) {
		TpCpu *c = &tp->cpus[i];

		if (c->watch) {
			GSource *s = g_main_context_find_source_by_id(tp->ctx, c->watch);

			if (s)
				g_source_destroy(s);
			c->watch = 0;
		}
	}
}

void vgd_tp_free(VgdTp *tp)
{
	if (!tp)
		return;
	if (tp->running)
		vgd_tp_stop(tp);
	for (guint i = 0; i < tp->n_cpus; i++) {
		close_cpu(tp, &tp->cpus[i]);
		g_array_unref(tp->cpus[i].fds);
	}
	g_free(tp->cpus);
	g_hash_table_unref(tp->by_id);
	g_ptr_array_unref(tp->events);
	g_hash_table_unref(tp->self_tids);
	g_hash_table_unref(tp->ev_filters);
	if (tp->chain_ids)
		g_hash_table_unref(tp->chain_ids);
	g_ptr_array_unref(tp->formats);
	g_ptr_array_unref(tp->names);
	g_free(tp->events_dir);
	g_free(tp->filter);
	g_free(tp->sc_filter);
	g_free(tp->tmp);
	g_free(tp);
}
