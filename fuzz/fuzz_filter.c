/* fuzz_filter - the filter compiler (vg_filter.c): the first byte picks
 * one class of the module's metadata (or none: syntax only), the rest is
 * the expression; what compiles is matched against an event of that
 * class read from a zero-filled record. */
#include "fuzz_common.h"
#include "vg_core.h"
#include "vg_stream.h"
#include "vg_testlib.h"

#include <string.h>

static VgMetadata *md;
static GPtrArray *classes;
static guint8 zeros[65536];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	vg_fuzz_init();
	md = vgt_metadata(NULL);	/* the module's events */
	classes = vg_metadata_classes(md);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const VgEventClass *cls = NULL;
	GError *err = NULL;
	VgFilter *f;
	char *expr;

	if (size < 1)
		return 0;
	if (data[0] != 0xff && classes->len)
		cls = g_ptr_array_index(classes, data[0] % classes->len);
	expr = g_strndup((const char *)data + 1, size - 1);
	f = vg_filter_compile(expr, cls, &err);
	if (f && cls) {
		VgEvent e;

		memset(&e, 0, sizeof(e));
		e.cls = cls;
		e.tid = 1;
		e.payload = zeros;
		e.payload_len = sizeof(zeros);
		{
			static VgTask t = { .tid = 1, .pid = 1, .comm = "fuzz" };

			e.task = &t;
		}
		(void)vg_filter_match(f, &e);
	}
	g_clear_error(&err);
	vg_filter_free(f);
	g_free(expr);
	return 0;
}
