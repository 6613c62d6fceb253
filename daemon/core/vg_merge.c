/*
 * vg_merge.c - k-way merge of packet queues in timestamp order.
 *
 * A lane is one stream instance (the packet header's stream_instance_id):
 * the packets of one CPU from one source, in time order within the lane.
 * With one source a lane is a CPU; a session reading two sources (the
 * module and the kernel's tracepoints) has two lanes per CPU, and the
 * events' CPU is the packet's cpu_id.
 *
 * Each lane with a decoded head event sits in a binary min-heap keyed by
 * (timestamp, lane).  The top is delivered when it is safe: every lane
 * without a head event (its queue ran dry) has a watermark at or past
 * the top's timestamp.  Lanes with a head event are never earlier than
 * the top, by the heap property.  The minimum watermark over the dry
 * lanes is recomputed only when a lane runs dry, gets events again or
 * moves its watermark, so the per-event cost is a heap sift.
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <string.h>

typedef struct {
	guint64 ts;
	guint lane;
} HeapEnt;

typedef struct {
	VgPacket *qhead, *qtail;	/* queued, not started */
	VgPacket *cur;			/* being read */
	VgRecordIter it;
	VgEvent ev;			/* head event when has_ev */
	gboolean has_ev;
	gboolean ended;			/* the refill said: no more */
	gboolean loading;
	guint64 wm;
	guint64 last_ts;
	gboolean seen_seq;
	guint64 last_seq;
	guint64 last_discarded;
	VgLaneStats st;
} Lane;

struct VgMerge {
	const VgMetadata *md;
	VgTasks *tasks;
	VgDeliverFunc deliver;
	gpointer deliver_data;
	VgPacketDoneFunc done;
	gpointer done_data;
	VgRefillFunc refill;
	gpointer refill_data;
	VgErrorFunc errfunc;
	gpointer err_data;
	Lane **lanes;
	guint n_lanes;
	HeapEnt *heap;
	guint heap_n;
	gboolean wm_dirty;
	guint64 wm_min;		/* over lanes without a head event */
	gboolean interrupted;
	VgTask placeholder;
	VgMergeStats st;
};

static void report(VgMerge *m, GError *err)
{
	if (m->errfunc)
		m->errfunc(err, m->err_data);
	else
		g_warning("%s", err->message);
	g_error_free(err);
}

void vg_merge_report_error(VgMerge *m, GError *err, const char *note,
			   gsize skipped)
{
	char *msg = g_strdup_printf("%s; %s (%zu bytes)", err->message, note,
				    skipped);

	g_free(err->message);
	err->message = msg;
	m->st.corrupt_packets++;
	report(m, err);
}

static void grow(VgMerge *m, guint n)
{
	guint i;

	if (n <= m->n_lanes)
		return;
	m->lanes = g_renew(Lane *, m->lanes, n);
	m->heap = g_renew(HeapEnt, m->heap, n);
	for (i = m->n_lanes; i < n; i++) {
		m->lanes[i] = g_new0(Lane, 1);
	}
	m->n_lanes = n;
	m->wm_dirty = TRUE;
}

VgMerge *vg_merge_new(const VgMetadata *md, guint n_lanes, VgTasks *tasks,
		      VgDeliverFunc deliver, gpointer user_data)
{
	VgMerge *m = g_new0(VgMerge, 1);

	m->md = md;
	m->tasks = tasks;
	m->deliver = deliver;
	m->deliver_data = user_data;
	strcpy(m->placeholder.comm, "<unknown>");
	grow(m, n_lanes ? n_lanes : 1);
	return m;
}

static void release(VgMerge *m, VgPacket *p)
{
	if (m->done)
		m->done(p, m->done_data);
	else
		vg_packet_unref(p);
}

void vg_merge_free(VgMerge *m)
{
	guint i;

	if (!m)
		return;
	for (i = 0; i < m->n_lanes; i++) {
		Lane *c = m->lanes[i];
		VgPacket *p, *n;

		if (c->cur)
			vg_packet_unref(c->cur);
		for (p = c->qhead; p; p = n) {
			n = p->next;
			p->next = NULL;
			vg_packet_unref(p);
		}
		g_free(c);
	}
	g_free(m->lanes);
	g_free(m->heap);
	g_free(m);
}

void vg_merge_set_packet_done(VgMerge *m, VgPacketDoneFunc func, gpointer data)
{
	m->done = func;
	m->done_data = data;
}

void vg_merge_set_refill(VgMerge *m, VgRefillFunc func, gpointer data)
{
	m->refill = func;
	m->refill_data = data;
}

void vg_merge_set_error_func(VgMerge *m, VgErrorFunc func, gpointer data)
{
	m->errfunc = func;
	m->err_data = data;
}

guint vg_merge_n_lanes(const VgMerge *m)
{
	return m->n_lanes;
}

const VgLaneStats *vg_merge_lane_stats(const VgMerge *m, guint lane)
{
	return lane < m->n_lanes ? &m->lanes[lane]->st : NULL;
}

const VgMergeStats *vg_merge_stats(const VgMerge *m)
{
	return &m->st;
}

void vg_merge_interrupt(VgMerge *m)
{
	m->interrupted = TRUE;
}

/* ---- heap ------------------------------------------------------------------ */

static inline gboolean less(const HeapEnt *a, const HeapEnt *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->lane < b->lane);
}

static void sift_up(VgMerge *m, guint i)
{
	HeapEnt x = m->heap[i];

	while (i > 0) {
		guint p = (i - 1) / 2;

		if (!less(&x, &m->heap[p]))
			break;
		m->heap[i] = m->heap[p];
		i = p;
	}
	m->heap[i] = x;
}

static void sift_down(VgMerge *m, guint i)
{
	HeapEnt x = m->heap[i];
	guint n = m->heap_n;

	while (1) {
		guint l = 2 * i + 1, s;

		if (l >= n)
			break;
		s = l;
		if (l + 1 < n && less(&m->heap[l + 1], &m->heap[l]))
			s = l + 1;
		if (!less(&m->heap[s], &x))
			break;
		m->heap[i] = m->heap[s];
		i = s;
	}
	m->heap[i] = x;
}

static void heap_push(VgMerge *m, guint lane, guint64 ts)
{
	m->heap[m->heap_n].ts = ts;
	m->heap[m->heap_n].lane = lane;
	m->heap_n++;
	sift_up(m, m->heap_n - 1);
}

/* ---- per-lane loading ------------------------------------------------- */

static void start_packet(VgMerge *m, Lane *c, VgPacket *p)
{
	c->st.packets++;
	if (c->seen_seq) {
		if (p->seq > c->last_seq + 1)
			c->st.lost_packets += p->seq - c->last_seq - 1;
		if (p->events_discarded > c->last_discarded)
			c->st.discarded += p->events_discarded - c->last_discarded;
	} else {
		c->st.discarded += p->events_discarded;
	}
	c->seen_seq = TRUE;
	c->last_seq = p->seq;
	c->last_discarded = p->events_discarded;
	c->cur = p;
	vg_record_iter_init(&c->it, m->md, p);
}

/* Make the lane's next event its head.  FALSE: none available now. */
static gboolean lane_load(VgMerge *m, guint lane)
{
	Lane *c = m->lanes[lane];

	c->loading = TRUE;
	while (1) {
		if (c->cur) {
			GError *err = NULL;
			int r = vg_record_iter_next(&c->it, &c->ev, &err);

			if (G_LIKELY(r == 1)) {
				c->has_ev = TRUE;
				c->loading = FALSE;
				return TRUE;
			}
			if (r < 0) {
				c->st.corrupt++;
				report(m, err);
			}
			release(m, c->cur);
			c->cur = NULL;
		}
		if (c->qhead) {
			VgPacket *p = c->qhead;

			c->qhead = p->next;
			if (!c->qhead)
				c->qtail = NULL;
			p->next = NULL;
			start_packet(m, c, p);
			continue;
		}
		if (m->refill && !c->ended) {
			if (m->refill(m, lane, m->refill_data) && c->qhead)
				continue;
			if (!c->qhead) {
				c->ended = TRUE;
				m->wm_dirty = TRUE;
			}
			continue;
		}
		break;
	}
	c->has_ev = FALSE;
	c->loading = FALSE;
	m->wm_dirty = TRUE;
	return FALSE;
}

void vg_merge_push(VgMerge *m, VgPacket *p)
{
	Lane *c;

	if (p->lane >= m->n_lanes)
		grow(m, p->lane + 1);
	c = m->lanes[p->lane];
	p->next = NULL;
	if (c->qtail)
		c->qtail->next = p;
	else
		c->qhead = p;
	c->qtail = p;
	if (p->ts_end > c->wm) {
		c->wm = p->ts_end;
		m->wm_dirty = TRUE;
	}
	c->ended = FALSE;
	if (!c->has_ev && !c->loading) {
		if (lane_load(m, p->lane))
			heap_push(m, p->lane, c->ev.ts);
		m->wm_dirty = TRUE;
	}
}

void vg_merge_set_watermark(VgMerge *m, guint lane, guint64 ts)
{
	if (lane >= m->n_lanes)
		grow(m, lane + 1);
	if (ts > m->lanes[lane]->wm) {
		m->lanes[lane]->wm = ts;
		m->wm_dirty = TRUE;
	}
}

void vg_merge_set_lane_idle(VgMerge *m, guint lane)
{
	if (lane >= m->n_lanes)
		grow(m, lane + 1);
	if (!m->lanes[lane]->ended) {
		m->lanes[lane]->ended = TRUE;
		m->wm_dirty = TRUE;
	}
}

static guint64 dry_min(VgMerge *m)
{
	if (G_UNLIKELY(m->wm_dirty)) {
		guint64 w = G_MAXUINT64;
		guint i;

		for (i = 0; i < m->n_lanes; i++) {
			Lane *c = m->lanes[i];

			if (!c->has_ev && !c->ended && c->wm < w)
				w = c->wm;
		}
		m->wm_min = w;
		m->wm_dirty = FALSE;
	}
	return m->wm_min;
}

/* ---- delivery --------------------------------------------------------- */

/* e's task, for an event of a class the task table looks at (or
 * without a table). */
G_GNUC_NO_INLINE
static void task_of_special(VgMerge *m, VgEvent *e, const VgClassLayout *L)
{
	if (!m->tasks) {
		m->placeholder.tid = e->tid;
		m->placeholder.pid = e->tid;
		e->task = &m->placeholder;
		return;
	}
	if (L->task_update)
		vg_tasks_before(m->tasks, e);
	else
		e->task = vg_tasks_get_inline(m->tasks, e->tid);
	/* a switch names a placeholder task */
	if (L->role == VG_ROLE_SWITCH && e->task->comm[0] == '<')
		vg_tasks_before(m->tasks, e);
}

static inline void deliver_one(VgMerge *m, guint lane)
{
	Lane *c = m->lanes[lane];
	VgEvent *e = &c->ev;
	const VgClassLayout *L = e->cls->priv;

	/* most events: only their task looked up */
	if (G_LIKELY(m->tasks && !L->task_role))
		e->task = vg_tasks_get_inline(m->tasks, e->tid);
	else
		task_of_special(m, e, L);
	if (G_UNLIKELY(e->ts < c->last_ts))
		c->st.out_of_order++;
	if (G_UNLIKELY(e->ts < m->st.last_ts))
		m->st.late++;
	else
		m->st.last_ts = e->ts;
	c->last_ts = e->ts;
	c->st.events++;
	m->st.events++;
	m->deliver(e, m->deliver_data);
	if (G_UNLIKELY(L->task_role) && m->tasks && L->role == VG_ROLE_EXIT)
		vg_tasks_after(m->tasks, e);
}

static guint64 run(VgMerge *m, gboolean drain)
{
	guint64 n = 0;
	guint pos;
	Lane *c;

	m->interrupted = FALSE;
	while (m->heap_n && !m->interrupted) {
		guint lane = m->heap[0].lane;

		if (!drain && m->heap[0].ts > dry_min(m))
			break;
		deliver_one(m, lane);
		n++;
		pos = 0;
		if (G_UNLIKELY(m->heap[0].lane != lane)) {
			/* the callback pushed packets of another lane */
			for (pos = 0; m->heap[pos].lane != lane; pos++)
				;
		}
		c = m->lanes[lane];
		if (G_LIKELY(vg_record_iter_next_fast(&c->it, &c->ev)) ||
		    lane_load(m, lane)) {
			HeapEnt *h = m->heap;

			h[pos].ts = c->ev.ts;
			if (G_LIKELY(pos == 0 && m->heap_n <= 2)) {
				/* one or two lanes with events: at most a swap */
				if (m->heap_n == 2 && less(&h[1], &h[0])) {
					HeapEnt x = h[0];

					h[0] = h[1];
					h[1] = x;
				}
			} else {
				sift_down(m, pos);
				if (pos)
					sift_up(m, pos);
			}
		} else {
			m->heap_n--;
			if (pos < m->heap_n) {
				m->heap[pos] = m->heap[m->heap_n];
				sift_down(m, pos);
				sift_up(m, pos);
			}
		}
	}
	return n;
}

guint64 vg_merge_run(VgMerge *m)
{
	return run(m, FALSE);
}

guint64 vg_merge_drain(VgMerge *m)
{
	guint i;

	/* With a refill, lanes that have not started yet must be asked. */
	if (m->refill) {
		for (i = 0; i < m->n_lanes; i++) {
			Lane *c = m->lanes[i];

			if (!c->has_ev && !c->ended && !c->loading &&
			    lane_load(m, i))
				heap_push(m, i, c->ev.ts);
		}
	}
	return run(m, TRUE);
}
