/*
 * quick.c - -l/-v, -e, --pid, --comm, --kprobe (see quick.h).
 */
#define G_LOG_DOMAIN "vigild"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "quick.h"
#include "vg_core.h"
#include "vg_perl.h"
#include "vg_stream.h"

const GOptionEntry *vgd_quick_entries(VgdQuick *q)
{
	static GOptionEntry e[] = {
		{ "list", 'l', 0, G_OPTION_ARG_NONE, NULL,
		  "List the events this machine offers (matching GLOB) and exit",
		  NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, NULL,
		  "With -l: also each event's fields and their types", NULL },
		{ "exec", 'e', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
		  "Run CODE as a handler script ('use Vigil' implied; repeatable, "
		  "the lines of one script)", "CODE" },
		{ "pid", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
		  "Only events about process PID (in the kernel; repeatable or "
		  "comma-separated)", "PID" },
		{ "comm", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
		  "Only events of tasks whose name matches GLOB (repeatable or "
		  "comma-separated)", "GLOB" },
		{ "kprobe", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
		  "Probe kernel function SYMBOL (events kprobes:SYMBOL, or "
		  "kprobes:SYMBOL_ret for %return; vigil.ko only; repeatable)",
		  "SYMBOL[%return]" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};

	e[0].arg_data = &q->list;
	e[1].arg_data = &q->verbose;
	e[2].arg_data = &q->exec;
	e[3].arg_data = &q->pids;
	e[4].arg_data = &q->comms;
	e[5].arg_data = &q->kprobes;
	return e;
}

gboolean vgd_quick_run(VgdQuick *q, int argc, char **argv, int *rc)
{
	if (!q->list) {
		if (q->verbose) {
			g_printerr("vigild: -v goes with -l (vigild -lv [GLOB])\n");
			*rc = 2;
			return TRUE;
		}
		return FALSE;
	}
	if (argc > 2) {
		g_printerr("vigild: -l takes one GLOB, not '%s'\n", argv[2]);
		*rc = 2;
		return TRUE;
	}
	*rc = vgd_catalog_list(argc == 2 ? argv[1] : NULL, q->verbose);
	return TRUE;
}

/* Each element of v split at commas, empty parts refused. */
static gboolean each_item(char **v, const char *opt,
			  gboolean (*fn)(const char *item, gpointer data,
					 GError **error),
			  gpointer data, GError **error)
{
	for (; v && *v; v++) {
		char **parts = g_strsplit(*v, ",", -1);

		for (char **p = parts; *p; p++) {
			char *s = g_strstrip(*p);

			if (!*s) {
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "%s '%s': empty item", opt, *v);
				g_strfreev(parts);
				return FALSE;
			}
			if (!fn(s, data, error)) {
				g_strfreev(parts);
				return FALSE;
			}
		}
		g_strfreev(parts);
	}
	return TRUE;
}

static gboolean add_pid(const char *s, gpointer data, GError **error)
{
	VgdConfig *cfg = data;
	char *end;
	gint64 v = g_ascii_strtoll(s, &end, 10);
	gint32 pid;

	if (*end || end == s || v <= 0 || v > G_MAXINT32) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "--pid: '%s' is not a process id (a number > 0)", s);
		return FALSE;
	}
	pid = (gint32)v;
	g_array_append_val(cfg->filter_tgids, pid);
	return TRUE;
}

static gboolean add_comm(const char *s, gpointer data, GError **error)
{
	VgdConfig *cfg = data;

	(void)error;
	g_ptr_array_add(cfg->filter_comms, g_strdup(s));
	return TRUE;
}

/* The -e code as a script file: 'use Vigil' first, the code lines
 * joined by newlines (as perl -e does) and numbered from 1 as "-e". */
static gboolean write_exec(VgdQuick *q, VgdConfig *cfg, GError **error)
{
	GString *s = g_string_new("use Vigil;\n#line 1 \"-e\"\n");
	char *path = NULL;
	int fd;
	gboolean ok;

	for (char **c = q->exec; *c; c++)
		g_string_append_printf(s, "%s\n", *c);
	fd = g_file_open_tmp("vigild-e-XXXXXX.pl", &path, error);
	if (fd < 0) {
		g_prefix_error(error, "-e: ");
		g_string_free(s, TRUE);
		return FALSE;
	}
	close(fd);
	ok = g_file_set_contents(path, s->str, (gssize)s->len, error);
	g_string_free(s, TRUE);
	if (!ok) {
		g_prefix_error(error, "-e: ");
		unlink(path);
		g_free(path);
		return FALSE;
	}
	q->exec_path = path;
	g_ptr_array_add(cfg->scripts, g_strdup(path));
	return TRUE;
}

gboolean vgd_quick_apply(VgdQuick *q, VgdConfig *cfg, GError **error)
{
	if (q->pids) {
		g_array_set_size(cfg->filter_tgids, 0);
		if (!each_item(q->pids, "--pid", add_pid, cfg, error))
			return FALSE;
	}
	if (q->comms) {
		g_ptr_array_set_size(cfg->filter_comms, 0);
		if (!each_item(q->comms, "--comm", add_comm, cfg, error))
			return FALSE;
	}
	/* added to the file's kprobes (each names its own event) */
	for (char **k = q->kprobes; k && *k; k++)
		if (!vgd_config_add_kprobe(cfg, *k, "--kprobe", error))
			return FALSE;
	if (q->exec && q->exec[0] && !write_exec(q, cfg, error))
		return FALSE;
	return TRUE;
}

void vgd_quick_clear(VgdQuick *q)
{
	if (q->exec_path)
		unlink(q->exec_path);
	g_free(q->exec_path);
	g_strfreev(q->exec);
	g_strfreev(q->pids);
	g_strfreev(q->comms);
	g_strfreev(q->kprobes);
	memset(q, 0, sizeof(*q));
}

/* --check-config: compile the scripts and check their event names and
 * filters against the events of the trace (--replay), else of this
 * machine (catalog.c).  Returns the exit status. */
int vgd_quick_check_scripts(VgdConfig *cfg)
{
	VgPerlConfig pc = { 0 };
	VgReplay *replay = NULL;
	VgMetadata *md = NULL;
	const char *from = NULL;
	GError *err = NULL;
	VgPerl *p;
	int rc = 1;

	if (!cfg->scripts->len)
		return 0;
	g_ptr_array_add(cfg->scripts, NULL);
	g_ptr_array_add(cfg->script_args, NULL);
	pc.scripts = (char **)cfg->scripts->pdata;
	pc.script_argv = (char **)cfg->script_args->pdata;
	pc.replay = TRUE;	/* no timers */
	p = vg_perl_new(&pc, &err);	/* (copies them) */
	g_ptr_array_set_size(cfg->scripts, cfg->scripts->len - 1);
	g_ptr_array_set_size(cfg->script_args, cfg->script_args->len - 1);
	if (!p || !vg_perl_load(p, &err))
		goto out;
	if (cfg->replay_dir) {
		replay = vg_replay_open(cfg->replay_dir, &err);
		if (replay)
			md = vg_replay_metadata(replay);
	} else {
		md = vgd_catalog_metadata(&from, &err);
	}
	if (md && vg_perl_set_metadata_checked(p, md, &err) &&
	    vg_perl_check_events(p, md, &err))
		rc = 0;
out:
	if (err && err->domain == VG_PERL_EXIT)
		rc = err->code;
	else if (err)
		g_printerr("vigild: %s\n", err->message);
	g_clear_error(&err);
	if (p)
		vg_perl_free(p);
	if (replay)
		vg_replay_free(replay);
	else if (md)
		vg_metadata_free(md);
	return rc;
}
