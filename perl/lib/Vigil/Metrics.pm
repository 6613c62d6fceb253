package Vigil::Metrics;

# The metrics handlers publish (Vigil::metric_counter, metric_gauge,
# metric_aggr) and their rendering in the Prometheus text exposition
# format.  The values live here, in the interpreter; vigild asks for
# the text when a scraper requests /metrics (perl/embed/exposition.c
# calls exposition()), between two events, so a scrape never sees a
# handler half way through one.

use strict;
use warnings;
use Carp qw(croak);
use Scalar::Util qw(blessed looks_like_number);

our $VERSION = '0.1.0';

# errors name the script line that called Vigil::metric_*
our @CARP_NOT = ('Vigil');

# name -> { name, type, help, labels => [names], series => { text =>
# value ref }, aggr => Vigil::Aggr }
my %FAMILY;
# names a histogram or summary family writes besides its own
my %SUFFIXED;

my $NAME_RE  = qr/\A[a-zA-Z_:][a-zA-Z0-9_:]*\z/;
my $LABEL_RE = qr/\A[a-zA-Z_][a-zA-Z0-9_]*\z/;

# The type of the family an aggregation of each type publishes; count
# and sum may be made the other of counter and gauge.
my %AGGR_TYPE = (count => 'counter', sum => 'gauge', min => 'gauge',
		 max => 'gauge', avg => 'gauge', stats => 'summary',
		 hist => 'histogram', lhist => 'histogram');

sub _check_name {
	my ($what, $name) = @_;
	croak "$what: the metric name must be a string" if !defined $name || ref $name;
	croak "$what: '$name' is not a metric name (letters, digits, _ and :, "
	    . "not starting with a digit)" unless $name =~ $NAME_RE;
}

sub _check_label_name {
	my ($what, $name, $label, $type) = @_;
	croak "$what '$name': '$label' is not a label name (letters, digits "
	    . "and _, not starting with a digit)" unless $label =~ $LABEL_RE;
	croak "$what '$name': label names starting with __ are reserved "
	    . "(Prometheus' own): '$label'" if $label =~ /\A__/;
	croak "$what '$name': the label 'le' is the histogram's own"
	    if $label eq 'le' && $type eq 'histogram';
	croak "$what '$name': the label 'quantile' is the summary's own"
	    if $label eq 'quantile' && $type eq 'summary';
}

# Text (bytes) as a label value: valid UTF-8 is kept; a character
# string is encoded.  undef when it is neither.
sub _utf8_bytes {
	my ($v) = @_;
	if (utf8::is_utf8($v)) {
		utf8::encode($v);
		return $v;
	}
	my $c = $v;
	return utf8::decode($c) ? $v : undef;
}

# \ " and newline escaped, as the exposition format wants label values
sub _escape_value {
	my ($v) = @_;
	$v =~ s/\\/\\\\/g;
	$v =~ s/"/\\"/g;
	$v =~ s/\n/\\n/g;
	return $v;
}

sub _escape_help {
	my ($v) = @_;
	$v = _utf8_bytes($v) // _lossy($v);
	$v =~ s/\\/\\\\/g;
	$v =~ s/\n/\\n/g;
	return $v;
}

# Bytes that are not UTF-8 (an aggregation's key): each invalid byte
# becomes U+FFFD, so the exposition stays valid UTF-8.
sub _lossy {
	my ($v) = @_;
	require Encode;
	my $t = Encode::decode('UTF-8', $v);	# malformed: U+FFFD
	utf8::encode($t);
	return $t;
}

# 'a="x",b="y"' ('' without labels) from names and values; the values
# must be valid UTF-8 unless $lossy.
sub _label_pairs {
	my ($what, $name, $names, $values, $lossy) = @_;
	my @p;
	for my $i (0 .. $#$names) {
		my $v = $values->[$i];
		croak "$what '$name': label '$names->[$i]' has no value"
		    unless defined $v;
		croak "$what '$name': label '$names->[$i]': the value must be "
		    . "text, not a reference" if ref $v;
		my $b = _utf8_bytes("$v");
		unless (defined $b) {
			croak "$what '$name': label '$names->[$i]': the value is not "
			    . "UTF-8 text" unless $lossy;
			$b = _lossy("$v");
		}
		push @p, $names->[$i] . '="' . _escape_value($b) . '"';
	}
	return join(',', @p);
}

# '{pairs}', '' for none
sub _braces {
	my $t = join ',', grep { $_ ne '' } @_;
	return $t eq '' ? '' : "{$t}";
}

# The family called $name of $type with these label names, made on
# first use; later uses must agree.
sub _family {
	my ($what, $name, $type, $labels, $help) = @_;
	croak "$what '$name': help must be text" if defined $help && ref $help;
	my $f = $FAMILY{$name};
	if (!$f) {
		croak "$what '$name': that name is a series of the $SUFFIXED{$name}"
		    if $SUFFIXED{$name};
		if ($type eq 'histogram' || $type eq 'summary') {
			for my $sfx ($type eq 'histogram' ? qw(_bucket _sum _count)
							  : qw(_sum _count)) {
				croak "$what '$name': it would write the series "
				    . "'$name$sfx', which is the name of a $FAMILY{$name . $sfx}{type}"
				    if $FAMILY{$name . $sfx};
			}
		}
		_check_label_name($what, $name, $_, $type) for @$labels;
		my %seen;
		$seen{$_}++ and croak "$what '$name': label '$_' given twice"
		    for @$labels;
		$f = $FAMILY{$name} = { name => $name, type => $type, help => $help,
					labels => [@$labels], series => {} };
		if ($type eq 'histogram' || $type eq 'summary') {
			$SUFFIXED{$name . $_} = "$type '$name'"
			    for $type eq 'histogram' ? qw(_bucket _sum _count)
						     : qw(_sum _count);
		}
		return $f;
	}
	croak "$what '$name': it is a $f->{type} already, not a $type"
	    if $f->{type} ne $type;
	croak "$what '$name': an aggregation publishes it already" if $f->{aggr};
	croak "$what '$name': labels (" . join(', ', @$labels) . ") differ from "
	    . "its first use (" . join(', ', @{ $f->{labels} }) . ")"
	    if "@$labels" ne "@{ $f->{labels} }";
	if (defined $help) {
		if (!defined $f->{help}) {
			$f->{help} = $help;
		} elsif ($f->{help} ne $help) {
			croak "$what '$name': help '$help' differs from its first "
			    . "use ('$f->{help}')";
		}
	}
	return $f;
}

sub _options {
	my ($what, $known, @o) = @_;
	croak "$what: options come in name => value pairs" if @o % 2;
	my %o = @o;
	my %k = map { $_ => 1 } @$known;
	my @bad = grep { !$k{$_} } sort keys %o;
	croak "$what: unknown option '$bad[0]' (known: " . join(', ', @$known) . ")"
	    if @bad;
	return %o;
}

# counter / gauge: the series of $name with these label values
sub _series {
	my ($type, $what, $name, @o) = @_;
	_check_name($what, $name);
	my %o = _options("$what '$name'", [qw(help labels)], @o);
	my $labels = $o{labels} // {};
	croak "$what '$name': labels must be a hash reference "
	    . "({ name => value, ... })" if ref $labels ne 'HASH';
	my @names = sort keys %$labels;
	my $f = _family($what, $name, $type, \@names, $o{help});
	my $text = _braces(_label_pairs($what, $name, \@names, [ @$labels{@names} ]));
	return $f->{series}{$text} //= do {
		my $v = 0;
		bless \$v, 'Vigil::Metrics::' . ucfirst $type;
	};
}

sub counter { _series('counter', 'Vigil::metric_counter', @_) }
sub gauge   { _series('gauge', 'Vigil::metric_gauge', @_) }

sub aggr {
	my ($name, $aggr, @o) = @_;
	my $what = 'Vigil::metric_aggr';
	_check_name($what, $name);
	croak "$what '$name': the second argument must be a Vigil::Aggr"
	    unless blessed $aggr && $aggr->isa('Vigil::Aggr');
	my %o = _options("$what '$name'", [qw(help labels type)], @o);
	my $atype = $aggr->type_name;
	my $type = $AGGR_TYPE{$atype};
	if (defined $o{type}) {
		croak "$what '$name': type '$o{type}' is not counter or gauge"
		    unless $o{type} eq 'counter' || $o{type} eq 'gauge';
		croak "$what '$name': an aggregation of type $atype publishes a "
		    . "$type, type may only be given for count and sum"
		    unless $atype eq 'count' || $atype eq 'sum';
		$type = $o{type};
	}
	my $labels = $o{labels};
	if (defined $labels) {
		croak "$what '$name': labels must be an array reference of "
		    . "label names, one per element of the keys"
		    if ref $labels ne 'ARRAY';
	} else {
		my $k = $aggr->key_names;
		$labels = $k ? [ map { lc } @$k ] : ['key'];
	}
	croak "$what '$name': it is published already" if $FAMILY{$name};
	my $f = _family($what, $name, $type, $labels, $o{help});
	$f->{aggr} = $aggr;
	return;
}

# ---- rendering ------------------------------------------------------

sub _num {
	my ($v) = @_;
	return '0' unless defined $v;
	return "$v" if "$v" =~ /\A-?[0-9]+\z/;
	return 'NaN' if $v != $v;
	return $v > 0 ? '+Inf' : '-Inf' if $v * 0 != 0;
	return sprintf('%.0f', $v) if $v == int($v) && abs($v) < 2**63;
	my $t = sprintf('%.15g', $v);
	return $t == $v ? $t : sprintf('%.17g', $v);
}

my %warned;
sub _warn_once {
	my ($name, $msg) = @_;
	return if $warned{$name}{$msg}++;
	if (defined &Vigil::log && Vigil::_in_vigild()) {
		Vigil::log('warning', "metric $name: $msg");
	} else {
		warn "metric $name: $msg\n";
	}
}

# The label pairs of an aggregation key ('' or [elements]) for the
# family's label names; undef (with a warning, once) for a key that has
# more elements than there are names.
sub _aggr_pairs {
	my ($f, $key) = @_;
	my @k = ref $key ? @$key : ($key);
	my @n = @{ $f->{labels} };
	if (!@n) {
		return '' if @k == 1 && $k[0] eq '';
		_warn_once($f->{name}, 'published without labels: keys other '
			   . "than '' are left out");
		return undef;
	}
	if (@k > @n) {
		_warn_once($f->{name}, 'keys of ' . scalar(@k) . ' elements, '
			   . scalar(@n) . ' label names: those keys are left out');
		return undef;
	}
	push @k, ('') x (@n - @k);
	return _label_pairs('metric', $f->{name}, \@n, \@k, 1);
}

sub _render_aggr {
	my ($f) = @_;
	my ($a, $n, $out) = ($f->{aggr}, $f->{name}, '');
	my $at = $a->type_name;
	if ($at eq 'hist' || $at eq 'lhist') {
		for my $r ($a->_prom_rows) {
			my ($key, $count, $sum, $buckets) = @$r;
			my $p = _aggr_pairs($f, $key);
			next unless defined $p;
			for my $b (@$buckets, ['+Inf', $count]) {
				$out .= "${n}_bucket" . _braces($p, qq(le="$b->[0]"))
				    . " $b->[1]\n";
			}
			my $l = _braces($p);
			$out .= "${n}_sum$l $sum\n${n}_count$l $count\n";
		}
		return $out;
	}
	for my $e ($a->entries(sort => 'key')) {
		my ($key, $v) = @$e;
		my $p = _aggr_pairs($f, $key);
		next unless defined $p;
		my $l = _braces($p);
		if ($at eq 'stats') {
			$out .= "${n}_sum$l " . _num($v->{sum}) . "\n"
			    . "${n}_count$l " . _num($v->{count}) . "\n";
		} else {
			$out .= "$n$l " . _num($v) . "\n";
		}
	}
	return $out;
}

# Every family, in name order: # HELP, # TYPE, then its samples in the
# order of their labels.  Bytes (UTF-8).
sub exposition {
	my $out = '';
	for my $name (sort keys %FAMILY) {
		my $f = $FAMILY{$name};
		$out .= "# HELP $name " . _escape_help($f->{help}) . "\n"
		    if defined $f->{help};
		$out .= "# TYPE $name $f->{type}\n";
		if ($f->{aggr}) {
			$out .= _render_aggr($f);
			next;
		}
		my $s = $f->{series};
		$out .= "$name$_ " . _num(${ $s->{$_} }) . "\n" for sort keys %$s;
	}
	return $out;
}

# What vigild calls (perl/embed/exposition.c): bytes, checked here (in
# its eval) rather than by the C side.
sub _exposition {
	my $t = exposition();
	utf8::downgrade($t, 1) or die "the metrics text is not bytes\n";
	return $t;
}

# Forget every metric (tests; a reload starts a new interpreter anyway).
sub _reset { %FAMILY = (); %SUFFIXED = (); %warned = () }

package Vigil::Metrics::Counter;

use Carp qw(croak);
use Scalar::Util qw(looks_like_number);

sub inc {
	my ($self, $n) = @_;
	if (defined $n) {
		croak "counter inc: '$n' is not a number >= 0"
		    unless looks_like_number($n) && $n >= 0;
		$$self += $n;
	} else {
		$$self++;
	}
	return $self;
}

sub value { ${ $_[0] } }

package Vigil::Metrics::Gauge;

use Carp qw(croak);
use Scalar::Util qw(looks_like_number);

sub set {
	my ($self, $v) = @_;
	croak "gauge set: '" . ($v // 'undef') . "' is not a number"
	    unless defined $v && looks_like_number($v);
	$$self = $v + 0;
	return $self;
}

sub inc {
	my ($self, $n) = @_;
	$n //= 1;
	croak "gauge inc: '$n' is not a number" unless looks_like_number($n);
	$$self += $n;
	return $self;
}

sub dec {
	my ($self, $n) = @_;
	$n //= 1;
	croak "gauge dec: '$n' is not a number" unless looks_like_number($n);
	$$self -= $n;
	return $self;
}

sub value { ${ $_[0] } }

1;

__END__

=head1 NAME

Vigil::Metrics - counters, gauges and aggregations of vigil handlers as
Prometheus metrics

=head1 SYNOPSIS

    use Vigil;
    use Vigil::Aggr;

    # vigild --metrics 9464 -s this.pl   (then: curl localhost:9464/metrics)
    my $opens = Vigil::metric_counter('vigil_openat_failed_total',
        help => 'openat calls that failed');
    on 'syscalls:sys_exit_openat', 'ret < 0' => sub {
        $opens->inc;
        Vigil::metric_counter('vigil_openat_errors_total',
            help => 'openat errors by process',
            labels => { comm => $_[0]{common_comm} })->inc;
    };

    my $running = Vigil::metric_gauge('vigil_tasks_running');
    every 1 => sub { $running->set(scalar keys %tasks) };

    my $lat = Vigil::Aggr->new(type => 'hist');
    Vigil::metric_aggr('vigil_read_latency_ns', $lat,
        help => 'read(2) latency in ns', labels => []);

=head1 DESCRIPTION

A handler publishes values as metrics; B<vigild> serves them in the
Prometheus text exposition format (version 0.0.4) on
C<http://ADDR:PORT/metrics> when started with B<--metrics>
[I<ADDR>B<:>]I<PORT> (or the B<metrics.listen> key of L<vigil.yaml(5)>),
for a Prometheus server to scrape.  The text is made when the request
comes, in vigild's main loop, between two events: every value is as the
last handler (or B<every> callback) left it, never half way through one.

Each function returns the series for one set of label values, made on
first use with the value 0; the same name with the same label values
returns the same series, so both keeping the object and asking for it on
every event work:

    my $c = Vigil::metric_counter('x_total');      # kept
    Vigil::metric_counter('y_total', labels => { comm => $comm })->inc;

Errors (C<croak>, naming the metric) come at the call: a name that is
not a metric name (letters, digits, C<_> and C<:>, not starting with a
digit), a label name that is not one (letters, digits and C<_>; C<__>
at the start is Prometheus' own; C<le> is a histogram's), a label value
that is undef, a reference or not UTF-8 text, a name used before as
another type or with other label names, a help text that differs from
an earlier one, a name that collides with a histogram's C<_bucket>,
C<_sum> or C<_count> series.  Label values and help texts are escaped
as the format wants (C<\>, C<">, newline).

Metrics live in the handlers' interpreter: a reload (SIGHUP) starts the
new scripts' metrics from nothing, which Prometheus sees as a counter
reset (its C<rate()> and C<increase()> handle those).

=head1 FUNCTIONS

=over

=item Vigil::metric_counter(NAME, help => TEXT, labels => { LABEL => VALUE, ... })

A counter: C<< ->inc >> adds 1, C<< ->inc(N) >> adds N (a number >= 0;
a negative one dies); C<< ->value >>.  By Prometheus' convention its
name ends in C<_total>.

=item Vigil::metric_gauge(NAME, help => TEXT, labels => { LABEL => VALUE, ... })

A gauge: C<< ->set(V) >>, C<< ->inc(N) >>, C<< ->dec(N) >> (N default
1), C<< ->value >>.

=item Vigil::metric_aggr(NAME, AGGR, help => TEXT, labels => [NAMES], type => TYPE)

Publishes a L<Vigil::Aggr> as it is at each scrape, one series per key:
the key's elements (a scalar key is one element) are the values of the
labels NAMES, in order.  Without B<labels>, the aggregation's B<keys>
option in lower case names them, else the one label C<key>.
C<< labels => [] >> publishes the key C<''> only (C<< $a->add('', $v) >>:
one series without labels).  A key with more elements than there are
names is left out (with a warning, once); missing elements are empty
values (which Prometheus treats as no label).  Key bytes that are not
UTF-8 become U+FFFD.

By the aggregation's type:

=over

=item count

a counter (or with C<< type => 'gauge' >> a gauge): the count per key;

=item sum

a gauge (or with C<< type => 'counter' >> a counter: sums of values
that are never negative); min, max, avg: a gauge;

=item stats

a summary without quantiles: I<NAME>C<_sum> and I<NAME>C<_count>;

=item hist, lhist

a histogram: I<NAME>C<_bucket> with cumulative counts per upper bound
C<le>, up to C<le="+Inf"> (the count), I<NAME>C<_sum> and
I<NAME>C<_count>.  Values are integers, so a bucket's C<le> is the
largest value it holds: log2 buckets end at C<0>, C<1>, C<3>, C<7>, ...
(C<2^k - 1>), linear ones at C<min + i*step - 1>.  The buckets are those
from the first to the last non-empty one (the aggregation makes no
others); an aggregation that is never cleared only ever adds buckets.

=back

Clearing an aggregation (C<< $a->clear >>) resets its series: fine for
gauges, a reset for counters and histograms.

=item Vigil::Metrics::exposition()

The text vigild serves, as bytes: families in name order, each with
C<# HELP> (when there is help) and C<# TYPE>, then its samples ordered
by their labels.  Works in plain perl too (tests).

=back

=head1 SEE ALSO

L<Vigil>, L<Vigil::Aggr>, vigild(8) (B<--metrics>), vigil.yaml(5)
(B<metrics.listen>), L<https://prometheus.io/docs/instrumenting/exposition_formats/>

=cut
