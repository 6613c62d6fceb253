// SPDX-License-Identifier: GPL-2.0
/*
 * vigil.ko - module entry points: /dev/vigil.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>

#include "vigil_abi.h"

static int vigil_open(struct inode *inode, struct file *file)
{
	return 0;
}

static int vigil_release(struct inode *inode, struct file *file)
{
	return 0;
}

static long vigil_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations vigil_fops = {
	.owner = THIS_MODULE,
	.open = vigil_open,
	.release = vigil_release,
	.unlocked_ioctl = vigil_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vigil_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vigil",
	.fops = &vigil_fops,
	.mode = 0600,
};

static int __init vigil_init(void)
{
	return misc_register(&vigil_misc);
}

static void __exit vigil_exit(void)
{
	misc_deregister(&vigil_misc);
}

module_init(vigil_init);
module_exit(vigil_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vigil: kernel events to per-CPU relay buffers as CTF");
