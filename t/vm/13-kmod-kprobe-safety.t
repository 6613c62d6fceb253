#!/usr/bin/perl
# Kprobes placed safely:
# - without VIGIL_CFG_KERNEL_ADDRS no kernel address leaks through a
#   kprobe argument: a kprobe on __free_pages records its struct page *
#   (a vmemmap address, which the old region test let through) as 0;
#   with --kernel-addrs the same values are kernel addresses (>= 2^63);
# - ADD_KPROBE whose answer cannot be copied back (request in a
#   read-only page) fails with EFAULT and leaves no kprobe behind: the
#   same request then succeeds (it used to stay registered: EEXIST);
# - placing a kprobe needs CAP_PERFMON or CAP_SYS_ADMIN: root without
#   both gets EPERM, with CAP_PERFMON alone it works;
# - kernel log lines naming user-supplied event and symbol names are
#   rate limited: 200 unknown events and 200 unknown symbols log at most
#   10 lines each per 5 seconds.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('kprobe safety test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t13s-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap = "$root/kmod/tools/vigil-capture";
my $kc  = "$root/kmod/tools/vigil-kprobe-check";
my $wl  = "$root/kmod/tools/bin/vigil-workload";

my $cmd = <<"EOS";
$cap -o $dir/pg --events sched:sched_process_exec --kprobe pg:__free_pages:1 -- $wl 10 0 /x > $dir/pg.capture 2>&1
babeltrace2 $dir/pg > $dir/pg.txt 2> $dir/pg.bterr
$cap -o $dir/pgk --kernel-addrs --events sched:sched_process_exec --kprobe pg:__free_pages:1 -- $wl 10 0 /x > $dir/pgk.capture 2>&1
babeltrace2 $dir/pgk > $dir/pgk.txt 2> $dir/pgk.bterr
$kc --copyback > $dir/copyback.out 2>&1
setpriv --inh-caps=-all --bounding-set=-sys_admin,-perfmon $kc --add > $dir/nocap.out 2>&1
setpriv --inh-caps=-all --bounding-set=-sys_admin $kc --add > $dir/perfmon.out 2>&1
$kc --add > $dir/root.out 2>&1
$kc --flood 200 > $dir/flood.out 2>&1
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'the run passed in the VM with a clean kernel log') or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

my @pg  = slurp("$dir/pg.txt") =~ /kprobes:pg: .*\{ ip = 0x[0-9a-fA-F]+, arg0 = (\d+) \}/g;
my @pgk = slurp("$dir/pgk.txt") =~ /kprobes:pg: .*\{ ip = 0x[0-9a-fA-F]+, arg0 = (\d+) \}/g;
cmp_ok(scalar @pgk, '>', 0, 'with --kernel-addrs the kprobe on __free_pages fired (' . scalar(@pgk) . ' times)');
is(scalar(grep { length($_) < 19 || $_ < 9.3e18 } @pgk), 0,
    'with --kernel-addrs every struct page * recorded is a kernel address (>= 2^63)');
cmp_ok(scalar @pg, '>', 0, 'without it the kprobe fired too (' . scalar(@pg) . ' times)');
is(scalar(grep { $_ ne '0' } @pg), 0,
    'without VIGIL_CFG_KERNEL_ADDRS every struct page * (vmemmap) is recorded as 0');

my %cb = slurp("$dir/copyback.out") =~ /^case (\S+) (\S+)$/mg;
is($cb{add_readonly_req}, 'EFAULT', 'ADD_KPROBE with a read-only request fails with EFAULT');
is($cb{add_retry}, '0', 'the same ADD_KPROBE from writable memory then succeeds (no kprobe was left behind)');
is($cb{retry_id}, '0', 'and returns the event id');
is($cb{del}, '0', 'the kprobe can be deleted');

like(slurp("$dir/nocap.out"), qr/^case add EPERM$/m, 'root without CAP_SYS_ADMIN and CAP_PERFMON cannot place a kprobe');
like(slurp("$dir/perfmon.out"), qr/^case add 0$/m, 'root with CAP_PERFMON but not CAP_SYS_ADMIN can');
like(slurp("$dir/root.out"), qr/^case add 0$/m, 'root with all capabilities can');
like($r->{kernel_log}, qr/vigil: ADD_KPROBE needs CAP_PERFMON or CAP_SYS_ADMIN/, 'the refusal is explained in the kernel log');

my $fo = slurp("$dir/flood.out");
like($fo, qr/^case flood_events_not_enoent 0$/m, '200 unknown events: each refused with ENOENT');
like($fo, qr/^case flood_kprobes_not_enoent 0$/m, '200 unknown symbols: each refused with ENOENT');
my ($ms) = $fo =~ /^elapsed_ms=(\d+)$/m;
my $max = 10 * (int(($ms // 0) / 5000) + 1);
my $nev = () = $r->{kernel_log} =~ /vigil: no event named 'vigil_flood:/g;
my $nkp = () = $r->{kernel_log} =~ /vigil: kprobe flood: unknown symbol vigil_flood_no_such_/g;
cmp_ok($nev, '>', 0, 'unknown event names are logged');
cmp_ok($nev, '<=', $max, "but rate limited: $nev lines for 200 requests in $ms ms (at most $max)");
cmp_ok($nkp, '>', 0, 'unknown kprobe symbols are logged');
cmp_ok($nkp, '<=', $max, "but rate limited: $nkp lines for 200 requests (at most $max)");

done_testing;
