// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_main.c - module entry points and the /dev/vigil control device.
 *
 * State machine (all under vigil.lock):
 *   unconfigured --CONFIGURE--> configured --START--> running
 *   running --STOP--> configured (buffers kept for reading)
 *   configured --CONFIGURE--> configured (new buffers)
 * The fd that configured owns the session: only it may change anything;
 * another fd gets -EBUSY (STATS and METADATA_FD are allowed from any
 * fd).  Closing the owner's fd stops tracing and releases buffers,
 * kprobes and filters; a buffer whose fd (from BUFFER_FD) is still open
 * or mapped is freed when that goes.  The module cannot be unloaded
 * while /dev/vigil, a buffer fd or a metadata fd is open (fops.owner).
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>
#include <linux/timekeeping.h>
#include <linux/slab.h>
#include <linux/cpumask.h>
#include <linux/mm.h>

#include "vigil_internal.h"

struct vigil_state vigil = {
	.lock = __MUTEX_INITIALIZER(vigil.lock),
};
struct vigil_cpu __percpu *vigil_cpus;

/* Stop writers, timers; keep buffers.  Under vigil.lock. */
static void vigil_do_stop(void)
{
	if (!vigil.running)
		return;
	/* 1. no new probe calls start writing */
	WRITE_ONCE(vigil_active, 0);
	/* the statedump work sees it and ends: wait for it */
	vigil_statedump_cancel();
	/* 2. unregister and wait for probes still running */
	vigil_detach_all();
	/* kprobe handlers run with preemption off: wait for them too */
	synchronize_rcu();
	/* 3. no more periodic switches or DEAD-stage switches */
	vigil_timers_stop();
	/* 4. make the last partial packets visible: once per CPU (the
	 *    timers' removal does not switch) */
	vigil_flush_all();
	/* no writer left: every channel unpaused for the next START */
	vigil_resume();
	vigil.running = false;
}

/* Back to unconfigured.  Under vigil.lock. */
static void vigil_do_reset(void)
{
	vigil_do_stop();
	vigil_kprobe_del_all();
	vigil_relay_teardown();
	vigil_kprobe_forget_retired();
	vigil_clear_filters();
	bitmap_zero(vigil.enabled, VIGIL_ALL_IDS);
	vigil.configured = false;
	vigil.owner = NULL;
}

static int vigil_configure(struct file *file, void __user *uarg)
{
	struct vigil_config cfg;
	int i, ret;

	if (copy_from_user(&cfg, uarg, sizeof(cfg)))
		return -EFAULT;
	if (cfg.abi_version != VIGIL_ABI_VERSION)
		return VIGIL_INVAL("CONFIGURE: abi_version %u, this module speaks %u",
				   cfg.abi_version, VIGIL_ABI_VERSION);
	ret = vigil_channel_check("CONFIGURE", cfg.mode, cfg.subbuf_size,
				  cfg.n_subbufs, cfg.switch_interval_ms);
	if (ret)
		return ret;
	if (cfg.flags & ~VIGIL_CFG_KERNEL_ADDRS)
		return VIGIL_INVAL("CONFIGURE: unknown flags %#x", cfg.flags);
	for (i = 0; i < ARRAY_SIZE(cfg.reserved); i++)
		if (cfg.reserved[i])
			return VIGIL_INVAL("CONFIGURE: reserved[%d] is not zero", i);
	if ((cfg.flags & VIGIL_CFG_KERNEL_ADDRS) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (vigil.owner && vigil.owner != file)
		return -EBUSY;
	if (vigil.running)
		return -EBUSY;

	vigil_relay_teardown();
	vigil_kprobe_forget_retired();
	memset(vigil.stack_depth, 0, sizeof(vigil.stack_depth));
	vigil.cfg = cfg;
	generate_random_uuid(vigil.uuid);
	vigil.clock_offset = ktime_get_real_ns() - ktime_get_mono_fast_ns();
	WRITE_ONCE(vigil_flags, cfg.flags);
	ret = vigil_relay_setup();
	if (ret) {
		vigil.configured = false;
		return ret;
	}
	vigil.configured = true;
	vigil.owner = file;
	return 0;
}

static int vigil_event(void __user *uarg)
{
	struct vigil_event_req req;
	int id, i, ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (strnlen(req.name, sizeof(req.name)) == sizeof(req.name))
		return VIGIL_INVAL("EVENT: name is not NUL-terminated within %d bytes",
				   VIGIL_NAME_MAX);
	if (req.reserved || req.enable > 1)
		return VIGIL_INVAL("EVENT %s: enable %u (0 or 1), reserved %u (0)",
				   req.name, req.enable, req.reserved);

	if (!strcmp(req.name, "all")) {
		for (i = 0; i < VIGIL_NR_EVENTS; i++) {
			if (vigil_event_table[i].kind == VG_TP &&
			    !vigil_event_table[i].tp)
				continue;	/* not in this kernel */
			if (req.enable) {
				set_bit(i, vigil.enabled);
				if (vigil.running) {
					ret = vigil_attach_event(i);
					if (ret)
						return ret;
				}
			} else {
				clear_bit(i, vigil.enabled);
				if (vigil.running)
					vigil_detach_event(i);
			}
		}
		return 0;
	}

	id = vigil_find_event(req.name);
	if (id < 0) {
		for (i = 0; i < VIGIL_MAX_KPROBES; i++) {
			struct vigil_kprobe *k = &vigil.kprobes[i];

			if (k->used && !strncmp(req.name, "kprobes:", 8) &&
			    !strcmp(req.name + 8, k->name)) {
				if (req.enable)
					set_bit(k->id, vigil.enabled);
				else
					clear_bit(k->id, vigil.enabled);
				return 0;
			}
		}
		pr_info_ratelimited("vigil: no event named '%s'\n", req.name);
		return -ENOENT;
	}
	if (req.enable) {
		if (vigil.running) {
			ret = vigil_attach_event(id);
			if (ret)
				return ret;
		} else if (vigil_event_table[id].kind == VG_TP &&
			   !vigil_event_table[id].tp) {
			return -ENOENT;
		}
		set_bit(id, vigil.enabled);
	} else {
		clear_bit(id, vigil.enabled);
		if (vigil.running)
			vigil_detach_event(id);
	}
	return 0;
}

/*
 * EVENT_CHANNEL: not while running (writers read vigil.event_chan[]
 * without a lock: see vigil_reserve()).  The name is resolved as EVENT
 * resolves it; "all" is not accepted (channel 0 is where all go).
 */
static int vigil_event_channel(void __user *uarg)
{
	struct vigil_event_channel req;
	int id, i;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (strnlen(req.name, sizeof(req.name)) == sizeof(req.name))
		return VIGIL_INVAL("EVENT_CHANNEL: name is not NUL-terminated within %d bytes",
				   VIGIL_NAME_MAX);
	if (req.reserved)
		return VIGIL_INVAL("EVENT_CHANNEL %s: reserved %u is not zero",
				   req.name, req.reserved);
	if (req.channel >= vigil.n_chans)
		return VIGIL_INVAL("EVENT_CHANNEL %s: no channel %u (%u exist)",
				   req.name, req.channel, vigil.n_chans);
	if (vigil.running)
		return -EBUSY;
	id = vigil_find_event(req.name);
	if (id < 0) {
		for (i = 0; i < VIGIL_MAX_KPROBES; i++) {
			struct vigil_kprobe *k = &vigil.kprobes[i];

			if (k->used && !strncmp(req.name, "kprobes:", 8) &&
			    !strcmp(req.name + 8, k->name)) {
				id = k->id;
				break;
			}
		}
	}
	if (id < 0) {
		pr_info_ratelimited("vigil: EVENT_CHANNEL: no event named '%s'\n",
				    req.name);
		return -ENOENT;
	}
	vigil.event_chan[id] = req.channel;
	return 0;
}

static long vigil_chan_stats(void __user *uarg)
{
	struct vigil_chan_stats st;
	struct vigil_cpu_stats cs;
	struct vigil_cpu_stats __user *out;
	u32 cpu;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (st.reserved)
		return VIGIL_INVAL("CHAN_STATS: reserved is not zero");
	if (st.channel >= vigil.n_chans)
		return VIGIL_INVAL("CHAN_STATS: no channel %u", st.channel);
	out = u64_to_user_ptr(st.buf);
	for (cpu = 0; cpu < st.ncpus && cpu < nr_cpu_ids; cpu++) {
		struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);

		memset(&cs, 0, sizeof(cs));
		if (cpu_possible(cpu)) {
			vigil_cpu_stats_fill(st.channel, cpu, &cs);
			if (st.channel == 0)
				cs.annotations_dropped =
					READ_ONCE(vc->annotations_dropped);
		}
		if (copy_to_user(&out[cpu], &cs, sizeof(cs)))
			return -EFAULT;
	}
	st.ncpus = nr_cpu_ids;
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

/*
 * VIGIL_IOC_STACK: only while not running, so a probe reads its event's
 * depth as a plain load: START publishes it with the attach
 * (tracepoint_probe_register() orders our stores before the probe can
 * run), STOP unregisters and waits before a new depth can be set.
 */
static int vigil_stack(void __user *uarg)
{
	struct vigil_stack_req req;
	int id;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (vigil.running)
		return -EBUSY;
	if (req.reserved)
		return VIGIL_INVAL("STACK: reserved is not zero");
	/* stacks are kernel addresses, as VIGIL_CFG_KERNEL_ADDRS gives */
	if (req.depth && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!memchr(req.name, '\0', sizeof(req.name)))
		return VIGIL_INVAL("STACK: name is not NUL-terminated");
	if (req.depth > VIGIL_MAX_STACK_DEPTH)
		return VIGIL_INVAL("STACK: depth %u is over %d", req.depth,
				   VIGIL_MAX_STACK_DEPTH);
	id = vigil_find_event(req.name);
	if (id < 0) {
		pr_info_ratelimited("vigil: STACK: no built-in event named '%s'\n",
				    req.name);
		return -ENOENT;
	}
	vigil.stack_depth[id] = req.depth;
	return 0;
}

static int vigil_filter(void __user *uarg)
{
	struct vigil_filter f;

	if (copy_from_user(&f, uarg, sizeof(f)))
		return -EFAULT;
	if (f.type > VIGIL_FILTER_TYPE_MAX)
		return VIGIL_INVAL("FILTER: unknown type %u", f.type);
	if (f.count > VIGIL_FILTER_MAX_IDS)
		return VIGIL_INVAL("FILTER: count %u is over %d", f.count,
				   VIGIL_FILTER_MAX_IDS);
	if (f.count && !f.ids)
		return VIGIL_INVAL("FILTER: count %u with a NULL ids pointer",
				   f.count);
	return vigil_set_filter(f.type, f.count,
				(const s32 __user *)u64_to_user_ptr(f.ids));
}

static int vigil_start(void)
{
	int ret;

	if (vigil.running)
		return -EBUSY;
	ret = vigil_timers_start();
	if (ret)
		return ret;
	/*
	 * Writers are enabled before the probes are attached so that the
	 * first tracepoint hit is recorded; the threads of the statedump
	 * are pinned after the attach so no task escapes both.  The
	 * statedump itself runs in a work item after START returned, while
	 * the consumer reads (see vigil_statedump_start()).
	 */
	vigil_resume();
	WRITE_ONCE(vigil_active, 1);
	vigil.running = true;
	ret = vigil_attach_enabled();
	if (!ret)
		ret = vigil_statedump_start();
	if (ret)
		vigil_do_stop();
	return ret;
}

static long vigil_stats(void __user *uarg)
{
	struct vigil_stats st;
	struct vigil_cpu_stats cs;
	struct vigil_cpu_stats __user *out;
	u32 cpu;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	out = u64_to_user_ptr(st.buf);
	for (cpu = 0; cpu < st.ncpus && cpu < nr_cpu_ids; cpu++) {
		struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);
		u32 i;

		/* the sum over the channels (channel 0's alone without
		 * ADD_CHANNEL) */
		memset(&cs, 0, sizeof(cs));
		if (cpu_possible(cpu)) {
			for (i = 0; i < vigil.n_chans; i++)
				vigil_cpu_stats_fill(i, cpu, &cs);
			cs.annotations_dropped = READ_ONCE(vc->annotations_dropped);
		}
		if (copy_to_user(&out[cpu], &cs, sizeof(cs)))
			return -EFAULT;
	}
	st.ncpus = nr_cpu_ids;
	st.running = vigil.running;
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long vigil_ioctl_locked(struct file *file, unsigned int cmd,
			       void __user *uarg)
{
	struct vigil_kprobe_req kreq;
	struct vigil_buffer_req breq;
	struct vigil_cpu_pos pos;
	struct vigil_channel_config ccfg;
	struct vigil_chan_buffer_req cbreq;
	struct vigil_chan_pos cpos;
	struct vigil_chan_req creq;
	int ret;

	switch (cmd) {
	case VIGIL_IOC_CONFIGURE:
		return vigil_configure(file, uarg);
	case VIGIL_IOC_STATS:
		return vigil_stats(uarg);
	case VIGIL_IOC_METADATA_FD:
		return vigil_metadata_fd();
	case VIGIL_IOC_CHAN_STATS:
		return vigil_chan_stats(uarg);
	}

	/* Everything else needs a configured session owned by this fd. */
	switch (cmd) {
	case VIGIL_IOC_EVENT:
	case VIGIL_IOC_STACK:
	case VIGIL_IOC_FILTER:
	case VIGIL_IOC_START:
	case VIGIL_IOC_STOP:
	case VIGIL_IOC_ADD_KPROBE:
	case VIGIL_IOC_DEL_KPROBE:
	case VIGIL_IOC_GET_POS:
	case VIGIL_IOC_CONSUME:
	case VIGIL_IOC_FLUSH:
	case VIGIL_IOC_PAUSE:
	case VIGIL_IOC_RESUME:
	case VIGIL_IOC_BUFFER_FD:
	case VIGIL_IOC_ADD_CHANNEL:
	case VIGIL_IOC_EVENT_CHANNEL:
	case VIGIL_IOC_CHAN_BUFFER_FD:
	case VIGIL_IOC_CHAN_GET_POS:
	case VIGIL_IOC_CHAN_CONSUME:
	case VIGIL_IOC_CHAN_PAUSE:
		break;
	default:
		return -ENOTTY;
	}
	if (!vigil.configured || vigil.owner != file)
		return -EBUSY;

	switch (cmd) {
	case VIGIL_IOC_EVENT:
		return vigil_event(uarg);
	case VIGIL_IOC_STACK:
		return vigil_stack(uarg);
	case VIGIL_IOC_FILTER:
		return vigil_filter(uarg);
	case VIGIL_IOC_START:
		return vigil_start();
	case VIGIL_IOC_STOP:
		if (!vigil.running)
			return -EBUSY;
		vigil_do_stop();
		return 0;
	case VIGIL_IOC_ADD_KPROBE:
		if (copy_from_user(&kreq, uarg, sizeof(kreq)))
			return -EFAULT;
		ret = vigil_kprobe_add(&kreq);
		if (ret)
			return ret;
		/* -EFAULT only for a kprobe that is gone again */
		if (copy_to_user(uarg, &kreq, sizeof(kreq))) {
			vigil_kprobe_abort(kreq.id);
			return -EFAULT;
		}
		vigil_kprobe_commit(kreq.id);
		return 0;
	case VIGIL_IOC_DEL_KPROBE:
		if (copy_from_user(&kreq, uarg, sizeof(kreq)))
			return -EFAULT;
		return vigil_kprobe_del(&kreq);
	case VIGIL_IOC_GET_POS:
		if (copy_from_user(&pos, uarg, sizeof(pos)))
			return -EFAULT;
		ret = vigil_get_pos(&pos);
		if (ret)
			return ret;
		if (copy_to_user(uarg, &pos, sizeof(pos)))
			return -EFAULT;
		return 0;
	case VIGIL_IOC_CONSUME:
		if (copy_from_user(&pos, uarg, sizeof(pos)))
			return -EFAULT;
		return vigil_consume(&pos);
	case VIGIL_IOC_FLUSH:
		vigil_flush_all();
		return 0;
	case VIGIL_IOC_PAUSE:
		if (!vigil.running || READ_ONCE(vigil_paused))
			return -EBUSY;
		vigil_pause();
		return 0;
	case VIGIL_IOC_RESUME:
		if (!vigil.running || !READ_ONCE(vigil_paused))
			return -EBUSY;
		vigil_resume();
		return 0;
	case VIGIL_IOC_BUFFER_FD:
		if (copy_from_user(&breq, uarg, sizeof(breq)))
			return -EFAULT;
		return vigil_buffer_fd(&breq);
	case VIGIL_IOC_ADD_CHANNEL:
		if (vigil.running)
			return -EBUSY;
		if (copy_from_user(&ccfg, uarg, sizeof(ccfg)))
			return -EFAULT;
		ret = vigil_channel_add(&ccfg);
		if (ret)
			return ret;
		if (copy_to_user(uarg, &ccfg, sizeof(ccfg))) {
			/* nothing changes on an error */
			vigil_channel_remove_last();
			return -EFAULT;
		}
		return 0;
	case VIGIL_IOC_EVENT_CHANNEL:
		return vigil_event_channel(uarg);
	case VIGIL_IOC_CHAN_BUFFER_FD:
		if (copy_from_user(&cbreq, uarg, sizeof(cbreq)))
			return -EFAULT;
		return vigil_chan_buffer_fd(&cbreq);
	case VIGIL_IOC_CHAN_GET_POS:
		if (copy_from_user(&cpos, uarg, sizeof(cpos)))
			return -EFAULT;
		ret = vigil_chan_get_pos(&cpos);
		if (ret)
			return ret;
		if (copy_to_user(uarg, &cpos, sizeof(cpos)))
			return -EFAULT;
		return 0;
	case VIGIL_IOC_CHAN_CONSUME:
		if (copy_from_user(&cpos, uarg, sizeof(cpos)))
			return -EFAULT;
		return vigil_chan_consume(&cpos);
	case VIGIL_IOC_CHAN_PAUSE:
		if (copy_from_user(&creq, uarg, sizeof(creq)))
			return -EFAULT;
		if (!vigil.running)
			return -EBUSY;
		return vigil_chan_pause(&creq);
	}
	return -ENOTTY;
}

static long vigil_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	long ret;

	mutex_lock(&vigil.lock);
	ret = vigil_ioctl_locked(file, cmd, (void __user *)arg);
	mutex_unlock(&vigil.lock);
	return ret;
}

static int vigil_open(struct inode *inode, struct file *file)
{
	return 0;
}

static int vigil_release(struct inode *inode, struct file *file)
{
	mutex_lock(&vigil.lock);
	if (vigil.owner == file)
		vigil_do_reset();
	mutex_unlock(&vigil.lock);
	return 0;
}

static const struct file_operations vigil_fops = {
	.owner = THIS_MODULE,
	.open = vigil_open,
	.release = vigil_release,
	.unlocked_ioctl = vigil_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vigil_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vigil",
	.fops = &vigil_fops,
	.mode = 0600,
};

static int __init vigil_init(void)
{
	int ret;

	vigil_cpus = alloc_percpu(struct vigil_cpu);
	if (!vigil_cpus)
		return -ENOMEM;
	ret = vigil_core_init();
	if (ret)
		goto err_percpu;
	ret = vigil_annotate_init();
	if (ret)
		goto err_percpu;
	ret = misc_register(&vigil_misc);
	if (ret)
		goto err_annotate;
	return 0;

err_annotate:
	vigil_annotate_exit();
err_percpu:
	free_percpu(vigil_cpus);
	return ret;
}

static void __exit vigil_exit(void)
{
	misc_deregister(&vigil_misc);
	vigil_annotate_exit();
	mutex_lock(&vigil.lock);
	vigil_do_reset();	/* nothing left after the last release */
	mutex_unlock(&vigil.lock);
	free_percpu(vigil_cpus);
}

module_init(vigil_init);
module_exit(vigil_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vigil: kernel events to per-CPU relay buffers as CTF packets");
