/*
 * packet.c - unit tests: packet validation (every kind of corruption is
 * an error naming origin and offset, never a crash), ownership, and the
 * record iterator on corrupt records.
 */
#include "vg_testlib.h"

#include <string.h>

static guint8 *one_packet(gsize *len, gsize pad)
{
	VgtPkt p = { 0 };

	vgt_pkt_begin(&p, 3, 7, 11);
	vgt_sys_exit(&p, 1000, 42, 0, 5);
	vgt_sys_exit(&p, 2000, 42, 1, -2);
	return vgt_pkt_end(&p, pad, 0, 2500, len);
}

static void test_valid_packet_fields(void)
{
	gsize len;
	guint8 *d = one_packet(&len, 256);
	VgPacket hdr;
	GError *err = NULL;

	g_assert_true(vg_packet_check(d, len, vgt_uuid, "cpu3", 0, &hdr, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(hdr.cpu, ==, 3);
	g_assert_cmpuint(hdr.lane, ==, 3);	/* one source: lane = cpu */
	g_assert_cmpuint(hdr.seq, ==, 7);
	g_assert_cmpuint(hdr.events_discarded, ==, 11);
	g_assert_cmpuint(hdr.ts_begin, ==, 1000);
	g_assert_cmpuint(hdr.ts_end, ==, 2500);
	g_assert_cmpuint(hdr.packet_size, ==, 256);
	g_assert_cmpuint(hdr.content_size, ==, VIGIL_PACKET_HDR_SIZE + 2 * (14 + 16));
	g_free(d);
}

/* stream_instance_id is the packet's lane, cpu_id the CPU of its
 * events: they differ when a session has several sources. */
static void test_lane_and_cpu_are_separate(void)
{
	VgPacketWriter w = { 0 };
	VgRecordIter it;
	VgEvent e;
	GError *err = NULL;
	VgPacket *p;
	gsize len;
	guint8 *d;

	vg_pw_begin(&w, vgt_uuid, 3, 0, 0);
	w.lane = 7;
	vgt_sys_exit(&w, 1000, 42, 0, 5);
	d = vg_pw_end(&w, 0, 0, 0, &len);
	g_assert_cmpuint(GUINT64_FROM_LE(*(guint64 *)(d + 24)), ==, 7);
	p = vg_packet_new_copy(d, len, vgt_uuid, "x", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(p->lane, ==, 7);
	g_assert_cmpuint(p->cpu, ==, 3);
	{
		VgMetadata *md = vgt_metadata(NULL);

		vg_record_iter_init(&it, md, p);
		g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
		g_assert_cmpuint(e.cpu, ==, 3);
		vg_metadata_free(md);
	}
	vg_packet_unref(p);
	g_free(d);
}

typedef void (*Corrupt)(guint8 *d, gsize *len);

static void c_magic(guint8 *d, gsize *len) { (void)len; d[0] ^= 0xff; }
static void c_uuid(guint8 *d, gsize *len) { (void)len; d[4 + 15] ^= 1; }
static void c_stream(guint8 *d, gsize *len) { guint32 v = 2; (void)len; memcpy(d + 20, &v, 4); }
static void c_content_big(guint8 *d, gsize *len)
{
	guint64 v = 257 * 8;

	(void)len;
	memcpy(d + 32 + 16, &v, 8);
}
static void c_content_bits(guint8 *d, gsize *len)
{
	guint64 v;

	(void)len;
	memcpy(&v, d + 32 + 16, 8);
	v += 3;
	memcpy(d + 32 + 16, &v, 8);
}
static void c_packet_past_end(guint8 *d, gsize *len) { (void)d; *len = 200; }
static void c_truncated(guint8 *d, gsize *len) { (void)d; *len = 40; }
static void c_ts(guint8 *d, gsize *len)
{
	guint64 v = 5000;

	(void)len;
	memcpy(d + 32, &v, 8);
}
static void c_cpu(guint8 *d, gsize *len)
{
	guint32 v = 65536;

	(void)len;
	memcpy(d + 32 + 48, &v, 4);
}
static void c_lane(guint8 *d, gsize *len)
{
	guint64 v = 1ull << 40;

	(void)len;
	memcpy(d + 24, &v, 8);
}
static void c_content_small(guint8 *d, gsize *len)
{
	guint64 v = 8 * 8;

	(void)len;
	memcpy(d + 32 + 16, &v, 8);
}

static const struct {
	Corrupt fn;
	const char *msg;
} corruptions[] = {
	{ c_magic, "cpu3.stream offset 4096: bad magic 0xc1fc1f3e (want 0xc1fc1fc1)" },
	{ c_uuid, "cpu3.stream offset 4096: uuid differs from the metadata's" },
	{ c_stream, "cpu3.stream offset 4096: stream_id 2 (want 0)" },
	{ c_content_big, "cpu3.stream offset 4096: bad sizes: content_size 2056 bits, packet_size 2048 bits, 256 bytes available" },
	{ c_content_bits, "cpu3.stream offset 4096: bad sizes: content_size 1155 bits, packet_size 2048 bits, 256 bytes available" },
	{ c_packet_past_end, "cpu3.stream offset 4096: bad sizes: content_size 1152 bits, packet_size 2048 bits, 200 bytes available" },
	{ c_truncated, "cpu3.stream offset 4096: truncated packet header (40 bytes, need 84)" },
	{ c_ts, "cpu3.stream offset 4096: timestamp_begin 5000 after timestamp_end 2500" },
	{ c_cpu, "cpu3.stream offset 4096: cpu_id 65536 out of range" },
	{ c_lane, "cpu3.stream offset 4096: stream_instance_id 1099511627776 out of range" },
	{ c_content_small, "cpu3.stream offset 4096: bad sizes: content_size 64 bits, packet_size 2048 bits, 256 bytes available" },
};

static void test_corrupt_packets_are_errors_naming_stream_and_offset(void)
{
	guint i;

	for (i = 0; i < G_N_ELEMENTS(corruptions); i++) {
		gsize len;
		guint8 *d = one_packet(&len, 256);
		GError *err = NULL;
		VgPacket *p;

		corruptions[i].fn(d, &len);
		p = vg_packet_new_copy(d, len, vgt_uuid, "cpu3.stream", 4096, &err);
		g_assert_null(p);
		g_assert_error(err, VG_ERROR, VG_ERROR_FORMAT);
		if (strcmp(err->message, corruptions[i].msg) != 0)
			g_error("case %u: got \"%s\" want \"%s\"", i, err->message,
				corruptions[i].msg);
		g_error_free(err);
		g_free(d);
	}
}

static int released;
static void count_release(gpointer d)
{
	released++;
	g_free(d);
}

static void test_packet_ownership(void)
{
	gsize len;
	guint8 *d = one_packet(&len, 0);
	VgPacket *p, *c;
	GError *err = NULL;

	released = 0;
	p = vg_packet_new_borrowed(d, len, NULL, "x", 0, count_release, d, &err);
	g_assert_no_error(err);
	c = vg_packet_new_copy(d, len, NULL, "x", 0, &err);
	g_assert_no_error(err);
	g_assert_true(c->data != d);
	vg_packet_ref(p);
	vg_packet_unref(p);
	g_assert_cmpint(released, ==, 0);
	vg_packet_unref(p);
	g_assert_cmpint(released, ==, 1);
	/* the copy outlives the original bytes */
	g_assert_cmpuint(c->ts_begin, ==, 1000);
	g_assert_cmpuint(*(guint32 *)c->data, ==, VIGIL_CTF_MAGIC);
	vg_packet_unref(c);
}

/* The packet writer writes the layout vigil.ko writes: little-endian
 * header, context and records; its chars fields are NUL-padded. */
static void test_writer_layout(void)
{
	VgtPkt b = { 0 };
	gsize len;
	guint8 *d;
	guint64 v64;
	guint32 v32;

	vgt_pkt_begin(&b, 3, 7, 11);
	vg_pw_record(&b, 0x0102, 0x1122334455667788ull, -2);
	vg_pw_chars(&b, "abc", 5);
	vg_pw_string(&b, "xy");
	g_assert_cmpuint(vg_pw_len(&b), ==, VIGIL_PACKET_HDR_SIZE + 14 + 5 + 3);
	d = vgt_pkt_end(&b, 0, 0, 0, &len);
	g_assert_cmpuint(len, ==, (VIGIL_PACKET_HDR_SIZE + 22 + 7) & ~7u);
	memcpy(&v32, d, 4);
	g_assert_cmphex(GUINT32_FROM_LE(v32), ==, VIGIL_CTF_MAGIC);
	g_assert_cmpmem(d + 4, 16, vgt_uuid, 16);
	/* record header: id, timestamp, tid, as bytes */
	g_assert_cmpuint(d[VIGIL_PACKET_HDR_SIZE], ==, 0x02);
	g_assert_cmpuint(d[VIGIL_PACKET_HDR_SIZE + 1], ==, 0x01);
	memcpy(&v64, d + VIGIL_PACKET_HDR_SIZE + 2, 8);
	g_assert_cmphex(GUINT64_FROM_LE(v64), ==, 0x1122334455667788ull);
	memcpy(&v32, d + VIGIL_PACKET_HDR_SIZE + 10, 4);
	g_assert_cmpint((gint32)GUINT32_FROM_LE(v32), ==, -2);
	g_assert_cmpmem(d + VIGIL_PACKET_HDR_SIZE + 14, 8, "abc\0\0xy", 8);
	g_free(d);
}

/* vg_packet_compact: the records stay, the padding goes, packet_size
 * says so; nothing to drop gives NULL. */
static void test_compact_drops_padding(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgtPkt b = { 0 };
	VgPacket *p, *c;
	VgRecordIter it;
	VgEvent e;
	GError *err = NULL;
	guint8 *d;
	gsize len;

	vgt_pkt_begin(&b, 1, 5, 2);
	vgt_sys_exit(&b, 10, 5, 257, 3);
	vgt_sys_exit(&b, 20, 5, 257, -2);
	p = vgt_pkt_finish(&b, 8192, 0, 0);
	c = vg_packet_compact(p);
	g_assert_nonnull(c);
	g_assert_cmpuint(c->packet_size, ==, (p->content_size + 7) & ~(gsize)7);
	g_assert_cmpuint(c->content_size, ==, p->content_size);
	g_assert_cmpuint(c->seq, ==, 5);
	g_assert_cmpuint(c->events_discarded, ==, 2);
	g_assert_cmpuint(c->ts_begin, ==, p->ts_begin);
	g_assert_cmpuint(c->ts_end, ==, p->ts_end);
	vg_record_iter_init(&it, md, c);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpint(vg_event_int(&e, 1), ==, -2);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 0);
	g_assert_no_error(err);
	/* already compact: nothing to do */
	g_assert_null(vg_packet_compact(c));
	vg_packet_unref(c);
	vg_packet_unref(p);

	vgt_pkt_begin(&b, 1, 6, 0);
	vgt_sys_exit(&b, 30, 5, 0, 0);
	d = vgt_pkt_end(&b, 0, 0, 0, &len);
	p = vg_packet_new_borrowed(d, len, NULL, "test", 0, g_free, d, &err);
	g_assert_no_error(err);
	g_assert_null(vg_packet_compact(p));
	vg_packet_unref(p);
	vg_metadata_free(md);
}

static void test_record_iterator_walks_records(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgtPkt b = { 0 };
	VgPacket *p;
	VgRecordIter it;
	VgEvent e;
	GError *err = NULL;

	vgt_pkt_begin(&b, 1, 0, 0);
	vgt_sys_enter(&b, 10, 5, 257, NULL, 1, "/etc/passwd");
	vgt_sys_exit(&b, 20, 5, 257, 3);
	vgt_statedump(&b, 30, 9, 9, 1, "bash", 0, "/bin/bash");
	p = vgt_pkt_finish(&b, 4096, 0, 0);
	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpstr(e.cls->name, ==, "raw_syscalls:sys_enter");
	g_assert_cmpuint(e.ts, ==, 10);
	g_assert_cmpint(e.tid, ==, 5);
	g_assert_cmpuint(e.cpu, ==, 1);
	g_assert_cmpuint(vg_event_payload_size(&e), ==, 8 + 48 + 2 + 12);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpstr(e.cls->name, ==, "raw_syscalls:sys_exit");
	g_assert_cmpint(vg_event_int(&e, 1), ==, 3);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpstr(e.cls->name, ==, "vigil:statedump_process");
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 0);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 0);
	g_assert_no_error(err);
	vg_packet_unref(p);
	vg_metadata_free(md);
}

static void test_corrupt_records_skip_the_rest_of_the_packet(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgRecordIter it;
	VgEvent e;
	GError *err = NULL;
	VgPacket *p;
	VgtPkt b = { 0 };
	gsize len;
	guint8 *d;

	/* unknown event id */
	vgt_pkt_begin(&b, 2, 4, 0);
	vgt_sys_exit(&b, 10, 5, 0, 0);
	vg_pw_record(&b, 999, 20, 5);
	vgt_sys_exit(&b, 30, 5, 0, 0);
	p = vgt_pkt_finish(&b, 0, 0, 0);
	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, -1);
	g_assert_error(err, VG_ERROR, VG_ERROR_FORMAT);
	g_assert_cmpstr(err->message, ==, "cpu 2 packet 4 offset 114: unknown event id 999");
	g_clear_error(&err);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 0);
	vg_packet_unref(p);

	/* a string running past the content end */
	vgt_pkt_begin(&b, 0, 1, 0);
	vgt_sys_exit(&b, 10, 5, 0, 0);
	vgt_statedump(&b, 30, 9, 9, 1, "bash", 0, "/bin/bash");
	{
		/* overwrite the NUL of exe, the last content byte (zero
		 * padding follows, outside the content) */
		gsize content = vg_pw_len(&b);

		d = vgt_pkt_end(&b, content + 16, 0, 0, &len);
		d[content - 1] = 'X';
	}
	p = vg_packet_new_borrowed(d, len, NULL, "t", 0, g_free, d, &err);
	g_assert_no_error(err);
	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	/* reading the unterminated string gives nothing, never a crash */
	g_assert_null(vg_event_str(&e, 5, NULL));
	g_assert_cmpuint(vg_event_payload_size(&e), ==, 0);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "record of vigil:statedump_process runs past the content end"));
	g_clear_error(&err);
	vg_packet_unref(p);

	/* a truncated record header, and a fixed part past the end */
	vgt_pkt_begin(&b, 0, 1, 0);
	vgt_sys_exit(&b, 10, 5, 0, 0);
	vg_pw_u32(&b, 7);
	p = vgt_pkt_finish(&b, 0, 0, 0);
	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, 1);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "truncated event header (4 bytes)"));
	g_clear_error(&err);
	vg_packet_unref(p);

	vgt_pkt_begin(&b, 0, 1, 0);
	vg_pw_record(&b, VGT_SYS_EXIT, 10, 5);
	vg_pw_u64(&b, 1);
	p = vgt_pkt_finish(&b, 0, 0, 0);
	vg_record_iter_init(&it, md, p);
	g_assert_cmpint(vg_record_iter_next(&it, &e, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "record of raw_syscalls:sys_exit runs past the content end"));
	g_clear_error(&err);
	vg_packet_unref(p);
	vg_metadata_free(md);
}

static void test_garbage_never_crashes(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	GRand *r = g_rand_new_with_seed(1234);
	guint round;
	gsize len;
	guint8 *orig;
	VgtPkt b = { 0 };
	guint i;

	vgt_pkt_begin(&b, 0, 1, 0);
	for (i = 0; i < 20; i++) {
		vgt_sys_enter(&b, 10 + i, 5, 257, NULL, 1, "/some/path");
		vgt_statedump(&b, 30 + i, 9, 9, 1, "bash", 0, "/bin/bash");
	}
	orig = vgt_pkt_end(&b, 0, 0, 0, &len);
	for (round = 0; round < 2000; round++) {
		guint8 *d = g_memdup2(orig, len);
		guint flips = g_rand_int_range(r, 1, 8), k;
		VgPacket *p;
		GError *err = NULL;

		for (k = 0; k < flips; k++) {
			/* leave the header mostly intact so records get read */
			gsize at = g_rand_int_range(r, round % 4 ? VIGIL_PACKET_HDR_SIZE : 0, len);

			d[at] = g_rand_int(r);
		}
		p = vg_packet_new_borrowed(d, len, NULL, "fuzz", 0, g_free, d, &err);
		if (!p) {
			g_assert_nonnull(err);
			g_error_free(err);
			g_free(d);
			continue;
		}
		{
			VgRecordIter it;
			VgEvent e;
			int rc;

			vg_record_iter_init(&it, md, p);
			while ((rc = vg_record_iter_next(&it, &e, &err)) == 1) {
				guint f;

				for (f = 0; f < e.cls->n_fields; f++) {
					gsize sl;

					vg_event_int(&e, f);
					vg_event_str(&e, f, &sl);
					vg_event_array_int(&e, f, 5);
				}
			}
			if (rc < 0)
				g_clear_error(&err);
		}
		vg_packet_unref(p);
	}
	g_free(orig);
	g_rand_free(r);
	vg_metadata_free(md);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/packet/valid_packet_fields", test_valid_packet_fields);
	g_test_add_func("/packet/lane_and_cpu_are_separate", test_lane_and_cpu_are_separate);
	g_test_add_func("/packet/corrupt_packets_are_errors_naming_stream_and_offset",
			test_corrupt_packets_are_errors_naming_stream_and_offset);
	g_test_add_func("/packet/ownership_release_and_copy", test_packet_ownership);
	g_test_add_func("/packet/record_iterator_walks_records", test_record_iterator_walks_records);
	g_test_add_func("/packet/corrupt_records_skip_the_rest_of_the_packet",
			test_corrupt_records_skip_the_rest_of_the_packet);
	g_test_add_func("/packet/random_garbage_never_crashes", test_garbage_never_crashes);
	g_test_add_func("/packet/writer_layout", test_writer_layout);
	g_test_add_func("/packet/compact_drops_padding", test_compact_drops_padding);
	return g_test_run();
}
