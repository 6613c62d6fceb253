/*
 * tp.c - unit tests of vg_tp (the kernel's tracepoints without vigil.ko):
 * tracefs format files parsed, metadata generated from them and read
 * back by the TSDL parser, raw tracepoint data written as records and
 * decoded by field name, perf ring records, and every kind of bad input
 * refused with a message naming where.
 */
#include "vg_testlib.h"
#include "vg_tp.h"
#include "vg_sym.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <linux/perf_event.h>

static const char switch_fmt[] =
	"name: sched_switch\n"
	"ID: 372\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s\", REC->prev_comm\n";

/* __data_loc string, a pointer, a keyword and underscored names, a
 * dynamic array of longs (left out), an odd-sized field (bytes) */
static const char odd_fmt[] =
	"name: odd_event\n"
	"ID: 4000\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:int __syscall_nr;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:const void * ptr;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:size_t size;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:__data_loc unsigned long[] lengths;\toffset:32;\tsize:4;\tsigned:0;\n"
	"\tfield:u8 uuid[16];\toffset:36;\tsize:16;\tsigned:0;\n"
	"\tfield:struct odd thing;\toffset:52;\tsize:3;\tsigned:0;\n"
	"\tfield:short _type;\toffset:56;\tsize:2;\tsigned:1;\n"
	"\n"
	"print fmt: \"x\"\n";

static VgTpFormat *parse(const char *text, const char *sys)
{
	GError *err = NULL;
	VgTpFormat *f = vg_tp_format_parse(text, strlen(text), sys, "test", &err);

	g_assert_no_error(err);
	g_assert_nonnull(f);
	return f;
}

static void test_format_fields(void)
{
	VgTpFormat *f = parse(switch_fmt, "sched");

	g_assert_cmpstr(f->name, ==, "sched:sched_switch");
	g_assert_cmpuint(f->id, ==, 372);
	g_assert_cmpuint(f->n_fields, ==, 7);	/* common_* left out */
	g_assert_cmpstr(f->fields[0].name, ==, "prev_comm");
	g_assert_cmpint(f->fields[0].kind, ==, VG_TP_CHARS);
	g_assert_cmpuint(f->fields[0].count, ==, 16);
	g_assert_cmpstr(f->fields[1].name, ==, "prev_pid");
	g_assert_cmpint(f->fields[1].kind, ==, VG_TP_INT);
	g_assert_true(f->fields[1].is_signed);
	g_assert_cmpuint(f->fields[1].offset, ==, 24);
	g_assert_cmpstr(f->fields[3].type, ==, "long");
	g_assert_cmpuint(f->fields[3].elem_size, ==, 8);
	g_assert_cmpuint(f->min_size, ==, 64);
	vg_tp_format_free(f);

	f = parse(odd_fmt, "test");
	g_assert_cmpuint(f->n_fields, ==, 7);	/* lengths[] left out */
	g_assert_cmpint(f->fields[0].kind, ==, VG_TP_STRING);
	g_assert_cmpstr(f->fields[1].name, ==, "__syscall_nr");
	g_assert_cmpint(f->fields[2].kind, ==, VG_TP_HEX);
	g_assert_cmpstr(f->fields[3].name, ==, "size");
	g_assert_cmpint(f->fields[4].kind, ==, VG_TP_ARRAY);
	g_assert_cmpuint(f->fields[4].elem_size, ==, 1);
	g_assert_cmpint(f->fields[5].kind, ==, VG_TP_BYTES);
	g_assert_cmpstr(f->fields[6].name, ==, "_type");
	vg_tp_format_free(f);
}

/* The metadata generated for formats parses, with the kernel's names. */
static VgMetadata *metadata_of(VgTpFormat *a, VgTpFormat *b)
{
	GPtrArray *fs = g_ptr_array_new();
	GError *err = NULL;
	char *tsdl;
	VgMetadata *md;

	g_ptr_array_add(fs, a);
	if (b)
		g_ptr_array_add(fs, b);
	tsdl = vg_tp_tsdl(fs, vgt_uuid, 1700000000000000000LL);
	g_ptr_array_unref(fs);
	/* escaped in the text: babeltrace2 strips one underscore too */
	if (b) {
		g_assert_nonnull(strstr(tsdl, "int32_t ___syscall_nr;"));
		g_assert_nonnull(strstr(tsdl, "uint64_t _size;"));
		g_assert_nonnull(strstr(tsdl, "int16_t __type;"));
		g_assert_nonnull(strstr(tsdl, "uint64_hex_t ptr;"));
		g_assert_nonnull(strstr(tsdl, "uint8_t thing[3];"));
	}
	g_assert_nonnull(strstr(tsdl, "vigil_source = \"kernel\";"));
	md = vg_metadata_parse(tsdl, strlen(tsdl), "generated", &err);
	g_assert_no_error(err);
	g_assert_nonnull(md);
	g_free(tsdl);
	return md;
}

static void test_metadata_and_records(void)
{
	VgTpFormat *sw = parse(switch_fmt, "sched");
	VgTpFormat *odd = parse(odd_fmt, "test");
	VgMetadata *md = metadata_of(sw, odd);
	const VgEventClass *cls = vg_metadata_class_by_name(md, "test:odd_event");
	guint8 raw[80] = { 0 }, sraw[64] = { 0 };
	guint32 loc = (12u << 16) | 60;	/* "/bin/true" + NUL at 60 */
	gint32 nr = -7;
	guint64 ptr = 0xffff888012345678ULL, size = 4096;
	gint16 type = -3;
	gint32 pid = 4242;
	gint64 state = 1;
	VgPacketWriter w;
	VgRecordIter it;
	VgPacket *p;
	VgEvent e;
	GError *err = NULL;
	gsize len;
	const char *s;

	g_assert_nonnull(cls);
	g_assert_cmpuint(cls->id, ==, 4000);
	g_assert_cmpint(vg_class_field_index(cls, "__syscall_nr"), ==, 1);
	g_assert_cmpint(vg_class_field_index(cls, "size"), ==, 3);
	g_assert_cmpint(vg_class_field_index(cls, "_type"), ==, 6);
	g_assert_cmpint(vg_class_field_index(cls, "lengths"), ==, -1);

	memcpy(raw + 8, &loc, 4);
	memcpy(raw + 12, &nr, 4);
	memcpy(raw + 16, &ptr, 8);
	memcpy(raw + 24, &size, 8);
	raw[36] = 0xab;
	memcpy(raw + 56, &type, 2);
	memcpy(raw + 60, "/bin/true\0\0\0", 12);
	memcpy(sraw + 8, "vigil-workload\0", 15);
	memcpy(sraw + 24, &pid, 4);
	memcpy(sraw + 32, &state, 8);
	memcpy(sraw + 40, "swapper/1", 9);

	vg_pw_begin(&w, vgt_uuid, 1, 0, 5);
	g_assert_true(vg_tp_write_record(&w, odd, 1000, 77, raw, sizeof(raw), &err));
	g_assert_no_error(err);
	g_assert_true(vg_tp_write_record(&w, sw, 2000, 4242, sraw, sizeof(sraw), &err));
	/* too short for the format: refused, nothing written */
	len = vg_pw_len(&w);
	g_assert_false(vg_tp_write_record(&w, sw, 3000, 1, sraw, 40, &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_FORMAT);
	g_assert_nonnull(strstr(err->message, "sched:sched_switch: sample of 40 bytes, the format needs 64"));
	g_clear_error(&err);
	/* a string past the sample */
	loc = (200u << 16) | 60;
	memcpy(raw + 8, &loc, 4);
	g_assert_false(vg_tp_write_record(&w, odd, 3000, 1, raw, sizeof(raw), &err));
	g_assert_nonnull(strstr(err->message, "string filename"));
	g_clear_error(&err);
	g_assert_cmpuint(vg_pw_len(&w), ==, len);
	p = vg_pw_finish(&w, 0, 0, 0, "test", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(p->events_discarded, ==, 5);

	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_true(e.cls == cls);
	g_assert_cmpuint(e.ts, ==, 1000);
	g_assert_cmpint(e.tid, ==, 77);
	s = vg_event_str(&e, 0, &len);
	g_assert_cmpmem(s, len, "/bin/true", 9);
	g_assert_cmpint(vg_event_int(&e, 1), ==, -7);
	g_assert_cmpuint((guint64)vg_event_int(&e, 2), ==, ptr);
	g_assert_cmpint(vg_event_int(&e, 3), ==, 4096);
	g_assert_cmpint(vg_event_array_int(&e, 4, 0), ==, 0xab);
	g_assert_cmpint(vg_event_int(&e, 6), ==, -3);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpstr(e.cls->name, ==, "sched:sched_switch");
	s = vg_event_str(&e, vg_class_field_index(e.cls, "prev_comm"), &len);
	g_assert_cmpstr(s, ==, "vigil-workload");
	g_assert_cmpint(vg_event_int(&e, vg_class_field_index(e.cls, "prev_pid")), ==, 4242);
	g_assert_cmpint(vg_event_int(&e, vg_class_field_index(e.cls, "prev_state")), ==, 1);
	s = vg_event_str(&e, vg_class_field_index(e.cls, "next_comm"), &len);
	g_assert_cmpstr(s, ==, "swapper/1");
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 0);
	vg_packet_unref(p);
	vg_metadata_free(md);
	vg_tp_format_free(sw);
	vg_tp_format_free(odd);
}

static void bad_format(const char *text, const char *want)
{
	GError *err = NULL;
	VgTpFormat *f = vg_tp_format_parse(text, strlen(text), "sys", "fmt", &err);

	g_assert_null(f);
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	if (!strstr(err->message, want))
		g_error("'%s' does not say '%s'", err->message, want);
	g_error_free(err);
}

static void test_bad_formats(void)
{
	bad_format("", "fmt:1: no 'name:' and 'ID:' lines");
	bad_format("name: x\nformat:\n", "no 'name:' and 'ID:' lines");
	bad_format("name: x\nID: abc\n", "fmt:2: ID: ' abc' is not a tracepoint id");
	bad_format("name: x\nID: 70000\n", "fmt:2: ID: ' 70000' is not a tracepoint id");
	bad_format("name: x\nID: 1\n\tfield:int a;\toffset:0;\tsize:4;\n",
		   "fmt:3: field before 'format:'");
	bad_format("name: x\nID: 1\nformat:\n\tfield:int a;\tsize:4;\n",
		   "fmt:4: field a: expected 'offset:N;' and 'size:N;'");
	bad_format("name: x\nID: 1\nformat:\n\tfield:int a\toffset:0;\n",
		   "fmt:4: cannot read the field declaration");
	bad_format("name: x\nID: 1\nformat:\n\tfield:int 9a;\toffset:0;\tsize:4;\n",
		   "cannot read the field declaration 'int 9a'");
	bad_format("name: x\nID: 1\nformat:\n\tfield:int a[0x];\toffset:0;\tsize:4;\n",
		   "cannot read the field declaration");
	bad_format("name: x\nID: 1\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\n"
		   "\tfield:int a;\toffset:4;\tsize:4;\n", "field a declared twice");
	bad_format("name: x\nID: 1\nformat:\n\tfield:int a;\toffset:99999;\tsize:4;\n",
		   "expected 'offset:N;'");
	bad_format("name: x\nID: 1\ngarbage here\n", "fmt:3: unexpected line 'garbage here'");
	{
		const char nul[] = "name: x\0\nID: 1\n";
		GError *err = NULL;

		g_assert_null(vg_tp_format_parse(nul, sizeof(nul) - 1, "s", "fmt", &err));
		g_assert_nonnull(strstr(err->message, "NUL byte"));
		g_error_free(err);
	}
}

static void test_names_refused(void)
{
	GError *err = NULL;

	g_assert_null(vg_tp_format_load("/nonexistent", "nocolon", &err));
	g_assert_nonnull(strstr(err->message, "'nocolon' is not a tracepoint name"));
	g_clear_error(&err);
	g_assert_null(vg_tp_format_load("/nonexistent", "../x:y", &err));
	g_assert_nonnull(strstr(err->message, "is not a tracepoint name"));
	g_clear_error(&err);
	g_assert_null(vg_tp_format_load("/nonexistent", "a:b/c", &err));
	g_clear_error(&err);
	g_assert_null(vg_tp_format_load("/nonexistent", "sched:sched_switch", &err));
	g_assert_nonnull(strstr(err->message, "no such tracepoint in this kernel: sched:sched_switch"));
	g_clear_error(&err);
}

/* Which handler filters the kernel may apply (it still applies them
 * itself): only what both evaluate the same way. */
static void test_kernel_filters(void)
{
	VgTpFormat *sw = parse(switch_fmt, "sched");
	VgTpFormat *odd = parse(odd_fmt, "sys");
	static const struct {
		const char *expr;
		gboolean pushed;
	} cases[] = {
		{ "next_pid == 42", TRUE },
		{ "prev_pid != 0 && (next_prio < 120 || !(prev_state == 1))", TRUE },
		{ "next_pid >= -1 && prev_state & 0x2", TRUE },
		{ "next_comm == \"bash\"", FALSE },	/* a string */
		{ "common_pid == 42", FALSE },		/* the thread to the kernel */
		{ "next_pid == 010", FALSE },		/* octal to the kernel */
		{ "next_pid == 42x", FALSE },
		{ "no_field == 1", FALSE },
		{ "next_pid =~ 3", FALSE },
		{ "   ", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *k = vg_tp_kernel_filter(sw, cases[i].expr);

		if (cases[i].pushed)
			g_assert_cmpstr(k, ==, cases[i].expr);
		else if (k)
			g_error("'%s' pushed down as '%s'", cases[i].expr, k);
		g_free(k);
	}
	/* integer and pointer fields pass; arrays, strings, bytes do not */
	{
		char *k = vg_tp_kernel_filter(odd, "size > 4096 && ptr != 0");

		g_assert_nonnull(k);
		g_free(k);
	}
	g_assert_null(vg_tp_kernel_filter(odd, "filename == 1"));
	g_assert_null(vg_tp_kernel_filter(odd, "uuid == 1"));
	g_assert_null(vg_tp_kernel_filter(odd, "thing == 1"));
	vg_tp_format_free(sw);
	vg_tp_format_free(odd);
}

static void test_perf_records(void)
{
	guint8 buf[128] = { 0 };
	struct perf_event_header h = { PERF_RECORD_SAMPLE, 0, 0 };
	guint8 *p = buf + sizeof(h);
	guint64 id = 9, time = 123456789, lost = 17;
	guint32 pid = 10, tid = 11, cpu = 1, res = 0, rsize = 12;
	VgTpRecord r;
	GError *err = NULL;
	guint16 type = 372;

	memcpy(p, &id, 8); p += 8;
	memcpy(p, &pid, 4); p += 4;
	memcpy(p, &tid, 4); p += 4;
	memcpy(p, &time, 8); p += 8;
	memcpy(p, &cpu, 4); p += 4;
	memcpy(p, &res, 4); p += 4;
	memcpy(p, &rsize, 4); p += 4;
	memcpy(p, &type, 2); p += 12;
	h.size = p - buf;
	memcpy(buf, &h, sizeof(h));
	g_assert_true(vg_tp_parse_record(buf, h.size, &r, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(r.type, ==, PERF_RECORD_SAMPLE);
	g_assert_cmpuint(r.tid, ==, 11);
	g_assert_cmpuint(r.pid, ==, 10);
	g_assert_cmpuint(r.time, ==, time);
	g_assert_cmpuint(r.cpu, ==, 1);
	g_assert_cmpuint(r.raw_size, ==, 12);
	g_assert_cmpint(vg_tp_raw_type(r.raw, r.raw_size), ==, 372);
	g_assert_cmpint(vg_tp_raw_type(r.raw, 1), ==, -1);

	/* a raw size past the record */
	rsize = 200;
	memcpy(buf + sizeof(h) + 32, &rsize, 4);
	g_assert_false(vg_tp_parse_record(buf, h.size, &r, &err));
	g_assert_nonnull(strstr(err->message, "too short for its fields"));
	g_clear_error(&err);
	/* size in the header and given disagree */
	g_assert_false(vg_tp_parse_record(buf, h.size - 1, &r, &err));
	g_assert_nonnull(strstr(err->message, "perf record size"));
	g_clear_error(&err);
	g_assert_false(vg_tp_parse_record(buf, 4, &r, &err));
	g_clear_error(&err);

	/* LOST */
	h.type = PERF_RECORD_LOST;
	h.size = sizeof(h) + 16;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &id, 8);
	memcpy(buf + sizeof(h) + 8, &lost, 8);
	g_assert_true(vg_tp_parse_record(buf, h.size, &r, &err));
	g_assert_cmpuint(r.type, ==, PERF_RECORD_LOST);
	g_assert_cmpuint(r.lost, ==, 17);
	h.size = sizeof(h) + 8;
	memcpy(buf, &h, sizeof(h));
	g_assert_false(vg_tp_parse_record(buf, h.size, &r, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);

	/* other record types: skipped, no error */
	h.type = PERF_RECORD_THROTTLE;
	h.size = sizeof(h) + 24;
	memcpy(buf, &h, sizeof(h));
	g_assert_false(vg_tp_parse_record(buf, h.size, &r, &err));
	g_assert_no_error(err);
}

/* An event sampled with its callchain: the metadata ends its fields with
 * the sequence, the parser makes it no field of the class, records carry
 * the addresses without perf's context markers, and the record after it
 * is found (the record's size counts the chain). */
static void test_callchain_records(void)
{
	VgTpFormat *sw = parse(switch_fmt, "sched");
	VgTpFormat *odd = parse(odd_fmt, "test");
	GPtrArray *fs = g_ptr_array_new();
	guint8 sraw[64] = { 0 }, raw[80] = { 0 };
	guint32 loc = (1u << 16) | 60;	/* "" at 60 */
	guint64 chain[6] = {
		(guint64)PERF_CONTEXT_KERNEL, 0xffffffff81000010ULL,
		0xffffffff81000020ULL, (guint64)PERF_CONTEXT_USER,
		0x7f0000001234ULL, 0x400500ULL,
	};
	const guint8 *ips;
	guint64 ip;
	VgPacketWriter w;
	VgRecordIter it;
	VgMetadata *md;
	VgPacket *p;
	VgEvent e;
	GError *err = NULL;
	char *tsdl;

	sw->callchain = TRUE;
	g_ptr_array_add(fs, sw);
	g_ptr_array_add(fs, odd);
	tsdl = vg_tp_tsdl(fs, vgt_uuid, 0);
	g_ptr_array_unref(fs);
	g_assert_nonnull(strstr(tsdl, "int32_t next_prio;\n\t\tuint16_t vigil_callchain_depth;\n"
				"\t\tuint64_hex_t vigil_callchain[vigil_callchain_depth];\n\t};"));
	/* only the event that asked */
	g_assert_null(strstr(strstr(tsdl, "test:odd_event"), "vigil_callchain"));
	md = vg_metadata_parse(tsdl, strlen(tsdl), "generated", &err);
	g_assert_no_error(err);
	g_free(tsdl);
	g_assert_true(vg_metadata_class_by_name(md, "sched:sched_switch")->callchain);
	g_assert_cmpuint(vg_metadata_class_by_name(md, "sched:sched_switch")->n_fields, ==, 7);
	g_assert_false(vg_metadata_class_by_name(md, "test:odd_event")->callchain);

	memcpy(sraw + 24, &(gint32){ 4242 }, 4);
	memcpy(sraw + 60, &(gint32){ 120 }, 4);
	memcpy(raw + 8, &loc, 4);
	vg_pw_begin(&w, vgt_uuid, 0, 0, 0);
	g_assert_true(vg_tp_write_record_chain(&w, sw, 1000, 1, sraw, sizeof(sraw),
					       (const guint8 *)chain, 6, &err));
	g_assert_true(vg_tp_write_record_chain(&w, sw, 1500, 1, sraw, sizeof(sraw),
					       NULL, 0, &err));
	g_assert_true(vg_tp_write_record(&w, odd, 2000, 2, raw, sizeof(raw), &err));
	g_assert_no_error(err);
	p = vg_pw_finish(&w, 0, 0, 0, "test", &err);
	g_assert_no_error(err);

	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpint(vg_event_int(&e, 6), ==, 120);	/* next_prio: fields unmoved */
	g_assert_cmpuint(vg_event_callchain(&e, &ips), ==, 4);
	memcpy(&ip, ips, 8);
	g_assert_cmphex(ip, ==, 0xffffffff81000010ULL);
	memcpy(&ip, ips + 16, 8);
	g_assert_cmphex(ip, ==, 0x7f0000001234ULL);
	memcpy(&ip, ips + 24, 8);
	g_assert_cmphex(ip, ==, 0x400500ULL);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpuint(e.ts, ==, 1500);
	g_assert_cmpuint(vg_event_callchain(&e, &ips), ==, 0);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpstr(e.cls->name, ==, "test:odd_event");
	g_assert_cmpuint(e.ts, ==, 2000);
	g_assert_cmpuint(vg_event_callchain(&e, &ips), ==, 0);
	g_assert_null(ips);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 0);
	g_assert_no_error(err);
	vg_packet_unref(p);

	/* a chain running past the content is an error naming the event */
	vg_pw_begin(&w, vgt_uuid, 0, 0, 0);
	vg_pw_record(&w, (guint16)sw->class_id, 1000, 1);
	vg_pw_put(&w, sraw + 8, 56);
	vg_pw_u16(&w, 9);
	vg_pw_u64(&w, 1);
	p = vg_pw_finish(&w, 0, 0, 0, "test", &err);
	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpuint(vg_event_callchain(&e, &ips), ==, 0);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "record of sched:sched_switch runs past the content end"));
	g_clear_error(&err);
	vg_packet_unref(p);
	vg_metadata_free(md);
	vg_tp_format_free(sw);
	vg_tp_format_free(odd);
}

/* Sequences other than the callchain are refused, naming the field. */
static void test_other_sequences_refused(void)
{
	static const char *const bad[] = {
		"uint16_t n; uint64_hex_t ips[n];",
		"uint16_t vigil_callchain_depth; uint64_hex_t vigil_callchain[vigil_callchain_depth]; uint8_t after;",
		"uint32_t vigil_callchain_depth; uint64_hex_t vigil_callchain[vigil_callchain_depth];",
		"uint16_t vigil_callchain_depth; uint32_t vigil_callchain[vigil_callchain_depth];",
	};

	VgTpFormat *sw = parse(switch_fmt, "sched");
	GPtrArray *fs = g_ptr_array_new();
	char *good;

	g_ptr_array_add(fs, sw);
	good = vg_tp_tsdl(fs, vgt_uuid, 0);
	g_ptr_array_unref(fs);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *at = strstr(good, "int32_t next_prio;");
		char *t = g_strdup_printf("%.*s%s%s", (int)(at - good), good, bad[i],
					  at + strlen("int32_t next_prio;"));
		GError *err = NULL;
		VgMetadata *md = vg_metadata_parse(t, strlen(t), "bad", &err);

		g_assert_null(md);
		g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
		g_assert_nonnull(strstr(err->message, "the only sequence vigil reads is its callchain"));
		g_clear_error(&err);
		g_free(t);
	}
	g_free(good);
	vg_tp_format_free(sw);
}

/* A perf sample with PERF_SAMPLE_CALLCHAIN between CPU and RAW. */
static void test_perf_callchain_record(void)
{
	guint8 buf[160] = { 0 };
	struct perf_event_header h = { PERF_RECORD_SAMPLE, 0, 0 };
	guint8 *p = buf + sizeof(h);
	guint64 id = 5, time = 1, nr = 3, ips[3] = { (guint64)PERF_CONTEXT_KERNEL, 0xffffffff81000000ULL, 42 };
	guint32 pid = 1, tid = 2, cpu = 0, res = 0, rsize = 4;
	guint16 type = 372;
	VgTpRecord r;
	GError *err = NULL;

	memcpy(p, &id, 8); p += 8;
	memcpy(p, &pid, 4); p += 4;
	memcpy(p, &tid, 4); p += 4;
	memcpy(p, &time, 8); p += 8;
	memcpy(p, &cpu, 4); p += 4;
	memcpy(p, &res, 4); p += 4;
	memcpy(p, &nr, 8); p += 8;
	memcpy(p, ips, 24); p += 24;
	memcpy(p, &rsize, 4); p += 4;
	memcpy(p, &type, 2); p += 4;
	h.size = p - buf;
	memcpy(buf, &h, sizeof(h));
	g_assert_true(vg_tp_record_ident(buf, h.size, &id));
	g_assert_cmpuint(id, ==, 5);
	g_assert_true(vg_tp_parse_record_as(buf, h.size, VG_TP_REC_CALLCHAIN, &r, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(r.chain_nr, ==, 3);
	g_assert_true(r.chain == buf + sizeof(h) + 40);
	g_assert_cmpint(vg_tp_raw_type(r.raw, r.raw_size), ==, 372);
	/* a chain longer than the record */
	nr = 1000;
	memcpy(buf + sizeof(h) + 32, &nr, 8);
	g_assert_false(vg_tp_parse_record_as(buf, h.size, VG_TP_REC_CALLCHAIN, &r, &err));
	g_assert_nonnull(strstr(err->message, "too short for its fields"));
	g_clear_error(&err);
}

/* kallsyms text to frames: the symbol at or below the address, its end
 * at the next one, module names as perf gives them, binding from the
 * type letter; a file of zeros (kptr_restrict) is an error saying so. */
static void test_kallsyms_frames(void)
{
	char *dir = g_dir_make_tmp("vgsym-XXXXXX", NULL);
	char *ks = g_build_filename(dir, "kallsyms", NULL);
	char *zero = g_build_filename(dir, "zeros", NULL);
	GError *err = NULL;
	VgFrame f;
	char *t;

	g_assert_true(g_file_set_contents(ks,
		"ffffffff81000000 T _stext\n"
		"ffffffff81000100 t local_fn\n"
		"ffffffff81000200 D some_data\n"
		"ffffffff81000300 W weak_fn\n"
		"ffffffffc0001000 t ext4_thing\t[ext4]\n", -1, NULL));
	g_assert_true(g_file_set_contents(zero,
		"0000000000000000 T _stext\n0000000000000000 t x\n", -1, NULL));
	g_assert_cmpuint(vg_sym_load_kernel(zero, &err), ==, 0);
	g_assert_nonnull(strstr(err->message, "kptr_restrict"));
	g_clear_error(&err);
	g_assert_cmpuint(vg_sym_load_kernel(ks, &err), ==, 4);
	g_assert_no_error(err);
	vg_sym_frame(1, 0xffffffff81000180ULL, &f);
	g_assert_cmpstr(f.sym, ==, "local_fn");
	g_assert_cmpuint(f.binding, ==, 0);
	g_assert_cmphex(f.start, ==, 0xffffffff81000100ULL);
	g_assert_cmphex(f.end, ==, 0xffffffff81000300ULL);	/* data left out */
	g_assert_cmpstr(f.dso, ==, "[kernel.kallsyms]");
	t = vg_frame_text(&f);
	g_assert_cmpstr(t, ==, "ffffffff81000180 local_fn+0x80 ([kernel.kallsyms])");
	g_free(t);
	vg_sym_frame(1, 0xffffffff81000000ULL, &f);
	g_assert_cmpstr(f.sym, ==, "_stext");
	g_assert_cmpuint(f.binding, ==, 1);
	vg_sym_frame(1, 0xffffffff81000310ULL, &f);
	g_assert_cmpuint(f.binding, ==, 2);
	vg_sym_frame(1, 0xffffffffc0001004ULL, &f);
	g_assert_cmpstr(f.sym, ==, "ext4_thing");
	g_assert_cmpstr(f.dso, ==, "[ext4]");
	/* below every symbol: the address alone */
	vg_sym_frame(1, 0xffffffff80000000ULL, &f);
	g_assert_null(f.sym);
	t = vg_frame_text(&f);
	g_assert_cmpstr(t, ==, "ffffffff80000000 [unknown] ([unknown])");
	g_free(t);
	/* stored with a trace: the named kernel addresses, once each */
	{
		const guint64 ips[] = { 0xffffffff81000180ULL, 0x7f0000001000ULL,
					0xffffffff81000180ULL, 0xffffffff80000000ULL,
					0xffffffffc0001004ULL };
		char *tab = vg_sym_table_text(ips, G_N_ELEMENTS(ips));
		char *tpath = g_build_filename(dir, "table", NULL);

		g_assert_cmpstr(tab, ==,
			"ffffffff81000180 ffffffff81000100 ffffffff81000300 0 local_fn [kernel.kallsyms]\n"
			"ffffffffc0001004 ffffffffc0001000 ffffffffc0001001 0 ext4_thing [ext4]\n");
		g_assert_true(g_file_set_contents(tpath, tab, -1, NULL));
		vg_sym_set_enabled(FALSE);
		g_assert_true(vg_sym_use_table(tpath, &err));
		g_assert_true(vg_sym_enabled());
		vg_sym_frame(1, 0xffffffffc0001004ULL, &f);
		g_assert_cmpstr(f.sym, ==, "ext4_thing");
		g_assert_cmpstr(f.dso, ==, "[ext4]");
		vg_sym_frame(1, 0xffffffff81000000ULL, &f);	/* not in it */
		g_assert_null(f.sym);
		g_assert_true(g_file_set_contents(tpath, "ffff 1 2\n", -1, NULL));
		g_assert_false(vg_sym_use_table(tpath, &err));
		g_assert_nonnull(strstr(err->message, "table:1: expected 'IP START END BINDING NAME DSO'"));
		g_clear_error(&err);
		g_assert_true(vg_sym_use_table(NULL, NULL));
		vg_sym_frame(1, 0xffffffff81000000ULL, &f);
		g_assert_cmpstr(f.sym, ==, "_stext");
		g_unlink(tpath);
		g_free(tpath);
		g_free(tab);
	}
	/* disabled (a trace of another boot): addresses only */
	vg_sym_set_enabled(FALSE);
	vg_sym_frame(1, 0xffffffff81000180ULL, &f);
	g_assert_null(f.sym);
	g_assert_cmphex(f.ip, ==, 0xffffffff81000180ULL);
	vg_sym_set_enabled(TRUE);
	g_unlink(ks);
	g_unlink(zero);
	g_rmdir(dir);
	g_free(ks);
	g_free(zero);
	g_free(dir);
}

/* A user address of this very process: libdwfl finds the library and
 * the symbol; after vg_sym_forget (exec, exit) the process is read
 * again; a pid that does not exist gives the address alone. */
static void test_user_frames(void)
{
	guint64 ip = (guint64)(guintptr)&getppid + 1;
	VgFrame f;

	vg_sym_frame(getpid(), ip, &f);
	g_assert_cmpstr(f.sym, ==, "getppid");
	g_assert_nonnull(f.dso);
	g_assert_nonnull(strstr(f.dso, "libc.so"));
	g_assert_cmphex(f.start, ==, ip - 1);
	g_assert_cmphex(f.end, >, f.start);
	vg_sym_forget(getpid());
	vg_sym_frame(getpid(), ip, &f);
	g_assert_cmpstr(f.sym, ==, "getppid");
	vg_sym_frame(0x7fffffff, ip, &f);	/* no such process */
	g_assert_null(f.sym);
	g_assert_null(f.dso);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tp/format_fields", test_format_fields);
	g_test_add_func("/tp/metadata_and_records", test_metadata_and_records);
	g_test_add_func("/tp/bad_formats_are_errors_with_line", test_bad_formats);
	g_test_add_func("/tp/bad_names_refused", test_names_refused);
	g_test_add_func("/tp/perf_records", test_perf_records);
	g_test_add_func("/tp/kernel_filters", test_kernel_filters);
	g_test_add_func("/tp/callchain_records", test_callchain_records);
	g_test_add_func("/tp/other_sequences_refused", test_other_sequences_refused);
	g_test_add_func("/tp/perf_callchain_record", test_perf_callchain_record);
	g_test_add_func("/tp/kallsyms_frames", test_kallsyms_frames);
	g_test_add_func("/tp/user_frames", test_user_frames);
	return g_test_run();
}
