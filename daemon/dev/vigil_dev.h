/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil_dev.h - the device API of vigil.ko in one place: open
 * /dev/vigil, configure it, choose events, filters and kprobes, start
 * and stop, get each CPU's buffer and the metadata as file descriptors,
 * map the buffers, exchange positions and read the statistics.
 *
 * vigild (daemon/vigild/live.c) and vigil-capture (kmod/tools/) both
 * use it, so the consumer protocol (GET_POS, read the packets from the
 * mapping, CONSUME) has one implementation.  Plain C, no dependency
 * but kmod/vigil_abi.h.  Unless said otherwise a function returns 0 on
 * success and -1 with errno set on failure; the caller words the error
 * (an -EINVAL is explained in the kernel log, naming the field).
 * The position, packet, consume and poll helpers may be called from a
 * reader thread while another thread makes the other calls.
 */
#ifndef VIGIL_DEV_H
#define VIGIL_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "vigil_abi.h"

struct vigil_dev_cpu {
	int fd;				/* buffer fd, -1: CPU has no buffer */
	const unsigned char *map;	/* read-only mapping, or NULL */
};

/* One channel (vigil_abi.h): channel 0 is the one CONFIGURE makes. */
struct vigil_dev_chan {
	struct vigil_channel_config cfg;	/* as configured */
	size_t map_size;		/* subbuf_size * n_subbufs */
	struct vigil_dev_cpu *cpus;	/* [ncpus], filled by vigil_dev_map() */
};

struct vigil_dev {
	int fd;				/* /dev/vigil */
	struct vigil_config cfg;	/* as configured */
	unsigned int ncpus;		/* nr_cpu_ids, known after configure */
	size_t map_size;		/* channel 0's subbuf_size * n_subbufs */
	struct vigil_dev_cpu *cpus;	/* channel 0's (= chans[0].cpus) */
	unsigned int nchans;		/* channels configured, >= 1 */
	struct vigil_dev_chan chans[VIGIL_MAX_CHANNELS];
};

/* Open /dev/vigil read-write (close-on-exec).  NULL with errno ENOENT,
 * ENODEV or ENXIO when vigil.ko is not loaded. */
struct vigil_dev *vigil_dev_open(void);

/* Unmap the buffers, close their fds and the device (which ends the
 * session if this fd owns it).  NULL is allowed. */
void vigil_dev_close(struct vigil_dev *d);

/* Is a session running (owned by any fd)?  1, 0, or -1 with errno. */
int vigil_dev_running(struct vigil_dev *d);

/* CONFIGURE with cfg (its abi_version is set to VIGIL_ABI_VERSION),
 * then learn the number of CPU ids.  EBUSY: another fd owns the
 * session, or it is running. */
int vigil_dev_configure(struct vigil_dev *d, const struct vigil_config *cfg);

/* EVENT: enable (1) or disable (0) "subsys:name", or "all" built-in
 * events.  ENAMETOOLONG for a name of VIGIL_NAME_MAX bytes or more;
 * ENOENT: no such event in the module (or kernel). */
int vigil_dev_event(struct vigil_dev *d, const char *name, int enable);

/* STACK: record the kernel stack of built-in event "subsys:name", at most
 * depth addresses (0: none), before START.  ENOENT: no such built-in
 * event; ENOTTY: a module without stacks (older than this ioctl);
 * EBUSY: running. */
int vigil_dev_stack(struct vigil_dev *d, const char *name, unsigned int depth);

/* FILTER: replace filter set type (VIGIL_FILTER_*) with count ids
 * (count 0 clears it). */
int vigil_dev_filter(struct vigil_dev *d, uint32_t type, const int32_t *ids,
		     uint32_t count);

/* ADD_KPROBE: req->id is set on success.  ENOENT: unknown or
 * unprobeable symbol; EEXIST: name in use; ENOSPC: too many. */
int vigil_dev_add_kprobe(struct vigil_dev *d, struct vigil_kprobe_req *req);

/* START, STOP, FLUSH (finish every CPU's current sub-buffer), PAUSE
 * and RESUME (flight mode snapshots), as in vigil_abi.h. */
int vigil_dev_start(struct vigil_dev *d);
int vigil_dev_stop(struct vigil_dev *d);
int vigil_dev_flush(struct vigil_dev *d);
int vigil_dev_pause(struct vigil_dev *d);
int vigil_dev_resume(struct vigil_dev *d);

/* STATS: up to n CPUs' counters into cs (may be NULL with n 0); the
 * number of CPU ids into *ncpus and whether tracing runs into *running
 * (either may be NULL). */
int vigil_dev_stats(struct vigil_dev *d, struct vigil_cpu_stats *cs,
		    unsigned int n, unsigned int *ncpus, int *running);

/* The TSDL metadata of the session now (METADATA_FD, read to the end):
 * a malloc'd NUL-terminated string, its length in *len.  Works on any
 * fd, configured or not.  NULL with errno on failure. */
char *vigil_dev_metadata(struct vigil_dev *d, size_t *len);

/* After configure: get every channel's and CPU's buffer fd (BUFFER_FD,
 * CHAN_BUFFER_FD) and map it read-only.  A CPU without a buffer (not online at CONFIGURE) gets fd
 * -1 and no mapping.  On failure *failed_cpu (may be NULL) names the
 * CPU and what is mapped so far stays (vigil_dev_close() frees it). */
int vigil_dev_map(struct vigil_dev *d, unsigned int *failed_cpu);

/* ADD_CHANNEL (after configure, before start): one more channel with
 * cfg's mode, sizes and switch interval; returns its number (>= 1) or
 * -1 with errno (ENOTTY: a module without channels; ENOSPC: too many;
 * EINVAL: a field, named in the kernel log). */
int vigil_dev_add_channel(struct vigil_dev *d,
			  const struct vigil_channel_config *cfg);

/* EVENT_CHANNEL: the records of "subsys:name" go to channel ch. */
int vigil_dev_event_channel(struct vigil_dev *d, const char *name,
			    unsigned int ch);

/* CHAN_PAUSE: pause (1) or resume (0) one channel (channel 0 included:
 * the others go on). */
int vigil_dev_chan_pause(struct vigil_dev *d, unsigned int ch, int pause);

/* CHAN_STATS: up to n CPUs' counters of channel ch (STATS for 0 with a
 * module without channels). */
int vigil_dev_chan_stats(struct vigil_dev *d, unsigned int ch,
			 struct vigil_cpu_stats *cs, unsigned int n);

/* Channel ch's forms of the three below (0: the same). */
const unsigned char *vigil_dev_chan_packet(const struct vigil_dev *d,
					   unsigned int ch, unsigned int cpu,
					   uint64_t seq);
int vigil_dev_chan_get_pos(struct vigil_dev *d, unsigned int ch,
			   unsigned int cpu, struct vigil_cpu_pos *pos);
int vigil_dev_chan_consume(struct vigil_dev *d, unsigned int ch,
			   unsigned int cpu, uint64_t from, uint64_t to);

/* Where packet seq of cpu lies in its mapping (cpu must be mapped). */
const unsigned char *vigil_dev_packet(const struct vigil_dev *d,
				      unsigned int cpu, uint64_t seq);

/* GET_POS of one CPU: finished packets are pos->consumed ..
 * pos->produced - 1. */
int vigil_dev_get_pos(struct vigil_dev *d, unsigned int cpu,
		      struct vigil_cpu_pos *pos);

/* CONSUME: give packets from .. to - 1 back (from = GET_POS's consumed,
 * to <= its produced), in steps of at most n_subbufs as the module
 * requires. */
int vigil_dev_consume(struct vigil_dev *d, unsigned int cpu, uint64_t from,
		      uint64_t to);

#endif
