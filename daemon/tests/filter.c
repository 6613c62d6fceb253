/*
 * filter.c - unit tests: filter expressions compile once per class and
 * evaluate on events; bad expressions point at the offending column.
 */
#include "vg_testlib.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	VgMetadata *md;
	VgPacket *pkt;
	VgEvent sw;		/* sched_switch */
	VgEvent ex;		/* sys_exit */
	VgEvent en;		/* sys_enter openat with path */
	VgEvent de;		/* derived sys_enter_openat */
	VgEvent sd;		/* statedump (string exe) */
	VgTask task;
} Fx;

static void fx_init(Fx *fx)
{
	VgtPkt b = { 0 };
	VgRecordIter it;
	GError *err = NULL;
	const guint64 args[6] = { (guint64)-100, 0x1000, 0x80000, 0644, 0, 0 };
	VgEvent *evs[4];
	int i;

	memset(fx, 0, sizeof(*fx));
	fx->md = vgt_metadata("\tvigil_syscall_257 = \"openat:dfd,filename,flags,mode\";\n");
	vgt_pkt_begin(&b, 3, 0, 0);
	vg_pw_record(&b, VGT_SCHED_SWITCH, 5000, 42);
	vg_pw_chars(&b, "nginx: worker", 16);
	vg_pw_u32(&b, 42);
	vg_pw_u32(&b, 120);
	vg_pw_u64(&b, 1);
	vg_pw_chars(&b, "swapper/3", 16);
	vg_pw_u32(&b, 0);
	vg_pw_u32(&b, (guint32)-1);
	vgt_sys_exit(&b, 6000, 42, 257, -13);
	vgt_sys_enter(&b, 7000, 42, 257, args, 1, "/etc/nginx/nginx.conf");
	vgt_statedump(&b, 8000, 42, 40, 1, "nginx", 33, "/usr/sbin/nginx");
	fx->pkt = vgt_pkt_finish(&b, 0, 0, 0);
	vg_record_iter_init(&it, fx->md, fx->pkt);
	evs[0] = &fx->sw;
	evs[1] = &fx->ex;
	evs[2] = &fx->en;
	evs[3] = &fx->sd;
	/* each event in its own struct: the iterator walks on from the
	 * previous one, which stays untouched */
	for (i = 0; i < 4; i++) {
		g_assert_cmpint(vg_record_iter_next(&it, evs[i], &err), ==, 1);
		evs[i]->task = &fx->task;
	}
	g_assert_no_error(err);
	fx->task.tid = 42;
	fx->task.pid = 40;
	fx->task.ppid = 1;
	strcpy(fx->task.comm, "nginx");
	g_assert_true(vg_event_derive_syscall(fx->md, &fx->en, &fx->de));
}

static void fx_clear(Fx *fx)
{
	vg_packet_unref(fx->pkt);
	vg_metadata_free(fx->md);
}

static gboolean run(const char *expr, VgEvent *e)
{
	GError *err = NULL;
	VgFilter *f = vg_filter_compile(expr, e->cls, &err);
	gboolean r;

	if (!f)
		g_error("'%s' did not compile: %s", expr, err->message);
	r = vg_filter_match(f, e);
	vg_filter_free(f);
	return r;
}

#define YES(expr, ev) do { if (!run(expr, ev)) g_error("'%s' should match", expr); } while (0)
#define NO(expr, ev) do { if (run(expr, ev)) g_error("'%s' should not match", expr); } while (0)

static void test_numbers_and_logic(void)
{
	Fx fx;

	fx_init(&fx);
	YES("ret < 0", &fx.ex);
	YES("ret == -13", &fx.ex);
	NO("ret != -13", &fx.ex);
	YES("ret <= -13 && ret >= -13", &fx.ex);
	NO("ret > 0", &fx.ex);
	YES("id == 257 && ret < 0", &fx.ex);
	YES("id == 0x101", &fx.ex);
	YES("id == 1 || id == 257", &fx.ex);
	NO("!(id == 257)", &fx.ex);
	YES("!(id == 1) && !!ret", &fx.ex);
	YES("ret", &fx.ex);			/* non-zero */
	NO("0", &fx.ex);
	YES("1", &fx.ex);
	YES("-13 == ret", &fx.ex);
	YES("0 > ret", &fx.ex);
	YES("(id == 1 || ret < 0) && common_cpu == 3", &fx.ex);
	/* && binds tighter than || */
	YES("id == 257 || id == 1 && ret > 0", &fx.ex);
	NO("(id == 257 || id == 1) && ret > 0", &fx.ex);
	YES("prev_prio == 120 && next_prio == -1 && prev_state == 1", &fx.sw);
	/* arrays by index, unsigned 64-bit values */
	YES("args[0] == 0xffffffffffffff9c", &fx.en);
	YES("args[1] > 0xfff", &fx.en);
	YES("args[0] > 0x7fffffffffffffff", &fx.en);
	YES("path_status == 1 && path_arg == 1", &fx.en);
	fx_clear(&fx);
}

static void test_common_fields(void)
{
	Fx fx;

	fx_init(&fx);
	YES("common_pid == 40 && common_tid == 42 && common_ppid == 1", &fx.ex);
	YES("common_cpu == 3", &fx.ex);
	YES("common_ts == 6000", &fx.ex);
	YES("common_ts > 5999 && common_ts < 6001", &fx.ex);
	YES("common_comm == \"nginx\"", &fx.ex);
	YES("ret < 0 && common_comm == \"nginx\"", &fx.ex);
	NO("common_comm == \"ngin\"", &fx.ex);
	YES("common_comm == 'ngi*'", &fx.ex);
	/* no cgroup known: "" and 0 */
	YES("common_cgroup == \"\" && common_cgroup_id == 0", &fx.ex);
	{
		VgCgroup cg = { .id = 4242, .path = (char *)"/system.slice/nginx.service",
				 .path_len = 27 };

		fx.task.cgroup = &cg;
		YES("common_cgroup == \"/system.slice/nginx.service\"", &fx.ex);
		YES("common_cgroup == \"/system.slice/*\" && common_cgroup_id == 4242", &fx.ex);
		NO("common_cgroup == \"/user.slice*\"", &fx.ex);
		NO("common_cgroup_id != 4242", &fx.ex);
		fx.task.cgroup = NULL;
	}
	fx_clear(&fx);
}

static void test_strings_and_globs(void)
{
	Fx fx;

	fx_init(&fx);
	YES("prev_comm == \"nginx: worker\"", &fx.sw);
	YES("prev_comm == \"nginx*\"", &fx.sw);
	YES("prev_comm =~ \"*worker\"", &fx.sw);
	YES("prev_comm != \"bash\"", &fx.sw);
	NO("prev_comm != \"ngin?: w*\"", &fx.sw);
	YES("next_comm == \"swapper/[0-9]\"", &fx.sw);
	NO("next_comm == \"swapper/[!0-9]\"", &fx.sw);
	YES("next_comm == \"swapper/[^a-z]\"", &fx.sw);
	YES("next_comm == \"swapper?3\"", &fx.sw);
	NO("next_comm == \"swapper\"", &fx.sw);
	YES("next_comm == \"*\"", &fx.sw);
	YES("\"swap*\" == next_comm", &fx.sw);
	YES("exe == \"/usr/sbin/*\" && comm == \"nginx\"", &fx.sd);
	YES("exe == \"*/nginx\" && uid == 33", &fx.sd);
	NO("exe == \"/usr/sbin\"", &fx.sd);
	YES("path == \"/etc/*.conf\"", &fx.en);
	YES("path == \"/etc/nginx/nginx.conf\"", &fx.en);
	/* escapes: a literal star */
	NO("path == \"/etc/\\\\*\"", &fx.en);
	fx_clear(&fx);
}

static void test_derived_syscall_path_argument_compares_as_string(void)
{
	Fx fx;

	fx_init(&fx);
	g_assert_cmpstr(fx.de.cls->name, ==, "syscalls:sys_enter_openat");
	YES("filename == \"/etc/*\"", &fx.de);
	YES("filename != \"/tmp/*\" && flags == 0x80000", &fx.de);
	YES("dfd == -100", &fx.de);
	{
		VgEvent dx;

		g_assert_true(vg_event_derive_syscall(fx.md, &fx.ex, &dx));
		g_assert_cmpstr(dx.cls->name, ==, "syscalls:sys_exit_openat");
		YES("ret == -13 && common_comm == \"nginx\"", &dx);
		NO("ret >= 0", &dx);
	}
	/* not the path argument: compared as text it is empty */
	NO("mode == \"*0*\"", &fx.de);
	YES("mode == 420", &fx.de);
	fx_clear(&fx);
}

typedef struct {
	const char *expr;
	const char *msg;
} Bad;

static const Bad bad[] = {
	{ "rett < 0", "filter: unknown field 'rett' at column 1" },
	{ "ret < 0 && comon_pid == 1", "filter: unknown field 'comon_pid' at column 12" },
	{ "ret <", "filter: expected a field, number or string, got end of expression at column 6" },
	{ "(ret < 0", "filter: expected ')' to close '(' of column 1, got end of expression at column 9" },
	{ "ret < 0)", "filter: unexpected ')' (expected && or ||) at column 8" },
	{ "ret = 0", "filter: unexpected '=' (use '==') at column 5" },
	{ "ret < 0 & id", "filter: unexpected '&' (use '&&') at column 9" },
	{ "ret == \"x\"", "filter: cannot compare number field 'ret' with a string at column 1" },
	{ "common_comm == 3", "filter: text field 'common_comm' must be compared with a string at column 16" },
	{ "common_comm < \"a\"", "filter: operator '<' needs numbers (strings take ==, != or =~) at column 13" },
	{ "common_comm == \"abc", "filter: unterminated string at column 16" },
	{ "", "filter: empty expression at column 1" },
	{ "   ", "filter: empty expression at column 4" },
	{ "ret == 12abc", "filter: bad number '12abc' at column 8" },
	{ "ret == 0 #", "filter: unexpected '#' at column 10" },
	{ "common_comm", "filter: a text field alone is not a condition (compare it) at column 1" },
	{ "ret =~ 3", "filter: operator '=~' needs a string pattern at column 5" },
	{ "ret == - x", "filter: expected a number after '-', got 'x' at column 10" },
	{ "ret ret", "filter: unexpected 'ret' (expected && or ||) at column 5" },
};

static void test_bad_expressions_point_at_the_token(void)
{
	Fx fx;
	guint i;

	fx_init(&fx);
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *err = NULL;
		VgFilter *f = vg_filter_compile(bad[i].expr, fx.ex.cls, &err);

		if (f)
			g_error("'%s' compiled", bad[i].expr);
		g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
		if (strcmp(err->message, bad[i].msg) != 0)
			g_error("'%s': got \"%s\" want \"%s\"", bad[i].expr,
				err->message, bad[i].msg);
		g_error_free(err);
	}
	/* arrays need an index in range */
	{
		GError *err = NULL;

		g_assert_null(vg_filter_compile("args == 1", fx.en.cls, &err));
		g_assert_cmpstr(err->message, ==,
				"filter: array field 'args' needs an index: args[N] at column 6");
		g_clear_error(&err);
		g_assert_null(vg_filter_compile("args[6] == 1", fx.en.cls, &err));
		g_assert_cmpstr(err->message, ==,
				"filter: index 6 out of range for 'args' (length 6) at column 6");
		g_clear_error(&err);
		g_assert_null(vg_filter_compile("prev_comm == next_comm", fx.sw.cls, &err));
		g_assert_cmpstr(err->message, ==,
				"filter: comparing two text fields is not supported at column 14");
		g_clear_error(&err);
	}
	fx_clear(&fx);
}

/* Without a class: every name is a field to come, of any type; what is
 * wrong whatever the types are is still an error with its column; the
 * result matches nothing. */
static void test_without_a_class_only_the_syntax_is_checked(void)
{
	static const char *const good[] = {
		"ret < 0", "filename == \"/etc/*\"", "args[3] == 7 && prev_comm =~ \"ba?h\"",
		"!(fd >= 3 || common_pid == 1)", "x", "count > -5", "\"sh\" == next_comm",
	};
	static const struct { const char *expr, *msg; } wrong[] = {
		{ "ret <", "filter: expected a field, number or string, got end of expression at column 6" },
		{ "name < \"a\"", "filter: operator '<' needs numbers (strings take ==, != or =~) at column 6" },
		{ "\"a\" == \"b\"", "filter: comparing two strings: one side must be a field at column 1" },
		{ "common_pid == \"x\"", "filter: cannot compare number field 'common_pid' with a string at column 1" },
		{ "ret =~ 3", "filter: operator '=~' needs a string pattern at column 5" },
		{ "next_comm == common_comm", "filter: text field 'common_comm' must be compared with a string at column 14" },
		{ "args[x] == 1", "filter: expected an index, got 'x' at column 6" },
		{ "args[1 == 1", "filter: expected ']' after index of 'args' at column 8" },
		{ "ret == 0 ret", "filter: unexpected 'ret' (expected && or ||) at column 10" },
	};
	Fx fx;
	guint i;

	fx_init(&fx);
	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		GError *err = NULL;
		VgFilter *f = vg_filter_compile(good[i], NULL, &err);

		if (!f)
			g_error("'%s' refused: %s", good[i], err->message);
		/* a syntax-only filter matches no event */
		g_assert_false(vg_filter_match(f, &fx.ex));
		vg_filter_free(f);
	}
	for (i = 0; i < G_N_ELEMENTS(wrong); i++) {
		GError *err = NULL;

		if (vg_filter_compile(wrong[i].expr, NULL, &err))
			g_error("'%s' compiled", wrong[i].expr);
		g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
		if (strcmp(err->message, wrong[i].msg) != 0)
			g_error("'%s': got \"%s\" want \"%s\"", wrong[i].expr,
				err->message, wrong[i].msg);
		g_error_free(err);
	}
	fx_clear(&fx);
}

static void test_random_token_soup_compiles_or_points_inside_the_text(void)
{
	static const char *const toks[] = {
		"ret", "id", "common_comm", "common_pid", "args[1]", "args[", "]",
		"(", ")", "!", "&&", "||", "==", "!=", "<", "<=", ">", ">=", "=~",
		"-", "0", "42", "0x1f", "\"a*\"", "'[!x]?'", "\"", "prev_comm",
		"path", "=", "&", " ", "nope",
	};
	Fx fx;
	GRand *r = g_rand_new_with_seed(7);
	guint round, compiled = 0;

	fx_init(&fx);
	for (round = 0; round < 5000; round++) {
		GString *e = g_string_new(NULL);
		guint k, n = g_rand_int_range(r, 1, 9);
		VgEvent *ev = round % 2 ? &fx.en : &fx.ex;
		GError *err = NULL;
		VgFilter *f;

		for (k = 0; k < n; k++) {
			g_string_append(e, toks[g_rand_int_range(r, 0, G_N_ELEMENTS(toks))]);
			g_string_append_c(e, ' ');
		}
		f = vg_filter_compile(e->str, ev->cls, &err);
		if (f) {
			compiled++;
			vg_filter_match(f, ev);
			vg_filter_free(f);
		} else {
			const char *col;
			guint c;

			g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
			g_assert_true(g_str_has_prefix(err->message, "filter: "));
			col = g_strrstr(err->message, " at column ");
			g_assert_nonnull(col);
			c = atoi(col + 11);
			g_assert_cmpuint(c, >=, 1);
			g_assert_cmpuint(c, <=, e->len + 1);
			g_error_free(err);
		}
		g_string_free(e, TRUE);
	}
	g_assert_cmpuint(compiled, >, 0);
	g_rand_free(r);
	fx_clear(&fx);
}

/* Defect 4 of issue 11 (found by fuzzing): 100 000 '(' or '!' overflowed
 * the stack of the recursive parser.  Nesting is bounded, with an error
 * at the column where it goes too deep; so is the number of && and ||
 * (each adds a level to the tree, evaluated recursively). */
static char *repeat(const char *unit, guint n, const char *tail)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < n; i++)
		g_string_append(s, unit);
	g_string_append(s, tail);
	return g_string_free(s, FALSE);
}

static void expect_refused(const VgEventClass *cls, char *expr, const char *msg)
{
	GError *err = NULL;

	g_assert_null(vg_filter_compile(expr, cls, &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_cmpstr(err->message, ==, msg);
	g_error_free(err);
	g_free(expr);
}

static void expect_compiles(const VgEventClass *cls, char *expr)
{
	GError *err = NULL;
	VgFilter *f = vg_filter_compile(expr, cls, &err);

	g_assert_no_error(err);
	vg_filter_free(f);
	g_free(expr);
}

static void test_deep_nesting_is_an_error_not_a_crash(void)
{
	Fx fx;
	GString *chain = g_string_new("ret == 0");
	guint i;

	fx_init(&fx);
	expect_refused(fx.ex.cls, repeat("(", 100000, "ret == 0"),
		       "filter: '(' and '!' nested deeper than 64 at column 65");
	expect_refused(fx.ex.cls, repeat("!", 100000, "ret"),
		       "filter: '(' and '!' nested deeper than 64 at column 65");
	expect_refused(NULL, repeat("!(", 50000, "x"),
		       "filter: '(' and '!' nested deeper than 64 at column 65");
	expect_compiles(fx.ex.cls, repeat("!", 64, "ret"));
	{
		char *open = repeat("(", 63, "!ret");
		char *close = repeat(")", 63, "");

		expect_compiles(fx.ex.cls, g_strconcat(open, close, NULL));
		g_free(open);
		g_free(close);
	}
	for (i = 0; i < 1024; i++)
		g_string_append(chain, i % 2 ? " && ret == 0" : " || ret == 0");
	expect_compiles(fx.ex.cls, g_strdup(chain->str));
	g_string_append(chain, " && ret == 0");
	expect_refused(fx.ex.cls, g_string_free(chain, FALSE),
		       "filter: more than 1024 && and || operators at column 12298");
	fx_clear(&fx);
}

/* Defect 5 of issue 11 (UBSan): '-9223372036854775808' negated INT64_MIN;
 * it is the smallest number a filter takes, one less is an error. */
static void test_negative_numbers_down_to_int64_min(void)
{
	Fx fx;

	fx_init(&fx);
	expect_compiles(fx.ex.cls, g_strdup("ret > -9223372036854775808"));
	expect_refused(fx.ex.cls, g_strdup("ret > -9223372036854775809"),
		       "filter: number -9223372036854775809 out of range "
		       "(a 64-bit signed integer) at column 8");
	expect_refused(fx.ex.cls, g_strdup("ret > -18446744073709551615"),
		       "filter: number -18446744073709551615 out of range "
		       "(a 64-bit signed integer) at column 8");
	fx_clear(&fx);
}

/* Filters are compiled into a branch program (each comparison says
 * which to test next when it holds and when not).  Random expressions
 * of &&, ||, ! and parentheses over comparisons whose truth is known for
 * the event -- fields of the fixed-size prefix against constants on
 * either side, signed and unsigned, common fields, text, constants --
 * give what the same expression evaluated here gives. */
typedef struct {
	const char *text;
	gboolean truth;
} Atom;

static gboolean rand_expr(GRand *r, const Atom *atoms, guint n_atoms,
			  GString *out, guint depth)
{
	guint k = depth >= 4 ? 0 : g_rand_int_range(r, 0, 5);
	gboolean a, b;

	switch (k) {
	case 1:		/* a && b */
	case 2:		/* a || b */
		g_string_append_c(out, '(');
		a = rand_expr(r, atoms, n_atoms, out, depth + 1);
		g_string_append(out, k == 1 ? " && " : " || ");
		b = rand_expr(r, atoms, n_atoms, out, depth + 1);
		g_string_append_c(out, ')');
		return k == 1 ? a && b : a || b;
	case 3:		/* !a */
		g_string_append(out, "!");
		if (g_rand_boolean(r)) {
			g_string_append_c(out, '(');
			a = rand_expr(r, atoms, n_atoms, out, depth + 1);
			g_string_append_c(out, ')');
		} else {
			a = rand_expr(r, atoms, n_atoms, out, 4);
		}
		return !a;
	default: {
		const Atom *at = &atoms[g_rand_int_range(r, 0, n_atoms)];

		g_string_append(out, at->text);
		return at->truth;
	}
	}
}

static void test_random_expressions_give_their_truth(void)
{
	static const Atom ex[] = {	/* sys_exit: id 257, ret -13, cpu 3 */
		{ "ret < 0", TRUE }, { "ret >= 0", FALSE }, { "ret == -13", TRUE },
		{ "-13 == ret", TRUE }, { "0 < ret", FALSE }, { "id == 257", TRUE },
		{ "id != 257", FALSE }, { "257 <= id", TRUE }, { "id > 0x101", FALSE },
		{ "ret", TRUE }, { "0", FALSE }, { "1", TRUE },
		{ "common_cpu == 3", TRUE }, { "common_tid < 42", FALSE },
		{ "common_pid >= 40", TRUE }, { "common_comm == \"ngi*\"", TRUE },
		{ "common_comm != \"nginx\"", FALSE }, { "common_ts > 6000", FALSE },
		{ "ret < 0xffffffffffffffff", TRUE },	/* unsigned: -13 is huge */
		{ "ret > 0x8000000000000000", TRUE },
		/* the ends of the ranges */
		{ "ret < -9223372036854775808", FALSE },
		{ "ret >= -9223372036854775808", TRUE },
		{ "ret > 0xffffffffffffffff", FALSE }, { "ret <= 0xffffffffffffffff", TRUE },
		{ "id < 0", FALSE }, { "id > -1", TRUE }, { "common_tid != 42", FALSE },
		{ "common_tid == 42", TRUE }, { "common_ts <= 6000", TRUE },
	};
	static const Atom sw[] = {	/* sched_switch */
		{ "prev_pid == 42", TRUE }, { "next_prio == -1", TRUE },
		{ "next_prio >= 0", FALSE }, { "prev_state", TRUE },
		{ "prev_state == 0", FALSE }, { "120 == prev_prio", TRUE },
		{ "prev_comm == \"nginx*\"", TRUE }, { "next_comm == \"bash\"", FALSE },
		{ "next_pid", FALSE },
	};
	static const Atom en[] = {	/* sys_enter with path */
		{ "args[0] == 0xffffffffffffff9c", TRUE }, { "args[1] < 0x1000", FALSE },
		{ "args[0] > 0x7fffffffffffffff", TRUE }, { "path == \"/etc/*\"", TRUE },
		{ "path_status == 1", TRUE }, { "path_arg != 1", FALSE },
		{ "id == 257", TRUE }, { "id < 2", FALSE },
	};
	struct { const Atom *atoms; guint n; VgEvent *e; } sets[3];
	Fx fx;
	GRand *r = g_rand_new_with_seed(15);
	guint round, seen[2] = { 0, 0 };

	fx_init(&fx);
	sets[0].atoms = ex; sets[0].n = G_N_ELEMENTS(ex); sets[0].e = &fx.ex;
	sets[1].atoms = sw; sets[1].n = G_N_ELEMENTS(sw); sets[1].e = &fx.sw;
	sets[2].atoms = en; sets[2].n = G_N_ELEMENTS(en); sets[2].e = &fx.en;
	for (round = 0; round < 6000; round++) {
		guint k = round % 3;
		GString *e = g_string_new(NULL);
		gboolean want = rand_expr(r, sets[k].atoms, sets[k].n, e, 0);

		if (run(e->str, sets[k].e) != want)
			g_error("'%s' should %smatch", e->str, want ? "" : "not ");
		seen[want]++;
		g_string_free(e, TRUE);
	}
	g_assert_cmpuint(seen[0], >, 1000);
	g_assert_cmpuint(seen[1], >, 1000);
	g_rand_free(r);
	fx_clear(&fx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/filter/numbers_and_logic", test_numbers_and_logic);
	g_test_add_func("/filter/negative_numbers_down_to_int64_min",
			test_negative_numbers_down_to_int64_min);
	g_test_add_func("/filter/deep_nesting_is_an_error_not_a_crash",
			test_deep_nesting_is_an_error_not_a_crash);
	g_test_add_func("/filter/common_fields", test_common_fields);
	g_test_add_func("/filter/random_expressions_give_their_truth",
			test_random_expressions_give_their_truth);
	g_test_add_func("/filter/strings_and_shell_globs", test_strings_and_globs);
	g_test_add_func("/filter/derived_syscall_path_argument_compares_as_string",
			test_derived_syscall_path_argument_compares_as_string);
	g_test_add_func("/filter/bad_expressions_point_at_the_token",
			test_bad_expressions_point_at_the_token);
	g_test_add_func("/filter/without_a_class_only_the_syntax_is_checked",
			test_without_a_class_only_the_syntax_is_checked);
	g_test_add_func("/filter/random_token_soup_compiles_or_points_inside_the_text",
			test_random_token_soup_compiles_or_points_inside_the_text);
	return g_test_run();
}
