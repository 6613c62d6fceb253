#!/usr/bin/perl
# handlers/print.pl prints every event as one perf-script-like line, with
# every field, in time order across CPUs.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $t = new_trace();
$t->task(100, 100, 1, 'cat');
$t->task(200, 200, 1, 'sh');
$t->syscall(0, 1_000_000_000, 100, 'openat', 5000, 3, dfd => -100, filename => '/etc/host name', flags => 0, mode => 0);
$t->event(1, 1_000_002_000, 0, 'sched:sched_switch', prev_comm => 'swapper/1', prev_pid => 0,
	  prev_prio => 120, prev_state => 0, next_comm => 'sh', next_pid => 200, next_prio => 120);
$t->syscall(1, 1_000_003_000, 200, 'read', 1000, -9, fd => 7, buf => 4096, count => 10);
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'print.pl');
is($st, 0, 'exit status 0') or diag($err);
is($out, <<'EOT', 'default: every event except the derived syscalls:* ones, merged by time');
             cat     100 [000] 0.000000001: vigil:statedump_process: tid=100 pid=100 ppid=1 comm=cat uid=0 cgroup_id=0 exe=/usr/bin/cat
              sh     200 [000] 0.000000002: vigil:statedump_process: tid=200 pid=200 ppid=1 comm=sh uid=0 cgroup_id=0 exe=/usr/bin/sh
             cat     100 [000] 1.000000000: raw_syscalls:sys_enter: id=257 args=[18446744073709551516, 2147221505, 0, 0, 0, 0] path_arg=1 path_status=1 path="/etc/host name"
         swapper       0 [001] 1.000002000: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=0 next_comm=sh next_pid=200 next_prio=120
              sh     200 [001] 1.000003000: raw_syscalls:sys_enter: id=0 args=[7, 4096, 10, 0, 0, 0] path_arg=0 path_status=0 path=""
              sh     200 [001] 1.000004000: raw_syscalls:sys_exit: id=0 ret=-9
             cat     100 [000] 1.000005000: raw_syscalls:sys_exit: id=257 ret=3
EOT

($out, $err, $st) = run_handler($dir, 'print.pl', '--syscalls');
is($st, 0, '--syscalls: exit status 0') or diag($err);
is($out, <<'EOT', '--syscalls: derived per-syscall events with the kernel argument names instead of raw ones (pointer arguments in hex)');
             cat     100 [000] 0.000000001: vigil:statedump_process: tid=100 pid=100 ppid=1 comm=cat uid=0 cgroup_id=0 exe=/usr/bin/cat
              sh     200 [000] 0.000000002: vigil:statedump_process: tid=200 pid=200 ppid=1 comm=sh uid=0 cgroup_id=0 exe=/usr/bin/sh
             cat     100 [000] 1.000000000: syscalls:sys_enter_openat: dfd=-100 filename="/etc/host name" flags=0 mode=0
         swapper       0 [001] 1.000002000: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=0 next_comm=sh next_pid=200 next_prio=120
              sh     200 [001] 1.000003000: syscalls:sys_enter_read: fd=7 buf=0x1000 count=10
              sh     200 [001] 1.000004000: syscalls:sys_exit_read: ret=-9
             cat     100 [000] 1.000005000: syscalls:sys_exit_openat: ret=3
EOT

($out, $err, $st) = run_handler($dir, 'print.pl', '--events', 'sched:*,syscalls:sys_exit_*', '--comm', 's[h]');
is($st, 0, '--events --comm: exit status 0') or diag($err);
is($out, <<'EOT', '--events takes globs (comma-separated), --comm a command name glob');
              sh     200 [001] 1.000004000: syscalls:sys_exit_read: ret=-9
EOT

($out, $err, $st) = run_handler($dir, 'print.pl', '--bogus');
isnt($st, 0, 'an unknown option makes vigild fail');
like($err, qr/bogus/, 'and the error names the option');

done_testing();
