/*
 * vg_sdwrite.c - a record written from its fields by name, whatever
 * order and types the class gives them: vigild's statedumps (the dump's,
 * daemon/vigild/statedump.c, and the kernel source's, tpsource.c) write
 * vigil:statedump_* events this way, so their layout is only ever the
 * one kmod/vigil_events.h describes.
 */
#include "vg_internal.h"

static const VgPwField *find(const VgPwField *f, guint n, const char *name)
{
	for (guint i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

void vg_pw_fields(VgPacketWriter *w, const VgEventClass *cls, guint64 ts,
		  gint32 tid, const VgPwField *f, guint n)
{
	vg_pw_record(w, (guint16)cls->id, ts, tid);
	for (guint i = 0; i < cls->n_fields; i++) {
		const VgField *fd = &cls->fields[i];
		const VgPwField *v = find(f, n, fd->name);

		switch (fd->kind) {
		case VG_FIELD_INT:
		case VG_FIELD_UINT:
			vg_pw_uint(w, v ? v->num : 0, fd->elem_size);
			break;
		case VG_FIELD_CHARS:
			/* at most length - 1 bytes: NUL-ended */
			if (!fd->length)
				break;
			vg_pw_chars(w, v ? v->str : NULL, fd->length - 1);
			vg_pw_u8(w, 0);
			break;
		case VG_FIELD_STRING:
			vg_pw_string(w, v && v->str ? v->str : "");
			break;
		case VG_FIELD_INT_ARRAY:
		case VG_FIELD_UINT_ARRAY:
			for (guint k = 0; k < fd->length; k++)
				vg_pw_uint(w, 0, fd->elem_size);
			break;
		}
	}
}
