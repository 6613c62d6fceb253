/*
 * tp.c - unit tests of vg_tp (the kernel's tracepoints without vigil.ko):
 * tracefs format files parsed, metadata generated from them and read
 * back by the TSDL parser, raw tracepoint data written as records and
 * decoded by field name, perf ring records, and every kind of bad input
 * refused with a message naming where.
 */
#include "vg_testlib.h"
#include "vg_tp.h"

#include <string.h>
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tp/format_fields", test_format_fields);
	g_test_add_func("/tp/metadata_and_records", test_metadata_and_records);
	g_test_add_func("/tp/bad_formats_are_errors_with_line", test_bad_formats);
	g_test_add_func("/tp/bad_names_refused", test_names_refused);
	g_test_add_func("/tp/perf_records", test_perf_records);
	g_test_add_func("/tp/kernel_filters", test_kernel_filters);
	return g_test_run();
}
