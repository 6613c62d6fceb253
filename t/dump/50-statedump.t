#!/usr/bin/perl
# A dump starts with a statedump: vigil:statedump_process records for the
# tasks its events name (as vigild's task table knows them), on a stream
# of their own just before the first event, so a replay of the dump knows
# process ids, parents and names from its first event on - although the
# trace's own statedump lies far outside the dump's window.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib", "$FindBin::Bin/../daemon/lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;
use GenTrace;
use DumpTrace qw(read_summary);

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
# statedump of tasks 101..103 at the start, then 2 x 10000 sys_exit
gen_trace("$dir/trace", cpus => 2, per_cpu => 10000, tids => [101, 102, 103]);
write_file("$dir/dump.pl", <<'PL');
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit' => sub {
    return unless ++$n == 15000;
    my $p = Vigil::dump(reason => 'late', before => 0.002, after => 0.001);
    print defined $p ? "dump $p\n" : "refused $@\n";
};
PL
write_file("$dir/who.pl", <<'PL');
use Vigil;
my (%comm, $sd, $first);
on 'vigil:statedump_process' => sub { $sd++ };
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    $comm{"$e->{common_pid} $e->{common_ppid} $e->{common_comm}"}++;
};
END { print "statedump $sd\n"; print "task $_\n" for sort keys %comm }
PL
my $cfg = write_file("$dir/vigil.yaml", "dump:\n  dir: $dir/dumps\ncontrol_socket: $dir/sock\n");
my ($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', $cfg, '--replay', "$dir/trace",
                                '-s', "$dir/dump.pl"]);
is($rc, 0, 'vigild exits 0') or diag $err;
my ($path) = $out =~ /^dump (\S+)$/m;
ok($path && -d $path, 'the dump was written') or diag $out, $err;
ok(-f "$path/stream_2", 'the statedump has a stream of its own (one past the highest CPU)');
my $s = read_summary($path);
is($s->{statedump_tasks}, 3, 'summary: 3 tasks in the statedump');
($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', $cfg, '--replay', $path, '-s', "$dir/who.pl"]);
is($rc, 0, 'the dump replays') or diag $err;
like($out, qr/^statedump 3$/m, 'the replay sees the 3 statedump records');
my @tasks = $out =~ /^task (.*)$/mg;
is_deeply(\@tasks, ['101 1 task101', '102 1 task102', '103 1 task103'],
          'every event of the dump is attributed to its process, parent and name');
SKIP: {
    skip 'babeltrace2 not installed', 2 unless -x '/usr/bin/babeltrace2';
    my ($brc, $bout, $berr) = run_cmd(['babeltrace2', $path]);
    is($brc, 0, 'babeltrace2 reads the dump with its statedump') or diag $berr;
    like((split /\n/, $bout)[0] // '', qr/vigil:statedump_process: .*comm = "task101"/,
         'the statedump comes first');
}
done_testing();
