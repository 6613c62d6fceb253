/*
 * vg_trace.c - CTF trace directories: replay (mmap'd stream files fed
 * to a merge) and the atomic writer.
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- replay ------------------------------------------------------------ */

typedef struct {
	char *path;
	guint8 *map;
	gsize size;
	gsize pos;
	guint lane;
	guint64 first_seq;
} Stream;

struct VgReplay {
	char *dir;
	VgMetadata *md;
	GPtrArray *streams;	/* Stream * */
	GPtrArray **per_lane;	/* per lane: Stream * in order */
	guint64 *last_seq;	/* per lane: seq of the last packet pushed + 1 (0: none) */
	guint64 *last_disc;	/* per lane: its events_discarded */
	guint *cur;		/* per lane: index into per_lane[lane] */
	guint n_lanes;
	VgMerge *merge;
};

static void stream_free(gpointer p)
{
	Stream *s = p;

	if (s->map)
		munmap(s->map, s->size);
	g_free(s->path);
	g_free(s);
}

static gint cmp_stream(gconstpointer a, gconstpointer b)
{
	const Stream *x = *(Stream * const *)a, *y = *(Stream * const *)b;

	return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

static gint cmp_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* First offset >= from where a valid packet header starts, or size. */
static gsize resync(const Stream *s, const guint8 *uuid, gsize from,
		    VgPacket *hdr)
{
	guint32 magic = VIGIL_CTF_MAGIC;
	gsize pos = from;

	while (pos + 4 <= s->size) {
		const guint8 *hit = memmem(s->map + pos, s->size - pos, &magic, 4);

		if (!hit)
			break;
		pos = hit - s->map;
		if (vg_packet_check(s->map + pos, s->size - pos, uuid, s->path,
				    pos, hdr, NULL))
			return pos;
		pos++;
	}
	return s->size;
}

VgReplay *vg_replay_open(const char *dir, GError **error)
{
	VgReplay *r;
	char *mpath;
	GDir *d;
	const char *name;
	GPtrArray *names;
	guint i;

	mpath = g_build_filename(dir, "metadata", NULL);
	if (!g_file_test(mpath, G_FILE_TEST_EXISTS)) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "%s: not a trace directory (no metadata file)", dir);
		g_free(mpath);
		return NULL;
	}
	r = g_new0(VgReplay, 1);
	r->dir = g_strdup(dir);
	r->md = vg_metadata_load(mpath, error);
	g_free(mpath);
	if (!r->md) {
		vg_replay_free(r);
		return NULL;
	}
	r->streams = g_ptr_array_new_with_free_func(stream_free);
	d = g_dir_open(dir, 0, error);
	if (!d) {
		vg_replay_free(r);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(d)))
		if (name[0] != '.' && strcmp(name, "metadata") != 0)
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_name);
	for (i = 0; i < names->len; i++) {
		char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		struct stat st;
		Stream *s;
		VgPacket hdr;
		int fd;

		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
			g_free(path);
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			g_set_error(error, VG_ERROR, VG_ERROR_IO, "%s: %s", path,
				    g_strerror(errno));
			g_free(path);
			goto fail;
		}
		s = g_new0(Stream, 1);
		s->path = path;
		s->size = st.st_size;
		s->map = mmap(NULL, s->size, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (s->map == MAP_FAILED) {
			s->map = NULL;
			g_set_error(error, VG_ERROR, VG_ERROR_IO, "%s: mmap: %s",
				    path, g_strerror(errno));
			stream_free(s);
			goto fail;
		}
		madvise(s->map, s->size, MADV_SEQUENTIAL);
		/* The lane of a stream file is that of its first valid packet. */
		s->pos = resync(s, r->md->uuid, 0, &hdr);
		if (s->pos >= s->size) {
			g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
				    "%s: no valid packet in stream file", path);
			stream_free(s);
			goto fail;
		}
		s->pos = 0;	/* report what comes before the first packet */
		s->lane = hdr.lane;
		s->first_seq = hdr.seq;
		g_ptr_array_add(r->streams, s);
		if (s->lane + 1 > r->n_lanes)
			r->n_lanes = s->lane + 1;
	}
	g_ptr_array_free(names, TRUE);
	if (!r->n_lanes)
		r->n_lanes = 1;
	r->per_lane = g_new0(GPtrArray *, r->n_lanes);
	r->cur = g_new0(guint, r->n_lanes);
	r->last_seq = g_new0(guint64, r->n_lanes);
	r->last_disc = g_new0(guint64, r->n_lanes);
	for (i = 0; i < r->n_lanes; i++)
		r->per_lane[i] = g_ptr_array_new();
	for (i = 0; i < r->streams->len; i++) {
		Stream *s = g_ptr_array_index(r->streams, i);

		g_ptr_array_add(r->per_lane[s->lane], s);
	}
	for (i = 0; i < r->n_lanes; i++)
		g_ptr_array_sort(r->per_lane[i], cmp_stream);
	return r;
fail:
	g_ptr_array_free(names, TRUE);
	vg_replay_free(r);
	return NULL;
}

void vg_replay_free(VgReplay *r)
{
	guint i;

	if (!r)
		return;
	if (r->per_lane) {
		for (i = 0; i < r->n_lanes; i++)
			g_ptr_array_free(r->per_lane[i], TRUE);
		g_free(r->per_lane);
	}
	g_free(r->cur);
	g_free(r->last_seq);
	g_free(r->last_disc);
	if (r->streams)
		g_ptr_array_free(r->streams, TRUE);
	vg_metadata_free(r->md);
	g_free(r->dir);
	g_free(r);
}

VgMetadata *vg_replay_metadata(VgReplay *r)
{
	return r->md;
}

guint vg_replay_n_lanes(const VgReplay *r)
{
	return r->n_lanes;
}

/* A packet_size too large swallows the packets after it: a valid header
 * of the same lane with a later seq inside the packet's padding cuts the
 * packet there (reported; nothing after it is lost). */
static void swallowed(VgMerge *m, VgReplay *r, Stream *s, VgPacket *p)
{
	guint32 magic = VIGIL_CTF_MAGIC;
	gsize pos = s->pos + p->content_size, end = s->pos + p->packet_size;

	while (pos + 4 <= end) {
		const guint8 *hit = memmem(s->map + pos, end - pos, &magic, 4);
		VgPacket hdr;

		if (!hit)
			return;
		pos = hit - s->map;
		if (vg_packet_check(s->map + pos, s->size - pos, r->md->uuid,
				    s->path, pos, &hdr, NULL) &&
		    hdr.lane == p->lane && hdr.seq > p->seq) {
			GError *err = g_error_new(VG_ERROR, VG_ERROR_FORMAT,
				"%s offset %zu: packet_size %zu bytes runs over "
				"the packet at offset %zu (seq %" G_GUINT64_FORMAT
				"); packet cut there", s->path, s->pos,
				p->packet_size, pos, hdr.seq);

			vg_merge_report_error(m, err, "padding dropped",
					      end - pos);
			p->packet_size = pos - s->pos;
			return;
		}
		pos++;
	}
}

/* Packets of a lane come with consecutive seqs; a gap is packets lost.
 * A gap where events_discarded grew is the kernel's own, accounted
 * loss (sub-buffers overwritten: the merge's lost_packets and discarded
 * count it); any other gap is data missing from the trace. */
static void seq_gap(VgMerge *m, VgReplay *r, Stream *s, VgPacket *p)
{
	guint64 want = r->last_seq[p->lane];
	guint64 disc = r->last_disc[p->lane];

	r->last_seq[p->lane] = p->seq + 1;
	r->last_disc[p->lane] = p->events_discarded;
	if (!want || p->seq == want)
		return;
	if (p->seq > want && p->events_discarded > disc)
		return;
	if (p->seq > want)
		vg_merge_report_error(m, g_error_new(VG_ERROR, VG_ERROR_FORMAT,
			"%s offset %zu: cpu %u packet seq %" G_GUINT64_FORMAT
			" follows seq %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
			" packet%s missing", s->path, s->pos, p->cpu, p->seq,
			want - 1, p->seq - want, p->seq - want == 1 ? "" : "s"),
			"packets lost", 0);
	else
		vg_merge_report_error(m, g_error_new(VG_ERROR, VG_ERROR_FORMAT,
			"%s offset %zu: cpu %u packet seq %" G_GUINT64_FORMAT
			" after seq %" G_GUINT64_FORMAT " (out of sequence)",
			s->path, s->pos, p->cpu, p->seq, want - 1),
			"replayed anyway", 0);
}

static gboolean replay_refill(VgMerge *m, guint lane, gpointer data)
{
	VgReplay *r = data;

	if (lane >= r->n_lanes)
		return FALSE;
	while (r->cur[lane] < r->per_lane[lane]->len) {
		Stream *s = g_ptr_array_index(r->per_lane[lane], r->cur[lane]);
		GError *err = NULL;
		VgPacket *p;

		if (s->pos >= s->size) {
			r->cur[lane]++;
			continue;
		}
		p = vg_packet_new_borrowed(s->map + s->pos, s->size - s->pos,
					   r->md->uuid, s->path, s->pos,
					   NULL, NULL, &err);
		if (!p) {
			VgPacket hdr;
			gsize next = resync(s, r->md->uuid, s->pos + 1, &hdr);

			vg_merge_report_error(m, err, next < s->size ?
					      "skipped to the next packet" :
					      "rest of the file skipped", next - s->pos);
			s->pos = next;
			continue;
		}
		if (p->lane != lane) {
			err = g_error_new(VG_ERROR, VG_ERROR_FORMAT,
					  "%s offset %zu: packet of stream instance %u in the file of stream instance %u",
					  s->path, s->pos, p->lane, lane);
			vg_merge_report_error(m, err, "packet skipped", p->packet_size);
			s->pos += p->packet_size;
			vg_packet_unref(p);
			continue;
		}
		p->origin = s->path;
		swallowed(m, r, s, p);
		seq_gap(m, r, s, p);
		s->pos += p->packet_size;
		vg_merge_push(m, p);
		return TRUE;
	}
	return FALSE;
}

void vg_replay_attach(VgReplay *r, VgMerge *m)
{
	r->merge = m;
	vg_merge_set_refill(m, replay_refill, r);
}

guint64 vg_replay_run(VgReplay *r, VgTasks *tasks, VgDeliverFunc deliver,
		      gpointer user_data, VgErrorFunc errfunc,
		      gpointer err_data)
{
	VgMerge *m = vg_merge_new(r->md, r->n_lanes, tasks, deliver, user_data);
	guint64 n;

	if (errfunc)
		vg_merge_set_error_func(m, errfunc, err_data);
	vg_replay_attach(r, m);
	n = vg_merge_drain(m);
	vg_merge_free(m);
	r->merge = NULL;
	return n;
}

/* ---- writer ------------------------------------------------------------ */

struct VgWriter {
	char *path;		/* final */
	char *tmp;		/* the directory being written */
	GHashTable *fds;	/* lane -> fd + 1 */
	gboolean dead;
};

static void rm_rf(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			char *p = g_build_filename(dir, name, NULL);

			unlink(p);
			g_free(p);
		}
		g_dir_close(d);
	}
	rmdir(dir);
}

static void close_all(VgWriter *w)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, w->fds);
	while (g_hash_table_iter_next(&it, &k, &v))
		close(GPOINTER_TO_INT(v) - 1);
	g_hash_table_remove_all(w->fds);
}

static void writer_kill(VgWriter *w)
{
	close_all(w);
	if (w->tmp)
		rm_rf(w->tmp);
	w->dead = TRUE;
}

VgWriter *vg_writer_new(const char *path, GError **error)
{
	VgWriter *w;
	char *tmp;
	struct stat st;

	if (lstat(path, &st) == 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "%s: already exists (a trace is never overwritten)", path);
		return NULL;
	}
	tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
	if (!g_mkdtemp_full(tmp, 0755)) {
		int e = errno;

		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "cannot create trace directory %s: %s", path,
			    g_strerror(e));
		g_free(tmp);
		return NULL;
	}
	w = g_new0(VgWriter, 1);
	w->path = g_strdup(path);
	w->tmp = tmp;
	w->fds = g_hash_table_new(g_direct_hash, g_direct_equal);
	return w;
}

static gboolean write_all(int fd, const void *data, gsize len, int *err)
{
	const guint8 *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			return FALSE;
		}
		if (n == 0) {
			*err = ENOSPC;
			return FALSE;
		}
		p += n;
		len -= n;
	}
	return TRUE;
}

static gboolean fail_io(VgWriter *w, GError **error, const char *file,
			const char *what, int err)
{
	if (file)
		g_set_error(error, VG_ERROR, VG_ERROR_IO, "%s/%s: %s: %s (partial trace removed)",
			    w->path, file, what, g_strerror(err));
	else
		g_set_error(error, VG_ERROR, VG_ERROR_IO, "%s: %s: %s (partial trace removed)",
			    w->path, what, g_strerror(err));
	writer_kill(w);
	return FALSE;
}

gboolean vg_writer_add_data(VgWriter *w, guint lane, const void *data,
			    gsize len, GError **error)
{
	gpointer v;
	int fd, err;
	char name[32];

	if (w->dead) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "%s: writer failed before", w->path);
		return FALSE;
	}
	g_snprintf(name, sizeof(name), "stream_%u", lane);
	v = g_hash_table_lookup(w->fds, GUINT_TO_POINTER(lane));
	if (v) {
		fd = GPOINTER_TO_INT(v) - 1;
	} else {
		char *p = g_build_filename(w->tmp, name, NULL);

		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		err = errno;
		g_free(p);
		if (fd < 0)
			return fail_io(w, error, name, "create", err);
		g_hash_table_insert(w->fds, GUINT_TO_POINTER(lane),
				    GINT_TO_POINTER(fd + 1));
	}
	if (!write_all(fd, data, len, &err))
		return fail_io(w, error, name, "write", err);
	return TRUE;
}

gboolean vg_writer_add_packet(VgWriter *w, const VgPacket *p, GError **error)
{
	return vg_writer_add_data(w, p->lane, p->data, p->packet_size, error);
}

gboolean vg_writer_finish(VgWriter *w, const VgMetadata *md, GError **error)
{
	GHashTableIter it;
	gpointer k, v;
	char *text, *mp, *parent;
	gsize len;
	int fd, err, dfd;
	gboolean ok = FALSE;

	if (w->dead) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "%s: writer failed before", w->path);
		goto out;
	}
	text = vg_metadata_to_tsdl(md, &len);
	mp = g_build_filename(w->tmp, "metadata", NULL);
	fd = open(mp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	err = errno;
	g_free(mp);
	if (fd < 0) {
		g_free(text);
		fail_io(w, error, "metadata", "create", err);
		goto out;
	}
	err = 0;
	if (!write_all(fd, text, len, &err) || fsync(fd) < 0) {
		if (!err)
			err = errno;
		g_free(text);
		close(fd);
		fail_io(w, error, "metadata", "write", err);
		goto out;
	}
	g_free(text);
	if (close(fd) < 0) {
		fail_io(w, error, "metadata", "close", errno);
		goto out;
	}
	g_hash_table_iter_init(&it, w->fds);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		char name[32];

		g_snprintf(name, sizeof(name), "stream_%u", GPOINTER_TO_UINT(k));
		if (fsync(GPOINTER_TO_INT(v) - 1) < 0) {
			fail_io(w, error, name, "fsync", errno);
			goto out;
		}
	}
	close_all(w);
	dfd = open(w->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		err = errno;
		if (dfd >= 0)
			close(dfd);
		fail_io(w, error, NULL, "fsync directory", err);
		goto out;
	}
	close(dfd);
	if (rename(w->tmp, w->path) < 0) {
		fail_io(w, error, NULL, "rename into place", errno);
		goto out;
	}
	g_free(w->tmp);
	w->tmp = NULL;
	parent = g_path_get_dirname(w->path);
	dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_free(parent);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	ok = TRUE;
out:
	vg_writer_abort(w);
	return ok;
}

const char *vg_writer_work_dir(const VgWriter *w)
{
	return w->dead ? NULL : w->tmp;
}

void vg_writer_abort(VgWriter *w)
{
	if (!w)
		return;
	close_all(w);
	if (w->tmp)
		rm_rf(w->tmp);
	g_hash_table_destroy(w->fds);
	g_free(w->tmp);
	g_free(w->path);
	g_free(w);
}
