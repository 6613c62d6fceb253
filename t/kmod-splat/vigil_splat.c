// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_splat: a test-only module that makes the kernel's checkers report,
 * so t/vm/00-vm-run.t can prove scripts/vm-run catches each kind of
 * report.  Never built into vigil; loaded only by that test.
 *
 *   insmod vigil_splat.ko what=NAME
 *
 * NAME is one of: warn, kasan, ubsan, sleep, rcu, lockdep, list, kmemleak.
 * The module does its deed in init and then loads normally (so rmmod works
 * and the run's end is reached); "kmemleak" leaks an object that only the
 * end-of-run scan can find.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/delay.h>
#include <linux/rcupdate.h>
#include <linux/list.h>

static char *what = "";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "the report to provoke");

struct splat_obj {
	struct rcu_head rcu;
	int v;
};

static struct splat_obj __rcu *splat_ptr;
static DEFINE_SPINLOCK(splat_lock_a);
static DEFINE_SPINLOCK(splat_lock_b);
static DEFINE_MUTEX(splat_mutex);
static void *splat_leak_keep;

/* volatile: the compiler may not prove the index or shift out of range */
static volatile int splat_index = 8;
static volatile int splat_shift = 40;

static void splat_kasan(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	pr_info("vigil_splat: reading an object after kfree()\n");
	pr_info("vigil_splat: got %d\n", READ_ONCE(p[splat_index]));
}

static void splat_ubsan(void)
{
	int a[4] = { 1, 2, 3, 4 };
	int idx = splat_index;
	int x = 1;

	pr_info("vigil_splat: index %d of a 4-element array, shift by %d\n",
		idx, splat_shift);
	pr_info("vigil_splat: got %d %d\n", a[idx], x << splat_shift);
}

static void splat_sleep(void)
{
	spin_lock(&splat_lock_a);
	mutex_lock(&splat_mutex);	/* may sleep, under a spinlock */
	mutex_unlock(&splat_mutex);
	spin_unlock(&splat_lock_a);
}

static void splat_rcu(void)
{
	struct splat_obj *o;

	/* rcu_dereference() outside rcu_read_lock() */
	o = rcu_dereference(splat_ptr);
	pr_info("vigil_splat: rcu pointer %s\n", o ? "set" : "NULL");
}

static void splat_lockdep(void)
{
	/* A then B, then B then A: an ABBA order lockdep reports at once */
	spin_lock(&splat_lock_a);
	spin_lock(&splat_lock_b);
	spin_unlock(&splat_lock_b);
	spin_unlock(&splat_lock_a);
	spin_lock(&splat_lock_b);
	spin_lock(&splat_lock_a);
	spin_unlock(&splat_lock_a);
	spin_unlock(&splat_lock_b);
}

static void splat_list(void)
{
	LIST_HEAD(head);
	struct list_head e;

	list_add(&e, &head);
	list_add(&e, &head);	/* double add: DEBUG_LIST reports it */
	INIT_LIST_HEAD(&head);
}

static void splat_kmemleak(void)
{
	/* keep it referenced now, drop the reference at module exit */
	splat_leak_keep = kmalloc(128, GFP_KERNEL);
	pr_info("vigil_splat: will leak a 128-byte object at unload\n");
}

static int __init splat_init(void)
{
	if (!strcmp(what, "warn"))
		WARN(1, "vigil_splat: test warning\n");
	else if (!strcmp(what, "kasan"))
		splat_kasan();
	else if (!strcmp(what, "ubsan"))
		splat_ubsan();
	else if (!strcmp(what, "sleep"))
		splat_sleep();
	else if (!strcmp(what, "rcu"))
		splat_rcu();
	else if (!strcmp(what, "lockdep"))
		splat_lockdep();
	else if (!strcmp(what, "list"))
		splat_list();
	else if (!strcmp(what, "kmemleak"))
		splat_kmemleak();
	else
		return -EINVAL;
	return 0;
}

static void __exit splat_exit(void)
{
	/* what=kmemleak: forget the object without freeing it */
	WRITE_ONCE(splat_leak_keep, NULL);
}

module_init(splat_init);
module_exit(splat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vigil test module: provokes kernel checker reports");
