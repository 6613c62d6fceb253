#!/usr/bin/perl
# Runs the GTest unit test daemon/build/tests/tp (TAP output).
use strict;
use warnings;
use FindBin;

my $bin = "$FindBin::Bin/../../daemon/build/tests/tp";
unless (-x $bin) {
	print "1..1\nnot ok 1 - $bin is built (run: make -C daemon)\n";
	exit 1;
}
exec $bin, '--tap' or die "exec $bin: $!\n";
