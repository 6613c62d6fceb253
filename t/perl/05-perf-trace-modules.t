#!/usr/bin/perl
# Perf::Trace::Util, ::Core and ::Context behave as perf documents them.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../../perl/lib";

use Perf::Trace::Util;
use Perf::Trace::Core;
use Perf::Trace::Context;

# Util
is(nsecs(3, 42), 3_000_000_042, 'nsecs joins seconds and nanoseconds');
is(nsecs_secs(3_000_000_042), 3, 'nsecs_secs');
is(nsecs_nsecs(3_000_000_042), 42, 'nsecs_nsecs');
is(nsecs_str(3_000_000_042), '    3.000000042', 'nsecs_str pads seconds to 5 and nanoseconds to 9 digits');
is(nsecs_str(123456_000000001), '123456.000000001', 'nsecs_str with many seconds');
is(nsecs_usecs(5_000), 5, 'nsecs_usecs');
is(avg(10, 4), 2.5, 'avg');
is(avg(10, 0), 0, 'avg of nothing is 0, not a division by zero');
{
	open my $fh, '>', \my $buf or die;
	my $old = select $fh;
	clear_term();
	print_nsecs(1_5);
	select $old;
	close $fh;
	is($buf, "\x1b[H\x1b[2J    0.000000015", 'clear_term prints home+clear; print_nsecs prints nsecs_str');
}

# Core: flags
define_flag_field('t::ev', 'flags', '|');
define_flag_value('t::ev', 'flags', 0, 'NONE');
define_flag_value('t::ev', 'flags', 1, 'A');
define_flag_value('t::ev', 'flags', 2, 'B');
define_flag_value('t::ev', 'flags', 4, 'C');
define_flag_value('t::ev', 'flags', 6, 'BC');
is(flag_str('t::ev', 'flags', 0), 'NONE', 'flag_str of 0 is the name of value 0');
is(flag_str('t::ev', 'flags', 1), 'A', 'one flag');
is(flag_str('t::ev', 'flags', 5), 'A | C', 'several flags in ascending order with the delimiter');
is(flag_str('t::ev', 'flags', 6), 'B | C', 'bits are consumed by the first (lowest) matching value');
ok(!defined flag_str('t::ev', 'other', 1), 'unknown field: undef');
ok(!defined flag_str('nope::ev', 'flags', 1), 'unknown event: undef');
is(flag_str('sched::sched_switch', 'prev_state', 0), 'R', 'sched_switch prev_state 0 is R');
is(flag_str('sched::sched_switch', 'prev_state', 2), 'D', 'prev_state 2 is D');
is(flag_str('sched::sched_switch', 'prev_state', 0x81), 'S | I', 'prev_state flags combine');

# Core: symbols
define_symbolic_field('t::ev', 'mode');
define_symbolic_value('t::ev', 'mode', 0, 'OFF');
define_symbolic_value('t::ev', 'mode', 7, 'ON');
is(symbol_str('t::ev', 'mode', 7), 'ON', 'symbol_str names a value');
is(symbol_str('t::ev', 'mode', 0), 'OFF', 'symbol_str of 0');
ok(!defined symbol_str('t::ev', 'mode', 3), 'an unknown value: undef');
is(symbol_str('irq::softirq_entry', 'vec', 3), 'NET_RX', 'softirq vec names are predefined');

is(trace_flag_str(0), 'NONE', 'trace_flag_str(0)');
is(trace_flag_str(0x01 | 0x08), 'IRQS_OFF | HARDIRQ', 'trace_flag_str names the trace flags');

{
	open my $fh, '>', \my $buf or die;
	my $old = select $fh;
	dump_symbolic_fields();
	select $old;
	like($buf, qr/event t::ev:\n    field: mode:\n        value 0: OFF\n        value 7: ON\n/,
	    'dump_symbolic_fields prints the definitions');
}

# Context
is(common_pc(0), 0, 'common_pc: vigil records no preempt count');
is(common_flags(0), 0, 'common_flags: no irq flags recorded');
is(common_lock_depth(0), 0, 'common_lock_depth: none recorded');

done_testing;
