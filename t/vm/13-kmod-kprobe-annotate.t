#!/usr/bin/perl
# Run-time events: a kprobe on __x64_sys_getppid fires exactly once per
# getppid call of the workload and records its first argument; a
# kretprobe records getppid's return value; an unknown symbol is a clear
# error.  Annotations: a write to /dev/vigil_annotate becomes
# vigil:annotation with the writer's pid and text; writers outside the
# permission are refused; over the rate limit writes fail with EAGAIN and
# are counted in annotations_dropped.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('kprobe and annotation test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t13-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $wl  = "$root/kmod/tools/bin/vigil-workload";
my $ko  = "$root/kmod/vigil.ko";

my $cmd = <<"EOS";
$cap -o $dir/kp --events vigil:annotation,sched:sched_process_exec --kprobe gp:__x64_sys_getppid:1 --kretprobe gpr:__x64_sys_getppid -- sh -c 'echo "hello from \$\$: vigil annotation" > /dev/vigil_annotate && exec $wl 1234 0 /x' > $dir/kp.capture 2>&1
echo "kp capture exit \$?"
babeltrace2 $dir/kp > $dir/kp.txt 2> $dir/kp.bterr
echo "kp babeltrace2 exit \$?"
$cap -o $dir/ka --kernel-addrs --events raw_syscalls:sys_exit --kprobe gp:__x64_sys_getppid:1 -- $wl 10 0 /x > $dir/ka.capture 2>&1
babeltrace2 $dir/ka > $dir/ka.txt 2> $dir/ka.bterr
$cap -o $dir/bad --kprobe nosuch:vigil_no_such_function_xyz --duration 1 > $dir/bad.capture 2>&1
echo "unknown symbol capture exit \$?"
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x > /dev/vigil_annotate' 2>/dev/null
echo "nobody write default exit \$?"
rmmod vigil
insmod $ko annotate_rate=10 annotate_mode=0222
$cap -o $dir/rate --events vigil:annotation -- sh -c 'ok=0; i=0; while [ \$i -lt 100 ]; do i=\$((i+1)); echo "burst \$i" > /dev/vigil_annotate 2>/dev/null && ok=\$((ok+1)); done; echo "accepted=\$ok"' > $dir/rate.capture 2>&1
babeltrace2 $dir/rate > $dir/rate.txt 2> $dir/rate.bterr
$cap -o $dir/nobody --events vigil:annotation -- setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo from-nobody > /dev/vigil_annotate; echo "nobody write open exit \$?"' > $dir/nobody.capture 2>&1
babeltrace2 $dir/nobody > $dir/nobody.txt 2> $dir/nobody.bterr
rmmod vigil
insmod $ko
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'the run passed in the VM with a clean kernel log') or diag($r->{output});
my $out = $r->{output};

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

like($out, qr/^kp capture exit 0$/m, 'capture with a kprobe and a kretprobe succeeds');
like($out, qr/^kp babeltrace2 exit 0$/m, 'babeltrace2 reads a trace with kprobe events (metadata includes them)');
my $kc = slurp("$dir/kp.capture");
my ($pid) = $kc =~ /^pid=(\d+)$/m;
ok($pid, 'workload pid known') or diag($kc);
my @l = split /\n/, slurp("$dir/kp.txt");
my ($w) = $kc =~ /^total: written=(\d+)/m;
is(scalar @l, $w, 'babeltrace2 count equals the written count');
# The shell calls getppid itself before it execs the workload: count
# from the workload's exec on (babeltrace2 prints in time order).
my ($exec_at) = grep { $l[$_] =~ /sched:sched_process_exec: .*\{ tid = \Q$pid\E \}, \{ filename = "[^"]*vigil-workload"/ } 0 .. $#l;
ok(defined $exec_at, 'the workload\'s exec is in the trace');
my @after = @l[($exec_at // 0) .. $#l];
my @gp  = grep { /kprobes:gp: .*\{ tid = \Q$pid\E \}, \{ ip = 0x0, arg0 = \d+ \}/ } @after;
my @gpr = grep { /kprobes:gpr: .*\{ tid = \Q$pid\E \}, \{ ip = 0x0, ret = (\d+) \}/ } @after;
is(scalar @gp, 1234, 'the kprobe fired exactly 1234 times for the workload\'s 1234 getppid calls');
is(scalar @gpr, 1234, 'the kretprobe fired exactly 1234 times');
my %rets = map { /ret = (-?\d+)/ ? ($1 => 1) : () } @gpr;
is(scalar keys %rets, 1, 'the kretprobe recorded one return value for all calls (the parent pid)');
ok(!grep({ /ip = 0x[1-9a-fA-F]/ } @l), 'no kprobe ip (a kernel address) is recorded without VIGIL_CFG_KERNEL_ADDRS');
is(scalar(grep { !/arg0 = 0 \}/ } @gp), 0,
    'the kprobe argument (a struct pt_regs pointer, a kernel address) is recorded as 0 without VIGIL_CFG_KERNEL_ADDRS');
my $ka = slurp("$dir/ka.txt");
my ($kapid) = slurp("$dir/ka.capture") =~ /^pid=(\d+)$/m;
my @kagp = $ka =~ /kprobes:gp: .*\{ tid = \Q$kapid\E \}, \{ (ip = 0x[0-9a-fA-F]+, arg0 = \d+) \}/g;
is(scalar @kagp, 10, 'with --kernel-addrs the kprobe fired 10 times for 10 getppid calls');
is(scalar(grep { /ip = 0x[0-9a-fA-F]{9,}, arg0 = [1-9]\d{9,}/ } @kagp), 10,
    'with VIGIL_CFG_KERNEL_ADDRS the kprobe ip and the pointer argument are recorded');

my @ann = grep { /vigil:annotation: / } @l;
is(scalar @ann, 1, 'exactly one annotation');
like($ann[0] // '', qr/\{ tid = $pid \}, \{ pid = $pid, text = "hello from $pid: vigil annotation" \}/,
    'the annotation carries the writer\'s pid and its text (trailing newline dropped)');

isnt(($out =~ /^unknown symbol capture exit (\d+)$/m)[0], 0, 'a kprobe on an unknown symbol fails the capture');
like(slurp("$dir/bad.capture"), qr/nosuch on vigil_no_such_function_xyz: unknown symbol/,
    'the capture names the unknown symbol');
like($r->{kernel_log}, qr/vigil: kprobe nosuch: unknown symbol vigil_no_such_function_xyz/,
    'the module logs which symbol is unknown');

isnt(($out =~ /^nobody write default exit (\d+)$/m)[0], 0,
    'with the default annotate_mode (0220, gid 0) an unprivileged user cannot annotate');

my $rc = slurp("$dir/rate.capture");
my ($accepted) = $rc =~ /^accepted=(\d+)$/m;
my ($dropped) = $rc =~ /^total: .*annotations_dropped=(\d+)/m;
my $nann = () = slurp("$dir/rate.txt") =~ /vigil:annotation: /g;
ok(defined $accepted && $accepted >= 10 && $accepted < 100,
    "annotate_rate=10: a burst of 100 writes is limited ($accepted accepted)");
is($nann, $accepted, 'every accepted write is in the trace');
is($dropped, 100 - ($accepted // 0), 'every refused write is counted in annotations_dropped');

like(slurp("$dir/nobody.capture"), qr/^nobody write open exit 0$/m, 'annotate_mode=0222 lets everybody annotate');
like(slurp("$dir/nobody.txt"), qr/vigil:annotation: .*text = "from-nobody"/, 'the unprivileged annotation is recorded');

done_testing;
