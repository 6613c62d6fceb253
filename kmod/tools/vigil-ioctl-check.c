// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-ioctl-check - call /dev/vigil (and /dev/vigil_annotate) with bad
 * and good arguments and print one line per case:
 *
 *   case <name> <result>
 *
 * where result is 0 or the errno name (EINVAL, EFAULT, ...).  The test
 * (t/vm/14-kmod-ioctl.t) holds the expected results.  With
 * "--cycles N" it also starts and stops tracing N times in one session
 * and prints "cycles <ok> <failed>".  With "--exclude-filter" it only
 * runs the cases of VIGIL_FILTER_EXCLUDE_TGID (t/vm/17-kmod-exclude.t).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "vigil_abi.h"

static const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOTTY: return "ENOTTY";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOTCONN: return "ENOTCONN";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	default: return strerror(e);
	}
}

static void report(const char *name, int r)
{
	printf("case %s %s\n", name, ename(r < 0 ? errno : 0));
	fflush(stdout);
}

#define IOC(name, fd, req, arg) report(name, ioctl(fd, req, arg))

static struct vigil_config good_cfg(void)
{
	struct vigil_config c;

	memset(&c, 0, sizeof(c));
	c.abi_version = VIGIL_ABI_VERSION;
	c.mode = VIGIL_MODE_NORMAL;
	c.subbuf_size = 4096;
	c.n_subbufs = 4;
	c.switch_interval_ms = 100;
	return c;
}

static struct vigil_event_req ev(const char *name, unsigned int enable)
{
	struct vigil_event_req r;

	memset(&r, 0, sizeof(r));
	strncpy(r.name, name, sizeof(r.name) - 1);
	r.enable = enable;
	return r;
}

static struct vigil_kprobe_req kp(const char *name, const char *sym,
				  unsigned int nargs, unsigned int ret)
{
	struct vigil_kprobe_req r;

	memset(&r, 0, sizeof(r));
	strncpy(r.name, name, sizeof(r.name) - 1);
	strncpy(r.symbol, sym, sizeof(r.symbol) - 1);
	r.nargs = nargs;
	r.retprobe = ret;
	return r;
}

/* VIGIL_FILTER_EXCLUDE_TGID: the same limits as the other id sets. */
static int exclude_filter_cases(void)
{
	static int32_t many[VIGIL_FILTER_MAX_IDS + 1];
	struct vigil_config c = good_cfg();
	struct vigil_filter f;
	int32_t ids[2] = { 1, 2 };
	int fd, i;

	fd = open(VIGIL_DEV_PATH, O_RDWR);
	if (fd < 0) {
		perror(VIGIL_DEV_PATH);
		return 1;
	}
	IOC("xcfg_good", fd, VIGIL_IOC_CONFIGURE, &c);
	for (i = 0; i <= VIGIL_FILTER_MAX_IDS; i++)
		many[i] = 100000 + i;

	memset(&f, 0, sizeof(f));
	f.type = VIGIL_FILTER_TYPE_MAX + 1; f.count = 1; f.ids = (uintptr_t)ids;
	IOC("xfilter_type_after_exclude", fd, VIGIL_IOC_FILTER, &f);
	f.type = 0xffffffffu;
	IOC("xfilter_type_huge", fd, VIGIL_IOC_FILTER, &f);
	f.type = VIGIL_FILTER_EXCLUDE_TGID;
	f.count = VIGIL_FILTER_MAX_IDS + 1; f.ids = (uintptr_t)many;
	IOC("xfilter_too_many", fd, VIGIL_IOC_FILTER, &f);
	f.count = VIGIL_FILTER_MAX_IDS;
	IOC("xfilter_max", fd, VIGIL_IOC_FILTER, &f);
	f.count = 1; f.ids = 16;
	IOC("xfilter_bad_ids_pointer", fd, VIGIL_IOC_FILTER, &f);
	f.ids = 0;
	IOC("xfilter_null_ids", fd, VIGIL_IOC_FILTER, &f);
	ids[0] = -7; f.count = 2; f.ids = (uintptr_t)ids;
	IOC("xfilter_negative", fd, VIGIL_IOC_FILTER, &f);
	ids[0] = 1; ids[1] = 1;
	IOC("xfilter_duplicates", fd, VIGIL_IOC_FILTER, &f);
	IOC("xstart", fd, VIGIL_IOC_START, 0);
	/* replaced while tracing: the old set is freed after a grace period */
	ids[0] = getpid(); ids[1] = 1;
	IOC("xfilter_while_running", fd, VIGIL_IOC_FILTER, &f);
	f.count = 0;
	IOC("xfilter_clear", fd, VIGIL_IOC_FILTER, &f);
	IOC("xstop", fd, VIGIL_IOC_STOP, 0);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int fd, fd2, afd, i, cycles = 0, ok = 0, bad = 0;
	struct vigil_config c;
	struct vigil_event_req e;
	struct vigil_filter f;
	struct vigil_kprobe_req k;
	struct vigil_cpu_pos pos;
	struct vigil_stats st;
	struct vigil_cpu_stats cs[64];
	int32_t ids[2];
	char big[300];

	if (argc == 3 && !strcmp(argv[1], "--cycles"))
		cycles = atoi(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--exclude-filter"))
		return exclude_filter_cases();

	fd = open(VIGIL_DEV_PATH, O_RDWR);
	fd2 = open(VIGIL_DEV_PATH, O_RDWR);
	if (fd < 0 || fd2 < 0) {
		perror(VIGIL_DEV_PATH);
		return 1;
	}

	/* before CONFIGURE */
	IOC("start_unconfigured", fd, VIGIL_IOC_START, 0);
	e = ev("all", 1);
	IOC("event_unconfigured", fd, VIGIL_IOC_EVENT, &e);

	/* CONFIGURE validation */
	c = good_cfg(); c.abi_version = 99;
	IOC("cfg_abi_version", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.mode = 2;
	IOC("cfg_mode", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.subbuf_size = 3 * 4096;
	IOC("cfg_subbuf_not_pow2", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.subbuf_size = 2048;
	IOC("cfg_subbuf_too_small", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.subbuf_size = 128u << 20;
	IOC("cfg_subbuf_too_big", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.n_subbufs = 1;
	IOC("cfg_nsubbufs_1", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.n_subbufs = 5000;
	IOC("cfg_nsubbufs_5000", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.subbuf_size = 64u << 20; c.n_subbufs = 4096;
	IOC("cfg_too_much_memory", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.flags = 1u << 5;
	IOC("cfg_unknown_flag", fd, VIGIL_IOC_CONFIGURE, &c);
	c = good_cfg(); c.reserved[3] = 1;
	IOC("cfg_reserved", fd, VIGIL_IOC_CONFIGURE, &c);
	IOC("cfg_null_pointer", fd, VIGIL_IOC_CONFIGURE, NULL);
	IOC("cfg_bad_pointer", fd, VIGIL_IOC_CONFIGURE, (void *)16);
	c = good_cfg();
	IOC("cfg_good", fd, VIGIL_IOC_CONFIGURE, &c);
	IOC("cfg_other_fd", fd2, VIGIL_IOC_CONFIGURE, &c);
	IOC("start_other_fd", fd2, VIGIL_IOC_START, 0);

	/* EVENT */
	memset(&e, 'x', sizeof(e.name));
	e.enable = 1; e.reserved = 0;
	IOC("event_name_unterminated", fd, VIGIL_IOC_EVENT, &e);
	e = ev("sched:no_such_event", 1);
	IOC("event_unknown", fd, VIGIL_IOC_EVENT, &e);
	e = ev("sched:sched_switch", 2);
	IOC("event_enable_2", fd, VIGIL_IOC_EVENT, &e);
	e = ev("sched:sched_switch", 1); e.reserved = 1;
	IOC("event_reserved", fd, VIGIL_IOC_EVENT, &e);
	IOC("event_bad_pointer", fd, VIGIL_IOC_EVENT, (void *)16);
	e = ev("raw_syscalls:sys_enter", 1);
	IOC("event_good", fd, VIGIL_IOC_EVENT, &e);
	e = ev("vigil:annotation", 1);
	IOC("event_annotation", fd, VIGIL_IOC_EVENT, &e);

	/* FILTER */
	ids[0] = 1; ids[1] = 2;
	f.type = VIGIL_FILTER_TYPE_MAX + 1; f.count = 1; f.ids = (uintptr_t)ids;
	IOC("filter_type", fd, VIGIL_IOC_FILTER, &f);
	f.type = VIGIL_FILTER_PID; f.count = VIGIL_FILTER_MAX_IDS + 1;
	IOC("filter_too_many", fd, VIGIL_IOC_FILTER, &f);
	f.count = 1; f.ids = 16;
	IOC("filter_bad_ids_pointer", fd, VIGIL_IOC_FILTER, &f);
	f.ids = 0;
	IOC("filter_null_ids", fd, VIGIL_IOC_FILTER, &f);
	ids[0] = -5; f.ids = (uintptr_t)ids;
	IOC("filter_negative_pid", fd, VIGIL_IOC_FILTER, &f);
	ids[0] = 100000; f.type = VIGIL_FILTER_SYSCALL;
	IOC("filter_syscall_range", fd, VIGIL_IOC_FILTER, &f);
	ids[0] = 39; ids[1] = 110; f.count = 2;
	IOC("filter_syscall_good", fd, VIGIL_IOC_FILTER, &f);
	f.count = 0;
	IOC("filter_clear", fd, VIGIL_IOC_FILTER, &f);

	/* kprobes */
	k = kp("nosuch", "vigil_no_such_symbol_xyz", 1, 0);
	IOC("kprobe_unknown_symbol", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("gp", "__x64_sys_getppid", 7, 0);
	IOC("kprobe_nargs_7", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("gp", "__x64_sys_getppid", 0, 2);
	IOC("kprobe_retprobe_2", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("", "__x64_sys_getppid", 0, 0);
	IOC("kprobe_empty_name", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("bad name", "__x64_sys_getppid", 0, 0);
	IOC("kprobe_name_with_space", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("gp", "__x64_sys_getppid", 1, 0); k.reserved = 1;
	IOC("kprobe_reserved", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("gp", "__x64_sys_getppid", 1, 0);
	IOC("kprobe_good", fd, VIGIL_IOC_ADD_KPROBE, &k);
	printf("kprobe_id %u\n", k.id);
	k = kp("gp", "__x64_sys_getppid", 1, 0);
	IOC("kprobe_duplicate", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("nosuch", "", 0, 0);
	IOC("kprobe_del_unknown", fd, VIGIL_IOC_DEL_KPROBE, &k);
	k = kp("gp", "", 0, 0);
	IOC("kprobe_del_good", fd, VIGIL_IOC_DEL_KPROBE, &k);
	IOC("kprobe_del_twice", fd, VIGIL_IOC_DEL_KPROBE, &k);
	k = kp("gp", "__x64_sys_getppid", 1, 0);
	IOC("kprobe_name_reuse_same_buffers", fd, VIGIL_IOC_ADD_KPROBE, &k);
	k = kp("gp2", "__x64_sys_getppid", 1, 0);
	IOC("kprobe_after_del", fd, VIGIL_IOC_ADD_KPROBE, &k);
	printf("kprobe_id_after_del %u\n", k.id);

	/* positions and stats */
	memset(&pos, 0, sizeof(pos)); pos.cpu = 9999;
	IOC("getpos_bad_cpu", fd, VIGIL_IOC_GET_POS, &pos);
	pos.cpu = 0; pos.reserved = 1;
	IOC("getpos_reserved", fd, VIGIL_IOC_GET_POS, &pos);
	IOC("getpos_bad_pointer", fd, VIGIL_IOC_GET_POS, (void *)16);
	pos.reserved = 0;
	IOC("getpos_good", fd, VIGIL_IOC_GET_POS, &pos);
	pos.consumed = pos.produced + 5;
	IOC("consume_beyond_produced", fd, VIGIL_IOC_CONSUME, &pos);
	memset(&st, 0, sizeof(st)); st.ncpus = 4; st.buf = 16;
	IOC("stats_bad_buf", fd, VIGIL_IOC_STATS, &st);
	st.ncpus = 64; st.buf = (uintptr_t)cs;
	IOC("stats_other_fd", fd2, VIGIL_IOC_STATS, &st);
	IOC("unknown_ioctl", fd, _IO(VIGIL_IOC_MAGIC, 77), 0);

	/* state */
	IOC("stop_not_running", fd, VIGIL_IOC_STOP, 0);
	IOC("pause_not_running", fd, VIGIL_IOC_PAUSE, 0);
	afd = open(VIGIL_ANNOTATE_PATH, O_WRONLY);
	report("annotate_open", afd);
	report("annotate_not_running", write(afd, "x", 1));
	IOC("start_good", fd, VIGIL_IOC_START, 0);
	IOC("start_twice", fd, VIGIL_IOC_START, 0);
	c = good_cfg();
	IOC("cfg_while_running", fd, VIGIL_IOC_CONFIGURE, &c);
	IOC("resume_not_paused", fd, VIGIL_IOC_RESUME, 0);
	{
		/* events while paused are counted as discarded */
		unsigned long long before = 0, after = 0;
		unsigned int c2;

		memset(&st, 0, sizeof(st)); st.ncpus = 64; st.buf = (uintptr_t)cs;
		ioctl(fd, VIGIL_IOC_STATS, &st);
		for (c2 = 0; c2 < st.ncpus && c2 < 64; c2++)
			before += cs[c2].events_discarded;
		IOC("pause_good", fd, VIGIL_IOC_PAUSE, 0);
		for (i = 0; i < 100; i++)
			syscall(SYS_getppid);
		memset(&st, 0, sizeof(st)); st.ncpus = 64; st.buf = (uintptr_t)cs;
		ioctl(fd, VIGIL_IOC_STATS, &st);
		for (c2 = 0; c2 < st.ncpus && c2 < 64; c2++)
			after += cs[c2].events_discarded;
		printf("pause_discarded_delta %llu\n", after - before);
	}
	IOC("pause_twice", fd, VIGIL_IOC_PAUSE, 0);
	IOC("resume_good", fd, VIGIL_IOC_RESUME, 0);
	IOC("flush_good", fd, VIGIL_IOC_FLUSH, 0);
	{
		/* a finished, unconsumed sub-buffer makes cpuN readable */
		struct pollfd pfd;
		char path[64];
		int pr;

		snprintf(path, sizeof(path), VIGIL_DEBUGFS_DIR "/cpu%d", sched_getcpu());
		pfd.fd = open(path, O_RDONLY);
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, 2000);
		printf("poll_after_flush %s\n", pr == 1 && (pfd.revents & POLLIN) ? "POLLIN" : "none");
		close(pfd.fd);
	}
	memset(big, 'a', sizeof(big));
	report("annotate_too_long", write(afd, big, 257));
	report("annotate_256", write(afd, big, 256));
	{
		volatile uintptr_t badp = 16;

		report("annotate_bad_pointer", write(afd, (const void *)badp, 10));
	}
	IOC("stop_good", fd, VIGIL_IOC_STOP, 0);

	for (i = 0; i < cycles; i++) {
		if (ioctl(fd, VIGIL_IOC_START, 0) == 0 &&
		    ioctl(fd, VIGIL_IOC_STOP, 0) == 0)
			ok++;
		else
			bad++;
	}
	if (cycles)
		printf("cycles %d %d\n", ok, bad);

	/* closing the owner frees the session: the other fd may configure */
	close(fd);
	c = good_cfg();
	IOC("cfg_after_owner_closed", fd2, VIGIL_IOC_CONFIGURE, &c);
	close(fd2);
	close(afd);
	return 0;
}
