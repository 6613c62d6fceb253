#!/usr/bin/perl
# Vigil::stacks and Vigil::callchain_text in plain perl and on a replay:
# names checked as the script loads and against the trace (naming the
# script line), the perf script text of a callchain, and events of a
# trace without callchains carry no common_callchain.  Live callchains:
# t/kernel/65-stacks.t.
use strict;
use warnings;
no warnings "portable";	# 64-bit addresses
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;
BEGIN { use_blib() }
use Vigil;

Vigil::stacks('sched:sched_switch', 'kmem:kmalloc'); my $line = __LINE__;
is_deeply(\@Vigil::_STACKS, [['sched:sched_switch', __FILE__, $line], ['kmem:kmalloc', __FILE__, $line]],
          'Vigil::stacks registers each event with the caller\'s file and line');
for my $bad ('sched:*', 'sched', undef, ['x']) {
    eval { Vigil::stacks($bad) };
    like($@, qr/^stacks: bad event name '.*' \(want 'subsystem:event', no globs\)/,
         'a bad name croaks: ' . (defined $bad ? (ref $bad ? 'a reference' : $bad) : 'undef'));
}
eval { Vigil::stacks() };
like($@, qr/^stacks: usage/, 'no name: usage');
{
    local $Vigil::_LOADED = 1;
    eval { Vigil::stacks('sched:sched_switch') };
    like($@, qr/the scripts are loaded; call stacks\(\) while the script loads/,
         'too late once the scripts are loaded');
}

my $cc = [
    { ip => 0xffffffff81424310, sym => { name => 'syscall_trace_enter', start => 0xffffffff81424190,
                                         end => 0xffffffff81424400, binding => 1 },
      dso => '[kernel.kallsyms]' },
    { ip => 0x7f80b5a994f7, sym => { name => 'getppid', start => 0x7f80b5a994f0,
                                     end => 0x7f80b5a99500, binding => 2 },
      dso => '/usr/lib/x86_64-linux-gnu/libc.so.6' },
    { ip => 0x5577d30183c8, dso => '/usr/bin/perl' },
    { ip => 0x1234 },
];
is(Vigil::callchain_text($cc),
   "\tffffffff81424310 syscall_trace_enter+0x180 ([kernel.kallsyms])\n"
   . "\t    7f80b5a994f7 getppid+0x7 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
   . "\t    5577d30183c8 [unknown] (/usr/bin/perl)\n"
   . "\t            1234 [unknown] ([unknown])\n",
   'callchain_text: one line a frame, as perf script prints them');
is(Vigil::callchain_text([$cc->[0]], '  '), "  ffffffff81424310 syscall_trace_enter+0x180 ([kernel.kallsyms])\n",
   '... with another indent');
is(Vigil::callchain_text(undef), '', '... nothing for no callchain');
is(Vigil::callchain_text([]), '', '... nor for an empty one');

my ($trace) = standard_trace(rounds => 5);
my $d = tmpdir();
my $ok = write_file("$d/ok.pl", <<'EOS');
use Vigil;
Vigil::stacks('raw_syscalls:sys_exit');
my ($n, $with) = (0, 0);
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	$n++;
	$with++ if exists $e->{common_callchain} || $e->stack ne '';
};
END { print "n=$n with=$with\n" }
EOS
my $r = run_vigild(trace => $trace, scripts => [$ok]);
is($r->{rc}, 0, 'a replay with Vigil::stacks on one of its events: exit 0') or diag $r->{err};
like($r->{out}, qr/^n=[1-9]\d* with=0$/m,
     '... its events (recorded without callchains) carry none, $e->stack is empty');
my $bad = write_file("$d/bad.pl", "use Vigil;\n\nVigil::stacks('sched:no_such_event');\n");
$r = run_vigild(trace => $trace, scripts => [$bad]);
isnt($r->{rc}, 0, 'Vigil::stacks naming an event the trace lacks: vigild fails');
like($r->{err}, qr/\Q$bad\E line 3: Vigil::stacks: no event sched:no_such_event in this trace/,
     '... naming the script line and the event');
done_testing();
