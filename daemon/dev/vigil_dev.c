// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_dev.c - the device API of vigil.ko (see vigil_dev.h): thin,
 * checked wrappers of the /dev/vigil ioctls, the buffer mappings and
 * the consumer positions.
 */
#define _GNU_SOURCE
#include "vigil_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

struct vigil_dev *vigil_dev_open(void)
{
	struct vigil_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->fd = open(VIGIL_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		int e = errno;

		free(d);
		errno = e;
		return NULL;
	}
	return d;
}

static void unmap_all(struct vigil_dev *d)
{
	for (unsigned int c = 0; c < VIGIL_MAX_CHANNELS; c++) {
		struct vigil_dev_chan *ch = &d->chans[c];

		for (unsigned int i = 0; ch->cpus && i < d->ncpus; i++) {
			if (ch->cpus[i].map)
				munmap((void *)ch->cpus[i].map, ch->map_size);
			if (ch->cpus[i].fd >= 0)
				close(ch->cpus[i].fd);
		}
		free(ch->cpus);
		ch->cpus = NULL;
	}
	d->cpus = NULL;
}

void vigil_dev_close(struct vigil_dev *d)
{
	int e = errno;

	if (!d)
		return;
	unmap_all(d);
	close(d->fd);
	free(d);
	errno = e;
}

int vigil_dev_stats(struct vigil_dev *d, struct vigil_cpu_stats *cs,
		    unsigned int n, unsigned int *ncpus, int *running)
{
	struct vigil_stats st = {
		.ncpus = cs ? n : 0,
		.buf = (uintptr_t)cs,
	};

	if (ioctl(d->fd, VIGIL_IOC_STATS, &st) < 0)
		return -1;
	if (ncpus)
		*ncpus = st.ncpus;
	if (running)
		*running = st.running != 0;
	return 0;
}

int vigil_dev_running(struct vigil_dev *d)
{
	int running;

	if (vigil_dev_stats(d, NULL, 0, NULL, &running) < 0)
		return -1;
	return running;
}

int vigil_dev_configure(struct vigil_dev *d, const struct vigil_config *cfg)
{
	struct vigil_config c = *cfg;
	unsigned int n;

	c.abi_version = VIGIL_ABI_VERSION;
	if (ioctl(d->fd, VIGIL_IOC_CONFIGURE, &c) < 0)
		return -1;
	if (vigil_dev_stats(d, NULL, 0, &n, NULL) < 0)
		return -1;
	if (n == 0 || n > 65536) {
		errno = ERANGE;		/* not a kernel we understand */
		return -1;
	}
	unmap_all(d);			/* buffers of an earlier CONFIGURE */
	d->cfg = c;
	d->ncpus = n;
	d->map_size = (size_t)c.subbuf_size * c.n_subbufs;
	memset(d->chans, 0, sizeof(d->chans));
	d->chans[0].cfg.abi_version = c.abi_version;
	d->chans[0].cfg.mode = c.mode;
	d->chans[0].cfg.subbuf_size = c.subbuf_size;
	d->chans[0].cfg.n_subbufs = c.n_subbufs;
	d->chans[0].cfg.switch_interval_ms = c.switch_interval_ms;
	d->chans[0].map_size = d->map_size;
	d->nchans = 1;
	return 0;
}

int vigil_dev_add_channel(struct vigil_dev *d,
			  const struct vigil_channel_config *cfg)
{
	struct vigil_channel_config c = *cfg;

	c.abi_version = VIGIL_ABI_VERSION;
	c.channel = 0;
	if (ioctl(d->fd, VIGIL_IOC_ADD_CHANNEL, &c) < 0)
		return -1;
	if (c.channel >= VIGIL_MAX_CHANNELS) {
		errno = ERANGE;
		return -1;
	}
	d->chans[c.channel].cfg = c;
	d->chans[c.channel].map_size = (size_t)c.subbuf_size * c.n_subbufs;
	if (c.channel + 1 > d->nchans)
		d->nchans = c.channel + 1;
	return (int)c.channel;
}

int vigil_dev_event_channel(struct vigil_dev *d, const char *name,
			    unsigned int ch)
{
	struct vigil_event_channel r;

	memset(&r, 0, sizeof(r));
	if (strlen(name) >= sizeof(r.name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(r.name, name);
	r.channel = ch;
	return ioctl(d->fd, VIGIL_IOC_EVENT_CHANNEL, &r) < 0 ? -1 : 0;
}

int vigil_dev_chan_pause(struct vigil_dev *d, unsigned int ch, int pause)
{
	struct vigil_chan_req r = { .channel = ch, .pause = pause ? 1 : 0 };

	return ioctl(d->fd, VIGIL_IOC_CHAN_PAUSE, &r) < 0 ? -1 : 0;
}

int vigil_dev_chan_stats(struct vigil_dev *d, unsigned int ch,
			 struct vigil_cpu_stats *cs, unsigned int n)
{
	struct vigil_chan_stats st = {
		.channel = ch,
		.ncpus = n,
		.buf = (uintptr_t)cs,
	};

	if (ch == 0 && d->nchans <= 1)
		return vigil_dev_stats(d, cs, n, NULL, NULL);
	return ioctl(d->fd, VIGIL_IOC_CHAN_STATS, &st) < 0 ? -1 : 0;
}

int vigil_dev_event(struct vigil_dev *d, const char *name, int enable)
{
	struct vigil_event_req r;

	memset(&r, 0, sizeof(r));
	if (strlen(name) >= sizeof(r.name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(r.name, name);
	r.enable = enable ? 1 : 0;
	return ioctl(d->fd, VIGIL_IOC_EVENT, &r) < 0 ? -1 : 0;
}

int vigil_dev_stack(struct vigil_dev *d, const char *name, unsigned int depth)
{
	struct vigil_stack_req r;

	memset(&r, 0, sizeof(r));
	if (strlen(name) >= sizeof(r.name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(r.name, name);
	r.depth = depth;
	return ioctl(d->fd, VIGIL_IOC_STACK, &r) < 0 ? -1 : 0;
}

int vigil_dev_filter(struct vigil_dev *d, uint32_t type, const int32_t *ids,
		     uint32_t count)
{
	struct vigil_filter f = {
		.type = type,
		.count = count,
		.ids = (uintptr_t)ids,
	};

	return ioctl(d->fd, VIGIL_IOC_FILTER, &f) < 0 ? -1 : 0;
}

int vigil_dev_add_kprobe(struct vigil_dev *d, struct vigil_kprobe_req *req)
{
	return ioctl(d->fd, VIGIL_IOC_ADD_KPROBE, req) < 0 ? -1 : 0;
}

int vigil_dev_start(struct vigil_dev *d)
{
	return ioctl(d->fd, VIGIL_IOC_START) < 0 ? -1 : 0;
}

int vigil_dev_stop(struct vigil_dev *d)
{
	return ioctl(d->fd, VIGIL_IOC_STOP) < 0 ? -1 : 0;
}

int vigil_dev_flush(struct vigil_dev *d)
{
	return ioctl(d->fd, VIGIL_IOC_FLUSH) < 0 ? -1 : 0;
}

int vigil_dev_pause(struct vigil_dev *d)
{
	return ioctl(d->fd, VIGIL_IOC_PAUSE) < 0 ? -1 : 0;
}

int vigil_dev_resume(struct vigil_dev *d)
{
	return ioctl(d->fd, VIGIL_IOC_RESUME) < 0 ? -1 : 0;
}

char *vigil_dev_metadata(struct vigil_dev *d, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *text = NULL;
	int fd = ioctl(d->fd, VIGIL_IOC_METADATA_FD);

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t r;

		if (!text || cap - n < 4096) {
			char *t = realloc(text, cap *= 2);

			if (!t)
				goto fail;
			text = t;
		}
		r = read(fd, text + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	text[n] = '\0';
	if (len)
		*len = n;
	return text;

fail:
	{
		int e = errno;

		free(text);
		close(fd);
		errno = e;
		return NULL;
	}
}

/* Channel 0 through BUFFER_FD (a module without channels has only
 * that), the others through CHAN_BUFFER_FD. */
static int buffer_fd(struct vigil_dev *d, unsigned int ch, unsigned int cpu)
{
	if (ch == 0) {
		struct vigil_buffer_req req = { .cpu = cpu };

		return ioctl(d->fd, VIGIL_IOC_BUFFER_FD, &req);
	} else {
		struct vigil_chan_buffer_req req = { .channel = ch, .cpu = cpu };

		return ioctl(d->fd, VIGIL_IOC_CHAN_BUFFER_FD, &req);
	}
}

int vigil_dev_map(struct vigil_dev *d, unsigned int *failed_cpu)
{
	unmap_all(d);
	for (unsigned int c = 0; c < d->nchans; c++) {
		struct vigil_dev_chan *ch = &d->chans[c];

		ch->cpus = calloc(d->ncpus ? d->ncpus : 1, sizeof(*ch->cpus));
		if (!ch->cpus)
			return -1;
		for (unsigned int i = 0; i < d->ncpus; i++)
			ch->cpus[i].fd = -1;
	}
	d->cpus = d->chans[0].cpus;
	for (unsigned int c = 0; c < d->nchans; c++) {
		struct vigil_dev_chan *ch = &d->chans[c];

		for (unsigned int i = 0; i < d->ncpus; i++) {
			void *m;
			int fd = buffer_fd(d, c, i);

			if (fd < 0) {
				if (errno == ENODEV)
					continue;	/* no buffer for that CPU */
				goto fail;
			}
			ch->cpus[i].fd = fd;
			m = mmap(NULL, ch->map_size, PROT_READ, MAP_SHARED, fd, 0);
			if (m == MAP_FAILED)
				goto fail;
			ch->cpus[i].map = m;
			continue;
fail:
			if (failed_cpu)
				*failed_cpu = i;
			return -1;
		}
	}
	return 0;
}

const unsigned char *vigil_dev_chan_packet(const struct vigil_dev *d,
					   unsigned int ch, unsigned int cpu,
					   uint64_t seq)
{
	const struct vigil_dev_chan *c = &d->chans[ch];

	return c->cpus[cpu].map +
		(size_t)(seq % c->cfg.n_subbufs) * c->cfg.subbuf_size;
}

int vigil_dev_chan_get_pos(struct vigil_dev *d, unsigned int ch,
			   unsigned int cpu, struct vigil_cpu_pos *pos)
{
	struct vigil_chan_pos p = { .channel = ch, .cpu = cpu };

	if (ch == 0)
		return vigil_dev_get_pos(d, cpu, pos);
	memset(pos, 0, sizeof(*pos));
	pos->cpu = cpu;
	if (ioctl(d->fd, VIGIL_IOC_CHAN_GET_POS, &p) < 0)
		return -1;
	pos->produced = p.produced;
	pos->consumed = p.consumed;
	return 0;
}

int vigil_dev_chan_consume(struct vigil_dev *d, unsigned int ch,
			   unsigned int cpu, uint64_t from, uint64_t to)
{
	struct vigil_chan_pos p = { .channel = ch, .cpu = cpu, .consumed = from };

	if (ch == 0)
		return vigil_dev_consume(d, cpu, from, to);
	if (to < from) {
		p.consumed = to;
		return ioctl(d->fd, VIGIL_IOC_CHAN_CONSUME, &p) < 0 ? -1 : 0;
	}
	while (p.consumed < to) {
		uint64_t step = to - p.consumed;

		if (step > d->chans[ch].cfg.n_subbufs)
			step = d->chans[ch].cfg.n_subbufs;
		p.consumed += step;
		if (ioctl(d->fd, VIGIL_IOC_CHAN_CONSUME, &p) < 0)
			return -1;
	}
	return 0;
}

const unsigned char *vigil_dev_packet(const struct vigil_dev *d,
				      unsigned int cpu, uint64_t seq)
{
	return d->cpus[cpu].map +
		(size_t)(seq % d->cfg.n_subbufs) * d->cfg.subbuf_size;
}

int vigil_dev_get_pos(struct vigil_dev *d, unsigned int cpu,
		      struct vigil_cpu_pos *pos)
{
	memset(pos, 0, sizeof(*pos));
	pos->cpu = cpu;
	return ioctl(d->fd, VIGIL_IOC_GET_POS, pos) < 0 ? -1 : 0;
}

int vigil_dev_consume(struct vigil_dev *d, unsigned int cpu, uint64_t from,
		      uint64_t to)
{
	struct vigil_cpu_pos pos;

	memset(&pos, 0, sizeof(pos));
	pos.cpu = cpu;
	pos.consumed = from;
	if (to < from) {
		/* the module refuses it, naming the values in its log */
		pos.consumed = to;
		return ioctl(d->fd, VIGIL_IOC_CONSUME, &pos) < 0 ? -1 : 0;
	}
	while (pos.consumed < to) {
		uint64_t step = to - pos.consumed;

		if (step > d->cfg.n_subbufs)
			step = d->cfg.n_subbufs;
		pos.consumed += step;
		if (ioctl(d->fd, VIGIL_IOC_CONSUME, &pos) < 0)
			return -1;
	}
	return 0;
}
