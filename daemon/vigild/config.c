/*
 * config.c - vigild's configuration: defaults, YAML (libyaml document
 * API, so every node knows its line) and command-line overrides.
 */
#include "config.h"
#include "vg_core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MIN_SUBBUF	(4u << 10)
#define MAX_SUBBUF	(64u << 20)
#define MIN_NSUBBUF	2
#define MAX_NSUBBUF	4096
#define MAX_FILTER_IDS	1024	/* VIGIL_FILTER_MAX_IDS */
#define MAX_KPROBES	64	/* VIGIL_MAX_KPROBES */
#define KNAME_MAX	64	/* VIGIL_NAME_MAX, with the NUL */

static void kprobe_free(gpointer data)
{
	VgdKprobe *k = data;

	g_free(k->name);
	g_free(k->symbol);
	g_free(k);
}

VgdConfig *vgd_config_new(void)
{
	VgdConfig *c = g_new0(VgdConfig, 1);

	c->scripts = g_ptr_array_new_with_free_func(g_free);
	c->script_args = g_ptr_array_new_with_free_func(g_free);
	c->events = g_ptr_array_new_with_free_func(g_free);
	c->filter_pids = g_array_new(FALSE, FALSE, sizeof(gint32));
	c->filter_tgids = g_array_new(FALSE, FALSE, sizeof(gint32));
	c->filter_syscalls = g_array_new(FALSE, FALSE, sizeof(gint32));
	c->filter_syscall_names = g_ptr_array_new_with_free_func(g_free);
	c->filter_comms = g_ptr_array_new_with_free_func(g_free);
	c->kprobes = g_ptr_array_new_with_free_func(kprobe_free);
	c->mode = VGD_MODE_NORMAL;
	c->buffer_size = 1u << 20;
	c->buffer_count = 4;
	c->switch_interval_ms = 100;
	c->dump_dir = g_strdup(VGD_DEFAULT_DUMP_DIR);
	c->history_bytes = 64u << 20;
	c->history_ms = 30000;
	c->max_dumps = 20;
	c->max_dump_bytes = 1ull << 30;
	c->rate_limit_s = 60;
	c->max_handler_errors = 0;
	c->log_level = G_LOG_LEVEL_MESSAGE;
	c->control_socket = g_strdup(VGD_DEFAULT_SOCKET);
	return c;
}

void vgd_config_free(VgdConfig *c)
{
	if (!c)
		return;
	g_ptr_array_unref(c->scripts);
	g_ptr_array_unref(c->script_args);
	g_ptr_array_unref(c->events);
	g_array_unref(c->filter_pids);
	g_array_unref(c->filter_tgids);
	g_array_unref(c->filter_syscalls);
	g_ptr_array_unref(c->filter_syscall_names);
	g_ptr_array_unref(c->filter_comms);
	g_ptr_array_unref(c->kprobes);
	g_free(c->dump_dir);
	g_free(c->control_socket);
	g_free(c->replay_dir);
	g_free(c->record_dir);
	g_free(c->source);
	g_free(c);
}

/* ---- value parsers -------------------------------------------------- */

static gboolean parse_u64(const char *s, guint64 *out)
{
	char *end;
	guint64 v;

	if (!s || !g_ascii_isdigit(*s))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (errno || *end)
		return FALSE;
	*out = v;
	return TRUE;
}

/* "1048576", "1MiB", "1M", "512KiB", "64 MiB", "2GiB": binary units. */
gboolean vgd_parse_size(const char *text, guint64 *out)
{
	static const struct { const char *sfx; guint shift; } units[] = {
		{ "", 0 }, { "B", 0 },
		{ "K", 10 }, { "KiB", 10 }, { "k", 10 }, { "KB", 10 }, { "kB", 10 },
		{ "M", 20 }, { "MiB", 20 }, { "MB", 20 },
		{ "G", 30 }, { "GiB", 30 }, { "GB", 30 },
		{ "T", 40 }, { "TiB", 40 }, { "TB", 40 },
	};
	char *end;
	guint64 v;
	guint i;

	if (!text || !g_ascii_isdigit(*text))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(text, &end, 10);
	if (errno)
		return FALSE;
	while (*end == ' ')
		end++;
	for (i = 0; i < G_N_ELEMENTS(units); i++) {
		if (strcmp(end, units[i].sfx) == 0) {
			if (units[i].shift && v > (G_MAXUINT64 >> units[i].shift))
				return FALSE;
			*out = v << units[i].shift;
			return TRUE;
		}
	}
	return FALSE;
}

/* "100ms", "30s", "2m", "1h", "1.5s"; a bare number is seconds. */
gboolean vgd_parse_duration_ms(const char *text, guint64 *out)
{
	static const struct { const char *sfx; double ms; } units[] = {
		{ "", 1000 }, { "s", 1000 }, { "sec", 1000 }, { "ms", 1 },
		{ "m", 60000 }, { "min", 60000 }, { "h", 3600000 },
	};
	char *end;
	double v;
	guint i;

	if (!text || !(g_ascii_isdigit(*text) || *text == '.'))
		return FALSE;
	errno = 0;
	v = g_ascii_strtod(text, &end);
	if (errno || end == text || v < 0)
		return FALSE;
	while (*end == ' ')
		end++;
	for (i = 0; i < G_N_ELEMENTS(units); i++) {
		if (strcmp(end, units[i].sfx) == 0) {
			double ms = v * units[i].ms;

			if (ms > (double)G_MAXUINT32 * 1000.0)
				return FALSE;
			*out = (guint64)(ms + 0.5);
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean is_pow2(guint64 v)
{
	return v && !(v & (v - 1));
}

/* ---- YAML walking ------------------------------------------------- */

typedef struct {
	yaml_document_t *doc;
	const char *origin;	/* as given, for messages */
	VgdConfig *cfg;
	GError **error;
	VgdKprobe *kp;		/* the kprobes[] entry being read */
} Ctx;

static guint node_line(yaml_node_t *n)
{
	return (guint)n->start_mark.line + 1;
}

G_GNUC_PRINTF(4, 5)
static gboolean fail(Ctx *x, yaml_node_t *n, const char *key,
		     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(x->error, VG_ERROR, VG_ERROR_PARSE, "%s:%u: %s: %s",
		    x->origin, node_line(n), key, msg);
	g_free(msg);
	return FALSE;
}

static const char *node_kind(yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "empty";
	}
}

static gboolean want_scalar(Ctx *x, yaml_node_t *n, const char *key,
			    const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, key, "expected a single value, found %s",
			    node_kind(n));
	*out = (const char *)n->data.scalar.value;
	return TRUE;
}

static gboolean get_string(Ctx *x, yaml_node_t *n, const char *key,
			   char **dst)
{
	const char *s = NULL;

	if (!want_scalar(x, n, key, &s))
		return FALSE;
	if (!*s)
		return fail(x, n, key, "must not be empty");
	g_free(*dst);
	*dst = g_strdup(s);
	return TRUE;
}

static gboolean get_uint(Ctx *x, yaml_node_t *n, const char *key,
			 guint64 min, guint64 max, guint64 *out)
{
	const char *s = NULL;
	guint64 v;

	if (!want_scalar(x, n, key, &s))
		return FALSE;
	if (!parse_u64(s, &v))
		return fail(x, n, key, "'%s' is not a whole number", s);
	if (v < min || v > max)
		return fail(x, n, key,
			    "%s is out of range (%" G_GUINT64_FORMAT
			    " .. %" G_GUINT64_FORMAT ")", s, min, max);
	*out = v;
	return TRUE;
}

static gboolean get_size(Ctx *x, yaml_node_t *n, const char *key,
			 guint64 *out)
{
	const char *s = NULL;

	if (!want_scalar(x, n, key, &s))
		return FALSE;
	if (!vgd_parse_size(s, out))
		return fail(x, n, key, "'%s' is not a size (use e.g. 1MiB)", s);
	return TRUE;
}

static gboolean get_duration(Ctx *x, yaml_node_t *n, const char *key,
			     guint64 *out)
{
	const char *s = NULL;

	if (!want_scalar(x, n, key, &s))
		return FALSE;
	if (!vgd_parse_duration_ms(s, out))
		return fail(x, n, key,
			    "'%s' is not a duration (use e.g. 30s, 100ms, 5m)",
			    s);
	return TRUE;
}

static gboolean get_bool(Ctx *x, yaml_node_t *n, const char *key,
			 gboolean *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	const char *s = NULL;
	guint i;

	if (!want_scalar(x, n, key, &s))
		return FALSE;
	for (i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(s, yes[i]) == 0) {
			*out = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(s, no[i]) == 0) {
			*out = FALSE;
			return TRUE;
		}
	}
	return fail(x, n, key, "'%s' is not true or false", s);
}

/* A list of strings; a single scalar counts as a list of one. */
static gboolean get_strings(Ctx *x, yaml_node_t *n, const char *key,
			    GPtrArray *dst)
{
	yaml_node_item_t *it;

	g_ptr_array_set_size(dst, 0);
	if (n->type == YAML_SCALAR_NODE) {
		if (n->data.scalar.length)
			g_ptr_array_add(dst, g_strdup((char *)n->data.scalar.value));
		return TRUE;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, key, "expected a list, found %s",
			    node_kind(n));
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		char *k = g_strdup_printf("%s[%u]", key,
			(guint)(it - n->data.sequence.items.start));
		const char *s = NULL;
		gboolean ok = want_scalar(x, e, k, &s);

		if (ok && !*s)
			ok = fail(x, e, k, "must not be empty");
		g_free(k);
		if (!ok)
			return FALSE;
		g_ptr_array_add(dst, g_strdup(s));
	}
	return TRUE;
}

static gboolean add_id(Ctx *x, yaml_node_t *e, const char *key, GArray *dst,
		       const char *s)
{
	char *end;
	gint64 v;

	errno = 0;
	v = g_ascii_strtoll(s, &end, 10);
	if (!*s || errno || *end)
		return fail(x, e, key, "'%s' is not a number", s);
	if (v < 0 || v > G_MAXINT32)
		return fail(x, e, key, "%s is out of range (0 .. %d)", s,
			    G_MAXINT32);
	if (dst->len >= MAX_FILTER_IDS)
		return fail(x, e, key, "more than %d ids", MAX_FILTER_IDS);
	{
		gint32 id = (gint32)v;

		g_array_append_val(dst, id);
	}
	return TRUE;
}

/* A list of ids.  With `names` set, non-numeric entries are names. */
static gboolean get_ids(Ctx *x, yaml_node_t *n, const char *key,
			GArray *dst, GPtrArray *names)
{
	yaml_node_item_t *it;
	guint i = 0;

	g_array_set_size(dst, 0);
	if (names)
		g_ptr_array_set_size(names, 0);
	if (n->type == YAML_SCALAR_NODE && !n->data.scalar.length)
		return TRUE;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, key, "expected a list, found %s",
			    node_kind(n));
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		char *k = g_strdup_printf("%s[%u]", key, i);
		const char *s = NULL;
		gboolean ok = want_scalar(x, e, k, &s);

		if (ok && names && *s && !g_ascii_isdigit(*s) && *s != '-') {
			guint j;

			for (j = 0; s[j]; j++)
				if (!g_ascii_isalnum(s[j]) && s[j] != '_')
					break;
			if (s[j])
				ok = fail(x, e, k, "'%s' is not a syscall name or number", s);
			else
				g_ptr_array_add(names, g_strdup(s));
		} else if (ok) {
			ok = add_id(x, e, k, dst, s);
		}
		g_free(k);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

typedef gboolean (*KeyFunc)(Ctx *x, yaml_node_t *v, const char *key);

typedef struct {
	const char *name;
	KeyFunc fn;
} KeyDef;

static gboolean walk_mapping(Ctx *x, yaml_node_t *n, const char *prefix,
			     const KeyDef *defs, guint n_defs)
{
	yaml_node_pair_t *p;
	GHashTable *seen;
	gboolean ok = TRUE;

	if (n->type != YAML_MAPPING_NODE)
		return fail(x, n, prefix ? prefix : "(top level)",
			    "expected a mapping of keys, found %s",
			    node_kind(n));
	seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (p = n->data.mapping.pairs.start;
	     ok && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
		const char *name;
		char *full;
		guint i;

		if (k->type != YAML_SCALAR_NODE) {
			ok = fail(x, k, prefix ? prefix : "(top level)",
				  "a key must be a plain name, found %s",
				  node_kind(k));
			break;
		}
		name = (const char *)k->data.scalar.value;
		full = prefix ? g_strdup_printf("%s.%s", prefix, name)
			      : g_strdup(name);
		for (i = 0; i < n_defs; i++)
			if (strcmp(defs[i].name, name) == 0)
				break;
		if (i == n_defs)
			ok = fail(x, k, full, "unknown key");
		else if (g_hash_table_contains(seen, defs[i].name))
			ok = fail(x, k, full, "given twice");
		else {
			g_hash_table_add(seen, (gpointer)defs[i].name);
			ok = defs[i].fn(x, v, full);
		}
		g_free(full);
	}
	g_hash_table_unref(seen);
	return ok;
}

/* -- keys -- */

static gboolean k_scripts(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_strings(x, v, key, x->cfg->scripts);
}

static gboolean k_script_args(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_strings(x, v, key, x->cfg->script_args);
}

static gboolean check_event_name(Ctx *x, yaml_node_t *n, const char *key,
				 const char *s)
{
	const char *colon = strchr(s, ':');

	if (strcmp(s, "all") == 0)
		return TRUE;
	if (!colon || colon == s || !colon[1] || strchr(colon + 1, ':') ||
	    strlen(s) >= 64)
		return fail(x, n, key,
			    "'%s' is not an event name (use subsystem:event, e.g. sched:sched_switch, or all)",
			    s);
	return TRUE;
}

static gboolean k_events(Ctx *x, yaml_node_t *v, const char *key)
{
	GPtrArray *ev = x->cfg->events;
	guint i;

	if (v->type == YAML_SCALAR_NODE) {
		/* "a,b" or "all" */
		char **parts = g_strsplit((char *)v->data.scalar.value, ",", -1);

		g_ptr_array_set_size(ev, 0);
		for (i = 0; parts[i]; i++) {
			char *s = g_strstrip(parts[i]);

			if (!*s)
				continue;
			if (!check_event_name(x, v, key, s)) {
				g_strfreev(parts);
				return FALSE;
			}
			g_ptr_array_add(ev, g_strdup(s));
		}
		g_strfreev(parts);
		return TRUE;
	}
	if (!get_strings(x, v, key, ev))
		return FALSE;
	for (i = 0; i < ev->len; i++) {
		yaml_node_t *e = yaml_document_get_node(x->doc,
			v->data.sequence.items.start[i]);
		char *k = g_strdup_printf("%s[%u]", key, i);
		gboolean ok = check_event_name(x, e, k, ev->pdata[i]);

		g_free(k);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static gboolean k_f_pids(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_ids(x, v, key, x->cfg->filter_pids, NULL);
}

static gboolean k_f_tgids(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_ids(x, v, key, x->cfg->filter_tgids, NULL);
}

static gboolean k_f_syscalls(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_ids(x, v, key, x->cfg->filter_syscalls,
		       x->cfg->filter_syscall_names);
}

static gboolean k_f_comms(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_strings(x, v, key, x->cfg->filter_comms);
}

static const KeyDef filter_keys[] = {
	{ "pids", k_f_pids },
	{ "tgids", k_f_tgids },
	{ "syscalls", k_f_syscalls },
	{ "comms", k_f_comms },
};

static gboolean k_filters(Ctx *x, yaml_node_t *v, const char *key)
{
	return walk_mapping(x, v, key, filter_keys, G_N_ELEMENTS(filter_keys));
}

static gboolean mode_from(const char *s, VgdMode *out)
{
	if (strcmp(s, "normal") == 0)
		*out = VGD_MODE_NORMAL;
	else if (strcmp(s, "flight") == 0)
		*out = VGD_MODE_FLIGHT;
	else
		return FALSE;
	return TRUE;
}

static gboolean k_mode(Ctx *x, yaml_node_t *v, const char *key)
{
	const char *s = NULL;

	if (!want_scalar(x, v, key, &s))
		return FALSE;
	if (!mode_from(s, &x->cfg->mode))
		return fail(x, v, key, "'%s' is not a mode (normal or flight)", s);
	return TRUE;
}

static gboolean k_buf_size(Ctx *x, yaml_node_t *v, const char *key)
{
	guint64 sz;

	if (!get_size(x, v, key, &sz))
		return FALSE;
	if (sz < MIN_SUBBUF || sz > MAX_SUBBUF || !is_pow2(sz))
		return fail(x, v, key,
			    "'%s' must be a power of 2 from 4KiB to 64MiB",
			    (char *)v->data.scalar.value);
	x->cfg->buffer_size = (guint32)sz;
	return TRUE;
}

static gboolean k_buf_count(Ctx *x, yaml_node_t *v, const char *key)
{
	guint64 n;

	if (!get_uint(x, v, key, MIN_NSUBBUF, MAX_NSUBBUF, &n))
		return FALSE;
	x->cfg->buffer_count = (guint32)n;
	return TRUE;
}

static gboolean k_kaddrs(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_bool(x, v, key, &x->cfg->kernel_addrs);
}

static const KeyDef buffer_keys[] = {
	{ "size", k_buf_size },
	{ "count", k_buf_count },
	{ "kernel_addresses", k_kaddrs },
};

static gboolean k_buffer(Ctx *x, yaml_node_t *v, const char *key)
{
	return walk_mapping(x, v, key, buffer_keys, G_N_ELEMENTS(buffer_keys));
}

static gboolean k_switch(Ctx *x, yaml_node_t *v, const char *key)
{
	guint64 ms;

	if (!get_duration(x, v, key, &ms))
		return FALSE;
	if (ms > 60000)
		return fail(x, v, key, "'%s' is out of range (0 .. 60s)",
			    (char *)v->data.scalar.value);
	x->cfg->switch_interval_ms = (guint32)ms;
	return TRUE;
}

static gboolean k_d_dir(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_string(x, v, key, &x->cfg->dump_dir);
}

static gboolean k_d_hsize(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_size(x, v, key, &x->cfg->history_bytes);
}

static gboolean k_d_htime(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_duration(x, v, key, &x->cfg->history_ms);
}

static gboolean k_d_maxdumps(Ctx *x, yaml_node_t *v, const char *key)
{
	guint64 n;

	if (!get_uint(x, v, key, 0, 1000000, &n))
		return FALSE;
	x->cfg->max_dumps = (guint)n;
	return TRUE;
}

static gboolean k_d_maxbytes(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_size(x, v, key, &x->cfg->max_dump_bytes);
}

static gboolean k_d_rate(Ctx *x, yaml_node_t *v, const char *key)
{
	guint64 ms;

	if (!get_duration(x, v, key, &ms))
		return FALSE;
	x->cfg->rate_limit_s = (guint)((ms + 999) / 1000);
	return TRUE;
}

static const KeyDef dump_keys[] = {
	{ "dir", k_d_dir },
	{ "history_size", k_d_hsize },
	{ "history_time", k_d_htime },
	{ "max_dumps", k_d_maxdumps },
	{ "max_bytes", k_d_maxbytes },
	{ "rate_limit", k_d_rate },
};

static gboolean k_dump(Ctx *x, yaml_node_t *v, const char *key)
{
	return walk_mapping(x, v, key, dump_keys, G_N_ELEMENTS(dump_keys));
}

static gboolean k_max_err(Ctx *x, yaml_node_t *v, const char *key)
{
	guint64 n;

	if (!get_uint(x, v, key, 0, G_MAXUINT32, &n))
		return FALSE;
	x->cfg->max_handler_errors = (guint)n;
	return TRUE;
}

static gboolean k_log_level(Ctx *x, yaml_node_t *v, const char *key)
{
	static const struct { const char *name; GLogLevelFlags lvl; } lv[] = {
		{ "error", G_LOG_LEVEL_CRITICAL },
		{ "warning", G_LOG_LEVEL_WARNING },
		{ "message", G_LOG_LEVEL_MESSAGE },
		{ "info", G_LOG_LEVEL_INFO },
		{ "debug", G_LOG_LEVEL_DEBUG },
	};
	const char *s = NULL;
	guint i;

	if (!want_scalar(x, v, key, &s))
		return FALSE;
	for (i = 0; i < G_N_ELEMENTS(lv); i++) {
		if (strcmp(lv[i].name, s) == 0) {
			x->cfg->log_level = lv[i].lvl;
			return TRUE;
		}
	}
	return fail(x, v, key,
		    "'%s' is not a log level (error, warning, message, info, debug)",
		    s);
}

static gboolean k_socket(Ctx *x, yaml_node_t *v, const char *key)
{
	const char *s = NULL;

	if (!want_scalar(x, v, key, &s))
		return FALSE;
	if (*s != '/')
		return fail(x, v, key, "'%s' is not an absolute path", s);
	if (strlen(s) >= 108)
		return fail(x, v, key, "path is longer than 107 bytes");
	return get_string(x, v, key, &x->cfg->control_socket);
}

static gboolean kname_ok(const char *s)
{
	if (!*s || strlen(s) >= KNAME_MAX)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_' && *s != '.')
			return FALSE;
	return TRUE;
}

static gboolean k_kp_name(Ctx *x, yaml_node_t *v, const char *key)
{
	const char *s = NULL;

	if (!want_scalar(x, v, key, &s))
		return FALSE;
	if (!kname_ok(s))
		return fail(x, v, key,
			    "'%s' is not a probe name (letters, digits, _ and ., at most 63)",
			    s);
	for (guint i = 0; i < x->cfg->kprobes->len; i++) {
		VgdKprobe *o = x->cfg->kprobes->pdata[i];

		if (o != x->kp && o->name && strcmp(o->name, s) == 0)
			return fail(x, v, key, "'%s' is already the name of kprobes[%u]",
				    s, i);
	}
	g_free(x->kp->name);
	x->kp->name = g_strdup(s);
	return TRUE;
}

static gboolean k_kp_symbol(Ctx *x, yaml_node_t *v, const char *key)
{
	const char *s = NULL;

	if (!want_scalar(x, v, key, &s))
		return FALSE;
	if (!kname_ok(s))
		return fail(x, v, key, "'%s' is not a kernel symbol name", s);
	g_free(x->kp->symbol);
	x->kp->symbol = g_strdup(s);
	return TRUE;
}

static gboolean k_kp_offset(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_uint(x, v, key, 0, G_MAXUINT32, &x->kp->offset);
}

static gboolean k_kp_args(Ctx *x, yaml_node_t *v, const char *key)
{
	guint64 n;

	if (!get_uint(x, v, key, 0, 6, &n))
		return FALSE;
	x->kp->nargs = (guint)n;
	return TRUE;
}

static gboolean k_kp_return(Ctx *x, yaml_node_t *v, const char *key)
{
	return get_bool(x, v, key, &x->kp->retprobe);
}

static const KeyDef kprobe_keys[] = {
	{ "name", k_kp_name },
	{ "symbol", k_kp_symbol },
	{ "offset", k_kp_offset },
	{ "args", k_kp_args },
	{ "return", k_kp_return },
};

static gboolean k_kprobes(Ctx *x, yaml_node_t *v, const char *key)
{
	yaml_node_item_t *it;
	guint i = 0;

	g_ptr_array_set_size(x->cfg->kprobes, 0);
	if (v->type == YAML_SCALAR_NODE && !v->data.scalar.length)
		return TRUE;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(x, v, key, "expected a list of probes, found %s",
			    node_kind(v));
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		char *k = g_strdup_printf("%s[%u]", key, i);
		VgdKprobe *kp = g_new0(VgdKprobe, 1);
		gboolean ok;

		g_ptr_array_add(x->cfg->kprobes, kp);
		x->kp = kp;
		ok = walk_mapping(x, e, k, kprobe_keys,
				  G_N_ELEMENTS(kprobe_keys));
		x->kp = NULL;
		if (ok && i >= MAX_KPROBES)
			ok = fail(x, e, k, "more than %d kprobes", MAX_KPROBES);
		if (ok && !kp->symbol)
			ok = fail(x, e, k, "no symbol: the kernel function to probe");
		if (ok && kp->retprobe && kp->nargs)
			ok = fail(x, e, k,
				  "a return probe records the return value, not args");
		if (ok && !kp->name) {
			char *n = g_strdup_printf("%s%s", kp->symbol,
						  kp->retprobe ? "_ret" : "");

			if (strlen(n) >= KNAME_MAX)
				ok = fail(x, e, k, "no name, and '%s' is too long for one", n);
			kp->name = n;
		}
		if (ok) {
			for (guint j = 0; j < i; j++) {
				VgdKprobe *o = x->cfg->kprobes->pdata[j];

				if (strcmp(o->name, kp->name) == 0) {
					ok = fail(x, e, k, "'%s' is already the name of %s[%u]",
						  kp->name, key, j);
					break;
				}
			}
		}
		g_free(k);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static const KeyDef top_keys[] = {
	{ "scripts", k_scripts },
	{ "script_args", k_script_args },
	{ "events", k_events },
	{ "filters", k_filters },
	{ "mode", k_mode },
	{ "buffer", k_buffer },
	{ "switch_interval", k_switch },
	{ "dump", k_dump },
	{ "max_handler_errors", k_max_err },
	{ "log_level", k_log_level },
	{ "control_socket", k_socket },
	{ "kprobes", k_kprobes },
};

gboolean vgd_config_load_data(VgdConfig *cfg, const char *data, gsize len,
			      const char *origin, GError **error)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	gboolean ok;
	Ctx x = { &doc, origin, cfg, error, NULL };

	if (!yaml_parser_initialize(&parser)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: cannot initialise the YAML parser", origin);
		return FALSE;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s:%u: YAML syntax error: %s%s%s", origin,
			    (guint)parser.problem_mark.line + 1,
			    parser.problem ? parser.problem : "unknown",
			    parser.context ? " " : "",
			    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return FALSE;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || (root->type == YAML_SCALAR_NODE &&
		      root->data.scalar.length == 0))
		ok = TRUE;	/* empty file: defaults */
	else
		ok = walk_mapping(&x, root, NULL, top_keys,
				  G_N_ELEMENTS(top_keys));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ok) {
		g_free(cfg->source);
		cfg->source = g_strdup(origin);
	}
	return ok;
}

gboolean vgd_config_load_file(VgdConfig *cfg, const char *path,
			      gboolean must_exist, GError **error)
{
	GError *err = NULL;
	char *data;
	gsize len;
	gboolean ok;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		if (!must_exist && g_error_matches(err, G_FILE_ERROR,
						   G_FILE_ERROR_NOENT)) {
			g_error_free(err);
			return TRUE;
		}
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "configuration %s: %s", path, err->message);
		g_error_free(err);
		return FALSE;
	}
	ok = vgd_config_load_data(cfg, data, len, path, error);
	g_free(data);
	return ok;
}

/* ---- command-line setters -------------------------------------------- */

gboolean vgd_config_set_mode(VgdConfig *cfg, const char *text,
			     const char *what, GError **error)
{
	if (!mode_from(text, &cfg->mode)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: '%s' is not a mode (normal or flight)",
			    what, text);
		return FALSE;
	}
	return TRUE;
}

gboolean vgd_config_set_buffer_size(VgdConfig *cfg, const char *text,
				    const char *what, GError **error)
{
	guint64 sz;

	if (!vgd_parse_size(text, &sz)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: '%s' is not a size (use e.g. 1MiB)", what, text);
		return FALSE;
	}
	if (sz < MIN_SUBBUF || sz > MAX_SUBBUF || !is_pow2(sz)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: '%s' must be a power of 2 from 4KiB to 64MiB",
			    what, text);
		return FALSE;
	}
	cfg->buffer_size = (guint32)sz;
	return TRUE;
}

gboolean vgd_config_set_buffer_count(VgdConfig *cfg, const char *text,
				     const char *what, GError **error)
{
	guint64 n;

	if (!parse_u64(text, &n) || n < MIN_NSUBBUF || n > MAX_NSUBBUF) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: '%s' is not a sub-buffer count (%d .. %d)",
			    what, text, MIN_NSUBBUF, MAX_NSUBBUF);
		return FALSE;
	}
	cfg->buffer_count = (guint32)n;
	return TRUE;
}

gboolean vgd_config_set_events(VgdConfig *cfg, const char *list,
			       const char *what, GError **error)
{
	char **parts = g_strsplit(list, ",", -1);
	GPtrArray *ev = g_ptr_array_new_with_free_func(g_free);
	guint i;

	for (i = 0; parts[i]; i++) {
		char *s = g_strstrip(parts[i]);
		const char *colon = strchr(s, ':');

		if (!*s)
			continue;
		if (strcmp(s, "all") != 0 &&
		    (!colon || colon == s || !colon[1] ||
		     strchr(colon + 1, ':') || strlen(s) >= 64)) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: '%s' is not an event name (use subsystem:event, e.g. sched:sched_switch, or all)",
				    what, s);
			g_strfreev(parts);
			g_ptr_array_unref(ev);
			return FALSE;
		}
		g_ptr_array_add(ev, g_strdup(s));
	}
	g_strfreev(parts);
	g_ptr_array_set_size(cfg->events, 0);
	for (i = 0; i < ev->len; i++)
		g_ptr_array_add(cfg->events, g_strdup(ev->pdata[i]));
	g_ptr_array_unref(ev);
	return TRUE;
}

gboolean vgd_config_check(const VgdConfig *cfg, GError **error)
{
	const char *where = cfg->source ? cfg->source : "configuration";

	if (cfg->scripts->len == 0 && cfg->mode == VGD_MODE_NORMAL &&
	    !cfg->replay_dir && !cfg->record_dir) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: no handler script (give -s SCRIPT or 'scripts:'), "
			    "no --record DIR and not in flight mode: nothing to do",
			    where);
		return FALSE;
	}
	if (cfg->record_dir && cfg->mode == VGD_MODE_FLIGHT && !cfg->replay_dir) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "--record %s: flight mode reads nothing to record "
			    "(use --mode normal, or dumps)", cfg->record_dir);
		return FALSE;
	}
	if (cfg->replay_dir && cfg->record_dir) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "--record cannot be combined with --replay");
		return FALSE;
	}
	if (cfg->replay_dir && cfg->scripts->len == 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "--replay %s: no handler script to run (give -s SCRIPT)",
			    cfg->replay_dir);
		return FALSE;
	}
	return TRUE;
}

static void append_list(GString *s, const char *key, GPtrArray *a)
{
	guint i;

	g_string_append_printf(s, "%s: [", key);
	for (i = 0; i < a->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
				       (char *)a->pdata[i]);
	g_string_append(s, "]\n");
}

static void append_ids(GString *s, const char *key, GArray *a)
{
	guint i;

	g_string_append_printf(s, "%s: [", key);
	for (i = 0; i < a->len; i++)
		g_string_append_printf(s, "%s%d", i ? ", " : "",
				       g_array_index(a, gint32, i));
	g_string_append(s, "]\n");
}

char *vgd_config_to_string(const VgdConfig *c)
{
	GString *s = g_string_new(NULL);

	append_list(s, "scripts", c->scripts);
	append_list(s, "script_args", c->script_args);
	append_list(s, "events", c->events);
	append_ids(s, "filters.pids", c->filter_pids);
	append_ids(s, "filters.tgids", c->filter_tgids);
	append_ids(s, "filters.syscalls", c->filter_syscalls);
	append_list(s, "filters.syscall_names", c->filter_syscall_names);
	append_list(s, "filters.comms", c->filter_comms);
	g_string_append_printf(s, "mode: %s\n",
			       c->mode == VGD_MODE_FLIGHT ? "flight" : "normal");
	g_string_append_printf(s, "buffer.size: %u\n", c->buffer_size);
	g_string_append_printf(s, "buffer.count: %u\n", c->buffer_count);
	g_string_append_printf(s, "buffer.kernel_addresses: %s\n",
			       c->kernel_addrs ? "true" : "false");
	g_string_append_printf(s, "switch_interval: %ums\n",
			       c->switch_interval_ms);
	g_string_append_printf(s, "dump.dir: %s\n", c->dump_dir);
	g_string_append_printf(s, "dump.history_size: %" G_GUINT64_FORMAT "\n",
			       c->history_bytes);
	g_string_append_printf(s, "dump.history_time: %" G_GUINT64_FORMAT "ms\n",
			       c->history_ms);
	g_string_append_printf(s, "dump.max_dumps: %u\n", c->max_dumps);
	g_string_append_printf(s, "dump.max_bytes: %" G_GUINT64_FORMAT "\n",
			       c->max_dump_bytes);
	g_string_append_printf(s, "dump.rate_limit: %us\n", c->rate_limit_s);
	g_string_append_printf(s, "max_handler_errors: %u\n",
			       c->max_handler_errors);
	g_string_append_printf(s, "control_socket: %s\n", c->control_socket);
	g_string_append(s, "kprobes: [");
	for (guint i = 0; i < c->kprobes->len; i++) {
		VgdKprobe *k = c->kprobes->pdata[i];

		g_string_append_printf(s, "%s{name: %s, symbol: %s, offset: %"
				       G_GUINT64_FORMAT ", args: %u, return: %s}",
				       i ? ", " : "", k->name, k->symbol,
				       k->offset, k->nargs,
				       k->retprobe ? "true" : "false");
	}
	g_string_append(s, "]\n");
	return g_string_free(s, FALSE);
}
