#!/usr/bin/perl
# The benchmark harness runs end to end in seconds and prints every row's
# machine-readable `bench: ROW key=value ...` line with numbers in it.
# Nothing here is timed: the figures are only checked to be numbers (and
# the rows' own checks -- events skipped, aggregation tables that differ
# from the Perl handler's -- to pass).  The real runs are `make bench`
# (docs/benchmarks.md).
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/../..";
my $vigild = "$root/daemon/build/vigild";
unless (-x $vigild && -x "$root/daemon/build/tests/bench-core") {
	plan tests => 1;
	fail('vigild and bench-core are built (make)');
	exit 1;
}

my $NUM = qr/^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e-?[0-9]+)?$/;

# bench: lines of an output, by row name: { key => value }.
sub rows {
	my ($out) = @_;
	my (%r, @dup);
	for (split /\n/, $out) {
		next unless /^bench: (\S+)((?: \w+=\S+)*)$/;
		my ($name, $kv) = ($1, $2);
		push @dup, $name if $r{$name};
		$r{$name} = { $kv =~ /(\w+)=(\S+)/g };
	}
	return (\%r, \@dup);
}

# Each named row is there once, and its keys (and any ratio, which must
# come with the peer) hold numbers.
sub check_rows {
	my ($what, $out, @spec) = @_;
	my ($r, $dup) = rows($out);
	is_deeply($dup, [], "$what: no row printed twice");
	for my $s (@spec) {
		my ($name, @keys) = @$s;
		my $row = $r->{$name};
		ok($row, "$what: row $name is printed") or next;
		for my $k (@keys, grep { /ratio|of_/ } sort keys %$row) {
			like($row->{$k} // 'missing', $NUM, "$what: $name $k is a number");
		}
		ok(exists $row->{peer} && $r->{ $row->{peer} },
		   "$what: $name names a peer of the same run ($row->{peer})")
		    if exists $row->{ratio};
	}
	my @extra = grep { my $n = $_; !grep { $_->[0] eq $n } @spec } sort keys %$r;
	is_deeply(\@extra, [], "$what: no unexpected rows");
	return $r;
}

# ---- scripts/bench/dispatch on a small trace ----
# perf script is a peer when perf can record here (root, tracefs);
# otherwise the run goes without it and says so.
my $perf = system('perf record -q -o /dev/null -e raw_syscalls:sys_exit -- true >/dev/null 2>&1') == 0;
diag('perf cannot record here: the dispatch run goes without perf script') unless $perf;
my @cmd = ("$root/scripts/bench/dispatch", '--events', 3000, '--no-callgrind',
	   $perf ? () : '--no-perf');
my $out = `BENCH_REPEAT=1 @cmd 2>&1`;
is($? >> 8, 0, 'bench/dispatch runs to its end, its own checks passing') or diag $out;
my @t = qw(events_per_s cpu_s ns_per_event);
my $r = check_rows('dispatch', $out,
	['read-files', @t, 'mb_per_s'],
	['decode-only', @t, qw(mb_per_s ratio)],
	['dispatch-loop', @t],
	($perf ? ['perf-script', @t, 'failures'] : ()),
	['dispatch-vigil', @t, 'of_loop', $perf ? 'ratio' : (), 'failures'],
	['dispatch-perfstyle', @t, 'of_loop', $perf ? 'ratio' : (), 'failures'],
	['dispatch-filtered-perl', @t, 'passed'],
	['dispatch-filtered', @t, qw(ratio perl_ratio passed)],
	['dispatch-aggregate-perl', @t, qw(keys sum)],
	['dispatch-aggregate', @t, qw(ratio of_floor same keys sum)],
	['dispatch-aggregate-all-perl', @t, qw(keys sum)],
	['dispatch-aggregate-all', @t, qw(ratio of_floor same keys sum)]);
is($r->{'dispatch-vigil'}{peer}, 'perf-script', 'dispatch-vigil: ratio against perf script -s')
    if $perf;
is($r->{'dispatch-vigil'}{failures}, 2 * (1500 >> 3), 'the Vigil handler saw every failing call (one in 8 of each CPU)');
is($r->{'dispatch-filtered'}{passed}, $r->{'dispatch-filtered-perl'}{passed},
    'the C filter passes what the Perl test passes');
cmp_ok($r->{'dispatch-filtered'}{passed}, '>', 0, '... some events');
cmp_ok($r->{'dispatch-filtered'}{passed}, '<', 3000 / 50, '... about 1 % of them');
is($r->{'dispatch-aggregate'}{same}, 1, 'aggregate gives the table the Perl handler gives');
is($r->{'dispatch-aggregate-all'}{same}, 1, '... also without a filter');
is($r->{'dispatch-aggregate'}{sum}, 2 * (1500 >> 3), '... counting every failing call');
is($r->{'dispatch-aggregate-all'}{sum}, 3000, '... and every call');
like($out, qr/^what\s+CPU s\s+M ev\/s/m, 'the summary table follows');

# ---- scripts/bench/core ----
$out = `$root/scripts/bench/core --events 20000 --rounds 1 2>&1`;
is($? >> 8, 0, 'bench/core runs') or diag $out;
check_rows('core', $out, map { ["core-cpus$_", qw(events_per_s ns_per_event ratio)] } 1, 2, 4, 16);

# ---- scripts/bench/probe: the report of given figures (the measuring
# needs the VM) ----
use File::Temp qw(tempdir);
my $dir = tempdir('smoke-probe-XXXXXX', TMPDIR => 1, CLEANUP => 1);
sub figures {
	my ($name, $text) = @_;
	open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
	print $fh $text;
	close $fh;
	return "$dir/$name";
}
my $fig = figures('all', <<'F');
calls 100000
repeat 3
syscall untraced 4202
syscall vigil 7566
syscall ftrace 6067
syscall perf-record 57092
syscall lttng 8000
syscall vigil-stacks 9000
path untraced 9000
path vigil 14000
path ftrace 11000
path perf-record 60000
path lttng 13000
event sys_enter untraced 4200
event sys_enter vigil 5900 1.002
event sys_enter ftrace 5100 1.001
event sched_switch untraced 40000
event sched_switch vigil 44000 2.5
event sched_switch ftrace 43000 2.5
F
$out = `$root/scripts/bench/probe --report $fig 2>&1`;
is($? >> 8, 0, 'bench/probe --report runs') or diag $out;
my @p = map { my $pre = $_; (
	["$pre-untraced", 'ns_per_call'],
	["$pre-vigil", qw(ns_per_call added_ns ratio lttng_ratio perf_ratio)],
	["$pre-ftrace", qw(ns_per_call added_ns)],
	["$pre-perf-record", qw(ns_per_call added_ns ratio)],
	["$pre-lttng", qw(ns_per_call added_ns ratio)]) } qw(probe probe-path);
push @p, ['probe-vigil-stacks', qw(ns_per_call added_ns ratio)];
my @ev = qw(ns_per_event ns_per_op untraced_ns_per_op events_per_op);
$r = check_rows('probe', $out, @p,
	(map { (["event-$_", @ev, 'ratio'], ["event-$_-ftrace", @ev]) } qw(sys_enter sched_switch)));
is($r->{'probe-vigil'}{added_ns}, 7566 - 4202, 'probe: the cost vigil adds');
is($r->{'probe-vigil'}{ratio}, '1.80', 'probe: as a ratio to the cost ftrace adds');
is($r->{'probe-vigil'}{lttng_ratio}, '0.89', '... and to the cost LTTng adds');
is($r->{'probe-vigil-stacks'}{added_ns}, 9000 - 4202, 'probe: the cost vigil adds with kernel stacks');
is($r->{'probe-path-vigil'}{ratio}, '2.50', 'probe-path: the same with a path');
is($r->{'event-sched_switch'}{ns_per_event}, 1600, 'event: the added cost over the events per operation');
is($r->{'event-sched_switch'}{ratio}, '1.33', '... against ftrace\'s for the same event');
like($out, qr/^LTTng 2\.13 .*\s3798\s/m, 'the table shows LTTng\'s added cost');

$fig = figures('no-peers', <<'F');
syscall untraced 4202
syscall vigil 7566
syscall ftrace 4100
missing lttng its modules could not be built
F
$out = `$root/scripts/bench/probe --report $fig 2>&1`;
is($? >> 8, 0, 'bench/probe --report without perf and LTTng runs') or diag $out;
$r = check_rows('probe without perf and LTTng, ftrace adding nothing', $out,
	['probe-untraced', 'ns_per_call'], ['probe-vigil', qw(ns_per_call added_ns)],
	['probe-ftrace', qw(ns_per_call added_ns)]);
ok(!exists $r->{'probe-vigil'}{ratio}, 'no ratio against a cost that is not there');
like($out, qr/^LTTng.*not measured: its modules could not be built$/m, 'a peer not measured says why');

$fig = figures('bad', "syscall untraced 4202\nsyscall vigil x\n");
$out = `$root/scripts/bench/probe --report $fig 2>&1`;
isnt($? >> 8, 0, 'probe --report refuses what is not a number');
like($out, qr/\Q$fig\E line 2: 'x' is not a number of ns/, '... naming the file and the line');

# ---- scripts/bench/live boots the VM: only its argument check here ----
$out = `$root/scripts/bench/live 2x 2>&1`;
is($? >> 8, 2, 'bench/live refuses a step length that is not a number of seconds');
like($out, qr/'2x' is not a number of seconds/, '... saying which');

# ---- scripts/plot-soak: a malformed table is refused before gnuplot ----
my $soak = figures('soak', "   t/s  rss/KiB  fds  events_read  discarded\n    60  25452 11 856750 0\n   120 27036 x 1814294 0\n");
$out = `$root/scripts/plot-soak $soak $dir/out.svg 2>&1`;
isnt($? >> 8, 0, 'plot-soak refuses a malformed table');
like($out, qr/\Q$soak\E line 3: not 't\/s rss\/KiB fds events_read discarded'/, '... naming the file and the line');
ok(!-e "$dir/out.svg", '... and draws nothing');

# ---- scripts/bench/stacks on the host's tracepoints (root) ----
SKIP: {
	skip 'bench/stacks needs root (perf_event_open of tracepoints)', 1 if $> != 0;
	$out = `BENCH_REPEAT=1 $root/scripts/bench/stacks --calls 3000 2>&1`;
	is($? >> 8, 0, 'bench/stacks runs') or diag $out;
	$r = check_rows('stacks', $out,
		['stacks-probe-untraced', 'ns_per_call'],
		['stacks-probe-off', qw(ns_per_call added_ns)],
		['stacks-probe-on', qw(ns_per_call added_ns)],
		['stacks-dispatch-off', qw(events cpu_s ns_per_event)],
		['stacks-dispatch-on', qw(events cpu_s ns_per_event ratio)]);
	cmp_ok($r->{'stacks-dispatch-on'}{events} // 0, '>=', 3000,
	       'stacks: the replay with stacks handled the workload\'s calls');
}

# ---- scripts/bench/channels: the report of given figures (the
# measuring needs the VM) ----
$out = `$root/scripts/bench/channels --report 200000 5120 400012 80 0 2>&1`;
is($? >> 8, 0, 'bench/channels --report runs') or diag $out;
$r = check_rows('channels', $out,
	['channels-streamed', qw(cpu_ms ns_per_call events)],
	['channels-flight', qw(cpu_ms ns_per_call events ratio)]);
is($r->{'channels-flight'}{ratio}, '0.016', 'channels: flight CPU time as a ratio to streamed');
is($r->{'channels-streamed'}{ns_per_call}, 25600, 'channels: CPU time per call');
`$root/scripts/bench/channels --report 200000 x 1 2 3 2>&1`;
is($? >> 8, 2, 'channels --report refuses what is not a number');

done_testing;
