// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_kprobes.c - run-time events "kprobes:NAME" on a kernel symbol:
 * a kprobe records the first nargs argument registers, a kretprobe the
 * return value.  Ids are VIGIL_KPROBE_ID_BASE + slot.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <asm/pgtable.h>

#include "vigil_internal.h"

/*
 * Argument registers and return values are raw machine words; without
 * VIGIL_CFG_KERNEL_ADDRS every value at or above TASK_SIZE_MAX, the end
 * of the user address space, is written as 0: the kernel's half holds
 * the direct map, the image, vmalloc and stacks, modules, but also
 * vmemmap (struct page pointers), the fixmap, KASAN shadow, cpu_entry
 * area..., and asking which region a value falls in misses some.  The
 * exception is the last page, negative error numbers (IS_ERR_VALUE:
 * -4095..-1), which is never mapped.  So a return value of -ENOENT is
 * kept, a negative number below -4095 is hidden too.
 */
static __always_inline u64 vigil_hide_kaddr(u64 v)
{
	if ((vigil_flags & VIGIL_CFG_KERNEL_ADDRS) || v < TASK_SIZE_MAX ||
	    IS_ERR_VALUE((unsigned long)v))
		return v;
	return 0;
}

/* Same discipline as the generated probes (see vigil_core.c). */
static notrace void vigil_kp_write(struct vigil_kprobe *k, struct pt_regs *regs,
				   bool ret)
{
	struct vigil_cpu *vc;
	unsigned long flags;
	size_t size = sizeof(struct vigil_event_header) + 8 +
		      (ret ? 8 : 8 * k->nargs);
	u64 v;
	char *p;
	u32 i;

	local_irq_save(flags);
	if (!READ_ONCE(vigil_active) || !test_bit(k->id, vigil.enabled))
		goto out;
	vc = this_cpu_ptr(vigil_cpus);
	if (!vigil_enter(vc))
		goto out;
	if (!vigil_task_wanted())
		goto unnest;
	p = vigil_reserve(vc, size, k->id);
	if (!p)
		goto unnest;
	v = (vigil_flags & VIGIL_CFG_KERNEL_ADDRS) ? (u64)k->addr : 0;
	memcpy(p, &v, 8);
	p += 8;
	if (ret) {
		v = vigil_hide_kaddr(regs_return_value(regs));
		memcpy(p, &v, 8);
	} else {
		for (i = 0; i < k->nargs; i++) {
			v = vigil_hide_kaddr(regs_get_kernel_argument(regs, i));
			memcpy(p + 8 * i, &v, 8);
		}
	}
unnest:
	vc->nest = 0;
out:
	local_irq_restore(flags);
}

static int vigil_kp_pre(struct kprobe *kp, struct pt_regs *regs)
{
	vigil_kp_write(container_of(kp, struct vigil_kprobe, kp), regs, false);
	return 0;
}

static int vigil_krp_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *krp = get_kretprobe(ri);

	if (krp)
		vigil_kp_write(container_of(krp, struct vigil_kprobe, krp),
			       regs, true);
	return 0;
}

static bool vigil_name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (!n || n == max)
		return false;
	for (; *s; s++)
		if (!isalnum(*s) && *s != '_' && *s != '.')
			return false;
	return true;
}

static struct vigil_kprobe *vigil_kp_find(const char *name)
{
	int i;

	for (i = 0; i < VIGIL_MAX_KPROBES; i++)
		if ((vigil.kprobes[i].used || vigil.kprobes[i].retired) &&
		    !strcmp(vigil.kprobes[i].name, name))
			return &vigil.kprobes[i];
	return NULL;
}

/*
 * Called under vigil.lock.  Registers the kprobe disabled (its handler
 * records nothing yet) and sets req->id: the caller copies the answer
 * back to user space and then calls vigil_kprobe_commit(), or
 * vigil_kprobe_abort() if that fails, so ADD_KPROBE never fails for a
 * kprobe it left registered.
 *
 * Placing a kprobe reads any kernel function's arguments: it needs
 * CAP_PERFMON (what perf and BPF ask to attach kprobes) or CAP_SYS_ADMIN
 * (perfmon_capable()), beyond the 0600 mode of /dev/vigil.
 */
int vigil_kprobe_add(struct vigil_kprobe_req *req)
{
	struct vigil_kprobe *k = NULL;
	int i, ret;

	if (!perfmon_capable()) {
		pr_info_ratelimited("vigil: ADD_KPROBE needs CAP_PERFMON or CAP_SYS_ADMIN\n");
		return -EPERM;
	}
	if (!vigil_name_ok(req->name, sizeof(req->name)))
		return VIGIL_INVAL("ADD_KPROBE: name must be 1..%d characters of [A-Za-z0-9_.]",
				   VIGIL_NAME_MAX - 1);
	if (!vigil_name_ok(req->symbol, sizeof(req->symbol)))
		return VIGIL_INVAL("ADD_KPROBE %s: symbol must be 1..%d characters of [A-Za-z0-9_.]",
				   req->name, VIGIL_NAME_MAX - 1);
	if (req->reserved || req->retprobe > 1 || req->nargs > 6 ||
	    (req->retprobe && req->nargs) || req->offset > 0xffffffffULL)
		return VIGIL_INVAL("ADD_KPROBE %s: nargs %u (0..6, 0 for a kretprobe), retprobe %u (0/1), offset %llu, reserved %u (0)",
				   req->name, req->nargs, req->retprobe,
				   req->offset, req->reserved);
	if (vigil_kp_find(req->name))
		return -EEXIST;
	/* A deleted kprobe's id and name are not reused while its
	 * records may still be in the buffers (until reconfigured). */
	for (i = 0; i < VIGIL_MAX_KPROBES; i++) {
		if (!vigil.kprobes[i].used && !vigil.kprobes[i].retired) {
			k = &vigil.kprobes[i];
			break;
		}
	}
	if (!k)
		return -ENOSPC;

	memset(k, 0, sizeof(*k));
	strscpy(k->name, req->name, sizeof(k->name));
	strscpy(k->symbol, req->symbol, sizeof(k->symbol));
	k->offset = req->offset;
	k->nargs = req->nargs;
	k->retprobe = req->retprobe;
	k->id = VIGIL_KPROBE_ID_BASE + i;

	if (k->retprobe) {
		k->krp.kp.symbol_name = k->symbol;
		k->krp.kp.offset = k->offset;
		k->krp.handler = vigil_krp_ret;
		k->krp.maxactive = 0;	/* default: enough per CPU */
		ret = register_kretprobe(&k->krp);
		if (!ret)
			k->addr = (unsigned long)k->krp.kp.addr;
	} else {
		k->kp.symbol_name = k->symbol;
		k->kp.offset = k->offset;
		k->kp.pre_handler = vigil_kp_pre;
		ret = register_kprobe(&k->kp);
		if (!ret)
			k->addr = (unsigned long)k->kp.addr;
	}
	if (ret) {
		if (ret == -ENOENT)
			pr_info_ratelimited("vigil: kprobe %s: unknown symbol %s+%llu\n",
					    req->name, req->symbol,
					    req->offset);
		else
			pr_info_ratelimited("vigil: kprobe %s on %s+%llu failed: %d\n",
					    req->name, req->symbol,
					    req->offset, ret);
		return ret;
	}
	k->used = true;
	req->id = k->id;
	return 0;
}

/* The answer reached user space: record from now on (enabled by
 * default; the handler also checks vigil_active). */
void vigil_kprobe_commit(u32 id)
{
	set_bit(id, vigil.enabled);
}

static void vigil_kp_unregister(struct vigil_kprobe *k)
{
	unsigned long missed;

	if (k->retprobe) {
		unregister_kretprobe(&k->krp);
		missed = k->krp.nmissed + k->krp.kp.nmissed;
	} else {
		unregister_kprobe(&k->kp);
		missed = k->kp.nmissed;
	}
	if (missed)
		pr_info_ratelimited("vigil: kprobe %s on %s missed %lu hits (recursion or too many concurrent returns)\n",
				    k->name, k->symbol, missed);
	clear_bit(k->id, vigil.enabled);
	k->used = false;
	k->retired = true;
}

/* Called under vigil.lock; by name. */
int vigil_kprobe_del(const struct vigil_kprobe_req *req)
{
	struct vigil_kprobe *k;

	if (req->reserved || strnlen(req->name, sizeof(req->name)) ==
	    sizeof(req->name))
		return -EINVAL;
	k = vigil_kp_find(req->name);
	if (!k || !k->used)
		return -ENOENT;
	vigil_kp_unregister(k);
	return 0;
}

/*
 * The answer to ADD_KPROBE could not be copied to user space: remove
 * the kprobe as if it had never been added.  It recorded nothing (not
 * committed), so its id and name are free again at once: a retry works.
 */
void vigil_kprobe_abort(u32 id)
{
	struct vigil_kprobe *k = &vigil.kprobes[id - VIGIL_KPROBE_ID_BASE];

	vigil_kp_unregister(k);
	k->retired = false;
}

void vigil_kprobe_del_all(void)
{
	int i;

	for (i = 0; i < VIGIL_MAX_KPROBES; i++)
		if (vigil.kprobes[i].used)
			vigil_kp_unregister(&vigil.kprobes[i]);
}

/* New buffers: ids and names of deleted kprobes may be used again. */
void vigil_kprobe_forget_retired(void)
{
	int i;

	for (i = 0; i < VIGIL_MAX_KPROBES; i++)
		vigil.kprobes[i].retired = false;
}
