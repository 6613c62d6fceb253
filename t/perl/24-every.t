#!/usr/bin/perl
# every N on replay runs by event timestamps: the same report whatever
# the machine's speed, once per elapsed period, before the first event
# past it.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 250);	# ~250 ms of events
my $d = tmpdir();
my $script = write_file("$d/every.pl", <<'EOS');
use Vigil;
my ($n, @report, $last_ts) = (0);
on 'raw_syscalls:sys_exit' => sub { $n++; $last_ts = $_[0]->ts };
every 0.05 => sub { push @report, "tick $n " . ($last_ts // 0); $n = 0 };
every 0.1 => sub { push @report, "slow" };
END { print "$_\n" for @report; print "rest $n\n" }
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 0, 'vigild runs every callbacks on replay') or diag $r->{err};

# expected, from the trace's timestamps
my @exits;
{
	my $ts = $x->{first_ts} + 4;
	for my $i (0 .. 249) { $ts += 1_000_000; push @exits, $ts + 500 }
}
my $t0 = $x->{first_ts};
my @want;
my ($n, $last, $k, $k2) = (0, 0, 1, 1);
my @all = map { [$_, 'exit'] } @exits;
for my $ev (@all) {
	my $ts = $ev->[0];
	while (1) {
		my $due = $t0 + $k * 50_000_000;
		my $due2 = $t0 + $k2 * 100_000_000;
		last if $due > $ts && $due2 > $ts;
		if ($due <= $due2) { push @want, "tick $n $last"; $n = 0; $k++ }
		else { push @want, 'slow'; $k2++ }
	}
	$n++;
	$last = $ts;
}
# ticks due at or before the trace's last event (a sched_switch at +700)
while ($t0 + $k * 50_000_000 <= $x->{last_ts} || $t0 + $k2 * 100_000_000 <= $x->{last_ts}) {
	my ($due, $due2) = ($t0 + $k * 50_000_000, $t0 + $k2 * 100_000_000);
	if ($due <= $due2) { push @want, "tick $n $last"; $n = 0; $k++ }
	else { push @want, 'slow'; $k2++ }
}
push @want, "rest $n";
is($r->{out}, join('', map { "$_\n" } @want),
    'callbacks fire in event time: counts per period and order of the two periods');
my $ticks = () = $r->{out} =~ /^tick/mg;
is($ticks, 5, 'a 0.05 s period over 250 ms of events fires 5 times');

my $r2 = run_vigild(trace => $trace, scripts => [$script]);
is($r2->{out}, $r->{out}, 'a second replay prints the same report');

done_testing;
