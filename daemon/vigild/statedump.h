/*
 * statedump.h - the statedump a dump starts with: one packet of
 * vigil:statedump_process records (and a vigil:statedump_end) for the
 * tasks the dump's events name, so that a replay of the dump knows its
 * processes from the start, as a replay of a whole trace does.
 *
 * Written with the core's packet writer (vg_pw_*).  Used by dump.c.
 */
#ifndef VGD_STATEDUMP_H
#define VGD_STATEDUMP_H

#include <glib.h>
#include "summary.h"

G_BEGIN_DECLS

/* The packet for the known tasks of s->tids, as tasks has them now, on
 * a stream of its own (cpu: one past the highest of s), one nanosecond
 * before the first event; s->statedump/statedump_cpu say what it holds.
 * NULL if md has no vigil:statedump_process event or there is nothing to
 * say.  After the tasks: vigil:statedump_cgroup for every cgroup the task
 * table knows a path of (those of tasks gone too: a fork names the
 * child's cgroup by id only) and,
 * live (this host is the traced one), vigil:statedump_irq for the
 * interrupt lines and vigil:statedump_mmap for the first mmaps
 * executable maps of each of their processes (hoststate.h). */
VgPacket *vgd_statedump_packet(const VgMetadata *md, VgTasks *tasks,
			       VgdDumpSum *s, gboolean live, guint mmaps);

G_END_DECLS

#endif
