/*
 * test-dumpdir.c - the dump directory: dump names (the trigger's time in
 * UTC, -N when taken), what interrupted dumps leave behind, retention,
 * and the directory's mode.
 */
#include "dumpdir.h"
#include "vg_core.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

/* 2026-11-22 04:15:03.5 UTC in ns since the epoch */
#define WALL_NS (1795320903ll * 1000000000ll + 500000000ll)

static char *tmpdir(void)
{
	GError *err = NULL;
	char *d = g_dir_make_tmp("test-dumpdir-XXXXXX", &err);

	g_assert_no_error(err);
	return d;
}

static void mkdir_in(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);

	g_assert_cmpint(g_mkdir(p, 0700), ==, 0);
	g_free(p);
}

/* A finished dump: a vigil-* directory with the summary file, of that
 * size, modified at mtime (s). */
static void make_dump(const char *dir, const char *name, gsize bytes,
		      time_t mtime)
{
	char *p = g_build_filename(dir, name, NULL);
	char *sum = g_build_filename(p, VGD_DUMP_SUMMARY_NAME, NULL);
	char *data = g_malloc0(bytes);
	struct utimbuf t = { mtime, mtime };
	GError *err = NULL;

	g_assert_cmpint(g_mkdir(p, 0700), ==, 0);
	g_file_set_contents(sum, data, (gssize)bytes, &err);
	g_assert_no_error(err);
	g_assert_cmpint(utime(p, &t), ==, 0);
	g_free(data);
	g_free(sum);
	g_free(p);
}

static gboolean exists_in(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);
	gboolean e = g_file_test(p, G_FILE_TEST_EXISTS);

	g_free(p);
	return e;
}

static gboolean reserve_3(const char *path, gpointer data)
{
	(void)data;
	return g_str_has_suffix(path, "/vigil-20261122-041503-3");
}

static void test_names_are_utc_and_never_reused(void)
{
	char *dir = tmpdir();
	char *want = g_strdup_printf("%s/vigil-20261122-041503", dir);
	char *p;

	/* a local time zone far from UTC: the name must not follow it */
	g_setenv("TZ", "XST-05:30", TRUE);
	tzset();
	p = vgd_dumpdir_new_name(dir, WALL_NS, NULL, NULL);
	g_assert_cmpstr(p, ==, want);
	g_free(p);
	/* taken by a finished dump, then by one being written (staging),
	 * then promised to an open request */
	mkdir_in(dir, "vigil-20261122-041503");
	p = vgd_dumpdir_new_name(dir, WALL_NS, NULL, NULL);
	g_assert_true(g_str_has_suffix(p, "/vigil-20261122-041503-1"));
	g_free(p);
	mkdir_in(dir, ".vigil-20261122-041503-1.staging");
	p = vgd_dumpdir_new_name(dir, WALL_NS, NULL, NULL);
	g_assert_true(g_str_has_suffix(p, "/vigil-20261122-041503-2"));
	g_free(p);
	mkdir_in(dir, "vigil-20261122-041503-2");
	p = vgd_dumpdir_new_name(dir, WALL_NS, reserve_3, NULL);
	g_assert_true(g_str_has_suffix(p, "/vigil-20261122-041503-4"));
	g_free(p);
	p = vgd_dumpdir_staging_name(want);
	g_assert_true(g_str_has_suffix(p, "/.vigil-20261122-041503.staging"));
	g_free(p);
	vgd_rm_rf(dir);
	g_free(want);
	g_free(dir);
}

static void test_leftovers_are_removed_and_nothing_else(void)
{
	char *dir = tmpdir();

	mkdir_in(dir, ".vigil-20261122-041503.staging");
	mkdir_in(dir, ".vigil-20261122-041503.staging.tmp-abc123");
	mkdir_in(dir, ".vigil-20261121-000000.removing");
	mkdir_in(dir, "vigil-20261122-041504.tmp-xyz789");
	make_dump(dir, "vigil-20261120-120000", 10, 1000);
	mkdir_in(dir, "other");
	vgd_dumpdir_remove_leftovers(dir);
	g_assert_false(exists_in(dir, ".vigil-20261122-041503.staging"));
	g_assert_false(exists_in(dir, ".vigil-20261122-041503.staging.tmp-abc123"));
	g_assert_false(exists_in(dir, ".vigil-20261121-000000.removing"));
	g_assert_false(exists_in(dir, "vigil-20261122-041504.tmp-xyz789"));
	g_assert_true(exists_in(dir, "vigil-20261120-120000"));
	g_assert_true(exists_in(dir, "other"));
	vgd_rm_rf(dir);
	g_free(dir);
}

static void test_retention_removes_the_oldest_of_ours(void)
{
	char *dir = tmpdir();
	char *newest = g_build_filename(dir, "vigil-20261120-000003", NULL);
	VgdConfig c;

	memset(&c, 0, sizeof(c));
	c.dump_dir = dir;
	make_dump(dir, "vigil-20261120-000001", 100, 1000);
	make_dump(dir, "vigil-20261120-000002", 100, 2000);
	make_dump(dir, "vigil-20261120-000003", 100, 3000);
	mkdir_in(dir, "vigil-not-ours");	/* no summary: never touched */
	/* no limits: nothing goes */
	g_assert_cmpuint(vgd_dumpdir_apply_retention(&c, newest), ==, 0);
	/* two dumps at most: the oldest goes */
	c.max_dumps = 2;
	g_assert_cmpuint(vgd_dumpdir_apply_retention(&c, newest), ==, 1);
	g_assert_false(exists_in(dir, "vigil-20261120-000001"));
	g_assert_true(exists_in(dir, "vigil-20261120-000002"));
	/* fewer bytes than one dump holds: all but the newest go */
	c.max_dumps = 0;
	c.max_dump_bytes = 50;
	g_test_expect_message("vigild", G_LOG_LEVEL_MESSAGE,
			      "retention: removed */vigil-20261120-000002 (100 "
			      "bytes; max_dumps 0, max_dump_bytes 50)");
	g_test_expect_message("vigild", G_LOG_LEVEL_WARNING,
			      "retention: the newest dump alone (*) holds more "
			      "than max_dump_bytes (100 > 50); it is kept");
	g_assert_cmpuint(vgd_dumpdir_apply_retention(&c, newest), ==, 1);
	g_test_assert_expected_messages();
	g_assert_false(exists_in(dir, "vigil-20261120-000002"));
	g_assert_true(exists_in(dir, "vigil-20261120-000003"));
	g_assert_true(exists_in(dir, "vigil-not-ours"));
	vgd_rm_rf(dir);
	g_free(newest);
	g_free(dir);
}

static void test_the_directory_is_private(void)
{
	char *dir = tmpdir();
	char *sub = g_build_filename(dir, "a", "dumps", NULL);
	char *file = g_build_filename(dir, "file", NULL);
	char *under = g_build_filename(file, "dumps", NULL);
	char *msg;
	GError *err = NULL;
	struct stat st;

	g_assert_true(vgd_dumpdir_ensure(sub, &err));
	g_assert_no_error(err);
	g_assert_cmpint(stat(sub, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	g_assert_cmpint(chmod(sub, 0755), ==, 0);
	g_assert_true(vgd_dumpdir_ensure(sub, &err));
	g_assert_cmpint(stat(sub, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	g_file_set_contents(file, "x", 1, &err);
	g_assert_no_error(err);
	g_assert_false(vgd_dumpdir_ensure(file, &err));
	msg = g_strdup_printf("dump directory %s: Not a directory", file);
	g_assert_error(err, VG_ERROR, VG_ERROR_IO);
	g_assert_cmpstr(err->message, ==, msg);
	g_clear_error(&err);
	g_free(msg);
	g_assert_false(vgd_dumpdir_ensure(under, &err));
	msg = g_strdup_printf("dump directory %s: Not a directory", under);
	g_assert_cmpstr(err->message, ==, msg);
	g_clear_error(&err);
	g_free(msg);
	vgd_rm_rf(dir);
	g_free(under);
	g_free(file);
	g_free(sub);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dumpdir/names_are_utc_and_never_reused",
			test_names_are_utc_and_never_reused);
	g_test_add_func("/dumpdir/leftovers_are_removed_and_nothing_else",
			test_leftovers_are_removed_and_nothing_else);
	g_test_add_func("/dumpdir/retention_removes_the_oldest_of_ours",
			test_retention_removes_the_oldest_of_ours);
	g_test_add_func("/dumpdir/the_directory_is_private",
			test_the_directory_is_private);
	return g_test_run();
}
