#!/usr/bin/perl
# A script written for `perf script -s` runs unchanged on the kernel's
# own tracepoints: perf's positional arguments (raw_syscalls' id and
# args, sched_switch's fields in the kernel's order), trace_begin,
# trace_end, the Perf::Trace modules.
use strict;
use warnings;
use Test::More;
use Config;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/perf-style.pl", <<'PL');
#!/usr/bin/perl -w
use lib "$ENV{'PERF_EXEC_PATH'}/scripts/perl/Perf-Trace-Util/lib";
use lib "./Perf-Trace-Util/lib";
use Perf::Trace::Core;
use Perf::Trace::Context;
use Perf::Trace::Util;

my (%calls, %args_ok, $begin, $switches, $bad);

sub trace_begin { $begin = 1 }

sub raw_syscalls::sys_enter
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain, $id, $args) = @_;
	return unless $common_comm eq 'vigil-workload';
	$calls{"$common_pid $id"}++;
	$bad++ unless ref $args eq 'ARRAY' && @$args == 6
	    && $event_name eq 'raw_syscalls::sys_enter';
}

sub sched::sched_switch
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain,
	    $prev_comm, $prev_pid, $prev_prio, $prev_state, $next_comm,
	    $next_pid, $next_prio) = @_;
	$switches++;
	$bad++ unless $prev_pid =~ /^\d+$/ && $next_pid =~ /^\d+$/
	    && defined $next_prio && nsecs($common_secs, $common_nsecs) > 0;
}

sub trace_end
{
	print "begin $begin switches ", ($switches ? 1 : 0), " bad ", $bad // 0, "\n";
	print "calls $_ $calls{$_}\n" for sort keys %calls;
}
PL

my $pid;
my $r = live_run(
    scripts => [$script],
    work => sub { $pid = run_workload(1234, 0, '/nonexistent'); 1 });
ok($r->{ready}, 'vigild traces') or diag $r->{err};
is($r->{rc}, 0, 'exit 0') or diag $r->{err};
nothing_lost($r);
like($r->{err}, qr/events the handlers need: .*raw_syscalls:sys_enter.*sched:sched_switch|events the handlers need: .*sched:sched_switch.*raw_syscalls:sys_enter/,
     'the perf-style subs chose the events');
like($r->{out}, qr/^begin 1 switches 1 bad 0$/m, 'trace_begin, trace_end, positional arguments as perf gives them');
my %getppid = (x86_64 => 110, aarch64 => 173, riscv64 => 173);
my ($arch) = $Config{archname} =~ /^([^-]+)/;
SKIP: {
    skip "getppid's number on $arch unknown here", 1 unless $getppid{$arch};
    like($r->{out}, qr/^calls $pid $getppid{$arch} 1234$/m,
         'exactly 1234 getppid entries of the workload, by raw syscall id');
}
done_testing();
