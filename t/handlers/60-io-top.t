#!/usr/bin/perl
# handlers/io-top.pl: bytes read and written per process and per file,
# files found by following descriptors through open, dup, close and fork.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $S = 1_000_000_000;
my $t = new_trace();
$t->task(100, 100, 1, 'cat');
$t->task(300, 300, 1, 'sh');
my $ts = $S;
my $sc = sub { my ($cpu, $tid, $name, $ret, %a) = @_; $t->syscall($cpu, $ts += 1000, $tid, $name, 500, $ret, %a) };
$sc->(0, 100, 'openat', 3, dfd => -100, filename => '/data/a');
$sc->(0, 100, 'read', 4096, fd => 3, count => 4096);
$sc->(0, 100, 'read', 100, fd => 3, count => 4096);
$sc->(0, 100, 'dup', 4, fildes => 3);
$sc->(0, 100, 'read', 50, fd => 4, count => 4096);
$sc->(0, 100, 'close', 0, fd => 3);
$sc->(0, 100, 'read', -9, fd => 3, count => 4096);	# EBADF: no bytes
$sc->(0, 100, 'read', 0, fd => 4, count => 4096);	# end of file: no bytes
$sc->(0, 100, 'write', 200, fd => 1, count => 200);	# opened before tracing
$sc->(1, 300, 'openat', 5, dfd => -100, filename => '/log');
$t->event(1, $ts += 1000, 300, 'sched:sched_process_fork', parent_comm => 'sh', parent_pid => 300,
	  child_comm => 'sh', child_pid => 301, child_tgid => 301);
$sc->(1, 300, 'write', 10, fd => 5, count => 10);
$sc->(1, 301, 'write', 1000, fd => 5, count => 1000);	# inherited from the parent
$sc->(1, 301, 'writev', 24, fd => 5, vec => 0, vlen => 2);
$sc->(1, 301, 'pread64', 7, fd => 5, count => 7, pos => 0);
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'io-top.pl', '--interval', '100');
is($st, 0, 'exit status 0') or diag($err);
is($out, <<'EOT', 'per process and per file, most bytes first');
io-top: by process
PID  COMM  READ  WRITE
100  cat   4246    200
301  sh       7   1024
300  sh       0     10
io-top: by file
READ  WRITE  FILE
4246      0  /data/a
   7   1034  /log
   0    200  <pid 100 fd 1>

EOT

($out, $err, $st) = run_handler($dir, 'io-top.pl', '--interval', '100', '--top', '1', '--human');
is($st, 0, '--top --human: exit status 0') or diag($err);
is($out, <<'EOT', '--top limits both tables, --human uses K/M/G');
io-top: by process
PID  COMM  READ  WRITE
100  cat   4.1K    200
io-top: by file
READ  WRITE  FILE
4.1K      0  /data/a

EOT

($out, $err, $st) = run_handler($dir, 'io-top.pl', '--interval', '100', '--comm', 'c*');
is($st, 0, '--comm: exit status 0') or diag($err);
is($out, <<'EOT', '--comm (a glob) counts only matching processes');
io-top: by process
PID  COMM  READ  WRITE
100  cat   4246    200
io-top: by file
READ  WRITE  FILE
4246      0  /data/a
   0    200  <pid 100 fd 1>

EOT

done_testing();
