#!/usr/bin/perl
# vigild's dump directory (GTest in TAP mode): dump names in UTC, never
# reused; leftovers of interrupted dumps removed, nothing else; retention
# removes the oldest of our dumps and keeps the newest; the directory is
# made private, and an unusable one is an error naming it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use VigilGTest;

VigilGTest::run('daemon/build/vigild-tests/test-dumpdir');
