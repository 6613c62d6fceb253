/*
 * writer.c - unit tests: the trace writer is atomic (temporary name,
 * rename), reports errors with the path and leaves nothing half
 * written; replay reads back exactly what was written.
 */
#include "vg_testlib.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static guint n_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	if (!d)
		return 0;
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

static void rm_tree(const char *path)
{
	char *argv[] = { "rm", "-rf", (char *)path, NULL };

	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		     NULL, NULL);
}

static VgPacket *make_packet(guint cpu, guint64 seq, guint64 t0, guint n, gsize size)
{
	VgtPkt b = { 0 };
	guint i;

	vgt_pkt_begin(&b, cpu, seq, 0);
	for (i = 0; i < n; i++)
		vgt_sys_exit(&b, t0 + i * 10, 100 + cpu, i, -(gint64)i);
	return vgt_pkt_finish(&b, size, 0, 0);
}

typedef struct {
	guint n;
	guint64 last;
	gboolean sorted;
	guint cpus[4];
} Count;

static void count_ev(VgEvent *e, gpointer data)
{
	Count *c = data;

	if (c->n && e->ts < c->last)
		c->sorted = FALSE;
	c->last = e->ts;
	c->n++;
	c->cpus[e->cpu & 3]++;
}

static void test_written_trace_replays_identically(void)
{
	char *base = g_dir_make_tmp("vigil-writer-XXXXXX", NULL);
	char *path = g_build_filename(base, "trace", NULL);
	VgMetadata *md = vgt_metadata(NULL);
	VgWriter *w;
	GError *err = NULL;
	guint cpu, seq;
	VgReplay *r;
	Count c = { .sorted = TRUE };
	char *sp, *text;
	gsize len;

	w = vg_writer_new(path, &err);
	g_assert_no_error(err);
	/* nothing at the final name until finished */
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	for (seq = 0; seq < 3; seq++)
		for (cpu = 0; cpu < 3; cpu++) {
			VgPacket *p = make_packet(cpu, seq, 1000 * seq + cpu, 20, 4096);

			g_assert_true(vg_writer_add_packet(w, p, &err));
			vg_packet_unref(p);
		}
	vg_metadata_set_env(md, "vigil_recorded_by", "test");
	g_assert_true(vg_writer_finish(w, md, &err));
	g_assert_no_error(err);
	g_assert_true(g_file_test(path, G_FILE_TEST_IS_DIR));
	g_assert_cmpuint(n_entries(path), ==, 4);	/* metadata + 3 streams */
	g_assert_cmpuint(n_entries(base), ==, 1);	/* no temporary left */
	sp = g_build_filename(path, "stream_1", NULL);
	g_assert_true(g_file_get_contents(sp, &text, &len, NULL));
	g_assert_cmpuint(len, ==, 3 * 4096);
	g_free(text);
	g_free(sp);

	r = vg_replay_open(path, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(vg_replay_n_lanes(r), ==, 3);
	g_assert_cmpstr(vg_metadata_env(vg_replay_metadata(r), "vigil_recorded_by"), ==, "test");
	g_assert_cmpuint(vg_replay_run(r, NULL, count_ev, &c, NULL, NULL), ==, 180);
	g_assert_cmpuint(c.n, ==, 180);
	g_assert_true(c.sorted);
	g_assert_cmpuint(c.cpus[2], ==, 60);
	vg_replay_free(r);

	/* an existing trace is never overwritten */
	g_assert_null(vg_writer_new(path, &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_IO);
	g_assert_nonnull(strstr(err->message, path));
	g_assert_nonnull(strstr(err->message, "already exists"));
	g_clear_error(&err);

	rm_tree(base);
	g_free(path);
	g_free(base);
	vg_metadata_free(md);
}

/* Two lanes per CPU (two sources): one stream file per lane, named by
 * the lane; replay merges all four in time order, events on their CPU. */
static void test_lanes_are_stream_files_and_replay_in_order(void)
{
	char *base = g_dir_make_tmp("vigil-writer-XXXXXX", NULL);
	char *path = g_build_filename(base, "trace", NULL);
	VgMetadata *md = vgt_metadata(NULL);
	GError *err = NULL;
	Count c = { .sorted = TRUE };
	VgWriter *w = vg_writer_new(path, &err);
	VgReplay *r;

	g_assert_no_error(err);
	for (guint seq = 0; seq < 3; seq++)
		for (guint lane = 0; lane < 4; lane++) {
			/* lanes 0, 1 on CPU 0; lanes 2, 3 on CPU 1; lanes
			 * of one CPU interleave in time */
			VgtPkt b = { 0 };
			VgPacket *p;

			vgt_pkt_begin(&b, lane / 2, seq, 0);
			b.lane = lane;
			for (guint i = 0; i < 20; i++)
				vgt_sys_exit(&b, 1000 * seq + lane + i * 10,
					     100 + lane, i, 0);
			p = vgt_pkt_finish(&b, 0, 0, 0);
			g_assert_true(vg_writer_add_packet(w, p, &err));
			vg_packet_unref(p);
		}
	g_assert_true(vg_writer_finish(w, md, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(n_entries(path), ==, 5);	/* metadata + 4 lanes */
	for (guint lane = 0; lane < 4; lane++) {
		char name[16], *sp;

		g_snprintf(name, sizeof(name), "stream_%u", lane);
		sp = g_build_filename(path, name, NULL);
		g_assert_true(g_file_test(sp, G_FILE_TEST_IS_REGULAR));
		g_free(sp);
	}
	r = vg_replay_open(path, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(vg_replay_n_lanes(r), ==, 4);
	g_assert_cmpuint(vg_replay_run(r, NULL, count_ev, &c, NULL, NULL), ==, 240);
	g_assert_true(c.sorted);
	g_assert_cmpuint(c.cpus[0], ==, 120);
	g_assert_cmpuint(c.cpus[1], ==, 120);
	vg_replay_free(r);
	rm_tree(base);
	g_free(path);
	g_free(base);
	vg_metadata_free(md);
}

static void test_abort_removes_partial_output(void)
{
	char *base = g_dir_make_tmp("vigil-writer-XXXXXX", NULL);
	char *path = g_build_filename(base, "trace", NULL);
	GError *err = NULL;
	VgWriter *w = vg_writer_new(path, &err);
	VgPacket *p = make_packet(0, 0, 1, 5, 0);

	g_assert_true(vg_writer_add_packet(w, p, &err));
	g_assert_cmpuint(n_entries(base), ==, 1);	/* the temporary */
	vg_writer_abort(w);
	g_assert_cmpuint(n_entries(base), ==, 0);
	vg_packet_unref(p);
	rmdir(base);
	g_free(path);
	g_free(base);
}

static void test_missing_parent_is_an_error_naming_the_path(void)
{
	GError *err = NULL;

	g_assert_null(vg_writer_new("/nonexistent-dir/sub/trace", &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_IO);
	g_assert_cmpstr(err->message, ==,
			"cannot create trace directory /nonexistent-dir/sub/trace: No such file or directory");
	g_clear_error(&err);
}

/* A small file system of our own: tmpfs (root) */
static char *mount_tmpfs(const char *opts)
{
	char *dir = g_dir_make_tmp("vigil-fs-XXXXXX", NULL);

	if (mount("tmpfs", dir, "tmpfs", 0, opts) < 0) {
		char *msg = g_strdup_printf("cannot mount a tmpfs (%s): %s", opts,
					    g_strerror(errno));

		g_test_skip(msg);
		g_free(msg);
		rmdir(dir);
		g_free(dir);
		return NULL;
	}
	return dir;
}

static void unmount(char *dir)
{
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	g_free(dir);
}

static void test_full_filesystem_is_reported_and_cleaned_up(void)
{
	char *fs = mount_tmpfs("size=64k");
	char *path;
	GError *err = NULL;
	VgWriter *w;
	VgPacket *p;
	guint i;
	gboolean ok = TRUE;

	if (!fs)
		return;
	path = g_build_filename(fs, "trace", NULL);
	w = vg_writer_new(path, &err);
	g_assert_no_error(err);
	p = make_packet(0, 0, 1, 100, 16384);
	for (i = 0; i < 16 && ok; i++)
		ok = vg_writer_add_packet(w, p, &err);
	g_assert_false(ok);
	g_assert_error(err, VG_ERROR, VG_ERROR_IO);
	{
		char *want = g_strdup_printf("%s/stream_0: write: No space left on device (partial trace removed)",
					     path);

		g_assert_cmpstr(err->message, ==, want);
		g_free(want);
	}
	g_clear_error(&err);
	/* nothing half written is left, and the writer stays failed */
	g_assert_cmpuint(n_entries(fs), ==, 0);
	g_assert_false(vg_writer_finish(w, NULL, &err));
	g_assert_nonnull(strstr(err->message, "writer failed before"));
	g_clear_error(&err);
	g_assert_cmpuint(n_entries(fs), ==, 0);
	vg_packet_unref(p);
	g_free(path);
	unmount(fs);
}

static void test_unwritable_directory_is_reported(void)
{
	char *fs;
	char *path;
	GError *err = NULL;

	if (geteuid() != 0) {
		/* as a user a mode-0555 directory does it */
		char *base = g_dir_make_tmp("vigil-ro-XXXXXX", NULL);

		chmod(base, 0555);
		path = g_build_filename(base, "trace", NULL);
		g_assert_null(vg_writer_new(path, &err));
		g_assert_nonnull(strstr(err->message, path));
		g_assert_nonnull(strstr(err->message, "Permission denied"));
		g_clear_error(&err);
		chmod(base, 0755);
		rmdir(base);
		g_free(path);
		g_free(base);
		return;
	}
	/* root ignores modes: a read-only file system */
	fs = mount_tmpfs("size=64k");
	if (!fs)
		return;
	if (mount(NULL, fs, NULL, MS_REMOUNT | MS_RDONLY, "size=64k") < 0) {
		g_test_skip("cannot remount tmpfs read-only");
		unmount(fs);
		return;
	}
	path = g_build_filename(fs, "trace", NULL);
	g_assert_null(vg_writer_new(path, &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_IO);
	{
		char *want = g_strdup_printf("cannot create trace directory %s: Read-only file system",
					     path);

		g_assert_cmpstr(err->message, ==, want);
		g_free(want);
	}
	g_clear_error(&err);
	g_free(path);
	unmount(fs);
}

static void count_err(const GError *err, gpointer data)
{
	(void)err;
	(*(guint *)data)++;
}

static void test_corrupted_stream_files_replay_without_crashing(void)
{
	char *base = g_dir_make_tmp("vigil-fuzz-XXXXXX", NULL);
	VgMetadata *md = vgt_metadata(NULL);
	GRand *r = g_rand_new_with_seed(2024);
	guint round, errors_seen = 0;

	for (round = 0; round < 60; round++) {
		char *path = g_strdup_printf("%s/t%u", base, round);
		GError *err = NULL;
		VgWriter *w = vg_writer_new(path, &err);
		guint cpu, seq, total = 0, errs = 0, k;
		VgReplay *rp;
		Count c = { .sorted = TRUE };

		g_assert_no_error(err);
		for (cpu = 0; cpu < 3; cpu++)
			for (seq = 0; seq < 4; seq++) {
				VgtPkt b = { 0 };
				VgPacket *p;
				guint i;

				vgt_pkt_begin(&b, cpu, seq, seq);
				for (i = 0; i < 6; i++) {
					guint64 t = seq * 1000 + i * 10 + cpu;

					vgt_statedump(&b, t, 50 + i, 50, 1, "proc", 0, "/usr/bin/thing");
					vgt_sys_enter(&b, t + 1, 50 + i, 257, NULL, 1, "/etc/x");
					total += 2;
				}
				p = vgt_pkt_finish(&b, 1024, 0, 0);
				g_assert_true(vg_writer_add_packet(w, p, &err));
				vg_packet_unref(p);
			}
		g_assert_true(vg_writer_finish(w, md, &err));
		/* damage a few bytes anywhere in the stream files */
		for (k = 0; k < 1 + round % 6; k++) {
			char *sp = g_strdup_printf("%s/stream_%d", path, g_rand_int_range(r, 0, 3));
			FILE *f = fopen(sp, "r+");
			guint8 v = g_rand_int(r);

			g_assert_nonnull(f);
			fseek(f, g_rand_int_range(r, 0, 4 * 1024), SEEK_SET);
			fwrite(&v, 1, 1, f);
			fclose(f);
			g_free(sp);
		}
		rp = vg_replay_open(path, &err);
		if (!rp) {	/* a stream file with no valid packet left */
			g_assert_error(err, VG_ERROR, VG_ERROR_FORMAT);
			g_clear_error(&err);
		} else {
			VgTasks *tasks = vg_tasks_new(vg_replay_metadata(rp), FALSE);

			vg_replay_run(rp, tasks, count_ev, &c, count_err, &errs);
			g_assert_cmpuint(c.n, <=, total);
			errors_seen += errs;
			vg_tasks_free(tasks);
			vg_replay_free(rp);
		}
		rm_tree(path);
		g_free(path);
	}
	/* the damage was noticed and reported */
	g_assert_cmpuint(errors_seen, >, 0);
	g_rand_free(r);
	rm_tree(base);
	g_free(base);
	vg_metadata_free(md);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/writer/written_trace_replays_identically",
			test_written_trace_replays_identically);
	g_test_add_func("/writer/lanes_are_stream_files_and_replay_in_order",
			test_lanes_are_stream_files_and_replay_in_order);
	g_test_add_func("/writer/abort_removes_partial_output", test_abort_removes_partial_output);
	g_test_add_func("/writer/missing_parent_is_an_error_naming_the_path",
			test_missing_parent_is_an_error_naming_the_path);
	g_test_add_func("/writer/full_filesystem_is_reported_and_cleaned_up",
			test_full_filesystem_is_reported_and_cleaned_up);
	g_test_add_func("/writer/unwritable_directory_is_reported",
			test_unwritable_directory_is_reported);
	g_test_add_func("/writer/corrupted_stream_files_replay_without_crashing",
			test_corrupted_stream_files_replay_without_crashing);
	return g_test_run();
}
