#!/usr/bin/perl
# vigild's dump directory (GTest in TAP mode): dump names in UTC, never
# reused; leftovers of interrupted dumps removed, nothing else; retention
# removes the oldest of our dumps and keeps the newest; the directory is
# made private, and an unusable one is an error naming it.
use strict;
use warnings;
use FindBin;
my $root = "$FindBin::Bin/../..";
my $bin  = "$root/daemon/build/vigild-tests/test-dumpdir";
unless (-x $bin) {
    if ($ENV{CI}) { print "1..1\nnot ok 1 - $bin is built\n"; exit 1 }
    print "1..0 # SKIP $bin not built (run make)\n";
    exit 0;
}
exec $bin, '--tap' or die "exec $bin: $!";
