#!/usr/bin/perl
# sched:sched_switch and sched:sched_wakeup from the kernel's own
# tracepoints: their fields decoded by the names of the kernel's format
# files, a known sleep seen as a switch out (state S) and a wakeup of
# the sleeper, and every event handed over in one time order across
# CPUs (the merge of the per-CPU perf rings).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/sched.pl", <<'PL');
use Vigil;
my ($last, $back, $n, %cpus) = (0, 0, 0);
sub order {
    my $e = shift;
    $back++ if $e->{common_ts} < $last;
    $last = $e->{common_ts};
    $cpus{ $e->{common_cpu} } = 1;
    $n++;
}
on 'sched:sched_switch' => sub {
    my $e = shift;
    order($e);
    print "switch $e->{prev_comm} $e->{prev_pid} $e->{prev_state} $e->{prev_prio} ",
          "$e->{next_comm} $e->{next_pid} $e->{next_prio} $e->{common_pid}\n"
        if $e->{prev_comm} eq 'vigil-workload' || $e->{next_comm} eq 'vigil-workload';
};
on 'sched:sched_wakeup' => sub {
    my $e = shift;
    order($e);
    print "wakeup $e->{comm} $e->{pid} $e->{prio} $e->{target_cpu}\n"
        if $e->{comm} eq 'vigil-workload';
};
on 'sched:sched_waking' => sub { order($_[0]) };
END { printf "order %d back %d cpus %d\n", $n, $back, scalar keys %cpus }
PL

# One busy process per CPU keeps the CPUs out of idle while the sleeper
# sleeps: some kernels (the build machines' Firecracker guests, and perf
# record shows the same there) record nothing while a CPU's idle task
# runs, so a wakeup from an interrupt that lands on an idle CPU, and the
# switch from the idle task, would never be seen.
my $ncpu = () = grep { m{/cpu\d+$} } glob('/sys/devices/system/cpu/cpu[0-9]*');
my @spin = map { start_bg(['perl', '-e', 'my $t = time + 60; 1 while time < $t']) } 1 .. ($ncpu || 1);
my @pids;
my $r = live_run(
    scripts => [$script],
    work => sub {
        push @pids, run_workload('--sleep-ms', 300, 0, 0, '/nonexistent') for 1 .. 3;
        return 1;
    });
kill 'KILL', map { $_->{pid} } @spin;
wait_bg($_, 10) for @spin;
ok($r->{ready}, 'vigild traces') or diag $r->{err};
is($r->{rc}, 0, 'exit 0') or diag $r->{err};
nothing_lost($r);
my $out = $r->{out};
for my $pid (@pids) {
    # TASK_INTERRUPTIBLE (1) in nanosleep
    like($out, qr/^switch vigil-workload $pid 1 \d+ \S+ \d+ \d+ $pid$/m,
         "pid $pid switched out asleep (prev_comm, prev_pid, prev_state 1, current task)");
    like($out, qr/^switch \S+ \d+ \d+ \d+ vigil-workload $pid \d+ \d+$/m,
         "... and back in (next_comm, next_pid)");
    my ($cpu) = $out =~ /^wakeup vigil-workload $pid \d+ (\d+)$/m;
    ok(defined $cpu, "... woken (sched_wakeup comm, pid)");
    ok(defined $cpu && $cpu < 4096 && -e "/sys/devices/system/cpu/cpu$cpu",
       '... on a CPU that exists (target_cpu)');
}
my ($n, $back, $cpus) = $out =~ /^order (\d+) back (\d+) cpus (\d+)$/m;
ok($n && $n > 10, "scheduler events delivered ($n)");
is($back, 0, 'in time order: no event earlier than the one before it');
SKIP: {
    skip 'one CPU', 1 if $ncpu < 2;
    cmp_ok($cpus, '>=', 2, "events from several CPUs merged ($cpus)");
}
done_testing();
