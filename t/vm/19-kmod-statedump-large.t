#!/usr/bin/perl
# A statedump larger than the buffers loses nothing: with 5000 sleeping
# threads (1250 on the debug kernel) and 4 sub-buffers of 4 KiB per CPU in normal mode, every
# thread has its vigil:statedump_process record (right tid, process id,
# parent, executable), vigil:statedump_end counts them, and nothing is
# discarded.  The statedump runs after START returned, while the
# consumer (vigil-capture) keeps reading, and waits for room instead of
# overflowing (it used to run inside START, under the control lock that
# GET_POS/CONSUME need: the consumer could not read until it ended).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('large statedump test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t19s-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $thr = "$root/kmod/tools/bin/vigil-threads";
# waits inside the VM scale like the VM's own timeout (4x on the debug
# kernel, where KASAN, lockdep and kmemleak make creating threads so slow
# under emulation that 5000 were not ready after 10 minutes: there a
# quarter of them, still many times what the buffers hold)
my $tf = VigilVM::vm_kernel()->{timeout_factor} // 1;
my $nthreads = int(5000 / $tf);
my $ready_ticks = int(600 * $tf + 0.5);     # of 0.1 s
my $hold = int(15 * $tf + 0.5);             # s the capture runs

# The threads' process reads a fifo the shell holds open (fd 3) and ends
# when the shell closes it.  The capture's command only waits: the
# statedump ends long before it does.
my $cmd = <<"EOS";
set -e
mkfifo /tmp/threads.in
exec 3<> /tmp/threads.in
$thr $nthreads < /tmp/threads.in 3>&- > $dir/threads.out &
P=\$!
grep "^PPid:" /proc/\$P/status > $dir/parent
i=0
until grep -q '^ready' $dir/threads.out; do
    i=\$((i+1)); [ \$i -lt $ready_ticks ] || { echo 'threads not ready'; exit 1; }
    sleep 0.1
done
ls /proc/\$P/task > $dir/tids
$cap -o $dir/sd --subbuf-size 4096 --n-subbufs 4 --events vigil:statedump_process,vigil:statedump_end -- sleep $hold > $dir/sd.capture 2>&1
exec 3>&-
wait \$P
babeltrace2 $dir/sd > $dir/sd.txt 2> $dir/sd.bterr
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 900, rw_share => $dir);
is($r->{exit}, 0, 'the capture and babeltrace2 ran in the VM with a clean kernel log')
    or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

my ($pid, $nt) = slurp("$dir/threads.out") =~ /^ready pid=(\d+) threads=(\d+)$/m;
is($nt, $nthreads + 1, "a process with $nthreads sleeping threads (and its main thread) ran");
my @tids = split /\s+/, slurp("$dir/tids");
is(scalar @tids, $nthreads + 1, 'all its threads were listed in /proc before the capture');
my ($parent) = slurp("$dir/parent") =~ /^PPid:\s*(\d+)$/m;

my $capout = slurp("$dir/sd.capture");
my ($written, $discarded) = $capout =~ /^total: written=(\d+) discarded=(\d+)/m;
is($discarded, 0, 'nothing was discarded') or diag($capout);
my @l = split /\n/, slurp("$dir/sd.txt");
is(scalar @l, $written, 'babeltrace2 reads every written event');
is(slurp("$dir/sd.bterr"), '', 'babeltrace2 reports no error');

my %rec;
for (@l) {
    next unless /vigil:statedump_process: .*\{ tid = (\d+), pid = (\d+), ppid = (-?\d+), comm = "[^"]*", uid = \d+, cgroup_id = \d+, exe = "([^"]*)" \}/;
    $rec{$1} = [$2, $3, $4];
}
my @ends = grep { /vigil:statedump_end: / } @l;
is(scalar @ends, 1, 'one vigil:statedump_end marks the end of the statedump');
my ($count) = ($ends[0] // '') =~ /count = (\d+)/;
is($count, scalar(grep { /vigil:statedump_process: / } @l), 'its count is the number of statedump_process records');
my @missing = grep { !$rec{$_} } @tids;
is(scalar @missing, 0, "every one of the process's " . scalar(@tids) . ' threads has a statedump record')
    or diag(scalar(@missing) . ' missing, e.g. ' . join(' ', @missing[0 .. ($#missing > 9 ? 9 : $#missing)]));
my @wrong = grep { $rec{$_} && ($rec{$_}[0] != $pid || $rec{$_}[1] != $parent || $rec{$_}[2] !~ m{\Q$thr\E$}) } @tids;
is(scalar @wrong, 0, 'each names the process id, the parent and the executable (seen from the root: the VM runs chrooted)')
    or diag(join ' ', map { "$_: @{$rec{$_}}" } @wrong[0 .. ($#wrong > 4 ? 4 : $#wrong)]);
ok(!grep({ !$rec{$_} } 1), 'init (pid 1) is in the statedump too');

done_testing;
