/*
 * vg_error.c - the error domain of libvigilcore.
 */
#include "vg_core.h"

GQuark vg_error_quark(void)
{
	return g_quark_from_static_string("vigil-core-error");
}
