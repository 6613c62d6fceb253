/*
 * embed.c - vigild's Perl interpreter: start, load the scripts,
 * collect their registrations, begin/end, reload, periodic callbacks
 * on the wall clock.  (The per-event path is dispatch.c, the functions
 * behind Vigil::dump/stats/stop are host.c.)
 */
#define PERL_NO_GET_CONTEXT
#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>

#include <perliol.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "vg_core.h"
#include "vg_stream.h"
#include "embed_priv.h"
#include "watchdog.h"
#include "vg_events_gen.h"	/* event names by role, from kmod/vigil_events.h */

#ifndef VG_PERL_LIBDIR
#define VG_PERL_LIBDIR "/usr/share/vigil/perl"
#endif

EXTERN_C void boot_DynaLoader(pTHX_ CV *cv);
EXTERN_C void boot_Vigil(pTHX_ CV *cv);

static void vg_pl_xs_init(pTHX)
{
	static const char file[] = __FILE__;

	newXS("DynaLoader::boot_DynaLoader", boot_DynaLoader, file);
	newXS("Vigil::bootstrap", boot_Vigil, file);
	vg_pl_host_register(aTHX);
}

static gboolean vg_pl_sys_inited;

/* ---- VgPerl --------------------------------------------------------------- */

volatile gint vg_perl_forked_child;

static void vg_pl_atfork_child(void)
{
	vg_perl_forked_child = 1;
}

void vg_perl_forked_child_returned(void)
{
	static const char msg[] = "vigild: a process forked by a handler "
		"returned from it without exit or exec; it exits (status 70)\n";

	/* not vigild: no shutdown, no END blocks, no stdio of the parent's */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(70);
	_exit(70);
}

VgPerl *vg_perl_new(const VgPerlConfig *cfg, GError **error)
{
	static gsize atfork_once;
	VgPerl *p;
	guint i;

	if (g_once_init_enter(&atfork_once)) {
		pthread_atfork(NULL, NULL, vg_pl_atfork_child);
		g_once_init_leave(&atfork_once, 1);
	}

	for (i = 0; cfg->scripts && cfg->scripts[i]; i++)
		if (access(cfg->scripts[i], R_OK) != 0) {
			g_set_error(error, VG_ERROR, VG_ERROR_IO,
				    "cannot read script %s: %s",
				    cfg->scripts[i], g_strerror(errno));
			return NULL;
		}
	p = g_new0(VgPerl, 1);
	p->cfg = *cfg;
	p->cfg.scripts = g_strdupv(cfg->scripts);
	p->cfg.script_argv = g_strdupv(cfg->script_argv);
	if (p->cfg.context)
		g_main_context_ref(p->cfg.context);
	p->disps = g_ptr_array_new();
	p->next_tick = G_MAXUINT64;
	p->enters = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					  vg_pl_enter_free);
	return p;
}

void vg_perl_set_hooks(VgPerl *p, const VgPerlHooks *hooks)
{
	p->hooks = *hooks;
}

static void vg_pl_sub_free(pTHX_ VgPlSub *s)
{
	SvREFCNT_dec(s->cv);
	g_free(s->pattern);
	g_free(s->filter);
	g_free(s->where);
	g_free(s);
}

static void vg_pl_every_stop(VgPlEvery *ev)
{
	if (ev->source) {
		g_source_destroy(ev->source);
		g_source_unref(ev->source);
		ev->source = NULL;
	}
}

/* Standard output is a pipe (or socket) nobody reads any more: `vigild
 * ... | head` once head has its lines.  Output lost there is the
 * reader's choice, as for any program a SIGPIPE would end quietly. */
static gboolean vg_pl_stdout_reader_gone(void)
{
	struct stat st;
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };

	if (fstat(STDOUT_FILENO, &st) < 0 ||
	    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return FALSE;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP));
}

/* Destroy an interpreter: its END blocks run when run_end (p: where
 * their failure is counted, or NULL). */
static void vg_pl_interp_free(VgPerl *p, VgPlInterp *in, gboolean run_end)
{
	PerlInterpreter *my_perl;
	guint i;

	if (!in)
		return;
	my_perl = in->perl;
	PERL_SET_CONTEXT(my_perl);
	vg_pl_frame_pop(NULL, in);
	/* done subs of unfinished dumps die with this interpreter */
	vg_pl_host_forget(in);
	for (i = 0; in->subs && i < in->subs->len; i++)
		vg_pl_sub_free(aTHX_ g_ptr_array_index(in->subs, i));
	for (i = 0; in->aggrs && i < in->aggrs->len; i++)
		vg_pl_agg_spec_free(aTHX_ g_ptr_array_index(in->aggrs, i));
	if (in->aggrs)
		g_ptr_array_free(in->aggrs, TRUE);
	for (i = 0; in->everys && i < in->everys->len; i++) {
		VgPlEvery *ev = g_ptr_array_index(in->everys, i);

		vg_pl_every_stop(ev);
		SvREFCNT_dec(ev->cv);
		g_free(ev->where);
		g_free(ev);
	}
	if (in->subs)
		g_ptr_array_free(in->subs, TRUE);
	if (in->everys)
		g_ptr_array_free(in->everys, TRUE);
	/* (the watchdog's description of a call looks for its sub here) */
	in->subs = in->everys = NULL;
	if (!run_end && PL_endav)
		av_clear(PL_endav);
	/* the END blocks (and DESTROY methods) are watched calls too */
	vg_pl_wd_interp(my_perl);
	{
		VgPlWatchSaved ws = vg_pl_wd_enter(NULL, NULL);
		int status;

		/* A script ends as perl's own exit(0) would: $? = 0 before
		 * the END blocks, so a $? left by the handlers' last
		 * system() or waitpid() is not taken for the scripts' exit
		 * status; an END block may still set one. */
		if (run_end)
			STATUS_ALL_SUCCESS;
		status = perl_destruct(my_perl);

		vg_pl_wd_leave(ws);
		/* perl's exit status: STDOUT could not be flushed after the
		 * END blocks (perl said why), or an END block set $? */
		if (status && run_end && p && !vg_pl_stdout_reader_gone()) {
			p->stats.errors++;
			g_warning("the handler scripts end with status %d (their "
				  "output could not be written, or an END block "
				  "set $?)", status);
		}
	}
	vg_pl_wd_interp(NULL);
	perl_free(my_perl);
	g_free(in);
}

static char *vg_pl_chomp_err(pTHX)
{
	STRLEN len;
	const char *s = SvPV(ERRSV, len);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return g_strndup(s, len);
}

/* Run a bit of Perl; FALSE with error on death. */
static gboolean vg_pl_eval(pTHX_ const char *code, const char *what,
			   GError **error)
{
	eval_pv(code, FALSE);
	if (SvTRUE(ERRSV)) {
		char *m = vg_pl_chomp_err(aTHX);

		g_set_error(error, VG_ERROR, VG_ERROR_PARSE, "%s: %s", what, m);
		g_free(m);
		return FALSE;
	}
	return TRUE;
}

static gboolean vg_pl_prefix_may_match(const char *pattern, const char *name)
{
	gsize n = strcspn(pattern, "*?");

	return strncmp(pattern, name, MIN(n, strlen(name))) == 0;
}

/* Read @Vigil::_ON and @Vigil::_EVERY (filled by on/every). */
static gboolean vg_pl_collect(VgPlInterp *in, GError **error)
{
	PerlInterpreter *my_perl = in->perl;
	AV *on = get_av("Vigil::_ON", GV_ADD);
	AV *every = get_av("Vigil::_EVERY", GV_ADD);
	SSize_t i;

	for (i = 0; i <= av_top_index(on); i++) {
		SV **e = av_fetch(on, i, 0);
		AV *r;
		VgPlSub *s;

		if (!e || !SvROK(*e) || SvTYPE(SvRV(*e)) != SVt_PVAV ||
		    av_top_index((AV *)SvRV(*e)) < 4) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "@Vigil::_ON entry %ld is not "
				    "[name, filter, code, file, line]", (long)i);
			return FALSE;
		}
		r = (AV *)SvRV(*e);
		s = g_new0(VgPlSub, 1);
		s->pattern = g_strdup(SvPV_nolen(*av_fetch(r, 0, 0)));
		s->glob = strpbrk(s->pattern, "*?") != NULL;
		if (SvOK(*av_fetch(r, 1, 0)))
			s->filter = g_strdup(SvPV_nolen(*av_fetch(r, 1, 0)));
		s->cv = newSVsv(*av_fetch(r, 2, 0));
		s->where = g_strdup_printf("%s line %s",
					   SvPV_nolen(*av_fetch(r, 3, 0)),
					   SvPV_nolen(*av_fetch(r, 4, 0)));
		g_ptr_array_add(in->subs, s);
		if (g_str_has_prefix(s->pattern, "syscalls:") ||
		    (s->glob && vg_pl_prefix_may_match(s->pattern, "syscalls:")))
			in->want_syscalls = TRUE;
		if (g_str_has_prefix(s->pattern, "syscalls:sys_exit_") ||
		    (s->glob && vg_pl_prefix_may_match(s->pattern,
						       "syscalls:sys_exit_")))
			in->want_enters = TRUE;
	}
	for (i = 0; i <= av_top_index(every); i++) {
		SV **e = av_fetch(every, i, 0);
		AV *r;
		VgPlEvery *ev;
		NV secs;

		if (!e || !SvROK(*e) || SvTYPE(SvRV(*e)) != SVt_PVAV ||
		    av_top_index((AV *)SvRV(*e)) < 3) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "@Vigil::_EVERY entry %ld is not "
				    "[seconds, code, file, line]", (long)i);
			return FALSE;
		}
		r = (AV *)SvRV(*e);
		secs = SvNV(*av_fetch(r, 0, 0));
		ev = g_new0(VgPlEvery, 1);
		ev->period_ns = (guint64)(secs * 1e9 + 0.5);
		if (ev->period_ns < 1000000)
			ev->period_ns = 1000000;
		ev->cv = newSVsv(*av_fetch(r, 1, 0));
		ev->where = g_strdup_printf("every %g s at %s line %s",
					    (double)secs,
					    SvPV_nolen(*av_fetch(r, 2, 0)),
					    SvPV_nolen(*av_fetch(r, 3, 0)));
		g_ptr_array_add(in->everys, ev);
	}
	if (!vg_pl_agg_collect(in, error))
		return FALSE;
	for (i = 0; i < (SSize_t)in->aggrs->len; i++) {
		VgPlAggSpec *s = g_ptr_array_index(in->aggrs, i);

		if (g_str_has_prefix(s->pattern, "syscalls:") ||
		    (s->glob && vg_pl_prefix_may_match(s->pattern, "syscalls:")))
			in->want_syscalls = TRUE;
	}
	return TRUE;
}

static gboolean vg_pl_stash_has_subs(pTHX_ const char *pkg)
{
	HV *stash = gv_stashpv(pkg, 0);
	HE *he;
	gboolean found = FALSE;

	if (!stash)
		return FALSE;
	hv_iterinit(stash);
	while ((he = hv_iternext(stash))) {
		SV *v = HeVAL(he);

		if (SvTYPE(v) == SVt_PVGV && GvCV((GV *)v))
			found = TRUE;
		else if (SvROK(v) && SvTYPE(SvRV(v)) == SVt_PVCV)
			found = TRUE;	/* sub stored as a plain ref */
	}
	return found;
}

static CV *vg_pl_main_cv(pTHX_ const char *name)
{
	CV *cv = get_cv(name, 0);

	return cv && (CvROOT(cv) || CvXSUB(cv)) ? cv : NULL;
}

GQuark vg_perl_exit_quark(void)
{
	return g_quark_from_static_string("vg-perl-exit");
}

/* call_pv of Vigil::_load_script (arguments pushed) under a JMPENV of
 * ours: a script's exit() while it loads (its --help) unwinds to here
 * instead of ending vigild.  Returns the count of values, or -1 with
 * the exit status in *status (the scopes since oldscope undone). */
static int vg_pl_call_load(pTHX_ I32 oldscope, int *status)
{
	int ret, n = 0;
	dJMPENV;

	JMPENV_PUSH(ret);
	if (ret == 0)
		n = call_pv("Vigil::_load_script", G_LIST | G_EVAL);
	JMPENV_POP;
	if (ret == 0)
		return n;
	/* my_exit() unwound every context on its way */
	while (PL_scopestack_ix > oldscope)
		LEAVE;
	FREETMPS;
	*status = ret == 2 ? (int)(STATUS_EXIT & 0xff) : 255;
	PerlIO_flush(PerlIO_stdout());
	PerlIO_flush(PerlIO_stderr());
	return -1;
}

/* A handler's close(STDOUT) (or STDIN, STDERR) closes the Perl handle
 * but not the descriptor under it: PerlIO closes a descriptor when the
 * last of its handles goes, and vigild holds one more reference, for
 * good.  Else the next file opened (a dump, a --record stream, a
 * vigilctl connection) would become descriptor 1 or 2, and vigild's log
 * and the output of a handler's system() would be written into it. */
static void vg_pl_keep_std_fds(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		for (int fd = 0; fd <= 2; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				PerlIOUnix_refcnt_inc(fd);
		g_once_init_leave(&once, 1);
	}
}

/* A new interpreter with every script loaded. */
static VgPlInterp *vg_pl_interp_new(VgPerl *p, GError **error)
{
	static char arg0[] = "vigild", arg1[] = "-e", arg2[] = "0";
	char *args[] = { arg0, arg1, arg2, NULL };
	VgPlInterp *in;
	PerlInterpreter *my_perl;
	const char *libdirs;
	char **dirs;
	AV *inc, *argv;
	guint i;

	if (!vg_pl_sys_inited) {
		int argc = 3;
		char **argvp = args;
		char **env = environ;

		PERL_SYS_INIT3(&argc, &argvp, &env);
		vg_pl_sys_inited = TRUE;
	}
	in = g_new0(VgPlInterp, 1);
	in->subs = g_ptr_array_new();
	in->everys = g_ptr_array_new();
	in->aggrs = g_ptr_array_new();
	my_perl = in->perl = perl_alloc();
	PERL_SET_CONTEXT(my_perl);
	perl_construct(my_perl);
	vg_pl_wd_hook_interp(aTHX);
	/* clean up fully: a reload makes interpreters one after the other */
	PL_perl_destruct_level = 1;
	PL_exit_flags |= PERL_EXIT_DESTRUCT_END;
	if (perl_parse(my_perl, vg_pl_xs_init, 3, args, NULL) != 0 ||
	    perl_run(my_perl) != 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "cannot start the Perl interpreter");
		vg_pl_interp_free(p, in, FALSE);
		return NULL;
	}
	vg_pl_keep_std_fds();

	/* Our modules first, whatever `use lib` lines the scripts carry:
	 * $VIGIL_PERL_LIB, else the compiled-in directory (the build tree's
	 * perl/lib) only if it holds Vigil.pm, else Perl's own @INC, where
	 * `make install` puts Vigil.pm: an installed vigild does not load
	 * modules from a build tree that has gone or changed. */
	libdirs = g_getenv("VIGIL_PERL_LIB");
	if (libdirs && *libdirs) {
		dirs = g_strsplit(libdirs, ":", -1);
	} else {
		char *pm = g_build_filename(VG_PERL_LIBDIR, "Vigil.pm", NULL);

		dirs = g_new0(char *, 2);
		/* "" (the installed vigild of PREFIX /usr or /usr/local):
		 * Perl's @INC only */
		if (*VG_PERL_LIBDIR && g_file_test(pm, G_FILE_TEST_IS_REGULAR))
			dirs[0] = g_strdup(VG_PERL_LIBDIR);
		g_free(pm);
	}
	g_debug("Perl modules from %s", dirs[0] ? dirs[0] : "@INC");
	inc = GvAVn(PL_incgv);
	for (i = g_strv_length(dirs); i > 0; i--) {
		av_unshift(inc, 1);
		av_store(inc, 0, newSVpv(dirs[i - 1], 0));
	}
	g_strfreev(dirs);
	argv = get_av("ARGV", GV_ADD);
	av_clear(argv);
	for (i = 0; p->cfg.script_argv && p->cfg.script_argv[i]; i++)
		av_push(argv, newSVpv(p->cfg.script_argv[i], 0));
	if (p->cfg.scripts && p->cfg.scripts[0])
		sv_setpv(get_sv("0", GV_ADD), p->cfg.scripts[0]);
	vg_pl_current = p;
	if (!vg_pl_eval(aTHX_
			"require Vigil; "
			"$ENV{PERF_EXEC_PATH} = $INC{'Vigil.pm'} =~ s{/Vigil\\.pm\\z}{}r "
			"unless defined $ENV{PERF_EXEC_PATH};"
			"require Perf::Trace::Core; require Perf::Trace::Util; require Perf::Trace::Context;",
			"loading the Vigil modules", error)) {
		vg_pl_interp_free(p, in, FALSE);
		return NULL;
	}

	for (i = 0; p->cfg.scripts && p->cfg.scripts[i]; i++) {
		const char *script = p->cfg.scripts[i];
		int n;
		SV *ok, *msg, *api;

		I32 oldscope = PL_scopestack_ix;
		int status;

		dSP;
		ENTER;
		SAVETMPS;
		PUSHMARK(SP);
		XPUSHs(sv_2mortal(newSVpv(script, 0)));
		PUTBACK;
		/* watched as well: a reload's script may loop at its top
		 * level (the watchdog runs from vg_perl_begin on) */
		{
			char *what = g_strdup_printf("loading %s", script);
			VgPlWatchSaved ws;

			vg_pl_wd_interp(my_perl);
			ws = vg_pl_wd_enter(NULL, what);
			n = vg_pl_call_load(aTHX_ oldscope, &status);
			vg_pl_wd_leave(ws);
			g_free(what);
		}
		if (n < 0) {
			g_set_error(error, VG_PERL_EXIT, status,
				    "%s: exit(%d) while the script loads",
				    script, status);
			vg_pl_interp_free(p, in, FALSE);
			return NULL;
		}
		SPAGAIN;
		if (n != 3 || SvTRUE(ERRSV)) {
			char *m = vg_pl_chomp_err(aTHX);

			SP -= n;
			PUTBACK;
			FREETMPS;
			LEAVE;
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: %s", script, m);
			g_free(m);
			vg_pl_interp_free(p, in, FALSE);
			return NULL;
		}
		api = POPs;
		msg = POPs;
		ok = POPs;
		if (!SvTRUE(ok)) {
			STRLEN len;
			const char *m = SvPV(msg, len);

			while (len > 0 && m[len - 1] == '\n')
				len--;
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: %.*s", script, (int)len, m);
			PUTBACK;
			FREETMPS;
			LEAVE;
			vg_pl_interp_free(p, in, FALSE);
			return NULL;
		}
		if (!SvTRUE(api))
			in->perf_mode = TRUE;
		PUTBACK;
		FREETMPS;
		LEAVE;
	}
	sv_setiv(get_sv("Vigil::_LOADED", GV_ADD), 1);
	if (!vg_pl_collect(in, error)) {
		vg_pl_interp_free(p, in, FALSE);
		return NULL;
	}
	if (in->perf_mode) {
		in->trace_begin_cv = vg_pl_main_cv(aTHX_ "main::trace_begin");
		in->trace_end_cv = vg_pl_main_cv(aTHX_ "main::trace_end");
		in->trace_unhandled_cv =
			vg_pl_main_cv(aTHX_ "main::trace_unhandled");
		if (vg_pl_stash_has_subs(aTHX_ "syscalls"))
			in->want_syscalls = TRUE;
	}
	return in;
}

static void vg_pl_use(VgPerl *p, VgPlInterp *in)
{
	p->in = in;
	p->perl = in ? in->perl : NULL;
	p->ticks_started = FALSE;
	p->next_tick = in && p->cfg.replay && in->everys->len ? 0 : G_MAXUINT64;
	if (in) {
		PERL_SET_CONTEXT(in->perl);
		vg_pl_current = p;
	}
	vg_pl_wd_interp(in ? in->perl : NULL);
}

gboolean vg_perl_load(VgPerl *p, GError **error)
{
	VgPlInterp *in;

	g_return_val_if_fail(p->in == NULL, FALSE);
	in = vg_pl_interp_new(p, error);
	if (!in)
		return FALSE;
	vg_pl_use(p, in);
	if (p->md) {
		const VgMetadata *md = p->md;

		p->md = NULL;
		return vg_perl_set_metadata_checked(p, md, error);
	}
	return TRUE;
}

gboolean vg_perl_set_metadata_checked(VgPerl *p, const VgMetadata *md,
				      GError **error)
{
	guint i;

	vg_pl_unbind(p);
	p->md = md;
	if (!p->in || !md)
		return TRUE;
	/* Compile every filter of an exactly named event now, so a bad one
	 * stops vigild before tracing starts. */
	for (i = 0; i < p->in->subs->len; i++) {
		VgPlSub *s = g_ptr_array_index(p->in->subs, i);
		const VgEventClass *cls;
		GError *err = NULL;
		VgFilter *f;

		if (s->glob || !s->filter)
			continue;
		cls = vg_metadata_class_by_name(md, s->pattern);
		if (!cls)
			continue;	/* maybe a kprobe added later */
		f = vg_filter_compile(s->filter, cls, &err);
		if (!f) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: on '%s', '%s': %s", s->where,
				    s->pattern, s->filter, err->message);
			g_error_free(err);
			return FALSE;
		}
		vg_filter_free(f);
	}
	/* and the aggregations: fields and filter against their class */
	for (i = 0; i < p->in->aggrs->len; i++) {
		VgPlAggSpec *s = g_ptr_array_index(p->in->aggrs, i);
		const VgEventClass *cls;
		GError *err = NULL;
		VgPlAggBind b;

		if (s->glob)
			continue;
		cls = vg_metadata_class_by_name(md, s->pattern);
		if (!cls)
			continue;	/* vg_perl_check_events says it */
		if (!vg_pl_agg_bind(s, cls, &b, &err)) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: aggregate '%s'%s%s%s: %s", s->where,
				    s->pattern, s->filter ? ", '" : "",
				    s->filter ? s->filter : "",
				    s->filter ? "'" : "", err->message);
			g_error_free(err);
			return FALSE;
		}
		vg_pl_agg_unbind(&b);
	}
	return TRUE;
}

/* ---- event names --------------------------------------------------------- */

/* Levenshtein distance, for "did you mean". */
static guint vg_pl_distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b), i, j;
	guint *row = g_new(guint, lb + 1), d;

	for (j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (i = 1; i <= la; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (j = 1; j <= lb; j++) {
			guint up = row[j];
			guint best = MIN(row[j] + 1, row[j - 1] + 1);

			best = MIN(best, diag + (a[i - 1] != b[j - 1]));
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	g_free(row);
	return d;
}

/* The event of md nearest to name, if near enough to be a misspelling
 * (at most a third of the name's letters differ). */
static const char *vg_pl_nearest(const VgMetadata *md, const char *name)
{
	GPtrArray *classes = vg_metadata_classes(md);
	const char *best = NULL;
	guint best_d = G_MAXUINT, limit = MAX(2, (guint)strlen(name) / 3);

	for (guint i = 0; i < classes->len; i++) {
		const VgEventClass *cls = g_ptr_array_index(classes, i);
		guint d;

		if (!cls->name)
			continue;
		d = vg_pl_distance(name, cls->name);
		if (d < best_d) {
			best_d = d;
			best = cls->name;
		}
	}
	return best_d <= limit ? best : NULL;
}

static gboolean vg_pl_has_syscall_classes(const VgMetadata *md)
{
	GPtrArray *classes = vg_metadata_classes(md);

	for (guint i = 0; i < classes->len; i++)
		if (((const VgEventClass *)g_ptr_array_index(classes, i))->flags &
		    VG_CLASS_SYSCALL_ENTER)
			return TRUE;
	return FALSE;
}

/* Perf-style handlers of the loaded scripts: "subsys::event" names. */
static GPtrArray *vg_pl_perf_subs(VgPerl *p)
{
	PerlInterpreter *my_perl = p->perl;
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	int n, i;
	SV **sp;

	vg_pl_frame_idle(p->in);	/* (before ENTER) */
	sp = PL_stack_sp;
	ENTER;
	SAVETMPS;
	PUSHMARK(SP);
	PUTBACK;
	n = call_pv("Vigil::_perf_subs", G_LIST | G_EVAL);
	SPAGAIN;
	for (i = 0; i < n; i++) {
		SV *sv = POPs;	/* (SvPV_nolen evaluates its argument twice) */

		g_ptr_array_insert(out, 0, g_strdup(SvPV_nolen(sv)));
	}
	PUTBACK;
	FREETMPS;
	LEAVE;
	return out;
}

gboolean vg_perl_check_events(VgPerl *p, const VgMetadata *md,
			      GError **error)
{
	gboolean syscalls_known;
	guint i;

	if (!p->in || !md)
		return TRUE;
	PERL_SET_CONTEXT(p->perl);
	/* a trace without the syscall table (older traces) cannot say which
	 * syscalls:* names exist */
	syscalls_known = vg_pl_has_syscall_classes(md);
	for (i = 0; i < p->in->subs->len; i++) {
		VgPlSub *s = g_ptr_array_index(p->in->subs, i);
		const char *near;

		if (g_str_has_prefix(s->pattern, "syscalls:") && !syscalls_known)
			continue;
		/* a glob may match nothing here and something elsewhere (a
		 * test trace, a module with kprobes): it is not checked */
		if (s->glob)
			continue;
		if (vg_metadata_class_by_name(md, s->pattern))
			continue;
		near = vg_pl_nearest(md, s->pattern);
		if (near)
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: on '%s': no such event; did you mean "
				    "'%s'?", s->where, s->pattern, near);
		else
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: on '%s': no such event (vigild -l "
				    "lists them)", s->where, s->pattern);
		return FALSE;
	}
	for (i = 0; i < p->in->aggrs->len; i++) {
		VgPlAggSpec *s = g_ptr_array_index(p->in->aggrs, i);
		const char *near;

		if (s->glob || vg_metadata_class_by_name(md, s->pattern) ||
		    (g_str_has_prefix(s->pattern, "syscalls:") && !syscalls_known))
			continue;
		near = vg_pl_nearest(md, s->pattern);
		if (near)
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: aggregate '%s': no such event; did you "
				    "mean '%s'?", s->where, s->pattern, near);
		else
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s: aggregate '%s': no such event (vigild "
				    "-l lists them)", s->where, s->pattern);
		return FALSE;
	}
	if (p->in->perf_mode) {
		GPtrArray *subs = vg_pl_perf_subs(p);

		for (i = 0; i < subs->len; i++) {
			char *name = g_strdup(subs->pdata[i]);
			char *sep = strstr(name, "::");

			/* "subsys::event" -> "subsys:event" */
			memmove(sep + 1, sep + 2, strlen(sep + 2) + 1);
			if (!(g_str_has_prefix(name, "syscalls:") && !syscalls_known) &&
			    !vg_metadata_class_by_name(md, name))
				g_warning("perf-style handler %s: event %s is not "
					  "available here (vigild -l lists the "
					  "events); it is never called",
					  (char *)subs->pdata[i], name);
			g_free(name);
		}
		g_ptr_array_unref(subs);
	}
	return TRUE;
}

char *vg_perl_event_filter(VgPerl *p, const char *event)
{
	GString *f;

	if (!p->in || p->in->perf_mode || p->in->trace_unhandled_cv)
		return NULL;
	f = g_string_new(NULL);
	for (guint i = 0; i < p->in->subs->len; i++) {
		VgPlSub *s = g_ptr_array_index(p->in->subs, i);

		if (s->glob ? !g_pattern_match_simple(s->pattern, event) :
			      strcmp(s->pattern, event) != 0)
			continue;
		if (!s->filter || s->bad) {
			g_string_free(f, TRUE);
			return NULL;
		}
		g_string_append_printf(f, "%s(%s)", f->len ? " || " : "",
				       s->filter);
	}
	if (!f->len) {
		g_string_free(f, TRUE);
		return NULL;
	}
	return g_string_free(f, FALSE);
}

static void vg_pl_want(GPtrArray *out, const char *name);

GPtrArray *vg_perl_absent_events(VgPerl *p, const VgMetadata *md)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *subs;

	if (!p->in || !md)
		return out;
	PERL_SET_CONTEXT(p->perl);
	for (guint i = 0; i < p->in->subs->len; i++) {
		VgPlSub *s = g_ptr_array_index(p->in->subs, i);

		if (!s->glob && !g_str_has_prefix(s->pattern, "syscalls:") &&
		    !vg_metadata_class_by_name(md, s->pattern))
			vg_pl_want(out, s->pattern);
	}
	if (!p->in->perf_mode)
		return out;
	subs = vg_pl_perf_subs(p);
	for (guint i = 0; i < subs->len; i++) {
		char *name = g_strdup(subs->pdata[i]);
		char *sep = strstr(name, "::");

		/* "subsys::event" -> "subsys:event" */
		memmove(sep + 1, sep + 2, strlen(sep + 2) + 1);
		if (!g_str_has_prefix(name, "syscalls:") &&
		    !vg_metadata_class_by_name(md, name))
			vg_pl_want(out, name);
		g_free(name);
	}
	g_ptr_array_unref(subs);
	return out;
}

void vg_perl_set_metadata(VgPerl *p, const VgMetadata *md)
{
	GError *err = NULL;

	if (!vg_perl_set_metadata_checked(p, md, &err)) {
		g_critical("%s (that handler gets no events)", err->message);
		g_error_free(err);
	}
}

static gboolean vg_pl_every_fire(gpointer data)
{
	VgPlEvery *ev = data;
	VgPerl *p = ev->owner;
	PerlInterpreter *my_perl = p->perl;

	if (!my_perl || p->stopped)
		return G_SOURCE_CONTINUE;
	vg_pl_frame_idle(p->in);
	{
		dSP;
		PUSHMARK(SP);
		PUTBACK;
	}
	p->stats.ticks++;
	vg_pl_call(p, ev->cv, ev->where, NULL);
	/* periodic reports appear when made, even into a pipe or file */
	PerlIO_flush(PerlIO_stdout());
	return G_SOURCE_CONTINUE;
}

static void vg_pl_call_simple(VgPerl *p, CV *cv, const char *what)
{
	PerlInterpreter *my_perl = p->perl;

	if (!cv)
		return;
	vg_pl_frame_idle(p->in);
	{
		dSP;
		PUSHMARK(SP);
		PUTBACK;
	}
	vg_pl_call(p, (SV *)cv, what, NULL);
}

static void vg_pl_start(VgPerl *p)
{
	guint i;

	if (!p->in)
		return;
	vg_pl_call_simple(p, p->in->trace_begin_cv, "trace_begin");
	if (p->cfg.replay)
		return;
	for (i = 0; i < p->in->everys->len; i++) {
		VgPlEvery *ev = g_ptr_array_index(p->in->everys, i);
		guint ms = (guint)MAX(ev->period_ns / 1000000, 1);

		ev->owner = p;
		ev->source = g_timeout_source_new(ms);
		g_source_set_callback(ev->source, vg_pl_every_fire, ev, NULL);
		g_source_attach(ev->source, p->cfg.context);
	}
}

void vg_perl_begin(VgPerl *p)
{
	if (p->begun)
		return;
	p->begun = TRUE;
	/* (from trace_begin on) */
	vg_pl_wd_start(p->cfg.watchdog_report_ms, p->cfg.watchdog_abort_ms);
	vg_pl_start(p);
}

/* Output the handlers wrote to STDOUT and that is lost (a full disk, an
 * I/O error; not a pipe whose reader has gone): an error of the run,
 * said once (the END blocks' output is checked when perl flushes it,
 * vg_pl_interp_free). */
static void vg_pl_stdout_check(VgPerl *p, VgPlInterp *in)
{
	PerlInterpreter *my_perl = in->perl;
	PerlIO *out = PerlIO_stdout();

	/* (a STDOUT the handlers closed is theirs: not checked) */
	if (!out || !PerlIOValid(out))
		return;
	{
	int rc = PerlIO_flush(out), err = errno;

	if ((rc == 0 && !PerlIO_error(out)) || vg_pl_stdout_reader_gone())
		return;
	p->stats.errors++;
	g_warning("the handlers' output to STDOUT could not all be written "
		  "(%s): some of it is lost", rc ? g_strerror(err) :
		  "a write failed while they ran");
	PerlIO_clearerr(out);
	}
}

/* trace_end, END blocks, destroy. */
static void vg_pl_finish(VgPerl *p)
{
	VgPlInterp *in = p->in;
	guint i;

	if (!in)
		return;
	PERL_SET_CONTEXT(in->perl);
	vg_pl_frame_pop(p, in);
	for (i = 0; i < in->everys->len; i++)
		vg_pl_every_stop(g_ptr_array_index(in->everys, i));
	vg_pl_call_simple(p, in->trace_end_cv, "trace_end");
	vg_pl_stdout_check(p, in);
	vg_pl_unbind(p);
	vg_pl_interp_free(p, in, TRUE);
	vg_pl_use(p, NULL);
}

void vg_perl_end(VgPerl *p)
{
	if (p->ended)
		return;
	p->ended = TRUE;
	vg_pl_finish(p);
	vg_pl_wd_stop();
}

gboolean vg_perl_reload(VgPerl *p, GError **error)
{
	VgPlInterp *old = p->in, *in;
	gboolean ok;

	if (p->ended) {
		g_set_error(error, VG_ERROR, VG_ERROR_IO,
			    "reload: the scripts have already ended");
		return FALSE;
	}
	vg_pl_unbind(p);
	in = vg_pl_interp_new(p, error);
	if (!in) {
		vg_pl_use(p, old);
		p->next_tick = G_MAXUINT64;	/* keep old clocks running */
		return FALSE;
	}
	/* check the filters against the metadata with the new scripts */
	p->in = in;
	p->perl = in->perl;
	ok = vg_perl_set_metadata_checked(p, p->md, error) &&
		vg_perl_check_events(p, p->md, error);
	vg_pl_unbind(p);
	if (!ok) {
		p->in = NULL;
		p->perl = NULL;
		vg_pl_interp_free(p, in, FALSE);
		vg_pl_use(p, old);
		return FALSE;
	}
	/* the old scripts end as at a stop */
	p->in = old;
	p->perl = old ? old->perl : NULL;
	vg_pl_finish(p);
	vg_pl_use(p, in);
	if (p->begun)
		vg_pl_start(p);
	g_message("reloaded %u script(s)", g_strv_length(p->cfg.scripts));
	return TRUE;
}

/* Kernel event a class of the metadata comes from: derived
 * syscalls:sys_enter_NAME / sys_exit_NAME come from raw_syscalls. */
static const char *vg_pl_kernel_event(const VgEventClass *cls)
{
	if (cls->flags & VG_CLASS_SYSCALL_ENTER)
		return VG_EV_SYS_ENTER;
	if (cls->flags & VG_CLASS_SYSCALL_EXIT)
		return VG_EV_SYS_EXIT;
	return cls->name;
}

static void vg_pl_want(GPtrArray *out, const char *name)
{
	for (guint i = 0; i < out->len; i++)
		if (strcmp(out->pdata[i], name) == 0)
			return;
	g_ptr_array_add(out, g_strdup(name));
}

GPtrArray *vg_perl_stack_events(VgPerl *p, const VgMetadata *md,
				GError **error)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	PerlInterpreter *my_perl;
	AV *list;
	SSize_t i;

	if (!p->in)
		return out;
	my_perl = p->in->perl;
	list = get_av("Vigil::_STACKS", GV_ADD);
	for (i = 0; i <= av_top_index(list); i++) {
		SV **e = av_fetch(list, i, 0);
		SV **name, **file, **line;
		AV *r;

		if (!e || !SvROK(*e) || SvTYPE(SvRV(*e)) != SVt_PVAV)
			continue;
		r = (AV *)SvRV(*e);
		name = av_fetch(r, 0, 0);
		file = av_fetch(r, 1, 0);
		line = av_fetch(r, 2, 0);
		if (!name || !file || !line)
			continue;
		if (md && !vg_metadata_class_by_name(md, SvPV_nolen(*name))) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s line %" IVdf ": Vigil::stacks: no event %s "
				    "in this trace (vigild -l lists them)",
				    SvPV_nolen(*file), SvIV(*line),
				    SvPV_nolen(*name));
			g_ptr_array_unref(out);
			return NULL;
		}
		vg_pl_want(out, SvPV_nolen(*name));
	}
	return out;
}

GPtrArray *vg_perl_wanted_events(VgPerl *p, const VgMetadata *md)
{
	/* the events vigild always enables: the task table lives on them */
	static const struct { const char *name; gboolean always; } roles[] = {
#define VG_PL_ROLE(role, ev, always) { ev, always },
		VG_EVENT_ROLES(VG_PL_ROLE)
#undef VG_PL_ROLE
	};
	VgPlInterp *in = p->in;
	GPtrArray *classes, *out;
	guint i, j;

	if (!in || !md || in->trace_unhandled_cv)
		return NULL;
	for (i = 0; i < in->subs->len; i++) {
		VgPlSub *s = g_ptr_array_index(in->subs, i);

		if (strcmp(s->pattern, "*") == 0 ||
		    strcmp(s->pattern, "*:*") == 0)
			return NULL;
	}
	for (i = 0; i < in->aggrs->len; i++) {
		VgPlAggSpec *s = g_ptr_array_index(in->aggrs, i);

		if (strcmp(s->pattern, "*") == 0 ||
		    strcmp(s->pattern, "*:*") == 0)
			return NULL;
	}
	classes = vg_metadata_classes(md);
	out = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < G_N_ELEMENTS(roles); i++)
		if (roles[i].always && vg_metadata_class_by_name(md, roles[i].name))
			vg_pl_want(out, roles[i].name);
	for (i = 0; i < classes->len; i++) {
		const VgEventClass *cls = g_ptr_array_index(classes, i);
		gboolean want = cls->subsys &&
			strcmp(cls->subsys, "vigil") == 0;

		if (!cls->name)
			continue;
		for (j = 0; !want && j < in->subs->len; j++) {
			VgPlSub *s = g_ptr_array_index(in->subs, j);

			want = s->glob ?
				g_pattern_match_simple(s->pattern, cls->name) :
				strcmp(s->pattern, cls->name) == 0;
		}
		for (j = 0; !want && j < in->aggrs->len; j++) {
			VgPlAggSpec *s = g_ptr_array_index(in->aggrs, j);

			want = s->glob ?
				g_pattern_match_simple(s->pattern, cls->name) :
				strcmp(s->pattern, cls->name) == 0;
		}
		if (!want && in->perf_mode && cls->subsys && cls->event) {
			PerlInterpreter *my_perl = in->perl;
			char *name = g_strdup_printf("%s::%s", cls->subsys,
						     cls->event);
			CV *cv = get_cv(name, 0);

			want = cv && (CvROOT(cv) || CvXSUB(cv));
			g_free(name);
		}
		if (!want)
			continue;
		vg_pl_want(out, vg_pl_kernel_event(cls));
		/* $e->enter on a syscalls:sys_exit_NAME event needs the
		 * entries recorded too, though no subscription takes them */
		if (in->want_enters && (cls->flags & VG_CLASS_SYSCALL_EXIT))
			vg_pl_want(out, VG_EV_SYS_ENTER);
	}
	return out;
}

void vg_perl_get_stats(const VgPerl *p, VgPerlStats *out)
{
	*out = p->stats;
}

const VgPerlStats *vg_perl_stats_ref(const VgPerl *p)
{
	return &p->stats;
}

gboolean vg_perl_stopped(const VgPerl *p)
{
	return p->stopped;
}

void vg_perl_free(VgPerl *p)
{
	if (!p)
		return;
	vg_pl_wd_stop();
	if (p->in) {
		/* not ended: no END blocks, as after a failed load */
		PERL_SET_CONTEXT(p->in->perl);
		vg_pl_unbind(p);
		vg_pl_interp_free(p, p->in, FALSE);
		vg_pl_use(p, NULL);
	}
	vg_pl_unbind(p);
	g_ptr_array_free(p->disps, TRUE);
	g_hash_table_destroy(p->enters);
	if (vg_pl_current == p)
		vg_pl_current = NULL;
	if (p->cfg.context)
		g_main_context_unref(p->cfg.context);
	g_strfreev(p->cfg.scripts);
	g_strfreev(p->cfg.script_argv);
	g_free(p);
}

