#!/usr/bin/perl
# A die in a handler is caught, logged with the event it happened on,
# counted, and vigild goes on; max_handler_errors stops it cleanly.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 100);
my $d = tmpdir();
my $script = write_file("$d/die10.pl", <<'EOS');
use Vigil;
my ($n, $after) = (0, 0);
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	$n++;
	die "boom on call $n\n" if $n % 10 == 0;
	$after++;
};
END {
	print "calls $n survived $after\n";
	print "errors ", Vigil::stats()->{perl_errors}, "\n";
}
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 3, 'vigild keeps running after handler errors, and exits 3 at the end (errors never hide)') or diag $r->{err};
like($r->{out}, qr/^calls 100 survived 90$/m, 'every event still reaches the handler after a die');
like($r->{out}, qr/^errors 10$/m, 'the error count is exactly the number of dies');
my @logged = $r->{err} =~ /(handler error \d+ .*boom on call \d+)/g;
is(scalar @logged, 10, 'each error is logged');
like($logged[0], qr/on event raw_syscalls:sys_exit ts=\d+ cpu=\d tid=\d+ pid=\d+ comm=\w+: boom on call 10/,
    'the log names the event (name, ts, cpu, tid, pid, comm) and the message');
like($logged[0], qr/\(\S*die10\.pl line \d+\)/, 'and the handler (script and line of its on())');

# max_handler_errors stops cleanly: END runs, exit status says why
$r = run_vigild(trace => $trace, scripts => [$script], config => "max_handler_errors: 3\n");
isnt($r->{rc}, 0, 'reaching max_handler_errors makes vigild exit non-zero');
like($r->{out}, qr/^errors 3$/m, 'it stops at exactly the limit');
like($r->{out}, qr/^calls 30 /m, 'no handler runs after the limit is reached');
like($r->{err}, qr/limit .*max_errors 3.* reached/, 'the log says the limit was reached');

# errors in every callbacks and END are counted too, not fatal
my $ev = write_file("$d/every-die.pl", <<'EOS');
use Vigil;
my $ticks = 0;
every 0.01 => sub { $ticks++; die "tick failed\n" if $ticks == 2 };
on 'sched:sched_switch' => sub {};
END { print "ticks $ticks errors ", Vigil::stats()->{perl_errors}, "\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$ev]);
is($r->{rc}, 3, 'a dying every callback does not stop vigild (exit 3 at the end)') or diag $r->{err};
my $nticks = int(($x->{last_ts} - $x->{first_ts}) / 10_000_000);
like($r->{out}, qr/^ticks $nticks errors 1$/m, 'the periodic callback goes on being called, the error is counted');
like($r->{err}, qr/every 0\.01 s at .*every-die\.pl line 3\): tick failed/, 'its error is logged with where it was registered');

# The scripts' exit status is what a perl script's would be: a $? left by
# a handler's system() or waitpid() is no error (perl's exit sets $? = 0
# before END), while an END block that sets $? makes one.
my $sys = write_file("$d/system-false.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit' => sub { system('false') if ++$n == 1 };
END { print "status after system ", $? >> 8, "\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$sys]);
is($r->{rc}, 0, 'a handler that ran a failing command: exit 0') or diag $r->{err};
like($r->{out}, qr/^status after system 0$/m, '... and END sees $? = 0, as in perl');
my $endq = write_file("$d/end-status.pl", <<'EOS');
use Vigil;
on 'raw_syscalls:sys_exit' => sub {};
END { $? = 2 }
EOS
$r = run_vigild(trace => $trace, scripts => [$endq]);
is($r->{rc}, 3, 'an END block that sets $?: exit 3');
like($r->{err}, qr/handler scripts end with status 2\b/, '... and the log says so');

done_testing;
