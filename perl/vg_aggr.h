/*
 * vg_aggr.h - aggregations (count, sum, min, max, avg, stats, log2 and
 * linear histograms) keyed by arbitrary byte strings.
 *
 * This is the hot part of Vigil::Aggr: one hash lookup and a few
 * integer updates per add.  It knows nothing about Perl; perl/aggr.xsh
 * turns Perl keys (a scalar or a tuple) into key bytes and back.
 *
 * Keys are opaque bytes; the table copies them.  Values are signed
 * 64-bit integers; sums are kept in 128 bits so they never wrap.
 */
#ifndef VG_AGGR_H
#define VG_AGGR_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	VG_AGGR_COUNT,
	VG_AGGR_SUM,
	VG_AGGR_MIN,
	VG_AGGR_MAX,
	VG_AGGR_AVG,
	VG_AGGR_STATS,		/* count, sum, min, max, avg together */
	VG_AGGR_HIST,		/* power-of-two buckets, plus stats */
	VG_AGGR_LHIST,		/* linear buckets min..max by step, plus stats */
} VgAggrType;

/* Log2 histogram slots.  Slot 0 holds the value 0; slot k (1..64) holds
 * values whose magnitude m has 2^(k-1) <= m < 2^k; negative values use
 * the negative slot numbers -1..-64 the same way.  So:
 *   slot 1 = [1], slot 2 = [2, 4), slot 3 = [4, 8), slot -2 = (-4, -2]. */
#define VG_AGGR_LOG2_MIN_SLOT	(-64)
#define VG_AGGR_LOG2_MAX_SLOT	64

/* Linear histograms: slot 0 is "below min", slots 1..n are
 * [min + (i-1)*step, min + i*step), slot n+1 is ">= max". */
#define VG_AGGR_LHIST_MAX_BUCKETS	100000

typedef struct {
	const unsigned char *key;
	size_t key_len;
	int64_t count;
	__int128 sum;
	int64_t min;
	int64_t max;
	/* histograms: counts of slots lo .. lo + n_slots - 1 */
	int32_t slot_lo;
	uint32_t n_slots;
	uint64_t *slots;
} VgAggrEntry;

typedef struct VgAggr VgAggr;

typedef enum {
	VG_AGGR_SORT_VALUE_DESC,	/* the type's value, largest first */
	VG_AGGR_SORT_VALUE_ASC,
	VG_AGGR_SORT_KEY,		/* key bytes, memcmp order */
} VgAggrSort;

/* Returns NULL and sets *err (a static string) on a bad type or bad
 * linear histogram bounds. */
VgAggr *vg_aggr_new(VgAggrType type, int64_t lmin, int64_t lmax,
		    int64_t step, const char **err);
void vg_aggr_free(VgAggr *a);
VgAggrType vg_aggr_type(const VgAggr *a);
void vg_aggr_lhist_params(const VgAggr *a, int64_t *lmin, int64_t *lmax,
			  int64_t *step);

/* Adds one value under key.  Returns 0, or -1 when memory ran out (the
 * value is then counted in vg_aggr_dropped()). */
int vg_aggr_add(VgAggr *a, const void *key, size_t key_len, int64_t value);
/* vg_aggr_add in two steps, for callers that keep entries: the entry of
 * key, made (count 0) if new, NULL when memory ran out (counted in
 * dropped); then adding a value to it (-1 when memory ran out, counted).
 * An entry stays where it is until the next clear or delete: then the
 * generation (*vg_aggr_generation()) moves. */
VgAggrEntry *vg_aggr_entry(VgAggr *a, const void *key, size_t key_len);
int vg_aggr_entry_add(VgAggr *a, VgAggrEntry *e, int64_t value);
const uint64_t *vg_aggr_generation(const VgAggr *a);
uint64_t vg_aggr_dropped(const VgAggr *a);

const VgAggrEntry *vg_aggr_lookup(const VgAggr *a, const void *key,
				  size_t key_len);
int vg_aggr_delete(VgAggr *a, const void *key, size_t key_len);
size_t vg_aggr_size(const VgAggr *a);
void vg_aggr_clear(VgAggr *a);

/* The value an entry is ranked by: count, sum, min, max, avg (sum/count,
 * truncated toward zero) or, for stats and histograms, the count. */
__int128 vg_aggr_entry_value(const VgAggr *a, const VgAggrEntry *e);

/* All entries sorted, ties broken by key; at most `limit` (0 = all).
 * Returns a malloc'd array the caller frees (entries stay owned by the
 * table and are valid until the next add, delete or clear). */
const VgAggrEntry **vg_aggr_sorted(const VgAggr *a, VgAggrSort order,
				   size_t limit, size_t *n_out);

/* Histogram helpers. */
int vg_aggr_log2_slot(int64_t value);
/* The half-open range of a histogram slot: [*lo, *hi) for positive log2
 * slots and linear buckets, (*lo, *hi] for negative log2 slots.
 * *lo_open / *hi_open say when a bound is infinite (linear edges) and
 * *exact that the slot holds one value (log2 slots 0, 1, -1). */
void vg_aggr_slot_range(const VgAggr *a, int32_t slot, __int128 *lo,
			__int128 *hi, int *lo_inf, int *hi_inf, int *exact);

/* ---- key encoding (Perl-agnostic; used by perl/aggr.xsh) -----------
 * A key is either one scalar or a tuple of scalars.  Encoded:
 *   scalar: 's' or 'u' (UTF-8 text), then the bytes as they are;
 *   tuple:  't', then per element 's'/'u', the bytes with every 0x00
 *           written as 0x00 0xff, and the terminator 0x00 0x01.
 * The encoding is unambiguous and memcmp order is element-wise order. */
void vg_aggr_key_scalar(VgAggr *a, const void *p, size_t len, int utf8);
void vg_aggr_key_tuple(VgAggr *a);	/* starts a tuple key */
void vg_aggr_key_elem(VgAggr *a, const void *p, size_t len, int utf8);
/* The key built so far (valid until the next key call). */
const unsigned char *vg_aggr_key(const VgAggr *a, size_t *len);
/* The key's memory ran out while building it. */
int vg_aggr_key_failed(const VgAggr *a);

int vg_aggr_key_is_tuple(const unsigned char *key, size_t len);
/* Walks the elements of an encoded key (a scalar key has one).  *pos
 * starts at 0; out must hold len bytes.  Returns 0 when done. */
int vg_aggr_key_next(const unsigned char *key, size_t len, size_t *pos,
		     unsigned char *out, size_t *out_len, int *utf8);

/* The largest value a histogram slot holds (values are integers), as
 * Prometheus' "le" bound of the bucket: 0 for log2 slot 0, 2^k - 1 for
 * slot k > 0, -2^(k-1) for slot -k; min + i*step - 1 for linear bucket
 * i, min - 1 below min.  Returns 0 for the slot ">= max" of a linear
 * histogram, which has no bound (+Inf), else 1 with *le set. */
int vg_aggr_slot_le(const VgAggr *a, int32_t slot, __int128 *le);
/* v in decimal, exactly (128 bits).  Returns buf. */
char *vg_aggr_num_text(__int128 v, char *buf, size_t size);

/* Label of a histogram slot as bpftrace prints it: "[0]", "[4, 8)",
 * "[1K, 2K)", "(-8, -4]", "(..., 0)", "[100, ...)".  Returns buf. */
char *vg_aggr_slot_label(const VgAggr *a, int32_t slot, char *buf,
			 size_t size);

#endif

/* ---- Perl glue ------------------------------------------------------
 * Compiled only into the XS module: perl/aggr.xsh defines
 * VG_AGGR_PERL_GLUE and includes this header after perl.h. */
#if defined(VG_AGGR_PERL_GLUE) && !defined(VG_AGGR_PERL_GLUE_DONE)
#define VG_AGGR_PERL_GLUE_DONE

static SV *vg_aggr_sv_i128(pTHX_ __int128 v)
{
	if (v >= (__int128)IV_MIN && v <= (__int128)IV_MAX)
		return newSViv((IV)v);
	if (v > 0 && v <= (__int128)UV_MAX)
		return newSVuv((UV)v);
	return newSVnv((NV)v);
}

/* [key, count, sum, min, max, avg, buckets]: key a string or, for a
 * tuple, an array ref of strings; buckets undef or [[label, count], ...]
 * from the first to the last non-empty bucket. */
static SV *vg_aggr_entry_to_sv(pTHX_ const VgAggr *a, const VgAggrEntry *e)
{
	AV *row = newAV(), *kav = NULL, *bav;
	unsigned char *buf = malloc(e->key_len + 1);
	size_t pos = 0, blen;
	int utf8;
	SV *ksv = NULL, *s;
	uint32_t i, first, last;
	char label[128];

	if (!buf)
		croak("Vigil::Aggr: out of memory");
	if (vg_aggr_key_is_tuple(e->key, e->key_len))
		kav = newAV();
	while (vg_aggr_key_next(e->key, e->key_len, &pos, buf, &blen, &utf8)) {
		s = newSVpvn((const char *)buf, blen);
		if (utf8)
			SvUTF8_on(s);
		if (kav)
			av_push(kav, s);
		else
			ksv = s;
	}
	free(buf);
	if (kav)
		ksv = newRV_noinc((SV *)kav);
	else if (!ksv)
		ksv = newSVpvs("");
	av_extend(row, 6);
	av_push(row, ksv);
	av_push(row, newSViv((IV)e->count));
	av_push(row, vg_aggr_sv_i128(aTHX_ e->sum));
	av_push(row, newSViv((IV)e->min));
	av_push(row, newSViv((IV)e->max));
	av_push(row, newSViv(e->count ? (IV)(e->sum / e->count) : 0));
	if (e->slots && e->n_slots) {
		first = 0;
		while (first < e->n_slots && !e->slots[first])
			first++;
		last = e->n_slots;
		while (last > first && !e->slots[last - 1])
			last--;
		bav = newAV();
		for (i = first; i < last; i++) {
			AV *b = newAV();

			vg_aggr_slot_label(a, e->slot_lo + (int32_t)i, label,
					   sizeof(label));
			av_push(b, newSVpv(label, 0));
			av_push(b, newSVuv((UV)e->slots[i]));
			av_push(bav, newRV_noinc((SV *)b));
		}
		av_push(row, newRV_noinc((SV *)bav));
	} else {
		av_push(row, newSV(0));
	}
	return newRV_noinc((SV *)row);
}

#endif
