package Vigil::JSON;

# JSON text for handlers, through a maintained encoder: Cpanel::JSON::XS
# when it is installed (Debian: libcpanel-json-xs-perl), else JSON::PP
# (part of perl).  One line per value, keys sorted.

use strict;
use warnings;
use Carp qw(croak);
use B ();

our $VERSION = '0.1.0';

use Exporter 'import';
our @EXPORT_OK = qw(encode_json event_json);

our $BACKEND;
BEGIN {
	$BACKEND = eval { require Cpanel::JSON::XS; 'Cpanel::JSON::XS' }
	    || do { require JSON::PP; 'JSON::PP' };
}

my $ENC = $BACKEND->new->utf8->canonical->allow_nonref->allow_blessed;

# Event and table text is bytes (paths, command names): text that is
# valid UTF-8 is decoded as such; other bytes stand for the characters
# U+0080..U+00FF of the same value, so the output is always valid JSON.
sub _text {
	my ($v) = @_;
	return $v if !defined $v || ref $v;
	return $v if $v !~ /[\x80-\xff]/;
	my $c = $v;
	return utf8::decode($c) ? $c : $v;
}

sub _clean {
	my ($v) = @_;
	return [ map { _clean($_) } @$v ] if ref $v eq 'ARRAY';
	return { map { ($_ => _clean($v->{$_})) } keys %$v } if ref $v eq 'HASH';
	return $v if !defined $v || ref $v;
	# numbers stay numbers, other scalars are text
	if ($v =~ /\A-?(?:0|[1-9][0-9]*)\z/) {
		my $n = $v + 0;		# an IV or UV when it fits (uint64 does)
		return $n if "$n" eq $v;
	}
	# a number made as one (an average) stays one
	my $f = B::svref_2object(\$v)->FLAGS;
	return $v if $f & (B::SVf_IOK | B::SVf_NOK) && !($f & B::SVf_POK);
	return _text("$v");
}

# encode_json(VALUE): one line of JSON (no newline).
sub encode_json {
	croak "Vigil::JSON::encode_json: usage: encode_json(VALUE)" if @_ != 1;
	return $ENC->encode(_clean($_[0]));
}

# event_json($e): the event as one JSON object: "name", every field and
# the common_* fields.
sub event_json {
	my ($e) = @_;
	croak "Vigil::JSON::event_json: not a Vigil event"
	    unless ref $e && eval { $e->can('name') };
	my %o = (name => $e->name);
	$o{$_} = $e->{$_} for grep { /^common_/ } keys %$e;
	$o{$_} = $e->{$_} for $e->fields;
	return encode_json(\%o);
}

1;

__END__

=head1 NAME

Vigil::JSON - JSON lines from vigil handlers

=head1 SYNOPSIS

    use Vigil;
    use Vigil::JSON qw(event_json encode_json);

    on 'sched:sched_process_exec' => sub { print event_json($_[0]), "\n" };
    END { print encode_json({ done => 1 }), "\n" }

=head1 DESCRIPTION

A thin layer over a maintained JSON encoder: L<Cpanel::JSON::XS> when it
is installed, else L<JSON::PP> (shipped with perl); C<$Vigil::JSON::BACKEND>
names the one in use.  Output is one line, UTF-8, keys sorted.

Integers are JSON numbers (64-bit unsigned ones too); text that is valid
UTF-8 is kept, any other byte is taken as the character of the same
value (U+0080..U+00FF), so the output is valid JSON whatever the kernel
reported.

=over

=item encode_json(VALUE)

VALUE (a hash or array reference, or a scalar) as one line of JSON.

=item event_json(EVENT)

The event as a JSON object: C<name> (C<"sched:sched_switch">), every
field of the event and the common fields (C<common_ts>, C<common_cpu>,
C<common_tid>, C<common_pid>, C<common_ppid>, C<common_comm>).  Arrays
(such as C<args>) are JSON arrays.

=back

L<Vigil::Aggr> tables print as JSON with C<< $aggr->print(json => 1) >>
(see there).

=head1 SEE ALSO

L<Vigil>, L<Vigil::Aggr>, F<handlers/print.pl> (C<--json>)

=cut
