/*
 * vg_aggr.c - the aggregation engine behind Vigil::Aggr.
 *
 * An open-addressing hash table (linear probing, backward-shift
 * deletion) of entries keyed by byte strings.  Each entry carries a
 * count, a 128-bit sum, min, max and, for histograms, a small array of
 * bucket counts that grows to cover the slots actually used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vg_aggr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct VgAggr {
	uint64_t gen;		/* bumped when entries may be freed */
	VgAggrType type;
	int64_t lmin, lmax, step;
	uint32_t lbuckets;	/* linear buckets between lmin and lmax */
	size_t cap;		/* power of two */
	size_t size;
	uint64_t dropped;
	struct node **tab;
	unsigned char *kb;	/* key being built */
	size_t kb_len, kb_cap;
	int kb_failed;
};

struct node {
	VgAggrEntry e;
	uint64_t hash;
	unsigned char keybuf[];
};

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static inline uint64_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Keys are short (a few fields): 8 bytes at a time, the last 1..7 bytes
 * read with at most two loads (no call), a multiply-xorshift per word
 * and fmix64 at the end. */
static uint64_t hash_bytes(const unsigned char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0x87c37b91114253d5ULL);
	uint64_t t;

	while (len >= 8) {
		h = (h ^ rd64(p)) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		p += 8;
		len -= 8;
	}
	if (len) {
		if (len >= 4)
			t = rd32(p) | rd32(p + len - 4) << 32;
		else
			t = (uint64_t)p[0] | (uint64_t)p[len / 2] << 8 |
			    (uint64_t)p[len - 1] << 16;
		h = (h ^ t ^ 0x2545f4914f6cdd1dULL) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	return fmix64(h);
}

/* memcmp(a, b, len) == 0 for short keys, without a call. */
static inline int key_eq(const unsigned char *a, const unsigned char *b,
			 size_t len)
{
	size_t i;

	if (len >= 8) {
		for (i = 0; i + 8 < len; i += 8)
			if (rd64(a + i) != rd64(b + i))
				return 0;
		/* the last 8 bytes, maybe overlapping */
		return rd64(a + len - 8) == rd64(b + len - 8);
	}
	if (len >= 4)
		return rd32(a) == rd32(b) && rd32(a + len - 4) == rd32(b + len - 4);
	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

VgAggr *vg_aggr_new(VgAggrType type, int64_t lmin, int64_t lmax,
		    int64_t step, const char **err)
{
	VgAggr *a;
	__int128 span;

	if ((int)type < VG_AGGR_COUNT || type > VG_AGGR_LHIST) {
		*err = "unknown aggregation type";
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		*err = "out of memory";
		return NULL;
	}
	a->type = type;
	if (type == VG_AGGR_LHIST) {
		if (step <= 0) {
			*err = "lhist: step must be greater than 0";
			free(a);
			return NULL;
		}
		if (lmax <= lmin) {
			*err = "lhist: max must be greater than min";
			free(a);
			return NULL;
		}
		span = (__int128)lmax - lmin;
		if (span % step) {
			*err = "lhist: max - min must be a multiple of step";
			free(a);
			return NULL;
		}
		if (span / step > VG_AGGR_LHIST_MAX_BUCKETS) {
			*err = "lhist: too many buckets ((max - min) / step > 100000)";
			free(a);
			return NULL;
		}
		a->lmin = lmin;
		a->lmax = lmax;
		a->step = step;
		a->lbuckets = (uint32_t)(span / step);
	}
	a->cap = 16;
	a->tab = calloc(a->cap, sizeof(*a->tab));
	if (!a->tab) {
		*err = "out of memory";
		free(a);
		return NULL;
	}
	return a;
}

static void node_free(struct node *n)
{
	free(n->e.slots);
	free(n);
}

void vg_aggr_clear(VgAggr *a)
{
	size_t i;

	a->gen++;
	for (i = 0; i < a->cap; i++) {
		if (a->tab[i]) {
			node_free(a->tab[i]);
			a->tab[i] = NULL;
		}
	}
	a->size = 0;
}

void vg_aggr_free(VgAggr *a)
{
	if (!a)
		return;
	vg_aggr_clear(a);
	free(a->kb);
	free(a->tab);
	free(a);
}

VgAggrType vg_aggr_type(const VgAggr *a)
{
	return a->type;
}

void vg_aggr_lhist_params(const VgAggr *a, int64_t *lmin, int64_t *lmax,
			  int64_t *step)
{
	*lmin = a->lmin;
	*lmax = a->lmax;
	*step = a->step;
}

uint64_t vg_aggr_dropped(const VgAggr *a)
{
	return a->dropped;
}

size_t vg_aggr_size(const VgAggr *a)
{
	return a->size;
}

static size_t find_slot(const VgAggr *a, const void *key, size_t len,
			uint64_t h, int *found)
{
	size_t mask = a->cap - 1;
	size_t i = h & mask;
	struct node *n;

	for (;;) {
		n = a->tab[i];
		if (!n) {
			*found = 0;
			return i;
		}
		if (n->hash == h && n->e.key_len == len &&
		    key_eq(n->keybuf, key, len)) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static int grow(VgAggr *a)
{
	size_t ncap = a->cap * 2, i, j;
	struct node **nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -1;
	for (i = 0; i < a->cap; i++) {
		struct node *n = a->tab[i];

		if (!n)
			continue;
		j = n->hash & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = n;
	}
	free(a->tab);
	a->tab = nt;
	a->cap = ncap;
	return 0;
}

int vg_aggr_log2_slot(int64_t v)
{
	uint64_t m;
	int s;

	if (v == 0)
		return 0;
	/* magnitude without overflow for INT64_MIN */
	m = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
	s = 64 - __builtin_clzll(m);
	return v < 0 ? -s : s;
}

static inline int32_t lhist_slot(const VgAggr *a, int64_t v)
{
	if (v < a->lmin)
		return 0;
	if (v >= a->lmax)
		return (int32_t)a->lbuckets + 1;
	return 1 + (int32_t)(((__int128)v - a->lmin) / a->step);
}

/* Makes room for slot s in a log2 histogram entry. */
static int cover_slot(VgAggrEntry *e, int32_t s)
{
	int32_t lo, hi;
	uint64_t *ns;

	if (!e->slots) {
		e->slots = calloc(1, sizeof(uint64_t));
		if (!e->slots)
			return -1;
		e->slot_lo = s;
		e->n_slots = 1;
		return 0;
	}
	lo = e->slot_lo < s ? e->slot_lo : s;
	hi = e->slot_lo + (int32_t)e->n_slots - 1;
	if (s > hi)
		hi = s;
	ns = calloc((size_t)(hi - lo + 1), sizeof(uint64_t));
	if (!ns)
		return -1;
	memcpy(ns + (e->slot_lo - lo), e->slots, e->n_slots * sizeof(uint64_t));
	free(e->slots);
	e->slots = ns;
	e->slot_lo = lo;
	e->n_slots = (uint32_t)(hi - lo + 1);
	return 0;
}

VgAggrEntry *vg_aggr_entry(VgAggr *a, const void *key, size_t len)
{
	uint64_t h = hash_bytes(key, len);
	int found;
	size_t i = find_slot(a, key, len, h, &found);
	struct node *n;

	if (found)
		return &a->tab[i]->e;
	if ((a->size + 1) * 4 > a->cap * 3) {
		if (grow(a) < 0)
			goto oom;
		i = find_slot(a, key, len, h, &found);
	}
	n = malloc(sizeof(*n) + len + 1);
	if (!n)
		goto oom;
	memset(&n->e, 0, sizeof(n->e));
	n->hash = h;
	memcpy(n->keybuf, key, len);
	n->keybuf[len] = 0;
	n->e.key = n->keybuf;
	n->e.key_len = len;
	if (a->type == VG_AGGR_LHIST) {
		n->e.n_slots = a->lbuckets + 2;
		n->e.slots = calloc(n->e.n_slots, sizeof(uint64_t));
		if (!n->e.slots) {
			free(n);
			goto oom;
		}
	}
	a->tab[i] = n;
	a->size++;
	return &n->e;
oom:
	a->dropped++;
	return NULL;
}

int vg_aggr_entry_add(VgAggr *a, VgAggrEntry *e, int64_t v)
{
	int32_t s;

	if (a->type == VG_AGGR_HIST) {
		s = vg_aggr_log2_slot(v);
		if (!e->slots || s < e->slot_lo ||
		    s >= e->slot_lo + (int32_t)e->n_slots) {
			if (cover_slot(e, s) < 0) {
				a->dropped++;
				return -1;
			}
		}
		e->slots[s - e->slot_lo]++;
	} else if (a->type == VG_AGGR_LHIST) {
		e->slots[lhist_slot(a, v)]++;
	}
	if (!e->count || v < e->min)
		e->min = v;
	if (!e->count || v > e->max)
		e->max = v;
	e->count++;
	e->sum += v;
	return 0;
}

const uint64_t *vg_aggr_generation(const VgAggr *a)
{
	return &a->gen;
}

int vg_aggr_add(VgAggr *a, const void *key, size_t len, int64_t v)
{
	VgAggrEntry *e = vg_aggr_entry(a, key, len);

	return e ? vg_aggr_entry_add(a, e, v) : -1;
}

const VgAggrEntry *vg_aggr_lookup(const VgAggr *a, const void *key,
				  size_t len)
{
	int found;
	size_t i = find_slot(a, key, len, hash_bytes(key, len), &found);

	return found ? &a->tab[i]->e : NULL;
}

int vg_aggr_delete(VgAggr *a, const void *key, size_t len)
{
	int found;
	size_t mask = a->cap - 1;
	size_t i = find_slot(a, key, len, hash_bytes(key, len), &found);
	size_t j, home;

	if (!found)
		return 0;
	node_free(a->tab[i]);
	a->tab[i] = NULL;
	a->size--;
	a->gen++;
	/* backward shift: move later members of the cluster that may no
	 * longer be reachable */
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!a->tab[j])
			break;
		home = a->tab[j]->hash & mask;
		/* can the node at j live at i?  yes unless home is
		 * cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			a->tab[i] = a->tab[j];
			a->tab[j] = NULL;
			i = j;
		}
	}
	return 1;
}

__int128 vg_aggr_entry_value(const VgAggr *a, const VgAggrEntry *e)
{
	switch (a->type) {
	case VG_AGGR_SUM:
		return e->sum;
	case VG_AGGR_MIN:
		return e->min;
	case VG_AGGR_MAX:
		return e->max;
	case VG_AGGR_AVG:
		return e->count ? e->sum / e->count : 0;
	default:
		return e->count;
	}
}

struct sort_ctx {
	const VgAggr *a;
	VgAggrSort order;
};

static int key_cmp(const VgAggrEntry *x, const VgAggrEntry *y)
{
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static int entry_cmp(const void *pa, const void *pb, void *pctx)
{
	const struct sort_ctx *ctx = pctx;
	const VgAggrEntry *x = *(const VgAggrEntry * const *)pa;
	const VgAggrEntry *y = *(const VgAggrEntry * const *)pb;
	__int128 vx, vy;

	if (ctx->order != VG_AGGR_SORT_KEY) {
		vx = vg_aggr_entry_value(ctx->a, x);
		vy = vg_aggr_entry_value(ctx->a, y);
		if (vx != vy) {
			if (ctx->order == VG_AGGR_SORT_VALUE_DESC)
				return vx < vy ? 1 : -1;
			return vx < vy ? -1 : 1;
		}
	}
	return key_cmp(x, y);
}

const VgAggrEntry **vg_aggr_sorted(const VgAggr *a, VgAggrSort order,
				   size_t limit, size_t *n_out)
{
	const VgAggrEntry **v;
	struct sort_ctx ctx = { a, order };
	size_t i, n = 0;

	v = malloc((a->size ? a->size : 1) * sizeof(*v));
	if (!v) {
		*n_out = 0;
		return NULL;
	}
	for (i = 0; i < a->cap; i++)
		if (a->tab[i])
			v[n++] = &a->tab[i]->e;
	qsort_r(v, n, sizeof(*v), entry_cmp, &ctx);
	if (limit && limit < n)
		n = limit;
	*n_out = n;
	return v;
}

void vg_aggr_slot_range(const VgAggr *a, int32_t s, __int128 *lo,
			__int128 *hi, int *lo_inf, int *hi_inf, int *exact)
{
	*lo_inf = 0;
	*hi_inf = 0;
	*exact = 0;
	if (a->type == VG_AGGR_LHIST) {
		if (s == 0) {
			*lo_inf = 1;
			*lo = 0;
			*hi = a->lmin;
		} else if (s == (int32_t)a->lbuckets + 1) {
			*lo = a->lmax;
			*hi = 0;
			*hi_inf = 1;
		} else {
			*lo = (__int128)a->lmin + (__int128)(s - 1) * a->step;
			*hi = *lo + a->step;
		}
		return;
	}
	if (s == 0) {
		*lo = 0;
		*hi = 1;
		*exact = 1;
	} else if (s > 0) {
		*lo = (__int128)1 << (s - 1);
		*hi = (__int128)1 << s;
		*exact = s == 1;
	} else {
		/* (lo, hi]: magnitudes [2^(-s-1), 2^-s) */
		*hi = -((__int128)1 << (-s - 1));
		*lo = -((__int128)1 << -s);
		*exact = s == -1;
	}
}

static int kb_reserve(VgAggr *a, size_t more)
{
	size_t need = a->kb_len + more, ncap;
	unsigned char *nb;

	if (need <= a->kb_cap)
		return 0;
	ncap = a->kb_cap ? a->kb_cap : 64;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(a->kb, ncap);
	if (!nb) {
		a->kb_failed = 1;
		return -1;
	}
	a->kb = nb;
	a->kb_cap = ncap;
	return 0;
}

void vg_aggr_key_scalar(VgAggr *a, const void *p, size_t len, int utf8)
{
	a->kb_len = 0;
	a->kb_failed = 0;
	if (kb_reserve(a, len + 1) < 0)
		return;
	a->kb[0] = utf8 ? 'u' : 's';
	memcpy(a->kb + 1, p, len);
	a->kb_len = len + 1;
}

void vg_aggr_key_tuple(VgAggr *a)
{
	a->kb_len = 0;
	a->kb_failed = 0;
	if (kb_reserve(a, 1) < 0)
		return;
	a->kb[0] = 't';
	a->kb_len = 1;
}

void vg_aggr_key_elem(VgAggr *a, const void *p, size_t len, int utf8)
{
	const unsigned char *s = p;
	size_t i;

	if (a->kb_failed || kb_reserve(a, 2 * len + 3) < 0)
		return;
	a->kb[a->kb_len++] = utf8 ? 'u' : 's';
	for (i = 0; i < len; i++) {
		a->kb[a->kb_len++] = s[i];
		if (!s[i])
			a->kb[a->kb_len++] = 0xff;
	}
	a->kb[a->kb_len++] = 0;
	a->kb[a->kb_len++] = 1;
}

const unsigned char *vg_aggr_key(const VgAggr *a, size_t *len)
{
	*len = a->kb_len;
	return a->kb ? a->kb : (const unsigned char *)"";
}

int vg_aggr_key_failed(const VgAggr *a)
{
	return a->kb_failed;
}

int vg_aggr_key_is_tuple(const unsigned char *key, size_t len)
{
	return len > 0 && key[0] == 't';
}

int vg_aggr_key_next(const unsigned char *key, size_t len, size_t *pos,
		     unsigned char *out, size_t *out_len, int *utf8)
{
	size_t i = *pos, n = 0;

	if (len == 0)
		return 0;
	if (key[0] != 't') {
		if (i != 0)
			return 0;
		*utf8 = key[0] == 'u';
		memcpy(out, key + 1, len - 1);
		*out_len = len - 1;
		*pos = len;
		return 1;
	}
	if (i == 0)
		i = 1;
	if (i >= len)
		return 0;
	*utf8 = key[i++] == 'u';
	while (i < len) {
		if (key[i] == 0) {
			if (i + 1 < len && key[i + 1] == 0xff) {
				out[n++] = 0;
				i += 2;
				continue;
			}
			i += 2;		/* terminator 0x00 0x01 */
			break;
		}
		out[n++] = key[i++];
	}
	*out_len = n;
	*pos = i;
	return 1;
}

/* Powers of two of 1024 and up get a suffix, as bpftrace prints them. */
static void fmt_num(char *buf, size_t size, __int128 v, int suffix)
{
	static const char sfx[] = "KMGTPE";
	unsigned __int128 m = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char tmp[48];
	int i = 0, k = -1, neg = v < 0;

	if (suffix) {
		while (m >= 1024 && (m & 1023) == 0 && k < 5) {
			m >>= 10;
			k++;
		}
	}
	do {
		tmp[i++] = (char)('0' + (int)(m % 10));
		m /= 10;
	} while (m);
	{
		size_t o = 0;

		if (neg && o + 1 < size)
			buf[o++] = '-';
		while (i > 0 && o + 1 < size)
			buf[o++] = tmp[--i];
		if (k >= 0 && o + 1 < size)
			buf[o++] = sfx[k];
		buf[o] = 0;
	}
}

char *vg_aggr_num_text(__int128 v, char *buf, size_t size)
{
	fmt_num(buf, size, v, 0);
	return buf;
}

int vg_aggr_slot_le(const VgAggr *a, int32_t slot, __int128 *le)
{
	__int128 lo, hi;
	int lo_inf, hi_inf, exact;

	vg_aggr_slot_range(a, slot, &lo, &hi, &lo_inf, &hi_inf, &exact);
	if (hi_inf)
		return 0;
	/* (lo, hi] for negative log2 slots, [lo, hi) for the others */
	*le = a->type == VG_AGGR_HIST && slot < 0 ? hi : hi - 1;
	return 1;
}

char *vg_aggr_slot_label(const VgAggr *a, int32_t slot, char *buf,
			 size_t size)
{
	__int128 lo, hi;
	int lo_inf, hi_inf, exact, sfx = a->type == VG_AGGR_HIST;
	char l[48], h[48];

	vg_aggr_slot_range(a, slot, &lo, &hi, &lo_inf, &hi_inf, &exact);
	if (exact) {
		fmt_num(l, sizeof(l), slot < 0 ? hi : lo, sfx);
		snprintf(buf, size, "[%s]", l);
	} else if (lo_inf) {
		fmt_num(h, sizeof(h), hi, sfx);
		snprintf(buf, size, "(..., %s)", h);
	} else if (hi_inf) {
		fmt_num(l, sizeof(l), lo, sfx);
		snprintf(buf, size, "[%s, ...)", l);
	} else {
		fmt_num(l, sizeof(l), lo, sfx);
		fmt_num(h, sizeof(h), hi, sfx);
		snprintf(buf, size, slot < 0 ? "(%s, %s]" : "[%s, %s)", l, h);
	}
	return buf;
}
