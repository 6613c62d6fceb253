#!/usr/bin/perl
# handlers/syscall-top.pl: per process, calls, errors, time inside the
# calls (enter paired with exit per thread), the longest call and the
# most frequent syscalls; a table per interval, the last one at the end.
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
$t->task(101, 100, 1, 'cat');	# a second thread of process 100
$t->task(200, 200, 1, 'postgres');
# cat: 3 reads of 2 us, one failing; 1 openat of 5 us; its thread: 1 write of 10 us
$t->syscall(0, $S + 1000,  100, 'openat', 5000, 3, dfd => -100, filename => '/etc/passwd');
$t->syscall(0, $S + 10000, 100, 'read', 2000, 100, fd => 3);
$t->syscall(0, $S + 20000, 100, 'read', 2000, 0, fd => 3);
$t->syscall(0, $S + 30000, 100, 'read', 2000, -9, fd => 3);
$t->syscall(1, $S + 15000, 101, 'write', 10000, 5, fd => 1);
# postgres: 2 fsyncs of 3 ms and 1 ms, one pread failing with EINTR
$t->syscall(1, $S + 40000, 200, 'fsync', 3_000_000, 0, fd => 5);
$t->syscall(1, $S + 4_000_000, 200, 'fsync', 1_000_000, 0, fd => 5);
$t->syscall(1, $S + 6_000_000, 200, 'pread64', 1000, -4, fd => 5);
# an exit whose enter came before tracing started: counted, time 0
$t->event(0, $S + 7_000_000, 100, 'raw_syscalls:sys_exit', id => 0, ret => 1);
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'syscall-top.pl', '--interval', '10');
is($st, 0, 'exit status 0') or diag($err);
is($out, <<'EOT', 'one table at the end: calls, errors, time, longest call and top syscalls per process');
syscall-top: 9 syscalls, 2 errors, 2 processes; events 1.000 .. 1.007 s
PID  COMM      CALLS  ERRORS  TIME(ms)  MAX(us)  TOP SYSCALLS
100  cat           6       1     0.021     10.0  read:4 openat:1 write:1
200  postgres      3       1     4.001   3000.0  fsync:2 pread64:1

EOT

($out, $err, $st) = run_handler($dir, 'syscall-top.pl', '--interval', '10', '--sort', 'time', '--top', '1', '--syscalls', '1');
is($st, 0, '--sort time --top 1: exit status 0') or diag($err);
is($out, <<'EOT', '--sort time puts the process with most time in syscalls first; --top and --syscalls limit');
syscall-top: 9 syscalls, 2 errors, 2 processes; events 1.000 .. 1.007 s
PID  COMM      CALLS  ERRORS  TIME(ms)  MAX(us)  TOP SYSCALLS
200  postgres      3       1     4.001   3000.0  fsync:2

EOT

# two bursts 5 s apart with a 2 s interval: two separate tables
my $u = new_trace();
$u->task(300, 300, 1, 'dd');
$u->syscall(0, $S + $_ * 1000, 300, 'read', 100, 512, fd => 0) for 1 .. 3;
$u->syscall(0, 6 * $S + $_ * 1000, 300, 'write', 100, 512, fd => 1) for 1 .. 2;
($out, $err, $st) = run_handler(trace_dir($u), 'syscall-top.pl', '--interval', '2');
is($st, 0, 'intervals: exit status 0') or diag($err);
my @all = grep { /\S/ } split /^syscall-top: /m, $out;
my @tables = grep { !/^0 syscalls/ } @all;
is(scalar @tables, 2, 'two tables with calls: the counts restart after each one') or diag($out);
ok(@all >= 3, 'quiet intervals between them print an empty table (a live display keeps refreshing)');
like($tables[0] // '', qr/^3 syscalls, 0 errors, 1 processes.*\n.*\n300\s+dd\s+3\s+0\s+.*read:3\n/s,
     'the first table has the 3 reads only');
like($tables[1] // '', qr/^2 syscalls, 0 errors, 1 processes.*\n.*\n300\s+dd\s+2\s+0\s+.*write:2\n/s,
     'the second table has the 2 writes only');

# A replay to a terminal keeps every table: no screen clearing (that is
# for a live display only).  script(1) gives vigild a pty as stdout.
SKIP: {
	my $script = -x '/usr/bin/script' ? '/usr/bin/script' : undef;
	if (!$script) {
		fail('script(1) (bsdutils) is installed') if ($ENV{CI} // '') eq 'true';
		skip 'no script(1) to run vigild on a terminal', 4;
	}
	my $vigild = HandlerTest::find_vigild();
	my $cmd = join ' ', map { "'$_'" } $vigild, '-f', '--replay', trace_dir($u),
	    '-s', "$ROOT/handlers/syscall-top.pl", '--', '--interval', '2';
	my $tty = qx{$script -qec "$cmd" /dev/null 2>&1 </dev/null};
	is($?, 0, 'replay on a terminal: exit status 0') or diag $tty;
	like($tty, qr/3 syscalls/, 'it printed the tables') or diag $tty;
	unlike($tty, qr/\e\[2J|\e\[H/, 'without clearing the screen') or diag $tty;
	my $forced = qx{$script -qec "$cmd --clear" /dev/null 2>&1 </dev/null};
	like($forced, qr/\e\[H\e\[2J/, '--clear still clears on replay');
}

($out, $err, $st) = run_handler($dir, 'syscall-top.pl', '--sort', 'name');
isnt($st, 0, 'a bad --sort makes vigild fail');
like($err, qr/--sort must be calls, time or errors, not 'name'/, 'and says why');

# --by-cgroup: rows per cgroup (its path from the trace), with how many
# processes made calls; a task with no cgroup known is "-"
my $c = new_trace();
$c->cgroup(41, '/system.slice/nginx.service');
$c->cgroup(42, '/user.slice');
$c->task(400, 400, 1, 'nginx', 0, 41);
$c->task(401, 401, 400, 'nginx', 0, 41);
$c->task(500, 500, 1, 'bash', 1000, 42);
$c->task(600, 600, 1, 'init');
$c->syscall(0, $S + $_ * 1000, 400, 'read', 100, 1, fd => 0) for 1 .. 3;
$c->syscall(0, $S + 10_000, 401, 'write', 200, -32, fd => 1);
$c->syscall(1, $S + 20_000, 500, 'read', 100, 1, fd => 0);
$c->syscall(1, $S + 30_000, 600, 'close', 100, 0, fd => 3);
($out, $err, $st) = run_handler(trace_dir($c), 'syscall-top.pl', '--interval', '10', '--by-cgroup');
is($st, 0, '--by-cgroup: exit status 0') or diag($err);
is($out, <<'EOT', '--by-cgroup: one row per cgroup path, its processes counted');
syscall-top: 6 syscalls, 1 errors, 3 cgroups; events 1.000 .. 1.000 s
CGROUP                       PROCS  CALLS  ERRORS  TIME(ms)  MAX(us)  TOP SYSCALLS
/system.slice/nginx.service      2      4       1     0.001      0.2  read:3 write:1
-                                1      1       0     0.000      0.1  close:1
/user.slice                      1      1       0     0.000      0.1  read:1

EOT

done_testing();
