#!/usr/bin/perl
# --source and source: choose where events come from; auto takes
# vigil.ko when /dev/vigil opens, else the kernel's tracepoints, and the
# log says which and why.  A pure flight recorder (no scripts) on the
# kernel's tracepoints keeps its events in memory and dumps them.
use strict;
use warnings;
use Test::More;
use FindBin;
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $vigild = vigild_path();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $empty = write_file("$dir/empty.yaml", '');

# the option and the key, as --check-config prints them
my ($rc, $out, $err) = run_cmd([$vigild, '-c', $empty, '--check-config']);
like($out, qr/^source: auto$/m, 'default: source auto');
($rc, $out) = run_cmd([$vigild, '-c', $empty, '--source', 'kernel', '--check-config']);
like($out, qr/^source: kernel$/m, '--source kernel');
my $yaml = write_file("$dir/module.yaml", "source: module\n");
($rc, $out) = run_cmd([$vigild, '-c', $yaml, '--check-config']);
like($out, qr/^source: module$/m, 'source: module in the file');
($rc, $out) = run_cmd([$vigild, '-c', $yaml, '--source', 'kernel', '--check-config']);
like($out, qr/^source: kernel$/m, 'the option overrides the file');

# auto
my $count = write_file("$dir/count.pl", <<'PL');
use Vigil;
my $n = 0;
on 'syscalls:sys_enter_getppid' => sub { $n++ if $_[0]{common_comm} eq 'vigil-workload' };
END { print "getppid $n\n" }
PL
my $status = '';
my $r = live_run(source => 'auto', scripts => [$count],
                 work => sub {
                     run_workload(77, 0, '/nonexistent');
                     (undef, $status) = vigilctl($_[0]{sock}, 'status');
                     1;
                 });
if (-e '/dev/vigil') {
    like($r->{err}, qr/event source: vigil\.ko \(\/dev\/vigil\)/, 'auto with /dev/vigil: the module');
    like($r->{err}, qr/^.*source: vigil\.ko \(\/dev\/vigil\)$/m, '... and the status says so');
} else {
    like($r->{err}, qr/vigil\.ko not usable: vigil\.ko is not loaded \(no \/dev\/vigil\); using the kernel's tracepoints/,
         'auto without /dev/vigil: the kernel\'s tracepoints, and why');
    like($r->{err}, qr/^.*source: the kernel's tracepoints \(perf_event_open\)$/m,
         '... and the status says so');
    like($status, qr/^source: the kernel's tracepoints \(perf_event_open\)$/m,
         '... vigilctl status too');
    like($status, qr/^lost by the kernel \(perf ring full\): \d+$/m,
         '... with the lost samples');
}
is($r->{rc}, 0, 'exit 0') or diag $r->{err};
nothing_lost($r);
like($r->{out}, qr/^getppid 77$/m, 'the handler counted the workload exactly');

SKIP: {
    skip '/dev/vigil exists here', 2 if -e '/dev/vigil';
    $r = live_run(source => 'module', scripts => [$count]);
    is($r->{rc}, 1, '--source module without the module: exit 1');
    like($r->{err}, qr/vigil\.ko is not loaded \(no \/dev\/vigil\)/, '... saying so');
}

# a flight recorder (no scripts): history in vigild, dumps from it
my $dump;
$r = live_run(
    opts => ['--events', 'raw_syscalls:sys_enter,sched:sched_process_exec'],
    work => sub {
        my ($run) = @_;
        run_workload(5, 0, '/nonexistent', '/bin/true');
        sleep 0.5;
        my ($rc, $out) = vigilctl($run->{sock}, 'dump', 'flight-test');
        ($dump) = $out =~ m{^(/\S+)$}m;
        wait_for(sub { $dump && -f "$dump/metadata" }, 30);
        1;
    });
is($r->{rc}, 0, 'flight recorder on the kernel\'s tracepoints: exit 0') or diag $r->{err};
like($r->{err}, qr/flight recorder on the kernel's tracepoints: the recent events are kept in vigild's memory/,
     '... it says where the events are kept');
ok($dump && -f "$dump/metadata", '... and vigilctl dump wrote a dump') or diag $r->{err};
my $print = write_file("$dir/exec.pl", <<'PL');
use Vigil;
on 'sched:sched_process_exec' => sub { print "exec $_[0]{filename}\n" };
PL
my $rp = run_vigild(trace => $dump // "$dir/none", scripts => [$print]);
is($rp->{rc}, 0, 'the dump replays') or diag $rp->{err};
like($rp->{out}, qr{^exec /bin/true$}m, '... with the workload\'s exec in it');
done_testing();
