#!/usr/bin/perl
# Event objects are reused for speed, yet an object (or an array field)
# a handler keeps stays as it was; handlers that change the hash do not
# corrupt later events.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 50);
my $d = tmpdir();
my $script = write_file("$d/keep.pl", <<'EOS');
use Vigil;
use Scalar::Util qw(refaddr);
my (@kept, @kept_args, %addr, $same, $n);
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	push @kept, $e if $e->{common_tid} == 100;	# keep some, not all
};
on 'raw_syscalls:sys_enter' => sub {
	my $e = shift;
	push @kept_args, $e->{args} if @kept_args < 5;
};
on 'sched:sched_switch' => sub {
	my $e = shift;
	$addr{ refaddr $e }++;
	$n++;
	delete $e->{prev_prio} if $n == 10;	# a handler that edits the hash
	$e->{mine} = 1 if $n == 20;
};
on 'sched:sched_switch' => sub {
	my $e = shift;
	$same++ if exists $e->{prev_prio} && !exists $e->{mine}
	    && $e->{next_prio} == 120;
};
END {
	print "kept ", join(',', map { $_->{ret} } @kept), "\n";
	print "kept_ts ", join(',', map { $_->ts } @kept), "\n";
	print "kept_names ", join(',', map { $_->name } @kept[0, 1]), "\n";
	print "args ", join(',', map { $_->[1] } @kept_args), "\n";
	print "objects ", scalar(keys %addr), "\n";
	print "same $same\n";
}
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 0, 'vigild runs the script') or diag $r->{err};
my %o = map { split / /, $_, 2 } split /\n/, $r->{out};

my @tids = (100, 101, 200);
my (@rets, @ts);
my $ts = $x->{first_ts} + 4;
for my $i (0 .. 49) {
	$ts += 1_000_000;
	next unless $tids[$i % 3] == 100;
	push @rets, $x->{rets}[$i];
	push @ts, $ts + 500;
}
is($o{kept}, join(',', @rets), 'kept event objects keep their own field values');
is($o{kept_ts}, join(',', @ts), '... and their own common fields');
is($o{kept_names}, 'raw_syscalls:sys_exit,raw_syscalls:sys_exit', '... and their name');
is($o{args}, join(',', map { 0x1000 + $_ } 0 .. 4), 'kept array fields keep their values');
ok($o{objects} <= 3, "a handler that keeps nothing gets the same object again (objects made: $o{objects})");
is($o{same}, 48, 'after a handler deleted or added keys, the next events have exactly their fields again');

# assigning to $_[0] cannot pull the object from under vigild
my $clobber = write_file("$d/clobber.pl", <<'EOS');
use Vigil;
my ($n, $ok) = (0, 0);
on 'raw_syscalls:sys_exit' => sub { $n++; $_[0] = 5 if $n % 2 };
on 'raw_syscalls:sys_exit' => sub { $ok++ if ref $_[0] && defined $_[0]{ret} };
END { print "n $n ok $ok errors ", Vigil::stats()->{perl_errors}, "\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$clobber]);
is($r->{rc}, 3, 'a handler assigning to $_[0] does not crash vigild (its error: exit 3)') or diag $r->{err};
like($r->{out}, qr/^n 50 ok 50 errors 25$/m,
    'the assignment dies (counted as an error), every later handler still gets the event');
like($r->{err}, qr/Modification of a read-only value/, 'the error says why');

# common_comm is refilled in place (its 16 bytes copied into the value's
# buffer): copies a handler made (which share the buffer until written),
# a value it changed, made UTF-8 or cut at the front, stay right, and the
# next events have their own task's name.
my $comm = write_file("$d/comm.pl", <<'EOS');
use Vigil;
my (@copies, @ok, $n);
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	$n++;
	my $want = $e->{common_tid} == 200 ? 'cat' : 'bash';
	push @ok, $e->{common_comm} eq $want ? 1 : "$n:$e->{common_comm}";
	push @copies, [$e->{common_comm}, $want];	# a copy of the value
	my $m = $n % 4;
	if ($m == 0) { $e->{common_comm} .= '-changed' }
	elsif ($m == 1) { utf8::decode($e->{common_comm}); $e->{common_comm} .= "\x{263a}" }
	elsif ($m == 2) { substr($e->{common_comm}, 0, 1, '') }
	else { $e->{common_comm} = 12345 }
};
END {
	print "ok ", join(',', grep { $_ ne 1 } @ok) || 'all', " of ", scalar @ok, "\n";
	print "copies ", join(',', map { "$_->[0]/$_->[1]" } grep { $_->[0] ne $_->[1] } @copies) || 'intact', "\n";
}
EOS
$r = run_vigild(trace => $trace, scripts => [$comm]);
is($r->{rc}, 0, 'a handler changing common_comm') or diag $r->{err};
like($r->{out}, qr/^ok all of 50$/m, 'every event has its own task\'s comm, whatever the last handler did to it');
like($r->{out}, qr/^copies intact$/m, 'copies of common_comm made by a handler keep their value');

done_testing;
