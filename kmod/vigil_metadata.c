// SPDX-License-Identifier: GPL-2.0
/*
 * vigil_metadata.c - debugfs vigil/metadata: the CTF 1.8 TSDL text of
 * the current trace, generated on each open from the event table and
 * the kprobes defined at that moment.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>
#include <linux/uuid.h>

#include "vigil_internal.h"

static const char vigil_tsdl_preamble[] =
	"/* CTF 1.8 */\n"
	"\n"
	"typealias integer { size = 8;  align = 8; signed = false; } := uint8_t;\n"
	"typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
	"typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
	"typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
	"typealias integer { size = 8;  align = 8; signed = true;  } := int8_t;\n"
	"typealias integer { size = 16; align = 8; signed = true;  } := int16_t;\n"
	"typealias integer { size = 32; align = 8; signed = true;  } := int32_t;\n"
	"typealias integer { size = 64; align = 8; signed = true;  } := int64_t;\n"
	"typealias integer { size = 64; align = 8; signed = false; base = 16; } := uint64_hex_t;\n"
	"typealias integer { size = 8;  align = 8; signed = false; encoding = UTF8; } := char_t;\n"
	"typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;\n"
	"\n";

static const char vigil_tsdl_stream[] =
	"stream {\n"
	"\tid = 0;\n"
	"\tpacket.context := struct {\n"
	"\t\tuint64_clock_monotonic_t timestamp_begin;\n"
	"\t\tuint64_clock_monotonic_t timestamp_end;\n"
	"\t\tuint64_t content_size;\n"
	"\t\tuint64_t packet_size;\n"
	"\t\tuint64_t packet_seq_num;\n"
	"\t\tuint64_t events_discarded;\n"
	"\t\tuint32_t cpu_id;\n"
	"\t};\n"
	"\tevent.header := struct {\n"
	"\t\tuint16_t id;\n"
	"\t\tuint64_clock_monotonic_t timestamp;\n"
	"\t};\n"
	"\tevent.context := struct {\n"
	"\t\tint32_t tid;\n"
	"\t};\n"
	"};\n\n";

/* A TSDL string literal: quotes, backslashes and controls escaped. */
static void vigil_put_quoted(struct seq_file *m, const char *s)
{
	seq_putc(m, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			seq_printf(m, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			seq_printf(m, "\\x%02x", (unsigned char)*s);
		else
			seq_putc(m, *s);
	}
	seq_putc(m, '"');
}

static int vigil_metadata_show(struct seq_file *m, void *v)
{
	struct new_utsname *u = utsname();
	int i;
	u32 a;

	mutex_lock(&vigil.lock);
	seq_puts(m, vigil_tsdl_preamble);

	seq_printf(m, "trace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"%pUb\";\n",
		   vigil.uuid);
	seq_puts(m, "\tbyte_order = le;\n"
		 "\tpacket.header := struct {\n"
		 "\t\tuint32_t magic;\n"
		 "\t\tuint8_t uuid[16];\n"
		 "\t\tuint32_t stream_id;\n"
		 "\t\tuint64_t stream_instance_id;\n"
		 "\t};\n};\n\n");

	seq_puts(m, "env {\n\thostname = ");
	vigil_put_quoted(m, u->nodename);
	seq_puts(m, ";\n\tdomain = \"kernel\";\n\tsysname = ");
	vigil_put_quoted(m, u->sysname);
	seq_puts(m, ";\n\tkernel_release = ");
	vigil_put_quoted(m, u->release);
	seq_puts(m, ";\n\tkernel_version = ");
	vigil_put_quoted(m, u->version);
	seq_printf(m, ";\n\ttracer_name = \"vigil\";\n\ttracer_major = %d;\n\ttracer_minor = %d;\n",
		   VIGIL_TRACER_MAJOR, VIGIL_TRACER_MINOR);
	seq_printf(m, "\tvigil_mode = \"%s\";\n\tvigil_subbuf_size = %u;\n\tvigil_n_subbufs = %u;\n};\n\n",
		   vigil.cfg.mode == VIGIL_MODE_FLIGHT ? "flight" : "normal",
		   vigil.cfg.subbuf_size, vigil.cfg.n_subbufs);

	seq_printf(m, "clock {\n\tname = \"monotonic\";\n\tuuid = \"%pUb\";\n"
		   "\tdescription = \"ktime_get_mono_fast_ns\";\n"
		   "\tfreq = 1000000000;\n\tprecision = 1;\n"
		   "\toffset_s = 0;\n\toffset = %lld;\n\tabsolute = FALSE;\n};\n\n",
		   vigil.uuid, (long long)vigil.clock_offset);

	seq_puts(m, vigil_tsdl_stream);

	for (i = 0; i < VIGIL_NR_EVENTS; i++) {
		const struct vigil_event_desc *e = &vigil_event_table[i];

		seq_printf(m, "event {\n\tname = \"%s:%s\";\n\tid = %d;\n\tstream_id = 0;\n\tfields := struct {\n%s\t};\n};\n\n",
			   e->subsys, e->name, i, e->fields_tsdl);
	}

	for (i = 0; i < VIGIL_MAX_KPROBES; i++) {
		const struct vigil_kprobe *k = &vigil.kprobes[i];

		if (!k->used && !k->retired)
			continue;
		seq_printf(m, "event {\n\tname = \"kprobes:%s\";\n\tid = %u;\n\tstream_id = 0;\n\tfields := struct {\n\t\tuint64_hex_t ip;\n",
			   k->name, k->id);
		if (k->retprobe)
			seq_puts(m, "\t\tint64_t ret;\n");
		else
			for (a = 0; a < k->nargs; a++)
				seq_printf(m, "\t\tuint64_t arg%u;\n", a);
		seq_puts(m, "\t};\n};\n\n");
	}
	mutex_unlock(&vigil.lock);
	return 0;
}

static int vigil_metadata_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, vigil_metadata_show, NULL, 32768);
}

static const struct file_operations vigil_metadata_fops = {
	.owner = THIS_MODULE,
	.open = vigil_metadata_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

int vigil_metadata_init(struct dentry *dir)
{
	struct dentry *d = debugfs_create_file("metadata", 0400, dir, NULL,
					       &vigil_metadata_fops);

	return IS_ERR(d) ? PTR_ERR(d) : 0;
}
