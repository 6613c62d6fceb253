// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-capture - drive vigil.ko and save what it records as a CTF trace
 * directory (metadata + stream_<cpu>) that babeltrace2 reads.
 *
 * A test and diagnostic tool; it drives the module through the device
 * API vigild uses too (daemon/dev/vigil_dev.h): no debugfs needed.
 *
 *   vigil-capture -o DIR [options] [--duration SECS | -- COMMAND ARGS...]
 *
 * Exit status: 0 on success, 1 on a usage or setup error (message on
 * stderr naming what was wrong), the command's status is reported but
 * does not change the exit status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "vigil_dev.h"

#define MAX_CPUS 1024
#define MAX_ITEMS 64

static const char *progname = "vigil-capture";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

struct cpu_out {
	int present;
	int out;		/* stream file */
	uint64_t saved;		/* packets saved */
	uint64_t next_seq;	/* expected next packet_seq_num (normal) */
};

static struct vigil_config cfg = {
	.abi_version = VIGIL_ABI_VERSION,
	.mode = VIGIL_MODE_NORMAL,
	.subbuf_size = 256 * 1024,
	.n_subbufs = 8,
	.switch_interval_ms = 100,
};
static struct vigil_dev *dev;
static struct cpu_out cpus[MAX_CPUS];
static unsigned int ncpus;
static const char *outdir;
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static unsigned long parse_num(const char *opt, const char *s,
			       unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		die("%s: '%s' is not a number in 0..%lu", opt, s, max);
	return v;
}

/* Split a comma separated list in place. */
static int split_list(char *s, char **items, int max, const char *opt)
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			die("%s: more than %d items", opt, max);
		items[n++] = tok;
	}
	if (!n)
		die("%s: empty list", opt);
	return n;
}

/* r: a vigil_dev_* result. */
static void check(int r, const char *what)
{
	if (r < 0)
		die("%s: %s%s", what, strerror(errno),
		    errno == EINVAL ? " (the kernel log says which field)" : "");
}

static void set_filter(uint32_t type, char *list, const char *opt)
{
	char *items[VIGIL_FILTER_MAX_IDS];
	int32_t ids[VIGIL_FILTER_MAX_IDS];
	int i, n = split_list(list, items, VIGIL_FILTER_MAX_IDS, opt);

	for (i = 0; i < n; i++)
		ids[i] = (int32_t)parse_num(opt, items[i], INT32_MAX);
	check(vigil_dev_filter(dev, type, ids, n), opt);
}

/* NAME:SYMBOL[+OFF][:NARGS] */
static void add_kprobe(char *spec, int ret)
{
	struct vigil_kprobe_req r;
	char *sym, *off, *nargs;
	const char *opt = ret ? "--kretprobe" : "--kprobe";

	memset(&r, 0, sizeof(r));
	sym = strchr(spec, ':');
	if (!sym)
		die("%s %s: expected NAME:SYMBOL[+OFF]%s", opt, spec,
		    ret ? "" : "[:NARGS]");
	*sym++ = '\0';
	nargs = strchr(sym, ':');
	if (nargs) {
		if (ret)
			die("%s: a kretprobe records the return value, no NARGS", opt);
		*nargs++ = '\0';
		r.nargs = parse_num(opt, nargs, 6);
	}
	off = strchr(sym, '+');
	if (off) {
		*off++ = '\0';
		r.offset = parse_num(opt, off, UINT32_MAX);
	}
	if (strlen(spec) >= sizeof(r.name) || strlen(sym) >= sizeof(r.symbol))
		die("%s: name or symbol longer than %d", opt, VIGIL_NAME_MAX - 1);
	strcpy(r.name, spec);
	strcpy(r.symbol, sym);
	r.retprobe = ret;
	if (vigil_dev_add_kprobe(dev, &r) < 0)
		die("%s %s on %s: %s", opt, spec, sym,
		    errno == ENOENT ? "unknown symbol" : strerror(errno));
	fprintf(stderr, "%s: kprobes:%s on %s id %u\n", progname, spec, sym, r.id);
}

static void set_event(const char *name, int enable)
{
	if (vigil_dev_event(dev, name, enable) < 0)
		die("--events %s: %s", name,
		    errno == ENOENT ? "no such event" :
		    errno == ENAMETOOLONG ? "name too long" : strerror(errno));
}

static void set_stack(const char *name)
{
	if (vigil_dev_stack(dev, name, 32) < 0)
		die("--stacks %s: %s", name,
		    errno == ENOENT ? "no such built-in event" :
		    errno == ENOTTY ? "this vigil.ko records no stacks" :
		    strerror(errno));
}

static void write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write %s: %s", what, strerror(errno));
		}
		p += n;
		len -= n;
	}
}

/*
 * Write the packet's content only, its packet_size changed to match
 * (content rounded up to whole bytes): what vigild's recorder does.  A
 * mostly empty 256 KiB sub-buffer (the switch timer finishes one every
 * 100 ms) then costs a hundred bytes of output, not 256 KiB; a shared
 * or slow output file system could not keep up with the latter.
 */
static void save_compact(int out, const unsigned char *pkt,
			 const struct vigil_packet_context *x)
{
	size_t off = sizeof(struct vigil_packet_header) +
		offsetof(struct vigil_packet_context, packet_size);
	uint64_t keep = (x->content_size + 7) / 8;
	uint64_t bits = keep * 8;
	unsigned char head[VIGIL_PACKET_HDR_SIZE];

	memcpy(head, pkt, sizeof(head));
	memcpy(head + off, &bits, sizeof(bits));
	write_all(out, head, sizeof(head), "stream");
	write_all(out, pkt + sizeof(head), keep - sizeof(head), "stream");
}

static void save_packet(unsigned int cpu, uint64_t seq)
{
	struct cpu_out *c = &cpus[cpu];
	const unsigned char *pkt = vigil_dev_packet(dev, cpu, seq);
	struct vigil_packet_header h;
	struct vigil_packet_context x;

	memcpy(&h, pkt, sizeof(h));
	memcpy(&x, pkt + sizeof(h), sizeof(x));
	if (h.magic != VIGIL_CTF_MAGIC)
		die("cpu%u packet %llu: bad magic %#x", cpu,
		    (unsigned long long)seq, h.magic);
	if (x.packet_seq_num != seq)
		die("cpu%u slot of packet %llu holds packet %llu", cpu,
		    (unsigned long long)seq,
		    (unsigned long long)x.packet_seq_num);
	if (x.content_size > x.packet_size ||
	    x.content_size < (uint64_t)VIGIL_PACKET_HDR_SIZE * 8 ||
	    x.packet_size != (uint64_t)cfg.subbuf_size * 8)
		die("cpu%u packet %llu: content_size %llu packet_size %llu",
		    cpu, (unsigned long long)seq,
		    (unsigned long long)x.content_size,
		    (unsigned long long)x.packet_size);
	save_compact(c->out, pkt, &x);
	c->saved++;
}

/* Normal mode: save finished packets consumed..produced-1, give back. */
static void drain(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		struct vigil_cpu_pos pos;
		uint64_t s;

		if (!cpus[cpu].present)
			continue;
		check(vigil_dev_get_pos(dev, cpu, &pos), "GET_POS");
		for (s = pos.consumed; s < pos.produced; s++)
			save_packet(cpu, s);
		check(vigil_dev_consume(dev, cpu, pos.consumed, pos.produced),
		      "CONSUME");
	}
}

/* Flight mode: the newest n_subbufs - 1 finished packets of each CPU. */
static void snapshot(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		struct vigil_cpu_pos pos;
		uint64_t s, first;

		if (!cpus[cpu].present)
			continue;
		check(vigil_dev_get_pos(dev, cpu, &pos), "GET_POS");
		first = pos.produced > cfg.n_subbufs - 1 ?
			pos.produced - (cfg.n_subbufs - 1) : 0;
		for (s = first; s < pos.produced; s++)
			save_packet(cpu, s);
		printf("snapshot cpu %u: produced=%llu saved=%llu\n", cpu,
		       (unsigned long long)pos.produced,
		       (unsigned long long)(pos.produced - first));
	}
}

static void copy_metadata(void)
{
	char path[4096];
	size_t len;
	char *text = vigil_dev_metadata(dev, &len);
	int out;

	if (!text)
		die("metadata (VIGIL_IOC_METADATA_FD): %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/metadata", outdir);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die("create %s: %s", path, strerror(errno));
	write_all(out, text, len, path);
	close(out);
	free(text);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s -o DIR [options] (--duration SECS | -- COMMAND [ARGS])\n"
		"  --mode normal|flight     buffer mode (normal)\n"
		"  --subbuf-size BYTES      sub-buffer size, power of 2 (262144)\n"
		"  --n-subbufs N            sub-buffers per CPU (8)\n"
		"  --switch-ms MS           periodic switch interval, 0 = off (100)\n"
		"  --events LIST|all        events to enable (all)\n"
		"  --stacks LIST            events recorded with their kernel stack (32 deep)\n"
		"  --pid LIST --tgid LIST --syscall LIST   in-kernel filters\n"
		"  --exclude-tgid LIST      processes never recorded\n"
		"  --kprobe NAME:SYMBOL[+OFF][:NARGS]  --kretprobe NAME:SYMBOL[+OFF]\n"
		"  --kernel-addrs           record kernel addresses\n"
		"  --delay-consume SECS     do not read buffers for SECS (overload test)\n",
		progname);
	exit(1);
}

int main(int argc, char **argv)
{
	char *events = NULL, *pids = NULL, *tgids = NULL, *sys = NULL;
	char *stacks = NULL;
	char *xtgids = NULL;
	char *kprobes[MAX_ITEMS], *kretprobes[MAX_ITEMS];
	int nkp = 0, nkrp = 0, i;
	double duration = -1, delay_consume = 0, t0;
	char **cmd = NULL;
	pid_t child = -1;
	int child_status = 0, go[2];
	static struct vigil_cpu_stats cs[MAX_CPUS];
	unsigned long long tw = 0, td = 0, tsaved = 0, tdropped = 0;
	unsigned long long tbig = 0, tfull = 0, tnested = 0;
	unsigned int bad_cpu = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			cmd = &argv[i + 1];
			if (!*cmd)
				die("--: no command");
			break;
		}
		if (!strcmp(a, "--kernel-addrs")) {
			cfg.flags |= VIGIL_CFG_KERNEL_ADDRS;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage();
		if (!v)
			die("%s needs a value", a);
		i++;
		if (!strcmp(a, "-o"))
			outdir = v;
		else if (!strcmp(a, "--mode")) {
			if (!strcmp(v, "normal"))
				cfg.mode = VIGIL_MODE_NORMAL;
			else if (!strcmp(v, "flight"))
				cfg.mode = VIGIL_MODE_FLIGHT;
			else
				die("--mode: '%s' is not normal or flight", v);
		} else if (!strcmp(a, "--subbuf-size"))
			cfg.subbuf_size = parse_num(a, v, UINT32_MAX);
		else if (!strcmp(a, "--n-subbufs"))
			cfg.n_subbufs = parse_num(a, v, UINT32_MAX);
		else if (!strcmp(a, "--switch-ms"))
			cfg.switch_interval_ms = parse_num(a, v, UINT32_MAX);
		else if (!strcmp(a, "--events"))
			events = argv[i];
		else if (!strcmp(a, "--stacks"))
			stacks = argv[i];
		else if (!strcmp(a, "--pid"))
			pids = argv[i];
		else if (!strcmp(a, "--tgid"))
			tgids = argv[i];
		else if (!strcmp(a, "--syscall"))
			sys = argv[i];
		else if (!strcmp(a, "--exclude-tgid"))
			xtgids = argv[i];
		else if (!strcmp(a, "--kprobe") && nkp < MAX_ITEMS)
			kprobes[nkp++] = argv[i];
		else if (!strcmp(a, "--kretprobe") && nkrp < MAX_ITEMS)
			kretprobes[nkrp++] = argv[i];
		else if (!strcmp(a, "--duration"))
			duration = parse_num(a, v, 86400);
		else if (!strcmp(a, "--delay-consume"))
			delay_consume = parse_num(a, v, 86400);
		else
			die("unknown option %s (try --help)", a);
	}
	if (!outdir)
		die("-o DIR is required");
	if (!cmd && duration < 0)
		die("give --duration SECS or -- COMMAND");
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", outdir, strerror(errno));

	dev = vigil_dev_open();
	if (!dev)
		die("open %s: %s (is vigil.ko loaded?)", VIGIL_DEV_PATH,
		    strerror(errno));
	if (vigil_dev_configure(dev, &cfg) < 0)
		die("configure (mode %u, subbuf-size %u, n-subbufs %u, switch-ms %u): %s%s",
		    cfg.mode, cfg.subbuf_size, cfg.n_subbufs,
		    cfg.switch_interval_ms, strerror(errno),
		    errno == EINVAL || errno == ENOMEM ?
		    " (the kernel log says which field)" : "");

	if (!events || !strcmp(events, "all")) {
		set_event("all", 1);
	} else {
		char *items[256];
		int n = split_list(events, items, 256, "--events");

		for (i = 0; i < n; i++)
			set_event(items[i], 1);
	}
	if (stacks) {
		char *items[256];
		int n = split_list(stacks, items, 256, "--stacks");

		for (i = 0; i < n; i++)
			set_stack(items[i]);
	}
	for (i = 0; i < nkp; i++)
		add_kprobe(kprobes[i], 0);
	for (i = 0; i < nkrp; i++)
		add_kprobe(kretprobes[i], 1);
	if (pids)
		set_filter(VIGIL_FILTER_PID, pids, "--pid");
	if (tgids)
		set_filter(VIGIL_FILTER_TGID, tgids, "--tgid");
	if (sys)
		set_filter(VIGIL_FILTER_SYSCALL, sys, "--syscall");
	if (xtgids)
		set_filter(VIGIL_FILTER_EXCLUDE_TGID, xtgids, "--exclude-tgid");

	ncpus = dev->ncpus < MAX_CPUS ? dev->ncpus : MAX_CPUS;
	if (vigil_dev_map(dev, &bad_cpu) < 0)
		die("buffer of cpu %u (VIGIL_IOC_BUFFER_FD + mmap of %zu bytes): %s",
		    bad_cpu, dev->map_size, strerror(errno));
	for (i = 0; i < (int)ncpus; i++) {
		char path[4096];
		struct cpu_out *c = &cpus[i];

		if (!dev->cpus[i].map)
			continue;	/* CPU not online at CONFIGURE */
		snprintf(path, sizeof(path), "%s/stream_%d", outdir, i);
		c->out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);
		if (c->out < 0)
			die("create %s: %s", path, strerror(errno));
		c->present = 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (cmd) {
		if (pipe2(go, O_CLOEXEC) < 0)
			die("pipe: %s", strerror(errno));
		child = fork();
		if (child < 0)
			die("fork: %s", strerror(errno));
		if (child == 0) {
			char c;

			close(go[1]);
			/* wait until tracing runs */
			if (read(go[0], &c, 1) != 1)
				_exit(127);
			execvp(cmd[0], cmd);
			fprintf(stderr, "%s: exec %s: %s\n", progname, cmd[0],
				strerror(errno));
			_exit(127);
		}
		close(go[0]);
	}

	check(vigil_dev_start(dev), "START");
	t0 = now_s();
	if (cmd) {
		if (write(go[1], "g", 1) != 1)
			die("cannot release the command: %s", strerror(errno));
		close(go[1]);
	}

	for (;;) {
		double t = now_s() - t0;

		if (stop_requested)
			break;
		if (cmd) {
			pid_t w = waitpid(child, &child_status, WNOHANG);

			if (w == child)
				break;
		} else if (t >= duration) {
			break;
		}
		if (cfg.mode == VIGIL_MODE_NORMAL && t >= delay_consume)
			drain();
		usleep(20000);
	}
	/* A command that exits right away: let the periodic switch pass. */

	if (cfg.mode == VIGIL_MODE_FLIGHT) {
		check(vigil_dev_pause(dev), "PAUSE");
		snapshot();
		check(vigil_dev_resume(dev), "RESUME");
		check(vigil_dev_stop(dev), "STOP");
	} else {
		check(vigil_dev_stop(dev), "STOP");
		/*
		 * STOP flushed the last partial packets.  A buffer that was
		 * full could not start a new packet, so events discarded at
		 * the end are not yet in any packet: drain, then flush twice
		 * (start an empty packet, then finish it with the final
		 * events_discarded total), draining after each.
		 */
		drain();
		check(vigil_dev_flush(dev), "FLUSH");
		drain();
		check(vigil_dev_flush(dev), "FLUSH");
		drain();
	}
	copy_metadata();

	check(vigil_dev_stats(dev, cs, MAX_CPUS, NULL, NULL), "STATS");
	for (i = 0; i < (int)ncpus; i++) {
		if (!cpus[i].present)
			continue;
		printf("cpu %d: written=%llu discarded=%llu produced=%llu consumed=%llu saved=%llu annotations_dropped=%llu too_big=%llu full=%llu nested=%llu\n",
		       i, (unsigned long long)cs[i].events_written,
		       (unsigned long long)cs[i].events_discarded,
		       (unsigned long long)cs[i].subbufs_produced,
		       (unsigned long long)cs[i].subbufs_consumed,
		       (unsigned long long)cpus[i].saved,
		       (unsigned long long)cs[i].annotations_dropped,
		       (unsigned long long)cs[i].discarded_too_big,
		       (unsigned long long)cs[i].discarded_full,
		       (unsigned long long)cs[i].discarded_nested);
		tw += cs[i].events_written;
		td += cs[i].events_discarded;
		tsaved += cpus[i].saved;
		tdropped += cs[i].annotations_dropped;
		tbig += cs[i].discarded_too_big;
		tfull += cs[i].discarded_full;
		tnested += cs[i].discarded_nested;
		close(cpus[i].out);
	}
	printf("total: written=%llu discarded=%llu saved_packets=%llu annotations_dropped=%llu too_big=%llu full=%llu nested=%llu\n",
	       tw, td, tsaved, tdropped, tbig, tfull, tnested);
	if (cmd) {
		if (WIFEXITED(child_status))
			printf("command: exit %d\n", WEXITSTATUS(child_status));
		else
			printf("command: signal %d\n", WTERMSIG(child_status));
	}
	vigil_dev_close(dev);
	return 0;
}
