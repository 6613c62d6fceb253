#!/usr/bin/perl
# Replay of generated traces through libvigilcore (replay source, k-way
# merge, task table) gives exactly the result the generator expects:
# event and per-class counts, discarded events, and a checksum over
# every event's time, cpu, class and task (tid, pid, ppid, comm) in
# delivery order.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $bin = "$FindBin::Bin/../../daemon/build/tests";
for my $p (qw(gen-trace vg-replay)) {
	unless (-x "$bin/$p") {
		plan tests => 1;
		fail("$bin/$p is built (run: make -C daemon)");
		exit 1;
	}
}

sub slurp { local (@ARGV, $/) = @_; return <> }

my $tmp = tempdir(CLEANUP => 1);
my @cases = (
	[ 'one cpu',                               qw(-c 1 -n 3000) ],
	[ 'four cpus, discarded and lost packets', qw(-c 4 -n 20000 -d 3) ],
	[ 'many cpus, tiny packets',               qw(-c 13 -n 8000 -b 512 -s 7) ],
	[ 'quiet cpus: 64 cpus, few events',       qw(-c 64 -n 500 -s 3) ],
	[ 'big packets',                           qw(-c 2 -n 30000 -b 65536 -d 1 -s 11) ],
);
plan tests => 3 * @cases + 4;

my $i = 0;
for my $c (@cases) {
	my ($name, @args) = @$c;
	my $dir = "$tmp/t$i";
	my $exp = "$tmp/e$i";
	$i++;
	is(system("$bin/gen-trace", '-o', $dir, '-e', $exp, @args), 0,
	   "gen-trace writes the trace: $name");
	my $got = `$bin/vg-replay $dir`;
	is($got, slurp($exp), "replay delivers exactly the generated events in order: $name");
	# as a live source: packets of the CPUs arrive in a random order, the
	# merge runs after each one and must hold events back by watermarks
	my $live = `$bin/vg-replay --live-sim $i $dir`;
	is($live, slurp($exp), "simulated live arrival gives the same order: $name");
}

# A corrupt packet is reported with its file and offset, skipped, and
# everything else still replays.
my $dir = "$tmp/corrupt";
system("$bin/gen-trace", '-o', $dir, '-e', "$tmp/ce", qw(-c 2 -n 4000)) == 0
	or die "gen-trace failed";
my $total = (slurp("$tmp/ce") =~ /^events (\d+)/m)[0];
open my $fh, '+<', "$dir/stream_1" or die "$dir/stream_1: $!";
binmode $fh;
seek $fh, 4096 * 2, 0;
print $fh "\0\0\0\0";			# the magic of packet 2
close $fh;
my $out = `$bin/vg-replay $dir 2>$tmp/cerr`;
my $status = $? >> 8;
my $err = slurp("$tmp/cerr");
is($status, 3, 'vg-replay exits 3 when it met corrupt data');
like($err, qr{\Q$dir\E/stream_1 offset 8192: bad magic 0x00000000 \(want 0xc1fc1fc1\); skipped to the next packet \(4096 bytes\)},
     'the error names the stream file and offset of the bad packet');
my ($n) = $out =~ /^events (\d+)/m;
ok($n < $total && $n > $total - 200, "only the bad packet's events are lost ($n of $total)");

# A directory that is not a trace
my $bad = `$bin/vg-replay $tmp 2>&1`;
like($bad, qr/\Q$tmp\E: not a trace directory \(no metadata file\)/, 'a directory without metadata is refused by name');
