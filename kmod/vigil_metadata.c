// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_metadata.c - VIGIL_IOC_METADATA_FD: the CTF 1.8 TSDL text of the
 * current trace, generated at the ioctl from the event table and the
 * kprobes defined at that moment, handed out as a read-only anonymous
 * file (no debugfs: it works under kernel lockdown).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/anon_inodes.h>
#include <linux/seq_buf.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <linux/uuid.h>

#include "vigil_internal.h"
#include "vigil_tsdl.h"

/* A TSDL string literal: quotes, backslashes and controls escaped. */
static void vigil_put_quoted(struct seq_buf *m, const char *s)
{
	seq_buf_printf(m, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			seq_buf_printf(m, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			seq_buf_printf(m, "\\x%02x", (unsigned char)*s);
		else
			seq_buf_printf(m, "%c", *s);
	}
	seq_buf_printf(m, "\"");
}

/* The whole text, under vigil.lock (the caller holds it). */
static void vigil_metadata_write(struct seq_buf *m)
{
	struct new_utsname *u = utsname();
	int i;
	u32 a;

	lockdep_assert_held(&vigil.lock);
	seq_buf_printf(m, "%s", VIGIL_TSDL_PREAMBLE VIGIL_TSDL_TRACE_HEAD);
	seq_buf_printf(m, "\tuuid = \"%pUb\";\n", vigil.uuid);
	seq_buf_printf(m, "%s", VIGIL_TSDL_TRACE_TAIL);

	seq_buf_printf(m, "%s", "env {\n\thostname = ");
	vigil_put_quoted(m, u->nodename);
	seq_buf_printf(m, "%s", ";\n\tdomain = \"kernel\";\n\tsysname = ");
	vigil_put_quoted(m, u->sysname);
	seq_buf_printf(m, "%s", ";\n\tkernel_release = ");
	vigil_put_quoted(m, u->release);
	seq_buf_printf(m, "%s", ";\n\tkernel_version = ");
	vigil_put_quoted(m, u->version);
	seq_buf_printf(m, ";\n\ttracer_name = \"vigil\";\n\ttracer_major = %d;\n\ttracer_minor = %d;\n",
		   VIGIL_TRACER_MAJOR, VIGIL_TRACER_MINOR);
	seq_buf_printf(m, "\tvigil_mode = \"%s\";\n\tvigil_subbuf_size = %u;\n\tvigil_n_subbufs = %u;\n};\n\n",
		   vigil.cfg.mode == VIGIL_MODE_FLIGHT ? "flight" : "normal",
		   vigil.cfg.subbuf_size, vigil.cfg.n_subbufs);

	seq_buf_printf(m, "clock {\n\tname = \"monotonic\";\n\tuuid = \"%pUb\";\n"
		   "\tdescription = \"ktime_get_mono_fast_ns\";\n"
		   "\tfreq = 1000000000;\n\tprecision = 1;\n"
		   "\toffset_s = 0;\n\toffset = %lld;\n\tabsolute = FALSE;\n};\n\n",
		   vigil.uuid, (long long)vigil.clock_offset);

	seq_buf_printf(m, "%s", VIGIL_TSDL_STREAM);

	for (i = 0; i < VIGIL_NR_EVENTS; i++) {
		const struct vigil_event_desc *e = &vigil_event_table[i];

		seq_buf_printf(m, "event {\n\tname = \"%s:%s\";\n\tid = %d;\n\tstream_id = 0;\n\tfields := struct {\n%s%s\t};\n};\n\n",
			   e->subsys, e->name, i, e->fields_tsdl,
			   vigil.stack_depth[i] ?
			   "\t\tuint16_t vigil_callchain_depth;\n"
			   "\t\tuint64_hex_t vigil_callchain[vigil_callchain_depth];\n" : "");
	}

	for (i = 0; i < VIGIL_MAX_KPROBES; i++) {
		const struct vigil_kprobe *k = &vigil.kprobes[i];

		if (!k->used && !k->retired)
			continue;
		seq_buf_printf(m, "event {\n\tname = \"kprobes:%s\";\n\tid = %u;\n\tstream_id = 0;\n\tfields := struct {\n\t\tuint64_hex_t ip;\n",
			   k->name, k->id);
		if (k->retprobe)
			seq_buf_printf(m, "%s", "\t\tint64_t ret;\n");
		else
			for (a = 0; a < k->nargs; a++)
				seq_buf_printf(m, "\t\tuint64_t arg%u;\n", a);
		seq_buf_printf(m, "%s", "\t};\n};\n\n");
	}
}

struct vigil_meta {
	size_t len;
	char text[];
};

static ssize_t vigil_meta_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct vigil_meta *md = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, md->text, md->len);
}

static loff_t vigil_meta_llseek(struct file *file, loff_t off, int whence)
{
	struct vigil_meta *md = file->private_data;

	return fixed_size_llseek(file, off, whence, md->len);
}

static int vigil_meta_release(struct inode *inode, struct file *file)
{
	kvfree(file->private_data);
	return 0;
}

static const struct file_operations vigil_meta_fops = {
	.owner = THIS_MODULE,
	.read = vigil_meta_read,
	.llseek = vigil_meta_llseek,
	.release = vigil_meta_release,
};

/*
 * Generate the text (growing the buffer until it fits) and return a new
 * fd reading it.  Called under vigil.lock.
 */
int vigil_metadata_fd(void)
{
	size_t cap = 32768;
	struct vigil_meta *md;
	struct seq_buf sb;
	struct file *file;
	int fd;

	for (;;) {
		md = kvmalloc(sizeof(*md) + cap, GFP_KERNEL);
		if (!md)
			return -ENOMEM;
		seq_buf_init(&sb, md->text, cap);
		vigil_metadata_write(&sb);
		if (!seq_buf_has_overflowed(&sb))
			break;
		kvfree(md);
		if (cap >= (4U << 20))
			return -E2BIG;	/* cannot happen: 64 kprobes at most */
		cap *= 2;
	}
	md->len = seq_buf_used(&sb);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kvfree(md);
		return fd;
	}
	file = anon_inode_getfile("[vigil_metadata]", &vigil_meta_fops, md,
				  O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kvfree(md);
		return PTR_ERR(file);
	}
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}
