#!/usr/bin/perl
# Vigil::dump, Vigil::stats, Vigil::log and Vigil::stop from a handler;
# the Vigil module in plain perl (perl -c of a handler, Vigil::Trace).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 40);
my $d = tmpdir();

my $script = write_file("$d/api.pl", <<'EOS');
use Vigil;
my ($n, $dumped) = (0, 0);
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	$n++;
	if ($n == 1) {
		my $path = Vigil::dump(reason => 'test', before => 1, after => 0);
		print "dump ", defined $path ? "path $path" : "undef: $@", "\n";
		eval { Vigil::dump(reasn => 'x') };
		print "dumparg $@";
		eval { Vigil::dump(before => 'soon') };
		print "dumpbefore $@";
		Vigil::log('warning', "logged from a handler at $e->{common_ts}");
		eval { Vigil::log('loud', 'x') };
		print "loglevel $@";
		my $s = Vigil::stats();
		print "stats ", join(',', grep { defined $s->{$_} } qw(perl_events perl_errors source)), "\n";
		print "source $s->{source}\n";
	}
	Vigil::stop('enough events') if $n == 10;
};
END { print "end n=$n\n" }
EOS
my $dumps = "$d/dumps";
my $r = run_vigild(trace => $trace, scripts => [$script], config => "dump:\n  dir: $dumps\n");
is($r->{rc}, 0, 'vigild exits 0 after Vigil::stop') or diag $r->{err};
like($r->{out}, qr/^dump path \Q$dumps\E\/\S+$/m, 'Vigil::dump returns the path of the dump');
$r->{rc} == 0 or diag $r->{err};
like($r->{out}, qr/^dumparg Vigil::dump: unknown argument 'reasn'/m, 'Vigil::dump refuses unknown arguments by name');
like($r->{out}, qr/^dumpbefore Vigil::dump: before must be a number of seconds/m, 'Vigil::dump checks its numbers');
like($r->{err}, qr/logged from a handler at \d+/, 'Vigil::log writes to vigild\'s log');
like($r->{out}, qr/^loglevel Vigil::log: unknown level 'loud'/m, 'Vigil::log refuses an unknown level');
like($r->{out}, qr/^stats perl_events,perl_errors,source$/m, 'Vigil::stats has the dispatcher\'s and the daemon\'s counters');
like($r->{out}, qr/^source replay$/m, '... e.g. the source');
like($r->{out}, qr/^end n=(\d+)$/m, 'END runs after Vigil::stop');
my ($n) = $r->{out} =~ /^end n=(\d+)$/m;
ok($n >= 10 && $n < 40, "Vigil::stop ends the run early (handler saw $n of 40)");
like($r->{err}, qr/stopping: enough events/, 'the reason is logged');

# exit() from a handler stops cleanly; exit() while loading is a load error
my $ex = write_file("$d/exit.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit' => sub { $n++; exit 3 if $n == 5; print "after exit\n" if $n == 5 };
END { print "end n=$n errors=", Vigil::stats()->{perl_errors}, "\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$ex]);
is($r->{rc}, 0, 'exit() in a handler stops vigild cleanly (exit 0)') or diag $r->{err};
like($r->{out}, qr/^end n=5 errors=0$/m, 'the handler call ends, no later event is handled, END runs, no error counted');
unlike($r->{out}, qr/after exit/, 'nothing after exit() runs');
like($r->{err}, qr/stopping: exit\(3\) called by a handler/, 'the log says why it stopped');
my $ex2 = write_file("$d/exit-load.pl", "use Vigil;\nexit 0 unless \@ARGV;\n");
$r = run_vigild(trace => $trace, scripts => [$ex2]);
is($r->{rc}, 0, 'exit(0) while a script loads (its --help): vigild exits 0');
unlike($r->{err}, qr/replaying/, '... before the trace is read');

# XS modules load in the embedded interpreter (DynaLoader is booted)
my $xs = write_file("$d/xs.pl", <<'EOS');
use Vigil;
use POSIX qw(floor);
use List::Util qw(sum);
use Time::HiRes ();
my @r;
on 'raw_syscalls:sys_exit' => sub { push @r, $_[0]{ret} };
END { print "sum ", sum(@r), " floor ", floor(2.5), "\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$xs]);
is($r->{rc}, 0, 'scripts can use XS modules (POSIX, List::Util, Time::HiRes)') or diag $r->{err};
my $sum = 0;
$sum += $_ for @{ $x->{rets} };
like($r->{out}, qr/^sum $sum floor 2$/m, '... and call them');

# plain perl
use_blib();
my $plain = `$^X -I$VigilPerlTest::ROOT/blib/lib -I$VigilPerlTest::ROOT/blib/arch -c $script 2>&1`;
like($plain, qr/syntax OK/, 'a handler script compiles under plain perl -c (on/every just register)');
my $out = `$^X -I$VigilPerlTest::ROOT/blib/lib -I$VigilPerlTest::ROOT/blib/arch -MVigil -e 'my \$p = Vigil::dump(reason => "x"); print defined \$p ? "path" : "undef: \$@"; print "|", scalar keys %{ Vigil::stats() }; eval { Vigil::stop() }; print "|\$@"' 2>&1`;
like($out, qr/^undef: Vigil::dump: not running under vigild\|0\|Vigil::stop: not running under vigild/,
    'outside vigild: dump fails with a reason, stats is empty, stop dies');
my $bad = `$^X -I$VigilPerlTest::ROOT/blib/lib -I$VigilPerlTest::ROOT/blib/arch -MVigil -e 'on "raw_syscalls:sys_exit", "ret <" => sub {}' 2>&1`;
like($bad, qr/bad filter "ret <": filter: expected a field, number or string, got end of expression at column 6 at -e line 1/, 'filter syntax is checked in plain perl too');

done_testing;
