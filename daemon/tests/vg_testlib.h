/*
 * vg_testlib.h - helpers shared by the core's tests, gen-trace and
 * bench-core: the TSDL text of a vigil trace (the layout vigil.ko
 * emits, see kmod/vigil_metadata.c) and helpers around the core's packet writer (vg_pw_*).
 *
 * Header only: each test program is one .c file.
 */
#ifndef VG_TESTLIB_H
#define VG_TESTLIB_H

#include "vg_stream.h"

#include <string.h>

/* The module's events, generated from kmod/vigil_events.h. */
#include "vg_events_tsdl.h"
#include "vigil_tsdl.h"

/* Event ids of vgt_tsdl(): the module's, and one kprobe. */
enum {
	VGT_SYS_ENTER = VG_EVID_sys_enter,
	VGT_SYS_EXIT = VG_EVID_sys_exit,
	VGT_SCHED_SWITCH = VG_EVID_sched_switch,
	VGT_SCHED_WAKEUP = VG_EVID_sched_wakeup,
	VGT_FORK = VG_EVID_sched_process_fork,
	VGT_EXEC = VG_EVID_sched_process_exec,
	VGT_EXIT = VG_EVID_sched_process_exit,
	VGT_IRQ_ENTRY = VG_EVID_irq_handler_entry,
	VGT_STATEDUMP = VG_EVID_statedump_process,
	VGT_STATEDUMP_END = VG_EVID_statedump_end,
	VGT_PAGE_FAULT = VG_EVID_page_fault_user,
	VGT_RENAME = VG_EVID_task_rename,
	VGT_KPROBE = 1024,
};

#define VGT_UUID_STR "3f2a9c4e-7b1d-4e8a-9c55-0d1e2f3a4b5c"
static const guint8 vgt_uuid[16] = {
	0x3f, 0x2a, 0x9c, 0x4e, 0x7b, 0x1d, 0x4e, 0x8a,
	0x9c, 0x55, 0x0d, 0x1e, 0x2f, 0x3a, 0x4b, 0x5c,
};

/* TSDL of a vigil trace; extra_env (may be NULL) is inserted in the env
 * block as is ("\tkey = value;\n" lines).  g_free() it. */
static inline char *vgt_tsdl(const char *extra_env)
{
	return g_strdup_printf(
VIGIL_TSDL_PREAMBLE
VIGIL_TSDL_TRACE_HEAD
"\tuuid = \"" VGT_UUID_STR "\";\n"
VIGIL_TSDL_TRACE_TAIL
"env {\n"
"\thostname = \"testhost\";\n"
"\tdomain = \"kernel\";\n"
"\tsysname = \"Linux\";\n"
"\tkernel_release = \"6.1.0-test\";\n"
"\ttracer_name = \"vigil\";\n"
"\ttracer_major = 1;\n"
"\ttracer_minor = 0;\n"
"%s"
"};\n"
"\n"
"clock {\n"
"\tname = \"monotonic\";\n"
"\tuuid = \"" VGT_UUID_STR "\";\n"
"\tdescription = \"ktime_get_mono_fast_ns\";\n"
"\tfreq = 1000000000;\n"
"\tprecision = 1;\n"
"\toffset_s = 0;\n"
"\toffset = 1700000000000000000;\n"
"\tabsolute = FALSE;\n"
"};\n"
"\n"
VIGIL_TSDL_STREAM
VG_EVENTS_TSDL
"event {\n\tname = \"kprobes:do_sys_open\";\n\tid = 1024;\n\tstream_id = 0;\n\tfields := struct {\n"
"\t\tuint64_hex_t ip;\n\t\tuint64_t arg0;\n\t\tuint64_t arg1;\n\t};\n};\n\n",
		extra_env ? extra_env : "");
}

/* ---- packets ------------------------------------------------------------ */

/* Packets are built with the core's packet writer (vg_pw_*, vg_stream.h);
 * these begin one with the test uuid and finish it as a packet object. */
typedef VgPacketWriter VgtPkt;

static inline void vgt_pkt_begin(VgtPkt *p, guint32 cpu, guint64 seq,
				 guint64 discarded)
{
	vg_pw_begin(p, vgt_uuid, cpu, seq, discarded);
}

/* Finish: see vg_pw_end() (packet_size 0: content rounded up to 8;
 * ts_end 0: the last event's timestamp).  Returns the bytes (g_free). */
static inline guint8 *vgt_pkt_end(VgtPkt *p, gsize packet_size,
				  guint64 ts_begin, guint64 ts_end, gsize *len)
{
	return vg_pw_end(p, packet_size, ts_begin, ts_end, len);
}

/* A packet object owning the bytes. */
static inline VgPacket *vgt_pkt_finish(VgtPkt *p, gsize packet_size,
				       guint64 ts_begin, guint64 ts_end)
{
	GError *err = NULL;
	VgPacket *pk = vg_pw_finish(p, packet_size, ts_begin, ts_end, "test",
				    &err);

	g_assert_no_error(err);
	return pk;
}

static inline VgMetadata *vgt_metadata(const char *extra_env)
{
	char *t = vgt_tsdl(extra_env);
	GError *err = NULL;
	VgMetadata *md = vg_metadata_parse(t, strlen(t), "test-metadata", &err);

	g_assert_no_error(err);
	g_free(t);
	return md;
}

/* Payload writers of some events. */
static inline void vgt_sys_enter(VgtPkt *p, guint64 ts, gint32 tid, gint64 nr,
				 const guint64 args[6], int path_arg,
				 const char *path)
{
	int i;

	vg_pw_record(p, VGT_SYS_ENTER, ts, tid);
	vg_pw_u64(p, nr);
	for (i = 0; i < 6; i++)
		vg_pw_u64(p, args ? args[i] : 0);
	vg_pw_u8(p, path_arg >= 0 ? path_arg : 0);
	vg_pw_u8(p, path ? 1 : 0);
	vg_pw_string(p, path ? path : "");
}

static inline void vgt_sys_exit(VgtPkt *p, guint64 ts, gint32 tid, gint64 nr,
				gint64 ret)
{
	vg_pw_record(p, VGT_SYS_EXIT, ts, tid);
	vg_pw_u64(p, nr);
	vg_pw_u64(p, ret);
}

static inline void vgt_statedump(VgtPkt *p, guint64 ts, gint32 tid, gint32 pid,
				 gint32 ppid, const char *comm, guint32 uid,
				 const char *exe)
{
	vg_pw_record(p, VGT_STATEDUMP, ts, 0);
	vg_pw_u32(p, tid);
	vg_pw_u32(p, pid);
	vg_pw_u32(p, ppid);
	vg_pw_chars(p, comm, 16);
	vg_pw_u32(p, uid);
	vg_pw_u64(p, 1);	/* cgroup_id: the root */
	vg_pw_string(p, exe);
}

/* The checksum over (time, cpu, class, task) that gen-trace writes into
 * its expected-result file and vg-replay computes from a replay. */
static inline guint64 vgt_fnv_mix(guint64 h, const void *d, gsize n)
{
	const guint8 *p = d;
	gsize i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= G_GUINT64_CONSTANT(1099511628211);
	}
	return h;
}

static inline guint64 gen_event_hash(guint64 h, guint64 ts, guint cpu,
				     const char *cls, gint32 tid, gint32 pid,
				     gint32 ppid, const char *comm)
{
	h = vgt_fnv_mix(h, &ts, 8);
	h = vgt_fnv_mix(h, &cpu, 4);
	h = vgt_fnv_mix(h, cls, strlen(cls));
	h = vgt_fnv_mix(h, &tid, 4);
	h = vgt_fnv_mix(h, &pid, 4);
	h = vgt_fnv_mix(h, &ppid, 4);
	h = vgt_fnv_mix(h, comm, strlen(comm));
	return h;
}

#endif
