#!/usr/bin/perl
# Flight recorder limits, replayed: an `after` longer than a day is
# refused with the reason; a `before` longer than any history means the
# whole history; with both history bounds 0 nothing is kept before the
# trigger (the dump starts at the packets being delivered then), never
# an unbounded history.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;
use DumpTrace;

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
my $gen = gen_timed_trace("$dir/trace", cpus => 2, seconds => 6,
                          markers => [{ t => 4, cpu => 0 }]);
my $T = $gen->{markers}[0];

sub run_with {
    my ($tag, $yaml, %args) = @_;
    write_file("$dir/$tag.pl", dump_handler_script(%args));
    my $cfg = write_file("$dir/$tag.yaml", "dump:\n  dir: $dir/$tag\n$yaml"
                         . "control_socket: $dir/$tag.sock\n");
    my @r = run_cmd([$vigild, '-f', '-c', $cfg, '--replay', "$dir/trace",
                     '-s', "$dir/$tag.pl"], timeout => 120);
    is($r[0], 0, "$tag: vigild exits 0") or diag $r[2];
    return @r;
}

{
    my (undef, $out) = run_with('long', '', before => 1, after => 86401);
    like($out, qr/^refused dump: after must be at most 86400 seconds \(got 86401\)$/m,
         'after longer than a day is refused, $@ says why');
}
{
    my (undef, $out) = run_with('huge', "  history_time: 60s\n", before => 1e12, after => 0);
    my ($p) = $out =~ /^dump (\S+)$/m;
    my $d = read_trace($p);
    is($d->{events}[0]{ts}, $gen->{events}[0]{ts},
       'a before longer than any history dumps the whole history');
}
{
    my (undef, $out) = run_with('none', "  history_time: 0\n  history_size: 0\n",
                                before => 2, after => 0.5);
    my ($p) = $out =~ /^dump (\S+)$/m;
    my $d = read_trace($p);
    my %first;
    $first{ $_->{cpu} } //= $_->{seq} for @{ $d->{packets} };
    my %want;
    for my $cpu (0, 1) {
        my ($cur) = grep { $_->{te} >= $T } @{ $gen->{packets}{$cpu} };
        # the packet done last before the trigger is the newest kept
        $want{$cpu} = $cur->{seq} - 1;
    }
    cmp_ok($d->{events}[0]{ts}, '>', $T - 2e9,
           'both history bounds 0: nothing from 2 s before the trigger');
    ok($first{0} >= $want{0} && $first{1} >= $want{1},
       '... at most the newest packet of each CPU before the trigger is there');
    ok((grep { $_->{id} == $MARKER_ID } @{ $d->{events} }), '... and the trigger');
    cmp_ok($d->{events}[-1]{ts}, '>=', $T + 0.5e9, '... and the after window');
}
done_testing();
