/*
 * test-log.c - the structured "dump complete" entry: the journal gets
 * MESSAGE_ID and the dump's path, reason, event, packet and discarded
 * counts as fields of their own (so journalctl and log shippers can
 * select and read them); the message is the log line.
 */
#include "log.h"

#include <glib.h>
#include <string.h>

static GHashTable *seen;	/* key -> value of the last entry */
static GLogLevelFlags seen_level;

static GLogWriterOutput capture(GLogLevelFlags level, const GLogField *fields,
				gsize n, gpointer data)
{
	(void)data;
	g_hash_table_remove_all(seen);
	seen_level = level;
	for (gsize i = 0; i < n; i++)
		g_hash_table_insert(seen, g_strdup(fields[i].key),
				    fields[i].length < 0 ?
				    g_strdup(fields[i].value) :
				    g_strndup(fields[i].value, fields[i].length));
	return G_LOG_WRITER_HANDLED;
}

static const char *field(const char *key)
{
	return g_hash_table_lookup(seen, key);
}

static void test_dump_fields(void)
{
	vgd_log_dump_complete("/var/lib/vigil/dumps/vigil-20261122-041503",
			      "read took 300 ms", 12345, 67,
			      G_GUINT64_CONSTANT(18446744073709551615),
			      "dump complete: /var/lib/vigil/dumps/vigil-20261122-041503 (...)");
	g_assert_cmpstr(field("MESSAGE_ID"), ==, VGD_LOG_DUMP_MESSAGE_ID);
	g_assert_cmpuint(strlen(VGD_LOG_DUMP_MESSAGE_ID), ==, 32);
	g_assert_cmpstr(field("VIGIL_DUMP_PATH"), ==,
			"/var/lib/vigil/dumps/vigil-20261122-041503");
	g_assert_cmpstr(field("VIGIL_DUMP_REASON"), ==, "read took 300 ms");
	g_assert_cmpstr(field("VIGIL_DUMP_EVENTS"), ==, "12345");
	g_assert_cmpstr(field("VIGIL_DUMP_PACKETS"), ==, "67");
	g_assert_cmpstr(field("VIGIL_DUMP_DISCARDED"), ==, "18446744073709551615");
	g_assert_cmpstr(field("MESSAGE"), ==,
			"dump complete: /var/lib/vigil/dumps/vigil-20261122-041503 (...)");
	g_assert_cmpstr(field("PRIORITY"), ==, "5");
	g_assert_cmpstr(field("GLIB_DOMAIN"), ==, "vigild");
	g_assert_true((seen_level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_MESSAGE);
}

static void test_no_reason(void)
{
	vgd_log_dump_complete("/d/vigil-x", NULL, 0, 0, 0, "dump complete: /d/vigil-x");
	g_assert_cmpstr(field("VIGIL_DUMP_REASON"), ==, "");
	g_assert_cmpstr(field("VIGIL_DUMP_EVENTS"), ==, "0");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_log_set_writer_func(capture, NULL, NULL);
	g_test_add_func("/log/dump-complete-fields", test_dump_fields);
	g_test_add_func("/log/dump-without-reason", test_no_reason);
	return g_test_run();
}
