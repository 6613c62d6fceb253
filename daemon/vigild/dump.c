/*
 * dump.c - packets to a trace directory.
 */
#define G_LOG_DOMAIN "vigild"

#include "dump.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <glib/gstdio.h>

char *vgd_dump_write(const char *dump_dir, const char *reason,
		     const VgMetadata *md, GPtrArray *packets,
		     GError **error)
{
	char stamp[32];
	char *path = NULL;
	time_t now = time(NULL);
	struct tm tm;
	VgWriter *w;
	guint64 events_bytes = 0;

	if (g_mkdir_with_parents(dump_dir, 0700) < 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump directory %s: %s", dump_dir,
			    g_strerror(errno));
		return NULL;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (guint n = 0; n < 1000; n++) {
		g_free(path);
		path = n ? g_strdup_printf("%s/vigil-%s-%u", dump_dir, stamp, n)
			 : g_strdup_printf("%s/vigil-%s", dump_dir, stamp);
		if (!g_file_test(path, G_FILE_TEST_EXISTS))
			break;
	}
	w = vg_writer_new(path, error);
	if (!w) {
		g_free(path);
		return NULL;
	}
	for (guint i = 0; i < packets->len; i++) {
		VgPacket *p = packets->pdata[i];

		if (!vg_writer_add_packet(w, p, error)) {
			vg_writer_abort(w);
			g_free(path);
			return NULL;
		}
		events_bytes += p->content_size;
	}
	if (!vg_writer_finish(w, md, error)) {
		g_free(path);
		return NULL;
	}
	g_chmod(path, 0700);
	g_message("dump written: %s (%u packets, %" G_GUINT64_FORMAT
		  " bytes of records; reason: %s)", path, packets->len,
		  events_bytes, reason && *reason ? reason : "none given");
	return path;
}
