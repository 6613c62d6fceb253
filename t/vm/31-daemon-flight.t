#!/usr/bin/perl
# vigild in pure flight mode, in the VM with the real vigil.ko: nothing is
# read while the workload runs and the buffers wrap; `vigilctl dump` and
# SIGUSR1 snapshot the kernel buffers into root-only trace directories
# that babeltrace2 reads and that replay with a handler, holding the most
# recent events complete.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(find_prog need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild flight mode test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigild-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
my $nr_getppid = 110;    # x86_64

write_file("$share/vigil.yaml", "control_socket: $sock\nswitch_interval: 100ms\ndump:\n  rate_limit: 0\n");
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
# Much more than the buffers hold (32 x 64 KiB per CPU), then a marker
# process with a known count just before the dump.
write_file("$share/workload.pl", <<PL);
use strict;
my \$pid = fork // die;
if (!\$pid) { syscall($nr_getppid) for 1 .. 200000; exit 0 }
waitpid(\$pid, 0);
\$pid = fork // die;
if (!\$pid) { syscall($nr_getppid) for 1 .. 333; exit 0 }
waitpid(\$pid, 0);
print "\$pid 333\\n";
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml --mode flight --buffer-size 64KiB --buffers 32 --dump-dir \$S/dumps --events raw_syscalls:sys_exit >\$S/flight.out 2>\$S/flight.err &
V=\$!
waitsock
perl \$S/workload.pl >\$S/marker.txt
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
$vigilctl --socket $sock dump marker seen >\$S/dump1.txt 2>\$S/dump1.err; echo "dump1 \$?" >>\$S/rc
kill -USR1 \$V
sleep 1
$vigilctl --socket $sock stop >/dev/null 2>&1; echo "stop \$?" >>\$S/rc
wait \$V; echo "flight \$?" >>\$S/rc
D=\$(cat \$S/dump1.txt)
babeltrace2 "\$D" >\$S/bt.txt 2>\$S/bt.err; echo "babeltrace2 \$?" >>\$S/rc
$vigild -f -c \$S/vigil.yaml --replay "\$D" -s \$S/count.pl -- $nr_getppid >\$S/replay.out 2>\$S/replay.err; echo "replay \$?" >>\$S/rc
stat -c '%a' "\$D" >\$S/mode.txt
ls \$S/dumps >\$S/dumps.txt
SH

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

is($rc{status}, 0, 'vigilctl status answers in flight mode');
like(slurp("$share/status.txt") // '', qr/flight mode/, '... and says flight mode');
is($rc{dump1}, 0, 'vigilctl dump succeeds') or diag(slurp("$share/dump1.err"));
my $dump = slurp("$share/dump1.txt") // '';
chomp $dump;
like($dump, qr{^\Q$share\E/dumps/vigil-\d{8}-\d{6}(-\d+)?$}, 'it prints the dump\'s path');
ok(-f "$dump/metadata", 'the dump has metadata');
my @streams = grep { !/metadata$/ } glob("$dump/*");
cmp_ok(scalar @streams, '>=', 1, 'the dump has stream files');
is(slurp("$share/mode.txt"), "700\n", 'the dump is readable by root only');
my @dumps = split /\n/, slurp("$share/dumps.txt") // '';
is(scalar @dumps, 2, 'SIGUSR1 wrote a second dump');
is($rc{stop}, 0, 'vigilctl stop succeeds');
is($rc{flight}, 0, 'vigild exits 0') or diag(slurp("$share/flight.err"));
like(slurp("$share/flight.err") // '', qr/reason: marker seen/, 'the dump reason is logged');

is($rc{babeltrace2}, 0, 'babeltrace2 reads the dump') or diag(slurp("$share/bt.err"));
is($rc{replay}, 0, 'vigild --replay runs a handler over the dump') or diag(slurp("$share/replay.err"));
my %want = (slurp("$share/marker.txt") // '') =~ /^(\d+) (\d+)$/mg;
my %got = (slurp("$share/replay.out") // '') =~ /^(\d+) (\d+)$/mg;
my ($marker) = keys %want;
is($got{$marker}, 333, 'the most recent process\'s 333 getppid calls are all in the dump');
my $total = 0;
$total += $_ for values %got;
cmp_ok($total, "<", 200333, 'older events were overwritten (flight mode kept only the newest)');
like(slurp("$share/replay.err") // '', qr/packets/, 'the replay reports its statistics');

done_testing;
