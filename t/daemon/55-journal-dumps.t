#!/usr/bin/perl
# Dumps are announced as structured journal entries (GTest in TAP mode,
# daemon/vigild/tests/test-log.c): MESSAGE_ID, VIGIL_DUMP_PATH,
# VIGIL_DUMP_REASON, VIGIL_DUMP_EVENTS, VIGIL_DUMP_PACKETS and
# VIGIL_DUMP_DISCARDED, besides the usual message line.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use VigilGTest;

VigilGTest::run('daemon/build/vigild-tests/test-log');
