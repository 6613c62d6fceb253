/*
 * dump.h - write a set of packets as a trace directory (a dump).
 *
 * Used by pure flight mode (snapshots of the kernel buffers); the flight
 * recorder's history ring hands its packets to the same function.
 */
#ifndef VGD_DUMP_H
#define VGD_DUMP_H

#include <glib.h>
#include "vg_stream.h"

G_BEGIN_DECLS

/* Write `packets` (VgPacket *, each CPU's in sequence order) and the
 * metadata as DUMP_DIR/vigil-YYYYMMDD-HHMMSS[-N] (created 0700, written
 * under a temporary name and renamed into place by the core's writer).
 * Returns the path (g_free) or NULL with the error naming the path. */
char *vgd_dump_write(const char *dump_dir, const char *reason,
		     const VgMetadata *md, GPtrArray *packets,
		     GError **error);

G_END_DECLS

#endif
