#!/usr/bin/perl
# Scripts that cannot load stop vigild before tracing starts, with the
# script's file and line.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace) = standard_trace(rounds => 3);
my $d = tmpdir();

my $syntax = write_file("$d/syntax.pl", <<'EOS');
use Vigil;
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	my $x = ) 1;
};
EOS
my $r = run_vigild(trace => $trace, scripts => [$syntax]);
is($r->{rc}, 1, 'a compile error makes vigild exit 1');
like($r->{err}, qr/syntax\.pl.*syntax error at \S*syntax\.pl line 4/, 'the message names the script and the line');
unlike($r->{err}, qr/replaying/, 'the trace (or module) is never touched');

my $die = write_file("$d/die.pl", "use Vigil;\n\ndie \"need an argument\\n\" unless \@ARGV;\n");
$r = run_vigild(trace => $trace, scripts => [$die]);
is($r->{rc}, 1, 'a die while the script runs its top level makes vigild exit 1');
like($r->{err}, qr/die\.pl: need an argument/, 'with the script name and the message');
$r = run_vigild(trace => $trace, scripts => [$die], args => ['x']);
is($r->{rc}, 0, 'the same script loads when given its argument') or diag $r->{err};

my $missing = write_file("$d/missing.pl", "use Vigil;\nuse No::Such::Module::Here;\n");
$r = run_vigild(trace => $trace, scripts => [$missing]);
is($r->{rc}, 1, 'a missing module is a load error');
like($r->{err}, qr/Can't locate No\/Such\/Module\/Here\.pm.*missing\.pl line 2/, 'naming the module and line');

$r = run_vigild(trace => $trace, scripts => ["$d/nonexistent.pl"]);
is($r->{rc}, 1, 'a script that does not exist is an error');
like($r->{err}, qr/cannot read script \S*nonexistent\.pl: No such file/, 'naming the path and the reason');

my $badfilter = write_file("$d/badfilter.pl", <<'EOS');
use Vigil;

on 'raw_syscalls:sys_exit', 'ret < < 0' => sub {};
EOS
$r = run_vigild(trace => $trace, scripts => [$badfilter]);
is($r->{rc}, 1, 'a filter with a syntax error fails the load');
like($r->{err}, qr/on 'raw_syscalls:sys_exit'.*ret < < 0.*expected a field, number or string, got '<' at column 7/,
    'the message points at the offending token');
like($r->{err}, qr/badfilter\.pl line 3/, 'and at the script line of the on()');

my $badfield = write_file("$d/badfield.pl", <<'EOS');
use Vigil;
on 'raw_syscalls:sys_exit', 'rett < 0' => sub {};
EOS
$r = run_vigild(trace => $trace, scripts => [$badfield]);
is($r->{rc}, 1, 'a filter naming a field the event lacks fails before tracing');
like($r->{err}, qr/badfield\.pl line 2: on 'raw_syscalls:sys_exit', 'rett < 0': .*rett/, 'naming script line, event, filter and field');

my $common = write_file("$d/badcommon.pl", <<'EOS');
use Vigil;

on 'sched:sched_switch', 'common_pid == ' => sub {};
EOS
$r = run_vigild(trace => $trace, scripts => [$common]);
is($r->{rc}, 1, 'a syntax error in a filter on common fields fails as on() runs');
like($r->{err}, qr/on 'sched:sched_switch': bad filter "common_pid == ": filter: .* at column \d+ at \S*badcommon\.pl line 3/,
    'naming the filter, the column and the line of the on()');

my $badname = write_file("$d/badname.pl", "use Vigil;\non 'sched_switch' => sub {};\n");
$r = run_vigild(trace => $trace, scripts => [$badname]);
is($r->{rc}, 1, 'an event name without subsystem is refused');
like($r->{err}, qr/bad event name 'sched_switch'.*badname\.pl line 2/, 'with the line');

my $badevery = write_file("$d/badevery.pl", "use Vigil;\nevery 'often' => sub {};\n");
$r = run_vigild(trace => $trace, scripts => [$badevery]);
is($r->{rc}, 1, 'every with a non-number is refused');
like($r->{err}, qr/every: SECONDS must be a number > 0, not 'often'.*badevery\.pl line 2/, 'with the line');

done_testing;
