/*
 * vigilctl - talk to a running vigild over its control socket.
 *
 *   vigilctl [--socket PATH] status|dump [REASON]|reload|stop
 *
 * Exit status: 0 done, 1 vigild refused or failed the command, 2 usage
 * error or vigild not reachable.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>

#define DEFAULT_SOCKET "/run/vigil/vigild.sock"

/* Whether this process is in group gid. */
static gboolean in_group(gid_t gid)
{
	int n = getgroups(0, NULL);
	gid_t *groups = g_new0(gid_t, n > 0 ? n : 1);
	gboolean yes = getegid() == gid;

	n = getgroups(n > 0 ? n : 0, groups);
	for (int i = 0; !yes && i < n; i++)
		yes = groups[i] == gid;
	g_free(groups);
	return yes;
}

/* connect() said EACCES: who may use the socket.  The socket's group
 * (or its directory's, when that cannot be searched) is the control
 * group vigild was given (control_group: in vigil.yaml); root's group
 * means root only. */
static void explain_denied(const char *path)
{
	char *dir = g_path_get_dirname(path);
	struct stat st;
	struct group *gr;
	gboolean have = stat(path, &st) == 0 || stat(dir, &st) == 0;

	g_free(dir);
	if (!have || st.st_gid == 0 || !(st.st_mode & 0070)) {
		fprintf(stderr, "vigilctl: %s: permission denied: only root may "
			"use vigild's control socket (control_group in "
			"vigil.yaml(5) lets a group ask for status and dump)\n",
			path);
		return;
	}
	gr = getgrgid(st.st_gid);
	fprintf(stderr, "vigilctl: %s: permission denied: root, and members "
		"of group %s for status and dump, may use vigild's control "
		"socket; %s\n", path, gr ? gr->gr_name : "?",
		in_group(st.st_gid) ? "you are in it, but something else is "
		"in the way (the socket's mode, a directory above it)" :
		"you are not in it (a group added to your account counts "
		"from your next login)");
	if (!gr)
		fprintf(stderr, "vigilctl: (the group is gid %u)\n",
			(unsigned)st.st_gid);
}

/* msg: NULL (--help: usage on stdout), or allocated (freed here) */
static int usage(char *msg)
{
	if (msg)
		fprintf(stderr, "vigilctl: %s\n", msg);
	fprintf(msg ? stderr : stdout,
		"usage: vigilctl [--socket PATH] status|dump [REASON]|reload|stop\n"
		"       vigilctl --version\n");
	g_free(msg);
	return 2;
}

int main(int argc, char **argv)
{
	const char *path = g_getenv("VIGIL_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	GString *req, *resp;
	char buf[4096];
	char *nl;
	ssize_t n;
	int i = 1, fd, rc;

	if (!path)
		path = DEFAULT_SOCKET;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--socket") == 0 || strcmp(argv[i], "-S") == 0) {
			if (++i >= argc)
				return usage(g_strdup("--socket needs a PATH"));
			path = argv[i];
		} else if (g_str_has_prefix(argv[i], "--socket=")) {
			path = argv[i] + strlen("--socket=");
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			usage(NULL);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("vigilctl %s\n", VIGIL_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			char *m = g_strdup_printf("unknown option %s", argv[i]);

			return usage(m);
		}
	}
	if (i >= argc)
		return usage(g_strdup("no command given"));
	if (strcmp(argv[i], "status") && strcmp(argv[i], "dump") &&
	    strcmp(argv[i], "reload") && strcmp(argv[i], "stop")) {
		char *m = g_strdup_printf("unknown command '%s'", argv[i]);

		return usage(m);
	}
	if (strcmp(argv[i], "dump") && i + 1 < argc) {
		char *m = g_strdup_printf("%s takes no argument", argv[i]);

		return usage(m);
	}
	req = g_string_new(argv[i]);
	for (i++; i < argc; i++) {
		g_string_append_c(req, ' ');
		/* a reason is one line */
		for (const char *p = argv[i]; *p; p++)
			g_string_append_c(req, *p == '\n' ? ' ' : *p);
	}
	g_string_append_c(req, '\n');

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vigilctl: socket path too long: %s\n", path);
		g_string_free(req, TRUE);
		return 2;
	}
	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (fd >= 0 && (e == EACCES || e == EPERM)) {
			explain_denied(path);
			close(fd);
			g_string_free(req, TRUE);
			return 2;
		}
		fprintf(stderr, "vigilctl: cannot reach vigild at %s: %s%s\n",
			path, g_strerror(e),
			e == ENOENT || e == ECONNREFUSED ?
			" (is vigild running?)" :
			e == EACCES ? " (root only)" : "");
		if (fd >= 0)
			close(fd);
		g_string_free(req, TRUE);
		return 2;
	}
	for (gsize off = 0; off < req->len;) {
		n = write(fd, req->str + off, req->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vigilctl: %s: %s\n", path,
				g_strerror(errno));
			close(fd);
			g_string_free(req, TRUE);
			return 2;
		}
		off += (gsize)n;
	}
	resp = g_string_new(NULL);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vigilctl: %s: %s\n", path,
				g_strerror(errno));
			close(fd);
			g_string_free(req, TRUE);
			g_string_free(resp, TRUE);
			return 2;
		}
		g_string_append_len(resp, buf, n);
	}
	close(fd);
	nl = memchr(resp->str, '\n', resp->len);
	if (!nl) {
		fprintf(stderr, "vigilctl: vigild closed the connection without an answer\n");
		g_string_free(req, TRUE);
		g_string_free(resp, TRUE);
		return 2;
	}
	*nl = 0;
	if (strcmp(resp->str, "OK") == 0) {
		fputs(nl + 1, stdout);
		rc = 0;
	} else if (g_str_has_prefix(resp->str, "ERR ")) {
		fputs(nl + 1, stdout);
		fprintf(stderr, "vigilctl: %s\n", resp->str + 4);
		rc = 1;
	} else {
		fprintf(stderr, "vigilctl: unexpected answer: %s\n", resp->str);
		rc = 2;
	}
	g_string_free(req, TRUE);
	g_string_free(resp, TRUE);
	return rc;
}
