#!/usr/bin/perl
# The statedump vigild writes at the start of --source kernel (from /proc
# and /sys) besides the threads: every interrupt line with handlers
# (vigil:statedump_irq, as /sys/kernel/irq/N says), each process's
# executable maps (vigil:statedump_mmap, at most statedump.mmaps each, 0:
# none), the threads' cgroup paths (vigil:statedump_cgroup); handlers
# see them live, and a --record trace holds them.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $script = write_file("$dir/sd.pl", <<'PL');
use Vigil;
on 'vigil:statedump_irq' => sub { print "irq $_[0]{irq} $_[0]{name}\n" };
on 'vigil:statedump_mmap' => sub {
    my ($e) = @_;
    printf "mmap %d %x %x %x %s\n", @$e{qw(pid start end offset path)};
};
on 'vigil:statedump_cgroup' => sub { print "cgroup $_[0]{id} $_[0]{path}\n" };
on 'vigil:statedump_process' => sub { print "task $_[0]{tid} $_[0]{cgroup_id}\n" };
PL

# what the host says
my %irq;
for my $d (glob '/sys/kernel/irq/[0-9]*') {
    my ($n) = $d =~ /(\d+)$/;
    my $a = slurp("$d/actions") // '';
    chomp $a;
    $irq{$n} = $a if length $a;
}
my @exec_maps = grep { (split ' ')[1] =~ /^..x/ && (split ' ')[5] } split /\n/, slurp("/proc/$$/maps");

my $r = live_run(scripts => [$script], opts => ['--record', "$dir/rec"]);
is($r->{rc}, 0, 'vigild exits 0') or diag $r->{err};
my $out = $r->{out} // '';
my %got_irq = $out =~ /^irq (\d+) (\S.*)$/mg;
ok(scalar(keys %irq), 'this host has interrupt lines with handlers (' . scalar(keys %irq) . ')');
is_deeply(\%got_irq, \%irq, 'one vigil:statedump_irq per interrupt line with handlers, named as /sys/kernel/irq says')
    or diag $out;
my @mine = grep { /^mmap $$ / } split /\n/, $out;
is(scalar @mine, scalar @exec_maps, "this test's process: its executable maps, as /proc/$$/maps lists them")
    or diag join "\n", @mine, '--', @exec_maps;
my ($perl) = grep { m{ /\S*perl\S*$} } @mine;
like($perl // '', qr/^mmap $$ [0-9a-f]+ [0-9a-f]+ [0-9a-f]+ \//, '... with start, end, offset and path');
my %tasks = $out =~ /^task (\d+) (\d+)$/mg;
ok($tasks{$$}, 'the threads have their cgroup id') or diag $out;
my %cg = $out =~ /^cgroup (\d+) (\S+)$/mg;
ok($tasks{$$} && defined $cg{ $tasks{$$} }, '... and the statedump names it by path') or diag $out;

my $rp = run_vigild(trace => "$dir/rec", scripts => [$script]);
is($rp->{rc}, 0, 'replay of the recording exits 0') or diag $rp->{err};
is($rp->{out}, $out, 'the recording holds the same statedump');

# statedump.mmaps bounds the maps of each process; 0: none
$r = live_run(scripts => [$script], config => "statedump:\n  mmaps: 2\n");
my %per;
$per{$1}++ while ($r->{out} // '') =~ /^mmap (\d+) /mg;
ok(%per && !grep({ $_ > 2 } values %per), 'statedump.mmaps: 2 maps at most per process') or diag $r->{out};
$r = live_run(scripts => [$script], config => "statedump:\n  mmaps: 0\n");
unlike($r->{out} // '', qr/^mmap /m, 'statedump.mmaps: 0 writes none');
like($r->{out} // '', qr/^irq /m, '... and the interrupt lines still');
done_testing();
