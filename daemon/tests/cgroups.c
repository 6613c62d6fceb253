/*
 * cgroups.c - unit tests: cgroup ids -> paths (vg_cgroup.c).  The
 * resolver walks a real directory tree; a temporary one stands in for
 * the cgroup2 mount (an id is a directory's inode number either way).
 */
#include "vg_testlib.h"
#include "vg_internal.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

static guint64 ino(const char *dir, const char *rel)
{
	char *p = g_build_filename(dir, rel, NULL);
	struct stat st;

	g_assert_cmpint(stat(p, &st), ==, 0);
	g_free(p);
	return (guint64)st.st_ino;
}

static void mkdirs(const char *dir, const char *rel)
{
	char *p = g_build_filename(dir, rel, NULL);

	g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
	g_free(p);
}

static void rmtree(const char *dir)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
}

/* Live: an unknown id sends the resolver through the tree once; every
 * directory found is named by its path below the mount, "/" the root. */
static void test_ids_are_named_by_walking_the_mount(void)
{
	char *dir = g_dir_make_tmp("vg-cgroups-XXXXXX", NULL);
	char *file = g_build_filename(dir, "cgroup.procs", NULL);
	VgCgroups *cg;

	mkdirs(dir, "system.slice/nginx.service");
	mkdirs(dir, "user.slice");
	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	g_free(file);
	cg = vg_cgroups_new_at(dir);
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, ino(dir, "system.slice/nginx.service"))),
			==, "/system.slice/nginx.service");
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, ino(dir, "user.slice"))),
			==, "/user.slice");
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, ino(dir, "."))), ==, "/");
	/* a file is no cgroup */
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, ino(dir, "cgroup.procs"))), ==, "");
	/* id 0: no entry */
	g_assert_null(vg_cgroups_get(cg, 0));
	g_assert_cmpstr(vg_cgroup_path(NULL), ==, "");
	vg_cgroups_free(cg);
	rmtree(dir);
	g_free(dir);
}

/* A directory made after a walk is found by a later one (on the next
 * use of its entry once a second has passed: walks are rate-limited). */
static void test_a_new_cgroup_is_found_by_a_later_walk(void)
{
	char *dir = g_dir_make_tmp("vg-cgroups-XXXXXX", NULL);
	VgCgroups *cg = vg_cgroups_new_at(dir);
	const VgCgroup *c;

	mkdirs(dir, "a");
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, ino(dir, "a"))), ==, "/a");
	mkdirs(dir, "b");
	c = vg_cgroups_get(cg, ino(dir, "b"));
	g_usleep(G_USEC_PER_SEC + G_USEC_PER_SEC / 10);
	g_assert_cmpstr(vg_cgroup_path(c), ==, "/b");
	vg_cgroups_free(cg);
	rmtree(dir);
	g_free(dir);
}

/* Paths the trace gives name ids no directory has (any more); a
 * replay's resolver (not live) knows only those. */
static void test_paths_from_the_trace(void)
{
	char *dir = g_dir_make_tmp("vg-cgroups-XXXXXX", NULL);
	VgCgroups *cg = vg_cgroups_new(FALSE);
	guint64 a;

	mkdirs(dir, "a");
	a = ino(dir, "a");
	/* not live: nothing is walked */
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, a)), ==, "");
	vg_cgroups_learn(cg, a, "/from/the/trace", 15);
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, a)), ==, "/from/the/trace");
	/* a later path for the same id replaces it; a relative one is no path */
	vg_cgroups_learn(cg, a, "/renamed", 8);
	vg_cgroups_learn(cg, a, "relative", 8);
	g_assert_cmpstr(vg_cgroup_path(vg_cgroups_get(cg, a)), ==, "/renamed");
	g_assert_cmpuint(vg_cgroups_get(cg, a)->path_len, ==, 8);
	vg_cgroups_free(cg);
	rmtree(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cgroups/ids_are_named_by_walking_the_mount",
			test_ids_are_named_by_walking_the_mount);
	g_test_add_func("/cgroups/a_new_cgroup_is_found_by_a_later_walk",
			test_a_new_cgroup_is_found_by_a_later_walk);
	g_test_add_func("/cgroups/paths_from_the_trace",
			test_paths_from_the_trace);
	return g_test_run();
}
