/* fuzz_replay - the trace reader and decoder (vg_trace.c, vg_packet.c,
 * vg_merge.c, vg_decode.c, vg_tasks.c): a trace directory is built from
 * the input -- a metadata file and one stream file -- and replayed; every
 * field of every event is read, syscall events are derived.
 *
 * Input: 'M', the metadata text, a NUL byte, then the stream; or, not
 * starting with 'M', the stream alone with the module's metadata of the
 * C tests (vg_testlib.h, its uuid). */
#include "fuzz_common.h"
#include "vg_testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *dir, *mpath, *spath, *std_tsdl;
static const VgMetadata *cur_md;

static void cleanup(void)
{
	unlink(mpath);
	unlink(spath);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GError *err = NULL;

	(void)argc; (void)argv;
	vg_fuzz_init();
	dir = g_dir_make_tmp("vigil-fuzz-replay-XXXXXX", &err);
	if (!dir) {
		fprintf(stderr, "fuzz_replay: %s\n", err->message);
		abort();
	}
	mpath = g_build_filename(dir, "metadata", NULL);
	spath = g_build_filename(dir, "stream_0", NULL);
	std_tsdl = vgt_tsdl(NULL);
	atexit(cleanup);
	return 0;
}

/* plain write (g_file_set_contents fsyncs: 60 runs a second) */
static void write_all(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *b = p;

	if (fd < 0) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
		abort();
	}
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w <= 0) {
			fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
			abort();
		}
		b += w;
		n -= w;
	}
	close(fd);
}

static void read_fields(VgEvent *e, guint64 *sum)
{
	for (guint i = 0; i < e->cls->n_fields; i++) {
		const VgField *f = &e->cls->fields[i];
		gsize len;
		const char *s;

		switch (f->kind) {
		case VG_FIELD_CHARS:
		case VG_FIELD_STRING:
			s = vg_event_str(e, i, &len);
			if (s && len)
				*sum += (guint8)s[len - 1];
			break;
		case VG_FIELD_INT_ARRAY:
		case VG_FIELD_UINT_ARRAY:
			for (guint k = 0; k <= f->length && k < 64; k++)
				*sum += vg_event_array_int(e, i, k);
			break;
		default:
			*sum += vg_event_int(e, i);
		}
	}
	*sum += vg_event_int(e, e->cls->n_fields + 3);	/* past the end: 0 */
	*sum += e->task->pid + e->task->comm[0];
}

static void deliver(VgEvent *e, gpointer data)
{
	VgEvent d;

	read_fields(e, data);
	if (vg_event_derive_syscall(cur_md, e, &d))
		read_fields(&d, data);
}

static void on_error(const GError *error, gpointer data)
{
	(void)error;
	(*(guint *)data)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *stream = data;
	size_t slen = size;
	GError *err = NULL;
	VgReplay *r;
	VgTasks *tasks;
	guint64 sum = 0;
	guint errors = 0;

	if (size && data[0] == 'M') {
		const uint8_t *nul = memchr(data, 0, size);

		if (!nul)
			return 0;
		write_all(mpath, data + 1, nul - data - 1);
		stream = nul + 1;
		slen = size - (nul + 1 - data);
	} else {
		write_all(mpath, std_tsdl, strlen(std_tsdl));
	}
	write_all(spath, stream, slen);
	r = vg_replay_open(dir, &err);
	if (!r) {
		g_clear_error(&err);
		return 0;
	}
	cur_md = vg_replay_metadata(r);
	tasks = vg_tasks_new(cur_md, FALSE);
	vg_replay_run(r, tasks, deliver, &sum, on_error, &errors);
	vg_tasks_free(tasks);
	vg_replay_free(r);
	return 0;
}
