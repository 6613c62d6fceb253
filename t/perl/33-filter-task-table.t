#!/usr/bin/perl
# A handler whose C filter rejects most events: the events it rejects are
# only counted (vigild's fast path), while the task table still follows
# every fork, exec and exit between them.  The handler's events carry the
# task as it is at that moment, and every counter is what it would be had
# each event gone through the dispatcher.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;
require VigilTestTrace;

# Process 100 (sh) forks a child per round; the child makes six calls,
# execs halfway, exits, and one more call of its tid follows the exit
# (the task is gone: vigild names it <unknown>).  Child tids come back
# every fourth round, so a tid's earlier task must never be handed out.
# sh itself makes calls on the other CPU throughout.
my $w = VigilTestTrace->new(cpus => 2);
my $ts = 1_000_000_000;
my @calls;	# [tid, pid, ppid, comm, id] of each sys_exit, in time order
my ($events, $n) = (0, 0);
my $ev = sub {
	my (%e) = @_;
	$w->event(%e, ts => $ts++);
	$events++;
};
my $call = sub {
	my ($cpu, $tid, $pid, $ppid, $comm) = @_;
	my $id = $n++ % 8;
	$ev->(cpu => $cpu, tid => $tid, name => 'raw_syscalls:sys_exit', id => $id, ret => 0);
	push @calls, [$tid, $pid, $ppid, $comm, $id];
};
$ev->(cpu => 0, tid => 100, name => 'vigil:statedump_process', pid => 100, ppid => 1,
      comm => 'sh', uid => 0, exe => '/bin/sh');
for my $k (0 .. 39) {
	my $cpu = $k % 2;
	my $tid = 300 + $k % 4;
	$ev->(cpu => $cpu, tid => 100, name => 'sched:sched_process_fork',
	      parent_comm => 'sh', parent_pid => 100, child_comm => 'sh',
	      child_pid => $tid, child_tgid => $tid, child_cgroup_id => 0);
	for my $j (0 .. 2) {
		$call->($cpu, $tid, $tid, 100, 'sh');
		$call->(1 - $cpu, 100, 100, 1, 'sh');
	}
	$ev->(cpu => $cpu, tid => $tid, name => 'sched:sched_process_exec',
	      filename => "/bin/prog$k", pid => $tid, old_pid => $tid, tgid => $tid,
	      ppid => 100, uid => 0, argv => '');
	for my $j (0 .. 2) {
		$call->($cpu, $tid, $tid, 100, "prog$k");
		$call->(1 - $cpu, 100, 100, 1, 'sh');
	}
	$ev->(cpu => $cpu, tid => $tid, name => 'sched:sched_process_exit',
	      comm => "prog$k", pid => $tid, prio => 120, tgid => $tid, exit_code => 0);
	$call->(1 - $cpu, $tid, $tid, 0, '<unknown>');
}
my $d = tmpdir();
$w->write("$d/trace");

my %script = (
	'id == 3' => sub { $_[4] == 3 },
	'common_pid != 100 && id < 2' => sub { $_[1] != 100 && $_[4] < 2 },
	'common_comm == "prog1*"' => sub { $_[3] =~ /^prog1/ },
);
for my $filter (sort keys %script) {
	my $s = write_file("$d/s.pl", <<"EOS");
use Vigil;
my \@seen;
on 'raw_syscalls:sys_exit', '$filter' => sub {
	my \$e = shift;
	push \@seen, join ':', map { \$e->{\$_} } qw(common_tid common_pid common_ppid common_comm id);
};
END {
	print "seen \$_\\n" for \@seen;
	my \$s = Vigil::stats();
	print "\$_ \$s->{\$_}\\n" for qw(perl_events perl_dispatched perl_filtered perl_unhandled);
}
EOS
	my $r = run_vigild(trace => "$d/trace", scripts => [$s]);
	is($r->{rc}, 0, "$filter: vigild runs") or diag $r->{err};
	my @seen = $r->{out} =~ /^seen (.*)$/mg;
	my %o = $r->{out} =~ /^(perl_\w+) (\d+)$/mg;
	my @want = map { join ':', @$_ } grep { $script{$filter}->(@$_) } @calls;
	ok(@want > 10 && @want < @calls / 2, "$filter: rejects most calls (passes " . @want . ')');
	is_deeply(\@seen, \@want, "$filter: the events passed, each with its task of the moment");
	is($o{perl_dispatched}, scalar @want, "$filter: perl_dispatched");
	is($o{perl_filtered}, @calls - @want, "$filter: perl_filtered: every call rejected");
	is($o{perl_events}, $events, "$filter: perl_events: every event");
	is($o{perl_unhandled}, $events - @calls, "$filter: perl_unhandled: statedump, fork, exec, exit");
	my ($all) = $r->{err} =~ /^.*\ball\s+(\d+\s+\d+\s+\d+\s+\d+)\s+\d+\s*$/m;
	is(defined $all ? $all =~ s/\s+/ /gr : 'no status',
	    join(' ', $events, 0, scalar @want, @calls - @want),
	    "$filter: the status: events read, discarded, dispatched, filtered out");
	like($r->{err}, qr/tasks known: 5\b/, "$filter: the table: sh, and the four tids as placeholders again after their exits");
}

done_testing;
