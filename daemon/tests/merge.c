/*
 * merge.c - unit tests: k-way merge by timestamp, watermarks, drain,
 * ties, out-of-order records, packet release, statistics.
 */
#include "vg_testlib.h"

#include <string.h>

typedef struct {
	GArray *ts;		/* guint64 */
	GArray *cpu;		/* guint */
	GArray *val;		/* gint64: sys_exit ret */
	GPtrArray *released;	/* packets handed back */
	guint released_at_delivery;
	VgMerge *m;
	guint64 stop_after;
	GPtrArray *errors;
} Rec;

static void rec_init(Rec *r)
{
	memset(r, 0, sizeof(*r));
	r->ts = g_array_new(FALSE, FALSE, sizeof(guint64));
	r->cpu = g_array_new(FALSE, FALSE, sizeof(guint));
	r->val = g_array_new(FALSE, FALSE, sizeof(gint64));
	r->released = g_ptr_array_new_with_free_func((GDestroyNotify)vg_packet_unref);
	r->errors = g_ptr_array_new_with_free_func(g_free);
}

static void rec_clear(Rec *r)
{
	g_array_free(r->ts, TRUE);
	g_array_free(r->cpu, TRUE);
	g_array_free(r->val, TRUE);
	g_ptr_array_free(r->released, TRUE);
	g_ptr_array_free(r->errors, TRUE);
}

static void on_event(VgEvent *e, gpointer data)
{
	Rec *r = data;
	gint64 v = vg_event_int(e, 1);

	g_assert_nonnull(e->task);
	g_array_append_val(r->ts, e->ts);
	g_array_append_val(r->cpu, e->cpu);
	g_array_append_val(r->val, v);
	if (r->stop_after && r->ts->len == r->stop_after)
		vg_merge_interrupt(r->m);
}

static VgPacket *push_in_callback;

static void on_event_pushing(VgEvent *e, gpointer data)
{
	Rec *r = data;

	on_event(e, data);
	if (push_in_callback) {
		VgPacket *p = push_in_callback;

		push_in_callback = NULL;
		vg_merge_push(r->m, p);
	}
}

static void on_done(VgPacket *p, gpointer data)
{
	Rec *r = data;

	g_ptr_array_add(r->released, p);
}

static void on_error(const GError *err, gpointer data)
{
	Rec *r = data;

	g_ptr_array_add(r->errors, g_strdup(err->message));
}

/* A packet of sys_exit events at the given timestamps (0-terminated);
 * ret = ts so order can be checked. */
static VgPacket *pkt(guint cpu, guint64 seq, guint64 discarded, guint64 ts_end,
		     const guint64 *ts)
{
	VgtPkt b = { 0 };

	vgt_pkt_begin(&b, cpu, seq, discarded);
	for (; *ts; ts++)
		vgt_sys_exit(&b, *ts, 100 + cpu, 0, *ts);
	return vgt_pkt_finish(&b, 0, 0, ts_end);
}

static VgMerge *new_merge(VgMetadata *md, guint ncpu, Rec *r)
{
	VgMerge *m = vg_merge_new(md, ncpu, NULL, on_event, r);

	vg_merge_set_packet_done(m, on_done, r);
	vg_merge_set_error_func(m, on_error, r);
	r->m = m;
	return m;
}

#define TS(...) ((const guint64[]){ __VA_ARGS__, 0 })

static void test_orders_events_across_cpus(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;
	guint i;

	rec_init(&r);
	m = new_merge(md, 3, &r);
	/* packets arrive in an order unrelated to time */
	vg_merge_push(m, pkt(2, 0, 0, 0, TS(3, 9, 15)));
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(1, 4, 7)));
	vg_merge_push(m, pkt(1, 0, 0, 0, TS(2, 5, 8)));
	vg_merge_push(m, pkt(0, 1, 0, 0, TS(10, 13)));
	vg_merge_push(m, pkt(1, 1, 0, 0, TS(11, 12, 14)));
	g_assert_cmpuint(vg_merge_drain(m), ==, 14);
	g_assert_cmpuint(r.ts->len, ==, 14);
	for (i = 0; i < r.ts->len; i++) {
		static const guint64 want[] = { 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

		g_assert_cmpuint(g_array_index(r.ts, guint64, i), ==, want[i]);
		g_assert_cmpint(g_array_index(r.val, gint64, i), ==,
				g_array_index(r.ts, guint64, i));
	}
	g_assert_cmpuint(r.released->len, ==, 5);
	g_assert_cmpuint(vg_merge_stats(m)->events, ==, 14);
	g_assert_cmpuint(vg_merge_stats(m)->late, ==, 0);
	g_assert_cmpuint(vg_merge_lane_stats(m, 1)->events, ==, 6);
	g_assert_cmpuint(vg_merge_lane_stats(m, 1)->packets, ==, 2);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

/* A packet of lane `lane` with events of CPU `cpu`. */
static VgPacket *lane_pkt(guint lane, guint cpu, guint64 seq, const guint64 *ts)
{
	VgtPkt b = { 0 };

	vgt_pkt_begin(&b, cpu, seq, 0);
	b.lane = lane;
	for (; *ts; ts++)
		vgt_sys_exit(&b, *ts, 100 + lane, 0, *ts);
	return vgt_pkt_finish(&b, 0, 0, 0);
}

/* Two sources on one CPU (vigil.ko and the kernel's tracepoints) each
 * write the CPU's events in time order, but not in one order together:
 * each has its own lane, and the events keep their CPU. */
static void test_two_lanes_of_one_cpu_merge_in_time_order(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;

	rec_init(&r);
	m = new_merge(md, 4, &r);
	/* lanes 0, 1: sources A and B on CPU 0; lanes 2, 3: on CPU 1 */
	vg_merge_push(m, lane_pkt(1, 0, 0, TS(2, 6, 9)));
	vg_merge_push(m, lane_pkt(0, 0, 0, TS(1, 5, 10)));
	vg_merge_push(m, lane_pkt(3, 1, 0, TS(3, 8)));
	/* lane 2 is quiet up to 7 */
	vg_merge_set_watermark(m, 2, 7);
	g_assert_cmpuint(vg_merge_run(m), ==, 5);	/* 1, 2, 3, 5, 6 */
	vg_merge_push(m, lane_pkt(2, 1, 0, TS(7, 11)));
	g_assert_cmpuint(vg_merge_drain(m), ==, 5);
	for (guint i = 0; i < r.ts->len; i++) {
		static const guint64 want_ts[] = { 1, 2, 3, 5, 6, 7, 8, 9, 10, 11 };
		static const guint want_cpu[] = { 0, 0, 1, 0, 0, 1, 1, 0, 0, 1 };

		g_assert_cmpuint(g_array_index(r.ts, guint64, i), ==, want_ts[i]);
		g_assert_cmpuint(g_array_index(r.cpu, guint, i), ==, want_cpu[i]);
	}
	g_assert_cmpuint(r.ts->len, ==, 10);
	g_assert_cmpuint(vg_merge_stats(m)->late, ==, 0);
	g_assert_cmpuint(vg_merge_n_lanes(m), ==, 4);
	g_assert_cmpuint(vg_merge_lane_stats(m, 0)->events, ==, 3);
	g_assert_cmpuint(vg_merge_lane_stats(m, 1)->events, ==, 3);
	g_assert_cmpuint(vg_merge_lane_stats(m, 2)->events, ==, 2);
	/* each lane's sequence numbers are its own: no packet counted lost */
	for (guint i = 0; i < 4; i++)
		g_assert_cmpuint(vg_merge_lane_stats(m, i)->lost_packets, ==, 0);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_quiet_cpu_holds_back_events_until_its_watermark(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;

	rec_init(&r);
	m = new_merge(md, 2, &r);
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(10, 20)));
	/* cpu 1 has said nothing: it could still produce earlier events */
	g_assert_cmpuint(vg_merge_run(m), ==, 0);
	/* cpu 1 switched at 15 with nothing to say */
	vg_merge_set_watermark(m, 1, 15);
	g_assert_cmpuint(vg_merge_run(m), ==, 1);
	g_assert_cmpuint(g_array_index(r.ts, guint64, 0), ==, 10);
	/* cpu 1's next packet: its event at 25 lets 20 go; then cpu 0
	 * (watermark 20) holds 25 back */
	vg_merge_push(m, pkt(1, 0, 0, 0, TS(25)));
	g_assert_cmpuint(vg_merge_run(m), ==, 1);
	g_assert_cmpuint(g_array_index(r.ts, guint64, 1), ==, 20);
	g_assert_cmpuint(r.released->len, ==, 1);	/* cpu 0's packet is done */
	g_assert_cmpuint(vg_merge_run(m), ==, 0);
	/* a watermark exactly at the event's time is enough */
	vg_merge_set_watermark(m, 0, 25);
	g_assert_cmpuint(vg_merge_run(m), ==, 1);
	g_assert_cmpuint(r.ts->len, ==, 3);
	/* an empty packet (a switch with no events) moves the watermark */
	vg_merge_push(m, pkt(1, 1, 0, 40, TS(35)));
	g_assert_cmpuint(vg_merge_run(m), ==, 0);
	vg_merge_push(m, pkt(0, 1, 0, 50, (const guint64[]){ 0 }));
	g_assert_cmpuint(vg_merge_run(m), ==, 1);
	g_assert_cmpuint(r.released->len, ==, 4);
	g_assert_cmpuint(vg_merge_drain(m), ==, 0);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_drain_delivers_everything(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;

	rec_init(&r);
	m = new_merge(md, 4, &r);
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(5, 6)));
	vg_merge_push(m, pkt(3, 0, 0, 0, TS(1)));
	g_assert_cmpuint(vg_merge_run(m), ==, 0);	/* cpus 1 and 2 unknown */
	g_assert_cmpuint(vg_merge_drain(m), ==, 3);
	g_assert_cmpuint(g_array_index(r.ts, guint64, 0), ==, 1);
	g_assert_cmpuint(r.released->len, ==, 2);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_equal_timestamps_lower_cpu_first_then_arrival(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;
	VgtPkt b = { 0 };
	guint i;

	rec_init(&r);
	m = new_merge(md, 3, &r);
	vgt_pkt_begin(&b, 2, 0, 0);
	vgt_sys_exit(&b, 7, 1, 0, 21);
	vgt_sys_exit(&b, 7, 1, 0, 22);
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_sys_exit(&b, 7, 1, 0, 1);
	vgt_sys_exit(&b, 7, 1, 0, 2);
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vgt_pkt_begin(&b, 1, 0, 0);
	vgt_sys_exit(&b, 7, 1, 0, 11);
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	g_assert_cmpuint(vg_merge_run(m), ==, 5);
	for (i = 0; i < 5; i++) {
		static const gint64 want[] = { 1, 2, 11, 21, 22 };

		g_assert_cmpint(g_array_index(r.val, gint64, i), ==, want[i]);
	}
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_out_of_order_events_are_delivered_and_counted(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;

	rec_init(&r);
	m = new_merge(md, 2, &r);
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(10, 30, 20, 40)));
	vg_merge_push(m, pkt(1, 0, 0, 0, TS(25)));
	g_assert_cmpuint(vg_merge_drain(m), ==, 5);
	g_assert_cmpuint(vg_merge_lane_stats(m, 0)->out_of_order, ==, 1);
	g_assert_cmpuint(vg_merge_lane_stats(m, 1)->out_of_order, ==, 0);
	/* 10 25 30 20 40: 20 comes after 30, nothing dropped */
	g_assert_cmpuint(g_array_index(r.ts, guint64, 3), ==, 20);
	g_assert_cmpuint(vg_merge_stats(m)->late, ==, 1);
	/* a packet arriving after later events went out is delivered late */
	vg_merge_push(m, pkt(1, 1, 0, 0, TS(15)));
	g_assert_cmpuint(vg_merge_drain(m), ==, 1);
	g_assert_cmpuint(vg_merge_stats(m)->late, ==, 2);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_discarded_and_lost_packets_are_counted(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;
	const VgLaneStats *st;

	rec_init(&r);
	m = new_merge(md, 1, &r);
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(1)));
	vg_merge_push(m, pkt(0, 1, 4, 0, TS(2)));
	vg_merge_push(m, pkt(0, 4, 10, 0, TS(3)));	/* 2 and 3 lost */
	vg_merge_drain(m);
	st = vg_merge_lane_stats(m, 0);
	g_assert_cmpuint(st->discarded, ==, 10);
	g_assert_cmpuint(st->lost_packets, ==, 2);
	g_assert_cmpuint(st->packets, ==, 3);
	g_assert_null(vg_merge_lane_stats(m, 5));
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_corrupt_record_is_reported_and_the_rest_continues(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;
	VgtPkt b = { 0 };

	rec_init(&r);
	m = new_merge(md, 1, &r);
	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_sys_exit(&b, 1, 1, 0, 1);
	vg_pw_record(&b, 4000, 2, 1);
	vgt_sys_exit(&b, 3, 1, 0, 3);
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_push(m, pkt(0, 1, 0, 0, TS(4)));
	g_assert_cmpuint(vg_merge_drain(m), ==, 2);
	g_assert_cmpuint(r.errors->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(r.errors, 0), ==,
			"cpu 0 packet 0 offset 114: unknown event id 4000");
	g_assert_cmpuint(vg_merge_lane_stats(m, 0)->corrupt, ==, 1);
	g_assert_cmpuint(r.released->len, ==, 2);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_interrupt_stops_after_the_current_event(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;

	rec_init(&r);
	m = new_merge(md, 1, &r);
	r.stop_after = 2;
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(1, 2, 3, 4)));
	g_assert_cmpuint(vg_merge_drain(m), ==, 2);
	r.stop_after = 0;
	g_assert_cmpuint(vg_merge_drain(m), ==, 2);
	g_assert_cmpuint(r.ts->len, ==, 4);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_pushing_an_unknown_cpu_grows_the_merge(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;

	rec_init(&r);
	m = new_merge(md, 1, &r);
	vg_merge_push(m, pkt(6, 0, 0, 0, TS(3)));
	g_assert_cmpuint(vg_merge_n_lanes(m), ==, 7);
	g_assert_cmpuint(vg_merge_drain(m), ==, 1);
	g_assert_cmpuint(g_array_index(r.cpu, guint, 0), ==, 6);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_many_cpus_random_interleaving(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	GRand *rnd = g_rand_new_with_seed(42);
	Rec r;
	VgMerge *m;
	guint ncpu = 13, c, i, total = 0;
	GPtrArray *pending = g_ptr_array_new();
	guint64 t = 1;
	guint64 seq[13] = { 0 };

	rec_init(&r);
	m = new_merge(md, ncpu, &r);
	/* build packets per CPU from one global clock */
	for (i = 0; i < 200; i++) {
		VgtPkt b = { 0 };
		guint n = g_rand_int_range(rnd, 0, 20), k;

		c = g_rand_int_range(rnd, 0, ncpu);
		vgt_pkt_begin(&b, c, seq[c]++, 0);
		for (k = 0; k < n; k++) {
			t += g_rand_int_range(rnd, 0, 3);	/* ties too */
			vgt_sys_exit(&b, t, 1, 0, t);
		}
		total += n;
		g_ptr_array_add(pending, vgt_pkt_finish(&b, 0, t, t));
	}
	/* deliver in arrival order but with every cpu's packets in sequence:
	 * push in creation order, interleaved with merge runs */
	for (i = 0; i < pending->len; i++) {
		vg_merge_push(m, g_ptr_array_index(pending, i));
		if (i % 7 == 0)
			vg_merge_run(m);
	}
	vg_merge_drain(m);
	g_assert_cmpuint(r.ts->len, ==, total);
	for (i = 1; i < r.ts->len; i++)
		g_assert_cmpuint(g_array_index(r.ts, guint64, i - 1), <=,
				 g_array_index(r.ts, guint64, i));
	g_assert_cmpuint(vg_merge_stats(m)->late, ==, 0);
	g_ptr_array_free(pending, TRUE);
	g_rand_free(rnd);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_packets_pushed_from_the_callback_are_merged(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;
	guint i;

	rec_init(&r);
	m = vg_merge_new(md, 3, NULL, on_event_pushing, &r);
	vg_merge_set_packet_done(m, on_done, &r);
	r.m = m;
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(10, 40, 70)));
	vg_merge_push(m, pkt(1, 0, 0, 0, TS(20, 50)));
	push_in_callback = pkt(2, 0, 0, 0, TS(15, 30, 60));
	g_assert_cmpuint(vg_merge_drain(m), ==, 8);
	for (i = 0; i < 8; i++) {
		static const guint64 want[] = { 10, 15, 20, 30, 40, 50, 60, 70 };

		g_assert_cmpuint(g_array_index(r.ts, guint64, i), ==, want[i]);
	}
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

static void test_idle_cpu_never_holds_events_back(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Rec r;
	VgMerge *m;

	rec_init(&r);
	m = new_merge(md, 3, &r);
	vg_merge_push(m, pkt(0, 0, 0, 0, TS(10, 20)));
	vg_merge_push(m, pkt(1, 0, 0, 0, TS(15)));
	/* cpu 2 never reports: everything waits for it */
	g_assert_cmpuint(vg_merge_run(m), ==, 0);
	vg_merge_set_lane_idle(m, 2);
	/* 10 and 15 go; 20 waits for cpu 1 (watermark 15) */
	g_assert_cmpuint(vg_merge_run(m), ==, 2);
	/* a packet from the idle cpu makes it count again */
	vg_merge_push(m, pkt(2, 0, 0, 30, TS(17)));
	vg_merge_set_watermark(m, 1, 25);
	g_assert_cmpuint(vg_merge_run(m), ==, 2);	/* 17, 20 */
	g_assert_cmpuint(g_array_index(r.ts, guint64, 2), ==, 17);
	g_assert_cmpuint(g_array_index(r.ts, guint64, 3), ==, 20);
	vg_merge_free(m);
	rec_clear(&r);
	vg_metadata_free(md);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/merge/orders_events_across_cpus", test_orders_events_across_cpus);
	g_test_add_func("/merge/two_lanes_of_one_cpu_merge_in_time_order",
			test_two_lanes_of_one_cpu_merge_in_time_order);
	g_test_add_func("/merge/quiet_cpu_holds_back_events_until_its_watermark",
			test_quiet_cpu_holds_back_events_until_its_watermark);
	g_test_add_func("/merge/drain_delivers_everything", test_drain_delivers_everything);
	g_test_add_func("/merge/equal_timestamps_lower_cpu_first_then_arrival",
			test_equal_timestamps_lower_cpu_first_then_arrival);
	g_test_add_func("/merge/out_of_order_events_are_delivered_and_counted",
			test_out_of_order_events_are_delivered_and_counted);
	g_test_add_func("/merge/discarded_and_lost_packets_are_counted",
			test_discarded_and_lost_packets_are_counted);
	g_test_add_func("/merge/corrupt_record_is_reported_and_the_rest_continues",
			test_corrupt_record_is_reported_and_the_rest_continues);
	g_test_add_func("/merge/interrupt_stops_after_the_current_event",
			test_interrupt_stops_after_the_current_event);
	g_test_add_func("/merge/pushing_an_unknown_cpu_grows_the_merge",
			test_pushing_an_unknown_cpu_grows_the_merge);
	g_test_add_func("/merge/many_cpus_random_interleaving_stays_sorted",
			test_many_cpus_random_interleaving);
	g_test_add_func("/merge/packets_pushed_from_the_callback_are_merged",
			test_packets_pushed_from_the_callback_are_merged);
	g_test_add_func("/merge/idle_cpu_never_holds_events_back",
			test_idle_cpu_never_holds_events_back);
	return g_test_run();
}
