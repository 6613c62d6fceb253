/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil_internal.h - state shared by the parts of vigil.ko.
 */
#ifndef _VIGIL_INTERNAL_H
#define _VIGIL_INTERNAL_H

#include <linux/types.h>
#include <linux/percpu.h>
#include <linux/timer.h>
#include <linux/mutex.h>
#include <linux/relay.h>
#include <linux/rcupdate.h>
#include <linux/kprobes.h>
#include <linux/limits.h>
#include <linux/sched.h>
#include <linux/preempt.h>
#include <asm/local.h>

#include "vigil_abi.h"

#define VIGIL_TRACER_MAJOR	1
#define VIGIL_TRACER_MINOR	0

/* Built-in event ids, generated from vigil_events.h. */
enum vigil_event_id {
#define VIGIL_EVENT(cname, subsys, name, kind, about, proto, locals, prep, \
		    fields) \
	VIGIL_EV_##cname,
#include "vigil_events.h"
#undef VIGIL_EVENT
	VIGIL_NR_EVENTS
};

#define VIGIL_ALL_IDS		(VIGIL_KPROBE_ID_BASE + VIGIL_MAX_KPROBES)
#define VIGIL_PATH_MAX		PATH_MAX	/* sys_enter path scratch */
#define VIGIL_ARGV_MAX		1024		/* exec argv, incl. NUL */

/*
 * For a probe's locals that it writes before it reads them: not zeroed
 * on entry by CONFIG_INIT_STACK_ALL_ZERO, which would otherwise clear
 * them for every event, recorded or not (sys_enter's 72-byte argument
 * block and the string lengths; gcc 12 and clang know the attribute).
 */
#if __has_attribute(__uninitialized__)
#define vigil_noinit	__attribute__((__uninitialized__))
#else
#define vigil_noinit
#endif
#define VIGIL_ANNOTATE_MAX	256

/* Why an event was not recorded (struct vigil_cpu_stats). */
enum vigil_discard_cause {
	VIGIL_DISCARD_TOO_BIG,	/* cannot fit in a packet after its header */
	VIGIL_DISCARD_FULL,	/* normal mode, no free sub-buffer; no buffer */
	VIGIL_DISCARD_NESTED,	/* this CPU was already writing a record */
	VIGIL_DISCARD_PAUSED,	/* PAUSE (flight snapshot) or no channel */
	VIGIL_NR_DISCARD
};

/*
 * One CPU's part of one channel.  Everything but the counters and
 * 'finalized' is touched only by its own CPU with interrupts disabled
 * (writers, the switch timer, flush IPIs, the relay subbuf_start
 * callback), or by the DEAD hotplug callback once the CPU is gone.
 *
 * The counters are local_t: they are incremented on their own CPU
 * only, but also by writers that interrupts-off does not keep out (an
 * NMI, a kprobe hit inside the writer: the 'nested' count).  local_inc()
 * is a single instruction with respect to the CPU (no lost update when
 * an NMI increments in between) and costs no more than '++'; other CPUs
 * (STATS, the DEAD callback) read them with local_read().
 */
struct vigil_chan_cpu {
	local_t written;	/* events reserved (and written) */
	local_t discarded[VIGIL_NR_DISCARD];	/* by cause */
	/*
	 * Number of sub-buffers whose packet context has been finalized;
	 * published with smp_store_release() after the context is complete
	 * and reported to user space as "produced" (relay's own counter is
	 * incremented before our subbuf_start callback finalizes).
	 */
	u64 finalized;
	bool has_events;	/* current sub-buffer holds events */
	bool timer_on;
	u8 chan;		/* its channel's index (the timer's) */
	struct timer_list timer;	/* this channel's switch, this CPU */
};

/* Per-CPU state: the channels' parts and what all channels share. */
struct vigil_cpu {
	struct vigil_chan_cpu ch[VIGIL_MAX_CHANNELS];
	u64 annotations_dropped;	/* this_cpu_inc(): irq-safe */
	unsigned int nest;	/* recursion guard (kprobes in our path) */
	int cpu;
	char path[VIGIL_PATH_MAX];	/* sys_enter path scratch */
	char argv[VIGIL_ARGV_MAX];	/* exec argv scratch */
	unsigned long stack[VIGIL_MAX_STACK_DEPTH];	/* stack scratch */
};

static __always_inline void vigil_discard(struct vigil_chan_cpu *cc,
					  enum vigil_discard_cause why)
{
	local_inc(&cc->discarded[why]);
}

/* The running total the packets of a channel carry in events_discarded. */
static inline u64 vigil_discarded_total(struct vigil_chan_cpu *cc)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < VIGIL_NR_DISCARD; i++)
		sum += local_read(&cc->discarded[i]);
	return sum;
}

/*
 * The writer's nesting guard, interrupts off.  False: this CPU is
 * already inside a record (an NMI or a kprobe in the writer's path);
 * the event is counted as discarded (nested) in channel 0, since which
 * channel it would have gone to is decided later (vigil_reserve()).
 */
static __always_inline bool vigil_enter(struct vigil_cpu *vc)
{
	if (unlikely(vc->nest)) {
		vigil_discard(&vc->ch[0], VIGIL_DISCARD_NESTED);
		return false;
	}
	vc->nest = 1;
	return true;
}

/*
 * A channel: its relay buffers and their configuration.  Index 0 is the
 * default channel (CONFIGURE).  Everything here but 'paused' is written
 * under vigil.lock while no writer can run (not running: see
 * vigil_channel_add()); 'paused' is set by PAUSE / CHAN_PAUSE and read
 * locklessly by writers.
 */
struct vigil_channel {
	struct rchan *rchan;
	u32 index;
	u32 mode;			/* VIGIL_MODE_* */
	u32 subbuf_size;
	u32 n_subbufs;
	u32 switch_interval_ms;
	int paused;
};

/* An RCU-published, sorted set of ids (pid / tgid filters). */
struct vigil_idset {
	struct rcu_head rcu;
	u32 count;
	s32 ids[];
};

/* An RCU-published syscall bitmap. */
struct vigil_sysset {
	struct rcu_head rcu;
	unsigned long bits[];
};

struct vigil_kprobe {
	bool used;		/* registered */
	bool retired;		/* deleted, id and name kept in the metadata
				 * until the buffers are replaced, since
				 * its records may still be in them */
	bool retprobe;
	u32 nargs;
	u32 id;
	char name[VIGIL_NAME_MAX];
	char symbol[VIGIL_NAME_MAX];
	u64 offset;
	unsigned long addr;
	struct kprobe kp;
	struct kretprobe krp;
};

struct vigil_state {
	struct mutex lock;		/* control: all ioctls, release */
	struct file *owner;		/* fd that configured, or NULL */
	bool configured;
	bool running;
	struct vigil_config cfg;
	u8 uuid[16];
	s64 clock_offset;		/* realtime - monotonic, ns */
	struct vigil_channel chans[VIGIL_MAX_CHANNELS];
	u32 n_chans;			/* chans[0 .. n_chans - 1] exist */
	/* event id -> channel index; written under vigil.lock while not
	 * running, read by writers (vigil_reserve()) */
	u8 event_chan[VIGIL_ALL_IDS];
	int cpuhp_state;		/* >0 while switch timers exist */
	int cpuhp_dead_state;		/* >0 while tracing: DEAD callback */
	unsigned long enabled[BITS_TO_LONGS(VIGIL_ALL_IDS)];
	/* VIGIL_IOC_STACK: addresses of kernel stack recorded per built-in
	 * event, 0 = none.  Changed only while not running (under lock),
	 * read by the probes while running. */
	u8 stack_depth[VIGIL_NR_EVENTS];
	struct vigil_kprobe kprobes[VIGIL_MAX_KPROBES];
};

/* Reject an ioctl argument: say which one in the kernel log (rate
 * limited, user space can repeat it) and return -EINVAL. */
#define VIGIL_INVAL(fmt, ...) ({					\
	pr_info_ratelimited("vigil: " fmt "\n", ##__VA_ARGS__);		\
	-EINVAL;							\
})

extern struct vigil_state vigil;
extern struct vigil_cpu __percpu *vigil_cpus;

/* Read locklessly by writers. */
extern int vigil_active;		/* tracing on */
extern int vigil_paused;
extern u32 vigil_flags;			/* VIGIL_CFG_* */
extern struct vigil_idset __rcu *vigil_pid_set;
extern struct vigil_idset __rcu *vigil_tgid_set;
extern struct vigil_idset __rcu *vigil_excl_set;
extern struct vigil_sysset __rcu *vigil_sys_set;

static __always_inline bool vigil_idset_has(const struct vigil_idset *s,
					    s32 id)
{
	u32 lo = 0, hi = s->count;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (s->ids[mid] == id)
			return true;
		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Is thread @t selected by the pid/tgid sets and not excluded? */
static __always_inline bool vigil_one_wanted(const struct vigil_idset *ps,
					     const struct vigil_idset *ts,
					     const struct vigil_idset *xs,
					     const struct task_struct *t)
{
	if (xs && vigil_idset_has(xs, t->tgid))
		return false;
	if (!ps && !ts)
		return true;
	if (ps && vigil_idset_has(ps, t->pid))
		return true;
	if (ts && vigil_idset_has(ts, t->tgid))
		return true;
	return false;
}

/*
 * pid/tgid filters (interrupts are off: an RCU-sched read side).  An
 * event is about the @n threads in @about (VG_ABOUT() in vigil_events.h):
 * it passes if one of them passes.  A thread passes when no pid/tgid set
 * is installed or its tid is in the pid set or its process id in the
 * tgid set, and its process id is not in the exclude set (vigild
 * excludes itself: its own output would otherwise feed back into the
 * trace).  A NULL entry is nobody: VG_CURRENT in an interrupt, softirq
 * or NMI, which merely borrows the current task and is not about it.
 * A task named by the event itself counts even when it is the one
 * interrupted (an interrupt waking the task it interrupted is about
 * that task).  An event about no thread at all (interrupts, packets
 * received, I/O completed, statedump) always passes.
 */
static __always_inline bool vigil_about_wanted(struct task_struct *const *about,
					       unsigned int n)
{
	const struct vigil_idset *ps, *ts, *xs;
	bool judged = false;
	unsigned int i;

	if (!n)
		return true;
	ps = rcu_dereference_sched(vigil_pid_set);
	ts = rcu_dereference_sched(vigil_tgid_set);
	xs = rcu_dereference_sched(vigil_excl_set);
	if (!ps && !ts && !xs)
		return true;
	for (i = 0; i < n; i++) {
		if (!about[i])
			continue;
		if (vigil_one_wanted(ps, ts, xs, about[i]))
			return true;
		judged = true;
	}
	return !judged;
}

/* The current task in task context; nobody (NULL) in an interrupt. */
#define VG_CURRENT	(in_task() ? current : NULL)

/* Kprobe hits are about the current task (in task context). */
static __always_inline bool vigil_task_wanted(void)
{
	struct task_struct *cur = VG_CURRENT;

	return vigil_about_wanted(&cur, 1);
}

/* vigil_core.c */
enum { VG_TP, VG_OWN };

struct vigil_event_desc {
	const char *subsys;
	const char *name;
	int kind;
	void *probe;
	struct tracepoint *tp;
	const char *fields_tsdl;
};
extern struct vigil_event_desc vigil_event_table[VIGIL_NR_EVENTS];
int vigil_core_init(void);
int vigil_find_event(const char *fullname);
int vigil_attach_event(int id);
void vigil_detach_event(int id);
int vigil_attach_enabled(void);
void vigil_detach_all(void);
int vigil_statedump_start(void);
void vigil_statedump_cancel(void);
void vigil_emit_annotation(const char *text);
int vigil_set_filter(u32 type, u32 count, const s32 __user *ids);
void vigil_clear_filters(void);
char *vigil_reserve(struct vigil_cpu *vc, size_t size, u16 id);

/* vigil_relay.c */
int vigil_relay_setup(void);
int vigil_channel_check(const char *what, u32 mode, u32 subbuf_size,
			u32 n_subbufs, u32 switch_interval_ms);
int vigil_channel_add(struct vigil_channel_config *cc);
void vigil_channel_remove_last(void);
void vigil_relay_teardown(void);
bool vigil_statedump_room(size_t size, u16 id);
int vigil_chan_get_pos(struct vigil_chan_pos *pos);
int vigil_chan_consume(const struct vigil_chan_pos *pos);
int vigil_chan_buffer_fd(const struct vigil_chan_buffer_req *req);
int vigil_chan_pause(const struct vigil_chan_req *req);
void vigil_cpu_stats_fill(u32 chan, int cpu, struct vigil_cpu_stats *cs);
int vigil_timers_start(void);
void vigil_timers_stop(void);
void vigil_flush_all(void);
int vigil_get_pos(struct vigil_cpu_pos *pos);
int vigil_consume(const struct vigil_cpu_pos *pos);
int vigil_buffer_fd(const struct vigil_buffer_req *req);
void vigil_pause(void);
void vigil_resume(void);

/* vigil_metadata.c */
int vigil_metadata_fd(void);

/* vigil_kprobes.c */
int vigil_kprobe_add(struct vigil_kprobe_req *req);
void vigil_kprobe_commit(u32 id);
void vigil_kprobe_abort(u32 id);
int vigil_kprobe_del(const struct vigil_kprobe_req *req);
void vigil_kprobe_del_all(void);
void vigil_kprobe_forget_retired(void);

/* vigil_annotate.c */
int vigil_annotate_init(void);
void vigil_annotate_exit(void);

#endif /* _VIGIL_INTERNAL_H */
