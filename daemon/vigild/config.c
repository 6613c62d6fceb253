/*
 * config.c - vigild's configuration: defaults, YAML (libyaml document
 * API, so every node knows its line) and command-line overrides.
 */
#include "config.h"
#include "vg_core.h"
#include "vg_events_gen.h"	/* the task table's events, by role */

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
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
#define WATCHDOG_MAX_MS	(24u * 3600 * 1000)

static void kprobe_free(gpointer data)
{
	VgdKprobe *k = data;

	g_free(k->name);
	g_free(k->symbol);
	g_free(k);
}

static void channel_free(gpointer data)
{
	VgdChannel *ch = data;

	g_free(ch->name);
	g_ptr_array_unref(ch->events);
	g_free(ch);
}

static void set_config_defaults(VgdConfig *cfg);

VgdConfig *vgd_config_new(void)
{
	VgdConfig *c = g_new0(VgdConfig, 1);

	c->scripts = g_ptr_array_new_with_free_func(g_free);
	c->script_args = g_ptr_array_new_with_free_func(g_free);
	c->events = g_ptr_array_new_with_free_func(g_free);
	c->stacks = g_ptr_array_new_with_free_func(g_free);
	c->filter_pids = g_array_new(FALSE, FALSE, sizeof(gint32));
	c->filter_tgids = g_array_new(FALSE, FALSE, sizeof(gint32));
	c->filter_syscalls = g_array_new(FALSE, FALSE, sizeof(gint32));
	c->filter_syscall_names = g_ptr_array_new_with_free_func(g_free);
	c->filter_comms = g_ptr_array_new_with_free_func(g_free);
	c->kprobes = g_ptr_array_new_with_free_func(kprobe_free);
	c->channels = g_ptr_array_new_with_free_func(channel_free);
	set_config_defaults(c);
	return c;
}

void vgd_config_free(VgdConfig *c)
{
	if (!c)
		return;
	g_ptr_array_unref(c->scripts);
	g_ptr_array_unref(c->script_args);
	g_ptr_array_unref(c->events);
	g_ptr_array_unref(c->stacks);
	g_array_unref(c->filter_pids);
	g_array_unref(c->filter_tgids);
	g_array_unref(c->filter_syscalls);
	g_ptr_array_unref(c->filter_syscall_names);
	g_ptr_array_unref(c->filter_comms);
	g_ptr_array_unref(c->kprobes);
	g_ptr_array_unref(c->channels);
	g_free(c->dump_dir);
	g_free(c->control_socket);
	g_free(c->metrics_listen);
	g_free(c->control_group);
	g_free(c->user);
	g_free(c->group);
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
	VgdChannel *ch;		/* the channels: entry being read */
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

/* ---- the keys --------------------------------------------------------- */

/*
 * Every key of vigil.yaml, one row each: adding a key is adding a row
 * here (and its field in VgdConfig, and its item in vigil.yaml(5), which
 * t/daemon/config.t checks against this table).  A dotted name is a key
 * inside a mapping ("dump.dir" is dir: under dump:).
 */
typedef enum {
	K_STRINGS,	/* GPtrArray * of char *; a scalar is a list of one */
	K_EVENTS,	/* K_STRINGS of event names; "a,b" allowed */
	K_IDS,		/* GArray * of gint32 */
	K_SYSCALLS,	/* K_IDS, names to filter_syscall_names */
	K_KPROBES,	/* GPtrArray * of VgdKprobe *, keys in kprobe_keys */
	K_MODE,		/* VgdMode */
	K_SOURCE,	/* VgdSource */
	K_BUFSIZE,	/* guint32 size, a power of 2 in min .. max */
	K_UINT,		/* guint in min .. max */
	K_UINT64,	/* guint64 in min .. max */
	K_BOOL,		/* gboolean */
	K_MS,		/* guint32 duration in ms, at most max */
	K_MS64,		/* guint64 duration in ms */
	K_SECONDS,	/* guint duration, whole seconds rounded up */
	K_SIZE,		/* guint64 size */
	K_PATH,		/* char *, not empty */
	K_SOCKET,	/* char *, absolute, fits a sockaddr_un */
	K_LOG_LEVEL,	/* GLogLevelFlags */
	K_USER,		/* char *: a user of this system, not root; empty: NULL */
	K_GROUP,	/* char *: a group of this system; empty: NULL */
	K_KNAME,	/* char *: a kprobe's event name, unique */
	K_KSYMBOL,	/* char *: a kernel symbol */
	K_LISTEN,	/* char *: [ADDR:]PORT, normalized; "" = NULL, off */
	K_CHANNELS,	/* GPtrArray * of VgdChannel *, keys in channel_keys */
	K_CMODE,	/* VgdMode of a channel: normal or flight */
	K_CEVENTS,	/* a channel's events: in no other channel */
} KeyType;

typedef VgdConfigKey KeyDef;	/* config.h */

#define CF(f)	G_STRUCT_OFFSET(VgdConfig, f)
#define KP(f)	G_STRUCT_OFFSET(VgdKprobe, f)
#define CH(f)	G_STRUCT_OFFSET(VgdChannel, f)

/* In the order vgd_config_to_string() prints them. */
static const KeyDef top_keys[] = {
	{ "scripts", K_STRINGS, CF(scripts), 0, 0, NULL,
	  "list of paths or handler names; default none" },
	{ "script_args", K_STRINGS, CF(script_args), 0, 0, NULL,
	  "list; default none" },
	{ "events", K_EVENTS, CF(events), 0, 0, NULL,
	  "list, or a comma-separated string; default: what the handlers subscribe to" },
	{ "stacks", K_EVENTS, CF(stacks), 0, 0, NULL,
	  "list of event names, or a comma-separated string; default none" },
	{ "stack_depth", K_UINT, CF(stack_depth), 1, VGD_MAX_STACK_DEPTH, "32",
	  "1 .. 127; default 32" },
	{ "filters.pids", K_IDS, CF(filter_pids), 0, 0, NULL,
	  "list of thread ids" },
	{ "filters.tgids", K_IDS, CF(filter_tgids), 0, 0, NULL,
	  "list of process ids" },
	{ "filters.syscalls", K_SYSCALLS, CF(filter_syscalls), 0, 0, NULL,
	  "list of syscall names or numbers" },
	{ "filters.comms", K_STRINGS, CF(filter_comms), 0, 0, NULL,
	  "list of shell globs" },
	{ "mode", K_MODE, CF(mode), 0, 0, "auto",
	  "C<auto>, C<normal> or C<flight>; default C<auto>" },
	{ "source", K_SOURCE, CF(event_source), 0, 0, "auto",
	  "C<auto>, C<module> or C<kernel>; default C<auto>" },
	{ "buffer.size", K_BUFSIZE, CF(buffer_size), MIN_SUBBUF, MAX_SUBBUF, "1MiB",
	  "size; default C<1MiB>" },
	{ "buffer.count", K_UINT, CF(buffer_count), MIN_NSUBBUF, MAX_NSUBBUF, "4",
	  "2 .. 4096; default 4" },
	{ "buffer.kernel_addresses", K_BOOL, CF(kernel_addrs), 0, 0, "false",
	  "boolean; default false" },
	{ "switch_interval", K_MS, CF(switch_interval_ms), 0, 60000, "100ms",
	  "duration, 0 .. 60s; default C<100ms>" },
	{ "dump.dir", K_PATH, CF(dump_dir), 0, 0, VGD_DEFAULT_DUMP_DIR,
	  "path; default F<" VGD_DEFAULT_DUMP_DIR ">" },
	{ "dump.history_size", K_SIZE, CF(history_bytes), 0, 0, "64MiB",
	  "size; default C<64MiB>" },
	{ "dump.history_time", K_MS64, CF(history_ms), 0, 0, "30s",
	  "duration; default C<30s>" },
	{ "dump.max_dumps", K_UINT, CF(max_dumps), 0, 1000000, "20",
	  "number; default 20; 0 = no limit" },
	{ "dump.max_bytes", K_SIZE, CF(max_dump_bytes), 0, 0, "1GiB",
	  "size; default C<1GiB>; 0 = no limit" },
	{ "dump.rate_limit", K_SECONDS, CF(rate_limit_s), 0, 0, "60s",
	  "duration; default C<60s>; 0 = no limit" },
	{ "statedump.mmaps", K_UINT, CF(statedump_mmaps), 0, 65536, "64",
	  "number; default 64; 0 = none" },
	{ "max_handler_errors", K_UINT, CF(max_handler_errors), 0, G_MAXUINT32, "0",
	  "number; default 0 = never" },
	{ "watchdog.report_after", K_MS, CF(watchdog_report_ms), 0, WATCHDOG_MAX_MS,
	  "5s", "duration, 0 .. 1 day; default C<5s>; 0 = never" },
	{ "watchdog.abort_after", K_MS, CF(watchdog_abort_ms), 0, WATCHDOG_MAX_MS,
	  "0", "duration, 0 .. 1 day; default 0 = never" },
	{ "log_level", K_LOG_LEVEL, CF(log_level), 0, 0, "message",
	  "C<error>, C<warning>, C<message>, C<info>, C<debug>; default C<message>" },
	{ "control_socket", K_SOCKET, CF(control_socket), 0, 0, VGD_DEFAULT_SOCKET,
	  "absolute path; default F<" VGD_DEFAULT_SOCKET ">" },
	{ "control_group", K_GROUP, CF(control_group), 0, 0, NULL,
	  "group name; default none: root only" },
	{ "user", K_USER, CF(user), 0, 0, NULL,
	  "user name; default none: vigild stays root" },
	{ "group", K_GROUP, CF(group), 0, 0, NULL,
	  "group name; default the user's primary group" },
	{ "kprobes", K_KPROBES, CF(kprobes), 0, 0, NULL,
	  "list of probes; default none" },
	{ "channels", K_CHANNELS, CF(channels), 0, 0, NULL,
	  "mapping of channel names to channels; default none: one channel" },
	{ "metrics.listen", K_LISTEN, CF(metrics_listen), 0, 0, NULL,
	  "[I<ADDR>B<:>]I<PORT>; default none: off" },
};

/* The keys of one kprobes[] entry. */
static const KeyDef kprobe_keys[] = {
	{ "symbol", K_KSYMBOL, KP(symbol), 0, 0, NULL, "required" },
	{ "name", K_KNAME, KP(name), 0, 0, NULL, NULL },
	{ "offset", K_UINT64, KP(offset), 0, G_MAXUINT32, "0", "default 0" },
	{ "args", K_UINT, KP(nargs), 0, 6, "0", "0 .. 6; default 0" },
	{ "return", K_BOOL, KP(retprobe), 0, 0, "false",
	  "boolean; default false" },
};

/* The keys of one channels: entry (vigil.yaml(5), CHANNELS).  The
 * buffer's keys have the top level's names, and the names of the
 * example in the design (subbuf_size, n_subbufs) as well. */
static const KeyDef channel_keys[] = {
	{ "mode", K_CMODE, CH(mode), 0, 0, "normal",
	  "C<normal> or C<flight>; default C<normal>" },
	{ "events", K_CEVENTS, CH(events), 0, 0, NULL,
	  "list, or a comma-separated string; required" },
	{ "buffer.size", K_BUFSIZE, CH(buffer_size), MIN_SUBBUF, MAX_SUBBUF, NULL,
	  "size; default the top-level buffer.size" },
	{ "buffer.subbuf_size", K_BUFSIZE, CH(buffer_size), MIN_SUBBUF, MAX_SUBBUF,
	  NULL, "another name of buffer.size" },
	{ "buffer.count", K_UINT, CH(buffer_count), MIN_NSUBBUF, MAX_NSUBBUF, NULL,
	  "2 .. 4096; default the top-level buffer.count" },
	{ "buffer.n_subbufs", K_UINT, CH(buffer_count), MIN_NSUBBUF, MAX_NSUBBUF,
	  NULL, "another name of buffer.count" },
	{ "switch_interval", K_MS, CH(switch_interval_ms), 0, 60000, NULL,
	  "duration, 0 .. 60s; default the top-level switch_interval" },
};

const VgdConfigKey *vgd_config_keys(VgdKeyTable table, guint *n)
{
	switch (table) {
	case VGD_KEYS_KPROBE:
		*n = G_N_ELEMENTS(kprobe_keys);
		return kprobe_keys;
	case VGD_KEYS_CHANNEL:
		*n = G_N_ELEMENTS(channel_keys);
		return channel_keys;
	case VGD_KEYS_TOP:
		break;
	}
	*n = G_N_ELEMENTS(top_keys);
	return top_keys;
}

const VgdChannel *vgd_config_channel_by_name(const VgdConfig *cfg,
					     const char *name)
{
	for (guint i = 0; i < cfg->channels->len; i++) {
		const VgdChannel *ch = cfg->channels->pdata[i];

		if (strcmp(ch->name, name) == 0)
			return ch;
	}
	return NULL;
}

const VgdChannel *vgd_config_channel_of(const VgdConfig *cfg,
					const char *event)
{
	for (guint i = 0; i < cfg->channels->len; i++) {
		const VgdChannel *ch = cfg->channels->pdata[i];

		for (guint j = 0; j < ch->events->len; j++)
			if (strcmp(ch->events->pdata[j], event) == 0)
				return ch;
	}
	return NULL;
}

#define AT(base, d, type)	((type *)((char *)(base) + (d)->off))

static gboolean walk_mapping(Ctx *x, yaml_node_t *n, const char *prefix,
			     const KeyDef *defs, guint n_defs, gpointer base);
static void set_defaults(VgdConfig *cfg, const VgdConfigKey *defs,
			 guint n_defs, gpointer base);

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

static gboolean get_events(Ctx *x, yaml_node_t *v, const char *key,
			   GPtrArray *ev)
{
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

static gboolean mode_from(const char *s, VgdMode *out)
{
	if (strcmp(s, "normal") == 0)
		*out = VGD_MODE_NORMAL;
	else if (strcmp(s, "flight") == 0)
		*out = VGD_MODE_FLIGHT;
	else if (strcmp(s, "auto") == 0)
		*out = VGD_MODE_AUTO;
	else
		return FALSE;
	return TRUE;
}

static gboolean source_from(const char *s, VgdSource *out)
{
	if (strcmp(s, "auto") == 0)
		*out = VGD_SOURCE_AUTO;
	else if (strcmp(s, "module") == 0)
		*out = VGD_SOURCE_MODULE;
	else if (strcmp(s, "kernel") == 0)
		*out = VGD_SOURCE_KERNEL;
	else
		return FALSE;
	return TRUE;
}

const char *vgd_source_name(VgdSource s)
{
	return s == VGD_SOURCE_MODULE ? "module" :
	       s == VGD_SOURCE_KERNEL ? "kernel" : "auto";
}

gboolean vgd_parse_listen(const char *text, char **addr, guint16 *port)
{
	const char *colon, *ps;
	char *a;
	guint64 p;
	unsigned char buf[sizeof(struct in6_addr)];
	gboolean v6;

	if (!text || !*text)
		return FALSE;
	if (*text == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return FALSE;
		a = g_strndup(text + 1, close - text - 1);
		ps = close + 2;
		v6 = TRUE;
	} else if ((colon = strrchr(text, ':'))) {
		a = g_strndup(text, colon - text);
		ps = colon + 1;
		v6 = FALSE;
	} else {
		a = g_strdup("127.0.0.1");
		ps = text;
		v6 = FALSE;
	}
	if (!parse_u64(ps, &p) || p < 1 || p > 65535 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, a, buf) != 1) {
		g_free(a);
		return FALSE;
	}
	*addr = a;
	*port = (guint16)p;
	return TRUE;
}

/* text as "ADDR:PORT" ("[ADDR]:PORT" for IPv6), or NULL */
static char *listen_normalized(const char *text)
{
	char *a, *n;
	guint16 port;

	if (!vgd_parse_listen(text, &a, &port))
		return NULL;
	n = strchr(a, ':') ? g_strdup_printf("[%s]:%u", a, port) :
			     g_strdup_printf("%s:%u", a, port);
	g_free(a);
	return n;
}

#define LISTEN_HELP "is not [ADDR:]PORT (an IP address, 127.0.0.1 when " \
	"left out, and a port 1 .. 65535: 9464, 127.0.0.1:9464, [::1]:9464)"

static gboolean watchdog_ms(const char *text, guint32 *out)
{
	guint64 ms;

	if (!vgd_parse_duration_ms(text, &ms) || ms > WATCHDOG_MAX_MS)
		return FALSE;
	*out = (guint32)ms;
	return TRUE;
}

gboolean vgd_config_set_watchdog(VgdConfig *cfg, const char *text,
				 const char *what, GError **error)
{
	char **parts = g_strsplit(text, ",", -1);
	guint n = g_strv_length(parts);
	guint32 report = 0, abort_ms = cfg->watchdog_abort_ms;
	gboolean ok = n >= 1 && n <= 2 &&
		watchdog_ms(g_strstrip(parts[0]), &report) &&
		(n < 2 || watchdog_ms(g_strstrip(parts[1]), &abort_ms));

	g_strfreev(parts);
	if (!ok) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: '%s' is not REPORT[,ABORT]: durations of 0 "
			    ".. 1 day (e.g. 5s,30s; 0 = never)", what, text);
		return FALSE;
	}
	cfg->watchdog_report_ms = report;
	cfg->watchdog_abort_ms = abort_ms;
	return TRUE;
}

gboolean vgd_config_set_metrics(VgdConfig *cfg, const char *text,
				const char *what, GError **error)
{
	char *n = NULL;

	if (*text && !(n = listen_normalized(text))) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE, "%s: '%s' " LISTEN_HELP,
			    what, text);
		return FALSE;
	}
	g_free(cfg->metrics_listen);
	cfg->metrics_listen = n;
	return TRUE;
}

static const struct { const char *name; GLogLevelFlags lvl; } log_levels[] = {
	{ "error", G_LOG_LEVEL_CRITICAL },
	{ "warning", G_LOG_LEVEL_WARNING },
	{ "message", G_LOG_LEVEL_MESSAGE },
	{ "info", G_LOG_LEVEL_INFO },
	{ "debug", G_LOG_LEVEL_DEBUG },
};

static gboolean kname_ok(const char *s)
{
	if (!*s || strlen(s) >= KNAME_MAX)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_' && *s != '.')
			return FALSE;
	return TRUE;
}

static gboolean get_kprobes(Ctx *x, yaml_node_t *v, const char *key)
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
		set_defaults(x->cfg, kprobe_keys, G_N_ELEMENTS(kprobe_keys), kp);
		x->kp = kp;
		ok = walk_mapping(x, e, k, kprobe_keys,
				  G_N_ELEMENTS(kprobe_keys), kp);
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

/* NULL (and *why) when name is no user (group) of this system. */
static const char *user_problem(const char *name, char **why)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		*why = errno ? g_strdup_printf("looking up user '%s': %s", name,
					       g_strerror(errno))
			     : g_strdup_printf("no user '%s' on this system", name);
		return *why;
	}
	if (pw->pw_uid == 0) {
		*why = g_strdup_printf("'%s' is root (uid 0): name an "
				       "unprivileged user", name);
		return *why;
	}
	return NULL;
}

static const char *group_problem(const char *name, char **why)
{
	struct group *gr;

	errno = 0;
	gr = getgrnam(name);
	if (!gr) {
		*why = errno ? g_strdup_printf("looking up group '%s': %s", name,
					       g_strerror(errno))
			     : g_strdup_printf("no group '%s' on this system", name);
		return *why;
	}
	return NULL;
}

static gboolean channel_name_ok(const char *s)
{
	if (!*s || strlen(s) > 31)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_' && *s != '-')
			return FALSE;
	return TRUE;
}

/* The i-th of the events the task table lives on (forks, execs, exits,
 * renames, cgroup moves, the statedump: the roles vigil_events.h marks
 * ALWAYS, and the statedump's two), NULL past the last. */
const char *vgd_task_event(guint i)
{
	static const char *const name[] = {
#define VGD_TASK_EVENT(role, name, always) name,
		VG_EVENT_ROLES(VGD_TASK_EVENT)
#undef VGD_TASK_EVENT
	};
	static const gboolean always[] = {
#define VGD_TASK_EVENT(role, name, always) always,
		VG_EVENT_ROLES(VGD_TASK_EVENT)
#undef VGD_TASK_EVENT
	};

	for (guint k = 0; k < G_N_ELEMENTS(name); k++)
		if ((always[k] || strcmp(name[k], VG_EV_STATEDUMP) == 0 ||
		     strcmp(name[k], VG_EV_STATEDUMP_END) == 0) && i-- == 0)
			return name[k];
	return NULL;
}

/* One of the task table's events (a flight channel may not hold one, or
 * names go stale; one this kernel lacks is done without). */
gboolean vgd_is_task_event(const char *name)
{
	const char *t;

	for (guint i = 0; (t = vgd_task_event(i)); i++)
		if (strcmp(t, name) == 0)
			return TRUE;
	return FALSE;
}

/* channels: { NAME: { mode:, events:, buffer: {...}, switch_interval: } } */
static gboolean get_channels(Ctx *x, yaml_node_t *v, const char *key)
{
	yaml_node_pair_t *p;

	g_ptr_array_set_size(x->cfg->channels, 0);
	if (v->type == YAML_SCALAR_NODE && !v->data.scalar.length)
		return TRUE;
	if (v->type != YAML_MAPPING_NODE)
		return fail(x, v, key, "expected a mapping of channel names to channels, found %s",
			    node_kind(v));
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *e = yaml_document_get_node(x->doc, p->value);
		const char *name;
		VgdChannel *ch;
		char *full;
		gboolean ok;

		if (k->type != YAML_SCALAR_NODE)
			return fail(x, k, key, "a channel name must be a plain name, found %s",
				    node_kind(k));
		name = (const char *)k->data.scalar.value;
		full = g_strdup_printf("%s.%s", key, name);
		if (!channel_name_ok(name))
			ok = fail(x, k, full, "'%s' is not a channel name (letters, digits, _ and -, at most 31)",
				  name);
		else if (strcmp(name, "default") == 0)
			ok = fail(x, k, full, "the default channel is set by the top-level buffer: and switch_interval: (its events are those in no channel)");
		else if (vgd_config_channel_by_name(x->cfg, name))
			ok = fail(x, k, full, "given twice");
		else if (x->cfg->channels->len >= VGD_MAX_CHANNELS)
			ok = fail(x, k, full, "more than %d channels besides the default one",
				  VGD_MAX_CHANNELS);
		else
			ok = TRUE;
		if (!ok) {
			g_free(full);
			return FALSE;
		}
		ch = g_new0(VgdChannel, 1);
		ch->name = g_strdup(name);
		ch->events = g_ptr_array_new_with_free_func(g_free);
		ch->switch_interval_ms = G_MAXUINT32;
		ch->line = node_line(k);
		g_ptr_array_add(x->cfg->channels, ch);
		set_defaults(x->cfg, channel_keys, G_N_ELEMENTS(channel_keys), ch);
		x->ch = ch;
		ok = walk_mapping(x, e, full, channel_keys,
				  G_N_ELEMENTS(channel_keys), ch);
		x->ch = NULL;
		if (ok && !ch->events->len)
			ok = fail(x, e, full, "no events: list the events this channel records");
		g_free(full);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* A channel's events: each in no other channel; the task table's never
 * in a flight channel. */
static gboolean get_channel_events(Ctx *x, yaml_node_t *v, const char *key,
				   GPtrArray *ev)
{
	if (!get_events(x, v, key, ev))
		return FALSE;
	for (guint i = 0; i < ev->len; i++) {
		const char *name = ev->pdata[i];
		yaml_node_t *e = v->type == YAML_SEQUENCE_NODE ?
			yaml_document_get_node(x->doc, v->data.sequence.items.start[i]) : v;
		char *k = v->type == YAML_SEQUENCE_NODE ?
			g_strdup_printf("%s[%u]", key, i) : g_strdup(key);
		gboolean ok = TRUE;

		if (strcmp(name, "all") == 0)
			ok = fail(x, e, k, "'all' is not for a channel: list its events (those in no channel go to the default one)");
		for (guint j = 0; ok && j < i; j++)
			if (strcmp(ev->pdata[j], name) == 0)
				ok = fail(x, e, k, "'%s' is listed twice", name);
		for (guint c = 0; ok && c < x->cfg->channels->len; c++) {
			VgdChannel *o = x->cfg->channels->pdata[c];

			if (o == x->ch)
				continue;
			for (guint j = 0; ok && j < o->events->len; j++)
				if (strcmp(o->events->pdata[j], name) == 0)
					ok = fail(x, e, k, "'%s' is in two channels, '%s' (line %u) and '%s': an event goes to one channel",
						  name, o->name, o->line, x->ch->name);
		}
		if (ok && x->ch->mode == VGD_MODE_FLIGHT && vgd_is_task_event(name))
			ok = fail(x, e, k, "'%s' cannot be in flight channel '%s': the task table needs it live (leave it out: it goes to the default channel)",
				  name, x->ch->name);
		g_free(k);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* Set the key of row d (in the struct at base) from node v. */
static gboolean set_key(Ctx *x, const KeyDef *d, gpointer base,
			yaml_node_t *v, const char *key)
{
	const char *s = NULL;
	guint64 n;
	guint i;

	switch (d->type) {
	case K_STRINGS:
		return get_strings(x, v, key, *AT(base, d, GPtrArray *));
	case K_EVENTS:
		return get_events(x, v, key, *AT(base, d, GPtrArray *));
	case K_IDS:
		return get_ids(x, v, key, *AT(base, d, GArray *), NULL);
	case K_SYSCALLS:
		return get_ids(x, v, key, *AT(base, d, GArray *),
			       x->cfg->filter_syscall_names);
	case K_KPROBES:
		return get_kprobes(x, v, key);
	case K_CHANNELS:
		return get_channels(x, v, key);
	case K_CEVENTS:
		return get_channel_events(x, v, key, *AT(base, d, GPtrArray *));
	case K_CMODE:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (strcmp(s, "normal") == 0)
			*AT(base, d, VgdMode) = VGD_MODE_NORMAL;
		else if (strcmp(s, "flight") == 0)
			*AT(base, d, VgdMode) = VGD_MODE_FLIGHT;
		else
			return fail(x, v, key, "'%s' is not a channel mode (normal or flight)", s);
		return TRUE;
	case K_MODE:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (!mode_from(s, AT(base, d, VgdMode)))
			return fail(x, v, key, "'%s' is not a mode (auto, normal or flight)", s);
		return TRUE;
	case K_SOURCE:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (!source_from(s, AT(base, d, VgdSource)))
			return fail(x, v, key, "'%s' is not an event source (auto, module or kernel)", s);
		return TRUE;
	case K_BUFSIZE:
		if (!get_size(x, v, key, &n))
			return FALSE;
		if (n < d->min || n > d->max || !is_pow2(n))
			return fail(x, v, key,
				    "'%s' must be a power of 2 from 4KiB to 64MiB",
				    (char *)v->data.scalar.value);
		*AT(base, d, guint32) = (guint32)n;
		return TRUE;
	case K_UINT:
		if (!get_uint(x, v, key, d->min, d->max, &n))
			return FALSE;
		*AT(base, d, guint) = (guint)n;
		return TRUE;
	case K_UINT64:
		return get_uint(x, v, key, d->min, d->max, AT(base, d, guint64));
	case K_BOOL:
		return get_bool(x, v, key, AT(base, d, gboolean));
	case K_MS:
		if (!get_duration(x, v, key, &n))
			return FALSE;
		if (n > d->max)
			return fail(x, v, key, "'%s' is out of range (0 .. %" G_GUINT64_FORMAT "s)",
				    (char *)v->data.scalar.value, d->max / 1000);
		*AT(base, d, guint32) = (guint32)n;
		return TRUE;
	case K_MS64:
		return get_duration(x, v, key, AT(base, d, guint64));
	case K_SECONDS:
		if (!get_duration(x, v, key, &n))
			return FALSE;
		*AT(base, d, guint) = (guint)((n + 999) / 1000);
		return TRUE;
	case K_SIZE:
		return get_size(x, v, key, AT(base, d, guint64));
	case K_PATH:
		return get_string(x, v, key, AT(base, d, char *));
	case K_SOCKET:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (*s != '/')
			return fail(x, v, key, "'%s' is not an absolute path", s);
		if (strlen(s) >= 108)
			return fail(x, v, key, "path is longer than 107 bytes");
		return get_string(x, v, key, AT(base, d, char *));
	case K_LOG_LEVEL:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		for (i = 0; i < G_N_ELEMENTS(log_levels); i++) {
			if (strcmp(log_levels[i].name, s) == 0) {
				*AT(base, d, GLogLevelFlags) = log_levels[i].lvl;
				return TRUE;
			}
		}
		return fail(x, v, key,
			    "'%s' is not a log level (error, warning, message, info, debug)",
			    s);
	case K_USER:
	case K_GROUP:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (*s) {
			char *why = NULL;
			gboolean bad = (d->type == K_USER ? user_problem(s, &why)
					: group_problem(s, &why)) != NULL;

			if (bad) {
				fail(x, v, key, "%s", why);
				g_free(why);
				return FALSE;
			}
		}
		g_free(*AT(base, d, char *));
		*AT(base, d, char *) = *s ? g_strdup(s) : NULL;
		return TRUE;
	case K_KNAME:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (!kname_ok(s))
			return fail(x, v, key,
				    "'%s' is not a probe name (letters, digits, _ and ., at most 63)",
				    s);
		for (i = 0; i < x->cfg->kprobes->len; i++) {
			VgdKprobe *o = x->cfg->kprobes->pdata[i];

			if (o != x->kp && o->name && strcmp(o->name, s) == 0)
				return fail(x, v, key, "'%s' is already the name of kprobes[%u]",
					    s, i);
		}
		g_free(*AT(base, d, char *));
		*AT(base, d, char *) = g_strdup(s);
		return TRUE;
	case K_KSYMBOL:
		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (!kname_ok(s))
			return fail(x, v, key, "'%s' is not a kernel symbol name", s);
		g_free(*AT(base, d, char *));
		*AT(base, d, char *) = g_strdup(s);
		return TRUE;
	case K_LISTEN: {
		char *n = NULL;

		if (!want_scalar(x, v, key, &s))
			return FALSE;
		if (*s && !(n = listen_normalized(s)))
			return fail(x, v, key, "'%s' " LISTEN_HELP, s);
		g_free(*AT(base, d, char *));
		*AT(base, d, char *) = n;
		return TRUE;
	}
	}
	g_assert_not_reached();
	return FALSE;
}

/*
 * The keys of mapping n, whose own name is prefix (NULL: the top level):
 * a key is a row of defs, or the name of a mapping holding the rows
 * "key.*" (walked in turn).  Unknown keys and keys given twice are
 * errors.
 */
static gboolean walk_mapping(Ctx *x, yaml_node_t *n, const char *prefix,
			     const KeyDef *defs, guint n_defs, gpointer base)
{
	yaml_node_pair_t *p;
	GHashTable *seen;
	gboolean ok = TRUE;
	guint base_len = 0;
	/* row names below a top-level kprobes[i] are not dotted; a
	 * channel's are, from the channel (buffer.size) */
	gboolean dotted = defs == top_keys || defs == channel_keys;

	if (n->type != YAML_MAPPING_NODE)
		return fail(x, n, prefix ? prefix : "(top level)",
			    "expected a mapping of keys, found %s",
			    node_kind(n));
	/* a channel's rows are named from the channel: "channels.busy.
	 * buffer.size" is the row buffer.size */
	if (defs == channel_keys && x->ch)
		base_len = strlen("channels.") + strlen(x->ch->name) + 1;
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (p = n->data.mapping.pairs.start;
	     ok && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
		const char *name, *row;
		char *full, *group;
		guint i, glen;

		if (k->type != YAML_SCALAR_NODE) {
			ok = fail(x, k, prefix ? prefix : "(top level)",
				  "a key must be a plain name, found %s",
				  node_kind(k));
			break;
		}
		name = (const char *)k->data.scalar.value;
		full = prefix ? g_strdup_printf("%s.%s", prefix, name)
			      : g_strdup(name);
		row = dotted ? full + base_len : name;
		group = g_strconcat(row, ".", NULL);
		glen = strlen(group);
		for (i = 0; i < n_defs; i++)
			if (strcmp(defs[i].name, row) == 0 ||
			    (dotted && strncmp(defs[i].name, group, glen) == 0))
				break;
		if (dotted && strchr(name, '.'))
			i = n_defs;	/* "dump.dir:" is no key, dir: under dump: is */
		if (i == n_defs)
			ok = fail(x, k, full, "unknown key");
		else if (g_hash_table_contains(seen, row))
			ok = fail(x, k, full, "given twice");
		else {
			g_hash_table_add(seen, g_strdup(row));
			if (strcmp(defs[i].name, row) == 0)
				ok = set_key(x, &defs[i], base, v, full);
			else
				ok = walk_mapping(x, v, full, defs, n_defs, base);
		}
		g_free(group);
		g_free(full);
	}
	g_hash_table_unref(seen);
	return ok;
}

/* Set every key of defs that has a default to it. */
static void set_defaults(VgdConfig *cfg, const VgdConfigKey *defs,
			 guint n_defs, gpointer base)
{
	GError *err = NULL;
	Ctx x = { NULL, "the defaults", cfg, &err, NULL, NULL };
	guint i;

	for (i = 0; i < n_defs; i++) {
		yaml_node_t v = { .type = YAML_SCALAR_NODE };

		if (!defs[i].def)
			continue;
		v.data.scalar.value = (yaml_char_t *)defs[i].def;
		v.data.scalar.length = strlen(defs[i].def);
		if (!set_key(&x, &defs[i], base, &v, defs[i].name))
			g_error("vigild: %s", err->message);	/* a bad row */
	}
}

static void set_config_defaults(VgdConfig *cfg)
{
	set_defaults(cfg, top_keys, G_N_ELEMENTS(top_keys), cfg);
}

gboolean vgd_config_load_data(VgdConfig *cfg, const char *data, gsize len,
			      const char *origin, GError **error)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	gboolean ok;
	Ctx x = { &doc, origin, cfg, error, NULL, NULL };

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
				  G_N_ELEMENTS(top_keys), cfg);
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
			    "%s: '%s' is not a mode (auto, normal or flight)",
			    what, text);
		return FALSE;
	}
	return TRUE;
}

gboolean vgd_config_set_source(VgdConfig *cfg, const char *text,
			       const char *what, GError **error)
{
	if (!source_from(text, &cfg->event_source)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: '%s' is not an event source (auto, module or kernel)",
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

static gboolean set_event_list(GPtrArray *dst, const char *list,
			       const char *what, GError **error);

gboolean vgd_config_set_events(VgdConfig *cfg, const char *list,
			       const char *what, GError **error)
{
	return set_event_list(cfg->events, list, what, error);
}

gboolean vgd_config_set_stacks(VgdConfig *cfg, const char *list,
			       const char *what, GError **error)
{
	return set_event_list(cfg->stacks, list, what, error);
}

static gboolean set_event_list(GPtrArray *dst, const char *list,
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
	g_ptr_array_set_size(dst, 0);
	for (i = 0; i < ev->len; i++)
		g_ptr_array_add(dst, g_strdup(ev->pdata[i]));
	g_ptr_array_unref(ev);
	return TRUE;
}

gboolean vgd_config_add_kprobe(VgdConfig *cfg, const char *spec,
			       const char *what, GError **error)
{
	const char *pct = strchr(spec, '%');
	char *symbol = pct ? g_strndup(spec, pct - spec) : g_strdup(spec);
	gboolean ret = pct != NULL;
	VgdKprobe *kp;
	char *name;

	if (pct && strcmp(pct, "%return") != 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s '%s': '%s' is not %%return (SYMBOL or SYMBOL%%return)",
			    what, spec, pct);
		g_free(symbol);
		return FALSE;
	}
	if (!kname_ok(symbol)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s '%s': '%s' is not a kernel symbol name "
			    "(letters, digits, _ and ., at most %d)",
			    what, spec, symbol, KNAME_MAX - 1);
		g_free(symbol);
		return FALSE;
	}
	name = g_strdup_printf("%s%s", symbol, ret ? "_ret" : "");
	if (strlen(name) >= KNAME_MAX) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s '%s': the event name '%s' is longer than %d",
			    what, spec, name, KNAME_MAX - 1);
		goto fail;
	}
	if (cfg->kprobes->len >= MAX_KPROBES) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s '%s': more than %d kprobes", what, spec,
			    MAX_KPROBES);
		goto fail;
	}
	for (guint i = 0; i < cfg->kprobes->len; i++) {
		VgdKprobe *o = cfg->kprobes->pdata[i];

		if (strcmp(o->name, name) == 0) {
			if (o->option)
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "%s '%s' is given twice", what, spec);
			else
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "%s '%s': kprobes:%s is already kprobes[%u] of %s",
					    what, spec, name, i,
					    cfg->source ? cfg->source : "the configuration");
			goto fail;
		}
	}
	kp = g_new0(VgdKprobe, 1);
	kp->name = name;
	kp->symbol = symbol;
	kp->retprobe = ret;
	kp->option = TRUE;
	g_ptr_array_add(cfg->kprobes, kp);
	return TRUE;
fail:
	g_free(name);
	g_free(symbol);
	return FALSE;
}

char *vgd_config_kprobes_text(const VgdConfig *cfg)
{
	GString *s = g_string_new(NULL);
	guint file_i = 0;

	for (guint i = 0; i < cfg->kprobes->len; i++) {
		const VgdKprobe *k = cfg->kprobes->pdata[i];

		if (s->len)
			g_string_append(s, ", ");
		if (k->option)
			g_string_append_printf(s, "--kprobe %s%s", k->symbol,
					       k->retprobe ? "%return" : "");
		else
			g_string_append_printf(s, "kprobes[%u] (%s)", file_i++,
					       k->name);
	}
	return g_string_free(s, FALSE);
}

gboolean vgd_config_set_user(VgdConfig *cfg, const char *name,
			     const char *what, GError **error)
{
	char *why = NULL;

	if (!*name || user_problem(name, &why)) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE, "%s: %s", what,
			    why ? why : "no user name");
		g_free(why);
		return FALSE;
	}
	g_free(cfg->user);
	cfg->user = g_strdup(name);
	return TRUE;
}

void vgd_config_resolve_mode(VgdConfig *cfg)
{
	if (cfg->mode != VGD_MODE_AUTO)
		return;
	/* channels: mixed mode, which streams the default channel */
	cfg->mode = cfg->scripts->len || cfg->record_dir || cfg->replay_dir ||
		    cfg->channels->len ? VGD_MODE_NORMAL : VGD_MODE_FLIGHT;
}

guint32 vgd_channel_buffer_size(const VgdConfig *cfg, const VgdChannel *ch)
{
	return ch->buffer_size ? ch->buffer_size : cfg->buffer_size;
}

guint32 vgd_channel_buffer_count(const VgdConfig *cfg, const VgdChannel *ch)
{
	return ch->buffer_count ? ch->buffer_count : cfg->buffer_count;
}

guint32 vgd_channel_switch_ms(const VgdConfig *cfg, const VgdChannel *ch)
{
	return ch->switch_interval_ms != G_MAXUINT32 ? ch->switch_interval_ms
						    : cfg->switch_interval_ms;
}

gboolean vgd_config_mixed(const VgdConfig *cfg)
{
	for (guint i = 0; i < cfg->channels->len; i++)
		if (((VgdChannel *)cfg->channels->pdata[i])->mode ==
		    VGD_MODE_FLIGHT)
			return TRUE;
	return FALSE;
}

gboolean vgd_config_check(const VgdConfig *cfg, GError **error)
{
	const char *where = cfg->source ? cfg->source : "configuration";

	if (cfg->scripts->len == 0 && cfg->mode == VGD_MODE_NORMAL &&
	    !cfg->replay_dir && !cfg->record_dir && !cfg->channels->len) {
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
	if (cfg->channels->len && !cfg->replay_dir &&
	    cfg->mode == VGD_MODE_FLIGHT) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: channels: in flight mode every event stays in the "
			    "kernel; channels need mode normal (or auto), where "
			    "normal channels stream and flight channels are "
			    "snapshot on a dump", where);
		return FALSE;
	}
	if (cfg->channels->len && !cfg->replay_dir &&
	    cfg->event_source == VGD_SOURCE_KERNEL) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: channels are vigil.ko's, and source kernel reads "
			    "the kernel's tracepoints: use --source module (or "
			    "auto) or remove channels:", where);
		return FALSE;
	}
	if (cfg->kprobes->len && cfg->event_source == VGD_SOURCE_KERNEL &&
	    !cfg->replay_dir) {
		char *k = vgd_config_kprobes_text(cfg);

		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: kprobes need vigil.ko, and source kernel reads "
			    "the kernel's tracepoints, which have none: use "
			    "--source module (or auto, with vigil.ko loaded) or "
			    "remove the kprobes", k);
		g_free(k);
		return FALSE;
	}
	if (cfg->metrics_listen && cfg->scripts->len == 0 && !cfg->replay_dir) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "metrics on %s: no handler scripts to publish them "
			    "(give -s SCRIPT, or leave out --metrics and "
			    "metrics.listen)", cfg->metrics_listen);
		return FALSE;
	}
	if (cfg->group && !cfg->user) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: group: '%s' without user: vigild changes its "
			    "group only when it changes its user (give 'user:' "
			    "or --user)", where, cfg->group);
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
	guint i, j;

	for (i = 0; i < G_N_ELEMENTS(top_keys); i++) {
		const KeyDef *d = &top_keys[i];
		const char *k = d->name;

		switch (d->type) {
		case K_STRINGS:
		case K_EVENTS:
			append_list(s, k, *AT(c, d, GPtrArray *));
			break;
		case K_IDS:
			append_ids(s, k, *AT(c, d, GArray *));
			break;
		case K_SYSCALLS:
			append_ids(s, k, *AT(c, d, GArray *));
			append_list(s, "filters.syscall_names",
				    c->filter_syscall_names);
			break;
		case K_MODE:
			g_string_append_printf(s, "%s: %s\n", k,
					       *AT(c, d, VgdMode) == VGD_MODE_FLIGHT ?
					       "flight" :
					       *AT(c, d, VgdMode) == VGD_MODE_AUTO ?
					       "auto" : "normal");
			break;
		case K_SOURCE:
			g_string_append_printf(s, "%s: %s\n", k,
					       vgd_source_name(*AT(c, d, VgdSource)));
			break;
		case K_BUFSIZE:
		case K_UINT:
			g_string_append_printf(s, "%s: %u\n", k, *AT(c, d, guint));
			break;
		case K_UINT64:
		case K_SIZE:
			g_string_append_printf(s, "%s: %" G_GUINT64_FORMAT "\n", k,
					       *AT(c, d, guint64));
			break;
		case K_BOOL:
			g_string_append_printf(s, "%s: %s\n", k,
					       *AT(c, d, gboolean) ? "true" : "false");
			break;
		case K_MS:
			g_string_append_printf(s, "%s: %ums\n", k, *AT(c, d, guint32));
			break;
		case K_MS64:
			g_string_append_printf(s, "%s: %" G_GUINT64_FORMAT "ms\n", k,
					       *AT(c, d, guint64));
			break;
		case K_SECONDS:
			g_string_append_printf(s, "%s: %us\n", k, *AT(c, d, guint));
			break;
		case K_PATH:
		case K_SOCKET:
		case K_KNAME:
		case K_KSYMBOL:
			g_string_append_printf(s, "%s: %s\n", k, *AT(c, d, char *));
			break;
		case K_LISTEN:
			g_string_append_printf(s, "%s: %s\n", k, *AT(c, d, char *) ?
					       *AT(c, d, char *) : "\"\"");
			break;
		case K_USER:
		case K_GROUP:
			g_string_append_printf(s, "%s: %s\n", k,
					       *AT(c, d, char *) ? *AT(c, d, char *) : "");
			break;
		case K_LOG_LEVEL:
			for (j = 0; j < G_N_ELEMENTS(log_levels); j++)
				if (log_levels[j].lvl == *AT(c, d, GLogLevelFlags))
					g_string_append_printf(s, "%s: %s\n", k,
							       log_levels[j].name);
			break;
		case K_KPROBES:
			g_string_append_printf(s, "%s: [", k);
			for (j = 0; j < c->kprobes->len; j++) {
				VgdKprobe *kp = c->kprobes->pdata[j];

				g_string_append_printf(s, "%s{name: %s, symbol: %s, offset: %"
						       G_GUINT64_FORMAT ", args: %u, return: %s}",
						       j ? ", " : "", kp->name, kp->symbol,
						       kp->offset, kp->nargs,
						       kp->retprobe ? "true" : "false");
			}
			g_string_append(s, "]\n");
			break;
		case K_CHANNELS:
			g_string_append_printf(s, "%s: {", k);
			for (j = 0; j < c->channels->len; j++) {
				VgdChannel *ch = c->channels->pdata[j];

				g_string_append_printf(s, "%s%s: {mode: %s, events: [",
						       j ? ", " : "", ch->name,
						       ch->mode == VGD_MODE_FLIGHT ?
						       "flight" : "normal");
				for (guint e = 0; e < ch->events->len; e++)
					g_string_append_printf(s, "%s%s", e ? ", " : "",
							       (char *)ch->events->pdata[e]);
				g_string_append_printf(s, "], buffer: {size: %u, count: %u}, switch_interval: %ums}",
						       vgd_channel_buffer_size(c, ch),
						       vgd_channel_buffer_count(c, ch),
						       vgd_channel_switch_ms(c, ch));
			}
			g_string_append(s, "}\n");
			break;
		case K_CMODE:
		case K_CEVENTS:
			break;	/* (channel keys) */
		}
	}
	return g_string_free(s, FALSE);
}
