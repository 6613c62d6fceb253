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
#include "vg_filter_eval.h"
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
	g->size = (guint8)f->elem_size;
	g->sgn = f->kind == VG_FIELD_INT || f->kind == VG_FIELD_INT_ARRAY;
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
	/* an integer at the same place in every record: read there */
	if ((g->kind == VG_PL_AF_INT || g->kind == VG_PL_AF_ELEM) &&
	    (g->size == 1 || g->size == 2 || g->size == 4 || g->size == 8) &&
	    vg_class_fixed_offset(cls, g->idx, &g->off)) {
		g->fixed = TRUE;
		g->off += g->elem * g->size;
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
	b->gen = vg_aggr_generation(b->aggr);
	/* the cache of recent keys: when every key part has raw values of
	 * a fixed size (numbers: a word, common_comm: two) */
	for (i = 0; i < b->n_by; i++) {
		guint8 k = b->by[i].kind;

		if (k == VG_PL_AF_STR || k == VG_PL_AF_DERIVED)
			break;
		b->n_raw += k == VG_PL_AF_COMM ? 2 : 1;
	}
	if (i == b->n_by && b->n_raw <= VG_PL_AGG_RAW)
		b->cache = g_new0(VgPlAggCached, VG_PL_AGG_CACHE);
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
	g_free(b->cache);
	b->filter = NULL;
	b->kbuf = NULL;
	b->cache = NULL;
}

/* ---- per event ---------------------------------------------------------------- */

/* A key part: text (s, len) or an integer (i, uns). */
typedef struct {
	const char *s;
	gsize len;
	gint64 i;
	gboolean uns;
} AggVal;

static inline gint64 agg_fixed(const VgPlAggGet *g, const VgEvent *e)
{
	const guint8 *p = e->payload + g->off;

	switch (g->size * 2 + g->sgn) {
	case 2: return p[0];
	case 3: return (gint8)p[0];
	case 4: { guint16 x; memcpy(&x, p, 2); return x; }
	case 5: { gint16 x; memcpy(&x, p, 2); return x; }
	case 8: { guint32 x; memcpy(&x, p, 4); return x; }
	case 9: { gint32 x; memcpy(&x, p, 4); return x; }
	default: { gint64 x; memcpy(&x, p, 8); return x; }
	}
}

/* strnlen(comm, 16) of a task's comm (NUL-terminated in its 16 bytes),
 * without a call: the first zero byte of two words. */
static inline gsize agg_comm_len(const char *c)
{
	const guint64 ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	guint64 a, b, z;

	memcpy(&a, c, 8);
	z = (a - ones) & ~a & highs;
	if (z)
		return (gsize)__builtin_ctzll(z) >> 3;
	memcpy(&b, c + 8, 8);
	z = (b - ones) & ~b & highs;
	return z ? 8 + ((gsize)__builtin_ctzll(z) >> 3) : 16;
}

/* The field as $e->{NAME} holds it. */
static inline void agg_get(const VgPlAggGet *g, VgEvent *e, AggVal *v)
{
	v->s = NULL;
	v->uns = g->uns;
	if (G_LIKELY(g->fixed)) {
		v->i = agg_fixed(g, e);
		return;
	}
	switch (g->kind) {
	case VG_PL_AF_TS: v->i = (gint64)e->ts; return;
	case VG_PL_AF_CPU: v->i = e->cpu; return;
	case VG_PL_AF_TID: v->i = e->tid; return;
	case VG_PL_AF_PID: v->i = e->task->pid; return;
	case VG_PL_AF_PPID: v->i = e->task->ppid; return;
	case VG_PL_AF_COMM:
		v->s = e->task->comm;
		v->len = agg_comm_len(e->task->comm);
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

/* The key of the values v in Vigil::Aggr's encoding: a scalar is 's' and
 * its bytes; a tuple 't', then per element 's', the bytes (a NUL written
 * as NUL 0xff: event text has none) and NUL 0x01. */
static gsize agg_key(VgPlAggBind *b, const AggVal *v)
{
	guint8 *k = b->kbuf;
	gsize n = 0;
	guint i;

	if (!b->n_by) {
		k[0] = 's';
		return 1;
	}
	if (b->tuple)
		k[n++] = 't';
	for (i = 0; i < b->n_by; i++) {
		if (v[i].s) {
			k = agg_room(b, n, MAX(v[i].len, 16) + 3);
			k[n++] = 's';
			if (b->by[i].kind == VG_PL_AF_COMM)
				memcpy(k + n, v[i].s, 16);	/* the whole array: no call */
			else
				memcpy(k + n, v[i].s, v[i].len);
			n += v[i].len;
		} else {
			k = agg_room(b, n, 24 + 3);
			k[n++] = 's';
			n += agg_itoa(k + n, v[i].i, v[i].uns);
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

/* The entry of key built from the event's values (c: the cache slot to
 * fill with it, for the raw words w). */
G_GNUC_NO_INLINE
static VgAggrEntry *agg_entry_slow(VgPlAggBind *b, VgEvent *e,
				   VgPlAggCached *c, const guint64 *w)
{
	AggVal v[VG_PL_AGG_MAX_BY];
	VgAggrEntry *en;
	guint i;

	for (i = 0; i < b->n_by; i++)
		agg_get(&b->by[i], e, &v[i]);
	en = vg_aggr_entry(b->aggr, b->kbuf, agg_key(b, v));
	if (c && en) {
		c[1] = c[0];	/* the older one goes to the second way */
		memcpy(c[0].w, w, sizeof(c[0].w));
		c[0].e = en;
		c[0].gen = *b->gen;
	}
	return en;
}

/* The raw value of a key part that has one of a fixed size. */
static inline guint agg_raw(const VgPlAggGet *g, VgEvent *e, guint64 *w)
{
	if (G_LIKELY(g->fixed)) {
		w[0] = (guint64)agg_fixed(g, e);
		return 1;
	}
	switch (g->kind) {
	case VG_PL_AF_COMM: memcpy(w, e->task->comm, 16); return 2;
	case VG_PL_AF_TS: w[0] = e->ts; return 1;
	case VG_PL_AF_CPU: w[0] = e->cpu; return 1;
	case VG_PL_AF_TID: w[0] = (guint64)(gint64)e->tid; return 1;
	case VG_PL_AF_PID: w[0] = (guint64)(gint64)e->task->pid; return 1;
	case VG_PL_AF_PPID: w[0] = (guint64)(gint64)e->task->ppid; return 1;
	case VG_PL_AF_INT: w[0] = (guint64)vg_event_int(e, g->idx); return 1;
	case VG_PL_AF_ELEM:
		w[0] = (guint64)vg_event_array_int(e, g->idx, g->elem);
		return 1;
	}
	w[0] = 0;
	return 1;
}

/* The entry of the event's key: from the cache of recent keys (two ways
 * per set) when the raw values of its parts match those of one (the key
 * is a function of them: a comm is its 16 bytes, so two copies of one
 * name with different bytes after the NUL only miss), else by the key
 * built and looked up, then cached.  NULL: out of memory. */
static inline VgAggrEntry *agg_entry(VgPlAggBind *b, VgEvent *e)
{
	guint64 w[VG_PL_AGG_RAW] = { 0 };
	guint64 h = 0x9e3779b97f4a7c15ULL;
	VgPlAggCached *c;
	guint i, k = 0;

	if (!b->cache)
		return agg_entry_slow(b, e, NULL, NULL);
	for (i = 0; i < b->n_by; i++)
		k += agg_raw(&b->by[i], e, &w[k]);
	for (i = 0; i < VG_PL_AGG_RAW; i++)
		h = (h ^ w[i]) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	c = &b->cache[2 * ((h ^ (h >> 17)) % (VG_PL_AGG_CACHE / 2))];
	if (c[0].e && c[0].gen == *b->gen &&
	    memcmp(c[0].w, w, sizeof(w)) == 0)
		return c[0].e;
	if (c[1].e && c[1].gen == *b->gen &&
	    memcmp(c[1].w, w, sizeof(w)) == 0) {
		VgPlAggCached t = c[1];	/* the most recent first */

		c[1] = c[0];
		c[0] = t;
		return c[0].e;
	}
	return agg_entry_slow(b, e, c, w);
}

void vg_pl_agg_run(VgPerl *p, VgPlDisp *d, VgEvent *e, VgPerlCounts *cc)
{
	guint i;

	for (i = 0; i < d->n_aggrs; i++) {
		VgPlAggBind *b = &d->aggrs[i];
		VgAggrEntry *en;

		if (b->filter && !vg_filter_match_inline(b->filter, e)) {
			p->stats.filtered++;
			cc->filtered++;
			continue;
		}
		/* (out of memory: counted in the table's dropped()) */
		en = agg_entry(b, e);
		if (en)
			vg_aggr_entry_add(b->aggr, en, agg_value(b, e));
		p->stats.aggregated++;
		p->stats.dispatched++;
		cc->dispatched++;
	}
}
