#!/usr/bin/perl
# latency-watch --stacks on the kernel's tracepoints: a read that sleeps
# 300 ms on an empty pipe triggers a dump, and the dump carries the
# kernel stacks of sched:sched_switch: babeltrace2 reads it, and
# print.pl on it shows where the reader slept (pipe_read, then the
# scheduler).
use strict;
use warnings;
use Test::More;
use FindBin;
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my ($bt) = grep { -x } map { "$_/babeltrace2" } split /:/, $ENV{PATH};
$bt //= 'babeltrace2';
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $wl = "$dir/slowread";
system('cp', $^X, $wl) == 0 or die "cp $^X: $?";

my $wpid;
my $r = live_run(
    scripts => ['latency-watch'],
    args => ['--syscall', 'read', '--comm', 'slowread', '--threshold-ms', '200', '--no-wakeups',
             '--before', '2', '--after', '0.2', '--max-dumps', '1', '--stacks'],
    work => sub {
        $wpid = fork // die "fork: $!";
        if (!$wpid) {
            exec $wl, '-e', 'pipe(my $r, my $w) or die; if (my $p = fork) { '
                . 'sysread($r, my $b, 1); waitpid($p, 0); sleep 1 } '
                . 'else { select(undef, undef, undef, 0.3); syswrite($w, "x"); exit 0 }';
            die "exec: $!";
        }
        waitpid($wpid, 0);
        sleep 1;
        1;
    });
is($r->{rc}, 0, 'latency-watch --stacks live: exit 0') or diag $r->{err};
like($r->{err}, qr/sched:sched_switch: sampled with its callchain/,
     'sched:sched_switch is sampled with its callchain');
my ($dump) = $r->{out} =~ /latency-watch: read by slowread \(pid $wpid, tid $wpid\) took [\d.]+ ms > 200 ms \(ret 1\); dump: (\S+)/;
ok($dump && -d $dump, 'the slow read triggered a dump') or diag $r->{out};

my ($rc, $out, $err) = run_cmd([$bt, $dump // '/nonexistent'], timeout => 300);
is($rc, 0, 'babeltrace2 reads the dump') or diag $err;
like($out, qr/sched:sched_switch: \{ cpu_id = \d+ \}, \{ tid = $wpid \}, \{ prev_comm = "slowread", prev_pid = $wpid, .*vigil_callchain_depth = [1-9]\d*, vigil_callchain = \[/,
     '... with the switch of the reader and its callchain');

my $rp = run_vigild(trace => $dump // '/nonexistent', scripts => ['print'],
                    args => ['--events', 'sched:sched_switch', '--comm', 'slowread']);
is($rp->{rc}, 0, 'print.pl on the dump: exit 0') or diag $rp->{err};
my @blocks = $rp->{out} =~ /^ +slowread +$wpid .*: sched:sched_switch: prev_comm=slowread prev_pid=$wpid .*\n((?:\t.*\n)+)/mg;
ok(@blocks, 'print.pl shows the reader\'s switches with their frames') or diag $rp->{out};
ok((grep { /\t *[0-9a-f]+ \w*pipe_read\+0x[0-9a-f]+ \(\[kernel\.kallsyms\]\)\n/ && /schedule/ } @blocks),
   '... one of them where it slept: the scheduler called from pipe_read')
    or diag join "\n", @blocks;

# the dump stores the kernel symbols of its callchains: read as if on
# another boot, print.pl names the kernel frames from them; without
# them, addresses only
ok(-s "$dump/.vigil-symbols", 'the dump stores its callchains\' kernel symbols (.vigil-symbols)');
for my $with (1, 0) {
    my $other = "$dir/other$with";
    mkdir $other or die "mkdir: $!";
    (my $md = slurp("$dump/metadata") // '') =~
        s/vigil_boot_id = "[^"]*"/vigil_boot_id = "00000000-0000-0000-0000-000000000000"/;
    write_file("$other/metadata", $md);
    system('cp', glob("$dump/stream_*"), $other) == 0 or die "cp: $?";
    system('cp', "$dump/.vigil-symbols", $other) == 0 or die "cp: $?" if $with;
    $rp = run_vigild(trace => $other, scripts => ['print'],
                     args => ['--events', 'sched:sched_switch', '--comm', 'slowread']);
    is($rp->{rc}, 0, "print.pl on the dump as on another boot, " . ($with ? 'with' : 'without') . ' its symbols: exit 0')
        or diag $rp->{err};
    my @b = $rp->{out} =~ /^ +slowread +$wpid .*: sched:sched_switch: prev_comm=slowread prev_pid=$wpid .*\n((?:\t.*\n)+)/mg;
    if ($with) {
        ok((grep { /\t *[0-9a-f]+ \w*pipe_read\+0x[0-9a-f]+ \(\[kernel\.kallsyms\]\)\n/ } @b),
           '... the kernel frames named from the stored symbols') or diag join "\n", @b;
    } else {
        ok(@b && !grep({ /\+0x/ } @b), '... addresses only') or diag join "\n", @b;
    }
}
done_testing();
