#!/usr/bin/perl
# Runs the GTest unit test daemon/build/tests/cgroups (TAP output).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use VigilGTest;

VigilGTest::run('daemon/build/tests/cgroups');
