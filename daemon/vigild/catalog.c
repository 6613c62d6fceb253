/*
 * catalog.c - the events this machine offers (vigild -l / -lv) and the
 * metadata handlers are checked against without a trace (see catalog.h).
 *
 * Without vigil.ko the description comes from the event table itself:
 * vg_events_tsdl.h, generated at build time from kmod/vigil_events.h by
 * kmod/tools/vigil-events (the metadata blocks the module writes), put
 * after the fixed preamble of docs/design.md and parsed by the same
 * parser as a live trace's metadata.
 */
#define G_LOG_DOMAIN "vigild"

#include <fnmatch.h>
#include <string.h>

#include "catalog.h"
#include "live.h"
#include "vg_stream.h"
#include "vg_events_tsdl.h"	/* generated from kmod/vigil_events.h */
#include "vigil_tsdl.h"	/* the fixed parts of the module's metadata */
#include "vg_tp.h"

struct VgdCatalogRow {
	char *name;
	char *source;
	GPtrArray *types;	/* char * */
	GPtrArray *fields;	/* char * */
};

struct VgdCatalog {
	GPtrArray *rows;	/* VgdCatalogRow * */
	GHashTable *by_name;	/* name -> row */
};

static void row_free(gpointer p)
{
	VgdCatalogRow *r = p;

	g_free(r->name);
	g_free(r->source);
	g_ptr_array_unref(r->types);
	g_ptr_array_unref(r->fields);
	g_free(r);
}

VgdCatalog *vgd_catalog_new(void)
{
	VgdCatalog *c = g_new0(VgdCatalog, 1);

	c->rows = g_ptr_array_new_with_free_func(row_free);
	c->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	return c;
}

void vgd_catalog_free(VgdCatalog *c)
{
	if (!c)
		return;
	g_hash_table_destroy(c->by_name);
	g_ptr_array_unref(c->rows);
	g_free(c);
}

VgdCatalogRow *vgd_catalog_add(VgdCatalog *c, const char *name,
			       const char *source)
{
	VgdCatalogRow *r = g_hash_table_lookup(c->by_name, name);

	if (r)
		return r;
	r = g_new0(VgdCatalogRow, 1);
	r->name = g_strdup(name);
	r->source = g_strdup(source);
	r->types = g_ptr_array_new_with_free_func(g_free);
	r->fields = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(c->rows, r);
	g_hash_table_insert(c->by_name, r->name, r);
	return r;
}

void vgd_catalog_add_field(VgdCatalogRow *r, const char *type,
			   const char *name)
{
	g_ptr_array_add(r->types, g_strdup(type));
	g_ptr_array_add(r->fields, g_strdup(name));
}

/* The C type of argument i of a derived syscall class, from the env
 * entry "vigil_syscall_<nr>" = "name:arg=TYPE,...", or NULL. */
static char *syscall_arg_type(const VgMetadata *md, const VgEventClass *cls,
			      guint i)
{
	char key[40], **args, *type = NULL;
	const char *spec, *colon;

	if (!(cls->flags & VG_CLASS_SYSCALL_ENTER))
		return NULL;
	g_snprintf(key, sizeof(key), "vigil_syscall_%u",
		   cls->id - VG_SYSCALL_ENTER_ID_BASE);
	spec = vg_metadata_env(md, key);
	if (!spec || !(colon = strchr(spec, ':')))
		return NULL;
	args = g_strsplit(colon + 1, ",", 0);
	if (i < g_strv_length(args)) {
		const char *eq = strchr(args[i], '=');

		if (eq && eq[1])
			type = g_strdup(eq + 1);
	}
	g_strfreev(args);
	return type;
}

char *vgd_catalog_field_type(const VgMetadata *md, const VgEventClass *cls,
			     guint i)
{
	const VgField *f = &cls->fields[i];
	char *t = syscall_arg_type(md, cls, i);
	const char *hex = f->base == 16 ? " hex" : "";

	if (t)
		return t;
	switch (f->kind) {
	case VG_FIELD_INT:
		return g_strdup_printf("int%u%s", f->elem_size * 8, hex);
	case VG_FIELD_UINT:
		return g_strdup_printf("uint%u%s", f->elem_size * 8, hex);
	case VG_FIELD_CHARS:
		return g_strdup_printf("char[%u]", f->length);
	case VG_FIELD_STRING:
		return g_strdup("string");
	case VG_FIELD_INT_ARRAY:
		return g_strdup_printf("int%u[%u]%s", f->elem_size * 8,
				       f->length, hex);
	case VG_FIELD_UINT_ARRAY:
		return g_strdup_printf("uint%u[%u]%s", f->elem_size * 8,
				       f->length, hex);
	}
	return g_strdup("?");
}

void vgd_catalog_add_metadata(VgdCatalog *c, const VgMetadata *md,
			      const char *source)
{
	GPtrArray *classes = vg_metadata_classes(md);

	for (guint i = 0; i < classes->len; i++) {
		const VgEventClass *cls = g_ptr_array_index(classes, i);
		VgdCatalogRow *r;

		if (!cls->name)
			continue;
		r = vgd_catalog_add(c, cls->name,
				    cls->flags & (VG_CLASS_SYSCALL_ENTER |
						  VG_CLASS_SYSCALL_EXIT) ?
				    "syscall" : source);
		if (r->fields->len)
			continue;
		for (guint j = 0; j < cls->n_fields; j++) {
			char *t = vgd_catalog_field_type(md, cls, j);

			vgd_catalog_add_field(r, t, cls->fields[j].name);
			g_free(t);
		}
	}
}

static gint row_cmp(gconstpointer a, gconstpointer b)
{
	const VgdCatalogRow *x = *(VgdCatalogRow *const *)a;
	const VgdCatalogRow *y = *(VgdCatalogRow *const *)b;

	return strcmp(x->name, y->name);
}

guint vgd_catalog_print(const VgdCatalog *c, const char *glob,
			gboolean verbose, FILE *out)
{
	GPtrArray *sorted = g_ptr_array_new();
	guint n = 0;

	for (guint i = 0; i < c->rows->len; i++)
		g_ptr_array_add(sorted, c->rows->pdata[i]);
	g_ptr_array_sort(sorted, row_cmp);
	for (guint i = 0; i < sorted->len; i++) {
		const VgdCatalogRow *r = sorted->pdata[i];

		if (glob && fnmatch(glob, r->name, 0) != 0)
			continue;
		n++;
		if (!verbose) {
			fprintf(out, "%s\n", r->name);
			continue;
		}
		fprintf(out, "%s  [%s]\n", r->name, r->source);
		for (guint j = 0; j < r->fields->len; j++) {
			const char *t = r->types->pdata[j];
			gsize l = strlen(t);

			/* "const char *filename", "int32 pid" */
			fprintf(out, "    %s%s%s\n", t,
				l && t[l - 1] == '*' ? "" : " ",
				(char *)r->fields->pdata[j]);
		}
	}
	g_ptr_array_unref(sorted);
	return n;
}

/* The fixed part of the metadata vigil.ko writes (docs/design.md, "The
 * TSDL the module emits"); the events follow, generated. */
static const char builtin_preamble[] =
	VIGIL_TSDL_PREAMBLE VIGIL_TSDL_TRACE_HEAD VIGIL_TSDL_TRACE_TAIL
	"env {\n\ttracer_name = \"vigil\";\n};\n\n"
	"clock {\n\tname = \"monotonic\";\n\tfreq = 1000000000;\n\toffset = 0;\n};\n\n"
	VIGIL_TSDL_STREAM;

static VgMetadata *builtin_metadata(GError **error)
{
	char *text = g_strconcat(builtin_preamble, VG_EVENTS_TSDL, NULL);
	VgMetadata *md = vg_metadata_parse(text, strlen(text),
					   "built-in event description", error);
	VgSyscallTable *t;
	GError *err = NULL;

	g_free(text);
	if (!md)
		return NULL;
	/* the running kernel's syscall arguments when tracefs is readable,
	 * else the names this vigild was built with, without arguments */
	t = vg_syscall_table_load(NULL, NULL, &err);
	if (!t) {
		g_debug("syscall arguments unknown: %s", err->message);
		g_clear_error(&err);
		t = vg_syscall_table_new();
		for (const VgSyscallNumber *s = vg_syscall_builtin; s->name; s++)
			vg_syscall_table_set_name(t, s->nr, s->name);
	}
	vg_metadata_add_syscalls(md, t);
	vg_syscall_table_free(t);
	return md;
}

VgMetadata *vgd_catalog_metadata(const char **from, GError **error)
{
	if (g_file_test("/dev/vigil", G_FILE_TEST_EXISTS)) {
		GError *err = NULL;
		VgMetadata *md = vgd_live_read_metadata(NULL, &err);

		if (md) {
			*from = "vigil.ko";
			return md;
		}
		/* (not root): the events it was built with */
		g_debug("reading vigil.ko's events: %s", err->message);
		g_error_free(err);
	}
	*from = "built-in";
	return builtin_metadata(error);
}

/* The kernel's own tracepoints (what --source kernel reads): their
 * names from tracefs and, with verbose, the fields of those that match
 * glob as their format files declare them.  Without tracefs (not root,
 * not mounted) only vigil.ko's events are listed; the reason is said at
 * --debug. */
static void add_tracepoints(VgdCatalog *c, const char *glob,
			    gboolean verbose)
{
	GError *err = NULL;
	char *dir = vg_tp_events_dir(&err);
	GPtrArray *names = dir ? vg_tp_list(dir, &err) : NULL;

	if (!names) {
		g_debug("the kernel's tracepoints are not listed: %s",
			err->message);
		g_error_free(err);
		g_free(dir);
		return;
	}
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		VgdCatalogRow *r;
		VgTpFormat *f;

		if (glob && fnmatch(glob, name, 0) != 0)
			continue;
		r = vgd_catalog_add(c, name, "kernel");
		if (!verbose || strcmp(r->source, "kernel") != 0)
			continue;
		f = vg_tp_format_load(dir, name, &err);
		if (!f) {
			/* listed, fields unknown: say why at --debug */
			g_debug("%s", err->message);
			g_clear_error(&err);
			continue;
		}
		for (guint j = 0; j < f->n_fields; j++)
			vgd_catalog_add_field(r, f->fields[j].type,
					      f->fields[j].name);
		vg_tp_format_free(f);
	}
	g_ptr_array_unref(names);
	g_free(dir);
}

int vgd_catalog_list(const char *glob, gboolean verbose)
{
	GError *err = NULL;
	const char *from;
	VgMetadata *md = vgd_catalog_metadata(&from, &err);
	VgdCatalog *c;
	guint n;

	if (!md) {
		g_printerr("vigild: %s\n", err->message);
		g_error_free(err);
		return 1;
	}
	c = vgd_catalog_new();
	vgd_catalog_add_metadata(c, md, "vigil.ko");
	add_tracepoints(c, glob, verbose);
	n = vgd_catalog_print(c, glob, verbose, stdout);
	vgd_catalog_free(c);
	vg_metadata_free(md);
	if (fflush(stdout) != 0)
		return 1;
	if (!n && glob) {
		g_printerr("vigild: no event matches '%s'\n", glob);
		return 1;
	}
	return 0;
}
