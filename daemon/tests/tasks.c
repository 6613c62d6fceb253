/*
 * tasks.c - unit tests: the task table fed by the merge from statedump,
 * fork, exec, exit, task_rename and cgroup_attach_task events.
 */
#include "vg_testlib.h"

#include <string.h>
#include <unistd.h>

typedef struct {
	VgTask seen[64];	/* copy of e->task at delivery */
	const VgTask *ptr[64];
	char names[64][48];
	guint n;
	VgTasks *tasks;
	gboolean exit_task_valid;
} Seen;

static void on_event(VgEvent *e, gpointer data)
{
	Seen *s = data;

	g_assert_nonnull(e->task);
	g_assert_cmpuint(s->n, <, 64);
	s->seen[s->n] = *e->task;
	s->ptr[s->n] = e->task;
	g_strlcpy(s->names[s->n], e->cls->name, 48);
	if (strcmp(e->cls->name, "sched:sched_process_exit") == 0)
		/* during the exit event the task is still known */
		s->exit_task_valid = vg_tasks_find(s->tasks, e->tid) == e->task;
	s->n++;
}

static void fork_ev(VgtPkt *b, guint64 ts, gint32 parent, const char *pcomm,
		    gint32 child, gint32 child_tgid)
{
	vg_pw_record(b, VGT_FORK, ts, parent);
	vg_pw_chars(b, pcomm, 16);
	vg_pw_u32(b, parent);
	vg_pw_chars(b, pcomm, 16);
	vg_pw_u32(b, child);
	vg_pw_u32(b, child_tgid);
	vg_pw_u64(b, 1);	/* child_cgroup_id */
}

static void exec_ev(VgtPkt *b, guint64 ts, gint32 tid, const char *file,
		    gint32 tgid, gint32 ppid, guint32 uid)
{
	vg_pw_record(b, VGT_EXEC, ts, tid);
	vg_pw_string(b, file);
	vg_pw_u32(b, tid);
	vg_pw_u32(b, tid);
	vg_pw_u32(b, tgid);
	vg_pw_u32(b, ppid);
	vg_pw_u32(b, uid);
	vg_pw_string(b, "x y");
}

static void exit_ev(VgtPkt *b, guint64 ts, gint32 tid, gint32 tgid)
{
	vg_pw_record(b, VGT_EXIT, ts, tid);
	vg_pw_chars(b, "whatever", 16);
	vg_pw_u32(b, tid);
	vg_pw_u32(b, 120);
	vg_pw_u32(b, tgid);
	vg_pw_u32(b, 0);
}

static void switch_ev(VgtPkt *b, guint64 ts, gint32 prev, const char *prev_comm,
		      gint32 next, const char *next_comm)
{
	vg_pw_record(b, VGT_SCHED_SWITCH, ts, prev);
	vg_pw_chars(b, prev_comm, 16);
	vg_pw_u32(b, prev);
	vg_pw_u32(b, 120);
	vg_pw_u64(b, 1);
	vg_pw_chars(b, next_comm, 16);
	vg_pw_u32(b, next);
	vg_pw_u32(b, 120);
}

static void test_tasks_follow_statedump_fork_exec_exit(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgTasks *tasks = vg_tasks_new(md, FALSE);
	Seen s = { 0 };
	VgMerge *m = vg_merge_new(md, 1, tasks, on_event, &s);
	VgtPkt b = { 0 };
	guint64 t = 1;

	s.tasks = tasks;
	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_statedump(&b, t++, 100, 100, 1, "bash", 1000, "/usr/bin/bash");	/* 0 */
	vgt_sys_exit(&b, t++, 100, 0, 0);					/* 1 */
	fork_ev(&b, t++, 100, "bash", 200, 200);	/* new process 2 */
	vgt_sys_exit(&b, t++, 200, 0, 0);					/* 3 */
	exec_ev(&b, t++, 200, "/usr/lib/very-long-program-name", 200, 100, 1000); /* 4 */
	vgt_sys_exit(&b, t++, 200, 0, 0);					/* 5 */
	fork_ev(&b, t++, 200, "very-long-progr", 201, 200);	/* thread 6 */
	vgt_sys_exit(&b, t++, 201, 0, 0);					/* 7 */
	exit_ev(&b, t++, 201, 200);						/* 8 */
	vgt_sys_exit(&b, t++, 201, 0, 0);	/* after exit: unknown again 9 */
	vgt_sys_exit(&b, t++, 555, 0, 0);					/* 10 */
	vgt_sys_exit(&b, t++, 0, 0, 0);						/* 11 */
	switch_ev(&b, t++, 555, "kworker/0:1", 100, "renamed");			/* 12 */
	vgt_sys_exit(&b, t++, 555, 0, 0);					/* 13 */
	vgt_sys_exit(&b, t++, 100, 0, 0);					/* 14 */
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_drain(m);
	g_assert_cmpuint(s.n, ==, 15);

	g_assert_cmpint(s.seen[1].tid, ==, 100);
	g_assert_cmpint(s.seen[1].pid, ==, 100);
	g_assert_cmpint(s.seen[1].ppid, ==, 1);
	g_assert_cmpuint(s.seen[1].uid, ==, 1000);
	g_assert_cmpstr(s.seen[1].comm, ==, "bash");
	g_assert_cmpstr(s.seen[1].exe, ==, "/usr/bin/bash");
	/* the fork event itself belongs to the parent */
	g_assert_cmpint(s.seen[2].tid, ==, 100);
	/* the child process: parent's comm, ppid = parent's pid */
	g_assert_cmpint(s.seen[3].tid, ==, 200);
	g_assert_cmpint(s.seen[3].pid, ==, 200);
	g_assert_cmpint(s.seen[3].ppid, ==, 100);
	g_assert_cmpstr(s.seen[3].comm, ==, "bash");
	g_assert_cmpuint(s.seen[3].uid, ==, 1000);
	/* exec: comm is the basename cut to 15 chars, already on the exec event */
	g_assert_cmpstr(s.seen[4].comm, ==, "very-long-progr");
	g_assert_cmpstr(s.seen[5].comm, ==, "very-long-progr");
	g_assert_cmpstr(s.seen[5].exe, ==, "/usr/lib/very-long-program-name");
	/* a thread: same pid, ppid of the process */
	g_assert_cmpint(s.seen[7].tid, ==, 201);
	g_assert_cmpint(s.seen[7].pid, ==, 200);
	g_assert_cmpint(s.seen[7].ppid, ==, 100);
	g_assert_cmpstr(s.seen[7].comm, ==, "very-long-progr");
	/* exit: known during its event, gone after */
	g_assert_true(s.exit_task_valid);
	g_assert_cmpint(s.seen[8].pid, ==, 200);
	g_assert_cmpstr(s.seen[9].comm, ==, "<unknown>");
	g_assert_cmpint(s.seen[9].pid, ==, 201);
	g_assert_cmpint(s.seen[9].ppid, ==, 0);
	/* never seen before: placeholder */
	g_assert_cmpint(s.seen[10].tid, ==, 555);
	g_assert_cmpint(s.seen[10].pid, ==, 555);
	g_assert_cmpstr(s.seen[10].comm, ==, "<unknown>");
	g_assert_cmpstr(s.seen[11].comm, ==, "swapper");
	/* sched_switch names a placeholder task, never a known one */
	g_assert_cmpstr(s.seen[13].comm, ==, "kworker/0:1");
	g_assert_cmpint(s.seen[13].pid, ==, 555);
	g_assert_cmpstr(s.seen[14].comm, ==, "bash");
	g_assert_nonnull(vg_tasks_find(tasks, 200));
	g_assert_null(vg_tasks_find(tasks, 12345));
	vg_merge_free(m);
	vg_tasks_free(tasks);
	vg_metadata_free(md);
}

/* An exec by a thread of a multi-threaded process: the kernel gives the
 * thread the leader's tid; the record names the old one (old_pid). */
static void thread_exec_ev(VgtPkt *b, guint64 ts, gint32 tid, gint32 old,
			   const char *file, gint32 ppid)
{
	vg_pw_record(b, VGT_EXEC, ts, tid);
	vg_pw_string(b, file);
	vg_pw_u32(b, tid);
	vg_pw_u32(b, old);
	vg_pw_u32(b, tid);
	vg_pw_u32(b, ppid);
	vg_pw_u32(b, 0);
	vg_pw_string(b, "");
}

/* The merge looks tasks up in a direct-mapped cache in front of the
 * table: a task the table drops (exit, the tid an exec leaves) is never
 * handed out again, even right after events of it filled its slot.
 * (Under the sanitizers, t/unit/sanitizers.t, a freed task handed out
 * is an error even when its memory still looks right.) */
static void test_tasks_removed_are_never_handed_out_again(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgTasks *tasks = vg_tasks_new(md, FALSE);
	Seen s = { 0 };
	VgMerge *m = vg_merge_new(md, 1, tasks, on_event, &s);
	VgtPkt b = { 0 };
	guint64 t = 1;

	s.tasks = tasks;
	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_statedump(&b, t++, 300, 300, 1, "leader", 0, "/bin/leader");	/* 0 */
	fork_ev(&b, t++, 300, "leader", 301, 300);	/* thread 301 */	/* 1 */
	fork_ev(&b, t++, 300, "leader", 302, 300);	/* thread 302 */	/* 2 */
	vgt_sys_exit(&b, t++, 301, 0, 0);					/* 3 */
	vgt_sys_exit(&b, t++, 302, 0, 0);					/* 4 */
	/* 302 execs while the leader lives: the table drops 302 */
	thread_exec_ev(&b, t++, 300, 302, "/bin/second", 1);			/* 5 */
	vgt_sys_exit(&b, t++, 302, 0, 0);	/* unknown now */		/* 6 */
	vgt_sys_exit(&b, t++, 300, 0, 0);					/* 7 */
	/* the leader exits, then 301 execs and takes its tid */
	exit_ev(&b, t++, 300, 300);						/* 8 */
	vgt_sys_exit(&b, t++, 301, 0, 0);					/* 9 */
	thread_exec_ev(&b, t++, 300, 301, "/bin/third", 1);			/* 10 */
	vgt_sys_exit(&b, t++, 301, 0, 0);	/* unknown now */		/* 11 */
	vgt_sys_exit(&b, t++, 300, 0, 0);					/* 12 */
	exit_ev(&b, t++, 300, 300);						/* 13 */
	vgt_sys_exit(&b, t++, 300, 0, 0);	/* unknown now */		/* 14 */
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_drain(m);
	g_assert_cmpuint(s.n, ==, 15);

	g_assert_cmpstr(s.seen[3].comm, ==, "leader");
	g_assert_cmpint(s.seen[3].pid, ==, 300);
	g_assert_cmpstr(s.seen[4].comm, ==, "leader");
	g_assert_cmpint(s.seen[6].tid, ==, 302);
	g_assert_cmpint(s.seen[6].pid, ==, 302);
	g_assert_cmpstr(s.seen[6].comm, ==, "<unknown>");
	g_assert_cmpstr(s.seen[7].comm, ==, "second");
	g_assert_cmpint(s.seen[9].pid, ==, 300);
	g_assert_cmpstr(s.seen[9].comm, ==, "leader");
	g_assert_cmpint(s.seen[11].pid, ==, 301);
	g_assert_cmpstr(s.seen[11].comm, ==, "<unknown>");
	/* the thread's task, now under the leader's tid */
	g_assert_true(s.ptr[12] == s.ptr[9]);
	g_assert_cmpint(s.seen[12].tid, ==, 300);
	g_assert_cmpint(s.seen[12].pid, ==, 300);
	g_assert_cmpstr(s.seen[12].comm, ==, "third");
	g_assert_cmpstr(s.seen[14].comm, ==, "<unknown>");
	vg_merge_free(m);
	vg_tasks_free(tasks);
	vg_metadata_free(md);
}

static void test_live_tasks_are_read_from_proc(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgTasks *tasks = vg_tasks_new(md, TRUE);
	const VgTask *t = vg_tasks_get(tasks, getpid());
	char *comm = NULL, *exe;

	g_assert_nonnull(t);
	g_assert_cmpint(t->pid, ==, getpid());
	g_assert_cmpint(t->ppid, ==, getppid());
	g_assert_cmpuint(t->uid, ==, getuid());
	g_file_get_contents("/proc/self/comm", &comm, NULL, NULL);
	g_strchomp(comm);
	g_assert_cmpstr(t->comm, ==, comm);
	exe = g_file_read_link("/proc/self/exe", NULL);
	g_assert_cmpstr(t->exe, ==, exe);
	g_free(exe);
	g_free(comm);
	/* the same pointer the next time */
	g_assert_true(vg_tasks_get(tasks, getpid()) == t);
	g_assert_cmpuint(vg_tasks_count(tasks), ==, 1);
	vg_tasks_free(tasks);
	vg_metadata_free(md);
}

static void test_without_a_task_table_events_get_a_placeholder(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	Seen s = { 0 };
	VgMerge *m = vg_merge_new(md, 1, NULL, on_event, &s);
	VgtPkt b = { 0 };

	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_sys_exit(&b, 1, 77, 0, 0);
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_drain(m);
	g_assert_cmpuint(s.n, ==, 1);
	g_assert_cmpint(s.seen[0].tid, ==, 77);
	g_assert_cmpint(s.seen[0].pid, ==, 77);
	g_assert_cmpstr(s.seen[0].comm, ==, "<unknown>");
	vg_merge_free(m);
	vg_metadata_free(md);
}

/* The test metadata: the module's events, task:task_rename among them. */
static VgMetadata *metadata_with_rename(void)
{
	char *t = vgt_tsdl(NULL);
	GError *err = NULL;
	VgMetadata *md = vg_metadata_parse(t, strlen(t), "test-metadata", &err);

	g_assert_no_error(err);
	g_free(t);
	return md;
}

static void rename_ev(VgtPkt *b, guint64 ts, gint32 cur, gint32 tid,
		      const char *oldc, const char *newc)
{
	vg_pw_record(b, VGT_RENAME, ts, cur);
	vg_pw_u32(b, tid);
	vg_pw_chars(b, oldc, 16);
	vg_pw_chars(b, newc, 16);
	vg_pw_u16(b, 0);
}

static void test_task_rename_sets_the_comm_of_the_renamed_thread(void)
{
	VgMetadata *md = metadata_with_rename();
	VgTasks *tasks = vg_tasks_new(md, FALSE);
	Seen s = { 0 };
	VgMerge *m = vg_merge_new(md, 1, tasks, on_event, &s);
	VgtPkt b = { 0 };
	guint64 t = 1;

	s.tasks = tasks;
	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_statedump(&b, t++, 100, 100, 1, "bash", 1000, "/usr/bin/bash");	/* 0 */
	vgt_statedump(&b, t++, 300, 300, 1, "daemon", 0, "/usr/sbin/d");	/* 1 */
	vgt_sys_exit(&b, t++, 100, 0, 0);					/* 2 */
	/* prctl(PR_SET_NAME) by the thread itself */
	rename_ev(&b, t++, 100, 100, "bash", "worker-one");			/* 3 */
	vgt_sys_exit(&b, t++, 100, 0, 0);					/* 4 */
	/* another process writes /proc/300/comm: the pid field counts */
	rename_ev(&b, t++, 100, 300, "daemon", "a-name-cut-at-15-chars");	/* 5 */
	vgt_sys_exit(&b, t++, 300, 0, 0);					/* 6 */
	vgt_sys_exit(&b, t++, 100, 0, 0);					/* 7 */
	/* a thread nobody has seen yet gets its name from the event */
	rename_ev(&b, t++, 400, 400, "", "fresh");				/* 8 */
	vgt_sys_exit(&b, t++, 400, 0, 0);					/* 9 */
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_drain(m);
	g_assert_cmpuint(s.n, ==, 10);

	g_assert_cmpstr(s.names[3], ==, "task:task_rename");
	g_assert_cmpstr(s.seen[2].comm, ==, "bash");
	/* the rename event itself already carries the new name */
	g_assert_cmpstr(s.seen[3].comm, ==, "worker-one");
	g_assert_cmpstr(s.seen[4].comm, ==, "worker-one");
	/* nothing else about the task changes */
	g_assert_cmpint(s.seen[4].pid, ==, 100);
	g_assert_cmpint(s.seen[4].ppid, ==, 1);
	g_assert_cmpuint(s.seen[4].uid, ==, 1000);
	g_assert_cmpstr(s.seen[4].exe, ==, "/usr/bin/bash");
	/* the writer of /proc/300/comm keeps its own name */
	g_assert_cmpstr(s.seen[5].comm, ==, "worker-one");
	g_assert_cmpstr(s.seen[6].comm, ==, "a-name-cut-at-1");
	g_assert_cmpint(s.seen[6].pid, ==, 300);
	g_assert_cmpstr(s.seen[7].comm, ==, "worker-one");
	g_assert_cmpstr(s.seen[9].comm, ==, "fresh");
	g_assert_cmpstr(vg_tasks_find(tasks, 300)->comm, ==, "a-name-cut-at-1");
	vg_merge_free(m);
	vg_tasks_free(tasks);
	vg_metadata_free(md);
}

/* Defect 1 of issue 11 (found by fuzzing): tid -1 in a record (the
 * merge's per-CPU task cache once used -1 for "empty") still gets a task,
 * first thing on a CPU and for a sched_switch. */
static void test_a_record_with_tid_minus_one_gets_a_task(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgTasks *tasks = vg_tasks_new(md, FALSE);
	Seen s = { 0 };
	VgMerge *m = vg_merge_new(md, 1, tasks, on_event, &s);
	VgtPkt b = { 0 };

	s.tasks = tasks;
	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_sys_exit(&b, 1, -1, 0, 0);
	switch_ev(&b, 2, -1, "odd", 100, "next");
	vgt_sys_exit(&b, 3, -1, 0, 0);
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_drain(m);
	g_assert_cmpuint(s.n, ==, 3);
	g_assert_cmpint(s.seen[0].tid, ==, -1);
	g_assert_cmpstr(s.seen[0].comm, ==, "<unknown>");
	g_assert_cmpint(s.seen[1].tid, ==, -1);
	g_assert_cmpint(s.seen[2].tid, ==, -1);
	vg_merge_free(m);
	vg_tasks_free(tasks);
	vg_metadata_free(md);
}

/* Defect 2 of issue 11: a fork record whose child is the current task
 * itself (the parent) keeps the task's exe and comm intact (the exe was
 * freed and then copied: use-after-free, seen by ASan, make SAN=1). */
static void test_a_fork_whose_child_is_the_current_task_keeps_it_intact(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgTasks *tasks = vg_tasks_new(md, FALSE);
	Seen s = { 0 };
	VgMerge *m = vg_merge_new(md, 1, tasks, on_event, &s);
	VgtPkt b = { 0 };

	s.tasks = tasks;
	vgt_pkt_begin(&b, 0, 0, 0);
	vgt_statedump(&b, 1, 100, 100, 1, "bash", 1000,
		      "/usr/bin/a-rather-long-path-to/bash");
	fork_ev(&b, 2, 100, "bash", 100, 100);
	vgt_sys_exit(&b, 3, 100, 0, 0);
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_drain(m);
	g_assert_cmpuint(s.n, ==, 3);
	g_assert_cmpstr(s.seen[2].comm, ==, "bash");
	g_assert_cmpstr(s.seen[2].exe, ==, "/usr/bin/a-rather-long-path-to/bash");
	g_assert_cmpint(s.seen[2].pid, ==, 100);
	vg_merge_free(m);
	vg_tasks_free(tasks);
	vg_metadata_free(md);
}

/* ---- cgroups ---- */

static void statedump_cg(VgtPkt *b, guint64 ts, gint32 tid, gint32 pid,
			 guint64 cgroup_id)
{
	vg_pw_record(b, VG_EVID_statedump_process, ts, 0);
	vg_pw_u32(b, tid);
	vg_pw_u32(b, pid);
	vg_pw_u32(b, 1);
	vg_pw_chars(b, "svc", 16);
	vg_pw_u32(b, 0);
	vg_pw_u64(b, cgroup_id);
	vg_pw_string(b, "/usr/bin/svc");
}

static void cgroup_path_ev(VgtPkt *b, guint64 ts, guint64 id, const char *path)
{
	vg_pw_record(b, VG_EVID_statedump_cgroup, ts, 0);
	vg_pw_u64(b, id);
	vg_pw_string(b, path);
}

/* cgroup:cgroup_attach_task in vigil.ko's layout (with threadgroup) */
static void attach_ev(VgtPkt *b, guint64 ts, gint32 writer, gint32 root,
		      guint64 id, gint32 pid, const char *path, guint8 whole)
{
	vg_pw_record(b, VG_EVID_cgroup_attach_task, ts, writer);
	vg_pw_u32(b, (guint32)root);
	vg_pw_u32(b, 1);
	vg_pw_u64(b, id);
	vg_pw_u32(b, pid);
	vg_pw_string(b, path);
	vg_pw_string(b, "svc");
	vg_pw_u8(b, whole);
}

static void fork_cg_ev(VgtPkt *b, guint64 ts, gint32 parent, gint32 child,
		       guint64 child_cgroup_id)
{
	vg_pw_record(b, VGT_FORK, ts, parent);
	vg_pw_chars(b, "svc", 16);
	vg_pw_u32(b, parent);
	vg_pw_chars(b, "svc", 16);
	vg_pw_u32(b, child);
	vg_pw_u32(b, child);
	vg_pw_u64(b, child_cgroup_id);
}

#define CG_ID(i)	(s.seen[i].cgroup ? s.seen[i].cgroup->id : 0)
#define CG_PATH(i)	vg_cgroup_path(s.seen[i].cgroup)

/* Replay: the task table follows each thread's cgroup v2 from the
 * statedump, the moves (a whole process, one thread; v1 hierarchies
 * ignored) and forks (the child's own cgroup, as clone3(CLONE_INTO_
 * CGROUP) gives it), with paths from the trace only. */
static void test_tasks_follow_their_cgroups(void)
{
	VgMetadata *md = vgt_metadata(NULL);
	VgTasks *tasks = vg_tasks_new(md, FALSE);
	Seen s = { 0 };
	VgMerge *m = vg_merge_new(md, 1, tasks, on_event, &s);
	VgtPkt b = { 0 };
	guint64 t = 1;

	s.tasks = tasks;
	vgt_pkt_begin(&b, 0, 0, 0);
	cgroup_path_ev(&b, t++, 41, "/system.slice/a.service");	/* 0 */
	cgroup_path_ev(&b, t++, 42, "/b");				/* 1 */
	statedump_cg(&b, t++, 100, 100, 41);				/* 2 */
	statedump_cg(&b, t++, 101, 100, 41);	/* its thread */	/* 3 */
	statedump_cg(&b, t++, 200, 200, 41);				/* 4 */
	vgt_sys_exit(&b, t++, 101, 0, 0);				/* 5 */
	/* process 100 (both threads) moves to 42 */
	attach_ev(&b, t++, 200, 0, 42, 100, "/b", 1);			/* 6 */
	vgt_sys_exit(&b, t++, 100, 0, 0);				/* 7 */
	vgt_sys_exit(&b, t++, 101, 0, 0);				/* 8 */
	vgt_sys_exit(&b, t++, 200, 0, 0);				/* 9 */
	/* a cgroup v1 move: not followed */
	attach_ev(&b, t++, 200, 3, 99, 200, "/v1", 1);			/* 10 */
	vgt_sys_exit(&b, t++, 200, 0, 0);				/* 11 */
	/* one thread alone (a threaded cgroup), to a path new to us */
	attach_ev(&b, t++, 200, 0, 43, 101, "/b/t", 0);			/* 12 */
	vgt_sys_exit(&b, t++, 101, 0, 0);				/* 13 */
	vgt_sys_exit(&b, t++, 100, 0, 0);				/* 14 */
	/* a child started elsewhere than its parent, in an unknown one */
	fork_cg_ev(&b, t++, 100, 300, 44);				/* 15 */
	vgt_sys_exit(&b, t++, 300, 0, 0);				/* 16 */
	/* a plain fork */
	fork_cg_ev(&b, t++, 100, 301, 42);				/* 17 */
	vgt_sys_exit(&b, t++, 301, 0, 0);				/* 18 */
	vg_merge_push(m, vgt_pkt_finish(&b, 0, 0, 0));
	vg_merge_drain(m);
	g_assert_cmpuint(s.n, ==, 19);

	g_assert_cmpuint(CG_ID(5), ==, 41);
	g_assert_cmpstr(CG_PATH(5), ==, "/system.slice/a.service");
	/* the attach event itself is the moved task's already */
	g_assert_cmpuint(CG_ID(7), ==, 42);
	g_assert_cmpstr(CG_PATH(7), ==, "/b");
	g_assert_cmpuint(CG_ID(8), ==, 42);
	g_assert_cmpuint(CG_ID(9), ==, 41);
	g_assert_cmpuint(CG_ID(11), ==, 41);
	g_assert_cmpuint(CG_ID(13), ==, 43);
	g_assert_cmpstr(CG_PATH(13), ==, "/b/t");
	g_assert_cmpuint(CG_ID(14), ==, 42);
	g_assert_cmpuint(CG_ID(16), ==, 44);
	g_assert_cmpstr(CG_PATH(16), ==, "");
	g_assert_cmpuint(CG_ID(18), ==, 42);
	g_assert_cmpstr(CG_PATH(18), ==, "/b");
	vg_merge_free(m);
	vg_tasks_free(tasks);
	vg_metadata_free(md);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tasks/a_record_with_tid_minus_one_gets_a_task",
			test_a_record_with_tid_minus_one_gets_a_task);
	g_test_add_func("/tasks/a_fork_whose_child_is_the_current_task_keeps_it_intact",
			test_a_fork_whose_child_is_the_current_task_keeps_it_intact);
	g_test_add_func("/tasks/follow_their_cgroups",
			test_tasks_follow_their_cgroups);
	g_test_add_func("/tasks/follow_statedump_fork_exec_exit",
			test_tasks_follow_statedump_fork_exec_exit);
	g_test_add_func("/tasks/removed_are_never_handed_out_again",
			test_tasks_removed_are_never_handed_out_again);
	g_test_add_func("/tasks/live_tasks_are_read_from_proc",
			test_live_tasks_are_read_from_proc);
	g_test_add_func("/tasks/without_a_task_table_events_get_a_placeholder",
			test_without_a_task_table_events_get_a_placeholder);
	g_test_add_func("/tasks/task_rename_sets_the_comm_of_the_renamed_thread",
			test_task_rename_sets_the_comm_of_the_renamed_thread);
	return g_test_run();
}
