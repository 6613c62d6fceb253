#!/usr/bin/perl
# Task filters judge only events about a task (VG_ABOUT in
# kmod/vigil_events.h).  A process X is excluded (VIGIL_FILTER_EXCLUDE_TGID,
# as vigild excludes itself) while it is busy receiving packets on the
# loopback device and waking a partner process Y.  Interrupts, softirqs
# and net:netif_receive_skb that happen while X is current are not about
# X and are recorded; so are the wakeups of Y that X performs and X's
# switches to other tasks.  Nothing about X alone is recorded: its
# syscalls, switches between X and X, and the wakeups of X by the
# interrupt of its own short sleeps that land while X is still current
# (the interrupt is not about X, but the wakeup names X).  An unfiltered
# control run of the same workload shows the same packets.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('filter context test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t19-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $nb  = "$root/kmod/tools/bin/vigil-netbusy";
my $n   = 2000;

# X blocks opening its stdout (a fifo) until the traced command reads
# it, so it runs during the capture; the command reads to the end.
my $events = 'raw_syscalls:sys_enter,raw_syscalls:sys_exit,sched:sched_switch,'
    . 'sched:sched_wakeup,irq:irq_handler_entry,irq:softirq_entry,net:netif_receive_skb';
# On PREEMPT_RT a normal task's sleep timer expires in the ktimers
# thread, not in the interrupt that lands on the sleeper, so the workload
# runs SCHED_FIFO there: an RT task's sleep timer stays in hard interrupt
# context, and the self-wakeup from an interrupt happens as on 6.1.
my $cmd = 'RT=; if [ "$(cat /sys/kernel/realtime 2>/dev/null)" = 1 ]; then RT="chrt -f 1"; fi' . "\n";
for my $run ([x => '--exclude-tgid $X'], [y => '']) {
    my ($r, $opt) = @$run;
    $cmd .= <<"EOS";
mkfifo /tmp/$r.fifo
\$RT $nb $n > /tmp/$r.fifo &
X=\$!
echo "x=\$X" > $dir/$r.pids
$cap -o $dir/$r --subbuf-size 1048576 --n-subbufs 32 --events $events $opt -- sh -c "cat /tmp/$r.fifo > $dir/$r.out" > $dir/$r.capture 2>&1
wait \$X
echo "$r netbusy exit \$?"
babeltrace2 $dir/$r > $dir/$r.txt 2> $dir/$r.bterr
EOS
}
my $r = vm_run(cmd => $cmd, timeout => 900, rw_share => $dir);
is($r->{exit}, 0, 'captures and babeltrace2 ran in the VM with a clean kernel log')
    or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

my %c;
for my $run (qw(x y)) {
    like($r->{output}, qr/^$run netbusy exit 0$/m, "run $run: the workload succeeded");
    my ($x) = slurp("$dir/$run.pids") =~ /^x=(\d+)$/m;
    my ($pid, $y) = slurp("$dir/$run.out") =~ /^pid=(\d+) partner=(\d+)$/m;
    is($pid, $x, "run $run: the workload reported its pid and its partner's") or next;
    my $capout = slurp("$dir/$run.capture");
    my ($written, $discarded) = $capout =~ /^total: written=(\d+) discarded=(\d+)/m;
    is($discarded, 0, "run $run: nothing was discarded");
    my @l = split /\n/, slurp("$dir/$run.txt");
    is(scalar @l, $written, "run $run: babeltrace2 reads every written event");
    my @onx = grep { /\{ tid = \Q$x\E \}/ } @l;
    $c{$run} = {
        packets  => scalar(grep { /net:netif_receive_skb: .*len = 1262, name = "lo"/ } @l),
        packets_on_x => scalar(grep { /net:netif_receive_skb: .*len = 1262, name = "lo"/ } @onx),
        intr_on_x => scalar(grep { /irq:(irq_handler|softirq)_entry: / } @onx),
        wake_y_by_x => scalar(grep { /sched:sched_wakeup: .*pid = \Q$y\E,/ } @onx),
        switch_x_away => scalar(grep { /sched:sched_switch: .*prev_pid = \Q$x\E, .*next_pid = (?!\Q$x\E,)\d+,/ } @l),
        sys_of_x => scalar(grep { /raw_syscalls:sys_(enter|exit): / } @onx),
        about_x_only => scalar(grep { /sched:sched_switch: .*prev_pid = \Q$x\E, .*next_pid = \Q$x\E,/ } @l),
        wake_x_on_x => scalar(grep { /sched:sched_wakeup: .*pid = \Q$x\E,/ } @onx),
    };
}
my ($x, $y) = ($c{x}, $c{y});
SKIP: {
    skip 'a run failed', 11 unless $x && $y;
    is($y->{packets}, $n, "control run: $n packets of the workload received on lo");
    is($x->{packets}, $n, "excluded run: all $n packets received while the excluded process sent them are recorded");
    cmp_ok($x->{packets_on_x}, '>', 0,
        "excluded run: $x->{packets_on_x} of them were received in a softirq on top of the excluded process");
    cmp_ok($x->{intr_on_x}, '>', 0,
        "excluded run: $x->{intr_on_x} irq/softirq entries that interrupted the excluded process are recorded (control: $y->{intr_on_x})");
    cmp_ok($x->{wake_y_by_x}, '>', 0,
        "excluded run: $x->{wake_y_by_x} wakeups of the partner by the excluded process are recorded (control: $y->{wake_y_by_x})");
    cmp_ok($x->{switch_x_away}, '>', 0,
        "excluded run: $x->{switch_x_away} switches from the excluded process to another task are recorded (control: $y->{switch_x_away})");
    is($x->{sys_of_x}, 0, 'excluded run: not one syscall of the excluded process is recorded');
    is($x->{about_x_only}, 0, 'excluded run: no switch between the excluded process and itself');
    cmp_ok($y->{sys_of_x}, '>', 0, "control run: the workload's syscalls are recorded ($y->{sys_of_x})");
    cmp_ok($y->{wake_x_on_x}, '>', 0,
        "control run: $y->{wake_x_on_x} wakeups of the workload by an interrupt that landed on it");
    is($x->{wake_x_on_x}, 0,
        'excluded run: not one wakeup of the excluded process, even by an interrupt that landed on it');
}

done_testing;
