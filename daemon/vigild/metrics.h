/*
 * metrics.h - vigild's Prometheus endpoint: HTTP GET /metrics answers
 * with the metrics the handler scripts publish (Vigil::metric_*), in
 * the text exposition format.  Off unless metrics.listen or --metrics
 * gives an address (vigil.yaml(5), vigild(8)).
 *
 * vigild creates it once the scripts are loaded; it serves in vigild's
 * main loop (libsoup 3), so each scrape is rendered between two events,
 * by a plain call into the Perl binding (vg_perl_metrics).
 */
#ifndef VGD_METRICS_H
#define VGD_METRICS_H

#include <glib.h>
#include "vg_perl.h"

G_BEGIN_DECLS

typedef struct VgdMetrics VgdMetrics;

/* Listen on addr (an IP address) and port in ctx; the text comes from
 * vg_perl_metrics(perl), which must outlive the endpoint.  NULL with
 * *error naming the address when it cannot listen (in use, not an
 * address of this machine). */
VgdMetrics *vgd_metrics_new(const char *addr, guint16 port, VgPerl *perl,
			    GMainContext *ctx, GError **error);
/* "http://127.0.0.1:9464/metrics" */
const char *vgd_metrics_url(const VgdMetrics *m);
/* Requests of /metrics answered so far. */
guint64 vgd_metrics_scrapes(const VgdMetrics *m);
/* Stop listening; open connections are closed. */
void vgd_metrics_free(VgdMetrics *m);

G_END_DECLS

#endif
