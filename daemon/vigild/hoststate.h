/*
 * hoststate.h - what a statedump says besides the threads, read from
 * this host's /proc and /sys by vigild: the interrupt lines and their
 * handlers (vigil:statedump_irq), each process's executable maps
 * (vigil:statedump_mmap) and cgroup paths (vigil:statedump_cgroup).
 * The records are written by field name into the caller's packet, with
 * the classes md has for them (nothing when md lacks the event).  Used
 * by statedump.c (a dump's) and tpsource.c (the kernel source's start).
 */
#ifndef VGD_HOSTSTATE_H
#define VGD_HOSTSTATE_H

#include <glib.h>
#include "vg_core.h"
#include "vg_stream.h"

G_BEGIN_DECLS

/* One record per line of /sys/kernel/irq/N that has handlers. */
guint vgd_hs_irqs(VgPacketWriter *w, const VgMetadata *md, guint64 ts);
/* The first max executable maps of /proc/pid/maps. */
guint vgd_hs_mmaps(VgPacketWriter *w, const VgMetadata *md, guint64 ts,
		   gint32 pid, guint max);
/* id -> path. */
void vgd_hs_cgroup(VgPacketWriter *w, const VgMetadata *md, guint64 ts,
		   guint64 id, const char *path);

G_END_DECLS

#endif
