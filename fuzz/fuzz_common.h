/* fuzz_common.h - shared by the libFuzzer harnesses of fuzz/. */
#ifndef VG_FUZZ_COMMON_H
#define VG_FUZZ_COMMON_H
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* GLib's slice allocator would hide use-after-free from ASan; its
 * warnings (g_warning) must not abort; messages are dropped. */
static void vg_fuzz_quiet(const gchar *domain, GLogLevelFlags level,
			  const gchar *msg, gpointer data)
{
	(void)domain; (void)level; (void)msg; (void)data;
}

static inline void vg_fuzz_init(void)
{
	static gboolean done;

	if (done)
		return;
	done = TRUE;
	setenv("G_SLICE", "always-malloc", 1);
	g_log_set_default_handler(vg_fuzz_quiet, NULL);
}
#endif
