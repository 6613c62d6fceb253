#!/usr/bin/perl
# vigil.ko loads and unloads cleanly in the VM, creates /dev/vigil (0600,
# root), and scripts/vm-run really fails a run whose kernel log has a problem.
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

# Negative checks: the kernel-log check and the exit-status plumbing must
# catch what they claim to catch, or all VM tests could pass vacuously.
my $w = vm_run(cmd => 'echo "WARNING: test splat from t/vm/00-module-load.t" > /dev/kmsg',
    module => 0, timeout => 120, quiet => 1);
is($w->{exit}, 123, 'a WARNING in the guest kernel log makes vm-run fail (status 123)');
like($w->{stderr}, qr/guest kernel log reports problems.*WARNING: test splat/,
    'vm-run names the offending kernel log line');
like($w->{stderr}, qr/---- guest kernel log ----/, 'vm-run prints the guest kernel log on failure');

my $l = vm_run(cmd => 'echo "possible circular locking dependency detected (test)" > /dev/kmsg',
    module => 0, timeout => 120, quiet => 1);
is($l->{exit}, 123, 'a lockdep report in the guest kernel log makes vm-run fail');

my $f = vm_run(cmd => 'echo before-failure; exit 7', module => 0, timeout => 120, quiet => 1);
is($f->{exit}, 7, "vm-run exits with the command's own failing status");
like($f->{output}, qr/^before-failure$/m, "the failing command's output is passed through");

done_testing;
