#!/usr/bin/perl
# Samples the kernel cannot write into a full perf ring come back as
# PERF_RECORD_LOST: vigild counts them per CPU and says so everywhere -
# the status (discarded column and its own line), Vigil::stats(), the
# packets' events_discarded (babeltrace2 reports the same total for a
# --record trace) and a dump's summary.  Never silent.
use strict;
use warnings;
use Test::More;
use FindBin;
use List::Util qw(sum0);
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my ($bt) = grep { -x } map { "$_/babeltrace2" } split /:/, $ENV{PATH};
$bt //= 'babeltrace2';	# (scripts/install-deps installs it; missing, its test fails)

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/lost.pl", <<'PL');
use Vigil;
my %n;
on 'syscalls:sys_enter_getppid' => sub { $n{ $_[0]{common_pid} }++ };
END {
    my $s = Vigil::stats();
    print "stats_discarded $s->{events_discarded} $s->{event_source}\n";
    print "getppid $_ $n{$_}\n" for sort keys %n;
}
PL

my $N = 300000;
my ($pid, $dump);
my $r = live_run(
    scripts => [$script],
    # an 8 KiB ring per CPU: far too small for the workload
    opts => ['--buffer-size', '4K', '--buffers', '2', '--record', "$dir/rec"],
    work => sub {
        my ($run) = @_;
        $pid = run_workload($N, 0, '/nonexistent');
        my ($rc, $out, $err) = vigilctl($run->{sock}, 'dump', 'lost-test');
        ($dump) = $out =~ m{^(/\S+)$}m;
        wait_for(sub { $dump && -d $dump }, 30);
        return 1;
    });
ok($r->{ready}, 'vigild traces with tiny perf rings') or diag $r->{err};
is($r->{rc}, 0, 'exit 0') or diag $r->{err};
my ($lost) = $r->{err} =~ /lost by the kernel \(perf ring full\): (\d+)$/m;
ok(defined $lost && $lost > 0, "the status reports lost samples (" . ($lost // 'none') . ")")
    or diag $r->{err};
my ($all_disc) = $r->{err} =~ /^.*\ball\s+\d+\s+(\d+)\s/m;
is($all_disc, $lost, 'the discarded column totals the same');
like($r->{out}, qr/^stats_discarded \Q$lost\E kernel$/m, 'Vigil::stats() says so too');
my ($seen) = $r->{out} =~ /^getppid $pid (\d+)$/m;
$seen //= 0;
cmp_ok($seen, '<', $N, "the handler got fewer than the workload made ($seen < $N)");
cmp_ok($seen + $lost, '>=', $N, '... and what it did not get is among the lost');

# --record: babeltrace2 finds the same total in events_discarded
ok(-f "$dir/rec/metadata", '--record wrote a trace');
my ($rc, $out, $err) = run_cmd([$bt, "$dir/rec"], timeout => 300);
is($rc, 0, 'babeltrace2 reads it') or diag $err;
my $bt_lost = sum0($err =~ /Tracer discarded (\d+) events?\b/g);
is($bt_lost, $lost, 'babeltrace2 counts the same discarded events');

# the dump's summary
ok($dump && -d $dump, 'vigilctl dump wrote a dump') or diag $r->{err};
my $text = $dump ? slurp("$dump/.vigil-dump.yaml") // '' : '';
my $total = sum0($text =~ /events_discarded_total: (\d+)/g);
cmp_ok($total, '>', 0, 'its summary counts the lost samples (events_discarded_total)')
    or diag $text;
done_testing();
