#!/usr/bin/perl
# vigil.ko lifecycle: loads and unloads many times; tracing starts and
# stops many times (normal and flight mode, with and without kprobes);
# the module cannot be unloaded while /dev/vigil or a buffer fd is open
# and unloads cleanly afterwards; a CPU going offline and online during
# tracing is handled.  The guest kernel log must stay free of warnings
# (vm-run fails the run otherwise).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('module lifecycle test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');

my $dir = tempdir('vigil-t10-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $wl  = "$root/kmod/tools/bin/vigil-workload";
my $ko  = "$root/kmod/vigil.ko";
my $bt  = -x '/usr/bin/babeltrace2' ? 1 : 0;

my $cmd = <<"EOS";
n=0; i=0
while [ \$i -lt 20 ]; do
	i=\$((i+1))
	rmmod vigil && insmod $ko && [ -c /dev/vigil ] && [ -c /dev/vigil_annotate ] && [ ! -e /sys/kernel/debug/vigil ] && n=\$((n+1))
done
echo "reloads ok=\$n"

n=0; i=0
while [ \$i -lt 6 ]; do
	i=\$((i+1))
	$cap -o $dir/c\$i --subbuf-size 8192 --n-subbufs 4 -- $wl 200 20 /x > $dir/c\$i.out 2>&1 && n=\$((n+1))
	$cap -o $dir/f\$i --mode flight --subbuf-size 4096 --n-subbufs 3 --kprobe k\$i:__x64_sys_getppid:2 --kretprobe r\$i:__x64_sys_getppid -- $wl 200 20 /x > $dir/f\$i.out 2>&1 && n=\$((n+1))
done
echo "captures ok=\$n"
if [ $bt = 1 ]; then
	n=0
	for t in $dir/c? $dir/f?; do babeltrace2 \$t > /dev/null 2> \$t.bterr && n=\$((n+1)); done
	echo "babeltrace2 ok=\$n"
fi

exec 3<>/dev/vigil
rmmod vigil 2>/dev/null && echo "rmmod with /dev/vigil open: unloaded" || echo "rmmod with /dev/vigil open: refused"
exec 3>&-
rmmod vigil && echo "rmmod after close: unloaded"
insmod $ko

# a buffer fd (and its mapping) kept after the session ended pins the module
$root/kmod/tools/vigil-ioctl-check --hold-buffer 3 > $dir/hold.out 2>&1 &
hpid=\$!
i=0; while [ \$i -lt 50 ] && ! grep -q holding $dir/hold.out; do sleep 0.1; i=\$((i+1)); done
rmmod vigil 2>/dev/null && echo "rmmod with a buffer fd open: unloaded" || echo "rmmod with a buffer fd open: refused"
wait \$hpid
cat $dir/hold.out
rmmod vigil && echo "rmmod after the buffer fd closed: unloaded"
insmod $ko

# CPU hotplug while tracing
( sleep 1; echo 0 > /sys/devices/system/cpu/cpu1/online; echo "cpu1 offline \$?"; sleep 1; echo 1 > /sys/devices/system/cpu/cpu1/online; echo "cpu1 online \$?" ) &
hp=\$!
$cap -o $dir/hp --duration 3 > $dir/hp.out 2>&1; echo "hotplug capture exit \$?"
wait \$hp
if [ $bt = 1 ]; then babeltrace2 $dir/hp > $dir/hp.txt 2> $dir/hp.bterr; echo "hotplug babeltrace2 exit \$?"; fi
$cap -o $dir/after --duration 1 > $dir/after.out 2>&1; echo "capture after hotplug exit \$?"
echo finished
EOS
my $r = vm_run(cmd => $cmd, timeout => 900, rw_share => $dir);
is($r->{exit}, 0, 'the whole lifecycle ran in the VM; the final unload succeeded and the kernel log is clean')
    or diag($r->{output});
my $o = $r->{output};
like($o, qr/^reloads ok=20$/m, 'unload + load 20 times, each time recreating /dev/vigil and /dev/vigil_annotate (and no debugfs directory)');
like($o, qr/^captures ok=12$/m, '12 capture sessions (start/stop), normal and flight mode, with kprobes added and removed, all succeed');
SKIP: {
    skip 'babeltrace2 not installed', 1 unless $bt;
    like($o, qr/^babeltrace2 ok=12$/m, 'babeltrace2 reads all 12 captured traces');
}
like($o, qr/^rmmod with \/dev\/vigil open: refused$/m, 'the module cannot be unloaded while /dev/vigil is open');
like($o, qr/^rmmod after close: unloaded$/m, 'it unloads once /dev/vigil is closed');
like($o, qr/^rmmod with a buffer fd open: refused$/m, 'an open, mapped buffer fd (after its session ended) keeps the module loaded');
like($o, qr/^held magic ok$/m, 'the mapping still reads the packet after the session ended');
like($o, qr/^rmmod after the buffer fd closed: unloaded$/m, 'it unloads once the buffer fd is closed and unmapped');
like($o, qr/^cpu1 offline 0$/m, 'cpu1 went offline during tracing');
like($o, qr/^cpu1 online 0$/m, 'cpu1 came back online during tracing');
like($o, qr/^hotplug capture exit 0$/m, 'the capture across the CPU hotplug succeeds');
SKIP: {
    skip 'babeltrace2 not installed', 1 unless $bt;
    like($o, qr/^hotplug babeltrace2 exit 0$/m, 'babeltrace2 reads the trace taken across the hotplug');
}
like($o, qr/^capture after hotplug exit 0$/m, 'tracing works again after the hotplug');
like($o, qr/^finished$/m, 'the script ran to the end');
my ($run_log) = $r->{kernel_log} =~ /(vigil-vm: run start.*)/s;
unlike($run_log // '', qr/\b(WARNING|BUG|Oops)\b|Call Trace|general protection/, 'no warning, bug or oops in the kernel log');

done_testing;
