// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-stress - hostile user space for /dev/vigil (issue 9).  Run as root
 * in the VM with vigil.ko loaded; the kernel's own checkers (on the debug
 * kernel: KASAN, lockdep, kmemleak, ...) and scripts/vm-run judge the
 * kernel side, this program judges what user space can see.
 *
 *   vigil-stress [--seconds N] [--threads N] [--seed N] [--no-hotplug]
 *
 * For N seconds, at once:
 *   - N control threads, each with its own /dev/vigil fd (re-opened now
 *     and then, which drops the session it may own): random CONFIGURE,
 *     EVENT, FILTER, START, STOP, FLUSH, PAUSE, RESUME, ADD_KPROBE,
 *     DEL_KPROBE, GET_POS, CONSUME, STATS, BUFFER_FD and METADATA_FD
 *     calls, half of them with bad sizes, bad or kernel pointers, unknown
 *     event ids, absurd buffer sizes, kprobes on missing or blacklisted
 *     symbols, and unknown ioctl numbers; each buffer fd is checked to
 *     refuse read() and writable mappings, mapped read-only and touched,
 *     and kept (fd and mapping) for a while, so that mappings outlive
 *     STOP, a new CONFIGURE and the close of the fd that owned the
 *     session; kept mappings are read again on every later BUFFER_FD;
 *   - two annotation writers flooding /dev/vigil_annotate (random sizes,
 *     bad buffers);
 *   - a workload thread making syscalls (the traced events);
 *   - a hotplug thread taking CPU 1 offline and online (unless
 *     --no-hotplug or there is no CPU 1);
 *   - an unload thread calling delete_module("vigil") while /dev/vigil is
 *     open: it must always fail with EBUSY or EAGAIN.
 * Prints "op <name> calls <n> ok <n>" per operation, "unload refused <n>",
 * "hotplug cycles <n>", "annotations <n>", then "stress ok" -- or
 * "stress FAILED: <why>" and exits 1 when something user space can see
 * went wrong (an unload that succeeded while attached, an errno outside
 * the documented set, a thread that hung past the end).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "vigil_abi.h"

enum op {
	OP_CONFIGURE, OP_EVENT, OP_FILTER, OP_START, OP_STOP, OP_FLUSH,
	OP_PAUSE, OP_RESUME, OP_ADD_KPROBE, OP_DEL_KPROBE, OP_GET_POS,
	OP_CONSUME, OP_STATS, OP_BUFFER_FD, OP_METADATA_FD, OP_BOGUS,
	OP_REOPEN, OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	"configure", "event", "filter", "start", "stop", "flush", "pause",
	"resume", "add_kprobe", "del_kprobe", "get_pos", "consume", "stats",
	"buffer_fd", "metadata_fd", "bogus_ioctl", "reopen",
};

static atomic_ulong calls[OP_COUNT], oks[OP_COUNT];
static atomic_ulong unload_refused, hotplug_cycles, annotations;
static atomic_int stop_all;
static unsigned long op_mask = ~0ul;	/* --ops: the operations drawn */
static unsigned int n_annotators = 2;		/* --annotators */
static char failure[256];
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *fmt, const char *a, int e)
{
	pthread_mutex_lock(&failure_lock);
	if (!failure[0])
		snprintf(failure, sizeof(failure), fmt, a, e ? strerror(e) : "");
	pthread_mutex_unlock(&failure_lock);
}

/* Per-thread xorshift: reproducible from --seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Pointers no ioctl may follow: NULL, low, non-canonical, kernel text. */
static void *bad_ptr(uint64_t *s)
{
	static const uintptr_t bad[] = {
		0, 1, 4096, 0x8000000000000000ull, 0xffffffff81000000ull,
		0xffff888000000000ull, 0xfffffffffffff000ull,
	};
	return (void *)bad[rnd(s) % (sizeof(bad) / sizeof(bad[0]))];
}

/* errnos an ioctl of /dev/vigil may give; anything else is reported */
static int errno_ok(int e)
{
	switch (e) {
	case EINVAL: case EFAULT: case EBUSY: case ENOENT: case EEXIST:
	case ENOTTY: case EPERM: case EACCES: case EAGAIN: case ENOSPC:
	case ENOMEM: case E2BIG: case ERANGE: case EOVERFLOW: case ENOTCONN:
	case ENODEV: case EOPNOTSUPP: case EMSGSIZE: case EINTR:
		return 1;
	}
	return 0;
}

static void account(enum op op, int r)
{
	atomic_fetch_add(&calls[op], 1);
	if (r == 0)
		atomic_fetch_add(&oks[op], 1);
	else if (!errno_ok(errno))
		fail("ioctl %s: unexpected errno: %s", op_name[op], errno);
}

static const char *const event_names[] = {
	"all", "raw_syscalls:sys_enter", "sched:sched_switch",
	"irq:irq_handler_entry", "block:block_rq_issue",
	"net:netif_receive_skb", "exceptions:page_fault_user",
	"no:such_event", "", "sched:", ":sched_switch",
};

static const char *const kprobe_syms[] = {
	"__x64_sys_getppid", "__x64_sys_getpid", "vfs_read",
	"no_such_symbol_vigil", "do_int3", "kprobe_ftrace_handler",
	"nmi_handle", "__x64_sys_getppid+0x100000", "",
};

/*
 * Buffer fds and their mappings a control thread keeps for a while, so
 * that they outlive STOP, a new CONFIGURE and the close of the owner fd
 * (the module must keep the buffer alive for them).  buf_bytes: the size
 * of the buffers of this thread's last successful CONFIGURE.
 */
#define KEEP 4
struct kept {
	int fd;			/* > 0 when kept */
	void *map;		/* NULL when the mapping was refused */
	size_t len;
};
static __thread struct kept kept[KEEP];
static __thread size_t buf_bytes;

static void release(struct kept *k)
{
	if (k->map)
		munmap(k->map, k->len);
	if (k->fd > 0)
		close(k->fd);
	memset(k, 0, sizeof(*k));
}

/* A new buffer fd: what it must refuse, what it must allow; kept in
 * place of a random older one. */
static void use_buffer_fd(int bfd, uint64_t *s)
{
	size_t len = buf_bytes ? (buf_bytes + 4095) & ~(size_t)4095 : 4096;
	struct kept *k = &kept[rnd(s) % KEEP];
	struct pollfd pf = { .fd = bfd, .events = POLLIN };
	char c;
	void *m;
	int i;

	if (read(bfd, &c, 1) >= 0)
		fail("%s: read() of a buffer fd succeeded", "buffer_fd", 0);
	errno = 0;	/* a succeeding lseek() leaves errno alone */
	if (lseek(bfd, 0, SEEK_SET) != -1 || errno != ESPIPE)
		fail("%s: lseek() of a buffer fd did not fail with ESPIPE: %s", "buffer_fd", errno);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	if (m != MAP_FAILED) {
		fail("%s: a buffer fd was mapped writable", "buffer_fd", 0);
		munmap(m, len);
	}
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, bfd, 0);
	if (m != MAP_FAILED) {
		(void)((volatile const char *)m)[0];
		(void)((volatile const char *)m)[len - 1];
	}
	poll(&pf, 1, 0);
	/* the older mappings, whatever became of their sessions */
	for (i = 0; i < KEEP; i++)
		if (kept[i].map)
			(void)((volatile const char *)kept[i].map)[kept[i].len - 1];
	release(k);
	k->fd = bfd;
	k->map = m == MAP_FAILED ? NULL : m;
	k->len = len;
}

static void one_ioctl(int fd, uint64_t *s)
{
	enum op op;
	int hostile = rnd(s) & 1;
	struct vigil_config c;
	struct vigil_event_req e;
	struct vigil_filter f;
	struct vigil_kprobe_req k;
	struct vigil_cpu_pos p;
	struct vigil_stats st;
	struct vigil_cpu_stats cs[8];
	struct vigil_buffer_req b;
	char text[256];
	int32_t ids[4] = { 1, (int32_t)getpid(), 0, -1 };
	int r;

	do
		op = rnd(s) % OP_BOGUS + (rnd(s) % 16 == 0);	/* some bogus */
	while (!(op_mask & (1ul << op)));

	switch (op) {
	case OP_CONFIGURE:
		memset(&c, 0, sizeof(c));
		c.abi_version = VIGIL_ABI_VERSION;
		c.mode = rnd(s) % 2;
		c.subbuf_size = 4096u << (rnd(s) % 3);
		c.n_subbufs = 2 + rnd(s) % 6;
		c.switch_interval_ms = rnd(s) % 3 ? 10 : 0;
		if (hostile) {
			switch (rnd(s) % 6) {
			case 0: c.subbuf_size = (uint32_t)rnd(s); break;
			case 1: c.n_subbufs = (uint32_t)rnd(s); break;
			case 2: c.subbuf_size = 64u << 20; c.n_subbufs = 4096; break;
			case 3: c.abi_version = (uint32_t)rnd(s); break;
			case 4: c.reserved[rnd(s) % 4] = rnd(s) | 1; break;
			case 5: c.mode = (uint32_t)rnd(s); break;
			}
		}
		r = ioctl(fd, VIGIL_IOC_CONFIGURE, hostile && rnd(s) % 4 == 0 ? bad_ptr(s) : (void *)&c);
		if (r == 0)
			buf_bytes = (size_t)c.subbuf_size * c.n_subbufs;
		break;
	case OP_EVENT:
		memset(&e, 0, sizeof(e));
		snprintf(e.name, sizeof(e.name), "%s",
			 event_names[rnd(s) % (sizeof(event_names) / sizeof(event_names[0]))]);
		e.enable = rnd(s) % 2;
		if (hostile && rnd(s) % 3 == 0)
			memset(e.name, 'x', sizeof(e.name));	/* no NUL */
		if (hostile && rnd(s) % 3 == 0)
			e.reserved = 1;
		r = ioctl(fd, VIGIL_IOC_EVENT, hostile && rnd(s) % 4 == 0 ? bad_ptr(s) : (void *)&e);
		break;
	case OP_FILTER:
		memset(&f, 0, sizeof(f));
		f.type = rnd(s) % (VIGIL_FILTER_TYPE_MAX + 1);
		f.count = rnd(s) % 4;
		f.ids = (uintptr_t)ids;
		if (f.type == VIGIL_FILTER_EXCLUDE_TGID || f.type == VIGIL_FILTER_TGID ||
		    f.type == VIGIL_FILTER_PID)
			f.count = rnd(s) % 2;	/* keep our own events mostly */
		if (hostile) {
			switch (rnd(s) % 4) {
			case 0: f.type = (uint32_t)rnd(s); break;
			case 1: f.count = (uint32_t)rnd(s); break;
			case 2: f.ids = (uintptr_t)bad_ptr(s); f.count = 1 + rnd(s) % 1024; break;
			case 3: f.count = VIGIL_FILTER_MAX_IDS + 1; break;
			}
		}
		r = ioctl(fd, VIGIL_IOC_FILTER, &f);
		break;
	case OP_START:
		r = ioctl(fd, VIGIL_IOC_START, 0);
		break;
	case OP_STOP:
		r = ioctl(fd, VIGIL_IOC_STOP, 0);
		break;
	case OP_FLUSH:
		r = ioctl(fd, VIGIL_IOC_FLUSH, 0);
		break;
	case OP_PAUSE:
		r = ioctl(fd, VIGIL_IOC_PAUSE, 0);
		break;
	case OP_RESUME:
		r = ioctl(fd, VIGIL_IOC_RESUME, 0);
		break;
	case OP_ADD_KPROBE:
	case OP_DEL_KPROBE:
		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "st%u", (unsigned int)(rnd(s) % 8));
		snprintf(k.symbol, sizeof(k.symbol), "%s",
			 kprobe_syms[rnd(s) % (sizeof(kprobe_syms) / sizeof(kprobe_syms[0]))]);
		k.nargs = rnd(s) % 7;
		k.retprobe = rnd(s) % 2;
		if (hostile) {
			switch (rnd(s) % 4) {
			case 0: k.nargs = (uint32_t)rnd(s); break;
			case 1: k.offset = rnd(s); break;
			case 2: memset(k.symbol, 'A', sizeof(k.symbol)); break;
			case 3: k.reserved = 1; break;
			}
		}
		r = ioctl(fd, op == OP_ADD_KPROBE ? VIGIL_IOC_ADD_KPROBE : VIGIL_IOC_DEL_KPROBE,
			  hostile && rnd(s) % 4 == 0 ? bad_ptr(s) : (void *)&k);
		break;
	case OP_GET_POS:
	case OP_CONSUME:
		memset(&p, 0, sizeof(p));
		p.cpu = hostile ? (uint32_t)rnd(s) : rnd(s) % 2;
		r = ioctl(fd, VIGIL_IOC_GET_POS, &p);
		if (op == OP_CONSUME) {
			/* a reader: consume what was produced, or nonsense */
			if (hostile)
				p.consumed = rnd(s) % 3 ? p.consumed + rnd(s) % 10000 : rnd(s);
			else
				p.consumed = p.produced;
			r = ioctl(fd, VIGIL_IOC_CONSUME, &p);
		}
		break;
	case OP_STATS:
		memset(&st, 0, sizeof(st));
		st.ncpus = hostile ? (uint32_t)rnd(s) % 64 : 8;
		st.buf = hostile && rnd(s) % 2 ? (uintptr_t)bad_ptr(s) : (uintptr_t)cs;
		if (st.ncpus > 8 && st.buf == (uintptr_t)cs)
			st.ncpus = 8;
		r = ioctl(fd, VIGIL_IOC_STATS, &st);
		break;
	case OP_BUFFER_FD:
		memset(&b, 0, sizeof(b));
		b.cpu = hostile ? (uint32_t)rnd(s) % 8 : rnd(s) % 2;
		if (hostile && rnd(s) % 3 == 0)
			b.flags = 1;
		if (hostile && rnd(s) % 3 == 0)
			b.reserved = rnd(s) | 1;
		r = ioctl(fd, VIGIL_IOC_BUFFER_FD,
			  hostile && rnd(s) % 4 == 0 ? bad_ptr(s) : (void *)&b);
		if (r >= 0) {
			use_buffer_fd(r, s);
			r = 0;
		}
		break;
	case OP_METADATA_FD:
		r = ioctl(fd, VIGIL_IOC_METADATA_FD, 0);
		if (r >= 0) {
			if (read(r, text, sizeof(text)) <= 0)
				fail("%s: the metadata fd reads nothing: %s", "metadata_fd", errno);
			close(r);
			r = 0;
		}
		break;
	default:
		op = OP_BOGUS;
		r = ioctl(fd, _IOC(rnd(s) % 4, 'V', 16 + rnd(s) % 200, rnd(s) % 512),
			  bad_ptr(s));
		if (r < 0 && errno == ENOTTY)
			errno = EINVAL;	/* the expected answer, either way */
		break;
	}
	account(op, r);
}

struct ctl_arg {
	uint64_t seed;
};

static void *control_thread(void *p)
{
	uint64_t s = ((struct ctl_arg *)p)->seed;
	int fd = open(VIGIL_DEV_PATH, O_RDWR);

	while (!atomic_load(&stop_all)) {
		if (fd < 0 || rnd(&s) % 200 == 0) {
			/* drop the fd (and the session it may own) */
			if (fd >= 0)
				close(fd);
			fd = open(VIGIL_DEV_PATH, O_RDWR);
			atomic_fetch_add(&calls[OP_REOPEN], 1);
			if (fd < 0) {
				fail("open %s: %s", VIGIL_DEV_PATH, errno);
				break;
			}
			atomic_fetch_add(&oks[OP_REOPEN], 1);
		}
		one_ioctl(fd, &s);
	}
	for (int i = 0; i < KEEP; i++)
		release(&kept[i]);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *annotate_thread(void *p)
{
	uint64_t s = ((struct ctl_arg *)p)->seed;
	static char buf[16384];
	int fd = open(VIGIL_ANNOTATE_PATH, O_WRONLY);

	memset(buf, 'a', sizeof(buf));
	if (fd < 0) {
		fail("open %s: %s", VIGIL_ANNOTATE_PATH, errno);
		return NULL;
	}
	while (!atomic_load(&stop_all)) {
		size_t n = rnd(&s) % 5 == 0 ? rnd(&s) % sizeof(buf) : rnd(&s) % 200;
		const void *b = rnd(&s) % 10 == 0 ? bad_ptr(&s) : buf;

		if (write(fd, b, n) >= 0)
			atomic_fetch_add(&annotations, 1);
	}
	close(fd);
	return NULL;
}

static void *workload_thread(void *p)
{
	(void)p;
	while (!atomic_load(&stop_all)) {
		int fd = open("/proc/self/stat", O_RDONLY);
		char b[256];

		if (fd >= 0) {
			if (read(fd, b, sizeof(b)) < 0)
				b[0] = 0;
			close(fd);
		}
		syscall(SYS_getppid);
		usleep(100);
	}
	return NULL;
}

static int write_str(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);
	int r;

	if (fd < 0)
		return -1;
	r = write(fd, v, strlen(v)) < 0 ? -1 : 0;
	close(fd);
	return r;
}

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

static void *hotplug_thread(void *p)
{
	(void)p;
	while (!atomic_load(&stop_all)) {
		if (write_str(CPU1_ONLINE, "0") == 0) {
			usleep(150000);
			if (write_str(CPU1_ONLINE, "1") != 0)
				fail("%s: cannot bring CPU 1 back: %s", CPU1_ONLINE, errno);
			else
				atomic_fetch_add(&hotplug_cycles, 1);
		}
		usleep(150000);
	}
	write_str(CPU1_ONLINE, "1");
	return NULL;
}

static void *unload_thread(void *p)
{
	int fd = open(VIGIL_DEV_PATH, O_RDWR);	/* attached for sure */

	(void)p;
	while (!atomic_load(&stop_all)) {
		if (syscall(SYS_delete_module, "vigil", O_NONBLOCK) == 0) {
			fail("delete_module(%s) succeeded while /dev/vigil is open%s", "vigil", 0);
			break;
		}
		if (errno == EBUSY || errno == EAGAIN || errno == EWOULDBLOCK)
			atomic_fetch_add(&unload_refused, 1);
		else
			fail("delete_module(%s): unexpected errno: %s", "vigil", errno);
		usleep(20000);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* "--ops configure,start,stop": only these operations (names as printed). */
static int parse_ops(char *list)
{
	char *save = NULL, *tok;

	op_mask = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i <= OP_BOGUS; i++)
			if (!strcmp(tok, op_name[i]))
				break;
		if (i > OP_BOGUS) {
			fprintf(stderr, "vigil-stress: --ops: unknown operation '%s'\n", tok);
			return -1;
		}
		op_mask |= 1ul << i;
	}
	if (!op_mask) {
		fprintf(stderr, "vigil-stress: --ops: no operation given\n");
		return -1;
	}
	return 0;
}

static void usage(FILE *f, const char *argv0)
{
	fprintf(f, "usage: %s [--seconds N] [--threads N] [--seed N] [--no-hotplug]\n"
		"       [--no-unload] [--annotators N] [--ops OP,OP,...]\n", argv0);
}

int main(int argc, char **argv)
{
	unsigned int seconds = 10, nthreads = 4, i;
	uint64_t seed = (uint64_t)time(NULL);
	int hotplug = 1, unload = 1;
	pthread_t th[64];
	struct ctl_arg args[64];
	unsigned int n = 0;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < (unsigned int)argc)
			seconds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads") && i + 1 < (unsigned int)argc)
			nthreads = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < (unsigned int)argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--no-hotplug"))
			hotplug = 0;
		else if (!strcmp(argv[i], "--no-unload"))
			unload = 0;
		else if (!strcmp(argv[i], "--annotators") && i + 1 < (unsigned int)argc)
			n_annotators = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops") && i + 1 < (unsigned int)argc) {
			if (parse_ops(argv[++i]))
				return 2;
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 48 || n_annotators > 8) {
		fprintf(stderr, "vigil-stress: --threads must be 1..48, --annotators 0..8\n");
		return 2;
	}
	if (access(CPU1_ONLINE, W_OK) != 0)
		hotplug = 0;
	printf("seed %llu\n", (unsigned long long)seed);
	fflush(stdout);

	for (i = 0; i < nthreads + n_annotators; i++) {
		args[n].seed = seed + 7919 * (i + 1);
		if (pthread_create(&th[n], NULL, i < nthreads ? control_thread : annotate_thread,
				   &args[n]) == 0)
			n++;
	}
	if (pthread_create(&th[n], NULL, workload_thread, NULL) == 0)
		n++;
	if (unload && pthread_create(&th[n], NULL, unload_thread, NULL) == 0)
		n++;
	if (hotplug && pthread_create(&th[n], NULL, hotplug_thread, NULL) == 0)
		n++;

	sleep(seconds);
	atomic_store(&stop_all, 1);
	/* a thread stuck in the kernel would hang here: vm-run's limit */
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);

	for (i = 0; i < OP_COUNT; i++)
		printf("op %s calls %lu ok %lu\n", op_name[i],
		       atomic_load(&calls[i]), atomic_load(&oks[i]));
	printf("unload refused %lu\n", atomic_load(&unload_refused));
	printf("hotplug cycles %lu\n", atomic_load(&hotplug_cycles));
	printf("annotations %lu\n", atomic_load(&annotations));
	if (failure[0]) {
		printf("stress FAILED: %s\n", failure);
		return 1;
	}
	printf("stress ok\n");
	return 0;
}
