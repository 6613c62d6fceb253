/*
 * statedump.c - a dump's statedump packet (see statedump.h).
 */
#define G_LOG_DOMAIN "vigild"

#include "statedump.h"
#include "hoststate.h"
#include "vg_events_gen.h"	/* event names by role, from kmod/vigil_events.h */

#include <string.h>

static gint cmp_tid(gconstpointer a, gconstpointer b)
{
	gint x = GPOINTER_TO_INT(a), y = GPOINTER_TO_INT(b);

	return x < y ? -1 : x > y;
}

/* One vigil:statedump_process record of t (tid 0 in the context:
 * vigild wrote it). */
static void put_task(VgPacketWriter *w, const VgEventClass *cls, guint64 ts,
		     const VgTask *t)
{
	VgPwField f[] = {
		{ "tid", (guint64)(gint64)t->tid, NULL },
		{ "pid", (guint64)(gint64)t->pid, NULL },
		{ "ppid", (guint64)(gint64)t->ppid, NULL },
		{ "comm", 0, t->comm },
		{ "uid", t->uid, NULL },
		{ "cgroup_id", t->cgroup ? t->cgroup->id : 0, NULL },
		{ "exe", 0, t->exe },
	};

	vg_pw_fields(w, cls, ts, 0, f, G_N_ELEMENTS(f));
}

typedef struct {
	VgPacketWriter *w;
	const VgMetadata *md;
	guint64 ts;
} CgCtx;

static void put_cgroup(const VgCgroup *c, gpointer data)
{
	CgCtx *cc = data;

	if (c->path)
		vgd_hs_cgroup(cc->w, cc->md, cc->ts, c->id, c->path);
}

VgPacket *vgd_statedump_packet(const VgMetadata *md, VgTasks *tasks,
			       VgdDumpSum *s, gboolean live, guint mmaps)
{
	GHashTable *pids;
	const VgEventClass *cls, *end;
	VgPacketWriter w;
	GList *tids, *l;
	guint n = 0, cpu;
	guint64 ts;
	VgPacket *p;
	GError *err = NULL;

	if (!md || !tasks || !s->events || s->first_ts == 0 || !s->cpus->len)
		return NULL;
	cls = vg_metadata_class_by_name(md, VG_EV_STATEDUMP);
	end = vg_metadata_class_by_name(md, VG_EV_STATEDUMP_END);
	if (!cls)
		return NULL;
	cpu = g_array_index(s->cpus, VgdCpuSum, s->cpus->len - 1).lane + 1;
	ts = s->first_ts - 1;
	vg_pw_begin(&w, vg_metadata_uuid(md), cpu, 0, 0);
	tids = g_list_sort(g_hash_table_get_keys(s->tids), cmp_tid);
	pids = g_hash_table_new(NULL, NULL);
	for (l = tids; l; l = l->next) {
		const VgTask *t = vg_tasks_find(tasks, GPOINTER_TO_INT(l->data));

		/* placeholders (tids never seen in a statedump, fork or
		 * /proc) say nothing */
		if (!t || t->tid <= 0 || strcmp(t->comm, "<unknown>") == 0)
			continue;
		put_task(&w, cls, ts, t);
		g_hash_table_add(pids, GINT_TO_POINTER(t->pid));
		n++;
	}
	g_list_free(tids);
	if (n) {
		GHashTableIter it;
		gpointer k;
		CgCtx cc = { &w, md, ts };

		/* the paths of the cgroups known (the tasks', and those of
		 * tasks gone, e.g. a clone3(CLONE_INTO_CGROUP) child's, whose
		 * fork names only the id), so that a replay elsewhere names
		 * them; and, live, what this host says now */
		vg_tasks_foreach_cgroup(tasks, put_cgroup, &cc);
		if (live) {
			s->statedump_irqs = vgd_hs_irqs(&w, md, ts);
			g_hash_table_iter_init(&it, pids);
			while (g_hash_table_iter_next(&it, &k, NULL))
				s->statedump_mmaps +=
					vgd_hs_mmaps(&w, md, ts,
						     GPOINTER_TO_INT(k), mmaps);
		}
	}
	g_hash_table_destroy(pids);
	if (!n) {
		vg_pw_abort(&w);
		return NULL;
	}
	if (end) {
		VgPwField f[] = { { "count", n, NULL } };

		vg_pw_fields(&w, end, ts, 0, f, 1);
	}
	p = vg_pw_finish(&w, 0, ts, ts, "statedump", &err);
	if (!p) {
		g_warning("dump: no statedump added: %s", err->message);
		g_error_free(err);
		return NULL;
	}
	s->statedump = n;
	s->statedump_cpu = cpu;
	return p;
}
