#!/usr/bin/perl
# The per-call watchdog (perl/embed/watchdog.c): a handler call that runs
# longer than watchdog.report_after is reported with the handler, the
# event and the line it is at now; past watchdog.abort_after the call
# dies there, the death is reported and counted as a handler error, and
# the next events are delivered as usual.  It covers `on` handlers (a
# busy loop, a sleeping system call, an eval that catches the abort),
# perf-style subs, `every` callbacks, END blocks, and the scripts a
# reload loads.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace) = standard_trace(rounds => 10);	# 10 raw_syscalls:sys_exit
my $d = tmpdir();

# vigild under a limit of its own: a watchdog that does not work must
# fail the test, not hang it
sub run {
	my (%o) = @_;
	local $SIG{ALRM} = sub { die "vigild did not finish in 60 s\n" };
	alarm 60;
	my $r = run_vigild(trace => $trace, %o);	# (%o may name another)
	alarm 0;
	return $r;
}

my $stats = <<'EOS';
END {
	my $s = Vigil::stats();
	print "calls $n\n";
	print "reports $s->{perl_watchdog_reports} aborts $s->{perl_watchdog_aborts} errors $s->{perl_errors}\n";
}
EOS

# ---- a busy loop: reported, then aborted -------------------------------
my $loop = write_file("$d/loop.pl", <<"EOS");
use Vigil;
our \$n = 0;
on 'raw_syscalls:sys_exit' => sub {
	\$n++;
	return if \$n != 3;
	1 while 1;		# line 6
};
$stats
EOS
my $r = run(scripts => [$loop], opts => ['--watchdog', '0.2s,1s']);
is($r->{rc}, 3, 'the aborted call is a handler error: exit 3 at the end') or diag $r->{err};
like($r->{out}, qr/^calls 10$/m, 'every event after the aborted call is still delivered');
like($r->{out}, qr/^reports 1 aborts 1 errors 1$/m,
    'one report, one abort, one handler error (Vigil::stats)');
my ($report) = $r->{err} =~ /(watchdog: .*)/;
ok($report, 'the long call is reported') or diag $r->{err};
like($report // '', qr/^watchdog: handler on 'raw_syscalls:sys_exit' \(\S*loop\.pl line \d+\)/,
    'the report names the handler (its on() and where it was registered)');
like($report // '', qr/ on event raw_syscalls:sys_exit ts=\d+ cpu=\d tid=\d+ comm=\w+ /,
    'and the event it is handling');
like($report // '', qr/has been running for \d+\.\d s \(aborted at 1\.0 s\), now at \S*loop\.pl line 6\.$/,
    'and the line the handler is at now, in the loop');
like($r->{err}, qr/handler error 1 \(\S*loop\.pl line \d+\) on event raw_syscalls:sys_exit .*: vigild watchdog: call aborted after \d+\.\d s \(watchdog\.abort_after 1\.0 s\) at \S*loop\.pl line 6\./,
    'the abort is reported as a handler error: the event, the limit, the line it died at');
like($r->{err}, qr/^vigild-Message: .*: watchdog: 1 calls reported as long, 1 aborts$/m,
    'the statistics at the end count them');
my ($reported) = ($report // '') =~ /running for (\d+\.\d) s/;
my ($aborted) = $r->{err} =~ /call aborted after (\d+\.\d) s/;
cmp_ok($reported // 0, '>=', 0.2, 'reported once it had run report_after (0.2 s)');
cmp_ok($aborted // 0, '>=', 1.0, 'aborted once it had run abort_after (1 s)');
my $lines = () = $r->{err} =~ /^.*watchdog.*$/mg;
is($lines, 3, 'nothing else is reported: the other calls are short');

# ---- the same limits from vigil.yaml -----------------------------------
$r = run(scripts => [$loop], config => "watchdog:\n  report_after: 0.2s\n  abort_after: 1s\n");
like($r->{out}, qr/^reports 1 aborts 1 errors 1$/m, 'watchdog.report_after and watchdog.abort_after in vigil.yaml')
    or diag $r->{err};

# ---- a sleeping system call, an eval that catches the abort -------------
my $sleep = write_file("$d/sleep.pl", <<"EOS");
use Vigil;
our \$n = 0;
on 'raw_syscalls:sys_exit' => sub {
	\$n++;
	sleep 1000 if \$n == 2;		# line 5
	if (\$n == 4) {		# line 6
		eval { 1 while 1 };	# line 7
		print "caught: \$@";
		1 while 1;		# line 9
	}
};
$stats
EOS
$r = run(scripts => [$sleep], opts => ['--watchdog', '0,0.5s']);
is($r->{rc}, 3, 'exit 3: handler errors') or diag $r->{err};
like($r->{out}, qr/^calls 10$/m, 'all events delivered around the aborted calls');
# (at the first op boundary after the sleep returns: the next statement)
like($r->{err}, qr/handler error 1 .* tid=101 .*: vigild watchdog: call aborted after \d+\.\d s \(watchdog\.abort_after 0\.5 s\) at \S*sleep\.pl line 6\./,
    'a handler sleeping in a system call is woken and aborted as its sleep returns');
like($r->{out}, qr/^caught: vigild watchdog: call aborted .* at \S*sleep\.pl line 7\.$/m,
    'an eval in the handler may catch the abort ...');
like($r->{err}, qr/handler error 2 .*: vigild watchdog: call aborted after \d\.\d s .* at \S*sleep\.pl line 9\./,
    '... the abort comes again a second later, and ends the call');
like($r->{out}, qr/^reports 0 aborts 3 errors 2$/m, 'report_after 0: no report; three aborts, two errors');
unlike($r->{err}, qr/has been running/, 'no report with report_after 0');

# ---- a report alone -------------------------------------------------------
my $slow = write_file("$d/slow.pl", <<"EOS");
use Vigil;
use Time::HiRes qw(time);
our \$n = 0;
on 'raw_syscalls:sys_exit' => sub {
	\$n++;
	return if \$n != 1;
	my \$end = time + 1.2;
	1 while time < \$end;	# line 8
};
$stats
EOS
$r = run(scripts => [$slow], opts => ['--watchdog', '0.2s']);
is($r->{rc}, 0, 'a call that is only reported is no error: exit 0') or diag $r->{err};
like($r->{out}, qr/^reports 1 aborts 0 errors 0$/m, 'reported once, not aborted');
like($r->{err}, qr/watchdog: handler on .* has been running for \d+\.\d s, now at \S*slow\.pl line 8\./,
    'the report says where the call is');

# ---- perf-style subs, every callbacks, END blocks --------------------------
my $perf = write_file("$d/perf.pl", <<'EOS');
our $n = 0;
sub raw_syscalls::sys_exit {
	$n++;
	1 while $n == 2;	# line 4
}
END { print "calls $n\n" }
EOS
$r = run(scripts => [$perf], opts => ['--watchdog', '0.2s,0.5s']);
like($r->{out}, qr/^calls 10$/m, 'perf-style sub: the events after the aborted call are delivered') or diag $r->{err};
like($r->{err}, qr/watchdog: sub raw_syscalls::sys_exit on event raw_syscalls:sys_exit .*now at \S*perf\.pl line 4\./,
    'perf-style sub: reported by its name');
like($r->{err}, qr/handler error 1 \(sub raw_syscalls::sys_exit\) .*aborted .* at \S*perf\.pl line 4\./,
    'perf-style sub: aborted');

my $every = write_file("$d/every.pl", <<'EOS');
use Vigil;
our ($n, $t) = (0, 0);
on 'raw_syscalls:sys_exit' => sub { $n++ };
every 0.001 => sub {
	$t++;
	1 while $t == 1;	# line 6
};
END {
	print "calls $n ticks $t\n";
	1 while 1;		# line 10
}
EOS
$r = run(scripts => [$every], opts => ['--watchdog', '0.2s,0.5s']);
like($r->{out}, qr/^calls 10 ticks [1-9]\d*$/m, 'every: the timer and the events go on after its aborted call')
    or diag $r->{err};
like($r->{err}, qr/watchdog: every 0\.001 s at \S*every\.pl line \d+ has been running .*now at \S*every\.pl line 6\./,
    'every: reported with where it was registered');
like($r->{err}, qr/handler error 1 \(every 0\.001 s at \S*every\.pl line \d+\): vigild watchdog: call aborted .* at \S*every\.pl line 6\./,
    'every: aborted');
like($r->{err}, qr/watchdog: sub main::END has been running .*now at \S*every\.pl line 10\./,
    'END: reported');
like($r->{err}, qr/vigild watchdog: call aborted .* at \S*every\.pl line 10\.\nEND failed--call queue aborted/,
    'END: aborted, and vigild ends');

# ---- a reload whose script loops at its top level -------------------------
my $reload = write_file("$d/reload.pl", <<"EOS");
use Vigil;
our \$gen = -e "$d/gen1" ? 2 : 1;
if (\$gen == 2) {
	1 while 1;	# line 4
}
open my \$f, '>', "$d/gen1" or die;
our \$n = 0;
on 'raw_syscalls:sys_exit' => sub {
	\$n++;
	if (\$n == 3) {
		kill 'HUP', \$\$;
		select(undef, undef, undef, 0.2);	# vigild's batch deadline
	}
};
END { print "gen \$gen calls \$n\n" }
EOS
# (a trace long enough for the main loop to see the SIGHUP, as in
# 28-reload.t)
my ($long) = standard_trace(rounds => 3000, packet_size => 65536);
$r = run(trace => $long, scripts => [$reload], opts => ['--watchdog', '0.2s,0.5s']);
is($r->{rc}, 0, 'a reload the watchdog aborts fails, and vigild goes on: exit 0') or diag $r->{err};
like($r->{err}, qr/watchdog: loading \S*reload\.pl has been running for \d+\.\d s \(aborted at 0\.5 s\), now at \S*reload\.pl line 4\./,
    'the script loading for too long is reported');
like($r->{err}, qr/reload failed, the old handlers stay: \S*reload\.pl: vigild watchdog: call aborted after \d+\.\d s .* at \S*reload\.pl line 4\./,
    'the reload fails with the abort as its error');
like($r->{out}, qr/\Agen 1 calls 3000\n\z/, 'the old script handled every event, before and after the reload');

# ---- the configuration --------------------------------------------------
$r = run_vigild(opts => ['--check-config']);
like($r->{out}, qr/^watchdog\.report_after: 5000ms\nwatchdog\.abort_after: 0ms$/m,
    'defaults: report after 5 s, never abort') or diag $r->{out};
$r = run_vigild(trace => $trace, scripts => [$loop], opts => ['--watchdog', '5x']);
is($r->{rc}, 2, '--watchdog with a bad duration: exit 2');
like($r->{err}, qr/--watchdog: '5x' is not REPORT\[,ABORT\]/, 'and says why');
$r = run_vigild(trace => $trace, scripts => [$loop], config => "watchdog:\n  abort_after: 90000s\n");
isnt($r->{rc}, 0, 'watchdog.abort_after beyond a day is refused');
like($r->{err}, qr/:3: watchdog\.abort_after: '90000s' is out of range/, 'naming the line and the key');

done_testing;
