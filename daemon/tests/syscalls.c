/*
 * syscalls.c - unit tests: the syscall table from tracefs format files
 * (fixtures read from the Debian 6.1 guest kernel) and syscall numbers,
 * and its way into the trace metadata.
 */
#include "vg_testlib.h"

#include <string.h>

static char *data_path(const char *rel)
{
	/* tests run from anywhere: the fixtures are found relative to the
	 * binary's source tree (daemon/build/tests -> t/data) */
	const char *top = g_getenv("VIGIL_TOP");

	if (top)
		return g_build_filename(top, "t", "data", rel, NULL);
	return g_build_filename(VIGIL_SRCDIR, "..", "t", "data", rel, NULL);
}

static VgSyscallTable *subset_table(void)
{
	VgSyscallTable *t = vg_syscall_table_new();
	char *nums = data_path("unistd-subset.h");
	GError *err = NULL;

	g_assert_true(vg_syscall_table_load_numbers(t, nums, &err));
	g_assert_no_error(err);
	g_free(nums);
	return t;
}

static void test_numbers_from_a_unistd_header(void)
{
	VgSyscallTable *t = subset_table();
	GError *err = NULL;

	g_assert_cmpuint(vg_syscall_table_count(t), ==, 13);
	g_assert_cmpstr(vg_syscall_table_name(t, 257), ==, "openat");
	g_assert_cmpstr(vg_syscall_table_name(t, 0), ==, "read");
	g_assert_null(vg_syscall_table_name(t, 2));
	g_assert_null(vg_syscall_table_name(t, 100000));
	/* and back: a name to its number, -1 for a name it lacks */
	g_assert_cmpint(vg_syscall_table_number(t, "openat"), ==, 257);
	g_assert_cmpint(vg_syscall_table_number(t, "read"), ==, 0);
	g_assert_cmpint(vg_syscall_table_number(t, "nosuchcall"), ==, -1);
	g_assert_cmpint(vg_syscall_table_number(NULL, "read"), ==, -1);
	/* no arguments known yet: an empty list */
	g_assert_nonnull(vg_syscall_table_args(t, 257));
	g_assert_null(vg_syscall_table_args(t, 257)[0]);
	g_assert_null(vg_syscall_table_args(t, 2));
	g_assert_false(vg_syscall_table_load_numbers(t, "/nonexistent/unistd.h", &err));
	g_assert_nonnull(strstr(err->message, "/nonexistent/unistd.h"));
	g_clear_error(&err);
	vg_syscall_table_free(t);
}

static void test_argument_names_from_the_kernel_format_files(void)
{
	VgSyscallTable *t = subset_table();
	char *dir = data_path("syscalls-6.1");
	char *nums = data_path("unistd-subset.h");
	GError *err = NULL;
	const char *const *a;

	vg_syscall_table_free(t);
	t = vg_syscall_table_load(dir, nums, &err);
	g_assert_no_error(err);
	g_assert_nonnull(t);
	a = vg_syscall_table_args(t, 257);
	g_assert_cmpstr(a[0], ==, "dfd");
	g_assert_cmpstr(a[1], ==, "filename");
	g_assert_cmpstr(a[2], ==, "flags");
	g_assert_cmpstr(a[3], ==, "mode");
	g_assert_null(a[4]);
	a = vg_syscall_table_args(t, 59);
	g_assert_cmpstr(a[0], ==, "filename");
	g_assert_cmpstr(a[1], ==, "argv");
	g_assert_cmpstr(a[2], ==, "envp");
	g_assert_null(a[3]);
	a = vg_syscall_table_args(t, 39);
	g_assert_null(a[0]);			/* getpid: none */
	g_assert_cmpuint(g_strv_length((char **)vg_syscall_table_args(t, 9)), ==, 6);
	/* kernel names that differ from the unistd names */
	g_assert_cmpstr(vg_syscall_table_name(t, 4), ==, "newstat");
	g_assert_cmpstr(vg_syscall_table_args(t, 4)[0], ==, "filename");
	g_assert_cmpstr(vg_syscall_table_name(t, 40), ==, "sendfile64");
	g_assert_cmpstr(vg_syscall_table_args(t, 40)[0], ==, "out_fd");
	g_assert_cmpstr(vg_syscall_table_name(t, 166), ==, "umount");
	g_assert_cmpstr(vg_syscall_table_args(t, 166)[0], ==, "name");
	/* a number without a format file keeps its name, no arguments */
	g_assert_cmpstr(vg_syscall_table_name(t, 333), ==, "notraced");
	g_assert_null(vg_syscall_table_args(t, 333)[0]);
	vg_syscall_table_free(t);
	g_free(dir);
	g_free(nums);
}

typedef struct {
	const char *text;
	const char *msg;
} BadFmt;

static const BadFmt bad_formats[] = {
	{ "ID: 3\nformat:\n", "f:1: expected 'name: sys_enter_NAME' or 'name: sys_exit_NAME'" },
	{ "name: sched_switch\nID: 3\nformat:\n", "f:1: 'sched_switch' is not a syscall event" },
	{ "name: sys_enter_read\nID: 3\nformat:\n\tfield:int fd;\tsize:8;\n",
	  "f:4: malformed field line 'field:int fd;\tsize:8;'" },
	{ "name: sys_exit_read\nID: 3\nformat:\n\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n",
	  "f: sys_exit format must have exactly the field 'ret'" },
	{ "name: sys_enter_read\nID: 3\n", "f: no 'format:' section" },
	{ "name: sys_enter_read\nID: 3\nformat:\n\tbogus line\n", "f:4: unexpected line 'bogus line'" },
	{ "", "f:1: empty format file" },
};

static void test_malformed_format_files_are_errors_with_line(void)
{
	VgSyscallTable *t = subset_table();
	guint i;
	gboolean matched;

	for (i = 0; i < G_N_ELEMENTS(bad_formats); i++) {
		GError *err = NULL;

		g_assert_false(vg_syscall_table_parse_format(t, bad_formats[i].text,
							     strlen(bad_formats[i].text),
							     "f", &matched, &err));
		g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
		if (strcmp(err->message, bad_formats[i].msg) != 0)
			g_error("case %u: got \"%s\" want \"%s\"", i, err->message,
				bad_formats[i].msg);
		g_error_free(err);
	}
	/* a syscall this kernel's numbers do not know is skipped */
	{
		const char *f = "name: sys_enter_futuristic\nID: 9\nformat:\n"
			"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
			"\tfield:int x;\toffset:16;\tsize:8;\tsigned:0;\n\nprint fmt: \"\"\n";
		GError *err = NULL;

		g_assert_true(vg_syscall_table_parse_format(t, f, strlen(f), "f", &matched, &err));
		g_assert_no_error(err);
		g_assert_false(matched);
	}
	vg_syscall_table_free(t);
}

static void test_whole_6_1_kernel_table(void)
{
	char *tgz = data_path("syscall-formats-6.1.0-56-amd64.tar.gz");
	char *tmp = g_dir_make_tmp("vigil-fmt-XXXXXX", NULL);
	char *argv[] = { "tar", "-C", tmp, "-xzf", tgz, NULL };
	const char *unistd = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
	GError *err = NULL;
	gint status;
	VgSyscallTable *t;
	guint nr, with_args = 0;
	char *rm[] = { "rm", "-rf", tmp, NULL };

	g_assert_true(g_file_test(unistd, G_FILE_TEST_EXISTS));
	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   NULL, NULL, &status, &err));
	g_assert_no_error(err);
	g_assert_cmpint(status, ==, 0);
	t = vg_syscall_table_load(tmp, unistd, &err);
	g_assert_no_error(err);
	for (nr = 0; nr < 1024; nr++) {
		const char *const *a = vg_syscall_table_args(t, nr);

		if (a && a[0])
			with_args++;
	}
	/* Debian 6.1 has 345 syscall events; most take arguments */
	g_assert_cmpuint(with_args, >=, 280);
	g_assert_cmpstr(vg_syscall_table_name(t, 257), ==, "openat");
	g_assert_cmpstr(vg_syscall_table_args(t, 257)[1], ==, "filename");
	g_assert_cmpstr(vg_syscall_table_name(t, 1), ==, "write");
	g_assert_cmpstr(vg_syscall_table_args(t, 1)[2], ==, "count");
	g_assert_cmpstr(vg_syscall_table_name(t, 262), ==, "newfstatat");
	vg_syscall_table_free(t);
	g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		     NULL, NULL);
	g_free(tmp);
	g_free(tgz);
}

static void test_table_goes_into_metadata_and_survives_tsdl(void)
{
	char *dir = data_path("syscalls-6.1");
	char *nums = data_path("unistd-subset.h");
	GError *err = NULL;
	VgSyscallTable *t = vg_syscall_table_load(dir, nums, &err);
	VgMetadata *md = vgt_metadata(NULL), *md2;
	char *text;
	gsize len;
	const VgEventClass *c;

	g_assert_no_error(err);
	vg_metadata_add_syscalls(md, t);
	g_assert_cmpstr(vg_metadata_env(md, "vigil_syscall_257"), ==,
			"openat:dfd=int,filename=const char *,flags=int,mode=umode_t");
	g_assert_cmpstr(vg_metadata_env(md, "vigil_syscall_39"), ==, "getpid:");
	g_assert_cmpstr(vg_metadata_env(md, "vigil_syscall_4"), ==, "newstat:filename=const char *,statbuf=struct stat *");
	text = vg_metadata_to_tsdl(md, &len);
	g_assert_nonnull(strstr(text, "vigil_syscall_257 = \"openat:dfd=int,filename=const char *,flags=int,mode=umode_t\";"));
	/* another machine reading the trace gets the same classes */
	md2 = vg_metadata_parse(text, len, "trace/metadata", &err);
	g_assert_no_error(err);
	c = vg_metadata_class_by_name(md2, "syscalls:sys_enter_openat");
	g_assert_nonnull(c);
	g_assert_cmpuint(c->n_fields, ==, 4);
	g_assert_cmpstr(c->fields[0].name, ==, "dfd");
	g_assert_cmpint(c->fields[0].kind, ==, VG_FIELD_INT);	/* int dfd */
	g_assert_cmpstr(c->fields[1].name, ==, "filename");
	g_assert_cmpint(c->fields[1].kind, ==, VG_FIELD_UINT);	/* a pointer */
	g_assert_cmpstr(c->fields[3].name, ==, "mode");
	g_assert_cmpint(c->fields[3].kind, ==, VG_FIELD_UINT);	/* umode_t */
	g_assert_nonnull(vg_metadata_class_by_name(md2, "syscalls:sys_exit_newstat"));
	g_assert_nonnull(vg_metadata_class_by_name(md2, "syscalls:sys_enter_getpid"));
	g_assert_cmpuint(vg_metadata_classes(md2)->len, ==, vg_metadata_classes(md)->len);
	g_free(text);
	vg_metadata_free(md2);
	vg_metadata_free(md);
	vg_syscall_table_free(t);
	g_free(dir);
	g_free(nums);
}

static void test_missing_tracefs_is_a_clear_error(void)
{
	char *nums = data_path("unistd-subset.h");
	GError *err = NULL;

	g_assert_null(vg_syscall_table_load("/nonexistent/events/syscalls", nums, &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_IO);
	g_assert_nonnull(strstr(err->message, "/nonexistent/events/syscalls"));
	g_assert_nonnull(strstr(err->message, "tracefs"));
	g_clear_error(&err);
	g_free(nums);
}

/* Without a header vigild takes the numbers built in from the build
 * machine's asm/unistd_64.h: the same as that header (when this machine
 * has it), so that where vigild runs no development package is needed. */
static void test_builtin_numbers_need_no_header(void)
{
	const char *h = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
	char *dir = data_path("syscalls-6.1");
	GError *err = NULL;
	VgSyscallTable *t = vg_syscall_table_load(dir, NULL, &err);
	guint n = 0;

	g_assert_no_error(err);
	for (const VgSyscallNumber *s = vg_syscall_builtin; s->name; s++)
		n++;
	g_assert_cmpuint(n, >, 300);
	g_assert_cmpstr(vg_syscall_table_name(t, 0), ==, "read");
	g_assert_cmpstr(vg_syscall_table_name(t, 257), ==, "openat");
	g_assert_cmpstr(vg_syscall_table_name(t, 231), ==, "exit_group");
	if (g_file_test(h, G_FILE_TEST_EXISTS)) {
		VgSyscallTable *ref = vg_syscall_table_new();

		g_assert_true(vg_syscall_table_load_numbers(ref, h, &err));
		for (const VgSyscallNumber *s = vg_syscall_builtin; s->name; s++)
			g_assert_cmpstr(vg_syscall_table_name(ref, s->nr), ==, s->name);
		g_assert_cmpuint(vg_syscall_table_count(ref), ==, n);
		vg_syscall_table_free(ref);
	}
	vg_syscall_table_free(t);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/syscalls/numbers_from_a_unistd_header", test_numbers_from_a_unistd_header);
	g_test_add_func("/syscalls/argument_names_from_the_kernel_format_files",
			test_argument_names_from_the_kernel_format_files);
	g_test_add_func("/syscalls/malformed_format_files_are_errors_with_line",
			test_malformed_format_files_are_errors_with_line);
	g_test_add_func("/syscalls/whole_debian_6_1_kernel_table", test_whole_6_1_kernel_table);
	g_test_add_func("/syscalls/table_goes_into_metadata_and_survives_tsdl",
			test_table_goes_into_metadata_and_survives_tsdl);
	g_test_add_func("/syscalls/builtin_numbers_need_no_header",
			test_builtin_numbers_need_no_header);
	g_test_add_func("/syscalls/missing_tracefs_is_a_clear_error",
			test_missing_tracefs_is_a_clear_error);
	return g_test_run();
}
