/*
 * aggregate.c - `aggregate NAME [, FILTER], by => [...], TYPE => ...`:
 * aggregations kept in C per event, no Perl per event.
 *
 * A script's aggregate() (Vigil.pm) makes a Vigil::Aggr and registers it
 * in @Vigil::_AGGR.  Here, per event class the aggregation applies to,
 * its key fields and value field are resolved once (VgPlAggBind); per
 * event: the C filter, the key built from the fields in the encoding of
 * Vigil::Aggr (perl/vg_aggr.h) exactly as `$a->add([$e->{F1}, ...],
 * $e->{V})` in a handler would make it (integers in decimal as Perl
 * prints them, text as its bytes), then one vg_aggr_add().  Perl reads
 * the table when the script asks (every, END).
 */
#define PERL_NO_GET_CONTEXT
#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>

#include <stdlib.h>
#include <string.h>

#include "vg_core.h"
#include "vg_stream.h"
#include "embed_priv.h"

enum {
	VG_PL_AF_NONE,
	VG_PL_AF_TS,		/* common_ts (UV) */
	VG_PL_AF_CPU,		/* common_cpu (UV) */
	VG_PL_AF_TID,		/* common_tid (IV) */
	VG_PL_AF_PID,		/* common_pid (IV) */
	VG_PL_AF_PPID,		/* common_ppid (IV) */
	VG_PL_AF_COMM,		/* common_comm (text) */
	VG_PL_AF_INT,		/* integer field idx (uns: a UV) */
	VG_PL_AF_STR,		/* CHARS or STRING field idx */
	VG_PL_AF_ELEM,		/* integer array element idx[elem] */
	VG_PL_AF_DERIVED,	/* argument idx of a derived syscalls:* event:
				 * text for the path it carries, else an
				 * integer (as $e->{NAME} gives it) */
};

/* ---- collecting the registrations ---------------------------------------- */

void vg_pl_agg_spec_free(pTHX_ VgPlAggSpec *s)
{
	SvREFCNT_dec(s->obj);
	g_free(s->pattern);
	g_free(s->filter);
	g_strfreev(s->by);
	g_free(s->field);
	g_free(s->where);
	g_free(s);
}

gboolean vg_pl_agg_collect(VgPlInterp *in, GError **error)
{
	PerlInterpreter *my_perl = in->perl;
	AV *list = get_av("Vigil::_AGGR", GV_ADD);
	SSize_t i, j;

	for (i = 0; i <= av_top_index(list); i++) {
		SV **e = av_fetch(list, i, 0);
		SV **f[9];
		AV *r;
		VgPlAggSpec *s;
		SV *obj;
		int k;

		if (!e || !SvROK(*e) || SvTYPE(SvRV(*e)) != SVt_PVAV ||
		    av_top_index((AV *)SvRV(*e)) < 8)
			goto bad;
		r = (AV *)SvRV(*e);
		for (k = 0; k < 9; k++)
			if (!(f[k] = av_fetch(r, k, 0)))
				goto bad;
		obj = *f[2];
		if (!sv_isobject(obj) || !sv_derived_from(obj, "Vigil::Aggr") ||
		    !SvIOK(SvRV(obj)) || !SvIV(SvRV(obj)))
			goto bad;
		s = g_new0(VgPlAggSpec, 1);
		s->pattern = g_strdup(SvPV_nolen(*f[0]));
		s->glob = strpbrk(s->pattern, "*?") != NULL;
		if (SvOK(*f[1]))
			s->filter = g_strdup(SvPV_nolen(*f[1]));
		s->obj = newSVsv(obj);
		s->aggr = INT2PTR(VgAggr *, SvIV(SvRV(obj)));
		if (SvROK(*f[3]) && SvTYPE(SvRV(*f[3])) == SVt_PVAV) {
			AV *by = (AV *)SvRV(*f[3]);

			s->n_by = (guint)(av_top_index(by) + 1);
			s->by = g_new0(char *, s->n_by + 1);
			for (j = 0; j < (SSize_t)s->n_by; j++) {
				SV **b = av_fetch(by, j, 0);

				s->by[j] = g_strdup(b ? SvPV_nolen(*b) : "");
			}
		}
		s->tuple = SvTRUE(*f[4]);
		s->type = (VgAggrType)SvIV(*f[5]);
		if (SvOK(*f[6]))
			s->field = g_strdup(SvPV_nolen(*f[6]));
		s->where = g_strdup_printf("%s line %s", SvPV_nolen(*f[7]),
					   SvPV_nolen(*f[8]));
		g_ptr_array_add(in->aggrs, s);
	}
	return TRUE;
bad:
	g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
		    "@Vigil::_AGGR entry %ld is not [name, filter, Vigil::Aggr, "
		    "by, tuple, type, field, file, line]", (long)i);
	return FALSE;
}

/* ---- binding to a class ------------------------------------------------------- */

/* Resolve "NAME" or "NAME[INDEX]" for cls.  is_value: the field gives
 * the value (a number), else a key part. */
static gboolean agg_resolve(const VgEventClass *cls, const char *spec,
			    gboolean is_value, VgPlAggGet *g, GError **error)
{
	static const struct { const char *name; guint8 kind; } common[] = {
		{ "common_ts", VG_PL_AF_TS }, { "common_cpu", VG_PL_AF_CPU },
		{ "common_tid", VG_PL_AF_TID }, { "common_pid", VG_PL_AF_PID },
		{ "common_ppid", VG_PL_AF_PPID }, { "common_comm", VG_PL_AF_COMM },
	};
	const char *br = strchr(spec, '[');
	char *name = br ? g_strndup(spec, br - spec) : g_strdup(spec);
	gboolean has_index = br != NULL;
	guint64 index = 0;
	const VgField *f;
	int idx;
	guint i;

	memset(g, 0, sizeof(*g));
	if (has_index) {
		char *end;

		index = g_ascii_strtoull(br + 1, &end, 10);
		if (end == br + 1 || strcmp(end, "]") != 0) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "'%s' is not a field name (NAME or NAME[INDEX])",
				    spec);
			goto fail;
		}
	}
	for (i = 0; i < G_N_ELEMENTS(common); i++) {
		if (strcmp(name, common[i].name) != 0)
			continue;
		if (has_index) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s is not an array: no [INDEX]", name);
			goto fail;
		}
		if (is_value && common[i].kind == VG_PL_AF_COMM) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "common_comm is text: the value must be a "
				    "number field");
			goto fail;
		}
		g->kind = common[i].kind;
		g->uns = g->kind == VG_PL_AF_TS;
		g_free(name);
		return TRUE;
	}
	idx = vg_class_field_index(cls, name);
	if (idx < 0) {
		GString *known = g_string_new(NULL);

		for (i = 0; i < cls->n_fields; i++)
			g_string_append_printf(known, "%s, ", cls->fields[i].name);
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s has no field '%s' (fields: %scommon_ts, "
			    "common_cpu, common_tid, common_pid, common_ppid, "
			    "common_comm)", cls->name, name, known->str);
		g_string_free(known, TRUE);
		goto fail;
	}
	f = &cls->fields[idx];
	g->idx = (guint)idx;
	switch (f->kind) {
	case VG_FIELD_INT:
	case VG_FIELD_UINT:
		if (has_index) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s is not an array: no [INDEX]", name);
			goto fail;
		}
		if (cls->flags) {
			/* derived syscall argument: its kind varies per event */
			g->kind = VG_PL_AF_DERIVED;
		} else {
			g->kind = VG_PL_AF_INT;
		}
		g->uns = f->kind == VG_FIELD_UINT && f->elem_size == 8;
		break;
	case VG_FIELD_CHARS:
	case VG_FIELD_STRING:
		if (has_index) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s is not an array: no [INDEX]", name);
			goto fail;
		}
		if (is_value) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s is text: the value must be a number "
				    "field", name);
			goto fail;
		}
		g->kind = VG_PL_AF_STR;
		break;
	case VG_FIELD_INT_ARRAY:
	case VG_FIELD_UINT_ARRAY:
		if (!has_index) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "%s is an array: say which element, %s[N]",
				    name, name);
			goto fail;
		}
		if (index >= f->length) {
			g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
				    "index %" G_GUINT64_FORMAT " out of range "
				    "for '%s' (length %u)", index, name,
				    f->length);
			goto fail;
		}
		g->kind = VG_PL_AF_ELEM;
		g->elem = (guint)index;
		g->uns = f->kind == VG_FIELD_UINT_ARRAY && f->elem_size == 8;
		break;
	}
	g_free(name);
	return TRUE;
fail:
	g_free(name);
	return FALSE;
}

gboolean vg_pl_agg_bind(VgPlAggSpec *s, const VgEventClass *cls,
			VgPlAggBind *b, GError **error)
{
	GError *err = NULL;
	guint i;

	memset(b, 0, sizeof(*b));
	b->spec = s;
	b->aggr = s->aggr;
	b->tuple = s->tuple;
	b->n_by = MIN(s->n_by, VG_PL_AGG_MAX_BY);
	for (i = 0; i < b->n_by; i++)
		if (!agg_resolve(cls, s->by[i], FALSE, &b->by[i], &err))
			goto fail;
	if (s->field && !agg_resolve(cls, s->field, TRUE, &b->val, &err))
		goto fail;
	if (s->filter) {
		b->filter = vg_filter_compile(s->filter, cls, &err);
		if (!b->filter)
			goto fail;
	}
	b->kcap = 256;
	b->kbuf = g_malloc(b->kcap);
	return TRUE;
fail:
	g_propagate_error(error, err);
	vg_pl_agg_unbind(b);
	return FALSE;
}

void vg_pl_agg_unbind(VgPlAggBind *b)
{
	if (b->filter)
		vg_filter_free(b->filter);
	g_free(b->kbuf);
	b->filter = NULL;
	b->kbuf = NULL;
}

/* ---- per event ---------------------------------------------------------------- */

/* A key part: text (s, len) or an integer (i, uns). */
typedef struct {
	const char *s;
	gsize len;
	gint64 i;
	gboolean uns;
} AggVal;

/* The field as $e->{NAME} holds it. */
static inline void agg_get(const VgPlAggGet *g, VgEvent *e, AggVal *v)
{
	v->s = NULL;
	v->uns = g->uns;
	switch (g->kind) {
	case VG_PL_AF_TS: v->i = (gint64)e->ts; return;
	case VG_PL_AF_CPU: v->i = e->cpu; return;
	case VG_PL_AF_TID: v->i = e->tid; return;
	case VG_PL_AF_PID: v->i = e->task->pid; return;
	case VG_PL_AF_PPID: v->i = e->task->ppid; return;
	case VG_PL_AF_COMM:
		v->s = e->task->comm;
		v->len = strnlen(e->task->comm, sizeof(e->task->comm));
		return;
	case VG_PL_AF_INT: v->i = vg_event_int(e, g->idx); return;
	case VG_PL_AF_ELEM:
		v->i = vg_event_array_int(e, g->idx, g->elem);
		return;
	case VG_PL_AF_STR:
		v->s = vg_event_str(e, g->idx, &v->len);
		if (!v->s) {	/* corrupt: undef in Perl, '' as a key */
			v->s = "";
			v->len = 0;
		}
		return;
	case VG_PL_AF_DERIVED:
		if (vg_event_field_kind(e, g->idx) == VG_FIELD_STRING) {
			v->s = vg_event_str(e, g->idx, &v->len);
			if (!v->s) {
				v->s = "";
				v->len = 0;
			}
		} else {
			v->i = vg_event_int(e, g->idx);
		}
		return;
	default:
		v->i = 0;
		return;
	}
}

/* Decimal digits of v (as Perl prints an IV or a UV) at p; their count. */
static inline gsize agg_itoa(guint8 *p, gint64 v, gboolean uns)
{
	guint8 tmp[24];
	guint64 m;
	gsize n = 0, k = 0;

	if (!uns && v < 0) {
		p[k++] = '-';
		m = (guint64)0 - (guint64)v;
	} else {
		m = (guint64)v;
	}
	do {
		tmp[n++] = (guint8)('0' + m % 10);
		m /= 10;
	} while (m);
	while (n)
		p[k++] = tmp[--n];
	return k;
}

static inline guint8 *agg_room(VgPlAggBind *b, gsize used, gsize more)
{
	if (G_UNLIKELY(used + more > b->kcap)) {
		while (b->kcap < used + more)
			b->kcap *= 2;
		b->kbuf = g_realloc(b->kbuf, b->kcap);
	}
	return b->kbuf;
}

/* The key of e in Vigil::Aggr's encoding: a scalar is 's' and its
 * bytes; a tuple 't', then per element 's', the bytes (a NUL written
 * as NUL 0xff: event text has none) and NUL 0x01. */
static inline gsize agg_key(VgPlAggBind *b, VgEvent *e)
{
	guint8 *k = b->kbuf;
	gsize n;
	guint i;

	if (!b->n_by) {
		k[0] = 's';
		return 1;
	}
	n = 0;
	if (b->tuple)
		k[n++] = 't';
	for (i = 0; i < b->n_by; i++) {
		AggVal v;

		agg_get(&b->by[i], e, &v);
		if (v.s) {
			k = agg_room(b, n, v.len + 3);
			k[n++] = 's';
			memcpy(k + n, v.s, v.len);
			n += v.len;
		} else {
			k = agg_room(b, n, 24 + 3);
			k[n++] = 's';
			n += agg_itoa(k + n, v.i, v.uns);
		}
		if (b->tuple) {
			k[n++] = 0;
			k[n++] = 1;
		}
	}
	return n;
}

/* The value, as Vigil::Aggr's add() takes $e->{FIELD}: an integer (a UV
 * above 2^63 wraps, as SvIV gives it); the text of a derived path
 * argument counts as the number it starts with. */
static inline gint64 agg_value(VgPlAggBind *b, VgEvent *e)
{
	AggVal v;

	if (b->val.kind == VG_PL_AF_NONE)
		return 1;
	agg_get(&b->val, e, &v);
	if (G_UNLIKELY(v.s != NULL)) {
		char buf[32];
		gsize n = MIN(v.len, sizeof(buf) - 1);

		memcpy(buf, v.s, n);
		buf[n] = 0;
		return g_ascii_strtoll(buf, NULL, 10);
	}
	return v.i;
}

void vg_pl_agg_run(VgPerl *p, VgPlDisp *d, VgEvent *e)
{
	guint i;

	for (i = 0; i < d->n_aggrs; i++) {
		VgPlAggBind *b = &d->aggrs[i];
		gsize n;

		if (b->filter && !vg_filter_match(b->filter, e)) {
			p->stats.filtered++;
			continue;
		}
		n = agg_key(b, e);
		vg_aggr_add(b->aggr, b->kbuf, n, agg_value(b, e));
		p->stats.aggregated++;
		p->stats.dispatched++;
	}
}
