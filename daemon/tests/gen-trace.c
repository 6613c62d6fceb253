/*
 * gen-trace - write a synthetic vigil CTF trace with a known expected
 * result, for replay tests and benchmarks.
 *
 *   gen-trace -o DIR [-c CPUS] [-n EVENTS] [-s SEED] [-b SUBBUF]
 *             [-d DISCARD_EVERY] [-e EXPECT_FILE] [--mix MIX]
 *
 * Events come from one global clock (strictly increasing timestamps)
 * and land on random CPUs, so every CPU's stream is in order while the
 * streams interleave; CPUs with few events have packets spanning long
 * periods (the merge must wait for them).  A statedump of a few
 * processes comes first; forks, execs and exits change the task set
 * later; sys_enter records carry paths, exec records strings.  Every
 * DISCARD_EVERY-th packet of a CPU reports discarded events and every
 * (2*DISCARD_EVERY)-th a lost packet (a sequence gap).
 *
 * The expected result (EXPECT_FILE, same format as `vg-replay`
 * prints) has the event count, discarded events, per-class counts and
 * a checksum over (ts, cpu, class, tid, pid, ppid, comm) of every event
 * in time order, so a replay that merges or tracks tasks wrongly shows.
 *
 * MIX "bench": only sys_exit/sys_enter without paths and sched_switch,
 * the shape of the benchmark.
 */
#include "vg_testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	gint32 tid, pid, ppid;
	guint32 uid;
	char comm[16];
} Task;

typedef struct {
	VgtPkt b;
	gboolean open;
	guint64 seq;
	guint64 discarded;
	guint64 packets;
	guint64 events;
} CpuState;


static char *out_dir, *expect_file, *mix;
static gint n_cpus = 4, n_events = 10000, seed = 1, subbuf = 4096, discard_every = 0;

static GOptionEntry entries[] = {
	{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "trace directory to create", "DIR" },
	{ "cpus", 'c', 0, G_OPTION_ARG_INT, &n_cpus, "number of CPUs (4)", "N" },
	{ "events", 'n', 0, G_OPTION_ARG_INT, &n_events, "events after the statedump (10000)", "N" },
	{ "seed", 's', 0, G_OPTION_ARG_INT, &seed, "random seed (1)", "N" },
	{ "subbuf", 'b', 0, G_OPTION_ARG_INT, &subbuf, "packet size in bytes (4096)", "BYTES" },
	{ "discard-every", 'd', 0, G_OPTION_ARG_INT, &discard_every,
	  "every Nth packet of a CPU reports discarded events (0: never)", "N" },
	{ "expect", 'e', 0, G_OPTION_ARG_FILENAME, &expect_file, "write the expected result here", "FILE" },
	{ "mix", 'm', 0, G_OPTION_ARG_STRING, &mix, "event mix: full (default) or bench", "MIX" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL },
};

static VgWriter *writer;
static CpuState *cpus;
static GHashTable *class_counts;
static guint64 total_events, total_discarded, hash = G_GUINT64_CONSTANT(14695981039346656037);

static void die(const char *what, GError *err)
{
	fprintf(stderr, "gen-trace: %s: %s\n", what, err ? err->message : "failed");
	if (writer)
		vg_writer_abort(writer);
	exit(1);
}

static void flush_cpu(guint c, guint64 ts_end)
{
	CpuState *s = &cpus[c];
	gsize len;
	guint8 *d;
	GError *err = NULL;

	if (!s->open)
		return;
	d = vgt_pkt_end(&s->b, subbuf, 0, ts_end, &len);
	if (!vg_writer_add_data(writer, c, d, len, &err))
		die("write", err);
	g_free(d);
	s->open = FALSE;
	s->packets++;
	s->seq++;
}

/* Make room for a record of rec bytes on cpu c. */
static VgtPkt *room(guint c, gsize rec, guint64 ts)
{
	CpuState *s = &cpus[c];

	if (rec + VIGIL_PACKET_HDR_SIZE > (gsize)subbuf) {
		fprintf(stderr, "gen-trace: a %zu-byte record does not fit a %d-byte packet\n",
			rec, subbuf);
		exit(1);
	}
	if (s->open && vg_pw_len(&s->b) + rec > (gsize)subbuf)
		flush_cpu(c, ts);
	if (!s->open) {
		if (discard_every && s->packets && s->packets % discard_every == 0) {
			s->discarded += 3;
			total_discarded += 3;
			if (s->packets % (2 * discard_every) == 0)
				s->seq++;	/* a lost packet */
		}
		memset(&s->b, 0, sizeof(s->b));
		vgt_pkt_begin(&s->b, c, s->seq, s->discarded);
		s->open = TRUE;
	}
	return &s->b;
}

static void count(const char *cls, guint64 ts, guint cpu, const Task *t)
{
	gpointer v = g_hash_table_lookup(class_counts, cls);

	g_hash_table_insert(class_counts, (gpointer)cls, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(v) + 1));
	total_events++;
	cpus[cpu].events++;
	hash = gen_event_hash(hash, ts, cpu, cls, t->tid, t->pid, t->ppid, t->comm);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char **)a, *(const char **)b);
}

int main(int argc, char **argv)
{
	GOptionContext *ctx = g_option_context_new("- write a synthetic vigil trace");
	GError *err = NULL;
	GRand *r;
	GPtrArray *tasks;
	guint64 t = 1000000;
	VgMetadata *md;
	char *tsdl;
	gint i;
	gint32 next_tid = 1000;
	gboolean bench;
	static const char *const comms[] = { "systemd", "bash", "nginx", "postgres", "sshd" };
	static const char *const irqs[] = { "eth0", "timer", "ahci[0000:00:1f.2]" };

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err))
		die("options", err);
	if (!out_dir) {
		fprintf(stderr, "gen-trace: -o DIR is required\n");
		return 2;
	}
	if (n_cpus < 1 || n_cpus > 1024 || n_events < 0 || subbuf < 256) {
		fprintf(stderr, "gen-trace: bad -c, -n or -b value\n");
		return 2;
	}
	bench = mix && strcmp(mix, "bench") == 0;
	if (mix && !bench && strcmp(mix, "full") != 0) {
		fprintf(stderr, "gen-trace: unknown --mix '%s' (full or bench)\n", mix);
		return 2;
	}
	r = g_rand_new_with_seed(seed);
	tsdl = vgt_tsdl("\tvigil_syscall_0 = \"read:fd,buf,count\";\n"
			"\tvigil_syscall_1 = \"write:fd,buf,count\";\n"
			"\tvigil_syscall_39 = \"getpid:\";\n"
			"\tvigil_syscall_257 = \"openat:dfd,filename,flags,mode\";\n");
	md = vg_metadata_parse(tsdl, strlen(tsdl), "gen-trace", &err);
	g_free(tsdl);
	if (!md)
		die("metadata", err);
	writer = vg_writer_new(out_dir, &err);
	if (!writer)
		die("create", err);
	cpus = g_new0(CpuState, n_cpus);
	class_counts = g_hash_table_new(g_str_hash, g_str_equal);
	tasks = g_ptr_array_new_with_free_func(g_free);

	/* statedump: a few processes, on cpu 0 */
	for (i = 0; i < (gint)G_N_ELEMENTS(comms); i++) {
		Task *tk = g_new0(Task, 1);
		Task dumper = { .tid = 0, .pid = 0, .ppid = 0, .comm = "swapper" };
		VgtPkt *b;
		char exe[64];

		tk->tid = tk->pid = 100 + i;
		tk->ppid = i ? 100 : 0;
		tk->uid = i * 10;
		g_strlcpy(tk->comm, comms[i], 16);
		g_snprintf(exe, sizeof(exe), "/usr/bin/%s", comms[i]);
		t += 10;
		b = room(0, 14 + 12 + 16 + 4 + 8 + strlen(exe) + 1, t);
		vgt_statedump(b, t, tk->tid, tk->pid, tk->ppid, tk->comm, tk->uid, exe);
		count("vigil:statedump_process", t, 0, &dumper);
		g_ptr_array_add(tasks, tk);
	}

	for (i = 0; i < n_events; i++) {
		guint c = g_rand_int_range(r, 0, n_cpus);
		Task *tk = g_ptr_array_index(tasks, g_rand_int_range(r, 0, tasks->len));
		guint k = g_rand_int_range(r, 0, 100);
		VgtPkt *b;

		t += g_rand_int_range(r, 1, 500);
		if (bench)
			k = k < 45 ? 0 : k < 90 ? 40 : 60;
		if (k < 30) {			/* sys_enter */
			static const gint64 nrs[] = { 0, 1, 39, 257 };
			gint64 nr = nrs[g_rand_int_range(r, 0, 4)];
			guint64 args[6] = { 3, 0x7ffc0000 + i, 4096, 0, 0, 0 };
			char path[64];

			if (bench)
				nr = 0;
			g_snprintf(path, sizeof(path), "/tmp/file-%d", i % 97);
			b = room(c, 14 + 8 + 48 + 2 + (nr == 257 ? strlen(path) + 1 : 1), t);
			vgt_sys_enter(b, t, tk->tid, nr, args, nr == 257 ? 1 : -1,
				      nr == 257 ? path : NULL);
			count("raw_syscalls:sys_enter", t, c, tk);
		} else if (k < 60) {		/* sys_exit */
			b = room(c, 14 + 16, t);
			vgt_sys_exit(b, t, tk->tid, 257, g_rand_int_range(r, -5, 100));
			count("raw_syscalls:sys_exit", t, c, tk);
		} else if (k < 75) {		/* sched_switch */
			Task *n2 = g_ptr_array_index(tasks, g_rand_int_range(r, 0, tasks->len));

			b = room(c, 14 + 16 + 4 + 4 + 8 + 16 + 4 + 4, t);
			vg_pw_record(b, VGT_SCHED_SWITCH, t, tk->tid);
			vg_pw_chars(b, tk->comm, 16);
			vg_pw_u32(b, tk->tid);
			vg_pw_u32(b, 120);
			vg_pw_u64(b, 1);
			vg_pw_chars(b, n2->comm, 16);
			vg_pw_u32(b, n2->tid);
			vg_pw_u32(b, 120);
			count("sched:sched_switch", t, c, tk);
		} else if (k < 82) {		/* irq */
			const char *nm = irqs[g_rand_int_range(r, 0, 3)];

			b = room(c, 14 + 4 + strlen(nm) + 1, t);
			vg_pw_record(b, VGT_IRQ_ENTRY, t, tk->tid);
			vg_pw_u32(b, 10 + i % 5);
			vg_pw_string(b, nm);
			count("irq:irq_handler_entry", t, c, tk);
		} else if (k < 88 && tasks->len < 200) {	/* fork */
			Task *ch = g_new0(Task, 1);
			gboolean thread = g_rand_boolean(r);

			ch->tid = next_tid++;
			ch->pid = thread ? tk->pid : ch->tid;
			ch->ppid = thread ? tk->ppid : tk->pid;
			ch->uid = tk->uid;
			memcpy(ch->comm, tk->comm, 16);
			b = room(c, 14 + 16 + 4 + 16 + 4 + 4 + 8, t);
			vg_pw_record(b, VGT_FORK, t, tk->tid);
			vg_pw_chars(b, tk->comm, 16);
			vg_pw_u32(b, tk->tid);
			vg_pw_chars(b, tk->comm, 16);
			vg_pw_u32(b, ch->tid);
			vg_pw_u32(b, ch->pid);
			vg_pw_u64(b, 1);	/* child_cgroup_id */
			count("sched:sched_process_fork", t, c, tk);
			g_ptr_array_add(tasks, ch);
		} else if (k < 92) {		/* exec */
			char file[64], *base;

			g_snprintf(file, sizeof(file), "/opt/app/bin/program-number-%d", i % 13);
			base = strrchr(file, '/') + 1;
			g_strlcpy(tk->comm, base, 16);
			b = room(c, 14 + strlen(file) + 1 + 20 + 6, t);
			vg_pw_record(b, VGT_EXEC, t, tk->tid);
			vg_pw_string(b, file);
			vg_pw_u32(b, tk->tid);
			vg_pw_u32(b, tk->tid);
			vg_pw_u32(b, tk->pid);
			vg_pw_u32(b, tk->ppid);
			vg_pw_u32(b, tk->uid);
			vg_pw_string(b, "-x -y");
			count("sched:sched_process_exec", t, c, tk);
		} else if (k < 95 && tasks->len > 8 && tk->tid >= 1000) {	/* exit */
			b = room(c, 14 + 16 + 16, t);
			vg_pw_record(b, VGT_EXIT, t, tk->tid);
			vg_pw_chars(b, tk->comm, 16);
			vg_pw_u32(b, tk->tid);
			vg_pw_u32(b, 120);
			vg_pw_u32(b, tk->pid);
			vg_pw_u32(b, 0);
			count("sched:sched_process_exit", t, c, tk);
			g_ptr_array_remove_fast(tasks, tk);
		} else {			/* page fault */
			b = room(c, 14 + 24, t);
			vg_pw_record(b, VGT_PAGE_FAULT, t, tk->tid);
			vg_pw_u64(b, 0x7f0000000000ull + i * 4096);
			vg_pw_u64(b, 0x400000 + i);
			vg_pw_u64(b, 6);
			count("exceptions:page_fault_user", t, c, tk);
		}
	}
	for (i = 0; i < n_cpus; i++)
		flush_cpu(i, t);
	if (!vg_writer_finish(writer, md, &err)) {
		writer = NULL;
		die("finish", err);
	}
	writer = NULL;

	if (expect_file) {
		GString *s = g_string_new(NULL);
		GPtrArray *names = g_ptr_array_new();
		GHashTableIter it;
		gpointer key;
		guint j;

		g_string_append_printf(s, "events %" G_GUINT64_FORMAT "\n", total_events);
		g_string_append_printf(s, "discarded %" G_GUINT64_FORMAT "\n", total_discarded);
		g_hash_table_iter_init(&it, class_counts);
		while (g_hash_table_iter_next(&it, &key, NULL))
			g_ptr_array_add(names, key);
		g_ptr_array_sort(names, cmp_str);
		for (j = 0; j < names->len; j++)
			g_string_append_printf(s, "class %s %" G_GSIZE_FORMAT "\n",
					       (char *)names->pdata[j],
					       GPOINTER_TO_SIZE(g_hash_table_lookup(class_counts,
										   names->pdata[j])));
		g_string_append_printf(s, "checksum %016" G_GINT64_MODIFIER "x\n", hash);
		if (!g_file_set_contents(expect_file, s->str, s->len, &err))
			die("expect file", err);
		g_string_free(s, TRUE);
		g_ptr_array_free(names, TRUE);
	}
	g_ptr_array_free(tasks, TRUE);
	g_hash_table_destroy(class_counts);
	g_free(cpus);
	vg_metadata_free(md);
	g_rand_free(r);
	g_option_context_free(ctx);
	return 0;
}
