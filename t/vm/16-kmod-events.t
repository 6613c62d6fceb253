#!/usr/bin/perl
# Every kind of built-in event reaches the trace with the fields of
# docs/design.md and plausible values: fork/exec/exit of a known process,
# wakeups and switches, signals generated and delivered to it, its user
# page faults, interrupts and softirqs, and loopback network traffic
# (net_dev_xmit / netif_receive_skb on "lo"), block requests on a loop
# device (block_rq_issue / block_rq_complete).  babeltrace2 reads the trace.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('event coverage test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t16-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";

# The traced program: forks a child that exits 3, sends itself SIGUSR1
# (handled), touches fresh memory, sends UDP datagrams over loopback.
open my $fh, '>', "$dir/prog.pl" or die;
print $fh <<'EOP';
use strict; use IO::Socket::INET;
$| = 1;
print "parent=$$\n";
my $pid = fork // die;
if (!$pid) { exit 3 }
waitpid($pid, 0);
print "child=$pid status=", $? >> 8, "\n";
my $got = 0;
$SIG{USR1} = sub { $got++ };
kill USR1 => $$;
print "usr1=$got\n";
my $mem = "x" x (4 * 1024 * 1024);
my $rx = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1', LocalPort => 47123) or die "rx: $!";
my $tx = IO::Socket::INET->new(Proto => 'udp', PeerAddr => '127.0.0.1', PeerPort => 47123) or die "tx: $!";
$tx->send("vigil-$_") for 1 .. 5;
my $n = 0; my $buf;
while ($n < 5 && $rx->recv($buf, 100)) { $n++ }
print "udp=$n\n";
EOP
close $fh;

my $cmd = <<"EOS";
ip link set lo up
$cap -o $dir/ev -- perl $dir/prog.pl > $dir/ev.capture 2>&1
echo "capture exit \$?"
babeltrace2 $dir/ev > $dir/ev.txt 2> $dir/ev.bterr
echo "babeltrace2 exit \$?"
modprobe loop
truncate -s 8M /tmp/vigil-t16.img
L=\$(losetup -f --show /tmp/vigil-t16.img)
echo "loopdev=\$L"
$cap -o $dir/blk --events block:block_rq_issue,block:block_rq_complete -- dd if=/dev/zero of=\$L bs=4096 count=16 oflag=direct > $dir/blk.capture 2>&1
echo "block capture exit \$?"
losetup -d \$L
babeltrace2 $dir/blk > $dir/blk.txt 2> $dir/blk.bterr
echo "block babeltrace2 exit \$?"
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'ran in the VM with a clean kernel log') or diag($r->{output});
like($r->{output}, qr/^capture exit 0$/m, 'capture succeeded');
like($r->{output}, qr/^babeltrace2 exit 0$/m, 'babeltrace2 read the trace');

sub slurp { my ($f) = @_; open my $h, '<', $f or return ''; local $/; my $s = <$h>; return $s }
my $c = slurp("$dir/ev.capture");
my ($parent) = $c =~ /^parent=(\d+)$/m;
my ($child) = $c =~ /^child=(\d+) status=3$/m;
ok($parent && $child, 'the program ran: parent and child pids known') or diag($c);
like($c, qr/^usr1=1$/m, 'the program handled its SIGUSR1');
like($c, qr/^udp=5$/m, 'the program received its 5 loopback datagrams');
my $t = slurp("$dir/ev.txt");

like($t, qr/sched:sched_process_fork: .*\{ parent_comm = "perl", parent_pid = $parent, child_comm = "perl", child_pid = $child, child_tgid = $child, child_cgroup_id = \d+ \}/,
    'sched_process_fork: parent and child comm/pid, child_tgid, child_cgroup_id');
like($t, qr/sched:sched_wakeup_new: .*\{ comm = "perl", pid = $child, prio = \d+, target_cpu = \d \}/,
    'sched_wakeup_new of the child');
like($t, qr/sched:sched_process_exit: .*\{ comm = "perl", pid = $child, prio = \d+, tgid = $child, exit_code = 768 \}/,
    'sched_process_exit of the child with exit_code 768 (exit status 3 << 8)');
like($t, qr/sched:sched_process_exec: .*\{ tid = $parent \}, \{ filename = "\/usr\/bin\/perl", pid = $parent, old_pid = $parent, tgid = $parent, ppid = \d+, uid = 0, argv = "perl \Q$dir\E\/prog.pl" \}/,
    'sched_process_exec of perl with its argv');
like($t, qr/sched:sched_wakeup: .*\{ comm = "[^"]*", pid = \d+, prio = \d+, target_cpu = \d \}/, 'sched_wakeup events');
like($t, qr/sched:sched_switch: .*\{ prev_comm = "[^"]*", prev_pid = \d+, prev_prio = \d+, prev_state = \d+, next_comm = "[^"]*", next_pid = \d+, next_prio = \d+ \}/,
    'sched_switch events with all fields');
like($t, qr/signal:signal_generate: .*\{ sig = 10, errno = 0, code = 0, comm = "perl", pid = $parent, group = \d, result = 0 \}/,
    'signal_generate of SIGUSR1 (code SI_USER) to the program');
like($t, qr/signal:signal_deliver: .*\{ tid = $parent \}, \{ sig = 10, errno = 0, code = 0, sa_handler = 0x[0-9A-Fa-f]+, sa_flags = 0x[0-9A-Fa-f]+ \}/,
    'signal_deliver of SIGUSR1 in the program');
like($t, qr/signal:signal_generate: .*\{ sig = 17, .*pid = $parent, /, 'SIGCHLD generated for the parent when the child exits');
ok(scalar(() = $t =~ /exceptions:page_fault_user: \{ cpu_id = \d \}, \{ tid = $parent \}, \{ address = 0x[0-9A-Fa-f]+, ip = 0x[0-9A-Fa-f]+, error_code = 0x[0-9A-Fa-f]+ \}/g) > 100,
    'the program\'s user page faults (more than 100 for 4 MiB of fresh memory)');
like($t, qr/irq:softirq_entry: .*\{ vec = \d+ \}/, 'softirq_entry events');
like($t, qr/irq:softirq_exit: .*\{ vec = \d+ \}/, 'softirq_exit events');
like($t, qr/irq:irq_handler_entry: .*\{ irq = \d+, name = "[^"]+" \}/, 'irq_handler_entry with the handler name');
like($t, qr/irq:irq_handler_exit: .*\{ irq = \d+, ret = \d+ \}/, 'irq_handler_exit with the return value');
is(scalar(() = $t =~ /net:net_dev_xmit: .*\{ skbaddr = 0x0, len = \d+, rc = 0, name = "lo" \}/g) >= 5, 1,
    'net_dev_xmit on "lo" for the datagrams, skbaddr hidden (0)');
is(scalar(() = $t =~ /net:netif_receive_skb: .*\{ skbaddr = 0x0, len = \d+, name = "lo" \}/g) >= 5, 1,
    'netif_receive_skb on "lo" for the datagrams');
like($t, qr/vigil:statedump_end: /, 'the statedump ended');
my ($w) = $c =~ /^total: written=(\d+)/m;
is(scalar(() = $t =~ /\n/g), $w, 'babeltrace2 reads as many events as were written');

# ---- block ----
like($r->{output}, qr/^block capture exit 0$/m, 'block capture succeeded');
like($r->{output}, qr/^block babeltrace2 exit 0$/m, 'babeltrace2 read the block trace');
my ($minor) = $r->{output} =~ /^loopdev=\/dev\/loop(\d+)$/m;
my $dev = (7 << 20) | ($minor // 0);
my $blk = slurp("$dir/blk.txt");
my @issue = $blk =~ /block:block_rq_issue: .*\{ dev = $dev, sector = (\d+), nr_sector = 8, bytes = 4096, rwbs = "WS?", comm = "[^"]+" \}/g;
my @done  = $blk =~ /block:block_rq_complete: .*\{ dev = $dev, sector = (\d+), nr_sector = 8, error = 0, rwbs = "WS?" \}/g;
is_deeply([sort { $a <=> $b } @issue], [map { $_ * 8 } 0 .. 15],
    'block_rq_issue: 16 direct 4 KiB writes to the loop device (dev MKDEV(7,minor)), sectors 0..120, 8 sectors, 4096 bytes, rwbs W');
is_deeply([sort { $a <=> $b } @done], [map { $_ * 8 } 0 .. 15], 'block_rq_complete for each of them with error 0');

done_testing;
