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
 * With "--hold-buffer SECS" it gets CPU 0's buffer fd, maps it, ends
 * the session, prints "holding", keeps the fd and mapping SECS seconds
 * (t/vm/10 tries rmmod meanwhile), then checks the mapping still reads
 * the first packet's magic ("held magic ok").  With "--stop-packets"
 * it runs START, 20 getppid calls on CPU 0, STOP without periodic
 * switches and prints, per CPU with a buffer, "stop cpu N packets P
 * empty E" (t/vm/19: STOP finishes each buffer once).
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
#include <sys/mman.h>
#include <sys/sendfile.h>
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
	case EBADF: return "EBADF";
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

/* The buffer fd and its mapping outlive the session that made them. */
static int hold_buffer(int secs)
{
	struct vigil_config c = good_cfg();
	struct vigil_buffer_req b;
	struct vigil_event_req e = ev("raw_syscalls:sys_enter", 1);
	size_t len = (size_t)c.subbuf_size * c.n_subbufs;
	const unsigned char *m;
	uint32_t magic;
	int fd, bfd;

	fd = open(VIGIL_DEV_PATH, O_RDWR);
	if (fd < 0 || ioctl(fd, VIGIL_IOC_CONFIGURE, &c) < 0 ||
	    ioctl(fd, VIGIL_IOC_EVENT, &e) < 0 ||
	    ioctl(fd, VIGIL_IOC_START, 0) < 0 ||
	    ioctl(fd, VIGIL_IOC_STOP, 0) < 0) {
		perror("hold-buffer: session");
		return 1;
	}
	memset(&b, 0, sizeof(b));
	bfd = ioctl(fd, VIGIL_IOC_BUFFER_FD, &b);
	m = bfd < 0 ? MAP_FAILED : mmap(NULL, len, PROT_READ, MAP_SHARED, bfd, 0);
	if (m == MAP_FAILED) {
		perror("hold-buffer: BUFFER_FD + mmap");
		return 1;
	}
	close(fd);		/* the session ends, the buffer stays */
	printf("holding\n");
	fflush(stdout);
	sleep(secs);
	memcpy(&magic, m, sizeof(magic));
	printf("held magic %s\n", magic == VIGIL_CTF_MAGIC ? "ok" : "bad");
	close(bfd);
	munmap((void *)m, len);
	return 0;
}

/* How many packets one START/STOP produces per CPU, and how many empty. */
static int stop_packets(void)
{
	struct vigil_config c = good_cfg();
	struct vigil_event_req e = ev("raw_syscalls:sys_enter", 1);
	size_t len = (size_t)c.subbuf_size * c.n_subbufs;
	struct vigil_stats st;
	struct vigil_cpu_stats cs[64];
	cpu_set_t set;
	unsigned int cpu;
	int fd, i;

	c.switch_interval_ms = 0;
	fd = open(VIGIL_DEV_PATH, O_RDWR);
	if (fd < 0 || ioctl(fd, VIGIL_IOC_CONFIGURE, &c) < 0 ||
	    ioctl(fd, VIGIL_IOC_EVENT, &e) < 0) {
		perror("stop-packets: session");
		return 1;
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (ioctl(fd, VIGIL_IOC_START, 0) < 0) {
		perror("stop-packets: START");
		return 1;
	}
	for (i = 0; i < 20; i++)	/* well under one 4 KiB packet */
		syscall(SYS_getppid);
	if (ioctl(fd, VIGIL_IOC_STOP, 0) < 0) {
		perror("stop-packets: STOP");
		return 1;
	}
	memset(&st, 0, sizeof(st));
	st.ncpus = 64;
	st.buf = (uintptr_t)cs;
	if (ioctl(fd, VIGIL_IOC_STATS, &st) < 0) {
		perror("stop-packets: STATS");
		return 1;
	}
	for (cpu = 0; cpu < st.ncpus && cpu < 64; cpu++) {
		struct vigil_buffer_req b = { .cpu = cpu };
		struct vigil_cpu_pos pos = { .cpu = cpu };
		const unsigned char *m;
		uint64_t seq, empty = 0;
		int bfd = ioctl(fd, VIGIL_IOC_BUFFER_FD, &b);

		if (bfd < 0)
			continue;
		m = mmap(NULL, len, PROT_READ, MAP_SHARED, bfd, 0);
		if (m == MAP_FAILED || ioctl(fd, VIGIL_IOC_GET_POS, &pos) < 0) {
			perror("stop-packets: mmap/GET_POS");
			return 1;
		}
		for (seq = pos.consumed; seq < pos.produced; seq++) {
			struct vigil_packet_context x;

			memcpy(&x, m + (seq % c.n_subbufs) * c.subbuf_size +
			       sizeof(struct vigil_packet_header), sizeof(x));
			if (x.content_size == VIGIL_PACKET_HDR_SIZE * 8)
				empty++;
		}
		printf("stop cpu %u packets %llu empty %llu written %llu\n", cpu,
		       (unsigned long long)(pos.produced - pos.consumed),
		       (unsigned long long)empty,
		       (unsigned long long)cs[cpu].events_written);
		munmap((void *)m, len);
		close(bfd);
	}
	close(fd);
	return 0;
}

/*
 * The buffer and metadata fds: validation, what they allow (mmap
 * read-only, poll) and refuse (read, splice, writable mappings), and a
 * buffer fd with its mapping outliving its session.  fd owns a
 * configured session (normal mode, 4 x 4 KiB) that has run; fd2 is
 * another fd.
 */
static void buffer_fd_cases(int fd, int fd2)
{
	struct vigil_config c = good_cfg();
	size_t len = (size_t)c.subbuf_size * c.n_subbufs;
	struct vigil_buffer_req b;
	struct pollfd pfd;
	const unsigned char *m;
	unsigned char byte;
	char text[32];
	int bfd, mfd, pipefd[2], pr, cpu = sched_getcpu();
	uint32_t magic;
	void *w;

	memset(&b, 0, sizeof(b));
	b.cpu = 9999;
	report("bufferfd_bad_cpu", ioctl(fd, VIGIL_IOC_BUFFER_FD, &b));
	b.cpu = cpu; b.flags = 1;
	report("bufferfd_flags", ioctl(fd, VIGIL_IOC_BUFFER_FD, &b));
	b.flags = 0; b.reserved = 1;
	report("bufferfd_reserved", ioctl(fd, VIGIL_IOC_BUFFER_FD, &b));
	b.reserved = 0;
	report("bufferfd_bad_pointer", ioctl(fd, VIGIL_IOC_BUFFER_FD, (void *)16));
	report("bufferfd_other_fd", ioctl(fd2, VIGIL_IOC_BUFFER_FD, &b));
	bfd = ioctl(fd, VIGIL_IOC_BUFFER_FD, &b);
	report("bufferfd_good", bfd);
	printf("bufferfd_cloexec %s\n",
	       (fcntl(bfd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");

	/* only mmap and poll: read and splice would bypass CONSUME */
	report("buffer_read", read(bfd, &byte, 1));
	if (pipe(pipefd) == 0) {
		report("buffer_splice", splice(bfd, NULL, pipefd[1], NULL, 1, 0));
		close(pipefd[0]);
		close(pipefd[1]);
	}
	report("buffer_write", write(bfd, "x", 1));
	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	report("buffer_mmap_shared_write", w == MAP_FAILED ? -1 : 0);
	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, bfd, 0);
	report("buffer_mmap_private_write", w == MAP_FAILED ? -1 : 0);
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, bfd, 0);
	report("buffer_mmap_read", m == MAP_FAILED ? -1 : 0);
	report("buffer_mprotect_write",
	       m == MAP_FAILED ? 0 : mprotect((void *)m, len, PROT_READ | PROT_WRITE));

	/* a finished, unconsumed sub-buffer makes the buffer fd readable */
	IOC("bufferfd_flush", fd, VIGIL_IOC_FLUSH, 0);
	pfd.fd = bfd;
	pfd.events = POLLIN;
	pr = poll(&pfd, 1, 2000);
	printf("poll_after_flush %s\n", pr == 1 && (pfd.revents & POLLIN) ? "POLLIN" : "none");

	/* metadata: from any fd, the TSDL text generated at the ioctl */
	mfd = ioctl(fd2, VIGIL_IOC_METADATA_FD, 0);
	report("metadatafd_other_fd", mfd);
	memset(text, 0, sizeof(text));
	printf("metadata_text %s\n",
	       mfd >= 0 && read(mfd, text, 13) == 13 && !strcmp(text, "/* CTF 1.8 */") ?
	       "CTF" : "bad");
	report("metadata_write", write(mfd, "x", 1));
	report("metadata_lseek0", lseek(mfd, 0, SEEK_SET));
	if (mfd >= 0)
		close(mfd);

	/* the session ends (owner closed, another fd configures): the
	 * mapping still reads the packets, poll says the buffer is out of
	 * service */
	close(fd);
	c = good_cfg();
	IOC("cfg_after_owner_closed", fd2, VIGIL_IOC_CONFIGURE, &c);
	if (m != MAP_FAILED) {
		memcpy(&magic, m, sizeof(magic));
		printf("mapping_after_session %s\n",
		       magic == VIGIL_CTF_MAGIC ? "magic" : "bad");
	}
	pfd.fd = bfd;
	pfd.events = POLLIN;
	pr = poll(&pfd, 1, 0);
	printf("poll_after_session %s\n",
	       pr == 1 && (pfd.revents & POLLERR) ? "POLLERR" : "other");
	close(bfd);
	if (m != MAP_FAILED)
		munmap((void *)m, len);
}

/*
 * CONSUME in a flight-mode session whose producer ran more than
 * n_subbufs ahead: a step larger than n_subbufs is refused (relay
 * would ignore it), one of n_subbufs is taken; a total below the
 * consumed one is refused.  fd owns nothing yet.
 */
static void consume_cases(int fd)
{
	struct vigil_config c = good_cfg();
	struct vigil_event_req e = ev("raw_syscalls:sys_enter", 1);
	struct vigil_cpu_pos pos;
	cpu_set_t set;
	int i, j;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	c.mode = VIGIL_MODE_FLIGHT;
	c.switch_interval_ms = 0;
	IOC("flight_cfg", fd, VIGIL_IOC_CONFIGURE, &c);
	ioctl(fd, VIGIL_IOC_EVENT, &e);
	IOC("flight_start", fd, VIGIL_IOC_START, 0);
	for (i = 0; i < 3 * (int)c.n_subbufs; i++) {
		for (j = 0; j < 5; j++)
			syscall(SYS_getppid);
		ioctl(fd, VIGIL_IOC_FLUSH, 0);
	}
	memset(&pos, 0, sizeof(pos));
	ioctl(fd, VIGIL_IOC_GET_POS, &pos);
	printf("flight_produced_ahead %s\n",
	       pos.produced - pos.consumed > c.n_subbufs ? "yes" : "no");
	pos.consumed = pos.produced;
	IOC("consume_more_than_n_subbufs", fd, VIGIL_IOC_CONSUME, &pos);
	memset(&pos, 0, sizeof(pos));
	ioctl(fd, VIGIL_IOC_GET_POS, &pos);
	pos.consumed += c.n_subbufs;
	IOC("consume_n_subbufs", fd, VIGIL_IOC_CONSUME, &pos);
	pos.consumed -= 1;
	IOC("consume_below_consumed", fd, VIGIL_IOC_CONSUME, &pos);
	IOC("flight_stop", fd, VIGIL_IOC_STOP, 0);
	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Channels (configured, not running): ADD_CHANNEL's checks, the limit
 * of VIGIL_MAX_CHANNELS with nothing left of a refused one,
 * EVENT_CHANNEL, and the per-channel BUFFER_FD, GET_POS and STATS.
 */
static void channel_cases(int fd, int fd2)
{
	struct vigil_channel_config cc;
	struct vigil_event_channel ec;
	struct vigil_chan_pos cp;
	struct vigil_chan_buffer_req cb;
	struct vigil_chan_req cr;
	struct vigil_chan_stats cs;
	struct vigil_cpu_stats st[64];
	int n = 0, bfd;

#define CC_GOOD() do { memset(&cc, 0, sizeof(cc)); \
	cc.abi_version = VIGIL_ABI_VERSION; cc.mode = VIGIL_MODE_FLIGHT; \
	cc.subbuf_size = 4096; cc.n_subbufs = 4; cc.switch_interval_ms = 100; \
	} while (0)
	CC_GOOD(); cc.abi_version = 99;
	IOC("addchan_abi_version", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD(); cc.mode = 2;
	IOC("addchan_mode", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD(); cc.subbuf_size = 12288;
	IOC("addchan_subbuf_not_pow2", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD(); cc.n_subbufs = 1;
	IOC("addchan_nsubbufs_1", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD(); cc.switch_interval_ms = 60001;
	IOC("addchan_switch", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD(); cc.reserved[1] = 1;
	IOC("addchan_reserved", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD(); cc.channel = 3;
	IOC("addchan_channel_set", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD(); cc.subbuf_size = 64 << 20; cc.n_subbufs = 4096;
	IOC("addchan_too_much_memory", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	CC_GOOD();
	IOC("addchan_other_fd", fd2, VIGIL_IOC_ADD_CHANNEL, &cc);
	IOC("addchan_bad_pointer", fd, VIGIL_IOC_ADD_CHANNEL, (void *)16);
	CC_GOOD();
	IOC("addchan_good", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	printf("addchan_first %u\n", cc.channel);
	for (;;) {
		CC_GOOD();
		if (ioctl(fd, VIGIL_IOC_ADD_CHANNEL, &cc) < 0)
			break;
		n++;
	}
	report("addchan_too_many", -1);
	printf("addchan_more %d\n", n);

	memset(&ec, 0, sizeof(ec));
	strcpy(ec.name, "sched:sched_process_fork");
	ec.channel = 99;
	IOC("evchan_no_channel", fd, VIGIL_IOC_EVENT_CHANNEL, &ec);
	ec.channel = 1; ec.reserved = 1;
	IOC("evchan_reserved", fd, VIGIL_IOC_EVENT_CHANNEL, &ec);
	ec.reserved = 0;
	strcpy(ec.name, "sched:no_such_event");
	IOC("evchan_unknown", fd, VIGIL_IOC_EVENT_CHANNEL, &ec);
	memset(ec.name, 'x', sizeof(ec.name));
	IOC("evchan_unterminated", fd, VIGIL_IOC_EVENT_CHANNEL, &ec);
	memset(&ec, 0, sizeof(ec));
	strcpy(ec.name, "sched:sched_process_fork");
	ec.channel = 1;
	IOC("evchan_other_fd", fd2, VIGIL_IOC_EVENT_CHANNEL, &ec);
	IOC("evchan_good", fd, VIGIL_IOC_EVENT_CHANNEL, &ec);

	memset(&cp, 0, sizeof(cp)); cp.channel = 99;
	IOC("chanpos_no_channel", fd, VIGIL_IOC_CHAN_GET_POS, &cp);
	cp.channel = 1; cp.reserved = 1;
	IOC("chanpos_reserved", fd, VIGIL_IOC_CHAN_GET_POS, &cp);
	cp.reserved = 0;
	IOC("chanpos_good", fd, VIGIL_IOC_CHAN_GET_POS, &cp);
	cp.consumed = cp.produced + 1;
	IOC("chanconsume_beyond", fd, VIGIL_IOC_CHAN_CONSUME, &cp);

	memset(&cb, 0, sizeof(cb)); cb.channel = 99;
	IOC("chanbuf_no_channel", fd, VIGIL_IOC_CHAN_BUFFER_FD, &cb);
	cb.channel = 1; cb.reserved = 1;
	IOC("chanbuf_reserved", fd, VIGIL_IOC_CHAN_BUFFER_FD, &cb);
	cb.reserved = 0;
	bfd = ioctl(fd, VIGIL_IOC_CHAN_BUFFER_FD, &cb);
	report("chanbuf_good", bfd);
	if (bfd >= 0) {
		void *m = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, bfd, 0);

		/* a flight channel's packets carry its lane */
		printf("chanbuf_map %s\n", m == MAP_FAILED ? "failed" : "ok");
		if (m != MAP_FAILED)
			munmap(m, 4 * 4096);
		close(bfd);
	}

	memset(&cr, 0, sizeof(cr)); cr.channel = 1; cr.pause = 1;
	IOC("chanpause_not_running", fd, VIGIL_IOC_CHAN_PAUSE, &cr);

	memset(&cs, 0, sizeof(cs)); cs.channel = 99; cs.ncpus = 64;
	cs.buf = (uintptr_t)st;
	IOC("chanstats_no_channel", fd2, VIGIL_IOC_CHAN_STATS, &cs);
	cs.channel = 1;
	IOC("chanstats_other_fd", fd2, VIGIL_IOC_CHAN_STATS, &cs);
}

/* Channels while running: the map and the channels are fixed; one
 * channel pauses and resumes alone. */
static void channel_running_cases(int fd)
{
	struct vigil_channel_config cc;
	struct vigil_event_channel ec;
	struct vigil_chan_req cr;

	CC_GOOD();
	IOC("addchan_while_running", fd, VIGIL_IOC_ADD_CHANNEL, &cc);
	memset(&ec, 0, sizeof(ec));
	strcpy(ec.name, "sched:sched_process_fork");
	IOC("evchan_while_running", fd, VIGIL_IOC_EVENT_CHANNEL, &ec);
	memset(&cr, 0, sizeof(cr)); cr.channel = 1; cr.pause = 2;
	IOC("chanpause_bad_value", fd, VIGIL_IOC_CHAN_PAUSE, &cr);
	cr.pause = 0;
	IOC("chanresume_not_paused", fd, VIGIL_IOC_CHAN_PAUSE, &cr);
	cr.pause = 1;
	IOC("chanpause_good", fd, VIGIL_IOC_CHAN_PAUSE, &cr);
	IOC("chanpause_twice", fd, VIGIL_IOC_CHAN_PAUSE, &cr);
	cr.pause = 0;
	IOC("chanresume_good", fd, VIGIL_IOC_CHAN_PAUSE, &cr);
#undef CC_GOOD
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
	if (argc == 3 && !strcmp(argv[1], "--hold-buffer"))
		return hold_buffer(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "--stop-packets"))
		return stop_packets();

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

	channel_cases(fd, fd2);

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
	channel_running_cases(fd);
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

	/* buffer fds; then closing the owner ends the session and the
	 * other fd may configure */
	buffer_fd_cases(fd, fd2);
	close(fd2);
	fd2 = open(VIGIL_DEV_PATH, O_RDWR);
	consume_cases(fd2);
	close(fd2);
	close(afd);
	return 0;
}
