#!/usr/bin/perl
# Vigil::Metrics (Vigil::metric_counter, metric_gauge, metric_aggr):
# the Prometheus text exposition format exactly (HELP and TYPE lines,
# escaping, histograms' cumulative _bucket series with le bounds up to
# +Inf, _sum and _count), and every bad name or value refused with a
# message naming it, at the script's line.  vigild serving it over HTTP
# (and a real Prometheus scraping it) is t/kernel/90-metrics.t.
use strict;
use warnings;
use FindBin;
use Test::More;

use lib map { ("$FindBin::Bin/../../$_/blib/lib", "$FindBin::Bin/../../$_/blib/arch") } ('perl', '.');

my $loaded = eval { require Vigil; require Vigil::Aggr; require Vigil::Metrics; 1 };
ok($loaded, 'Vigil::Metrics loads from the built module (run make first)')
    or diag($@), done_testing(), exit 1;

sub fresh { Vigil::Metrics::_reset() }
sub text { Vigil::Metrics::exposition() }

# every die names the caller's line: this file
sub dies_like {
	my ($code, $re, $name) = @_;
	my $line = (caller)[2];
	eval { $code->(); 1 } and return fail("$name: did not die");
	like($@, $re, $name);
	like($@, qr/ at \Q$0\E line \d+\.?$/, "$name: the message names the script line")
	    or diag $@;
}

subtest 'counters and gauges, with and without labels' => sub {
	fresh();
	my $c = Vigil::metric_counter('http_requests_total', help => 'requests served');
	is($c->value, 0, 'a new series starts at 0');
	$c->inc;
	$c->inc(41);
	is($c->value, 42, 'inc adds 1, inc(N) adds N');
	my $again = Vigil::metric_counter('http_requests_total');
	is($again, $c, 'the same name and labels give the same series');
	Vigil::metric_counter('errors_total', labels => { comm => 'cat', code => 2 })->inc(3);
	Vigil::metric_counter('errors_total', labels => { code => 2, comm => 'cat' })->inc;
	Vigil::metric_counter('errors_total', labels => { comm => 'bash', code => 13 })->inc;
	my $g = Vigil::metric_gauge('tasks', help => 'tasks seen');
	$g->set(10);
	$g->dec(2.5);
	$g->inc;
	is($g->value, 8.5, 'a gauge sets, decreases and increases');
	Vigil::metric_gauge('ratio')->set(0.1);
	Vigil::metric_gauge('big')->set(2**62);
	Vigil::metric_gauge('inf')->set('inf');
	Vigil::metric_gauge('minf')->set('-inf');
	is(text(), <<'EOT', 'families in name order, series in label order, numbers as Prometheus reads them');
# TYPE big gauge
big 4611686018427387904
# TYPE errors_total counter
errors_total{code="13",comm="bash"} 1
errors_total{code="2",comm="cat"} 4
# HELP http_requests_total requests served
# TYPE http_requests_total counter
http_requests_total 42
# TYPE inf gauge
inf +Inf
# TYPE minf gauge
minf -Inf
# TYPE ratio gauge
ratio 0.1
# HELP tasks tasks seen
# TYPE tasks gauge
tasks 8.5
EOT
};

subtest 'label values and help are escaped as the format wants' => sub {
	fresh();
	Vigil::metric_counter('odd_total', help => "back\\slash\nnew \"line\"",
			      labels => { path => "C:\\dir \"x\"\nnext", name => "caf\x{e9}\x{263a}",
					  bytes => "caf\xc3\xa9" })->inc;
	is(text(), <<'EOT', '\\ and newline in help; \\, " and newline in label values; character strings encoded, UTF-8 bytes kept');
# HELP odd_total back\\slash\nnew "line"
# TYPE odd_total counter
odd_total{bytes="café",name="café☺",path="C:\\dir \"x\"\nnext"} 1
EOT
	my $t = text();
	ok(!utf8::is_utf8($t), 'the exposition is bytes (UTF-8 encoded)');
};

subtest 'histograms from Vigil::Aggr: cumulative buckets, le bounds, +Inf, _sum, _count' => sub {
	fresh();
	my $h = Vigil::Aggr->new(type => 'hist', keys => ['Comm']);
	$h->add('cat', $_) for 0, 1, 2, 3, 5, 1000;
	$h->add('ls', 4);
	Vigil::metric_aggr('read_ns', $h, help => 'read latency');
	my $l = Vigil::Aggr->new(type => 'lhist', min => 0, max => 30, step => 10);
	$l->add('', $_) for -1, 0, 9, 10, 25, 30, 99;
	Vigil::metric_aggr('size_bytes', $l, labels => []);
	is(text(), <<'EOT', 'log2 buckets end at 2^k-1, linear ones at min+i*step-1; the last bucket is +Inf');
# HELP read_ns read latency
# TYPE read_ns histogram
read_ns_bucket{comm="cat",le="0"} 1
read_ns_bucket{comm="cat",le="1"} 2
read_ns_bucket{comm="cat",le="3"} 4
read_ns_bucket{comm="cat",le="7"} 5
read_ns_bucket{comm="cat",le="15"} 5
read_ns_bucket{comm="cat",le="31"} 5
read_ns_bucket{comm="cat",le="63"} 5
read_ns_bucket{comm="cat",le="127"} 5
read_ns_bucket{comm="cat",le="255"} 5
read_ns_bucket{comm="cat",le="511"} 5
read_ns_bucket{comm="cat",le="1023"} 6
read_ns_bucket{comm="cat",le="+Inf"} 6
read_ns_sum{comm="cat"} 1011
read_ns_count{comm="cat"} 6
read_ns_bucket{comm="ls",le="7"} 1
read_ns_bucket{comm="ls",le="+Inf"} 1
read_ns_sum{comm="ls"} 4
read_ns_count{comm="ls"} 1
# TYPE size_bytes histogram
size_bytes_bucket{le="-1"} 1
size_bytes_bucket{le="9"} 3
size_bytes_bucket{le="19"} 4
size_bytes_bucket{le="29"} 5
size_bytes_bucket{le="+Inf"} 7
size_bytes_sum 172
size_bytes_count 7
EOT
	$h->add('cat', 2000);
	like(text(), qr/^read_ns_bucket\{comm="cat",le="2047"\} 7\nread_ns_bucket\{comm="cat",le="\+Inf"\} 7\nread_ns_sum\{comm="cat"\} 3011\n/m,
	     'each scrape shows the aggregation as it is now');
	my $neg = Vigil::Aggr->new(type => 'hist');
	$neg->add('', $_) for -5, -1, 0;
	Vigil::metric_aggr('delta', $neg, labels => []);
	like(text(), qr/^delta_bucket\{le="-4"\} 1\ndelta_bucket\{le="-2"\} 1\ndelta_bucket\{le="-1"\} 2\ndelta_bucket\{le="0"\} 3\ndelta_bucket\{le="\+Inf"\} 3\ndelta_sum -6\n/m,
	     'negative values: the bound of (-8, -4] is -4');
};

subtest 'counts, sums and stats from Vigil::Aggr' => sub {
	fresh();
	my $n = Vigil::Aggr->new(type => 'count', keys => ['COMM', 'syscall']);
	$n->add([ 'cat', 'openat' ]) for 1 .. 3;
	$n->add([ 'cat', 'read' ]);
	Vigil::metric_aggr('syscalls_total', $n, help => 'syscalls');
	my $s = Vigil::Aggr->new(type => 'sum');
	$s->add('eth0', 1500);
	Vigil::metric_aggr('bytes_total', $s, labels => ['dev'], type => 'counter');
	my $st = Vigil::Aggr->new(type => 'stats');
	$st->add(7, 10);
	$st->add(7, 30);
	Vigil::metric_aggr('wait_ns', $st, labels => ['pid']);
	my $max = Vigil::Aggr->new(type => 'max');
	$max->add("\xff\xfe", 3);
	Vigil::metric_aggr('worst', $max);
	is(text(), <<"EOT", 'a count is a counter (labels from the keys option), a sum may be one, stats a summary, max a gauge');
# TYPE bytes_total counter
bytes_total{dev="eth0"} 1500
# HELP syscalls_total syscalls
# TYPE syscalls_total counter
syscalls_total{comm="cat",syscall="openat"} 3
syscalls_total{comm="cat",syscall="read"} 1
# TYPE wait_ns summary
wait_ns_sum{pid="7"} 40
wait_ns_count{pid="7"} 2
# TYPE worst gauge
worst{key="\xef\xbf\xbd\xef\xbf\xbd"} 3
EOT
	my $one = Vigil::Aggr->new(type => 'count');
	$one->add('');
	$one->add('x');
	Vigil::metric_aggr('unlabelled_total', $one, labels => []);
	my $warn = '';
	local $SIG{__WARN__} = sub { $warn .= shift };
	like(text(), qr/^unlabelled_total 1$/m, "labels => []: the key '' is the one series");
	like($warn, qr/metric unlabelled_total: published without labels: keys other than '' are left out/,
	     'other keys are left out, with a warning');
	$warn = '';
	text();
	is($warn, '', '... once');
};

subtest 'bad names, labels and values are refused, naming them' => sub {
	fresh();
	dies_like(sub { Vigil::metric_counter('9lives') },
		  qr/^Vigil::metric_counter: '9lives' is not a metric name/, 'a name starting with a digit');
	dies_like(sub { Vigil::metric_gauge('a-b') },
		  qr/^Vigil::metric_gauge: 'a-b' is not a metric name/, 'a name with -');
	dies_like(sub { Vigil::metric_counter('x_total', labels => { 'a b' => 1 }) },
		  qr/^Vigil::metric_counter 'x_total': 'a b' is not a label name/, 'a label name with a space');
	dies_like(sub { Vigil::metric_counter('x_total', labels => { __name => 1 }) },
		  qr/'x_total': label names starting with __ are reserved/, 'a label name starting with __');
	dies_like(sub { Vigil::metric_counter('x_total', labels => { comm => undef }) },
		  qr/'x_total': label 'comm' has no value/, 'an undef label value');
	dies_like(sub { Vigil::metric_counter('x_total', labels => { comm => "\xff" }) },
		  qr/'x_total': label 'comm': the value is not UTF-8 text/, 'a label value that is not UTF-8');
	dies_like(sub { Vigil::metric_counter('x_total', labels => { comm => [] }) },
		  qr/'x_total': label 'comm': the value must be text, not a reference/, 'a reference as label value');
	dies_like(sub { Vigil::metric_counter('x_total', labels => [ 'comm' ]) },
		  qr/'x_total': labels must be a hash reference/, 'labels as a list');
	dies_like(sub { Vigil::metric_counter('x_total', colour => 'red') },
		  qr/'x_total': unknown option 'colour' \(known: help, labels\)/, 'an unknown option');
	Vigil::metric_counter('used_total', help => 'one', labels => { a => 1 });
	dies_like(sub { Vigil::metric_gauge('used_total') },
		  qr/'used_total': it is a counter already, not a gauge/, 'a name used as another type');
	dies_like(sub { Vigil::metric_counter('used_total', labels => { b => 1 }) },
		  qr/'used_total': labels \(b\) differ from its first use \(a\)/, 'other label names');
	dies_like(sub { Vigil::metric_counter('used_total', help => 'two', labels => { a => 2 }) },
		  qr/'used_total': help 'two' differs from its first use \('one'\)/, 'another help text');
	my $c = Vigil::metric_counter('used_total', labels => { a => 1 });
	dies_like(sub { $c->inc(-1) }, qr/^counter inc: '-1' is not a number >= 0/, 'a counter never decreases');
	dies_like(sub { $c->inc('many') }, qr/^counter inc: 'many' is not a number >= 0/, 'inc of text');
	dies_like(sub { Vigil::metric_gauge('g')->set('high') }, qr/^gauge set: 'high' is not a number/, 'set of text');
	my $h = Vigil::Aggr->new(type => 'hist');
	Vigil::metric_aggr('lat', $h, labels => []);
	dies_like(sub { Vigil::metric_counter('lat_bucket') },
		  qr/'lat_bucket': that name is a series of the histogram 'lat'/, "a histogram's _bucket name");
	Vigil::metric_counter('q_count');
	dies_like(sub { Vigil::metric_aggr('q', Vigil::Aggr->new(type => 'stats')) },
		  qr/'q': it would write the series 'q_count', which is the name of a counter/, "a summary over a counter's name");
	dies_like(sub { Vigil::metric_aggr('lat', $h) },
		  qr/'lat': it is published already/, 'an aggregation published twice');
	dies_like(sub { Vigil::metric_aggr('h2', $h, labels => ['le']) },
		  qr/'h2': the label 'le' is the histogram's own/, "a histogram's label le");
	dies_like(sub { Vigil::metric_aggr('h3', {}) },
		  qr/'h3': the second argument must be a Vigil::Aggr/, 'no aggregation');
	dies_like(sub { Vigil::metric_aggr('h4', $h, type => 'gauge') },
		  qr/'h4': an aggregation of type hist publishes a histogram, type may only be given for count and sum/,
		  'type for a histogram');
	dies_like(sub { Vigil::metric_aggr('h5', Vigil::Aggr->new(type => 'count'), type => 'summary') },
		  qr/'h5': type 'summary' is not counter or gauge/, 'a bad type');
};

done_testing();
