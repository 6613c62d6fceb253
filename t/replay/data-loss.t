#!/usr/bin/perl
# Issue 11 defect 8: vigild --replay reports every piece of corrupt or
# lost data with the stream FILE and offset, counts it, and exits 4
# ("replayed, but data was lost or corrupt"; 5 when handlers died too,
# docs/vigild.8.pod).  Minimal crafted traces: one CPU, three packets of
# three sys_exit records (seq 0, 1, 2), each damaged one way:
#   - packet 0's packet_size enlarged over packet 1 (it once swallowed
#     the packets after it silently): cut back, nothing lost;
#   - packet 1's content_size cut by one record (once dropped silently);
#   - packet 1 missing (a sequence-number gap; but not when the next
#     packet's events_discarded grew: the kernel's own counted loss);
#   - packet 2's magic broken; a record with an unknown id in packet 1.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use lib "$FindBin::Bin/../lib";
use Test::More;
use VigilTrace qw(metadata record pack_fields packet write_file uuid_bytes $PACKET_HEADER);
use VigilEvents ();

my $vigild = "$FindBin::Bin/../../daemon/build/vigild";
plan skip_all => "$vigild is not built (make -C daemon)" unless -x $vigild;

my $UUID = '2a6422d0-6cee-11e0-8c08-cb07d7b3a564';
my $EV = VigilEvents::event('raw_syscalls:sys_exit');
my $PSIZE = 256;

sub rec {
	my ($ts, $ret) = @_;
	return { ts => $ts, bytes => record($EV->{id}, $ts, 100,
		pack_fields(VigilEvents::trace_fields($EV->{name}), { id => 0, ret => $ret })) };
}
my $RECLEN = length rec(1, 0)->{bytes};

# packets: seq => [records]
my @PKT = map { my $s = $_; [map { rec(100 * $s + $_, 10 * $s + $_) } 1 .. 3] } 0 .. 2;

sub pkt { my ($seq, $disc) = @_; packet(cpu => 0, seq => $seq, size => $PSIZE, uuid => uuid_bytes($UUID), discarded => $disc // 0, records => $PKT[$seq]) }

sub trace_with {
	my ($dir, $stream) = @_;
	mkdir $dir or die "$dir: $!";
	write_file("$dir/metadata", metadata(
		aligned => 1, uuid => $UUID,
		types => [qw(uint8_t uint16_t uint32_t uint64_t int32_t int64_t char_t
			     uint64_clock_monotonic_t)],
		env => [hostname => 'loss', sysname => 'Linux', kernel_release => '6.1.0-test',
			tracer_name => 'vigil', tracer_major => 1, tracer_minor => 0],
		clock => [name => 'monotonic', freq => 1000000000, offset => 0],
		events => [[$EV->{name}, $EV->{id}, VigilEvents::trace_fields($EV->{name})]]));
	write_file("$dir/stream_0", $stream);
	return $dir;
}

# context field offsets (kmod/vigil_abi.h): after the 32-byte header
my %CTX = (content_size => 48, packet_size => 56, seq => 64);
sub set_u64 { my ($bytes, $at, $v) = @_; substr($bytes, $at, 8) = pack('Q<', $v); $bytes }

my $tmp = tempdir(CLEANUP => 1);
my $script = write_file("$tmp/seen.pl", <<'PL');
use Vigil;
$| = 1;
on 'raw_syscalls:sys_exit' => sub { print "ret=$_[0]{ret}\n" };
PL
my $dying = write_file("$tmp/dies.pl", <<'PL');
use Vigil;
on 'raw_syscalls:sys_exit' => sub { die "no\n" if $_[0]{ret} == 1 };
PL

my $all = join '', map { "ret=$_\n" } 1, 2, 3, 11, 12, 13, 21, 22, 23;
my $p0 = pkt(0);
my $p1 = pkt(1);
my $p2 = pkt(2);
my $bad_id = $p1;
substr($bad_id, $PACKET_HEADER + $RECLEN, 2) = pack('v', 999);

my @cases = (
	['clean', $p0 . $p1 . $p2, 0, $all, []],
	['packet_size of packet 0 enlarged over packet 1',
	 set_u64($p0, $CTX{packet_size}, 2 * $PSIZE * 8) . $p1 . $p2, 4, $all,
	 [qr{stream_0 offset 0: packet_size 512 bytes runs over the packet at offset 256 \(seq 1\)}]],
	['content_size of packet 1 cut by one record',
	 $p0 . set_u64($p1, $CTX{content_size}, ($PACKET_HEADER + 2 * $RECLEN) * 8) . $p2, 4,
	 join('', map { "ret=$_\n" } 1, 2, 3, 11, 12, 21, 22, 23),
	 [qr{stream_0 offset @{[ $PSIZE + $PACKET_HEADER + 2 * $RECLEN ]} \(cpu 0 packet 1, packet offset \d+\): content_size ends here but a record of raw_syscalls:sys_exit \(ts 103\) follows}]],
	['packet 1 missing (seq gap)', $p0 . $p2, 4,
	 join('', map { "ret=$_\n" } 1, 2, 3, 21, 22, 23),
	 [qr{stream_0 offset 256: cpu 0 packet seq 2 follows seq 0: 1 packet missing}]],
	# the kernel's own loss (sub-buffers overwritten, events_discarded
	# grew): in the statistics, not a damaged trace
	['packet 1 missing, discards counted by the kernel', $p0 . pkt(2, 5), 0,
	 join('', map { "ret=$_\n" } 1, 2, 3, 21, 22, 23), []],
	['magic of packet 2 broken', $p0 . $p1 . ("\0" x 4) . substr($p2, 4), 4,
	 join('', map { "ret=$_\n" } 1, 2, 3, 11, 12, 13),
	 [qr{stream_0 offset 512: bad magic}]],
	['unknown event id in packet 1', $p0 . $bad_id . $p2, 4,
	 join('', map { "ret=$_\n" } 1, 2, 3, 11, 21, 22, 23),
	 [qr{stream_0 offset @{[ $PSIZE + $PACKET_HEADER + $RECLEN ]} \(cpu 0 packet 1, packet offset \d+\): unknown event id 999}]],
);
my $n = 0;
for my $c (@cases) {
	my ($name, $stream, $want_status, $want_out, $want_err) = @$c;
	my $dir = trace_with("$tmp/t" . $n++, $stream);
	my $out = `$vigild -f -c /dev/null --replay $dir -s $script 2>$tmp/err`;
	my $status = $?;
	my $err = do { local (@ARGV, $/) = "$tmp/err"; <> };
	is($status & 127, 0, "$name: no signal");
	is($status >> 8, $want_status, "$name: exit status $want_status") or diag $err;
	is($out, $want_out, "$name: the events that are there are delivered");
	like($err, $_, "$name: reported with file and offset") for @$want_err;
	if ($want_status) {
		like($err, qr{vigild: \Q$dir\E: \d+ pieces? of corrupt or lost data}, "$name: counted");
	} else {
		unlike($err, qr{corrupt|lost|missing|skipped}i, "$name: nothing reported");
	}
}

# data lost and a handler died: 5
my $dir = trace_with("$tmp/both", $p0 . $p2);
system("$vigild -f -c /dev/null --replay $dir -s $dying >/dev/null 2>$tmp/err");
is($? >> 8, 5, 'data lost and handlers died: exit status 5') or diag `cat $tmp/err`;
# handlers died alone: still 3
$dir = trace_with("$tmp/died", $p0 . $p1 . $p2);
system("$vigild -f -c /dev/null --replay $dir -s $dying >/dev/null 2>$tmp/err");
is($? >> 8, 3, 'handlers died on an intact trace: exit status 3') or diag `cat $tmp/err`;
done_testing;
