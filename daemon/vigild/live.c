/*
 * live.c - the live source: drive /dev/vigil through the device API
 * (daemon/dev/vigil_dev.h, shared with vigil-capture), copy finished
 * sub-buffers (CTF packets) out of the read-only buffer mappings, give
 * them back to the kernel and push them into the merge.  No debugfs:
 * buffers and metadata are file descriptors from /dev/vigil.
 *
 * Channels (config channels:, docs/design.md): channel 0 is the default
 * one, the others are added after CONFIGURE.  Each channel has a lane
 * per CPU (channel * n_cpus + cpu, as in its packets); the reader reads
 * the normal channels only.  A flight channel's lanes get nothing live
 * (the merge is told so from the start) and are copied out by
 * vgd_live_snapshot_flight() when a dump is written.
 *
 * A reader thread does the copying and gives the sub-buffers back, so
 * the kernel's buffers keep being emptied while the main loop is busy
 * (a slow handler, a reload compiling new scripts).  It queues the
 * copies for the main loop (up to MAX_QUEUE_BYTES; beyond that it stops
 * reading and the kernel counts what it has to discard), which records
 * them (--record), pushes them into the merge and runs it.
 */
#define G_LOG_DOMAIN "vigild"

#include "live.h"
#include "vigil_dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <unistd.h>
#include <glib-unix.h>

/* The reader thread also looks every SAFETY_MS, whatever poll says. */
#define SAFETY_MS	250
/* Copies waiting for the main loop, at most. */
#define MAX_QUEUE_BYTES	((gsize)256 << 20)

typedef struct {
	VgdLive *live;
	guint cpu;
	guint chan;		/* its channel */
	guint lane;		/* chan * n_cpus + cpu */
	gboolean mapped;	/* has a buffer (dev->chans[chan].cpus[cpu].map) */
	guint64 next_seq;	/* sequence number expected next */
	VgdLiveCpuStats st;
} LiveCpu;

/* One channel as vigild set it up. */
typedef struct {
	char *name;		/* "default" for channel 0 */
	gboolean flight;	/* kept in the kernel, read on a dump */
	guint32 subbuf_size;
	guint32 n_subbufs;
	guint32 switch_ms;
	guint64 snapshots;	/* vgd_live_snapshot_flight() of it */
} LiveChan;

struct VgdLive {
	struct vigil_dev *dev;
	struct vigil_config kcfg;
	guint n_cpus;
	guint n_chans;
	LiveChan *chans;
	guint n_lanes;		/* n_chans * n_cpus */
	LiveCpu *cpus;		/* [n_lanes], by lane */
	VgMerge *merge;
	guint8 uuid[16];
	gboolean have_uuid;
	VgdRecordOut *record;	/* borrowed, may be NULL */
	GMainContext *ctx;
	void (*after_read)(gpointer);
	gpointer after_read_data;
	gboolean running;
	gboolean flight;
	gboolean excludes_self;	/* vigil.ko leaves vigild's events out */

	/* reader thread; lock guards queue, queued, stop and cpus[].st */
	GThread *thread;
	GMutex lock;
	GCond drained;
	GQueue queue;		/* VgPacket *, in reading order */
	gsize queued;		/* bytes */
	gboolean stop;
	int wake_fd;		/* eventfd: thread -> main loop */
	int stop_fd;		/* eventfd: main -> thread */
	guint wake_watch;
	guint64 full_waits;	/* times the queue was full */
	VgdLiveCpuStats *pub;	/* copies handed to callers */

	/* Main thread only: when each CPU's last packet arrived, and whether
	 * the merge has been told it is idle (see mark_quiet_cpus). */
	gint64 *last_arrival;
	gboolean *idle;
};

static gboolean kerr(GError **error, const char *what)
{
	int e = errno;

	g_set_error(error, VG_ERROR, VG_ERROR_KERNEL, "%s: %s", what,
		    g_strerror(e));
	return FALSE;
}

static void no_module_error(GError **error)
{
	int e = errno;

	if (e == ENOENT || e == ENODEV || e == ENXIO)
		g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
			    "vigil.ko is not loaded (no %s)", VIGIL_DEV_PATH);
	else
		g_set_error(error, VG_ERROR, VG_ERROR_KERNEL, "%s: %s",
			    VIGIL_DEV_PATH, g_strerror(e));
}

VgdLive *vgd_live_open(const VgdConfig *cfg, GError **error)
{
	VgdLive *l;
	struct vigil_dev *dev = vigil_dev_open();

	if (!dev) {
		no_module_error(error);
		return NULL;
	}
	l = g_new0(VgdLive, 1);
	l->dev = dev;
	l->flight = cfg->mode == VGD_MODE_FLIGHT;
	l->wake_fd = -1;
	l->stop_fd = -1;
	g_mutex_init(&l->lock);
	g_cond_init(&l->drained);
	g_queue_init(&l->queue);
	/* A session a crashed vigild left running would refuse CONFIGURE. */
	if (vigil_dev_running(dev) == 1)
		(void)vigil_dev_stop(dev);

	l->kcfg.abi_version = VIGIL_ABI_VERSION;
	l->kcfg.mode = l->flight ? VIGIL_MODE_FLIGHT : VIGIL_MODE_NORMAL;
	l->kcfg.subbuf_size = cfg->buffer_size;
	l->kcfg.n_subbufs = cfg->buffer_count;
	l->kcfg.switch_interval_ms = cfg->switch_interval_ms;
	l->kcfg.flags = cfg->kernel_addrs ? VIGIL_CFG_KERNEL_ADDRS : 0;
	if (vigil_dev_configure(dev, &l->kcfg) < 0) {
		if (errno == EBUSY) {
			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "vigil.ko is in use by another program "
				    "(another vigild?): it serves one at a time");
		} else {
			char *what = g_strdup_printf(
				"configuring vigil.ko (mode %s, %u sub-buffers of %u bytes, switch %u ms)",
				l->flight ? "flight" : "normal", l->kcfg.n_subbufs,
				l->kcfg.subbuf_size, l->kcfg.switch_interval_ms);

			kerr(error, what);
			g_free(what);
		}
		vgd_live_free(l);
		return NULL;
	}
	l->n_cpus = dev->ncpus;
	l->n_chans = 1 + cfg->channels->len;
	l->chans = g_new0(LiveChan, l->n_chans);
	l->chans[0].name = g_strdup("default");
	l->chans[0].flight = l->flight;
	l->chans[0].subbuf_size = l->kcfg.subbuf_size;
	l->chans[0].n_subbufs = l->kcfg.n_subbufs;
	l->chans[0].switch_ms = l->kcfg.switch_interval_ms;
	for (guint i = 0; i < cfg->channels->len; i++) {
		const VgdChannel *ch = cfg->channels->pdata[i];
		struct vigil_channel_config cc = {
			.mode = ch->mode == VGD_MODE_FLIGHT ? VIGIL_MODE_FLIGHT
							    : VIGIL_MODE_NORMAL,
			.subbuf_size = vgd_channel_buffer_size(cfg, ch),
			.n_subbufs = vgd_channel_buffer_count(cfg, ch),
			.switch_interval_ms = vgd_channel_switch_ms(cfg, ch),
		};
		int n = vigil_dev_add_channel(dev, &cc);
		LiveChan *lc = &l->chans[i + 1];

		if (n != (int)i + 1) {
			int e = errno;

			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "%s: channels.%s (%s, %u sub-buffers of %u bytes, switch %u ms): %s",
				    cfg->source ? cfg->source : "configuration",
				    ch->name, cc.mode ? "flight" : "normal",
				    cc.n_subbufs, cc.subbuf_size,
				    cc.switch_interval_ms,
				    n >= 0 ? "vigil.ko numbered it differently" :
				    e == ENOTTY ? "this vigil.ko has no channels (VIGIL_IOC_ADD_CHANNEL)" :
				    e == ENOMEM ? "not enough memory (all channels' buffers may take at most half of the RAM)" :
				    g_strerror(e));
			vgd_live_free(l);
			return NULL;
		}
		lc->name = g_strdup(ch->name);
		lc->flight = cc.mode == VIGIL_MODE_FLIGHT;
		lc->subbuf_size = cc.subbuf_size;
		lc->n_subbufs = cc.n_subbufs;
		lc->switch_ms = cc.switch_interval_ms;
	}
	l->n_lanes = l->n_chans * l->n_cpus;
	l->cpus = g_new0(LiveCpu, l->n_lanes);
	l->pub = g_new0(VgdLiveCpuStats, l->n_cpus);
	for (guint i = 0; i < l->n_lanes; i++) {
		l->cpus[i].live = l;
		l->cpus[i].cpu = i % l->n_cpus;
		l->cpus[i].chan = i / l->n_cpus;
		l->cpus[i].lane = i;
	}
	return l;
}

gboolean vgd_live_route_events(VgdLive *l, const VgdConfig *cfg,
			       GError **error)
{
	for (guint i = 0; i < cfg->channels->len; i++) {
		const VgdChannel *ch = cfg->channels->pdata[i];

		for (guint j = 0; j < ch->events->len; j++) {
			const char *n = ch->events->pdata[j];

			if (vigil_dev_event_channel(l->dev, n, i + 1) == 0)
				continue;
			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "%s: channels.%s.events: %s: %s",
				    cfg->source ? cfg->source : "configuration",
				    ch->name, n, errno == ENOENT ?
				    "no such event in vigil.ko" : g_strerror(errno));
			return FALSE;
		}
	}
	return TRUE;
}

guint vgd_live_n_lanes(const VgdLive *l)
{
	return l->n_lanes;
}

gboolean vgd_live_lane_streamed(const VgdLive *l, guint lane)
{
	return lane < l->n_lanes && !l->chans[lane / l->n_cpus].flight;
}

gboolean vgd_live_mixed(const VgdLive *l)
{
	if (l->flight)
		return FALSE;
	for (guint i = 1; i < l->n_chans; i++)
		if (l->chans[i].flight)
			return TRUE;
	return FALSE;
}

gboolean vgd_live_usable(GError **error)
{
	struct vigil_dev *dev = vigil_dev_open();

	if (!dev) {
		no_module_error(error);
		return FALSE;
	}
	vigil_dev_close(dev);
	return TRUE;
}

gboolean vgd_live_check_module(GError **error)
{
	if (access(VIGIL_DEV_PATH, F_OK) == 0)
		return TRUE;
	g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
		    "vigil.ko is not loaded (no %s)", VIGIL_DEV_PATH);
	return FALSE;
}

VgMetadata *vgd_live_read_metadata(VgSyscallTable **syscalls,
				   GError **error)
{
	const char *path = "vigil.ko metadata (VIGIL_IOC_METADATA_FD)";
	struct vigil_dev *dev = vigil_dev_open();
	VgSyscallTable *t;
	VgMetadata *md;
	GError *err = NULL;
	char *text;
	size_t len;

	if (!dev) {
		no_module_error(error);
		return NULL;
	}
	text = vigil_dev_metadata(dev, &len);
	if (!text) {
		kerr(error, path);
		vigil_dev_close(dev);
		return NULL;
	}
	vigil_dev_close(dev);
	md = vg_metadata_parse(text, len, path, error);
	free(text);
	if (!md)
		return NULL;
	if (syscalls && *syscalls) {
		vg_metadata_add_syscalls(md, *syscalls);
		return md;
	}
	t = vg_syscall_table_load(NULL, NULL, &err);
	if (!t) {
		g_warning("syscall names unknown, no syscalls:sys_*_NAME events: %s",
			  err->message);
		g_clear_error(&err);
	} else {
		vg_metadata_add_syscalls(md, t);
		if (syscalls)
			*syscalls = t;
		else
			vg_syscall_table_free(t);
	}
	return md;
}

gboolean vgd_live_enable_events(VgdLive *l, GPtrArray *names, GError **error)
{
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];

		if (vigil_dev_event(l->dev, n, 1) < 0) {
			int e = errno;

			/* a tracepoint this kernel lacks (cgroup:cgroup_attach_task
			 * without CONFIG_CGROUPS): the task table does without */
			if (e == ENOENT && vgd_is_task_event(n)) {
				g_message("%s: not in this kernel; the task table "
					  "does without it", n);
				continue;
			}

			if (e == ENAMETOOLONG) {
				g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
					    "event name too long: %s", n);
				return FALSE;
			}

			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "enabling event %s: %s", n,
				    e == ENOENT || e == EINVAL ?
				    "no such event in vigil.ko" : g_strerror(e));
			return FALSE;
		}
		g_debug("enabled %s", n);
	}
	return TRUE;
}

gboolean vgd_live_set_stacks(VgdLive *l, GPtrArray *names, guint depth,
			     GError **error)
{
	for (guint i = 0; names && i < names->len; i++) {
		const char *n = names->pdata[i];

		if (vigil_dev_stack(l->dev, n, depth) < 0) {
			int e = errno;

			g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
				    "stacks of %s: %s", n,
				    e == ENOENT ? "no such built-in event in vigil.ko "
				    "(kprobes and the kernel's other tracepoints have none with it)" :
				    e == ENOTTY ? "this vigil.ko records no stacks (older than VIGIL_IOC_STACK)" :
				    g_strerror(e));
			return FALSE;
		}
		g_message("%s: recorded with its kernel stack (at most %u addresses)",
			  n, depth);
	}
	return TRUE;
}

gboolean vgd_live_add_kprobes(VgdLive *l, const VgdConfig *cfg,
			      GError **error)
{
	for (guint i = 0; i < cfg->kprobes->len; i++) {
		const VgdKprobe *k = cfg->kprobes->pdata[i];
		struct vigil_kprobe_req req = {
			.offset = k->offset,
			.nargs = k->nargs,
			.retprobe = k->retprobe ? 1 : 0,
		};
		const char *why;

		g_strlcpy(req.name, k->name, sizeof(req.name));
		g_strlcpy(req.symbol, k->symbol, sizeof(req.symbol));
		if (vigil_dev_add_kprobe(l->dev, &req) == 0) {
			g_info("kprobes:%s on %s+%" G_GUINT64_FORMAT " (id %u)",
			       k->name, k->symbol, k->offset, req.id);
			continue;
		}
		switch (errno) {
		case ENOENT:
			why = "no such kernel symbol (or it cannot be probed)";
			break;
		case EEXIST:
			why = "a probe of that name exists already";
			break;
		case ENOSPC:
			why = "too many kprobes";
			break;
		case EINVAL:
			why = "vigil.ko refused the probe (name, symbol or offset)";
			break;
		default:
			why = g_strerror(errno);
		}
		g_set_error(error, VG_ERROR, VG_ERROR_KERNEL,
			    "%s: kprobes[%u] (%s) on %s+%" G_GUINT64_FORMAT ": %s",
			    cfg->source ? cfg->source : "configuration", i,
			    k->name, k->symbol, k->offset, why);
		return FALSE;
	}
	return TRUE;
}

static gboolean set_filter(VgdLive *l, guint32 type, GArray *ids,
			   const char *what, GError **error)
{
	if (vigil_dev_filter(l->dev, type, (const gint32 *)ids->data,
			     ids->len) < 0) {
		char *w = g_strdup_printf("setting the %s filter (%u ids)",
					  what, ids->len);

		kerr(error, w);
		g_free(w);
		return FALSE;
	}
	return TRUE;
}

/* vigild's own process is never recorded: every handler print, dump
 * write and buffer read would otherwise come back as events (a feedback
 * loop costing buffer space and CPU on the traced system).  vigil.ko
 * leaves out the events about vigild only: what it records while vigild
 * is the current task is about another one (an interrupt, a wakeup of
 * another task, a switch to another task) and is delivered.  TRUE when
 * the module excludes; otherwise deliver() drops what vigild did. */
static gboolean exclude_self(VgdLive *l)
{
	gint32 self = (gint32)getpid();

	if (vigil_dev_filter(l->dev, VIGIL_FILTER_EXCLUDE_TGID, &self, 1) < 0) {
		g_warning("vigil.ko does not exclude vigild's own events (VIGIL_IOC_FILTER, type %u, pid %d: %s); they are recorded and dropped in vigild",
			  VIGIL_FILTER_EXCLUDE_TGID, self, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gboolean vgd_live_excludes_self(const VgdLive *l)
{
	return l->excludes_self;
}

gboolean vgd_live_set_filters(VgdLive *l, const VgdConfig *cfg,
			      const VgSyscallTable *syscalls, GError **error)
{
	GArray *sc;
	gboolean ok;

	l->excludes_self = exclude_self(l);
	if (cfg->filter_pids->len &&
	    !set_filter(l, VIGIL_FILTER_PID, cfg->filter_pids, "pids", error))
		return FALSE;
	if (cfg->filter_tgids->len &&
	    !set_filter(l, VIGIL_FILTER_TGID, cfg->filter_tgids, "tgids", error))
		return FALSE;
	if (!cfg->filter_syscalls->len && !cfg->filter_syscall_names->len)
		return TRUE;
	sc = g_array_new(FALSE, FALSE, sizeof(gint32));
	g_array_append_vals(sc, cfg->filter_syscalls->data,
			    cfg->filter_syscalls->len);
	for (guint i = 0; i < cfg->filter_syscall_names->len; i++) {
		const char *name = cfg->filter_syscall_names->pdata[i];
		gint32 nr = vg_syscall_table_number(syscalls, name);

		if (nr < 0) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: filters.syscalls: '%s' is not a syscall of this kernel",
				    cfg->source ? cfg->source : "configuration",
				    name);
			g_array_unref(sc);
			return FALSE;
		}
		g_array_append_val(sc, nr);
	}
	ok = set_filter(l, VIGIL_FILTER_SYSCALL, sc, "syscall", error);
	g_array_unref(sc);
	return ok;
}

gboolean vgd_live_map(VgdLive *l, GError **error)
{
	guint bad = 0;

	if (vigil_dev_map(l->dev, &bad) < 0) {
		char *w = g_strdup_printf("the buffer of cpu %u (VIGIL_IOC_BUFFER_FD, mmap of %zu bytes)",
					  bad, l->dev->map_size);

		kerr(error, w);
		g_free(w);
		return FALSE;
	}
	for (guint i = 0; i < l->n_lanes; i++) {
		LiveCpu *c = &l->cpus[i];

		c->mapped = l->dev->chans[c->chan].cpus[c->cpu].map != NULL;
		if (!c->mapped && c->chan == 0)
			g_debug("cpu %u: no buffer (CPU not online at start)",
				c->cpu);
	}
	return TRUE;
}

guint vgd_live_n_cpus(const VgdLive *l)
{
	return l->n_cpus;
}

void vgd_live_set_merge(VgdLive *l, VgMerge *m, const guint8 *uuid)
{
	l->merge = m;
	if (uuid) {
		memcpy(l->uuid, uuid, 16);
		l->have_uuid = TRUE;
	}
}

void vgd_live_set_after_read(VgdLive *l, void (*func)(gpointer),
			     gpointer data)
{
	l->after_read = func;
	l->after_read_data = data;
}

static void after_read(VgdLive *l)
{
	if (l->after_read)
		l->after_read(l->after_read_data);
	else if (l->merge)
		vg_merge_run(l->merge);
}

void vgd_live_set_record(VgdLive *l, VgdRecordOut *r)
{
	l->record = r;
}

/* Copy one finished sub-buffer out of the mapping (validated).  Only
 * its content is copied: the copy's packet_size is set to its content
 * size, so partly filled sub-buffers (periodic switches, flushes) cost
 * neither memory in the merge and the history nor space in --record
 * traces and dumps. */
static VgPacket *copy_packet(VgdLive *l, LiveCpu *c, guint64 seq,
			     GError **error)
{
	const LiveChan *ch = &l->chans[c->chan];
	const guint8 *pkt = vigil_dev_chan_packet(l->dev, c->chan, c->cpu, seq);
	gsize off = (gsize)(seq % ch->n_subbufs) * ch->subbuf_size;
	const guint8 *uuid = l->have_uuid ? l->uuid : NULL;
	const gsize psize_at = sizeof(struct vigil_packet_header) +
		G_STRUCT_OFFSET(struct vigil_packet_context, packet_size);
	char origin[48];
	VgPacket hdr;
	VgPacket *p;
	guint8 *copy;
	guint64 bits;

	if (c->chan)
		g_snprintf(origin, sizeof(origin), "channel %s cpu%u seq %"
			   G_GUINT64_FORMAT, ch->name, c->cpu, seq);
	else
		g_snprintf(origin, sizeof(origin), "cpu%u seq %" G_GUINT64_FORMAT,
			   c->cpu, seq);
	if (!vg_packet_check(pkt, ch->subbuf_size, uuid, origin,
			     off, &hdr, error))
		return NULL;
	copy = g_malloc(hdr.content_size);
	memcpy(copy, pkt, hdr.content_size);
	bits = (guint64)hdr.content_size * 8;
	memcpy(copy + psize_at, &bits, sizeof(bits));
	p = vg_packet_new_borrowed(copy, hdr.content_size, uuid, origin, off,
				   g_free, copy, error);
	if (!p)
		g_free(copy);
	return p;
}

/* Read cpu c's finished sub-buffers into the queue and give them back to
 * the kernel; returns how many.  Runs in the reader thread (or in the
 * main thread once the reader has stopped). */
static guint read_cpu(VgdLive *l, LiveCpu *c)
{
	struct vigil_cpu_pos pos;
	guint n = 0;
	guint64 seq;

	guint32 n_subbufs = l->chans[c->chan].n_subbufs;

	if (!c->mapped || l->chans[c->chan].flight)
		return 0;
	if (vigil_dev_chan_get_pos(l->dev, c->chan, c->cpu, &pos) < 0) {
		g_warning("VIGIL_IOC_GET_POS cpu %u: %s", c->cpu,
			  g_strerror(errno));
		return 0;
	}
	if (pos.produced <= pos.consumed)
		return 0;
	seq = pos.consumed;
	if (pos.produced - seq > n_subbufs) {
		/* cannot happen in normal mode (the kernel drops new events
		 * instead); count rather than read overwritten slots */
		guint64 lost = pos.produced - n_subbufs - seq;

		g_warning("cpu %u: %" G_GUINT64_FORMAT " sub-buffers overwritten before they were read",
			  c->cpu, lost);
		g_mutex_lock(&l->lock);
		c->st.lost_packets += lost;
		g_mutex_unlock(&l->lock);
		seq = pos.produced - n_subbufs;
	}
	for (; seq < pos.produced; seq++) {
		GError *err = NULL;
		VgPacket *p = copy_packet(l, c, seq, &err);

		g_mutex_lock(&l->lock);
		if (!p) {
			c->st.bad_packets++;
			g_mutex_unlock(&l->lock);
			g_warning("cpu %u: bad packet skipped: %s", c->cpu,
				  err->message);
			g_error_free(err);
			continue;
		}
		if (p->seq > c->next_seq)
			c->st.lost_packets += p->seq - c->next_seq;
		c->next_seq = p->seq + 1;
		c->st.packets++;
		c->st.bytes += p->content_size;
		g_queue_push_tail(&l->queue, p);
		l->queued += p->packet_size;
		g_mutex_unlock(&l->lock);
		if (p->seq != seq)
			g_warning("cpu %u: sub-buffer %" G_GUINT64_FORMAT
				  " holds packet_seq_num %" G_GUINT64_FORMAT,
				  c->cpu, seq, p->seq);
		n++;
	}
	if (vigil_dev_chan_consume(l->dev, c->chan, c->cpu, pos.consumed,
				   pos.produced) < 0)
		g_warning("VIGIL_IOC_CONSUME cpu %u: %s", c->cpu,
			  g_strerror(errno));
	return n;
}

/*
 * The merge holds every event back until each CPU has shown, with a
 * later packet, that it has nothing earlier to add.  A CPU that sends
 * nothing at all would hold every other CPU back forever: one with no
 * buffer (not present when tracing started), or one that went offline
 * (its periodic switch stops with it).  In normal mode a live CPU sends
 * a packet every switch interval even when idle, so one that has been
 * silent for ten intervals (at least a second) is told to the merge as
 * idle; its next packet, if any, makes it count again.
 */
static void mark_quiet_cpus(VgdLive *l, gint64 now)
{
	gint64 limit = MAX((gint64)l->kcfg.switch_interval_ms * 10 * 1000,
			   G_USEC_PER_SEC);

	if (!l->merge || l->flight)
		return;
	if (!l->last_arrival) {
		l->last_arrival = g_new(gint64, l->n_lanes);
		l->idle = g_new0(gboolean, l->n_lanes);
		for (guint i = 0; i < l->n_lanes; i++)
			l->last_arrival[i] = now;
	}
	for (guint i = 0; i < l->n_lanes; i++) {
		const LiveCpu *c = &l->cpus[i];
		const LiveChan *ch = &l->chans[c->chan];
		gint64 lim = MAX((gint64)ch->switch_ms * 10 * 1000, limit);

		if (l->idle[i])
			continue;
		/* a flight channel's lanes never deliver live */
		if (c->mapped && !ch->flight &&
		    (ch->switch_ms == 0 || now - l->last_arrival[i] < lim))
			continue;
		if (!ch->flight)
			g_debug("cpu %u (channel %s): %s; it no longer holds other CPUs back",
				c->cpu, ch->name, !c->mapped ? "no buffer" :
				"no packet for a while");
		vg_merge_set_lane_idle(l->merge, i);
		l->idle[i] = TRUE;
	}
}

/* Main thread: record the queued copies, push them into the merge, run
 * it.  Returns how many. */
static guint take_queue(VgdLive *l)
{
	GQueue q = G_QUEUE_INIT;
	VgPacket *p;
	guint n = 0;
	gint64 now;

	g_mutex_lock(&l->lock);
	q = l->queue;
	g_queue_init(&l->queue);
	l->queued = 0;
	g_cond_signal(&l->drained);
	g_mutex_unlock(&l->lock);
	now = g_get_monotonic_time();
	while ((p = g_queue_pop_head(&q))) {
		if (l->record)
			vgd_record_out_add(l->record, p);
		if (l->last_arrival && p->lane < l->n_lanes) {
			l->last_arrival[p->lane] = now;
			l->idle[p->lane] = FALSE;
		}
		if (l->merge)
			vg_merge_push(l->merge, p);
		else
			vg_packet_unref(p);
		n++;
	}
	if (l->running)
		mark_quiet_cpus(l, now);
	if (n)
		after_read(l);
	return n;
}

guint vgd_live_poll(VgdLive *l)
{
	if (!l->thread)
		for (guint i = 0; i < l->n_lanes; i++)
			read_cpu(l, &l->cpus[i]);
	return take_queue(l);
}

static gboolean on_wake(gint fd, GIOCondition cond, gpointer data)
{
	guint64 v;

	(void)cond;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		g_warning("live: wake-up: %s", g_strerror(errno));
	take_queue(data);
	return G_SOURCE_CONTINUE;
}

static gpointer reader(gpointer data)
{
	VgdLive *l = data;
	struct pollfd *pfd = g_new0(struct pollfd, l->n_lanes + 1);
	guint nfd = 0;

	for (guint i = 0; i < l->n_lanes; i++) {
		const LiveCpu *c = &l->cpus[i];

		if (!c->mapped || l->chans[c->chan].flight)
			continue;
		pfd[nfd].fd = l->dev->chans[c->chan].cpus[c->cpu].fd;
		pfd[nfd].events = POLLIN;
		nfd++;
	}
	pfd[nfd].fd = l->stop_fd;
	pfd[nfd].events = POLLIN;
	for (;;) {
		guint n = 0;

		g_mutex_lock(&l->lock);
		/* main loop far behind: leave the rest to the kernel (which
		 * counts what it cannot keep) until it catches up */
		while (!l->stop && l->queued >= MAX_QUEUE_BYTES) {
			if (l->full_waits++ == 0)
				g_warning("%zu MiB of events wait for the handlers: "
					  "the kernel buffers are not read until they "
					  "catch up (the kernel counts what it discards)",
					  MAX_QUEUE_BYTES >> 20);
			g_cond_wait_until(&l->drained, &l->lock,
					  g_get_monotonic_time() +
					  SAFETY_MS * G_TIME_SPAN_MILLISECOND);
		}
		if (l->stop) {
			g_mutex_unlock(&l->lock);
			break;
		}
		g_mutex_unlock(&l->lock);
		if (poll(pfd, nfd + 1, SAFETY_MS) < 0 && errno != EINTR) {
			g_warning("live: poll: %s", g_strerror(errno));
			g_usleep(SAFETY_MS * 1000);
		}
		if (pfd[nfd].revents & POLLIN)
			continue;	/* stop requested: checked above */
		for (guint i = 0; i < l->n_lanes; i++)
			n += read_cpu(l, &l->cpus[i]);
		if (n) {
			guint64 one = 1;

			if (write(l->wake_fd, &one, sizeof(one)) < 0)
				g_warning("live: wake-up: %s", g_strerror(errno));
		}
	}
	g_free(pfd);
	return NULL;
}

gboolean vgd_live_start(VgdLive *l, GMainContext *ctx, GError **error)
{
	GSource *s;

	if (vigil_dev_start(l->dev) < 0)
		return kerr(error, "starting vigil.ko (VIGIL_IOC_START)");
	l->running = TRUE;
	l->ctx = ctx;
	if (l->flight)
		return TRUE;
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_fd < 0 || l->stop_fd < 0)
		return kerr(error, "eventfd");
	s = g_unix_fd_source_new(l->wake_fd, G_IO_IN);
	g_source_set_callback(s, G_SOURCE_FUNC(on_wake), l, NULL);
	l->wake_watch = g_source_attach(s, ctx);
	g_source_unref(s);
	l->thread = g_thread_try_new("vigild-reader", reader, l, error);
	return l->thread != NULL;
}

static void stop_reader(VgdLive *l)
{
	guint64 one = 1;

	if (l->thread) {
		g_mutex_lock(&l->lock);
		l->stop = TRUE;
		g_cond_signal(&l->drained);
		g_mutex_unlock(&l->lock);
		if (write(l->stop_fd, &one, sizeof(one)) < 0)
			g_warning("live: stopping the reader: %s",
				  g_strerror(errno));
		g_thread_join(l->thread);
		l->thread = NULL;
	}
	if (l->wake_watch) {
		GSource *s = g_main_context_find_source_by_id(l->ctx,
							      l->wake_watch);
		if (s)
			g_source_destroy(s);
		l->wake_watch = 0;
	}
}

void vgd_live_stop(VgdLive *l)
{
	if (!l->running)
		return;
	stop_reader(l);
	if (vigil_dev_stop(l->dev) < 0)
		g_warning("VIGIL_IOC_STOP: %s", g_strerror(errno));
	l->running = FALSE;
	if (l->flight)
		return;
	if (vigil_dev_flush(l->dev) < 0)
		g_warning("VIGIL_IOC_FLUSH: %s", g_strerror(errno));
	/* everything finished now; read until nothing is left */
	while (vgd_live_poll(l) > 0)
		;
}

/* Copy the newest n_subbufs - 1 finished packets of every CPU of
 * channel ch (paused: nothing is written into them meanwhile) into out. */
static gboolean snapshot_channel(VgdLive *l, guint ch, GPtrArray *out,
				 GError **error)
{
	guint keep = l->chans[ch].n_subbufs - 1;

	for (guint i = 0; i < l->n_cpus; i++) {
		LiveCpu *c = &l->cpus[ch * l->n_cpus + i];
		struct vigil_cpu_pos pos;
		guint64 seq;

		if (!c->mapped)
			continue;
		if (vigil_dev_chan_get_pos(l->dev, ch, i, &pos) < 0)
			return kerr(error, "VIGIL_IOC_GET_POS");
		seq = pos.produced > keep ? pos.produced - keep : 0;
		for (; seq < pos.produced; seq++) {
			GError *err = NULL;
			VgPacket *p = copy_packet(l, c, seq, &err);

			if (!p) {
				g_warning("snapshot cpu %u: bad packet skipped: %s",
					  i, err->message);
				g_error_free(err);
				g_mutex_lock(&l->lock);
				c->st.bad_packets++;
				g_mutex_unlock(&l->lock);
				continue;
			}
			g_mutex_lock(&l->lock);
			c->st.packets++;
			c->st.bytes += p->content_size;
			g_mutex_unlock(&l->lock);
			g_ptr_array_add(out, p);
		}
	}
	l->chans[ch].snapshots++;
	return TRUE;
}

GPtrArray *vgd_live_snapshot(VgdLive *l, GError **error)
{
	GPtrArray *out;

	if (vigil_dev_pause(l->dev) < 0) {
		kerr(error, "VIGIL_IOC_PAUSE");
		return NULL;
	}
	out = g_ptr_array_new_with_free_func((GDestroyNotify)vg_packet_unref);
	if (!snapshot_channel(l, 0, out, error)) {
		g_ptr_array_unref(out);
		out = NULL;
	}
	if (vigil_dev_resume(l->dev) < 0) {
		GError *e = NULL;

		kerr(&e, "VIGIL_IOC_RESUME");
		g_critical("%s: tracing stays paused", e->message);
		g_error_free(e);
	}
	return out;
}

/* Mixed mode: each flight channel in turn is paused (its writers stop,
 * its current sub-buffers are finished), copied and resumed; the normal
 * channels go on streaming meanwhile.  Once tracing has stopped (a dump
 * still open at the end) STOP has finished every sub-buffer and nothing
 * writes: the buffers are copied as they are. */
GPtrArray *vgd_live_snapshot_flight(VgdLive *l, GError **error)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(
		(GDestroyNotify)vg_packet_unref);

	for (guint ch = 1; ch < l->n_chans; ch++) {
		gboolean ok;

		if (!l->chans[ch].flight)
			continue;
		if (l->running && vigil_dev_chan_pause(l->dev, ch, 1) < 0) {
			char *w = g_strdup_printf("VIGIL_IOC_CHAN_PAUSE (channel %s)",
						  l->chans[ch].name);

			kerr(error, w);
			g_free(w);
			g_ptr_array_unref(out);
			return NULL;
		}
		ok = snapshot_channel(l, ch, out, error);
		if (l->running && vigil_dev_chan_pause(l->dev, ch, 0) < 0)
			g_critical("VIGIL_IOC_CHAN_PAUSE resume (channel %s): %s: it stays paused",
				   l->chans[ch].name, g_strerror(errno));
		if (!ok) {
			g_ptr_array_unref(out);
			return NULL;
		}
	}
	return out;
}

void vgd_live_append_channels(VgdLive *l, GString *s)
{
	guint n = l->n_cpus;
	struct vigil_cpu_stats *cs = g_new0(struct vigil_cpu_stats, n);

	if (l->n_chans < 2)
		goto out;
	for (guint ch = 0; ch < l->n_chans; ch++) {
		const LiveChan *c = &l->chans[ch];
		guint64 written = 0, discarded = 0, packets = 0, bytes = 0;

		memset(cs, 0, sizeof(*cs) * n);
		if (vigil_dev_chan_stats(l->dev, ch, cs, n) == 0)
			for (guint i = 0; i < n; i++) {
				written += cs[i].events_written;
				discarded += cs[i].events_discarded;
			}
		g_mutex_lock(&l->lock);
		for (guint i = 0; i < n; i++) {
			packets += l->cpus[ch * n + i].st.packets;
			bytes += l->cpus[ch * n + i].st.bytes;
		}
		g_mutex_unlock(&l->lock);
		g_string_append_printf(s, "channel %s: %s, %u x %u bytes per CPU, "
				       "switch %u ms; kernel: %" G_GUINT64_FORMAT
				       " events written, %" G_GUINT64_FORMAT
				       " discarded; read: %" G_GUINT64_FORMAT
				       " packets, %" G_GUINT64_FORMAT " bytes",
				       c->name, c->flight ? "flight" : "normal",
				       c->n_subbufs, c->subbuf_size, c->switch_ms,
				       written, discarded, packets, bytes);
		if (c->flight)
			g_string_append_printf(s, " in %" G_GUINT64_FORMAT
					       " snapshots", c->snapshots);
		g_string_append_c(s, '\n');
	}
out:
	g_free(cs);
}

gboolean vgd_live_update_stats(VgdLive *l, GError **error)
{
	struct vigil_cpu_stats *cs = g_new0(struct vigil_cpu_stats, l->n_cpus);
	guint n;

	if (vigil_dev_stats(l->dev, cs, l->n_cpus, &n, NULL) < 0) {
		g_free(cs);
		return kerr(error, "VIGIL_IOC_STATS");
	}
	n = MIN(n, l->n_cpus);
	g_mutex_lock(&l->lock);
	for (guint i = 0; i < n; i++) {
		/* the kernel's counters: the sum over the channels, kept
		 * with channel 0's lane of the CPU */
		VgdLiveCpuStats *s = &l->cpus[i].st;

		s->k_events_written = cs[i].events_written;
		s->k_events_discarded = cs[i].events_discarded;
		s->k_subbufs_produced = cs[i].subbufs_produced;
		s->k_subbufs_consumed = cs[i].subbufs_consumed;
		s->k_annotations_dropped = cs[i].annotations_dropped;
		s->k_discarded_too_big = cs[i].discarded_too_big;
		s->k_discarded_full = cs[i].discarded_full;
		s->k_discarded_nested = cs[i].discarded_nested;
	}
	for (guint i = 0; i < l->n_cpus; i++) {
		l->pub[i] = l->cpus[i].st;
		for (guint ch = 1; ch < l->n_chans; ch++) {
			const VgdLiveCpuStats *o = &l->cpus[ch * l->n_cpus + i].st;

			l->pub[i].packets += o->packets;
			l->pub[i].bytes += o->bytes;
			l->pub[i].bad_packets += o->bad_packets;
			l->pub[i].lost_packets += o->lost_packets;
		}
	}
	g_mutex_unlock(&l->lock);
	g_free(cs);
	return TRUE;
}

const VgdLiveCpuStats *vgd_live_cpu_stats(const VgdLive *l, guint cpu)
{
	return cpu < l->n_cpus ? &l->pub[cpu] : NULL;
}

void vgd_live_free(VgdLive *l)
{
	if (!l)
		return;
	if (l->running) {
		stop_reader(l);
		(void)vigil_dev_stop(l->dev);
	}
	{
		VgPacket *p;

		while ((p = g_queue_pop_head(&l->queue)))
			vg_packet_unref(p);
	}
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	if (l->stop_fd >= 0)
		close(l->stop_fd);
	g_mutex_clear(&l->lock);
	g_cond_clear(&l->drained);
	g_free(l->pub);
	g_free(l->last_arrival);
	g_free(l->idle);
	g_free(l->cpus);
	for (guint i = 0; l->chans && i < l->n_chans; i++)
		g_free(l->chans[i].name);
	g_free(l->chans);
	vigil_dev_close(l->dev);
	g_free(l);
}
