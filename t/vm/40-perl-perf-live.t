#!/usr/bin/perl
# In the VM with the real vigil.ko: a handler written for `perf script -s`
# (sub subsystem::event, positional arguments, trace_begin/trace_end)
# runs unchanged under live vigild and sees the workload's events:
# exact getppid counts per process, and the derived per-syscall event
# with the kernel's argument names and the path as a string; a Vigil API
# `every` runs by the wall clock while tracing live.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('live perf-style handler test');
my ($vigild) = need_progs('vigild');

my $share = tempdir('vigil-perl-vm-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $share;
my $sock = '/run/vigil-perl-test/vigild.sock';
my $nr_getppid = 110;	# x86_64

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
buffer:
  size: 256KiB
  count: 16
Y

# perf-script style, exactly as one would write it for perf
write_file("$share/perf-count.pl", <<'PL');
use lib "$ENV{'PERF_EXEC_PATH'}/scripts/perl/Perf-Trace-Util/lib";
use lib "./Perf-Trace-Util/lib";
use Perf::Trace::Core;
use Perf::Trace::Util;

my (%getppid, %opens, $begun);
my $nr = $ARGV[0];
my $watched = $ARGV[1];

sub trace_begin { $begun = 1 }

sub raw_syscalls::sys_exit
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain, $id, $ret) = @_;
	$getppid{$common_pid}++ if $id == $nr;
}

sub syscalls::sys_enter_openat
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain,
	    $nr, $dfd, $filename, $flags, $mode) = @_;
	$opens{$common_pid}++ if defined $filename && $filename eq $watched;
}

sub trace_end
{
	print "begun $begun\n";
	print "getppid $_ $getppid{$_}\n" for sort { $a <=> $b } keys %getppid;
	print "opens $_ $opens{$_}\n" for sort { $a <=> $b } keys %opens;
}
PL

write_file("$share/every.pl", <<'PL');
use Vigil;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
my @t;
every 0.2 => sub { push @t, clock_gettime(CLOCK_MONOTONIC) };
on 'raw_syscalls:sys_exit' => sub {};
END {
	my @d = sort { $a <=> $b } map { $t[$_] - $t[$_ - 1] } 1 .. $#t;
	printf "ticks %d median %.3f\n", scalar @t, @d ? $d[@d / 2] : 0;
}
PL

write_file("$share/workload.pl", <<PL);
use strict;
my \@n = (1200, 3000, 450);
my \@kids;
for my \$i (0 .. \$#n) {
    my \$pid = fork // die "fork: \$!";
    if (!\$pid) {
        syscall($nr_getppid) for 1 .. \$n[\$i];
        for (1 .. 10 * (\$i + 1)) { open my \$f, '<', '$share/watched' or die; close \$f }
        exit 0;
    }
    push \@kids, [\$pid, \$n[\$i], 10 * (\$i + 1)];
}
waitpid(\$_->[0], 0) for \@kids;
print "\$_->[0] \$_->[1] \$_->[2]\\n" for \@kids;
PL
write_file("$share/watched", "x\n");

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
mkdir -p /run/vigil-perl-test
$vigild -f -c \$S/vigil.yaml -s \$S/perf-count.pl -- $nr_getppid \$S/watched >\$S/perf.out 2>\$S/perf.err &
V=\$!
waitsock
perl \$S/workload.pl >\$S/expected.txt
sleep 1
kill -TERM \$V; wait \$V; echo "perf \$?" >>\$S/rc
rm -f $sock

$vigild -f -c \$S/vigil.yaml -s \$S/every.pl --events raw_syscalls:sys_exit >\$S/every.out 2>\$S/every.err &
V=\$!
waitsock
sleep 2
kill -TERM \$V; wait \$V; echo "every \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});

my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
is($rc{perf}, 0, 'vigild with a perf-style script exits 0 on SIGTERM')
    or diag(slurp("$share/perf.err"));
my $out = slurp("$share/perf.out") // '';
like($out, qr/^begun 1$/m, 'trace_begin ran before the events, trace_end at the stop');
my @want = map { [split] } split /\n/, slurp("$share/expected.txt") // '';
is(scalar @want, 3, 'the workload ran its three processes');
my %got = $out =~ /^getppid (\d+) (\d+)$/mg;
my %opens = $out =~ /^opens (\d+) (\d+)$/mg;
for my $w (@want) {
	my ($pid, $n, $o) = @$w;
	is($got{$pid}, $n, "sub raw_syscalls::sys_exit: process $pid made exactly $n getppid calls");
	is($opens{$pid}, $o, "sub syscalls::sys_enter_openat: process $pid opened the watched file $o times (filename as a string)");
}

is($rc{every}, 0, 'vigild with an every callback exits 0') or diag(slurp("$share/every.err"));
my ($ticks, $median) = (slurp("$share/every.out") // '') =~ /^ticks (\d+) median ([\d.]+)$/m;
ok(defined $ticks && $ticks >= 5, 'every 0.2 runs repeatedly while tracing live')
    or diag("every.out: " . (slurp("$share/every.out") // ''));
ok(defined $median && $median > 0.15 && $median < 0.3,
    'by the wall clock: the calls are 0.2 s apart') or diag("median interval: " . ($median // 'none'));

done_testing;
