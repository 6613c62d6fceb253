/* fuzz_tsdl - the TSDL metadata parser (vg_tsdl.c, vg_metadata.c): any
 * input is parsed; what parses is written back (vg_metadata_to_tsdl),
 * which must parse again (issue 11 defect 7), and its classes' fields
 * are looked up. */
#include "fuzz_common.h"
#include "vg_core.h"
#include "vg_stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	vg_fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *err = NULL;
	VgMetadata *md = vg_metadata_parse((const char *)data, size, "fuzz", &err);
	char *text;
	gsize len;
	VgMetadata *again;
	GPtrArray *cls;

	if (!md) {
		g_clear_error(&err);
		return 0;
	}
	cls = vg_metadata_classes(md);	/* borrowed */
	for (guint i = 0; cls && i < cls->len; i++) {
		const VgEventClass *c = g_ptr_array_index(cls, i);

		if (c->n_fields)
			(void)vg_class_field_index(c, c->fields[c->n_fields - 1].name);
		(void)vg_metadata_class_by_name(md, c->name);
	}
	text = vg_metadata_to_tsdl(md, &len);
	again = vg_metadata_parse(text, len, "fuzz-written-back", &err);
	if (!again) {
		/* what the library writes, it reads */
		fprintf(stderr, "written-back metadata does not parse: %s\n", err->message);
		abort();
	}
	vg_metadata_free(again);
	g_free(text);
	vg_metadata_free(md);
	return 0;
}
