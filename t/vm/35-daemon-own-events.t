#!/usr/bin/perl
# vigild live, in the VM with the real vigil.ko:
#  - vigil.ko does not record vigild's own process (VIGIL_FILTER_EXCLUDE_TGID
#    set by vigild): with a handler that prints (unbuffered, one write per
#    line) on every event, almost no own events reach vigild to be dropped,
#    where without the kernel exclusion every print would come back as
#    events (a feedback loop); the handler still sees the workload's exact
#    counts;
#  - task:task_rename: a process that renames itself with
#    prctl(PR_SET_NAME) and then through /proc/self/comm shows the new
#    name in common_comm of its later events, and task_rename is enabled
#    by default (the task table needs it).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(find_prog need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild own events test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigild-vm35-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
my $nr_getppid = 110;    # x86_64
my $nr_prctl = 157;
my $pr_set_name = 15;

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
buffer:
  size: 256KiB
  count: 16
Y

# One line per event, each its own write(2): the feedback case.
write_file("$share/print.pl", <<'PL');
use strict;
use Vigil;
$| = 1;
my (%n, %named);
my $lines = 0;
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    print "ev $e->{common_tid} $e->{id}\n";
    $lines++;
    if ($e->{id} == 110) {
        $n{ $e->{common_pid} }++;
        $named{"$e->{common_pid} $e->{common_comm}"}++;
    }
};
on 'task:task_rename' => sub {
    my $e = shift;
    print "rename $e->{pid} $e->{oldcomm} -> $e->{newcomm} by $e->{common_pid}\n";
};
# A switch from vigild to another task is about that task too: vigil.ko
# records it (vigild is only current), and vigild must deliver it.
# ($$ is vigild here: the handler runs inside it.)
my $from_vigild = 0;
on 'sched:sched_switch' => sub { $from_vigild++ if $_[0]->{prev_pid} == $$ };
my %dumped;
on 'vigil:statedump_process' => sub { my $e = shift; $dumped{ $e->{tid} } = $e->{comm} };
END {
    print "count $_ $n{$_}\n" for sort { $a <=> $b } keys %n;
    print "named $_ $named{$_}\n" for sort keys %named;
    print "lines $lines\n";
    print "switches from vigild $from_vigild\n";
    print "statedump $_ $dumped{$_}\n" for sort { $a <=> $b } keys %dumped;
}
PL

write_file("$share/workload.pl", <<PL);
use strict;
my \@n = (1500, 3000, 700);
my \@kids;
for my \$n (\@n) {
    my \$pid = fork // die "fork: \$!";
    if (!\$pid) { syscall($nr_getppid) for 1 .. \$n; exit 0 }
    push \@kids, [\$pid, \$n];
}
waitpid(\$_->[0], 0) for \@kids;
print "\$_->[0] \$_->[1]\\n" for \@kids;
PL

# 5 getppid under the old name, 7 after prctl(PR_SET_NAME), 9 after a
# write to /proc/self/comm.
write_file("$share/rename.pl", <<PL);
use strict;
print "pid \$\$\\n";
syscall($nr_getppid) for 1 .. 5;
my \$name = "vg-prctl-35\\0";
syscall($nr_prctl, $pr_set_name, \$name, 0, 0, 0) == 0 or die "prctl: \$!";
syscall($nr_getppid) for 1 .. 7;
open(my \$fh, '>', '/proc/self/comm') or die "/proc/self/comm: \$!";
print \$fh "vg-procfs-35";
close(\$fh) or die "/proc/self/comm: \$!";
syscall($nr_getppid) for 1 .. 9;
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s \$S/print.pl >\$S/live.out 2>\$S/live.err &
V=\$!
echo "vigild \$V" >>\$S/rc
waitsock
perl \$S/workload.pl >\$S/expected.txt
perl \$S/rename.pl >\$S/rename.txt
sleep 3
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});

my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
is($rc{status}, 0, 'vigilctl status answers');
is($rc{live}, 0, 'vigild exits 0 on SIGTERM') or diag(slurp("$share/live.err"));
my $st = slurp("$share/status.txt") // '';
my $err = slurp("$share/live.err") // '';
my $out = slurp("$share/live.out") // '';

# ---- own events ------------------------------------------------------------
my ($own_st) = $st =~ /^own events dropped: (\d+)$/m;
my ($own_end) = $err =~ /own events dropped: (\d+)/;
my ($read_end) = $err =~ /\ball\s+(\d+)\s/;
my ($lines) = $out =~ /^lines (\d+)$/m;
ok(defined $own_st && defined $own_end && $read_end, 'status and the stop log count own events and events read')
    or diag("$st\n$err");
ok($lines && $lines > 6000, "the handler printed a line per event ($lines lines, one write each)");
# Before the kernel exclusion about a third of all events read were
# vigild's own (here: at least one write per handler line, thousands).
# The statedump records vigil.ko writes from vigild's START ioctl (never
# filtered) name vigild in their header, but vigild delivers them (they
# describe every task); what remains are stray events of vigild's
# process the kernel recorded before the exclusion took effect.
cmp_ok($own_end // 1e9, '<=', 100,
    'vigild drops almost no own events (' . ($own_end // 'none') . ' of ' . ($read_end // '?')
    . ' read): vigil.ko did not record them')
    or diag $err;
cmp_ok($own_st // 1e9, '<=', 100, 'vigilctl status says the same while tracing') or diag $st;
# The statedump is written from vigild's START call and carries vigild's
# tid, yet it describes every task: handlers must get it.
my %dumped = $out =~ /^statedump (\d+) (\S*)$/mg;
cmp_ok(scalar keys %dumped, '>', 10, 'live handlers receive the statedump (one record per thread)')
    or diag $out;
is($dumped{1}, 'init', 'the statedump names pid 1');
my $vigild_pid = $rc{vigild};
my $mine = () = $out =~ /^ev \Q$vigild_pid\E /mg;
is($mine, 0, 'the handler never sees an event of vigild\'s own process');

my ($from_vigild) = $out =~ /^switches from vigild (\d+)$/m;
cmp_ok($from_vigild // 0, '>', 0,
    'switches from vigild to other tasks reach the handler (vigild is current, but they are about the next task)')
    or diag $out;

my %want = (slurp("$share/expected.txt") // '') =~ /^(\d+) (\d+)$/mg;
is(scalar keys %want, 3, 'the workload ran its three processes');
my %got = $out =~ /^count (\d+) (\d+)$/mg;
for my $pid (sort keys %want) {
    is($got{$pid}, $want{$pid}, "process $pid: exactly $want{$pid} getppid exits seen by the handler");
}

# ---- task_rename -------------------------------------------------------------
my ($en) = $st =~ /^events: (\S+); kprobes: \d+$/m;
ok((grep { $_ eq 'task:task_rename' } split /,/, $en // ''),
    'task:task_rename is enabled by default (task tracking)') or diag $st;
my ($rpid) = (slurp("$share/rename.txt") // '') =~ /^pid (\d+)$/m;
ok($rpid, 'the renaming process reported its pid');
$rpid //= -1;
my %named = $out =~ /^named (\d+ \S+) (\d+)$/mg;
is($named{"$rpid perl"}, 5, 'its 5 getppid calls before the rename carry common_comm "perl"');
is($named{"$rpid vg-prctl-35"}, 7, 'the 7 after prctl(PR_SET_NAME) carry the new name');
is($named{"$rpid vg-procfs-35"}, 9, 'the 9 after the write to /proc/self/comm carry that name');
is(scalar(grep { /^\Q$rpid\E / } keys %named), 3, 'and no other name was seen for it');
like($out, qr/^rename \Q$rpid\E perl -> vg-prctl-35 by \Q$rpid\E$/m,
    'the handler got task:task_rename with pid, oldcomm and newcomm (prctl)');
like($out, qr/^rename \Q$rpid\E vg-prctl-35 -> vg-procfs-35 by \Q$rpid\E$/m,
    '... and for the /proc/self/comm write');

done_testing;
