/*
 * vg_sym.h - addresses of callchains turned into symbols, for the
 * events that carry a callchain (VgEventClass.callchain): kernel
 * addresses from /proc/kallsyms, user addresses of a process with
 * elfutils' libdwfl (its /proc/PID/maps and the ELF files mapped, their
 * .symtab/.dynsym or separate debug info).  Both are cached: kallsyms is
 * read once, a process' modules once per process (again when an address
 * falls in none of them, at most once a second), each (process, address)
 * resolved once.
 *
 * One symbolizer per process (vigild is single-threaded; Vigil.so in
 * plain perl likewise).  It symbolizes only while it is enabled: for
 * the live trace, and for a replayed trace recorded since the machine
 * last booted (vg_sym_trace_is_local); otherwise frames carry their
 * address alone, never another boot's names.
 */
#ifndef VG_SYM_H
#define VG_SYM_H

#include "vg_core.h"

G_BEGIN_DECLS

typedef struct {
	guint64 ip;
	const char *sym;	/* interned; NULL: unknown */
	guint64 start, end;	/* the symbol's range (sym != NULL) */
	guint binding;		/* STB_LOCAL 0, STB_GLOBAL 1, STB_WEAK 2 */
	const char *dso;	/* interned: "[kernel.kallsyms]", "[ext4]",
				 * "/usr/lib/x86_64-linux-gnu/libc.so.6";
				 * NULL: unknown */
} VgFrame;

/* Resolve ip of a callchain of process pid (kernel addresses: top bit
 * set, whatever pid).  out->ip = ip always. */
void vg_sym_frame(gint32 pid, guint64 ip, VgFrame *out);

/* Symbolize (TRUE, the default) or give addresses only. */
void vg_sym_set_enabled(gboolean on);
gboolean vg_sym_enabled(void);

/* Read /proc/kallsyms now (vigild: before it drops its privileges,
 * after which the addresses read as 0).  Returns the number of text
 * symbols; 0 with *error saying why (kptr_restrict, no file). */
guint vg_sym_load_kernel(const char *path, GError **error);

/* A process ended or exec'd: its cached modules and frames go (its pid
 * may be reused, its image was replaced).  The task table calls it
 * (vg_tasks.c). */
void vg_sym_forget(gint32 pid);

/* This boot's id (/proc/sys/kernel/random/boot_id), or "" if unknown. */
const char *vg_sym_boot_id(void);
/* Whether a trace of metadata md was recorded in this boot (env
 * vigil_boot_id equals vg_sym_boot_id()): only then are its addresses
 * this machine's. */
gboolean vg_sym_trace_is_local(const VgMetadata *md);

/* Kernel symbols stored with a trace (a dump: VG_SYM_TABLE_NAME in its
 * directory, a hidden file CTF readers skip), so that it is read with
 * names on another boot or machine.  One line per address:
 * "IP START END BINDING NAME DSO" (hex, hex, hex, decimal, text, text).
 * vg_sym_table_text(): the lines for the kernel addresses of ips (n of
 * them, other addresses skipped) that this boot's symbols name; g_free()
 * it.  vg_sym_use_table(): frames are then named from the table alone
 * (kernel addresses it lists; nothing else), and symbolizing is on;
 * FALSE with the error naming file and line.  path NULL: no table any
 * more (this machine's symbols again). */
#define VG_SYM_TABLE_NAME	".vigil-symbols"
char *vg_sym_table_text(const guint64 *ips, guint n);
gboolean vg_sym_use_table(const char *path, GError **error);

/* For a trace directory being replayed: symbolize when it is of this
 * boot (md), else name kernel frames from its stored table when it has
 * one, else give addresses only.  Returns what it chose: "local",
 * "table", "none". */
const char *vg_sym_setup_replay(const char *dir, const VgMetadata *md);

/* The printable form of a frame, as perf script prints a callchain
 * line: "ffffffff81234567 do_sys_openat2+0x7f ([kernel.kallsyms])".
 * g_free() it. */
char *vg_frame_text(const VgFrame *f);

G_END_DECLS

#endif
