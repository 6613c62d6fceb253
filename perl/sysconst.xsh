#
# sysconst.xsh - Vigil::_sysconsts: the flag and code names of system
# call arguments with their values from the C headers (vg_sysconst.h),
# for Vigil::Syscall.  INCLUDEd by perl/Vigil.xs.
#

MODULE = Vigil		PACKAGE = Vigil

#include "vg_sysconst.h"

PROTOTYPES: DISABLE

void
_sysconsts()
    PREINIT:
	size_t i;
    PPCODE:
	/* ([group, name, value, role], ...): role f, e, m or z */
	EXTEND(SP, (SSize_t)G_N_ELEMENTS(vg_sysconsts));
	for (i = 0; i < G_N_ELEMENTS(vg_sysconsts); i++) {
		const VgSysConst *c = &vg_sysconsts[i];
		AV *row = newAV();

		av_push(row, newSVpv(c->group, 0));
		av_push(row, newSVpv(c->name, 0));
		av_push(row, newSViv((IV)c->value));
		av_push(row, newSVpvn(&c->role, 1));
		PUSHs(sv_2mortal(newRV_noinc((SV *)row)));
	}
