#!/usr/bin/perl
# /dev/vigil_annotate under pressure and by mode:
# - the rate limit (token bucket, annotate_rate=1000 per second, burst
#   of 1000) holds against several concurrent writers: over the measured
#   interval of t seconds at most 1000 * t + 1000 writes pass, with no
#   slack (before the fix the clock was read outside the bucket's lock,
#   a writer with an older time wrapped the elapsed time and refilled the
#   whole bucket: 16 371 writes in 3 s);
# - every accepted write is in the trace and every refused one counted
#   in annotations_dropped;
# - annotate_mode=0002 ("everybody") lets everybody write, root
#   included (it used to refuse root unless 0200 was set too), and
#   annotate_mode=0200 still refuses an unprivileged user.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use VigilVM;

vm_skip_unless_available('annotation rate and mode test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
-x '/usr/bin/babeltrace2' or plan skip_all => 'babeltrace2 not installed';

my $dir = tempdir('vigil-t18-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP});
chmod 0777, $dir;
my $cap   = "$root/kmod/tools/vigil-capture";
my $flood = "$root/kmod/tools/bin/vigil-annotate-flood";
my $ko    = "$root/kmod/vigil.ko";
my ($writers, $secs) = (4, 3);

my $cmd = <<"EOS";
$cap -o $dir/flood --events vigil:annotation -- $flood $writers $secs > $dir/flood.capture 2>&1
babeltrace2 $dir/flood > $dir/flood.txt 2> $dir/flood.bterr
rmmod vigil
insmod $ko annotate_mode=0002
$cap -o $dir/every --events vigil:annotation -- sh -c 'echo from-root > /dev/vigil_annotate; echo "root write exit \$?"; setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo from-nobody > /dev/vigil_annotate"; echo "nobody write exit \$?"' > $dir/every.capture 2>&1
babeltrace2 $dir/every > $dir/every.txt 2> $dir/every.bterr
rmmod vigil
insmod $ko annotate_mode=0200
$cap -o $dir/rootonly --events vigil:annotation -- sh -c 'echo from-root > /dev/vigil_annotate; echo "root write exit \$?"; setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo from-nobody > /dev/vigil_annotate" 2>/dev/null; echo "nobody write exit \$?"' > $dir/rootonly.capture 2>&1
rmmod vigil
insmod $ko
echo done
EOS
my $r = vm_run(cmd => $cmd, timeout => 600, rw_share => $dir);
is($r->{exit}, 0, 'the run passed in the VM with a clean kernel log') or diag($r->{output});

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; return $s }

my $fc = slurp("$dir/flood.capture");
my ($acc, $ref, $other, $ns) = $fc =~ /^accepted=(\d+) refused=(\d+) other=(\d+) elapsed_ns=(\d+)$/m;
ok(defined $ns, "$writers writers flooded /dev/vigil_annotate for ${secs}s") or diag($fc);
$ns //= 0; $acc //= 0; $ref //= 0;
my $limit = int(1000 * $ns / 1e9) + 1000;
cmp_ok($acc, '<=', $limit,
    sprintf('at most rate * t + burst = 1000 * %.3f + 1000 = %d writes passed (%d did)', $ns / 1e9, $limit, $acc));
cmp_ok($acc, '>=', 1000, 'the full burst of 1000 passed (the bucket was full)');
cmp_ok($ref, '>', 0, 'writes over the limit were refused with EAGAIN');
is($other, 0, 'no write failed otherwise');
my $nann = () = slurp("$dir/flood.txt") =~ /vigil:annotation: .*text = "flood"/g;
is($nann, $acc, 'every accepted write is in the trace');
my ($dropped, $disc) = $fc =~ /^total: written=\d+ discarded=(\d+) .*annotations_dropped=(\d+)/m
    ? ($2, $1) : (undef, undef);
is($dropped, $ref, 'every refused write is counted in annotations_dropped');
is($disc, 0, 'nothing was discarded');

my $ec = slurp("$dir/every.capture");
like($ec, qr/^root write exit 0$/m, 'annotate_mode=0002: root may annotate');
like($ec, qr/^nobody write exit 0$/m, 'annotate_mode=0002: an unprivileged user may annotate');
my $et = slurp("$dir/every.txt");
like($et, qr/vigil:annotation: .*text = "from-root"/, 'the root annotation is recorded');
like($et, qr/vigil:annotation: .*text = "from-nobody"/, 'the unprivileged annotation is recorded');

my $rc = slurp("$dir/rootonly.capture");
like($rc, qr/^root write exit 0$/m, 'annotate_mode=0200: root may annotate');
unlike($rc, qr/^nobody write exit 0$/m, 'annotate_mode=0200: an unprivileged user may not');

done_testing;
