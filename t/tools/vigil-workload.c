// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-workload - a known set of syscalls for the kernel module tests.
 *
 *   vigil-workload [--sleep-ms MS] [--efault-opens N] [--edge-opens N]
 *                  [--report-ns] GETPPID_COUNT OPEN_COUNT OPEN_PATH
 *                  [EXEC ARGS...]
 *
 * Prints "pid=<pid>" first, sleeps MS milliseconds (default 0) so the
 * tracer sees a quiet start, calls getppid GETPPID_COUNT times, then
 * openat(AT_FDCWD, OPEN_PATH, O_RDONLY) OPEN_COUNT times (each must fail;
 * a success is an error, exit 2), then N openat() calls whose path
 * pointer is unmapped (-EFAULT; the tracer cannot read the path), then
 * N times each of the paths at a page's edge (edge_opens() below), then
 * execv()s EXEC with ARGS if given.
 * With --report-ns it then prints "getppid_ns=<T1> open_ns=<T2>": the
 * monotonic time its getppid and its open loops took (scripts/bench/probe
 * times the traced program's own loops that way, without process
 * start-up or a tracer's own set-up).
 * Raw syscall() is used so libc caching cannot hide a call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long num(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "vigil-workload: %s: '%s' is not a count\n",
			what, s);
		exit(1);
	}
	return v;
}

static void open_must_fail(const char *path, int want_errno, const char *what)
{
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

	if (fd >= 0 || errno != want_errno) {
		fprintf(stderr, "vigil-workload: open of %s: want errno %d, got %ld (errno %d)\n",
			what, want_errno, fd, errno);
		exit(2);
	}
}

/*
 * Paths a tracer must read right at a page's edge, in two pages of which
 * the second is made unreadable (PROT_NONE), N times each, in this order:
 *   1. "/vigil-edge/end-at-page" whose NUL is the first page's last byte
 *      (ENOENT; the whole path is readable, but a word read from its end
 *      would fault),
 *   2. "/vigil-edge/no-nul-" from byte 100 and 'x' up to the page's end
 *      (less than PATH_MAX), no NUL before
 *      the unreadable page (EFAULT; unreadable for the tracer too),
 *   3. "/vigil-edge/across-pages" starting 8 bytes before the end of a
 *      page of a second, wholly readable, pair (ENOENT),
 *   4. "/" and 4999 'a' (ENAMETOOLONG; a tracer keeps it truncated).
 */
static void edge_opens(long n)
{
	static const char end_at[] = "/vigil-edge/end-at-page";
	static const char across[] = "/vigil-edge/across-pages";
	static const char no_nul[] = "/vigil-edge/no-nul-";
	long pg = sysconf(_SC_PAGESIZE), i;
	char *edge, *both, *longp;

	edge = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	both = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	longp = malloc(5001);
	if (edge == MAP_FAILED || both == MAP_FAILED || !longp ||
	    mprotect(edge + pg, pg, PROT_NONE)) {
		perror("vigil-workload: edge pages");
		exit(2);
	}
	memcpy(both + pg - 8, across, sizeof(across));
	longp[0] = '/';
	memset(longp + 1, 'a', 4999);
	longp[5000] = '\0';
	for (i = 0; i < n; i++) {
		memcpy(edge + pg - sizeof(end_at), end_at, sizeof(end_at));
		open_must_fail(edge + pg - sizeof(end_at), ENOENT, "a path ending at a page's end");
	}
	/* from 100 bytes into the page: less than PATH_MAX before the edge */
	memset(edge, 'x', pg);
	memcpy(edge + 100, no_nul, sizeof(no_nul) - 1);
	for (i = 0; i < n; i++)
		open_must_fail(edge + 100, EFAULT, "a path running into an unreadable page");
	for (i = 0; i < n; i++)
		open_must_fail(both + pg - 8, ENOENT, "a path across two pages");
	for (i = 0; i < n; i++)
		open_must_fail(longp, ENAMETOOLONG, "a 5000-byte path");
}

int main(int argc, char **argv)
{
	long n_getppid, n_open, i, sleep_ms = 0, n_efault = 0, n_edge = 0;
	long long t0, t1, t2;
	const char *path;
	int a = 1, report_ns = 0;

	while (argc - a > 1 && argv[a][0] == '-' && argv[a][1] == '-') {
		if (!strcmp(argv[a], "--report-ns")) {
			report_ns = 1;
			a++;
			continue;
		}
		if (!strcmp(argv[a], "--sleep-ms"))
			sleep_ms = num(argv[a + 1], "--sleep-ms");
		else if (!strcmp(argv[a], "--efault-opens"))
			n_efault = num(argv[a + 1], "--efault-opens");
		else if (!strcmp(argv[a], "--edge-opens"))
			n_edge = num(argv[a + 1], "--edge-opens");
		else
			break;
		a += 2;
	}
	if (argc - a < 3) {
		fprintf(stderr, "usage: vigil-workload [--sleep-ms MS] [--efault-opens N] [--edge-opens N] [--report-ns] GETPPID_COUNT OPEN_COUNT OPEN_PATH [EXEC ARGS...]\n");
		return 1;
	}
	n_getppid = num(argv[a], "GETPPID_COUNT");
	n_open = num(argv[a + 1], "OPEN_COUNT");
	path = argv[a + 2];
	printf("pid=%d\n", getpid());
	fflush(stdout);
	if (sleep_ms) {
		struct timespec ts = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	t0 = now_ns();
	for (i = 0; i < n_getppid; i++)
		syscall(SYS_getppid);
	t1 = now_ns();
	for (i = 0; i < n_open; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

		if (fd >= 0) {
			fprintf(stderr, "vigil-workload: open %s succeeded\n", path);
			return 2;
		}
	}
	t2 = now_ns();
	for (i = 0; i < n_efault; i++) {
		volatile uintptr_t bad = 16;
		long fd = syscall(SYS_openat, AT_FDCWD, (const char *)bad, O_RDONLY);

		if (fd >= 0 || errno != EFAULT) {
			fprintf(stderr, "vigil-workload: open of an unmapped path did not fail with EFAULT\n");
			return 2;
		}
	}
	if (n_edge)
		edge_opens(n_edge);
	if (report_ns) {
		printf("getppid_ns=%lld open_ns=%lld\n", t1 - t0, t2 - t1);
		fflush(stdout);
	}
	if (argc - a > 3) {
		execv(argv[a + 3], &argv[a + 3]);
		fprintf(stderr, "vigil-workload: exec %s: %s\n", argv[a + 3],
			strerror(errno));
		return 3;
	}
	return 0;
}
