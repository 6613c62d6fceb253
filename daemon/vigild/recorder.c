/*
 * recorder.c - the flight recorder (see recorder.h and
 * docs/flight-recorder.md).
 *
 * Every packet the merge has finished with comes here (packet hook).  It
 * is added to the open dump requests it belongs to, then to its CPU's
 * history ring, which drops its oldest packets beyond history_bytes or
 * history_ms.  Packets are refcounted: a request keeps its own
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
 */
#define G_LOG_DOMAIN "vigild"

#include "recorder.h"
#include "perl_embed.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* Keep a smaller copy of a packet when this many bytes or more of it
 * are padding (live packets are whole sub-buffers). */
#define COMPACT_MIN	4096
/* Offset of packet_size in a packet (the ABI's layout). */
#define PACKET_SIZE_OFF	(sizeof(struct vigil_packet_header) + \
			 offsetof(struct vigil_packet_context, packet_size))
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
	Vigild *d;
	const VgdConfig *cfg;
	gboolean replay;
	gboolean flight;	/* pure flight mode: snapshots, no history */
	Hist *hist;
	guint n_hist;
	GList *open;		/* Request *, in request order */
	guint tick_id;
	gboolean last_valid;	/* rate policy: trigger of the last dump */
	guint64 last_trigger;
	GHashTable *snap_last_seq;	/* flight: cpu -> last seq + 1 dumped */
	VgdRecorderStats st;
};

static VgdRecorder *the_recorder;
/* after shutdown: what END blocks and the last status see */
static VgdRecorderStats final_stats;
static gboolean have_final;

/* ---- clocks and names ------------------------------------------------ */

static guint64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (guint64)ts.tv_sec * NS + (guint64)ts.tv_nsec;
}

static gint64 clock_offset(VgdRecorder *r)
{
	const VgMetadata *md = vgd_metadata(r->d);

	return md ? vg_metadata_clock_offset(md) : 0;
}

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

static gboolean name_taken(VgdRecorder *r, const char *path)
{
	char *base = g_path_get_basename(path);
	char *dir = g_path_get_dirname(path);
	char *staging = g_strdup_printf("%s/.%s.staging", dir, base);
	struct stat st;
	gboolean taken = lstat(path, &st) == 0 || lstat(staging, &st) == 0;

	for (GList *l = r->open; l && !taken; l = l->next)
		taken = strcmp(((Request *)l->data)->path, path) == 0;
	g_free(staging);
	g_free(dir);
	g_free(base);
	return taken;
}

/* DUMP_DIR/vigil-YYYYMMDD-HHMMSS[-N], the trigger's wall-clock time in
 * UTC (a replay names its dumps as the live run did). */
static char *dump_path(VgdRecorder *r, guint64 trigger)
{
	gint64 wall = (gint64)trigger + clock_offset(r);
	time_t s = (time_t)(wall / (gint64)NS);
	struct tm tm;
	char stamp[32];
	char *path = NULL;

	gmtime_r(&s, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (guint n = 0;; n++) {
		g_free(path);
		path = n ? g_strdup_printf("%s/vigil-%s-%u", r->cfg->dump_dir,
					   stamp, n)
			 : g_strdup_printf("%s/vigil-%s", r->cfg->dump_dir, stamp);
		if (!name_taken(r, path))
			return path;
	}
}

/* ---- files ------------------------------------------------------------ */

static void rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			char *p = g_build_filename(path, name, NULL);

			if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				rm_rf(p);
			else
				unlink(p);
			g_free(p);
		}
		g_dir_close(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static gboolean ensure_dump_dir(const char *dir, GError **error)
{
	struct stat st;

	if (g_mkdir_with_parents(dir, 0700) < 0 || stat(dir, &st) < 0) {
		int e = errno;

		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump directory %s: %s", dir, g_strerror(e));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump directory %s: not a directory", dir);
		return FALSE;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0) {
		int e = errno;

		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump directory %s: chmod 0700: %s", dir,
			    g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

/* Our names: finished dumps, their staging and temporary names, and
 * dumps being removed. */
static gboolean is_dump_name(const char *name)
{
	return g_str_has_prefix(name, "vigil-") &&
	       !strstr(name, ".tmp-");
}

static gboolean is_leftover_name(const char *name)
{
	return (g_str_has_prefix(name, ".vigil-") &&
		(g_str_has_suffix(name, ".staging") ||
		 g_str_has_suffix(name, ".removing") ||
		 strstr(name, ".staging.tmp-"))) ||
	       (g_str_has_prefix(name, "vigil-") && strstr(name, ".tmp-"));
}

static void remove_leftovers(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		char *p;

		if (!is_leftover_name(name))
			continue;
		p = g_build_filename(dir, name, NULL);
		g_message("flight recorder: removing %s (left by an interrupted dump)",
			  p);
		rm_rf(p);
		g_free(p);
	}
	g_dir_close(d);
}

/* ---- retention ---------------------------------------------------------- */

typedef struct {
	char *path;
	gint64 mtime;
	guint64 bytes;
} DumpEnt;

static gint cmp_dump(gconstpointer a, gconstpointer b)
{
	const DumpEnt *x = *(DumpEnt *const *)a, *y = *(DumpEnt *const *)b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void dump_ent_free(gpointer p)
{
	DumpEnt *e = p;

	g_free(e->path);
	g_free(e);
}

/* Our finished dumps in dir (a vigil-* directory holding our summary),
 * oldest first. */
static GPtrArray *list_dumps(const char *dir)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(dump_ent_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return out;
	while ((name = g_dir_read_name(d))) {
		char *p, *sum;
		struct stat st;
		DumpEnt *e;
		GDir *sub;
		const char *f;

		if (!is_dump_name(name))
			continue;
		p = g_build_filename(dir, name, NULL);
		sum = g_build_filename(p, VGD_DUMP_SUMMARY_NAME, NULL);
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    !g_file_test(sum, G_FILE_TEST_IS_REGULAR)) {
			g_free(sum);
			g_free(p);
			continue;
		}
		g_free(sum);
		e = g_new0(DumpEnt, 1);
		e->path = p;
		e->mtime = (gint64)st.st_mtim.tv_sec * (gint64)NS +
			   st.st_mtim.tv_nsec;
		sub = g_dir_open(p, 0, NULL);
		while (sub && (f = g_dir_read_name(sub))) {
			char *fp = g_build_filename(p, f, NULL);
			struct stat fs;

			if (lstat(fp, &fs) == 0)
				e->bytes += (guint64)fs.st_size;
			g_free(fp);
		}
		if (sub)
			g_dir_close(sub);
		g_ptr_array_add(out, e);
	}
	g_dir_close(d);
	g_ptr_array_sort(out, cmp_dump);
	return out;
}

/* Remove the oldest of our dumps while there are more than max_dumps or
 * they hold more than max_dump_bytes; `keep` (the newest) always stays. */
static void apply_retention(VgdRecorder *r, const char *keep)
{
	const VgdConfig *c = r->cfg;
	GPtrArray *all;
	guint64 total = 0;
	guint n;

	if (!c->max_dumps && !c->max_dump_bytes)
		return;
	all = list_dumps(c->dump_dir);
	for (guint i = 0; i < all->len; i++)
		total += ((DumpEnt *)all->pdata[i])->bytes;
	n = all->len;
	for (guint i = 0; i < all->len; i++) {
		DumpEnt *e = all->pdata[i];
		char *base, *gone;

		if ((!c->max_dumps || n <= c->max_dumps) &&
		    (!c->max_dump_bytes || total <= c->max_dump_bytes))
			break;
		if (strcmp(e->path, keep) == 0)
			continue;
		/* out of sight first: never a half-removed dump */
		base = g_path_get_basename(e->path);
		gone = g_strdup_printf("%s/.%s.removing", c->dump_dir, base);
		if (rename(e->path, gone) < 0) {
			g_warning("retention: cannot remove %s: %s", e->path,
				  g_strerror(errno));
		} else {
			rm_rf(gone);
			n--;
			total -= e->bytes;
			r->st.removed++;
			g_message("retention: removed %s (%" G_GUINT64_FORMAT
				  " bytes; max_dumps %u, max_dump_bytes %"
				  G_GUINT64_FORMAT ")", e->path, e->bytes,
				  c->max_dumps, c->max_dump_bytes);
		}
		g_free(gone);
		g_free(base);
	}
	if (c->max_dump_bytes && total > c->max_dump_bytes)
		g_warning("retention: the newest dump alone (%s) holds more "
			  "than max_dump_bytes (%" G_GUINT64_FORMAT " > %"
			  G_GUINT64_FORMAT "); it is kept", keep, total,
			  c->max_dump_bytes);
	g_ptr_array_unref(all);
}

/* ---- the summary ---------------------------------------------------------- */

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

typedef struct {
	guint cpu;
	guint64 packets, events;
	guint64 first_seq, last_seq;
	guint64 disc_first, disc_last;
	guint64 seq_gaps;	/* packets missing between first and last */
	guint64 overwritten;	/* flight: lost before the first packet */
	gboolean any;
} CpuSum;

typedef struct {
	guint64 events, packets, bytes;
	guint64 first_ts, last_ts;
	guint64 discarded, seq_gaps, overwritten;
	guint64 corrupt;
	GArray *cpus;		/* CpuSum */
	GHashTable *tids;	/* every tid of the dump's records */
	guint statedump;	/* tasks in the added statedump */
	guint statedump_cpu;	/* its stream */
} Sum;

static gint cmp_packet(gconstpointer a, gconstpointer b)
{
	const VgPacket *x = *(VgPacket *const *)a, *y = *(VgPacket *const *)b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static void summarize(VgdRecorder *r, Request *q, Sum *s)
{
	const VgMetadata *md = vgd_metadata(r->d);
	CpuSum *cs = NULL;

	memset(s, 0, sizeof(*s));
	s->first_ts = G_MAXUINT64;
	s->cpus = g_array_new(FALSE, TRUE, sizeof(CpuSum));
	s->tids = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < q->packets->len; i++) {
		VgPacket *p = q->packets->pdata[i];
		VgRecordIter it;
		VgEvent e;
		GError *err = NULL;
		int rc;

		if (!cs || cs->cpu != p->cpu) {
			CpuSum z = { .cpu = p->cpu, .first_seq = p->seq,
				     .disc_first = p->events_discarded };

			g_array_append_val(s->cpus, z);
			cs = &g_array_index(s->cpus, CpuSum, s->cpus->len - 1);
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
		CpuSum *c = &g_array_index(s->cpus, CpuSum, i);

		if (q->snapshot) {
			gpointer v = g_hash_table_lookup(r->snap_last_seq,
							 GUINT_TO_POINTER(c->cpu));
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

static void append_time(GString *s, const char *key, guint64 ts, gint64 off)
{
	char *w = wall_text((gint64)ts + off);

	g_string_append_printf(s, "%s:\n  ns: %" G_GUINT64_FORMAT
			       "\n  wall: \"%s\"\n  wall_ns: %" G_GINT64_FORMAT
			       "\n", key, ts, w, (gint64)ts + off);
	g_free(w);
}

static char *summary_text(VgdRecorder *r, Request *q, const Sum *s)
{
	const VgMetadata *md = vgd_metadata(r->d);
	gint64 off = clock_offset(r);
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
				       g_hash_table_size(r->snap_last_seq) ?
				       "the previous snapshot" : "tracing started");
	if (s->statedump)
		g_string_append_printf(t, "statedump_tasks: %u  # vigil:statedump_"
				       "process records in stream_%u, 1 ns before "
				       "the first event (not counted above)\n",
				       s->statedump, s->statedump_cpu);
	if (s->corrupt)
		g_string_append_printf(t, "corrupt_records: %" G_GUINT64_FORMAT
				       "\n", s->corrupt);
	g_string_append(t, "cpus:\n");
	for (guint i = 0; i < s->cpus->len; i++) {
		const CpuSum *c = &g_array_index(s->cpus, CpuSum, i);

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
		if (q->snapshot)
			g_string_append_printf(t, "    packets_overwritten: %"
					       G_GUINT64_FORMAT "\n",
					       c->overwritten);
	}
	yaml_str(t, "written", now);
	g_free(now);
	return g_string_free(t, FALSE);
}

static gboolean write_file_synced(const char *path, const char *text,
				  GError **error)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	gsize len = strlen(text);
	const char *p = text;
	int e;

	if (fd < 0)
		goto fail;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			goto fail_close;
		}
		p += n;
		len -= (gsize)n;
	}
	if (fsync(fd) < 0)
		goto fail_close;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return TRUE;
fail_close:
	e = errno;
	close(fd);
	errno = e;
fail:
	e = errno;
	g_set_error(error, VG_ERROR, VG_ERROR_IO, "%s: %s", path, g_strerror(e));
	return FALSE;
}

/* ---- a statedump for the dump ------------------------------------------------ */

static void put_le(GByteArray *b, guint64 v, guint size)
{
	guint8 buf[8];

	for (guint i = 0; i < 8; i++)
		buf[i] = (guint8)(v >> (8 * i));
	g_byte_array_append(b, buf, MIN(size, 8u));
}

static gint cmp_tid(gconstpointer a, gconstpointer b)
{
	gint x = GPOINTER_TO_INT(a), y = GPOINTER_TO_INT(b);

	return x < y ? -1 : x > y;
}

/* One record of cls: header, context (tid 0: vigild wrote it), then each
 * field by name from the task (or count); anything else zero/empty. */
static void put_record(GByteArray *b, const VgEventClass *cls, guint64 ts,
		       const VgTask *t, guint count)
{
	put_le(b, cls->id, 2);
	put_le(b, ts, 8);
	put_le(b, 0, 4);
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
			put_le(b, (guint64)v, f->elem_size);
			break;
		case VG_FIELD_CHARS: {
			char *buf = g_malloc0(f->length);

			if (t && strcmp(f->name, "comm") == 0)
				strncpy(buf, t->comm, f->length - 1);
			g_byte_array_append(b, (guint8 *)buf, f->length);
			g_free(buf);
			break;
		}
		case VG_FIELD_STRING: {
			const char *str = t && strcmp(f->name, "exe") == 0 &&
					  t->exe ? t->exe : "";

			g_byte_array_append(b, (const guint8 *)str,
					    strlen(str) + 1);
			break;
		}
		case VG_FIELD_INT_ARRAY:
		case VG_FIELD_UINT_ARRAY:
			for (guint k = 0; k < f->length; k++)
				put_le(b, 0, f->elem_size);
			break;
		}
	}
}

/* A packet of vigil:statedump_process records (and a statedump_end) for
 * the known tasks whose tids the dump's events carry, as the task table
 * has them now, on a stream of its own (cpu: one past the highest), one
 * nanosecond before the first event: a replay of the dump knows its
 * processes from the start, as a replay of a whole trace does.  NULL if
 * the trace has no such event or there is nothing to say. */
static VgPacket *statedump_packet(VgdRecorder *r, Sum *s)
{
	const VgMetadata *md = vgd_metadata(r->d);
	VgTasks *tasks = vgd_tasks(r->d);
	const VgEventClass *cls, *end;
	struct vigil_packet_header h;
	struct vigil_packet_context c;
	GByteArray *b;
	GList *tids, *l;
	guint n = 0, cpu;
	gsize content, size;
	guint64 ts;
	VgPacket *p;
	GError *err = NULL;

	if (!md || !tasks || !s->events || s->first_ts == 0 || !s->cpus->len)
		return NULL;
	cls = vg_metadata_class_by_name(md, "vigil:statedump_process");
	end = vg_metadata_class_by_name(md, "vigil:statedump_end");
	if (!cls)
		return NULL;
	cpu = g_array_index(s->cpus, CpuSum, s->cpus->len - 1).cpu + 1;
	ts = s->first_ts - 1;
	b = g_byte_array_new();
	g_byte_array_set_size(b, VIGIL_PACKET_HDR_SIZE);
	tids = g_list_sort(g_hash_table_get_keys(s->tids), cmp_tid);
	for (l = tids; l; l = l->next) {
		const VgTask *t = vg_tasks_find(tasks, GPOINTER_TO_INT(l->data));

		/* placeholders (tids never seen in a statedump, fork or
		 * /proc) say nothing */
		if (!t || t->tid <= 0 || strcmp(t->comm, "<unknown>") == 0)
			continue;
		put_record(b, cls, ts, t, 0);
		n++;
	}
	g_list_free(tids);
	if (!n) {
		g_byte_array_unref(b);
		return NULL;
	}
	if (end)
		put_record(b, end, ts, NULL, n);
	content = b->len;
	size = (content + 7) & ~(gsize)7;
	g_byte_array_set_size(b, size);
	memset(b->data + content, 0, size - content);
	h.magic = GUINT32_TO_LE(VIGIL_CTF_MAGIC);
	memcpy(h.uuid, vg_metadata_uuid(md), 16);
	h.stream_id = 0;
	h.stream_instance_id = GUINT64_TO_LE((guint64)cpu);
	c.timestamp_begin = GUINT64_TO_LE(ts);
	c.timestamp_end = GUINT64_TO_LE(ts);
	c.content_size = GUINT64_TO_LE((guint64)content * 8);
	c.packet_size = GUINT64_TO_LE((guint64)size * 8);
	c.packet_seq_num = 0;
	c.events_discarded = 0;
	c.cpu_id = GUINT32_TO_LE(cpu);
	memcpy(b->data, &h, sizeof(h));
	memcpy(b->data + sizeof(h), &c, sizeof(c));
	{
		gsize len = b->len;
		guint8 *data = g_byte_array_free(b, FALSE);

		p = vg_packet_new_borrowed(data, len, NULL, "statedump", 0,
					   g_free, data, &err);
		if (!p) {
			g_warning("dump: no statedump added: %s", err->message);
			g_error_free(err);
			g_free(data);
			return NULL;
		}
	}
	s->statedump = n;
	s->statedump_cpu = cpu;
	return p;
}

/* ---- writing a dump --------------------------------------------------------- */

static gboolean write_dump(VgdRecorder *r, Request *q, GError **error)
{
	const VgMetadata *md = vgd_metadata(r->d);
	char *dir = g_path_get_dirname(q->path);
	char *base = g_path_get_basename(q->path);
	char *staging = g_strdup_printf("%s/.%s.staging", dir, base);
	char *sumpath = NULL, *text = NULL;
	VgWriter *w = NULL;
	VgPacket *sd = NULL;
	gboolean ok = FALSE;
	mode_t old_mask = umask(077);
	GError *err = NULL;
	Sum s;

	memset(&s, 0, sizeof(s));
	if (!md) {
		g_set_error(&err, VG_ERROR, VG_ERROR_IO, "no trace metadata yet");
		goto out;
	}
	if (q->packets->len == 0) {
		g_set_error(&err, VG_ERROR, VG_ERROR_IO,
			    "no events recorded in the dump's window");
		goto out;
	}
	g_ptr_array_sort(q->packets, cmp_packet);
	summarize(r, q, &s);
	if (!ensure_dump_dir(dir, &err))
		goto out;
	w = vg_writer_new(staging, &err);
	if (!w)
		goto out;
	for (guint i = 0; i < q->packets->len; i++) {
		if (!vg_writer_add_packet(w, q->packets->pdata[i], &err)) {
			vg_writer_abort(w);
			goto out;
		}
	}
	sd = statedump_packet(r, &s);
	if (sd && !vg_writer_add_packet(w, sd, &err)) {
		vg_writer_abort(w);
		goto out;
	}
	/* finish frees w and, on error, removes its output */
	if (!vg_writer_finish(w, md, &err))
		goto out;
	text = summary_text(r, q, &s);
	sumpath = g_build_filename(staging, VGD_DUMP_SUMMARY_NAME, NULL);
	if (!write_file_synced(sumpath, text, &err))
		goto out;
	fsync_dir(staging);
	if (chmod(staging, 0700) < 0) {
		int e = errno;

		g_set_error(&err, VG_ERROR, VG_ERROR_IO, "%s: chmod: %s",
			    staging, g_strerror(e));
		goto out;
	}
	if (g_file_test(q->path, G_FILE_TEST_EXISTS)) {
		g_set_error(&err, VG_ERROR, VG_ERROR_IO,
			    "already exists (a dump is never overwritten)");
		goto out;
	}
	if (rename(staging, q->path) < 0) {
		int e = errno;

		g_set_error(&err, VG_ERROR, VG_ERROR_IO, "rename %s: %s",
			    staging, g_strerror(e));
		goto out;
	}
	fsync_dir(dir);
	ok = TRUE;
	g_message("dump complete: %s (%" G_GUINT64_FORMAT " events, %"
		  G_GUINT64_FORMAT " packets, %.3f s before to %.3f s after the "
		  "trigger, %" G_GUINT64_FORMAT " discarded by the kernel; "
		  "reason: %s)", q->path, s.events, s.packets,
		  s.events ? ((double)q->trigger - (double)s.first_ts) / 1e9 : 0.0,
		  s.events ? ((double)s.last_ts - (double)q->trigger) / 1e9 : 0.0,
		  s.discarded, q->reason);
	if (q->snapshot) {
		for (guint i = 0; i < s.cpus->len; i++) {
			CpuSum *c = &g_array_index(s.cpus, CpuSum, i);

			g_hash_table_insert(r->snap_last_seq,
					    GUINT_TO_POINTER(c->cpu),
					    GSIZE_TO_POINTER((gsize)c->last_seq + 2));
		}
	}
out:
	umask(old_mask);
	if (!ok) {
		/* whatever was left: the staging directory, the writer's
		 * temporary name (removed by the writer itself) */
		if (g_file_test(staging, G_FILE_TEST_EXISTS))
			rm_rf(staging);
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump %s not written (nothing left behind): %s",
			    q->path, err->message);
		g_error_free(err);
	}
	if (s.cpus)
		g_array_unref(s.cpus);
	if (s.tids)
		g_hash_table_destroy(s.tids);
	if (sd)
		vg_packet_unref(sd);
	g_free(text);
	g_free(sumpath);
	g_free(staging);
	g_free(base);
	g_free(dir);
	return ok;
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

/* Write it, account, notify, free. */
static void request_complete(VgdRecorder *r, Request *q)
{
	GError *err = NULL;

	r->open = g_list_remove(r->open, q);
	if (write_dump(r, q, &err)) {
		r->st.written++;
		apply_retention(r, q->path);
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
	VgMerge *m = vgd_merge(r->d);

	return m ? vg_merge_n_cpus(m) : r->n_hist;
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
		cpu_done_set(q, p->cpu);
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
	guint64 bits;
	guint8 *buf;
	VgPacket *n;
	GError *err = NULL;

	if (keep > p->packet_size || p->packet_size - keep < COMPACT_MIN ||
	    keep < PACKET_SIZE_OFF + 8)
		return p;
	memcpy(&bits, p->data + PACKET_SIZE_OFF, 8);
	if (GUINT64_FROM_LE(bits) != (guint64)p->packet_size * 8)
		return p;	/* not the layout we know: keep it whole */
	buf = g_malloc(keep);
	memcpy(buf, p->data, keep);
	bits = GUINT64_TO_LE((guint64)keep * 8);
	memcpy(buf + PACKET_SIZE_OFF, &bits, 8);
	n = vg_packet_new_borrowed(buf, keep, NULL, "history", 0, g_free, buf,
				   &err);
	if (!n) {
		g_free(buf);
		g_error_free(err);
		return p;
	}
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
	Hist *h = hist_of(r, p->cpu);
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

static void on_packet(VgPacket *p, gpointer data)
{
	VgdRecorder *r = data;
	GList *l;

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
	GPtrArray *pk = vgd_snapshot(r->d, &err);

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
	VgMerge *m = vgd_merge(r->d);
	const char *why = reason && *reason ? reason : "none given";
	guint64 trigger, b_ns, a_ns;
	Request *q;
	char *path;

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
	if (!ensure_dump_dir(r->cfg->dump_dir, error))
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
		    : g_strdup("live history");
	path = dump_path(r, trigger);
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
	if (done)
		done(NULL, error ? *error : NULL, user_data);
	if (destroy)
		destroy(user_data);
	return NULL;
}

static char *dump_func(const char *reason, double before, double after,
		       VgdDumpDoneFunc done, gpointer done_data,
		       GDestroyNotify destroy, gpointer data, GError **error)
{
	return vgd_recorder_request(data, reason, before, after, done,
				    done_data, destroy, error);
}

/* ---- attach, stats, shutdown --------------------------------------------------------- */

VgdRecorder *vgd_recorder_attach(Vigild *d, const VgdConfig *cfg)
{
	VgdRecorder *r = g_new0(VgdRecorder, 1);

	r->d = d;
	r->cfg = cfg;
	r->replay = cfg->replay_dir != NULL;
	r->flight = !r->replay && cfg->mode == VGD_MODE_FLIGHT;
	r->snap_last_seq = g_hash_table_new(g_direct_hash, g_direct_equal);
	the_recorder = r;
	if (!r->flight)
		vgd_set_packet_hook(d, on_packet, r);
	vgd_set_dump_func(d, dump_func, r);
	remove_leftovers(cfg->dump_dir);
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

static gboolean current_stats(VgdRecorderStats *st)
{
	if (the_recorder)
		vgd_recorder_get_stats(the_recorder, st);
	else if (have_final)
		*st = final_stats;
	else
		return FALSE;
	return TRUE;
}

void vgd_recorder_append_status(GString *s)
{
	VgdRecorderStats st;

	if (!current_stats(&st))
		return;
	g_string_append_printf(s, "dumps written: %" G_GUINT64_FORMAT
			       ", failed: %" G_GUINT64_FORMAT ", suppressed: %"
			       G_GUINT64_FORMAT ", removed by retention: %"
			       G_GUINT64_FORMAT ", open: %u\n", st.written,
			       st.failed, st.suppressed, st.removed, st.open);
	if (the_recorder && !the_recorder->flight)
		g_string_append_printf(s, "history: %" G_GUINT64_FORMAT
				       " packets, %" G_GUINT64_FORMAT " bytes\n",
				       st.history_packets, st.history_bytes);
}

void vgd_recorder_add_stats(gpointer sink)
{
	VgdRecorderStats st;

	if (!current_stats(&st))
		return;
	vg_perl_stats_add_int(sink, "dumps_written", (gint64)st.written);
	vg_perl_stats_add_int(sink, "dumps_failed", (gint64)st.failed);
	vg_perl_stats_add_int(sink, "dumps_suppressed", (gint64)st.suppressed);
	vg_perl_stats_add_int(sink, "dumps_removed", (gint64)st.removed);
	vg_perl_stats_add_int(sink, "dumps_open", st.open);
	vg_perl_stats_add_int(sink, "history_bytes", (gint64)st.history_bytes);
}

void vgd_recorder_shutdown(Vigild *d)
{
	VgdRecorder *r = the_recorder;

	if (!r || r->d != d)
		return;
	vgd_set_packet_hook(d, NULL, NULL);
	vgd_set_dump_func(d, NULL, NULL);
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
	g_hash_table_destroy(r->snap_last_seq);
	vgd_recorder_get_stats(r, &final_stats);
	final_stats.history_packets = final_stats.history_bytes = 0;
	have_final = TRUE;
	the_recorder = NULL;
	g_free(r);
}
