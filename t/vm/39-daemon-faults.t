#!/usr/bin/perl
# vigild under faults, in the VM with the real vigil.ko:
#  - a handler far slower than the event rate (1 ms per event) against a
#    workload of known size: the kernel discards and counts, and
#    dispatched + discarded == generated exactly; vigild's memory stays
#    bounded (the buffers, not the backlog, absorb the excess);
#  - `rmmod vigil` while vigild is attached is refused, and tracing goes
#    on;
#  - SIGKILL of vigild mid-run: the module is released (its refcount
#    drops, nothing is left running), a new vigild attaches at once and
#    counts the next workload exactly;
#  - a handler that loops forever: the watchdog reports it with its line
#    and aborts the call, and the events that waited in the buffers
#    meanwhile are all delivered (dispatched + discarded == generated);
# and the kernel log stays clean throughout (vm_run fails on a warning,
# and the final rmmod must succeed).
#
# The workloads are perl processes started BEFORE vigild, waiting on a
# fifo, and selected with --pid: while tracing, they make exactly N
# getppid calls and nothing else is recorded (filters.syscalls keeps
# only getppid; their other syscalls and their exit fall outside).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild fault tests');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigild-vm39-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
my $nr_getppid = 110;    # x86_64
my $slow_n = 20000;
my $kill_n = 5000;
my $loop_n = 3000;

# Small buffers: 4 x 4 KiB per CPU hold a few hundred events.
write_file("$share/small.yaml", <<"Y");
control_socket: $sock
events: [raw_syscalls:sys_enter]
filters:
  syscalls: [getppid]
buffer:
  size: 4KiB
  count: 4
switch_interval: 50ms
Y
write_file("$share/big.yaml", <<"Y");
control_socket: $sock
events: [raw_syscalls:sys_enter]
filters:
  syscalls: [getppid]
buffer:
  size: 256KiB
  count: 16
Y

# 1 ms per event: 20000 events would take 20 s; the workload makes
# them in well under a second.
write_file("$share/slow.pl", <<'PL');
use strict;
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_enter' => sub { $n++; select(undef, undef, undef, 0.001) };
END { print "dispatched $n\n" }
PL
write_file("$share/count.pl", <<'PL');
use strict;
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_enter' => sub { $n++ };
END { print "dispatched $n\n" }
PL

write_file("$share/loop.pl", <<'PL');
use strict;
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_enter' => sub {
	$n++;
	1 while $n == 10;	# line 6
};
END { print "dispatched $n\n" }
PL

# A workload that waits on its fifo (opened read-write: no writer
# needed), makes N getppid calls when a line comes, says so, and waits
# for a second line to exit.
write_file("$share/wl.pl", <<"PL");
use strict;
my (\$fifo, \$n, \$done) = \@ARGV;
open(my \$f, '+<', \$fifo) or die "\$fifo: \$!";
my \$go = <\$f>;
syscall($nr_getppid) for 1 .. \$n;
open(my \$d, '>', \$done) or die "\$done: \$!";
close \$d;
my \$end = <\$f>;
PL

# (fifos and flag files in the guest's own /tmp: the 9p share has no fifos)
write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
T=/tmp/vg39
mkdir -p \$T
@{[ sh_waitsock($sock) ]}
# wait for a file to appear (at most 60 s)
waitfile() {
	i=0
	while [ ! -e "\$1" ]; do
		i=\$((i+1)); [ \$i -lt 600 ] || { echo "no \$1" >>\$S/rc; return 1; }
		sleep 0.1
	done
}
rss() { awk '/^VmRSS:/ { print \$2 }' /proc/\$1/status; }

# ---- a slow handler: dispatched + discarded == generated ----
mkfifo \$T/f1
perl \$S/wl.pl \$T/f1 $slow_n \$T/done1 &
W1=\$!
$vigild -f -c \$S/small.yaml --pid \$W1 -s \$S/slow.pl >\$S/slow.out 2>\$S/slow.err &
V=\$!
waitsock
echo go >\$T/f1
waitfile \$T/done1
# it is still working through the backlog: memory stays bounded
sleep 2
echo "rss_busy \$(rss \$V)" >>\$S/rc
# ---- rmmod while attached: refused, tracing goes on ----
rmmod vigil 2>\$S/rmmod.err; echo "rmmod_attached \$?" >>\$S/rc
[ -e /dev/vigil ]; echo "dev_after_rmmod \$? " >>\$S/rc
$vigilctl --socket $sock status >\$S/slow.status 2>&1; echo "status \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "slow \$?" >>\$S/rc
echo end >\$T/f1; wait \$W1

# ---- SIGKILL mid-run, then a new vigild ----
mkfifo \$T/f2 \$T/f3
perl \$S/wl.pl \$T/f2 $kill_n \$T/done2 &
W2=\$!
perl \$S/wl.pl \$T/f3 $kill_n \$T/done3 &
W3=\$!
$vigild -f -c \$S/big.yaml --pid \$W2 -s \$S/count.pl >\$S/killed.out 2>\$S/killed.err &
V=\$!
waitsock
echo go >\$T/f2
waitfile \$T/done2
kill -KILL \$V; wait \$V; echo "killed \$?" >>\$S/rc
rm -f $sock
echo "refcnt_after_kill \$(cat /sys/module/vigil/refcnt)" >>\$S/rc
$vigild -f -c \$S/big.yaml --pid \$W3 -s \$S/count.pl >\$S/again.out 2>\$S/again.err &
V=\$!
waitsock
echo go >\$T/f3
waitfile \$T/done3
sleep 1
kill -TERM \$V; wait \$V; echo "again \$?" >>\$S/rc
echo end >\$T/f2; echo end >\$T/f3; wait \$W2 \$W3

# ---- a handler that loops forever: the watchdog ----
mkfifo \$T/f4
perl \$S/wl.pl \$T/f4 $loop_n \$T/done4 &
W4=\$!
$vigild -f -c \$S/big.yaml --pid \$W4 --watchdog 0.5s,2s -s \$S/loop.pl >\$S/loop.out 2>\$S/loop.err &
V=\$!
waitsock
echo go >\$T/f4
waitfile \$T/done4
sleep 4
kill -TERM \$V; wait \$V; echo "loop \$?" >>\$S/rc
echo end >\$T/f4; wait \$W4
echo "refcnt_end \$(cat /sys/module/vigil/refcnt)" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 900);
is($r->{exit}, 0, 'the VM run finished cleanly (no kernel warning; the module unloads at the end)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\S+)/mg;

# ---- the slow handler --------------------------------------------------------
my $err = slurp("$share/slow.err") // '';
is($rc{slow}, 0, 'vigild with the slow handler exits 0 on SIGTERM') or diag $err;
my ($dispatched) = (slurp("$share/slow.out") // '') =~ /^dispatched (\d+)$/m;
# the stop log's per-CPU table: the "all" row, discarded column
my ($read, $discarded) = $err =~ /\ball\s+(\d+)\s+(\d+)\s/;
ok(defined $dispatched && defined $discarded, "the handler's count and the kernel's discards are known")
    or diag $err;
cmp_ok($discarded // 0, '>', 0, "the kernel discarded what the handler could not keep up with ($discarded)");
is(($dispatched // 0) + ($discarded // 0), $slow_n,
   "dispatched ($dispatched) + discarded ($discarded) == generated ($slow_n), exactly");
my $rss = $rc{rss_busy} // 1e9;
cmp_ok($rss, '<', 64 * 1024, "vigild's memory while behind is bounded ($rss KiB)");

# ---- rmmod while attached -------------------------------------------------------
isnt($rc{rmmod_attached} // 0, 0, 'rmmod vigil while vigild is attached is refused');
like(slurp("$share/rmmod.err") // '', qr/in use/i, '... as in use') or diag slurp("$share/rmmod.err");
is($rc{dev_after_rmmod}, 0, '... and /dev/vigil is still there');
is($rc{status}, 0, 'vigild answers status after the refused rmmod');

# ---- SIGKILL and a new vigild -------------------------------------------------------
is($rc{killed}, 137, 'vigild was killed with SIGKILL mid-run');
is($rc{refcnt_after_kill}, 0, 'the module was released (refcount 0): nothing of the killed vigild holds it');
is($rc{again}, 0, 'a new vigild attached and exited 0') or diag slurp("$share/again.err");
like(slurp("$share/again.out") // '', qr/^dispatched $kill_n$/m,
     "the new vigild counted the next workload exactly ($kill_n getppid)")
    or diag(slurp("$share/again.out"), slurp("$share/again.err"));
unlike(slurp("$share/again.err") // '', qr/corrupt|bad magic|CRITICAL/i, '... with no complaint about the buffers');

# ---- the watchdog ---------------------------------------------------------------------
$err = slurp("$share/loop.err") // '';
is($rc{loop}, 3, 'a handler looping forever: vigild goes on, exit 3 on SIGTERM (one handler error)') or diag $err;
like($err, qr/watchdog: handler on 'raw_syscalls:sys_enter' \(\S*loop\.pl line \d+\) on event raw_syscalls:sys_enter .* has been running for \d+\.\d s \(aborted at 2\.0 s\), now at \S*loop\.pl line 6\./,
     'the watchdog reports the handler, its event and its line') or diag $err;
like($err, qr/handler error 1 .*: vigild watchdog: call aborted after \d+\.\d s \(watchdog\.abort_after 2\.0 s\) at \S*loop\.pl line 6\./,
     'and aborts the call');
($dispatched) = (slurp("$share/loop.out") // '') =~ /^dispatched (\d+)$/m;
($read, $discarded) = $err =~ /\ball\s+(\d+)\s+(\d+)\s/;
is(($dispatched // 0) + ($discarded // 0), $loop_n,
   "the events behind the stuck call are delivered: dispatched ($dispatched) + discarded ($discarded) == $loop_n");
is($rc{refcnt_end}, 0, 'the module is free at the end');

done_testing;
