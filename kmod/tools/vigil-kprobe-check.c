// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-kprobe-check - ADD_KPROBE corner cases and log flooding, one
 * line per case:
 *
 *   case <name> <result>        (result: 0 or the errno name)
 *
 *   vigil-kprobe-check --copyback   ADD_KPROBE whose request lies in a
 *       read-only page (the answer cannot be copied back), then the same
 *       request from writable memory, then DEL_KPROBE
 *   vigil-kprobe-check --add        one ADD_KPROBE (capability checks)
 *   vigil-kprobe-check --flood N    N EVENT requests for unknown events
 *       and N ADD_KPROBE on unknown symbols (each case line counts the
 *       results other than the expected ENOENT), then "elapsed_ms=<ms>"
 *
 * Exit 1 if the session cannot be set up (message names the call).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vigil_abi.h"

static int ctl;

static const char *ename(int r)
{
	if (r >= 0)
		return "0";
	switch (errno) {
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	default: return strerror(errno);
	}
}

static void setup(void)
{
	struct vigil_config c;

	ctl = open("/dev/vigil", O_RDWR);
	if (ctl < 0) {
		perror("vigil-kprobe-check: open /dev/vigil");
		exit(1);
	}
	memset(&c, 0, sizeof(c));
	c.abi_version = VIGIL_ABI_VERSION;
	c.mode = VIGIL_MODE_NORMAL;
	c.subbuf_size = 4096;
	c.n_subbufs = 4;
	if (ioctl(ctl, VIGIL_IOC_CONFIGURE, &c)) {
		perror("vigil-kprobe-check: CONFIGURE");
		exit(1);
	}
}

static void kreq(struct vigil_kprobe_req *r, const char *name, const char *sym)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->symbol, sizeof(r->symbol), "%s", sym);
	r->nargs = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct vigil_kprobe_req r, *ro;
	long n, i, bad;

	if (argc == 2 && !strcmp(argv[1], "--copyback")) {
		setup();
		ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ro == MAP_FAILED) {
			perror("vigil-kprobe-check: mmap");
			return 1;
		}
		kreq(ro, "gp", "__x64_sys_getppid");
		if (mprotect(ro, 4096, PROT_READ)) {
			perror("vigil-kprobe-check: mprotect");
			return 1;
		}
		printf("case add_readonly_req %s\n",
		       ename(ioctl(ctl, VIGIL_IOC_ADD_KPROBE, ro)));
		kreq(&r, "gp", "__x64_sys_getppid");
		printf("case add_retry %s\n",
		       ename(ioctl(ctl, VIGIL_IOC_ADD_KPROBE, &r)));
		printf("case retry_id %s\n",
		       r.id >= VIGIL_KPROBE_ID_BASE ? "0" : "no-id");
		printf("case del %s\n",
		       ename(ioctl(ctl, VIGIL_IOC_DEL_KPROBE, &r)));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--add")) {
		setup();
		kreq(&r, "gp", "__x64_sys_getppid");
		printf("case add %s\n",
		       ename(ioctl(ctl, VIGIL_IOC_ADD_KPROBE, &r)));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--flood") &&
	    (n = atol(argv[2])) > 0) {
		struct vigil_event_req e;
		double t0;

		setup();
		t0 = now_ms();
		for (i = bad = 0; i < n; i++) {
			memset(&e, 0, sizeof(e));
			snprintf(e.name, sizeof(e.name),
				 "vigil_flood:no_such_event_%ld", i);
			e.enable = 1;
			if (!ioctl(ctl, VIGIL_IOC_EVENT, &e) || errno != ENOENT)
				bad++;
		}
		printf("case flood_events_not_enoent %ld\n", bad);
		for (i = bad = 0; i < n; i++) {
			char sym[64];

			snprintf(sym, sizeof(sym), "vigil_flood_no_such_%ld", i);
			kreq(&r, "flood", sym);
			if (!ioctl(ctl, VIGIL_IOC_ADD_KPROBE, &r) ||
			    errno != ENOENT)
				bad++;
		}
		printf("case flood_kprobes_not_enoent %ld\n", bad);
		printf("elapsed_ms=%.0f\n", now_ms() - t0);
		return 0;
	}
	fprintf(stderr, "usage: vigil-kprobe-check --copyback | --add | --flood N\n");
	return 1;
}
