/*
 * vg_cgroup.c - cgroup v2 ids -> paths, for the task table's
 * common_cgroup (docs/design.md, "Cgroups").
 *
 * The kernel names a task's cgroup v2 directory by an id, the kernfs
 * node id of the directory, which on 64-bit kernels is the inode number
 * stat() gives under the cgroup2 mount.  Entries are kept for the whole
 * run (tasks point at them); an entry's path is learned from the trace
 * (vigil:statedump_cgroup, cgroup:cgroup_attach_task's dst_path) or,
 * live, by walking the cgroup2 mount and stat()ing every directory.  A
 * walk runs when an id is unknown, at most once a second (a burst of
 * new cgroups costs one walk), and the entries still without a path
 * try again on their next use after that second.
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define RESCAN_INTERVAL_US G_USEC_PER_SEC

struct VgCgroups {
	GHashTable *by_id;	/* guint64 * -> VgCgroup *, owned */
	gboolean live;
	char *mount;		/* the cgroup2 mount point (live), or NULL */
	gboolean scanned;	/* a walk ran ... */
	gint64 last_scan;	/* ... at this g_get_monotonic_time() */
};

static void cg_free(gpointer p)
{
	VgCgroup *c = p;

	g_free(c->path);
	g_free(c);
}

/* /proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS... -
 * FSTYPE SOURCE SUPEROPTS"; the first cgroup2 mount whose root is "/".
 * Mount points with spaces are written with \040 escapes. */
char *vg_cgroup2_mount(void)
{
	char *text = NULL, **lines, *found = NULL;

	if (!g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL))
		return NULL;
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	for (guint i = 0; lines[i] && !found; i++) {
		char **f = g_strsplit(lines[i], " ", -1);
		guint n = g_strv_length(f), dash;

		for (dash = 6; dash < n && strcmp(f[dash], "-") != 0; dash++)
			;
		if (n > 4 && dash + 1 < n && strcmp(f[dash + 1], "cgroup2") == 0 &&
		    strcmp(f[3], "/") == 0)
			found = g_strcompress(f[4]);
		g_strfreev(f);
	}
	g_strfreev(lines);
	return found;
}

gboolean vg_cgroup2_id(const char *mount, const char *path, guint64 *id)
{
	struct stat st;
	char *full;
	gboolean ok;

	if (!mount || !path || path[0] != '/')
		return FALSE;
	full = g_strconcat(mount, strcmp(path, "/") == 0 ? "" : path, NULL);
	ok = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
	g_free(full);
	if (ok)
		*id = (guint64)st.st_ino;
	return ok;
}

VgCgroups *vg_cgroups_new_at(const char *mount)
{
	VgCgroups *cg = g_new0(VgCgroups, 1);

	cg->by_id = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
					  cg_free);
	cg->live = mount != NULL;
	cg->mount = g_strdup(mount);
	return cg;
}

VgCgroups *vg_cgroups_new(gboolean live)
{
	char *mount = live ? vg_cgroup2_mount() : NULL;
	VgCgroups *cg = vg_cgroups_new_at(mount);

	/* live without a cgroup2 mount: ids stay unnamed */
	cg->live = live;
	g_free(mount);
	return cg;
}

void vg_cgroups_free(VgCgroups *cg)
{
	if (!cg)
		return;
	g_hash_table_destroy(cg->by_id);
	g_free(cg->mount);
	g_free(cg);
}

static VgCgroup *entry(VgCgroups *cg, guint64 id)
{
	VgCgroup *c = g_hash_table_lookup(cg->by_id, &id);

	if (!c) {
		c = g_new0(VgCgroup, 1);
		c->id = id;
		c->owner = cg;
		c->live = cg->live;
		g_hash_table_insert(cg->by_id, &c->id, c);
	}
	return c;
}

static void set_path(VgCgroup *c, const char *path, gsize len)
{
	if (c->path && c->path_len == len && memcmp(c->path, path, len) == 0)
		return;
	g_free(c->path);
	c->path = g_strndup(path, len);
	c->path_len = (guint32)strlen(c->path);
}

void vg_cgroups_learn(VgCgroups *cg, guint64 id, const char *path, gsize len)
{
	if (id && path && len && path[0] == '/')
		set_path(entry(cg, id), path, len);
}

/* Depth-first below dir (rel: its path below the mount, "" for the
 * root): every directory's inode is the id of that cgroup. */
static void walk(VgCgroups *cg, const char *dir, const char *rel, guint depth)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		char *full = g_build_filename(dir, name, NULL);
		struct stat st;

		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *r = g_strconcat(rel, "/", name, NULL);

			set_path(entry(cg, (guint64)st.st_ino), r, strlen(r));
			if (depth < 64)
				walk(cg, full, r, depth + 1);
			g_free(r);
		}
		g_free(full);
	}
	g_dir_close(d);
}

static void rescan(VgCgroups *cg)
{
	gint64 now = g_get_monotonic_time();
	struct stat st;

	if (!cg->mount || (cg->scanned && now - cg->last_scan < RESCAN_INTERVAL_US))
		return;
	cg->scanned = TRUE;
	cg->last_scan = now;
	if (stat(cg->mount, &st) == 0)
		set_path(entry(cg, (guint64)st.st_ino), "/", 1);
	walk(cg, cg->mount, "", 0);
}

VgCgroup *vg_cgroups_get(VgCgroups *cg, guint64 id)
{
	VgCgroup *c;

	if (!id)
		return NULL;
	c = entry(cg, id);
	if (!c->path && cg->live)
		rescan(cg);
	return c;
}

VgCgroup *vg_cgroups_by_path(VgCgroups *cg, const char *path, gsize len)
{
	char *p = g_strndup(path, len);
	guint64 id;
	VgCgroup *c = NULL;

	if (vg_cgroup2_id(cg->mount, p, &id)) {
		c = entry(cg, id);
		set_path(c, p, len);
	}
	g_free(p);
	return c;
}

const char *vg_cgroup_path(const VgCgroup *c)
{
	if (!c)
		return "";
	/* (a walk fills in this very entry) */
	if (!c->path && c->live)
		rescan(c->owner);
	return c->path ? c->path : "";
}

/* "0::/PATH\n" of /proc/TID/cgroup (the v2 line); NULL if none. */
char *vg_cgroup_of_tid(gint32 tid)
{
	char fn[64], *text = NULL, *line, *end, *path = NULL;

	g_snprintf(fn, sizeof(fn), "/proc/%d/cgroup", tid);
	if (!g_file_get_contents(fn, &text, NULL, NULL))
		return NULL;
	for (line = text; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (g_str_has_prefix(line, "0::/")) {
			path = end ? g_strndup(line + 3, end - line - 3) :
				     g_strdup(line + 3);
			break;
		}
	}
	g_free(text);
	return path;
}

void vg_cgroups_foreach(VgCgroups *cg, void (*fn)(const VgCgroup *c, gpointer data),
			gpointer data)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, cg->by_id);
	while (g_hash_table_iter_next(&it, NULL, &v))
		fn(v, data);
}
