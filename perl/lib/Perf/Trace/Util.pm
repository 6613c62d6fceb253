package Perf::Trace::Util;

# vigil's implementation of the helper module perf script handlers use,
# written from its documented behaviour.

use strict;
use warnings;

our $VERSION = '0.1.0';

use Exporter 'import';
our @EXPORT = qw(avg nsecs nsecs_secs nsecs_nsecs nsecs_usecs print_nsecs
    nsecs_str clear_term);
our @EXPORT_OK = @EXPORT;

use constant NSECS_PER_SEC => 1_000_000_000;

sub avg {
	my ($total, $n) = @_;
	return 0 unless $n;
	return $total / $n;
}

sub nsecs {
	my ($secs, $nsecs) = @_;
	return $secs * NSECS_PER_SEC + $nsecs;
}

sub nsecs_secs {
	my ($nsecs) = @_;
	return int($nsecs / NSECS_PER_SEC);
}

sub nsecs_nsecs {
	my ($nsecs) = @_;
	return $nsecs - nsecs_secs($nsecs) * NSECS_PER_SEC;
}

sub nsecs_usecs {
	my ($nsecs) = @_;
	return $nsecs / 1000;
}

sub nsecs_str {
	my ($nsecs) = @_;
	return sprintf "%5u.%09u", nsecs_secs($nsecs), nsecs_nsecs($nsecs);
}

sub print_nsecs {
	my ($nsecs) = @_;
	print nsecs_str($nsecs);
	return;
}

sub clear_term {
	print "\x1b[H\x1b[2J";
	return;
}

1;

__END__

=head1 NAME

Perf::Trace::Util - time helpers for perf-script-style handlers under vigil

=head1 SYNOPSIS

    use Perf::Trace::Util;
    my $ns = nsecs($common_secs, $common_nsecs);
    print nsecs_str($ns), "\n";      # "    1.000000042"

=head1 FUNCTIONS

C<avg(TOTAL, COUNT)> (0 when COUNT is 0), C<nsecs(SECS, NSECS)>,
C<nsecs_secs(NS)>, C<nsecs_nsecs(NS)>, C<nsecs_usecs(NS)>,
C<nsecs_str(NS)> (C<"%5u.%09u">), C<print_nsecs(NS)>, C<clear_term()>
(ANSI home + clear screen).

=cut
