#!/usr/bin/perl
# Buffer modes.  Flight recorder: old sub-buffers are overwritten, the
# snapshot holds the newest n_subbufs-1 packets of each CPU (their
# packet_seq_num do not start at 0) and babeltrace2 reads it.  Normal
# mode under deliberate overload (tiny buffers, nothing consumed for a
# while): what is lost is counted exactly - the events babeltrace2 reads
# equal the module's written count, and the discarded events babeltrace2
# reports (from events_discarded) equal the module's discarded count.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('buffer mode test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t12-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $wl  = "$root/kmod/tools/bin/vigil-workload";

my $cmd = <<"EOS";
set -e
$cap -o $dir/flight --mode flight --subbuf-size 4096 --n-subbufs 4 -- $wl 20000 0 /x > $dir/flight.capture 2>&1
babeltrace2 $dir/flight > $dir/flight.txt 2> $dir/flight.bterr
$cap -o $dir/over --subbuf-size 4096 --n-subbufs 4 --delay-consume 2 -- $wl --sleep-ms 3000 20000 0 /x > $dir/over.capture 2>&1
babeltrace2 $dir/over > $dir/over.txt 2> $dir/over.bterr
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'both captures and babeltrace2 ran in the VM with a clean kernel log') or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }
sub lines { my ($f) = @_; my $s = slurp($f); return scalar(() = $s =~ /\n/g) }

# packet_seq_num and events_discarded of every packet of a stream file
# (vigil-capture trims each packet to its content: step by packet_size)
sub packets {
    my ($file) = @_;
    my $b = slurp($file);
    my @p;
    for (my $off = 0; $off + 84 <= length $b; ) {
        my ($magic) = unpack('V', substr($b, $off, 4));
        my ($psize) = unpack('Q<', substr($b, $off + 56, 8));
        my ($seq, $disc) = unpack('Q<Q<', substr($b, $off + 64, 16));
        push @p, { magic => $magic, seq => $seq, discarded => $disc };
        last if $psize < 84 * 8;
        $off += $psize / 8;
    }
    return @p;
}

# ---- flight mode --------------------------------------------------------
my $fc = slurp("$dir/flight.capture");
my ($fw, $fd) = $fc =~ /^total: written=(\d+) discarded=(\d+)/m;
ok(defined $fw, 'flight capture printed its totals') or diag($fc);
# packets finished when the snapshot was taken (PAUSE, read, RESUME)
my %produced = $fc =~ /^snapshot cpu (\d+): produced=(\d+) saved=\d+$/mg;
my $overwritten = 0;
for my $f (sort glob("$dir/flight/stream_*")) {
    my ($cpu) = $f =~ /stream_(\d+)$/;
    my @p = packets($f);
    ok(@p <= 3, "cpu $cpu: the snapshot holds at most n_subbufs-1 = 3 packets");
    is(scalar(grep { $_->{magic} != 0xC1FC1FC1 } @p), 0, "cpu $cpu: every saved packet has the CTF magic");
    my @seq = map { $_->{seq} } @p;
    is_deeply(\@seq, [map { $produced{$cpu} - @p + $_ } 0 .. $#p],
        "cpu $cpu: the snapshot is the newest packets, consecutive, ending at produced-1 ($produced{$cpu})");
    $overwritten++ if @seq && $seq[0] > 0;
}
ok($overwritten >= 1, 'flight mode overwrote old packets: a snapshot starts after packet 0');
my $fn = lines("$dir/flight.txt");
ok($fn > 0 && $fn < $fw, "babeltrace2 reads the snapshot ($fn events), fewer than were written ($fw)");
unlike(slurp("$dir/flight.bterr"), qr/ERROR/, 'babeltrace2 reads the flight snapshot without error');

# ---- normal mode, overloaded ----------------------------------------------
my $oc = slurp("$dir/over.capture");
my ($ow, $od) = $oc =~ /^total: written=(\d+) discarded=(\d+)/m;
ok(defined $ow, 'overload capture printed its totals') or diag($oc);
ok($od > 0, "events were discarded under overload ($od)");
is(lines("$dir/over.txt"), $ow, 'babeltrace2 reads exactly the written events');
my $bterr = slurp("$dir/over.bterr");
my $bt_disc = 0;
$bt_disc += $1 while $bterr =~ /discarded (\d+) events?/g;
is($bt_disc, $od, 'the discarded events babeltrace2 reports add up to the module\'s discarded count');
for my $f (sort glob("$dir/over/stream_*")) {
    my ($cpu) = $f =~ /stream_(\d+)$/;
    my @p = packets($f);
    my @seq = map { $_->{seq} } @p;
    is_deeply(\@seq, [0 .. $#p], "cpu $cpu: normal mode loses no packet (sequence 0.." . $#p . ")");
    my ($cd) = $oc =~ /^cpu $cpu: written=\d+ discarded=(\d+)/m;
    is(@p ? $p[-1]{discarded} : 0, $cd, "cpu $cpu: the last packet's events_discarded is the CPU's final discarded count");
}

done_testing;
