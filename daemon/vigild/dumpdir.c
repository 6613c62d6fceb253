/*
 * dumpdir.c - the dump directory (see dumpdir.h): names, leftovers,
 * retention, file helpers.
 */
#define G_LOG_DOMAIN "vigild"

#include "dumpdir.h"
#include "vg_core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000ull

/* ---- names ------------------------------------------------------------ */

char *vgd_dumpdir_staging_name(const char *path)
{
	char *base = g_path_get_basename(path);
	char *dir = g_path_get_dirname(path);
	char *staging = g_strdup_printf("%s/.%s.staging", dir, base);

	g_free(dir);
	g_free(base);
	return staging;
}

static gboolean name_taken(const char *path, VgdDumpNameReserved reserved,
			   gpointer data)
{
	char *staging = vgd_dumpdir_staging_name(path);
	struct stat st;
	gboolean taken = lstat(path, &st) == 0 || lstat(staging, &st) == 0 ||
			 (reserved && reserved(path, data));

	g_free(staging);
	return taken;
}

char *vgd_dumpdir_new_name(const char *dir, gint64 wall_ns,
			   VgdDumpNameReserved reserved, gpointer data)
{
	time_t s = (time_t)(wall_ns / (gint64)1000000000);
	struct tm tm;
	char stamp[32];
	char *path = NULL;

	gmtime_r(&s, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (guint n = 0;; n++) {
		g_free(path);
		path = n ? g_strdup_printf("%s/vigil-%s-%u", dir, stamp, n)
			 : g_strdup_printf("%s/vigil-%s", dir, stamp);
		if (!name_taken(path, reserved, data))
			return path;
	}
}

/* ---- files ------------------------------------------------------------ */

void vgd_rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			char *p = g_build_filename(path, name, NULL);

			if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				vgd_rm_rf(p);
			else
				unlink(p);
			g_free(p);
		}
		g_dir_close(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

void vgd_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

gboolean vgd_dumpdir_ensure(const char *dir, GError **error)
{
	struct stat st;

	if (g_mkdir_with_parents(dir, 0700) < 0 || stat(dir, &st) < 0) {
		int e = errno;

		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump directory %s: %s", dir, g_strerror(e));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump directory %s: not a directory", dir);
		return FALSE;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0) {
		int e = errno;

		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "dump directory %s: chmod 0700: %s", dir,
			    g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

/* Our names: finished dumps, their staging and temporary names, and
 * dumps being removed. */
static gboolean is_dump_name(const char *name)
{
	return g_str_has_prefix(name, "vigil-") &&
	       !strstr(name, ".tmp-");
}

static gboolean is_leftover_name(const char *name)
{
	return (g_str_has_prefix(name, ".vigil-") &&
		(g_str_has_suffix(name, ".staging") ||
		 g_str_has_suffix(name, ".removing") ||
		 strstr(name, ".staging.tmp-"))) ||
	       (g_str_has_prefix(name, "vigil-") && strstr(name, ".tmp-"));
}

void vgd_dumpdir_remove_leftovers(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		char *p;

		if (!is_leftover_name(name))
			continue;
		p = g_build_filename(dir, name, NULL);
		g_message("flight recorder: removing %s (left by an interrupted dump)",
			  p);
		vgd_rm_rf(p);
		g_free(p);
	}
	g_dir_close(d);
}

/* ---- retention ---------------------------------------------------------- */

typedef struct {
	char *path;
	gint64 mtime;
	guint64 bytes;
} DumpEnt;

static gint cmp_dump(gconstpointer a, gconstpointer b)
{
	const DumpEnt *x = *(DumpEnt *const *)a, *y = *(DumpEnt *const *)b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void dump_ent_free(gpointer p)
{
	DumpEnt *e = p;

	g_free(e->path);
	g_free(e);
}

/* Our finished dumps in dir (a vigil-* directory holding our summary),
 * oldest first. */
static GPtrArray *list_dumps(const char *dir)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(dump_ent_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return out;
	while ((name = g_dir_read_name(d))) {
		char *p, *sum;
		struct stat st;
		DumpEnt *e;
		GDir *sub;
		const char *f;

		if (!is_dump_name(name))
			continue;
		p = g_build_filename(dir, name, NULL);
		sum = g_build_filename(p, VGD_DUMP_SUMMARY_NAME, NULL);
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    !g_file_test(sum, G_FILE_TEST_IS_REGULAR)) {
			g_free(sum);
			g_free(p);
			continue;
		}
		g_free(sum);
		e = g_new0(DumpEnt, 1);
		e->path = p;
		e->mtime = (gint64)st.st_mtim.tv_sec * (gint64)NS +
			   st.st_mtim.tv_nsec;
		sub = g_dir_open(p, 0, NULL);
		while (sub && (f = g_dir_read_name(sub))) {
			char *fp = g_build_filename(p, f, NULL);
			struct stat fs;

			if (lstat(fp, &fs) == 0)
				e->bytes += (guint64)fs.st_size;
			g_free(fp);
		}
		if (sub)
			g_dir_close(sub);
		g_ptr_array_add(out, e);
	}
	g_dir_close(d);
	g_ptr_array_sort(out, cmp_dump);
	return out;
}

/* Remove the oldest of our dumps while there are more than max_dumps or
 * they hold more than max_dump_bytes; `keep` (the newest) always stays. */
guint vgd_dumpdir_apply_retention(const VgdConfig *c, const char *keep)
{
	GPtrArray *all;
	guint64 total = 0;
	guint n, removed = 0;

	if (!c->max_dumps && !c->max_dump_bytes)
		return 0;
	all = list_dumps(c->dump_dir);
	for (guint i = 0; i < all->len; i++)
		total += ((DumpEnt *)all->pdata[i])->bytes;
	n = all->len;
	for (guint i = 0; i < all->len; i++) {
		DumpEnt *e = all->pdata[i];
		char *base, *gone;

		if ((!c->max_dumps || n <= c->max_dumps) &&
		    (!c->max_dump_bytes || total <= c->max_dump_bytes))
			break;
		if (strcmp(e->path, keep) == 0)
			continue;
		/* out of sight first: never a half-removed dump */
		base = g_path_get_basename(e->path);
		gone = g_strdup_printf("%s/.%s.removing", c->dump_dir, base);
		if (rename(e->path, gone) < 0) {
			g_warning("retention: cannot remove %s: %s", e->path,
				  g_strerror(errno));
		} else {
			vgd_rm_rf(gone);
			n--;
			total -= e->bytes;
			removed++;
			g_message("retention: removed %s (%" G_GUINT64_FORMAT
				  " bytes; max_dumps %u, max_dump_bytes %"
				  G_GUINT64_FORMAT ")", e->path, e->bytes,
				  c->max_dumps, c->max_dump_bytes);
		}
		g_free(gone);
		g_free(base);
	}
	if (c->max_dump_bytes && total > c->max_dump_bytes)
		g_warning("retention: the newest dump alone (%s) holds more "
			  "than max_dump_bytes (%" G_GUINT64_FORMAT " > %"
			  G_GUINT64_FORMAT "); it is kept", keep, total,
			  c->max_dump_bytes);
	g_ptr_array_unref(all);
	return removed;
}

gboolean vgd_write_file_synced(const char *path, const char *text,
				  GError **error)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	gsize len = strlen(text);
	const char *p = text;
	int e;

	if (fd < 0)
		goto fail;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			goto fail_close;
		}
		p += n;
		len -= (gsize)n;
	}
	if (fsync(fd) < 0)
		goto fail_close;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return TRUE;
fail_close:
	e = errno;
	close(fd);
	errno = e;
fail:
	e = errno;
	g_set_error(error, VG_ERROR, VG_ERROR_IO, "%s: %s", path, g_strerror(e));
	return FALSE;
}
