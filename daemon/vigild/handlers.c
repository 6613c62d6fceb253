/*
 * handlers.c - finding handler scripts by name: `vigild -s syscall-top`
 * runs syscall-top.pl from the handlers directory compiled into this
 * vigild (the build tree's handlers/, or the installed
 * $(PREFIX)/share/vigil/handlers; see daemon/Makefile).  Paths are used
 * as they are.
 */
#include <string.h>

#include "handlers.h"
#include "vg_core.h"

#ifndef VG_HANDLER_DIR
#error "VG_HANDLER_DIR (where the handlers are) must be defined by the Makefile"
#endif

const char *vgd_handler_dir(void)
{
	return VG_HANDLER_DIR;
}

char *vgd_handler_find(const char *name, GError **error)
{
	char *file;

	if (!*name) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "handler script: empty name");
		return NULL;
	}
	/* A path, or a file in the current directory, is what it says. */
	if (strchr(name, '/') || g_file_test(name, G_FILE_TEST_EXISTS))
		return g_strdup(name);

	if (!g_str_has_suffix(name, ".pl")) {
		char *pl = g_strconcat(name, ".pl", NULL);

		file = g_build_filename(VG_HANDLER_DIR, pl, NULL);
		g_free(pl);
		if (g_file_test(file, G_FILE_TEST_IS_REGULAR))
			return file;
		g_free(file);
	}
	file = g_build_filename(VG_HANDLER_DIR, name, NULL);
	if (g_file_test(file, G_FILE_TEST_IS_REGULAR))
		return file;
	g_free(file);

	g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
		    "handler script '%s' not found: not a file here, nor in %s "
		    "(looked for %s%s%s)", name, VG_HANDLER_DIR,
		    g_str_has_suffix(name, ".pl") ? "" : name,
		    g_str_has_suffix(name, ".pl") ? "" : ".pl and ", name);
	return NULL;
}

gboolean vgd_handlers_resolve(GPtrArray *scripts, GError **error)
{
	for (guint i = 0; i < scripts->len; i++) {
		char *path = vgd_handler_find(scripts->pdata[i], error);

		if (!path)
			return FALSE;
		g_free(scripts->pdata[i]);
		scripts->pdata[i] = path;
	}
	return TRUE;
}
