// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_annotate.c - /dev/vigil_annotate: a write() of up to 256 bytes
 * becomes a vigil:annotation event (pid, text).
 *
 * Who may write: everybody if annotate_mode has the other-write bit;
 * the group annotate_gid if it has the group-write bit; root (uid 0 or
 * CAP_SYS_ADMIN) if it has the owner-write bit.  The device node itself
 * is 0222 and this check is done once, in open(), because misc devices
 * cannot give their node a group; capable() is asked last, only when
 * the cheaper rules did not already allow the open (it marks the task
 * as having used a privilege and may be audited).
 *
 * Rate: a token bucket of annotate_rate writes per second (burst of one
 * second's worth), shared by all writers: over any interval of t
 * seconds at most annotate_rate * (t + 1) writes pass.  Over the limit,
 * write() fails with -EAGAIN and the write is counted in
 * annotations_dropped.  While no trace is running
 * (or vigil:annotation is disabled) write() fails with -ENOTCONN.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/cred.h>
#include <linux/uaccess.h>
#include <linux/spinlock.h>
#include <linux/ktime.h>
#include <linux/capability.h>

#include "vigil_internal.h"

static unsigned int annotate_mode = 0220;
module_param(annotate_mode, uint, 0444);
MODULE_PARM_DESC(annotate_mode, "who may write /dev/vigil_annotate: 0200 root, 0020 annotate_gid, 0002 everybody (default 0220)");

static unsigned int annotate_gid;
module_param(annotate_gid, uint, 0444);
MODULE_PARM_DESC(annotate_gid, "group allowed to annotate when annotate_mode has 0020 (default 0)");

static unsigned int annotate_rate = 1000;
module_param(annotate_rate, uint, 0444);
MODULE_PARM_DESC(annotate_rate, "annotations accepted per second, all writers together (default 1000)");

static DEFINE_SPINLOCK(vigil_tb_lock);
static u64 vigil_tb_tokens;	/* in units of 1/NSEC_PER_SEC token */
static u64 vigil_tb_last;

/*
 * Take one token.  The clock is read under the lock: writers then see
 * it in the order they refill, so vigil_tb_last never moves backwards
 * and every nanosecond is credited once.  (Read before the lock, a
 * writer holding an older time would compute a negative, wrapped
 * elapsed time and refill the whole bucket.)  The comparison still
 * guards against a clock read that is older than the last one.
 */
static bool vigil_tb_take(void)
{
	u64 cap = (u64)annotate_rate * NSEC_PER_SEC;
	unsigned long flags;
	bool ok = false;
	u64 now;

	spin_lock_irqsave(&vigil_tb_lock, flags);
	now = ktime_get_mono_fast_ns();
	if (now > vigil_tb_last) {
		/* refill: rate tokens per second, elapsed ns * rate units */
		vigil_tb_tokens += min_t(u64, now - vigil_tb_last,
					 NSEC_PER_SEC) * annotate_rate;
		if (vigil_tb_tokens > cap)
			vigil_tb_tokens = cap;
		vigil_tb_last = now;
	}
	if (vigil_tb_tokens >= NSEC_PER_SEC) {
		vigil_tb_tokens -= NSEC_PER_SEC;
		ok = true;
	}
	spin_unlock_irqrestore(&vigil_tb_lock, flags);
	return ok;
}

static int vigil_annotate_open(struct inode *inode, struct file *file)
{
	if (file->f_mode & FMODE_READ)
		return -EINVAL;	/* write-only */
	if (annotate_mode & 0002)
		return 0;
	if ((annotate_mode & 0020) &&
	    in_group_p(make_kgid(&init_user_ns, annotate_gid)))
		return 0;
	if ((annotate_mode & 0200) &&
	    (uid_eq(current_fsuid(), GLOBAL_ROOT_UID) ||
	     capable(CAP_SYS_ADMIN)))
		return 0;
	return -EACCES;
}

static ssize_t vigil_annotate_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	char text[VIGIL_ANNOTATE_MAX + 1];
	size_t n;

	if (len > VIGIL_ANNOTATE_MAX)
		return -EMSGSIZE;
	if (!READ_ONCE(vigil_active) ||
	    !test_bit(VIGIL_EV_annotation, vigil.enabled))
		return -ENOTCONN;
	if (copy_from_user(text, ubuf, len))
		return -EFAULT;
	text[len] = '\0';
	/* The text ends at a NUL; one trailing newline (echo) is dropped. */
	n = strnlen(text, len);
	if (n && text[n - 1] == '\n')
		text[n - 1] = '\0';
	if (!vigil_tb_take()) {
		this_cpu_inc(vigil_cpus->annotations_dropped);
		return -EAGAIN;
	}
	vigil_emit_annotation(text);
	return len;
}

static const struct file_operations vigil_annotate_fops = {
	.owner = THIS_MODULE,
	.open = vigil_annotate_open,
	.write = vigil_annotate_write,
	.llseek = noop_llseek,
};

static struct miscdevice vigil_annotate_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vigil_annotate",
	.fops = &vigil_annotate_fops,
	.mode = 0222,
};

int vigil_annotate_init(void)
{
	if (annotate_mode & ~0222U) {
		pr_err("vigil: annotate_mode %#o: only write bits (0222) are meaningful\n",
		       annotate_mode);
		return -EINVAL;
	}
	vigil_tb_last = ktime_get_mono_fast_ns();
	vigil_tb_tokens = (u64)annotate_rate * NSEC_PER_SEC;
	return misc_register(&vigil_annotate_misc);
}

void vigil_annotate_exit(void)
{
	misc_deregister(&vigil_annotate_misc);
}
