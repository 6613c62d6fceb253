/*
 * vg_metadata.c - the metadata model: event classes and their layouts
 * (with the roles the core reads, from vg_events_gen.h), lookups by id
 * and name, the env block, and the way back to TSDL text.  The text is
 * parsed by vg_tsdl.c; the derived syscall classes are made by
 * vg_syscall.c.
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- classes -------------------------------------------------------------- */

VgEventClass *vg_class_new(guint32 id, const char *name, guint n_fields)
{
	VgEventClass *cls = g_new0(VgEventClass, 1);
	const char *colon = strchr(name, ':');

	cls->id = id;
	cls->name = g_strdup(name);
	if (colon) {
		cls->subsys = g_strndup(name, colon - name);
		cls->event = g_strdup(colon + 1);
	} else {
		cls->subsys = g_strdup("");
		cls->event = g_strdup(name);
	}
	cls->n_fields = n_fields;
	cls->fields = g_new0(VgField, n_fields ? n_fields : 1);
	return cls;
}

static void layout_free(VgClassLayout *L)
{
	if (!L)
		return;
	g_free(L->off);
	g_free(L->size);
	g_free(L->rd);
	g_free(L);
}

void vg_class_free(VgEventClass *cls)
{
	guint i;

	if (!cls)
		return;
	for (i = 0; i < cls->n_fields; i++)
		g_free(cls->fields[i].name);
	g_free(cls->fields);
	g_free(cls->name);
	g_free(cls->subsys);
	g_free(cls->event);
	layout_free(cls->priv);
	g_free(cls);
}

static guint rd_of(const VgField *f)
{
	guint base;

	switch (f->elem_size) {
	case 1: base = VG_RD_U8; break;
	case 2: base = VG_RD_U16; break;
	case 4: base = VG_RD_U32; break;
	case 8: base = VG_RD_U64; break;
	default: return VG_RD_NONE;
	}
	if (f->kind == VG_FIELD_STRING || f->kind == VG_FIELD_CHARS)
		return VG_RD_NONE;
	if (f->kind == VG_FIELD_INT || f->kind == VG_FIELD_INT_ARRAY)
		base += VG_RD_S8;
	return base;
}

/* The role of the class named NAME (VG_ROLE_NONE: none). */
static int vg_event_role(const char *name)
{
#define VG_ROLE_OF(role, ev, always)			\
	if (strcmp(name, ev) == 0)			\
		return VG_ROLE_##role;
	VG_EVENT_ROLES(VG_ROLE_OF)
#undef VG_ROLE_OF
	return VG_ROLE_NONE;
}

void vg_class_layout(VgEventClass *cls)
{
	VgClassLayout *L = g_new0(VgClassLayout, 1);
	guint i, off = 0;
	gboolean var = FALSE;

	layout_free(cls->priv);
	L->off = g_new0(guint32, cls->n_fields + 1);
	L->size = g_new0(guint32, cls->n_fields + 1);
	L->rd = g_new0(guint8, cls->n_fields + 1);
	L->n_fixed = cls->n_fields;
	for (i = 0; i < cls->n_fields; i++) {
		VgField *f = &cls->fields[i];

		L->rd[i] = rd_of(f);
		switch (f->kind) {
		case VG_FIELD_INT:
		case VG_FIELD_UINT:
			L->size[i] = f->elem_size;
			break;
		case VG_FIELD_CHARS:
		case VG_FIELD_INT_ARRAY:
		case VG_FIELD_UINT_ARRAY:
			L->size[i] = f->elem_size * f->length;
			break;
		case VG_FIELD_STRING:
			L->size[i] = 0;
			break;
		}
		if (!var)
			L->off[i] = off;
		if (f->kind == VG_FIELD_STRING && !var) {
			var = TRUE;
			L->n_fixed = i;
		}
		off += L->size[i];
	}
	if (!var)
		L->off[cls->n_fields] = off;
	/* a callchain after the fields: their offsets stay fixed, the
	 * record's size does not */
	L->callchain = cls->callchain;
	L->has_var = var || cls->callchain;
	L->fixed_size = L->has_var ? 0 : off;
	L->prefix_size = L->off[L->n_fixed];
	L->priv_known = L->n_fixed < 32 ? L->n_fixed : 31;
	L->step = L->has_var ? VG_ITER_FAR : VG_EVENT_HDR_SIZE + off;
	L->sc_id = L->sc_args = L->sc_path_arg = L->sc_path_status = -1;
	L->sc_path = L->sc_ret = -1;
	L->t_tid = L->t_pid = L->t_ppid = L->t_comm = L->t_uid = L->t_exe = -1;
	L->t_child_pid = L->t_child_tgid = L->t_filename = L->t_tgid = -1;
	L->t_prev_pid = L->t_prev_comm = L->t_next_pid = L->t_next_comm = -1;
	L->t_newcomm = -1;
	L->t_cgroup_id = L->t_cg_root = L->t_cg_path = L->t_cg_whole = -1;
	L->role = vg_event_role(cls->name);
	switch (L->role) {
	case VG_ROLE_SYS_ENTER:
		L->sc_id = vg_class_field_index(cls, "id");
		L->sc_args = vg_class_field_index(cls, "args");
		L->sc_path_arg = vg_class_field_index(cls, "path_arg");
		L->sc_path_status = vg_class_field_index(cls, "path_status");
		L->sc_path = vg_class_field_index(cls, "path");
		if (L->sc_id < 0 || L->sc_args < 0 ||
		    cls->fields[L->sc_args].kind != VG_FIELD_UINT_ARRAY)
			L->role = VG_ROLE_NONE;
		break;
	case VG_ROLE_SYS_EXIT:
		L->sc_id = vg_class_field_index(cls, "id");
		L->sc_ret = vg_class_field_index(cls, "ret");
		if (L->sc_id < 0 || L->sc_ret < 0)
			L->role = VG_ROLE_NONE;
		break;
	case VG_ROLE_SWITCH:
		L->t_prev_pid = vg_class_field_index(cls, "prev_pid");
		L->t_prev_comm = vg_class_field_index(cls, "prev_comm");
		L->t_next_pid = vg_class_field_index(cls, "next_pid");
		L->t_next_comm = vg_class_field_index(cls, "next_comm");
		if (L->t_prev_pid < 0 || L->t_prev_comm < 0 ||
		    L->t_next_pid < 0 || L->t_next_comm < 0)
			L->role = VG_ROLE_NONE;
		break;
	case VG_ROLE_TASK_RENAME:
		L->t_pid = vg_class_field_index(cls, "pid");
		L->t_newcomm = vg_class_field_index(cls, "newcomm");
		if (L->t_pid < 0 || L->t_newcomm < 0)
			L->role = VG_ROLE_NONE;
		break;
	case VG_ROLE_CGROUP_ATTACH:
		L->t_pid = vg_class_field_index(cls, "pid");
		L->t_cgroup_id = vg_class_field_index(cls, "dst_id");
		L->t_cg_root = vg_class_field_index(cls, "dst_root");
		L->t_cg_path = vg_class_field_index(cls, "dst_path");
		L->t_cg_whole = vg_class_field_index(cls, "threadgroup");
		if (L->t_pid < 0 || L->t_cgroup_id < 0 || L->t_cg_root < 0)
			L->role = VG_ROLE_NONE;
		break;
	case VG_ROLE_STATEDUMP_CGROUP:
		L->t_cgroup_id = vg_class_field_index(cls, "id");
		L->t_cg_path = vg_class_field_index(cls, "path");
		if (L->t_cgroup_id < 0 || L->t_cg_path < 0)
			L->role = VG_ROLE_NONE;
		break;
	default:
		break;
	}
	L->task_update = L->role == VG_ROLE_STATEDUMP || L->role == VG_ROLE_FORK ||
			 L->role == VG_ROLE_EXEC || L->role == VG_ROLE_EXIT ||
			 L->role == VG_ROLE_TASK_RENAME ||
			 L->role == VG_ROLE_CGROUP_ATTACH ||
			 L->role == VG_ROLE_STATEDUMP_CGROUP;
	L->task_role = L->task_update || L->role == VG_ROLE_SWITCH;
	if (L->role == VG_ROLE_STATEDUMP || L->role == VG_ROLE_FORK ||
	    L->role == VG_ROLE_EXEC || L->role == VG_ROLE_EXIT) {
		L->t_tid = vg_class_field_index(cls, "tid");
		L->t_pid = vg_class_field_index(cls, "pid");
		L->t_ppid = vg_class_field_index(cls, "ppid");
		L->t_comm = vg_class_field_index(cls, "comm");
		L->t_uid = vg_class_field_index(cls, "uid");
		L->t_exe = vg_class_field_index(cls, "exe");
		L->t_child_pid = vg_class_field_index(cls, "child_pid");
		L->t_child_tgid = vg_class_field_index(cls, "child_tgid");
		L->t_filename = vg_class_field_index(cls, "filename");
		L->t_tgid = vg_class_field_index(cls, "tgid");
		L->t_cgroup_id = vg_class_field_index(cls,
			L->role == VG_ROLE_FORK ? "child_cgroup_id" : "cgroup_id");
	}
	cls->priv = L;
}

int vg_class_field_index(const VgEventClass *cls, const char *name)
{
	guint i;

	for (i = 0; i < cls->n_fields; i++)
		if (strcmp(cls->fields[i].name, name) == 0)
			return i;
	return -1;
}

void vg_metadata_add_class(VgMetadata *md, VgEventClass *cls)
{
	if (!cls->priv)
		vg_class_layout(cls);
	g_ptr_array_add(md->classes, cls);
	g_hash_table_replace(md->by_name, cls->name, cls);
	if (cls->id < VG_MAX_DIRECT_ID) {
		if (cls->id >= md->by_id_len) {
			guint n = MAX(cls->id + 1, md->by_id_len * 2);

			md->by_id = g_renew(VgEventClass *, md->by_id, n);
			memset(md->by_id + md->by_id_len, 0,
			       (n - md->by_id_len) * sizeof(*md->by_id));
			md->by_id_len = n;
		}
		md->by_id[cls->id] = cls;
	} else {
		g_hash_table_replace(md->derived, GUINT_TO_POINTER(cls->id), cls);
	}
}

const VgEventClass *vg_metadata_class(const VgMetadata *md, guint32 id)
{
	if (G_LIKELY(id < md->by_id_len))
		return md->by_id[id];
	if (id < VG_MAX_DIRECT_ID)
		return NULL;
	return g_hash_table_lookup(md->derived, GUINT_TO_POINTER(id));
}

const VgEventClass *vg_metadata_class_by_name(const VgMetadata *md,
					      const char *name)
{
	return g_hash_table_lookup(md->by_name, name);
}

GPtrArray *vg_metadata_classes(const VgMetadata *md)
{
	return md->classes;
}

void vg_metadata_env_put(VgMetadata *md, const char *key, const char *value,
			 gboolean is_string)
{
	guint i;
	VgEnvEntry e;

	for (i = 0; i < md->env->len; i++) {
		VgEnvEntry *x = &g_array_index(md->env, VgEnvEntry, i);

		if (strcmp(x->key, key) == 0) {
			g_free(x->value);
			x->value = g_strdup(value);
			x->is_string = is_string;
			return;
		}
	}
	e.key = g_strdup(key);
	e.value = g_strdup(value);
	e.is_string = is_string;
	g_array_append_val(md->env, e);
}

VgMetadata *vg_metadata_new_empty(void)
{
	VgMetadata *md = g_new0(VgMetadata, 1);

	md->env = g_array_new(FALSE, TRUE, sizeof(VgEnvEntry));
	md->classes = g_ptr_array_new_with_free_func((GDestroyNotify)vg_class_free);
	md->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	md->derived = g_hash_table_new(g_direct_hash, g_direct_equal);
	md->extra = g_string_new(NULL);
	md->clock_freq = 1000000000;
	return md;
}

void vg_metadata_free(VgMetadata *md)
{
	guint i;

	if (!md)
		return;
	for (i = 0; i < md->env->len; i++) {
		VgEnvEntry *x = &g_array_index(md->env, VgEnvEntry, i);

		g_free(x->key);
		g_free(x->value);
	}
	g_array_free(md->env, TRUE);
	g_hash_table_destroy(md->by_name);
	g_hash_table_destroy(md->derived);
	g_ptr_array_free(md->classes, TRUE);
	g_free(md->by_id);
	g_string_free(md->extra, TRUE);
	g_free(md->text);
	g_free(md->origin);
	g_free(md);
}

/* ---- accessors ------------------------------------------------------------ */

const guint8 *vg_metadata_uuid(const VgMetadata *md)
{
	return md->uuid;
}

gint64 vg_metadata_clock_offset(const VgMetadata *md)
{
	return md->clock_offset;
}

guint64 vg_metadata_clock_freq(const VgMetadata *md)
{
	return md->clock_freq;
}

guint vg_metadata_env_count(const VgMetadata *md)
{
	return md->env->len;
}

gboolean vg_metadata_env_nth(const VgMetadata *md, guint i, const char **key,
			     const char **value, gboolean *is_string)
{
	VgEnvEntry *x;

	if (i >= md->env->len)
		return FALSE;
	x = &g_array_index(md->env, VgEnvEntry, i);
	if (key)
		*key = x->key;
	if (value)
		*value = x->value;
	if (is_string)
		*is_string = x->is_string;
	return TRUE;
}

const char *vg_metadata_env(const VgMetadata *md, const char *key)
{
	guint i;

	for (i = 0; i < md->env->len; i++) {
		VgEnvEntry *x = &g_array_index(md->env, VgEnvEntry, i);

		if (strcmp(x->key, key) == 0)
			return x->value;
	}
	return NULL;
}

void vg_metadata_set_env_int(VgMetadata *md, const char *key, gint64 value)
{
	char num[32];

	g_snprintf(num, sizeof(num), "%" G_GINT64_FORMAT, value);
	vg_metadata_env_put(md, key, num, FALSE);
}

static void append_tsdl_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			g_string_append_c(out, '\\');
		if (*s == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *s);
	}
	g_string_append_c(out, '"');
}

char *vg_metadata_to_tsdl(const VgMetadata *md, gsize *len)
{
	GString *out = g_string_new(NULL);
	guint i;

	if (!g_str_has_prefix(md->text, "/* CTF 1.8"))
		g_string_append(out, "/* CTF 1.8 */\n\n");
	g_string_append_len(out, md->text, md->env_start);
	if (md->env_start == md->env_end)
		g_string_append(out, "\n\n");
	g_string_append(out, "env {\n");
	for (i = 0; i < md->env->len; i++) {
		VgEnvEntry *x = &g_array_index(md->env, VgEnvEntry, i);

		g_string_append_printf(out, "\t%s = ", x->key);
		if (x->is_string)
			append_tsdl_string(out, x->value);
		else
			g_string_append(out, x->value);
		g_string_append(out, ";\n");
	}
	g_string_append(out, "};");
	if (md->env_start == md->env_end)
		g_string_append(out, "\n");
	g_string_append_len(out, md->text + md->env_end,
			    md->text_len - md->env_end);
	g_string_append(out, md->extra->str);
	if (len)
		*len = out->len;
	return g_string_free(out, FALSE);
}
