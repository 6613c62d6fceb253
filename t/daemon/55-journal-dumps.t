#!/usr/bin/perl
# Dumps are announced as structured journal entries (GTest in TAP mode,
# daemon/vigild/tests/test-log.c): MESSAGE_ID, VIGIL_DUMP_PATH,
# VIGIL_DUMP_REASON, VIGIL_DUMP_EVENTS, VIGIL_DUMP_PACKETS and
# VIGIL_DUMP_DISCARDED, besides the usual message line.
use strict;
use warnings;
use FindBin;
my $root = "$FindBin::Bin/../..";
my $bin  = "$root/daemon/build/vigild-tests/test-log";
unless (-x $bin) {
    if ($ENV{CI}) { print "1..1\nnot ok 1 - $bin is built\n"; exit 1 }
    print "1..0 # SKIP $bin not built (run make)\n";
    exit 0;
}
exec $bin, '--tap' or die "exec $bin: $!";
