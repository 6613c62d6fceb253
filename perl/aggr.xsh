#
# aggr.xsh - XS glue of Vigil::Aggr (the aggregation engine is
# perl/vg_aggr.c).  INCLUDEd by perl/Vigil.xs.
#
# A Vigil::Aggr object is a blessed reference to a scalar holding the
# VgAggr pointer; lib/Vigil/Aggr.pm adds the options and the printing.
#

MODULE = Vigil		PACKAGE = Vigil::Aggr

#define VG_AGGR_PERL_GLUE
#include "vg_aggr.h"

PROTOTYPES: DISABLE

SV *
_new(class, type, lmin, lmax, step)
	const char *class
	int type
	IV lmin
	IV lmax
	IV step
    PREINIT:
	const char *err = NULL;
	VgAggr *a;
    CODE:
	a = vg_aggr_new((VgAggrType)type, lmin, lmax, step, &err);
	if (!a)
		croak("Vigil::Aggr->new: %s", err);
	RETVAL = sv_setref_pv(newSV(0), class, (void *)a);
    OUTPUT:
	RETVAL

void
_free(self)
	SV *self
    CODE:
	if (SvROK(self) && SvIOK(SvRV(self)) && SvIV(SvRV(self))) {
		vg_aggr_free(INT2PTR(VgAggr *, SvIV(SvRV(self))));
		sv_setiv(SvRV(self), 0);
	}

void
add(self, key, value = NULL)
	SV *self
	SV *key
	SV *value
    PREINIT:
	VgAggr *a;
	const char *p;
	STRLEN n;
	size_t klen;
	const unsigned char *k;
	IV v = 1;
	SSize_t i, top;
	AV *av;
	SV **elem;
    CODE:
	if (!SvROK(self) || !(a = INT2PTR(VgAggr *, SvIV(SvRV(self)))))
		croak("Vigil::Aggr::add: not an aggregation object");
	if (value) {
		SvGETMAGIC(value);
		if (!SvOK(value))
			croak("Vigil::Aggr::add: the value is undef");
		if (SvNOK(value) && !SvIOK(value)) {
			NV nv = SvNV_nomg(value);

			if (nv != nv)
				croak("Vigil::Aggr::add: the value is not a number");
			v = nv >= 9.2233720368547758e18 ? IV_MAX :
			    nv <= -9.2233720368547758e18 ? IV_MIN : (IV)nv;
		} else {
			v = SvIV_nomg(value);
		}
	}
	SvGETMAGIC(key);
	if (SvROK(key) && SvTYPE(SvRV(key)) == SVt_PVAV) {
		av = (AV *)SvRV(key);
		top = av_len(av);
		vg_aggr_key_tuple(a);
		for (i = 0; i <= top; i++) {
			elem = av_fetch(av, i, 0);
			if (elem)
				SvGETMAGIC(*elem);
			if (elem && SvOK(*elem)) {
				p = SvPV_nomg(*elem, n);
				vg_aggr_key_elem(a, p, n, SvUTF8(*elem) ? 1 : 0);
			} else {
				vg_aggr_key_elem(a, "", 0, 0);
			}
		}
	} else if (SvOK(key)) {
		p = SvPV_nomg(key, n);
		vg_aggr_key_scalar(a, p, n, SvUTF8(key) ? 1 : 0);
	} else {
		vg_aggr_key_scalar(a, "", 0, 0);
	}
	if (vg_aggr_key_failed(a))
		croak("Vigil::Aggr::add: out of memory");
	k = vg_aggr_key(a, &klen);
	if (vg_aggr_add(a, k, klen, v) < 0)
		croak("Vigil::Aggr::add: out of memory");

void
add_tuple(self, value, ...)
	SV *self
	SV *value
    PREINIT:
	VgAggr *a;
	const char *p;
	STRLEN n;
	size_t klen;
	const unsigned char *k;
	IV v;
	I32 i;
    CODE:
	/* add([k1, k2, ...], value) without building the array */
	if (!SvROK(self) || !(a = INT2PTR(VgAggr *, SvIV(SvRV(self)))))
		croak("Vigil::Aggr::add_tuple: not an aggregation object");
	SvGETMAGIC(value);
	if (!SvOK(value))
		croak("Vigil::Aggr::add_tuple: the value is undef");
	if (SvNOK(value) && !SvIOK(value)) {
		NV nv = SvNV_nomg(value);

		if (nv != nv)
			croak("Vigil::Aggr::add_tuple: the value is not a number");
		v = nv >= 9.2233720368547758e18 ? IV_MAX :
		    nv <= -9.2233720368547758e18 ? IV_MIN : (IV)nv;
	} else {
		v = SvIV_nomg(value);
	}
	vg_aggr_key_tuple(a);
	for (i = 2; i < items; i++) {
		SV *e = ST(i);

		SvGETMAGIC(e);
		if (SvOK(e)) {
			p = SvPV_nomg(e, n);
			vg_aggr_key_elem(a, p, n, SvUTF8(e) ? 1 : 0);
		} else {
			vg_aggr_key_elem(a, "", 0, 0);
		}
	}
	if (vg_aggr_key_failed(a))
		croak("Vigil::Aggr::add_tuple: out of memory");
	k = vg_aggr_key(a, &klen);
	if (vg_aggr_add(a, k, klen, v) < 0)
		croak("Vigil::Aggr::add_tuple: out of memory");

int
type(self)
	SV *self
    CODE:
	if (!SvROK(self) || !SvIV(SvRV(self)))
		croak("Vigil::Aggr::type: not an aggregation object");
	RETVAL = (int)vg_aggr_type(INT2PTR(VgAggr *, SvIV(SvRV(self))));
    OUTPUT:
	RETVAL

UV
size(self)
	SV *self
    CODE:
	if (!SvROK(self) || !SvIV(SvRV(self)))
		croak("Vigil::Aggr::size: not an aggregation object");
	RETVAL = vg_aggr_size(INT2PTR(VgAggr *, SvIV(SvRV(self))));
    OUTPUT:
	RETVAL

void
clear(self)
	SV *self
    CODE:
	if (!SvROK(self) || !SvIV(SvRV(self)))
		croak("Vigil::Aggr::clear: not an aggregation object");
	vg_aggr_clear(INT2PTR(VgAggr *, SvIV(SvRV(self))));

void
_lookup(self, key, op)
	SV *self
	SV *key
	int op
    PREINIT:
	VgAggr *a;
	const char *p;
	STRLEN n;
	size_t klen;
	const unsigned char *k;
	SSize_t i, top;
	AV *av;
	SV **elem;
	const VgAggrEntry *e;
	const VgAggrEntry *one[1];
    PPCODE:
	/* op 0: the entry as [key, count, sum, min, max, buckets] or
	 * nothing; op 1: delete, returns 1 or 0 */
	if (!SvROK(self) || !(a = INT2PTR(VgAggr *, SvIV(SvRV(self)))))
		croak("Vigil::Aggr: not an aggregation object");
	SvGETMAGIC(key);
	if (SvROK(key) && SvTYPE(SvRV(key)) == SVt_PVAV) {
		av = (AV *)SvRV(key);
		top = av_len(av);
		vg_aggr_key_tuple(a);
		for (i = 0; i <= top; i++) {
			elem = av_fetch(av, i, 0);
			if (elem)
				SvGETMAGIC(*elem);
			if (elem && SvOK(*elem)) {
				p = SvPV_nomg(*elem, n);
				vg_aggr_key_elem(a, p, n, SvUTF8(*elem) ? 1 : 0);
			} else {
				vg_aggr_key_elem(a, "", 0, 0);
			}
		}
	} else if (SvOK(key)) {
		p = SvPV_nomg(key, n);
		vg_aggr_key_scalar(a, p, n, SvUTF8(key) ? 1 : 0);
	} else {
		vg_aggr_key_scalar(a, "", 0, 0);
	}
	if (vg_aggr_key_failed(a))
		croak("Vigil::Aggr: out of memory");
	k = vg_aggr_key(a, &klen);
	if (op == 1) {
		mXPUSHi(vg_aggr_delete(a, k, klen));
	} else {
		e = vg_aggr_lookup(a, k, klen);
		if (e) {
			one[0] = e;
			XPUSHs(sv_2mortal(vg_aggr_entry_to_sv(aTHX_ a, one[0])));
		}
	}

void
_entries(self, order, limit)
	SV *self
	int order
	UV limit
    PREINIT:
	VgAggr *a;
	const VgAggrEntry **v;
	size_t n, i;
    PPCODE:
	if (!SvROK(self) || !(a = INT2PTR(VgAggr *, SvIV(SvRV(self)))))
		croak("Vigil::Aggr: not an aggregation object");
	v = vg_aggr_sorted(a, (VgAggrSort)order, limit, &n);
	if (!v)
		croak("Vigil::Aggr: out of memory");
	EXTEND(SP, (SSize_t)n);
	for (i = 0; i < n; i++)
		PUSHs(sv_2mortal(vg_aggr_entry_to_sv(aTHX_ a, v[i])));
	free(v);

UV
dropped(self)
	SV *self
    CODE:
	if (!SvROK(self) || !SvIV(SvRV(self)))
		croak("Vigil::Aggr::dropped: not an aggregation object");
	RETVAL = vg_aggr_dropped(INT2PTR(VgAggr *, SvIV(SvRV(self))));
    OUTPUT:
	RETVAL

void
_prom_rows(self)
	SV *self
    PREINIT:
	VgAggr *a;
	const VgAggrEntry **v;
	size_t n, i;
	uint32_t s, first, last;
	char num[64];
    PPCODE:
	/* For Vigil::Metrics (histograms): per entry in key order,
	 * [key, count, sum, [[le, cumulative count], ...]], the sum and
	 * the bounds as exact decimal text, the buckets from the first to
	 * the last non-empty one that has a bound (the +Inf bucket, the
	 * count, is the caller's). */
	if (!SvROK(self) || !(a = INT2PTR(VgAggr *, SvIV(SvRV(self)))))
		croak("Vigil::Aggr: not an aggregation object");
	v = vg_aggr_sorted(a, VG_AGGR_SORT_KEY, 0, &n);
	if (!v)
		croak("Vigil::Aggr: out of memory");
	EXTEND(SP, (SSize_t)n);
	for (i = 0; i < n; i++) {
		const VgAggrEntry *e = v[i];
		AV *row = newAV(), *bav = newAV();
		AV *full = (AV *)SvRV(sv_2mortal(vg_aggr_entry_to_sv(aTHX_ a, e)));
		SV **key = av_fetch(full, 0, 0);
		uint64_t cum = 0;
		__int128 le;

		av_push(row, key ? SvREFCNT_inc(*key) : newSVpvs(""));
		av_push(row, newSViv((IV)e->count));
		av_push(row, newSVpv(vg_aggr_num_text(e->sum, num, sizeof(num)), 0));
		first = 0;
		while (first < e->n_slots && !e->slots[first])
			first++;
		last = e->n_slots;
		while (last > first && !e->slots[last - 1])
			last--;
		for (s = first; s < last; s++) {
			AV *b;

			cum += e->slots[s];
			if (!vg_aggr_slot_le(a, e->slot_lo + (int32_t)s, &le))
				break;
			b = newAV();
			av_push(b, newSVpv(vg_aggr_num_text(le, num, sizeof(num)), 0));
			av_push(b, newSVuv((UV)cum));
			av_push(bav, newRV_noinc((SV *)b));
		}
		av_push(row, newRV_noinc((SV *)bav));
		PUSHs(sv_2mortal(newRV_noinc((SV *)row)));
	}
	free(v);
