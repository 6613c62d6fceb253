/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil_events.h - THE description of every built-in vigil event.
 *
 * This file has no include guard on purpose: it is included several
 * times, each time with different definitions of the macros below, to
 * generate
 *   - the event ids (enum vigil_event_id),                vigil_internal.h
 *   - one probe function per event (filters, record size,
 *     reservation and field writes),                       vigil_core.c
 *   - the table of names, tracepoints and probes,          vigil_core.c
 *   - the TSDL text of each event's fields,                vigil_core.c
 *   - the host-side description (events.tsv) and the
 *     daemon's role table (vg_events_gen.h),           tools/vigil-events.c
 * so an event is described exactly once.
 *
 * VIGIL_EVENT(cname, subsys, name, kind, about, proto, locals, prep,
 *             fields)
 *   cname   C identifier of the event (unique)
 *   subsys  "subsys" of the event name "subsys:name"
 *   name    the name; for kind VG_TP also the kernel tracepoint's name
 *   kind    VG_TP: attached to the kernel tracepoint "name";
 *           VG_OWN: emitted by vigil itself
 *   about   VG_ABOUT(...): the threads (struct task_struct *
 *           expressions over the arguments, or VG_CURRENT) the event is
 *           about; the pid/tgid/exclude filters judge these, the event
 *           passes when one of them passes.  VG_CURRENT is the current
 *           task in task context and nobody in an interrupt (an
 *           interrupt is not about the task it interrupts); a thread
 *           named by an argument counts even when it is the interrupted
 *           one (an interrupt waking the task it interrupted).
 *           VG_ABOUT() - about no thread: interrupt-context events and
 *           the statedump are never task-filtered.  See kmod/README.md.
 *   proto   VG_PROTO(...): the tracepoint's prototype (kernel 6.1) or
 *           the arguments of an own event
 *   locals  VG_LOCALS(...): local declarations of the probe
 *   prep    VG_PREP(...): statements run with interrupts off after the
 *           pid/tgid filter, before the record size is computed; may
 *           "goto vg_out" to drop the event silently (a filter)
 *   fields  VG_FIELDS(...): the payload, in order, one of
 *     VF_INT(ctype, tsdltype, field, expr)      integer alias
 *     VF_HEX(field, expr)                       uint64_hex_t
 *     VF_KADDR(field, expr)                     uint64_hex_t, 0 unless
 *                                               VIGIL_CFG_KERNEL_ADDRS
 *     VF_ARRAY(ctype, tsdltype, field, N, src)  tsdltype field[N],
 *                                               copied from array src
 *     VF_CHARS(field, N, src)                   char_t field[N], NUL
 *                                               padded copy of string src
 *     VF_STRING(field, src)                     string field (src is a
 *                                               kernel string, NULL = "")
 *     VF_STRLEN(field, src, len)                string field of len bytes
 *                                               and a NUL, measured by the
 *                                               prep (src: per-CPU scratch,
 *                                               unchanged until written;
 *                                               len <= 4095)
 *   N in VF_ARRAY/VF_CHARS must be a plain number (it is stringified
 *   into the metadata).  At most 4 VF_STRING fields per event (the
 *   probe remembers their lengths in a 4-entry array); strings are cut
 *   at 4095 bytes.
 *
 * Field names and types follow docs/design.md.
 */

VIGIL_EVENT(sys_enter, "raw_syscalls", "sys_enter", VG_TP,
	VG_ABOUT(VG_CURRENT),
	VG_PROTO(struct pt_regs *regs, long id),
	VG_LOCALS(struct vigil_sysenter si vigil_noinit;),
	VG_PREP(
		if (!vigil_syscall_wanted(id))
			goto vg_out;
		vigil_sysenter_prep(&si, vc, regs, id);
	),
	VG_FIELDS(
		VF_INT(s64, int64_t, id, id)
		VF_ARRAY(u64, uint64_t, args, 6, si.args)
		VF_INT(u8, uint8_t, path_arg, si.path_arg)
		VF_INT(u8, uint8_t, path_status, si.path_status)
		VF_STRLEN(path, si.path, si.path_len)
	))

VIGIL_EVENT(sys_exit, "raw_syscalls", "sys_exit", VG_TP,
	VG_ABOUT(VG_CURRENT),
	VG_PROTO(struct pt_regs *regs, long ret),
	VG_LOCALS(long nr;),
	VG_PREP(
		nr = syscall_get_nr(current, regs);
		if (!vigil_syscall_wanted(nr))
			goto vg_out;
	),
	VG_FIELDS(
		VF_INT(s64, int64_t, id, nr)
		VF_INT(s64, int64_t, ret, ret)
	))

VIGIL_EVENT(sched_switch, "sched", "sched_switch", VG_TP,
	VG_ABOUT(prev, next),
	VG_PROTO(bool preempt, struct task_struct *prev,
		 struct task_struct *next, unsigned int prev_state),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_CHARS(prev_comm, 16, prev->comm)
		VF_INT(s32, int32_t, prev_pid, prev->pid)
		VF_INT(s32, int32_t, prev_prio, prev->prio)
		VF_INT(s64, int64_t, prev_state,
		       vigil_switch_state(preempt, prev_state, prev))
		VF_CHARS(next_comm, 16, next->comm)
		VF_INT(s32, int32_t, next_pid, next->pid)
		VF_INT(s32, int32_t, next_prio, next->prio)
	))

VIGIL_EVENT(sched_wakeup, "sched", "sched_wakeup", VG_TP,
	VG_ABOUT(VG_CURRENT, p),
	VG_PROTO(struct task_struct *p),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_CHARS(comm, 16, p->comm)
		VF_INT(s32, int32_t, pid, p->pid)
		VF_INT(s32, int32_t, prio, p->prio)
		VF_INT(s32, int32_t, target_cpu, task_cpu(p))
	))

VIGIL_EVENT(sched_wakeup_new, "sched", "sched_wakeup_new", VG_TP,
	VG_ABOUT(VG_CURRENT, p),
	VG_PROTO(struct task_struct *p),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_CHARS(comm, 16, p->comm)
		VF_INT(s32, int32_t, pid, p->pid)
		VF_INT(s32, int32_t, prio, p->prio)
		VF_INT(s32, int32_t, target_cpu, task_cpu(p))
	))

VIGIL_EVENT(sched_process_fork, "sched", "sched_process_fork", VG_TP,
	VG_ABOUT(parent, child),
	VG_PROTO(struct task_struct *parent, struct task_struct *child),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_CHARS(parent_comm, 16, parent->comm)
		VF_INT(s32, int32_t, parent_pid, parent->pid)
		VF_CHARS(child_comm, 16, child->comm)
		VF_INT(s32, int32_t, child_pid, child->pid)
		VF_INT(s32, int32_t, child_tgid, child->tgid)
		VF_INT(u64, uint64_t, child_cgroup_id,
		       vigil_task_cgroup_id(child))
	))

VIGIL_EVENT(sched_process_exec, "sched", "sched_process_exec", VG_TP,
	VG_ABOUT(p),
	VG_PROTO(struct task_struct *p, pid_t old_pid,
		 struct linux_binprm *bprm),
	VG_LOCALS(const char *argv;),
	VG_PREP(argv = vigil_exec_argv(vc);),
	VG_FIELDS(
		VF_STRING(filename, bprm->filename)
		VF_INT(s32, int32_t, pid, p->pid)
		VF_INT(s32, int32_t, old_pid, old_pid)
		VF_INT(s32, int32_t, tgid, p->tgid)
		VF_INT(s32, int32_t, ppid, vigil_task_ppid(p))
		VF_INT(u32, uint32_t, uid, vigil_task_uid(p))
		VF_STRING(argv, argv)
	))

VIGIL_EVENT(sched_process_exit, "sched", "sched_process_exit", VG_TP,
	VG_ABOUT(p),
	VG_PROTO(struct task_struct *p),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_CHARS(comm, 16, p->comm)
		VF_INT(s32, int32_t, pid, p->pid)
		VF_INT(s32, int32_t, prio, p->prio)
		VF_INT(s32, int32_t, tgid, p->tgid)
		VF_INT(s32, int32_t, exit_code, p->exit_code)
	))

VIGIL_EVENT(irq_handler_entry, "irq", "irq_handler_entry", VG_TP,
	VG_ABOUT(),
	VG_PROTO(int irq, struct irqaction *action),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, irq, irq)
		VF_STRING(name, action->name)
	))

VIGIL_EVENT(irq_handler_exit, "irq", "irq_handler_exit", VG_TP,
	VG_ABOUT(),
	VG_PROTO(int irq, struct irqaction *action, int ret),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, irq, irq)
		VF_INT(s32, int32_t, ret, ret)
	))

VIGIL_EVENT(softirq_entry, "irq", "softirq_entry", VG_TP,
	VG_ABOUT(),
	VG_PROTO(unsigned int vec_nr),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(u32, uint32_t, vec, vec_nr)
	))

VIGIL_EVENT(softirq_exit, "irq", "softirq_exit", VG_TP,
	VG_ABOUT(),
	VG_PROTO(unsigned int vec_nr),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(u32, uint32_t, vec, vec_nr)
	))

VIGIL_EVENT(signal_generate, "signal", "signal_generate", VG_TP,
	VG_ABOUT(VG_CURRENT, task),
	VG_PROTO(int sig, struct kernel_siginfo *info,
		 struct task_struct *task, int group, int result),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, sig, sig)
		VF_INT(s32, int32_t, errno, vigil_siginfo_errno(info))
		VF_INT(s32, int32_t, code, vigil_siginfo_code(info))
		VF_CHARS(comm, 16, task->comm)
		VF_INT(s32, int32_t, pid, task->pid)
		VF_INT(s32, int32_t, group, group)
		VF_INT(s32, int32_t, result, result)
	))

VIGIL_EVENT(signal_deliver, "signal", "signal_deliver", VG_TP,
	VG_ABOUT(VG_CURRENT),
	VG_PROTO(int sig, struct kernel_siginfo *info,
		 struct k_sigaction *ka),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, sig, sig)
		VF_INT(s32, int32_t, errno, vigil_siginfo_errno(info))
		VF_INT(s32, int32_t, code, vigil_siginfo_code(info))
		VF_HEX(sa_handler, (unsigned long)ka->sa.sa_handler)
		VF_HEX(sa_flags, ka->sa.sa_flags)
	))

VIGIL_EVENT(page_fault_user, "exceptions", "page_fault_user", VG_TP,
	VG_ABOUT(VG_CURRENT),
	VG_PROTO(unsigned long address, struct pt_regs *regs,
		 unsigned long error_code),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_HEX(address, address)
		VF_HEX(ip, regs->ip)
		VF_HEX(error_code, error_code)
	))

VIGIL_EVENT(block_rq_issue, "block", "block_rq_issue", VG_TP,
	VG_ABOUT(VG_CURRENT),
	VG_PROTO(struct request *rq),
	VG_LOCALS(char rwbs[8];),
	VG_PREP(vigil_fill_rwbs(rwbs, rq);),
	VG_FIELDS(
		VF_INT(u32, uint32_t, dev, vigil_rq_dev(rq))
		VF_INT(u64, uint64_t, sector, blk_rq_trace_sector(rq))
		VF_INT(u32, uint32_t, nr_sector, blk_rq_trace_nr_sectors(rq))
		VF_INT(u32, uint32_t, bytes, blk_rq_bytes(rq))
		VF_CHARS(rwbs, 8, rwbs)
		VF_CHARS(comm, 16, current->comm)
	))

VIGIL_EVENT(block_rq_complete, "block", "block_rq_complete", VG_TP,
	VG_ABOUT(),
	VG_PROTO(struct request *rq, blk_status_t error,
		 unsigned int nr_bytes),
	VG_LOCALS(char rwbs[8];),
	VG_PREP(vigil_fill_rwbs(rwbs, rq);),
	VG_FIELDS(
		VF_INT(u32, uint32_t, dev, vigil_rq_dev(rq))
		VF_INT(u64, uint64_t, sector, blk_rq_pos(rq))
		VF_INT(u32, uint32_t, nr_sector, nr_bytes >> 9)
		VF_INT(s32, int32_t, error, blk_status_to_errno(error))
		VF_CHARS(rwbs, 8, rwbs)
	))

VIGIL_EVENT(net_dev_xmit, "net", "net_dev_xmit", VG_TP,
	VG_ABOUT(VG_CURRENT),
	VG_PROTO(struct sk_buff *skb, int rc, struct net_device *dev,
		 unsigned int skb_len),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_KADDR(skbaddr, (unsigned long)skb)
		VF_INT(u32, uint32_t, len, skb_len)
		VF_INT(s32, int32_t, rc, rc)
		VF_STRING(name, dev->name)
	))

VIGIL_EVENT(netif_receive_skb, "net", "netif_receive_skb", VG_TP,
	VG_ABOUT(),
	VG_PROTO(struct sk_buff *skb),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_KADDR(skbaddr, (unsigned long)skb)
		VF_INT(u32, uint32_t, len, skb->len)
		VF_STRING(name, skb->dev ? skb->dev->name : "")
	))

VIGIL_EVENT(statedump_process, "vigil", "statedump_process", VG_OWN,
	VG_ABOUT(),
	VG_PROTO(struct task_struct *t, int ppid, u32 uid, const char *exe),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, tid, t->pid)
		VF_INT(s32, int32_t, pid, t->tgid)
		VF_INT(s32, int32_t, ppid, ppid)
		VF_CHARS(comm, 16, t->comm)
		VF_INT(u32, uint32_t, uid, uid)
		VF_INT(u64, uint64_t, cgroup_id, vigil_task_cgroup_id(t))
		VF_STRING(exe, exe)
	))

VIGIL_EVENT(statedump_end, "vigil", "statedump_end", VG_OWN,
	VG_ABOUT(),
	VG_PROTO(u32 count),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(u32, uint32_t, count, count)
	))

VIGIL_EVENT(annotation, "vigil", "annotation", VG_OWN,
	VG_ABOUT(VG_CURRENT),
	VG_PROTO(const char *text),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, pid, current->tgid)
		VF_STRING(text, text)
	))

/* prctl(PR_SET_NAME), writes to /proc/PID/comm, exec: the kernel calls
 * it before the new name is copied, so task->comm is still the old one.
 * It is about the renaming task and the renamed one (for /proc/PID/comm
 * they may differ). */
VIGIL_EVENT(task_rename, "task", "task_rename", VG_TP,
	VG_ABOUT(VG_CURRENT, task),
	VG_PROTO(struct task_struct *task, const char *comm),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, pid, task->pid)
		VF_CHARS(oldcomm, 16, task->comm)
		VF_CHARS(newcomm, 16, comm)
		VF_INT(s16, int16_t, oom_score_adj, task->signal->oom_score_adj)
	))

/* A task was moved to another cgroup (a write to cgroup.procs or
 * cgroup.threads; the kernel fires it once, after the move, for the
 * leader when a whole process moved: threadgroup 1).  dst_root 0 is the
 * cgroup v2 hierarchy; v1 hierarchies have their own numbers.  About
 * the moved task (the writer is usually another one). */
VIGIL_EVENT(cgroup_attach_task, "cgroup", "cgroup_attach_task", VG_TP,
	VG_ABOUT(task),
	VG_PROTO(struct cgroup *dst_cgrp, const char *path,
		 struct task_struct *task, bool threadgroup),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, dst_root, vigil_cgroup_root(dst_cgrp))
		VF_INT(s32, int32_t, dst_level, vigil_cgroup_level(dst_cgrp))
		VF_INT(u64, uint64_t, dst_id, vigil_cgroup_id(dst_cgrp))
		VF_INT(s32, int32_t, pid, task->pid)
		VF_STRING(dst_path, path)
		VF_STRING(comm, task->comm)
		VF_INT(u8, uint8_t, threadgroup, threadgroup)
	))

/* The cgroup v2 directory a statedump_process or fork names by id (its
 * kernfs inode number), as a path below the cgroup2 mount ("/" is the
 * root).  Written by vigild (the dump's and the kernel source's
 * statedump), never by the module: see docs/design.md, "Cgroups". */
VIGIL_EVENT(statedump_cgroup, "vigil", "statedump_cgroup", VG_OWN,
	VG_ABOUT(),
	VG_PROTO(u64 id, const char *path),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(u64, uint64_t, id, id)
		VF_STRING(path, path)
	))

/* One interrupt line and the names of its handlers (the "actions",
 * comma-separated, as /sys/kernel/irq/N/actions lists them) and its
 * chip.  Written by vigild from /sys/kernel/irq: see docs/design.md. */
VIGIL_EVENT(statedump_irq, "vigil", "statedump_irq", VG_OWN,
	VG_ABOUT(),
	VG_PROTO(int irq, const char *name, const char *chip),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, irq, irq)
		VF_STRING(name, name)
		VF_STRING(chip, chip)
	))

/* One executable file mapping of a process (start .. end, the file
 * offset it maps).  Written by vigild from /proc/PID/maps. */
VIGIL_EVENT(statedump_mmap, "vigil", "statedump_mmap", VG_OWN,
	VG_ABOUT(),
	VG_PROTO(int pid, u64 start, u64 end, u64 offset, const char *path),
	VG_LOCALS(),
	VG_PREP(),
	VG_FIELDS(
		VF_INT(s32, int32_t, pid, pid)
		VF_HEX(start, start)
		VF_HEX(end, end)
		VF_HEX(offset, offset)
		VF_STRING(path, path)
	))

/*
 * Host side only (kmod/tools/vigil-events defines these macros, the
 * module never does):
 *
 * VIGIL_EVENT_EXTRA(cname, field, ...)
 *   the fields the kernel's own format of the event lacks (vigil adds
 *   them because handlers need them; docs/design.md marks them "+").
 * VIGIL_EVENT_ROLE(cname, ROLE, enable)
 *   an event vigild itself reads, known there as VG_EV_ROLE/VG_ROLE_ROLE
 *   (vg_events_gen.h); enable ALWAYS: vigild enables it whenever
 *   handlers run, because the task table lives on it; ASKED: read when
 *   the trace has it.
 */
#ifdef VIGIL_EVENT_EXTRA
VIGIL_EVENT_EXTRA(sys_enter, path_arg, path_status, path)
VIGIL_EVENT_EXTRA(sched_process_fork, child_tgid, child_cgroup_id)
VIGIL_EVENT_EXTRA(cgroup_attach_task, threadgroup)
VIGIL_EVENT_EXTRA(sched_process_exec, tgid, ppid, uid, argv)
VIGIL_EVENT_EXTRA(sched_process_exit, tgid, exit_code)
#endif

#ifdef VIGIL_EVENT_ROLE
VIGIL_EVENT_ROLE(sys_enter, SYS_ENTER, ASKED)
VIGIL_EVENT_ROLE(sys_exit, SYS_EXIT, ASKED)
VIGIL_EVENT_ROLE(sched_switch, SWITCH, ASKED)
VIGIL_EVENT_ROLE(sched_process_fork, FORK, ALWAYS)
VIGIL_EVENT_ROLE(sched_process_exec, EXEC, ALWAYS)
VIGIL_EVENT_ROLE(sched_process_exit, EXIT, ALWAYS)
VIGIL_EVENT_ROLE(task_rename, TASK_RENAME, ALWAYS)
VIGIL_EVENT_ROLE(statedump_process, STATEDUMP, ASKED)
VIGIL_EVENT_ROLE(statedump_end, STATEDUMP_END, ASKED)
VIGIL_EVENT_ROLE(statedump_cgroup, STATEDUMP_CGROUP, ASKED)
VIGIL_EVENT_ROLE(statedump_irq, STATEDUMP_IRQ, ASKED)
VIGIL_EVENT_ROLE(statedump_mmap, STATEDUMP_MMAP, ASKED)
VIGIL_EVENT_ROLE(cgroup_attach_task, CGROUP_ATTACH, ALWAYS)
#endif
