#!/usr/bin/perl
# exec-log.pl - every program execution: an audit trail.
# Documentation: perldoc handlers/exec-log.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil;

my ($uid, $header, @globs) = (undef, 1);
GetOptionsFromArray(\@ARGV,
	'uid|u=i'  => \$uid,
	'glob|g=s' => \@globs,
	'header!'  => \$header,
	'help|h'   => sub { print usage(); exit 0 },
) or die usage();
die "exec-log.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;

sub usage {
	return "usage: vigild -f -s handlers/exec-log.pl [-- [--uid UID] [--glob PATTERN]... [--noheader]]\n";
}

use Vigil::Glob qw(glob_re);
my @re = map { glob_re($_) } @globs;

sub text {
	my ($s) = @_;
	$s //= '';
	$s =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
	return $s;
}

use POSIX qw(strftime);

printf "%-29s %7s %7s %6s  %-16s %s\n", 'TIME (UTC)', 'PID', 'PPID', 'UID', 'FILENAME', 'ARGV'
    if $header;

# `on EVENT, FILTER => CODE` when there is a filter, `on EVENT => CODE` if not
sub on_filtered {
	my ($event, $filter, $code) = @_;
	return defined $filter ? on($event, $filter, $code) : on($event, $code);
}

my $filter = defined $uid ? "uid == $uid" : undef;

on_filtered('sched:sched_process_exec', $filter, sub {
	my $e = shift;
	my $file = $e->{filename};
	if (@re) {
		my $hit = 0;
		for (@re) { if ($file =~ $_) { $hit = 1; last } }
		return unless $hit;
	}
	# wall clock: the trace clock plus the metadata's offset (integer
	# arithmetic: a double would lose the nanoseconds)
	my $ts = $e->{common_ts} + (Vigil::clock_offset() // 0);
	my ($s, $ns);
	{ use integer; $s = $ts / 1000000000; $ns = $ts % 1000000000; }
	printf "%-29s %7d %7d %6d  %-16s %s\n",
	    strftime('%Y-%m-%d %H:%M:%S', gmtime $s) . sprintf('.%09d', $ns),
	    $e->{tgid}, $e->{ppid}, $e->{uid}, text($file), text($e->{argv});
});

__END__

=head1 NAME

exec-log.pl - log every program execution (an audit trail)

=head1 SYNOPSIS

    vigild -f -s handlers/exec-log.pl
    vigild -f -s handlers/exec-log.pl -- --uid 1000 --glob '/tmp/*'
    vigild --replay DIR -s handlers/exec-log.pl

=head1 DESCRIPTION

One line per successful execve/execveat (the C<sched:sched_process_exec>
event): the wall-clock time in UTC to the nanosecond (the event's trace
clock plus the trace's clock offset, L<Vigil/"Vigil::clock_offset()">; on
C<--replay> the time it happened when it was recorded), the process id, its parent's
process id, the real uid, the executed file and the argument list
(arguments joined by spaces, as recorded by the kernel module, which
truncates it at 1 KiB).  Bytes outside printable ASCII are written as
C<\xNN>.

=head1 OPTIONS

=over

=item --uid UID, -u

Only executions by this uid (filtered in C).

=item --glob PATTERN, -g

Only files matching this shell-style pattern (C<*> matches any
characters including C</>, C<?> one character, C<[...]> a set).  May be
given more than once; a file matching any is logged.

=item --noheader

Do not print the column header.

=back

=head1 EXAMPLE OUTPUT

    TIME (UTC)                        PID    PPID    UID  FILENAME         ARGV
    2026-11-22 04:15:03.118842305     812     790      0  /usr/bin/ls      ls -l /etc
    2026-11-22 04:15:03.330120931     813     790   1000  /usr/bin/curl    curl -s http://example.com/

=cut
