#!/usr/bin/perl
# The manual keeps up with the code: vigil-handlers(7) describes every
# event of the module's event table with every field, and every handler
# script; every handler documents itself (NAME, SYNOPSIS, DESCRIPTION,
# OPTIONS, valid POD) and states each option it accepts.
use strict;
use warnings;
use FindBin;
use Test::More;
use Pod::Checker;
use lib "$FindBin::Bin/../lib";
use VigilEvents ();

my $root = "$FindBin::Bin/../..";
sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; return <$fh> }

my $man = slurp("$root/docs/vigil-handlers.7.pod");

# every event of the module's table (kmod/vigil_events.h, via the
# generated description) with every field
my $n = 0;
for my $ev (VigilEvents::events()) {
	my $name = $ev->{name};
	$n++;
	my ($section) = $man =~ /^=head2 ([^\n]*\b\Q$name\E\b[^\n]*)\n(.*?)(?=^=head)/ms
	    ? ($2) : (undef);
	ok(defined $section, "vigil-handlers(7) has a section for $name") or next;
	for my $f (map { $_->[1] } @{ $ev->{fields} }) {
		like($section, qr/\b\Q$f\E\b/, "  ... and names its field $f");
	}
}
cmp_ok($n, '>=', 20, "found the module's events ($n)");

opendir my $dh, "$root/handlers" or die "$root/handlers: $!";
my @handlers = sort grep { /\.pl\z/ } readdir $dh;
cmp_ok(scalar @handlers, '>=', 8, 'eight or more ready-made handlers');
for my $h (@handlers) {
	like($man, qr/^=head2 \Q$h\E$/m, "vigil-handlers(7) documents $h");
	my $src = slurp("$root/handlers/$h");
	my $checker = Pod::Checker->new(-warnings => 1);
	open my $null, '>', '/dev/null' or die;
	$checker->parse_from_file("$root/handlers/$h", $null);
	is($checker->num_errors, 0, "$h: POD without errors");
	for my $s ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS') {
		like($src, qr/^=head1 $s$/m, "$h: POD section $s");
	}
	my ($getopt) = $src =~ /GetOptionsFromArray\(\\\@ARGV,(.*?)\)\s+or die/s;
	ok(defined $getopt, "$h: options parsed with Getopt::Long") or next;
	while ($getopt =~ /'([\w-]+)([^']*)'\s*=>/g) {
		my ($spec, $rest) = ($1, $2);
		next if $spec eq 'help';
		my $neg = $rest =~ /!/ ? '(?:no)?' : '';
		like($src, qr/^=item (?:.*, )?--$neg\Q$spec\E\b/m, "$h: option --$spec is documented");
	}
}

done_testing();
