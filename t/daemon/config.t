#!/usr/bin/perl
# vigild's configuration loader (GTest in TAP mode): defaults, a good file,
# every kind of error naming file, line and key, overrides by options,
# and that etc/vigil.yaml spells out exactly the built-in defaults.
use strict;
use warnings;
use FindBin;
my $root = "$FindBin::Bin/../..";
my $bin  = "$root/daemon/build/vigild-tests/test-config";
unless (-x $bin) {
    if ($ENV{CI}) { print "1..1\nnot ok 1 - $bin is built\n"; exit 1 }
    print "1..0 # SKIP $bin not built (run make)\n";
    exit 0;
}
$ENV{VIGIL_DEFAULT_CONFIG} = "$root/etc/vigil.yaml";
exec $bin, '--tap' or die "exec $bin: $!";
