#!/usr/bin/perl
# The task table does not depend on the events the user chose: with
# `events: [raw_syscalls:sys_enter]` vigild still records forks, execs,
# exits, renames and the statedump (and says so), so that a program
# started while tracing has its own name in common_comm, live and on
# replay of the recording (which used to say <unknown>).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/comm.pl", <<'PL');
use Vigil;
my %n;
on 'syscalls:sys_enter_getppid' => sub { $n{"$_[0]{common_pid} $_[0]{common_comm}"}++ };
END { print "$_ $n{$_}\n" for sort keys %n }
PL
my $pid;
my $r = live_run(scripts => [$script],
                 config => "events: [raw_syscalls:sys_enter]\n",
                 opts => ['--record', "$dir/rec"],
                 work => sub { $pid = run_workload(777, 0, '/nonexistent'); 1 });
is($r->{rc}, 0, 'vigild exits 0') or diag $r->{err};
nothing_lost($r);
like($r->{err}, qr/events the task table needs, added: sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit,vigil:statedump_process,vigil:statedump_end/,
     'vigild adds the events the task table needs, and says which') or diag $r->{err};
like($r->{out}, qr/^$pid vigil-workload 777$/m, 'live: the workload\'s 777 calls under its own name')
    or diag $r->{out};
my $md = slurp("$dir/rec/metadata") // '';
like($md, qr/name = "sched:sched_process_exec"/, 'the recording holds the exec events');
my $rp = run_vigild(trace => "$dir/rec", scripts => [$script]);
is($rp->{rc}, 0, 'replay exits 0') or diag $rp->{err};
like($rp->{out}, qr/^$pid vigil-workload 777$/m, 'replay: the same name (not <unknown>)')
    or diag $rp->{out};
# (only the workload's line: on a busy machine another process can call
# getppid, and one that starts or ends while the statedump reads /proc is
# known live from /proc but not from the recording)
done_testing();
