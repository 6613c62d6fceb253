/*
 * quick.h - vigild's options for quick questions without a
 * configuration file: -l/--list [GLOB] and -v (events and their
 * fields), -e CODE (a handler on the command line, like perl -e),
 * --pid and --comm (selection; they map onto the configuration's
 * filters.tgids and filters.comms), --kprobe (added to its kprobes).  vigild.c adds these entries to its
 * option table and calls the functions below; everything else about
 * them lives in quick.c.
 */
#ifndef VGD_QUICK_H
#define VGD_QUICK_H

#include <glib.h>
#include "config.h"

typedef struct {
	gboolean list;
	gboolean verbose;
	char **exec;		/* -e CODE, repeatable */
	char **pids;		/* --pid N[,N...], repeatable */
	char **comms;		/* --comm GLOB[,GLOB...], repeatable */
	char **kprobes;		/* --kprobe SYMBOL[%return], repeatable */
	char *exec_path;	/* the file the -e code was written to */
} VgdQuick;

/* The option entries (pointing into q), NULL-terminated, static. */
const GOptionEntry *vgd_quick_entries(VgdQuick *q);

/* After option parsing, before the configuration: -l runs here (args:
 * what is left of argv after the options, argv[0] first).  TRUE when
 * vigild is done, with the exit status in *rc. */
gboolean vgd_quick_run(VgdQuick *q, int argc, char **argv, int *rc);

/* Fold --pid, --comm, --kprobe and -e into the configuration (-e: a
 * script after those of -s).  Errors name the option. */
gboolean vgd_quick_apply(VgdQuick *q, VgdConfig *cfg, GError **error);

/* --check-config: compile the scripts and check their event names and
 * filters against the trace of --replay, else this machine's events
 * (catalog.c).  Returns the exit status (a script's exit(N) while
 * loading: N). */
int vgd_quick_check_scripts(VgdConfig *cfg);

/* Remove the -e script file and free q's contents. */
void vgd_quick_clear(VgdQuick *q);

#endif
