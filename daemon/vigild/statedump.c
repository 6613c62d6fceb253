/*
 * statedump.c - a dump's statedump packet (see statedump.h).
 */
#define G_LOG_DOMAIN "vigild"

#include "statedump.h"
#include "vg_events_gen.h"	/* event names by role, from kmod/vigil_events.h */

#include <string.h>

static gint cmp_tid(gconstpointer a, gconstpointer b)
{
	gint x = GPOINTER_TO_INT(a), y = GPOINTER_TO_INT(b);

	return x < y ? -1 : x > y;
}

/* One record of cls: header, context (tid 0: vigild wrote it), then each
 * field by name from the task (or count); anything else zero/empty. */
static void put_record(VgPacketWriter *w, const VgEventClass *cls,
		       guint64 ts, const VgTask *t, guint count)
{
	vg_pw_record(w, (guint16)cls->id, ts, 0);
	for (guint i = 0; i < cls->n_fields; i++) {
		const VgField *f = &cls->fields[i];
		gint64 v = 0;

		switch (f->kind) {
		case VG_FIELD_INT:
		case VG_FIELD_UINT:
			if (t && strcmp(f->name, "tid") == 0)
				v = t->tid;
			else if (t && strcmp(f->name, "pid") == 0)
				v = t->pid;
			else if (t && strcmp(f->name, "ppid") == 0)
				v = t->ppid;
			else if (t && strcmp(f->name, "uid") == 0)
				v = t->uid;
			else if (strcmp(f->name, "count") == 0)
				v = count;
			vg_pw_uint(w, (guint64)v, f->elem_size);
			break;
		case VG_FIELD_CHARS:
			/* (at most length - 1 bytes of the name: NUL-ended) */
			if (!f->length)
				break;
			vg_pw_chars(w, t && strcmp(f->name, "comm") == 0 ?
				    t->comm : NULL, f->length - 1);
			vg_pw_u8(w, 0);
			break;
		case VG_FIELD_STRING:
			vg_pw_string(w, t && strcmp(f->name, "exe") == 0 &&
				     t->exe ? t->exe : "");
			break;
		case VG_FIELD_INT_ARRAY:
		case VG_FIELD_UINT_ARRAY:
			for (guint k = 0; k < f->length; k++)
				vg_pw_uint(w, 0, f->elem_size);
			break;
		}
	}
}

VgPacket *vgd_statedump_packet(const VgMetadata *md, VgTasks *tasks,
			       VgdDumpSum *s)
{
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
	for (l = tids; l; l = l->next) {
		const VgTask *t = vg_tasks_find(tasks, GPOINTER_TO_INT(l->data));

		/* placeholders (tids never seen in a statedump, fork or
		 * /proc) say nothing */
		if (!t || t->tid <= 0 || strcmp(t->comm, "<unknown>") == 0)
			continue;
		put_record(&w, cls, ts, t, 0);
		n++;
	}
	g_list_free(tids);
	if (!n) {
		vg_pw_abort(&w);
		return NULL;
	}
	if (end)
		put_record(&w, end, ts, NULL, n);
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
