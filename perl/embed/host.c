/*
 * host.c - the Vigil functions that only exist inside vigild:
 * Vigil::_in_vigild, Vigil::_live, Vigil::_dump, Vigil::_dump_done, Vigil::stats,
 * Vigil::stop and Vigil::_clock_offset, registered by the embedding
 * (embed.c) when it creates an interpreter, before Vigil.pm loads.
 * Under plain perl Vigil.pm defines their answers outside vigild (no
 * dump, empty stats, stop dies).
 *
 * Each reaches vigild through the VgPerlHooks it set (vg_perl.h).
 */
#define PERL_NO_GET_CONTEXT
#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>

#include <string.h>

#include "vg_core.h"
#include "vg_stream.h"
#include "embed_priv.h"

VgPerl *vg_pl_current;

/* ---- hooks -------------------------------------------------------------- */

struct VgPerlStatsSink {
	PerlInterpreter *perl;
	HV *hv;
};

void vg_perl_stats_add_int(VgPerlStatsSink *sink, const char *key, gint64 v)
{
	PerlInterpreter *my_perl = sink->perl;

	(void)hv_store(sink->hv, key, (I32)strlen(key), newSViv((IV)v), 0);
}

void vg_perl_stats_add_str(VgPerlStatsSink *sink, const char *key,
			   const char *v)
{
	PerlInterpreter *my_perl = sink->perl;

	(void)hv_store(sink->hv, key, (I32)strlen(key), newSVpv(v, 0), 0);
}

/* Vigil::_enter(tid, exit_event_name): the thread's syscall entry that
 * the exit event of that name ends, as a hash ref of the entry's fields
 * (plus common_ts, the time of the entry), or undef. */
static XSPROTO(vg_pl_xs_enter)
{
	dXSARGS;
	VgPerl *p = vg_pl_current;
	const VgPlEnter *en;
	const char *exit_name;
	HV *hv;
	guint i;

	if (items != 2)
		croak_xs_usage(cv, "tid, exit_event_name");
	exit_name = SvPV_nolen(ST(1));
	en = p ? g_hash_table_lookup(p->enters,
				     GINT_TO_POINTER((gint)SvIV(ST(0)))) : NULL;
	/* "syscalls:sys_exit_NAME" ends "syscalls:sys_enter_NAME" */
	if (!en || !en->cls || !g_str_has_prefix(exit_name, "syscalls:sys_exit_") ||
	    strcmp(en->cls->name + strlen("syscalls:sys_enter_"),
		   exit_name + strlen("syscalls:sys_exit_")) != 0)
		XSRETURN_UNDEF;
	hv = newHV();
	for (i = 0; i < en->n; i++) {
		const char *k = en->cls->fields[i].name;
		SV *v = en->strs[i] ? newSVpv(en->strs[i], 0) :
			en->cls->fields[i].kind == VG_FIELD_INT ?
			newSViv((IV)en->ints[i]) : newSVuv((UV)(guint64)en->ints[i]);

		(void)hv_store(hv, k, (I32)strlen(k), v, 0);
	}
	(void)hv_stores(hv, "common_ts", newSVuv((UV)en->ts));
	ST(0) = sv_2mortal(newRV_noinc((SV *)hv));
	XSRETURN(1);
}

/* Vigil::_in_vigild(): true (plain perl has Vigil.pm's false one). */
static XSPROTO(vg_pl_xs_in_vigild)
{
	dXSARGS;

	if (items != 0)
		croak_xs_usage(cv, "");
	XSRETURN_YES;
}

/* Vigil::_live(): true when vigild traces live, false on --replay
 * (known while the scripts load). */
static XSPROTO(vg_pl_xs_live)
{
	dXSARGS;
	VgPerl *p = vg_pl_current;

	if (items != 0)
		croak_xs_usage(cv, "");
	if (p && !p->cfg.replay)
		XSRETURN_YES;
	XSRETURN_NO;
}

/* Vigil::_dump(reason, before, after): (path) or (undef, error). */
static XSPROTO(vg_pl_xs_dump)
{
	dXSARGS;
	VgPerl *p = vg_pl_current;
	GError *err = NULL;
	const char *reason;
	double before, after;
	char *path = NULL;

	if (items != 3)
		croak_xs_usage(cv, "reason, before, after");
	reason = SvPV_nolen(ST(0));
	before = SvNV(ST(1));
	after = SvNV(ST(2));
	if (!p || !p->hooks.dump)
		g_set_error(&err, VG_ERROR, VG_ERROR_IO,
			    "Vigil::dump: this vigild has no flight recorder");
	else
		path = p->hooks.dump(reason, before, after, NULL, NULL, NULL,
				     p->hooks.user_data, &err);
	if (path) {
		ST(0) = sv_2mortal(newSVpv(path, 0));
		g_free(path);
		XSRETURN(1);
	}
	ST(0) = &PL_sv_undef;
	ST(1) = sv_2mortal(newSVpv(err ? err->message : "dump failed", 0));
	g_clear_error(&err);
	XSRETURN(2);
}

/* Vigil::_clock_offset(): ns from the trace clock (common_ts) to the
 * wall clock, from the metadata's clock offset; undef before the
 * metadata is known or outside vigild. */
static XSPROTO(vg_pl_xs_clock_offset)
{
	dXSARGS;
	VgPerl *p = vg_pl_current;

	if (items != 0)
		croak_xs_usage(cv, "");
	if (!p || !p->md)
		XSRETURN_UNDEF;
	ST(0) = sv_2mortal(newSViv((IV)vg_metadata_clock_offset(p->md)));
	XSRETURN(1);
}

/* ---- Vigil::dump(..., done => CODE) ------------------------------------- */

typedef struct {
	VgPerl *p;
	VgPlInterp *in;		/* NULL once that interpreter is gone */
	SV *cv;			/* the done sub (we hold a reference) */
	char *what;		/* "Vigil::dump done callback (reason)" */
} VgPlDumpDone;

/* Requests not finished yet: their interpreter may go away first
 * (reload), and with it their sub. */
static GList *vg_pl_dump_pending;

static void vg_pl_dump_done_cb(const char *path, const GError *error,
			       gpointer data)
{
	VgPlDumpDone *c = data;
	VgPerl *p = c->p;
	PerlInterpreter *my_perl;

	if (!c->in || c->in != p->in) {
		g_message("%s: the scripts that asked for it were reloaded or "
			  "ended; not called (dump %s%s)", c->what,
			  path ? path : "failed: ",
			  path ? "" : error ? error->message : "?");
		return;
	}
	my_perl = p->perl;
	PERL_SET_CONTEXT(my_perl);
	vg_pl_frame_idle(p->in);	/* (before ENTER) */
	{
		dSP;

		ENTER;
		SAVETMPS;
		PUSHMARK(SP);
		EXTEND(SP, 2);
		PUSHs(path ? sv_2mortal(newSVpv(path, 0)) : &PL_sv_undef);
		PUSHs(path ? &PL_sv_undef :
		      sv_2mortal(newSVpv(error ? error->message :
					 "dump failed", 0)));
		PUTBACK;
		vg_pl_call(p, c->cv, c->what, NULL);
		FREETMPS;
		LEAVE;
	}
}

static void vg_pl_dump_done_free(gpointer data)
{
	VgPlDumpDone *c = data;

	vg_pl_dump_pending = g_list_remove(vg_pl_dump_pending, c);
	if (c->in) {
		PerlInterpreter *my_perl = c->in->perl;

		PERL_SET_CONTEXT(my_perl);
		SvREFCNT_dec(c->cv);
		if (c->p->perl)
			PERL_SET_CONTEXT(c->p->perl);
	}
	g_free(c->what);
	g_free(c);
}

/* Vigil::_dump_done(reason, before, after, done): (path, error) as
 * Vigil::_dump; done is called exactly once (maybe before this
 * returns) with (path, undef) or (undef, error). */
static XSPROTO(vg_pl_xs_dump_done)
{
	dXSARGS;
	VgPerl *p;
	VgPlDumpDone *c;
	GError *err = NULL;
	const char *reason;
	double before, after;
	char *path;

	if (items != 4)
		croak_xs_usage(cv, "reason, before, after, done");
	reason = SvPV_nolen(ST(0));
	before = SvNV(ST(1));
	after = SvNV(ST(2));
	p = vg_pl_current;
	if (!p || !SvROK(ST(3)) || SvTYPE(SvRV(ST(3))) != SVt_PVCV) {
		ST(0) = &PL_sv_undef;
		ST(1) = sv_2mortal(newSVpv(p ?
			"Vigil::dump: done must be a code reference" :
			"Vigil::dump: not running under vigild", 0));
		XSRETURN(2);
	}
	c = g_new0(VgPlDumpDone, 1);
	c->p = p;
	c->in = p->in;
	c->cv = newSVsv(ST(3));
	c->what = g_strdup_printf("Vigil::dump done callback (reason: %s)",
				  *reason ? reason : "none given");
	vg_pl_dump_pending = g_list_prepend(vg_pl_dump_pending, c);
	if (!p->hooks.dump) {
		g_set_error(&err, VG_ERROR, VG_ERROR_IO,
			    "Vigil::dump: this vigild has no flight recorder");
		vg_pl_dump_done_cb(NULL, err, c);
		vg_pl_dump_done_free(c);
		path = NULL;
	} else {
		path = p->hooks.dump(reason, before, after, vg_pl_dump_done_cb,
				     c, vg_pl_dump_done_free,
				     p->hooks.user_data, &err);
	}
	/* (done may have run Perl code: the stack may have moved; ST()
	 * is relative to its base) */
	if (path) {
		ST(0) = sv_2mortal(newSVpv(path, 0));
		ST(1) = &PL_sv_undef;
	} else {
		ST(0) = &PL_sv_undef;
		ST(1) = sv_2mortal(newSVpv(err ? err->message : "dump failed",
					   0));
	}
	g_free(path);
	g_clear_error(&err);
	XSRETURN(2);
}

/* Vigil::stats(): a hash of the counters. */
static XSPROTO(vg_pl_xs_stats)
{
	dXSARGS;
	VgPerl *p = vg_pl_current;
	HV *hv;
	VgPerlStatsSink sink;

	if (items != 0)
		croak_xs_usage(cv, "");
	hv = newHV();
	ST(0) = sv_2mortal(newRV_noinc((SV *)hv));
	if (!p)
		XSRETURN(1);
	sink.perl = aTHX;
	sink.hv = hv;

	vg_perl_stats_add_int(&sink, "perl_events", (gint64)p->stats.events);
	vg_perl_stats_add_int(&sink, "perl_dispatched",
			      (gint64)p->stats.dispatched);
	vg_perl_stats_add_int(&sink, "perl_filtered", (gint64)p->stats.filtered);
	vg_perl_stats_add_int(&sink, "perl_unhandled",
			      (gint64)p->stats.unhandled);
	vg_perl_stats_add_int(&sink, "perl_errors", (gint64)p->stats.errors);
	vg_perl_stats_add_int(&sink, "perl_ticks", (gint64)p->stats.ticks);
	vg_perl_stats_add_int(&sink, "perl_ns", (gint64)p->stats.perl_ns);
	vg_perl_stats_add_int(&sink, "perl_aggregated",
			      (gint64)p->stats.aggregated);
	vg_perl_stats_add_int(&sink, "perl_watchdog_reports",
			      (gint64)p->stats.watchdog_reports);
	vg_perl_stats_add_int(&sink, "perl_watchdog_aborts",
			      (gint64)p->stats.watchdog_aborts);
	if (p->hooks.stats)
		p->hooks.stats(&sink, p->hooks.user_data);
	XSRETURN(1);
}

/* Vigil::stop([REASON]) */
static XSPROTO(vg_pl_xs_stop)
{
	dXSARGS;
	VgPerl *p = vg_pl_current;
	const char *why = "Vigil::stop() called";

	if (items > 0 && SvOK(ST(0)))
		why = SvPV_nolen(ST(0));
	if (!p)
		croak("Vigil::stop: not running under vigild");
	if (!p->stopped) {
		p->stopped = TRUE;
		g_message("stopping: %s", why);
		if (p->hooks.stop)
			p->hooks.stop(why, p->hooks.user_data);
	}
	XSRETURN_EMPTY;
}

void vg_pl_host_register(pTHX)
{
	static const char file[] = __FILE__;

	newXS("Vigil::_in_vigild", vg_pl_xs_in_vigild, file);
	newXS("Vigil::_live", vg_pl_xs_live, file);
	newXS("Vigil::_enter", vg_pl_xs_enter, file);
	newXS("Vigil::_dump", vg_pl_xs_dump, file);
	newXS("Vigil::_dump_done", vg_pl_xs_dump_done, file);
	newXS("Vigil::_clock_offset", vg_pl_xs_clock_offset, file);
	newXS("Vigil::stats", vg_pl_xs_stats, file);
	newXS("Vigil::stop", vg_pl_xs_stop, file);
}

void vg_pl_host_forget(VgPlInterp *in)
{
	PerlInterpreter *my_perl = in->perl;

	for (GList *l = vg_pl_dump_pending; l; l = l->next) {
		VgPlDumpDone *c = l->data;

		if (c->in == in) {
			SvREFCNT_dec(c->cv);
			c->in = NULL;
		}
	}
}
