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

# One handler with a filter, and a class nobody takes: vigild counts the
# events the filter rejects without entering the dispatcher; the counters
# (Vigil::stats and the per-CPU status vigild logs at the end) are the
# same as for the general path.
my $one = write_file("$d/one.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit', 'ret < 0' => sub { $n++ };
END {
	my $s = Vigil::stats();
	print "n $n\n";
	print "$_ $s->{$_}\n" for qw(perl_events perl_dispatched perl_filtered perl_unhandled);
}
EOS
$r = run_vigild(trace => $trace, scripts => [$one]);
is($r->{rc}, 0, 'a single filtered handler') or diag $r->{err};
%o = map { split / / } split /\n/, $r->{out};
is($o{n}, $neg, 'it sees the events its filter passes');
is($o{perl_dispatched}, $neg, 'perl_dispatched: one call per event passed');
is($o{perl_filtered}, 80 - $neg, 'perl_filtered: every event rejected');
is($o{perl_events}, $x->{events}, 'perl_events: every event');
is($o{perl_unhandled}, $x->{events} - 80, 'perl_unhandled: the events of the other classes');
my ($all) = $r->{err} =~ /^.*\ball\s+(\d+\s+\d+\s+\d+\s+\d+)\s+\d+\s*$/m;
is($all =~ s/\s+/ /gr, join(' ', $x->{events}, 0, $neg, 80 - $neg),
    'the status: events read, discarded, dispatched, filtered out') if defined $all;
ok(defined $all, 'the status logs the per-CPU table') or diag $r->{err};

done_testing;
