#!/usr/bin/perl
# vigil.ko loads and unloads cleanly in the VM (5 times), creates
# /dev/vigil (0600, root) and leaves no warning in the kernel log.
# t/vm/00-vm-run.t proves that the checks used here can fail.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use VigilVM;

vm_skip_unless_available('module load test');

my $ko = VigilVM::repo_root() . '/kmod/vigil.ko';

# vm-run itself loads vigil.ko before the command and unloads it after;
# the command unloads and reloads it 5 more times and reports what it sees.
my $cmd = <<"EOS";
set -e
stat -c 'loaded-by-vm-run %a %U:%G %F' /dev/vigil
grep -q '^vigil ' /proc/modules && echo 'in /proc/modules'
for i in 1 2 3 4 5; do
	rmmod vigil
	if [ -e /dev/vigil ]; then echo "round \$i: /dev/vigil still exists after rmmod"; fi
	if grep -q '^vigil ' /proc/modules; then echo "round \$i: still in /proc/modules"; fi
	insmod '$ko'
	stat -c "round \$i: %a %U:%G %F" /dev/vigil
done
EOS

my $r = vm_run(cmd => $cmd, timeout => 240);
is($r->{exit}, 0, 'insmod/rmmod of vigil.ko 5 times in the VM passes, with a clean kernel log')
    or diag($r->{output});
like($r->{output}, qr/^loaded-by-vm-run 600 root:root character special file$/m,
    '/dev/vigil exists while the module is loaded: a character device, mode 0600, owned by root');
like($r->{output}, qr/^in \/proc\/modules$/m, 'module is listed in /proc/modules while loaded');
for my $i (1 .. 5) {
    like($r->{output}, qr/^round $i: 600 root:root character special file$/m,
        "round $i: reloaded module recreates /dev/vigil with mode 0600 root:root");
}
unlike($r->{output}, qr/still exists after rmmod|still in \/proc\/modules/,
    'rmmod removes the module and /dev/vigil every time');
like($r->{kernel_log}, qr/vigil-vm: run start.*vigil-vm: run end/s,
    'the guest kernel log covering the run was captured');
my ($run_log) = $r->{kernel_log} =~ /(vigil-vm: run start.*)/s;
unlike($run_log // '', qr/\b(WARNING|BUG|Oops)\b|Call Trace|general protection fault/,
    'the guest kernel log of the run has no warning, bug or oops');

done_testing;
