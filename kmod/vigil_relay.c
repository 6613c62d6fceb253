// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_relay.c - per-CPU relay channel whose sub-buffers are CTF packets,
 * the periodic switch timers, CPU hotplug, flush, pause, the consumer
 * positions and the buffer file descriptors (VIGIL_IOC_BUFFER_FD).
 *
 * relay (kernel/relay.c) gives each CPU a ring of n_subbufs sub-buffers.
 * relay_reserve() calls relay_switch_subbuf() when a record does not fit;
 * that function marks the current sub-buffer finished (subbufs_produced++,
 * padding recorded) and then calls our subbuf_start callback, which
 *   1. finalizes the previous packet's context (timestamp_end,
 *      content_size, events_discarded) - exactly once per packet, and
 *      only then publishes it to user space through vc->finalized;
 *   2. in normal mode refuses to start a new sub-buffer while all of them
 *      are waiting for the consumer (relay_buf_full): relay then keeps
 *      offset at subbuf_size + 1 and every later reservation calls us
 *      again with the same prev_subbuf, until the consumer caught up;
 *   3. writes the new packet's header and context and reserves room for
 *      them with subbuf_start_reserve().
 * The callback always runs on the buffer's own CPU with interrupts off
 * (writers, timers and flush IPIs all disable them), except for the
 * initial call from relay_open() or relay's CPU-prepare hotplug step,
 * which happen before any writer of that CPU runs, and for the DEAD
 * hotplug callback, which runs on another CPU after that one is gone.
 *
 * The channel has no files (relay_open() with a NULL base name): user
 * space gets each buffer as an anonymous file from VIGIL_IOC_BUFFER_FD,
 * which holds a reference on the rchan_buf (relay's own kref) for as
 * long as the file lives; a mapping holds the file.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/anon_inodes.h>
#include <linux/mm.h>
#include <linux/relay.h>
#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/smp.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>

#include "vigil_internal.h"
#include "vigil_compat.h"

static int vigil_subbuf_start(struct rchan_buf *buf, void *subbuf,
			      void *prev_subbuf, size_t prev_padding)
{
	struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, buf->cpu);
	size_t subbuf_size = buf->chan->subbuf_size;
	struct vigil_packet_header hdr;
	struct vigil_packet_context ctx;
	u64 now = ktime_get_mono_fast_ns();

	/*
	 * Finish the previous packet.  relay incremented subbufs_produced
	 * before calling us; when it calls again for the same prev_subbuf
	 * (normal mode, buffer still full) the count has not moved and the
	 * packet is already final: leave it alone, or its events_discarded
	 * would include events lost after it ended.
	 */
	if (prev_subbuf && buf->subbufs_produced != vc->finalized) {
		struct vigil_packet_context *pc = prev_subbuf +
			sizeof(struct vigil_packet_header);
		u64 content = (u64)(subbuf_size - prev_padding) * 8;
		u64 discarded = vigil_discarded_total(vc);

		memcpy(&pc->timestamp_end, &now, sizeof(now));
		memcpy(&pc->content_size, &content, sizeof(content));
		memcpy(&pc->events_discarded, &discarded, sizeof(discarded));
		/* The packet is complete before user space may see it. */
		smp_store_release(&vc->finalized, buf->subbufs_produced);
	}

	/* Normal mode never overwrites what the consumer has not read. */
	if (vigil.cfg.mode == VIGIL_MODE_NORMAL && relay_buf_full(buf))
		return 0;

	hdr.magic = VIGIL_CTF_MAGIC;
	memcpy(hdr.uuid, vigil.uuid, sizeof(hdr.uuid));
	hdr.stream_id = 0;
	hdr.stream_instance_id = buf->cpu;
	ctx.timestamp_begin = now;
	ctx.timestamp_end = now;	/* final value at the switch */
	ctx.content_size = (u64)subbuf_size * 8; /* final value at the switch */
	ctx.packet_size = (u64)subbuf_size * 8;
	/* This sub-buffer's sequence number: the count finished before it. */
	ctx.packet_seq_num = buf->subbufs_produced;
	ctx.events_discarded = vigil_discarded_total(vc);
	ctx.cpu_id = buf->cpu;
	memcpy(subbuf, &hdr, sizeof(hdr));
	memcpy(subbuf + sizeof(hdr), &ctx, sizeof(ctx));
	subbuf_start_reserve(buf, VIGIL_PACKET_HDR_SIZE);
	vc->has_events = false;
	return 1;
}

/*
 * No files: relay calls this with a NULL name only to learn whether the
 * channel is global (it is not), and does not use the returned pointer
 * (buf->dentry stays NULL).  But relay_open_buf() in 6.1 and the
 * other kernels before an upstream fix of 2024 fails the buffer when
 * that pointer IS_ERR_OR_NULL (buffer-only mode was broken); later
 * kernels ignore it.  So return a token that is neither NULL nor an
 * error; nothing dereferences it.
 */
static char vigil_no_dentry;

static struct dentry *vigil_create_buf_file(const char *filename,
					    struct dentry *parent,
					    umode_t mode, struct rchan_buf *buf,
					    int *is_global)
{
	*is_global = 0;
	return (struct dentry *)&vigil_no_dentry;
}

/* Called by relay with the NULL dentry above (close, last reference). */
static int vigil_remove_buf_file(struct dentry *dentry)
{
	return 0;
}

static const struct rchan_callbacks vigil_relay_cb = {
	.subbuf_start = vigil_subbuf_start,
	.create_buf_file = vigil_create_buf_file,
	.remove_buf_file = vigil_remove_buf_file,
};

/* Called under vigil.lock with vigil.cfg set and no writer active. */
int vigil_relay_setup(void)
{
	struct rchan *chan;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);

		local_set(&vc->written, 0);
		for (i = 0; i < VIGIL_NR_DISCARD; i++)
			local_set(&vc->discarded[i], 0);
		vc->annotations_dropped = 0;
		vc->finalized = 0;
		vc->nest = 0;
		vc->has_events = false;
		vc->cpu = cpu;
	}
	/*
	 * relay_open() makes a buffer for each online CPU and then adds the
	 * channel to the list its CPU-prepare hotplug step serves; a CPU
	 * coming up in between would get no buffer.  Hotplug waits here.
	 */
	cpus_read_lock();
	chan = relay_open(NULL, NULL, vigil.cfg.subbuf_size,
			  vigil.cfg.n_subbufs, &vigil_relay_cb, NULL);
	cpus_read_unlock();
	if (!chan)
		return -ENOMEM;
	WRITE_ONCE(vigil.chan, chan);
	return 0;
}

/* Called under vigil.lock after writers and timers are gone. */
void vigil_relay_teardown(void)
{
	struct rchan *chan = vigil.chan;

	if (!chan)
		return;
	WRITE_ONCE(vigil.chan, NULL);
	relay_close(chan);
}

/*
 * Finish this CPU's current sub-buffer.  Interrupts off: a switch must
 * not interleave with a writer of the same CPU (an interrupt handler's
 * tracepoint).  In flight mode an empty sub-buffer is left alone so that
 * idle CPUs do not overwrite their history with empty packets.
 */
static void vigil_switch_local(bool only_if_events)
{
	struct vigil_cpu *vc;
	struct rchan *chan;
	struct rchan_buf *buf;
	unsigned long flags;

	local_irq_save(flags);
	vc = this_cpu_ptr(vigil_cpus);
	chan = READ_ONCE(vigil.chan);
	if (!chan || vc->nest)
		goto out;
	vc->nest = 1;
	buf = *this_cpu_ptr(chan->buf);
	if (buf && (!only_if_events || vc->has_events))
		relay_switch_subbuf(buf, 0);
	vc->nest = 0;
out:
	local_irq_restore(flags);
}

static bool vigil_switch_only_if_events(void)
{
	return vigil.cfg.mode == VIGIL_MODE_FLIGHT;
}

static void vigil_flush_ipi(void *info)
{
	vigil_switch_local(vigil_switch_only_if_events());
}

/* Every online CPU finishes its own current sub-buffer. */
void vigil_flush_all(void)
{
	on_each_cpu(vigil_flush_ipi, NULL, 1);
}

static void vigil_timer_fn(struct timer_list *t)
{
	struct vigil_cpu *vc = from_timer(vc, t, timer);

	vigil_switch_local(vigil_switch_only_if_events());
	if (READ_ONCE(vc->timer_on))
		mod_timer(&vc->timer, jiffies +
			  msecs_to_jiffies(vigil.cfg.switch_interval_ms));
}

/* Online-state cpuhp callbacks: they run on the CPU concerned. */
static int vigil_cpu_online(unsigned int cpu)
{
	struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);

	if (!vigil.cfg.switch_interval_ms)
		return 0;
	timer_setup(&vc->timer, vigil_timer_fn, TIMER_PINNED);
	WRITE_ONCE(vc->timer_on, true);
	vc->timer.expires = jiffies +
		msecs_to_jiffies(vigil.cfg.switch_interval_ms);
	add_timer_on(&vc->timer, cpu);
	return 0;
}

/*
 * Also called for every CPU when the state is removed (STOP): it only
 * stops the timer.  The CPU's last packet is finished by STOP's flush,
 * or, when the CPU goes offline, by vigil_cpu_dead() once nothing can
 * run on it any more (events of the rest of its way down included).
 */
static int vigil_cpu_offline(unsigned int cpu)
{
	struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);

	if (!READ_ONCE(vc->timer_on))
		return 0;
	/* No re-arm after this, then wait for a running callback. */
	WRITE_ONCE(vc->timer_on, false);
	del_timer_sync(&vc->timer);
	return 0;
}

/*
 * DEAD-stage teardown (CPUHP_BP_PREPARE_DYN): runs on a control CPU
 * after @cpu has stopped, so no writer, timer or IPI of that CPU can
 * touch its buffer: finish its current sub-buffer here, so that every
 * event it recorded becomes readable.  The buffer stays until the
 * channel is closed (the CPU may come back).  The state is removed
 * without calls (cpuhp_remove_state_nocalls), since for a CPU that is
 * alive this would switch its buffer under its writers.
 */
static int vigil_cpu_dead(unsigned int cpu)
{
	struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);
	struct rchan *chan = READ_ONCE(vigil.chan);
	struct rchan_buf *buf;

	if (!chan)
		return 0;
	buf = *per_cpu_ptr(chan->buf, cpu);
	if (buf && (!vigil_switch_only_if_events() || vc->has_events))
		relay_switch_subbuf(buf, 0);
	return 0;
}

/* START: the per-CPU switch timers and the DEAD callback. */
int vigil_timers_start(void)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "vigil:dead",
					    NULL, vigil_cpu_dead);

	if (ret < 0)
		return ret;
	vigil.cpuhp_dead_state = ret;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "vigil:online",
				vigil_cpu_online, vigil_cpu_offline);
	if (ret < 0) {
		cpuhp_remove_state_nocalls(vigil.cpuhp_dead_state);
		vigil.cpuhp_dead_state = 0;
		return ret;
	}
	vigil.cpuhp_state = ret;
	return 0;
}

/* STOP: after it returns no timer or hotplug callback of ours runs. */
void vigil_timers_stop(void)
{
	if (vigil.cpuhp_state > 0) {
		cpuhp_remove_state(vigil.cpuhp_state);
		vigil.cpuhp_state = 0;
	}
	if (vigil.cpuhp_dead_state > 0) {
		cpuhp_remove_state_nocalls(vigil.cpuhp_dead_state);
		vigil.cpuhp_dead_state = 0;
	}
}

static struct rchan_buf *vigil_cpu_buf(u32 cpu)
{
	if (!vigil.chan || cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return NULL;
	return *per_cpu_ptr(vigil.chan->buf, cpu);
}

int vigil_get_pos(struct vigil_cpu_pos *pos)
{
	struct rchan_buf *buf;

	if (pos->reserved)
		return VIGIL_INVAL("GET_POS: reserved is not zero");
	buf = vigil_cpu_buf(pos->cpu);
	if (!buf)
		return VIGIL_INVAL("GET_POS: cpu %u has no buffer", pos->cpu);
	pos->produced = smp_load_acquire(&per_cpu_ptr(vigil_cpus,
						      pos->cpu)->finalized);
	pos->consumed = READ_ONCE(buf->subbufs_consumed);
	return 0;
}

/*
 * pos->consumed is the new total; it may only grow, up to produced, and
 * by at most n_subbufs at a time (relay ignores larger steps).
 */
int vigil_consume(const struct vigil_cpu_pos *pos)
{
	struct rchan_buf *buf;
	u64 produced, consumed;

	if (pos->reserved)
		return VIGIL_INVAL("CONSUME: reserved is not zero");
	buf = vigil_cpu_buf(pos->cpu);
	if (!buf)
		return VIGIL_INVAL("CONSUME: cpu %u has no buffer", pos->cpu);
	produced = smp_load_acquire(&per_cpu_ptr(vigil_cpus,
						 pos->cpu)->finalized);
	consumed = READ_ONCE(buf->subbufs_consumed);
	if (pos->consumed < consumed || pos->consumed > produced)
		return VIGIL_INVAL("CONSUME: cpu %u consumed %llu is outside %llu..%llu",
				   pos->cpu, pos->consumed, consumed, produced);
	if (pos->consumed - consumed > vigil.cfg.n_subbufs)
		return VIGIL_INVAL("CONSUME: cpu %u consumed %llu is more than n_subbufs (%u) past %llu",
				   pos->cpu, pos->consumed, vigil.cfg.n_subbufs,
				   consumed);
	relay_subbufs_consumed(vigil.chan, pos->cpu, pos->consumed - consumed);
	return 0;
}

/* ---- buffer file descriptors ----------------------------------------- */

/*
 * The buffer fd's operations call relay's own (kernel/relay.c, which
 * finds the rchan_buf in file->private_data): mmap maps the whole
 * buffer, poll reports a finished unconsumed sub-buffer (POLLERR once
 * the channel is closed), release drops the reference taken in
 * vigil_buffer_fd() and, the last one gone, frees the buffer (calling
 * vigil_remove_buf_file(): .owner keeps the module loaded while any
 * such file, or a mapping holding one, exists).  No read or splice: a
 * reader could otherwise take an unfinished packet, bypassing CONSUME.
 */
static int vigil_buf_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	vigil_vm_flags_clear(vma, VM_MAYWRITE);
	return relay_file_operations.mmap(file, vma);
}

static __poll_t vigil_buf_poll(struct file *file, poll_table *wait)
{
	return relay_file_operations.poll(file, wait);
}

static int vigil_buf_release(struct inode *inode, struct file *file)
{
	return relay_file_operations.release(inode, file);
}

static const struct file_operations vigil_buf_fops = {
	.owner = THIS_MODULE,
	.mmap = vigil_buf_mmap,
	.poll = vigil_buf_poll,
	.release = vigil_buf_release,
	.llseek = VIGIL_NO_LLSEEK,
};

/* Called under vigil.lock: the channel, hence the buffer, is alive. */
int vigil_buffer_fd(const struct vigil_buffer_req *req)
{
	struct rchan_buf *buf;
	struct file *file;
	int fd;

	if (req->flags || req->reserved)
		return VIGIL_INVAL("BUFFER_FD: flags %#x and reserved %llu must be zero",
				   req->flags, req->reserved);
	if (req->cpu >= nr_cpu_ids || !cpu_possible(req->cpu))
		return VIGIL_INVAL("BUFFER_FD: cpu %u is not a possible CPU",
				   req->cpu);
	buf = vigil_cpu_buf(req->cpu);
	if (!buf)
		return -ENODEV;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile("[vigil_buffer]", &vigil_buf_fops, buf,
				  O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* The file's reference, dropped by relay's release. */
	kref_get(&buf->kref);
	fd_install(fd, file);
	return fd;
}

/*
 * Stop writers: set the flag, then wait until every writer that may
 * have missed it has finished its record (writers run with interrupts
 * off, which synchronize_rcu() waits for).  Then finish the current
 * sub-buffers so the reader sees everything written before the pause.
 */
void vigil_pause(void)
{
	WRITE_ONCE(vigil_paused, 1);
	synchronize_rcu();
	vigil_flush_all();
}

void vigil_resume(void)
{
	WRITE_ONCE(vigil_paused, 0);
}
