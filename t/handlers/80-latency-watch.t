#!/usr/bin/perl
# handlers/latency-watch.pl calls Vigil::dump when a syscall or a wakeup
# takes longer than the threshold, for chosen process names or everyone,
# and says what it saw: the dump's path, or why vigild wrote none (its
# rate limit).  On a replay the dump is cut from the replayed trace.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $S = 1_000_000_000;
my $MS = 1_000_000;
my $t = new_trace();
$t->task(100, 100, 1, 'app');
$t->task(101, 100, 1, 'app');
$t->task(200, 200, 1, 'other');
$t->syscall(0, $S, 100, 'read', 250 * $MS, 4096, fd => 3);		# slow
$t->syscall(0, $S + 300 * $MS, 100, 'read', 50 * $MS, 10, fd => 3);	# fast enough
$t->syscall(0, $S + 400 * $MS, 100, 'nanosleep', 2000 * $MS, 0);	# sleeps by design
$t->syscall(0, $S + 2500 * $MS, 100, 'epoll_wait', 1000 * $MS, 0, epfd => 4);	# waits by design
$t->syscall(0, $S + 3600 * $MS, 100, 'fsync', 150 * $MS, 0, fd => 3);	# slow
$t->syscall(1, $S + 100 * $MS, 200, 'read', 300 * $MS, -4, fd => 0);	# slow, other process
$t->event(1, $S + 500 * $MS, 200, 'sched:sched_wakeup', comm => 'app', pid => 101, prio => 120, target_cpu => 1);
$t->event(1, $S + 620 * $MS, 0, 'sched:sched_switch', prev_comm => 'swapper/1', prev_pid => 0,
	  prev_prio => 120, prev_state => 0, next_comm => 'app', next_pid => 101, next_prio => 120);
my $dir = trace_dir($t);

sub triggers {
	my ($out) = @_;
	my @l = split /\n/, $out;
	for (@l) { s/; (?:no dump: .*|dump: .*)\z// or return ("unexpected line: $_") }
	return @l;
}

my ($out, $err, $st) = run_handler($dir, 'latency-watch.pl');
is($st, 0, 'exit status 0') or diag($err);
is_deeply([ triggers($out) ], [
	'1.250000000 latency-watch: read by app (pid 100, tid 100) took 250.000 ms > 100 ms (ret 4096)',
	'1.400000000 latency-watch: read by other (pid 200, tid 200) took 300.000 ms > 100 ms (ret -4)',
	'1.620000000 latency-watch: wakeup of app (tid 101) by other (pid 200) waited 120.000 ms > 100 ms for cpu 1',
	'4.750000000 latency-watch: fsync by app (pid 100, tid 100) took 150.000 ms > 100 ms (ret 0)',
], 'every slow syscall and wakeup above 100 ms triggers, in time order; sleeping syscalls do not') or diag($out);
my @lines = split /\n/, $out;
my ($path) = ($lines[0] // '') =~ /; dump: (\S+)$/;
ok(defined $path && -d $path, 'the first trigger wrote a dump and printed its path') or diag($out);
like($lines[$_] // '', qr/; no dump: .*rate/, "trigger $_ within the rate limit reports why it wrote no dump")
    for 1 .. 3;
SKIP: {
	skip 'babeltrace2 is not installed', 2 unless grep { -x "$_/babeltrace2" } split /:/, $ENV{PATH};
	my $bt = defined $path ? `babeltrace2 '$path' 2>&1` : '';
	is($?, 0, 'babeltrace2 reads the dump') or diag($bt);
	like($bt, qr/raw_syscalls:sys_exit: \{ cpu_id = 0 \}, \{ tid = 100 \}, \{ id = 0, ret = 4096 \}/,
	     "the dump holds the slow read's exit");
}

($out, $err, $st) = run_handler($dir, 'latency-watch.pl', '--comm', 'app', '--no-wakeups', '--threshold-ms', '200');
is($st, 0, '--comm --no-wakeups --threshold-ms: exit status 0') or diag($err);
is_deeply([ triggers($out) ], [
	'1.250000000 latency-watch: read by app (pid 100, tid 100) took 250.000 ms > 200 ms (ret 4096)',
], 'only the named process, only syscalls, only above the threshold') or diag($out);

($out, $err, $st) = run_handler($dir, 'latency-watch.pl', '--syscall', 'nanosleep,epoll_wait', '--threshold-ms', '999.5', '--no-wakeups');
is($st, 0, '--syscall: exit status 0') or diag($err);
is_deeply([ triggers($out) ], [
	'3.400000000 latency-watch: nanosleep by app (pid 100, tid 100) took 2000.000 ms > 999.5 ms (ret 0)',
	'4.500000000 latency-watch: epoll_wait by app (pid 100, tid 100) took 1000.000 ms > 999.5 ms (ret 0)',
], '--syscall watches just those, even ones ignored by default') or diag($out);

($out, $err, $st) = run_handler($dir, 'latency-watch.pl', '--no-wakeups', '--ignore', '', '--threshold-ms', '1500');
is($st, 0, "--ignore '': exit status 0") or diag($err);
is_deeply([ triggers($out) ], [
	'3.400000000 latency-watch: nanosleep by app (pid 100, tid 100) took 2000.000 ms > 1500 ms (ret 0)',
], "--ignore '' watches every syscall") or diag($out);

# A thread that exits inside a syscall never returns from it; a later
# thread reusing its id must not inherit its start time.
for my $exits (1, 0) {
	my $u = new_trace();
	$u->task(300, 300, 1, 'w');
	$u->syscall(0, $S, 300, 'read', undef, undef, fd => 0);
	$u->event(0, $S + 100 * $MS, 300, 'sched:sched_process_exit', comm => 'w', pid => 300,
		  prio => 120, tgid => 300, exit_code => 0) if $exits;
	$u->event(0, $S + 5000 * $MS, 300, 'raw_syscalls:sys_exit', id => 0, ret => 1);
	($out, $err, $st) = run_handler(trace_dir($u), 'latency-watch.pl', '--no-wakeups');
	is($st, 0, "thread exit test ($exits): exit status 0") or diag($err);
	if ($exits) {
		is($out, '', 'state of an exited thread is forgotten: no trigger for a reused thread id');
	} else {
		like($out, qr/read by w \(pid 300, tid 300\) took 5000\.000 ms/,
		     'control: without the exit event the unmatched exit would trigger');
	}
}

($out, $err, $st) = run_handler($dir, 'latency-watch.pl', '--threshold-ms', '0');
isnt($st, 0, 'a zero threshold makes vigild fail');
like($err, qr/--threshold-ms must be > 0, not 0/, 'and says why');

# --stacks asks for callchains (Vigil::stacks); a replayed trace has them
# or not (this one has none): the same triggers.  Live, with callchains:
# t/kernel/66-latency-watch-stacks.t (host), t/vm/51 (vigil.ko).
my ($plain) = run_handler($dir, 'latency-watch.pl', '--no-wakeups');
($out, $err, $st) = run_handler($dir, 'latency-watch.pl', '--no-wakeups', '--stacks');
is($st, 0, '--stacks on a replay: exit status 0') or diag($err);
is([ triggers($out) ]->[0], [ triggers($plain) ]->[0], '... the same triggers');
($out, $err, $st) = run_handler($dir, 'latency-watch.pl', '--stacks=sched:no_such');
isnt($st, 0, '--stacks naming an event the trace lacks makes vigild fail');
like($err, qr/Vigil::stacks: no event sched:no_such/, 'and says which');

done_testing();
