/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vigil_abi.h - the contract between vigil.ko and user space.
 *
 * Everything user space needs to drive /dev/vigil and to find its way
 * in the per-CPU relay buffers is here; nothing here describes an event
 * layout.  Event layouts are published as CTF 1.8 metadata (TSDL text)
 * by the module and user space decodes from that alone.
 *
 * Byte order is the machine's (little-endian on every architecture we
 * build for); the metadata says so explicitly.
 */
#ifndef _VIGIL_ABI_H
#define _VIGIL_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

/*
 * 2: the buffers and the metadata are file descriptors handed out by
 *    VIGIL_IOC_BUFFER_FD and VIGIL_IOC_METADATA_FD (no debugfs files);
 *    struct vigil_cpu_stats counts discards by cause.
 *    Channels (VIGIL_IOC_ADD_CHANNEL and the VIGIL_IOC_CHAN_* ioctls)
 *    were added without a new version: a session that uses none is
 *    the same as before, and a module without them answers -ENOTTY.
 */
#define VIGIL_ABI_VERSION	2

/* Paths.  Nothing else: the module creates no debugfs files, so it works
 * under kernel lockdown (Secure Boot) where debugfs refuses them. */
#define VIGIL_DEV_PATH		"/dev/vigil"
#define VIGIL_ANNOTATE_PATH	"/dev/vigil_annotate"

/* CTF packet header magic, as in the CTF 1.8 specification. */
#define VIGIL_CTF_MAGIC		0xC1FC1FC1U

/*
 * Every sub-buffer is one CTF packet.  All integers are byte-aligned
 * (align = 8 bits in the metadata), so these structs are packed and a
 * reader copies fields out with memcpy.
 */
struct vigil_packet_header {
	__u32 magic;			/* VIGIL_CTF_MAGIC */
	__u8  uuid[16];			/* trace uuid, also in metadata */
	__u32 stream_id;		/* always 0: one stream class */
	__u64 stream_instance_id;	/* lane: channel * nr_cpu_ids
					 * + cpu (= cpu in channel 0) */
} __attribute__((packed));

struct vigil_packet_context {
	__u64 timestamp_begin;		/* ns, vigil clock */
	__u64 timestamp_end;		/* ns; time of the last event or of
					 * the switch, whichever is later */
	__u64 content_size;		/* bits, header included */
	__u64 packet_size;		/* bits, = sub-buffer size * 8 */
	__u64 packet_seq_num;		/* per-CPU sub-buffer sequence, from 0 */
	__u64 events_discarded;		/* per-CPU running total, as of the
					 * end of this packet */
	__u32 cpu_id;
} __attribute__((packed));

#define VIGIL_PACKET_HDR_SIZE \
	(sizeof(struct vigil_packet_header) + sizeof(struct vigil_packet_context))

/*
 * Event header, then the per-event context, then the payload:
 *   __u16 id; __u64 timestamp; __s32 tid;   (14 bytes)
 * The timestamp is ktime_get_mono_fast_ns(): monotonic, comparable
 * across CPUs.  The metadata clock's offset turns it into wall time.
 */
struct vigil_event_header {
	__u16 id;
	__u64 timestamp;
	__s32 tid;
} __attribute__((packed));

/* Event ids 0..VIGIL_KPROBE_ID_BASE-1 are the built-in table; kprobes
 * get ids from VIGIL_KPROBE_ID_BASE up. */
#define VIGIL_KPROBE_ID_BASE	1024
#define VIGIL_MAX_KPROBES	64

/* ---- ioctls on /dev/vigil (root only) ---------------------------- */

#define VIGIL_MODE_NORMAL	0	/* full buffer: drop new events */
#define VIGIL_MODE_FLIGHT	1	/* full buffer: overwrite oldest */

#define VIGIL_CFG_KERNEL_ADDRS	(1U << 0)  /* emit kernel addresses */

struct vigil_config {
	__u32 abi_version;		/* VIGIL_ABI_VERSION */
	__u32 mode;			/* VIGIL_MODE_* */
	__u32 subbuf_size;		/* power of 2, 4 KiB .. 64 MiB */
	__u32 n_subbufs;		/* 2 .. 4096 */
	__u32 switch_interval_ms;	/* 0 = no periodic switch; default 100 */
	__u32 flags;			/* VIGIL_CFG_* */
	__u64 reserved[4];		/* must be zero */
};

#define VIGIL_NAME_MAX		64	/* event names, incl. NUL */

/* Enable or disable one event ("sched:sched_switch") or, with name
 * "all", every built-in event. */
struct vigil_event_req {
	char  name[VIGIL_NAME_MAX];
	__u32 enable;			/* 1 = on, 0 = off */
	__u32 reserved;
};

#define VIGIL_FILTER_PID	0	/* thread ids */
#define VIGIL_FILTER_TGID	1	/* process ids */
#define VIGIL_FILTER_SYSCALL	2	/* syscall numbers (raw_syscalls:*) */
#define VIGIL_FILTER_EXCLUDE_TGID 3	/* process ids never recorded */
#define VIGIL_FILTER_TYPE_MAX	VIGIL_FILTER_EXCLUDE_TGID
#define VIGIL_FILTER_MAX_IDS	1024

/* Replace one filter set.  count == 0 clears it (no filtering).
 * ids points to count __s32 values in user memory. */
struct vigil_filter {
	__u32 type;			/* VIGIL_FILTER_* */
	__u32 count;
	__u64 ids;			/* user pointer to __s32[count] */
};

struct vigil_kprobe_req {
	char  name[VIGIL_NAME_MAX];	/* event becomes "kprobes:<name>" */
	char  symbol[VIGIL_NAME_MAX];
	__u64 offset;
	__u32 nargs;			/* 0..6 argument registers (probe) */
	__u32 retprobe;			/* 1 = kretprobe: records the return value */
	__u32 id;			/* out: event id */
	__u32 reserved;
};

/* Per-CPU position exchange. */
struct vigil_cpu_pos {
	__u32 cpu;
	__u32 reserved;
	__u64 produced;			/* out: sub-buffers finished so far */
	__u64 consumed;			/* in for CONSUME: new total consumed;
					 * out for GET_POS */
};
/*
 * GET_POS: packets consumed..produced-1 are finished and unread; sub-buffer
 * (seq % n_subbufs) of the mapping holds packet seq.  CONSUME gives
 * them back: the new total must lie in consumed..produced and grow by
 * at most n_subbufs at a time, else -EINVAL (named in the kernel log).
 */

/*
 * events_discarded is the total of events lost on the CPU, the same
 * running count the packets carry.  Three causes are counted apart; the
 * rest of the total (events_discarded - discarded_too_big -
 * discarded_full - discarded_nested) came while tracing was PAUSEd.
 */
struct vigil_cpu_stats {
	__u64 events_written;
	__u64 events_discarded;		/* total, all causes */
	__u64 subbufs_produced;
	__u64 subbufs_consumed;
	__u64 annotations_dropped;	/* over the rate limit */
	__u64 discarded_too_big;	/* record larger than a packet's
					 * room after its header */
	__u64 discarded_full;		/* normal mode: every sub-buffer
					 * waits for the consumer (or the
					 * CPU has no buffer) */
	__u64 discarded_nested;		/* arrived while this CPU was
					 * writing another record (a kprobe
					 * in the writer's path, an NMI) */
};

struct vigil_stats {
	__u32 ncpus;			/* in: room in buf; out: nr_cpu_ids */
	__u32 running;			/* out */
	__u64 buf;			/* user pointer to vigil_cpu_stats[ncpus] */
};

#define VIGIL_IOC_MAGIC		'V'
#define VIGIL_IOC_CONFIGURE	_IOW(VIGIL_IOC_MAGIC, 1, struct vigil_config)
#define VIGIL_IOC_EVENT		_IOW(VIGIL_IOC_MAGIC, 2, struct vigil_event_req)
#define VIGIL_IOC_FILTER	_IOW(VIGIL_IOC_MAGIC, 3, struct vigil_filter)
#define VIGIL_IOC_START		_IO(VIGIL_IOC_MAGIC, 4)
#define VIGIL_IOC_STOP		_IO(VIGIL_IOC_MAGIC, 5)
#define VIGIL_IOC_ADD_KPROBE	_IOWR(VIGIL_IOC_MAGIC, 6, struct vigil_kprobe_req)
#define VIGIL_IOC_DEL_KPROBE	_IOW(VIGIL_IOC_MAGIC, 7, struct vigil_kprobe_req)
#define VIGIL_IOC_GET_POS	_IOWR(VIGIL_IOC_MAGIC, 8, struct vigil_cpu_pos)
#define VIGIL_IOC_CONSUME	_IOW(VIGIL_IOC_MAGIC, 9, struct vigil_cpu_pos)
#define VIGIL_IOC_STATS		_IOWR(VIGIL_IOC_MAGIC, 10, struct vigil_stats)
/* Finish the current sub-buffer on every CPU now (each on its own CPU). */
#define VIGIL_IOC_FLUSH		_IO(VIGIL_IOC_MAGIC, 11)
/* Flight mode snapshot: PAUSE stops writers (events meanwhile count as
 * discarded) and flushes; user space copies the sub-buffers; RESUME. */
#define VIGIL_IOC_PAUSE		_IO(VIGIL_IOC_MAGIC, 12)
#define VIGIL_IOC_RESUME	_IO(VIGIL_IOC_MAGIC, 13)

/*
 * VIGIL_IOC_BUFFER_FD (owner, configured): one CPU's relay buffer as a
 * new file descriptor, the ioctl's return value (O_CLOEXEC).  The fd
 * supports only mmap (read-only, MAP_SHARED, offset 0, length
 * subbuf_size * n_subbufs rounded up to a page) and poll: POLLIN while a
 * finished sub-buffer waits to be consumed, POLLERR once the buffer
 * belongs to no session any more.  read(), write() and splice fail: a
 * packet is read from the mapping between GET_POS and CONSUME only.
 * The fd (and a mapping made from it) keeps the buffer's memory alive
 * after STOP, a new CONFIGURE or the end of the session; it then no
 * longer receives events.  -EINVAL names the problem in the kernel log
 * (cpu out of range, flags or reserved not zero); -ENODEV: that CPU has
 * no buffer (it was not online at CONFIGURE).
 */
struct vigil_buffer_req {
	__u32 cpu;
	__u32 flags;			/* must be zero */
	__u64 reserved;			/* must be zero */
};
#define VIGIL_IOC_BUFFER_FD	_IOW(VIGIL_IOC_MAGIC, 14, struct vigil_buffer_req)

/*
 * VIGIL_IOC_METADATA_FD (any fd, any state, like STATS): the CTF 1.8
 * TSDL metadata of the current session as a new read-only file
 * descriptor (the ioctl's return value, O_CLOEXEC).  The text is
 * generated at the ioctl (kprobes defined at that moment included) and
 * read with read()/pread()/lseek(); ask again for a newer one.  Before
 * the first CONFIGURE the uuid is all zeros.
 */
#define VIGIL_IOC_METADATA_FD	_IO(VIGIL_IOC_MAGIC, 15)

/* ---- channels ------------------------------------------------------ */

/*
 * A channel is a set of per-CPU relay buffers with its own sub-buffer
 * size and count, switch interval and mode.  CONFIGURE makes channel 0,
 * the default, from struct vigil_config (and drops every other
 * channel); every event goes to channel 0 unless EVENT_CHANNEL sent it
 * elsewhere.  A session that adds no channel is exactly the one
 * channel of ABI 2, and the ioctls without a channel argument (GET_POS,
 * CONSUME, BUFFER_FD, STATS' per-CPU counters summed over channels)
 * keep meaning channel 0.
 *
 * The packets of channel c on cpu carry stream_instance_id
 * c * nr_cpu_ids + cpu (their lane) and cpu_id cpu, so a reader merging
 * several channels keeps one queue per (channel, cpu).
 */
#define VIGIL_MAX_CHANNELS	8

/*
 * VIGIL_IOC_ADD_CHANNEL (owner, configured, not running): one more
 * channel with its own buffers, allocated now; its number is returned
 * in .channel (1 .. VIGIL_MAX_CHANNELS - 1).  The fields are checked
 * as CONFIGURE checks them (the same ranges; all channels' buffers
 * together may take at most half of the RAM); -EINVAL names the field
 * in the kernel log, -ENOSPC: VIGIL_MAX_CHANNELS channels exist.
 * Nothing changes on an error.
 */
struct vigil_channel_config {
	__u32 abi_version;		/* VIGIL_ABI_VERSION */
	__u32 mode;			/* VIGIL_MODE_* */
	__u32 subbuf_size;		/* power of 2, 4 KiB .. 64 MiB */
	__u32 n_subbufs;		/* 2 .. 4096 */
	__u32 switch_interval_ms;	/* 0 .. 60000 */
	__u32 channel;			/* out: the new channel's number */
	__u64 reserved[2];		/* must be zero */
};

/*
 * VIGIL_IOC_EVENT_CHANNEL (owner, configured, not running): the
 * records of event @name (as in EVENT; a kprobe must exist) go to
 * @channel from the next START on.  -ENOENT: no such event; -EINVAL
 * (named in the kernel log): no such channel, reserved not zero.
 */
struct vigil_event_channel {
	char  name[VIGIL_NAME_MAX];
	__u32 channel;
	__u32 reserved;			/* must be zero */
};

/* BUFFER_FD, GET_POS and CONSUME of any channel: the same semantics as
 * the channel 0 ioctls, with the channel named. */
struct vigil_chan_buffer_req {
	__u32 channel;
	__u32 cpu;
	__u64 reserved;			/* must be zero */
};

struct vigil_chan_pos {
	__u32 channel;
	__u32 cpu;
	__u64 produced;			/* out */
	__u64 consumed;			/* in for CONSUME, out for GET_POS */
	__u64 reserved;			/* must be zero */
};

/*
 * VIGIL_IOC_CHAN_PAUSE (owner, running): pause (1) or resume (0) one
 * channel, as PAUSE and RESUME do for all of them: its writers stop
 * (their events count as discarded, paused) and its current
 * sub-buffers are finished; the other channels go on.  A snapshot of
 * a flight channel while normal channels stream.  -EBUSY: already in
 * that state (or not running).
 */
struct vigil_chan_req {
	__u32 channel;
	__u32 pause;			/* 1 = pause, 0 = resume */
	__u64 reserved;			/* must be zero */
};

/* VIGIL_IOC_CHAN_STATS (any fd): STATS' per-CPU counters of one
 * channel (discards whose event was not known yet, nested ones, are
 * channel 0's). */
struct vigil_chan_stats {
	__u32 channel;			/* in */
	__u32 ncpus;			/* in: room in buf; out: nr_cpu_ids */
	__u64 buf;			/* user pointer to vigil_cpu_stats[ncpus] */
	__u64 reserved;			/* must be zero */
};

#define VIGIL_IOC_ADD_CHANNEL	_IOWR(VIGIL_IOC_MAGIC, 16, struct vigil_channel_config)
#define VIGIL_IOC_EVENT_CHANNEL	_IOW(VIGIL_IOC_MAGIC, 17, struct vigil_event_channel)
#define VIGIL_IOC_CHAN_BUFFER_FD _IOW(VIGIL_IOC_MAGIC, 18, struct vigil_chan_buffer_req)
#define VIGIL_IOC_CHAN_GET_POS	_IOWR(VIGIL_IOC_MAGIC, 19, struct vigil_chan_pos)
#define VIGIL_IOC_CHAN_CONSUME	_IOW(VIGIL_IOC_MAGIC, 20, struct vigil_chan_pos)
#define VIGIL_IOC_CHAN_PAUSE	_IOW(VIGIL_IOC_MAGIC, 21, struct vigil_chan_req)
#define VIGIL_IOC_CHAN_STATS	_IOWR(VIGIL_IOC_MAGIC, 22, struct vigil_chan_stats)

/* ---- stacks -------------------------------------------------------- */

/*
 * VIGIL_IOC_STACK (owner, configured, not running: else -EBUSY): record
 * the kernel stack (stack_trace_save) of one built-in event ("sched:
 * sched_switch") after its fields, at most depth addresses (1 ..
 * VIGIL_MAX_STACK_DEPTH; 0 = none, the default).  The event's metadata
 * then ends with the callchain sequence
 *   uint16_t vigil_callchain_depth;
 *   uint64_hex_t vigil_callchain[vigil_callchain_depth];
 * innermost first (the tracepoint's caller, or __traceiter_NAME); the
 * other events' records do not change.  CONFIGURE resets every event to
 * 0.  Stacks are kernel addresses: a depth needs CAP_SYS_ADMIN, as
 * VIGIL_CFG_KERNEL_ADDRS does (-EPERM).
 * -ENOENT: no such built-in event (kprobes have no stacks); -EINVAL
 * (named in the kernel log): depth out of range, reserved not zero, name
 * not NUL-terminated.
 */
#define VIGIL_MAX_STACK_DEPTH	127
struct vigil_stack_req {
	char  name[VIGIL_NAME_MAX];
	__u32 depth;
	__u32 reserved;			/* must be zero */
};
#define VIGIL_IOC_STACK		_IOW(VIGIL_IOC_MAGIC, 23, struct vigil_stack_req)

#endif /* _VIGIL_ABI_H */
