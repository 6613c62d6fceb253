#!/usr/bin/perl
# Dependencies point one way (docs/design.md, "vigild's parts: who calls
# whom"): among the C sources of the daemon, the Perl binding and the
# module, no file's includes lead back to itself.  A part is a source
# and its header (dump.c and dump.h are the part "dump"); a part
# depends on every part whose header one of its files includes.  A
# circle of parts is reported with its members.
use strict;
use warnings;
use FindBin;
use File::Find;
use File::Basename qw(basename);
use Test::More;

my $root = "$FindBin::Bin/../..";
my @dirs = grep { -d } map { "$root/$_" } qw(daemon perl kmod);

my %deps;	# part -> { part it includes -> "file:line" }
my %parts;
find({ no_chdir => 1, wanted => sub {
	return unless /\.[ch]$/ && -f;
	return if m{/build/};
	my $part = basename($_) =~ s/\.[ch]$//r;
	$parts{$part} = 1;
	open my $fh, '<', $_ or die "$_: $!";
	while (my $l = <$fh>) {
		next unless $l =~ /^\s*#\s*include\s+"([^"]+)"/;
		my $dep = basename($1) =~ s/\.[ch]$//r;
		next if $dep eq $part;
		my $where = $_ =~ s{^\Q$root\E/}{}r;
		$deps{$part}{$dep} //= "$where:$.";
	}
} }, @dirs);

ok(keys %parts > 20, 'found the C sources (' . scalar(keys %parts) . ' parts)');

# every elementary circle, found from its smallest member
my %seen;
my @circles;
sub walk {
	my ($start, $path, $on) = @_;
	for my $n (sort keys %{ $deps{ $path->[-1] } || {} }) {
		if ($n eq $start) {
			my $key = join ' ', sort @$path;
			push @circles, [@$path] unless $seen{$key}++;
		} elsif (!$on->{$n} && $n gt $start) {
			local $on->{$n} = 1;
			walk($start, [@$path, $n], $on);
		}
	}
}
walk($_, [$_], { $_ => 1 }) for sort keys %deps;

is(scalar @circles, 0, 'no circle of includes') or diag(join "\n", map {
	my @c = (@$_, $_->[0]);
	join(' -> ', map { $c[$_] . " ($deps{$c[$_]}{$c[$_ + 1]})" } 0 .. $#c - 1)
} @circles);

done_testing;
