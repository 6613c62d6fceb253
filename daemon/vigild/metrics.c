/*
 * metrics.c - the Prometheus endpoint (see metrics.h): a libsoup 3
 * server in vigild's main context.  GET (or HEAD) /metrics: 200 with
 * the text vg_perl_metrics() renders at that moment; a rendering that
 * died: 500 with its message; another method: 405; another path: 404.
 */
#define G_LOG_DOMAIN "vigild"

#include "metrics.h"
#include "vg_core.h"

#include <string.h>
#include <libsoup/soup.h>

/* the text exposition format's content type */
#define VGD_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define VGD_METRICS_PATH "/metrics"

struct VgdMetrics {
	SoupServer *server;
	VgPerl *perl;
	char *url;
	guint64 scrapes;
	guint64 failures;
};

static void reply_text(SoupServerMessage *msg, guint status, const char *text)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "text/plain; charset=utf-8",
					 SOUP_MEMORY_COPY, text, strlen(text));
}

static void serve_metrics(VgdMetrics *m, SoupServerMessage *msg)
{
	GError *err = NULL;
	gsize len;
	char *text = vg_perl_metrics(m->perl, &len, &err);

	if (!text) {
		char *body = g_strdup_printf("%s\n", err->message);

		/* the first failure, then one in 100: a scraper asks every
		 * few seconds */
		if (m->failures++ % 100 == 0)
			g_warning("metrics: %s (%" G_GUINT64_FORMAT " failed "
				  "scrape%s so far)", err->message, m->failures,
				  m->failures == 1 ? "" : "s");
		reply_text(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, body);
		g_free(body);
		g_error_free(err);
		return;
	}
	m->scrapes++;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, VGD_METRICS_TYPE,
					 SOUP_MEMORY_TAKE, text, len);
}

static void on_request(SoupServer *server, SoupServerMessage *msg,
		       const char *path, GHashTable *query, gpointer data)
{
	VgdMetrics *m = data;
	const char *method = soup_server_message_get_method(msg);

	(void)server;
	(void)query;
	if (strcmp(path, VGD_METRICS_PATH) != 0) {
		reply_text(msg, SOUP_STATUS_NOT_FOUND,
			   "not found: vigild serves " VGD_METRICS_PATH "\n");
		return;
	}
	if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
		soup_message_headers_replace(
			soup_server_message_get_response_headers(msg),
			"Allow", "GET, HEAD");
		reply_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
			   "method not allowed: GET " VGD_METRICS_PATH "\n");
		return;
	}
	serve_metrics(m, msg);
}

VgdMetrics *vgd_metrics_new(const char *addr, guint16 port, VgPerl *perl,
			    GMainContext *ctx, GError **error)
{
	VgdMetrics *m;
	GSocketAddress *sa;
	GError *err = NULL;
	gboolean ok;

	sa = g_inet_socket_address_new_from_string(addr, port);
	if (!sa) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "metrics: '%s' is not an IP address", addr);
		return NULL;
	}
	m = g_new0(VgdMetrics, 1);
	m->perl = perl;
	m->server = soup_server_new("server-header", "vigild ", NULL);
	soup_server_add_handler(m->server, NULL, on_request, m, NULL);
	/* the server's sockets go to the thread-default context */
	g_main_context_push_thread_default(ctx);
	ok = soup_server_listen(m->server, sa, 0, &err);
	g_main_context_pop_thread_default(ctx);
	g_object_unref(sa);
	if (!ok) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "metrics: cannot listen on %s%s%s:%u: %s",
			    strchr(addr, ':') ? "[" : "", addr,
			    strchr(addr, ':') ? "]" : "", port, err->message);
		g_error_free(err);
		vgd_metrics_free(m);
		return NULL;
	}
	m->url = g_strdup_printf("http://%s%s%s:%u" VGD_METRICS_PATH,
				 strchr(addr, ':') ? "[" : "", addr,
				 strchr(addr, ':') ? "]" : "", port);
	return m;
}

const char *vgd_metrics_url(const VgdMetrics *m)
{
	return m->url;
}

guint64 vgd_metrics_scrapes(const VgdMetrics *m)
{
	return m->scrapes;
}

void vgd_metrics_free(VgdMetrics *m)
{
	if (!m)
		return;
	if (m->server) {
		soup_server_disconnect(m->server);
		g_object_unref(m->server);
	}
	g_free(m->url);
	g_free(m);
}
