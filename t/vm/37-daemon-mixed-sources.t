#!/usr/bin/perl
# vigil.ko and the kernel's own tracepoints in one session, in one time
# order (the VM: the real module, two CPUs).  A handler names
# task:task_newtask, which vigil.ko does not have: vigild reads it
# through perf_event_open beside the module, in lanes of its own, and
# merges both.  Two processes on two CPUs fork 300 children each; every
# fork is, on the parent's thread and in this order,
#     raw_syscalls:sys_enter (clone)      vigil.ko
#     task:task_newtask (the child)       the kernel's tracepoint, in copy_process()
#     sched:sched_process_fork (child)    vigil.ko
#     raw_syscalls:sys_exit (clone = child)  vigil.ko
# and handlers must get exactly that, with timestamps that never go back.
# --record keeps both sources in one trace that babeltrace2 reads and
# vigild --replay runs the handler over with the same output.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigil.ko and kernel tracepoints in one session');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');
-x '/usr/bin/babeltrace2' or BAIL_OUT('babeltrace2 is not installed (scripts/install-deps)');

my $share = tempdir('vigild-vm37-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
my $nr_clone = 56;    # x86_64; perl's fork()
my $forks = 300;

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
Y

# One line per event, in delivery order: time, source of the name, tid.
write_file("$share/mixed.pl", <<"PL");
use strict;
use Vigil;
my \$last = 0;
my \$back = 0;
sub line {
    my (\$e, \$what) = \@_;
    \$back++ if \$e->{common_ts} < \$last;
    \$last = \$e->{common_ts};
    print "\$e->{common_ts} \$e->{common_cpu} \$e->{common_tid} \$what\\n";
}
on 'raw_syscalls:sys_enter', 'id == $nr_clone' => sub { line(\$_[0], 'enter') };
on 'raw_syscalls:sys_exit', 'id == $nr_clone' => sub { line(\$_[0], "exit \$_[0]{ret}") };
on 'task:task_newtask' => sub { line(\$_[0], "newtask \$_[0]{pid} \$_[0]{comm}") };
on 'sched:sched_process_fork' => sub { line(\$_[0], "fork \$_[0]{child_pid}") };
END { print "backwards \$back\\n" }
PL

# Two forkers, each kept on its own CPU.
write_file("$share/workload.pl", <<"PL");
use strict;
my \@forkers;
for my \$cpu (0, 1) {
    my \$pid = fork // die "fork: \$!";
    if (!\$pid) {
        system('taskset', '-pc', \$cpu, \$\$) == 0 or die 'taskset';
        my \@kids;
        for (1 .. $forks) {
            my \$k = fork // die "fork: \$!";
            exit 0 unless \$k;
            push \@kids, \$k;
        }
        waitpid(\$_, 0) for \@kids;
        open my \$fh, '>', "$share/kids.\$\$" or die;
        print \$fh "\$_\\n" for \@kids;
        exit 0;
    }
    push \@forkers, \$pid;
}
waitpid(\$_, 0) for \@forkers;
print "\$_\\n" for \@forkers;
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s \$S/mixed.pl --record \$S/rec >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
perl \$S/workload.pl >\$S/forkers.txt
sleep 1
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
$vigild -c \$S/vigil.yaml --replay \$S/rec -s \$S/mixed.pl >\$S/replay.out 2>\$S/replay.err; echo "replay \$?" >>\$S/rc
babeltrace2 \$S/rec >\$S/bt.txt 2>\$S/bt.err; echo "bt \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 900);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});

my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
my $err = slurp("$share/live.err") // '';
my $out = slurp("$share/live.out") // '';
my $st = slurp("$share/status.txt") // '';
is($rc{live}, 0, 'vigild exits 0') or diag $err;
like($err, qr/from the kernel's tracepoints beside vigil\.ko: task:task_newtask/,
     'vigild says which events come from the kernel beside vigil.ko');
like($st, qr/^source: vigil\.ko \(\/dev\/vigil\) and the kernel's tracepoints/m,
     'vigilctl status names both sources') or diag $st;
like($err, qr/merged events: \d+ \(late: 0\)/, 'no event was delivered after a later one (late: 0)')
    or diag $err;
like($out, qr/^backwards 0$/m, 'the handler saw timestamps that never go back');

my @forkers = (slurp("$share/forkers.txt") // '') =~ /^(\d+)$/mg;
is(scalar @forkers, 2, 'two forkers ran');
my %parent_of;
for my $f (@forkers) {
    $parent_of{$_} = $f for (slurp("$share/kids.$f") // '') =~ /^(\d+)$/mg;
}
is(scalar keys %parent_of, 2 * $forks, "they forked $forks children each");

# Per forker thread, the events in delivery order.
my %seq;
my %cpus;
for (split /\n/, $out) {
    my ($ts, $cpu, $tid, $what) = /^(\d+) (\d+) (\d+) (.*)$/ or next;
    next unless grep { $_ == $tid } @forkers;
    push @{ $seq{$tid} }, $what;
    $cpus{$cpu}++ if $what =~ /^newtask/;
}
my %seen;
my @bad;
for my $f (@forkers) {
    my @s = @{ $seq{$f} || [] };
    for (my $i = 0; $i < @s; $i++) {
        my ($child) = $s[$i] =~ /^newtask (\d+) /;
        next unless $child && ($parent_of{$child} // 0) == $f;
        $seen{$child}++;
        push @bad, "$child: @s[($i > 0 ? $i - 1 : 0) .. ($i + 2 > $#s ? $#s : $i + 2)]"
            unless $i > 0 && $s[$i - 1] eq 'enter' && ($s[$i + 1] // '') eq "fork $child"
                && ($s[$i + 2] // '') eq "exit $child";
    }
}
is(scalar keys %seen, 2 * $forks, 'task:task_newtask (the kernel\'s) for every child, on its parent\'s thread');
is(scalar @bad, 0, 'each between the clone\'s sys_enter and the module\'s sched_process_fork, then the sys_exit returning the child')
    or diag(join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
is(scalar keys %cpus, 2, 'the forks ran on both CPUs') or diag explain \%cpus;

# One trace with both sources.
is($rc{replay}, 0, 'vigild --replay of the recording exits 0') or diag slurp("$share/replay.err");
is(slurp("$share/replay.out"), $out, 'replay gives the handler exactly what it saw live');
is($rc{bt}, 0, 'babeltrace2 reads the recording') or diag slurp("$share/bt.err");
my $bt = slurp("$share/bt.txt") // '';
my $nt = () = $bt =~ /task:task_newtask: /g;
my $fk = () = $bt =~ /sched:sched_process_fork: /g;
cmp_ok($nt, '>=', 2 * $forks, "babeltrace2 shows the kernel's task:task_newtask ($nt)");
cmp_ok($fk, '>=', 2 * $forks, "... and the module's sched:sched_process_fork ($fk)");
my $md = slurp("$share/rec/metadata") // '';
like($md, qr/vigil_source = "module\+kernel";/, 'the metadata names both sources');

done_testing;
