/*
 * vg_tasks.c - the task table: tid -> pid, ppid, uid, comm, exe, cgroup,
 * kept from the statedump and from fork/exec/exit/task_rename and
 * cgroup_attach_task events (docs/design.md, "Cgroups": no event record
 * carries its task's cgroup; the table follows each task's moves).
 */
#define _GNU_SOURCE
#include "vg_internal.h"
#include "vg_sym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct VgTasks {
	/* the direct-mapped cache (vg_internal.h: the merge looks tasks up
	 * there inline) */
	VgTasksFront f;
	GHashTable *tab;	/* tid -> VgTask * */
	gboolean live;
	VgCgroups *cg;
};

static void task_free(gpointer p)
{
	VgTask *t = p;

	g_free(t->exe);
	g_slice_free(VgTask, t);
}

VgTasks *vg_tasks_new(const VgMetadata *md, gboolean live)
{
	VgTasks *t = g_new0(VgTasks, 1);

	(void)md;
	t->tab = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
				       task_free);
	t->live = live;
	t->cg = vg_cgroups_new(live);
	return t;
}

void vg_tasks_free(VgTasks *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->tab);
	vg_cgroups_free(t->cg);
	g_free(t);
}

guint vg_tasks_count(const VgTasks *t)
{
	return g_hash_table_size(t->tab);
}

static void set_comm(VgTask *t, const char *s, gsize len)
{
	if (len > 15)
		len = 15;
	memcpy(t->comm, s, len);
	t->comm[len] = '\0';
}

/* Live: the cgroup /proc/<tid>/cgroup names now, NULL if gone. */
static const VgCgroup *proc_cgroup(VgCgroups *cg, gint32 tid)
{
	char *path = vg_cgroup_of_tid(tid);
	const VgCgroup *c = path ? vg_cgroups_by_path(cg, path, strlen(path)) :
				   NULL;

	g_free(path);
	return c;
}

/* /proc/<tid>/stat: "tid (comm) S ppid ..."; status: Tgid, Uid. */
static gboolean read_proc(VgTasks *ts, VgTask *t, gint32 tid)
{
	char path[64], *text = NULL, *open_p, *close_p;
	gboolean ok = FALSE;
	char *line;

	g_snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return FALSE;
	open_p = strchr(text, '(');
	close_p = strrchr(text, ')');
	if (open_p && close_p && close_p > open_p) {
		int ppid;
		char state;

		set_comm(t, open_p + 1, close_p - open_p - 1);
		if (sscanf(close_p + 1, " %c %d", &state, &ppid) == 2) {
			t->ppid = ppid;
			ok = TRUE;
		}
	}
	g_free(text);
	if (!ok)
		return FALSE;
	g_snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		line = strstr(text, "\nTgid:");
		if (line)
			t->pid = atoi(line + 6);
		line = strstr(text, "\nUid:");
		if (line)
			t->uid = strtoul(line + 5, NULL, 10);
		g_free(text);
	}
	g_snprintf(path, sizeof(path), "/proc/%d/exe", tid);
	t->exe = g_file_read_link(path, NULL);
	t->cgroup = proc_cgroup(ts->cg, tid);
	return TRUE;
}

/* The kernel's own sched_process_fork (the kernel's tracepoints, no
 * vigil.ko) does not say whether the child is a thread: ask /proc while
 * the child lives (dflt when it is gone). */
static gint32 proc_tgid(gint32 tid, gint32 dflt)
{
	char path[64], *text = NULL, *line;
	gint32 tgid = dflt;

	g_snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		line = strstr(text, "\nTgid:");
		if (line && atoi(line + 6) > 0)
			tgid = atoi(line + 6);
		g_free(text);
	}
	return tgid;
}

/* Before the task of tid leaves the table (freed, or kept under another
 * tid): the cache's slot of tid may hold it, and must not once it is
 * freed.  (A slot holding another tid's task is only a miss lost.) */
static void forget_slot(VgTasks *ts, gint32 tid)
{
	ts->f.cache[(guint32)tid % VG_TASKS_CACHE] = NULL;
}

static VgTask *task_get(VgTasks *ts, gint32 tid)
{
	VgTask **slot = &ts->f.cache[(guint32)tid % VG_TASKS_CACHE];
	VgTask *t;

	t = *slot;
	if (G_LIKELY(t && t->tid == tid))
		return t;
	t = g_hash_table_lookup(ts->tab, GINT_TO_POINTER(tid));
	if (G_LIKELY(t)) {
		*slot = t;
		return t;
	}
	t = g_slice_new0(VgTask);
	t->tid = tid;
	t->pid = tid;
	t->ppid = 0;
	if (tid == 0) {
		strcpy(t->comm, "swapper");
	} else if (!ts->live || !read_proc(ts, t, tid)) {
		t->pid = tid;
		t->ppid = 0;
		strcpy(t->comm, "<unknown>");
	}
	g_hash_table_insert(ts->tab, GINT_TO_POINTER(tid), t);
	return t;
}

const VgTask *vg_tasks_get(VgTasks *t, gint32 tid)
{
	return task_get(t, tid);
}

const VgTask *vg_tasks_find(VgTasks *t, gint32 tid)
{
	return g_hash_table_lookup(t->tab, GINT_TO_POINTER(tid));
}

static gint64 fint(VgEvent *e, int idx, gint64 dflt)
{
	return idx >= 0 ? vg_event_int(e, idx) : dflt;
}

static const char *fstr(VgEvent *e, int idx, gsize *len)
{
	const char *s;

	if (idx < 0)
		return NULL;
	s = vg_event_str(e, idx, len);
	return s;
}

static void apply_statedump(VgTasks *ts, VgEvent *e, const VgClassLayout *L)
{
	gint32 tid = fint(e, L->t_tid, e->tid);
	VgTask *t = task_get(ts, tid);
	const char *s;
	gsize len;

	t->pid = fint(e, L->t_pid, t->pid);
	t->ppid = fint(e, L->t_ppid, t->ppid);
	t->uid = fint(e, L->t_uid, t->uid);
	s = fstr(e, L->t_comm, &len);
	if (s)
		set_comm(t, s, len);
	s = fstr(e, L->t_exe, &len);
	if (s && len) {
		g_free(t->exe);
		t->exe = g_strndup(s, len);
	}
	if (L->t_cgroup_id >= 0)
		t->cgroup = vg_cgroups_get(ts->cg, vg_event_int(e, L->t_cgroup_id));
}

/* vigil:statedump_cgroup: the path of an id. */
static void apply_statedump_cgroup(VgTasks *ts, VgEvent *e,
				   const VgClassLayout *L)
{
	gsize len;
	const char *s = vg_event_str(e, L->t_cg_path, &len);

	vg_cgroups_learn(ts->cg, vg_event_int(e, L->t_cgroup_id), s,
			 s ? strnlen(s, len) : 0);
}

/*
 * cgroup:cgroup_attach_task: a task moved (hierarchy 0 is cgroup v2;
 * the v1 hierarchies of a hybrid host are not followed).  The kernel
 * fires it once, for the leader, when a whole process moved (a write
 * to cgroup.procs): vigil.ko says so (threadgroup); the kernel's own
 * event does not, and a move of a leader is then taken for its
 * process's (in a threaded cgroup, moving a leader alone through
 * cgroup.threads is misread so).
 */
static void apply_cgroup_attach(VgTasks *ts, VgEvent *e,
				const VgClassLayout *L)
{
	gint32 tid = vg_event_int(e, L->t_pid);
	guint64 id = vg_event_int(e, L->t_cgroup_id);
	const VgCgroup *c;
	gboolean whole;
	VgTask *t;
	gsize len;
	const char *s;

	if (vg_event_int(e, L->t_cg_root) != 0 || tid <= 0 || !id)
		return;
	s = L->t_cg_path >= 0 ? vg_event_str(e, L->t_cg_path, &len) : NULL;
	if (s)
		vg_cgroups_learn(ts->cg, id, s, strnlen(s, len));
	c = vg_cgroups_get(ts->cg, id);
	t = task_get(ts, tid);
	t->cgroup = c;
	whole = L->t_cg_whole >= 0 ? vg_event_int(e, L->t_cg_whole) != 0 :
				     t->pid == tid;
	if (whole) {
		GHashTableIter it;
		gpointer v;

		g_hash_table_iter_init(&it, ts->tab);
		while (g_hash_table_iter_next(&it, NULL, &v))
			if (((VgTask *)v)->pid == t->pid)
				((VgTask *)v)->cgroup = c;
	}
}

static void apply_fork(VgTasks *ts, VgEvent *e, const VgClassLayout *L)
{
	VgTask *parent = task_get(ts, e->tid);
	gint32 child_tid = fint(e, L->t_child_pid, -1);
	gint32 child_tgid;
	VgTask *c;
	gsize len;
	const char *s;
	int ci = vg_class_field_index(e->cls, "child_comm");

	if (child_tid < 0)
		return;
	child_tgid = fint(e, L->t_child_tgid, child_tid);
	if (L->t_child_tgid < 0 && ts->live)
		child_tgid = proc_tgid(child_tid, child_tgid);
	c = g_hash_table_lookup(ts->tab, GINT_TO_POINTER(child_tid));
	if (!c) {
		c = g_slice_new0(VgTask);
		c->tid = child_tid;
		g_hash_table_insert(ts->tab, GINT_TO_POINTER(child_tid), c);
	}
	c->pid = child_tgid;
	if (child_tgid == parent->pid)	/* a new thread */
		c->ppid = parent->ppid;
	else
		c->ppid = parent->pid;
	c->uid = parent->uid;
	/* the child can be the parent itself (a corrupt or crafted record):
	 * nothing of the parent to copy then, and its exe must not be freed */
	if (c != parent) {
		memcpy(c->comm, parent->comm, sizeof(c->comm));
		g_free(c->exe);
		c->exe = g_strdup(parent->exe);
	}
	s = ci >= 0 ? vg_event_str(e, ci, &len) : NULL;
	if (s && len)
		set_comm(c, s, len);
	/* the child's own cgroup (clone3(CLONE_INTO_CGROUP) starts it in
	 * another than its parent's): vigil.ko says which; the kernel's
	 * event does not, then /proc is asked while the child lives */
	if (L->t_cgroup_id >= 0)
		c->cgroup = vg_cgroups_get(ts->cg, vg_event_int(e, L->t_cgroup_id));
	else if (!ts->live || !(c->cgroup = proc_cgroup(ts->cg, child_tid)))
		c->cgroup = parent->cgroup;
}

static void apply_exec(VgTasks *ts, VgEvent *e, const VgClassLayout *L)
{
	gint32 tid = fint(e, L->t_pid, e->tid);
	int oi = vg_class_field_index(e->cls, "old_pid");
	gint32 old = oi >= 0 ? vg_event_int(e, oi) : tid;
	VgTask *t;
	const char *fn, *base;
	gsize len;

	if (old != tid && old > 0) {
		VgTask *o = g_hash_table_lookup(ts->tab, GINT_TO_POINTER(old));

		forget_slot(ts, old);
		/* The exec'ing thread took over the leader's tid. */
		if (o && !g_hash_table_lookup(ts->tab, GINT_TO_POINTER(tid))) {
			g_hash_table_steal(ts->tab, GINT_TO_POINTER(old));
			o->tid = tid;
			g_hash_table_insert(ts->tab, GINT_TO_POINTER(tid), o);
		} else if (o) {
			g_hash_table_remove(ts->tab, GINT_TO_POINTER(old));
		}
	}
	t = task_get(ts, tid);
	t->pid = fint(e, L->t_tgid, t->pid);
	t->ppid = fint(e, L->t_ppid, t->ppid);
	t->uid = fint(e, L->t_uid, t->uid);
	fn = fstr(e, L->t_filename, &len);
	if (fn && len) {
		char *copy = g_strndup(fn, len);

		base = strrchr(copy, '/');
		base = base ? base + 1 : copy;
		set_comm(t, base, strlen(base));
		g_free(t->exe);
		t->exe = copy;
	}
}

/* A task known only as a placeholder gets its name from sched_switch
 * (the kernel's comm of the task switching out, the event's own task;
 * the task switching in is named by its own next switch). */
static void apply_switch(VgTasks *ts, VgEvent *e, const VgClassLayout *L)
{
	VgTask *t = task_get(ts, e->tid);

	if (G_UNLIKELY(t->comm[0] == '<') && strcmp(t->comm, "<unknown>") == 0 &&
	    vg_event_int(e, L->t_prev_pid) == e->tid) {
		gsize len;
		const char *s = vg_event_str(e, L->t_prev_comm, &len);

		if (s && len)
			set_comm(t, s, len);
	}
	e->task = t;
}

/* task:task_rename: the kernel's pid field is the renamed thread (which
 * is not always the current one: /proc/PID/comm can be written by
 * another process). */
static void apply_rename(VgTasks *ts, VgEvent *e, const VgClassLayout *L)
{
	gint32 tid = vg_event_int(e, L->t_pid);
	gsize len;
	const char *s;
	VgTask *t;

	if (tid <= 0)
		return;
	t = task_get(ts, tid);
	s = vg_event_str(e, L->t_newcomm, &len);
	if (s)
		set_comm(t, s, strnlen(s, len));
}

void vg_tasks_before(VgTasks *ts, VgEvent *e)
{
	const VgClassLayout *L = e->cls->priv;

	switch (L->role) {
	case VG_ROLE_STATEDUMP:
		apply_statedump(ts, e, L);
		break;
	case VG_ROLE_FORK:
		apply_fork(ts, e, L);
		break;
	case VG_ROLE_EXEC:
		apply_exec(ts, e, L);
		/* a new image: the old one's callchain symbols go */
		vg_sym_forget(task_get(ts, e->tid)->pid);
		break;
	case VG_ROLE_SWITCH:
		apply_switch(ts, e, L);
		return;
	case VG_ROLE_TASK_RENAME:
		apply_rename(ts, e, L);
		break;
	case VG_ROLE_CGROUP_ATTACH:
		apply_cgroup_attach(ts, e, L);
		break;
	case VG_ROLE_STATEDUMP_CGROUP:
		apply_statedump_cgroup(ts, e, L);
		break;
	default:
		break;
	}
	e->task = task_get(ts, e->tid);
}

void vg_tasks_after(VgTasks *ts, VgEvent *e)
{
	const VgClassLayout *L = e->cls->priv;
	gint32 tid;

	if (L->role != VG_ROLE_EXIT)
		return;
	tid = fint(e, L->t_pid, e->tid);
	forget_slot(ts, tid);
	g_hash_table_remove(ts->tab, GINT_TO_POINTER(tid));
	/* a process' leader: its callchain symbols go (vg_sym.h) */
	vg_sym_forget(tid);
}

void vg_tasks_foreach_cgroup(VgTasks *ts,
			     void (*fn)(const VgCgroup *c, gpointer data),
			     gpointer data)
{
	vg_cgroups_foreach(ts->cg, fn, data);
}
