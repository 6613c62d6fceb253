/*
 * privdrop.c - vigild becomes an unprivileged user (see privdrop.h).
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "vigild"

#include "privdrop.h"
#include "vg_core.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif

G_GNUC_PRINTF(2, 3)
static gboolean fail(GError **error, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, VG_ERROR, VG_ERROR_IO, msg);
	g_free(msg);
	return FALSE;
}

/* ---- who ------------------------------------------------------------- */

static void warn_untrusted(const char *path, const char *what)
{
	struct stat st;

	if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (st.st_uid != 0)
		g_warning("%s %s belongs to uid %u, not root: that user can "
			  "make vigild (root) run any code", what, path,
			  (guint)st.st_uid);
	else if (st.st_mode & 022)
		g_warning("%s %s is writable by its %s (mode %04o): they can "
			  "make vigild (root) run any code", what, path,
			  st.st_mode & 002 ? "group and everybody" : "group",
			  (guint)(st.st_mode & 07777));
}

void vgd_priv_warn_untrusted(const VgdConfig *cfg)
{
	if (geteuid() != 0)
		return;
	warn_untrusted(cfg->source, "configuration");
	for (guint i = 0; i < cfg->scripts->len; i++)
		warn_untrusted(cfg->scripts->pdata[i], "handler script");
}

gboolean vgd_priv_early(const VgdConfig *cfg, GError **error)
{
	if (cfg->user && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(error, "prctl(PR_SET_NO_NEW_PRIVS): %s",
			    g_strerror(errno));
	return TRUE;
}

gboolean vgd_priv_resolve(const VgdConfig *cfg, VgdPrivUser *u,
			  GError **error)
{
	struct passwd *pw;
	struct group *gr;

	memset(u, 0, sizeof(*u));
	if (!cfg->user)
		return FALSE;
	u->where = g_strdup_printf("user '%s'%s%s%s", cfg->user,
				   cfg->group ? ", group '" : "",
				   cfg->group ? cfg->group : "",
				   cfg->group ? "'" : "");
	errno = 0;
	pw = getpwnam(cfg->user);
	if (!pw)
		return fail(error, "user: %s", errno ?
			    g_strerror(errno) : "no such user on this system");
	if (pw->pw_uid == 0)
		return fail(error, "user: '%s' is root (uid 0): name an "
			    "unprivileged user", cfg->user);
	u->user = g_strdup(pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	if (cfg->group) {
		errno = 0;
		gr = getgrnam(cfg->group);
		if (!gr)
			return fail(error, "group: '%s': %s", cfg->group,
				    errno ? g_strerror(errno) :
				    "no such group on this system");
		u->gid = gr->gr_gid;
		u->group = g_strdup(gr->gr_name);
	} else {
		gr = getgrgid(u->gid);
		u->group = gr ? g_strdup(gr->gr_name)
			      : g_strdup_printf("%u", (guint)u->gid);
	}
	if (geteuid() != 0)
		return fail(error, "user: vigild runs as uid %u, not root: it "
			    "cannot become user '%s' (start it as root, or "
			    "leave out user: and --user)", (guint)geteuid(),
			    u->user);
	return TRUE;
}

void vgd_priv_user_clear(VgdPrivUser *u)
{
	g_free(u->user);
	g_free(u->group);
	g_free(u->where);
	memset(u, 0, sizeof(*u));
}

/* ---- files ------------------------------------------------------------- */

static gboolean chown_one(const char *path, const VgdPrivUser *u,
			  GError **error)
{
	if (lchown(path, u->uid, u->gid) < 0) {
		int e = errno;

		return fail(error, "%s: chown to %s:%s: %s", path, u->user,
			    u->group, g_strerror(e));
	}
	return TRUE;
}

/* path and, for a directory, what it holds (depth levels down; links
 * are given, never followed).  Failures are warnings. */
static void chown_tree(const char *path, const VgdPrivUser *u, guint depth)
{
	GError *err = NULL;
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && depth) {
		GDir *d = g_dir_open(path, 0, NULL);
		const char *name;

		while (d && (name = g_dir_read_name(d))) {
			char *p = g_build_filename(path, name, NULL);

			chown_tree(p, u, depth - 1);
			g_free(p);
		}
		if (d)
			g_dir_close(d);
	}
	if (st.st_uid != u->uid || st.st_gid != u->gid) {
		if (!chown_one(path, u, &err)) {
			g_warning("%s (it stays root's: retention cannot "
				  "remove it)", err->message);
			g_clear_error(&err);
		}
	}
}

gboolean vgd_priv_give(const char *path, const VgdPrivUser *u,
		       GError **error)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;
	gboolean ok = TRUE;

	while (ok && d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(path, name, NULL);

		ok = chown_one(p, u, error);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	return ok && chown_one(path, u, error);
}

gboolean vgd_priv_prepare_dir(const char *dir, const VgdPrivUser *u,
			      GError **error)
{
	struct stat st;
	GDir *d;
	const char *name;

	if (stat(dir, &st) < 0) {
		char *parent = g_path_get_dirname(dir);
		int r = g_mkdir_with_parents(parent, 0755);
		int e = errno;

		g_free(parent);
		if (r < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
			if (r == 0)
				e = errno;
			return fail(error, "dump directory %s: %s", dir,
				    g_strerror(e));
		}
		if (stat(dir, &st) < 0) {
			e = errno;
			return fail(error, "dump directory %s: %s", dir,
				    g_strerror(e));
		}
	}
	if (!S_ISDIR(st.st_mode))
		return fail(error, "dump directory %s: not a directory", dir);
	/* what an earlier vigild wrote here as root (its dumps, and what an
	 * interrupted one left); when the directory is the user's already
	 * and root lacks CAP_DAC_OVERRIDE (the systemd unit), it cannot be
	 * read, and what is in it is the user's anyway */
	d = g_dir_open(dir, 0, NULL);
	while (d && (name = g_dir_read_name(d))) {
		char *p;

		if (!g_str_has_prefix(name, "vigil-") &&
		    !g_str_has_prefix(name, ".vigil-"))
			continue;
		p = g_build_filename(dir, name, NULL);
		chown_tree(p, u, 3);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	if ((st.st_uid != u->uid || st.st_gid != u->gid) &&
	    chown(dir, u->uid, u->gid) < 0) {
		int e = errno;

		return fail(error, "dump directory %s: chown to %s:%s: %s", dir,
			    u->user, u->group, g_strerror(e));
	}
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0) {
		int e = errno;

		return fail(error, "dump directory %s: chmod 0700: %s", dir,
			    g_strerror(e));
	}
	return TRUE;
}

/* ---- the drop ----------------------------------------------------------- */

static gboolean caps_of_thread(struct __user_cap_data_struct data[2],
			       GError **error)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};

	if (syscall(SYS_capget, &hdr, data) < 0) {
		int e = errno;

		return fail(error, "capget: %s", g_strerror(e));
	}
	return TRUE;
}

static gboolean no_caps(const struct __user_cap_data_struct data[2])
{
	return !(data[0].effective | data[0].permitted | data[0].inheritable |
		 data[1].effective | data[1].permitted | data[1].inheritable);
}

/* Every thread of vigild (the live source's reader, GLib's) runs as the
 * user with no capability: /proc/self/task/TID/status of each. */
static gboolean check_threads(const VgdPrivUser *u, GError **error)
{
	GDir *d = g_dir_open("/proc/self/task", 0, NULL);
	const char *tid;
	gboolean ok = TRUE;

	if (!d)
		return TRUE;	/* no /proc: the calling thread was checked */
	while (ok && (tid = g_dir_read_name(d))) {
		char *p = g_strdup_printf("/proc/self/task/%s/status", tid);
		char *text = NULL, *line;
		guint r, e, s, f;

		if (!g_file_get_contents(p, &text, NULL, NULL)) {
			g_free(p);
			continue;	/* gone */
		}
		line = strstr(text, "\nUid:");
		if (!line || sscanf(line + 5, "%u %u %u %u", &r, &e, &s, &f) != 4 ||
		    r != u->uid || e != u->uid || s != u->uid || f != u->uid)
			ok = fail(error, "thread %s of vigild is not user %s "
				  "after setuid (%s)", tid, u->user,
				  line ? "Uid: line differs" : "no Uid: line");
		line = ok ? strstr(text, "\nGid:") : NULL;
		if (ok && (!line ||
			   sscanf(line + 5, "%u %u %u %u", &r, &e, &s, &f) != 4 ||
			   r != u->gid || e != u->gid || s != u->gid || f != u->gid))
			ok = fail(error, "thread %s of vigild is not group %s "
				  "after setgid", tid, u->group);
		line = ok ? strstr(text, "\nNoNewPrivs:") : NULL;
		if (ok && line && g_ascii_strtoull(line + 12, NULL, 10) != 1)
			ok = fail(error, "thread %s of vigild has no no_new_privs",
				  tid);
		for (const char *const *k = (const char *const[]){
			     "\nCapInh:", "\nCapPrm:", "\nCapEff:", "\nCapAmb:",
			     NULL }; ok && *k; k++) {
			line = strstr(text, *k);
			if (line && g_ascii_strtoull(line + strlen(*k), NULL, 16))
				ok = fail(error, "thread %s of vigild kept "
					  "capabilities after setuid (%s%s)",
					  tid, *k + 1, line + strlen(*k));
		}
		g_free(text);
		g_free(p);
	}
	g_dir_close(d);
	return ok;
}

gboolean vgd_priv_drop(const VgdPrivUser *u, GError **error)
{
	struct __user_cap_data_struct caps[2];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	/* capabilities must not survive the setuid: no keep-caps, no
	 * ambient set (both the default; a parent could have set them) */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return fail(error, "prctl(PR_SET_KEEPCAPS, 0): %s",
			    g_strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)	/* EINVAL: a kernel before 4.3, no ambient set */
		return fail(error, "prctl(PR_CAP_AMBIENT_CLEAR_ALL): %s",
			    g_strerror(errno));
	/* the bounding set too, where vigild may (CAP_SETPCAP: not under
	 * the systemd unit, whose bounding set is small already); with no
	 * capability and no_new_privs it could give nothing anyway */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno != EINVAL)	/* EINVAL: past the last */
				g_debug("bounding set kept: PR_CAPBSET_DROP: %s",
					g_strerror(errno));
			break;
		}
	/* glibc applies these to every thread of the process */
	if (initgroups(u->user, u->gid) < 0)
		return fail(error, "initgroups(%s, %u): %s", u->user,
			    (guint)u->gid, g_strerror(errno));
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return fail(error, "setresgid(%u): %s", (guint)u->gid,
			    g_strerror(errno));
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return fail(error, "setresuid(%u): %s", (guint)u->uid,
			    g_strerror(errno));
	/* did it stick? */
	if (getresuid(&ru, &eu, &su) < 0 || ru != u->uid || eu != u->uid ||
	    su != u->uid || getuid() != u->uid || geteuid() != u->uid)
		return fail(error, "setresuid(%u) did not stick (uid %u, euid "
			    "%u, saved %u)", (guint)u->uid, (guint)ru,
			    (guint)eu, (guint)su);
	if (getresgid(&rg, &eg, &sg) < 0 || rg != u->gid || eg != u->gid ||
	    sg != u->gid)
		return fail(error, "setresgid(%u) did not stick (gid %u, egid "
			    "%u, saved %u)", (guint)u->gid, (guint)rg,
			    (guint)eg, (guint)sg);
	if (setuid(0) == 0 || seteuid(0) == 0)
		return fail(error, "after setresuid(%u) vigild could become "
			    "root again", (guint)u->uid);
	/* nothing it runs (handlers' system(), exec) gains privileges */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(error, "prctl(PR_SET_NO_NEW_PRIVS): %s",
			    g_strerror(errno));
	/* the kernel clears the capabilities when every uid leaves 0,
	 * unless SECBIT_NO_SETUID_FIXUP; clear them (allowed: it only
	 * drops) and check */
	if (!caps_of_thread(caps, error))
		return FALSE;
	if (!no_caps(caps)) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
			.pid = 0,
		};

		memset(caps, 0, sizeof(caps));
		if (syscall(SYS_capset, &hdr, caps) < 0)
			return fail(error, "capset (none): %s",
				    g_strerror(errno));
		if (!caps_of_thread(caps, error))
			return FALSE;
		if (!no_caps(caps))
			return fail(error, "capabilities left after capset");
	}
	return check_threads(u, error);
}

/* faccessat(AT_EACCESS) as the user, still root: errno of the check,
 * 0 when allowed, or -1 with *error when the ids could not be switched
 * (or taken back: vigild must stop). */
static int access_as(const VgdPrivUser *u, const char *path, int mode,
		     GError **error)
{
	int n = 0, nroot, r, e;
	gid_t *groups, *root_groups;
	gid_t egid = getegid();

	getgrouplist(u->user, u->gid, NULL, &n);
	groups = g_new0(gid_t, n + 1);
	if (getgrouplist(u->user, u->gid, groups, &n) < 0) {
		g_free(groups);
		fail(error, "getgrouplist(%s): too many groups", u->user);
		return -1;
	}
	int step = 0;	/* how many of groups, egid, euid were changed */

	nroot = getgroups(0, NULL);
	root_groups = g_new0(gid_t, nroot + 1);
	nroot = getgroups(nroot, root_groups);
	if (nroot < 0 || setgroups(n, groups) < 0 || (++step, setegid(u->gid) < 0) ||
	    (++step, seteuid(u->uid) < 0)) {
		e = errno;
		r = -1;
		fail(error, "checking %s as user %s: %s", path, u->user,
		     g_strerror(e));
	} else {
		step++;
		r = faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0 ? 0 : errno;
	}
	/* back, only what was changed */
	if ((step >= 3 && seteuid(0) < 0) || (step >= 2 && setegid(egid) < 0) ||
	    (step >= 1 && setgroups(nroot > 0 ? nroot : 0, root_groups) < 0)) {
		e = errno;
		g_clear_error(error);
		fail(error, "taking back root after checking %s as user %s: %s",
		     path, u->user, g_strerror(e));
		r = -1;
	}
	g_free(root_groups);
	g_free(groups);
	return r;
}

gboolean vgd_priv_check_access(const char *path, int mode,
			       const char *what, const VgdPrivUser *u,
			       GError **error)
{
	gboolean dropped = geteuid() == u->uid;
	int e = dropped ? (access(path, mode) == 0 ? 0 : errno)
			: access_as(u, path, mode, error);

	if (e == 0)
		return TRUE;
	if (e < 0)
		return FALSE;
	return fail(error, "%s %s: %s for user %s (uid %u), which vigild "
		    "%s (%s): %s", what, path,
		    mode & W_OK ? "not writable" : "not readable", u->user,
		    (guint)u->uid, dropped ? "now runs as" : "is to run as",
		    u->where, g_strerror(e));
}
