#!/usr/bin/perl
# handlers/failed-syscalls.pl counts failed syscalls (ret -4095..-1) by
# command, pid, syscall and errno name, including kernel-internal codes.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $S = 1_000_000_000;
my $t = new_trace();
$t->task(100, 100, 1, 'nginx');
$t->task(200, 200, 1, 'bash');
$t->syscall(0, $S + $_ * 1000, 100, 'openat', 100, -2, dfd => -100, filename => "/www/$_") for 1 .. 3;
$t->syscall(0, $S + 10000, 100, 'openat', 100, -13, dfd => -100, filename => '/etc/shadow');
$t->syscall(0, $S + 11000, 100, 'openat', 100, 4, dfd => -100, filename => '/www/index');
$t->syscall(1, $S + 12000, 200, 'read', 100, -512, fd => 0);	# ERESTARTSYS
$t->syscall(1, $S + 13000, 200, 'read', 100, -4096, fd => 0);	# not an error code
$t->syscall(1, $S + 14000, 200, 'write', 100, -11, fd => 1);
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'failed-syscalls.pl');
is($st, 0, 'exit status 0') or diag($err);
is($out, <<'EOT', 'failures by process, syscall and errno name, most frequent first');
failed syscalls:
COMM   PID  SYSCALL  ERROR        COUNT
nginx  100  openat   ENOENT           3
bash   200  read     ERESTARTSYS      1
bash   200  write    EAGAIN           1
nginx  100  openat   EACCES           1
EOT

($out, $err, $st) = run_handler($dir, 'failed-syscalls.pl', '--describe', '--top', '2');
is($st, 0, '--describe: exit status 0') or diag($err);
is($out, <<'EOT', '--describe adds the error text; --top limits the rows');
failed syscalls:
COMM   PID  SYSCALL  ERROR        DESCRIPTION                COUNT
nginx  100  openat   ENOENT       No such file or directory      3
bash   200  read     ERESTARTSYS  kernel-internal                1
EOT

($out, $err, $st) = run_handler($dir, 'failed-syscalls.pl', '--comm', 'bash');
is($st, 0, '--comm: exit status 0') or diag($err);
is($out, <<'EOT', '--comm keeps one command name');
failed syscalls:
COMM  PID  SYSCALL  ERROR        COUNT
bash  200  read     ERESTARTSYS      1
bash  200  write    EAGAIN           1
EOT

# --by-cgroup: the cgroup's path (from the trace) instead of command and pid
my $c = new_trace();
$c->cgroup(41, '/system.slice/nginx.service');
$c->task(100, 100, 1, 'nginx', 0, 41);
$c->task(101, 101, 100, 'nginx', 0, 41);
$c->task(200, 200, 1, 'bash');
$c->syscall(0, $S + 1000, 100, 'openat', 100, -2, dfd => -100, filename => '/a');
$c->syscall(0, $S + 2000, 101, 'openat', 100, -2, dfd => -100, filename => '/b');
$c->syscall(1, $S + 3000, 200, 'write', 100, -11, fd => 1);
($out, $err, $st) = run_handler(trace_dir($c), 'failed-syscalls.pl', '--by-cgroup');
is($st, 0, '--by-cgroup: exit status 0') or diag($err);
is($out, <<'EOT', '--by-cgroup: failures of both nginx processes in one row; "-" for an unknown cgroup');
failed syscalls:
CGROUP                       SYSCALL  ERROR   COUNT
/system.slice/nginx.service  openat   ENOENT      2
-                            write    EAGAIN      1
EOT

done_testing();
