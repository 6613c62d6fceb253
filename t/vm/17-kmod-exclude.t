#!/usr/bin/perl
# VIGIL_FILTER_EXCLUDE_TGID: the events about an excluded process are
# not recorded at all while another process running at the same time is
# recorded exactly (vigil-capture --exclude-tgid); without the exclusion
# the same workload is recorded exactly (the test can tell).  The new
# filter type is validated like the other id sets (count limit, bad
# pointers, negative ids, -EINVAL for an unknown type), with a clean
# kernel log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('exclude filter test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t17-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $chk = "$root/kmod/tools/vigil-ioctl-check";
my $wl  = "$root/kmod/tools/bin/vigil-workload";
my $path = '/nonexistent/vigil-t17/path';

# The other process blocks opening its stdout (a fifo) until the traced
# command opens the fifo for reading, so it runs during the capture; the
# traced command reads it to the end (the other process has then closed
# its files) before running its own known workload.
my $cmd = <<"EOS";
set -e
mkfifo /tmp/x.fifo /tmp/y.fifo
$wl 2000 100 $path > /tmp/x.fifo &
A=\$!
echo "excluded=\$A" > $dir/x.pids
$cap -o $dir/x --exclude-tgid \$A -- sh -c "cat /tmp/x.fifo > $dir/x.other; exec $wl 1000 300 $path" > $dir/x.capture 2>&1
wait \$A
babeltrace2 $dir/x > $dir/x.txt 2> $dir/x.bterr
$wl 2000 100 $path > /tmp/y.fifo &
B=\$!
echo "other=\$B" > $dir/y.pids
$cap -o $dir/y -- sh -c "cat /tmp/y.fifo > $dir/y.other; exec $wl 1000 300 $path" > $dir/y.capture 2>&1
wait \$B
babeltrace2 $dir/y > $dir/y.txt 2> $dir/y.bterr
$chk --exclude-filter > $dir/check.out 2>&1
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'captures, babeltrace2 and the ioctl checks ran in the VM with a clean kernel log')
    or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

# Events of thread $tid; with $after_exec only those after its exec of
# the workload (the traced command is a shell first, which calls getppid).
# babeltrace2 2.0.4 prints an empty string as the previous string of the
# field, so a path counts only with path_status = 1.
sub counts {
    my ($lines, $tid, $after_exec) = @_;
    my @mine = grep { /\{ tid = \Q$tid\E \}/ } @$lines;
    if ($after_exec) {
        my ($i) = grep { $mine[$_] =~ /sched:sched_process_exec: .*filename = "\Q$wl\E"/ } 0 .. $#mine;
        @mine = defined $i ? @mine[$i + 1 .. $#mine] : ();
    }
    return {
        all    => scalar @mine,
        ppid   => scalar(grep { /raw_syscalls:sys_enter: .*\{ id = 110, / } @mine),
        opens  => scalar(grep { /raw_syscalls:sys_enter: .*\{ id = 257, .*path_status = 1, path = "\Q$path\E"/ } @mine),
        enoent => scalar(grep { /raw_syscalls:sys_exit: .*\{ id = 257, ret = -2 \}/ } @mine),
    };
}

for my $run (['x', 'excluded'], ['y', 'other']) {
    my ($n, $key) = @$run;
    my $capout = slurp("$dir/$n.capture");
    my ($pid) = $capout =~ /^pid=(\d+)$/m;
    my ($other) = slurp("$dir/$n.pids") =~ /^\Q$key\E=(\d+)$/m;
    my ($other_pid) = slurp("$dir/$n.other") =~ /^pid=(\d+)$/m;
    ok($pid && $other, "run $n: both workloads reported their pids") or diag($capout);
    is($other_pid, $other, "run $n: the other workload ran during the capture (its output was read by the traced command)");
    my ($written, $discarded) = $capout =~ /^total: written=(\d+) discarded=(\d+)/m;
    is($discarded, 0, "run $n: nothing was discarded");
    my @lines = split /\n/, slurp("$dir/$n.txt");
    is(scalar @lines, $written, "run $n: babeltrace2 reads every written event");
    is(slurp("$dir/$n.bterr"), '', "run $n: babeltrace2 reports no error");

    my $c = counts(\@lines, $pid // -1, 1);
    is($c->{ppid}, 1000, "run $n: the traced workload has exactly its 1000 getppid entries");
    is($c->{opens}, 300, "run $n: and exactly its 300 openat entries with the path");
    is($c->{enoent}, 300, "run $n: and exactly its 300 openat exits with -ENOENT");

    my $o = counts(\@lines, $other // -1);
    if ($n eq 'x') {
        # Events with the excluded process as current task that are
        # not about it (VG_ABOUT) stay: interrupts, softirqs, packets,
        # I/O completions, its switches to, wakeups of and signals to
        # other tasks (SIGCHLD to its parent when it exits).
        my $ex = $other // -1;
        my @about = grep {
            !/ (irq:irq_handler_(entry|exit)|irq:softirq_(entry|exit)|net:netif_receive_skb|block:block_rq_complete): /
            && !/sched:sched_switch: .*next_pid = (?!\Q$ex\E,)\d+,/
            && !/sched:sched_wakeup(_new)?: .*\{ comm = "[^"]*", pid = (?!\Q$ex\E,)\d+,/
            && !/signal:signal_generate: .* comm = "[^"]*", pid = (?!\Q$ex\E,)\d+,/
        } grep { /\{ tid = \Q$ex\E \}/ } @lines;
        is(scalar @about, 0, 'run x: not one event about the excluded process (only interrupts and other tasks\' wakeups, switches and signals while it ran)')
            or diag(join "\n", @about[0 .. ($#about > 9 ? 9 : $#about)]);
        is(scalar(grep { /path_status = 1, path = "\Q$path\E"/ } @lines), 300,
            'run x: the excluded process\'s 100 openat paths are nowhere in the trace');
    } else {
        is($o->{ppid}, 2000, 'run y (no exclusion): the same other workload has exactly 2000 getppid entries');
        is($o->{opens}, 100, 'run y (no exclusion): and exactly 100 openat entries');
    }
}

# ---- argument checks ---------------------------------------------------
my %got = slurp("$dir/check.out") =~ /^case (\S+) (\S+)$/mg;
my @expect = (
    [xcfg_good                  => 0      => 'the session is configured'],
    [xfilter_type_after_exclude => EINVAL => 'FILTER still rejects the first type after EXCLUDE_TGID'],
    [xfilter_type_huge          => EINVAL => 'FILTER rejects type 0xffffffff'],
    [xfilter_too_many           => EINVAL => 'EXCLUDE_TGID rejects more than VIGIL_FILTER_MAX_IDS ids'],
    [xfilter_max                => 0      => 'EXCLUDE_TGID accepts exactly VIGIL_FILTER_MAX_IDS ids'],
    [xfilter_bad_ids_pointer    => EFAULT => 'EXCLUDE_TGID with an unmapped id array is -EFAULT'],
    [xfilter_null_ids           => EINVAL => 'EXCLUDE_TGID with count > 0 and a NULL id array is -EINVAL'],
    [xfilter_negative           => EINVAL => 'EXCLUDE_TGID rejects negative ids'],
    [xfilter_duplicates         => 0      => 'EXCLUDE_TGID accepts duplicate ids'],
    [xstart                     => 0      => 'tracing starts with an exclude set installed'],
    [xfilter_while_running      => 0      => 'the exclude set can be replaced while tracing'],
    [xfilter_clear              => 0      => 'count 0 clears the exclude set'],
    [xstop                      => 0      => 'tracing stops'],
);
for my $e (@expect) {
    my ($case, $want, $name) = @$e;
    is($got{$case}, $want, $name);
}
my %known = map { $_->[0] => 1 } @expect;
is_deeply([grep { !$known{$_} } sort keys %got], [], 'every case the tool ran has an expectation');
like($r->{kernel_log}, qr/vigil: FILTER: unknown type 4/, 'the kernel log names the unknown type');
like($r->{kernel_log}, qr/vigil: FILTER: ids\[0\] = -7 is out of range \(ids are >= 0\)/,
    'the kernel log names the negative id');
my ($run_log) = $r->{kernel_log} =~ /(vigil-vm: run start.*)/s;
unlike($run_log // '', qr/\b(WARNING|BUG|Oops)\b|Call Trace/, 'no kernel warning');

done_testing;
