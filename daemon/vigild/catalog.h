/*
 * catalog.h - the events this machine offers, for `vigild -l [GLOB]`
 * (names) and `vigild -lv [GLOB]` (names, fields and their types), and
 * the metadata the handlers are checked against when no trace is open
 * (`--check-config`).
 *
 * A catalog is a list of rows (event name, source, fields).  Each event
 * source adds its rows: vigil.ko's events and the syscalls:* events
 * derived from raw_syscalls come from a VgMetadata (the module's own
 * when it is loaded, else the one generated from kmod/vigil_events.h at
 * build time); the kernel's own tracepoints (what --source kernel
 * reads) are added from tracefs with vgd_catalog_add() and
 * vgd_catalog_add_field(), after them, so an event both offer keeps
 * vigil.ko's row.
 */
#ifndef VGD_CATALOG_H
#define VGD_CATALOG_H

#include <stdio.h>
#include <glib.h>
#include "vg_core.h"

typedef struct VgdCatalog VgdCatalog;
typedef struct VgdCatalogRow VgdCatalogRow;

VgdCatalog *vgd_catalog_new(void);
void vgd_catalog_free(VgdCatalog *c);

/* A row for event NAME ("subsys:event") from SOURCE (a short word shown
 * by -lv: "vigil.ko", "syscall", ...).  A name already in the catalog
 * keeps its first row (returned, fields unchanged). */
VgdCatalogRow *vgd_catalog_add(VgdCatalog *c, const char *name,
			       const char *source);
/* A field of the row: its type as shown ("int32", "char[16]",
 * "const char *") and its name. */
void vgd_catalog_add_field(VgdCatalogRow *r, const char *type,
			   const char *name);
/* Every class of md (derived syscalls:* included) as a row. */
void vgd_catalog_add_metadata(VgdCatalog *c, const VgMetadata *md,
			      const char *source);

/* Print the rows whose name matches glob (fnmatch; NULL: all) in name
 * order: one name per line, or with verbose each followed by its
 * fields ("    TYPE NAME").  Returns the number of rows printed. */
guint vgd_catalog_print(const VgdCatalog *c, const char *glob,
			gboolean verbose, FILE *out);

/* The events of this machine as metadata: vigil.ko's own (kprobes
 * included) when /dev/vigil can be read, else the built-in description
 * generated from kmod/vigil_events.h; with the syscalls:* classes of
 * the running kernel (argument names from tracefs when readable, else
 * the built-in syscall names without arguments).  *from says which
 * ("vigil.ko" or "built-in"). */
VgMetadata *vgd_catalog_metadata(const char **from, GError **error);

/* The printable type of a field of a class ("int32", "uint64 hex",
 * "char[16]", "string", "uint64[6]"); for the derived syscall events
 * the C type the kernel declares when the metadata has it.  g_free(). */
char *vgd_catalog_field_type(const VgMetadata *md, const VgEventClass *cls,
			     guint i);

/* vigild -l [GLOB] / -lv [GLOB]: print the catalog of this machine to
 * stdout; returns the exit status (1 when nothing matches GLOB or the
 * events cannot be read). */
int vgd_catalog_list(const char *glob, gboolean verbose);
#endif
