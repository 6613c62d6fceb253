/*
 * vg-replay - replay a CTF trace directory through libvigilcore (replay
 * source, merge, task table) and print a summary in the format of
 * gen-trace's expected file:
 *
 *   events N / discarded N / class NAME COUNT ... / checksum HEX
 *
 * plus, on stderr, corrupt packets and records.  With --print N the
 * first N events are printed as text first (ts cpu tid pid comm name
 * field=value ...).  With --filter EXPR only events of classes where
 * EXPR compiles and matches are counted.
 *
 * With --live-sim SEED the packets are not pulled per CPU as a replay
 * does: they are pushed as a live source would, CPUs in a random order
 * (each CPU's own packets in sequence), with vg_merge_run() after every
 * packet, so the result depends on the watermarks holding events back.
 *
 * Exit status: 0, 1 on an error opening the trace, 3 when corrupt
 * data was met (the summary is still printed).
 */
#include "vg_testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static gint print_n, live_sim;
static char *filter_expr;
static gboolean no_tasks;

static GOptionEntry entries[] = {
	{ "print", 'p', 0, G_OPTION_ARG_INT, &print_n, "print the first N events", "N" },
	{ "filter", 'f', 0, G_OPTION_ARG_STRING, &filter_expr, "count only events matching EXPR", "EXPR" },
	{ "no-tasks", 0, 0, G_OPTION_ARG_NONE, &no_tasks, "no task table", NULL },
	{ "live-sim", 'l', 0, G_OPTION_ARG_INT, &live_sim,
	  "simulate live arrival: push packets of random CPUs (seed N) and run the merge after each", "SEED" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};

typedef struct {
	GHashTable *counts;	/* class name -> count */
	guint64 events;
	guint64 hash;
	guint64 printed;
	guint errors;
	GHashTable *filters;	/* class -> VgFilter * or NULL */
} State;

static void print_event(VgEvent *e)
{
	guint i;

	printf("%" G_GUINT64_FORMAT " %u %d %d %s %s", e->ts, e->cpu, e->tid,
	       e->task->pid, e->task->comm, e->cls->name);
	for (i = 0; i < e->cls->n_fields; i++) {
		const VgField *f = &e->cls->fields[i];
		gsize len;
		const char *s;

		switch (f->kind) {
		case VG_FIELD_INT:
			printf(" %s=%" G_GINT64_FORMAT, f->name, vg_event_int(e, i));
			break;
		case VG_FIELD_UINT:
			if (f->base == 16)
				printf(" %s=0x%" G_GINT64_MODIFIER "x", f->name, (guint64)vg_event_int(e, i));
			else
				printf(" %s=%" G_GUINT64_FORMAT, f->name, (guint64)vg_event_int(e, i));
			break;
		case VG_FIELD_CHARS:
		case VG_FIELD_STRING:
			s = vg_event_str(e, i, &len);
			printf(" %s=\"%.*s\"", f->name, (int)len, s ? s : "");
			break;
		default:
			printf(" %s=[%" G_GINT64_FORMAT ",...]", f->name, vg_event_array_int(e, i, 0));
		}
	}
	putchar('\n');
}

static void on_event(VgEvent *e, gpointer data)
{
	State *s = data;
	gpointer v;

	if (filter_expr) {
		VgFilter *f;

		if (!g_hash_table_lookup_extended(s->filters, e->cls, NULL, &v)) {
			v = vg_filter_compile(filter_expr, e->cls, NULL);
			g_hash_table_insert(s->filters, (gpointer)e->cls, v);
		}
		f = v;
		if (!f || !vg_filter_match(f, e))
			return;
	}
	if (s->printed < (guint64)print_n) {
		print_event(e);
		s->printed++;
	}
	v = g_hash_table_lookup(s->counts, e->cls->name);
	g_hash_table_insert(s->counts, e->cls->name, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(v) + 1));
	s->events++;
	s->hash = gen_event_hash(s->hash, e->ts, e->cpu, e->cls->name, e->tid,
				 e->task->pid, e->task->ppid, e->task->comm);
}

static void on_error(const GError *err, gpointer data)
{
	State *s = data;

	fprintf(stderr, "vg-replay: %s\n", err->message);
	s->errors++;
}

static GPtrArray *live_texts;

/* Every packet of every stream file, per CPU, pushed in a random
 * interleaving. */
static void simulate_live(const char *dir, VgMetadata *md, VgMerge *m, State *s)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	GPtrArray *queues = g_ptr_array_new();	/* per cpu: GQueue of packets */
	GRand *r = g_rand_new_with_seed(live_sim);
	guint left = 0, i;

	while (d && (name = g_dir_read_name(d))) {
		char *path, *text;
		gsize len, off = 0;

		if (name[0] == '.' || strcmp(name, "metadata") == 0)
			continue;
		path = g_build_filename(dir, name, NULL);
		if (!g_file_get_contents(path, &text, &len, NULL)) {
			g_free(path);
			continue;
		}
		g_ptr_array_add(live_texts, text);
		while (off < len) {
			GError *err = NULL;
			VgPacket *p = vg_packet_new_borrowed((guint8 *)text + off, len - off,
							     vg_metadata_uuid(md), path, off,
							     NULL, NULL, &err);

			if (!p) {
				on_error(err, s);
				g_error_free(err);
				break;
			}
			off += p->packet_size;
			while (queues->len <= p->cpu)
				g_ptr_array_add(queues, g_queue_new());
			g_queue_push_tail(queues->pdata[p->cpu], p);
			left++;
		}
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	while (left) {
		GQueue *q;

		do
			q = queues->pdata[g_rand_int_range(r, 0, queues->len)];
		while (g_queue_is_empty(q));
		vg_merge_push(m, g_queue_pop_head(q));
		left--;
		vg_merge_run(m);
	}
	for (i = 0; i < queues->len; i++)
		g_queue_free(queues->pdata[i]);
	g_ptr_array_free(queues, TRUE);
	/* the texts must outlive the merge: live_texts is freed after it */
	g_rand_free(r);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char **)a, *(const char **)b);
}

int main(int argc, char **argv)
{
	GOptionContext *ctx = g_option_context_new("DIR - replay a trace and summarise it");
	GError *err = NULL;
	VgReplay *r;
	VgMerge *m;
	VgTasks *tasks;
	State s = { 0 };
	GPtrArray *names;
	GHashTableIter it;
	gpointer key;
	guint i;
	guint64 discarded = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 2) {
		fprintf(stderr, "vg-replay: %s\n", err ? err->message : "usage: vg-replay [OPTION...] DIR");
		return 2;
	}
	r = vg_replay_open(argv[1], &err);
	if (!r) {
		fprintf(stderr, "vg-replay: %s\n", err->message);
		return 1;
	}
	s.counts = g_hash_table_new(g_str_hash, g_str_equal);
	s.filters = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					  (GDestroyNotify)vg_filter_free);
	s.hash = G_GUINT64_CONSTANT(14695981039346656037);
	tasks = no_tasks ? NULL : vg_tasks_new(vg_replay_metadata(r), FALSE);
	m = vg_merge_new(vg_replay_metadata(r), vg_replay_n_lanes(r), tasks, on_event, &s);
	vg_merge_set_error_func(m, on_error, &s);
	live_texts = g_ptr_array_new_with_free_func(g_free);
	if (live_sim)
		simulate_live(argv[1], vg_replay_metadata(r), m, &s);
	else
		vg_replay_attach(r, m);
	vg_merge_drain(m);
	for (i = 0; i < vg_merge_n_lanes(m); i++)
		discarded += vg_merge_lane_stats(m, i)->discarded;

	printf("events %" G_GUINT64_FORMAT "\n", s.events);
	printf("discarded %" G_GUINT64_FORMAT "\n", discarded);
	names = g_ptr_array_new();
	g_hash_table_iter_init(&it, s.counts);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(names, key);
	g_ptr_array_sort(names, cmp_str);
	for (i = 0; i < names->len; i++)
		printf("class %s %" G_GSIZE_FORMAT "\n", (char *)names->pdata[i],
		       GPOINTER_TO_SIZE(g_hash_table_lookup(s.counts, names->pdata[i])));
	printf("checksum %016" G_GINT64_MODIFIER "x\n", s.hash);
	g_ptr_array_free(names, TRUE);
	vg_merge_free(m);
	g_ptr_array_free(live_texts, TRUE);
	vg_tasks_free(tasks);
	vg_replay_free(r);
	g_hash_table_destroy(s.counts);
	g_hash_table_destroy(s.filters);
	g_option_context_free(ctx);
	return s.errors ? 3 : 0;
}
