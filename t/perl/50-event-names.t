#!/usr/bin/perl
# Event names are checked when the scripts load, against the events of
# the trace (--replay) or of the module (live), before any event flows:
#  - `on 'NAME'` with a name that does not exist is an error naming the
#    script file and line, suggesting the nearest real event when there
#    is one close enough to be a misspelling; vigild exits 1;
#  - an `on` glob is not checked (a trace holds some events, a module
#    with kprobes others);
#  - a perf-style script (no on/every: subs named SUBSYS::EVENT) whose
#    sub names an event that is not available gets one warning per sub,
#    and runs: perf itself skips such subs, and scripts written for perf
#    carry handlers for events one machine may not have.  A handler is a
#    sub in a lower-case package that is not a loaded module (constant,
#    strict...): a helper sub kept in such a package is named too.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $expect) = standard_trace(rounds => 8);
my $d = tmpdir();

my $typo = write_file("$d/typo.pl", <<'EOS');
use Vigil;
on 'raw_syscalls:sys_exit' => sub { };
on 'sched:sched_swtich' => sub { print "never\n" };
EOS
my $r = run_vigild(trace => $trace, scripts => [$typo]);
is($r->{rc}, 1, 'a misspelt event in `on` makes vigild exit 1');
like($r->{err}, qr/^vigild: \S*typo\.pl line 3: on 'sched:sched_swtich': no such event; did you mean 'sched:sched_switch'\?$/m,
     'the error names the script file and line and suggests the real event');
unlike($r->{err}, qr/replaying/, 'before the trace is read');
is($r->{out}, '', 'no handler ran');

my $far = write_file("$d/far.pl", "use Vigil;\non 'nothing:like_this_at_all' => sub { };\n");
$r = run_vigild(trace => $trace, scripts => [$far]);
is($r->{rc}, 1, 'an unknown event with nothing near it: exit 1 too');
like($r->{err}, qr/far\.pl line 2: on 'nothing:like_this_at_all': no such event \(vigild -l lists them\)/,
     '... pointing to vigild -l instead of guessing');

my $sys = write_file("$d/sys.pl", "use Vigil;\non 'syscalls:sys_exit_opneat' => sub { };\n");
$r = run_vigild(trace => $trace, scripts => [$sys]);
like($r->{err}, qr/sys\.pl line 2: on 'syscalls:sys_exit_opneat': no such event; did you mean 'syscalls:sys_exit_openat'\?/,
     'per-syscall events are checked against the trace\'s syscall table');

my $good = write_file("$d/good.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'syscalls:sys_exit_openat' => sub { $n++ };
on 'sched:sched_switch' => sub { };
END { print "exits $n\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$good]);
is($r->{rc}, 0, 'real names load and run') or diag $r->{err};
is($r->{out}, "exits 8\n", '... and get their events');
unlike($r->{err}, qr/no such event|matches no event/, '... without a complaint');

my $glob = write_file("$d/glob.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'kmem:*' => sub { };
on 'raw_syscalls:*' => sub { $n++ };
END { print "raw $n\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$glob]);
is($r->{rc}, 0, 'a glob that matches nothing is not an error (the events of a trace vary)') or diag $r->{err};
unlike($r->{err}, qr/kmem/, '... nor a warning');
is($r->{out}, "raw 16\n", '... and the other subscriptions work');

my $perf = write_file("$d/perf.pl", <<'EOS');
use constant LIMIT => 5;
my %n;
sub raw_syscalls::sys_exit { $n{exit}++ }
sub kmem::kmalloc { $n{kmalloc}++ }
sub helpers::format_it { "not an event handler either" }
sub trace_end { print "exit $n{exit}\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$perf]);
is($r->{rc}, 0, 'a perf-style sub for an event not available: the script still runs') or diag $r->{err};
is($r->{out}, "exit 8\n", '... its other subs get their events');
my @warn = $r->{err} =~ /(perf-style handler \S+: event \S+ is not available here[^\n]*)/g;
is(scalar @warn, 2, 'one warning per sub naming an unavailable event') or diag $r->{err};
like($warn[0], qr/^perf-style handler helpers::format_it: /,
     '... (a helper sub in a lower-case package looks like a handler: it is named too)');
like($warn[1], qr/^perf-style handler kmem::kmalloc: event kmem:kmalloc is not available here \(vigild -l lists the events\); it is never called$/,
     '... saying which sub, which event, and that it never runs');
unlike($r->{err}, qr/constant::|raw_syscalls::sys_exit: event/, 'modules and available events are not mentioned');

done_testing;
