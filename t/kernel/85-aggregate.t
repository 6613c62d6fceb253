#!/usr/bin/perl
# aggregate() live: vigild enables the events an aggregation needs (and
# only those the scripts ask for), the table counts the workload's calls
# exactly, in C, and is read in every and END.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/agg.pl", <<'PL');
use Vigil;
my $calls = aggregate 'syscalls:sys_exit_getppid', 'common_comm == "vigil-workload"',
    by => ['common_comm'], count => 'calls';
my $seen = 0;
every 0.05 => sub { $seen = $calls->size };
END {
	my $s = Vigil::stats();
	print "calls ", ($calls->get(['vigil-workload']) // 0), "\n";
	print "aggregated ", ($s->{perl_aggregated} >= 77 ? 'yes' : "no: $s->{perl_aggregated}"), "\n";
	print "every saw $seen\n";
}
PL
my $r = live_run(scripts => [$script], work => sub { run_workload(77, 0, '/nonexistent'); 1 });
is($r->{rc}, 0, 'vigild runs an aggregation live') or diag $r->{err};
like($r->{err}, qr/events the handlers need: [^\n]*raw_syscalls:sys_exit/,
     'the aggregation\'s event is enabled (syscalls:* come from raw_syscalls)') or diag $r->{err};
unlike($r->{err}, qr/events the handlers need: [^\n]*sched:sched_switch/,
       '... and not every event');
nothing_lost($r);
like($r->{out}, qr/^calls 77$/m, 'the table counted the workload\'s calls exactly') or diag $r->{out};
like($r->{out}, qr/^aggregated yes$/m, 'perl_aggregated counts the updates');
like($r->{out}, qr/^every saw 1$/m, 'every read the table while tracing');

done_testing;
