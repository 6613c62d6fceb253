#!/usr/bin/perl
# handlers/wakeup-latency.pl: time from sched_wakeup(_new) to the
# sched_switch that runs the thread, as a histogram and worst cases.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $S = 1_000_000_000;
my $t = new_trace();
$t->task(100, 100, 1, 'main');
$t->task(101, 100, 1, 'worker');
$t->task(102, 100, 1, 'worker');
$t->task(103, 103, 1, 'db');
my $wake = sub {
	my ($ts, $waker, $tid, $comm, $new) = @_;
	$t->event(0, $ts, $waker, $new ? 'sched:sched_wakeup_new' : 'sched:sched_wakeup',
		  comm => $comm, pid => $tid, prio => 120, target_cpu => 1);
};
my $switch = sub {
	my ($ts, $tid, $comm) = @_;
	$t->event(1, $ts, 0, 'sched:sched_switch', prev_comm => 'swapper/1', prev_pid => 0,
		  prev_prio => 120, prev_state => 0, next_comm => $comm, next_pid => $tid, next_prio => 120);
};
$wake->($S, 100, 101, 'worker');
$switch->($S + 3000, 101, 'worker');			# 3 us
$wake->($S + 10000, 100, 102, 'worker');
$switch->($S + 10500, 102, 'worker');			# 0.5 us
$wake->($S + 20000, 0, 103, 'db');
$switch->($S + 20000 + 1_500_000, 103, 'db');		# 1500 us
$switch->($S + 2_000_000, 100, 'main');			# never woken: not counted
$wake->($S + 3_000_000, 100, 105, 'child', 1);
$switch->($S + 3_010_000, 105, 'child');			# 10 us, wakeup_new
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'wakeup-latency.pl');
is($st, 0, 'exit status 0') or diag($err);
is($out, <<'EOT', 'histogram in microseconds and the worst cases, largest first');
wakeup-to-run latency (us):
@:
[0]        1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[1]        0 |                                                  |
[2, 4)     1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)     0 |                                                  |
[8, 16)    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[16, 32)   0 |                                                  |
[32, 64)   0 |                                                  |
[64, 128)  0 |                                                  |
[128, 256) 0 |                                                  |
[256, 512) 0 |                                                  |
[512, 1K)  0 |                                                  |
[1K, 2K)   1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

worst 10:
LATENCY(us)  COMM    TID  CPU     WOKEN AT  WAKER    WAKER PID
   1500.000  db      103    1  1.000020000  swapper          0
     10.000  child   105    1  1.003000000  main           100
      3.000  worker  101    1  1.000000000  main           100
      0.500  worker  102    1  1.000010000  main           100
EOT

($out, $err, $st) = run_handler($dir, 'wakeup-latency.pl', '--per-comm', '--worst', '1', '--unit', 'ns');
is($st, 0, '--per-comm --worst --unit: exit status 0') or diag($err);
is($out, <<'EOT', 'one histogram per command name (most samples first), in ns');
wakeup-to-run latency (ns):
@[worker]:
[256, 512) 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[512, 1K)  0 |                                                  |
[1K, 2K)   0 |                                                  |
[2K, 4K)   1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@[child]:
[8K, 16K)  1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@[db]:
[1M, 2M)   1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

worst 1:
LATENCY(ns)  COMM  TID  CPU     WOKEN AT  WAKER    WAKER PID
    1500000  db    103    1  1.000020000  swapper          0
EOT

($out, $err, $st) = run_handler($dir, 'wakeup-latency.pl', '--comm', 'd?', '--worst', '0');
is($st, 0, '--comm: exit status 0') or diag($err);
is($out, <<'EOT', '--comm (a glob) keeps the threads of matching names; --worst 0 drops the table');
wakeup-to-run latency (us):
@:
[1K, 2K) 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

EOT

done_testing();
