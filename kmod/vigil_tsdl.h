/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil_tsdl.h - the fixed parts of the CTF 1.8 metadata vigil.ko writes
 * (docs/design.md, "The TSDL the module emits"), as string literals, so
 * that every writer of vigil metadata uses one text: the module
 * (vigil_metadata.c), vigild's event list without the module
 * (daemon/vigild/catalog.c) and the C tests' traces
 * (daemon/tests/vg_testlib.h).  The event blocks are generated from
 * vigil_events.h; the trace uuid, env and clock blocks are each
 * writer's own (the module fills in the machine and the session).
 *
 * Plain C string literals: included by the kernel and by user space.
 */
#ifndef VIGIL_TSDL_H
#define VIGIL_TSDL_H

/* The type aliases every block below uses. */
#define VIGIL_TSDL_PREAMBLE \
	"/* CTF 1.8 */\n" \
	"\n" \
	"typealias integer { size = 8;  align = 8; signed = false; } := uint8_t;\n" \
	"typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n" \
	"typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n" \
	"typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n" \
	"typealias integer { size = 8;  align = 8; signed = true;  } := int8_t;\n" \
	"typealias integer { size = 16; align = 8; signed = true;  } := int16_t;\n" \
	"typealias integer { size = 32; align = 8; signed = true;  } := int32_t;\n" \
	"typealias integer { size = 64; align = 8; signed = true;  } := int64_t;\n" \
	"typealias integer { size = 64; align = 8; signed = false; base = 16; } := uint64_hex_t;\n" \
	"typealias integer { size = 8;  align = 8; signed = false; encoding = UTF8; } := char_t;\n" \
	"typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;\n" \
	"\n"

/* The trace block opens with these, then its uuid line (writer's own). */
#define VIGIL_TSDL_TRACE_HEAD \
	"trace {\n" \
	"\tmajor = 1;\n" \
	"\tminor = 8;\n"

/* ... and closes with the byte order and the packet header. */
#define VIGIL_TSDL_TRACE_TAIL \
	"\tbyte_order = le;\n" \
	"\tpacket.header := struct {\n" \
	"\t\tuint32_t magic;\n" \
	"\t\tuint8_t uuid[16];\n" \
	"\t\tuint32_t stream_id;\n" \
	"\t\tuint64_t stream_instance_id;\n" \
	"\t};\n" \
	"};\n" \
	"\n"

/* The one stream: packet context, event header and event context. */
#define VIGIL_TSDL_STREAM \
	"stream {\n" \
	"\tid = 0;\n" \
	"\tpacket.context := struct {\n" \
	"\t\tuint64_clock_monotonic_t timestamp_begin;\n" \
	"\t\tuint64_clock_monotonic_t timestamp_end;\n" \
	"\t\tuint64_t content_size;\n" \
	"\t\tuint64_t packet_size;\n" \
	"\t\tuint64_t packet_seq_num;\n" \
	"\t\tuint64_t events_discarded;\n" \
	"\t\tuint32_t cpu_id;\n" \
	"\t};\n" \
	"\tevent.header := struct {\n" \
	"\t\tuint16_t id;\n" \
	"\t\tuint64_clock_monotonic_t timestamp;\n" \
	"\t};\n" \
	"\tevent.context := struct {\n" \
	"\t\tint32_t tid;\n" \
	"\t};\n" \
	"};\n" \
	"\n"

#endif /* VIGIL_TSDL_H */
