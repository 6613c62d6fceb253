#!/usr/bin/perl
# A CPU that goes offline while vigild runs must not hold the other CPUs'
# events back: the merge waits for every CPU to show it has nothing
# earlier, and an offline CPU shows nothing ever again.  In the VM with
# the real vigil.ko and two CPUs: take CPU 1 offline, run a workload on
# CPU 0, and require that the handler sees the workload's events while
# tracing goes on (its periodic report), not only when vigild stops and
# drains everything.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild CPU offline test');
my ($vigild) = need_progs('vigild');

my $share = tempdir('vigild-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
chmod 0755, $share;
symlink($^X, "$share/wl-offline") or die "symlink: $!";

write_file("$share/count.pl", <<'PL');
use strict;
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit' => sub { $n++ if $_[0]->{common_comm} eq 'wl-offline' };
every 1 => sub { print "tick $n\n" };
END { print "total $n\n" }
PL

# vigild makes its control socket once tracing has started: the workload
# waits for it (under a loaded host vigild's start in the VM took 9 s).
my $sock = "$share/vigild.sock";
write_file("$share/vigil.yaml", "control_socket: $sock\n");
write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
echo 0 > /sys/devices/system/cpu/cpu1/online; echo "offline \$?" >>\$S/rc
$vigild -f -c \$S/vigil.yaml -s \$S/count.pl --events raw_syscalls:sys_exit,sched:sched_process_exec,sched:sched_process_fork >\$S/out 2>\$S/err &
V=\$!
waitsock
\$S/wl-offline -e 'my \$t = time + 4; syscall(110) while time < \$t'; echo "workload \$?" >>\$S/rc
sleep 3
kill -TERM \$V; wait \$V; echo "vigild \$?" >>\$S/rc
echo 1 > /sys/devices/system/cpu/cpu1/online; echo "online \$?" >>\$S/rc
SH

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
is($rc{offline}, 0, 'CPU 1 went offline');
is($rc{workload}, 0, 'the workload ran');
is($rc{vigild}, 0, 'vigild stopped cleanly on SIGTERM') or diag(slurp("$share/err"));
my $out = slurp("$share/out") // '';
my ($total) = $out =~ /^total (\d+)$/m;
my @ticks = $out =~ /^tick (\d+)$/mg;
cmp_ok($total // 0, '>', 1000, 'the handler saw the workload\'s syscalls');
my ($max_tick) = sort { $b <=> $a } @ticks, 0;
cmp_ok($max_tick, '>', 0,
       'events reached the handler while CPU 1 was offline, before the final drain')
    or diag($out, slurp("$share/err"));
done_testing;
