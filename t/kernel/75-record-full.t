#!/usr/bin/perl
# --record on a full disk: the recording stops with an error naming the
# directory and why, the tracing and the handlers go on without losing
# an event, nothing partial is left behind, and vigild exits 1 so the
# caller knows the trace it asked for does not exist.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $small = "$dir/small";
mkdir $small or die "mkdir $small: $!";
# 256 KiB: a handful of packets, far less than the workload makes
system('mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', $small) == 0
    or BAIL_OUT("cannot mount a small tmpfs on $small (root is needed)");
END { system('umount', $small) if defined $small }

my $script = write_file("$dir/h.pl", <<'PL');
use Vigil;
my %n;
on 'syscalls:sys_enter_getppid' => sub { $n{ $_[0]{common_pid} }++ };
END { print "getppid $_ $n{$_}\n" for sort keys %n }
PL

my $pid;
my $r = live_run(
    scripts => [$script],
    opts => ['--record', "$small/rec"],
    work => sub { $pid = run_workload(50_000, 0, '/nonexistent'); 1 });
is($r->{rc}, 1, 'exit 1: the recording asked for was not written') or diag $r->{err};
like($r->{err}, qr/--record: .*No space left on device.*; recording stopped \(tracing goes on\)/,
     'the write error is logged when it happens, with its cause');
like($r->{err}, qr/--record \Q$small\E\/rec was not written: .*No space left on device/,
     '... and again at the end, naming the directory');
unlike($r->{err}, qr/trace recorded in/, 'no claim that a trace was recorded');
nothing_lost($r);
like($r->{out}, qr/^getppid $pid 50000$/m,
     'the handler saw every event after the recording stopped');
opendir(my $dh, $small) or die "$small: $!";
my @left = grep { !/^\.\.?$/ } readdir $dh;
is_deeply(\@left, [], 'nothing partial is left on the full disk') or diag "@left";
done_testing();
