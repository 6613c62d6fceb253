#!/usr/bin/perl
# Two quick answers with the real vigil.ko (the VM):
#  - `vigild -s trace -- COMMAND` (handlers/trace.pl) prints the path
#    strings the module reads at syscall entry: cat's failed openat of
#    /nonexistent as strace shows it, then its exit;
#  - `vigild --kprobe SYMBOL[%return]` adds kprobes from the command line:
#    a one-liner counts a workload's exact getppid calls through a probe
#    on its syscall function and its return probe.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('trace.pl and --kprobe with vigil.ko');
my ($vigild) = need_progs('vigild');

my $share = tempdir('vigild-vm53-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
my $n = 2345;
write_file("$share/vigil.yaml", "control_socket: $sock\n");
write_file("$share/gp.pl", "syscall(110) for 1 .. $n;    # getppid\nprint \"\$\$\\n\";\n");

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s trace -- -- /bin/cat /nonexistent >\$S/trace.out 2>\$S/trace.err
echo "trace \$?" >>\$S/rc
$vigild -f -c \$S/vigil.yaml --kprobe __x64_sys_getppid --kprobe __x64_sys_getppid%return \\
	-e 'my (%n, %r); on "kprobes:__x64_sys_getppid" => sub { \$n{ \$_[0]{common_pid} }++ };
	    on "kprobes:__x64_sys_getppid_ret" => sub { \$r{ \$_[0]{common_pid} }++ };
	    END { print "probe \$_ \$n{\$_} ret \$r{\$_}\\n" for sort keys %n }' >\$S/kp.out 2>\$S/kp.err &
V=\$!
waitsock
perl \$S/gp.pl >\$S/gp.pid
sleep 1
kill -TERM \$V; wait \$V; echo "kprobe \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly') or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

# ---- trace.pl with path strings ------------------------------------------------
my $out = slurp("$share/trace.out") // '';
my $err = slurp("$share/trace.err") // '';
is($rc{trace}, 0, 'vigild -s trace -- /bin/cat /nonexistent exits 0') or diag $err;
like($out, qr/^openat\(AT_FDCWD, "\/nonexistent", O_RDONLY\) = -1 ENOENT \(No such file or directory\) <\d+\.\d+>$/m,
     'cat\'s openat with the path string the module read, flags and errno by name')
    or diag $out;
like($out, qr/^execve\("\/bin\/cat", /m, 'the execve names the program');
like($out, qr/^\+\+\+ exited with 1 \+\+\+$/m, 'and the command\'s end');

# ---- --kprobe -------------------------------------------------------------------
my ($pid) = (slurp("$share/gp.pid") // '') =~ /^(\d+)$/m;
is($rc{kprobe}, 0, 'vigild with two --kprobe options exits 0') or diag slurp("$share/kp.err");
like(slurp("$share/kp.out") // '', qr/^probe $pid $n ret $n$/m,
     "the probe and the return probe each fired $n times for the workload")
    or diag(slurp("$share/kp.out"), slurp("$share/kp.err"));
done_testing;
