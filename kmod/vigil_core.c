// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_core.c - the probes generated from vigil_events.h, the record
 * writer, in-kernel filters, tracepoint attach/detach and the statedump.
 *
 * Writer rules (every probe, kprobe handler and own event):
 *   1. interrupts off (local_irq_save) for the whole record: relay's
 *      reserve is per-CPU and not reentrant, and interrupt handlers
 *      (irq, softirq, page fault, block completion tracepoints) nest
 *      over syscalls on the same CPU;
 *   2. a per-CPU nesting guard (vigil_enter()) rejects, and counts as
 *      discarded (nested), what can still nest with interrupts off:
 *      kprobes on functions called by the writer itself, exceptions, NMIs;
 *   3. filters, then the size of the record, then vigil_reserve(), then
 *      the timestamp (taken after the reservation, so it is never
 *      older than the timestamp_begin of the packet that holds it);
 *   4. nothing sleeps, faults or allocates: user memory is read into
 *      per-CPU scratch buffers with page faults disabled (a fault ends
 *      the copy): copy_from_user_nofault() for bytes,
 *      strncpy_from_user() under pagefault_disable() for strings.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/cred.h>
#include <linux/uaccess.h>
#include <linux/tracepoint.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/binfmts.h>
#include <linux/interrupt.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/blktrace_api.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/signal.h>
#include <linux/compat.h>
#include <linux/workqueue.h>
#include <linux/cgroup.h>
#include <linux/stacktrace.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "vigil_internal.h"
#include "vigil_compat.h"

int vigil_active;
int vigil_paused;
u32 vigil_flags;
struct vigil_idset __rcu *vigil_pid_set;
struct vigil_idset __rcu *vigil_tgid_set;
struct vigil_idset __rcu *vigil_excl_set;
struct vigil_sysset __rcu *vigil_sys_set;

#define VIGIL_STR_MAX	4096	/* longest string field, incl. NUL */

/* ---- helpers used by the event table ------------------------------ */

static __always_inline bool vigil_syscall_wanted(long id)
{
	struct vigil_sysset *s = rcu_dereference_sched(vigil_sys_set);

	if (!s)
		return true;
	if (id < 0 || id >= NR_syscalls)
		return false;
	return test_bit(id, s->bits);
}

static __always_inline bool vigil_event_on(unsigned int id)
{
	return READ_ONCE(vigil_active) && test_bit(id, vigil.enabled);
}

/*
 * Reserve a record of @size bytes (event header included) in this
 * CPU's current sub-buffer of the event's channel and write the header.
 * Interrupts are off and the nesting guard (vigil_enter()) is held.
 * Returns where the payload goes, or NULL when the event is discarded,
 * counted by cause (see enum vigil_discard_cause) in the channel's
 * counters; the channel's next finalized packet reports the running
 * total in events_discarded.
 *
 * The event's channel comes from vigil.event_chan[], which changes only
 * while no writer runs (EVENT_CHANNEL refuses while running; START
 * attaches the probes after it, and tracepoint or kprobe registration
 * publishes what was written before it to the probe).  A channel's
 * rchan is set at CONFIGURE/ADD_CHANNEL, also before any writer runs,
 * and cleared only once writers are gone; 'paused' may change under us
 * (PAUSE waits with synchronize_rcu() for writers that missed it).
 *
 * This is relay_reserve() with two checks it lacks: a CPU may have no
 * buffer (relay could not allocate one when it came online), and a
 * record that cannot fit after the packet header is refused before
 * relay would finish the current packet for it and then drop it anyway
 * (an empty packet for nothing, history lost in flight mode).
 */
notrace char *vigil_reserve(struct vigil_cpu *vc, size_t size, u16 id)
{
	struct vigil_event_header h;
	struct vigil_channel *ch = &vigil.chans[vigil.event_chan[id]];
	struct vigil_chan_cpu *cc = &vc->ch[ch->index];
	struct rchan *chan = READ_ONCE(ch->rchan);
	struct rchan_buf *buf;
	char *p;

	if (unlikely(READ_ONCE(ch->paused) || !chan)) {
		vigil_discard(cc, VIGIL_DISCARD_PAUSED);
		return NULL;
	}
	if (unlikely(size > chan->subbuf_size - VIGIL_PACKET_HDR_SIZE)) {
		vigil_discard(cc, VIGIL_DISCARD_TOO_BIG);
		return NULL;
	}
	buf = *this_cpu_ptr(chan->buf);
	if (unlikely(!buf)) {
		vigil_discard(cc, VIGIL_DISCARD_FULL);
		return NULL;
	}
	if (unlikely(buf->offset + size > chan->subbuf_size)) {
		/* Calls vigil_subbuf_start() (finalize + new packet
		 * header); 0 when no sub-buffer is free (normal mode). */
		if (!relay_switch_subbuf(buf, size)) {
			vigil_discard(cc, VIGIL_DISCARD_FULL);
			return NULL;
		}
	}
	p = buf->data + buf->offset;
	buf->offset += size;
	h.id = id;
	h.timestamp = ktime_get_mono_fast_ns();
	h.tid = current->pid;
	memcpy(p, &h, sizeof(h));
	local_inc(&cc->written);
	cc->has_events = true;
	return p + sizeof(h);
}

static __always_inline const char *vigil_str(const char *s)
{
	return s ? s : "";
}

/*
 * strnlen() as a plain loop (the kernel's generic strnlen() is one too).
 * With the one bound for every string field, VIGIL_STR_MAX - 1, the
 * compiler's -Wstringop-overread flags the fortified strnlen() of a
 * 16-byte device name on the debug kernel, although the scan stops at
 * the name's NUL.
 */
static __always_inline size_t vigil_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/*
 * Copy a string field whose length was measured in the sizing phase.
 * The source may have changed since (a device rename); the record keeps
 * the measured length: shorter text is padded with spaces so no NUL can
 * appear before the terminator the reader relies on.
 */
static __always_inline char *vigil_put_str(char *dst, const char *src,
					   size_t len)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	memset(dst + n, ' ', len - 1 - n);
	dst[len - 1] = '\0';
	return dst + len;
}

static __always_inline char *vigil_put_chars(char *dst, const char *src,
					     size_t len)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	memset(dst + n, 0, len - n);
	return dst + len;
}

/*
 * The kernel stack of an event whose VIGIL_IOC_STACK depth is not 0, into
 * this CPU's scratch (the nesting guard makes it ours), before the record
 * is sized.  Skips the probe itself: the innermost address is its caller
 * (the tracepoint's, or __traceiter_NAME).
 */
static __always_inline unsigned int vigil_save_stack(struct vigil_cpu *vc,
						     unsigned int depth)
{
	return stack_trace_save(vc->stack, depth, 1);
}

/* The callchain sequence after the fields: u16 count, then u64 addresses. */
static __always_inline char *vigil_put_stack(char *dst,
					     const unsigned long *ips,
					     unsigned int n)
{
	u16 cnt = n;
	unsigned int i;

	memcpy(dst, &cnt, sizeof(cnt));
	dst += sizeof(cnt);
	for (i = 0; i < n; i++) {
		u64 ip = ips[i];

		memcpy(dst, &ip, sizeof(ip));
		dst += sizeof(ip);
	}
	return dst;
}

/* sched_switch prev_state as the kernel's tracepoint reports it. */
static __always_inline long vigil_switch_state(bool preempt,
					       unsigned int prev_state,
					       struct task_struct *p)
{
	unsigned int state;

	if (preempt)
		return TASK_REPORT_MAX;
	state = __task_state_index(prev_state, p->exit_state);
	return state ? (1 << (state - 1)) : state;
}

/*
 * The parent's process id, as task_ppid_nr_ns() reads it: real_parent
 * is valid only while @p is still hashed (pid_alive()); a reaped task
 * (pinned by a reference, as in the statedump) may point to a parent
 * that has been freed since.  0 for a reaped task.
 */
static notrace int vigil_task_ppid(struct task_struct *p)
{
	int ppid = 0;

	rcu_read_lock();
	if (pid_alive(p))
		ppid = rcu_dereference(p->real_parent)->tgid;
	rcu_read_unlock();
	return ppid;
}

static notrace u32 vigil_task_uid(struct task_struct *p)
{
	u32 uid;

	rcu_read_lock();
	uid = from_kuid_munged(&init_user_ns, task_uid(p));
	rcu_read_unlock();
	return uid;
}

/*
 * The id of @t's cgroup v2 directory (its kernfs node id: the inode
 * number user space sees under the cgroup2 mount), as
 * cgroup_id(task_dfl_cgroup()) gives it.  t->cgroups is replaced on a
 * migration and the old css_set freed after an RCU grace period, so it
 * is read under rcu_read_lock().  Without CONFIG_CGROUPS every task is
 * in the root, id 1.
 */
#ifdef CONFIG_CGROUPS
static notrace u64 vigil_task_cgroup_id(struct task_struct *t)
{
	u64 id;

	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(t));
	rcu_read_unlock();
	return id;
}

/* cgroup_attach_task's cgroup (pinned by the migration in progress):
 * its hierarchy (0: cgroup v2), depth and id */
static __always_inline int vigil_cgroup_root(struct cgroup *c)
{
	return c->root->hierarchy_id;
}

static __always_inline int vigil_cgroup_level(struct cgroup *c)
{
	return c->level;
}

static __always_inline u64 vigil_cgroup_id(struct cgroup *c)
{
	return cgroup_id(c);
}
#else
/* No cgroups: the tracepoint never fires; every task is in the root. */
static notrace u64 vigil_task_cgroup_id(struct task_struct *t)
{
	return 1;
}

static __always_inline int vigil_cgroup_root(struct cgroup *c)
{
	return 0;
}

static __always_inline int vigil_cgroup_level(struct cgroup *c)
{
	return 0;
}

static __always_inline u64 vigil_cgroup_id(struct cgroup *c)
{
	return 1;
}
#endif

static __always_inline int vigil_siginfo_errno(struct kernel_siginfo *info)
{
	if (info == SEND_SIG_NOINFO || info == SEND_SIG_PRIV)
		return 0;
	return info->si_errno;
}

static __always_inline int vigil_siginfo_code(struct kernel_siginfo *info)
{
	if (info == SEND_SIG_NOINFO)
		return SI_USER;
	if (info == SEND_SIG_PRIV)
		return SI_KERNEL;
	return info->si_code;
}

static __always_inline u32 vigil_rq_dev(struct request *rq)
{
	return rq->q->disk ? disk_devt(rq->q->disk) : 0;
}

static __always_inline void vigil_fill_rwbs(char *rwbs, struct request *rq)
{
	memset(rwbs, 0, 8);
	blk_fill_rwbs(rwbs, rq->cmd_flags);
}

/*
 * Copy user bytes without faulting or sleeping, in chunks that never
 * cross a page (copy_from_user_nofault fails as a whole if any byte of
 * the range is not mapped).  Returns the number of bytes copied: those
 * before the first page that could not be read.
 */
static notrace size_t vigil_copy_user_bytes(char *dst, unsigned long src,
					    size_t len)
{
	size_t done = 0;

	while (done < len) {
		unsigned long addr = src + done;
		size_t chunk = min_t(size_t, PAGE_SIZE - offset_in_page(addr),
				     len - done);

		if (copy_from_user_nofault(dst + done,
					   (const void __user *)addr, chunk))
			break;
		done += chunk;
	}
	return done;
}

/*
 * Copy a user string into dst (size bytes, NUL-terminated) without
 * faulting or sleeping.  With page faults disabled, a fault in
 * strncpy_from_user() ends the copy with -EFAULT instead of sleeping; it
 * reads a word at a time (a byte at a time only up to a page that cannot
 * be read, so a string ending just before one is still whole) and stops
 * at the NUL, so a 40-byte path costs 40 bytes.  This is what the
 * kernel's strncpy_from_user_nofault() does; that one is not exported.
 * Returns the length, size - 1 for a string that did not fit (kept
 * truncated), or -EFAULT when it could not be read up to its NUL.
 */
static notrace long vigil_copy_user_str(char *dst, unsigned long src,
					long size)
{
	long n;

	pagefault_disable();
	n = strncpy_from_user(dst, (const char __user *)src, size - 1);
	pagefault_enable();
	if (n >= 0)
		dst[n] = '\0';
	return n;
}

/* Which argument of each syscall (x86-64 numbering) is a path: index+1. */
static const u8 vigil_path_args[NR_syscalls] = {
#define P(nr, arg) [nr] = (arg) + 1
	P(__NR_open, 0), P(__NR_openat, 1), P(__NR_openat2, 1),
	P(__NR_creat, 0), P(__NR_execve, 0), P(__NR_execveat, 1),
	P(__NR_stat, 0), P(__NR_lstat, 0), P(__NR_newfstatat, 1),
	P(__NR_statx, 1), P(__NR_access, 0), P(__NR_faccessat, 1),
	P(__NR_faccessat2, 1), P(__NR_unlink, 0), P(__NR_unlinkat, 1),
	P(__NR_rename, 0), P(__NR_renameat, 1), P(__NR_renameat2, 1),
	P(__NR_mkdir, 0), P(__NR_mkdirat, 1), P(__NR_rmdir, 0),
	P(__NR_chdir, 0), P(__NR_chroot, 0), P(__NR_chmod, 0),
	P(__NR_fchmodat, 1), P(__NR_chown, 0), P(__NR_lchown, 0),
	P(__NR_fchownat, 1), P(__NR_link, 0), P(__NR_linkat, 1),
	P(__NR_symlink, 1), P(__NR_symlinkat, 2), P(__NR_readlink, 0),
	P(__NR_readlinkat, 1), P(__NR_truncate, 0), P(__NR_mknod, 0),
	P(__NR_mknodat, 1), P(__NR_utimensat, 1), P(__NR_utime, 0),
	P(__NR_utimes, 0), P(__NR_futimesat, 1), P(__NR_statfs, 0),
	P(__NR_mount, 1), P(__NR_umount2, 0), P(__NR_setxattr, 0),
	P(__NR_lsetxattr, 0), P(__NR_getxattr, 0), P(__NR_lgetxattr, 0),
	P(__NR_listxattr, 0), P(__NR_llistxattr, 0),
	P(__NR_removexattr, 0), P(__NR_lremovexattr, 0),
	P(__NR_swapon, 0), P(__NR_swapoff, 0), P(__NR_acct, 0),
	P(__NR_pivot_root, 0), P(__NR_inotify_add_watch, 1),
	P(__NR_name_to_handle_at, 1), P(__NR_open_tree, 1),
	P(__NR_mount_setattr, 1),
#undef P
};

struct vigil_sysenter {
	u64 args[6];
	u8 path_arg;
	u8 path_status;		/* 0 no path arg, 1 read, 2 unreadable */
	u16 path_len;		/* strlen(path), < VIGIL_PATH_MAX */
	const char *path;
};
static_assert(VIGIL_PATH_MAX - 1 <= U16_MAX &&
	      VIGIL_PATH_MAX <= VIGIL_STR_MAX,
	      "a path's length fits path_len and a string field");

static notrace void vigil_sysenter_prep(struct vigil_sysenter *si,
					struct vigil_cpu *vc,
					struct pt_regs *regs, long id)
{
	unsigned long args[6];
	unsigned int a;
	long n;
	int i;

	syscall_get_arguments(current, regs, args);
	for (i = 0; i < 6; i++)
		si->args[i] = args[i];
	si->path_arg = 0;
	si->path_status = 0;
	si->path_len = 0;
	si->path = "";
	/* The table has native numbers only; 32-bit tasks use others. */
	if (id < 0 || id >= NR_syscalls || in_compat_syscall())
		return;
	a = vigil_path_args[id];
	if (!a)
		return;
	si->path_arg = a - 1;
	/* longer than PATH_MAX: the truncated text is kept */
	n = vigil_copy_user_str(vc->path, args[a - 1], VIGIL_PATH_MAX);
	if (n < 0) {
		si->path_status = 2;
		return;
	}
	si->path_status = 1;
	si->path_len = n;
	si->path = vc->path;
}

/* The new program's arguments, NULs turned to spaces, at most 1 KiB. */
static notrace const char *vigil_exec_argv(struct vigil_cpu *vc)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end;
	size_t n, i;

	if (!mm)
		return "";
	start = READ_ONCE(mm->arg_start);
	end = READ_ONCE(mm->arg_end);
	if (end <= start)
		return "";
	n = vigil_copy_user_bytes(vc->argv, start,
				  min_t(size_t, end - start, VIGIL_ARGV_MAX - 1));
	while (n && vc->argv[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (vc->argv[i] == '\0')
			vc->argv[i] = ' ';
	vc->argv[n] = '\0';
	return vc->argv;
}

/* ---- pass 0: compile-time check of the table ---------------------- */

#define VG_PROTO(...)	__VA_ARGS__
#define VG_LOCALS(...)	__VA_ARGS__
#define VG_PREP(...)	__VA_ARGS__
#define VG_FIELDS(...)	__VA_ARGS__
#define VF_INT(ctype, tsdltype, field, expr)
#define VF_HEX(field, expr)
#define VF_KADDR(field, expr)
#define VF_ARRAY(ctype, tsdltype, field, n, src)
#define VF_CHARS(field, n, src)
#define VF_STRING(field, src)	+ 1
#define VF_STRLEN(field, src, len)
#define VIGIL_EVENT(cname, subsys, name, kind, about, proto, locals, prep, \
		    fields) \
	static_assert(0 fields <= 4, "event " #cname ": more than 4 strings");
#include "vigil_events.h"
#undef VIGIL_EVENT
#undef VF_INT
#undef VF_HEX
#undef VF_KADDR
#undef VF_ARRAY
#undef VF_CHARS
#undef VF_STRING
#undef VF_STRLEN

/* ---- pass 1: the probe functions ---------------------------------- */

/*
 * Each field is visited twice: phase 0 adds its size to vg_sz (string
 * lengths are remembered in vg_slen[]), phase 1 writes it at vg_p.
 */
#define VF_INT(ctype, tsdltype, field, expr)				\
	if (!vg_phase) {						\
		vg_sz += sizeof(ctype);					\
	} else {							\
		ctype vg_v = (ctype)(expr);				\
		memcpy(vg_p, &vg_v, sizeof(vg_v));			\
		vg_p += sizeof(vg_v);					\
	}
#define VF_HEX(field, expr)	VF_INT(u64, uint64_hex_t, field, expr)
#define VF_KADDR(field, expr)						\
	VF_INT(u64, uint64_hex_t, field,				\
	       (vigil_flags & VIGIL_CFG_KERNEL_ADDRS) ? (u64)(expr) : 0)
#define VF_ARRAY(ctype, tsdltype, field, n, src)			\
	if (!vg_phase) {						\
		vg_sz += sizeof(ctype) * (n);				\
	} else {							\
		memcpy(vg_p, (src), sizeof(ctype) * (n));		\
		vg_p += sizeof(ctype) * (n);				\
	}
#define VF_CHARS(field, n, src)						\
	if (!vg_phase)							\
		vg_sz += (n);						\
	else								\
		vg_p = vigil_put_chars(vg_p, (src), (n));
#define VF_STRING(field, src)						\
	if (!vg_phase) {						\
		vg_slen[vg_si] = vigil_strnlen(vigil_str(src),		\
					       VIGIL_STR_MAX - 1) + 1;	\
		vg_sz += vg_slen[vg_si++];				\
	} else {							\
		vg_p = vigil_put_str(vg_p, vigil_str(src),		\
				     vg_slen[vg_si++]);			\
	}
#define VF_STRLEN(field, src, len)					\
	if (!vg_phase) {						\
		vg_sz += (len) + 1;					\
	} else {							\
		memcpy(vg_p, (src), (len) + 1);				\
		vg_p += (len) + 1;					\
	}

#define VG_ABOUT(...)	__VA_ARGS__
#define VIGIL_EVENT(cname, subsys, name, kind, about, proto, locals, prep, \
		    fields)						\
static notrace void vigil_probe_##cname(void *vg_data, proto)		\
{									\
	struct vigil_cpu *vc;						\
	unsigned long vg_flags;						\
	size_t vg_sz = sizeof(struct vigil_event_header);		\
	size_t vg_slen[4] vigil_noinit __maybe_unused; /* <= 4 VF_STRING */ \
	unsigned int vg_si __maybe_unused;				\
	unsigned int vg_depth, vg_nstack = 0;				\
	char *vg_p = NULL;						\
	int vg_phase;							\
	locals								\
									\
	local_irq_save(vg_flags);					\
	/* Checked with interrupts off: STOP clears vigil_active and	\
	 * then waits (synchronize_rcu) for writers in this section,	\
	 * before buffers are freed; own events (annotations, the	\
	 * statedump) come from preemptible context. */			\
	if (!vigil_event_on(VIGIL_EV_##cname))				\
		goto vg_nested;						\
	vc = this_cpu_ptr(vigil_cpus);					\
	if (!vigil_enter(vc))						\
		goto vg_nested;						\
	{								\
		/* the threads the event is about, after a dummy */	\
		struct task_struct *const vg_about[] = { NULL, about };	\
									\
		if (!vigil_about_wanted(vg_about + 1,			\
					ARRAY_SIZE(vg_about) - 1))	\
			goto vg_out;					\
	}								\
	prep								\
	/* Set only while not running (VIGIL_IOC_STACK, under the	\
	 * control lock, before START attached this probe): a plain	\
	 * read.  0 for the events that did not ask: one test. */	\
	vg_depth = vigil.stack_depth[VIGIL_EV_##cname];			\
	if (unlikely(vg_depth))						\
		vg_nstack = vigil_save_stack(vc, vg_depth);		\
	for (vg_phase = 0; vg_phase < 2; vg_phase++) {			\
		vg_si = 0;						\
		if (vg_phase) {						\
			vg_p = vigil_reserve(vc, vg_sz, VIGIL_EV_##cname); \
			if (!vg_p)					\
				break;					\
		}							\
		fields							\
		if (unlikely(vg_depth)) {				\
			if (!vg_phase)					\
				vg_sz += sizeof(u16) +			\
					 vg_nstack * sizeof(u64);	\
			else						\
				vg_p = vigil_put_stack(vg_p, vc->stack,	\
						       vg_nstack);	\
		}							\
	}								\
vg_out: __maybe_unused;							\
	vc->nest = 0;							\
vg_nested:								\
	local_irq_restore(vg_flags);					\
}

#include "vigil_events.h"

#undef VIGIL_EVENT
#undef VF_INT
#undef VF_HEX
#undef VF_KADDR
#undef VF_ARRAY
#undef VF_CHARS
#undef VF_STRING
#undef VF_STRLEN

/* ---- pass 2: the table, with each event's TSDL fields -------------- */

#define VF_INT(ctype, tsdltype, field, expr)	"\t\t" #tsdltype " " #field ";\n"
#define VF_HEX(field, expr)			"\t\tuint64_hex_t " #field ";\n"
#define VF_KADDR(field, expr)			"\t\tuint64_hex_t " #field ";\n"
#define VF_ARRAY(ctype, tsdltype, field, n, src) \
	"\t\t" #tsdltype " " #field "[" #n "];\n"
#define VF_CHARS(field, n, src)			"\t\tchar_t " #field "[" #n "];\n"
#define VF_STRING(field, src)			"\t\tstring " #field ";\n"
#define VF_STRLEN(field, src, len)		"\t\tstring " #field ";\n"

#define VIGIL_EVENT(cname, esub, ename, ekind, about, proto, locals, prep, \
		    fields)						\
	[VIGIL_EV_##cname] = {						\
		.subsys = esub,						\
		.name = ename,						\
		.kind = ekind,						\
		.probe = vigil_probe_##cname,				\
		.fields_tsdl = "" fields,				\
	},

struct vigil_event_desc vigil_event_table[VIGIL_NR_EVENTS] = {
#include "vigil_events.h"
};

#undef VIGIL_EVENT
#undef VF_INT
#undef VF_HEX
#undef VF_KADDR
#undef VF_ARRAY
#undef VF_CHARS
#undef VF_STRING
#undef VF_STRLEN

/* ---- tracepoints -------------------------------------------------- */

static unsigned long vigil_attached[BITS_TO_LONGS(VIGIL_NR_EVENTS)];

static void vigil_tp_lookup(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < VIGIL_NR_EVENTS; i++)
		if (vigil_event_table[i].kind == VG_TP &&
		    !strcmp(tp->name, vigil_event_table[i].name))
			vigil_event_table[i].tp = tp;
}

int vigil_core_init(void)
{
	int i;

	for_each_kernel_tracepoint(vigil_tp_lookup, NULL);
	for (i = 0; i < VIGIL_NR_EVENTS; i++)
		if (vigil_event_table[i].kind == VG_TP &&
		    !vigil_event_table[i].tp)
			pr_info("vigil: tracepoint %s not found in this kernel; event %s:%s unavailable\n",
				vigil_event_table[i].name,
				vigil_event_table[i].subsys,
				vigil_event_table[i].name);
	return 0;
}

/* "subsys:name" -> built-in id, or -1. */
int vigil_find_event(const char *fullname)
{
	int i;

	for (i = 0; i < VIGIL_NR_EVENTS; i++) {
		const struct vigil_event_desc *e = &vigil_event_table[i];
		size_t sl = strlen(e->subsys);

		if (!strncmp(fullname, e->subsys, sl) && fullname[sl] == ':' &&
		    !strcmp(fullname + sl + 1, e->name))
			return i;
	}
	return -1;
}

/* Called under vigil.lock. */
int vigil_attach_event(int id)
{
	struct vigil_event_desc *e = &vigil_event_table[id];
	int ret;

	if (e->kind != VG_TP || test_bit(id, vigil_attached))
		return 0;
	if (!e->tp)
		return -ENOENT;
	ret = tracepoint_probe_register(e->tp, e->probe, NULL);
	if (ret) {
		pr_info("vigil: cannot attach to tracepoint %s: %d\n",
			e->name, ret);
		return ret;
	}
	set_bit(id, vigil_attached);
	return 0;
}

/* Called under vigil.lock; the caller synchronizes (see below). */
void vigil_detach_event(int id)
{
	struct vigil_event_desc *e = &vigil_event_table[id];

	if (!test_and_clear_bit(id, vigil_attached))
		return;
	WARN_ON_ONCE(tracepoint_probe_unregister(e->tp, e->probe, NULL));
}

int vigil_attach_enabled(void)
{
	int i, ret;

	for (i = 0; i < VIGIL_NR_EVENTS; i++) {
		if (!test_bit(i, vigil.enabled))
			continue;
		ret = vigil_attach_event(i);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Detach every probe and wait until none runs any more: after
 * tracepoint_synchronize_unregister() no CPU is inside one of our
 * probes, so buffers and filters may be freed.
 */
void vigil_detach_all(void)
{
	int i;

	for (i = 0; i < VIGIL_NR_EVENTS; i++)
		vigil_detach_event(i);
	tracepoint_synchronize_unregister();
}

/* ---- own events ----------------------------------------------------- */

void vigil_emit_annotation(const char *text)
{
	vigil_probe_annotation(NULL, text);
}

/* The executable path of @t into @buf (PATH_MAX), or "". May sleep. */
static const char *vigil_task_exe(struct task_struct *t, char *buf)
{
	struct mm_struct *mm = get_task_mm(t);
	struct file *f;
	char *s;

	if (!mm)
		return "";
	rcu_read_lock();
	f = vigil_get_file_rcu(&mm->exe_file);
	rcu_read_unlock();
	mmput(mm);
	if (!f)
		return "";
	s = d_path(&f->f_path, buf, PATH_MAX);
	fput(f);
	return IS_ERR(s) ? "" : s;
}

/*
 * The statedump: one vigil:statedump_process per thread that exists when
 * tracing starts, then vigil:statedump_end with the count.
 *
 * START (under vigil.lock, after the tracepoints are attached) pins
 * every thread with a reference (vigil_statedump_start()) and queues
 * vigil_statedump_work(), which describes them one by one without the
 * control lock: reading an executable path may sleep, and the consumer
 * must be able to GET_POS/CONSUME meanwhile.  In normal mode the work
 * waits for room in the buffer before each record (the consumer frees
 * it), so a statedump larger than the buffers loses nothing.  A thread
 * created after the pinning is reported by sched_process_fork (a thread
 * may be seen twice, never missed); a thread reaped before it is
 * described is skipped (its sched_process_exit is in the trace).  STOP
 * clears vigil_active, then vigil_statedump_cancel() waits for the work,
 * which stops at the next thread and drops the remaining references.
 */
static struct {
	struct work_struct work;
	struct task_struct **tasks;
	unsigned int n;
	char *buf;		/* PATH_MAX, the executable path */
} vigil_sd;

enum vigil_sd_result { VIGIL_SD_WRITTEN, VIGIL_SD_REAPED, VIGIL_SD_STOPPED };

/*
 * Write one statedump record once there is room for it, unless the
 * thread was reaped meanwhile (waiting for room may take long) or
 * tracing stopped.  The room check, the pid_alive() check, the read of
 * the parent and the write run with interrupts off on one CPU, so no
 * other writer of this CPU's buffer (probe, switch timer, flush) comes
 * in between, and, under RCU, the parent cannot be freed while it is
 * read (as in task_ppid_nr_ns()).
 */
static enum vigil_sd_result vigil_statedump_emit(struct task_struct *t,
						 const char *exe)
{
	/* event header, fixed fields (40 bytes) and the exe string (cut
	 * at 4095) */
	size_t size = sizeof(struct vigil_event_header) + 64 +
		      min_t(size_t, strlen(exe), VIGIL_STR_MAX - 1) + 1;
	enum vigil_sd_result res;
	unsigned long flags;
	bool room;

	for (;;) {
		if (!READ_ONCE(vigil_active))
			return VIGIL_SD_STOPPED;
		local_irq_save(flags);
		room = vigil_statedump_room(size,
					    VIGIL_EV_statedump_process);
		if (room) {
			rcu_read_lock();
			if (pid_alive(t)) {
				vigil_probe_statedump_process(NULL, t,
					rcu_dereference(t->real_parent)->tgid,
					vigil_task_uid(t), exe);
				res = VIGIL_SD_WRITTEN;
			} else {
				res = VIGIL_SD_REAPED;
			}
			rcu_read_unlock();
		}
		local_irq_restore(flags);
		if (room)
			return res;
		/* the consumer frees sub-buffers; it polls, so do we */
		schedule_timeout_interruptible(1);
	}
}

static void vigil_statedump_work(struct work_struct *work)
{
	unsigned int i, count = 0;

	for (i = 0; i < vigil_sd.n; i++) {
		struct task_struct *t = vigil_sd.tasks[i];

		/* reaped since it was pinned: not a thread any more */
		if (READ_ONCE(vigil_active) && pid_alive(t) &&
		    vigil_statedump_emit(t, vigil_task_exe(t, vigil_sd.buf)) ==
		    VIGIL_SD_WRITTEN)
			count++;
		put_task_struct(t);
		cond_resched();
	}
	if (READ_ONCE(vigil_active))
		vigil_probe_statedump_end(NULL, count);
	kvfree(vigil_sd.tasks);
	kfree(vigil_sd.buf);
	vigil_sd.tasks = NULL;
	vigil_sd.buf = NULL;
}

/*
 * Pin every thread and queue the statedump (called from START under
 * vigil.lock).  The array is sized from a count taken first; threads
 * created between the count and the pinning may not fit: then all
 * references are dropped and it is tried again with a larger array, so
 * that no thread that existed before the tracepoints were attached is
 * left out.
 */
int vigil_statedump_start(void)
{
	struct task_struct *p, *t, **tasks;
	unsigned int n, cap = 0;
	char *buf;

	if (WARN_ON_ONCE(vigil_sd.tasks))
		return -EBUSY;
	INIT_WORK(&vigil_sd.work, vigil_statedump_work);
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	rcu_read_lock();
	for_each_process_thread(p, t)
		cap++;
	rcu_read_unlock();
	for (;;) {
		cap += cap / 4 + 64;
		tasks = kvmalloc_array(cap, sizeof(*tasks), GFP_KERNEL);
		if (!tasks) {
			kfree(buf);
			return -ENOMEM;
		}
		n = 0;
		rcu_read_lock();
		for_each_process_thread(p, t) {
			if (n == cap)
				break;
			get_task_struct(t);
			tasks[n++] = t;
		}
		rcu_read_unlock();
		if (n < cap)
			break;
		while (n)
			put_task_struct(tasks[--n]);
		kvfree(tasks);
	}
	vigil_sd.tasks = tasks;
	vigil_sd.n = n;
	vigil_sd.buf = buf;
	queue_work(system_unbound_wq, &vigil_sd.work);
	return 0;
}

/*
 * Wait for a running statedump to end (STOP, after vigil_active was
 * cleared: the work then skips what is left).  Under vigil.lock; the
 * work never takes it.
 */
void vigil_statedump_cancel(void)
{
	if (vigil_sd.tasks)
		flush_work(&vigil_sd.work);
}

/* ---- filters ---------------------------------------------------------- */

static int vigil_cmp_s32(const void *a, const void *b)
{
	s32 x = *(const s32 *)a, y = *(const s32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Replace one filter set (called under vigil.lock).  The new set is
 * built and validated completely, then published with
 * rcu_replace_pointer(); writers read it with interrupts off, so after
 * synchronize_rcu() nobody uses the old one and it is freed.
 */
int vigil_set_filter(u32 type, u32 count, const s32 __user *uids)
{
	struct vigil_idset *set = NULL, *oldset = NULL;
	struct vigil_sysset *sys = NULL, *oldsys = NULL;
	s32 *ids = NULL;
	u32 i, n = 0;

	if (type > VIGIL_FILTER_TYPE_MAX || count > VIGIL_FILTER_MAX_IDS)
		return -EINVAL;
	if (count) {
		ids = kmalloc_array(count, sizeof(*ids), GFP_KERNEL);
		if (!ids)
			return -ENOMEM;
		if (copy_from_user(ids, uids, count * sizeof(*ids))) {
			kfree(ids);
			return -EFAULT;
		}
		for (i = 0; i < count; i++) {
			if (ids[i] < 0 || (type == VIGIL_FILTER_SYSCALL &&
					   ids[i] >= NR_syscalls)) {
				s32 bad = ids[i];

				kfree(ids);
				return VIGIL_INVAL("FILTER: ids[%u] = %d is out of range%s",
						   i, bad,
						   type == VIGIL_FILTER_SYSCALL ?
						   " (syscall numbers 0..NR_syscalls-1)" :
						   " (ids are >= 0)");
			}
		}
	}

	if (type == VIGIL_FILTER_SYSCALL) {
		if (count) {
			sys = kzalloc(struct_size(sys, bits,
						  BITS_TO_LONGS(NR_syscalls)),
				      GFP_KERNEL);
			if (!sys) {
				kfree(ids);
				return -ENOMEM;
			}
			for (i = 0; i < count; i++)
				set_bit(ids[i], sys->bits);
		}
		oldsys = rcu_replace_pointer(vigil_sys_set, sys,
					     lockdep_is_held(&vigil.lock));
	} else {
		if (count) {
			sort(ids, count, sizeof(*ids), vigil_cmp_s32, NULL);
			set = kmalloc(struct_size(set, ids, count), GFP_KERNEL);
			if (!set) {
				kfree(ids);
				return -ENOMEM;
			}
			for (i = 0; i < count; i++)
				if (!n || ids[i] != set->ids[n - 1])
					set->ids[n++] = ids[i];
			set->count = n;
		}
		if (type == VIGIL_FILTER_PID)
			oldset = rcu_replace_pointer(vigil_pid_set, set,
						     lockdep_is_held(&vigil.lock));
		else if (type == VIGIL_FILTER_TGID)
			oldset = rcu_replace_pointer(vigil_tgid_set, set,
						     lockdep_is_held(&vigil.lock));
		else
			oldset = rcu_replace_pointer(vigil_excl_set, set,
						     lockdep_is_held(&vigil.lock));
	}
	kfree(ids);
	if (oldset || oldsys) {
		synchronize_rcu();
		kfree(oldset);
		kfree(oldsys);
	}
	return 0;
}

void vigil_clear_filters(void)
{
	vigil_set_filter(VIGIL_FILTER_PID, 0, NULL);
	vigil_set_filter(VIGIL_FILTER_TGID, 0, NULL);
	vigil_set_filter(VIGIL_FILTER_SYSCALL, 0, NULL);
	vigil_set_filter(VIGIL_FILTER_EXCLUDE_TGID, 0, NULL);
}
