#!/usr/bin/perl
# With the kernel's tracepoints, a handler's filter that the kernel
# evaluates the same way is applied by the kernel too (pushed down with
# PERF_EVENT_IOC_SET_FILTER): the samples it rejects are never written
# nor read.  A workload signals itself 100 SIGUSR1 and 20000 SIGUSR2
# (ignored); a handler wants SIGUSR1 only.  Pushed down, vigild reads a
# few hundred events; with a filter the kernel cannot take (a string),
# it reads the 20100 and filters them itself.  The handler's counts are
# exact either way.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
defined tracepoint_id('signal:signal_generate')
    or BAIL_OUT('this kernel has no signal:signal_generate tracepoint');
my $dir = File::Temp::tempdir(CLEANUP => 1);

sub run_with {
    my ($filter) = @_;
    my $script = write_file("$dir/sig.pl", <<PL);
use Vigil;
my \$n = 0;
on 'signal:signal_generate', '$filter' => sub { \$n++ };
END { print "usr1 \$n\\n" }
PL
    my $r = live_run(scripts => [$script], work => sub {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            $SIG{USR1} = $SIG{USR2} = 'IGNORE';
            kill 'USR1', $$ for 1 .. 100;
            kill 'USR2', $$ for 1 .. 20000;
            exit 0;
        }
        waitpid($pid, 0);
        1;
    });
    my ($read) = $r->{err} =~ /\ball\s+(\d+)\s/;
    return ($r, $read // -1);
}

my ($r, $read) = run_with('sig == 10 && result == 1');
is($r->{rc}, 0, 'vigild exits 0') or diag $r->{err};
nothing_lost($r);
like($r->{err}, qr/in the kernel for signal:signal_generate: the handlers' filter \(sig == 10 && result == 1\)/,
     'vigild says the kernel applies the filter');
like($r->{out}, qr/^usr1 100$/m, 'the handler counted the 100 SIGUSR1');
cmp_ok($read, '<', 10000, "vigild read $read events: the 20000 SIGUSR2 were never written");

my ($r2, $read2) = run_with('sig == 10 && result == 1 && comm != "nobody"');
is($r2->{rc}, 0, 'with a string comparison: vigild exits 0') or diag $r2->{err};
unlike($r2->{err}, qr/in the kernel for signal:signal_generate/, 'that filter stays in vigild');
like($r2->{out}, qr/^usr1 100$/m, 'the handler counted the 100 SIGUSR1');
cmp_ok($read2, '>=', 20100, "vigild read the 20100 signals ($read2) and filtered them itself");
done_testing();
