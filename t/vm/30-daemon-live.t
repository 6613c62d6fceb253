#!/usr/bin/perl
# vigild live, in the VM with the real vigil.ko:
#  - a workload with known numbers of getppid() calls per process gives
#    exactly those counts in a Perl handler;
#  - vigilctl status answers while tracing; SIGTERM drains the buffers,
#    runs the END callbacks and exits 0;
#  - the same handler on --replay of the trace recorded in that run
#    (--record) prints identical output, and babeltrace2 reads the trace;
#  - a handler that dies on every 10th event leaves the daemon running,
#    with an error count of exactly a tenth of the events dispatched;
#    started without --events, vigild enables only what that handler
#    subscribes to (plus task tracking and vigil's own events).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(find_prog need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild live test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigild-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
my $nr_getppid = 110;    # x86_64

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
buffer:
  size: 256KiB
  count: 16
Y

write_file("$share/count.pl", <<'PL');
use strict;
use Vigil;
my $nr = shift @ARGV;
my %n;
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    $n{ $e->{common_pid} }++ if $e->{id} == $nr;
};
END {
    print "$_ $n{$_}\n" for sort { $a <=> $b } keys %n;
    print "END ran\n";
}
PL

write_file("$share/die10.pl", <<'PL');
use strict;
use Vigil;
my $i = 0;
on 'raw_syscalls:sys_exit' => sub { die "every tenth\n" if ++$i % 10 == 0 };
END { print "handled $i\n" }
PL

# Children each make a known number of getppid() calls.
write_file("$share/workload.pl", <<PL);
use strict;
my \@n = (1000, 2500, 4000, 777);
my \@kids;
for my \$n (\@n) {
    my \$pid = fork // die "fork: \$!";
    if (!\$pid) { syscall($nr_getppid) for 1 .. \$n; exit 0 }
    push \@kids, [\$pid, \$n];
}
waitpid(\$_->[0], 0) for \@kids;
print "\$_->[0] \$_->[1]\\n" for \@kids;
PL

# The same spread over a few seconds, for reloads in the middle of it.
write_file("$share/slow-workload.pl", <<PL);
use strict;
my \@kids;
for my \$k (1 .. 3) {
    my \$pid = fork // die "fork: \$!";
    if (!\$pid) {
        for (1 .. 30) { syscall($nr_getppid) for 1 .. 50; select(undef, undef, undef, 0.1) }
        exit 0;
    }
    push \@kids, \$pid;
}
waitpid(\$_, 0) for \@kids;
print "\$_ 1500\n" for \@kids;
PL

my $events = 'raw_syscalls:sys_exit,sched:sched_process_fork,sched:sched_process_exec,'
           . 'sched:sched_process_exit,vigil:statedump_process,vigil:statedump_end';
write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s \$S/count.pl --events $events --record \$S/rec -- $nr_getppid >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
$vigilctl --socket $sock status >\$S/status1.txt 2>&1; echo "status1 \$?" >>\$S/rc
perl \$S/workload.pl >\$S/expected.txt
sleep 3
$vigilctl --socket $sock status >\$S/status2.txt 2>&1; echo "status2 \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
$vigild -f -c \$S/vigil.yaml --replay \$S/rec -s \$S/count.pl -- $nr_getppid >\$S/replay.out 2>\$S/replay.err; echo "replay \$?" >>\$S/rc
babeltrace2 \$S/rec >\$S/bt.txt 2>\$S/bt.err; echo "babeltrace2 \$?" >>\$S/rc

$vigild -f -c \$S/vigil.yaml -s \$S/die10.pl -- >\$S/die.out 2>\$S/die.err &
V=\$!
waitsock
perl \$S/workload.pl >/dev/null
sleep 1
$vigilctl --socket $sock status >\$S/status3.txt 2>&1; echo "status3 \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "die \$?" >>\$S/rc

$vigild -f -c \$S/vigil.yaml -s \$S/count.pl --events raw_syscalls:sys_exit -- $nr_getppid >\$S/reload.out 2>\$S/reload.err &
V=\$!
waitsock
perl \$S/slow-workload.pl >\$S/expected2.txt &
W=\$!
sleep 1
kill -HUP \$V
sleep 1
kill -HUP \$V
wait \$W
sleep 1
kill -TERM \$V; wait \$V; echo "reload \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});

my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
is($rc{status1}, 0, 'vigilctl status answers while tracing live');
my $st1 = slurp("$share/status1.txt") // '';
like($st1, qr/^vigild \d+: live, normal mode/m, '... and says it is live') or diag $st1;
like($st1, qr/^0\s+\d+/m, '... with a row per CPU');
# (the task table's task:task_rename and cgroup:cgroup_attach_task are
# added to an explicit list)
like($st1, qr/^events: \Q$events\E,task:task_rename,cgroup:cgroup_attach_task; kprobes: 0$/m,
     '... the events enabled, with what the task table needs added');
like($st1, qr/^buffers: 16 x 256 KiB per CPU, switch every 100 ms$/m, '... and the buffers');

is($rc{live}, 0, 'SIGTERM: vigild exits 0') or diag(slurp("$share/live.err"));
my $live = slurp("$share/live.out") // '';
like($live, qr/^END ran$/m, 'SIGTERM ran the END callbacks');
my $err = slurp("$share/live.err") // '';
like($err, qr/stopping: SIGTERM/, 'the log says SIGTERM stopped it');
like($err, qr/cpu\s+events_read\s+discarded/, 'statistics were logged at exit');
like($err, qr/trace recorded in \Q$share\E\/rec/, 'the --record trace was written');

my %want = (slurp("$share/expected.txt") // '') =~ /^(\d+) (\d+)$/mg;
is(scalar keys %want, 4, 'the workload ran its four processes');
my %got = $live =~ /^(\d+) (\d+)$/mg;
for my $pid (sort keys %want) {
    is($got{$pid}, $want{$pid}, "process $pid: exactly $want{$pid} getppid exits seen by the handler");
}
my $st2 = slurp("$share/status2.txt") // '';
like($st2, qr/^all\s+\d+\s+0\s/m, 'the kernel discarded no events') or diag $st2;
my $sum_live = 0;
$sum_live += $_ for values %want;
my ($disp2) = $st2 =~ /^all\s+\d+\s+\d+\s+(\d+)\s/m;
cmp_ok($disp2 // 0, '>=', $sum_live,
       'events reach the handlers while tracing runs (seconds after the workload, not at the stop)');

is($rc{replay}, 0, '--replay of the recorded trace exits 0') or diag(slurp("$share/replay.err"));
my $replay = slurp("$share/replay.out") // '';
is($replay, $live, 'the handler prints identical output on --replay of the recorded trace');
is($rc{babeltrace2}, 0, 'babeltrace2 reads the recorded trace') or diag(slurp("$share/bt.err"));
my $bt_exits = () = (slurp("$share/bt.txt") // '') =~ /raw_syscalls:sys_exit: .*\{ id = $nr_getppid,/g;
my $sum = 0;
$sum += $_ for values %want;
cmp_ok($bt_exits, '>=', $sum, 'babeltrace2 sees at least the workload\'s getppid exits');

is($rc{status3}, 0, 'a handler that dies on every 10th event leaves the daemon running');
my $st3 = slurp("$share/status3.txt") // '';
my ($en3) = $st3 =~ /^events: (\S+); kprobes: 0$/m;
# (task:task_rename too, once the module has it: the task table uses it)
my $has_rename = do { local (@ARGV, $/) = ("$FindBin::Bin/../../kmod/vigil_events.h"); <> }
    =~ /"task_rename"/;
is(join(',', sort split /,/, $en3 // ''),
   join(',', sort qw(raw_syscalls:sys_exit sched:sched_process_fork sched:sched_process_exec
                     sched:sched_process_exit vigil:statedump_process vigil:statedump_end
                     vigil:annotation cgroup:cgroup_attach_task vigil:statedump_cgroup
                     vigil:statedump_irq vigil:statedump_mmap), $has_rename ? 'task:task_rename' : ()),
   'without --events, only the events the handler subscribes to (sys_exit) are enabled, '
   . 'with the task-tracking and vigil\'s own events') or diag $st3;
is($rc{die}, 3, '... and it still stops cleanly, with exit 3 for the handler errors') or diag(slurp("$share/die.err"));
my $die_err = slurp("$share/die.err") // '';
my ($dispatched) = $die_err =~ /all\s+\d+\s+\d+\s+(\d+)\s/;
my ($errors) = $die_err =~ /handler errors: (\d+)/;
ok(defined $dispatched && $dispatched > 1000, 'thousands of events were dispatched')
    or diag $die_err;
is($errors, int(($dispatched // 0) / 10), 'handler errors are exactly one in ten');
my ($handled) = (slurp("$share/die.out") // '') =~ /^handled (\d+)$/m;
is($handled, $dispatched, 'every dispatched event reached the handler');

# SIGHUP while events flow: every event reaches one generation of the
# handlers (the old one's END blocks run at the reload).
is($rc{reload}, 0, 'vigild reloaded twice under load and stopped with exit 0')
    or diag(slurp("$share/reload.err"));
my $rl = slurp("$share/reload.out") // '';
like(slurp("$share/reload.err") // '', qr/^.*all\s+\d+\s+0\s/m,
     'the kernel discarded nothing while the scripts were being reloaded');
my $gens = () = $rl =~ /^END ran$/mg;
is($gens, 3, 'three generations of handlers ended (two reloads, one stop)');
my %want2 = (slurp("$share/expected2.txt") // '') =~ /^(\d+) (\d+)$/mg;
my %sum;
$sum{$1} += $2 while $rl =~ /^(\d+) (\d+)$/mg;
is(scalar keys %want2, 3, 'the slow workload ran its three processes');
for my $pid (sort keys %want2) {
    is($sum{$pid}, $want2{$pid}, "process $pid: no event lost or doubled across reloads");
}

done_testing;
