/*
 * Vigil.xs - the C half of the Vigil Perl module.
 *
 * Compiled statically into vigild (booted from its xs_init) and as the
 * dynamic module Vigil.so (Makefile.PL) for plain perl, where it gives
 * Vigil::Trace.  The event objects ($e) handed to handlers are built
 * here, so vigild and Vigil::Trace give the same objects.  The
 * functions that need vigild (Vigil::dump, stats, stop, ...) are not
 * here: vigild's embedding defines them (embed/host.c).
 */
#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

#include <string.h>
#include <glib.h>

#include "vg_core.h"
#include "vg_stream.h"
#include "vg_pl_xs.h"
#include "vg_sym.h"

static const char *const vg_pl_common_names[VG_PL_N_COMMON] = {
	"common_ts", "common_cpu", "common_tid", "common_pid",
	"common_ppid", "common_comm", "common_cgroup", "common_cgroup_id",
};

/* Magic on every event hash: mg_obj is the class info [name, [fields], [hex fields]].
 * It lets $e->name and $e->fields work on kept events, whatever happened
 * to the class since. */
static MGVTBL vg_pl_event_vtbl;

/* sv_setiv/sv_setuv for the value SVs we refill event after event: a
 * plain (no magic, not read-only, not a reference) integer scalar, maybe
 * with a cached string from a handler's use of it, is set in place. */
#define VG_PL_PLAIN_FLAGS (SVf_READONLY | SVf_PROTECT | SVs_GMG | SVs_SMG | \
			   SVs_RMG | SVf_ROK | SVf_IsCOW)
static inline void vg_pl_set_iv(pTHX_ SV *v, IV x)
{
	/* what we set last time, untouched: a bare integer */
	if (G_LIKELY(SvFLAGS(v) == (SVt_IV | SVf_IOK | SVp_IOK))) {
		SvIV_set(v, x);
		return;
	}
	if (G_LIKELY((SvTYPE(v) == SVt_IV || SvTYPE(v) == SVt_PVIV) &&
		     !(SvFLAGS(v) & VG_PL_PLAIN_FLAGS))) {
		(void)SvIOK_only(v);
		SvIV_set(v, x);
	} else {
		sv_setiv(v, x);
	}
}

static inline void vg_pl_set_uv(pTHX_ SV *v, UV x)
{
	if (x <= (UV)IV_MAX)
		vg_pl_set_iv(aTHX_ v, (IV)x);
	else
		sv_setuv(v, x);
}

/* v = a reference to a new empty array (no mortals: this runs outside
 * any SAVETMPS scope of vigild's dispatcher). */
static void vg_pl_set_new_av(pTHX_ SV *v)
{
	SV *rv = newRV_noinc((SV *)newAV());

	sv_setsv(v, rv);
	SvREFCNT_dec(rv);
}

static int vg_pl_is_array(VgFieldKind k)
{
	return k == VG_FIELD_INT_ARRAY || k == VG_FIELD_UINT_ARRAY;
}

VgPlClass *vg_pl_class_new(pTHX_ const VgEventClass *cls)
{
	VgPlClass *pc = g_new0(VgPlClass, 1);
	AV *info, *fields, *hex;
	guint i;

	pc->cls = cls;
	pc->derived = cls->id >= VG_SYSCALL_ENTER_ID_BASE;
	pc->chain = cls->callchain;
	pc->n_keys = VG_PL_N_COMMON + cls->n_fields + (pc->chain ? 1 : 0);
	pc->check_refs = pc->derived || pc->chain;
	for (i = 0; i < cls->n_fields; i++)
		if (vg_pl_is_array(cls->fields[i].kind))
			pc->check_refs = TRUE;
	pc->fixed_off = g_new(guint32, cls->n_fields ? cls->n_fields : 1);
	for (i = 0; i < cls->n_fields; i++)
		if (!vg_class_fixed_offset(cls, i, &pc->fixed_off[i]))
			pc->fixed_off[i] = G_MAXUINT32;
	pc->keys = g_new0(SV *, pc->n_keys);
	pc->hashes = g_new0(U32, pc->n_keys);
	for (i = 0; i < pc->n_keys; i++) {
		const char *name = i < VG_PL_N_COMMON ? vg_pl_common_names[i] :
			i - VG_PL_N_COMMON < cls->n_fields ?
			cls->fields[i - VG_PL_N_COMMON].name : "common_callchain";

		pc->keys[i] = newSVpvn_share(name, (I32)strlen(name), 0);
		pc->hashes[i] = SvSHARED_HASH(pc->keys[i]);
	}
	fields = newAV();
	for (i = 0; i < cls->n_fields; i++)
		av_push(fields, newSVpv(cls->fields[i].name, 0));
	hex = newAV();
	for (i = 0; i < cls->n_fields; i++)
		if (cls->fields[i].base == 16)
			av_push(hex, newSVpv(cls->fields[i].name, 0));
	info = newAV();
	av_push(info, newSVpv(cls->name, 0));
	av_push(info, newRV_noinc((SV *)fields));
	av_push(info, newRV_noinc((SV *)hex));
	pc->info = (SV *)info;
	return pc;
}

static void vg_pl_event_drop(pTHX_ VgPlClass *pc)
{
	guint i;

	if (!pc->hv)
		return;
	for (i = 0; i < pc->n_keys; i++)
		SvREFCNT_dec(pc->vals[i]);
	g_free(pc->vals);
	pc->vals = NULL;
	SvREFCNT_dec(pc->rv);	/* and the hash, unless someone kept it */
	pc->rv = NULL;
	pc->hv = NULL;
}

static guint vg_pl_perf_extra(const VgPlClass *pc);

static void vg_pl_perf_drop(pTHX_ VgPlClass *pc)
{
	guint i;

	if (!pc->pargs)
		return;
	for (i = 0; i < VG_PL_PERF_FIXED + vg_pl_perf_extra(pc) +
		     pc->cls->n_fields; i++)
		SvREFCNT_dec(pc->pargs[i]);
	g_free(pc->pargs);
	pc->pargs = NULL;
	pc->perf_name = NULL;
}

void vg_pl_class_free(pTHX_ VgPlClass *pc)
{
	guint i;

	if (!pc)
		return;
	vg_pl_event_drop(aTHX_ pc);
	vg_pl_perf_drop(aTHX_ pc);
	for (i = 0; i < pc->n_keys; i++)
		SvREFCNT_dec(pc->keys[i]);
	g_free(pc->keys);
	g_free(pc->fixed_off);
	g_free(pc->hashes);
	SvREFCNT_dec(pc->info);
	g_free(pc);
}

/* A fresh hash with every key present.  vals (n_keys) receive the value
 * SVs when not NULL (with a reference of their own). */
static HV *vg_pl_hash_new(pTHX_ VgPlClass *pc, SV **vals)
{
	HV *hv = newHV();
	guint i;

	hv_ksplit(hv, pc->n_keys);
	for (i = 0; i < pc->n_keys; i++) {
		SV *v;

		if (i >= VG_PL_N_COMMON &&
		    (i - VG_PL_N_COMMON >= pc->cls->n_fields ||
		     vg_pl_is_array(pc->cls->fields[i - VG_PL_N_COMMON].kind)))
			v = newRV_noinc((SV *)newAV());
		else
			v = newSV(0);
		(void)hv_store_ent(hv, pc->keys[i], v, pc->hashes[i]);
		if (vals)
			vals[i] = SvREFCNT_inc_simple_NN(v);
	}
	sv_magicext((SV *)hv, pc->info, PERL_MAGIC_ext, &vg_pl_event_vtbl,
		    NULL, 0);
	/* The magic only carries the class info for $e->name/fields (found
	 * with mg_findext, which walks the chain whatever the flags say;
	 * the hash frees it).  Left "magical", every $e->{key} of a handler
	 * would look for tie magic first. */
	SvRMAGICAL_off((SV *)hv);
	return hv;
}

static void vg_pl_set_array(pTHX_ SV *v, VgEvent *e, const VgField *f,
			    guint idx)
{
	AV *av;
	guint j;

	if (!SvROK(v) || SvTYPE(SvRV(v)) != SVt_PVAV)
		vg_pl_set_new_av(aTHX_ v);
	av = (AV *)SvRV(v);
	for (j = 0; j < f->length; j++) {
		SV **svp = av_fetch(av, j, 1);
		gint64 x = vg_event_array_int(e, idx, j);

		if (f->kind == VG_FIELD_UINT_ARRAY && f->elem_size == 8)
			vg_pl_set_uv(aTHX_ *svp, (UV)(guint64)x);
		else
			vg_pl_set_iv(aTHX_ *svp, (IV)x);
	}
}

/* Set v to field idx of e. */
static void vg_pl_set_field(pTHX_ VgPlClass *pc, SV *v, VgEvent *e, guint idx)
{
	const VgField *f = &pc->cls->fields[idx];
	VgFieldKind kind = pc->derived ? vg_event_field_kind(e, idx) : f->kind;
	const char *s;
	gsize len;

	switch (kind) {
	case VG_FIELD_INT:
		vg_pl_set_iv(aTHX_ v, (IV)vg_event_int(e, idx));
		break;
	case VG_FIELD_UINT:
		if (f->elem_size == 8)
			vg_pl_set_uv(aTHX_ v, (UV)(guint64)vg_event_int(e, idx));
		else
			vg_pl_set_iv(aTHX_ v, (IV)vg_event_int(e, idx));
		break;
	case VG_FIELD_CHARS:
	case VG_FIELD_STRING:
		s = vg_event_str(e, idx, &len);
		if (s)
			sv_setpvn(v, s, len);
		else
			sv_setsv(v, &PL_sv_undef);
		break;
	case VG_FIELD_INT_ARRAY:
	case VG_FIELD_UINT_ARRAY:
		vg_pl_set_array(aTHX_ v, e, f, idx);
		break;
	}
}

/* v (an array ref) = e's callchain as perf gives it to Perl handlers:
 * [{ ip => N, sym => { start, end, binding, name }, dso => "..." }, ...],
 * sym and dso only when known (vg_sym.h).  The array is refilled in
 * place; the hashes are new each time. */
static void vg_pl_set_callchain(pTHX_ SV *v, VgEvent *e)
{
	const guint8 *ips;
	guint n = vg_event_callchain(e, &ips), i;
	gint32 pid = e->task ? e->task->pid : e->tid;
	AV *av;

	if (!SvROK(v) || SvTYPE(SvRV(v)) != SVt_PVAV)
		vg_pl_set_new_av(aTHX_ v);
	av = (AV *)SvRV(v);
	if (AvFILLp(av) >= 0)
		av_clear(av);
	if (!n)
		return;
	av_extend(av, n - 1);
	for (i = 0; i < n; i++) {
		HV *fr = newHV();
		guint64 ip;
		VgFrame f;

		memcpy(&ip, ips + (gsize)i * 8, 8);
		vg_sym_frame(pid, ip, &f);
		(void)hv_stores(fr, "ip", newSVuv((UV)ip));
		if (f.sym) {
			HV *sym = newHV();

			(void)hv_stores(sym, "start", newSVuv((UV)f.start));
			(void)hv_stores(sym, "end", newSVuv((UV)f.end));
			(void)hv_stores(sym, "binding", newSVuv(f.binding));
			(void)hv_stores(sym, "name", newSVpv(f.sym, 0));
			(void)hv_stores(fr, "sym", newRV_noinc((SV *)sym));
		}
		if (f.dso)
			(void)hv_stores(fr, "dso", newSVpv(f.dso, 0));
		av_push(av, newRV_noinc((SV *)fr));
	}
}

/* strlen of a task's comm (NUL-terminated within its 16 bytes), without
 * a call: the first zero byte of two words. */
static inline STRLEN vg_pl_comm_len(const char *c)
{
	const guint64 ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	guint64 a, b, z;

	memcpy(&a, c, 8);
	z = (a - ones) & ~a & highs;
	if (z)
		return (STRLEN)__builtin_ctzll(z) >> 3;
	memcpy(&b, c + 8, 8);
	z = (b - ones) & ~b & highs;
	return z ? 8 + ((STRLEN)__builtin_ctzll(z) >> 3) : 16;
}

/* Set a string SV to a task's comm (16 bytes, NUL-terminated within
 * them): a plain string SV of ours (not shared, not UTF-8, room for 16
 * bytes) gets the 16 bytes copied in place and its length set, whatever
 * it held; others go through sv_setpvn, which leaves room for the next
 * time. */
#define VG_PL_STR_FLAGS (SVf_POK | SVf_IOK | SVf_NOK | SVf_ROK | \
			 SVf_READONLY | SVf_PROTECT | SVs_GMG | SVs_SMG | \
			 SVs_RMG | SVf_IsCOW | SVf_UTF8 | SVf_OOK)
static inline void vg_pl_set_comm(pTHX_ SV *v, const char *comm)
{
	STRLEN n = vg_pl_comm_len(comm);

	if (G_LIKELY((SvFLAGS(v) & VG_PL_STR_FLAGS) == SVf_POK &&
		     SvLEN(v) >= 17)) {
		memcpy(SvPVX(v), comm, 16);
		SvPVX(v)[n] = '\0';
		SvCUR_set(v, n);
		return;
	}
	sv_setpvn(v, comm, n);
	SvGROW(v, 17);
}

/* common_cgroup and common_cgroup_id (v[0], v[1]).  The path is copied
 * only when it differs from the value's text: events of one task in a
 * row, the usual case, cost a compare (its length is kept with it). */
static inline void vg_pl_set_cgroup(pTHX_ SV **v, const VgCgroup *c)
{
	const char *p = "";
	STRLEN n = 0;

	vg_pl_set_uv(aTHX_ v[1], c ? (UV)c->id : 0);
	if (G_LIKELY(c && c->path)) {
		p = c->path;
		n = c->path_len;
	} else if (c && c->live) {
		p = vg_cgroup_path(c);	/* a walk may name it */
		n = strlen(p);
	}
	if (G_LIKELY((SvFLAGS(v[0]) & VG_PL_STR_FLAGS) == SVf_POK &&
		     SvCUR(v[0]) == n && (!n || memcmp(SvPVX(v[0]), p, n) == 0)))
		return;
	sv_setpvn(v[0], p, n);
}

/* An integer field of e at a fixed offset (VgPlClass.fixed_off): what
 * vg_event_int() gives, read in place. */
static inline IV vg_pl_read_fixed(const VgEvent *e, const VgField *f,
				  guint32 off)
{
	const guint8 *p = e->payload + off;

	switch (f->elem_size * 2 + (f->kind == VG_FIELD_INT)) {
	case 2: return p[0];
	case 3: return (gint8)p[0];
	case 4: { guint16 x; memcpy(&x, p, 2); return x; }
	case 5: { gint16 x; memcpy(&x, p, 2); return x; }
	case 8: { guint32 x; memcpy(&x, p, 4); return x; }
	case 9: { gint32 x; memcpy(&x, p, 4); return x; }
	case 16:
	case 17: { gint64 x; memcpy(&x, p, 8); return (IV)x; }
	}
	return (IV)vg_event_int((VgEvent *)e, (guint)(f - e->cls->fields));
}

static void vg_pl_set_common(pTHX_ SV **v, VgEvent *e)
{
	const VgTask *t = e->task;

	vg_pl_set_uv(aTHX_ v[VG_PL_C_TS], (UV)e->ts);
	vg_pl_set_uv(aTHX_ v[VG_PL_C_CPU], (UV)e->cpu);
	vg_pl_set_iv(aTHX_ v[VG_PL_C_TID], (IV)e->tid);
	if (t) {
		vg_pl_set_iv(aTHX_ v[VG_PL_C_PID], (IV)t->pid);
		vg_pl_set_iv(aTHX_ v[VG_PL_C_PPID], (IV)t->ppid);
		vg_pl_set_comm(aTHX_ v[VG_PL_C_COMM], t->comm);
		vg_pl_set_cgroup(aTHX_ v + VG_PL_C_CGROUP, t->cgroup);
	} else {
		vg_pl_set_iv(aTHX_ v[VG_PL_C_PID], (IV)e->tid);
		vg_pl_set_iv(aTHX_ v[VG_PL_C_PPID], 0);
		sv_setpvs(v[VG_PL_C_COMM], "<unknown>");
		vg_pl_set_cgroup(aTHX_ v + VG_PL_C_CGROUP, NULL);
	}
}

/* Looked up each time an object is made (rare: objects are reused), so
 * it is right for whichever interpreter runs (vigild has two while it
 * reloads). */
static HV *vg_pl_event_stash(pTHX)
{
	return gv_stashpvs("Vigil::Event", GV_ADD);
}

SV *vg_pl_event_fill(pTHX_ VgPlClass *pc, VgEvent *e)
{
	guint i;

	if (!pc->hv) {
		pc->vals = g_new0(SV *, pc->n_keys);
		pc->hv = vg_pl_hash_new(aTHX_ pc, pc->vals);
		pc->rv = newRV_noinc((SV *)pc->hv);
		sv_bless(pc->rv, vg_pl_event_stash(aTHX));
		/* $_[0] = ... in a handler must not free the hash under us */
		SvREADONLY_on(pc->rv);
	}
	vg_pl_set_common(aTHX_ pc->vals, e);
	if (G_LIKELY(!pc->derived)) {
		const VgField *f = pc->cls->fields;
		SV **v = pc->vals + VG_PL_N_COMMON;

		for (i = 0; i < pc->cls->n_fields; i++) {
			/* integers that fit an IV, inline; read in place
			 * when at a fixed offset */
			if (f[i].kind == VG_FIELD_INT ||
			    (f[i].kind == VG_FIELD_UINT && f[i].elem_size < 8))
				vg_pl_set_iv(aTHX_ v[i], pc->fixed_off[i] != G_MAXUINT32 ?
					     vg_pl_read_fixed(e, &f[i], pc->fixed_off[i]) :
					     (IV)vg_event_int(e, i));
			else
				vg_pl_set_field(aTHX_ pc, v[i], e, i);
		}
	} else {
		for (i = 0; i < pc->cls->n_fields; i++)
			vg_pl_set_field(aTHX_ pc, pc->vals[VG_PL_N_COMMON + i],
					e, i);
	}
	if (G_UNLIKELY(pc->chain))
		vg_pl_set_callchain(aTHX_ pc->vals[pc->n_keys - 1], e);
	return pc->rv;
}

void vg_pl_event_done(pTHX_ VgPlClass *pc)
{
	guint i;

	if (!pc->hv)
		return;
	/* Kept: the object itself, or a reference to one of its values or
	 * arrays; or changed: a key deleted or added. */
	/* (HvTOTALKEYS: a key deleted from a locked hash leaves a
	 * placeholder, but its value's count drops, which the loop sees) */
	if (SvREFCNT(pc->rv) != 1 || SvREFCNT(pc->hv) != 1 ||
	    HvTOTALKEYS(pc->hv) != pc->n_keys)
		goto drop;
	{
		U32 odd = 0;

		for (i = 0; i < pc->n_keys; i++)
			odd |= SvREFCNT(pc->vals[i]) ^ 2;
		if (odd)
			goto drop;
	}
	/* an array we refill in place: nobody else may hold it (a plain
	 * value a handler replaced by a reference is set with sv_setiv &
	 * co next time, which lets the reference go) */
	if (pc->check_refs)
		for (i = 0; i < pc->n_keys; i++) {
			SV *v = pc->vals[i];

			if (SvROK(v) && SvREFCNT(SvRV(v)) != 1)
				goto drop;
		}
	return;
drop:
	vg_pl_event_drop(aTHX_ pc);
}

SV *vg_pl_event_new(pTHX_ VgPlClass *pc, VgEvent *e)
{
	SV **vals = g_newa(SV *, pc->n_keys);
	HV *hv = vg_pl_hash_new(aTHX_ pc, vals);
	SV *rv;
	guint i;

	vg_pl_set_common(aTHX_ vals, e);
	for (i = 0; i < pc->cls->n_fields; i++)
		vg_pl_set_field(aTHX_ pc, vals[VG_PL_N_COMMON + i], e, i);
	if (pc->chain)
		vg_pl_set_callchain(aTHX_ vals[pc->n_keys - 1], e);
	for (i = 0; i < pc->n_keys; i++)
		SvREFCNT_dec(vals[i]);
	rv = newRV_noinc((SV *)hv);
	sv_bless(rv, vg_pl_event_stash(aTHX));
	return rv;
}

/* ---- perf script arguments ------------------------------------------- */

/* perf's syscalls:sys_enter_NAME / sys_exit_NAME formats start with
 * __syscall_nr; vigil's derived classes do not carry it as a field. */
static guint vg_pl_perf_extra(const VgPlClass *pc)
{
	return pc->derived ? 1 : 0;
}

SV **vg_pl_perf_push(pTHX_ VgPlClass *pc, VgEvent *e, SV **sp)
{
	guint x = vg_pl_perf_extra(pc);
	guint base = VG_PL_PERF_FIXED + x;
	guint n = base + pc->cls->n_fields;
	SV **a;
	guint i;

	if (!pc->pargs) {
		char *name = g_strdup_printf("%s::%s", pc->cls->subsys,
					     pc->cls->event);

		pc->pargs = g_new0(SV *, n);
		for (i = 0; i < n; i++)
			pc->pargs[i] = newSV(0);
		sv_setpv(pc->pargs[0], name);
		g_free(name);
		pc->perf_name = pc->pargs[0];
		sv_setiv(pc->pargs[1], 0);	/* $context */
		/* set once: assigning to $_[0] or $_[1] dies instead */
		SvREADONLY_on(pc->pargs[0]);
		SvREADONLY_on(pc->pargs[1]);
		vg_pl_set_new_av(aTHX_ pc->pargs[7]);
		if (x)
			sv_setiv(pc->pargs[VG_PL_PERF_FIXED],
				 (IV)(pc->cls->id >= VG_SYSCALL_EXIT_ID_BASE ?
				      pc->cls->id - VG_SYSCALL_EXIT_ID_BASE :
				      pc->cls->id - VG_SYSCALL_ENTER_ID_BASE));
		for (i = 0; i < pc->cls->n_fields; i++)
			if (vg_pl_is_array(pc->cls->fields[i].kind))
				vg_pl_set_new_av(aTHX_ pc->pargs[base + i]);
	}
	a = pc->pargs;
	vg_pl_set_uv(aTHX_ a[2], (UV)e->cpu);
	vg_pl_set_uv(aTHX_ a[3], (UV)(e->ts / 1000000000u));
	vg_pl_set_uv(aTHX_ a[4], (UV)(e->ts % 1000000000u));
	vg_pl_set_iv(aTHX_ a[5], (IV)e->tid);	/* perf's common_pid is the thread */
	if (e->task)
		vg_pl_set_comm(aTHX_ a[6], e->task->comm);
	else
		sv_setpvs(a[6], "<unknown>");
	if (G_UNLIKELY(pc->chain)) {
		vg_pl_set_callchain(aTHX_ a[7], e);
	} else if (SvROK(a[7]) && SvTYPE(SvRV(a[7])) == SVt_PVAV) {
		if (AvFILLp((AV *)SvRV(a[7])) >= 0)
			av_clear((AV *)SvRV(a[7]));
	} else {
		vg_pl_set_new_av(aTHX_ a[7]);
	}
	if (G_LIKELY(!pc->derived)) {
		const VgField *f = pc->cls->fields;

		for (i = 0; i < pc->cls->n_fields; i++) {
			if (f[i].kind == VG_FIELD_INT ||
			    (f[i].kind == VG_FIELD_UINT && f[i].elem_size < 8))
				vg_pl_set_iv(aTHX_ a[base + i],
					     (IV)vg_event_int(e, i));
			else
				vg_pl_set_field(aTHX_ pc, a[base + i], e, i);
		}
	} else {
		for (i = 0; i < pc->cls->n_fields; i++)
			vg_pl_set_field(aTHX_ pc, a[base + i], e, i);
	}
	if (PL_stack_max - sp < (SSize_t)n)
		sp = stack_grow(sp, sp, (SSize_t)n);
	for (i = 0; i < n; i++)
		*++sp = a[i];
	return sp;
}

void vg_pl_perf_done(pTHX_ VgPlClass *pc)
{
	guint n, i;

	if (!pc->pargs)
		return;
	/* Only the arrays we refill in place matter ($common_callchain and
	 * array fields): a plain value a handler replaced by a reference
	 * through @_ is set with sv_setiv & co next time, which lets the
	 * reference go. */
	n = VG_PL_PERF_FIXED + vg_pl_perf_extra(pc) + pc->cls->n_fields;
	if (!pc->check_refs) {
		SV *v = pc->pargs[7];

		if (SvROK(v) && SvREFCNT(SvRV(v)) != 1)
			vg_pl_set_new_av(aTHX_ v);
		return;
	}
	for (i = 0; i < n; i++) {
		SV *v = pc->pargs[i];

		/* an array ref the handler kept: give the next event its own */
		if (SvROK(v) && SvREFCNT(SvRV(v)) != 1)
			vg_pl_set_new_av(aTHX_ v);
	}
}

/* ---- Vigil::Trace ------------------------------------------------------ */

typedef struct {
	PerlInterpreter *perl;
	char *dir;
	VgReplay *replay;
	VgMetadata *md;		/* owned by replay */
	VgTasks *tasks;
	VgMerge *merge;
	GPtrArray *classes;	/* VgPlClass we put in cls->dispatch */
	gboolean syscalls;	/* also give derived syscalls:* events */
	gboolean ended;
	AV *queue;		/* events built, not handed out yet */
	guint64 errors;
} VgPlTrace;

static VgPlClass *vg_pl_trace_class(VgPlTrace *t, const VgEventClass *cls)
{
	dTHXa(t->perl);
	VgEventClass *c = (VgEventClass *)cls;

	if (!c->dispatch) {
		c->dispatch = vg_pl_class_new(aTHX_ cls);
		g_ptr_array_add(t->classes, c->dispatch);
	}
	return c->dispatch;
}

static void vg_pl_trace_deliver(VgEvent *e, gpointer data)
{
	VgPlTrace *t = data;
	dTHXa(t->perl);

	av_push(t->queue, vg_pl_event_new(aTHX_ vg_pl_trace_class(t, e->cls), e));
	if (t->syscalls && e->cls->subsys &&
	    strcmp(e->cls->subsys, "raw_syscalls") == 0) {
		VgEvent d;

		memset(&d, 0, sizeof(d));
		if (vg_event_derive_syscall(t->md, e, &d))
			av_push(t->queue,
				vg_pl_event_new(aTHX_ vg_pl_trace_class(t, d.cls),
						&d));
	}
	vg_merge_interrupt(t->merge);
}

static void vg_pl_trace_error(const GError *error, gpointer data)
{
	VgPlTrace *t = data;
	dTHXa(t->perl);

	t->errors++;
	warn("Vigil::Trace %s: %s", t->dir, error->message);
}

static void vg_pl_trace_free(VgPlTrace *t)
{
	dTHXa(t->perl);
	guint i;

	if (t->merge)
		vg_merge_free(t->merge);
	if (t->tasks)
		vg_tasks_free(t->tasks);
	if (t->classes) {
		for (i = 0; i < t->classes->len; i++) {
			VgPlClass *pc = g_ptr_array_index(t->classes, i);

			((VgEventClass *)pc->cls)->dispatch = NULL;
			vg_pl_class_free(aTHX_ pc);
		}
		g_ptr_array_free(t->classes, TRUE);
	}
	if (t->replay)
		vg_replay_free(t->replay);
	SvREFCNT_dec(t->queue);
	g_free(t->dir);
	g_free(t);
}

static VgPlTrace *vg_pl_trace_of(pTHX_ SV *self)
{
	if (!SvROK(self) || !sv_derived_from(self, "Vigil::Trace"))
		croak("not a Vigil::Trace object");
	return INT2PTR(VgPlTrace *, SvIV(SvRV(self)));
}

/* ---- the host ------------------------------------------------------------ */

static GLogLevelFlags vg_pl_log_level(pTHX_ SV *level)
{
	static const struct {
		const char *name;
		GLogLevelFlags level;
	} names[] = {
		{ "debug", G_LOG_LEVEL_DEBUG },
		{ "info", G_LOG_LEVEL_INFO },
		{ "message", G_LOG_LEVEL_MESSAGE },
		{ "notice", G_LOG_LEVEL_MESSAGE },
		{ "warning", G_LOG_LEVEL_WARNING },
		{ "warn", G_LOG_LEVEL_WARNING },
		{ "critical", G_LOG_LEVEL_CRITICAL },
		{ "error", G_LOG_LEVEL_CRITICAL },
		{ "err", G_LOG_LEVEL_CRITICAL },
	};
	const char *s = SvPV_nolen(level);
	guint i;

	for (i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	croak("Vigil::log: unknown level '%s' (use debug, info, message, "
	      "warning, critical or error)", s);
	return G_LOG_LEVEL_MESSAGE;
}

MODULE = Vigil		PACKAGE = Vigil		PREFIX = vg_pl_xs_

PROTOTYPES: DISABLE

SV *
vg_pl_xs__filter_error(expr)
	const char *expr
    PREINIT:
	GError *err = NULL;
	VgFilter *f;
    CODE:
	/* Compiled without a class: only the common_* fields are known
	 * (Vigil::_filter_syntax deals with the rest). */
	f = vg_filter_compile(expr, NULL, &err);
	if (f) {
		vg_filter_free(f);
		RETVAL = &PL_sv_undef;
	} else {
		RETVAL = newSVpv(err ? err->message : "invalid filter", 0);
		g_clear_error(&err);
	}
    OUTPUT:
	RETVAL

void
vg_pl_xs_log(level, msg)
	SV *level
	SV *msg
    PREINIT:
	GLogLevelFlags l;
	STRLEN len;
	const char *s;
    CODE:
	l = vg_pl_log_level(aTHX_ level);
	s = SvPV(msg, len);
	g_log("vigil-script", l, "%.*s", (int)len, s);

MODULE = Vigil		PACKAGE = Vigil::Event		PREFIX = vg_pl_ev_

SV *
vg_pl_ev_name(self)
	SV *self
    PREINIT:
	MAGIC *mg;
    CODE:
	if (!SvROK(self) || SvTYPE(SvRV(self)) != SVt_PVHV ||
	    !(mg = mg_findext(SvRV(self), PERL_MAGIC_ext, &vg_pl_event_vtbl)))
		croak("Vigil::Event::name: not a Vigil event");
	RETVAL = newSVsv(*av_fetch((AV *)mg->mg_obj, 0, 0));
    OUTPUT:
	RETVAL

void
vg_pl_ev_fields(self)
	SV *self
    PREINIT:
	MAGIC *mg;
	AV *f;
	SSize_t i, n;
    PPCODE:
	if (!SvROK(self) || SvTYPE(SvRV(self)) != SVt_PVHV ||
	    !(mg = mg_findext(SvRV(self), PERL_MAGIC_ext, &vg_pl_event_vtbl)))
		croak("Vigil::Event::fields: not a Vigil event");
	f = (AV *)SvRV(*av_fetch((AV *)mg->mg_obj, 1, 0));
	n = av_top_index(f) + 1;
	EXTEND(SP, n);
	for (i = 0; i < n; i++)
		PUSHs(sv_2mortal(newSVsv(*av_fetch(f, i, 0))));

void
vg_pl_ev_hex_fields(self)
	SV *self
    PREINIT:
	MAGIC *mg;
	AV *f;
	SSize_t i, n;
    PPCODE:
	if (!SvROK(self) || SvTYPE(SvRV(self)) != SVt_PVHV ||
	    !(mg = mg_findext(SvRV(self), PERL_MAGIC_ext, &vg_pl_event_vtbl)))
		croak("Vigil::Event::hex_fields: not a Vigil event");
	f = (AV *)SvRV(*av_fetch((AV *)mg->mg_obj, 2, 0));
	n = av_top_index(f) + 1;
	EXTEND(SP, n);
	for (i = 0; i < n; i++)
		PUSHs(sv_2mortal(newSVsv(*av_fetch(f, i, 0))));

MODULE = Vigil		PACKAGE = Vigil::Trace		PREFIX = vg_pl_tr_

SV *
vg_pl_tr__open(class, dir, syscalls)
	const char *class
	const char *dir
	int syscalls
    PREINIT:
	GError *err = NULL;
	VgPlTrace *t;
	SV *obj;
    CODE:
	t = g_new0(VgPlTrace, 1);
	t->perl = aTHX;
	t->dir = g_strdup(dir);
	t->classes = g_ptr_array_new();
	t->queue = newAV();
	t->syscalls = syscalls;
	t->replay = vg_replay_open(dir, &err);
	if (!t->replay) {
		vg_pl_trace_free(t);
		sv_setpv(ERRSV, err ? err->message : "cannot open trace");
		g_clear_error(&err);
		XSRETURN_UNDEF;
	}
	t->md = vg_replay_metadata(t->replay);
	/* callchains: symbols only for a trace of this boot (vg_sym.h) */
	(void)vg_sym_setup_replay(t->dir, t->md);
	t->tasks = vg_tasks_new(t->md, FALSE);
	t->merge = vg_merge_new(t->md, vg_replay_n_lanes(t->replay), t->tasks,
				vg_pl_trace_deliver, t);
	vg_merge_set_error_func(t->merge, vg_pl_trace_error, t);
	vg_replay_attach(t->replay, t->merge);
	obj = newSViv(PTR2IV(t));
	RETVAL = sv_bless(newRV_noinc(obj), gv_stashpv(class, GV_ADD));
    OUTPUT:
	RETVAL

SV *
vg_pl_tr_next(self)
	SV *self
    PREINIT:
	VgPlTrace *t;
    CODE:
	t = vg_pl_trace_of(aTHX_ self);
	if (av_top_index(t->queue) < 0 && !t->ended) {
		if (vg_merge_drain(t->merge) == 0 && av_top_index(t->queue) < 0)
			t->ended = TRUE;
	}
	if (av_top_index(t->queue) < 0)
		XSRETURN_UNDEF;
	RETVAL = av_shift(t->queue);
    OUTPUT:
	RETVAL

void
vg_pl_tr_event_names(self)
	SV *self
    PREINIT:
	VgPlTrace *t;
	GPtrArray *all;
	guint i;
    PPCODE:
	t = vg_pl_trace_of(aTHX_ self);
	all = vg_metadata_classes(t->md);
	for (i = 0; i < all->len; i++) {
		const VgEventClass *c = g_ptr_array_index(all, i);

		XPUSHs(sv_2mortal(newSVpv(c->name, 0)));
	}

SV *
vg_pl_tr_env(self, key)
	SV *self
	const char *key
    PREINIT:
	VgPlTrace *t;
	const char *v;
    CODE:
	t = vg_pl_trace_of(aTHX_ self);
	v = vg_metadata_env(t->md, key);
	if (!v)
		XSRETURN_UNDEF;
	RETVAL = newSVpv(v, 0);
    OUTPUT:
	RETVAL

SV *
vg_pl_tr_clock_offset(self)
	SV *self
    CODE:
	RETVAL = newSViv((IV)vg_metadata_clock_offset(vg_pl_trace_of(aTHX_ self)->md));
    OUTPUT:
	RETVAL

SV *
vg_pl_tr_errors(self)
	SV *self
    CODE:
	RETVAL = newSVuv((UV)vg_pl_trace_of(aTHX_ self)->errors);
    OUTPUT:
	RETVAL

void
vg_pl_tr_DESTROY(self)
	SV *self
    PREINIT:
	VgPlTrace *t;
    CODE:
	t = vg_pl_trace_of(aTHX_ self);
	sv_setiv(SvRV(self), 0);
	if (t)
		vg_pl_trace_free(t);

INCLUDE: aggr.xsh

INCLUDE: sysconst.xsh
