#!/usr/bin/perl
# latency-watch.pl - the sporadic-problem catcher: dump the flight recorder
# when a syscall or a wakeup takes longer than a threshold.
# Documentation: perldoc handlers/latency-watch.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil;

my $threshold_ms = 100;
my (@comm, @only, $ignore);
my ($before, $after, $max_dumps) = (5, 1, 0);
my ($no_syscalls, $no_wakeups) = (0, 0);
my $stacks;
GetOptionsFromArray(\@ARGV,
	'threshold-ms|t=f' => \$threshold_ms,
	'comm|c=s'         => \@comm,
	'syscall|s=s'      => \@only,
	'ignore=s'         => \$ignore,
	'before|b=f'       => \$before,
	'after|a=f'        => \$after,
	'max-dumps=i'      => \$max_dumps,
	'no-syscalls'      => \$no_syscalls,
	'no-wakeups'       => \$no_wakeups,
	'stacks:s'         => \$stacks,
	'help|h'           => sub { print usage(); exit 0 },
) or die usage();
die "latency-watch.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;
die "latency-watch.pl: --threshold-ms must be > 0, not $threshold_ms\n" unless $threshold_ms > 0;
die "latency-watch.pl: --before must be >= 0, not $before\n" if $before < 0;
die "latency-watch.pl: --after must be >= 0, not $after\n" if $after < 0;
die "latency-watch.pl: --max-dumps must be >= 0, not $max_dumps\n" if $max_dumps < 0;
die "latency-watch.pl: --no-syscalls and --no-wakeups leave nothing to watch\n"
    if $no_syscalls && $no_wakeups;
@comm = map { split /,/ } @comm;
for (@comm) {
	die "latency-watch.pl: --comm '$_' may not contain \" or \\\n" if /["\\]/;
}

sub usage {
	return "usage: vigild -f -s handlers/latency-watch.pl [-- [--threshold-ms MS] [--comm NAME]... "
	     . "[--syscall NAME]... [--ignore LIST] [--before S] [--after S] [--max-dumps N] "
	     . "[--no-syscalls] [--no-wakeups] [--stacks[=EVENTS]]]\n";
}

# The dumps carry stacks: by default where each thread was when it left
# the CPU (sched_switch is about the task switched out), the kernel path
# of a slow call that slept.
if (defined $stacks) {
	my @ev = grep { length } split /,/, ($stacks eq '' ? 'sched:sched_switch' : $stacks);
	Vigil::stacks(@ev);
}

# Calls that wait by design; slow ones are not a problem.
my $DEFAULT_IGNORE = join ',', qw(
	epoll_wait epoll_pwait epoll_pwait2 poll ppoll select pselect6
	nanosleep clock_nanosleep futex wait4 waitid rt_sigtimedwait
	rt_sigsuspend pause accept accept4 io_getevents io_pgetevents
	msgrcv semtimedop);
$ignore //= $DEFAULT_IGNORE;
my %ignore = map { $_ => 1 } grep { length } split /,/, $ignore;
my %only = map { $_ => 1 } map { split /,/ } @only;
my $threshold_ns = int($threshold_ms * 1e6);
my $dumps = 0;
my %start;	# tid => enter ts
my %woken;	# tid => [ts, waker comm, waker pid]

sub secs {
	my ($ts) = @_;
	my ($s, $ns);
	{ use integer; $s = $ts / 1000000000; $ns = $ts % 1000000000; }
	return sprintf('%d.%09d', $s, $ns);
}

sub trigger {
	my ($ts, $reason) = @_;
	my $path = Vigil::dump(reason => $reason, before => $before, after => $after);
	if (defined $path) {
		$dumps++;
		printf "%s latency-watch: %s; dump: %s\n", secs($ts), $reason, $path;
	} else {
		my $why = $@ || 'unknown reason';
		$why =~ s/\s+\z//;
		printf "%s latency-watch: %s; no dump: %s\n", secs($ts), $reason, $why;
	}
	if ($max_dumps && $dumps >= $max_dumps) {
		print "latency-watch: $dumps dump(s) written, stopping\n";
		Vigil::stop("latency-watch: $dumps dump(s) written");
	}
}

my @cf;
if (@comm) {
	@cf = (join ' || ', map { qq(common_comm == "$_") } @comm);
}

unless ($no_syscalls) {
	on 'syscalls:sys_enter_*', @cf, sub {
		my $e = shift;
		$start{ $e->{common_tid} } = $e->{common_ts};
	};
	on 'syscalls:sys_exit_*', @cf, sub {
		my $e = shift;
		my $t0 = delete $start{ $e->{common_tid} };
		return unless defined $t0;
		my $d = $e->{common_ts} - $t0;
		return if $d <= $threshold_ns;
		my $sc = substr($e->name, 18);
		return if $ignore{$sc} && !$only{$sc};
		return if %only && !$only{$sc};
		trigger($e->{common_ts}, sprintf('%s by %s (pid %d, tid %d) took %.3f ms > %g ms (ret %d)',
			$sc, $e->{common_comm}, $e->{common_pid}, $e->{common_tid},
			$d / 1e6, $threshold_ms, $e->{ret}));
	};
}

unless ($no_wakeups) {
	my @wf = @comm ? (join ' || ', map { qq(comm == "$_") } @comm) : ();
	my @sf = @comm ? (join ' || ', map { qq(next_comm == "$_") } @comm) : ();
	on 'sched:sched_wakeup*', @wf, sub {
		my $e = shift;
		$woken{ $e->{pid} } = [ $e->{common_ts}, $e->{common_comm}, $e->{common_pid} ];
	};
	on 'sched:sched_switch', @sf, sub {
		my $e = shift;
		my $w = delete $woken{ $e->{next_pid} } or return;
		return if $e->{next_pid} == 0;
		my $d = $e->{common_ts} - $w->[0];
		return if $d <= $threshold_ns;
		trigger($e->{common_ts}, sprintf('wakeup of %s (tid %d) by %s (pid %d) waited %.3f ms > %g ms for cpu %d',
			$e->{next_comm}, $e->{next_pid}, $w->[1], $w->[2], $d / 1e6,
			$threshold_ms, $e->{common_cpu}));
	};
}

# A thread that exits inside a syscall (exit_group) never returns from
# it: forget its state, or a later thread with the same id would inherit it.
on 'sched:sched_process_exit' => sub {
	my $tid = $_[0]{pid};
	delete $start{$tid};
	delete $woken{$tid};
};

__END__

=head1 NAME

latency-watch.pl - dump the flight recorder when a syscall or a wakeup is slow

=head1 SYNOPSIS

    vigild -f -s handlers/latency-watch.pl -- --threshold-ms 50 --comm myapp
    vigild -f -s handlers/latency-watch.pl -- --syscall fsync --threshold-ms 200 --before 10
    vigild -f -s handlers/latency-watch.pl -- --no-wakeups --max-dumps 1

=head1 DESCRIPTION

The sporadic-problem catcher.  Watches every system call (from its
sys_enter to its sys_exit, per thread) and every scheduler wakeup (from
C<sched_wakeup> to the C<sched_switch> that runs the woken thread).  When
one takes longer than the threshold it calls

    Vigil::dump(reason => REASON, before => BEFORE, after => AFTER)

so vigild writes the events of the BEFORE seconds that led up to it and
the AFTER seconds that follow into a trace directory (see vigild(8) for
where dumps go, how many are kept and how often one may be written), and
prints one line:

    5021.118842305 latency-watch: read by myapp (pid 812, tid 812) took 250.301 ms > 100 ms (ret 4096); dump: /var/lib/vigil/dumps/...

or, when vigild wrote no dump (for example within its rate limit),
C<; no dump: WHY>.  Open the dump with C<babeltrace2 DUMPDIR> or replay it
with any handler: C<vigild --replay DUMPDIR -s handlers/print.pl>.

Calls that wait by design (epoll_wait, poll, select, nanosleep, futex,
wait4, accept, ...: see C<--ignore>) are not watched unless named with
C<--syscall>.

=head1 OPTIONS

=over

=item --threshold-ms MS, -t

The latency that triggers a dump, in milliseconds (fractions allowed).
Default 100.

=item --comm NAME, -c

Only these command names (may be repeated or comma-separated; shell-style
globs such as C<php-fpm*> match several; filtered in C).  Default: every process.

=item --syscall NAME, -s

Only these syscalls (repeated or comma-separated), e.g. C<read,fsync>.
Naming a syscall also watches it when it is in the ignore list.

=item --ignore LIST

Comma-separated syscalls never to watch; C<--ignore ''> watches all.
Default: epoll_wait, epoll_pwait, epoll_pwait2, poll, ppoll, select,
pselect6, nanosleep, clock_nanosleep, futex, wait4, waitid,
rt_sigtimedwait, rt_sigsuspend, pause, accept, accept4, io_getevents,
io_pgetevents, msgrcv, semtimedop.

=item --before SECONDS, -b

Seconds of history before the trigger to put in the dump.  Default 5.

=item --after SECONDS, -a

Seconds to keep recording after the trigger.  Default 1.

=item --max-dumps N

Stop vigild (cleanly) after N dumps.  Default 0: never.

=item --no-syscalls, --no-wakeups

Watch only wakeups, or only syscalls.

=item --stacks[=EVENT,...]

The dumps carry stack traces (C<Vigil::stacks>): by default those of
C<sched:sched_switch>, the kernel path (and, from the kernel's
tracepoints, the user path) of each thread as it leaves the CPU, which
shows where a slow call slept; or those of the events named.
C<vigild --replay DUMP -s handlers/print.pl> prints them under their
events.  vigild then asks the source for these events' callchains
(B<stacks> in vigil.yaml(5)); on a replay, the trace has them or not.

=back

=cut
