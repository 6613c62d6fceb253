/*
 * test-config.c - vigild's configuration loader: defaults, a good file,
 * every kind of error (each naming file, line and key), overrides by
 * command-line options.
 */
#include <grp.h>
#include <pwd.h>
#include "config.h"
#include "vg_core.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static VgdConfig *load_ok(const char *yaml)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;

	if (!vgd_config_load_data(c, yaml, strlen(yaml), "vigil.yaml", &err))
		g_error("unexpected error: %s", err->message);
	return c;
}

/* Loads `yaml`, requires failure and exactly this message. */
static void expect_error(const char *yaml, const char *message)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;
	gboolean ok = vgd_config_load_data(c, yaml, strlen(yaml), "vigil.yaml",
					   &err);

	g_assert_false(ok);
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_cmpstr(err->message, ==, message);
	g_error_free(err);
	vgd_config_free(c);
}

static void test_defaults(void)
{
	VgdConfig *c = vgd_config_new();

	g_assert_cmpint(c->mode, ==, VGD_MODE_AUTO);
	g_assert_cmpuint(c->buffer_size, ==, 1u << 20);
	g_assert_cmpuint(c->buffer_count, ==, 4);
	g_assert_cmpuint(c->switch_interval_ms, ==, 100);
	g_assert_cmpstr(c->control_socket, ==, "/run/vigil/vigild.sock");
	g_assert_cmpuint(c->scripts->len, ==, 0);
	g_assert_cmpuint(c->events->len, ==, 0);
	g_assert_cmpuint(c->rate_limit_s, ==, 60);
	g_assert_cmpuint(c->max_handler_errors, ==, 0);
	vgd_config_free(c);
}

static void test_missing_default_file_means_defaults(void)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;

	g_assert_true(vgd_config_load_file(c, "/nonexistent/vigil.yaml",
					   FALSE, &err));
	g_assert_no_error(err);
	g_assert_null(c->source);
	g_assert_cmpuint(c->buffer_count, ==, 4);
	vgd_config_free(c);
}

static void test_missing_given_file_is_an_error(void)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;

	g_assert_false(vgd_config_load_file(c, "/nonexistent/vigil.yaml",
					    TRUE, &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_IO);
	g_assert_nonnull(strstr(err->message, "/nonexistent/vigil.yaml"));
	g_error_free(err);
	vgd_config_free(c);
}

static void test_empty_file_means_defaults(void)
{
	VgdConfig *c = load_ok("# nothing but a comment\n");

	g_assert_cmpuint(c->buffer_size, ==, 1u << 20);
	vgd_config_free(c);
}

static const char good[] =
	"# a complete configuration\n"
	"scripts:\n"
	"  - /usr/share/vigil/handlers/syscall-top.pl\n"
	"  - /etc/vigil/local.pl\n"
	"script_args: [--interval, '5']\n"
	"events:\n"
	"  - raw_syscalls:sys_enter\n"
	"  - raw_syscalls:sys_exit\n"
	"filters:\n"
	"  pids: [1, 42]\n"
	"  tgids: [7]\n"
	"  syscalls: [openat, 0, read]\n"
	"  comms: ['nginx*']\n"
	"mode: flight\n"
	"buffer:\n"
	"  size: 256KiB\n"
	"  count: 8\n"
	"  kernel_addresses: yes\n"
	"switch_interval: 250ms\n"
	"dump:\n"
	"  dir: /var/tmp/dumps\n"
	"  history_size: 16MiB\n"
	"  history_time: 2m\n"
	"  max_dumps: 5\n"
	"  max_bytes: 1GiB\n"
	"  rate_limit: 10s\n"
	"max_handler_errors: 100\n"
	"log_level: debug\n"
	"control_socket: /tmp/v/ctl.sock\n";

static void test_good_file_sets_every_key(void)
{
	VgdConfig *c = load_ok(good);

	g_assert_cmpuint(c->scripts->len, ==, 2);
	g_assert_cmpstr(c->scripts->pdata[1], ==, "/etc/vigil/local.pl");
	g_assert_cmpuint(c->script_args->len, ==, 2);
	g_assert_cmpstr(c->script_args->pdata[1], ==, "5");
	g_assert_cmpuint(c->events->len, ==, 2);
	g_assert_cmpstr(c->events->pdata[0], ==, "raw_syscalls:sys_enter");
	g_assert_cmpuint(c->filter_pids->len, ==, 2);
	g_assert_cmpint(g_array_index(c->filter_pids, gint32, 1), ==, 42);
	g_assert_cmpuint(c->filter_tgids->len, ==, 1);
	g_assert_cmpuint(c->filter_syscalls->len, ==, 1);
	g_assert_cmpint(g_array_index(c->filter_syscalls, gint32, 0), ==, 0);
	g_assert_cmpuint(c->filter_syscall_names->len, ==, 2);
	g_assert_cmpstr(c->filter_syscall_names->pdata[0], ==, "openat");
	g_assert_cmpstr(c->filter_comms->pdata[0], ==, "nginx*");
	g_assert_cmpint(c->mode, ==, VGD_MODE_FLIGHT);
	g_assert_cmpuint(c->buffer_size, ==, 256u << 10);
	g_assert_cmpuint(c->buffer_count, ==, 8);
	g_assert_true(c->kernel_addrs);
	g_assert_cmpuint(c->switch_interval_ms, ==, 250);
	g_assert_cmpstr(c->dump_dir, ==, "/var/tmp/dumps");
	g_assert_cmpuint(c->history_bytes, ==, 16u << 20);
	g_assert_cmpuint(c->history_ms, ==, 120000);
	g_assert_cmpuint(c->max_dumps, ==, 5);
	g_assert_cmpuint(c->max_dump_bytes, ==, 1ull << 30);
	g_assert_cmpuint(c->rate_limit_s, ==, 10);
	g_assert_cmpuint(c->max_handler_errors, ==, 100);
	g_assert_cmpint(c->log_level, ==, G_LOG_LEVEL_DEBUG);
	g_assert_cmpstr(c->control_socket, ==, "/tmp/v/ctl.sock");
	g_assert_cmpstr(c->source, ==, "vigil.yaml");
	vgd_config_free(c);
}

static void test_events_as_comma_string(void)
{
	VgdConfig *c = load_ok("events: 'sched:sched_switch, irq:irq_handler_entry'\n");

	g_assert_cmpuint(c->events->len, ==, 2);
	g_assert_cmpstr(c->events->pdata[1], ==, "irq:irq_handler_entry");
	vgd_config_free(c);
}

static void test_single_script_as_scalar(void)
{
	VgdConfig *c = load_ok("scripts: /x/print.pl\n");

	g_assert_cmpuint(c->scripts->len, ==, 1);
	g_assert_cmpstr(c->scripts->pdata[0], ==, "/x/print.pl");
	vgd_config_free(c);
}

static void test_sizes_and_durations(void)
{
	guint64 v;

	g_assert_true(vgd_parse_size("4096", &v));
	g_assert_cmpuint(v, ==, 4096);
	g_assert_true(vgd_parse_size("1MiB", &v));
	g_assert_cmpuint(v, ==, 1 << 20);
	g_assert_true(vgd_parse_size("64 M", &v));
	g_assert_cmpuint(v, ==, 64 << 20);
	g_assert_true(vgd_parse_size("2GiB", &v));
	g_assert_cmpuint(v, ==, 2ull << 30);
	g_assert_false(vgd_parse_size("12Q", &v));
	g_assert_false(vgd_parse_size("MiB", &v));
	g_assert_false(vgd_parse_size("-1", &v));
	g_assert_false(vgd_parse_size("", &v));
	g_assert_false(vgd_parse_size("99999999999999999999KiB", &v));

	g_assert_true(vgd_parse_duration_ms("30s", &v));
	g_assert_cmpuint(v, ==, 30000);
	g_assert_true(vgd_parse_duration_ms("100ms", &v));
	g_assert_cmpuint(v, ==, 100);
	g_assert_true(vgd_parse_duration_ms("1.5", &v));
	g_assert_cmpuint(v, ==, 1500);
	g_assert_true(vgd_parse_duration_ms("2m", &v));
	g_assert_cmpuint(v, ==, 120000);
	g_assert_false(vgd_parse_duration_ms("soon", &v));
	g_assert_false(vgd_parse_duration_ms("5 fortnights", &v));
	g_assert_false(vgd_parse_duration_ms("-3s", &v));
}

static void test_error_unknown_top_level_key(void)
{
	expect_error("mode: normal\nbufer:\n  size: 1MiB\n",
		     "vigil.yaml:2: bufer: unknown key");
}

static void test_error_unknown_nested_key(void)
{
	expect_error("buffer:\n  size: 1MiB\n  cnt: 4\n",
		     "vigil.yaml:3: buffer.cnt: unknown key");
}

static void test_error_bad_size_suffix(void)
{
	expect_error("# comment\nbuffer:\n  size: 12Q\n",
		     "vigil.yaml:3: buffer.size: '12Q' is not a size (use e.g. 1MiB)");
}

static void test_error_size_not_power_of_two(void)
{
	expect_error("buffer:\n  size: 3MiB\n",
		     "vigil.yaml:2: buffer.size: '3MiB' must be a power of 2 from 4KiB to 64MiB");
}

static void test_error_size_too_small(void)
{
	expect_error("buffer: {size: 1KiB}\n",
		     "vigil.yaml:1: buffer.size: '1KiB' must be a power of 2 from 4KiB to 64MiB");
}

static void test_error_count_out_of_range(void)
{
	expect_error("buffer:\n  count: 1\n",
		     "vigil.yaml:2: buffer.count: 1 is out of range (2 .. 4096)");
	expect_error("buffer:\n  count: 5000\n",
		     "vigil.yaml:2: buffer.count: 5000 is out of range (2 .. 4096)");
}

static void test_error_count_not_a_number(void)
{
	expect_error("buffer:\n  count: four\n",
		     "vigil.yaml:2: buffer.count: 'four' is not a whole number");
}

static void test_error_wrong_type_list_for_scalar(void)
{
	expect_error("mode:\n  - normal\n",
		     "vigil.yaml:2: mode: expected a single value, found a list");
}

static void test_error_wrong_type_scalar_for_mapping(void)
{
	expect_error("dump: /tmp\n",
		     "vigil.yaml:1: dump: expected a mapping of keys, found a scalar");
}

static void test_error_wrong_type_mapping_in_list(void)
{
	expect_error("scripts:\n  - a.pl\n  - {b: c}\n",
		     "vigil.yaml:3: scripts[1]: expected a single value, found a mapping");
}

static void test_error_bad_mode(void)
{
	expect_error("\n\nmode: turbo\n",
		     "vigil.yaml:3: mode: 'turbo' is not a mode (auto, normal or flight)");
}

static void test_error_bad_duration(void)
{
	expect_error("dump:\n  history_time: forever\n",
		     "vigil.yaml:2: dump.history_time: 'forever' is not a duration (use e.g. 30s, 100ms, 5m)");
	expect_error("switch_interval: 2m\n",
		     "vigil.yaml:1: switch_interval: '2m' is out of range (0 .. 60s)");
}

static void test_error_bad_bool(void)
{
	expect_error("buffer:\n  kernel_addresses: maybe\n",
		     "vigil.yaml:2: buffer.kernel_addresses: 'maybe' is not true or false");
}

static void test_error_bad_filter_ids(void)
{
	expect_error("filters:\n  pids: [1, two]\n",
		     "vigil.yaml:2: filters.pids[1]: 'two' is not a number");
	expect_error("filters:\n  tgids:\n    - -5\n",
		     "vigil.yaml:3: filters.tgids[0]: -5 is out of range (0 .. 2147483647)");
	expect_error("filters:\n  syscalls: [read, 'open at']\n",
		     "vigil.yaml:2: filters.syscalls[1]: 'open at' is not a syscall name or number");
	expect_error("filters:\n  pids: 5\n",
		     "vigil.yaml:2: filters.pids: expected a list, found a scalar");
}

static void test_error_bad_event_name(void)
{
	expect_error("events:\n  - sched:sched_switch\n  - sched_wakeup\n",
		     "vigil.yaml:3: events[1]: 'sched_wakeup' is not an event name (use subsystem:event, e.g. sched:sched_switch, or all)");
}

static void test_error_bad_log_level(void)
{
	expect_error("log_level: loud\n",
		     "vigil.yaml:1: log_level: 'loud' is not a log level (error, warning, message, info, debug)");
}

static void test_error_relative_socket(void)
{
	expect_error("control_socket: vigild.sock\n",
		     "vigil.yaml:1: control_socket: 'vigild.sock' is not an absolute path");
}

static void test_error_duplicate_key(void)
{
	expect_error("mode: normal\nmode: flight\n",
		     "vigil.yaml:2: mode: given twice");
}

static void test_error_empty_string(void)
{
	expect_error("dump:\n  dir: ''\n",
		     "vigil.yaml:2: dump.dir: must not be empty");
}

static void test_error_yaml_syntax(void)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;
	const char *y = "mode: normal\nbuffer:\n  size: [1MiB\n  count: 4\n";

	g_assert_false(vgd_config_load_data(c, y, strlen(y), "vigil.yaml", &err));
	g_assert_error(err, VG_ERROR, VG_ERROR_PARSE);
	g_assert_true(g_str_has_prefix(err->message, "vigil.yaml:"));
	g_assert_nonnull(strstr(err->message, "YAML syntax error"));
	g_error_free(err);
	vgd_config_free(c);
}

static void test_error_top_level_not_mapping(void)
{
	expect_error("- a\n- b\n",
		     "vigil.yaml:1: (top level): expected a mapping of keys, found a list");
}

static void test_error_message_uses_the_file_path(void)
{
	char *dir = g_dir_make_tmp("vgcfg-XXXXXX", NULL);
	char *path = g_build_filename(dir, "my.yaml", NULL);
	char *want = g_strdup_printf("%s:2: buffer.size: '12Q' is not a size (use e.g. 1MiB)", path);
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;

	g_assert_true(g_file_set_contents(path, "buffer:\n  size: 12Q\n", -1, NULL));
	g_assert_false(vgd_config_load_file(c, path, TRUE, &err));
	g_assert_cmpstr(err->message, ==, want);
	g_error_free(err);
	g_unlink(path);
	g_rmdir(dir);
	g_free(want);
	g_free(path);
	g_free(dir);
	vgd_config_free(c);
}

static void test_options_override_file(void)
{
	VgdConfig *c = load_ok("mode: flight\nbuffer:\n  size: 64KiB\n  count: 8\n"
			       "events: [sched:sched_switch]\n");
	GError *err = NULL;

	g_assert_true(vgd_config_set_mode(c, "normal", "--mode", &err));
	g_assert_true(vgd_config_set_buffer_size(c, "2MiB", "--buffer-size", &err));
	g_assert_true(vgd_config_set_buffer_count(c, "16", "--buffers", &err));
	g_assert_true(vgd_config_set_events(c, "raw_syscalls:sys_exit,all",
					    "--events", &err));
	g_assert_no_error(err);
	g_assert_cmpint(c->mode, ==, VGD_MODE_NORMAL);
	g_assert_cmpuint(c->buffer_size, ==, 2u << 20);
	g_assert_cmpuint(c->buffer_count, ==, 16);
	g_assert_cmpuint(c->events->len, ==, 2);
	g_assert_cmpstr(c->events->pdata[0], ==, "raw_syscalls:sys_exit");
	vgd_config_free(c);
}

static void test_bad_options_name_the_option(void)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;

	g_assert_false(vgd_config_set_buffer_size(c, "12Q", "--buffer-size", &err));
	g_assert_cmpstr(err->message, ==, "--buffer-size: '12Q' is not a size (use e.g. 1MiB)");
	g_clear_error(&err);
	g_assert_false(vgd_config_set_mode(c, "fast", "--mode", &err));
	g_assert_cmpstr(err->message, ==, "--mode: 'fast' is not a mode (auto, normal or flight)");
	g_clear_error(&err);
	g_assert_false(vgd_config_set_buffer_count(c, "1", "--buffers", &err));
	g_assert_cmpstr(err->message, ==, "--buffers: '1' is not a sub-buffer count (2 .. 4096)");
	g_clear_error(&err);
	g_assert_false(vgd_config_set_events(c, "sched", "--events", &err));
	g_assert_cmpstr(err->message, ==, "--events: 'sched' is not an event name (use subsystem:event, e.g. sched:sched_switch, or all)");
	g_clear_error(&err);
	/* a failed option leaves the value alone */
	g_assert_cmpuint(c->buffer_size, ==, 1u << 20);
	g_assert_cmpuint(c->events->len, ==, 0);
	vgd_config_free(c);
}

/* mode auto (the default): a flight recorder unless there is something
 * to read every event for */
static void test_mode_auto(void)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;

	vgd_config_resolve_mode(c);
	g_assert_cmpint(c->mode, ==, VGD_MODE_FLIGHT);
	g_assert_true(vgd_config_check(c, &err));
	c->mode = VGD_MODE_AUTO;
	g_ptr_array_add(c->scripts, g_strdup("x.pl"));
	vgd_config_resolve_mode(c);
	g_assert_cmpint(c->mode, ==, VGD_MODE_NORMAL);
	g_ptr_array_set_size(c->scripts, 0);
	c->mode = VGD_MODE_AUTO;
	c->record_dir = g_strdup("/tmp/rec");
	vgd_config_resolve_mode(c);
	g_assert_cmpint(c->mode, ==, VGD_MODE_NORMAL);
	/* an explicit mode stays */
	c->mode = VGD_MODE_FLIGHT;
	vgd_config_resolve_mode(c);
	g_assert_cmpint(c->mode, ==, VGD_MODE_FLIGHT);
	vgd_config_free(c);
	c = load_ok("mode: auto\n");
	g_assert_cmpint(c->mode, ==, VGD_MODE_AUTO);
	vgd_config_free(c);
}

static void test_check_requires_something_to_do(void)
{
	VgdConfig *c = vgd_config_new();
	GError *err = NULL;

	c->mode = VGD_MODE_NORMAL;
	g_assert_false(vgd_config_check(c, &err));
	g_assert_nonnull(strstr(err->message, "no handler script"));
	g_clear_error(&err);
	c->mode = VGD_MODE_FLIGHT;
	g_assert_true(vgd_config_check(c, &err));
	c->mode = VGD_MODE_NORMAL;
	c->replay_dir = g_strdup("/tmp/trace");
	g_assert_false(vgd_config_check(c, &err));
	g_assert_nonnull(strstr(err->message, "--replay /tmp/trace"));
	g_clear_error(&err);
	g_ptr_array_add(c->scripts, g_strdup("x.pl"));
	g_assert_true(vgd_config_check(c, &err));
	g_clear_pointer(&c->replay_dir, g_free);
	c->mode = VGD_MODE_FLIGHT;
	c->record_dir = g_strdup("/tmp/rec");
	g_ptr_array_set_size(c->scripts, 0);
	g_assert_false(vgd_config_check(c, &err));
	g_assert_nonnull(strstr(err->message, "--record /tmp/rec: flight mode reads nothing"));
	g_clear_error(&err);
	vgd_config_free(c);
}

static void test_kprobes(void)
{
	VgdConfig *c = load_ok("kprobes:\n"
			       "  - name: sendmsg\n"
			       "    symbol: tcp_sendmsg\n"
			       "    args: 3\n"
			       "  - symbol: vfs_read\n"
			       "    return: true\n"
			       "  - {symbol: do_exit, offset: 4}\n");
	VgdKprobe *k;

	g_assert_cmpuint(c->kprobes->len, ==, 3);
	k = c->kprobes->pdata[0];
	g_assert_cmpstr(k->name, ==, "sendmsg");
	g_assert_cmpstr(k->symbol, ==, "tcp_sendmsg");
	g_assert_cmpuint(k->nargs, ==, 3);
	g_assert_false(k->retprobe);
	k = c->kprobes->pdata[1];
	g_assert_cmpstr(k->name, ==, "vfs_read_ret");
	g_assert_true(k->retprobe);
	k = c->kprobes->pdata[2];
	g_assert_cmpstr(k->name, ==, "do_exit");
	g_assert_cmpuint(k->offset, ==, 4);
	vgd_config_free(c);
}

/* metrics.listen: [ADDR:]PORT, normalized; empty is off */
static void test_metrics_listen(void)
{
	static const struct { const char *yaml, *want; } ok[] = {
		{ "metrics:\n  listen: 9464\n", "127.0.0.1:9464" },
		{ "metrics:\n  listen: 0.0.0.0:80\n", "0.0.0.0:80" },
		{ "metrics:\n  listen: '[::1]:65535'\n", "[::1]:65535" },
		{ "metrics:\n  listen: \"\"\n", NULL },
		{ "metrics:\n  listen:\n", NULL },
		{ "log_level: info\n", NULL },
	};
	VgdConfig *c;
	GError *err = NULL;
	char *addr;
	guint16 port;

	for (guint i = 0; i < G_N_ELEMENTS(ok); i++) {
		c = load_ok(ok[i].yaml);
		g_assert_cmpstr(c->metrics_listen, ==, ok[i].want);
		vgd_config_free(c);
	}
	g_assert_true(vgd_parse_listen("[::1]:9464", &addr, &port));
	g_assert_cmpstr(addr, ==, "::1");
	g_assert_cmpuint(port, ==, 9464);
	g_free(addr);
	g_assert_true(vgd_parse_listen("9100", &addr, &port));
	g_assert_cmpstr(addr, ==, "127.0.0.1");
	g_free(addr);
	for (guint i = 0; i < 8; i++) {
		static const char *const bad[] = { "0", "65536", "host:80",
			"::1:80", "[::1]", "1.2.3.4:", ":80", "127.0.0.1:80x" };

		g_assert_false(vgd_parse_listen(bad[i], &addr, &port));
	}
	c = vgd_config_new();
	g_assert_true(vgd_config_set_metrics(c, "10.0.0.1:9", "--metrics", &err));
	g_assert_cmpstr(c->metrics_listen, ==, "10.0.0.1:9");
	g_assert_true(vgd_config_set_metrics(c, "", "--metrics", &err));
	g_assert_null(c->metrics_listen);
	g_assert_false(vgd_config_set_metrics(c, "localhost:9464", "--metrics", &err));
	g_assert_cmpstr(err->message, ==, "--metrics: 'localhost:9464' is not "
			"[ADDR:]PORT (an IP address, 127.0.0.1 when left out, and a "
			"port 1 .. 65535: 9464, 127.0.0.1:9464, [::1]:9464)");
	g_clear_error(&err);
	vgd_config_free(c);
}

static void test_error_bad_metrics_listen(void)
{
	expect_error("log_level: info\nmetrics:\n  listen: 70000\n",
		     "vigil.yaml:3: metrics.listen: '70000' is not [ADDR:]PORT (an "
		     "IP address, 127.0.0.1 when left out, and a port 1 .. 65535: "
		     "9464, 127.0.0.1:9464, [::1]:9464)");
	expect_error("metrics:\n  listen: [9464]\n",
		     "vigil.yaml:2: metrics.listen: expected a single value, found a list");
	expect_error("metrics:\n  port: 9464\n",
		     "vigil.yaml:2: metrics.port: unknown key");
}

static void test_error_bad_kprobes(void)
{
	expect_error("kprobes:\n  - name: x\n",
		     "vigil.yaml:2: kprobes[0]: no symbol: the kernel function to probe");
	expect_error("kprobes:\n  - symbol: vfs_read\n    args: 7\n",
		     "vigil.yaml:3: kprobes[0].args: 7 is out of range (0 .. 6)");
	expect_error("kprobes:\n  - symbol: vfs_read\n    return: yes\n    args: 2\n",
		     "vigil.yaml:2: kprobes[0]: a return probe records the return value, not args");
	expect_error("kprobes:\n  - symbol: vfs_read\n  - symbol: vfs_read\n",
		     "vigil.yaml:3: kprobes[1]: 'vfs_read' is already the name of kprobes[0]");
	expect_error("kprobes:\n  - symbol: 'vfs read'\n",
		     "vigil.yaml:2: kprobes[0].symbol: 'vfs read' is not a kernel symbol name");
	expect_error("kprobes:\n  - symbol: a\n    probe: b\n",
		     "vigil.yaml:3: kprobes[0].probe: unknown key");
	expect_error("kprobes: tcp_sendmsg\n",
		     "vigil.yaml:1: kprobes: expected a list of probes, found a scalar");
}

/* channels: the example loads; each channel's keys, the
 * defaults it takes from the top level, and where an event goes. */
static void test_channels(void)
{
	VgdConfig *c = load_ok(
		"buffer:\n  size: 256KiB\n  count: 8\n"
		"channels:\n"
		"  busy:\n"
		"    mode: flight\n"
		"    events: [raw_syscalls:sys_enter, raw_syscalls:sys_exit, sched:sched_switch]\n"
		"    buffer: { subbuf_size: 1M, n_subbufs: 16 }\n"
		"  quiet:\n"
		"    mode: normal\n"
		"    events: [sched:sched_process_fork, sched:sched_process_exec, sched:sched_process_exit]\n"
		"  slow:\n"
		"    events: block:block_rq_issue,block:block_rq_complete\n"
		"    buffer: { size: 8KiB, count: 2 }\n"
		"    switch_interval: 1s\n");
	const VgdChannel *busy, *quiet, *slow;
	GError *err = NULL;
	char *text;

	g_assert_cmpuint(c->channels->len, ==, 3);
	busy = c->channels->pdata[0];
	quiet = c->channels->pdata[1];
	slow = c->channels->pdata[2];
	g_assert_cmpstr(busy->name, ==, "busy");
	g_assert_cmpint(busy->mode, ==, VGD_MODE_FLIGHT);
	g_assert_cmpuint(busy->events->len, ==, 3);
	g_assert_cmpuint(busy->line, ==, 5);
	g_assert_cmpuint(vgd_channel_buffer_size(c, busy), ==, 1u << 20);
	g_assert_cmpuint(vgd_channel_buffer_count(c, busy), ==, 16);
	g_assert_cmpuint(vgd_channel_switch_ms(c, busy), ==, 100);
	/* mode normal by default; buffer and switch from the top level */
	g_assert_cmpint(quiet->mode, ==, VGD_MODE_NORMAL);
	g_assert_cmpuint(vgd_channel_buffer_size(c, quiet), ==, 256u << 10);
	g_assert_cmpuint(vgd_channel_buffer_count(c, quiet), ==, 8);
	g_assert_cmpint(slow->mode, ==, VGD_MODE_NORMAL);
	g_assert_cmpuint(slow->events->len, ==, 2);
	g_assert_cmpuint(vgd_channel_buffer_size(c, slow), ==, 8192);
	g_assert_cmpuint(vgd_channel_buffer_count(c, slow), ==, 2);
	g_assert_cmpuint(vgd_channel_switch_ms(c, slow), ==, 1000);
	/* where events go: their channel, else the default one (NULL) */
	g_assert_true(vgd_config_channel_of(c, "sched:sched_switch") == busy);
	g_assert_true(vgd_config_channel_of(c, "sched:sched_process_exec") == quiet);
	g_assert_null(vgd_config_channel_of(c, "irq:irq_handler_entry"));
	g_assert_true(vgd_config_mixed(c));
	/* mode auto with channels is normal (mixed), even without scripts */
	vgd_config_resolve_mode(c);
	g_assert_cmpint(c->mode, ==, VGD_MODE_NORMAL);
	g_assert_true(vgd_config_check(c, &err));
	text = vgd_config_to_string(c);
	g_assert_nonnull(strstr(text, "channels: {busy: {mode: flight, events: [raw_syscalls:sys_enter, raw_syscalls:sys_exit, sched:sched_switch], buffer: {size: 1048576, count: 16}, switch_interval: 100ms}, quiet: {mode: normal, "));
	g_free(text);
	vgd_config_free(c);

	/* only normal channels: not mixed */
	c = load_ok("channels:\n  q:\n    events: [sched:sched_process_exit]\n");
	g_assert_false(vgd_config_mixed(c));
	vgd_config_free(c);
	/* no channels: one channel, as before */
	c = load_ok("mode: normal\n");
	g_assert_cmpuint(c->channels->len, ==, 0);
	g_assert_false(vgd_config_mixed(c));
	vgd_config_free(c);
}

static void test_error_bad_channels(void)
{
	VgdConfig *c;
	GError *err = NULL;

	/* an event in two channels: both named, with file and line */
	expect_error("channels:\n"
		     "  busy:\n"
		     "    mode: flight\n"
		     "    events: [raw_syscalls:sys_enter, sched:sched_switch]\n"
		     "  quiet:\n"
		     "    events:\n"
		     "      - sched:sched_wakeup\n"
		     "      - sched:sched_switch\n",
		     "vigil.yaml:8: channels.quiet.events[1]: 'sched:sched_switch' is in two channels, 'busy' (line 2) and 'quiet': an event goes to one channel");
	expect_error("channels:\n  a:\n    events: [irq:irq_handler_entry, irq:irq_handler_entry]\n",
		     "vigil.yaml:3: channels.a.events[1]: 'irq:irq_handler_entry' is listed twice");
	/* the task table's events stream */
	expect_error("channels:\n  busy:\n    mode: flight\n    events: [sched:sched_process_exec]\n",
		     "vigil.yaml:4: channels.busy.events[0]: 'sched:sched_process_exec' cannot be in flight channel 'busy': the task table needs it live (leave it out: it goes to the default channel)");
	expect_error("channels:\n  a:\n    events: all\n",
		     "vigil.yaml:3: channels.a.events: 'all' is not for a channel: list its events (those in no channel go to the default one)");
	expect_error("channels:\n  a:\n    mode: flight\n",
		     "vigil.yaml:3: channels.a: no events: list the events this channel records");
	expect_error("channels:\n  a:\n    mode: auto\n    events: [x:y]\n",
		     "vigil.yaml:3: channels.a.mode: 'auto' is not a channel mode (normal or flight)");
	expect_error("channels:\n  a:\n    events: [x:y]\n    buffer: { subbuf_size: 3000 }\n",
		     "vigil.yaml:4: channels.a.buffer.subbuf_size: '3000' must be a power of 2 from 4KiB to 64MiB");
	expect_error("channels:\n  a:\n    events: [x:y]\n    buffer: { n_subbufs: 1 }\n",
		     "vigil.yaml:4: channels.a.buffer.n_subbufs: 1 is out of range (2 .. 4096)");
	expect_error("channels:\n  a:\n    events: [x:y]\n    size: 1M\n",
		     "vigil.yaml:4: channels.a.size: unknown key");
	expect_error("channels:\n  default:\n    events: [x:y]\n",
		     "vigil.yaml:2: channels.default: the default channel is set by the top-level buffer: and switch_interval: (its events are those in no channel)");
	expect_error("channels:\n  'a b':\n    events: [x:y]\n",
		     "vigil.yaml:2: channels.a b: 'a b' is not a channel name (letters, digits, _ and -, at most 31)");
	expect_error("channels:\n  a:\n    events: [x:y]\n  a:\n    events: [x:z]\n",
		     "vigil.yaml:4: channels.a: given twice");
	expect_error("channels: [busy]\n",
		     "vigil.yaml:1: channels: expected a mapping of channel names to channels, found a list");
	expect_error("channels:\n  a:\n    events: [nocolon]\n",
		     "vigil.yaml:3: channels.a.events[0]: 'nocolon' is not an event name (use subsystem:event, e.g. sched:sched_switch, or all)");
	expect_error("channels:\n  a: {events: [a:b]}\n  b: {events: [a:c]}\n  c: {events: [a:d]}\n"
		     "  d: {events: [a:e]}\n  e: {events: [a:f]}\n  f: {events: [a:g]}\n"
		     "  g: {events: [a:h]}\n  h: {events: [a:i]}\n",
		     "vigil.yaml:9: channels.h: more than 7 channels besides the default one");
	/* pure flight mode and the kernel's tracepoints have no channels */
	c = load_ok("mode: flight\nchannels:\n  a:\n    events: [x:y]\n");
	g_assert_false(vgd_config_check(c, &err));
	g_assert_nonnull(strstr(err->message, "vigil.yaml: channels: in flight mode every event stays in the kernel"));
	g_clear_error(&err);
	vgd_config_free(c);
	c = load_ok("source: kernel\nchannels:\n  a:\n    events: [x:y]\n");
	vgd_config_resolve_mode(c);
	g_assert_false(vgd_config_check(c, &err));
	g_assert_nonnull(strstr(err->message, "vigil.yaml: channels are vigil.ko's"));
	g_clear_error(&err);
	vgd_config_free(c);
}

/* user:, group:, control_group: name a user and groups of this system
 * (nobody and nogroup on Debian); empty: none; root is no user to become. */
static void test_user_and_groups(void)
{
	VgdConfig *c;
	GError *err = NULL;

	if (!getpwnam("nobody") || !getgrnam("nogroup")) {
		g_test_skip("no user nobody / group nogroup here");
		return;
	}
	c = load_ok("user: nobody\ngroup: nogroup\ncontrol_group: nogroup\n");
	g_assert_cmpstr(c->user, ==, "nobody");
	g_assert_cmpstr(c->group, ==, "nogroup");
	g_assert_cmpstr(c->control_group, ==, "nogroup");
	vgd_config_free(c);
	c = load_ok("user:\ncontrol_group:\n");
	g_assert_null(c->user);
	g_assert_null(c->control_group);
	vgd_config_free(c);
	expect_error("mode: flight\n\nuser: vg-no-such-user\n",
		     "vigil.yaml:3: user: no user 'vg-no-such-user' on this system");
	expect_error("user: root\n",
		     "vigil.yaml:1: user: 'root' is root (uid 0): name an unprivileged user");
	expect_error("user: [nobody]\n",
		     "vigil.yaml:1: user: expected a single value, found a list");
	expect_error("control_group: vg-no-such-group\n",
		     "vigil.yaml:1: control_group: no group 'vg-no-such-group' on this system");
	expect_error("user: nobody\ngroup: vg-no-such-group\n",
		     "vigil.yaml:2: group: no group 'vg-no-such-group' on this system");
	/* group without user; --user */
	c = load_ok("mode: flight\ngroup: nogroup\n");
	g_assert_false(vgd_config_check(c, &err));
	g_assert_nonnull(strstr(err->message, "group: 'nogroup' without user"));
	g_clear_error(&err);
	g_assert_true(vgd_config_set_user(c, "nobody", "--user", &err));
	g_assert_true(vgd_config_check(c, &err));
	g_assert_false(vgd_config_set_user(c, "vg-no-such-user", "--user", &err));
	g_assert_cmpstr(err->message, ==, "--user: no user 'vg-no-such-user' on this system");
	g_clear_error(&err);
	g_assert_false(vgd_config_set_user(c, "root", "--user", &err));
	g_clear_error(&err);
	g_assert_cmpstr(c->user, ==, "nobody");
	vgd_config_free(c);
}

static void test_shipped_default_config_loads(void)
{
	const char *path = g_getenv("VIGIL_DEFAULT_CONFIG");
	VgdConfig *c = vgd_config_new();
	VgdConfig *d = vgd_config_new();
	GError *err = NULL;
	char *a, *b;

	if (!path) {
		g_test_skip("VIGIL_DEFAULT_CONFIG (etc/vigil.yaml) not set");
		goto out;
	}
	g_assert_true(vgd_config_load_file(c, path, TRUE, &err));
	g_assert_no_error(err);
	/* The documented default file spells out the built-in defaults. */
	g_free(c->source);
	c->source = NULL;
	a = vgd_config_to_string(c);
	b = vgd_config_to_string(d);
	g_assert_cmpstr(a, ==, b);
	g_free(a);
	g_free(b);
out:
	vgd_config_free(c);
	vgd_config_free(d);
}

/* One section of vigil.yaml(5) ("=head1 HEAD") documents exactly the
 * keys of the tables given: one "=item B<KEY> (SUMMARY)" per row, with
 * the row's summary, and no item the tables lack. */
static void check_pod_section(const char *pod_in, const char *head,
			      const VgdConfigKey **tabs, const guint *ns,
			      guint ntabs)
{
	GHashTable *found = g_hash_table_new(g_str_hash, g_str_equal);
	char *pod = g_strdup(pod_in), *sec, *end, *h;
	GRegex *re, *ws;
	GMatchInfo *mi;
	guint t, i;

	h = g_strdup_printf("\n=head1 %s\n", head);
	sec = strstr(pod, h);
	g_free(h);
	g_assert_nonnull(sec);
	end = strstr(sec + 1, "\n=head1 ");
	if (end)
		*end = '\0';
	re = g_regex_new("^=item B<([\\w.]+)>(.*?)\\n\\n",
			 G_REGEX_MULTILINE | G_REGEX_DOTALL, 0, NULL);
	ws = g_regex_new("\\s+", 0, 0, NULL);
	g_regex_match(re, sec, 0, &mi);
	for (; g_match_info_matches(mi); g_match_info_next(mi, NULL)) {
		char *name = g_match_info_fetch(mi, 1);
		char *rest = g_match_info_fetch(mi, 2);
		char *flat = g_strstrip(g_regex_replace_literal(ws, rest, -1, 0, " ", 0, NULL));
		const VgdConfigKey *k = NULL;
		char *want;

		for (t = 0; !k && t < ntabs; t++)
			for (i = 0; !k && i < ns[t]; i++)
				if (strcmp(tabs[t][i].name, name) == 0)
					k = &tabs[t][i];
		if (!k) {
			g_test_fail_printf("vigil.yaml(5) %s documents %s, which config.c's table lacks",
					   head, name);
		} else {
			want = k->doc ? g_strdup_printf("(%s)", k->doc) : g_strdup("");
			if (strcmp(flat, want) != 0)
				g_test_fail_printf("vigil.yaml(5) says of %s '%s', config.c's table '%s'",
						   name, flat, want);
			g_free(want);
			g_hash_table_add(found, (gpointer)k->name);
		}
		g_free(flat);
		g_free(rest);
		g_free(name);
	}
	for (t = 0; t < ntabs; t++)
		for (i = 0; i < ns[t]; i++)
			if (!g_hash_table_contains(found, tabs[t][i].name))
				g_test_fail_printf("vigil.yaml(5) %s does not document %s",
						   head, tabs[t][i].name);
	g_match_info_free(mi);
	g_regex_unref(re);
	g_regex_unref(ws);
	g_hash_table_unref(found);
	g_free(pod);
}

/* vigil.yaml(5) documents exactly the loader's keys: KEYS those of the
 * top level and of a kprobes[] entry, CHANNELS those of a channel. */
static void test_manual_documents_exactly_the_keys(void)
{
	const char *path = VIGIL_SRCDIR "/../docs/vigil.yaml.5.pod";
	const VgdConfigKey *tabs[2];
	guint ns[2];
	GError *err = NULL;
	char *pod;

	tabs[0] = vgd_config_keys(VGD_KEYS_TOP, &ns[0]);
	tabs[1] = vgd_config_keys(VGD_KEYS_KPROBE, &ns[1]);
	g_assert_cmpuint(ns[0], >=, 20);
	if (!g_file_get_contents(path, &pod, NULL, &err))
		g_error("%s", err->message);
	check_pod_section(pod, "KEYS", tabs, ns, 2);
	tabs[0] = vgd_config_keys(VGD_KEYS_CHANNEL, &ns[0]);
	check_pod_section(pod, "CHANNELS", tabs, ns, 1);
	g_free(pod);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/missing-default-file-means-defaults",
			test_missing_default_file_means_defaults);
	g_test_add_func("/config/missing-given-file-is-an-error",
			test_missing_given_file_is_an_error);
	g_test_add_func("/config/empty-file-means-defaults",
			test_empty_file_means_defaults);
	g_test_add_func("/config/good-file-sets-every-key",
			test_good_file_sets_every_key);
	g_test_add_func("/config/events-as-comma-string",
			test_events_as_comma_string);
	g_test_add_func("/config/single-script-as-scalar",
			test_single_script_as_scalar);
	g_test_add_func("/config/sizes-and-durations", test_sizes_and_durations);
	g_test_add_func("/config/error/unknown-top-level-key",
			test_error_unknown_top_level_key);
	g_test_add_func("/config/error/unknown-nested-key",
			test_error_unknown_nested_key);
	g_test_add_func("/config/error/bad-size-suffix",
			test_error_bad_size_suffix);
	g_test_add_func("/config/error/size-not-power-of-two",
			test_error_size_not_power_of_two);
	g_test_add_func("/config/error/size-too-small",
			test_error_size_too_small);
	g_test_add_func("/config/error/count-out-of-range",
			test_error_count_out_of_range);
	g_test_add_func("/config/error/count-not-a-number",
			test_error_count_not_a_number);
	g_test_add_func("/config/error/list-where-value-expected",
			test_error_wrong_type_list_for_scalar);
	g_test_add_func("/config/error/scalar-where-mapping-expected",
			test_error_wrong_type_scalar_for_mapping);
	g_test_add_func("/config/error/mapping-inside-string-list",
			test_error_wrong_type_mapping_in_list);
	g_test_add_func("/config/error/bad-mode", test_error_bad_mode);
	g_test_add_func("/config/error/bad-duration", test_error_bad_duration);
	g_test_add_func("/config/error/bad-bool", test_error_bad_bool);
	g_test_add_func("/config/error/bad-filter-ids",
			test_error_bad_filter_ids);
	g_test_add_func("/config/error/bad-event-name",
			test_error_bad_event_name);
	g_test_add_func("/config/error/bad-log-level",
			test_error_bad_log_level);
	g_test_add_func("/config/error/relative-socket-path",
			test_error_relative_socket);
	g_test_add_func("/config/error/duplicate-key", test_error_duplicate_key);
	g_test_add_func("/config/error/empty-string", test_error_empty_string);
	g_test_add_func("/config/error/yaml-syntax-names-line",
			test_error_yaml_syntax);
	g_test_add_func("/config/error/top-level-not-a-mapping",
			test_error_top_level_not_mapping);
	g_test_add_func("/config/error/message-names-the-file-path",
			test_error_message_uses_the_file_path);
	g_test_add_func("/config/kprobes", test_kprobes);
	g_test_add_func("/config/channels", test_channels);
	g_test_add_func("/config/error/bad-channels", test_error_bad_channels);
	g_test_add_func("/config/error/bad-kprobes", test_error_bad_kprobes);
	g_test_add_func("/config/metrics-listen", test_metrics_listen);
	g_test_add_func("/config/error/bad-metrics-listen",
			test_error_bad_metrics_listen);
	g_test_add_func("/config/options-override-file",
			test_options_override_file);
	g_test_add_func("/config/bad-options-name-the-option",
			test_bad_options_name_the_option);
	g_test_add_func("/config/mode-auto", test_mode_auto);
	g_test_add_func("/config/check-requires-something-to-do",
			test_check_requires_something_to_do);
	g_test_add_func("/config/shipped-default-config-loads",
			test_shipped_default_config_loads);
	g_test_add_func("/config/user-and-groups", test_user_and_groups);
	g_test_add_func("/config/manual-documents-exactly-the-keys",
			test_manual_documents_exactly_the_keys);
	return g_test_run();
}
