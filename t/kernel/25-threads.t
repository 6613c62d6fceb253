#!/usr/bin/perl
# The kernel's sched_process_fork does not say whether the child is a
# thread (vigil.ko adds child_tgid): vigild asks /proc, so a thread's
# events carry its process as common_pid, as with the module.
use strict;
use warnings;
use Test::More;
use FindBin;
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $prog = repo_root() . '/kmod/tools/bin/vigil-threads';
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/threads.pl", <<'PL');
use Vigil;
my %seen;
on 'sched:sched_process_fork' => sub {
    my $e = shift;
    $seen{"$e->{child_pid}"} = 1 if $e->{common_comm} eq 'vigil-threads';
};
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    print "thread $e->{common_tid} $e->{common_pid} $e->{common_ppid}\n"
        if $seen{ $e->{common_tid} } && !$seen{"done $e->{common_tid}"}++;
};
PL
my $pid;
my $r = live_run(
    scripts => [$script],
    work => sub {
        open(my $in, '|-', "exec $prog 6 > $dir/threads.out") or die "$prog: $!";
        wait_for(sub { (slurp("$dir/threads.out") // '') =~ /ready/ }, 30);
        sleep 0.5;	# the threads live while vigild delivers the forks
        close $in;
        ($pid) = (slurp("$dir/threads.out") // '') =~ /ready pid=(\d+)/;
        1;
    });
is($r->{rc}, 0, 'exit 0') or diag $r->{err};
nothing_lost($r);
ok($pid, 'vigil-threads ran');
my @t = $r->{out} =~ /^thread (\d+) (\d+) (\d+)$/mg;
my (%tids, $bad);
while (my ($tid, $p, $pp) = splice @t, 0, 3) {
    $tids{$tid} = 1;
    $bad++ if $p != $pid || $tid == $pid || $pp != $$;
}
is(scalar keys %tids, 6, 'six threads seen');
ok(!$bad, "each with the process $pid as common_pid and its parent (this test) as common_ppid")
    or diag $r->{out};
done_testing();
