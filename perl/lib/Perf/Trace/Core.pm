package Perf::Trace::Core;

# vigil's implementation of the flag/symbol helpers of perf's
# Perf::Trace::Core, written from their documented behaviour.  Under perf
# the engine defines the flag and symbolic fields from each event's
# print format; vigil defines the ones of its own events below.

use strict;
use warnings;

our $VERSION = '0.1.0';

use Exporter 'import';
our @EXPORT = qw(define_flag_field define_flag_value flag_str
    dump_flag_fields define_symbolic_field define_symbolic_value
    symbol_str dump_symbolic_fields trace_flag_str);
our @EXPORT_OK = @EXPORT;

# $FLAGS{event}{field} = { delim => '|', values => { bit => name } }
# $SYMBOLS{event}{field} = { values => { value => name } }
my (%FLAGS, %SYMBOLS);

sub define_flag_field {
	my ($event, $field, $delim) = @_;
	$FLAGS{$event}{$field}{delim} = $delim;
	$FLAGS{$event}{$field}{values} ||= {};
	return;
}

sub define_flag_value {
	my ($event, $field, $value, $name) = @_;
	$FLAGS{$event}{$field}{values}{$value} = $name;
	return;
}

# Names of the flags set in $value, joined by the field's delimiter; the
# name of flag value 0 when $value is 0; undef for an unknown field.
sub flag_str {
	my ($event, $field, $value) = @_;
	my $f = $FLAGS{$event} && $FLAGS{$event}{$field} or return undef;
	my $vals = $f->{values};
	my @bits = sort { $a <=> $b } keys %$vals;
	if (!$value) {
		return exists $vals->{0} ? $vals->{0} : undef;
	}
	my @names;
	for my $bit (@bits) {
		next unless $bit;
		if (($value & $bit) == $bit) {
			push @names, $vals->{$bit};
			$value &= ~$bit;
		}
	}
	return undef unless @names;
	my $d = defined $f->{delim} ? $f->{delim} : '|';
	return join " $d ", @names;
}

sub dump_flag_fields {
	for my $event (sort keys %FLAGS) {
		print "event $event:\n";
		for my $field (sort keys %{ $FLAGS{$event} }) {
			my $f = $FLAGS{$event}{$field};
			print "    field: $field:\n";
			print "        delim: $f->{delim}\n" if defined $f->{delim};
			for my $v (sort { $a <=> $b } keys %{ $f->{values} }) {
				print "        value $v: $f->{values}{$v}\n";
			}
		}
	}
	return;
}

sub define_symbolic_field {
	my ($event, $field) = @_;
	$SYMBOLS{$event}{$field}{values} ||= {};
	return;
}

sub define_symbolic_value {
	my ($event, $field, $value, $name) = @_;
	$SYMBOLS{$event}{$field}{values}{$value} = $name;
	return;
}

sub symbol_str {
	my ($event, $field, $value) = @_;
	my $f = $SYMBOLS{$event} && $SYMBOLS{$event}{$field} or return undef;
	return $f->{values}{$value};
}

sub dump_symbolic_fields {
	for my $event (sort keys %SYMBOLS) {
		print "event $event:\n";
		for my $field (sort keys %{ $SYMBOLS{$event} }) {
			my $f = $SYMBOLS{$event}{$field};
			print "    field: $field:\n";
			for my $v (sort { $a <=> $b } keys %{ $f->{values} }) {
				print "        value $v: $f->{values}{$v}\n";
			}
		}
	}
	return;
}

# The kernel's trace flags (common_flags).
my @TRACE_FLAGS = (
	[0x01, 'IRQS_OFF'],
	[0x02, 'IRQS_NOSUPPORT'],
	[0x04, 'NEED_RESCHED'],
	[0x08, 'HARDIRQ'],
	[0x10, 'SOFTIRQ'],
);

sub trace_flag_str {
	my ($value) = @_;
	return 'NONE' unless $value;
	my @names = map { $_->[1] } grep { ($value & $_->[0]) == $_->[0] }
	    @TRACE_FLAGS;
	return join ' | ', @names;
}

# The flag and symbolic fields of vigil's events (the kernel's print
# formats of the same tracepoints).
{
	define_flag_field('sched::sched_switch', 'prev_state', '|');
	my @states = (0 => 'R', 0x01 => 'S', 0x02 => 'D', 0x04 => 'T',
	    0x08 => 't', 0x10 => 'X', 0x20 => 'Z', 0x40 => 'P', 0x80 => 'I');
	while (my ($v, $n) = splice @states, 0, 2) {
		define_flag_value('sched::sched_switch', 'prev_state', $v, $n);
	}
	my @vec = qw(HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED
	    HRTIMER RCU);
	for my $ev (qw(irq::softirq_entry irq::softirq_exit)) {
		define_symbolic_field($ev, 'vec');
		define_symbolic_value($ev, 'vec', $_, $vec[$_]) for 0 .. $#vec;
	}
}

1;

__END__

=head1 NAME

Perf::Trace::Core - flag and symbol helpers for perf-script-style
handlers under vigil

=head1 SYNOPSIS

    use Perf::Trace::Core;
    my $state = flag_str('sched::sched_switch', 'prev_state', $prev_state);
    my $vec = symbol_str('irq::softirq_entry', 'vec', $vec);

=head1 DESCRIPTION

C<flag_str(EVENT, FIELD, VALUE)> names the flags set in VALUE, joined by
the field's delimiter (C<"S | D">), or the name of value 0 when VALUE is
0.  C<symbol_str(EVENT, FIELD, VALUE)> names one value.  Both return
undef for fields nobody defined.  C<trace_flag_str(FLAGS)> names the
kernel's trace flags (C<IRQS_OFF | HARDIRQ>, C<NONE> for 0).
C<define_flag_field>, C<define_flag_value>, C<define_symbolic_field>,
C<define_symbolic_value> add definitions; C<dump_flag_fields> and
C<dump_symbolic_fields> print them.

Predefined: C<sched::sched_switch> C<prev_state> (flags R S D T t X Z P
I, delimiter C<|>) and C<irq::softirq_entry>/C<irq::softirq_exit> C<vec>
(HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED HRTIMER RCU).

=cut
