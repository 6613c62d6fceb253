#!/usr/bin/perl
# Flight recorder, replayed: a handler that sees a marker event calls
# Vigil::dump(before => 2, after => 1).  The dump is a CTF trace
# directory that babeltrace2 and vigild --replay read, it holds exactly
# the whole packets reaching into [trigger - 2 s, trigger + 1 s] (so every
# event of that window, the marker among them), it is root-only, its
# summary says what it holds, and replaying the same trace again writes
# the same dump.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use POSIX qw(strftime);
use Test::More;
use VigildRun;
use DumpTrace;

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
my $gen = gen_timed_trace("$dir/trace", cpus => 2, seconds => 10,
                          markers => [{ t => 6.0, cpu => 1 }]);
my $T = $gen->{markers}[0];
my ($lo, $hi) = ($T - 2e9, $T + 1e9);
write_file("$dir/dump.pl", dump_handler_script(before => 2, after => 1));

sub run_replay {
    my ($dumps) = @_;
    my $cfg = write_file("$dir/vigil-$dumps.yaml",
        "dump:\n  dir: $dir/$dumps\n  history_time: 60s\n"
        . "control_socket: $dir/sock-$dumps\n");
    return run_cmd([$vigild, '-f', '-c', $cfg, '--replay', "$dir/trace",
                    '-s', "$dir/dump.pl"], timeout => 120);
}

my ($rc, $out, $err) = run_replay('dumps');
is($rc, 0, 'vigild --replay with a dumping handler exits 0') or diag $err;
like($out, qr/^events ${\ scalar @{ $gen->{events} }}$/m,
     'every event still reaches the handler');
my ($path) = $out =~ /^dump (\S+)$/m;
ok(defined $path, 'Vigil::dump returned a path') or diag $out;
my $name = 'vigil-' . strftime('%Y%m%d-%H%M%S', gmtime(($T + $gen->{offset_ns}) / 1e9));
is($path, "$dir/dumps/$name",
   'the dump is named after the trigger event\'s wall-clock time (UTC)');
ok(-d $path, 'the dump directory exists');
like($err, qr/dump complete: \Q$path\E \(\d+ events/, 'completion is logged');
is((stat "$dir/dumps")[2] & 07777, 0700, 'the dump directory is mode 0700');
is((stat $path)[2] & 07777, 0700, 'the dump is mode 0700');
opendir my $dh, $path or die;
my @files = sort grep { !/^\.\.?$/ } readdir $dh;
is_deeply(\@files, ['.vigil-dump.yaml', 'metadata', 'stream_0', 'stream_1'],
          'the dump holds metadata, one stream per CPU and the hidden summary');
is(scalar(grep { ((stat "$path/$_")[2] & 0777) != 0600 } @files), 0,
   'every file of the dump is mode 0600');
opendir $dh, "$dir/dumps" or die;
is_deeply([sort grep { !/^\.\.?$/ } readdir $dh], [$name],
          'nothing else is left in the dump directory (no temporary names)');

# ---- what it holds -------------------------------------------------------
my $d = read_trace($path);
my @got_packets = map { "$_->{cpu}:$_->{seq}" } @{ $d->{packets} };
is_deeply(\@got_packets, expected_packets($gen, $lo, $hi),
          'the dump holds exactly the whole packets reaching into [T-2s, T+1s]');
my %in_dump = map { ("$_->{cpu}:$_->{ts}" => 1) } @{ $d->{events} };
my @window = grep { $_->{ts} >= $lo && $_->{ts} <= $hi } @{ $gen->{events} };
is(scalar(grep { !$in_dump{"$_->{cpu}:$_->{ts}"} } @window), 0,
   'every event of the window is in the dump (' . scalar(@window) . ' events)');
ok((grep { $_->{id} == $MARKER_ID && $_->{ts} == $T } @{ $d->{events} }),
   'the trigger (marker) event is in the dump');
cmp_ok($d->{events}[0]{ts}, '<=', $lo, 'its first event is at least 2 s before the trigger');
cmp_ok($d->{events}[-1]{ts}, '>=', $hi, 'its last event is at least 1 s after the trigger');
cmp_ok($d->{events}[-1]{ts}, '<', $hi + 0.5e9, '... and not much later (packets are whole)');
my $size = 0;
$size += $_->{size} for @{ $d->{packets} };
is($size, (-s "$path/stream_0") + (-s "$path/stream_1"), 'the stream files are whole packets');

# ---- summary ---------------------------------------------------------------
my $s = read_summary($path);
ok($s, 'the summary .vigil-dump.yaml is there');
is($s->{reason}, "marker at $T", 'summary: the reason the handler gave');
is($s->{'trigger.ns'}, $T, 'summary: trigger time (trace clock ns) is the marker event\'s');
is($s->{'trigger.wall_ns'}, $T + $gen->{offset_ns}, 'summary: trigger wall-clock ns');
like($s->{'trigger.wall'}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
     'summary: trigger wall-clock time as ISO 8601');
is($s->{host}, 'dumphost', 'summary: host from the trace');
is($s->{kernel_release}, '6.1.0-dumptest', 'summary: kernel release from the trace');
is($s->{events}, scalar @{ $d->{events} }, 'summary: event count');
is($s->{'first_event.ns'}, $d->{events}[0]{ts}, 'summary: time of the first event');
is($s->{'last_event.ns'}, $d->{events}[-1]{ts}, 'summary: time of the last event');
my $disc = 0;
my %by_cpu;
push @{ $by_cpu{$_->{cpu}} }, $_ for @{ $d->{packets} };
$disc += $_->[-1]{disc} - $_->[0]{disc} for values %by_cpu;
cmp_ok($disc, '>', 0, 'the window holds packets reporting discarded events');
is($s->{events_discarded}, $disc, 'summary: events the kernel discarded within the dump');
is($s->{packets_lost}, 0, 'summary: no packet sequence gaps');
is($s->{before_s}, 2, 'summary: before');
is($s->{after_s}, 1, 'summary: after');

# ---- readers ------------------------------------------------------------------
SKIP: {
    skip 'babeltrace2 not installed', 2 unless -x '/usr/bin/babeltrace2';
    my ($brc, $bout, $berr) = run_cmd(['babeltrace2', $path]);
    is($brc, 0, 'babeltrace2 reads the dump') or diag $berr;
    is(scalar(() = $bout =~ /raw_syscalls:sys_exit/g), scalar @{ $d->{events} },
       'babeltrace2 sees every event of the dump');
}
write_file("$dir/count.pl", <<'PL');
use Vigil;
my ($n, $m) = (0, 0);
on 'raw_syscalls:sys_exit' => sub { $n++; $m++ if $_[0]{id} == 999 };
END { print "replayed $n markers $m\n" }
PL
($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', "$dir/vigil-dumps.yaml",
                             '--replay', $path, '-s', "$dir/count.pl"]);
is($rc, 0, 'vigild --replay reads the dump') or diag $err;
like($out, qr/^replayed ${\ scalar @{ $d->{events} }} markers 1$/m,
     'the replayed dump delivers all its events, the marker once');

# ---- the same trace replayed again: the same dump ------------------------------
my ($rc2, $out2, $err2) = run_replay('dumps2');
is($rc2, 0, 'a second replay exits 0') or diag $err2;
is(-d "$dir/dumps2/$name" ? 1 : 0, 1, 'a second replay names its dump the same');
for my $f (qw(metadata stream_0 stream_1)) {
    is(slurp("$dir/dumps2/$name/$f"), slurp("$path/$f"), "... with identical $f");
}

done_testing();
