#!/usr/bin/perl
# Threads that die during the statedump: the statedump pins every thread
# at START and describes them one by one.  Here it is held up for lack of
# room (normal mode, 4 x 4 KiB sub-buffers per CPU, the consumer starts
# reading only after 4 seconds) while the process owning 3000 of the
# threads is killed and its threads are reaped.  Then the statedump goes
# on: it describes no reaped thread (it would have to read the parent of
# a dead task, which may be freed: pid_alive() first, as
# task_ppid_nr_ns() does), describes every other thread that existed,
# ends with vigil:statedump_end, and nothing is discarded.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('statedump with dying threads test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t19r-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $thr = "$root/kmod/tools/bin/vigil-threads";
my $n = 3000;

my $cmd = <<"EOS";
set -e
mkfifo /tmp/threads.in
exec 3<> /tmp/threads.in
$thr $n < /tmp/threads.in 3>&- > $dir/threads.out &
P=\$!
echo "victim=\$P" > $dir/victim
i=0
until grep -q '^ready' $dir/threads.out; do
    i=\$((i+1)); [ \$i -lt 600 ] || { echo 'threads not ready'; exit 1; }
    sleep 0.1
done
ls -d /proc/[0-9]*/task/[0-9]* > $dir/before
$cap -o $dir/sd --subbuf-size 4096 --n-subbufs 4 --delay-consume 4 --events vigil:statedump_process,vigil:statedump_end -- sh -c "sleep 1; kill -9 \$P; sleep 14" > $dir/sd.capture 2>&1
exec 3>&-
wait \$P || true
ls -d /proc/[0-9]*/task/[0-9]* > $dir/after
babeltrace2 $dir/sd > $dir/sd.txt 2> $dir/sd.bterr
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 900, rw_share => $dir);
is($r->{exit}, 0, 'the capture and babeltrace2 ran in the VM with a clean kernel log')
    or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

my ($victim) = slurp("$dir/victim") =~ /^victim=(\d+)$/m;
# /proc/PID/task/TID: tid => pid
my %before = map { m{^/proc/(\d+)/task/(\d+)$} ? ($2 => $1) : () } split /\n/, slurp("$dir/before");
my %after = map { m{^/proc/\d+/task/(\d+)$} ? ($1 => 1) : () } split /\n/, slurp("$dir/after");
my @vt = grep { $before{$_} == ($victim // -1) } keys %before;
is(scalar @vt, $n + 1, "the victim process had $n threads and its main thread before the capture");

my $capout = slurp("$dir/sd.capture");
my ($discarded) = $capout =~ /^total: written=\d+ discarded=(\d+)/m;
is($discarded, 0, 'nothing was discarded (the statedump waited for room)') or diag($capout);
my @l = split /\n/, slurp("$dir/sd.txt");
my %rec;
for (@l) {
    $rec{$1} = [$2, $3] if /vigil:statedump_process: .*\{ tid = (\d+), pid = (\d+), ppid = (-?\d+),/;
}
my @ends = grep { /vigil:statedump_end: / } @l;
is(scalar @ends, 1, 'the statedump ended (vigil:statedump_end)');
my ($count) = ($ends[0] // '') =~ /count = (\d+)/;
is($count, scalar keys %rec, 'its count is the number of records');
my $described = grep { $rec{$_} } @vt;
cmp_ok($described, '<', ($n + 1) / 2,
    "most of the victim's threads, reaped while the statedump waited, were not described ($described were, before the kill)");
my @bad = grep { $rec{$_} && ($rec{$_}[0] != $victim || $rec{$_}[1] <= 0) } @vt;
is(scalar @bad, 0, 'those described name the victim process and a real parent');
# Every other thread that existed before and still exists after was
# described (a thread that ended meanwhile may be missing).
my @missing = grep { $before{$_} != $victim && $after{$_} && !$rec{$_} } keys %before;
is(scalar @missing, 0, 'every other thread that lived through the capture was described')
    or diag("missing: @missing");

done_testing;
