#!/usr/bin/perl
# Vigil::JSON: JSON lines through a maintained encoder (Cpanel::JSON::XS
# when installed, else JSON::PP); Vigil::Aggr tables as JSON.  The output
# is one line, valid JSON (checked by decoding it with JSON::PP), numbers
# as numbers, and any bytes (non-UTF-8 paths) still valid JSON text.
use strict;
use warnings;
use FindBin;
use Test::More;
use JSON::PP ();
use lib map { ("$FindBin::Bin/../../$_/blib/lib", "$FindBin::Bin/../../$_/blib/arch") } ('perl', '.');

my $loaded = eval { require Vigil::Aggr; require Vigil::JSON; 1 };
ok($loaded, 'Vigil::JSON and Vigil::Aggr load from the built module (run make first)')
    or diag($@), done_testing(), exit 1;
my $dec = JSON::PP->new->utf8;

like($Vigil::JSON::BACKEND, qr/^(?:Cpanel::JSON::XS|JSON::PP)$/, "the encoder is a maintained one ($Vigil::JSON::BACKEND)");
SKIP: {
    skip 'Cpanel::JSON::XS is not installed', 1 unless eval { require Cpanel::JSON::XS; 1 };
    is($Vigil::JSON::BACKEND, 'Cpanel::JSON::XS', 'Cpanel::JSON::XS is used when it is installed');
}

my $t = Vigil::JSON::encode_json({ pid => 42, big => '18446744073709551615', neg => -2,
                                   comm => 'bash', path => "/tmp/caf\xc3\xa9", raw => "/tmp/\xff\x01",
                                   args => [1, 2, 3], none => undef });
unlike($t, qr/\n/, 'one line');
my $v = $dec->decode($t);
is($v->{pid}, 42, 'numbers are numbers');
like($t, qr/"pid":42\b/, '... unquoted');
like($t, qr/"big":18446744073709551615\b/, '... uint64 ones too');
is($v->{neg}, -2, 'negative numbers');
is($v->{path}, "/tmp/caf\x{e9}", 'UTF-8 text stays what it says');
is($v->{raw}, "/tmp/\x{ff}\x{01}", 'other bytes become the characters of their value: still valid JSON');
is_deeply($v->{args}, [1, 2, 3], 'arrays are arrays');
ok(exists $v->{none} && !defined $v->{none}, 'undef is null');
like($t, qr/^\{"args":.*"big":.*"comm":/, 'keys sorted');

my $a = Vigil::Aggr->new(type => 'count', title => 'opens', keys => [qw(COMM PID)]);
$a->add(['bash', 10]) for 1 .. 3;
$a->add(['cat', 20]);
my $j = $a->json;
my $o = $dec->decode($j);
is_deeply($o, { type => 'count', title => 'opens', keys => [qw(COMM PID)],
                entries => [ { key => ['bash', 10], value => 3 }, { key => ['cat', 20], value => 1 } ] },
          'a count table as JSON: type, title, key names, entries in print order');
is($dec->decode($a->json(top => 1))->{entries}[0]{value}, 3, 'json(top => N) as format');

my $h = Vigil::Aggr->new(type => 'hist');
$h->add('x', $_) for 1, 2, 3, 100;
my $ho = $dec->decode($h->json);
is($ho->{entries}[0]{value}{count}, 4, 'a histogram entry has count, sum...');
is($ho->{entries}[0]{value}{sum}, 106, '... sum');
like(Vigil::JSON::encode_json({ avg => 106 / 4 }), qr/"avg":26\.5\b/, 'a fractional number made as one is a JSON number');
ok(ref $ho->{entries}[0]{value}{buckets} eq 'ARRAY' && @{ $ho->{entries}[0]{value}{buckets} },
   '... and its buckets');

my $out = '';
open my $fh, '>', \$out or die;
$a->print(json => 1, fh => $fh);
close $fh;
is($out, $j . "\n", 'print(json => 1) prints the json line');

done_testing;
