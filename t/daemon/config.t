#!/usr/bin/perl
# vigild's configuration loader (GTest in TAP mode): defaults, a good file,
# every kind of error naming file, line and key, overrides by options,
# and that etc/vigil.yaml spells out exactly the built-in defaults.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use VigilGTest;

VigilGTest::run('daemon/build/vigild-tests/test-config');
