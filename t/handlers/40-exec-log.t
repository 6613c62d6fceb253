#!/usr/bin/perl
# handlers/exec-log.pl logs every exec: wall-clock time, pid, ppid, uid, file, argv.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $S = 1_000_000_000;
# the recording's clock offset: its trace clock 0 was 2025-11-22 05:35:03 UTC
my $t = new_trace(clock_offset => 1_763_789_703_000_000_000);
$t->task(100, 100, 1, 'bash');
$t->event(0, $S + 1000, 100, 'sched:sched_process_fork', parent_comm => 'bash', parent_pid => 100,
	  child_comm => 'bash', child_pid => 101, child_tgid => 101);
$t->event(1, $S + 2000, 101, 'sched:sched_process_exec', filename => '/usr/bin/ls', pid => 101,
	  old_pid => 101, tgid => 101, ppid => 100, uid => 1000, argv => 'ls -l /tmp');
$t->event(1, $S + 3000, 102, 'sched:sched_process_exec', filename => '/tmp/x y', pid => 102,
	  old_pid => 102, tgid => 102, ppid => 100, uid => 0, argv => "x\ty \x01");
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'exec-log.pl');
is($st, 0, 'exit status 0') or diag($err);
is($out, <<'EOT', 'one line per exec, at its wall-clock time (trace clock + the metadata\'s clock offset, UTC); unprintable bytes escaped');
TIME (UTC)                        PID    PPID    UID  FILENAME         ARGV
2025-11-22 05:35:04.000002000     101     100   1000  /usr/bin/ls      ls -l /tmp
2025-11-22 05:35:04.000003000     102     100      0  /tmp/x y         x\x09y \x01
EOT

($out, $err, $st) = run_handler($dir, 'exec-log.pl', '--uid', '1000', '--noheader');
is($st, 0, '--uid: exit status 0') or diag($err);
is($out, <<'EOT', '--uid keeps one user; --noheader drops the header');
2025-11-22 05:35:04.000002000     101     100   1000  /usr/bin/ls      ls -l /tmp
EOT

($out, $err, $st) = run_handler($dir, 'exec-log.pl', '--glob', '/tmp/*', '--noheader');
is($st, 0, '--glob: exit status 0') or diag($err);
is($out, <<'EOT', '--glob matches the executed file');
2025-11-22 05:35:04.000003000     102     100      0  /tmp/x y         x\x09y \x01
EOT

done_testing();
