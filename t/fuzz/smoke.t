#!/usr/bin/perl
# The CI smoke of the libFuzzer harnesses (fuzz/, docs/security.md): each
# target is built (clang-14, ASan+UBSan) and runs a few seconds from its
# committed seed corpus (into a scratch directory); any finding (crash,
# sanitizer report, leak, timeout) fails.  The long runs are
# "make fuzz FUZZ_SECONDS=N".  Without clang-14 (or libFuzzer) this test
# skips, except under CI=true, where it fails: CI must fuzz.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/../..";
my $secs = $ENV{VIGIL_FUZZ_SMOKE_SECONDS} // 8;
my @targets = qw(tsdl replay filter config);
my %maxlen = (replay => 131072, tsdl => 65536);

my $clang = `command -v clang-14 2>/dev/null`;
chomp $clang;
my $libfuzzer = grep { -e $_ } glob('/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a');
if (!$clang || !$libfuzzer) {
	my $why = !$clang ? 'clang-14 is not installed' : 'libFuzzer (libclang-rt-14-dev) is not installed';
	if (($ENV{CI} // '') eq 'true') {
		fail("$why: CI must run the fuzz smoke (scripts/install-deps installs it)");
		done_testing;
		exit;
	}
	plan skip_all => "$why (scripts/install-deps)";
}
-d "$root/daemon/build/gen" or plan skip_all => 'the daemon is not built (make)';

my $out = `make -C $root/fuzz -j2 2>&1`;
is($?, 0, 'make -C fuzz builds the harnesses') or do { diag $out; done_testing; exit };

my $tmp = tempdir(CLEANUP => 1);
for my $t (@targets) {
	my $bin = "$root/fuzz/build/fuzz_$t";
	my $work = "$tmp/work-$t";
	mkdir $work or die "$work: $!";
	my @args = ("-max_total_time=$secs", '-print_final_stats=1', '-timeout=10',
		    '-rss_limit_mb=2048', "-artifact_prefix=$tmp/$t-");
	push @args, "-max_len=$maxlen{$t}" if $maxlen{$t};
	push @args, "-dict=$root/fuzz/dict/$t.dict" if -f "$root/fuzz/dict/$t.dict";
	local $ENV{G_SLICE} = 'always-malloc';
	local $ENV{UBSAN_OPTIONS} = 'print_stacktrace=1:halt_on_error=1';
	my $log = `$bin @args $work $root/fuzz/corpus/$t 2>&1`;
	my $status = $?;
	my ($runs) = $log =~ /stat::number_of_executed_units:\s*(\d+)/;
	my ($cov) = $log =~ /#\d+\s+DONE\s+cov: (\d+)/;
	is($status, 0, "fuzz_$t: no finding in $secs s") or diag(join "\n", (split /\n/, $log)[-60 .. -1]);
	ok(($runs // 0) > 0, "fuzz_$t: ran (" . ($runs // 0) . " executions, coverage " . ($cov // '?') . ')');
	ok(!glob("$tmp/$t-*"), "fuzz_$t: no artifact written");
}
done_testing;
