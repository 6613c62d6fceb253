/*
 * bench-core - how fast libvigilcore merges and decodes (not a test).
 *
 *   bench-core [-c CPUS] [-n EVENTS] [-r ROUNDS] [--trace DIR]
 *
 * Builds CTF packets in memory (the shape of a busy syscall trace:
 * sys_enter with and without paths, sys_exit, sched_switch, spread over
 * CPUS), then times k-way merge + task lookup + decoding of three fields
 * per event, and prints events per second.  With --trace it replays an
 * existing trace directory (mmap'd) instead, e.g. one from gen-trace.
 */
#include "vg_testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this thread, us: other load on the machine does not count */
static gint64 cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static gint n_cpus = 4, n_events = 4000000, rounds = 5;
static char *trace_dir;

static GOptionEntry entries[] = {
	{ "cpus", 'c', 0, G_OPTION_ARG_INT, &n_cpus, "CPUs (4)", "N" },
	{ "events", 'n', 0, G_OPTION_ARG_INT, &n_events, "events per round (4000000)", "N" },
	{ "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "rounds (5)", "N" },
	{ "trace", 't', 0, G_OPTION_ARG_FILENAME, &trace_dir, "replay this trace directory", "DIR" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};

typedef struct {
	guint64 sum;
	guint64 n;
} Acc;

/* three fields of each event, whatever its class */
static void deliver(VgEvent *e, gpointer data)
{
	Acc *a = data;
	const VgEventClass *c = e->cls;
	guint i, got = 0;

	for (i = 0; i < c->n_fields && got < 3; i++) {
		switch (c->fields[i].kind) {
		case VG_FIELD_INT:
		case VG_FIELD_UINT:
			a->sum += vg_event_int(e, i);
			got++;
			break;
		case VG_FIELD_INT_ARRAY:
		case VG_FIELD_UINT_ARRAY:
			a->sum += vg_event_array_int(e, i, 0);
			got++;
			break;
		default: {
			gsize len;

			vg_event_str(e, i, &len);
			a->sum += len;
			got++;
		}
		}
	}
	a->sum += e->task->pid;
	a->n++;
}

static void keep(VgPacket *p, gpointer data)
{
	(void)data;
	vg_packet_unref(p);
}

int main(int argc, char **argv)
{
	GOptionContext *ctx = g_option_context_new("- benchmark merge + decode");
	GError *err = NULL;
	VgMetadata *md;
	GPtrArray *pkts = g_ptr_array_new();
	GRand *r = g_rand_new_with_seed(1);
	VgtPkt *b;
	guint64 t = 1000;
	gint i, round;
	double best = 0;
	guint64 bytes = 0;
	gint32 *cur_tid;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "bench-core: %s\n", err->message);
		return 2;
	}
	if (trace_dir) {
		for (round = 0; round < rounds; round++) {
			VgReplay *rp = vg_replay_open(trace_dir, &err);
			VgTasks *tasks;
			Acc a = { 0 };
			gint64 t0, t1;

			if (!rp) {
				fprintf(stderr, "bench-core: %s\n", err->message);
				return 1;
			}
			tasks = vg_tasks_new(vg_replay_metadata(rp), FALSE);
			t0 = cpu_us();
			vg_replay_run(rp, tasks, deliver, &a, NULL, NULL);
			t1 = cpu_us();
			printf("round %d: %" G_GUINT64_FORMAT " events in %.3f s CPU: %.1f M events/s\n",
			       round, a.n, (t1 - t0) / 1e6, a.n / ((t1 - t0) / 1e6) / 1e6);
			if (a.n / ((t1 - t0) / 1e6) > best)
				best = a.n / ((t1 - t0) / 1e6);
			vg_tasks_free(tasks);
			vg_replay_free(rp);
		}
		printf("best: %.1f M events/s per CPU second (replay of %s: mmap, merge, tasks, 3 fields)\n",
		       best / 1e6, trace_dir);
		return 0;
	}

	md = vgt_metadata(NULL);
	b = g_new0(VgtPkt, n_cpus);
	cur_tid = g_new0(gint32, n_cpus);
	for (i = 0; i < n_cpus; i++)
		vgt_pkt_begin(&b[i], i, 0, 0);
	for (i = 0; i < n_events; i++) {
		guint c = g_rand_int_range(r, 0, n_cpus);
		guint k = g_rand_int_range(r, 0, 100);
		gint32 tid;

		/* a CPU runs one task until a sched_switch */
		if (k >= 80 || !cur_tid[c])
			cur_tid[c] = 100 + g_rand_int_range(r, 0, 64);
		tid = cur_tid[c];

		t += g_rand_int_range(r, 1, 100);
		if (vg_pw_len(&b[c]) > 65536 - 200) {
			g_ptr_array_add(pkts, vgt_pkt_finish(&b[c], 65536, 0, t));
			vgt_pkt_begin(&b[c], c, 0, 0);
		}
		if (k < 40) {
			vgt_sys_exit(&b[c], t, tid, 0, k);
		} else if (k < 80) {
			guint64 args[6] = { 3, 4, 5, 6, 7, 8 };

			vgt_sys_enter(&b[c], t, tid, k < 60 ? 0 : 257, args,
				      k < 60 ? -1 : 1, k < 60 ? NULL : "/etc/ld.so.cache");
		} else {
			vg_pw_record(&b[c], VGT_SCHED_SWITCH, t, tid);
			vg_pw_chars(&b[c], "worker", 16);
			vg_pw_u32(&b[c], tid);
			vg_pw_u32(&b[c], 120);
			vg_pw_u64(&b[c], 1);
			vg_pw_chars(&b[c], "swapper/1", 16);
			vg_pw_u32(&b[c], 0);
			vg_pw_u32(&b[c], 120);
		}
	}
	for (i = 0; i < n_cpus; i++)
		g_ptr_array_add(pkts, vgt_pkt_finish(&b[i], 65536, 0, t));
	/* per-CPU sequence order is what the merge needs: the array is in
	 * creation order, which is each CPU's order */
	for (i = 0; i < (gint)pkts->len; i++)
		bytes += ((VgPacket *)pkts->pdata[i])->content_size;

	for (round = 0; round < rounds; round++) {
		VgTasks *tasks = vg_tasks_new(md, FALSE);
		Acc a = { 0 };
		VgMerge *m = vg_merge_new(md, n_cpus, tasks, deliver, &a);
		gint64 t0, t1, w0, w1;
		double rate;

		vg_merge_set_packet_done(m, keep, NULL);
		w0 = g_get_monotonic_time();
		t0 = cpu_us();
		for (i = 0; i < (gint)pkts->len; i++)
			vg_merge_push(m, vg_packet_ref(pkts->pdata[i]));
		vg_merge_drain(m);
		t1 = cpu_us();
		w1 = g_get_monotonic_time();
		rate = a.n / ((t1 - t0) / 1e6);
		printf("round %d: %" G_GUINT64_FORMAT " events (%.0f MB) in %.3f s CPU: %.1f M events/s"
		       " (wall clock %.3f s: %.1f M/s)\n",
		       round, a.n, bytes / 1e6, (t1 - t0) / 1e6, rate / 1e6,
		       (w1 - w0) / 1e6, a.n / ((w1 - w0) / 1e6) / 1e6);
		if (rate > best)
			best = rate;
		vg_merge_free(m);
		vg_tasks_free(tasks);
		if (a.sum == 42)	/* keep the work observable */
			putchar(' ');
	}
	printf("best: %.1f M events/s per CPU second (%d cpus: merge, task lookup, 3 fields decoded per event)\n",
	       best / 1e6, n_cpus);
	for (i = 0; i < (gint)pkts->len; i++)
		vg_packet_unref(pkts->pdata[i]);
	g_ptr_array_free(pkts, TRUE);
	g_free(b);
	g_free(cur_tid);
	g_rand_free(r);
	vg_metadata_free(md);
	g_option_context_free(ctx);
	return 0;
}
