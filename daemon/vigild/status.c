/*
 * status.c - what vigild says about itself: the text of `vigilctl
 * status` (also logged at exit) and the daemon's part of Vigil::stats().
 * It reads the parts through a VgdStatusView (status.h) and changes
 * nothing.
 */
#define G_LOG_DOMAIN "vigild"

#include "status.h"

#include <unistd.h>

static guint64 rss_bytes(void)
{
	char *text = NULL;
	guint64 pages = 0;

	if (g_file_get_contents("/proc/self/statm", &text, NULL, NULL)) {
		char **f = g_strsplit(text, " ", 3);

		if (f[0] && f[1])
			pages = g_ascii_strtoull(f[1], NULL, 10);
		g_strfreev(f);
		g_free(text);
	}
	return pages * (guint64)sysconf(_SC_PAGESIZE);
}

/* Dumps asked for and accepted (written, failed or still open). */
static guint64 dumps(const VgdStatusView *d)
{
	VgdRecorderStats st;

	if (!d->recorder)
		return 0;
	vgd_recorder_get_stats(d->recorder, &st);
	return st.requests;
}

char *vgd_status_text(const VgdStatusView *d)
{
	GString *s = g_string_new(NULL);
	VgPerlStats ps = { 0 };
	double up = (g_get_monotonic_time() - d->start_us) / 1e6;
	guint64 tot[6] = { 0 };
	guint64 self = 0;

	if (d->perl)
		vg_perl_get_stats(d->perl, &ps);
	if (d->live)
		vgd_live_update_stats(d->live, NULL);
	g_string_append_printf(s, "vigild %d: %s, %s mode, uptime %.1f s%s%s\n",
			       (int)getpid(),
			       d->replay ? "replay" : "live",
			       d->cfg->mode == VGD_MODE_FLIGHT ? "flight" :
			       d->live && vgd_live_mixed(d->live) ? "mixed" : "normal",
			       up, d->stopping ? ", stopping: " : "",
			       d->stopping ? d->stop_reason : "");
	if (!d->replay)
		g_string_append_printf(s, "source: %s\n",
				       d->live && d->tp ?
				       "vigil.ko (/dev/vigil) and the kernel's "
				       "tracepoints it lacks (perf_event_open)" :
				       d->tp ?
				       "the kernel's tracepoints (perf_event_open)" :
				       "vigil.ko (/dev/vigil)");
	if (d->metrics_url)
		g_string_append_printf(s, "metrics: %s (%" G_GUINT64_FORMAT
				       " scrape%s)\n", d->metrics_url,
				       d->metrics_scrapes,
				       d->metrics_scrapes == 1 ? "" : "s");
	if (d->replay) {
		g_string_append_printf(s, "trace: %s\n", d->cfg->replay_dir);
	} else {
		GString *e = g_string_new(NULL);
		char *ev;

		for (guint i = 0; i < d->cfg->events->len; i++)
			g_string_append_printf(e, "%s%s", i ? "," : "",
					       (char *)d->cfg->events->pdata[i]);
		ev = g_string_free(e, FALSE);
		g_string_append_printf(s, "events: %s; kprobes: %u\n",
				       *ev ? ev : "all", d->cfg->kprobes->len);
		g_string_append_printf(s, "buffers: %u x %u KiB per CPU, switch "
				       "every %u ms\n", d->cfg->buffer_count,
				       d->cfg->buffer_size / 1024,
				       d->cfg->switch_interval_ms);
		g_free(ev);
	}
	g_string_append_printf(s, "%-5s %14s %14s %14s %14s %10s\n", "cpu",
			       "events_read", "discarded", "dispatched",
			       "filtered_out", "packets");
	for (guint i = 0; i < d->n_cpus; i++) {
		const VgLaneStats *ms = d->merge ? vg_merge_lane_stats(d->merge, i) : NULL;
		guint mod_lanes = d->live ? vgd_live_n_lanes(d->live) : d->n_cpus;
		/* beside vigil.ko, the tracepoints' lane of the CPU */
		const VgLaneStats *ms2 = d->merge && d->live && d->tp ?
			vg_merge_lane_stats(d->merge, mod_lanes + i) : NULL;
		guint64 more = 0;
		const VgdLiveCpuStats *ls = d->live ? vgd_live_cpu_stats(d->live, i) : NULL;
		const VgdTpCpuStats *ts = d->tp ? vgd_tp_cpu_stats(d->tp, i) : NULL;
		guint64 v[6];

		/* the CPU's lanes of the other channels (streamed ones) */
		for (guint l = d->n_cpus + i; d->merge && l < mod_lanes; l += d->n_cpus) {
			const VgLaneStats *o = vg_merge_lane_stats(d->merge, l);

			more += o ? o->events : 0;
		}
		v[0] = (ms ? ms->events : 0) + (ms2 ? ms2->events : 0) + more;
		/* the kernels' own counters when live (they count drops even
		 * before a packet reports them), else the packets' */
		v[1] = ls || ts ? (ls ? ls->k_events_discarded : 0) +
				  (ts ? ts->lost : 0) :
		       ms ? ms->discarded : 0;
		v[2] = d->cc[i].dispatched;
		v[3] = d->cc[i].filtered + d->cc[i].comm_filtered;
		v[4] = ls || ts ? (ls ? ls->packets : 0) + (ts ? ts->packets : 0) :
		       ms ? ms->packets : 0;
		v[5] = 0;
		self += d->cc[i].self;
		for (int k = 0; k < 5; k++)
			tot[k] += v[k];
		g_string_append_printf(s, "%-5u %14" G_GUINT64_FORMAT " %14"
				       G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT
				       " %14" G_GUINT64_FORMAT " %10"
				       G_GUINT64_FORMAT "\n", i, v[0], v[1],
				       v[2], v[3], v[4]);
	}
	g_string_append_printf(s, "%-5s %14" G_GUINT64_FORMAT " %14"
			       G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT " %14"
			       G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT "\n",
			       "all", tot[0], tot[1], tot[2], tot[3], tot[4]);
	if (d->live) {
		guint64 big = 0, full = 0, nested = 0, all = 0, paused;

		for (guint i = 0; i < d->n_cpus; i++) {
			const VgdLiveCpuStats *ls = vgd_live_cpu_stats(d->live, i);

			if (!ls)
				continue;
			big += ls->k_discarded_too_big;
			full += ls->k_discarded_full;
			nested += ls->k_discarded_nested;
			all += ls->k_events_discarded;
		}
		/* the kernel counts three causes; the rest of its total
		 * came while paused (flight snapshots) */
		paused = all - MIN(all, big + full + nested);
		g_string_append_printf(s, "discarded by the kernel: too big %"
				       G_GUINT64_FORMAT ", buffer full %"
				       G_GUINT64_FORMAT ", nested %"
				       G_GUINT64_FORMAT ", paused %"
				       G_GUINT64_FORMAT "\n", big, full, nested,
				       paused);
		if (!d->tp)
			g_string_append_printf(s, "own events dropped: %"
					       G_GUINT64_FORMAT "\n", self);
		vgd_live_append_channels(d->live, s);
	}
	if (d->tp) {
		guint64 bad = 0, reordered = 0, lost = 0;

		for (guint i = 0; i < d->n_cpus; i++) {
			const VgdTpCpuStats *ts = vgd_tp_cpu_stats(d->tp, i);

			if (!ts)
				continue;
			bad += ts->bad;
			reordered += ts->reordered;
			self += ts->own;
			/* in the discarded column: samples the kernel could
			 * not write into a full perf ring (PERF_RECORD_LOST) */
			lost += ts->lost;
		}
		g_string_append_printf(s, "lost by the kernel (perf ring full): %"
				       G_GUINT64_FORMAT "\n", lost);
		g_string_append_printf(s, "perf records undecodable: %"
				       G_GUINT64_FORMAT "\n", bad);
		g_string_append_printf(s, "samples out of order (given the time "
				       "of the one before): %" G_GUINT64_FORMAT
				       "\n", reordered);
		g_string_append_printf(s, "own events dropped: %" G_GUINT64_FORMAT
				       "\n", self);
	}
	g_string_append_printf(s, "handler errors: %" G_GUINT64_FORMAT "\n",
			       ps.errors);
	g_string_append_printf(s, "events unhandled: %" G_GUINT64_FORMAT "\n",
			       ps.unhandled);
	g_string_append_printf(s, "time in perl: %.3f s\n", ps.perl_ns / 1e9);
	if (ps.watchdog_reports || ps.watchdog_aborts)
		g_string_append_printf(s, "watchdog: %" G_GUINT64_FORMAT
				       " calls reported as long, %"
				       G_GUINT64_FORMAT " aborts\n",
				       ps.watchdog_reports, ps.watchdog_aborts);
	g_string_append_printf(s, "memory (rss): %" G_GUINT64_FORMAT " KiB\n",
			       rss_bytes() / 1024);
	if (d->merge) {
		const VgMergeStats *m = vg_merge_stats(d->merge);

		g_string_append_printf(s, "merged events: %" G_GUINT64_FORMAT
				       " (late: %" G_GUINT64_FORMAT ")\n",
				       m->events, m->late);
	}
	if (d->tasks)
		g_string_append_printf(s, "tasks known: %u\n",
				       vg_tasks_count(d->tasks));
	g_string_append_printf(s, "dumps: %" G_GUINT64_FORMAT "\n", dumps(d));
	if (d->recorder)
		vgd_recorder_append_status(d->recorder, s);
	g_string_append_printf(s, "uptime: %.1f s\n", up);
	return g_string_free(s, FALSE);
}

void vgd_status_log(const VgdStatusView *d)
{
	char *t = vgd_status_text(d);
	char **lines = g_strsplit(t, "\n", -1);

	for (guint i = 0; lines[i]; i++)
		if (*lines[i])
			g_message("%s", lines[i]);
	g_strfreev(lines);
	g_free(t);
}

void vgd_status_add_perl_stats(const VgdStatusView *d, VgPerlStatsSink *sink)
{
	guint64 read = 0, disc = 0;

	if (d->live)
		vgd_live_update_stats(d->live, NULL);
	for (guint i = 0; i < d->n_cpus; i++) {
		const VgLaneStats *ms = d->merge ? vg_merge_lane_stats(d->merge, i) : NULL;
		const VgLaneStats *ms2 = d->merge && d->live && d->tp ?
			vg_merge_lane_stats(d->merge, d->n_cpus + i) : NULL;
		const VgdLiveCpuStats *ls = d->live ? vgd_live_cpu_stats(d->live, i) : NULL;
		const VgdTpCpuStats *ts = d->tp ? vgd_tp_cpu_stats(d->tp, i) : NULL;

		read += (ms ? ms->events : 0) + (ms2 ? ms2->events : 0);
		disc += ls || ts ? (ls ? ls->k_events_discarded : 0) +
				   (ts ? ts->lost : 0) :
			ms ? ms->discarded : 0;
	}
	vg_perl_stats_add_int(sink, "events_read", (gint64)read);
	vg_perl_stats_add_int(sink, "events_discarded", (gint64)disc);
	vg_perl_stats_add_int(sink, "cpus", d->n_cpus);
	vg_perl_stats_add_int(sink, "rss_bytes", (gint64)rss_bytes());
	vg_perl_stats_add_int(sink, "uptime_ns",
			      (g_get_monotonic_time() - d->start_us) * 1000);
	vg_perl_stats_add_int(sink, "dumps", (gint64)dumps(d));
	if (d->recorder) {
		VgdRecorderStats st;

		vgd_recorder_get_stats(d->recorder, &st);
		vg_perl_stats_add_int(sink, "dumps_written", (gint64)st.written);
		vg_perl_stats_add_int(sink, "dumps_failed", (gint64)st.failed);
		vg_perl_stats_add_int(sink, "dumps_suppressed",
				      (gint64)st.suppressed);
		vg_perl_stats_add_int(sink, "dumps_removed", (gint64)st.removed);
		vg_perl_stats_add_int(sink, "dumps_open", st.open);
		vg_perl_stats_add_int(sink, "history_bytes",
				      (gint64)st.history_bytes);
	}
	vg_perl_stats_add_str(sink, "source", d->replay ? "replay" : "live");
	if (!d->replay)
		vg_perl_stats_add_str(sink, "event_source",
				      d->live && d->tp ? "module+kernel" :
				      d->tp ? "kernel" : "module");
}
