/*
 * vg_pktwrite.c - the packet writer: CTF packets in vigil's layout
 * (docs/design.md "Trace format"), built in memory.
 *
 * The one place in user space that writes the packet header, the packet
 * context and the record header (kmod has its own kernel writer,
 * t/lib/VigilTrace.pm the Perl tests' one).  The daemon uses it for the
 * statedump it adds to a dump and for the compact copies of the flight
 * recorder's history; the C tests, gen-trace and bench-core build their
 * traces with it.  Everything is written little-endian.
 */
#include "vg_internal.h"

#include <string.h>

/* Offset of packet_size in a packet (the ABI's layout). */
#define PACKET_SIZE_OFF	(sizeof(struct vigil_packet_header) + \
			 offsetof(struct vigil_packet_context, packet_size))

void vg_pw_begin(VgPacketWriter *w, const guint8 *uuid, guint32 cpu,
		 guint64 seq, guint64 discarded)
{
	memset(w, 0, sizeof(*w));
	w->buf = g_byte_array_new();
	memcpy(w->uuid, uuid, sizeof(w->uuid));
	w->cpu = cpu;
	w->lane = cpu;
	w->seq = seq;
	w->discarded = discarded;
	/* header and context are filled in by vg_pw_end() */
	g_byte_array_set_size(w->buf, VIGIL_PACKET_HDR_SIZE);
	memset(w->buf->data, 0, VIGIL_PACKET_HDR_SIZE);
}

gsize vg_pw_len(const VgPacketWriter *w)
{
	return w->buf->len;
}

void vg_pw_put(VgPacketWriter *w, const void *data, gsize n)
{
	g_byte_array_append(w->buf, data, (guint)n);
}

void vg_pw_u8(VgPacketWriter *w, guint8 v)
{
	vg_pw_put(w, &v, 1);
}

void vg_pw_u16(VgPacketWriter *w, guint16 v)
{
	v = GUINT16_TO_LE(v);
	vg_pw_put(w, &v, 2);
}

void vg_pw_u32(VgPacketWriter *w, guint32 v)
{
	v = GUINT32_TO_LE(v);
	vg_pw_put(w, &v, 4);
}

void vg_pw_u64(VgPacketWriter *w, guint64 v)
{
	v = GUINT64_TO_LE(v);
	vg_pw_put(w, &v, 8);
}

void vg_pw_uint(VgPacketWriter *w, guint64 v, guint size)
{
	guint8 b[8];

	for (guint i = 0; i < 8; i++)
		b[i] = (guint8)(v >> (8 * i));
	vg_pw_put(w, b, MIN(size, 8u));
}

void vg_pw_string(VgPacketWriter *w, const char *s)
{
	vg_pw_put(w, s, strlen(s) + 1);
}

void vg_pw_chars(VgPacketWriter *w, const char *s, guint n)
{
	gsize len = s ? strnlen(s, n) : 0;
	guint8 zero[16] = { 0 };

	vg_pw_put(w, s, len);
	for (n -= (guint)len; n; n -= MIN(n, 16u))
		vg_pw_put(w, zero, MIN(n, 16u));
}

void vg_pw_record(VgPacketWriter *w, guint16 id, guint64 ts, gint32 tid)
{
	if (!w->any)
		w->ts_first = ts;
	w->any = TRUE;
	if (ts > w->ts_last)
		w->ts_last = ts;
	vg_pw_u16(w, id);
	vg_pw_u64(w, ts);
	vg_pw_u32(w, (guint32)tid);
}

guint8 *vg_pw_end(VgPacketWriter *w, gsize packet_size, guint64 ts_begin,
		  guint64 ts_end, gsize *len)
{
	struct vigil_packet_header h;
	struct vigil_packet_context c;
	gsize content = w->buf->len;
	gsize old = w->buf->len;

	if (!packet_size)
		packet_size = (content + 7) & ~(gsize)7;
	if (packet_size > old) {
		g_byte_array_set_size(w->buf, (guint)packet_size);
		memset(w->buf->data + old, 0, packet_size - old);
	}
	memset(&h, 0, sizeof(h));
	memset(&c, 0, sizeof(c));
	h.magic = GUINT32_TO_LE(VIGIL_CTF_MAGIC);
	memcpy(h.uuid, w->uuid, 16);
	h.stream_id = 0;
	h.stream_instance_id = GUINT64_TO_LE((guint64)w->lane);
	ts_begin = ts_begin ? ts_begin : w->ts_first;
	ts_end = ts_end ? ts_end : w->ts_last;
	if (ts_end < ts_begin)
		ts_end = ts_begin;
	c.timestamp_begin = GUINT64_TO_LE(ts_begin);
	c.timestamp_end = GUINT64_TO_LE(ts_end);
	c.content_size = GUINT64_TO_LE((guint64)content * 8);
	c.packet_size = GUINT64_TO_LE((guint64)packet_size * 8);
	c.packet_seq_num = GUINT64_TO_LE(w->seq);
	c.events_discarded = GUINT64_TO_LE(w->discarded);
	c.cpu_id = GUINT32_TO_LE(w->cpu);
	memcpy(w->buf->data, &h, sizeof(h));
	memcpy(w->buf->data + sizeof(h), &c, sizeof(c));
	*len = w->buf->len;
	return g_byte_array_free(g_steal_pointer(&w->buf), FALSE);
}

VgPacket *vg_pw_finish(VgPacketWriter *w, gsize packet_size,
		       guint64 ts_begin, guint64 ts_end, const char *origin,
		       GError **error)
{
	gsize len;
	guint8 *data = vg_pw_end(w, packet_size, ts_begin, ts_end, &len);
	VgPacket *p = vg_packet_new_borrowed(data, len, NULL, origin, 0,
					     g_free, data, error);

	if (!p)
		g_free(data);
	return p;
}

void vg_pw_abort(VgPacketWriter *w)
{
	if (w->buf)
		g_byte_array_unref(g_steal_pointer(&w->buf));
}

VgPacket *vg_packet_compact(VgPacket *p)
{
	gsize keep = (p->content_size + 7) & ~(gsize)7;
	guint64 bits;
	guint8 *buf;
	VgPacket *n;

	if (keep >= p->packet_size || keep < PACKET_SIZE_OFF + 8)
		return NULL;
	memcpy(&bits, p->data + PACKET_SIZE_OFF, 8);
	if (GUINT64_FROM_LE(bits) != (guint64)p->packet_size * 8)
		return NULL;	/* not the layout we know */
	buf = g_malloc(keep);
	memcpy(buf, p->data, keep);
	bits = GUINT64_TO_LE((guint64)keep * 8);
	memcpy(buf + PACKET_SIZE_OFF, &bits, 8);
	n = vg_packet_new_borrowed(buf, keep, NULL, "compact copy", 0, g_free,
				   buf, NULL);
	if (!n)
		g_free(buf);
	return n;
}
