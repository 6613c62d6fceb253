package Vigil::Trace;

use strict;
use warnings;
use Carp qw(croak);

our $VERSION = '0.1.0';

# The XS half is in Vigil.xs.
BEGIN { require Vigil unless defined &Vigil::Trace::_open }

sub open {
	my ($class, $dir, %opt) = @_;
	croak "Vigil::Trace->open: usage: Vigil::Trace->open(DIR [, syscalls => 1])"
	    unless defined $dir && !ref $dir;
	my @bad = grep { $_ ne 'syscalls' } sort keys %opt;
	croak "Vigil::Trace->open: unknown option '$bad[0]' (known: syscalls)"
	    if @bad;
	my $t = Vigil::Trace::_open($class, $dir, $opt{syscalls} ? 1 : 0);
	return $t;
}

1;

__END__

=head1 NAME

Vigil::Trace - read a vigil trace from plain perl, in time order

=head1 SYNOPSIS

    use Vigil::Trace;

    my $t = Vigil::Trace->open('/var/lib/vigil/dump-2024...')
        or die "cannot open: $@";
    my %count;
    while (my $e = $t->next) {
        $count{ $e->name }++;
        print $e->{filename}, "\n" if $e->name eq 'sched:sched_process_exec';
    }

=head1 DESCRIPTION

Iterates over a CTF trace directory written by vigil (a flight-recorder
dump or a recorded session): the per-CPU streams merged in timestamp
order, every event decoded with the trace's own metadata, and the
process context (C<common_pid>, C<common_ppid>, C<common_comm>) kept
from the trace's statedump and fork/exec/exit events - exactly what
vigild's C<--replay> gives handlers.

=head1 METHODS

=over 4

=item Vigil::Trace->open(DIR [, syscalls => 1])

Open the trace.  Returns the reader, or undef with the reason (naming
the file) in C<$@>.  With C<< syscalls => 1 >> each C<raw_syscalls> event
is followed by its derived C<syscalls:sys_enter_NAME> /
C<syscalls:sys_exit_NAME> event, as vigild delivers them.

=item $t->next

The next event as a L<Vigil::Event|Vigil/THE EVENT OBJECT> object, or
undef at the end.  Every object is new: keep as many as you like.
Corrupt packets or records are reported with C<warn> (file and offset)
and skipped; C<< $t->errors >> counts them.

=item $t->event_names

The names of every event class of the trace's metadata.

=item $t->env(KEY)

A value of the metadata's C<env> block (C<hostname>, C<kernel_release>,
...), or undef.

=item $t->clock_offset

Nanoseconds to add to C<common_ts> for wall-clock time (ns since the
epoch).

=item $t->errors

Corrupt records and packets skipped so far.

=back

=head1 SEE ALSO

L<Vigil>, vigild(8)

=cut
