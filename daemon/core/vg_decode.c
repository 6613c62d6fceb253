/*
 * vg_decode.c - reading fields of a record: lazy offsets, integers,
 * text, arrays; derived per-syscall events (their classes are made by
 * vg_syscall.c).
 *
 * Offsets of the fields before the first string come from the class
 * layout (computed once).  Offsets after a string are found by walking
 * the strings, once per record, as far as the highest field read, and
 * remembered in the event (priv_off, priv_known = highest index whose
 * offset is known).
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <stdlib.h>
#include <string.h>

/* Walk from the highest known offset up to field i.  Returns its offset
 * or G_MAXSIZE on a string running past the end of the content. */
static gsize walk_to(VgEvent *e, guint i)
{
	const VgEventClass *cls = e->cls;
	const VgClassLayout *L = cls->priv;
	guint k = e->priv_known;
	gsize off;

	off = k <= L->n_fixed ? L->off[k] : e->priv_off[k];
	while (k < i) {
		gsize sz;

		if (cls->fields[k].kind == VG_FIELD_STRING) {
			const guint8 *nul;

			if (off >= e->payload_len)
				return G_MAXSIZE;
			nul = memchr(e->payload + off, 0, e->payload_len - off);
			if (!nul)
				return G_MAXSIZE;
			sz = nul - (e->payload + off) + 1;
		} else {
			sz = L->size[k];
		}
		off += sz;
		if (off > e->payload_len)
			return G_MAXSIZE;
		k++;
		if (k < 32) {
			e->priv_off[k] = off;
			e->priv_known = k;
		}
	}
	return off;
}

gsize vg_event_field_offset(VgEvent *e, guint i)
{
	const VgClassLayout *L = e->cls->priv;

	if (G_LIKELY(i <= L->n_fixed))
		return L->off[i];
	if (i < 32 && i <= e->priv_known)
		return e->priv_off[i];
	if (i >= 32) {
		/* Beyond the cache: walk from the last cached field. */
		gsize off = walk_to(e, 31);
		const VgEventClass *cls = e->cls;
		guint k;

		for (k = 31; off != G_MAXSIZE && k < i; k++) {
			if (cls->fields[k].kind == VG_FIELD_STRING) {
				const guint8 *nul = off < e->payload_len ?
					memchr(e->payload + off, 0, e->payload_len - off) : NULL;

				if (!nul)
					return G_MAXSIZE;
				off = nul - e->payload + 1;
			} else {
				off += L->size[k];
			}
			if (off > e->payload_len)
				return G_MAXSIZE;
		}
		return off;
	}
	return walk_to(e, i);
}

gboolean vg_class_fixed_offset(const VgEventClass *cls, guint i,
			       guint32 *offset)
{
	const VgClassLayout *L = cls->priv;

	if (cls->flags || !L || i >= cls->n_fields || i >= L->n_fixed)
		return FALSE;
	*offset = L->off[i];
	return TRUE;
}

gsize vg_event_payload_end(VgEvent *e)
{
	const VgClassLayout *L = e->cls->priv;
	gsize off;

	if (G_UNLIKELY(e->cls->flags))
		return e->priv_raw ? vg_event_payload_end((VgEvent *)e->priv_raw) : G_MAXSIZE;
	if (G_LIKELY(!L->has_var))
		return L->fixed_size <= e->payload_len ? L->fixed_size : G_MAXSIZE;
	off = vg_event_field_offset(e, e->cls->n_fields);
	if (off > e->payload_len)
		return G_MAXSIZE;
	if (L->callchain) {
		guint16 depth;

		if (e->payload_len - off < 2)
			return G_MAXSIZE;
		memcpy(&depth, e->payload + off, 2);
		off += 2 + (gsize)depth * 8;
		if (off > e->payload_len)
			return G_MAXSIZE;
	}
	return off;
}

guint vg_event_callchain(VgEvent *e, const guint8 **ips)
{
	const VgClassLayout *L;
	gsize off;
	guint16 depth;

	*ips = NULL;
	if (e->cls->flags)
		return e->priv_raw ? vg_event_callchain((VgEvent *)e->priv_raw, ips) : 0;
	L = e->cls->priv;
	if (!L || !L->callchain)
		return 0;
	off = vg_event_field_offset(e, e->cls->n_fields);
	if (off > e->payload_len || e->payload_len - off < 2)
		return 0;
	memcpy(&depth, e->payload + off, 2);
	if ((gsize)depth * 8 > e->payload_len - off - 2)
		return 0;
	*ips = e->payload + off + 2;
	return depth;
}

gsize vg_event_payload_size(VgEvent *e)
{
	gsize end = vg_event_payload_end(e);

	return end == G_MAXSIZE ? 0 : end;
}

/* ---- derived syscall events ------------------------------------------- */

static inline VgEvent *raw_of(VgEvent *e)
{
	return (VgEvent *)e->priv_raw;
}

static gint64 derived_int(VgEvent *e, guint field)
{
	VgEvent *raw = raw_of(e);
	const VgClassLayout *RL;

	/* the derived class may have fewer fields than the raw record has
	 * arguments: past them is 0 (and its rd[] ends there) */
	if (!raw || field >= e->cls->n_fields)
		return 0;
	RL = raw->cls->priv;
	if (e->cls->flags & VG_CLASS_SYSCALL_EXIT)
		return field == 0 ? vg_event_int(raw, RL->sc_ret) : 0;
	if (field >= raw->cls->fields[RL->sc_args].length)
		return 0;
	/* rd of a derived enter class: 4 = a 32-bit signed C type */
	if (((const VgClassLayout *)e->cls->priv)->rd[field] == 4)
		return (gint32)vg_event_array_int(raw, RL->sc_args, field);
	return vg_event_array_int(raw, RL->sc_args, field);
}

/* The path argument of a raw sys_enter event, -1 if none was read. */
static int derived_path_arg(VgEvent *raw)
{
	const VgClassLayout *RL = raw->cls->priv;

	if (RL->sc_path_arg < 0 || RL->sc_path_status < 0 || RL->sc_path < 0)
		return -1;
	if (vg_event_int(raw, RL->sc_path_status) != 1)
		return -1;
	return (int)vg_event_int(raw, RL->sc_path_arg);
}

VgFieldKind vg_event_field_kind(VgEvent *e, guint field)
{
	if (G_UNLIKELY(e->cls->flags & VG_CLASS_SYSCALL_ENTER) && raw_of(e) &&
	    derived_path_arg(raw_of(e)) == (int)field)
		return VG_FIELD_STRING;
	if (field >= e->cls->n_fields)
		return VG_FIELD_UINT;
	return e->cls->fields[field].kind;
}

gboolean vg_event_derive_syscall(const VgMetadata *md, VgEvent *raw,
				 VgEvent *out)
{
	const VgClassLayout *RL = raw->cls->priv;
	const VgEventClass *cls;
	gint64 nr;

	if (RL->role == VG_ROLE_SYS_ENTER) {
		nr = vg_event_int(raw, RL->sc_id);
		if (nr < 0 || nr >= 0x100000)
			return FALSE;
		cls = vg_metadata_class(md, VG_SYSCALL_ENTER_ID_BASE + nr);
	} else if (RL->role == VG_ROLE_SYS_EXIT) {
		nr = vg_event_int(raw, RL->sc_id);
		if (nr < 0 || nr >= 0x100000)
			return FALSE;
		cls = vg_metadata_class(md, VG_SYSCALL_EXIT_ID_BASE + nr);
	} else {
		return FALSE;
	}
	if (!cls)
		return FALSE;
	out->cls = cls;
	out->ts = raw->ts;
	out->cpu = raw->cpu;
	out->tid = raw->tid;
	out->task = raw->task;
	out->payload = raw->payload;
	out->payload_len = raw->payload_len;
	out->priv_known = 0;
	out->priv_raw = raw;
	return TRUE;
}

/* ---- accessors -------------------------------------------------------- */

gint64 vg_event_int(VgEvent *e, guint field)
{
	const VgEventClass *cls = e->cls;
	const VgClassLayout *L = cls->priv;
	gsize off;

	if (G_UNLIKELY(cls->flags))
		return derived_int(e, field);
	if (G_UNLIKELY(field >= cls->n_fields))
		return 0;
	if (G_LIKELY(field < L->n_fixed)) {
		off = L->off[field];
	} else {
		off = vg_event_field_offset(e, field);
		if (off == G_MAXSIZE || off + L->size[field] > e->payload_len)
			return 0;
	}
	return vg_read_int(e->payload + off, L->rd[field]);
}

gint64 vg_event_array_int(VgEvent *e, guint field, guint idx)
{
	const VgEventClass *cls = e->cls;
	const VgClassLayout *L = cls->priv;
	const VgField *f;
	gsize off;

	if (G_UNLIKELY(cls->flags))
		return idx == 0 ? derived_int(e, field) : 0;
	if (G_UNLIKELY(field >= cls->n_fields))
		return 0;
	f = &cls->fields[field];
	if (f->kind == VG_FIELD_STRING || idx >= f->length)
		return 0;
	off = vg_event_field_offset(e, field);
	if (off == G_MAXSIZE || off + L->size[field] > e->payload_len)
		return 0;
	return vg_read_int(e->payload + off + (gsize)idx * f->elem_size,
			   L->rd[field]);
}

const char *vg_event_str(VgEvent *e, guint field, gsize *len)
{
	const VgEventClass *cls = e->cls;
	const VgField *f;
	const char *p;
	gsize off;

	if (G_UNLIKELY(cls->flags)) {
		VgEvent *raw = raw_of(e);

		if ((cls->flags & VG_CLASS_SYSCALL_ENTER) && raw &&
		    derived_path_arg(raw) == (int)field)
			return vg_event_str(raw, ((const VgClassLayout *)raw->cls->priv)->sc_path, len);
		goto none;
	}
	if (G_UNLIKELY(field >= cls->n_fields))
		goto none;
	f = &cls->fields[field];
	if (f->kind != VG_FIELD_CHARS && f->kind != VG_FIELD_STRING)
		goto none;
	off = vg_event_field_offset(e, field);
	if (off == G_MAXSIZE || off > e->payload_len)
		goto none;
	p = (const char *)e->payload + off;
	if (f->kind == VG_FIELD_CHARS) {
		if (off + f->length > e->payload_len)
			goto none;
		if (len)
			*len = strnlen(p, f->length);
		return p;
	}
	/* STRING: its end is the next field's offset when known. */
	if (field + 1 < 32 && field + 1 <= e->priv_known) {
		if (len)
			*len = e->priv_off[field + 1] - off - 1;
		return p;
	} else {
		const char *nul = memchr(p, 0, e->payload_len - off);

		if (!nul)
			goto none;
		if (len)
			*len = nul - p;
		if (field + 1 < 32 && field == e->priv_known) {
			e->priv_off[field + 1] = nul - (const char *)e->payload + 1;
			e->priv_known = field + 1;
		}
		return p;
	}
none:
	if (len)
		*len = 0;
	return NULL;
}
