// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-eventload - a known number of context switches or execs, timed
 * by the program itself (scripts/bench/probe: what one event costs).
 *
 *   vigil-eventload switch ROUNDS
 *     a parent and a child pass one byte back and forth over two pipes
 *     ROUNDS times: each round blocks each of them once, so at least
 *     2 * ROUNDS sched_switch events when they share a CPU (more when
 *     the CPU idles in between).
 *   vigil-eventload exec COUNT [ARG...]
 *     the program exec()s itself COUNT times, each time with the same
 *     ARGs after its own arguments (the argv an exec event records).
 *   vigil-eventload paced CONTROL
 *     reads lines "RATE COUNT" from CONTROL (a fifo, opened read-write so
 *     that writers may come and go) and for each makes COUNT getppid()
 *     calls at RATE calls per second (0: as fast as it can; it catches
 *     up without sleeping when it falls behind), printing "ns=<T>
 *     count=<COUNT>" after each; a line "end" or the end of CONTROL ends
 *     it (scripts/bench/live: a workload of known size and rate).
 *
 * Prints "ns=<T> count=<N>" at the end: T is the monotonic time from the
 * start of the first round or exec to the end of the last.  Exit 1 with
 * a message on bad arguments or a failed system call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long num(const char *s, const char *what)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "vigil-eventload: %s: '%s' is not a count\n",
			what, s);
		exit(1);
	}
	return v;
}

static void die(const char *what)
{
	fprintf(stderr, "vigil-eventload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int switches(long long rounds)
{
	int ping[2], pong[2], status;
	long long i, t0;
	char c = 'x';
	pid_t child;

	if (pipe(ping) || pipe(pong))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		for (i = 0; i < rounds; i++) {
			if (read(ping[0], &c, 1) != 1)
				die("child read");
			if (write(pong[1], &c, 1) != 1)
				die("child write");
		}
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < rounds; i++) {
		if (write(ping[1], &c, 1) != 1)
			die("write");
		if (read(pong[0], &c, 1) != 1)
			die("read");
	}
	printf("ns=%lld count=%lld\n", now_ns() - t0, rounds);
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* COUNT getppid() calls at RATE per second, checking the clock every 32 */
static long long paced_calls(long long rate, long long count)
{
	long long t0 = now_ns(), done = 0, due;
	struct timespec nap = { 0, 100000 };

	while (done < count) {
		due = count;
		if (rate) {
			due = (now_ns() - t0) * rate / 1000000000LL + 32;
			if (due > count)
				due = count;
			if (done >= due) {
				nanosleep(&nap, NULL);
				continue;
			}
		}
		while (done < due) {
			syscall(SYS_getppid);
			done++;
		}
	}
	return now_ns() - t0;
}

static int paced(const char *control)
{
	long long rate, count;
	char line[128];
	FILE *f = fopen(control, "r+");

	if (!f)
		die(control);
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "end\n"))
			break;
		if (sscanf(line, "%lld %lld", &rate, &count) != 2 || rate < 0 ||
		    count < 0) {
			fprintf(stderr, "vigil-eventload: %s: '%s' is not \"RATE COUNT\"\n",
				control, line);
			return 1;
		}
		printf("ns=%lld count=%lld\n", paced_calls(rate, count), count);
		fflush(stdout);
	}
	return 0;
}

/*
 * argv of a link of the chain: self "exec-chain" LEFT T0 COUNT ARG...
 * (LEFT execs still to make, T0 the start time, COUNT the total).
 */
static int exec_chain(int argc, char **argv)
{
	char left[24];
	long long n;

	if (argc < 5) {
		fprintf(stderr, "vigil-eventload: exec-chain: too few arguments\n");
		return 1;
	}
	n = num(argv[2], "exec-chain LEFT");
	if (n == 0) {
		printf("ns=%lld count=%s\n", now_ns() - num(argv[3], "exec-chain T0"),
		       argv[4]);
		return 0;
	}
	snprintf(left, sizeof(left), "%lld", n - 1);
	argv[2] = left;
	execv("/proc/self/exe", argv);
	die("exec /proc/self/exe");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "switch"))
		return switches(num(argv[2], "ROUNDS"));
	if (argc >= 3 && !strcmp(argv[1], "exec")) {
		char **av = calloc(argc + 3, sizeof(*av));
		char t0[24];
		int i;

		if (!av)
			die("calloc");
		num(argv[2], "COUNT");
		snprintf(t0, sizeof(t0), "%lld", now_ns());
		av[0] = argv[0];
		av[1] = "exec-chain";
		av[2] = argv[2];
		av[3] = t0;
		av[4] = argv[2];
		for (i = 3; i < argc; i++)
			av[i + 2] = argv[i];
		return exec_chain(argc + 2, av);
	}
	if (argc == 3 && !strcmp(argv[1], "paced"))
		return paced(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "exec-chain"))
		return exec_chain(argc, argv);
	fprintf(stderr, "usage: vigil-eventload switch ROUNDS | exec COUNT [ARG...] | paced CONTROL\n");
	return 1;
}
