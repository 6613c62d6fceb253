/* fuzz_config - vigild's YAML configuration loader (daemon/vigild/
 * config.c): the input is a configuration file; what loads is checked,
 * its mode resolved and written back as text. */
#include "fuzz_common.h"
#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	vg_fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	VgdConfig *cfg = vgd_config_new();
	GError *err = NULL;

	if (vgd_config_load_data(cfg, (const char *)data, size, "fuzz.yaml", &err)) {
		if (vgd_config_check(cfg, &err)) {
			char *s;

			vgd_config_resolve_mode(cfg);
			s = vgd_config_to_string(cfg);
			g_free(s);
		}
	}
	g_clear_error(&err);
	vgd_config_free(cfg);
	return 0;
}
