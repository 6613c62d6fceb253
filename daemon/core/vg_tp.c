/*
 * vg_tp.c - the kernel's tracepoints without vigil.ko: tracefs format
 * files, metadata generated from them, perf ring records, and records
 * of vigil packets made from raw tracepoint data.  See vg_tp.h.
 */
#define _GNU_SOURCE
#include "vg_tp.h"
#include "vg_internal.h"
#include "vigil_tsdl.h"
#include "vg_events_tsdl.h"	/* VG_EVFIELDS_*: from kmod/vigil_events.h */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/perf_event.h>

/* ---- format files ------------------------------------------------------ */

static gboolean ferr(GError **error, const char *origin, guint line,
		     const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean ferr(GError **error, const char *origin, guint line,
		     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, VG_ERROR, VG_ERROR_PARSE, "%s:%u: %s", origin, line,
		    msg);
	g_free(msg);
	return FALSE;
}

/* "key:NUMBER;" somewhere in s: the number, or -1. */
static gint64 attr(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	char *end;
	gint64 v;

	if (!p)
		return -1;
	p += strlen(key);
	v = g_ascii_strtoll(p, &end, 10);
	if (end == p || *end != ';' || v < 0)
		return -1;
	return v;
}

static void field_clear(VgTpField *fl)
{
	g_free(fl->name);
	g_free(fl->type);
}

void vg_tp_format_free(VgTpFormat *f)
{
	if (!f)
		return;
	for (guint i = 0; i < f->n_fields; i++)
		field_clear(&f->fields[i]);
	g_free(f->fields);
	g_free(f->system);
	g_free(f->event);
	g_free(f->name);
	g_free(f);
}

/* Split "TYPE NAME[N]" into type, name and N (-1: no brackets, 0: []).
 * FALSE if there is no name. */
static gboolean split_decl(const char *decl, char **type, char **name,
			   gint64 *count)
{
	gsize n = strlen(decl);
	gssize end = (gssize)n, i;
	const char *lb;

	while (end > 0 && g_ascii_isspace(decl[end - 1]))
		end--;
	*count = -1;
	if (end > 0 && decl[end - 1] == ']') {
		lb = memrchr(decl, '[', end);
		if (!lb)
			return FALSE;
		if (lb + 1 == decl + end - 1) {
			*count = 0;
		} else {
			char *e;

			*count = g_ascii_strtoll(lb + 1, &e, 10);
			if (e != decl + end - 1 || *count <= 0)
				return FALSE;
		}
		end = lb - decl;
	}
	i = end;
	while (i > 0 && (g_ascii_isalnum(decl[i - 1]) || decl[i - 1] == '_'))
		i--;
	if (i == end || g_ascii_isdigit(decl[i]))
		return FALSE;
	*name = g_strndup(decl + i, end - i);
	*type = g_strstrip(g_strndup(decl, i));
	return TRUE;
}

/* One "field:..." line into fl.  FALSE: an error, or *skip for a field
 * that is not handed on. */
static gboolean parse_field(const char *line, VgTpField *fl, gboolean *skip,
			    const char *origin, guint lineno, GError **error)
{
	const char *semi = strchr(line, ';');
	char *decl, *type = NULL, *name = NULL;
	gint64 off, size, sgn, count;

	*skip = FALSE;
	if (!semi)
		return ferr(error, origin, lineno, "field without ';'");
	decl = g_strndup(line, semi - line);
	if (!split_decl(decl, &type, &name, &count)) {
		ferr(error, origin, lineno, "cannot read the field declaration '%s'",
		     decl);
		g_free(decl);
		return FALSE;
	}
	g_free(decl);
	off = attr(semi, "offset:");
	size = attr(semi, "size:");
	sgn = attr(semi, "signed:");
	if (off < 0 || size < 0 || off > 65535 || size > 65535) {
		ferr(error, origin, lineno, "field %s: expected 'offset:N;' and 'size:N;'",
		     name);
		g_free(type);
		g_free(name);
		return FALSE;
	}
	memset(fl, 0, sizeof(*fl));
	fl->name = name;
	fl->type = type;
	fl->offset = (guint)off;
	fl->size = (guint)size;
	fl->is_signed = sgn == 1;
	if (g_str_has_prefix(name, "common_")) {
		*skip = TRUE;
	} else if (g_str_has_prefix(type, "__data_loc") ||
		   g_str_has_prefix(type, "__rel_loc")) {
		/* only strings: "__data_loc char[]" */
		if (size != 4 || !strstr(type, "char"))
			*skip = TRUE;
		fl->kind = VG_TP_STRING;
		fl->rel_loc = g_str_has_prefix(type, "__rel_loc");
	} else if (count == 0 || size == 0) {
		*skip = TRUE;		/* flexible array: nothing fixed */
	} else if (count > 0) {
		guint64 elem = (guint64)size / (guint64)count;

		fl->count = (guint)count;
		if (elem * count != (guint64)size) {
			fl->kind = VG_TP_BYTES;
		} else if (elem == 1 && strstr(type, "char")) {
			fl->kind = VG_TP_CHARS;
		} else if (elem == 1 || elem == 2 || elem == 4 || elem == 8) {
			fl->kind = VG_TP_ARRAY;
			fl->elem_size = (guint)elem;
		} else {
			fl->kind = VG_TP_BYTES;
		}
	} else if (size == 1 || size == 2 || size == 4 || size == 8) {
		fl->kind = strchr(type, '*') && size == 8 ? VG_TP_HEX : VG_TP_INT;
		fl->elem_size = (guint)size;
		if (fl->kind == VG_TP_HEX)
			fl->is_signed = FALSE;
	} else {
		fl->kind = VG_TP_BYTES;
	}
	if (*skip) {
		field_clear(fl);
		memset(fl, 0, sizeof(*fl));
	}
	return TRUE;
}

VgTpFormat *vg_tp_format_parse(const char *text, gsize len,
			       const char *system, const char *origin,
			       GError **error)
{
	VgTpFormat *f = g_new0(VgTpFormat, 1);
	GArray *fields = g_array_new(FALSE, TRUE, sizeof(VgTpField));
	char *copy = g_strndup(text, len);
	char **lines = g_strsplit(copy, "\n", -1);
	gboolean ok = TRUE, have_id = FALSE, in_format = FALSE;
	guint i;

	g_free(copy);
	if (memchr(text, '\0', len)) {
		ok = ferr(error, origin, 1, "NUL byte in a format file");
		goto out;
	}
	for (i = 0; lines[i] && ok; i++) {
		char *l = g_strstrip(lines[i]);

		if (g_str_has_prefix(l, "name:")) {
			g_free(f->event);
			f->event = g_strstrip(g_strdup(l + 5));
		} else if (g_str_has_prefix(l, "ID:")) {
			char *e;
			gint64 id = g_ascii_strtoll(l + 3, &e, 10);

			if (e == l + 3 || *e || id < 0 || id > 65535)
				ok = ferr(error, origin, i + 1,
					  "ID: '%s' is not a tracepoint id (0 .. 65535)",
					  l + 3);
			f->id = (guint32)id;
			f->class_id = f->id;
			have_id = TRUE;
		} else if (strcmp(l, "format:") == 0) {
			in_format = TRUE;
		} else if (g_str_has_prefix(l, "field:")) {
			VgTpField fl;
			gboolean skip;

			if (!in_format)
				ok = ferr(error, origin, i + 1, "field before 'format:'");
			else if (!parse_field(l + 6, &fl, &skip, origin, i + 1, error))
				ok = FALSE;
			else if (!skip)
				g_array_append_val(fields, fl);
		} else if (g_str_has_prefix(l, "print fmt:")) {
			break;
		} else if (*l) {
			ok = ferr(error, origin, i + 1, "unexpected line '%.40s'", l);
		}
	}
	if (ok && (!f->event || !*f->event || !have_id))
		ok = ferr(error, origin, 1, "no 'name:' and 'ID:' lines: not a tracepoint format");
	if (ok && f->id >= VG_TP_OWN_ID_MIN)
		ok = ferr(error, origin, 1, "tracepoint id %u is vigild's own (statedump)",
			  f->id);
	for (i = 0; ok && i < fields->len; i++) {
		VgTpField *a = &g_array_index(fields, VgTpField, i);

		for (guint j = 0; j < i; j++)
			if (strcmp(a->name, g_array_index(fields, VgTpField, j).name) == 0)
				ok = ferr(error, origin, 1, "field %s declared twice", a->name);
		f->min_size = MAX(f->min_size, a->offset + a->size);
	}
out:
	g_strfreev(lines);
	f->n_fields = fields->len;
	f->fields = (VgTpField *)g_array_free(fields, FALSE);
	if (!ok) {
		vg_tp_format_free(f);
		return NULL;
	}
	f->system = g_strdup(system);
	f->name = g_strdup_printf("%s:%s", system, f->event);
	return f;
}

/* ---- tracefs ---------------------------------------------------------- */

static gboolean is_events_dir(const char *d)
{
	char *p = g_build_filename(d, "header_page", NULL);
	gboolean ok = g_file_test(p, G_FILE_TEST_EXISTS);

	g_free(p);
	return ok;
}

char *vg_tp_events_dir(GError **error)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing/events",
		"/sys/kernel/debug/tracing/events",
	};
	int e;

	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++)
		if (is_events_dir(dirs[i]))
			return g_strdup(dirs[i]);
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    is_events_dir(dirs[0]))
		return g_strdup(dirs[0]);
	e = errno;
	g_set_error(error, VG_ERROR, VG_ERROR_IO,
		    "no tracefs: neither %s nor %s exists, and mounting tracefs on /sys/kernel/tracing failed (%s)",
		    dirs[0], dirs[1], g_strerror(e));
	return NULL;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *vg_tp_list(const char *events_dir, GError **error)
{
	GDir *top = g_dir_open(events_dir, 0, error);
	GPtrArray *out;
	const char *sys;

	if (!top)
		return NULL;
	out = g_ptr_array_new_with_free_func(g_free);
	while ((sys = g_dir_read_name(top))) {
		char *sd = g_build_filename(events_dir, sys, NULL);
		GDir *d = g_file_test(sd, G_FILE_TEST_IS_DIR) ?
			g_dir_open(sd, 0, NULL) : NULL;
		const char *ev;

		while (d && (ev = g_dir_read_name(d))) {
			char *fmt = g_build_filename(sd, ev, "format", NULL);

			if (g_file_test(fmt, G_FILE_TEST_IS_REGULAR))
				g_ptr_array_add(out, g_strdup_printf("%s:%s", sys, ev));
			g_free(fmt);
		}
		if (d)
			g_dir_close(d);
		g_free(sd);
	}
	g_dir_close(top);
	g_ptr_array_sort(out, cmp_str);
	return out;
}

VgTpFormat *vg_tp_format_load(const char *events_dir, const char *name,
			      GError **error)
{
	const char *colon = strchr(name, ':');
	char *sys, *path, *text;
	GError *ferr = NULL;
	gsize len;
	VgTpFormat *f;

	if (!colon || colon == name || !colon[1] || strchr(colon + 1, ':') ||
	    strchr(name, '/') || strstr(name, "..")) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "'%s' is not a tracepoint name (subsystem:event)", name);
		return NULL;
	}
	sys = g_strndup(name, colon - name);
	path = g_build_filename(events_dir, sys, colon + 1, "format", NULL);
	if (!g_file_get_contents(path, &text, &len, &ferr)) {
		if (g_error_matches(ferr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "no such tracepoint in this kernel: %s (no %s)",
				    name, path);
		else
			g_set_error(error, VG_ERROR, VG_ERROR_IO,
				    "tracepoint %s: %s", name, ferr->message);
		g_error_free(ferr);
		g_free(sys);
		g_free(path);
		return NULL;
	}
	f = vg_tp_format_parse(text, len, sys, path, error);
	g_free(text);
	g_free(sys);
	g_free(path);
	return f;
}

/* ---- metadata --------------------------------------------------------- */

static gboolean tsdl_keyword(const char *s)
{
	static const char *const kw[] = {
		"align", "callsite", "const", "char", "clock", "double", "enum",
		"env", "event", "floating_point", "float", "integer", "int",
		"long", "short", "signed", "stream", "string", "struct", "trace",
		"typealias", "typedef", "unsigned", "variant", "void", "_Bool",
		"_Complex", "_Imaginary", "bool", "size", "map", "base",
		"encoding", "byte_order", "exp_dig", "mant_dig",
	};

	for (guint i = 0; i < G_N_ELEMENTS(kw); i++)
		if (strcmp(s, kw[i]) == 0)
			return TRUE;
	return FALSE;
}

static void put_name(GString *s, const char *name)
{
	if (name[0] == '_' || tsdl_keyword(name))
		g_string_append_c(s, '_');
	g_string_append(s, name);
}

static void put_quoted(GString *s, const char *v)
{
	g_string_append_c(s, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			g_string_append_printf(s, "\\%c", *v);
		else if ((guchar)*v < 0x20)
			g_string_append_printf(s, "\\x%02x", (guchar)*v);
		else
			g_string_append_c(s, *v);
	}
	g_string_append_c(s, '"');
}

static const char *int_type(guint size, gboolean sgn)
{
	switch (size) {
	case 1: return sgn ? "int8_t" : "uint8_t";
	case 2: return sgn ? "int16_t" : "uint16_t";
	case 4: return sgn ? "int32_t" : "uint32_t";
	default: return sgn ? "int64_t" : "uint64_t";
	}
}

/* The event blocks of formats (ids: their class_id). */
static void put_events(GString *s, GPtrArray *formats)
{
	for (guint i = 0; formats && i < formats->len; i++) {
		const VgTpFormat *f = formats->pdata[i];

		g_string_append(s, "event {\n\tname = ");
		put_quoted(s, f->name);
		g_string_append_printf(s, ";\n\tid = %u;\n\tstream_id = 0;\n"
				       "\tfields := struct {\n", f->class_id);
		for (guint k = 0; k < f->n_fields; k++) {
			const VgTpField *fl = &f->fields[k];

			g_string_append(s, "\t\t");
			switch (fl->kind) {
			case VG_TP_INT:
				g_string_append_printf(s, "%s ",
					int_type(fl->elem_size, fl->is_signed));
				put_name(s, fl->name);
				break;
			case VG_TP_HEX:
				g_string_append(s, "uint64_hex_t ");
				put_name(s, fl->name);
				break;
			case VG_TP_CHARS:
				g_string_append(s, "char_t ");
				put_name(s, fl->name);
				g_string_append_printf(s, "[%u]", fl->count);
				break;
			case VG_TP_ARRAY:
				g_string_append_printf(s, "%s ",
					int_type(fl->elem_size, fl->is_signed));
				put_name(s, fl->name);
				g_string_append_printf(s, "[%u]", fl->count);
				break;
			case VG_TP_BYTES:
				g_string_append(s, "uint8_t ");
				put_name(s, fl->name);
				g_string_append_printf(s, "[%u]", fl->size);
				break;
			case VG_TP_STRING:
				g_string_append(s, "string ");
				put_name(s, fl->name);
				break;
			}
			g_string_append(s, ";\n");
		}
		if (f->callchain)
			g_string_append(s, "\t\tuint16_t " VG_CALLCHAIN_DEPTH_FIELD ";\n"
					"\t\tuint64_hex_t " VG_CALLCHAIN_FIELD "["
					VG_CALLCHAIN_DEPTH_FIELD "];\n");
		g_string_append(s, "\t};\n};\n\n");
	}
}

char *vg_tp_tsdl_events(GPtrArray *formats)
{
	GString *s = g_string_new(NULL);

	put_events(s, formats);
	return g_string_free(s, FALSE);
}

/* vigild's own events, their fields as the event table has them. */
static void put_own_events(GString *s)
{
	static const struct { const char *name; guint id; const char *fields; } own[] = {
		{ "vigil:statedump_process", VG_TP_STATEDUMP_ID,
		  VG_EVFIELDS_statedump_process },
		{ "vigil:statedump_end", VG_TP_STATEDUMP_END_ID,
		  VG_EVFIELDS_statedump_end },
		{ "vigil:statedump_cgroup", VG_TP_STATEDUMP_CGROUP_ID,
		  VG_EVFIELDS_statedump_cgroup },
		{ "vigil:statedump_irq", VG_TP_STATEDUMP_IRQ_ID,
		  VG_EVFIELDS_statedump_irq },
		{ "vigil:statedump_mmap", VG_TP_STATEDUMP_MMAP_ID,
		  VG_EVFIELDS_statedump_mmap },
	};

	for (guint i = 0; i < G_N_ELEMENTS(own); i++)
		g_string_append_printf(s, "event {\n\tname = \"%s\";\n\tid = %u;\n"
				       "\tstream_id = 0;\n\tfields := struct {\n"
				       "%s\t};\n};\n\n", own[i].name, own[i].id,
				       own[i].fields);
}

char *vg_tp_tsdl(GPtrArray *formats, const guint8 *uuid, gint64 clock_offset)
{
	GString *s = g_string_new(NULL);
	char us[37];
	struct utsname u;

	g_snprintf(us, sizeof(us),
		   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		   uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5],
		   uuid[6], uuid[7], uuid[8], uuid[9], uuid[10], uuid[11],
		   uuid[12], uuid[13], uuid[14], uuid[15]);
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	/* the fixed parts are vigil.ko's (kmod/vigil_tsdl.h) */
	g_string_append(s, VIGIL_TSDL_PREAMBLE VIGIL_TSDL_TRACE_HEAD);
	g_string_append_printf(s, "\tuuid = \"%s\";\n", us);
	g_string_append(s, VIGIL_TSDL_TRACE_TAIL);
	g_string_append(s, "env {\n\thostname = ");
	put_quoted(s, u.nodename);
	g_string_append(s, ";\n\tdomain = \"kernel\";\n\tsysname = ");
	put_quoted(s, u.sysname);
	g_string_append(s, ";\n\tkernel_release = ");
	put_quoted(s, u.release);
	g_string_append(s, ";\n\tkernel_version = ");
	put_quoted(s, u.version);
	g_string_append(s, ";\n\ttracer_name = \"vigil\";\n\ttracer_major = 1;\n"
			"\ttracer_minor = 0;\n\tvigil_source = \"kernel\";\n};\n\n");
	g_string_append_printf(s,
		"clock {\n\tname = \"monotonic\";\n\tuuid = \"%s\";\n"
		"\tdescription = \"CLOCK_MONOTONIC (perf use_clockid)\";\n"
		"\tfreq = 1000000000;\n\tprecision = 1;\n\toffset_s = 0;\n"
		"\toffset = %" G_GINT64_FORMAT ";\n\tabsolute = FALSE;\n};\n\n",
		us, clock_offset);
	g_string_append(s, VIGIL_TSDL_STREAM);
	put_events(s, formats);
	put_own_events(s);
	return g_string_free(s, FALSE);
}

/* ---- kernel filters ---------------------------------------------------- */

static gboolean kf_field(const VgTpFormat *f, const char *name, gsize len)
{
	for (guint i = 0; i < f->n_fields; i++) {
		const VgTpField *fl = &f->fields[i];

		if (strlen(fl->name) == len && strncmp(fl->name, name, len) == 0)
			return fl->kind == VG_TP_INT || fl->kind == VG_TP_HEX;
	}
	return FALSE;
}

char *vg_tp_kernel_filter(const VgTpFormat *f, const char *expr)
{
	static const char *const ops[] = {
		"==", "!=", "<=", ">=", "&&", "||", "<", ">", "&", "!", "(", ")",
	};
	const char *s = expr;
	guint operands = 0;

	while (*s) {
		gsize n = 0;

		if (g_ascii_isspace(*s)) {
			s++;
			continue;
		}
		if (g_ascii_isalpha(*s) || *s == '_') {
			while (g_ascii_isalnum(s[n]) || s[n] == '_')
				n++;
			if (!kf_field(f, s, n))
				return NULL;
			operands++;
			s += n;
			continue;
		}
		if (g_ascii_isdigit(*s) || (*s == '-' && g_ascii_isdigit(s[1]))) {
			n = *s == '-';
			if (s[n] == '0' && (s[n + 1] == 'x' || s[n + 1] == 'X')) {
				n += 2;
				if (!g_ascii_isxdigit(s[n]))
					return NULL;
				while (g_ascii_isxdigit(s[n]))
					n++;
			} else {
				/* 010 is octal to the kernel, 10 to us */
				if (s[n] == '0' && g_ascii_isdigit(s[n + 1]))
					return NULL;
				while (g_ascii_isdigit(s[n]))
					n++;
			}
			if (g_ascii_isalnum(s[n]) || s[n] == '_')
				return NULL;
			operands++;
			s += n;
			continue;
		}
		for (n = 0; n < G_N_ELEMENTS(ops); n++)
			if (strncmp(s, ops[n], strlen(ops[n])) == 0)
				break;
		if (n == G_N_ELEMENTS(ops))
			return NULL;
		s += strlen(ops[n]);
	}
	return operands ? g_strdup(expr) : NULL;
}

/* ---- records ---------------------------------------------------------- */

gboolean vg_tp_write_record(VgPacketWriter *w, const VgTpFormat *f,
			    guint64 ts, gint32 tid, const guint8 *raw,
			    gsize raw_len, GError **error)
{
	return vg_tp_write_record_chain(w, f, ts, tid, raw, raw_len, NULL, 0,
					error);
}

gboolean vg_tp_write_record_chain(VgPacketWriter *w, const VgTpFormat *f,
				  guint64 ts, gint32 tid, const guint8 *raw,
				  gsize raw_len, const guint8 *chain, guint64 n,
				  GError **error)
{
	/* strings are checked before anything is written */
	const char *str[64];
	gsize slen[64];
	guint ns = 0;

	if (raw_len < f->min_size) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "%s: sample of %zu bytes, the format needs %u",
			    f->name, raw_len, f->min_size);
		return FALSE;
	}
	for (guint k = 0; k < f->n_fields; k++) {
		const VgTpField *fl = &f->fields[k];
		guint32 loc;
		gsize off, n;

		if (fl->kind != VG_TP_STRING)
			continue;
		if (ns == G_N_ELEMENTS(str)) {
			g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
				    "%s: more than %u string fields", f->name, ns);
			return FALSE;
		}
		memcpy(&loc, raw + fl->offset, 4);
		off = loc & 0xffff;
		n = loc >> 16;
		if (fl->rel_loc)
			off += fl->offset + 4;
		if (off > raw_len || n > raw_len - off) {
			g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
				    "%s: string %s (%zu bytes at %zu) outside the sample of %zu bytes",
				    f->name, fl->name, n, off, raw_len);
			return FALSE;
		}
		str[ns] = (const char *)raw + off;
		slen[ns] = strnlen(str[ns], n);
		ns++;
	}
	vg_pw_record(w, (guint16)f->class_id, ts, tid);
	ns = 0;
	for (guint k = 0; k < f->n_fields; k++) {
		const VgTpField *fl = &f->fields[k];

		if (fl->kind == VG_TP_STRING) {
			vg_pw_put(w, str[ns], slen[ns]);
			vg_pw_u8(w, 0);
			ns++;
		} else {
			/* the host is little-endian like the trace (x86-64,
			 * arm64): integers are copied as they are */
			vg_pw_put(w, raw + fl->offset, fl->size);
		}
	}
	if (f->callchain) {
		/* perf's context markers (PERF_CONTEXT_KERNEL, _USER, ...:
		 * the last 4095 values) are left out: an address's top bit
		 * says whose it is */
		guint16 depth = 0, put = 0;
		guint64 i, ip;

		for (i = 0; i < n && depth < G_MAXUINT16; i++) {
			memcpy(&ip, chain + i * 8, 8);
			depth += ip < (guint64)PERF_CONTEXT_MAX;
		}
		vg_pw_u16(w, depth);
		for (i = 0; i < n && put < depth; i++) {
			memcpy(&ip, chain + i * 8, 8);
			if (ip >= (guint64)PERF_CONTEXT_MAX)
				continue;
			vg_pw_u64(w, ip);
			put++;
		}
	}
	return TRUE;
}

gint32 vg_tp_raw_type(const guint8 *raw, gsize len)
{
	guint16 t;

	if (len < 2)
		return -1;
	memcpy(&t, raw, 2);
	return t;
}

gboolean vg_tp_record_ident(const guint8 *rec, gsize len, guint64 *id)
{
	struct perf_event_header h;

	if (len < sizeof(h) + 8)
		return FALSE;
	memcpy(&h, rec, sizeof(h));
	if (h.type != PERF_RECORD_SAMPLE)
		return FALSE;
	memcpy(id, rec + sizeof(h), 8);
	return TRUE;
}

gboolean vg_tp_parse_record(const guint8 *rec, gsize len, VgTpRecord *out,
			    GError **error)
{
	return vg_tp_parse_record_as(rec, len, 0, out, error);
}

gboolean vg_tp_parse_record_as(const guint8 *rec, gsize len, guint flags,
			       VgTpRecord *out, GError **error)
{
	struct perf_event_header h;
	const guint8 *p, *end;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h)) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "perf record of %zu bytes", len);
		return FALSE;
	}
	memcpy(&h, rec, sizeof(h));
	if (h.size != len || h.size < sizeof(h)) {
		g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
			    "perf record size %u, %zu bytes given", h.size, len);
		return FALSE;
	}
	out->type = h.type;
	p = rec + sizeof(h);
	end = rec + len;
#define TAKE(dst, n) do {						\
		if ((gsize)(end - p) < (n)) goto short_rec;		\
		memcpy((dst), p, (n));					\
		p += (n);						\
	} while (0)
	if (h.type == PERF_RECORD_LOST) {
		TAKE(&out->id, 8);
		TAKE(&out->lost, 8);
		return TRUE;
	}
	if (h.type != PERF_RECORD_SAMPLE)
		return FALSE;
	{
		guint32 res;

		TAKE(&out->id, 8);		/* IDENTIFIER */
		TAKE(&out->pid, 4);		/* TID */
		TAKE(&out->tid, 4);
		TAKE(&out->time, 8);		/* TIME */
		TAKE(&out->cpu, 4);		/* CPU */
		TAKE(&res, 4);
		if (flags & VG_TP_REC_CALLCHAIN) {
			TAKE(&out->chain_nr, 8);	/* CALLCHAIN */
			if ((guint64)(end - p) / 8 < out->chain_nr)
				goto short_rec;
			out->chain = p;
			p += out->chain_nr * 8;
		}
		TAKE(&out->raw_size, 4);	/* RAW */
		if ((gsize)(end - p) < out->raw_size)
			goto short_rec;
		out->raw = p;
	}
#undef TAKE
	return TRUE;
short_rec:
	g_set_error(error, VG_ERROR, VG_ERROR_FORMAT,
		    "perf record (type %u, %zu bytes) is too short for its fields",
		    h.type, len);
	return FALSE;
}
