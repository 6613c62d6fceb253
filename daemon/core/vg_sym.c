/*
 * vg_sym.c - callchain addresses to symbols: /proc/kallsyms for the
 * kernel, elfutils' libdwfl for processes.  See vg_sym.h.
 */
#define _GNU_SOURCE
#include "vg_sym.h"
#include "vg_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>

/* caches are dropped whole beyond these (a busy machine's many
 * short-lived processes must not grow vigild without bound) */
#define MAX_PROCS	256
#define MAX_FRAMES	(64 * 1024)

typedef struct {
	guint64 addr;
	const char *name;	/* interned */
	const char *dso;	/* interned */
	guint8 binding;
} KSym;

typedef struct {
	Dwfl *dwfl;		/* NULL: the process could not be read */
	gint64 reported;	/* g_get_monotonic_time() of the report */
	guint32 gen;		/* this process' frames in the cache */
} Proc;

/* A frame cached: kernel ones under pid 0, gen 0; a process' under its
 * Proc's gen, so that a process forgotten (exec, exit) and seen again
 * under the same pid does not get the old one's frames. */
typedef struct {
	gint32 pid;
	guint32 gen;
	guint64 ip;
} FrameKey;

static struct {
	gboolean init;
	gboolean disabled;
	GHashTable *table;	/* ip -> VgFrame *: a trace's stored symbols */
	gboolean kernel_tried;
	GArray *ksyms;		/* KSym, sorted by addr */
	GHashTable *procs;	/* pid -> Proc * */
	GHashTable *frames;	/* FrameKey * -> VgFrame * */
	guint32 next_gen;
	char boot_id[40];
} S;

static guint frame_hash(gconstpointer p)
{
	const FrameKey *k = p;

	return ((guint)(k->ip ^ (k->ip >> 32)) * 31u + (guint)k->pid) * 31u + k->gen;
}

static gboolean frame_eq(gconstpointer a, gconstpointer b)
{
	const FrameKey *x = a, *y = b;

	return x->pid == y->pid && x->gen == y->gen && x->ip == y->ip;
}

static void proc_free(gpointer p)
{
	Proc *pr = p;

	if (pr->dwfl)
		dwfl_end(pr->dwfl);
	g_free(pr);
}

static void init(void)
{
	if (S.init)
		return;
	S.init = TRUE;
	S.procs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					proc_free);
	S.frames = g_hash_table_new_full(frame_hash, frame_eq, g_free, g_free);
}

void vg_sym_set_enabled(gboolean on)
{
	S.disabled = !on;
}

gboolean vg_sym_enabled(void)
{
	return !S.disabled;
}

/* ---- kernel ----------------------------------------------------------- */

static gint ksym_cmp(gconstpointer a, gconstpointer b)
{
	const KSym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

guint vg_sym_load_kernel(const char *path, GError **error)
{
	FILE *f;
	char line[512];
	GArray *a;
	gboolean nonzero = FALSE;
	const char *kdso = g_intern_static_string("[kernel.kallsyms]");

	init();
	S.kernel_tried = TRUE;
	if (!path)
		path = "/proc/kallsyms";
	f = fopen(path, "re");
	if (!f) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "kernel symbols: cannot open %s: %s", path,
			    g_strerror(errno));
		return 0;
	}
	a = g_array_new(FALSE, FALSE, sizeof(KSym));
	while (fgets(line, sizeof(line), f)) {
		char *end, *name, *mod;
		KSym k;
		char type;

		k.addr = g_ascii_strtoull(line, &end, 16);
		if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
			continue;
		type = end[1];
		/* text symbols only: a callchain holds code addresses */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		name = end + 3;
		name[strcspn(name, "\n")] = '\0';
		mod = strchr(name, '\t');
		if (mod) {
			*mod++ = '\0';
			k.dso = g_intern_string(mod);	/* "[ext4]" */
		} else {
			k.dso = kdso;
		}
		k.name = g_intern_string(name);
		k.binding = type == 'T' ? 1 : (type == 'w' || type == 'W') ? 2 : 0;
		nonzero |= k.addr != 0;
		g_array_append_val(a, k);
	}
	fclose(f);
	if (!nonzero) {
		g_array_unref(a);
		g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
			    "kernel symbols: %s shows no addresses (kernel.kptr_restrict, "
			    "or read without CAP_SYSLOG): kernel frames keep their "
			    "addresses only", path);
		return 0;
	}
	g_array_sort(a, ksym_cmp);
	if (S.ksyms)
		g_array_unref(S.ksyms);
	S.ksyms = a;
	return a->len;
}

static void kernel_frame(guint64 ip, VgFrame *out)
{
	const KSym *k;
	guint lo = 0, hi;

	if (!S.kernel_tried) {
		GError *err = NULL;

		if (!vg_sym_load_kernel(NULL, &err)) {
			g_warning("%s", err->message);
			g_error_free(err);
		}
	}
	if (!S.ksyms || !S.ksyms->len)
		return;
	k = (const KSym *)S.ksyms->data;
	hi = S.ksyms->len;
	if (ip < k[0].addr)
		return;
	/* the last symbol at or below ip */
	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;

		if (k[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	out->sym = k[lo].name;
	out->dso = k[lo].dso;
	out->start = k[lo].addr;
	out->end = lo + 1 < S.ksyms->len ? k[lo + 1].addr : k[lo].addr + 1;
	out->binding = k[lo].binding;
}

/* ---- processes -------------------------------------------------------- */

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static void report(Proc *pr, gint32 pid)
{
	if (pr->dwfl)
		dwfl_end(pr->dwfl);
	pr->dwfl = dwfl_begin(&proc_callbacks);
	pr->reported = g_get_monotonic_time();
	if (!pr->dwfl)
		return;
	dwfl_report_begin(pr->dwfl);
	if (dwfl_linux_proc_report(pr->dwfl, pid) != 0 ||
	    dwfl_report_end(pr->dwfl, NULL, NULL) != 0) {
		dwfl_end(pr->dwfl);
		pr->dwfl = NULL;
	}
}

/* The process' modules, reported from /proc when first asked for. */
static Proc *proc_of(gint32 pid)
{
	Proc *pr = g_hash_table_lookup(S.procs, GINT_TO_POINTER(pid));

	if (!pr) {
		if (g_hash_table_size(S.procs) >= MAX_PROCS)
			g_hash_table_remove_all(S.procs);
		pr = g_new0(Proc, 1);
		pr->gen = ++S.next_gen;
		g_hash_table_insert(S.procs, GINT_TO_POINTER(pid), pr);
		report(pr, pid);
	}
	return pr;
}

static void user_frame(Proc *pr, gint32 pid, guint64 ip, VgFrame *out)
{
	Dwfl_Module *m;
	const char *name, *mname;
	GElf_Off off = 0;
	GElf_Sym sym;

	m = pr->dwfl ? dwfl_addrmodule(pr->dwfl, ip) : NULL;
	if (!m && g_get_monotonic_time() - pr->reported > G_USEC_PER_SEC) {
		/* mapped since (dlopen), or the process was gone */
		report(pr, pid);
		m = pr->dwfl ? dwfl_addrmodule(pr->dwfl, ip) : NULL;
	}
	if (!m)
		return;
	mname = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (mname)
		out->dso = g_intern_string(mname);
	memset(&sym, 0, sizeof(sym));
	name = dwfl_module_addrinfo(m, ip, &off, &sym, NULL, NULL, NULL);
	if (name && *name) {
		out->sym = g_intern_string(name);
		out->start = ip - off;
		out->end = out->start + (sym.st_size ? sym.st_size : 1);
		out->binding = GELF_ST_BIND(sym.st_info);
	}
}

void vg_sym_forget(gint32 pid)
{
	if (!S.init)
		return;
	/* its frames stay in the cache until it is dropped whole, under a
	 * gen nobody looks up again */
	g_hash_table_remove(S.procs, GINT_TO_POINTER(pid));
}

void vg_sym_frame(gint32 pid, guint64 ip, VgFrame *out)
{
	gboolean kernel = (ip >> 63) != 0;
	FrameKey key = { 0, 0, ip };
	Proc *pr = NULL;
	VgFrame *hit;

	memset(out, 0, sizeof(*out));
	out->ip = ip;
	if (S.disabled || (!kernel && pid <= 0))
		return;
	if (S.table) {
		const VgFrame *t = g_hash_table_lookup(S.table, &ip);

		if (t)
			*out = *t;
		return;
	}
	init();
	if (!kernel) {
		pr = proc_of(pid);
		key.pid = pid;
		key.gen = pr->gen;
	}
	hit = g_hash_table_lookup(S.frames, &key);
	if (hit) {
		*out = *hit;
		return;
	}
	if (kernel)
		kernel_frame(ip, out);
	else
		user_frame(pr, pid, ip, out);
	if (g_hash_table_size(S.frames) >= MAX_FRAMES)
		g_hash_table_remove_all(S.frames);
	g_hash_table_insert(S.frames, g_memdup2(&key, sizeof(key)),
			    g_memdup2(out, sizeof(*out)));
}

/* ---- symbols stored with a trace -------------------------------------- */

char *vg_sym_table_text(const guint64 *ips, guint n)
{
	GString *s = g_string_new(NULL);
	GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);

	for (guint i = 0; i < n; i++) {
		VgFrame f;

		if (!(ips[i] >> 63) || g_hash_table_contains(seen, &ips[i]))
			continue;
		g_hash_table_add(seen, (gpointer)&ips[i]);
		vg_sym_frame(0, ips[i], &f);
		if (!f.sym)
			continue;
		g_string_append_printf(s, "%" G_GINT64_MODIFIER "x %" G_GINT64_MODIFIER
				       "x %" G_GINT64_MODIFIER "x %u %s %s\n",
				       f.ip, f.start, f.end, f.binding, f.sym,
				       f.dso ? f.dso : "[unknown]");
	}
	g_hash_table_unref(seen);
	return g_string_free(s, FALSE);
}

gboolean vg_sym_use_table(const char *path, GError **error)
{
	char *text;
	char **lines;
	GHashTable *t;
	gboolean ok = TRUE;

	if (!path) {
		if (S.table)
			g_hash_table_unref(S.table);
		S.table = NULL;
		return TRUE;
	}
	if (!g_file_get_contents(path, &text, NULL, error))
		return FALSE;
	t = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; ok && lines[i]; i++) {
		char **f;
		VgFrame *fr;

		if (!*lines[i])
			continue;
		f = g_strsplit(lines[i], " ", 6);
		if (g_strv_length(f) != 6) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s:%u: expected 'IP START END BINDING NAME DSO'",
				    path, i + 1);
			ok = FALSE;
		} else {
			fr = g_new0(VgFrame, 1);
			fr->ip = g_ascii_strtoull(f[0], NULL, 16);
			fr->start = g_ascii_strtoull(f[1], NULL, 16);
			fr->end = g_ascii_strtoull(f[2], NULL, 16);
			fr->binding = (guint)g_ascii_strtoull(f[3], NULL, 10);
			fr->sym = g_intern_string(f[4]);
			fr->dso = g_intern_string(f[5]);
			g_hash_table_replace(t, &fr->ip, fr);
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
	if (!ok) {
		g_hash_table_unref(t);
		return FALSE;
	}
	if (S.table)
		g_hash_table_unref(S.table);
	S.table = t;
	S.disabled = FALSE;
	return TRUE;
}

const char *vg_sym_setup_replay(const char *dir, const VgMetadata *md)
{
	char *path;
	GError *err = NULL;
	const char *how = "none";

	if (vg_sym_trace_is_local(md)) {
		vg_sym_set_enabled(TRUE);
		return "local";
	}
	vg_sym_set_enabled(FALSE);
	path = g_build_filename(dir, VG_SYM_TABLE_NAME, NULL);
	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		if (vg_sym_use_table(path, &err)) {
			how = "table";
		} else {
			g_warning("%s", err->message);
			g_error_free(err);
		}
	}
	g_free(path);
	return how;
}

/* ---- boots and text --------------------------------------------------- */

const char *vg_sym_boot_id(void)
{
	if (!S.boot_id[0]) {
		char *t = NULL;

		if (g_file_get_contents("/proc/sys/kernel/random/boot_id", &t,
					NULL, NULL))
			g_strlcpy(S.boot_id, g_strstrip(t), sizeof(S.boot_id));
		g_free(t);
	}
	return S.boot_id;
}

gboolean vg_sym_trace_is_local(const VgMetadata *md)
{
	const char *b = vg_metadata_env(md, "vigil_boot_id");
	const char *mine = vg_sym_boot_id();

	return b && *mine && strcmp(b, mine) == 0;
}

char *vg_frame_text(const VgFrame *f)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%" G_GINT64_MODIFIER "x ", f->ip);
	if (f->sym)
		g_string_append_printf(s, "%s+0x%" G_GINT64_MODIFIER "x", f->sym,
				       f->ip - f->start);
	else
		g_string_append(s, "[unknown]");
	g_string_append_printf(s, " (%s)", f->dso ? f->dso : "[unknown]");
	return g_string_free(s, FALSE);
}
