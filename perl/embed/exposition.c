/*
 * exposition.c - the handlers' metrics as Prometheus text: Vigil::Metrics
 * (perl/lib/Vigil/Metrics.pm) keeps the values in the interpreter and
 * renders them; this asks it for the text, in one Perl call, when
 * vigild's metrics endpoint is scraped.
 */
#define PERL_NO_GET_CONTEXT
#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>

#include "vg_core.h"
#include "embed_priv.h"

char *vg_perl_metrics(VgPerl *p, gsize *len, GError **error)
{
	PerlInterpreter *my_perl = p->perl;
	char *text = NULL;
	int n;

	*len = 0;
	/* no scripts running (ended), or none of them publishes metrics
	 * (Vigil::Metrics is loaded by the first Vigil::metric_* call) */
	if (!my_perl)
		return g_strdup("");
	PERL_SET_CONTEXT(my_perl);
	vg_pl_current = p;
	vg_pl_frame_idle(p->in);	/* (no handler's sub context under it) */
	if (!get_cv("Vigil::Metrics::_exposition", 0))
		return g_strdup("");
	{
		dSP;
		SV *sv = NULL;

		ENTER;
		SAVETMPS;
		PUSHMARK(SP);
		PUTBACK;
		/* G_SCALAR: one value, undef when it died (G_EVAL) */
		n = call_pv("Vigil::Metrics::_exposition", G_SCALAR | G_EVAL);
		SPAGAIN;
		if (n == 1)
			sv = POPs;
		if (SvTRUE(ERRSV)) {
			STRLEN l;
			const char *m = SvPV(ERRSV, l);

			while (l > 0 && (m[l - 1] == '\n' || m[l - 1] == '\r'))
				l--;
			g_set_error(error, VG_ERROR, VG_ERROR_IO,
				    "rendering the metrics: %.*s", (int)l, m);
		} else if (sv && SvOK(sv)) {
			STRLEN l;
			const char *t = SvPVbyte(sv, l);

			text = g_strndup(t, l);
			*len = l;
		} else {
			g_set_error(error, VG_ERROR, VG_ERROR_IO,
				    "rendering the metrics: no text");
		}
		PUTBACK;
		FREETMPS;
		LEAVE;
	}
	return text;
}
