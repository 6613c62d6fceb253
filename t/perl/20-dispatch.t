#!/usr/bin/perl
# vigild dispatches every event of a replayed trace to the script's `on`
# handlers, with the event object, in time order; BEGIN/END, @ARGV and
# the statistics behave as documented.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 60, packet_size => 1024);
my $d = tmpdir();

my $script = write_file("$d/count.pl", <<'EOS');
use strict;
use warnings;
use Vigil;
my (%calls, %fails, $n, $last_ts, $disorder, %names, @args0);
BEGIN { print "begin\n" }
on 'raw_syscalls:sys_enter' => sub {
	my $e = shift;
	$calls{ $e->{common_tid} }++;
	push @args0, $e->{args}[1];
};
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	$fails{ $e->{common_comm} }++ if $e->{ret} < 0;
};
on '*' => sub {
	my $e = shift;
	$n++;
	$names{ $e->name }++;
	$disorder++ if defined $last_ts && $e->ts < $last_ts;
	$last_ts = $e->ts;
};
END {
	print "argv @ARGV\n";
	print "calls $_ $calls{$_}\n" for sort keys %calls;
	print "fails $_ $fails{$_}\n" for sort keys %fails;
	print "all $n\n";
	print "disorder ", $disorder || 0, "\n";
	print "name $_ $names{$_}\n" for sort keys %names;
	print "args1 @args0\n";
	my $s = Vigil::stats();
	print "stat $_ $s->{$_}\n" for grep { /^perl_/ } sort keys %$s;
}
EOS

my $r = run_vigild(trace => $trace, scripts => [$script], args => [qw(one two)]);
is($r->{rc}, 0, 'vigild --replay exits 0 at the end of the trace') or diag $r->{err};
my $out = $r->{out};
sub line_of { my ($key) = @_; $out =~ /^\Q$key\E (.*)$/m ? $1 : undef }
like($out, qr/\Abegin\n/, 'BEGIN blocks run while the script compiles');
is(line_of('argv'), 'one two', 'arguments after -- are the script\'s @ARGV');
for my $tid (sort keys %{ $x->{calls} }) {
	is(line_of("calls $tid"), $x->{calls}{$tid}, "thread $tid: every sys_enter reached the handler");
}
for my $comm (sort keys %{ $x->{fails} }) {
	is(line_of("fails $comm"), $x->{fails}{$comm}, "failed calls of $comm counted by common_comm");
}
is(line_of('all'), $x->{events} + 120,
    "a '*' handler sees every event, the derived syscalls:* ones included");
is(line_of('name syscalls:sys_enter_openat'), 60, '(one derived event per raw sys_enter)');
is(line_of('disorder'), 0, 'handlers see events in timestamp order');
is(line_of('name sched:sched_switch'), 60, 'event names via $e->name');
is(line_of('args1'), join(' ', map { 0x1000 + $_ } 0 .. 59), 'array fields are refilled for every event');
is(line_of('stat perl_events'), $x->{events}, 'Vigil::stats() counts the events given to Perl');
is(line_of('stat perl_errors'), 0, 'no handler errors');
is(line_of('stat perl_dispatched'), $x->{events} + 120 + 120, 'perl_dispatched counts handler calls');

# several scripts in one interpreter
my $s2 = write_file("$d/second.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'sched:sched_switch' => sub { $n++ };
END { print "second $n\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$script, $s2]);
is($r->{rc}, 0, 'two scripts load together') or diag $r->{err};
like($r->{out}, qr/^second 60$/m, 'the second script gets its events');
like($r->{out}, qr/^all @{[ $x->{events} + 120 ]}$/m, 'the first script still gets all of its events');

# a handler may register nothing: vigild still runs the trace
my $idle = write_file("$d/idle.pl", "use Vigil;\nevery 100 => sub {};\nEND { print \"idle end\\n\" }\n");
$r = run_vigild(trace => $trace, scripts => [$idle]);
is($r->{rc}, 0, 'a script without handlers runs') or diag $r->{err};
like($r->{out}, qr/^idle end$/m, 'and its END block runs at the end of the replay');

# on() after loading is refused
my $late = write_file("$d/late.pl", <<'EOS');
use Vigil;
my $done;
on 'sched:sched_switch' => sub {
	return if $done++;
	eval { on 'irq:softirq_entry' => sub {} };
	print "late: $@";
};
EOS
$r = run_vigild(trace => $trace, scripts => [$late]);
like($r->{out}, qr/late: on 'irq:softirq_entry': the scripts are loaded/,
    'on() from a handler dies with a clear message');

done_testing;
