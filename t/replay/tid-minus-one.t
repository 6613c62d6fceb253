#!/usr/bin/perl
# Issue 11 defect 1 (found by fuzzing): a record carrying tid -1 (which
# the merge's per-CPU task cache once used for "empty") was delivered with
# no task, and vigild --replay died of SIGSEGV (status 139) on a
# one-record trace.  Minimal traces: one raw_syscalls:sys_exit record with
# tid -1; and a sched_switch with tid -1 (the merge itself looked at its
# task).  The handler sees the event with tid -1.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use lib "$FindBin::Bin/../lib";
use Test::More;
use VigilTrace qw(metadata record pack_fields write_stream write_file uuid_bytes);
use VigilEvents ();

my $vigild = "$FindBin::Bin/../../daemon/build/vigild";
plan skip_all => "$vigild is not built (make -C daemon)" unless -x $vigild;

my $UUID = '2a6422d0-6cee-11e0-8c08-cb07d7b3a564';
my @EV = map { VigilEvents::event($_) } qw(raw_syscalls:sys_exit sched:sched_switch);

sub trace_with {
	my ($dir, @recs) = @_;
	mkdir $dir or die "$dir: $!";
	write_file("$dir/metadata", metadata(
		aligned => 1, uuid => $UUID,
		types => [qw(uint8_t uint16_t uint32_t uint64_t int32_t int64_t char_t
			     uint64_clock_monotonic_t)],
		env => [hostname => 'tidm1', sysname => 'Linux', kernel_release => '6.1.0-test',
			tracer_name => 'vigil', tracer_major => 1, tracer_minor => 0],
		clock => [name => 'monotonic', freq => 1000000000, offset => 0],
		events => [map { [$_->{name}, $_->{id}, VigilEvents::trace_fields($_->{name})] } @EV]));
	write_stream("$dir/stream_0", cpu => 0, uuid => uuid_bytes($UUID), records => \@recs);
	return $dir;
}

sub rec {
	my ($ev, $ts, $tid, $v) = @_;
	return { ts => $ts, bytes => record($ev->{id}, $ts, $tid,
		pack_fields(VigilEvents::trace_fields($ev->{name}), $v)) };
}

my $tmp = tempdir(CLEANUP => 1);
my $script = write_file("$tmp/seen.pl", <<'PL');
use Vigil;
$| = 1;
on 'raw_syscalls:sys_exit' => sub { my $e = shift; print "exit tid=$e->{common_tid} comm=$e->{common_comm}\n" };
on 'sched:sched_switch' => sub { my $e = shift; print "switch tid=$e->{common_tid} next=$e->{next_pid}\n" };
PL

my %cases = (
	'one sys_exit record with tid -1' => [
		[rec($EV[0], 10, -1, { id => 0, ret => 0 })],
		"exit tid=-1 comm=<unknown>\n"],
	'a sched_switch with tid -1, then a sys_exit with tid -1' => [
		[rec($EV[1], 10, -1, { prev_comm => 'odd', prev_tid => -1, prev_pid => -1,
				       prev_prio => 120, prev_state => 1,
				       next_comm => 'next', next_tid => 100, next_pid => 100,
				       next_prio => 120 }),
		 rec($EV[0], 11, -1, { id => 0, ret => 0 })],
		"switch tid=-1 next=100\nexit tid=-1 comm=odd\n"],
);
my $n = 0;
for my $name (sort keys %cases) {
	my ($recs, $want) = @{ $cases{$name} };
	my $dir = trace_with("$tmp/t" . $n++, @$recs);
	my $out = `$vigild -f -c /dev/null --replay $dir -s $script 2>$tmp/err`;
	my $status = $?;
	is($status >> 8, 0, "$name: vigild --replay exits 0") or diag `cat $tmp/err`;
	is($status & 127, 0, "$name: no signal");
	is($out, $want, "$name: the handler sees the event with tid -1") or diag `cat $tmp/err`;
}
done_testing;
