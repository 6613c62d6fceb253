/*
 * dump.c - write one dump (see dump.h).
 */
#define G_LOG_DOMAIN "vigild"

#include "dump.h"
#include "log.h"
#include "dumpdir.h"
#include "statedump.h"
#include "summary.h"
#include "vg_sym.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gint cmp_packet(gconstpointer a, gconstpointer b)
{
	const VgPacket *x = *(VgPacket *const *)a, *y = *(VgPacket *const *)b;

	if (x->lane != y->lane)
		return x->lane < y->lane ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/*
 * The kernel symbols of the dump's callchains, stored with it
 * (VG_SYM_TABLE_NAME): another machine or boot names its kernel frames
 * from them.  Only when some event class has a callchain.
 */
static gboolean write_symbols(VgdDump *q, const char *staging, GError **error)
{
	GPtrArray *classes = vg_metadata_classes(q->md);
	GArray *ips;
	gboolean any = FALSE, ok = TRUE;
	char *text, *path;

	for (guint i = 0; i < classes->len && !any; i++)
		any = ((const VgEventClass *)classes->pdata[i])->callchain;
	if (!any)
		return TRUE;
	ips = g_array_new(FALSE, FALSE, sizeof(guint64));
	for (guint i = 0; i < q->packets->len; i++) {
		VgRecordIter it;
		VgEvent e;

		vg_record_iter_init(&it, q->md, q->packets->pdata[i]);
		while (vg_record_iter_next(&it, &e, NULL) == 1) {
			const guint8 *p;
			guint n = e.cls->callchain ? vg_event_callchain(&e, &p) : 0;

			for (guint k = 0; k < n; k++) {
				guint64 ip;

				memcpy(&ip, p + (gsize)k * 8, 8);
				if (ip >> 63)
					g_array_append_val(ips, ip);
			}
		}
	}
	text = vg_sym_table_text((const guint64 *)ips->data, ips->len);
	g_array_unref(ips);
	if (*text) {
		path = g_build_filename(staging, VG_SYM_TABLE_NAME, NULL);
		ok = vgd_write_file_synced(path, text, error);
		g_free(path);
	}
	g_free(text);
	return ok;
}

gboolean vgd_dump_write(VgdDump *q, GError **error)
{
	const VgMetadata *md = q->md;
	char *dir = g_path_get_dirname(q->path);
	char *staging = vgd_dumpdir_staging_name(q->path);
	char *sumpath = NULL, *text = NULL;
	VgWriter *w = NULL;
	VgPacket *sd = NULL;
	gboolean ok = FALSE;
	mode_t old_mask = umask(077);
	GError *err = NULL;
	VgdDumpSum s;

	memset(&s, 0, sizeof(s));
	if (!md) {
		g_set_error(&err, VG_ERROR, VG_ERROR_IO, "no trace metadata yet");
		goto out;
	}
	if (q->packets->len == 0) {
		g_set_error(&err, VG_ERROR, VG_ERROR_IO,
			    "no events recorded in the dump's window");
		goto out;
	}
	g_ptr_array_sort(q->packets, cmp_packet);
	vgd_dump_summarize(q, &s);
	if (!vgd_dumpdir_ensure(dir, &err))
		goto out;
	w = vg_writer_new(staging, &err);
	if (!w)
		goto out;
	for (guint i = 0; i < q->packets->len; i++) {
		if (!vg_writer_add_packet(w, q->packets->pdata[i], &err)) {
			vg_writer_abort(w);
			goto out;
		}
	}
	sd = vgd_statedump_packet(md, q->tasks, &s, q->live, q->statedump_mmaps);
	if (sd && !vg_writer_add_packet(w, sd, &err)) {
		vg_writer_abort(w);
		goto out;
	}
	/* finish frees w and, on error, removes its output */
	if (!vg_writer_finish(w, md, &err))
		goto out;
	text = vgd_dump_summary_text(q, &s);
	sumpath = g_build_filename(staging, VGD_DUMP_SUMMARY_NAME, NULL);
	if (!vgd_write_file_synced(sumpath, text, &err) ||
	    !write_symbols(q, staging, &err))
		goto out;
	vgd_fsync_dir(staging);
	if (chmod(staging, 0700) < 0) {
		int e = errno;

		g_set_error(&err, VG_ERROR, VG_ERROR_IO, "%s: chmod: %s",
			    staging, g_strerror(e));
		goto out;
	}
	if (g_file_test(q->path, G_FILE_TEST_EXISTS)) {
		g_set_error(&err, VG_ERROR, VG_ERROR_IO,
			    "already exists (a dump is never overwritten)");
		goto out;
	}
	if (rename(staging, q->path) < 0) {
		int e = errno;

		g_set_error(&err, VG_ERROR, VG_ERROR_IO, "rename %s: %s",
			    staging, g_strerror(e));
		goto out;
	}
	vgd_fsync_dir(dir);
	ok = TRUE;
	{
		/* structured in the journal (log.c) */
		char *m = g_strdup_printf("dump complete: %s (%" G_GUINT64_FORMAT
			" events, %" G_GUINT64_FORMAT " packets, %.3f s before to "
			"%.3f s after the trigger, %" G_GUINT64_FORMAT " discarded "
			"by the kernel; reason: %s)", q->path, s.events, s.packets,
			s.events ? ((double)q->trigger - (double)s.first_ts) / 1e9 : 0.0,
			s.events ? ((double)s.last_ts - (double)q->trigger) / 1e9 : 0.0,
			s.discarded, q->reason);

		vgd_log_dump_complete(q->path, q->reason, s.events, s.packets,
				      s.discarded, m);
		g_free(m);
	}
	if (q->snapshot) {
		for (guint i = 0; i < s.cpus->len; i++) {
			VgdCpuSum *c = &g_array_index(s.cpus, VgdCpuSum, i);

			g_hash_table_insert(q->snap_last_seq,
					    GUINT_TO_POINTER(c->lane),
					    GSIZE_TO_POINTER((gsize)c->last_seq + 2));
		}
	}
out:
	umask(old_mask);
	if (!ok) {
		/* whatever was left: the staging directory, the writer's
		 * temporary name (removed by the writer itself) */
		if (g_file_test(staging, G_FILE_TEST_EXISTS))
			vgd_rm_rf(staging);
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump %s not written (nothing left behind): %s",
			    q->path, err->message);
		g_error_free(err);
	}
	vgd_dump_sum_clear(&s);
	if (sd)
		vg_packet_unref(sd);
	g_free(text);
	g_free(sumpath);
	g_free(staging);
	g_free(dir);
	return ok;
}
