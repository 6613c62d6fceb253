/*
 * hoststate.c - statedump records from /proc and /sys (hoststate.h).
 *
 * Why here and not in vigil.ko: the module cannot walk the interrupt
 * descriptors (irq_to_desc() is not exported to modules on 6.1), while
 * /sys/kernel/irq/N/actions is the kernel's own, stable account of the
 * same thing; and the kernel source (no module) needs the same records
 * anyway.  Both are read when the statedump is written, so a dump
 * describes the host as it is then.
 */
#define G_LOG_DOMAIN "vigild"

#include "hoststate.h"
#include "vg_events_gen.h"	/* event names by role, from kmod/vigil_events.h */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gint cmp_int(gconstpointer a, gconstpointer b)
{
	gint x = *(const gint *)a, y = *(const gint *)b;

	return x < y ? -1 : x > y;
}

static char *read_line(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL), *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = NULL;
	g_free(path);
	if (text)
		g_strchomp(text);
	return text;
}

guint vgd_hs_irqs(VgPacketWriter *w, const VgMetadata *md, guint64 ts)
{
	const VgEventClass *cls = vg_metadata_class_by_name(md, VG_EV_STATEDUMP_IRQ);
	GDir *d;
	const char *n;
	GArray *irqs;
	guint count = 0;

	if (!cls || !(d = g_dir_open("/sys/kernel/irq", 0, NULL)))
		return 0;
	irqs = g_array_new(FALSE, FALSE, sizeof(gint));
	while ((n = g_dir_read_name(d)))
		if (g_ascii_isdigit(n[0])) {
			gint irq = atoi(n);

			g_array_append_val(irqs, irq);
		}
	g_dir_close(d);
	g_array_sort(irqs, cmp_int);
	for (guint i = 0; i < irqs->len; i++) {
		gint irq = g_array_index(irqs, gint, i);
		char *dir = g_strdup_printf("/sys/kernel/irq/%d", irq);
		char *actions = read_line(dir, "actions");
		char *chip = read_line(dir, "chip_name");

		if (actions && *actions) {
			VgPwField f[] = {
				{ "irq", (guint64)irq, NULL },
				{ "name", 0, actions },
				{ "chip", 0, chip },
			};

			vg_pw_fields(w, cls, ts, 0, f, G_N_ELEMENTS(f));
			count++;
		}
		g_free(actions);
		g_free(chip);
		g_free(dir);
	}
	g_array_free(irqs, TRUE);
	return count;
}

/* "START-END PERMS OFFSET DEV INODE   PATH": executable maps with a
 * path (files, and the kernel's [vdso]). */
guint vgd_hs_mmaps(VgPacketWriter *w, const VgMetadata *md, guint64 ts,
		   gint32 pid, guint max)
{
	const VgEventClass *cls = vg_metadata_class_by_name(md, VG_EV_STATEDUMP_MMAP);
	char fn[64], *text = NULL, *line, *next;
	guint count = 0;

	if (!cls || !max)
		return 0;
	g_snprintf(fn, sizeof(fn), "/proc/%d/maps", pid);
	if (!g_file_get_contents(fn, &text, NULL, NULL))
		return 0;	/* gone, or a kernel thread's empty maps */
	for (line = text; line && *line && count < max; line = next) {
		unsigned long long start, end, off;
		char perms[8];
		int path_at = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end,
			   perms, &off, &path_at) < 4 || !path_at ||
		    perms[2] != 'x' || !line[path_at])
			continue;
		{
			VgPwField f[] = {
				{ "pid", (guint64)pid, NULL },
				{ "start", start, NULL },
				{ "end", end, NULL },
				{ "offset", off, NULL },
				{ "path", 0, line + path_at },
			};

			vg_pw_fields(w, cls, ts, 0, f, G_N_ELEMENTS(f));
			count++;
		}
	}
	g_free(text);
	return count;
}

void vgd_hs_cgroup(VgPacketWriter *w, const VgMetadata *md, guint64 ts,
		   guint64 id, const char *path)
{
	const VgEventClass *cls = vg_metadata_class_by_name(md, VG_EV_STATEDUMP_CGROUP);
	VgPwField f[] = { { "id", id, NULL }, { "path", 0, path } };

	if (cls && id && path && *path)
		vg_pw_fields(w, cls, ts, 0, f, G_N_ELEMENTS(f));
}
