#!/usr/bin/perl
# Filters given to on() run in C: events that fail them never enter Perl.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 80);
my $d = tmpdir();
my $script = write_file("$d/filters.pl", <<'EOS');
use Vigil;
my %n;
on 'raw_syscalls:sys_exit', 'ret < 0' => sub { $n{neg}++; $n{bad}++ unless $_[0]{ret} < 0 };
on 'raw_syscalls:sys_exit', 'ret < 0 && common_comm == "cat"' => sub { $n{catneg}++ };
on 'raw_syscalls:sys_exit', '!(ret < 0) || common_tid == 101' => sub { $n{notneg_or_101}++ };
on 'raw_syscalls:sys_enter', 'path == "/etc/*"' => sub { $n{etc}++; $n{bad}++ unless $_[0]{path} =~ m{^/etc/} };
on 'syscalls:sys_enter_openat', 'filename == "/etc/*"' => sub { $n{openat_etc}++ };
on 'raw_syscalls:sys_exit' => sub { $n{all}++ };
END {
	print "$_ ", $n{$_} || 0, "\n" for qw(neg catneg notneg_or_101 etc openat_etc all bad);
	my $s = Vigil::stats();
	print "filtered $s->{perl_filtered}\n";
}
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 0, 'vigild runs scripts with filters') or diag $r->{err};
my %o = map { split / / } split /\n/, $r->{out};

my ($neg, $catneg, $or101) = (0, 0, 0);
my @tids = (100, 101, 200);
for my $i (0 .. 79) {
	my $ret = $x->{rets}[$i];
	my $tid = $tids[$i % 3];
	$neg++ if $ret < 0;
	$catneg++ if $ret < 0 && $tid == 200;
	$or101++ if !($ret < 0) || $tid == 101;
}
is($o{all}, 80, 'an unfiltered handler sees every event');
is($o{neg}, $neg, 'a numeric comparison passes exactly the matching events');
is($o{bad}, 0, 'no event failing its filter reaches a handler');
is($o{catneg}, $catneg, '&& with a string comparison on common_comm');
is($o{notneg_or_101}, $or101, '! , || and parentheses');
is($o{etc}, $x->{etc}, 'shell-style globs on string fields');
is($o{openat_etc}, $x->{etc}, 'filters on derived syscalls:* events use the kernel argument names');
my $filtered = (80 - $neg) + (80 - $catneg) + (80 - $or101) + 2 * (80 - $x->{etc});
is($o{filtered}, $filtered, 'perl_filtered counts the handler calls the filters saved');

done_testing;
