#!/usr/bin/perl
# vigild --source kernel on the host's own tracepoints (no vigil.ko):
# a known workload's syscalls counted exactly, per pid, through the
# derived syscalls:sys_enter_NAME / sys_exit_NAME events as with the
# module; string fields (__data_loc) and signed arguments decoded; the
# process name follows exec.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/count.pl", <<'PL');
use Vigil;
my (%getppid, %ret, %open_ptr, %dfd, %exec, %comm_exit);
on 'syscalls:sys_enter_getppid' => sub { $getppid{ $_[0]{common_pid} }++ };
on 'syscalls:sys_exit_getppid' => sub {
    my $e = shift;
    $ret{ $e->{common_pid} }{ $e->{ret} }++;
};
on 'syscalls:sys_enter_openat' => sub {
    my $e = shift;
    $open_ptr{ $e->{common_pid} }{ $e->{filename} }++;
    $dfd{ $e->{common_pid} }{ $e->{dfd} }++;
};
on 'sched:sched_process_exec' => sub {
    my $e = shift;
    $exec{ $e->{common_pid} } = "$e->{filename} $e->{pid} $e->{old_pid}";
};
on 'sched:sched_process_exit' => sub {
    my $e = shift;
    $comm_exit{ $e->{common_pid} } = $e->{common_comm} if $e->{pid} == $e->{common_pid};
};
END {
    print "getppid $_ $getppid{$_}\n" for sort keys %getppid;
    for my $p (sort keys %ret) {
        print "ret $p $_ $ret{$p}{$_}\n" for sort keys %{ $ret{$p} };
    }
    for my $p (sort keys %open_ptr) {
        my ($max) = sort { $b <=> $a } values %{ $open_ptr{$p} };
        print "openmax $p $max\n";
        print "dfd $p $_ $dfd{$p}{$_}\n" for sort keys %{ $dfd{$p} };
    }
    print "exec $_ $exec{$_}\n" for sort keys %exec;
    print "exitcomm $_ $comm_exit{$_}\n" for sort keys %comm_exit;
}
PL

my @pids;
my $r = live_run(
    scripts => [$script],
    work => sub {
        push @pids, run_workload(1000, 50, '/nonexistent/vigil-kernel-test', '/bin/true');
        push @pids, run_workload(333, 7, '/nonexistent/vigil-kernel-test');
        return 1;
    });
ok($r->{ready}, 'vigild traces the kernel\'s tracepoints') or diag $r->{err};
is($r->{rc}, 0, 'exit 0 after SIGTERM') or diag $r->{err};
like($r->{err}, qr/event source: the kernel's tracepoints \(--source kernel\)/,
     'the log says which source');
like($r->{err}, qr/events the handlers need: .*raw_syscalls:sys_enter/,
     'syscalls:* subscriptions enable raw_syscalls:sys_enter');
unlike($r->{err}, qr/perf record skipped|undecodable: [1-9]/, 'every perf record decoded');
nothing_lost($r);

my ($a, $b) = @pids;
my $out = $r->{out};
like($out, qr/^getppid $a 1000$/m, 'workload 1: exactly 1000 getppid entries');
like($out, qr/^getppid $b 333$/m, 'workload 2: exactly 333 getppid entries');
like($out, qr/^ret $a $$ 1000$/m, '... 1000 exits returning the parent pid (sys_exit_getppid ret)');
like($out, qr/^ret $b $$ 333$/m, '... 333 for workload 2');
unlike($out, qr/^ret $a (?!$$ )/m, '... and no other return value');
like($out, qr/^openmax $a 50$/m, 'workload 1: 50 openat calls with its one path pointer');
like($out, qr/^openmax $b 7$/m, 'workload 2: 7');
like($out, qr/^dfd $a -100 \d+$/m, 'dfd is signed: AT_FDCWD reads -100');
like($out, qr{^exec $a /bin/true $a $a$}m, 'sched_process_exec: __data_loc filename, pid and old_pid');
like($out, qr/^exitcomm $a true$/m, 'the task table renamed the process at exec');
like($out, qr/^exitcomm $b vigil-workload$/m, '... and knew the other by its own name');
like($r->{err}, qr/^.*own events dropped: \d+$/m,
     'vigild\'s own events are dropped in vigild (and counted)');
done_testing();
