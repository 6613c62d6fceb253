/*
 * vigild.h - the daemon's internal interface for its other parts (the
 * flight recorder, the control socket commands).
 */
#ifndef VGD_VIGILD_H
#define VGD_VIGILD_H

#include <glib.h>
#include "config.h"
#include "vg_stream.h"

G_BEGIN_DECLS

typedef struct Vigild Vigild;

/* Every packet whose events have all been delivered is handed to the
 * hook, which owns the reference from then on (the flight recorder's
 * history ring keeps it).  Without a hook the packet is released. */
typedef void (*VgdPacketHook)(VgPacket *p, gpointer user_data);
void vgd_set_packet_hook(Vigild *d, VgdPacketHook hook, gpointer user_data);

/* Completion of one dump request: path and error NULL-or-not as it
 * went (error set: nothing was left in the dump directory). */
typedef void (*VgdDumpDoneFunc)(const char *path, const GError *error,
				gpointer user_data);

/* What Vigil::dump, `vigilctl dump` and SIGUSR1 call.  before/after in
 * seconds, negative = not given.  Returns the dump's path or NULL with
 * the error set.  done (may be NULL) is called exactly once, when the
 * dump is complete or failed (possibly before this returns), then
 * destroy(done_data).  Without one, live flight mode snapshots the
 * kernel buffers (vgd_snapshot) into dump.dir, and other modes refuse. */
typedef char *(*VgdDumpFunc)(const char *reason, double before,
			     double after, VgdDumpDoneFunc done,
			     gpointer done_data, GDestroyNotify destroy,
			     gpointer user_data, GError **error);
void vgd_set_dump_func(Vigild *d, VgdDumpFunc func, gpointer user_data);

/* Flight mode: PAUSE, copy the newest n_subbufs - 1 packets of every
 * CPU, RESUME.  GPtrArray of VgPacket (unref'd with the array). */
GPtrArray *vgd_snapshot(Vigild *d, GError **error);

char *vgd_dump(Vigild *d, const char *reason, double before, double after,
	       GError **error);
/* Same, with a completion callback (see VgdDumpFunc). */
char *vgd_dump_full(Vigild *d, const char *reason, double before,
		    double after, VgdDumpDoneFunc done, gpointer done_data,
		    GDestroyNotify destroy, GError **error);
gboolean vgd_reload(Vigild *d, GError **error);
void vgd_request_stop(Vigild *d, const char *why);
/* The text `vigilctl status` prints. */
char *vgd_status_text(Vigild *d);
const VgMetadata *vgd_metadata(Vigild *d);
const VgdConfig *vgd_config(Vigild *d);
/* The merge (NULL in pure flight mode): the flight recorder reads the
 * newest delivered timestamp and the CPU count from it. */
VgMerge *vgd_merge(Vigild *d);
/* The task table (NULL in pure flight mode): a dump starts with a
 * statedump of the tasks its events name. */
VgTasks *vgd_tasks(Vigild *d);

G_END_DECLS

#endif
