/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil_compat.h - every difference between the kernel versions vigil.ko
 * builds for (6.1 to 6.12), in one place: the rest of the module calls
 * the vigil_* wrappers below and has no version #if of its own.
 */
#ifndef _VIGIL_COMPAT_H
#define _VIGIL_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/rcupdate.h>
#include <linux/mm.h>

/*
 * A reference to the file in the RCU-protected pointer *@fp, or NULL if
 * there is none or it is being freed.  Called under rcu_read_lock().
 * Since 6.7 get_file_rcu() takes the pointer's address, retries while
 * the pointer changes and returns the file; before, it took the file and
 * returned whether the reference was obtained.
 */
static inline struct file *vigil_get_file_rcu(struct file __rcu **fp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return get_file_rcu(fp);
#else
	struct file *f = rcu_dereference(*fp);

	if (f && !get_file_rcu(f))
		f = NULL;
	return f;
#endif
}

/* Clear @flags of a VMA being set up (mmap); since 6.3 vm_flags is
 * changed only through the vm_flags_*() helpers. */
static inline void vigil_vm_flags_clear(struct vm_area_struct *vma,
					vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * The .llseek of a file that cannot seek (lseek() fails with ESPIPE).
 * 6.12 removed no_llseek: there a file without .llseek cannot seek.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define VIGIL_NO_LLSEEK NULL
#else
#define VIGIL_NO_LLSEEK no_llseek
#endif

#endif /* _VIGIL_COMPAT_H */
