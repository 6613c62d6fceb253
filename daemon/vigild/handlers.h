/*
 * handlers.h - finding handler scripts by name (vigild -s NAME, the
 * configuration file's scripts: list).
 */
#ifndef VGD_HANDLERS_H
#define VGD_HANDLERS_H

#include <glib.h>

/* The directory ready-made handlers are looked up in: the build tree's
 * handlers/ for the binary built there, $(PREFIX)/share/vigil/handlers
 * for the one `make install` installs (compiled in, VG_HANDLER_DIR). */
const char *vgd_handler_dir(void);

/* The script a name stands for, newly allocated:
 *  - a name with a '/' in it, or naming an existing file, as it is;
 *  - else DIR/NAME.pl, then DIR/NAME, in vgd_handler_dir().
 * NULL with an error naming what was tried when none exists. */
char *vgd_handler_find(const char *name, GError **error);

/* vgd_handler_find() on each element of scripts (char *, owned),
 * replacing it by the path found.  FALSE at the first name not found. */
gboolean vgd_handlers_resolve(GPtrArray *scripts, GError **error);

#endif
