#!/usr/bin/perl
# Scripts written for `perf script -s` run unchanged under vigild: subs
# named subsystem::event with perf's positional arguments, trace_begin,
# trace_end, trace_unhandled, the Perf::Trace modules whatever `use lib`
# lines the script carries.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 45);
my $d = tmpdir();

# A script in the style of perf's own examples (rw-by-pid, syscall-counts).
my $script = write_file("$d/perf-style.pl", <<'EOS');
#!/usr/bin/perl -w
use lib "$ENV{'PERF_EXEC_PATH'}/scripts/perl/Perf-Trace-Util/lib";
use lib "./Perf-Trace-Util/lib";
use Perf::Trace::Core;
use Perf::Trace::Context;
use Perf::Trace::Util;

my (%calls, %fails, %unhandled, $begin, @secs, $bad_args, $switch_state);

sub trace_begin { $begin = 1 }

sub raw_syscalls::sys_enter
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain, $id, $args) = @_;
	$calls{$common_pid}++;
	$bad_args++ unless ref $args eq 'ARRAY' && @$args == 6
	    && ref $common_callchain eq 'ARRAY' && !@$common_callchain
	    && $event_name eq 'raw_syscalls::sys_enter' && $id == 257;
	push @secs, nsecs($common_secs, $common_nsecs) if @secs < 2;
}

sub raw_syscalls::sys_exit
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain, $id, $ret) = @_;
	$fails{$common_comm}++ if $ret < 0;
	$bad_args++ if common_pc($context) || common_flags($context) || common_lock_depth($context);
}

sub sched::sched_switch
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain,
	    $prev_comm, $prev_pid, $prev_prio, $prev_state, $next_comm,
	    $next_pid, $next_prio) = @_;
	$switch_state = flag_str($event_name, "prev_state", $prev_state)
	    . " $prev_comm->$next_comm";
}

sub trace_unhandled
{
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm) = @_;
	$unhandled{$event_name}++;
}

sub trace_end
{
	print "begin $begin\n";
	print "calls $_ $calls{$_}\n" for sort keys %calls;
	print "fails $_ $fails{$_}\n" for sort keys %fails;
	print "unhandled $_ $unhandled{$_}\n" for sort keys %unhandled;
	print "bad_args ", $bad_args || 0, "\n";
	print "secs $secs[0] ", nsecs_str($secs[0]), "\n";
	print "switch $switch_state\n";
	print "core ", (defined $INC{'Perf/Trace/Core.pm'} && $INC{'Perf/Trace/Core.pm'} !~ /Perf-Trace-Util/ ? 'ours' : 'theirs'), "\n";
}
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 0, 'a perf-script-style handler runs under vigild --replay') or diag $r->{err};
my %o;
for my $l (split /\n/, $r->{out}) {
	my @w = split / /, $l, 3;
	if ($w[0] =~ /^(?:calls|fails|unhandled)$/) { $o{"$w[0] $w[1]"} = $w[2] }
	else { $o{$w[0]} = join ' ', @w[1 .. $#w] }
}
is($o{begin}, 1, 'trace_begin runs before the events');
is($o{"calls $_"}, $x->{calls}{$_}, "sub raw_syscalls::sys_enter gets every event; \$common_pid is the thread id ($_)")
    for sort keys %{ $x->{calls} };
is($o{"fails $_"}, $x->{fails}{$_}, "positional \$ret and \$common_comm ($_)") for sort keys %{ $x->{fails} };
is($o{bad_args}, 0, '$event_name is subsystem::event, $args an array ref of 6, callchain an empty array ref, Context helpers 0');
is($o{'unhandled vigil::statedump_process'}, 3, 'events without a handler go to trace_unhandled, named subsystem::event');
is($o{'unhandled vigil::statedump_end'}, 1, '... one call per event');
like($o{secs}, qr/^(\d+) +1\.0\d{8}$/, '$common_secs and $common_nsecs combine with nsecs() and print with nsecs_str()');
my ($ns) = $o{secs} =~ /^(\d+)/;
is($ns, $x->{first_ts} + 4 + 1_000_000, 'nsecs($common_secs, $common_nsecs) is the event timestamp');
is($o{switch}, 'R swapper/1->cat', 'fields follow in the kernel\'s order; flag_str knows sched_switch prev_state');
is($o{core}, 'ours', 'Perf::Trace::Core is vigil\'s whatever the script\'s use lib lines');

# perf handlers for per-syscall events get __syscall_nr first, as perf does
my $sc = write_file("$d/perf-syscalls.pl", <<'EOS');
my ($n, $etc, $bad) = (0, 0, 0);
sub syscalls::sys_enter_openat {
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain,
	    $nr, $dfd, $filename, $flags, $mode) = @_;
	$n++;
	$etc++ if $filename =~ m{^/etc/};
	$bad++ unless $nr == 257 && $event_name eq 'syscalls::sys_enter_openat';
}
sub syscalls::sys_exit_openat {
	my ($event_name, $context, $common_cpu, $common_secs, $common_nsecs,
	    $common_pid, $common_comm, $common_callchain, $nr, $ret) = @_;
	$bad++ unless $nr == 257 && defined $ret;
}
sub trace_end { print "openat $n etc $etc bad $bad\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$sc]);
is($r->{rc}, 0, 'a perf handler of syscalls:* events runs') or diag $r->{err};
like($r->{out}, qr/^openat 45 etc $x->{etc} bad 0$/m,
    'syscalls::sys_enter_openat gets __syscall_nr then the kernel argument names, filename as a string');

# a perf script's die is caught too (perf would stop; vigil counts)
my $die = write_file("$d/perf-die.pl", <<'EOS');
my $n = 0;
sub raw_syscalls::sys_exit { die "perf handler died\n" if ++$n == 5 }
sub trace_end { print "n $n\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$die]);
is($r->{rc}, 3, 'a dying perf handler does not stop vigild (exit 3 at the end)') or diag $r->{err};
like($r->{out}, qr/^n 45$/m, 'the remaining events are still delivered');
like($r->{err}, qr/handler error 1 \(sub raw_syscalls::sys_exit\) on event raw_syscalls:sys_exit .*: perf handler died/, 'the error is logged, naming the sub and the event');

done_testing;
