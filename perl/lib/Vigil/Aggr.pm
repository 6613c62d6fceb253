package Vigil::Aggr;

use strict;
use warnings;
use Carp qw(croak);

our $VERSION = '0.1.0';

# The XS half (perl/aggr.xsh, perl/vg_aggr.c) lives in the Vigil module;
# inside vigild it is already booted, from plain perl loading Vigil
# boots it.
BEGIN { require Vigil unless defined &Vigil::Aggr::add }

use Exporter 'import';
our @EXPORT_OK = qw(format_table);

my %TYPE = (count => 0, sum => 1, min => 2, max => 3, avg => 4,
	    stats => 5, hist => 6, lhist => 7);
my @TYPE_NAME = sort { $TYPE{$a} <=> $TYPE{$b} } keys %TYPE;
my %SORT = (desc => 0, value => 0, asc => 1, key => 2);
my %OPTION = map { $_ => 1 } qw(type min max step title keys value bar);

# Options of each object, by the address of its C table.
my %META;

sub new {
	my ($class, %o) = @_;
	my @bad = grep { !$OPTION{$_} } sort keys %o;
	croak "Vigil::Aggr->new: unknown option '$bad[0]' (known: "
	    . join(', ', sort keys %OPTION) . ")" if @bad;
	my $type = $o{type} // 'count';
	croak "Vigil::Aggr->new: unknown type '$type' (known: "
	    . join(', ', @TYPE_NAME) . ")" unless exists $TYPE{$type};
	my @lin = (0, 0, 0);
	if ($type eq 'lhist') {
		for my $i (0 .. 2) {
			my $k = (qw(min max step))[$i];
			croak "Vigil::Aggr->new: type lhist needs option '$k'"
			    unless defined $o{$k};
			croak "Vigil::Aggr->new: option '$k' must be an integer, not '$o{$k}'"
			    unless $o{$k} =~ /\A-?[0-9]+\z/;
			$lin[$i] = $o{$k};
		}
	} else {
		for my $k (qw(min max step)) {
			croak "Vigil::Aggr->new: option '$k' is only for type lhist"
			    if defined $o{$k};
		}
	}
	croak "Vigil::Aggr->new: option 'keys' must be an array ref of column names"
	    if defined $o{keys} && ref $o{keys} ne 'ARRAY';
	my $bar = $o{bar} // 50;
	croak "Vigil::Aggr->new: option 'bar' must be a positive integer, not '$bar'"
	    unless $bar =~ /\A[1-9][0-9]*\z/;
	my $self = _new($class, $TYPE{$type}, @lin);
	$META{$$self} = {
		type  => $type,
		title => $o{title},
		keys  => $o{keys},
		value => $o{value},
		bar   => $bar,
	};
	return $self;
}

# For Vigil's aggregate(): the options after the event name and filter
# checked and the table made.  Returns (table, [by fields or undef,
# tuple, type, value field or undef]) or (undef, error message).
my %DECL = map { $_ => 1 } qw(by count sum min max avg stats hist lhist
    title keys value bar);
my $FIELD_RE = qr/\A[A-Za-z_][A-Za-z0-9_]*(?:\[[0-9]+\])?\z/;
sub _declare {
	my (%o) = @_;
	my @bad = grep { !$DECL{$_} } sort keys %o;
	return (undef, "unknown option '$bad[0]' (known: "
	    . join(', ', sort keys %DECL) . ")") if @bad;
	my @types = grep { exists $o{$_} } qw(count sum min max avg stats hist lhist);
	return (undef, 'say what to aggregate: count => NAME, or sum, min, max, '
	    . 'avg, stats, hist => FIELD, or lhist => [FIELD, MIN, MAX, STEP]')
	    unless @types;
	return (undef, "options '$types[0]' and '$types[1]' both say what to "
	    . "aggregate; give one") if @types > 1;
	my $type = $types[0];
	my ($field, @lin, $value);
	if ($type eq 'count') {
		my $n = $o{count};
		return (undef, "count => NAME: the name of the value column (or 1), "
		    . "not " . (defined $n ? "'$n'" : 'undef'))
		    if !defined $n || ref $n || $n eq '';
		$value = $n unless $n eq '1';
	} elsif ($type eq 'lhist') {
		my $l = $o{lhist};
		return (undef, 'lhist => [FIELD, MIN, MAX, STEP]')
		    unless ref $l eq 'ARRAY' && @$l == 4;
		($field, @lin) = @$l;
		for my $v (@lin) {
			return (undef, "lhist => [FIELD, MIN, MAX, STEP]: '"
			    . ($v // 'undef') . "' is not an integer")
			    unless defined $v && !ref $v && $v =~ /\A-?[0-9]+\z/;
		}
	} else {
		$field = $o{$type};
	}
	if ($type ne 'count') {
		return (undef, "$type => FIELD: '" . ($field // 'undef')
		    . "' is not a field name (NAME or NAME[INDEX])")
		    unless defined $field && !ref $field && $field =~ $FIELD_RE;
		$value = uc($type) . " $field" if $type =~ /\A(?:sum|min|max|avg)\z/;
	}
	my ($by, $tuple) = (undef, 0);
	if (defined $o{by}) {
		$tuple = ref $o{by} eq 'ARRAY';
		$by = $tuple ? [ @{ $o{by} } ] : [ $o{by} ];
		return (undef, "by => FIELD or [FIELD, ...], not " . ref($o{by}) . ' reference')
		    if ref $o{by} && !$tuple;
		return (undef, 'by => []: give at least one field (or leave by out)')
		    unless @$by;
		return (undef, 'by => [...]: at most 16 fields') if @$by > 16;
		for my $f (@$by) {
			return (undef, "by: '" . ($f // 'undef')
			    . "' is not a field name (NAME or NAME[INDEX])")
			    unless defined $f && !ref $f && $f =~ $FIELD_RE;
		}
	}
	$value = $o{value} if defined $o{value};
	my $keys = $o{keys} // ($by ? [ @$by ] : undef);
	my $aggr = eval {
		Vigil::Aggr->new(type => $type, (@lin ? (min => $lin[0], max => $lin[1],
		    step => $lin[2]) : ()), (defined $keys ? (keys => $keys) : ()),
		    (defined $value ? (value => $value) : ()),
		    (defined $o{title} ? (title => $o{title}) : ()),
		    (defined $o{bar} ? (bar => $o{bar}) : ()));
	};
	unless ($aggr) {
		(my $err = $@) =~ s/^Vigil::Aggr->new: //;
		$err =~ s/ at \S+ line \d+\.?\n\z//;
		return (undef, $err);
	}
	return ($aggr, [$by, $tuple ? 1 : 0, $TYPE{$type}, $field]);
}

sub DESTROY {
	my $self = shift;
	delete $META{$$self} if $$self;
	_free($self);
}

sub type_name { $META{ ${ $_[0] } }{type} }

# the names given as option keys, or undef (Vigil::Metrics' labels)
sub key_names { $META{ ${ $_[0] } }{keys} }

sub delete {
	my ($self, $key) = @_;
	my ($r) = _lookup($self, $key, 1);
	return $r;
}

# The value of one entry row from XS, as get() and entries() return it.
sub _value {
	my ($type, $row) = @_;
	my ($count, $sum, $min, $max, $avg, $b) = @$row[1 .. 6];
	return $count if $type eq 'count';
	return $sum if $type eq 'sum';
	return $min if $type eq 'min';
	return $max if $type eq 'max';
	return $avg if $type eq 'avg';
	my %v = (count => $count, sum => $sum, min => $min, max => $max,
		 avg => $avg);
	$v{buckets} = $b || [] if $type eq 'hist' || $type eq 'lhist';
	return \%v;
}

sub get {
	my ($self, $key) = @_;
	my ($row) = _lookup($self, $key, 0);
	return undef unless $row;
	return _value($META{$$self}{type}, $row);
}

# Natural order of keys: element by element, numbers as numbers.
sub _key_cmp {
	my ($x, $y) = @_;
	my @x = ref $x ? @$x : ($x);
	my @y = ref $y ? @$y : ($y);
	for my $i (0 .. ($#x < $#y ? $#x : $#y)) {
		my ($p, $q) = ($x[$i], $y[$i]);
		my $c;
		if ($p =~ /\A-?[0-9]+(?:\.[0-9]+)?\z/ && $q =~ /\A-?[0-9]+(?:\.[0-9]+)?\z/) {
			$c = $p <=> $q;
		} else {
			$c = $p cmp $q;
		}
		return $c if $c;
	}
	return @x <=> @y;
}

sub _rows {
	my ($self, %o) = @_;
	my $sort = $o{sort} // 'desc';
	croak "Vigil::Aggr: unknown sort '$sort' (known: desc, asc, key)"
	    unless exists $SORT{$sort};
	my $top = $o{top} // 0;
	croak "Vigil::Aggr: option 'top' must be a number >= 0, not '$top'"
	    unless $top =~ /\A[0-9]+\z/;
	if ($SORT{$sort} == 2) {
		my @r = sort { _key_cmp($a->[0], $b->[0]) } _entries($self, 2, 0);
		splice @r, $top if $top && @r > $top;
		return @r;
	}
	return _entries($self, $SORT{$sort}, $top);
}

sub entries {
	my ($self, %o) = @_;
	my $type = $META{$$self}{type};
	return map { [ $_->[0], _value($type, $_) ] } $self->_rows(%o);
}

sub keys {
	my ($self) = @_;
	return map { $_->[0] } $self->_rows(sort => 'key');
}

# Aligned columns: numbers (and columns of only numbers) to the right,
# text to the left, two spaces between columns.
sub format_table {
	my ($headers, $rows) = @_;
	my $nc = @$headers;
	for my $r (@$rows) { $nc = @$r if @$r > $nc }
	my (@w, @num);
	for my $c (0 .. $nc - 1) {
		my $h = $headers->[$c] // '';
		$w[$c] = length $h;
		$num[$c] = 1;
		for my $r (@$rows) {
			my $v = $r->[$c] // '';
			$w[$c] = length $v if length $v > $w[$c];
			$num[$c] = 0 unless $v =~ /\A-?[0-9]+(?:\.[0-9]+)?[a-zA-Z%]*\z/;
		}
		$num[$c] = 0 unless @$rows;
	}
	my $out = '';
	for my $r ($headers, @$rows) {
		my @cell;
		for my $c (0 .. $nc - 1) {
			my $v = $r->[$c] // '';
			push @cell, $num[$c] ? sprintf('%*s', $w[$c], $v)
					     : sprintf('%-*s', $w[$c], $v);
		}
		my $line = join '  ', @cell;
		$line =~ s/ +\z//;
		$out .= "$line\n";
	}
	return $out;
}

sub _key_text {
	my ($k) = @_;
	return ref $k ? join(', ', @$k) : $k;
}

sub format {
	my ($self, %o) = @_;
	my $m = $META{$$self};
	my $type = $m->{type};
	my $title = exists $o{title} ? $o{title} : $m->{title};
	my @rows = $self->_rows(top => $o{top}, sort => $o{sort});
	my $out = defined $title ? "$title\n" : '';
	unless (@rows) {
		return $out . "(no data)\n";
	}
	if ($type eq 'hist' || $type eq 'lhist') {
		my ($lw, $cw) = (0, 0);
		for my $r (@rows) {
			for my $b (@{ $r->[6] || [] }) {
				$lw = length $b->[0] if length $b->[0] > $lw;
				$cw = length $b->[1] if length $b->[1] > $cw;
			}
		}
		my $bar = $m->{bar};
		for my $r (@rows) {
			my $k = $r->[0];
			$out .= (!ref $k && $k eq '') ? '@:' . "\n" : '@[' . _key_text($k) . "]:\n";
			my $maxc = 0;
			for my $b (@{ $r->[6] }) { $maxc = $b->[1] if $b->[1] > $maxc }
			for my $b (@{ $r->[6] }) {
				my $n = $maxc ? int($b->[1] * $bar / $maxc) : 0;
				$out .= sprintf("%-*s %*s |%s%s|\n", $lw, $b->[0], $cw, $b->[1],
						'@' x $n, ' ' x ($bar - $n));
			}
			$out .= "\n";
		}
		return $out;
	}
	my $nk = 1;
	for my $r (@rows) { $nk = @{ $r->[0] } if ref $r->[0] && @{ $r->[0] } > $nk }
	my @kh = $m->{keys} ? @{ $m->{keys} }
	    : $nk == 1 ? ('KEY') : map { "KEY$_" } 1 .. $nk;
	push @kh, ('') x ($nk - @kh) if @kh < $nk;
	my (@h, @body);
	if ($type eq 'stats') {
		@h = (@kh[0 .. $nk - 1], qw(COUNT MIN AVG MAX SUM));
		@body = map {
			my @k = ref $_->[0] ? @{ $_->[0] } : ($_->[0]);
			[ @k, ('') x ($nk - @k), @$_[1, 3, 5, 4, 2] ]
		} @rows;
	} else {
		my $vh = $m->{value} // uc $type;
		@h = (@kh[0 .. $nk - 1], $vh);
		@body = map {
			my @k = ref $_->[0] ? @{ $_->[0] } : ($_->[0]);
			[ @k, ('') x ($nk - @k), _value($type, $_) ]
		} @rows;
	}
	return $out . format_table(\@h, \@body);
}

# The table as one JSON object (Vigil::JSON): title, type, key names,
# and the entries in the order format() shows them.
sub json {
	my ($self, %o) = @_;
	my $m = $META{$$self};
	require Vigil::JSON;
	my %t = (
		type => $m->{type},
		title => exists $o{title} ? $o{title} : $m->{title},
		entries => [ map { { key => $_->[0], value => $_->[1] } }
			     $self->entries(top => $o{top}, sort => $o{sort}) ],
	);
	$t{keys} = $m->{keys} if $m->{keys};
	$t{value_name} = $m->{value} if defined $m->{value};
	return Vigil::JSON::encode_json(\%t);
}

sub print {
	my ($self, %o) = @_;
	my $fh = delete $o{fh} // select;
	my $json = delete $o{json};
	no strict 'refs';
	print {$fh} $json ? $self->json(%o) . "\n" : $self->format(%o)
	    or croak "Vigil::Aggr->print: $!";
	return 1;
}

1;

__END__

=head1 NAME

Vigil::Aggr - aggregations for vigil handlers: counts, sums, min, max,
averages, log2 and linear histograms, top-N tables

=head1 SYNOPSIS

    use Vigil;
    use Vigil::Aggr;

    my $calls = Vigil::Aggr->new(type => 'count', keys => ['COMM', 'SYSCALL'],
                                 value => 'CALLS', title => 'syscalls');
    my $lat   = Vigil::Aggr->new(type => 'hist', title => 'read latency (ns)');
    my $size  = Vigil::Aggr->new(type => 'lhist', min => 0, max => 4096, step => 512);

    on 'raw_syscalls:sys_exit' => sub {
        my $e = shift;
        $calls->add([ $e->{common_comm}, $e->{id} ]);
    };
    every 5 => sub { $calls->print(top => 10); $calls->clear };

=head1 DESCRIPTION

An aggregation is a table from keys to a summary of the values added
under them, kept in C (perl/vg_aggr.c): one hash lookup and a few integer
updates per C<add>, no Perl data per value.

Vigil's C<aggregate> (Vigil(3pm)) makes one that vigild fills from event
fields in C, with no Perl call per event:

    my $fails = aggregate 'raw_syscalls:sys_exit', 'ret < 0',
        by => ['common_comm', 'id'], count => 'n';

A key is a scalar or a tuple given as an array reference
(C<[$comm, $pid]>); tuple elements may hold any bytes.  C<undef> counts as
the empty string.  Keys compare as strings: C<1> and C<1.0> are different
keys, C<1> and C<"1"> the same.  Values are integers (64-bit, signed; floating point
values are truncated toward zero); sums are kept in 128 bits and never
wrap.

=head2 Types

=over

=item count

How many values were added (C<add($key)> adds one).

=item sum, min, max

Sum, smallest and largest value.

=item avg

Average, C<sum / count> truncated toward zero (as bpftrace does).

=item stats

All of count, min, avg, max and sum; printed as five columns.

=item hist

Power-of-two histogram: buckets C<[0]>, C<[1]>, C<[2, 4)>, C<[4, 8)>, ...
with C<K>, C<M>, C<G>, C<T>, C<P>, C<E> for powers of 1024; negative values
go to the mirrored buckets C<[-1]>, C<(-4, -2]>, C<(-8, -4]>, ...

=item lhist

Linear histogram with options C<min>, C<max> and C<step> (integers,
C<max - min> a multiple of C<step>): buckets C<(..., min)>,
C<[min, min+step)>, ..., C<[max, ...)>.

=back

=head2 Methods

=over

=item new(type => TYPE, title => TEXT, keys => [NAMES], value => NAME, bar => WIDTH, min/max/step)

C<keys> names the key columns of printed tables (default C<KEY> or
C<KEY1>, C<KEY2>, ...), C<value> the value column (default the type in
capitals), C<bar> the width of histogram bars (default 50).  Unknown
options, types or bad bounds die with a message naming them.

=item add(KEY [, VALUE])

Adds VALUE (default 1) under KEY.

=item add_tuple(VALUE, KEY1, KEY2, ...)

The same as C<add([KEY1, KEY2, ...], VALUE)>, without building the array:
the fastest way to add under a tuple key (about twice as fast).

=item get(KEY)

The value under KEY (a number for count, sum, min, max and avg; a hash
reference with count, sum, min, max, avg and, for histograms, C<buckets>
as C<[[label, count], ...]>), or undef when KEY was never added.

=item entries(top => N, sort => 'desc' | 'asc' | 'key')

C<([KEY, VALUE], ...)> sorted by value, largest first (ties by key), or
by key in natural order (numbers as numbers).  Tuple keys come back as
array references.

=item keys

All keys in natural order.

=item format(top => N, sort => ORDER, title => TEXT)

The printed form as a string: an aligned table (key columns, value
column) for count, sum, min, max, avg and stats; for histograms one
C<@[KEY]:> block (C<@:> for the key '') per key with one line per bucket
from the first to the last non-empty one:

    @[bash]:
    [1]        1 |@@@@@@@@@@@@@@@@@@@@@@@@@                         |
    [2, 4)     2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

An empty aggregation prints the title and C<(no data)>.

=item print(top => N, sort => ORDER, title => TEXT, fh => HANDLE, json => 1)

Prints C<format> to HANDLE (default the selected handle); with C<json
=E<gt> 1> the C<json> line instead.

=item json(top => N, sort => ORDER, title => TEXT)

The table as one line of JSON (through L<Vigil::JSON>): an object with
C<type>, C<title>, C<keys> (the key column names, when given to new),
C<value_name> (when given) and C<entries>, C<[{"key": KEY, "value":
VALUE}, ...]> in the order of entries() (a tuple key is an array; a
stats or histogram value is an object with count, sum, min, max, avg
and, for histograms, C<buckets> as C<[[label, count], ...]>).
C<< print(json => 1, ...) >> prints it with a newline.

=item clear

Removes every key.  Print-and-reset every five seconds is one line:
C<every 5 =E<gt> sub { $a-E<gt>print(top =E<gt> 10); $a-E<gt>clear };>

=item delete(KEY)

Removes one key; returns 1 if it was there.

=item size

Number of keys.

=item dropped

Values that could not be added because memory ran out (each such C<add>
also dies).

=back

=head2 Functions

=over

=item format_table(\@HEADERS, \@ROWS)

Exportable.  Aligns rows of cells under headers, two spaces apart;
columns holding only numbers (optionally with a unit suffix such as
C<ms> or C<%>) are right-aligned, others left-aligned.

=back

=cut
