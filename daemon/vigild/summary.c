/*
 * summary.c - a dump's counts and its summary file (see summary.h).
 */
#define G_LOG_DOMAIN "vigild"

#include "summary.h"

#include <string.h>
#include <time.h>

#define NS		1000000000ull

/* ---- counting ------------------------------------------------------------ */

void vgd_dump_summarize(const VgdDump *q, VgdDumpSum *s)
{
	const VgMetadata *md = q->md;
	VgdCpuSum *cs = NULL;

	memset(s, 0, sizeof(*s));
	s->first_ts = G_MAXUINT64;
	s->cpus = g_array_new(FALSE, TRUE, sizeof(VgdCpuSum));
	s->tids = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < q->packets->len; i++) {
		VgPacket *p = q->packets->pdata[i];
		VgRecordIter it;
		VgEvent e;
		GError *err = NULL;
		int rc;

		if (!cs || cs->lane != p->lane) {
			VgdCpuSum z = { .cpu = p->cpu, .lane = p->lane,
				     .first_seq = p->seq,
				     .disc_first = p->events_discarded };

			g_array_append_val(s->cpus, z);
			cs = &g_array_index(s->cpus, VgdCpuSum, s->cpus->len - 1);
		} else if (p->seq > cs->last_seq + 1) {
			cs->seq_gaps += p->seq - cs->last_seq - 1;
		}
		cs->any = TRUE;
		cs->last_seq = p->seq;
		cs->disc_last = p->events_discarded;
		cs->packets++;
		s->packets++;
		s->bytes += p->packet_size;
		vg_record_iter_init(&it, md, p);
		while ((rc = vg_record_iter_next(&it, &e, &err)) != 0) {
			if (rc < 0) {
				g_warning("dump %s: %s", q->path, err->message);
				g_clear_error(&err);
				s->corrupt++;
				continue;
			}
			cs->events++;
			s->events++;
			g_hash_table_add(s->tids, GINT_TO_POINTER(e.tid));
			if (e.ts < s->first_ts)
				s->first_ts = e.ts;
			if (e.ts > s->last_ts)
				s->last_ts = e.ts;
		}
	}
	for (guint i = 0; i < s->cpus->len; i++) {
		VgdCpuSum *c = &g_array_index(s->cpus, VgdCpuSum, i);

		if (q->snapshot) {
			gpointer v = g_hash_table_lookup(q->snap_last_seq,
							 GUINT_TO_POINTER(c->lane));
			guint64 from = v ? GPOINTER_TO_SIZE(v) - 1 : 0;

			c->overwritten = c->first_seq > from ?
					 c->first_seq - from : 0;
			s->overwritten += c->overwritten;
		}
		s->discarded += c->disc_last - c->disc_first;
		s->seq_gaps += c->seq_gaps;
	}
	if (!s->events)
		s->first_ts = s->last_ts = 0;
}

void vgd_dump_sum_clear(VgdDumpSum *s)
{
	if (s->cpus)
		g_array_unref(s->cpus);
	if (s->tids)
		g_hash_table_destroy(s->tids);
	memset(s, 0, sizeof(*s));
}

/* ---- the YAML text -------------------------------------------------------- */

/* "2026-11-22T04:15:03.123456789Z" for ns since the epoch. */
static char *wall_text(gint64 wall_ns)
{
	time_t s = (time_t)(wall_ns / (gint64)NS);
	struct tm tm;
	char buf[40];

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return g_strdup_printf("%s.%09" G_GINT64_FORMAT "Z", buf,
			       wall_ns % (gint64)NS);
}

static void yaml_str(GString *s, const char *key, const char *v)
{
	g_string_append_printf(s, "%s: \"", key);
	for (const char *p = v ? v : ""; *p; p++) {
		guchar c = (guchar)*p;

		if (c == '"' || c == '\\')
			g_string_append_printf(s, "\\%c", c);
		else if (c == '\n')
			g_string_append(s, "\\n");
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(s, "\\x%02x", c);
		else
			g_string_append_c(s, (char)c);
	}
	g_string_append(s, "\"\n");
}

static void append_time(GString *s, const char *key, guint64 ts, gint64 off)
{
	char *w = wall_text((gint64)ts + off);

	g_string_append_printf(s, "%s:\n  ns: %" G_GUINT64_FORMAT
			       "\n  wall: \"%s\"\n  wall_ns: %" G_GINT64_FORMAT
			       "\n", key, ts, w, (gint64)ts + off);
	g_free(w);
}

char *vgd_dump_summary_text(const VgdDump *q, const VgdDumpSum *s)
{
	const VgMetadata *md = q->md;
	gint64 off = vg_metadata_clock_offset(md);
	GString *t = g_string_new("# vigil flight recorder dump "
				  "(docs/flight-recorder.md)\n");
	const char *host = md ? vg_metadata_env(md, "hostname") : NULL;
	const char *kr = md ? vg_metadata_env(md, "kernel_release") : NULL;
	char *now = wall_text(g_get_real_time() * 1000);

	yaml_str(t, "reason", q->reason);
	append_time(t, "trigger", q->trigger, off);
	yaml_str(t, "host", host ? host : g_get_host_name());
	yaml_str(t, "kernel_release", kr ? kr : "unknown");
	yaml_str(t, "source", q->source);
	if (q->before >= 0)
		g_string_append_printf(t, "before_s: %g\n", q->before);
	else
		g_string_append(t, "before_s: null  # the whole history\n");
	g_string_append_printf(t, "after_s: %g\n", q->after >= 0 ? q->after : 0);
	g_string_append_printf(t, "window:\n  first_ns: %" G_GUINT64_FORMAT
			       "\n  last_ns: %" G_GUINT64_FORMAT "\n",
			       q->lo, q->hi);
	if (q->cut)
		yaml_str(t, "after_window_cut", q->cut);
	g_string_append_printf(t, "events: %" G_GUINT64_FORMAT "\n", s->events);
	append_time(t, "first_event", s->first_ts, off);
	append_time(t, "last_event", s->last_ts, off);
	g_string_append_printf(t, "events_discarded: %" G_GUINT64_FORMAT
			       "  # by the kernel within the dump's packets\n",
			       s->discarded);
	g_string_append_printf(t, "packets: %" G_GUINT64_FORMAT "\n", s->packets);
	g_string_append_printf(t, "packets_lost: %" G_GUINT64_FORMAT
			       "  # packet_seq_num gaps inside the dump\n",
			       s->seq_gaps);
	if (q->snapshot)
		g_string_append_printf(t, "packets_overwritten: %"
				       G_GUINT64_FORMAT "  # before the oldest "
				       "packet kept, since %s\n", s->overwritten,
				       g_hash_table_size(q->snap_last_seq) ?
				       "the previous snapshot" : "tracing started");
	if (s->statedump)
		g_string_append_printf(t, "statedump_tasks: %u  # vigil:statedump_"
				       "process records in stream_%u, 1 ns before "
				       "the first event (not counted above)\n",
				       s->statedump, s->statedump_cpu);
	if (s->statedump)
		g_string_append_printf(t, "statedump_irqs: %u\nstatedump_mmaps: %u\n",
				       s->statedump_irqs, s->statedump_mmaps);
	if (s->corrupt)
		g_string_append_printf(t, "corrupt_records: %" G_GUINT64_FORMAT
				       "\n", s->corrupt);
	g_string_append(t, "cpus:\n");
	for (guint i = 0; i < s->cpus->len; i++) {
		const VgdCpuSum *c = &g_array_index(s->cpus, VgdCpuSum, i);

		g_string_append_printf(t, "  - cpu: %u\n    packets: %"
				       G_GUINT64_FORMAT "\n    first_seq: %"
				       G_GUINT64_FORMAT "\n    last_seq: %"
				       G_GUINT64_FORMAT "\n    events: %"
				       G_GUINT64_FORMAT "\n    events_discarded: %"
				       G_GUINT64_FORMAT "\n    events_discarded_total: %"
				       G_GUINT64_FORMAT "\n    packets_lost: %"
				       G_GUINT64_FORMAT "\n", c->cpu, c->packets,
				       c->first_seq, c->last_seq, c->events,
				       c->disc_last - c->disc_first, c->disc_last,
				       c->seq_gaps);
		if (c->lane != c->cpu)
			g_string_append_printf(t, "    stream: %u\n", c->lane);
		if (q->snapshot)
			g_string_append_printf(t, "    packets_overwritten: %"
					       G_GUINT64_FORMAT "\n",
					       c->overwritten);
	}
	yaml_str(t, "written", now);
	g_free(now);
	return g_string_free(t, FALSE);
}
