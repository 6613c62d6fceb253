#!/usr/bin/perl
# failed-syscalls.pl - failed system calls by process, syscall and errno.
# Documentation: perldoc handlers/failed-syscalls.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil::Syscall ();
use POSIX ();
use Vigil;
use Vigil::Aggr;

my ($interval, $top, $comm, $pid, $describe, $by_cgroup) = (0, 0, undef, undef, 0, 0);
GetOptionsFromArray(\@ARGV,
	'interval|i=f' => \$interval,
	'top|n=i'      => \$top,
	'comm|c=s'     => \$comm,
	'pid|p=i'      => \$pid,
	'describe'     => \$describe,
	'by-cgroup|g'  => \$by_cgroup,
	'help|h'       => sub { print usage(); exit 0 },
) or die usage();
die "failed-syscalls.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;
die "failed-syscalls.pl: --interval must be >= 0, not $interval\n" if $interval < 0;
die "failed-syscalls.pl: --top must be >= 0, not $top\n" if $top < 0;
die "failed-syscalls.pl: --comm '$comm' may not contain \" or \\\n"
    if defined $comm && $comm =~ /["\\]/;

sub usage {
	return "usage: vigild -f -s handlers/failed-syscalls.pl [-- [--interval SECONDS] [--top N] [--comm NAME] [--pid PID] [--describe] [--by-cgroup]]\n";
}

# errno numbers to names (the system's errno.h, and the kernel-internal
# codes such as ERESTARTSYS): Vigil::Syscall's
sub errno_name {
	my ($n) = @_;
	return Vigil::Syscall::errno_name($n) // "errno $n";
}

# the first key columns: who failed
my @who = $by_cgroup ? qw(CGROUP) : qw(COMM PID);
my $fails = Vigil::Aggr->new(type => 'count',
	keys  => [ @who, qw(SYSCALL ERROR), $describe ? 'DESCRIPTION' : () ],
	value => 'COUNT');

my @filter = ('ret < 0');
push @filter, qq(common_comm == "$comm") if defined $comm;
push @filter, "common_pid == $pid" if defined $pid;

on 'syscalls:sys_exit_*', join(' && ', @filter), sub {
	my $e = shift;
	my $ret = $e->{ret};
	# only -4095..-1 are errors; below that is a valid unsigned result
	return if $ret < -4095 || $ret >= 0;
	my @key = (($by_cgroup ? ($e->{common_cgroup} ne '' ? $e->{common_cgroup} : '-')
			       : ($e->{common_comm}, $e->{common_pid})),
		   substr($e->name, 18), errno_name(-$ret));
	if ($describe) {
		local $! = -$ret;
		push @key, -$ret >= 512 ? 'kernel-internal' : "$!";
	}
	$fails->add(\@key);
};

sub report {
	my ($title) = @_;
	$fails->print(top => $top, title => $title);
	$fails->clear;
}

if ($interval > 0) {
	every $interval => sub { report('failed syscalls (last ' . $interval . ' s):'); print "\n" };
}

END { report($interval > 0 ? 'failed syscalls (last, partial interval):' : 'failed syscalls:') if $fails; }

__END__

=head1 NAME

failed-syscalls.pl - failed system calls by process, syscall and errno name

=head1 SYNOPSIS

    vigild -f -s handlers/failed-syscalls.pl
    vigild -f -s handlers/failed-syscalls.pl -- --interval 5 --top 20
    vigild --replay DIR -s handlers/failed-syscalls.pl -- --comm nginx --describe
    vigild -f -s handlers/failed-syscalls.pl -- --by-cgroup

=head1 DESCRIPTION

Counts system calls that returned an error (a return value from -4095 to
-1) by command name, process id, syscall name and errno name
(C<ENOENT>, C<EAGAIN>, ...; names come from the system's errno.h through
Perl's Errno module, plus the kernel-internal codes such as
C<ERESTARTSYS> that a traced exit can show when a signal interrupts a
call).  Uses the derived C<syscalls:sys_exit_NAME> events, with the
C<ret E<lt> 0> test done by vigild's C filter before Perl.

Prints the table when tracing stops (end of a replay, vigild stopped) and,
with C<--interval>, every that many seconds (and then clears it).

=head1 OPTIONS

=over

=item --interval SECONDS, -i

Print and clear every SECONDS (by the event clock on replay).  Default 0:
only at the end.

=item --top N, -n

Only the N most frequent rows.  Default 0: all.

=item --comm NAME, -c

Only processes with this command name (a shell-style glob such as
C<nginx*> matches several; filtered in C).

=item --pid PID, -p

Only this process id.

=item --describe

Add a column with the error's text (C<No such file or directory>).

=item --by-cgroup, -g

Count by cgroup (v2) instead of command and process id: which container
or systemd service fails (C<common_cgroup>, e.g.
C</system.slice/nginx.service>; C<-> where vigild does not know the
path).

=back

=head1 EXAMPLE OUTPUT

    failed syscalls:
    COMM      PID  SYSCALL     ERROR   COUNT
    nginx     812  openat      ENOENT     42
    nginx     812  accept4     EAGAIN     17
    bash      790  wait4       ECHILD      1

=cut
