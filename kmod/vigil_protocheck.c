// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_protocheck.c - compile-time check, generated from vigil_events.h,
 * that each tracepoint vigil attaches to has the prototype the event
 * table gives it (VG_PROTO).  No code: only static assertions.
 *
 * Probes are registered as void * (tracepoint_probe_register() takes
 * any function), so nothing else would notice a kernel whose tracepoint
 * passes other arguments: the probe would read them as the old ones and
 * write wrong records.  The kernel declares, for each tracepoint NAME,
 * "static inline void trace_NAME(proto)"; its type must be compatible
 * with a function of the table's prototype, or the build fails naming
 * the tracepoint.  For a VG_TP event, cname is the tracepoint's name.
 */
#include <linux/kernel.h>
#include <linux/build_bug.h>
#include <linux/blkdev.h>
#include <linux/netdevice.h>
#include <linux/binfmts.h>
#include <trace/events/syscalls.h>
#include <trace/events/sched.h>
#include <trace/events/irq.h>
#include <trace/events/signal.h>
#include <trace/events/block.h>
#include <trace/events/net.h>
#include <trace/events/task.h>
#ifdef CONFIG_CGROUPS
#include <trace/events/cgroup.h>
#else
/* A kernel without cgroups has no cgroup tracepoints (vigil_core_init()
 * reports the event unavailable): nothing to check against. */
struct cgroup;
static inline void trace_cgroup_attach_task(struct cgroup *dst_cgrp,
					    const char *path,
					    struct task_struct *task,
					    bool threadgroup)
{
}
#endif
#include <asm/trace/exceptions.h>

#include "vigil_internal.h"

#define VG_CHECK_VG_OWN(cname, ...)
#define VG_CHECK_VG_TP(cname, ...)					\
	typedef void vigil_proto_##cname##_t(__VA_ARGS__);		\
	static_assert(__builtin_types_compatible_p(vigil_proto_##cname##_t, \
						   __typeof__(trace_##cname)), \
		      "tracepoint " #cname ": this kernel's prototype differs from VG_PROTO in vigil_events.h");

#define VG_PROTO(...)	__VA_ARGS__
#define VIGIL_EVENT(cname, subsys, name, kind, about, proto, locals, prep, \
		    fields)						\
	VG_CHECK_##kind(cname, proto)
#include "vigil_events.h"
#undef VIGIL_EVENT
