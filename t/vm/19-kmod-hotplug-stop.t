#!/usr/bin/perl
# The buffers' last packets (issue 9, defect 6), in the VM:
#  - STOP finishes each CPU's buffer once: one START/STOP without
#    periodic switches yields exactly one packet per CPU, and the CPU
#    that wrote events has no empty packet (before: two per CPU, the
#    second one empty);
#  - a CPU taken offline during tracing gets its last packet finished
#    after it died (DEAD-stage hotplug callback): a workload pinned to
#    it before the offline is delivered whole, and so are the CPU's very
#    last events: its last sched_switch is the one into its stopper
#    thread (migration/1, which takes the CPU down; tracepoints stop once
#    the CPU is marked offline), recorded after the hotplug thread ran
#    every callback of the dying CPU itself.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('hotplug and STOP packet test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t19-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $chk = "$root/kmod/tools/vigil-ioctl-check";
my $wl  = "$root/kmod/tools/bin/vigil-workload";

my $cmd = <<"EOS";
$chk --stop-packets
$cap -o $dir/hp --switch-ms 0 --duration 4 --events raw_syscalls:sys_enter,sched:sched_switch > $dir/hp.out 2>&1 &
C=\$!
sleep 1
taskset -c 1 $wl 3000 0 /x > $dir/wl.out; echo "workload \$?"
echo 0 > /sys/devices/system/cpu/cpu1/online; echo "offline \$?"
wait \$C; echo "capture \$?"
echo 1 > /sys/devices/system/cpu/cpu1/online; echo "online \$?"
babeltrace2 $dir/hp > $dir/hp.txt 2> $dir/hp.bterr; echo "babeltrace2 \$?"
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output});
my $o = $r->{output};

# ---- STOP ----------------------------------------------------------------
my @stop = $o =~ /^stop cpu (\d+) packets (\d+) empty (\d+) written (\d+)$/mg;
ok(@stop >= 8, 'STOP packets reported for both CPUs') or diag($o);
while (my ($cpu, $packets, $empty, $written) = splice(@stop, 0, 4)) {
    is($packets, 1, "cpu $cpu: one START/STOP without periodic switches finishes one packet");
    is($empty, 0, "cpu $cpu: which is not empty") if $written;
}

# ---- CPU offline -----------------------------------------------------------
like($o, qr/^workload 0$/m, 'the workload ran pinned to CPU 1');
like($o, qr/^offline 0$/m, 'CPU 1 went offline during tracing');
like($o, qr/^capture 0$/m, 'the capture finished') or diag(`cat $dir/hp.out`);
like($o, qr/^online 0$/m, 'CPU 1 came back after the capture');
like($o, qr/^babeltrace2 0$/m, 'babeltrace2 reads the trace') or diag(`cat $dir/hp.bterr`);

my ($pid) = `cat $dir/wl.out` =~ /^pid=(\d+)/m;
open my $fh, '<', "$dir/hp.txt" or die "$dir/hp.txt: $!";
my ($getppid, $last) = (0, undef);
while (my $l = <$fh>) {
    next unless $l =~ /cpu_id = 1 \}/;
    $getppid++ if defined $pid && $l =~ /sys_enter: .*\{ tid = $pid \}, \{ id = 110,/;
    $last = $l if $l =~ /sched:sched_switch:/;
}
is($getppid, 3000, 'every getppid of the workload pinned to CPU 1 was delivered');
like($last // '', qr/next_comm = "migration\/1"/,
     'CPU 1\'s last sched_switch is the one into its stopper thread, which took it down: the dead CPU\'s packet was finished after it died')
    or diag($last);
done_testing;
