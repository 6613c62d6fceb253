#!/usr/bin/perl
# Pure flight mode with the flight recorder's policies, in the VM with the
# real vigil.ko: after much more activity than the kernel buffers hold,
# `vigilctl dump` snapshots them into a dump whose summary reports the
# packets that were overwritten, holding the most recent events complete
# (babeltrace2 and a replayed handler read it).  A second request inside
# the rate window (vigilctl or SIGUSR1) is refused and counted; with
# max_dumps 2 the third dump removes the oldest.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../dump/lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);
use DumpTrace qw(read_summary);

vm_skip_unless_available('flight mode dump test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigil-flight-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-flight-test/vigild.sock';
my $nr_getppid = 110;    # x86_64

write_file("$share/rate.yaml", "control_socket: $sock\nswitch_interval: 100ms\n"
           . "dump:\n  dir: $share/rate\n  rate_limit: 60s\n");
write_file("$share/keep.yaml", "control_socket: $sock\nswitch_interval: 100ms\n"
           . "dump:\n  dir: $share/keep\n  rate_limit: 0\n  max_dumps: 2\n");
write_file("$share/count.pl", <<'PL');
use strict;
use Vigil;
my $nr = shift @ARGV;
my %n;
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    $n{ $e->{common_pid} }++ if $e->{id} == $nr;
};
END { print "$_ $n{$_}\n" for sort { $a <=> $b } keys %n }
PL
# far more than 8 x 64 KiB per CPU, then a process with a known count
write_file("$share/workload.pl", <<PL);
use strict;
my \$pid = fork // die;
if (!\$pid) { syscall($nr_getppid) for 1 .. 60000; exit 0 }
waitpid(\$pid, 0);
\$pid = fork // die;
if (!\$pid) { syscall($nr_getppid) for 1 .. 333; exit 0 }
waitpid(\$pid, 0);
print "\$pid 333\\n";
PL

my $flight = "--mode flight --buffer-size 64KiB --buffers 8 --events raw_syscalls:sys_exit";
write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
mkdir -p /run/vigil-flight-test

# ---- snapshot, overwritten packets, rate policy ----
$vigild -f -c \$S/rate.yaml $flight >\$S/rate.out 2>\$S/rate.err &
V=\$!
waitsock
perl \$S/workload.pl >\$S/marker.txt
$vigilctl --socket $sock dump after the workload >\$S/dump1.txt 2>\$S/dump1.err; echo "dump1 \$?" >>\$S/rc
$vigilctl --socket $sock dump again >\$S/dump2.txt 2>\$S/dump2.err; echo "dump2 \$?" >>\$S/rc
kill -USR1 \$V
sleep 1
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
$vigilctl --socket $sock stop >/dev/null 2>&1
wait \$V; echo "rate \$?" >>\$S/rc
rm -f $sock
D=\$(cat \$S/dump1.txt)
babeltrace2 "\$D" >/dev/null 2>\$S/bt.err; echo "babeltrace2 \$?" >>\$S/rc
$vigild -f -c \$S/rate.yaml --replay "\$D" -s \$S/count.pl -- $nr_getppid >\$S/replay.out 2>\$S/replay.err; echo "replay \$?" >>\$S/rc

# ---- retention ----
$vigild -f -c \$S/keep.yaml $flight >\$S/keep.out 2>\$S/keep.err &
V=\$!
waitsock
for i in 1 2 3; do
    perl -e 'syscall($nr_getppid) for 1 .. 2000'
    $vigilctl --socket $sock dump "number \$i" >>\$S/keep-paths.txt 2>>\$S/keep-dump.err; echo "keep\$i \$?" >>\$S/rc
    sleep 1.1   # distinct names (one per second)
done
$vigilctl --socket $sock stop >/dev/null 2>&1
wait \$V; echo "keep \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 900);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

is($rc{dump1}, 0, 'vigilctl dump snapshots the kernel buffers') or diag(slurp("$share/dump1.err"));
my $dump = slurp("$share/dump1.txt") // '';
chomp $dump;
ok(-d $dump, 'the dump exists');
is((stat $dump)[2] & 07777, 0700, 'the dump is readable by root only');
my $s = read_summary($dump) // {};
is($s->{reason}, 'after the workload', 'the summary has the reason');
like($s->{source} // '', qr/flight mode snapshot/, 'the summary says it is a kernel buffer snapshot');
cmp_ok($s->{packets_overwritten} // 0, '>', 0,
       'the summary reports packets overwritten before the snapshot');
cmp_ok($s->{events} // 0, '>', 333, 'the summary counts the events');
cmp_ok(abs(($s->{'last_event.ns'} // 0) - ($s->{'trigger.ns'} // 0)), '<', 2e9,
       'the newest event is from the moment of the request (trigger time)');
is($rc{babeltrace2}, 0, 'babeltrace2 reads the snapshot') or diag(slurp("$share/bt.err"));
is($rc{replay}, 0, 'vigild --replay reads it') or diag(slurp("$share/replay.err"));
my %want = (slurp("$share/marker.txt") // '') =~ /^(\d+) (\d+)$/mg;
my %got = (slurp("$share/replay.out") // '') =~ /^(\d+) (\d+)$/mg;
my ($marker) = keys %want;
is($got{$marker // 0}, 333, 'the most recent process\'s 333 calls are all in the snapshot');
my $total = 0;
$total += $_ for values %got;
cmp_ok($total, '<', 60333, 'older events were overwritten');

is($rc{dump2}, 1, 'a second vigilctl dump inside the rate window fails');
like(slurp("$share/dump2.err") // '', qr/suppressed by the rate policy/, '... saying why');
like(slurp("$share/rate.err") // '', qr/dump suppressed by the rate policy \(one per 60 s; .*suppressed so far\): SIGUSR1/,
     'SIGUSR1 inside the rate window is suppressed and logged');
like(slurp("$share/status.txt") // '', qr/^dumps written: 1, failed: 0, suppressed: 2, /m,
     'vigilctl status counts both suppressed requests');
is($rc{rate}, 0, 'vigild exits 0') or diag(slurp("$share/rate.err"));

my @paths = split /\n/, slurp("$share/keep-paths.txt") // '';
is(scalar @paths, 3, 'three dumps without a rate limit') or diag(slurp("$share/keep-dump.err"));
ok(@paths == 3 && !-e $paths[0], 'max_dumps 2: the oldest was removed');
ok(@paths == 3 && -d $paths[1] && -d $paths[2], '... the two newest are kept');
like(slurp("$share/keep.err") // '', qr/retention: removed \Q$paths[0]\E/, 'the removal is logged')
    if @paths;
is($rc{keep}, 0, 'vigild exits 0') or diag(slurp("$share/keep.err"));

done_testing;
