// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_relay.c - the channels: per-CPU relay buffers whose sub-buffers
 * are CTF packets, the periodic switch timers, CPU hotplug, flush, pause,
 * the consumer positions and the buffer file descriptors
 * (VIGIL_IOC_BUFFER_FD and its per-channel forms).
 *
 * Each channel (struct vigil_channel, vigil.chans[]) is one relay
 * channel with its own sub-buffer size and count, switch interval and
 * mode; channel 0 is made by CONFIGURE, the others by ADD_CHANNEL, all
 * before START.  The relay channel's private_data points to ours, so the
 * callback below knows which one it serves; its packets name the lane
 * (index * nr_cpu_ids + cpu) in stream_instance_id.
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
	struct vigil_channel *ch = buf->chan->private_data;
	struct vigil_chan_cpu *vc = &per_cpu_ptr(vigil_cpus,
						 buf->cpu)->ch[ch->index];
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
	if (ch->mode == VIGIL_MODE_NORMAL && relay_buf_full(buf))
		return 0;

	hdr.magic = VIGIL_CTF_MAGIC;
	memcpy(hdr.uuid, vigil.uuid, sizeof(hdr.uuid));
	hdr.stream_id = 0;
	hdr.stream_instance_id = (u64)ch->index * nr_cpu_ids + buf->cpu;
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

/*
 * The checks CONFIGURE and ADD_CHANNEL share; @what names the ioctl in
 * the kernel log.  Then the memory: every channel's buffers together,
 * this one included, may take at most half of the RAM.
 */
int vigil_channel_check(const char *what, u32 mode, u32 subbuf_size,
			u32 n_subbufs, u32 switch_interval_ms)
{
	u64 total;
	u32 i;

	if (mode > VIGIL_MODE_FLIGHT)
		return VIGIL_INVAL("%s: mode %u is not 0 (normal) or 1 (flight)",
				   what, mode);
	if (subbuf_size < 4096 || subbuf_size > (64U << 20) ||
	    !is_power_of_2(subbuf_size))
		return VIGIL_INVAL("%s: subbuf_size %u is not a power of 2 in 4096..67108864",
				   what, subbuf_size);
	if (n_subbufs < 2 || n_subbufs > 4096)
		return VIGIL_INVAL("%s: n_subbufs %u is not in 2..4096",
				   what, n_subbufs);
	if (switch_interval_ms > 60000)
		return VIGIL_INVAL("%s: switch_interval_ms %u is over 60000",
				   what, switch_interval_ms);
	total = (u64)subbuf_size * n_subbufs;
	/* CONFIGURE replaces every channel; ADD_CHANNEL adds to them */
	if (strcmp(what, "CONFIGURE"))
		for (i = 0; i < vigil.n_chans; i++)
			total += (u64)vigil.chans[i].subbuf_size *
				 vigil.chans[i].n_subbufs;
	total *= num_possible_cpus();
	if (total > ((u64)totalram_pages() << PAGE_SHIFT) / 2) {
		pr_info("vigil: %s: %u sub-buffers of %u bytes on %u CPUs (%llu MiB with the other channels) exceed half of the RAM\n",
			what, n_subbufs, subbuf_size, num_possible_cpus(),
			total >> 20);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Open the relay buffers of channel @ch (its fields set).  Called under
 * vigil.lock, not running: no writer, timer or hotplug callback of ours
 * touches the channel until START.
 */
static int vigil_channel_open(struct vigil_channel *ch)
{
	struct rchan *chan;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct vigil_chan_cpu *cc =
			&per_cpu_ptr(vigil_cpus, cpu)->ch[ch->index];

		local_set(&cc->written, 0);
		for (i = 0; i < VIGIL_NR_DISCARD; i++)
			local_set(&cc->discarded[i], 0);
		cc->finalized = 0;
		cc->has_events = false;
		cc->chan = ch->index;
	}
	ch->paused = 0;
	/*
	 * relay_open() makes a buffer for each online CPU and then adds the
	 * channel to the list its CPU-prepare hotplug step serves; a CPU
	 * coming up in between would get no buffer.  Hotplug waits here.
	 * relay_open() sets private_data before it creates the buffers, so
	 * their first subbuf_start call already finds the channel.
	 */
	cpus_read_lock();
	chan = relay_open(NULL, NULL, ch->subbuf_size, ch->n_subbufs,
			  &vigil_relay_cb, ch);
	cpus_read_unlock();
	if (!chan)
		return -ENOMEM;
	WRITE_ONCE(ch->rchan, chan);
	return 0;
}

/* Called under vigil.lock with vigil.cfg set and no writer active:
 * channel 0 from vigil.cfg, and every event routed to it. */
int vigil_relay_setup(void)
{
	struct vigil_channel *ch = &vigil.chans[0];
	int cpu, ret;

	for_each_possible_cpu(cpu) {
		struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);

		vc->annotations_dropped = 0;
		vc->nest = 0;
		vc->cpu = cpu;
	}
	memset(vigil.event_chan, 0, sizeof(vigil.event_chan));
	ch->index = 0;
	ch->mode = vigil.cfg.mode;
	ch->subbuf_size = vigil.cfg.subbuf_size;
	ch->n_subbufs = vigil.cfg.n_subbufs;
	ch->switch_interval_ms = vigil.cfg.switch_interval_ms;
	ret = vigil_channel_open(ch);
	if (ret)
		return ret;
	vigil.n_chans = 1;
	return 0;
}

/*
 * ADD_CHANNEL, under vigil.lock, configured and not running.  The new
 * channel counts (n_chans) only once its buffers exist, so a failure
 * leaves nothing behind.
 */
int vigil_channel_add(struct vigil_channel_config *cfg)
{
	struct vigil_channel *ch;
	int i, ret;

	if (cfg->abi_version != VIGIL_ABI_VERSION)
		return VIGIL_INVAL("ADD_CHANNEL: abi_version %u, this module speaks %u",
				   cfg->abi_version, VIGIL_ABI_VERSION);
	for (i = 0; i < ARRAY_SIZE(cfg->reserved); i++)
		if (cfg->reserved[i])
			return VIGIL_INVAL("ADD_CHANNEL: reserved[%d] is not zero",
					   i);
	if (cfg->channel)
		return VIGIL_INVAL("ADD_CHANNEL: channel %u is not zero (it is an output)",
				   cfg->channel);
	ret = vigil_channel_check("ADD_CHANNEL", cfg->mode, cfg->subbuf_size,
				  cfg->n_subbufs, cfg->switch_interval_ms);
	if (ret)
		return ret;
	if (vigil.n_chans >= VIGIL_MAX_CHANNELS)
		return -ENOSPC;
	ch = &vigil.chans[vigil.n_chans];
	ch->index = vigil.n_chans;
	ch->mode = cfg->mode;
	ch->subbuf_size = cfg->subbuf_size;
	ch->n_subbufs = cfg->n_subbufs;
	ch->switch_interval_ms = cfg->switch_interval_ms;
	ret = vigil_channel_open(ch);
	if (ret)
		return ret;
	cfg->channel = ch->index;
	vigil.n_chans++;
	return 0;
}

/* ADD_CHANNEL's undo (its number could not be given back); under
 * vigil.lock, not running, so no writer knows the channel. */
void vigil_channel_remove_last(void)
{
	struct vigil_channel *ch = &vigil.chans[vigil.n_chans - 1];
	struct rchan *chan = ch->rchan;

	vigil.n_chans--;
	WRITE_ONCE(ch->rchan, NULL);
	relay_close(chan);
}

/* Called under vigil.lock after writers and timers are gone: every
 * channel's relay channel is closed (a buffer fd keeps its buffer). */
void vigil_relay_teardown(void)
{
	u32 i;

	for (i = 0; i < vigil.n_chans; i++) {
		struct rchan *chan = vigil.chans[i].rchan;

		if (!chan)
			continue;
		WRITE_ONCE(vigil.chans[i].rchan, NULL);
		relay_close(chan);
	}
	vigil.n_chans = 0;
}

/* Flight channels keep empty sub-buffers: idle CPUs would otherwise
 * overwrite their history with empty packets at every switch. */
static bool vigil_switch_only_if_events(const struct vigil_channel *ch)
{
	return ch->mode == VIGIL_MODE_FLIGHT;
}

/*
 * Finish this CPU's current sub-buffer of channel @ch.  Interrupts off:
 * a switch must not interleave with a writer of the same CPU (an
 * interrupt handler's tracepoint), and the nesting guard keeps out a
 * writer we interrupted (we would switch under its reservation).
 */
static void vigil_switch_local(struct vigil_channel *ch)
{
	struct vigil_cpu *vc;
	struct rchan *chan;
	struct rchan_buf *buf;
	unsigned long flags;

	local_irq_save(flags);
	vc = this_cpu_ptr(vigil_cpus);
	chan = READ_ONCE(ch->rchan);
	if (!chan || vc->nest)
		goto out;
	vc->nest = 1;
	buf = *this_cpu_ptr(chan->buf);
	if (buf && (!vigil_switch_only_if_events(ch) ||
		    vc->ch[ch->index].has_events))
		relay_switch_subbuf(buf, 0);
	vc->nest = 0;
out:
	local_irq_restore(flags);
}

/* @info: the channel to flush, or NULL for all of them. */
static void vigil_flush_ipi(void *info)
{
	u32 i;

	if (info) {
		vigil_switch_local(info);
		return;
	}
	for (i = 0; i < vigil.n_chans; i++)
		vigil_switch_local(&vigil.chans[i]);
}

/* Every online CPU finishes its own current sub-buffers. */
void vigil_flush_all(void)
{
	on_each_cpu(vigil_flush_ipi, NULL, 1);
}

static void vigil_timer_fn(struct timer_list *t)
{
	struct vigil_chan_cpu *cc = from_timer(cc, t, timer);
	struct vigil_channel *ch = &vigil.chans[cc->chan];

	vigil_switch_local(ch);
	if (READ_ONCE(cc->timer_on))
		mod_timer(&cc->timer, jiffies +
			  msecs_to_jiffies(ch->switch_interval_ms));
}

/*
 * Online-state cpuhp callbacks: they run on the CPU concerned, one
 * pinned timer per channel with a switch interval.  The channels do not
 * change while these exist (not running is required for that).
 */
static int vigil_cpu_online(unsigned int cpu)
{
	struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);
	u32 i;

	for (i = 0; i < vigil.n_chans; i++) {
		struct vigil_channel *ch = &vigil.chans[i];
		struct vigil_chan_cpu *cc = &vc->ch[i];

		if (!ch->switch_interval_ms)
			continue;
		timer_setup(&cc->timer, vigil_timer_fn, TIMER_PINNED);
		WRITE_ONCE(cc->timer_on, true);
		cc->timer.expires = jiffies +
			msecs_to_jiffies(ch->switch_interval_ms);
		add_timer_on(&cc->timer, cpu);
	}
	return 0;
}

/*
 * Also called for every CPU when the state is removed (STOP): it only
 * stops the timers.  The CPU's last packets are finished by STOP's
 * flush, or, when the CPU goes offline, by vigil_cpu_dead() once nothing
 * can run on it any more (events of the rest of its way down included).
 */
static int vigil_cpu_offline(unsigned int cpu)
{
	struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);
	u32 i;

	for (i = 0; i < vigil.n_chans; i++) {
		struct vigil_chan_cpu *cc = &vc->ch[i];

		if (!READ_ONCE(cc->timer_on))
			continue;
		/* No re-arm after this, then wait for a running callback. */
		WRITE_ONCE(cc->timer_on, false);
		del_timer_sync(&cc->timer);
	}
	return 0;
}

/*
 * DEAD-stage teardown (CPUHP_BP_PREPARE_DYN): runs on a control CPU
 * after @cpu has stopped, so no writer, timer or IPI of that CPU can
 * touch its buffers: finish its current sub-buffers here, so that every
 * event it recorded becomes readable.  The buffers stay until the
 * channels are closed (the CPU may come back).  The state is removed
 * without calls (cpuhp_remove_state_nocalls), since for a CPU that is
 * alive this would switch its buffers under its writers.
 */
static int vigil_cpu_dead(unsigned int cpu)
{
	struct vigil_cpu *vc = per_cpu_ptr(vigil_cpus, cpu);
	u32 i;

	for (i = 0; i < vigil.n_chans; i++) {
		struct vigil_channel *ch = &vigil.chans[i];
		struct rchan *chan = READ_ONCE(ch->rchan);
		struct rchan_buf *buf;

		if (!chan)
			continue;
		buf = *per_cpu_ptr(chan->buf, cpu);
		if (buf && (!vigil_switch_only_if_events(ch) ||
			    vc->ch[i].has_events))
			relay_switch_subbuf(buf, 0);
	}
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

/*
 * Normal mode: may a record of @size bytes of event @id be written on
 * this CPU now without being discarded for lack of room?  Yes if it
 * fits in the current sub-buffer of the event's channel or relay can
 * start a new one (relay_buf_full() is then false after the switch
 * increments subbufs_produced).  A flight channel overwrites, so always
 * yes.  Interrupts are off.
 */
bool vigil_statedump_room(size_t size, u16 id)
{
	struct vigil_channel *ch = &vigil.chans[vigil.event_chan[id]];
	struct rchan *chan = READ_ONCE(ch->rchan);
	struct rchan_buf *buf;

	if (ch->mode != VIGIL_MODE_NORMAL || !chan)
		return true;
	buf = *this_cpu_ptr(chan->buf);
	if (!buf)
		return true;
	if (buf->offset + size <= chan->subbuf_size)
		return true;
	return buf->subbufs_produced + 1 - READ_ONCE(buf->subbufs_consumed) <
	       chan->n_subbufs;
}

/* The channel by number, or NULL (named in the kernel log by the caller). */
static struct vigil_channel *vigil_chan(u32 channel)
{
	if (channel >= vigil.n_chans || !vigil.chans[channel].rchan)
		return NULL;
	return &vigil.chans[channel];
}

static struct rchan_buf *vigil_cpu_buf(struct vigil_channel *ch, u32 cpu)
{
	if (!ch || cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return NULL;
	return *per_cpu_ptr(ch->rchan->buf, cpu);
}

int vigil_chan_get_pos(struct vigil_chan_pos *pos)
{
	struct vigil_channel *ch = vigil_chan(pos->channel);
	struct rchan_buf *buf;

	if (pos->reserved)
		return VIGIL_INVAL("GET_POS: reserved is not zero");
	if (!ch)
		return VIGIL_INVAL("GET_POS: no channel %u", pos->channel);
	buf = vigil_cpu_buf(ch, pos->cpu);
	if (!buf)
		return VIGIL_INVAL("GET_POS: cpu %u has no buffer", pos->cpu);
	pos->produced = smp_load_acquire(&per_cpu_ptr(vigil_cpus,
					 pos->cpu)->ch[ch->index].finalized);
	pos->consumed = READ_ONCE(buf->subbufs_consumed);
	return 0;
}

/*
 * pos->consumed is the new total; it may only grow, up to produced, and
 * by at most n_subbufs at a time (relay ignores larger steps).
 */
int vigil_chan_consume(const struct vigil_chan_pos *pos)
{
	struct vigil_channel *ch = vigil_chan(pos->channel);
	struct rchan_buf *buf;
	u64 produced, consumed;

	if (pos->reserved)
		return VIGIL_INVAL("CONSUME: reserved is not zero");
	if (!ch)
		return VIGIL_INVAL("CONSUME: no channel %u", pos->channel);
	buf = vigil_cpu_buf(ch, pos->cpu);
	if (!buf)
		return VIGIL_INVAL("CONSUME: cpu %u has no buffer", pos->cpu);
	produced = smp_load_acquire(&per_cpu_ptr(vigil_cpus,
				    pos->cpu)->ch[ch->index].finalized);
	consumed = READ_ONCE(buf->subbufs_consumed);
	if (pos->consumed < consumed || pos->consumed > produced)
		return VIGIL_INVAL("CONSUME: cpu %u consumed %llu is outside %llu..%llu",
				   pos->cpu, pos->consumed, consumed, produced);
	if (pos->consumed - consumed > ch->n_subbufs)
		return VIGIL_INVAL("CONSUME: cpu %u consumed %llu is more than n_subbufs (%u) past %llu",
				   pos->cpu, pos->consumed, ch->n_subbufs,
				   consumed);
	relay_subbufs_consumed(ch->rchan, pos->cpu,
			       pos->consumed - consumed);
	return 0;
}

/* The channel 0 forms (struct vigil_cpu_pos: no channel field). */
int vigil_get_pos(struct vigil_cpu_pos *pos)
{
	struct vigil_chan_pos p = { .channel = 0, .cpu = pos->cpu };
	int ret;

	if (pos->reserved)
		return VIGIL_INVAL("GET_POS: reserved is not zero");
	ret = vigil_chan_get_pos(&p);
	pos->produced = p.produced;
	pos->consumed = p.consumed;
	return ret;
}

int vigil_consume(const struct vigil_cpu_pos *pos)
{
	struct vigil_chan_pos p = {
		.channel = 0, .cpu = pos->cpu, .consumed = pos->consumed,
	};

	if (pos->reserved)
		return VIGIL_INVAL("CONSUME: reserved is not zero");
	return vigil_chan_consume(&p);
}

/* One CPU's counters of channel @chan (STATS, CHAN_STATS). */
void vigil_cpu_stats_fill(u32 chan, int cpu, struct vigil_cpu_stats *cs)
{
	struct vigil_chan_cpu *cc = &per_cpu_ptr(vigil_cpus, cpu)->ch[chan];
	struct vigil_channel *ch = vigil_chan(chan);
	struct rchan_buf *buf = vigil_cpu_buf(ch, cpu);

	cs->events_written += local_read(&cc->written);
	cs->events_discarded += vigil_discarded_total(cc);
	cs->discarded_too_big += local_read(&cc->discarded[VIGIL_DISCARD_TOO_BIG]);
	cs->discarded_full += local_read(&cc->discarded[VIGIL_DISCARD_FULL]);
	cs->discarded_nested += local_read(&cc->discarded[VIGIL_DISCARD_NESTED]);
	/* pairs with the release in vigil_subbuf_start(), as in GET_POS */
	cs->subbufs_produced += smp_load_acquire(&cc->finalized);
	if (buf)
		cs->subbufs_consumed += READ_ONCE(buf->subbufs_consumed);
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
int vigil_chan_buffer_fd(const struct vigil_chan_buffer_req *req)
{
	struct vigil_channel *ch = vigil_chan(req->channel);
	struct rchan_buf *buf;
	struct file *file;
	int fd;

	if (req->reserved)
		return VIGIL_INVAL("BUFFER_FD: reserved %llu must be zero",
				   req->reserved);
	if (!ch)
		return VIGIL_INVAL("BUFFER_FD: no channel %u", req->channel);
	if (req->cpu >= nr_cpu_ids || !cpu_possible(req->cpu))
		return VIGIL_INVAL("BUFFER_FD: cpu %u is not a possible CPU",
				   req->cpu);
	buf = vigil_cpu_buf(ch, req->cpu);
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

int vigil_buffer_fd(const struct vigil_buffer_req *req)
{
	struct vigil_chan_buffer_req r = { .channel = 0, .cpu = req->cpu };

	if (req->flags || req->reserved)
		return VIGIL_INVAL("BUFFER_FD: flags %#x and reserved %llu must be zero",
				   req->flags, req->reserved);
	return vigil_chan_buffer_fd(&r);
}

/*
 * Stop the writers of every channel: set the flags, then wait until
 * every writer that may have missed them has finished its record
 * (writers run with interrupts off, which synchronize_rcu() waits for).
 * Then finish the current sub-buffers so the reader sees everything
 * written before the pause.
 */
void vigil_pause(void)
{
	u32 i;

	WRITE_ONCE(vigil_paused, 1);
	for (i = 0; i < vigil.n_chans; i++)
		WRITE_ONCE(vigil.chans[i].paused, 1);
	synchronize_rcu();
	vigil_flush_all();
}

void vigil_resume(void)
{
	u32 i;

	for (i = 0; i < vigil.n_chans; i++)
		WRITE_ONCE(vigil.chans[i].paused, 0);
	WRITE_ONCE(vigil_paused, 0);
}

/*
 * CHAN_PAUSE: the same for one channel; the others go on.  Under
 * vigil.lock, running.  Pausing: the flag, then synchronize_rcu() for
 * the writers that missed it, then this channel's flush on every CPU
 * (an IPI runs on each CPU with interrupts off, after any writer there
 * has left its section).
 */
int vigil_chan_pause(const struct vigil_chan_req *req)
{
	struct vigil_channel *ch = vigil_chan(req->channel);

	if (req->reserved || req->pause > 1)
		return VIGIL_INVAL("CHAN_PAUSE: pause %u (0 or 1), reserved %llu (0)",
				   req->pause, req->reserved);
	if (!ch)
		return VIGIL_INVAL("CHAN_PAUSE: no channel %u", req->channel);
	if (READ_ONCE(ch->paused) == (int)req->pause)
		return -EBUSY;
	if (!req->pause) {
		WRITE_ONCE(ch->paused, 0);
		return 0;
	}
	WRITE_ONCE(ch->paused, 1);
	synchronize_rcu();
	on_each_cpu(vigil_flush_ipi, ch, 1);
	return 0;
}
