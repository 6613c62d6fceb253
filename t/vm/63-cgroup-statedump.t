#!/usr/bin/perl
# With vigil.ko (the module source), in the VM:
# 1. common_cgroup: a shell moves itself into cgroup A, runs a program
#    (a fork: vigil.ko's sched_process_fork says the child's cgroup)
#    that moves itself into B halfway (cgroup:cgroup_attach_task); the
#    program's getppid calls name A, then B; it starts a child in C with
#    clone3(CLONE_INTO_CGROUP), which makes its calls and exits at once:
#    they name C (vigil.ko's fork event says the child's cgroup).
# 2. The dump vigilctl asks for then starts with a statedump that holds,
#    for the processes its events name that are alive then (a sleep in
#    cgroup B), their cgroup paths and executable maps
#    (vigil:statedump_cgroup, vigil:statedump_mmap), and the interrupt
#    lines (vigil:statedump_irq); babeltrace2 reads it, and a replay of
#    it (the directories removed) names the same cgroups (the exited
#    program's from the attach events' paths).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('cgroup and statedump test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigil-cg-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
chmod 0755, $share;
my $sock = '/run/vigil-cg-test/vigild.sock';
my $nr_getppid = 110;    # x86_64
write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
dump:
  dir: $share/dumps
  rate_limit: 0
Y
write_file("$share/cg.pl", <<PL);
use Vigil;
\$| = 1;
on 'raw_syscalls:sys_enter', 'id == $nr_getppid' => sub {
    my (\$e) = \@_;
    print "\$e->{common_pid} \$e->{common_comm} \$e->{common_cgroup} \$e->{common_cgroup_id}\\n";
};
PL
write_file("$share/mover.pl", <<PL);
use POSIX ();
my \$cg = !\@ARGV;    # 'nocg': a kernel without cgroups
syscall($nr_getppid) for 1 .. 5;
if (\$cg) {
    open my \$f, '>', '/sys/fs/cgroup/vgB/cgroup.procs' or die \$!;
    print \$f "\$\$\\n";
    close \$f or die \$!;
}
syscall($nr_getppid) for 1 .. 7;
print "pid \$\$\\n";
# clone3 (435) with CLONE_INTO_CGROUP into C; the child is gone at once
# (the directory stays open until clone3 has used its descriptor)
my \$args = pack('Q11', 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0);
my \$dh;
if (\$cg) {
    opendir(\$dh, '/sys/fs/cgroup/vgC') or die \$!;
    \$args = pack('Q11', 1 << 33, 0, 0, 0, 17, 0, 0, 0, 0, 0, fileno(\$dh));
}
my \$k = syscall(435, \$args, length \$args);
die "clone3: \$!" if \$k < 0;
if (!\$k) { syscall($nr_getppid) for 1 .. 4; POSIX::_exit(0) }
waitpid(\$k, 0);
print "clone \$k\\n";
PL
write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
mkdir -p /run/vigil-cg-test
grep cgroup2 /proc/mounts >\$S/mounts.txt
# a kernel without cgroups (the debug kernel's tinyconfig): what vigil
# says there
if grep -qw cgroup2 /proc/filesystems; then
	mkdir /sys/fs/cgroup/vgA /sys/fs/cgroup/vgB /sys/fs/cgroup/vgC; echo "mkdir \$?" >>\$S/rc
	NOCG=
else
	echo nocg >\$S/nocg
	NOCG=nocg
fi
cgmove() { [ -n "\$NOCG" ] || echo \$1 >/sys/fs/cgroup/\$2/cgroup.procs; }
$vigild -f -c \$S/vigil.yaml --source module -s \$S/cg.pl >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
(cgmove \$(sh -c 'echo \$PPID') vgB; exec sleep 30) &
Z=\$!
(cgmove \$(sh -c 'echo \$PPID') vgA; perl \$S/mover.pl \$NOCG; true) >\$S/mover.txt; echo "mover \$?" >>\$S/rc
sleep 0.5
$vigilctl --socket $sock dump cgroup test >\$S/dump.txt 2>\$S/dump.err; echo "dump \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
kill \$Z; wait \$Z
D=\$(cat \$S/dump.txt)
[ -n "\$NOCG" ] || rmdir /sys/fs/cgroup/vgA /sys/fs/cgroup/vgB /sys/fs/cgroup/vgC
babeltrace2 "\$D" >\$S/bt.txt 2>\$S/bt.err; echo "babeltrace2 \$?" >>\$S/rc
grep -c ' vigil:statedump_irq: ' \$S/bt.txt >\$S/bt-irq.txt
grep -c ' vigil:statedump_mmap: ' \$S/bt.txt >\$S/bt-mmap.txt
grep ' vigil:statedump_cgroup: ' \$S/bt.txt >\$S/bt-cgroup.txt
grep ' vigil:statedump_mmap: ' \$S/bt.txt | grep -m1 '/sleep"' >\$S/bt-sleep-map.txt
$vigild -f -c \$S/vigil.yaml --replay "\$D" -s \$S/cg.pl >\$S/replay.out 2>\$S/replay.err; echo "replay \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
# a kernel without cgroups: every task in the root (id 1), unnamed
my $nocg = -e "$share/nocg";
diag('this kernel has no cgroups: checking that every task is in the unnamed root') if $nocg;
my ($A, $B, $C) = $nocg ? ('', '', '') : ('/vgA', '/vgB', '/vgC');
is($rc{mkdir}, 0, 'the cgroups made') or diag(slurp("$share/mounts.txt")) unless $nocg;
is($rc{mover}, 0, 'the workload ran');
is($rc{live}, 0, 'vigild exits 0') or diag(slurp("$share/live.err"));
my ($pid) = (slurp("$share/mover.txt") // '') =~ /^pid (\d+)$/m;
my ($clone) = (slurp("$share/mover.txt") // '') =~ /^clone (\d+)$/m;
ok($pid && $clone, 'the workload said its pid and its clone\'s');
sub cgroups_of {
    my ($out, $p) = @_;
    $p //= $pid;
    return [ map { (split / /, $_, -1)[2] } grep { /^$p / } split /\n/, $out // '' ];
}
is_deeply(cgroups_of(slurp("$share/live.out")), [ ($A) x 5, ($B) x 7 ],
          'live: the forked program\'s calls name cgroup A, then B after its move')
    or diag(slurp("$share/live.out"), slurp("$share/live.err"));
is_deeply(cgroups_of(slurp("$share/live.out"), $clone), [ ($C) x 4 ],
          'live: the clone3(CLONE_INTO_CGROUP) child\'s calls name C')
    or diag(slurp("$share/live.out"));

is($rc{dump}, 0, 'vigilctl dump succeeds') or diag(slurp("$share/dump.err"));
is($rc{babeltrace2}, 0, 'babeltrace2 reads the dump') or diag(slurp("$share/bt.err"));
cmp_ok(0 + (slurp("$share/bt-irq.txt") // 0), '>', 0, 'the dump lists interrupt lines (vigil:statedump_irq)');
cmp_ok(0 + (slurp("$share/bt-mmap.txt") // 0), '>', 0, 'the dump lists executable maps (vigil:statedump_mmap)');
like(slurp("$share/bt-sleep-map.txt") // '', qr/start = 0x[0-9a-fA-F]+, end = 0x[0-9a-fA-F]+, offset = 0x[0-9a-fA-F]+, path = "\/\S*\/sleep"/,
     '... with start, end, offset and path (of a process alive at the dump)');
if ($nocg) {
    is(slurp("$share/bt-cgroup.txt") // '', '', 'no cgroup paths in the dump (none known)');
    my @ids = map { (split / /, $_, -1)[3] } grep { /^$pid / } split /\n/, slurp("$share/live.out") // '';
    is_deeply(\@ids, [ (1) x 12 ], 'live: common_cgroup_id is the root\'s, 1');
} else {
    like(slurp("$share/bt-cgroup.txt") // '', qr/path = "\/vgB"/,
         'the dump names the cgroups of its live processes by path (vigil:statedump_cgroup)')
        or diag(slurp("$share/bt-cgroup.txt"));
}
is($rc{replay}, 0, 'the dump replays') or diag(slurp("$share/replay.err"));
my $rp = cgroups_of(slurp("$share/replay.out"));
ok(@$rp && !grep({ $_ ne $B && $_ ne $A } @$rp) && $rp->[-1] eq $B,
   'replay (the directories removed): the same cgroup names')
    or diag(slurp("$share/replay.out"));
is_deeply(cgroups_of(slurp("$share/replay.out"), $clone), [ ($C) x 4 ],
          'replay: the clone3 child\'s calls name C too') or diag(slurp("$share/replay.out"));
done_testing();
