#!/usr/bin/perl
# Vigil::Aggr: aggregations (count, sum, min, max, avg, stats, log2 and
# linear histograms) give exact values and print exactly as documented.
use strict;
use warnings;
use FindBin;
use Test::More;

# The built XS module (make at the top level builds perl/blib).
my $root = "$FindBin::Bin/../..";
use lib map { ("$FindBin::Bin/../../$_/blib/lib", "$FindBin::Bin/../../$_/blib/arch") } ('perl', '.');

my $loaded = eval { require Vigil::Aggr; Vigil::Aggr->import('format_table'); 1 };
ok($loaded, 'Vigil::Aggr loads from the built module (run make first)')
    or diag($@), done_testing(), exit 1;

sub new_aggr { Vigil::Aggr->new(@_) }

subtest 'count counts adds per key, one per add whatever the value' => sub {
	my $a = new_aggr(type => 'count');
	$a->add('bash') for 1 .. 3;
	$a->add('ls', 100);
	is($a->get('bash'), 3, 'three adds');
	is($a->get('ls'), 1, 'a value does not change a count');
	is($a->get('nope'), undef, 'an unknown key is undef');
	is($a->size, 2, 'two keys');
	is($a->type_name, 'count', 'type_name');
};

subtest 'sum, min, max and avg keep the right value, avg truncates toward zero' => sub {
	my %a = map { $_ => new_aggr(type => $_) } qw(sum min max avg);
	for my $v (5, -3, 10, 0) { $_->add('k', $v) for values %a }
	is($a{sum}->get('k'), 12, 'sum');
	is($a{min}->get('k'), -3, 'min');
	is($a{max}->get('k'), 10, 'max');
	is($a{avg}->get('k'), 3, 'avg 12/4');
	my $n = new_aggr(type => 'avg');
	$n->add('k', $_) for (-1, -2);
	is($n->get('k'), -1, 'avg of -1 and -2 truncates toward zero to -1');
};

subtest 'stats gives count, sum, min, max, avg together' => sub {
	my $a = new_aggr(type => 'stats');
	$a->add('k', $_) for 1 .. 10;
	is_deeply($a->get('k'), { count => 10, sum => 55, min => 1, max => 10, avg => 5 });
};

subtest 'huge values: sums do not wrap, extremes are kept' => sub {
	my $max = 9223372036854775807;
	my $min = -9223372036854775807 - 1;
	my $s = new_aggr(type => 'sum');
	$s->add('k', $max) for 1 .. 2;
	is($s->get('k'), '18446744073709551614', 'sum beyond 2^63 comes back exact as an unsigned number');
	$s->add('k', $max) for 1 .. 2;
	cmp_ok($s->get('k'), '==', 4 * 9223372036854775807, 'sum beyond 2^64 comes back as a floating number, not wrapped');
	cmp_ok($s->get('k'), '>', 0, 'still positive');
	my $x = new_aggr(type => 'stats');
	$x->add('k', $max);
	$x->add('k', $min);
	my $v = $x->get('k');
	is($v->{max}, $max, 'max is INT64_MAX');
	is($v->{min}, $min, 'min is INT64_MIN');
	is($v->{sum}, -1, 'their sum is -1');
	my $f = new_aggr(type => 'sum');
	$f->add('k', 2.9);
	$f->add('k', -1.9);
	is($f->get('k'), 1, 'floating values truncate toward zero (2 + -1)');
	$f->add('k', 1e300);
	is($f->get('k'), '9223372036854775808', 'a float beyond 2^63 saturates at INT64_MAX');
};

subtest 'tuple keys are distinct from scalars and hold any bytes' => sub {
	my $a = new_aggr(type => 'count');
	$a->add([ 'a', 'b' ]);
	$a->add([ 'a', 'b' ]);
	$a->add("a\0b");
	$a->add([ "a\0b" ]);
	$a->add([ 'a', "b\0" ]);
	$a->add([ 'a', undef ]);
	is($a->get([ 'a', 'b' ]), 2, 'same tuple, same entry');
	is($a->get("a\0b"), 1, 'scalar with NUL is its own key');
	is($a->get([ "a\0b" ]), 1, 'one-element tuple with NUL is its own key');
	is($a->get([ 'a', "b\0" ]), 1, 'trailing NUL in an element is kept');
	is($a->get([ 'a', '' ]), 1, 'undef element counts as the empty string');
	is($a->size, 5, 'five distinct keys');
	is_deeply([ $a->keys ], [ [ 'a', '' ], [ 'a', 'b' ], [ 'a', "b\0" ], "a\0b", [ "a\0b" ] ],
		  'keys come back as scalars and array refs, in natural order');
};

{
	package Counter;
	sub TIESCALAR { my ($c, $v) = @_; bless { v => $v, reads => 0 }, $c }
	sub FETCH { $_[0]{reads}++; $_[0]{v} }
}
subtest 'tied (magic) keys and values are read once, through their magic' => sub {
	my $a = new_aggr(type => 'sum');
	my $k = tie my $key, 'Counter', 'tiedkey';
	my $v = tie my $val, 'Counter', 5;
	$a->add($key, $val);
	$a->add([ $key ], $val);
	is($a->get('tiedkey'), 5, 'scalar key and value come from FETCH');
	is($a->get([ 'tiedkey' ]), 5, 'tuple element from FETCH');
	is($k->{reads}, 2, 'key fetched once per add');
	is($v->{reads}, 2, 'value fetched once per add');
};

subtest 'add_tuple(VALUE, KEYS...) is add([KEYS...], VALUE)' => sub {
	my $a = new_aggr(type => 'sum');
	$a->add_tuple(5, 'bash', 12);
	$a->add([ 'bash', 12 ], 7);
	$a->add_tuple(1, "a\0b", undef);
	is($a->get([ 'bash', 12 ]), 12, 'both forms reach the same entry');
	is($a->get([ "a\0b", '' ]), 1, 'NUL bytes and undef elements as in add');
	eval { $a->add_tuple(undef, 'x') };
	like($@, qr/add_tuple: the value is undef/, 'an undef value dies');
};

subtest 'delete and clear remove keys; the table keeps working after' => sub {
	my $a = new_aggr(type => 'count');
	$a->add("k$_") for 1 .. 1000;
	is($a->size, 1000, '1000 keys (the table grew)');
	is($a->delete('k500'), 1, 'delete of a present key');
	is($a->delete('k500'), 0, 'delete of an absent key');
	is($a->get('k500'), undef, 'deleted key is gone');
	my $all = 1;
	for (1 .. 1000) { next if $_ == 500; $all = 0 unless ($a->get("k$_") // 0) == 1 }
	ok($all, 'every other key still found after the delete');
	$a->clear;
	is($a->size, 0, 'clear empties it');
	is($a->get('k1'), undef, 'cleared key is gone');
	$a->add('k1');
	is($a->get('k1'), 1, 'adds after clear start from zero');
};

subtest 'random adds and deletes agree with a Perl hash' => sub {
	srand(42);
	my $a = new_aggr(type => 'sum');
	my %ref;
	my $wrong = 0;
	for (1 .. 20000) {
		my $k = int(rand(3000));
		if (rand() < 0.3) {
			$wrong++ if $a->delete($k) != (exists $ref{$k} ? 1 : 0);
			delete $ref{$k};
		} else {
			my $v = int(rand(1000)) - 500;
			$a->add($k, $v);
			$ref{$k} += $v;
		}
	}
	is($wrong, 0, 'delete says 1 exactly for the keys that were there');
	is($a->size, scalar(keys %ref), 'same number of keys');
	is_deeply({ map { $_->[0] => $_->[1] } $a->entries }, \%ref, 'same sums');
};

subtest 'entries are sorted by value, ties by key; top limits' => sub {
	my $a = new_aggr(type => 'sum');
	$a->add('b', 5);
	$a->add('a', 5);
	$a->add('c', 9);
	$a->add('d', 1);
	is_deeply([ $a->entries ], [ [ 'c', 9 ], [ 'a', 5 ], [ 'b', 5 ], [ 'd', 1 ] ], 'descending');
	is_deeply([ $a->entries(top => 2) ], [ [ 'c', 9 ], [ 'a', 5 ] ], 'top 2');
	is_deeply([ $a->entries(sort => 'asc') ], [ [ 'd', 1 ], [ 'a', 5 ], [ 'b', 5 ], [ 'c', 9 ] ], 'ascending');
	my $p = new_aggr(type => 'count');
	$p->add($_) for (100, 20, 3);
	is_deeply([ map { $_->[0] } $p->entries(sort => 'key') ], [ 3, 20, 100 ], 'key order is numeric for numbers');
};

subtest 'count table prints aligned columns with named keys' => sub {
	my $a = new_aggr(type => 'count', keys => [ 'COMM', 'PID' ], value => 'CALLS', title => 'syscalls');
	$a->add([ 'bash', 1 ]) for 1 .. 12;
	$a->add([ 'systemd-journal', 321 ]) for 1 .. 3;
	$a->add([ 'ls', 45 ]);
	is($a->format, <<'EOT');
syscalls
COMM             PID  CALLS
bash               1     12
systemd-journal  321      3
ls                45      1
EOT
	is($a->format(top => 1, title => undef), <<'EOT', 'top 1 without title');
COMM  PID  CALLS
bash    1     12
EOT
};

subtest 'default column names' => sub {
	my $a = new_aggr(type => 'max');
	$a->add('x', 7);
	is($a->format, "KEY  MAX\nx      7\n", 'KEY and the type');
	my $t = new_aggr(type => 'count');
	$t->add([ 'x', 'y' ]);
	is($t->format, "KEY1  KEY2  COUNT\nx     y         1\n", 'KEY1 KEY2 for tuples');
};

subtest 'stats table has COUNT MIN AVG MAX SUM columns' => sub {
	my $a = new_aggr(type => 'stats', keys => ['SYSCALL']);
	$a->add('read', $_) for (10, 20, 30);
	$a->add('write', -4);
	is($a->format, <<'EOT');
SYSCALL  COUNT  MIN  AVG  MAX  SUM
read         3   10   20   30   60
write        1   -4   -4   -4   -4
EOT
};

subtest 'empty aggregation prints the title and (no data)' => sub {
	my $a = new_aggr(type => 'hist', title => 'latency');
	is($a->format, "latency\n(no data)\n");
	is(new_aggr()->format, "(no data)\n", 'no title');
	is_deeply([ $a->entries ], [], 'no entries');
};

subtest 'log2 histogram: buckets, K suffixes, bars scaled to the largest' => sub {
	my $a = new_aggr(type => 'hist', bar => 20);
	$a->add('read', $_) for (0, 1, 2, 3, 5, 6, 7, 1024, 1500);
	is($a->format, <<'EOT');
@[read]:
[0]        1 |@@@@@@              |
[1]        1 |@@@@@@              |
[2, 4)     2 |@@@@@@@@@@@@@       |
[4, 8)     3 |@@@@@@@@@@@@@@@@@@@@|
[8, 16)    0 |                    |
[16, 32)   0 |                    |
[32, 64)   0 |                    |
[64, 128)  0 |                    |
[128, 256) 0 |                    |
[256, 512) 0 |                    |
[512, 1K)  0 |                    |
[1K, 2K)   2 |@@@@@@@@@@@@@       |

EOT
	my $v = $a->get('read');
	is($v->{count}, 9, 'count');
	is($v->{sum}, 2548, 'sum');
	is_deeply($v->{buckets}[3], [ '[4, 8)', 3 ], 'bucket as [label, count]');
};

subtest 'log2 histogram: negative values get mirrored buckets, zero its own' => sub {
	my $a = new_aggr(type => 'hist', bar => 10);
	$a->add('', $_) for (-1, -2, -3, -5, 0, 1);
	is($a->format, <<'EOT', 'the empty key prints as @:');
@:
(-8, -4] 1 |@@@@@     |
(-4, -2] 2 |@@@@@@@@@@|
[-1]     1 |@@@@@     |
[0]      1 |@@@@@     |
[1]      1 |@@@@@     |

EOT
};

subtest 'log2 histogram: the extremes of int64' => sub {
	my $a = new_aggr(type => 'hist', bar => 4);
	$a->add('max', 9223372036854775807);
	$a->add('min', -9223372036854775807 - 1);
	is($a->format(sort => 'key'), <<'EOT');
@[max]:
[4E, 8E)    1 |@@@@|

@[min]:
(-16E, -8E] 1 |@@@@|

EOT
};

subtest 'linear histogram: below, inside and above the range' => sub {
	my $a = new_aggr(type => 'lhist', min => 0, max => 100, step => 25, bar => 8, title => 'sizes');
	$a->add([ 'x', 1 ], $_) for (-5, 0, 24, 25, 99, 100, 5000);
	is($a->format, <<'EOT');
sizes
@[x, 1]:
(..., 0)   1 |@@@@    |
[0, 25)    2 |@@@@@@@@|
[25, 50)   1 |@@@@    |
[50, 75)   0 |        |
[75, 100)  1 |@@@@    |
[100, ...) 2 |@@@@@@@@|

EOT
	my $b = new_aggr(type => 'lhist', min => 10, max => 20, step => 5, bar => 2);
	$b->add('k', 12);
	is($b->format, "\@[k]:\n[10, 15) 1 |@@|\n\n", 'empty buckets at both ends are not printed');
};

subtest 'histograms are ordered by their counts; bars scale per histogram' => sub {
	my $a = new_aggr(type => 'hist', bar => 4);
	$a->add('few', 1);
	$a->add('few', 2);
	$a->add('many', 1) for 1 .. 9;
	$a->add('many', 2);
	is($a->format, <<'EOT', 'many before few; a bar shorter than one @ is blank');
@[many]:
[1]    9 |@@@@|
[2, 4) 1 |    |

@[few]:
[1]    1 |@@@@|
[2, 4) 1 |@@@@|

EOT
};

subtest 'print writes to a handle; print-and-clear' => sub {
	my $a = new_aggr(type => 'count');
	$a->add('x');
	my $out = '';
	open my $fh, '>', \$out or die;
	ok($a->print(fh => $fh), 'print returns true');
	close $fh;
	is($out, "KEY  COUNT\nx        1\n", 'printed text');
	$a->clear;
	is($a->format, "(no data)\n", 'cleared');
};

subtest 'bad options die with a message naming them' => sub {
	my %bad = (
		'type => "bogus"'                     => [ [ type => 'bogus' ], qr/unknown type 'bogus'/ ],
		'unknown option'                      => [ [ colour => 1 ], qr/unknown option 'colour'/ ],
		'lhist without step'                  => [ [ type => 'lhist', min => 0, max => 10 ], qr/needs option 'step'/ ],
		'lhist with zero step'                => [ [ type => 'lhist', min => 0, max => 10, step => 0 ], qr/step must be greater than 0/ ],
		'lhist max <= min'                    => [ [ type => 'lhist', min => 10, max => 10, step => 1 ], qr/max must be greater than min/ ],
		'lhist span not a multiple of step'   => [ [ type => 'lhist', min => 0, max => 10, step => 3 ], qr/multiple of step/ ],
		'lhist with a non-integer bound'      => [ [ type => 'lhist', min => 0, max => 'ten', step => 1 ], qr/'max' must be an integer, not 'ten'/ ],
		'min on a non-lhist'                  => [ [ type => 'hist', min => 0 ], qr/'min' is only for type lhist/ ],
		'keys not an array'                   => [ [ keys => 'COMM' ], qr/'keys' must be an array ref/ ],
	);
	for my $name (sort keys %bad) {
		my ($args, $re) = @{ $bad{$name} };
		eval { Vigil::Aggr->new(@$args) };
		like($@, $re, $name);
	}
	my $a = new_aggr(type => 'sum');
	eval { $a->add('k', undef) };
	like($@, qr/value is undef/, 'adding undef as a value dies');
	eval { $a->format(sort => 'size') };
	like($@, qr/unknown sort 'size'/, 'bad sort dies');
	eval { $a->format(top => -1) };
	like($@, qr/'top' must be a number >= 0, not '-1'/, 'bad top dies');
};

subtest 'format_table aligns numbers right and text left' => sub {
	is(format_table([ 'NAME', 'TIME' ], [ [ 'a', '1.5ms' ], [ 'bbbb', '12.0ms' ] ]),
	   "NAME    TIME\na      1.5ms\nbbbb  12.0ms\n");
};

done_testing();
