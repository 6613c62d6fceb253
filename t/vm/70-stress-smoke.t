#!/usr/bin/perl
# A short run of the hostile user-space program kmod/tools/vigil-stress
# (random and hostile ioctls from several threads, annotation floods, CPU 1
# going offline and online, unload attempts while attached) in the VM: no
# kernel report (vm-run checks the log; on the debug kernel also KASAN,
# lockdep, kmemleak), every unload attempt refused while /dev/vigil is
# open, no errno outside the documented set, and afterwards the module's
# reference count back to 0 and the module unloadable.  The long run is
# "make stress" (docs/kernels.md).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use VigilVM;

vm_skip_unless_available('stress smoke test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0 or BAIL_OUT('cannot build kmod/tools');

my $secs = $ENV{VIGIL_STRESS_SECONDS} || 15;
my $cmd = <<"EOS";
$root/kmod/tools/vigil-stress --seconds $secs --threads 4 --seed 12345; echo "stress exit \$?"
echo "refcnt \$(cat /sys/module/vigil/refcnt)"
grep -c . /sys/devices/system/cpu/online >/dev/null && echo "online \$(cat /sys/devices/system/cpu/online)"
EOS
my $r = vm_run(cmd => $cmd, timeout => 120 + $secs);
is($r->{exit}, 0, 'the stress run passes: clean kernel log, module unloaded afterwards')
    or diag($r->{output});
like($r->{output}, qr/^stress ok$/m, 'vigil-stress saw nothing wrong');
like($r->{output}, qr/^stress exit 0$/m, 'vigil-stress exited 0');
for my $op (qw(configure event filter start stop add_kprobe consume stats buffer_fd metadata_fd bogus_ioctl)) {
    like($r->{output}, qr/^op $op calls [1-9]\d* ok \d+$/m, "$op was called");
}
like($r->{output}, qr/^op (configure|start) calls \d+ ok [1-9]/m, 'some sessions were configured');
like($r->{output}, qr/^op buffer_fd calls \d+ ok [1-9]/m,
     'buffer fds were handed out (mapped, kept past their sessions, refused read and write)');
like($r->{output}, qr/^unload refused [1-9]\d*$/m, 'unload attempts were made and refused');
like($r->{output}, qr/^hotplug cycles [1-9]\d*$/m, 'CPU 1 went offline and online during the run');
like($r->{output}, qr/^annotations [1-9]\d*$/m, 'annotations were written');
like($r->{output}, qr/^refcnt 0$/m, "the module's reference count is back to 0");
like($r->{output}, qr/^online 0-1$/m, 'both CPUs are online again');

done_testing;
