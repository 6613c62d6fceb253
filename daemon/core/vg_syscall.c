/*
 * vg_syscall.c - the syscall table: numbers (built in from asm/unistd_64.h,
 * or read from such a header) and
 * argument names (tracefs events/syscalls/sys_enter_NAME/format) of the
 * running kernel, stored in the trace metadata as env entries, and the
 * derived syscalls:sys_enter_NAME / sys_exit_NAME classes those entries
 * define.
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NR 4096

struct VgSyscallTable {
	char *names[MAX_NR];
	char **args[MAX_NR];	/* NULL-terminated, NULL: unknown */
	char **types[MAX_NR];	/* C type of each argument, as args */
	gboolean exact[MAX_NR];	/* args came from a format of that very name */
	GHashTable *by_name;	/* unistd name -> nr + 1 */
	guint count;
};

VgSyscallTable *vg_syscall_table_new(void)
{
	VgSyscallTable *t = g_new0(VgSyscallTable, 1);

	t->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return t;
}

void vg_syscall_table_free(VgSyscallTable *t)
{
	guint i;

	if (!t)
		return;
	for (i = 0; i < MAX_NR; i++) {
		g_free(t->names[i]);
		g_strfreev(t->args[i]);
		g_strfreev(t->types[i]);
	}
	g_hash_table_destroy(t->by_name);
	g_free(t);
}

void vg_syscall_table_set_name(VgSyscallTable *t, guint nr, const char *name)
{
	if (nr >= MAX_NR)
		return;
	if (!t->names[nr])
		t->count++;
	g_free(t->names[nr]);
	t->names[nr] = g_strdup(name);
	g_hash_table_replace(t->by_name, g_strdup(name), GUINT_TO_POINTER(nr + 1));
}

gboolean vg_syscall_table_load_numbers(VgSyscallTable *t, const char *path,
				       GError **error)
{
	char *text, **lines;
	guint i, n = 0;

	if (!g_file_get_contents(path, &text, NULL, error))
		return FALSE;
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i]; i++) {
		char name[128];
		unsigned int nr;
		char extra;

		if (sscanf(lines[i], "#define __NR_%127s %u %c", name, &nr, &extra) == 2 &&
		    nr < MAX_NR) {
			vg_syscall_table_set_name(t, nr, name);
			n++;
		}
	}
	g_strfreev(lines);
	g_free(text);
	if (!n) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: no '#define __NR_name number' lines", path);
		return FALSE;
	}
	return TRUE;
}

static int lookup_nr(VgSyscallTable *t, const char *name)
{
	gpointer v = g_hash_table_lookup(t->by_name, name);

	return v ? (int)GPOINTER_TO_UINT(v) - 1 : -1;
}

/* The number for a tracefs syscall name; *exact FALSE for aliases. */
static int match_nr(VgSyscallTable *t, const char *name, gboolean *exact)
{
	int nr = lookup_nr(t, name);
	gsize len = strlen(name);

	*exact = TRUE;
	if (nr >= 0)
		return nr;
	*exact = FALSE;
	if (g_str_has_prefix(name, "new") && (nr = lookup_nr(t, name + 3)) >= 0)
		return nr;
	if (len > 2 && strcmp(name + len - 2, "64") == 0) {
		char *s = g_strndup(name, len - 2);

		nr = lookup_nr(t, s);
		g_free(s);
		if (nr >= 0)
			return nr;
	}
	if (strcmp(name, "umount") == 0)
		return lookup_nr(t, "umount2");
	return -1;
}

gboolean vg_syscall_table_parse_format(VgSyscallTable *t, const char *text,
				       gsize len, const char *origin,
				       gboolean *matched, GError **error)
{
	char *copy = g_strndup(text, len);
	char **lines = g_strsplit(copy, "\n", -1);
	GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *types = g_ptr_array_new_with_free_func(g_free);
	char *event = NULL;
	gboolean ok = FALSE, enter, has_ret = FALSE, in_format = FALSE;
	guint i;
	int nr;
	gboolean exact;

	if (matched)
		*matched = FALSE;
	if (!origin)
		origin = "format";
	for (i = 0; lines[i]; i++) {
		char *l = lines[i];

		if (i == 0) {
			if (!g_str_has_prefix(l, "name: ")) {
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "%s:1: expected 'name: sys_enter_NAME' or 'name: sys_exit_NAME'",
					    origin);
				goto out;
			}
			event = g_strstrip(g_strdup(l + 6));
			if (!g_str_has_prefix(event, "sys_enter_") &&
			    !g_str_has_prefix(event, "sys_exit_")) {
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "%s:1: '%s' is not a syscall event", origin, event);
				goto out;
			}
			continue;
		}
		if (g_str_has_prefix(l, "format:")) {
			in_format = TRUE;
			continue;
		}
		if (g_str_has_prefix(l, "print fmt:"))
			break;
		g_strstrip(l);
		if (!in_format || !*l)
			continue;
		if (g_str_has_prefix(l, "field:")) {
			char *semi = strchr(l, ';'), *decl, *nm, *br;

			if (!semi || !strstr(semi, "offset:") || !strstr(semi, "size:")) {
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "%s:%u: malformed field line '%s'", origin, i + 1, l);
				goto out;
			}
			decl = g_strndup(l + 6, semi - (l + 6));
			br = strchr(decl, '[');
			if (br)
				*br = '\0';
			g_strchomp(decl);
			nm = decl + strlen(decl);
			while (nm > decl && (g_ascii_isalnum(nm[-1]) || nm[-1] == '_'))
				nm--;
			if (!*nm) {
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "%s:%u: field without a name in '%s'", origin, i + 1, l);
				g_free(decl);
				goto out;
			}
			if (!g_str_has_prefix(nm, "common_") && strcmp(nm, "__syscall_nr") != 0) {
				char *ty = g_strndup(decl, nm - decl);

				if (strcmp(nm, "ret") == 0)
					has_ret = TRUE;
				g_ptr_array_add(args, g_strdup(nm));
				/* "const char *", "int", "unsigned long" */
				g_ptr_array_add(types, g_strstrip(ty));
			}
			g_free(decl);
		} else if (!g_str_has_prefix(l, "ID:")) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s:%u: unexpected line '%s'", origin, i + 1, l);
			goto out;
		}
	}
	if (!event) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s:1: empty format file", origin);
		goto out;
	}
	if (!in_format) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: no 'format:' section", origin);
		goto out;
	}
	enter = g_str_has_prefix(event, "sys_enter_");
	if (!enter) {
		if (!has_ret || args->len != 1) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: sys_exit format must have exactly the field 'ret'", origin);
			goto out;
		}
		ok = TRUE;
		if (matched)
			*matched = match_nr(t, event + 9, &exact) >= 0;
		goto out;
	}
	if (args->len > 6) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: %u arguments (at most 6)", origin, args->len);
		goto out;
	}
	ok = TRUE;
	nr = match_nr(t, event + 10, &exact);
	if (nr < 0)
		goto out;
	if (matched)
		*matched = TRUE;
	if (t->args[nr] && t->exact[nr] && !exact)
		goto out;	/* an alias never overrides the real name */
	g_ptr_array_add(args, NULL);
	g_strfreev(t->args[nr]);
	t->args[nr] = (char **)g_ptr_array_free(args, FALSE);
	args = NULL;
	g_ptr_array_add(types, NULL);
	g_strfreev(t->types[nr]);
	t->types[nr] = (char **)g_ptr_array_free(types, FALSE);
	types = NULL;
	t->exact[nr] = exact;
	/* the tracefs name is the one perf and the kernel use */
	g_free(t->names[nr]);
	t->names[nr] = g_strdup(event + 10);
out:
	if (args)
		g_ptr_array_free(args, TRUE);
	if (types)
		g_ptr_array_free(types, TRUE);
	g_free(event);
	g_strfreev(lines);
	g_free(copy);
	return ok;
}

VgSyscallTable *vg_syscall_table_load(const char *events_dir,
				      const char *unistd_h, GError **error)
{
	VgSyscallTable *t = vg_syscall_table_new();
	const char *dir = events_dir;
	GDir *d;
	const char *name;
	guint n = 0;

	if (!unistd_h) {
		for (const VgSyscallNumber *s = vg_syscall_builtin; s->name; s++)
			if (s->nr < MAX_NR)
				vg_syscall_table_set_name(t, s->nr, s->name);
	} else if (!vg_syscall_table_load_numbers(t, unistd_h, error)) {
		goto fail;
	}
	if (!dir) {
		dir = "/sys/kernel/tracing/events/syscalls";
		if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
			dir = "/sys/kernel/debug/tracing/events/syscalls";
	}
	d = g_dir_open(dir, 0, NULL);
	if (!d) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "%s: %s (is tracefs mounted, with syscall events?)", dir,
			    g_strerror(errno));
		goto fail;
	}
	while ((name = g_dir_read_name(d))) {
		char *path, *text;
		gsize len;
		gboolean ok;

		if (!g_str_has_prefix(name, "sys_enter_") && !g_str_has_prefix(name, "sys_exit_"))
			continue;
		path = g_build_filename(dir, name, "format", NULL);
		if (!g_file_get_contents(path, &text, &len, error)) {
			g_free(path);
			g_dir_close(d);
			goto fail;
		}
		ok = vg_syscall_table_parse_format(t, text, len, path, NULL, error);
		g_free(text);
		g_free(path);
		if (!ok) {
			g_dir_close(d);
			goto fail;
		}
		n++;
	}
	g_dir_close(d);
	if (!n) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "%s: no sys_enter_*/sys_exit_* events", dir);
		goto fail;
	}
	return t;
fail:
	vg_syscall_table_free(t);
	return NULL;
}

guint vg_syscall_table_count(const VgSyscallTable *t)
{
	return t->count;
}

const char *vg_syscall_table_name(const VgSyscallTable *t, guint nr)
{
	return nr < MAX_NR ? t->names[nr] : NULL;
}

gint32 vg_syscall_table_number(const VgSyscallTable *t, const char *name)
{
	for (guint nr = 0; t && nr < MAX_NR; nr++)
		if (t->names[nr] && strcmp(t->names[nr], name) == 0)
			return (gint32)nr;
	return -1;
}

const char *const *vg_syscall_table_args(const VgSyscallTable *t, guint nr)
{
	static const char *const none[] = { NULL };

	if (nr >= MAX_NR || !t->names[nr])
		return NULL;
	return t->args[nr] ? (const char *const *)t->args[nr] : none;
}

const char *const *vg_syscall_table_types(const VgSyscallTable *t, guint nr)
{
	static const char *const none[] = { NULL };

	if (nr >= MAX_NR || !t->names[nr])
		return NULL;
	return t->types[nr] ? (const char *const *)t->types[nr] : none;
}

void vg_metadata_add_syscalls(VgMetadata *md, const VgSyscallTable *t)
{
	guint nr;

	for (nr = 0; nr < MAX_NR; nr++) {
		GString *v;
		char key[40];
		guint i;

		if (!t->names[nr])
			continue;
		v = g_string_new(t->names[nr]);
		g_string_append_c(v, ':');
		for (i = 0; t->args[nr] && t->args[nr][i]; i++) {
			if (i)
				g_string_append_c(v, ',');
			g_string_append(v, t->args[nr][i]);
			/* its C type: signed ones are sign-extended */
			if (t->types[nr] && t->types[nr][i] &&
			    *t->types[nr][i])
				g_string_append_printf(v, "=%s",
						       t->types[nr][i]);
		}
		g_snprintf(key, sizeof(key), "vigil_syscall_%u", nr);
		vg_metadata_set_env(md, key, v->str);
		g_string_free(v, TRUE);
	}
}

/* ---- derived classes ------------------------------------------------- */

/* The env entries vigil_syscall_<nr> = "name:arg=TYPE,..." define the
 * classes syscalls:sys_enter_NAME / sys_exit_NAME (ids
 * VG_SYSCALL_ENTER/EXIT_ID_BASE + nr), which vg_decode.c fills from the
 * raw_syscalls events. */

/* Bytes of a signed C integer type of a syscall argument (4 or 8), 0 for
 * unsigned ones, pointers and unknown types. */
static guint signed_type_size(const char *type)
{
	static const char *const s32[] = {
		"int", "signed int", "pid_t", "clockid_t", "key_serial_t",
		"mqd_t", "timer_t", "rwf_t", "s32", "__s32", "int32_t",
	};
	static const char *const s64[] = {
		"long", "signed long", "long int", "long long", "loff_t",
		"off_t", "ssize_t", "time_t", "__kernel_old_time_t", "s64",
		"__s64", "int64_t",
	};
	char *t;
	guint i, n = 0;

	if (!type || strchr(type, '*') || strchr(type, '['))
		return 0;
	if (g_str_has_prefix(type, "const "))
		type += 6;
	t = g_strstrip(g_strdup(type));
	for (i = 0; !n && i < G_N_ELEMENTS(s32); i++)
		if (strcmp(t, s32[i]) == 0)
			n = 4;
	for (i = 0; !n && i < G_N_ELEMENTS(s64); i++)
		if (strcmp(t, s64[i]) == 0)
			n = 8;
	g_free(t);
	return n;
}

static void derive_class(VgMetadata *md, guint nr, const char *spec)
{
	const char *colon = strchr(spec, ':');
	char *name, *cname;
	char **args = NULL;
	const char *types[6];
	guint nargs = 0, i;
	VgEventClass *enter, *exit_cls;
	const VgEventClass *raw;
	VgClassLayout *L;
	const VgEventClass *old;

	name = colon ? g_strndup(spec, colon - spec) : g_strdup(spec);
	if (!*name || strchr(name, ' ')) {
		g_free(name);
		return;
	}
	if (colon && colon[1]) {
		args = g_strsplit(colon + 1, ",", 0);
		nargs = g_strv_length(args);
	}
	if (nargs > 6)
		nargs = 6;
	/* "arg=TYPE": the name in args[i], the type in types[i] */
	for (i = 0; i < nargs; i++) {
		char *eq = strchr(args[i], '=');

		types[i] = NULL;
		if (eq) {
			*eq = '\0';
			types[i] = eq + 1;
		}
	}

	/* The same definition again: keep the classes (consumers hold
	 * pointers to them). */
	old = vg_metadata_class(md, VG_SYSCALL_ENTER_ID_BASE + nr);
	if (old && old->n_fields == nargs && strcmp(old->event + 10, name) == 0 &&
	    vg_metadata_class(md, VG_SYSCALL_EXIT_ID_BASE + nr)) {
		for (i = 0; i < nargs; i++)
			if (strcmp(old->fields[i].name, args[i]) != 0 ||
			    (old->fields[i].kind == VG_FIELD_INT) !=
			    (signed_type_size(types[i]) != 0))
				break;
		if (i == nargs) {
			g_strfreev(args);
			g_free(name);
			return;
		}
	}
	/* Replace an older definition of the same nr (its pointer goes
	 * away with the metadata; there is no event of it in flight while
	 * the env is being set). */
	for (i = 0; i < 2; i++) {
		old = vg_metadata_class(md, (i ? VG_SYSCALL_EXIT_ID_BASE :
					     VG_SYSCALL_ENTER_ID_BASE) + nr);
		if (old) {
			g_hash_table_remove(md->derived, GUINT_TO_POINTER(old->id));
			if (g_hash_table_lookup(md->by_name, old->name) == old)
				g_hash_table_remove(md->by_name, old->name);
			g_ptr_array_remove(md->classes, (gpointer)old);
		}
	}

	cname = g_strdup_printf("syscalls:sys_enter_%s", name);
	enter = vg_class_new(VG_SYSCALL_ENTER_ID_BASE + nr, cname, nargs);
	g_free(cname);
	L = g_new0(VgClassLayout, 1);
	L->off = g_new0(guint32, nargs + 1);
	L->size = g_new0(guint32, nargs + 1);
	L->rd = g_new0(guint8, nargs + 1);
	for (i = 0; i < nargs; i++) {
		guint ss = signed_type_size(types[i]);

		enter->fields[i].name = g_strdup(args[i]);
		enter->fields[i].kind = ss ? VG_FIELD_INT : VG_FIELD_UINT;
		enter->fields[i].elem_size = 8;
		enter->fields[i].length = 1;
		/* pointers print in hex (Vigil::Event::hex_fields) */
		enter->fields[i].base = types[i] && strchr(types[i], '*') ? 16 : 10;
		L->rd[i] = (guint8)ss;	/* derived_int: 4 sign-extends */
	}
	enter->flags = VG_CLASS_SYSCALL_ENTER;
	/* the raw event's callchain is this one's (vg_event_callchain) */
	raw = vg_metadata_class_by_name(md, "raw_syscalls:sys_enter");
	enter->callchain = raw && raw->callchain;
	L->nr = nr;
	L->n_args = nargs;
	enter->priv = L;
	vg_metadata_add_class(md, enter);

	cname = g_strdup_printf("syscalls:sys_exit_%s", name);
	exit_cls = vg_class_new(VG_SYSCALL_EXIT_ID_BASE + nr, cname, 1);
	g_free(cname);
	exit_cls->fields[0].name = g_strdup("ret");
	exit_cls->fields[0].kind = VG_FIELD_INT;
	exit_cls->fields[0].elem_size = 8;
	exit_cls->fields[0].length = 1;
	exit_cls->fields[0].base = 10;
	exit_cls->flags = VG_CLASS_SYSCALL_EXIT;
	raw = vg_metadata_class_by_name(md, "raw_syscalls:sys_exit");
	exit_cls->callchain = raw && raw->callchain;
	L = g_new0(VgClassLayout, 1);
	L->off = g_new0(guint32, 2);
	L->size = g_new0(guint32, 2);
	L->rd = g_new0(guint8, 2);
	L->nr = nr;
	exit_cls->priv = L;
	vg_metadata_add_class(md, exit_cls);

	g_strfreev(args);
	g_free(name);
}

void vg_syscall_derive_classes(VgMetadata *md)
{
	guint i;

	for (i = 0; i < md->env->len; i++) {
		VgEnvEntry *x = &g_array_index(md->env, VgEnvEntry, i);
		char *end;
		guint64 nr;

		if (!g_str_has_prefix(x->key, "vigil_syscall_") || !x->is_string)
			continue;
		nr = g_ascii_strtoull(x->key + 14, &end, 10);
		if (*end || end == x->key + 14 || nr >= 0x100000)
			continue;
		derive_class(md, nr, x->value);
	}
}

/* An env entry vigil_syscall_<nr> also (re)makes the classes of nr. */
void vg_metadata_set_env(VgMetadata *md, const char *key, const char *value)
{
	vg_metadata_env_put(md, key, value, TRUE);
	if (g_str_has_prefix(key, "vigil_syscall_")) {
		char *end;
		guint64 nr = g_ascii_strtoull(key + 14, &end, 10);

		if (!*end && end != key + 14 && nr < 0x100000)
			derive_class(md, nr, value);
	}
}
