/*
 * dumpdir.h - the dump directory: where dumps go, their names, the
 * leftovers of interrupted dumps, retention, and the file helpers the
 * dump writer needs (synced files, recursive removal).
 *
 * Names (docs/flight-recorder.md): DUMP_DIR/vigil-YYYYMMDD-HHMMSS[-N],
 * the trigger's wall-clock time in UTC.  A dump is written under the
 * hidden staging name DUMP_DIR/.NAME.staging and renamed into place;
 * retention renames a dump to DUMP_DIR/.NAME.removing before removing
 * it.  Our dumps are the vigil-* directories that hold the summary file
 * VGD_DUMP_SUMMARY_NAME.
 *
 * Used by the recorder (recorder.c) and the dump writer (dump.c); uses
 * nothing of vigild's.
 */
#ifndef VGD_DUMPDIR_H
#define VGD_DUMPDIR_H

#include <glib.h>
#include "config.h"

G_BEGIN_DECLS

#define VGD_DUMP_SUMMARY_NAME ".vigil-dump.yaml"

/* Create dir (and parents) 0700, or make an existing one 0700.  The
 * error names the directory. */
gboolean vgd_dumpdir_ensure(const char *dir, GError **error);

/* Is path (or its staging name) in use?  reserved (may be NULL) says
 * whether a name is already promised to a dump not written yet. */
typedef gboolean (*VgdDumpNameReserved)(const char *path, gpointer data);
/* DUMP_DIR/vigil-YYYYMMDD-HHMMSS[-N] for wall_ns (ns since the epoch,
 * UTC), the first N (none, 1, 2, ...) that is free.  g_free it. */
char *vgd_dumpdir_new_name(const char *dir, gint64 wall_ns,
			   VgdDumpNameReserved reserved, gpointer data);
/* DIR/.NAME.staging for DIR/NAME. */
char *vgd_dumpdir_staging_name(const char *path);

/* Remove what interrupted dumps left in dir (our staging, temporary and
 * removing names), logging each. */
void vgd_dumpdir_remove_leftovers(const char *dir);
/* Remove the oldest of our dumps in cfg->dump_dir while there are more
 * than max_dumps or they hold more than max_dump_bytes; keep (the newest)
 * always stays.  Returns how many were removed. */
guint vgd_dumpdir_apply_retention(const VgdConfig *cfg, const char *keep);

/* rm -rf path (symbolic links are not followed). */
void vgd_rm_rf(const char *path);
void vgd_fsync_dir(const char *path);
/* Create path (must not exist, mode 0600), write text, fsync, close. */
gboolean vgd_write_file_synced(const char *path, const char *text,
			       GError **error);

G_END_DECLS

#endif
