#!/usr/bin/perl
# The C unit tests under AddressSanitizer (leaks included) and UBSan:
# "make -C daemon SAN=1 tests" builds the core and the tests into
# daemon/build-san/; every GTest program there (and vigild's own unit
# tests) must pass with no sanitizer report, and a synthetic trace
# replays through the sanitized vg-replay to the expected summary.
# G_SLICE=always-malloc so ASan sees GLib's slice allocations.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/../..";
my $san = "$root/daemon/build-san";

my $out = `make -C $root/daemon SAN=1 tests -j2 2>&1`;
is($?, 0, 'make -C daemon SAN=1 tests') or do { diag $out; done_testing; exit };

$ENV{G_SLICE} = 'always-malloc';
$ENV{ASAN_OPTIONS} = 'detect_leaks=1:abort_on_error=0';
$ENV{UBSAN_OPTIONS} = 'halt_on_error=1:print_stacktrace=1';

my @gtests = ((map { "$san/tests/$_" } qw(decode filter merge metadata packet syscalls tasks tp writer)),
	      glob("$san/vigild-tests/test-*"));
for my $bin (@gtests) {
	my $name = $bin =~ s{^\Q$san\E/}{}r;
	ok(-x $bin, "$name is built") or next;
	my $log = `$bin --tap 2>&1`;
	my $status = $?;
	my $oks = () = $log =~ /^ok /mg;
	is($status, 0, "$name passes under ASan+UBSan ($oks tests)") or diag $log;
	unlike($log, qr/^not ok|ERROR: (?:Address|Leak)Sanitizer|runtime error:/m,
	       "$name: no failure, no sanitizer report");
}

my $tmp = tempdir(CLEANUP => 1);
system("$san/tests/gen-trace", '-o', "$tmp/trace", '-c', 3, '-n', 3000, '-b', 2048,
       '-d', 5, '-e', "$tmp/expect") == 0 or BAIL_OUT('gen-trace (sanitized) failed');
my $got = `$san/tests/vg-replay $tmp/trace 2>$tmp/err`;
is($?, 0, 'sanitized vg-replay replays a synthetic trace') or diag `cat $tmp/err`;
is($got, do { local (@ARGV, $/) = "$tmp/expect"; <> }, '... to the expected summary');
unlike(do { local (@ARGV, $/) = "$tmp/err"; <> } // '', qr/Sanitizer|runtime error:/, '... with no sanitizer report');
done_testing;
