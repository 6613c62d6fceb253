/*
 * control.c - the control socket server (see control.h).
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "vigild"

#include "control.h"
#include "vg_core.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>

struct VgdControl {
	char *path;
	int fd;
	GMainContext *ctx;
	guint watch;
	VgdCommandFunc func;
	gpointer user_data;
	GHashTable *clients;	/* Client * */
	uid_t owner;		/* who started vigild: every command */
	gboolean have_group;
	gid_t group;		/* control_group: status and dump */
	char *group_name;
};

typedef struct {
	VgdControl *ctl;
	int fd;
	guint watch;
	guint linger;		/* answered: timeout for the client's close */
	gboolean answered;
	gboolean limited;	/* a member of the control group, not root */
	GString *buf;
} Client;

/* After the answer, how long a client may take to close its end. */
#define LINGER_MS 5000

static void client_free(gpointer data)
{
	Client *cl = data;

	if (cl->watch) {
		GSource *s = g_main_context_find_source_by_id(cl->ctl->ctx,
							      cl->watch);
		if (s)
			g_source_destroy(s);
	}
	if (cl->linger) {
		GSource *s = g_main_context_find_source_by_id(cl->ctl->ctx,
							      cl->linger);
		if (s)
			g_source_destroy(s);
	}
	close(cl->fd);
	g_string_free(cl->buf, TRUE);
	g_free(cl);
}

static void write_all(int fd, const char *s, gsize len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			g_debug("control: reply not delivered: %s",
				g_strerror(errno));
			return;
		}
		s += n;
		len -= (gsize)n;
	}
}

static void run_line(Client *cl, char *line)
{
	GError *err = NULL;
	char *reply = NULL;
	char *cmd = g_strstrip(line);
	char *arg = cmd;
	GString *out = g_string_new(NULL);
	int flags;

	while (*arg && !g_ascii_isspace(*arg))
		arg++;
	if (*arg) {
		*arg++ = 0;
		while (g_ascii_isspace(*arg))
			arg++;
	}
	g_info("control: %s%s%s", cmd, *arg ? " " : "", arg);
	if (!*cmd) {
		g_set_error(&err, VG_ERROR, VG_ERROR_PARSE,
			    "empty command (status, dump [REASON], reload, stop)");
	} else if (cl->limited && strcmp(cmd, "status") != 0 &&
		   strcmp(cmd, "dump") != 0) {
		g_set_error(&err, VG_ERROR, VG_ERROR_REFUSED,
			    "%s: permission denied: members of group %s may ask "
			    "for " VGD_CONTROL_GROUP_COMMANDS " only; %s needs "
			    "root", cmd, cl->ctl->group_name, cmd);
		g_warning("control: refused '%s' to a member of group %s "
			  "(not root)", cmd, cl->ctl->group_name);
	} else if (cl->ctl->func(cmd, arg, &reply, cl->ctl->user_data, &err)) {
		g_string_append(out, "OK\n");
		if (reply) {
			g_string_append(out, reply);
			if (out->len && out->str[out->len - 1] != '\n')
				g_string_append_c(out, '\n');
		}
	}
	if (err) {
		char *m = g_strdelimit(g_strdup(err->message), "\n", ' ');

		g_string_append_printf(out, "ERR %s\n", m);
		g_free(m);
		g_error_free(err);
	}
	/* The reply is small; write it blocking, bounded by a timeout so a
	 * client that does not read cannot hold the daemon. */
	flags = fcntl(cl->fd, F_GETFL);
	fcntl(cl->fd, F_SETFL, flags & ~O_NONBLOCK);
	{
		struct timeval tv = { .tv_sec = 2 };

		setsockopt(cl->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	write_all(cl->fd, out->str, out->len);
	fcntl(cl->fd, F_SETFL, flags | O_NONBLOCK);
	g_string_free(out, TRUE);
	g_free(reply);
}

static gboolean on_linger_timeout(gpointer data)
{
	Client *cl = data;

	cl->linger = 0;
	g_hash_table_remove(cl->ctl->clients, cl);
	return G_SOURCE_REMOVE;
}

/* Done with a client: end our side (the client reads EOF after the
 * answer) but keep reading until it closes.  Closing a socket that
 * still has unread input would reset the connection, and a client that
 * sent more than one line, or its line in pieces, would get "Connection
 * reset by peer" instead of the end of the answer. */
static void client_answered(Client *cl)
{
	GSource *s;

	cl->answered = TRUE;
	shutdown(cl->fd, SHUT_WR);
	s = g_timeout_source_new(LINGER_MS);
	g_source_set_callback(s, on_linger_timeout, cl, NULL);
	cl->linger = g_source_attach(s, cl->ctl->ctx);
	g_source_unref(s);
}

static gboolean on_client(gint fd, GIOCondition cond, gpointer data)
{
	Client *cl = data;
	char tmp[1024];
	ssize_t n;
	char *nl;
	gboolean eof = FALSE;

	(void)cond;
	/* everything there is now (a line may come in pieces) */
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n > 0) {
			if (!cl->answered && cl->buf->len < VGD_CONTROL_MAX_LINE)
				g_string_append_len(cl->buf, tmp, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		eof = TRUE;	/* closed, or an error: nothing more comes */
		break;
	}
	if (cl->answered) {
		if (!eof)
			return G_SOURCE_CONTINUE;	/* (extra input dropped) */
		cl->watch = 0;
		g_hash_table_remove(cl->ctl->clients, cl);
		return G_SOURCE_REMOVE;
	}
	nl = memchr(cl->buf->str, '\n', cl->buf->len);
	if (!nl && !eof && cl->buf->len < VGD_CONTROL_MAX_LINE)
		return G_SOURCE_CONTINUE;	/* wait for the rest */
	if (!nl && cl->buf->len >= VGD_CONTROL_MAX_LINE) {
		static const char m[] = "ERR command line too long\n";

		write_all(fd, m, sizeof(m) - 1);
	} else if (nl || cl->buf->len) {
		/* a line, or an unterminated one before EOF */
		if (nl)
			*nl = 0;
		run_line(cl, cl->buf->str);
	}
	if (eof) {
		cl->watch = 0;
		g_hash_table_remove(cl->ctl->clients, cl);
		return G_SOURCE_REMOVE;
	}
	client_answered(cl);
	return G_SOURCE_CONTINUE;
}

/* Is the peer (cred, and its supplementary groups) in ctl's group? */
static gboolean peer_in_group(const VgdControl *ctl, int cfd,
			      const struct ucred *cred)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (!ctl->have_group)
		return FALSE;
	if (cred->gid == ctl->group)
		return TRUE;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return FALSE;	/* ERANGE: over 256 groups; old kernel */
	for (guint i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == ctl->group)
			return TRUE;
	return FALSE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	VgdControl *ctl = data;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gboolean limited = FALSE;
	Client *cl;
	GSource *s;
	int cfd;

	(void)cond;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			g_warning("control: accept: %s", g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != ctl->owner &&
	     !(limited = peer_in_group(ctl, cfd, &cred)))) {
		char *m = ctl->have_group ?
			g_strdup_printf("ERR permission denied: root, or "
					"group %s for " VGD_CONTROL_GROUP_COMMANDS
					"\n", ctl->group_name) :
			g_strdup("ERR permission denied (root only)\n");

		g_warning("control: refused a client with uid %d",
			  (int)cred.uid);
		write_all(cfd, m, strlen(m));
		g_free(m);
		close(cfd);
		return G_SOURCE_CONTINUE;
	}
	cl = g_new0(Client, 1);
	cl->limited = limited;
	cl->ctl = ctl;
	cl->fd = cfd;
	cl->buf = g_string_new(NULL);
	g_hash_table_add(ctl->clients, cl);
	s = g_unix_fd_source_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(s, G_SOURCE_FUNC(on_client), cl, NULL);
	cl->watch = g_source_attach(s, ctl->ctx);
	g_source_unref(s);
	return G_SOURCE_CONTINUE;
}

/* Remove a stale socket left by a vigild that died; refuse to take over
 * one that still answers. */
static gboolean clear_stale(const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return TRUE;
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "control socket %s: exists and is not a socket",
			    path);
		return FALSE;
	}
	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "control socket %s: another vigild is running",
			    path);
		return FALSE;
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	return TRUE;
}

/* The socket's directory: 0700, or 0750 of the control group (gid,
 * when have_group); one that exists is made so too. */
static gboolean make_dir(const char *dir, gboolean have_group, gid_t gid,
			 GError **error)
{
	mode_t mode = have_group ? 0750 : 0700;
	struct stat st;

	if (g_mkdir_with_parents(dir, 0700) < 0 || stat(dir, &st) < 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "control socket directory %s: %s", dir,
			    g_strerror(errno));
		return FALSE;
	}
	if (!have_group)
		return TRUE;	/* (an existing directory is left as it is) */
	if ((st.st_gid != gid && chown(dir, (uid_t)-1, gid) < 0) ||
	    ((st.st_mode & 07777) != mode && chmod(dir, mode) < 0)) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "control socket directory %s: group %u, mode %04o: %s",
			    dir, (guint)gid, (guint)mode, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

VgdControl *vgd_control_new(const char *path, const char *group,
			    GMainContext *ctx,
			    VgdCommandFunc func, gpointer user_data,
			    GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *gr = NULL;
	char *dir;
	VgdControl *ctl;
	GSource *s;
	gboolean ok;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "control socket %s: path too long", path);
		return NULL;
	}
	if (group) {
		errno = 0;
		gr = getgrnam(group);
		if (!gr) {
			g_set_error(error, VG_ERROR, VG_ERROR_IO,
				    "control socket %s: control_group '%s': %s",
				    path, group, errno ? g_strerror(errno) :
				    "no such group on this system");
			return NULL;
		}
	}
	dir = g_path_get_dirname(path);
	ok = make_dir(dir, gr != NULL, gr ? gr->gr_gid : 0, error);
	g_free(dir);
	if (!ok)
		return NULL;
	if (!clear_stale(path, error))
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO, "socket: %s",
			    g_strerror(errno));
		return NULL;
	}
	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	{
		mode_t old = umask(0177);	/* socket 0600 from birth */
		int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		int e = errno;

		umask(old);
		if (r < 0 || listen(fd, 8) < 0) {
			g_set_error(error, VG_ERROR, VG_ERROR_IO,
				    "control socket %s: %s", path,
				    g_strerror(r < 0 ? e : errno));
			close(fd);
			return NULL;
		}
	}
	if (gr ? chown(path, (uid_t)-1, gr->gr_gid) < 0 ||
		 chmod(path, 0660) < 0 : chmod(path, 0600) < 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "control socket %s: %s: %s", path,
			    gr ? "group and mode 0660" : "mode 0600",
			    g_strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	ctl = g_new0(VgdControl, 1);
	ctl->owner = geteuid();
	if (gr) {
		ctl->have_group = TRUE;
		ctl->group = gr->gr_gid;
		ctl->group_name = g_strdup(gr->gr_name);
	}
	ctl->path = g_strdup(path);
	ctl->fd = fd;
	ctl->ctx = ctx;
	ctl->func = func;
	ctl->user_data = user_data;
	ctl->clients = g_hash_table_new_full(NULL, NULL, client_free, NULL);
	s = g_unix_fd_source_new(fd, G_IO_IN);
	g_source_set_callback(s, G_SOURCE_FUNC(on_accept), ctl, NULL);
	ctl->watch = g_source_attach(s, ctx);
	g_source_unref(s);
	return ctl;
}

void vgd_control_free(VgdControl *ctl)
{
	GSource *s;

	if (!ctl)
		return;
	s = g_main_context_find_source_by_id(ctl->ctx, ctl->watch);
	if (s)
		g_source_destroy(s);
	g_hash_table_unref(ctl->clients);
	close(ctl->fd);
	unlink(ctl->path);	/* (not after the drop: the directory is root's) */
	g_free(ctl->path);
	g_free(ctl->group_name);
	g_free(ctl);
}
