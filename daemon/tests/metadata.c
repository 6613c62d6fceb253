/*
 * metadata.c - unit tests: the TSDL parser, env, derived syscall
 * classes, serialisation back to TSDL.
 */
#include "vg_testlib.h"

#include <string.h>

static guint count_lines(const char *s)
{
	guint n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_parses_vigil_tsdl(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	const VgEventClass *c;
	static const guint8 zero[16];

	g_assert_cmpmem(vg_metadata_uuid(md), 16, vgt_uuid, 16);
	g_assert_cmpint(memcmp(vg_metadata_uuid(md), zero, 16), !=, 0);
	g_assert_cmpint(vg_metadata_clock_offset(md), ==, 1700000000000000000LL);
	g_assert_cmpuint(vg_metadata_clock_freq(md), ==, 1000000000);
	g_assert_cmpstr(vg_metadata_env(md, "hostname"), ==, "testhost");
	g_assert_cmpstr(vg_metadata_env(md, "tracer_major"), ==, "1");
	g_assert_null(vg_metadata_env(md, "nope"));
	g_assert_cmpuint(vg_metadata_classes(md)->len, ==, VG_N_EVENTS + 1);	/* + the kprobe */

	c = vg_metadata_class(md, VGT_SYS_ENTER);
	g_assert_nonnull(c);
	g_assert_cmpstr(c->name, ==, "raw_syscalls:sys_enter");
	g_assert_cmpstr(c->subsys, ==, "raw_syscalls");
	g_assert_cmpstr(c->event, ==, "sys_enter");
	g_assert_cmpuint(c->n_fields, ==, 5);
	g_assert_cmpint(c->fields[0].kind, ==, VG_FIELD_INT);
	g_assert_cmpuint(c->fields[0].elem_size, ==, 8);
	g_assert_cmpint(c->fields[1].kind, ==, VG_FIELD_UINT_ARRAY);
	g_assert_cmpuint(c->fields[1].length, ==, 6);
	g_assert_cmpint(c->fields[2].kind, ==, VG_FIELD_UINT);
	g_assert_cmpuint(c->fields[2].elem_size, ==, 1);
	g_assert_cmpint(c->fields[4].kind, ==, VG_FIELD_STRING);
	g_assert_cmpint(vg_class_field_index(c, "path"), ==, 4);
	g_assert_cmpint(vg_class_field_index(c, "nope"), ==, -1);

	c = vg_metadata_class_by_name(md, "sched:sched_switch");
	g_assert_nonnull(c);
	g_assert_cmpuint(c->id, ==, VGT_SCHED_SWITCH);
	g_assert_cmpint(c->fields[0].kind, ==, VG_FIELD_CHARS);
	g_assert_cmpuint(c->fields[0].length, ==, 16);
	g_assert_cmpint(c->fields[2].kind, ==, VG_FIELD_INT);
	g_assert_cmpuint(c->fields[2].elem_size, ==, 4);

	c = vg_metadata_class(md, VGT_PAGE_FAULT);
	g_assert_cmpuint(c->fields[0].base, ==, 16);
	g_assert_cmpint(c->fields[0].kind, ==, VG_FIELD_UINT);

	c = vg_metadata_class(md, VGT_KPROBE);
	g_assert_nonnull(c);
	g_assert_cmpstr(c->name, ==, "kprobes:do_sys_open");
	g_assert_null(vg_metadata_class(md, VG_N_EVENTS));
	g_assert_null(vg_metadata_class(md, 5000));
	vg_metadata_free(md);
}

/* A complete metadata text around the given event blocks. */
static const char *minimal_head =
	"/* CTF 1.8 */\n"
	"typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
	"typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
	"typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
	"typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
	"typealias integer { size = 32; align = 8; signed = true; } := int32_t;\n"
	"trace { major = 1; minor = 8; uuid = \"" VGT_UUID_STR "\"; byte_order = le;\n"
	"  packet.header := struct { uint32_t magic; uint8_t uuid[16]; uint32_t stream_id; uint64_t stream_instance_id; }; };\n"
	"clock { name = monotonic; freq = 1000000000; offset_s = 2; offset = 5; };\n"
	"stream { id = 0;\n"
	"  packet.context := struct { uint64_t timestamp_begin; uint64_t timestamp_end; uint64_t content_size;\n"
	"    uint64_t packet_size; uint64_t packet_seq_num; uint64_t events_discarded; uint32_t cpu_id; };\n"
	"  event.header := struct { uint16_t id; uint64_t timestamp; };\n"
	"  event.context := struct { int32_t tid; }; };\n";

static VgMetadata *parse_with(const char *tail, GError **err)
{
	char *t = g_strconcat(minimal_head, tail, NULL);
	VgMetadata *md = vg_metadata_parse(t, strlen(t), "t.tsdl", err);

	g_free(t);
	return md;
}

static void test_general_syntax(void)
{
	GError *err = NULL;
	VgMetadata *md = parse_with(
		"// a line comment\n"
		"/* a block\n comment */\n"
		"typealias integer { size = 16; align = 8; signed = true; base = x; } := short int;\n"
		"event {\n"
		"  id = 3; name = x_y;   /* name as identifier, attributes in any order */\n"
		"  fields := struct {\n"
		"    integer { size = 8; align = 8; signed = true; } small;\n"
		"    short int s;\n"
		"    integer { signed = false; size = 32; encoding = none; byte_order = le; } arr[3];\n"
		"    integer { size = 8; encoding = ASCII; } text[4];\n"
		"    string { encoding = UTF8; } str;\n"
		"  };\n"
		"  stream_id = 0; loglevel = 13;\n"
		"};\n"
		"event { name = \"empty:one\"; id = 0x10; };\n", &err);
	const VgEventClass *c;

	g_assert_no_error(err);
	g_assert_nonnull(md);
	c = vg_metadata_class(md, 3);
	g_assert_cmpstr(c->name, ==, "x_y");
	g_assert_cmpstr(c->subsys, ==, "");
	g_assert_cmpuint(c->n_fields, ==, 5);
	g_assert_cmpint(c->fields[0].kind, ==, VG_FIELD_INT);
	g_assert_cmpuint(c->fields[0].elem_size, ==, 1);
	g_assert_cmpint(c->fields[1].kind, ==, VG_FIELD_INT);
	g_assert_cmpuint(c->fields[1].elem_size, ==, 2);
	g_assert_cmpuint(c->fields[1].base, ==, 16);
	g_assert_cmpint(c->fields[2].kind, ==, VG_FIELD_UINT_ARRAY);
	g_assert_cmpuint(c->fields[2].length, ==, 3);
	g_assert_cmpint(c->fields[3].kind, ==, VG_FIELD_CHARS);
	g_assert_cmpint(c->fields[4].kind, ==, VG_FIELD_STRING);
	c = vg_metadata_class(md, 16);
	g_assert_cmpstr(c->name, ==, "empty:one");
	g_assert_cmpuint(c->n_fields, ==, 0);
	g_assert_cmpint(vg_metadata_clock_offset(md), ==, 2000000005LL);
	vg_metadata_free(md);
}

static void test_string_escapes(void)
{
	GError *err = NULL;
	VgMetadata *md = parse_with(
		"env { a = \"q\\\"b\\\\s\\x41\\n\"; n = -12; };\n"
		"event { name = \"e:v\"; id = 1; fields := struct { int32_t x; }; };\n", &err);

	g_assert_no_error(err);
	g_assert_cmpstr(vg_metadata_env(md, "a"), ==, "q\"b\\sA\n");
	g_assert_cmpstr(vg_metadata_env(md, "n"), ==, "-12");
	vg_metadata_free(md);
}

typedef struct {
	const char *tail;	/* appended to minimal_head */
	guint line;		/* line within tail, from 1 */
	guint col;
	const char *msg;
} BadCase;

static const BadCase bad_cases[] = {
	{ "event { name = \"a:b\"; id = 1; fields := struct { int32_t x } ; };\n",
	  1, 60, "expected ';' after field 'x', got '}'" },
	{ "event { name = \"a:b\"; id = 1;\n fields := struct { int32_t x; flt y; }; };\n",
	  2, 32, "unknown type 'flt'" },
	{ "event { name = \"a:b; id = 1; };\n",
	  1, 16, "unterminated string" },
	{ "/* never closed\n event { };\n",
	  1, 1, "unterminated comment" },
	{ "event { name = \"a:b\"; id = 1; colour = 3; };\n",
	  1, 31, "unknown event attribute 'colour'" },
	{ "event { name = \"a:b\"; id = 1; };\nevent { name = \"c:d\"; id = 1; };\n",
	  2, 1, "event 'c:d': id 1 already used by 'a:b'" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { enum { A } e; }; };\n",
	  1, 50, "unsupported type 'enum'" },
	{ "typealias integer { size = 32; byte_order = be; } := beint;\n",
	  1, 45, "big-endian integers are not supported" },
	{ "event { name = \"a:b\"; id = 70000; };\n",
	  1, 28, "event id 70000 out of range (0..65535)" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { int32_t x[0]; }; };\n",
	  1, 60, "array length 0 of field 'x' out of range" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { integer { size = 12; } x; }; };\n",
	  1, 67, "integer size 12 not supported (8, 16, 32 or 64)" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { integer { align = 8; } x; }; };\n",
	  1, 71, "integer without 'size'" },
	{ "event { name = \"a:b\" id = 1; };\n",
	  1, 22, "expected ';' after 'name', got 'id'" },
	{ "event { id = 1; };\n",
	  1, 1, "event without a name" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { int32_t x; }; };\n@\n",
	  2, 1, "unexpected character '@'" },
	{ "callsite { };\n",
	  1, 1, "unexpected 'callsite' at top level" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { struct { int32_t z; } inner; }; };\n",
	  1, 41, "event 'a:b': field 'inner': nested struct not supported" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { int32_t x; };\n",
	  2, 1, "expected an event attribute, got end of input" },
	{ "event { name = \"a:b\"; id = 1; fields := struct { int32_t x; }; };\nevent { name = \"a:b\"; id = 2; };\n",
	  2, 1, "event 'a:b' defined twice" },
	{ "env { key = { }; };\n",
	  1, 13, "bad value '{' for env key 'key'" },
	{ "event { name = \"a:b\"; id = 0x1g; };\n",
	  1, 28, "bad number '0x1g'" },
};

static void test_bad_input_is_an_error_naming_line_and_column(void)
{
	guint head_lines = count_lines(minimal_head);
	guint i;

	for (i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		const BadCase *bc = &bad_cases[i];
		GError *err = NULL;
		VgMetadata *md = parse_with(bc->tail, &err);
		char *want = g_strdup_printf("t.tsdl:%u:%u: %s",
					     head_lines + bc->line, bc->col, bc->msg);

		if (md)
			g_error("case %u parsed: %s", i, bc->tail);
		g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
		if (strcmp(err->message, want) != 0)
			g_error("case %u: got  \"%s\"\n          want \"%s\"", i,
				err->message, want);
		g_free(want);
		g_error_free(err);
	}
}

static void expect_whole_error(const char *text, const char *want)
{
	GError *err = NULL;
	VgMetadata *md = vg_metadata_parse(text, strlen(text), "w", &err);

	g_assert_null(md);
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	if (!g_str_has_suffix(err->message, want))
		g_error("got \"%s\", want suffix \"%s\"", err->message, want);
	g_error_free(err);
}

static void test_missing_or_wrong_blocks_are_errors(void)
{
	char *full = vgt_tsdl(NULL), *t, *p;

	expect_whole_error("", "no trace block");
	expect_whole_error("trace { major = 1; minor = 8; };", "trace block without packet.header");
	expect_whole_error("trace { major = 2; };", "w:1:17: CTF major version 2 not supported (1)");
	/* without its stream block */
	t = g_strdup(full);
	p = strstr(t, "stream {");
	memmove(p, strstr(p, "\n};\n") + 4, strlen(strstr(p, "\n};\n") + 4) + 1);
	expect_whole_error(t, "no stream block");
	g_free(t);
	/* a packet.header unlike the module's */
	t = g_strdup(full);
	p = strstr(t, "uint32_t stream_id;");
	memcpy(p, "uint16_t", 8);
	expect_whole_error(t, "trace packet.header does not match vigil's layout { magic:32; uuid:8[16]; stream_id:32; stream_instance_id:64; }");
	g_free(t);
	/* a different event header */
	t = g_strdup(full);
	p = strstr(t, "uint16_t id;");
	memcpy(p, "uint32_t", 8);
	expect_whole_error(t, "stream event.header does not match vigil's layout { id:16; timestamp:64; }");
	g_free(t);
	t = g_strdup(full);
	p = strstr(t, "byte_order = le");
	memcpy(p + 13, "be", 2);
	expect_whole_error(t, "big-endian traces are not supported");
	g_free(t);
	t = g_strdup(full);
	p = strstr(t, "uuid = \"3f2a");
	p[8] = 'z';
	expect_whole_error(t, "bad uuid \"zf2a9c4e-7b1d-4e8a-9c55-0d1e2f3a4b5c\"");
	g_free(t);
	g_free(full);
}

static void test_env_and_to_tsdl_round_trip(void)
{
	VgMetadata *md = vgt_metadata(NULL), *md2;
	GError *err = NULL;
	char *text;
	gsize len;
	const char *k, *v;
	gboolean is_str;

	vg_metadata_set_env(md, "vigil_note", "a \"quoted\" \\ value");
	vg_metadata_set_env_int(md, "vigil_count", -5);
	vg_metadata_set_env(md, "hostname", "otherhost");
	text = vg_metadata_to_tsdl(md, &len);
	g_assert_true(g_str_has_prefix(text, "/* CTF 1.8 */"));
	g_assert_cmpuint(strlen(text), ==, len);
	md2 = vg_metadata_parse(text, len, "round", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(vg_metadata_env(md2, "vigil_note"), ==, "a \"quoted\" \\ value");
	g_assert_cmpstr(vg_metadata_env(md2, "vigil_count"), ==, "-5");
	g_assert_cmpstr(vg_metadata_env(md2, "hostname"), ==, "otherhost");
	g_assert_cmpuint(vg_metadata_env_count(md2), ==, vg_metadata_env_count(md));
	g_assert_true(vg_metadata_env_nth(md2, 0, &k, &v, &is_str));
	g_assert_cmpstr(k, ==, "hostname");
	g_assert_true(is_str);
	g_assert_false(vg_metadata_env_nth(md2, 99, &k, &v, &is_str));
	g_assert_cmpuint(vg_metadata_classes(md2)->len, ==, vg_metadata_classes(md)->len);
	g_assert_cmpmem(vg_metadata_uuid(md2), 16, vgt_uuid, 16);
	g_free(text);
	vg_metadata_free(md2);
	vg_metadata_free(md);
}

static void test_env_block_is_added_when_missing(void)
{
	GError *err = NULL;
	VgMetadata *md = parse_with("event { name = \"a:b\"; id = 1; };\n", &err), *md2;
	char *text;
	gsize len;

	g_assert_no_error(err);
	vg_metadata_set_env(md, "vigil_syscall_2", "open:filename,flags,mode");
	text = vg_metadata_to_tsdl(md, &len);
	md2 = vg_metadata_parse(text, len, "round", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(vg_metadata_env(md2, "vigil_syscall_2"), ==, "open:filename,flags,mode");
	g_assert_nonnull(vg_metadata_class_by_name(md2, "syscalls:sys_enter_open"));
	g_free(text);
	vg_metadata_free(md2);
	vg_metadata_free(md);
}

static void test_syscall_env_entries_create_derived_classes(void)
{
	VgMetadata *md = vgt_metadata("\tvigil_syscall_257 = \"openat:dfd,filename,flags,mode\";\n"
				      "\tvigil_syscall_39 = \"getpid:\";\n");
	const VgEventClass *c;

	c = vg_metadata_class_by_name(md, "syscalls:sys_enter_openat");
	g_assert_nonnull(c);
	g_assert_cmpuint(c->id, ==, VG_SYSCALL_ENTER_ID_BASE + 257);
	g_assert_true(c->flags & VG_CLASS_SYSCALL_ENTER);
	g_assert_cmpuint(c->n_fields, ==, 4);
	g_assert_cmpstr(c->fields[1].name, ==, "filename");
	g_assert_true(vg_metadata_class(md, VG_SYSCALL_ENTER_ID_BASE + 257) == c);
	c = vg_metadata_class_by_name(md, "syscalls:sys_exit_openat");
	g_assert_nonnull(c);
	g_assert_true(c->flags & VG_CLASS_SYSCALL_EXIT);
	g_assert_cmpuint(c->n_fields, ==, 1);
	g_assert_cmpstr(c->fields[0].name, ==, "ret");
	g_assert_cmpstr(c->subsys, ==, "syscalls");
	c = vg_metadata_class_by_name(md, "syscalls:sys_enter_getpid");
	g_assert_nonnull(c);
	g_assert_cmpuint(c->n_fields, ==, 0);
	g_assert_cmpuint(vg_metadata_classes(md)->len, ==, VG_N_EVENTS + 1 + 4);
	vg_metadata_free(md);
}

static void test_update_adds_new_classes_and_keeps_old_pointers(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	const VgEventClass *sw = vg_metadata_class(md, VGT_SCHED_SWITCH);
	char *base = vgt_tsdl(NULL);
	char *newer = g_strconcat(base, "event { name = \"kprobes:vfs_read\"; id = 1025; stream_id = 0;"
				  " fields := struct { uint64_hex_t ip; int64_t ret; }; };\n", NULL);
	char *changed = g_strconcat(base, "", NULL);
	GError *err = NULL;
	char *p;

	vg_metadata_set_env(md, "vigil_mine", "kept");
	g_assert_true(vg_metadata_update(md, newer, strlen(newer), "new", &err));
	g_assert_no_error(err);
	g_assert_true(vg_metadata_class(md, VGT_SCHED_SWITCH) == sw);
	g_assert_nonnull(vg_metadata_class(md, 1025));
	g_assert_cmpstr(vg_metadata_class(md, 1025)->name, ==, "kprobes:vfs_read");
	g_assert_cmpstr(vg_metadata_env(md, "vigil_mine"), ==, "kept");

	p = strstr(changed, "kprobes:do_sys_open");
	memcpy(p, "kprobes:do_sys_opex", 19);
	g_assert_false(vg_metadata_update(md, changed, strlen(changed), "chg", &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_nonnull(strstr(err->message, "event id 1024 changed"));
	g_clear_error(&err);
	g_free(base);
	g_free(newer);
	g_free(changed);
	vg_metadata_free(md);
}

static void test_load_names_the_file(void)
{
	GError *err = NULL;
	VgMetadata *md = vg_metadata_load("/nonexistent/metadata", &err);

	g_assert_null(md);
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "/nonexistent/metadata"));
	g_error_free(err);
}

static void test_mutated_text_is_parsed_or_refused_never_a_crash(void)
{
	char *orig = vgt_tsdl("\tvigil_syscall_1 = \"write:fd,buf,count\";\n");
	gsize len = strlen(orig);
	GRand *r = g_rand_new_with_seed(99);
	static const char junk[] = "{};:=[]\"/*x0 \n-";
	guint round, ok = 0, refused = 0;

	for (round = 0; round < 3000; round++) {
		char *t = g_strdup(orig);
		gsize n = len;
		guint k, edits = g_rand_int_range(r, 1, 4);
		GError *err = NULL;
		VgMetadata *md;

		for (k = 0; k < edits; k++) {
			gsize at = g_rand_int_range(r, 0, n);

			switch (g_rand_int_range(r, 0, 3)) {
			case 0:		/* replace a byte */
				t[at] = junk[g_rand_int_range(r, 0, sizeof(junk) - 1)];
				break;
			case 1:		/* truncate */
				n = at;
				t[n] = '\0';
				break;
			default:	/* delete a run */
				memmove(t + at, t + MIN(at + 7, n), n - MIN(at + 7, n) + 1);
				n = strlen(t);
			}
			if (!n)
				break;
		}
		md = vg_metadata_parse(t, n, "fuzz", &err);
		if (md) {
			char *back = vg_metadata_to_tsdl(md, NULL);

			ok++;
			g_free(back);
			vg_metadata_free(md);
		} else {
			g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
			g_assert_true(g_str_has_prefix(err->message, "fuzz"));
			refused++;
			g_error_free(err);
		}
		g_free(t);
	}
	g_assert_cmpuint(ok + refused, ==, 3000);
	g_assert_cmpuint(refused, >, 0);
	g_rand_free(r);
	g_free(orig);
}

/* Defect 3 of issue 11 (found by fuzzing): an event whose fields add up
 * past 2^32 bytes wrapped the layout's 32-bit offsets, so the record-length
 * check passed and decode read far past the packet.  Refused by name. */
static void test_an_event_too_large_for_a_record_is_refused(void)
{
	GString *ev = g_string_new("event { name = \"huge\"; id = 7; stream_id = 0;\n"
				   "  fields := struct {\n");
	GError *err = NULL;
	VgMetadata *md;
	guint i;

	/* 8193 x 512 KiB = 2^32 + 512 KiB */
	for (i = 0; i < 8193; i++)
		g_string_append_printf(ev, "    uint64_t f%u[65536];\n", i);
	g_string_append(ev, "    uint32_t last;\n  };\n};\n");
	md = parse_with(ev->str, &err);
	g_assert_null(md);
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_nonnull(strstr(err->message, "t.tsdl:"));
	g_assert_nonnull(strstr(err->message,
				"event 'huge': field 'f128' ends at offset 67633152, "
				"past the largest event record"));
	g_error_free(err);
	g_string_free(ev, TRUE);
}

/* Defect 4 of issue 11 (found by fuzzing): 100 000 nested 'struct {'
 * overflowed the stack of the recursive parser.  Refused at the line and
 * column where the nesting goes too deep. */
static void test_deeply_nested_structs_are_an_error_not_a_crash(void)
{
	GString *t = g_string_new("typealias ");
	guint head_lines = count_lines(minimal_head);
	GError *err = NULL;
	VgMetadata *md;
	char *want;
	guint i;

	for (i = 0; i < 100000; i++)
		g_string_append(t, "struct {\n");
	md = parse_with(t->str, &err);
	g_assert_null(md);
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	/* the brace of the 33rd struct, line 33 of the tail, column 8 */
	want = g_strdup_printf("t.tsdl:%u:8: structs nested deeper than 32",
			       head_lines + 33);
	g_assert_cmpstr(err->message, ==, want);
	g_free(want);
	g_error_free(err);
	g_string_free(t, TRUE);
}

/* Defect 5 of issue 11 (found by fuzzing, UBSan): the clock offset was
 * computed with a signed overflow (offset_s * 1e9) and a double converted
 * to an out-of-range integer; '-' before 2^63 negated INT64_MIN.  Now
 * computed exactly or refused with the line of the offending attribute.
 * Integer constants follow CTF 1.8 (C's rule): 0x hexadecimal, a leading
 * 0 octal, else decimal. */
static VgMetadata *parse_clock_line(const char *clock, GError **err)
{
	const char *old = "clock { name = monotonic; freq = 1000000000; offset_s = 2; offset = 5; };\n";
	const char *at = strstr(minimal_head, old);
	char *head, *t;
	VgMetadata *md;

	g_assert_nonnull(at);
	head = g_strndup(minimal_head, at - minimal_head);
	t = g_strconcat(head, clock, at + strlen(old), NULL);
	md = vg_metadata_parse(t, strlen(t), "t.tsdl", err);
	g_free(head);
	g_free(t);
	return md;
}

static void expect_clock_error(const char *clock, const char *want)
{
	GError *err = NULL;
	VgMetadata *md = parse_clock_line(clock, &err);
	/* the clock line is line 9 of the text */
	char *full = g_strdup_printf("t.tsdl:9:%s", want);

	g_assert_null(md);
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_cmpstr(err->message, ==, full);
	g_free(full);
	g_error_free(err);
}

static gint64 clock_offset_of(const char *clock, guint64 *freq)
{
	GError *err = NULL;
	VgMetadata *md = parse_clock_line(clock, &err);
	gint64 off;

	g_assert_no_error(err);
	off = vg_metadata_clock_offset(md);
	if (freq)
		*freq = vg_metadata_clock_freq(md);
	vg_metadata_free(md);
	return off;
}

static void test_clock_offset_is_exact_or_refused(void)
{
	guint64 freq;

	/* exact where double was not: 1.7e18 + 123 ns */
	g_assert_cmpint(clock_offset_of("clock { name = monotonic; offset = 1700000000000000123; };\n",
					NULL), ==, 1700000000000000123LL);
	/* a leading 0 is octal (CTF 1.8 follows C): 0500000000 = 83886080 Hz */
	g_assert_cmpint(clock_offset_of("clock { name = monotonic; freq = 0500000000; offset = 0x5000000; };\n",
					&freq), ==, 1000000000LL);
	g_assert_cmpuint(freq, ==, 83886080);
	g_assert_cmpint(clock_offset_of("clock { name = monotonic; offset = -9223372036854775808; };\n",
					NULL), ==, G_MININT64);
	g_assert_cmpint(clock_offset_of("clock { name = monotonic; offset_s = -9223372036; offset = -854775808; };\n",
					NULL), ==, G_MININT64);
	expect_clock_error("clock { name = monotonic; offset_s = 9223372036854775807; };\n",
			   "27: clock offset_s = 9223372036854775807, offset = 0 (freq 1000000000): "
			   "the offset is out of range of 64-bit nanoseconds");
	expect_clock_error("clock { name = monotonic; freq = 1; offset = 9223372036854775807; };\n",
			   "37: clock offset_s = 0, offset = 9223372036854775807 (freq 1): "
			   "the offset is out of range of 64-bit nanoseconds");
	expect_clock_error("clock { name = monotonic; offset_s = 9223372036; offset = 854775808; };\n",
			   "50: clock offset_s = 9223372036, offset = 854775808 (freq 1000000000): "
			   "the offset is out of range of 64-bit nanoseconds");
	expect_clock_error("clock { name = monotonic; offset = -9223372036854775809; };\n",
			   "37: number -9223372036854775809 for 'offset' out of range "
			   "(a 64-bit signed integer)");
	expect_clock_error("clock { name = monotonic; offset = 9223372036854775808; };\n",
			   "36: number 9223372036854775808 for 'offset' out of range "
			   "(a 64-bit signed integer)");
	expect_clock_error("clock { name = monotonic; freq = 09; };\n",
			   "34: bad number '09'");
}

/* Defect 7 of issue 11 (found by fuzzing): the text was kept with
 * g_strndup(), cut at the first NUL byte, so what vg_metadata_to_tsdl()
 * wrote back did not parse again.  A NUL in a comment is kept verbatim;
 * a string holding one (raw or \x00) is refused: values are C strings and
 * would be cut short silently. */
static void test_metadata_with_a_nul_byte_is_written_back_or_refused(void)
{
	static const char tail[] = "/* a comment with a \0 NUL byte */\n"
		"event { name = \"a:b\"; id = 1; };\n";
	char *t = g_malloc(strlen(minimal_head) + sizeof(tail));
	gsize len = strlen(minimal_head) + sizeof(tail) - 1;
	GError *err = NULL;
	VgMetadata *md, *md2;
	char *back, *want;
	gsize back_len;

	memcpy(t, minimal_head, strlen(minimal_head));
	memcpy(t + strlen(minimal_head), tail, sizeof(tail));
	md = vg_metadata_parse(t, len, "t.tsdl", &err);
	g_assert_no_error(err);
	vg_metadata_set_env(md, "vigil_note", "written back");
	back = vg_metadata_to_tsdl(md, &back_len);
	md2 = vg_metadata_parse(back, back_len, "back", &err);
	g_assert_no_error(err);
	g_assert_nonnull(vg_metadata_class_by_name(md2, "a:b"));
	g_assert_cmpstr(vg_metadata_env(md2, "vigil_note"), ==, "written back");
	g_free(back);
	vg_metadata_free(md2);
	vg_metadata_free(md);
	g_free(t);

	/* in a string, raw or escaped: refused at the string */
	want = g_strdup_printf("t.tsdl:%u:20: string holds a NUL byte",
			       count_lines(minimal_head) + 1);
	t = g_strconcat(minimal_head, "env { vigil_note = \"ab\\x00cd\"; };\n", NULL);
	g_assert_null(vg_metadata_parse(t, strlen(t), "t.tsdl", &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
	g_free(t);
	/* the same with a raw NUL byte in place of \x00 */
	t = g_strconcat(minimal_head, "env { vigil_note = \"abXcd\"; };\n", NULL);
	len = strlen(t);
	*strrchr(t, 'X') = '\0';
	g_assert_null(vg_metadata_parse(t, len, "t.tsdl", &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
	g_free(t);
	g_free(want);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/metadata/parses_the_vigil_tsdl", test_parses_vigil_tsdl);
	g_test_add_func("/metadata/accepts_general_tsdl_syntax", test_general_syntax);
	g_test_add_func("/metadata/string_escapes_and_negative_env", test_string_escapes);
	g_test_add_func("/metadata/bad_input_is_an_error_naming_line_and_column",
			test_bad_input_is_an_error_naming_line_and_column);
	g_test_add_func("/metadata/missing_or_wrong_blocks_are_errors",
			test_missing_or_wrong_blocks_are_errors);
	g_test_add_func("/metadata/env_and_to_tsdl_round_trip", test_env_and_to_tsdl_round_trip);
	g_test_add_func("/metadata/env_block_is_added_when_missing",
			test_env_block_is_added_when_missing);
	g_test_add_func("/metadata/syscall_env_entries_create_derived_classes",
			test_syscall_env_entries_create_derived_classes);
	g_test_add_func("/metadata/update_adds_new_classes_and_keeps_old_pointers",
			test_update_adds_new_classes_and_keeps_old_pointers);
	g_test_add_func("/metadata/load_names_the_file", test_load_names_the_file);
	g_test_add_func("/metadata/metadata_with_a_nul_byte_is_written_back_or_refused",
			test_metadata_with_a_nul_byte_is_written_back_or_refused);
	g_test_add_func("/metadata/clock_offset_is_exact_or_refused",
			test_clock_offset_is_exact_or_refused);
	g_test_add_func("/metadata/deeply_nested_structs_are_an_error_not_a_crash",
			test_deeply_nested_structs_are_an_error_not_a_crash);
	g_test_add_func("/metadata/an_event_too_large_for_a_record_is_refused",
			test_an_event_too_large_for_a_record_is_refused);
	g_test_add_func("/metadata/mutated_text_is_parsed_or_refused_never_a_crash",
			test_mutated_text_is_parsed_or_refused_never_a_crash);
	return g_test_run();
}
