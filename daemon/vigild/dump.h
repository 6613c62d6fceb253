/*
 * dump.h - writing one dump: the one dump writer of vigild.
 *
 * A dump (docs/flight-recorder.md) is a CTF 1.8 trace directory named
 * DUMP_DIR/vigil-YYYYMMDD-HHMMSS[-N] (the trigger's time, UTC; see
 * dumpdir.h): the window's packets, a statedump of the tasks they name
 * (statedump.h) and the summary file (summary.h).  It is written under
 * a hidden staging name, synced, then renamed: the directory appears
 * complete or not at all.
 *
 * Dependencies, one way:
 *	recorder.c -> dump.c -> summary.c, statedump.c, dumpdir.c
 *		   -> dumpdir.c (names, retention)
 */
#ifndef VGD_DUMP_H
#define VGD_DUMP_H

#include <glib.h>
#include "dumpreq.h"

G_BEGIN_DECLS

/* Write q into place.  On error nothing is left behind and the error
 * says "dump PATH not written (nothing left behind): WHY". */
gboolean vgd_dump_write(VgdDump *q, GError **error);

G_END_DECLS

#endif
