#!/usr/bin/perl
# A workload with a known set of syscalls is traced by vigil.ko through
# vigil-capture; babeltrace2 (inside the VM) reads the captured CTF trace
# and the events of the workload's thread have exactly the expected
# counts, syscall ids, return values and path strings.  Also: the
# statedump, sched_process_exec/exit, and the in-kernel syscall filter.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('syscall capture test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t11-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $wl  = "$root/kmod/tools/bin/vigil-workload";
my $path = '/nonexistent/vigil-t11/path-that-fails';

my $cmd = <<"EOS";
set -e
$cap -o $dir/all -- $wl --efault-opens 7 --edge-opens 3 1000 500 $path /bin/true vigil-arg-1 vigil-arg-2 > $dir/all.capture 2>&1
babeltrace2 $dir/all > $dir/all.txt 2> $dir/all.bterr
$cap -o $dir/filtered --events raw_syscalls:sys_enter,raw_syscalls:sys_exit --syscall 110 -- $wl 300 20 $path > $dir/filtered.capture 2>&1
babeltrace2 $dir/filtered > $dir/filtered.txt 2> $dir/filtered.bterr
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'capture and babeltrace2 ran in the VM with a clean kernel log') or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

# ---- full capture -------------------------------------------------------
my $capout = slurp("$dir/all.capture");
my ($pid) = $capout =~ /^pid=(\d+)$/m;
ok($pid, 'the workload reported its pid') or diag($capout);
my ($written, $discarded) = $capout =~ /^total: written=(\d+) discarded=(\d+)/m;
ok(defined $written, 'vigil-capture printed its totals') or diag($capout);
is($discarded, 0, 'no event was discarded with default buffers');

my @lines = split /\n/, slurp("$dir/all.txt");
is(scalar @lines, $written, 'babeltrace2 reads exactly as many events as the module wrote');
is(slurp("$dir/all.bterr"), '', 'babeltrace2 reports no error and no discarded events');

my (%enter, %exit, @mine);
for (@lines) {
    next unless /\{ tid = \Q$pid\E \}/;
    push @mine, $_;
}
my @enter_ppid = grep { /raw_syscalls:sys_enter: .*\{ id = 110, / } @mine;
my @exit_ppid  = grep { /raw_syscalls:sys_exit: .*\{ id = 110, / } @mine;
is(scalar @enter_ppid, 1000, 'exactly 1000 sys_enter for getppid (id 110) from the workload thread');
is(scalar @exit_ppid, 1000, 'exactly 1000 sys_exit for getppid from the workload thread');
my %ppid_rets = map { /ret = (-?\d+)/ ? ($1 => 1) : () } @exit_ppid;
is(scalar keys %ppid_rets, 1, 'every getppid returned the same value');
my ($ppid_ret) = keys %ppid_rets;
ok(defined $ppid_ret && $ppid_ret > 1, "getppid returned the parent's pid ($ppid_ret)");

my @enter_open = grep { /raw_syscalls:sys_enter: .*\{ id = 257, .*path_status = 1, path = "\Q$path\E"/ } @mine;
is(scalar @enter_open, 500, 'exactly 500 openat entries carry the path string of the failing open');
is(scalar(grep { /path_arg = 1, path_status = 1,/ } @enter_open), 500,
    'the openat path is argument 1 and was read (path_status 1)');
my @exit_enoent = grep { /raw_syscalls:sys_exit: .*\{ id = 257, ret = -2 \}/ } @mine;
is(scalar @exit_enoent, 506, 'exactly 506 openat exits return -ENOENT (-2): 500, and 6 of the page-edge paths below');

my @efault = grep { /raw_syscalls:sys_enter: .*\{ id = 257, args = \[ \[0\] = \d+, \[1\] = 16, .*path_arg = 1, path_status = 2, / } @mine;
is(scalar @efault, 7, 'an unmapped path pointer is marked unreadable (path_status 2), 7 times');
# babeltrace2 2.0.4 prints an empty string field as the previous string
# of the same field, so the empty path is checked in the raw stream:
# id 257, args[0] = AT_FDCWD, args[1] = 16, 4 more args, path_arg 1,
# path_status 2, then the string's single NUL.
my $raw = pack('q<Q<Q<', 257, 4294967196, 16);
my $nraw = 0;
for my $f (glob("$dir/all/stream_*")) {
    my $b = slurp($f);
    while ($b =~ /\Q$raw\E.{32}\x01\x02(.)/sg) { $nraw++ if $1 eq "\0" }
}
is($nraw, 7, 'in the raw stream the 7 unreadable paths are empty strings');

# paths at a page's edge (vigil-workload --edge-opens 3): read up to a
# NUL that is a page's last byte, across two pages, unreadable when they
# run into an unreadable page, and kept truncated when longer than PATH_MAX
my $long = '/' . ('a' x 4094);
is(scalar(grep { /raw_syscalls:sys_enter: .*\{ id = 257, .*path_arg = 1, path_status = 1, path = "\/vigil-edge\/end-at-page" \}/ } @mine), 3,
    "a path whose NUL is the last byte before an unreadable page is read whole, 3 times");
is(scalar(grep { /raw_syscalls:sys_enter: .*\{ id = 257, .*path_arg = 1, path_status = 1, path = "\/vigil-edge\/across-pages" \}/ } @mine), 3,
    'a path across two readable pages is read whole, 3 times');
is(scalar(grep { /raw_syscalls:sys_enter: .*\{ id = 257, args = \[ \[0\] = \d+, \[1\] = (?!16,)\d+, .*path_arg = 1, path_status = 2, / } @mine), 3,
    'a path running into an unreadable page without a NUL is unreadable (path_status 2), 3 times');
is(scalar(grep { /raw_syscalls:sys_exit: .*\{ id = 257, ret = -14 \}/ } @mine), 10,
    'those and the 7 unmapped ones return -EFAULT (-14)');
is(scalar(grep { /raw_syscalls:sys_enter: .*\{ id = 257, .*path_arg = 1, path_status = 1, path = "\Q$long\E" \}/ } @mine), 3,
    'a 5000-byte path is kept as its first 4095 bytes (PATH_MAX - 1), 3 times');
is(scalar(grep { /raw_syscalls:sys_exit: .*\{ id = 257, ret = -36 \}/ } @mine), 3,
    'those return -ENAMETOOLONG (-36)');

my @execve = grep { /raw_syscalls:sys_enter: .*\{ id = 59, .*path_arg = 0, path_status = 1, path = "\/bin\/true" \}/ } @mine;
is(scalar @execve, 1, 'one execve entry with path "/bin/true"');
my @exec = grep { /sched:sched_process_exec: .*filename = "\/bin\/true"/ } @mine;
is(scalar @exec, 1, 'one sched_process_exec of /bin/true for the workload');
like($exec[0] // '', qr/pid = $pid, old_pid = $pid, tgid = $pid, ppid = $ppid_ret, uid = 0, argv = "\/bin\/true vigil-arg-1 vigil-arg-2"/,
    'sched_process_exec has pid, old_pid, tgid, ppid, uid and the argv joined by spaces');
my @exit_ev = grep { /sched:sched_process_exit: .*pid = $pid, prio = \d+, tgid = $pid, exit_code = 0 \}/ } @mine;
is(scalar @exit_ev, 1, 'one sched_process_exit of the workload with exit_code 0');

my @sd = grep { /vigil:statedump_process:/ } @lines;
ok(scalar @sd > 10, 'the statedump described the existing threads (' . scalar(@sd) . ')');
ok((grep { /\{ tid = 1, pid = 1, ppid = 0, comm = "[^"]+", uid = 0, cgroup_id = 1, exe = "\/[^"]+" \}/ } @sd),
    'init (tid 1) is in the statedump with its executable path (and in the root cgroup, id 1)');
my ($sd_end) = grep { /vigil:statedump_end:/ } @lines;
like($sd_end // '', qr/count = (\d+)/, 'vigil:statedump_end follows');
my ($sd_count) = ($sd_end // '') =~ /count = (\d+)/;
is($sd_count, scalar @sd, 'statedump_end counts the statedump_process events');
ok((grep { /sched:sched_switch: / } @lines), 'sched_switch events were recorded');

# ---- syscall filter -------------------------------------------------------
my $fcap = slurp("$dir/filtered.capture");
my ($fpid) = $fcap =~ /^pid=(\d+)$/m;
my ($fwritten) = $fcap =~ /^total: written=(\d+)/m;
my @flines = split /\n/, slurp("$dir/filtered.txt");
is(scalar @flines, $fwritten, 'filtered capture: babeltrace2 count equals the written count');
is(scalar(grep { !/raw_syscalls:sys_(enter|exit): .*\{ id = 110, / } @flines), 0,
    'with --syscall 110 only getppid entry/exit events are recorded');
is(scalar(grep { /\{ tid = \Q$fpid\E \}/ && /sys_enter/ } @flines), 300,
    'the filtered trace has exactly the workload\'s 300 getppid entries');

done_testing;
