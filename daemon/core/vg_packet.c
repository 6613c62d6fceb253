/*
 * vg_packet.c - CTF packets: validation, ownership, record iteration.
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <stddef.h>
#include <string.h>

#define HDR_SIZE VIGIL_PACKET_HDR_SIZE

gboolean vg_packet_check(const guint8 *data, gsize avail, const guint8 *uuid,
			 const char *origin, guint64 offset, VgPacket *out,
			 GError **error)
{
	struct vigil_packet_header h;
	struct vigil_packet_context c;

	if (!origin)
		origin = "packet";
	if (avail < HDR_SIZE) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": truncated packet header (%zu bytes, need %zu)",
			    origin, offset, avail, (gsize)HDR_SIZE);
		return FALSE;
	}
	memcpy(&h, data, sizeof(h));
	memcpy(&c, data + sizeof(h), sizeof(c));
	if (h.magic != VIGIL_CTF_MAGIC) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": bad magic 0x%08x (want 0x%08x)",
			    origin, offset, h.magic, VIGIL_CTF_MAGIC);
		return FALSE;
	}
	if (uuid && memcmp(h.uuid, uuid, 16) != 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": uuid differs from the metadata's",
			    origin, offset);
		return FALSE;
	}
	if (h.stream_id != 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": stream_id %u (want 0)",
			    origin, offset, h.stream_id);
		return FALSE;
	}
	if (c.content_size % 8 || c.packet_size % 8 ||
	    c.content_size < HDR_SIZE * 8 || c.content_size > c.packet_size ||
	    c.packet_size / 8 > avail) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": bad sizes: content_size %"
			    G_GUINT64_FORMAT " bits, packet_size %" G_GUINT64_FORMAT
			    " bits, %zu bytes available",
			    origin, offset, (guint64)c.content_size,
			    (guint64)c.packet_size, avail);
		return FALSE;
	}
	if (c.timestamp_begin > c.timestamp_end) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": timestamp_begin %" G_GUINT64_FORMAT
			    " after timestamp_end %" G_GUINT64_FORMAT,
			    origin, offset, (guint64)c.timestamp_begin,
			    (guint64)c.timestamp_end);
		return FALSE;
	}
	/* lanes and CPUs index arrays: bounded */
	if (h.stream_instance_id >= VG_MAX_LANES) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": stream_instance_id %" G_GUINT64_FORMAT
			    " out of range",
			    origin, offset, (guint64)h.stream_instance_id);
		return FALSE;
	}
	if (c.cpu_id >= VG_MAX_LANES) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT ": cpu_id %u out of range",
			    origin, offset, c.cpu_id);
		return FALSE;
	}
	if (out) {
		out->cpu = c.cpu_id;
		out->lane = (guint32)h.stream_instance_id;
		out->seq = c.packet_seq_num;
		out->ts_begin = c.timestamp_begin;
		out->ts_end = c.timestamp_end;
		out->events_discarded = c.events_discarded;
		out->data = data;
		out->content_size = c.content_size / 8;
		out->packet_size = c.packet_size / 8;
		out->origin = NULL;
		out->offset = offset;
	}
	return TRUE;
}

VgPacket *vg_packet_new_borrowed(const guint8 *data, gsize avail,
				 const guint8 *uuid, const char *origin,
				 guint64 offset, GDestroyNotify release,
				 gpointer release_data, GError **error)
{
	VgPacket tmp, *p;

	if (!vg_packet_check(data, avail, uuid, origin, offset, &tmp, error))
		return NULL;
	p = g_slice_new0(VgPacket);
	*p = tmp;
	p->refcount = 1;
	p->release = release;
	p->release_data = release_data;
	p->next = NULL;
	return p;
}

VgPacket *vg_packet_new_copy(const guint8 *data, gsize avail,
			     const guint8 *uuid, const char *origin,
			     guint64 offset, GError **error)
{
	VgPacket tmp, *p;
	guint8 *copy;

	if (!vg_packet_check(data, avail, uuid, origin, offset, &tmp, error))
		return NULL;
	copy = g_malloc(tmp.packet_size);
	memcpy(copy, data, tmp.packet_size);
	p = g_slice_new0(VgPacket);
	*p = tmp;
	p->data = copy;
	p->refcount = 1;
	p->release = g_free;
	p->release_data = copy;
	p->next = NULL;
	return p;
}

VgPacket *vg_packet_ref(VgPacket *p)
{
	p->refcount++;
	return p;
}

void vg_packet_unref(VgPacket *p)
{
	if (!p || --p->refcount > 0)
		return;
	if (p->release)
		p->release(p->release_data);
	g_slice_free(VgPacket, p);
}

/* ---- records ------------------------------------------------------------ */

void vg_record_iter_init(VgRecordIter *it, const VgMetadata *md,
			 const VgPacket *pkt)
{
	it->md = md;
	it->pkt = pkt;
	it->pos = HDR_SIZE;
	it->end = pkt->content_size;
	it->cur = NULL;
	it->last_ts = 0;
	it->tail_checked = FALSE;
	it->data = pkt->data;
	it->cpu = pkt->cpu;
	it->next = VG_ITER_FAR;
}

G_GNUC_PRINTF(4, 5)
static int iter_fail(VgRecordIter *it, gsize at, GError **error,
		     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (it->pkt->origin)
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s offset %" G_GUINT64_FORMAT " (cpu %u packet %"
			    G_GUINT64_FORMAT ", packet offset %zu): %s",
			    it->pkt->origin, it->pkt->offset + at, it->pkt->cpu,
			    it->pkt->seq, at, msg);
	else
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "cpu %u packet %" G_GUINT64_FORMAT " offset %zu: %s",
			    it->pkt->cpu, it->pkt->seq, at, msg);
	g_free(msg);
	it->pos = it->end;
	it->cur = NULL;
	it->next = VG_ITER_FAR;
	return -1;
}

/* At the end of the content: a plausible record right after content_size
 * (in the padding) means content_size was cut and records are lost.
 * Padding is zeros (writers) or stale data of an earlier lap of the
 * ring (whose timestamps are before this packet's). */
static int check_tail(VgRecordIter *it, GError **error)
{
	const VgPacket *p = it->pkt;
	const guint8 *h = p->data + p->content_size;
	const VgEventClass *cls;
	static const guint8 zero[VG_EVENT_HDR_SIZE];
	guint16 id;
	guint64 ts;

	if (p->packet_size - p->content_size < VG_EVENT_HDR_SIZE ||
	    memcmp(h, zero, VG_EVENT_HDR_SIZE) == 0)
		return 0;
	memcpy(&id, h, 2);
	ts = vg_rd_u64(h + 2);
	cls = vg_md_class_fast(it->md, id);
	if (!cls || ts < p->ts_begin || ts > p->ts_end || ts < it->last_ts)
		return 0;
	return iter_fail(it, p->content_size, error,
			 "content_size ends here but a record of %s (ts %"
			 G_GUINT64_FORMAT ") follows in the padding: records "
			 "after content_size lost", cls->name, ts);
}

int vg_record_iter_next(VgRecordIter *it, VgEvent *e, GError **error)
{
	const guint8 *data = it->pkt->data;
	const VgEventClass *cls;
	const VgClassLayout *L;
	guint16 id;
	gsize pos, avail;

	if (it->cur) {
		VgEvent *c = it->cur;
		const VgClassLayout *CL = c->cls->priv;
		gsize end = G_LIKELY(!CL->has_var) ? CL->fixed_size :
			vg_event_payload_end(c);
		gsize at = c->payload - data;

		it->cur = NULL;
		it->next = VG_ITER_FAR;
		if (end == G_MAXSIZE)
			return iter_fail(it, at - VG_EVENT_HDR_SIZE, error,
					 "record of %s runs past the content end",
					 c->cls->name);
		it->pos = at + end;
	}
	pos = it->pos;
	if (pos >= it->end) {
		if (!it->tail_checked && it->end == it->pkt->content_size) {
			it->tail_checked = TRUE;
			return check_tail(it, error);
		}
		return 0;
	}
	if (it->end - pos < VG_EVENT_HDR_SIZE)
		return iter_fail(it, pos, error, "truncated event header (%zu bytes)",
				 it->end - pos);
	memcpy(&id, data + pos, 2);
	cls = vg_md_class_fast(it->md, id);
	if (G_UNLIKELY(!cls))
		return iter_fail(it, pos, error, "unknown event id %u", id);
	L = cls->priv;
	avail = it->end - pos - VG_EVENT_HDR_SIZE;
	if (G_UNLIKELY(L->prefix_size > avail))
		return iter_fail(it, pos, error, "record of %s runs past the content end",
				 cls->name);
	vg_record_iter_take(it, e, cls, pos, avail);
	return 1;
}
