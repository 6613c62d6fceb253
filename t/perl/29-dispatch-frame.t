#!/usr/bin/perl
# Handlers run inside one eval frame kept across events (no eval scope
# per call).  Whatever a handler does - eval blocks, string evals, local,
# return, recursion, sort blocks, dies deep in nested subs, dies with
# objects, dies after its own eval caught one - it behaves as a plain
# Perl sub call, and a die is caught on the event it happened on,
# counted, and the next handler and the next event still run.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 60);
my $d = tmpdir();

my $script = write_file("$d/frame.pl", <<'EOS');
use Vigil;
our $global = 'outside';
my %c;
sub fact { my $n = shift; return $n <= 1 ? 1 : $n * fact($n - 1) }
sub deep { my $n = shift; die { code => 42 } if $n == 0; deep($n - 1) }
on 'raw_syscalls:sys_exit' => sub {
	my $e = shift;
	$c{calls}++;
	# an eval block catches its own die, the handler goes on
	my $ok = eval { die "inner\n"; 1 };
	$c{inner}++ if !$ok && $@ eq "inner\n";
	# a string eval, too
	$c{streval}++ if eval '1 + 1' == 2;
	# local is undone when the handler returns, even when it dies
	local $global = 'inside';
	$c{local}++ if $global eq 'inside';
	# recursion and sort blocks
	$c{fact}++ if fact(6) == 720;
	my @s = sort { $b <=> $a } 3, 1, 2;
	$c{sort}++ if "@s" eq '3 2 1';
	# a long list on the argument stack moves it (realloc)
	if ($c{calls} % 20 == 3) {
		my @big = map { $_ } 1 .. 300_000;
		$c{big}++ if @big == 300_000;
	}
	# every 7th call: die with an object deep in nested subs, after
	# an eval already caught one
	deep(5) if $c{calls} % 7 == 0;
	return 1 if $c{calls} % 2;
	$c{even}++;
};
# a second handler of the same event runs even when the first died
on 'raw_syscalls:sys_exit' => sub {
	$c{second}++;
	$c{global_restored}++ if $global eq 'outside';
	die "second dies\n" if $c{second} % 11 == 0;
};
END {
	print "$_ $c{$_}\n" for sort keys %c;
	print "errors ", Vigil::stats()->{perl_errors}, "\n";
	print "global $global\n";
}
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 3, 'vigild runs to the end, exit 3 for the handler errors') or diag $r->{err};
my %got = $r->{out} =~ /^(\w+) (\S+)$/mg;
my $n = $got{calls};
ok($n && $n >= 60, "the first handler ran on every event ($n)");
is($got{second}, $n, 'the second handler ran on every event, also after the first died');
is($got{inner}, $n, 'an eval block in a handler catches its own die');
is($got{streval}, $n, 'a string eval in a handler works');
is($got{local}, $n, 'local works inside a handler');
is($got{global_restored}, $n, 'local is undone when the handler returns or dies');
is($got{global}, 'outside', 'and after the last event');
is($got{fact}, $n, 'recursion works');
is($got{sort}, $n, 'sort blocks work');
is($got{big}, int(($n - 3) / 20) + 1, 'a handler may grow the argument stack (it moves)');
my $died1 = int($n / 7);
my $evens = 0;
for my $i (1 .. $n) { $evens++ if $i % 7 && $i % 2 == 0 }
is($got{even}, $evens, 'return leaves the handler; a die ends it (no statement after it runs)');
is($got{errors}, $died1 + int($n / 11), 'every die is counted once');
my @logged = $r->{err} =~ /(handler error \d+ [^\n]*)/g;
is(scalar @logged, $died1 + int($n / 11), 'and logged once');
like($r->{err}, qr/frame\.pl line 31\) on event raw_syscalls:sys_exit ts=\d+ .*: HASH\(0x/,
    'a die with an object is logged against the first handler');
like($r->{err}, qr/frame\.pl line 37\) on event raw_syscalls:sys_exit ts=\d+ .*: second dies/,
    'a die of the second handler names the second handler');

# perf-style subs: a die in one call does not hold back the next event
my $perf = write_file("$d/perf.pl", <<'EOS');
my ($n, $after) = (0, 0);
sub raw_syscalls::sys_exit {
	$n++;
	eval { die "caught\n" };
	die "perf boom $n\n" if $n % 5 == 0;
	$after++;
}
sub trace_end { print "perf $n after $after\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$perf]);
is($r->{rc}, 3, 'vigild runs to the end with a dying perf-style sub (exit 3)') or diag $r->{err};
my ($pn, $pa) = $r->{out} =~ /^perf (\d+) after (\d+)$/m;
ok($pn && $pn >= 60, 'the perf-style sub saw every event');
is($pa, $pn - int($pn / 5), 'it died on exactly every 5th');
like($r->{err}, qr/\(sub raw_syscalls::sys_exit\) on event raw_syscalls:sys_exit .*perf boom 5$/m,
    'its error names the sub');

# exit() in a handler stops tracing cleanly (END blocks run)
my $ex = write_file("$d/exit.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit' => sub { $n++; exit 0 if $n == 3 };
END { print "exit after $n\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$ex]);
like($r->{out}, qr/^exit after 3$/m, 'exit in a handler stops at once and runs END');

done_testing;
