#!/usr/bin/perl
# scripts/vm-run must report every kind of failure it promises to catch,
# or all VM tests could pass vacuously: a failing command, a kernel log
# with a WARNING or lockdep report, a module that cannot be unloaded, a
# run over its time limit.  Also: output and files come back to the host.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;

vm_skip_unless_available('vm-run self test');

my $w = vm_run(cmd => 'echo "WARNING: test splat from t/vm/00-vm-run.t" > /dev/kmsg',
    module => 0, timeout => 120, quiet => 1);
is($w->{exit}, 123, 'a WARNING in the guest kernel log makes vm-run fail (status 123)');
like($w->{stderr}, qr/guest kernel log reports problems.*WARNING: test splat/,
    'vm-run names the offending kernel log line');
like($w->{stderr}, qr/---- guest kernel log ----/, 'vm-run prints the guest kernel log on failure');
like($w->{kernel_log}, qr/WARNING: test splat/, 'the kernel log handed back contains the line');

my $l = vm_run(cmd => 'echo "possible circular locking dependency detected (test)" > /dev/kmsg',
    module => 0, timeout => 120, quiet => 1);
is($l->{exit}, 123, 'a lockdep report in the guest kernel log makes vm-run fail');

my $f = vm_run(cmd => 'echo before-failure; echo to-stderr >&2; exit 7',
    module => 0, timeout => 120, quiet => 1);
is($f->{exit}, 7, "vm-run exits with the command's own failing status");
like($f->{output}, qr/^before-failure$/m, "the failing command's stdout is passed through");
like($f->{output}, qr/^to-stderr$/m, "the command's stderr is passed through too");
like($f->{stderr}, qr/command exited with status 7/, 'vm-run says that the command failed');

# Holding /dev/vigil open keeps the module busy, so vm-run's rmmod fails.
my $r = vm_run(cmd => '(exec 3</dev/vigil; sleep 600) >/dev/null 2>&1 & sleep 1; echo holding',
    timeout => 120, quiet => 1);
is($r->{exit}, 122, 'a module that cannot be unloaded after the command makes vm-run fail (122)');
like($r->{stderr}, qr/rmmod vigil failed/, 'vm-run says that rmmod failed');

# The limit covers the boot too, so it must leave room for a slow boot on a
# loaded machine before "started" is printed.  vm-run scales it by the
# kernel's timeout factor (VIGIL_VM_TIMEOUT_FACTOR; 4 on the debug kernel).
my $limit = int(45 * VigilVM::vm_kernel()->{timeout_factor} + 0.5);
my $t = vm_run(cmd => 'echo started; sleep 100000', module => 0, timeout => 45, quiet => 1);
is($t->{exit}, 124, 'a run over its time limit is stopped and fails (124)');
like($t->{stderr}, qr/time limit of ${limit}s expired/, 'vm-run says the time limit expired');
like($t->{output}, qr/^started$/m, 'output printed before the time limit is kept');

# One passing run checks the guest environment, the writable share and the
# read-only host.
my $dir = tempdir('vm-run-rw.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $env = vm_run(
    cmd => join('; ',
        'pwd',
        'echo "HOME=$HOME VIGIL_VM=$VIGIL_VM"',
        'ip -o link show lo',
        'p=vigil-vm-probe-$$; touch /tmp/$p /var/tmp/$p /root/$p /run/$p && echo writable',
        'test -d /sys/kernel/tracing/events && echo tracefs',
        'mountpoint -q /sys/kernel/debug && echo debugfs',
        "echo from-guest > $dir/out.txt",
        'if touch /usr/vigil-vm-write-test 2>/dev/null; then echo host-writable; else echo host-read-only; fi'),
    module => 0, rw_share => $dir, timeout => 120);
is($env->{exit}, 0, 'the environment check run passes');
my $root = VigilVM::repo_root();
like($env->{output}, qr/^\Q$root\E$/m, 'the command runs in the repository directory');
like($env->{output}, qr/^HOME=\/tmp VIGIL_VM=1$/m, 'HOME is /tmp and VIGIL_VM=1 is set');
like($env->{output}, qr/lo: <[^>]*\bUP\b/, 'the loopback interface is up');
like($env->{output}, qr/^writable$/m, '/tmp, /var/tmp, /root and /run are writable');
like($env->{output}, qr/^tracefs$/m, 'tracefs is mounted');
like($env->{output}, qr/^debugfs$/m, 'debugfs is mounted');
is(do { local $/; my $fh; open($fh, '<', "$dir/out.txt") ? <$fh> : undef }, "from-guest\n",
    'a file written in the --rw-share directory appears on the host with its content');
like($env->{output}, qr/^host-read-only$/m, 'the rest of the host file system is read-only in the guest');
ok(!-e '/usr/vigil-vm-write-test', 'nothing was written to the host outside the share');

done_testing;
