/*
 * recorder.c - the flight recorder (see recorder.h and
 * docs/flight-recorder.md): the history ring and the dump requests.
 *
 * Every packet the merge has finished with comes here (vigild calls
 * vgd_recorder_add_packet).  It is added to the open dump requests it
 * belongs to, then to its CPU's history ring, which drops its oldest
 * packets beyond history_bytes or history_ms.  Packets are refcounted: a request keeps its own
 * references, so eviction never takes a packet from under a dump.
 *
 * A request covers [trigger - before, trigger + after] of the trace
 * clock.  It takes the history packets that reach into that window (and,
 * per CPU, the packet before the first of them when that one starts
 * after the window's start, so the dump covers the whole window), then
 * every packet finished later whose range starts before the window's
 * end.  It is complete when every CPU of the merge has finished a
 * packet reaching the window's end: then no event of the window is left
 * undelivered.  Live, a CPU that stays silent (offline) cannot hold a
 * request forever: past trigger + after + slack on the monotonic clock
 * the dump is written with what there is.
 *
 * A complete request is handed to the dump writer (dump.h), then
 * retention runs (dumpdir.h).  Pure flight mode keeps no history: a
 * request snapshots the kernel buffers (the snapshot function vigild
 * gave) when its after window has passed.  Mixed mode (flight channels
 * beside the streamed default one) keeps the history of what streams
 * and, once a request is complete, snapshots the flight channels and
 * adds their packets of the window: one dump, every lane.
 */
#define G_LOG_DOMAIN "vigild"

#include "recorder.h"
#include "dump.h"
#include "dumpdir.h"

#include <string.h>
#include <time.h>

/* Keep a smaller copy of a packet when this many bytes or more of it
 * are padding (live packets are whole sub-buffers). */
#define COMPACT_MIN	4096
#define NS		1000000000ull
#define TICK_MS		250
#define MAX_AFTER_S	86400	/* a request open longer makes no sense */

typedef struct {
	GQueue q;		/* VgPacket *, oldest first */
	guint64 bytes;		/* packet_size of what q holds */
	guint64 last_seq;	/* newest packet pushed (valid if seen) */
	gboolean seen;
} Hist;

typedef struct {
	VgdRecorder *r;
	char *reason;
	char *path;		/* final */
	char *source;		/* "live", "replay of DIR", "kernel buffers" */
	guint64 trigger;	/* trace clock, ns */
	guint64 lo, hi;		/* window */
	double before, after;	/* as asked (negative: not given) */
	GPtrArray *packets;	/* VgPacket refs */
	GByteArray *cpu_done;	/* [cpu]: a packet reaching hi finished */
	guint64 deadline;	/* live: monotonic ns; 0 = none */
	gboolean snapshot;	/* pure flight mode: snapshot when due */
	guint timer_id;		/* flight: delayed snapshot */
	char *cut;		/* why the after window was cut short */
	gboolean prev_valid;	/* rate window before this request */
	guint64 prev_last;
	VgdDumpDoneFunc done;
	gpointer done_data;
	GDestroyNotify destroy;
} Request;

struct VgdRecorder {
	const VgdConfig *cfg;
	const VgMetadata *md;
	VgMerge *merge;		/* NULL in pure flight mode */
	VgTasks *tasks;
	VgdSnapshotFunc snapshot;
	VgdSnapshotFunc flight_channels;	/* mixed mode */
	gpointer snapshot_data;
	gboolean replay;
	gboolean flight;	/* pure flight mode: snapshots, no history */
	gboolean finished;	/* vgd_recorder_finish() was called */
	Hist *hist;
	guint n_hist;
	GList *open;		/* Request *, in request order */
	guint tick_id;
	gboolean last_valid;	/* rate policy: trigger of the last dump */
	guint64 last_trigger;
	GHashTable *snap_last_seq;	/* flight: lane -> last seq + 2 dumped */
	VgdRecorderStats st;
};

static guint64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (guint64)ts.tv_sec * NS + (guint64)ts.tv_nsec;
}

/* A name promised to an open request is taken. */
static gboolean name_reserved(const char *path, gpointer data)
{
	VgdRecorder *r = data;

	for (GList *l = r->open; l; l = l->next)
		if (strcmp(((Request *)l->data)->path, path) == 0)
			return TRUE;
	return FALSE;
}

static gboolean write_request(VgdRecorder *r, Request *q, GError **error)
{
	VgdDump dump = {
		.path = q->path,
		.reason = q->reason,
		.source = q->source,
		.trigger = q->trigger,
		.lo = q->lo,
		.hi = q->hi,
		.before = q->before,
		.after = q->after,
		.cut = q->cut,
		.packets = q->packets,
		.md = r->md,
		.tasks = r->tasks,
		.live = !r->replay,
		.statedump_mmaps = r->cfg->statedump_mmaps,
		.snapshot = q->snapshot,
		.snap_last_seq = r->snap_last_seq,
	};

	return vgd_dump_write(&dump, error);
}

/* ---- requests ------------------------------------------------------------------ */

static void request_free(Request *q)
{
	if (q->timer_id)
		g_source_remove(q->timer_id);
	if (q->destroy)
		q->destroy(q->done_data);
	g_ptr_array_unref(q->packets);
	g_byte_array_unref(q->cpu_done);
	g_free(q->reason);
	g_free(q->path);
	g_free(q->source);
	g_free(q->cut);
	g_free(q);
}

/* Mixed mode: the flight channels' packets of the window.  A failed
 * snapshot leaves a dump of the streamed history, saying so. */
static void add_flight_channels(VgdRecorder *r, Request *q)
{
	GError *err = NULL;
	GPtrArray *pk;
	guint n = 0;

	if (!r->flight_channels || q->snapshot)
		return;
	pk = r->flight_channels(r->snapshot_data, &err);
	if (!pk) {
		g_warning("dump %s: the flight channels' snapshot failed: %s; "
			  "the dump holds the streamed events only", q->path,
			  err->message);
		g_free(q->cut);
		q->cut = g_strdup_printf("the flight channels' snapshot failed: %s",
					 err->message);
		g_error_free(err);
		return;
	}
	for (guint i = 0; i < pk->len; i++) {
		VgPacket *p = pk->pdata[i];

		if (p->ts_begin <= q->hi && p->ts_end >= q->lo) {
			g_ptr_array_add(q->packets, vg_packet_ref(p));
			n++;
		}
	}
	g_debug("dump %s: %u packets of the flight channels", q->path, n);
	g_ptr_array_unref(pk);
}

/* Write it, account, notify, free. */
static void request_complete(VgdRecorder *r, Request *q)
{
	GError *err = NULL;

	r->open = g_list_remove(r->open, q);
	add_flight_channels(r, q);
	if (write_request(r, q, &err)) {
		r->st.written++;
		r->st.removed += vgd_dumpdir_apply_retention(r->cfg, q->path);
	} else {
		r->st.failed++;
		g_warning("%s (tracing goes on)", err->message);
		/* a failed dump does not hold the next one back */
		if (r->last_valid && r->last_trigger == q->trigger) {
			r->last_valid = q->prev_valid;
			r->last_trigger = q->prev_last;
		}
	}
	if (q->done)
		q->done(err ? NULL : q->path, err, q->done_data);
	g_clear_error(&err);
	request_free(q);
}

static void cpu_done_set(Request *q, guint cpu)
{
	while (q->cpu_done->len <= cpu) {
		guint8 zero = 0;

		g_byte_array_append(q->cpu_done, &zero, 1);
	}
	q->cpu_done->data[cpu] = 1;
}

static guint merge_cpus(VgdRecorder *r)
{
	return r->merge ? vg_merge_n_lanes(r->merge) : r->n_hist;
}

/* Must cpu reach the window's end before the request is complete?  On
 * replay every stream counts (the merge knows them all).  Live, only
 * CPUs that have delivered packets: the switch timer makes every online
 * CPU deliver some within switch_interval, an offline one never does. */
static gboolean cpu_counts(VgdRecorder *r, guint c)
{
	return r->replay || (c < r->n_hist && r->hist[c].seen);
}

static gboolean request_ready(VgdRecorder *r, Request *q)
{
	guint n = MAX(merge_cpus(r), r->n_hist);

	for (guint c = 0; c < n; c++)
		if (cpu_counts(r, c) &&
		    (c >= q->cpu_done->len || !q->cpu_done->data[c]))
			return FALSE;
	return TRUE;
}

/* A finished packet: is it part of the request's window? */
static void request_take(Request *q, VgPacket *p)
{
	if (p->ts_begin <= q->hi && p->ts_end >= q->lo)
		g_ptr_array_add(q->packets, vg_packet_ref(p));
	if (p->ts_end >= q->hi)
		cpu_done_set(q, p->lane);
}

static void check_deadlines(VgdRecorder *r)
{
	guint64 now = mono_ns();
	GList *l = r->open;

	while (l) {
		Request *q = l->data;

		l = l->next;
		if (q->snapshot || !q->deadline || now < q->deadline)
			continue;
		{
			GString *w = g_string_new("cpu");
			guint n = MAX(merge_cpus(r), r->n_hist);

			for (guint c = 0; c < n; c++)
				if (cpu_counts(r, c) &&
				    (c >= q->cpu_done->len || !q->cpu_done->data[c]))
					g_string_append_printf(w, " %u", c);
			g_string_append(w, " delivered nothing past the window's "
					"end in time (idle or offline CPU?)");
			q->cut = g_string_free(w, FALSE);
		}
		g_message("dump %s: %s; writing what there is", q->path, q->cut);
		request_complete(r, q);
	}
}

static gboolean on_tick(gpointer data)
{
	VgdRecorder *r = data;

	check_deadlines(r);
	for (GList *l = r->open; l; l = l->next)
		if (!((Request *)l->data)->snapshot)
			return G_SOURCE_CONTINUE;
	r->tick_id = 0;
	return G_SOURCE_REMOVE;
}

/* ---- the history -------------------------------------------------------------- */

/* A copy without the padding when most of the packet is padding (its
 * packet_size field says so: still a valid CTF packet). */
static VgPacket *compact(VgPacket *p)
{
	gsize keep = (p->content_size + 7) & ~(gsize)7;
	VgPacket *n;

	if (keep > p->packet_size || p->packet_size - keep < COMPACT_MIN)
		return p;
	n = vg_packet_compact(p);
	if (!n)
		return p;	/* not the layout we know: keep it whole */
	vg_packet_unref(p);
	return n;
}

static Hist *hist_of(VgdRecorder *r, guint cpu)
{
	if (cpu >= r->n_hist) {
		r->hist = g_renew(Hist, r->hist, cpu + 1);
		for (guint i = r->n_hist; i <= cpu; i++) {
			memset(&r->hist[i], 0, sizeof(Hist));
			g_queue_init(&r->hist[i].q);
		}
		r->n_hist = cpu + 1;
	}
	return &r->hist[cpu];
}

static void hist_push(VgdRecorder *r, VgPacket *p)
{
	Hist *h = hist_of(r, p->lane);
	guint64 max_b = r->cfg->history_bytes;
	guint64 max_t = r->cfg->history_ms * 1000000ull;

	g_queue_push_tail(&h->q, p);
	h->bytes += p->packet_size;
	h->seen = TRUE;
	h->last_seq = p->seq;
	r->st.history_packets++;
	r->st.history_bytes += p->packet_size;
	/* the newest packet always stays */
	while (h->q.length > 1) {
		VgPacket *old = g_queue_peek_head(&h->q);

		/* (both bounds 0: no history beyond the newest packet,
		 * never an unbounded one) */
		if (!((max_b && h->bytes > max_b) ||
		      (max_t && p->ts_end > old->ts_end &&
		       p->ts_end - old->ts_end > max_t) ||
		      (!max_b && !max_t)))
			break;
		g_queue_pop_head(&h->q);
		h->bytes -= old->packet_size;
		r->st.history_packets--;
		r->st.history_bytes -= old->packet_size;
		vg_packet_unref(old);
	}
}

void vgd_recorder_add_packet(VgdRecorder *r, VgPacket *p)
{
	GList *l;

	if (r->finished || r->flight) {
		vg_packet_unref(p);
		return;
	}
	p = compact(p);
	for (l = r->open; l; l = l->next) {
		Request *q = l->data;

		if (!q->snapshot)
			request_take(q, p);
	}
	hist_push(r, p);
	l = r->open;
	while (l) {
		Request *q = l->data;

		l = l->next;
		if (!q->snapshot && request_ready(r, q))
			request_complete(r, q);
	}
}

/* The history packets of the window (see the top of the file). */
static void take_history(VgdRecorder *r, Request *q)
{
	for (guint c = 0; c < r->n_hist; c++) {
		Hist *h = &r->hist[c];
		GList *first = NULL;

		for (GList *l = h->q.head; l; l = l->next) {
			VgPacket *p = l->data;

			if (p->ts_end >= q->lo && p->ts_begin <= q->hi) {
				if (!first)
					first = l;
				g_ptr_array_add(q->packets, vg_packet_ref(p));
			}
			if (p->ts_end >= q->hi)
				cpu_done_set(q, c);
		}
		if (first && first->prev &&
		    ((VgPacket *)first->data)->ts_begin > q->lo)
			g_ptr_array_add(q->packets,
					vg_packet_ref(first->prev->data));
	}
}

/* ---- pure flight mode ------------------------------------------------------------ */

static void snapshot_now(VgdRecorder *r, Request *q)
{
	GError *err = NULL;
	GPtrArray *pk = r->snapshot(r->snapshot_data, &err);

	if (!pk) {
		/* report as a failed dump */
		r->open = g_list_remove(r->open, q);
		r->st.failed++;
		g_warning("dump %s: kernel buffer snapshot failed: %s "
			  "(tracing goes on)", q->path, err->message);
		if (r->last_valid && r->last_trigger == q->trigger) {
			r->last_valid = q->prev_valid;
			r->last_trigger = q->prev_last;
		}
		if (q->done)
			q->done(NULL, err, q->done_data);
		g_error_free(err);
		request_free(q);
		return;
	}
	for (guint i = 0; i < pk->len; i++) {
		VgPacket *p = pk->pdata[i];

		if (p->ts_end >= q->lo)
			g_ptr_array_add(q->packets, vg_packet_ref(p));
	}
	g_ptr_array_unref(pk);
	request_complete(r, q);
}

static gboolean on_snapshot_due(gpointer data)
{
	Request *q = data;

	q->timer_id = 0;
	snapshot_now(q->r, q);
	return G_SOURCE_REMOVE;
}

/* ---- requests: the entry point -------------------------------------------------- */

char *vgd_recorder_request(VgdRecorder *r, const char *reason, double before,
			   double after, VgdDumpDoneFunc done,
			   gpointer user_data, GDestroyNotify destroy,
			   GError **error)
{
	VgMerge *m = r->merge;
	const char *why = reason && *reason ? reason : "none given";
	guint64 trigger, b_ns, a_ns;
	Request *q;
	char *path;

	if (r->finished) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump: no flight recorder is attached to this %s",
			    r->replay ? "replay" : "session");
		goto refused;
	}
	if (after > MAX_AFTER_S) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "dump: after must be at most %d seconds (got %g)",
			    MAX_AFTER_S, after);
		goto refused;
	}
	if (r->flight) {
		trigger = mono_ns();
	} else if (m) {
		trigger = vg_merge_stats(m)->last_ts;
	} else {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump: the flight recorder has no event source");
		goto refused;
	}
	if (!r->flight && vg_merge_stats(m)->events == 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump: no events delivered yet");
		goto refused;
	}
	/* rate policy, on the trace clock (a replay decides as live did) */
	if (r->cfg->rate_limit_s && r->last_valid) {
		guint64 lim = (guint64)r->cfg->rate_limit_s * NS;
		guint64 dist = trigger > r->last_trigger ?
			       trigger - r->last_trigger :
			       r->last_trigger - trigger;

		if (dist < lim) {
			r->st.suppressed++;
			g_message("dump suppressed by the rate policy (one per "
				  "%u s; last %.1f s ago; %" G_GUINT64_FORMAT
				  " suppressed so far): %s", r->cfg->rate_limit_s,
				  dist / 1e9, r->st.suppressed, why);
			g_set_error(error, VG_ERROR, VG_ERROR_REFUSED,
				    "dump suppressed by the rate policy: the last "
				    "one was %.1f s ago (rate_limit: %u s)",
				    dist / 1e9, r->cfg->rate_limit_s);
			goto refused;
		}
	}

	/* a dump directory that cannot be made: say so now */
	if (!vgd_dumpdir_ensure(r->cfg->dump_dir, error))
		goto refused;

	/* (a before longer than any history is the whole history) */
	b_ns = before >= 0 && before < 1e9 ? (guint64)(before * 1e9)
					   : G_MAXUINT64;
	a_ns = after > 0 ? (guint64)(after * 1e9) : 0;
	q = g_new0(Request, 1);
	q->r = r;
	q->reason = g_strdup(why);
	q->trigger = trigger;
	q->lo = b_ns >= trigger ? 0 : trigger - b_ns;
	q->hi = trigger + a_ns;
	q->before = before;
	q->after = after;
	q->packets = g_ptr_array_new_with_free_func((GDestroyNotify)vg_packet_unref);
	q->cpu_done = g_byte_array_new();
	q->done = done;
	q->done_data = user_data;
	q->destroy = destroy;
	q->prev_valid = r->last_valid;
	q->prev_last = r->last_trigger;
	q->snapshot = r->flight;
	q->source = r->flight ? g_strdup("kernel buffers (flight mode snapshot)")
		    : r->replay ? g_strdup_printf("replay of %s", r->cfg->replay_dir)
		    : r->flight_channels ?
		      g_strdup("live history and the flight channels' kernel buffers (mixed mode)")
		    : g_strdup("live history");
	path = vgd_dumpdir_new_name(r->cfg->dump_dir, (gint64)trigger +
				    (r->md ? vg_metadata_clock_offset(r->md) : 0),
				    name_reserved, r);
	q->path = g_strdup(path);
	r->last_valid = TRUE;
	r->last_trigger = trigger;
	r->st.requests++;
	r->open = g_list_append(r->open, q);
	if (before >= 0)
		g_message("dump requested: %s (reason: %s; %g s before, %g s "
			  "after)", path, why, before, after > 0 ? after : 0.0);
	else
		g_message("dump requested: %s (reason: %s; all history, %g s "
			  "after)", path, why, after > 0 ? after : 0.0);

	if (q->snapshot) {
		if (a_ns)
			q->timer_id = g_timeout_add((guint)(after * 1000),
						    on_snapshot_due, q);
		else
			snapshot_now(r, q);
		return path;
	}
	take_history(r, q);
	if (!r->replay) {
		guint64 sw = (guint64)r->cfg->switch_interval_ms * 1000000ull;

		q->deadline = q->hi + MAX(2 * NS, 5 * sw);
		if (!r->tick_id)
			r->tick_id = g_timeout_add(TICK_MS, on_tick, r);
	}
	if (request_ready(r, q))
		request_complete(r, q);
	return path;

refused:
	/* (a refusal by the rate policy is logged above, at message level) */
	if (error && *error &&
	    !g_error_matches(*error, VG_ERROR, VG_ERROR_REFUSED))
		g_warning("dump (%s) failed: %s", reason && *reason ? reason :
			  "no reason", (*error)->message);
	if (done)
		done(NULL, error ? *error : NULL, user_data);
	if (destroy)
		destroy(user_data);
	return NULL;
}

/* ---- create, stats, finish --------------------------------------------------------- */

VgdRecorder *vgd_recorder_new(const VgdRecorderSetup *s)
{
	VgdRecorder *r = g_new0(VgdRecorder, 1);
	const VgdConfig *cfg = s->cfg;

	r->cfg = cfg;
	r->md = s->md;
	r->merge = s->merge;
	r->tasks = s->tasks;
	r->snapshot = s->snapshot;
	r->flight_channels = s->flight_channels;
	r->snapshot_data = s->snapshot_data;
	r->replay = cfg->replay_dir != NULL;
	r->flight = !r->replay && cfg->mode == VGD_MODE_FLIGHT;
	r->snap_last_seq = g_hash_table_new(g_direct_hash, g_direct_equal);
	vgd_dumpdir_remove_leftovers(cfg->dump_dir);
	if (!r->flight)
		g_message("flight recorder: history of %" G_GUINT64_FORMAT
			  " bytes and %" G_GUINT64_FORMAT " ms per CPU; dumps in "
			  "%s (rate limit one per %u s, keep %u dumps / %"
			  G_GUINT64_FORMAT " bytes)", cfg->history_bytes,
			  cfg->history_ms, cfg->dump_dir, cfg->rate_limit_s,
			  cfg->max_dumps, cfg->max_dump_bytes);
	return r;
}

void vgd_recorder_get_stats(const VgdRecorder *r, VgdRecorderStats *out)
{
	*out = r->st;
	out->open = g_list_length(r->open);
}

void vgd_recorder_append_status(const VgdRecorder *r, GString *s)
{
	VgdRecorderStats st;

	vgd_recorder_get_stats(r, &st);
	g_string_append_printf(s, "dumps written: %" G_GUINT64_FORMAT
			       ", failed: %" G_GUINT64_FORMAT ", suppressed: %"
			       G_GUINT64_FORMAT ", removed by retention: %"
			       G_GUINT64_FORMAT ", open: %u\n", st.written,
			       st.failed, st.suppressed, st.removed, st.open);
	if (!r->finished && !r->flight)
		g_string_append_printf(s, "history: %" G_GUINT64_FORMAT
				       " packets, %" G_GUINT64_FORMAT " bytes\n",
				       st.history_packets, st.history_bytes);
}

void vgd_recorder_finish(VgdRecorder *r)
{
	if (r->finished)
		return;
	if (r->tick_id)
		g_source_remove(r->tick_id);
	r->tick_id = 0;
	while (r->open) {
		Request *q = r->open->data;

		if (q->snapshot) {
			if (q->timer_id)
				g_source_remove(q->timer_id);
			q->timer_id = 0;
			snapshot_now(r, q);
			continue;
		}
		if (!request_ready(r, q))
			q->cut = g_strdup(r->replay ?
					  "the trace ended before the after "
					  "window did" :
					  "tracing stopped before the after "
					  "window ended");
		request_complete(r, q);
	}
	for (guint c = 0; c < r->n_hist; c++) {
		VgPacket *p;

		while ((p = g_queue_pop_head(&r->hist[c].q)))
			vg_packet_unref(p);
	}
	g_free(r->hist);
	r->hist = NULL;
	r->n_hist = 0;
	r->st.history_packets = r->st.history_bytes = 0;
	r->finished = TRUE;
}

void vgd_recorder_free(VgdRecorder *r)
{
	if (!r)
		return;
	vgd_recorder_finish(r);
	g_hash_table_destroy(r->snap_last_seq);
	g_free(r);
}
