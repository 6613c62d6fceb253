/*
 * config.h - vigild's configuration: defaults, the YAML file
 * (/etc/vigil/vigil.yaml, documented in vigil.yaml(5)) and the
 * command-line overrides.
 *
 * Every error names the file, the line and the key:
 *   "vigil.yaml:12: buffer.size: '12Q' is not a size (use e.g. 1MiB)"
 */
#ifndef VGD_CONFIG_H
#define VGD_CONFIG_H

#include <glib.h>

G_BEGIN_DECLS

#define VGD_DEFAULT_CONFIG	"/etc/vigil/vigil.yaml"
#define VGD_DEFAULT_SOCKET	"/run/vigil/vigild.sock"
#define VGD_DEFAULT_DUMP_DIR	"/var/lib/vigil/dumps"

typedef enum {
	VGD_MODE_NORMAL = 0,	/* read everything, hand it to the handlers */
	VGD_MODE_FLIGHT = 1,	/* overwrite in the kernel, snapshot on request */
	VGD_MODE_AUTO = 2,	/* the default: normal with handler scripts, a
				 * --record or --replay, flight without; made
				 * one of the two by vgd_config_resolve_mode() */
} VgdMode;

typedef enum {
	VGD_SOURCE_AUTO = 0,	/* the module when /dev/vigil is usable, else
				 * the kernel's tracepoints */
	VGD_SOURCE_MODULE = 1,	/* vigil.ko (/dev/vigil) */
	VGD_SOURCE_KERNEL = 2,	/* the kernel's tracepoints via perf_event_open
				 * (tpsource.c, docs/kernel-source.md) */
} VgdSource;

/* A kprobe vigild adds before tracing starts: events "kprobes:NAME". */
typedef struct {
	char *name;
	char *symbol;
	guint64 offset;
	guint nargs;			/* argument registers recorded, 0..6 */
	gboolean retprobe;		/* kretprobe: records the return value */
	gboolean option;		/* added by --kprobe (not the file) */
} VgdKprobe;

/*
 * A channel of vigil.ko (channels: in vigil.yaml): the events it
 * records, its mode and its buffers.  Events in no channel go to the
 * default channel (channel 0: the top-level mode, buffer.* and
 * switch_interval).  docs/design.md, "Channels".
 */
#define VGD_MAX_CHANNELS	7	/* besides the default one */
typedef struct {
	char *name;
	VgdMode mode;			/* VGD_MODE_NORMAL or VGD_MODE_FLIGHT */
	GPtrArray *events;		/* char * */
	guint32 buffer_size;		/* 0: the top-level buffer.size */
	guint32 buffer_count;		/* 0: the top-level buffer.count */
	guint32 switch_interval_ms;	/* G_MAXUINT32: the top-level one */
	guint line;			/* where it was defined */
} VgdChannel;

/* the deepest callchain: perf's default kernel.perf_event_max_stack */
#define VGD_MAX_STACK_DEPTH	127

typedef struct {
	/* handlers */
	GPtrArray *scripts;		/* char *, in load order */
	GPtrArray *script_args;		/* char *, the scripts' @ARGV */
	GPtrArray *events;		/* char *; empty = what the handlers
					 * subscribe to, else all */
	GPtrArray *stacks;		/* char *: events that carry their
					 * callchain (and Vigil::stacks') */
	guint stack_depth;		/* most addresses of a callchain */
	/* in-kernel filters (empty = no filtering) */
	GArray *filter_pids;		/* gint32 thread ids */
	GArray *filter_tgids;		/* gint32 process ids */
	GArray *filter_syscalls;	/* gint32 syscall numbers */
	GPtrArray *filter_syscall_names;/* char *, resolved when tracing starts */
	GPtrArray *filter_comms;	/* char *, globs; applied in the daemon */
	GPtrArray *kprobes;		/* VgdKprobe * */
	GPtrArray *channels;		/* VgdChannel *, besides the default */

	VgdMode mode;
	VgdSource event_source;		/* source: (--source) */
	guint32 buffer_size;		/* bytes per sub-buffer (power of 2) */
	guint32 buffer_count;		/* sub-buffers per CPU */
	guint32 switch_interval_ms;	/* 0 = no periodic switch */
	gboolean kernel_addrs;		/* VIGIL_CFG_KERNEL_ADDRS */

	/* flight recorder */
	char *dump_dir;
	guint64 history_bytes;		/* per CPU; 0 = bounded by time only */
	guint64 history_ms;		/* 0 = bounded by size only */
	guint max_dumps;		/* retention: 0 = unlimited */
	guint64 max_dump_bytes;		/* retention: 0 = unlimited */
	guint rate_limit_s;		/* at most one dump per N s; 0 = none */
	guint statedump_mmaps;		/* executable maps per process in a
					 * statedump (hoststate.c); 0 = none */

	guint max_handler_errors;	/* stop after N handler errors; 0 = never */
	/* the per-call watchdog (perl/embed/watchdog.c): report a handler
	 * call running this long, abort it; 0 = never */
	guint32 watchdog_report_ms;
	guint32 watchdog_abort_ms;
	GLogLevelFlags log_level;	/* most verbose level logged */
	char *control_socket;
	char *metrics_listen;		/* "ADDR:PORT" of the Prometheus
					 * endpoint (metrics.c); NULL: off */
	char *control_group;		/* may ask for status and dumps; NULL: root only */

	/* least privilege (privdrop.c): once the source, the control socket
	 * and the outputs are open, vigild becomes this user (NULL: stays
	 * root) and group (NULL: the user's primary group) */
	char *user;
	char *group;

	/* command line only */
	gboolean foreground;
	char *replay_dir;
	char *record_dir;
	guint duration_s;		/* 0 = until stopped */

	/* where the file was read from (NULL: defaults only) */
	char *source;
} VgdConfig;

/* One key of vigil.yaml: config.c has a table of them, the one place a
 * key is defined (vigil.yaml(5) is checked against it). */
typedef struct {
	const char *name;	/* dotted for keys in a mapping: "dump.dir" */
	int type;		/* how the value is read and stored (config.c) */
	gsize off;		/* where it is stored, in VgdConfig (kprobe
				 * keys: in VgdKprobe) */
	guint64 min, max;	/* range of numbers */
	const char *def;	/* the default as the YAML would say it;
				 * NULL: empty, none */
	const char *doc;	/* vigil.yaml(5)'s summary: "=item B<name> (DOC)";
				 * NULL: no summary */
} VgdConfigKey;

/* The keys of one table, n of them. */
typedef enum {
	VGD_KEYS_TOP,		/* the top level */
	VGD_KEYS_KPROBE,	/* one kprobes[] entry */
	VGD_KEYS_CHANNEL,	/* one channels: entry */
} VgdKeyTable;
const VgdConfigKey *vgd_config_keys(VgdKeyTable table, guint *n);

const VgdChannel *vgd_config_channel_by_name(const VgdConfig *cfg,
					     const char *name);
/* A channel's buffer and switch interval (the top level's if not set). */
guint32 vgd_channel_buffer_size(const VgdConfig *cfg, const VgdChannel *ch);
guint32 vgd_channel_buffer_count(const VgdConfig *cfg, const VgdChannel *ch);
guint32 vgd_channel_switch_ms(const VgdConfig *cfg, const VgdChannel *ch);
/* Mixed mode: some channel is a flight channel (the default one streams). */
gboolean vgd_config_mixed(const VgdConfig *cfg);

/* The channel event name is assigned to, or NULL: the default one. */
const VgdChannel *vgd_config_channel_of(const VgdConfig *cfg,
					const char *event);

VgdConfig *vgd_config_new(void);	/* the defaults */
void vgd_config_free(VgdConfig *cfg);

/* Read a YAML file over the defaults in cfg.  Keys absent from the file
 * keep their current values; list keys present replace the list.  With
 * must_exist FALSE a missing file is not an error (the default file). */
gboolean vgd_config_load_file(VgdConfig *cfg, const char *path,
			      gboolean must_exist, GError **error);
/* The same from a string; `origin` names it in messages. */
gboolean vgd_config_load_data(VgdConfig *cfg, const char *data, gsize len,
			      const char *origin, GError **error);

/* Values as written on the command line; `what` names the option in
 * error messages ("--buffer-size"). */
gboolean vgd_parse_size(const char *text, guint64 *out);
gboolean vgd_parse_duration_ms(const char *text, guint64 *out);
gboolean vgd_config_set_mode(VgdConfig *cfg, const char *text,
			     const char *what, GError **error);
gboolean vgd_config_set_source(VgdConfig *cfg, const char *text,
			       const char *what, GError **error);
const char *vgd_source_name(VgdSource s);
/* "[ADDR:]PORT" (metrics.listen, --metrics): ADDR an IPv4 address or an
 * IPv6 one in brackets, 127.0.0.1 when omitted; PORT 1 .. 65535.
 * *addr (g_free) without brackets.  FALSE: not such a text. */
gboolean vgd_parse_listen(const char *text, char **addr, guint16 *port);
/* --watchdog REPORT[,ABORT]: durations (watchdog.report_after,
 * watchdog.abort_after); ABORT omitted: unchanged. */
gboolean vgd_config_set_watchdog(VgdConfig *cfg, const char *text,
				 const char *what, GError **error);
/* --metrics [ADDR:]PORT; "" turns the endpoint off. */
gboolean vgd_config_set_metrics(VgdConfig *cfg, const char *text,
				const char *what, GError **error);
gboolean vgd_config_set_buffer_size(VgdConfig *cfg, const char *text,
				    const char *what, GError **error);
gboolean vgd_config_set_buffer_count(VgdConfig *cfg, const char *text,
				     const char *what, GError **error);
/* "a,b,c" replaces the event list. */
gboolean vgd_config_set_events(VgdConfig *cfg, const char *list,
			       const char *what, GError **error);
/* --stacks LIST: the events that carry their callchain (no "all"
 * check: vigild checks the names against the trace's events). */
gboolean vgd_config_set_stacks(VgdConfig *cfg, const char *list,
			       const char *what, GError **error);
/* --kprobe SYMBOL[%return]: adds a probe to the file's kprobes, named
 * SYMBOL (SYMBOL_ret for a return probe) as a kprobes[] entry without
 * a name would be. */
gboolean vgd_config_add_kprobe(VgdConfig *cfg, const char *spec,
			       const char *what, GError **error);
/* The kprobes as the user gave them, for messages: "--kprobe vfs_read,
 * kprobes[0] (tcp_sendmsg)".  g_free the result. */
char *vgd_config_kprobes_text(const VgdConfig *cfg);
/* --user NAME: a user of the system other than root. */
gboolean vgd_config_set_user(VgdConfig *cfg, const char *name,
			     const char *what, GError **error);
/* Final cross-field checks (after the file and the options). */
gboolean vgd_config_check(const VgdConfig *cfg, GError **error);

/* mode auto -> normal when there is something to read for (handler
 * scripts, --record, --replay), else flight (a flight recorder waiting
 * for a dump request).  Call once scripts and options are all known. */
void vgd_config_resolve_mode(VgdConfig *cfg);

/* Human-readable dump of the effective configuration, one key a line. */
char *vgd_config_to_string(const VgdConfig *cfg);

/* the i-th event the task table needs (always recorded), NULL past the last */
const char *vgd_task_event(guint i);
/* whether name is one of them */
gboolean vgd_is_task_event(const char *name);

G_END_DECLS

#endif
