#!/usr/bin/perl
# vigild works under kernel lockdown (integrity), as on a Secure Boot
# machine, where debugfs refuses to open files that can be mapped: the
# module hands out its buffers and metadata as file descriptors from
# /dev/vigil.  In the VM: vigil.ko loaded (vm-run), lockdown raised to
# integrity, then vigild live counts a known workload exactly.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild lockdown test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigild-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
my $nr_getppid = 110;    # x86_64

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
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
END { print "$_ $n{$_}\n" for sort { $a <=> $b } keys %n }
PL

write_file("$share/workload.pl", <<PL);
use strict;
my \@kids;
for my \$n (1500, 3333) {
    my \$pid = fork // die "fork: \$!";
    if (!\$pid) { syscall($nr_getppid) for 1 .. \$n; exit 0 }
    push \@kids, [\$pid, \$n];
}
waitpid(\$_->[0], 0) for \@kids;
print "\$_->[0] \$_->[1]\\n" for \@kids;
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security
echo integrity > /sys/kernel/security/lockdown; echo "lockdown \$?" >>\$S/rc
cat /sys/kernel/security/lockdown >\$S/lockdown.txt
# what lockdown refuses: opening a debugfs file that is writable or
# has mmap or ioctl (vigil's old per-CPU buffer files were such files)
F=\$(find /sys/kernel/debug -maxdepth 1 -type f -perm -u+w | head -n 1)
echo "\$F" >\$S/debugfs.file
timeout 5 cat "\$F" >/dev/null 2>\$S/debugfs.err; echo "debugfs \$?" >>\$S/rc
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s \$S/count.pl --events raw_syscalls:sys_exit,sched:sched_process_fork,sched:sched_process_exit -- $nr_getppid >\$S/out 2>\$S/err &
V=\$!
waitsock
perl \$S/workload.pl >\$S/expected.txt
sleep 1
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "vigild \$?" >>\$S/rc
SH

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
is($rc{lockdown}, 0, 'lockdown raised');
like(slurp("$share/lockdown.txt") // '', qr/\[integrity\]/, 'the kernel is in lockdown (integrity)');
like(slurp("$share/debugfs.err") // '', qr/Operation not permitted/,
     'debugfs refuses a writable file under lockdown (' . (slurp("$share/debugfs.file") // '') =~ s/\s+//r . ')')
    or diag(slurp("$share/debugfs.err"));
is($rc{vigild}, 0, 'vigild ran and stopped cleanly under lockdown') or diag(slurp("$share/err"));
is($rc{status}, 0, 'vigilctl status answered while tracing');
my %want = (slurp("$share/expected.txt") // '') =~ /^(\d+) (\d+)$/mg;
is(scalar keys %want, 2, 'the workload ran its two processes');
my %got = (slurp("$share/out") // '') =~ /^(\d+) (\d+)$/mg;
for my $pid (sort keys %want) {
    is($got{$pid}, $want{$pid}, "process $pid: exactly $want{$pid} getppid exits counted under lockdown")
        or diag(slurp("$share/err"));
}
unlike(slurp("$share/err") // '', qr{/sys/kernel/debug}, 'vigild never touched debugfs');
like(slurp("$share/status.txt") // '',
     qr/^discarded by the kernel: too big 0, buffer full \d+, nested \d+, paused 0$/m,
     'vigilctl status shows the kernel\'s discards by cause') or diag(slurp("$share/status.txt"));
done_testing;
