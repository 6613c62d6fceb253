#!/usr/bin/perl
# docs/design.md's event table says what the module's event table
# (kmod/vigil_events.h, read through the generated description) says:
# the same events, each once, with the same fields in the same order,
# the same types and array lengths, and "+" on exactly the fields the
# table marks as extra (VIGIL_EVENT_EXTRA).  Only the kprobes rows are
# the docs' own (kprobe events are made at run time).
use strict;
use warnings;
use FindBin;
use Test::More;
use lib "$FindBin::Bin/../lib";
use VigilEvents ();

my $root = "$FindBin::Bin/../..";
open my $fh, '<', "$root/docs/design.md" or die "docs/design.md: $!";
my $md = do { local $/; <$fh> };

my ($table) = $md =~ /^## Events \(the single table is kmod\/vigil_events\.h\)\n(.*?)^## /ms;
ok(defined $table, 'docs/design.md has the events section') or BAIL_OUT('no events section');

# "a; b (x; y); c" -> ("a", "b (x; y)", "c"): split at ; outside parentheses
sub split_fields {
	my ($s) = @_;
	my (@out, $cur, $depth);
	($cur, $depth) = ('', 0);
	for my $c (split //, $s) {
		$depth++ if $c eq '(';
		$depth-- if $c eq ')';
		if ($c eq ';' && !$depth) { push @out, $cur; $cur = ''; next }
		$cur .= $c;
	}
	push @out, $cur;
	s/^\s+|\s+$//g for @out;
	return grep { length } @out;
}

my %doc;	# name => [ [type, field, len, extra] ... ]
my $rows = 0;
for my $line (split /\n/, $table) {
	next unless $line =~ /^\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|$/;
	my ($names, $fields) = ($1, $2);
	next if $names eq 'event' || $names =~ /^-+$/ || $names =~ /^kprobes:/;
	$rows++;
	my @f;
	for my $item (split_fields($fields)) {
		if ($item =~ /^(\w+) (\w+)(?:\[(\d+)\])?(?:\s*\((.*)\))?$/s) {
			my ($type, $name, $len, $note) = ($1, $2, $3, $4);
			$type = $type eq 'char' ? 'char_t' : $type eq 'string' ? 'string' : "${type}_t";
			push @f, [$type, $name, $len, (defined $note && $note =~ /^\+/) ? 1 : 0];
		} else {
			fail("docs/design.md: event row '$names': field '$item' is not 'TYPE NAME[N] (note)'");
		}
	}
	for my $name (split /\s*,\s*/, $names) {
		ok(!exists $doc{$name}, "docs/design.md lists $name once");
		$doc{$name} = \@f;
	}
}
cmp_ok($rows, '>=', 15, "docs/design.md: read $rows event rows");

my @events = VigilEvents::events();
for my $ev (@events) {
	my $d = delete $doc{ $ev->{name} };
	ok($d, "docs/design.md describes $ev->{name}") or next;
	my $fmt = sub { join '; ', map { "$_->[0] $_->[1]" . ($_->[2] ? "[$_->[2]]" : '') . ($_->[3] ? ' +' : '') } @{ $_[0] } };
	is($fmt->($d), $fmt->($ev->{fields}),
	   "  ... with the table's fields, types, lengths and extra marks");
}
is(join(', ', sort keys %doc), '', 'docs/design.md describes no event the table lacks');

done_testing();
