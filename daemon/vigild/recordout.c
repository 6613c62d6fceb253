/*
 * recordout.c - the --record output (see recordout.h).
 */
#include "recordout.h"

struct VgdRecordOut {
	char *dir;
	VgWriter *w;		/* NULL once a write failed */
	GError *error;		/* why it failed */
};

VgdRecordOut *vgd_record_out_new(const char *dir, GError **error)
{
	VgWriter *w = vg_writer_new(dir, error);
	VgdRecordOut *r;

	if (!w)
		return NULL;
	r = g_new0(VgdRecordOut, 1);
	r->dir = g_strdup(dir);
	r->w = w;
	return r;
}

void vgd_record_out_add(VgdRecordOut *r, const VgPacket *p)
{
	if (!r->w)
		return;
	if (vg_writer_add_packet(r->w, p, &r->error))
		return;
	/* a full disk must not stop the tracing, only the recording */
	g_critical("--record: %s; recording stopped (tracing goes on)",
		   r->error->message);
	vg_writer_abort(r->w);
	r->w = NULL;
}

static void record_out_free(VgdRecordOut *r)
{
	if (r->w)
		vg_writer_abort(r->w);
	g_clear_error(&r->error);
	g_free(r->dir);
	g_free(r);
}

gboolean vgd_record_out_finish(VgdRecordOut *r, const VgMetadata *md)
{
	gboolean ok = FALSE;

	if (r->error) {
		g_critical("--record %s was not written: %s", r->dir,
			   r->error->message);
	} else if (!vg_writer_finish(r->w, md, &r->error)) {
		/* vg_writer_finish frees the writer either way */
		g_critical("--record: %s", r->error->message);
	} else {
		g_message("trace recorded in %s", r->dir);
		ok = TRUE;
	}
	r->w = NULL;
	record_out_free(r);
	return ok;
}

const char *vgd_record_out_work_dir(const VgdRecordOut *r)
{
	return r->w ? vg_writer_work_dir(r->w) : NULL;
}

void vgd_record_out_abort(VgdRecordOut *r)
{
	if (r)
		record_out_free(r);
}
