#!/usr/bin/perl
# vigild over time (the VM, the real vigil.ko, the default configuration):
# a busy, steady workload -- syscalls at a moderate rate, processes
# started and ending all the time (the task table churns), a dump asked
# for now and then (the flight recorder writes) -- while vigild's
# resident memory and open file descriptors are sampled at regular
# intervals.  After the warm-up (the history fills for its first 30 s)
# memory stays flat, the descriptors do not change, nothing is discarded.
#
# In make test it runs 40 s (a smoke of the harness); `make soak`
# (SOAK_SECONDS, default 1800) is the long run, whose table goes to
# build/soak.txt and docs/benchmarks.md.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild soak test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $secs = $ENV{VIGIL_SOAK_SECONDS} || 40;
my $every = $secs >= 600 ? 60 : 5;             # s between samples
my $warm = $secs >= 600 ? 120 : 10;            # s before memory must be flat
my $share = tempdir('vigild-vm71-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';

# the default configuration, but for the socket and a dump directory in
# the guest's /tmp; the short run keeps 5 s of history instead of 30 s
# (the history grows until it holds that much: the warm-up)
my $history = $secs >= 600 ? '' : "  history_time: 5s\n";
write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
dump:
  dir: /tmp/vg71-dumps
  rate_limit: 0
  max_dumps: 5
$history
Y
write_file("$share/count.pl", <<'PL');
use strict;
use Vigil;
my (%n, $all);
on 'raw_syscalls:sys_exit' => sub { $n{ $_[0]{id} }++; $all++ };
on 'sched:sched_process_exit' => sub { $all++ };
every 10 => sub { %n = () if keys %n > 1000 };
END { print "events $all\n" }
PL
# ~20 000 syscalls/s in bursts, a short-lived process every 50 ms
write_file("$share/work.pl", <<'PL');
use strict;
use Time::HiRes qw(time sleep);
my $end = time + $ARGV[0];
while (time < $end) {
    syscall(110) for 1 .. 1000;     # getppid
    if (!fork) { syscall(39) for 1 .. 10; exit 0 }    # getpid
    1 while waitpid(-1, 1) > 0;
    sleep 0.05;
}
PL

my $samples = int($secs / $every);
write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s \$S/count.pl >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
perl \$S/work.pl $secs &
W=\$!
t=0
i=0
while [ \$i -lt $samples ]; do
	sleep $every
	i=\$((i+1)); t=\$((t+$every))
	rss=\$(awk '/^VmRSS:/ { print \$2 }' /proc/\$V/status)
	fds=\$(ls /proc/\$V/fd | wc -l)
	$vigilctl --socket $sock status >\$S/st 2>&1
	read=\$(awk '\$1 == "all" { print \$2 }' \$S/st)
	disc=\$(awk '\$1 == "all" { print \$3 }' \$S/st)
	echo "sample \$t \$rss \$fds \$read \$disc" >>\$S/samples
	# a dump now and then: the recorder writes while the rest goes on
	[ \$((i % 3)) -eq 0 ] && $vigilctl --socket $sock dump soak >/dev/null 2>&1
done
wait \$W
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => $secs + 300);
is($r->{exit}, 0, 'the VM run finished cleanly') or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
is($rc{live}, 0, 'vigild exits 0') or diag slurp("$share/live.err");

my @s = map { [split] } grep { /^sample / } split /\n/, slurp("$share/samples") // '';
shift @$_ for @s;    # t rss_kib fds read discarded
is(scalar @s, $samples, "$samples samples, one every $every s");
my $table = join '', "   t/s  rss/KiB  fds  events_read  discarded\n",
    map { sprintf "%6d %8d %4d %12d %10d\n", @$_ } @s;
diag "\n$table";
if ($ENV{VIGIL_SOAK_REPORT}) {
    open my $fh, '>', $ENV{VIGIL_SOAK_REPORT} or die "$ENV{VIGIL_SOAK_REPORT}: $!";
    print $fh $table;
}
my @after = grep { $_->[0] > $warm } @s;
ok(@after >= 2, 'samples after the warm-up');
my ($lo, $hi) = (1e12, 0);
for (@after) { $lo = $_->[1] if $_->[1] < $lo; $hi = $_->[1] if $_->[1] > $hi }
cmp_ok($hi - $lo, '<=', 4096, "resident memory flat after $warm s (from $lo to $hi KiB)");
my %fds = map { $_->[2] => 1 } @after;
is(scalar keys %fds, 1, 'the open descriptors do not change (' . join(',', sort keys %fds) . ')');
cmp_ok($s[-1][3] // 0, '>', $s[0][3] // 0, 'events kept coming');
is($s[-1][4], 0, 'nothing discarded at this rate');
done_testing;
