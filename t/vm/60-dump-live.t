#!/usr/bin/perl
# The flight recorder live, in the VM with the real vigil.ko:
#
# 1. A workload runs ordinary activity, opens a marker file at a moment
#    it picks at random, keeps going, opens it again 2 s later, then a
#    little more.  A handler watching for the marker calls
#    Vigil::dump(before => 2, after => 1).  The dump exists, babeltrace2
#    reads it, its first event is at least 2 s before the trigger, it
#    holds the marker and the workload's activity before it, and events
#    up to about 1 s after; the second trigger falls inside the rate
#    window (60 s): refused, counted and logged.
# 2. The dump directory on a tiny tmpfs that is full: the dump fails with
#    a logged error and leaves nothing, tracing goes on, and once the
#    workload frees space the next trigger dumps.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../dump/lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);
use DumpTrace qw(read_summary);

vm_skip_unless_available('flight recorder live test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigil-dump-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-dump-test/vigild.sock';
my $nr_getppid = 110;    # x86_64
my $marker = "$share/marker";
write_file($marker, "x\n");

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
buffer:
  size: 256KiB
  count: 16
dump:
  dir: $share/dumps
Y
write_file("$share/full.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
buffer:
  size: 256KiB
  count: 16
dump:
  dir: /tmp/full/dumps
Y

# The handler: dump when the marker is opened.
write_file("$share/dump.pl", <<'PL');
use strict;
use warnings;
use Vigil;
my ($marker, $before, $after) = @ARGV;
$| = 1;
on 'syscalls:sys_enter_openat', "filename == \"$marker\"" => sub {
    my $e = shift;
    my $p = Vigil::dump(reason => "marker opened by $e->{common_pid}",
                        before => $before, after => $after);
    if (defined $p) { print "dump $e->{common_ts} $p\n" }
    else { print "refused $e->{common_ts} $@\n" }
};
END {
    my $st = Vigil::stats();
    print "stat $_ $st->{$_}\n" for sort grep { /^dumps/ } keys %$st;
}
PL

# Replayed over the dump: the workload's getppid calls before and after
# the trigger, and the marker opens.
write_file("$share/check.pl", <<'PL');
use strict;
use warnings;
use Vigil;
my ($marker, $pid, $nr, $T) = @ARGV;
my ($before, $after, $opens, $events, $named) = (0, 0, 0, 0, 0);
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    $events++;
    return unless $e->{common_pid} == $pid && $e->{id} == $nr;
    $named++ if $e->{common_comm} eq 'perl' && $e->{common_ppid} > 1;
    if ($e->{common_ts} <= $T) { $before++ } else { $after++ }
};
on 'syscalls:sys_enter_openat', "filename == \"$marker\"" => sub { $opens++ };
END { print "before $before\nafter $after\nopens $opens\nexits $events\nnamed $named\n" }
PL

# Ordinary activity: getppid calls and small reads, paced.
my $activity = <<PL;
use strict;
use Time::HiRes qw(time sleep);
sub activity {
    my (\$secs, \$per) = \@_;
    my \$until = time + \$secs;
    while (time < \$until) {
        syscall($nr_getppid) for 1 .. \$per;
        if (open my \$f, '<', '/etc/hostname') { close \$f }
        sleep 0.01;
    }
}
sub touch_marker { open my \$m, '<', \$_[0] or die "\$_[0]: \$!"; close \$m }
PL
write_file("$share/workload.pl", $activity . <<'PL');
my ($marker) = @ARGV;
my $pre = 3 + rand(2);              # the rare moment: 3 to 5 s in
activity($pre, 50);
touch_marker($marker);
activity(2, 50);
touch_marker($marker);              # inside the rate window
activity(1.5, 50);
print "pid $$ pre $pre\n";
PL
write_file("$share/workload-full.pl", $activity . <<'PL');
my ($marker, $filler) = @ARGV;
activity(2, 10);
touch_marker($marker);              # the dump directory is full
activity(3, 10);                    # the failed dump is over by now
unlink $filler or die "$filler: $!";
activity(0.5, 10);
touch_marker($marker);              # space again
activity(2.5, 10);
print "pid $$\n";
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
mkdir -p /run/vigil-dump-test

# ---- 1: window and rate policy ----
$vigild -f -c \$S/vigil.yaml --events all -s \$S/dump.pl -- $marker 2 1 >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
perl \$S/workload.pl $marker >\$S/workload.txt; echo "workload \$?" >>\$S/rc
sleep 3    # the after window and the write
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
rm -f $sock
D=\$(sed -n 's/^dump [0-9]* //p' \$S/live.out | head -1)
T=\$(sed -n 's/^dump \\([0-9]*\\) .*/\\1/p' \$S/live.out | head -1)
P=\$(sed -n 's/^pid \\([0-9]*\\) .*/\\1/p' \$S/workload.txt)
babeltrace2 --clock-cycles "\$D" >\$S/bt.txt 2>\$S/bt.err; echo "babeltrace2 \$?" >>\$S/rc
grep -c ' vigil:statedump_process: ' \$S/bt.txt >\$S/bt-statedump.txt
head -1 \$S/bt.txt >\$S/bt-head.txt
grep -v ' vigil:statedump_' \$S/bt.txt >\$S/bt-ev.txt
head -1 \$S/bt-ev.txt >\$S/bt-first.txt
tail -1 \$S/bt-ev.txt >\$S/bt-last.txt
wc -l <\$S/bt-ev.txt >\$S/bt-count.txt
rm -f \$S/bt-ev.txt
rm -f \$S/bt.txt
$vigild -f -c \$S/vigil.yaml --replay "\$D" -s \$S/check.pl -- $marker "\$P" $nr_getppid "\$T" >\$S/check.out 2>\$S/check.err; echo "check \$?" >>\$S/rc
ls -a \$S/dumps >\$S/dumps.txt

# ---- 2: a full dump directory ----
mkdir -p /tmp/full
mount -t tmpfs -o size=16m,mode=0700 vigil-full /tmp/full; echo "mount \$?" >>\$S/rc
mkdir /tmp/full/dumps
dd if=/dev/zero of=/tmp/full/filler bs=64k 2>/dev/null
df -k /tmp/full >\$S/df.txt
$vigild -f -c \$S/full.yaml --events all -s \$S/dump.pl -- $marker 1 0.5 >\$S/full.out 2>\$S/full.err &
V=\$!
waitsock
perl \$S/workload-full.pl $marker /tmp/full/filler >\$S/workload-full.txt; echo "workload-full \$?" >>\$S/rc
sleep 3
$vigilctl --socket $sock status >\$S/full-status.txt 2>&1; echo "full-status \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "full \$?" >>\$S/rc
ls -a /tmp/full/dumps >\$S/full-dumps.txt
D2=\$(sed -n 's/^dump [0-9]* //p' \$S/full.out | tail -1)
babeltrace2 "\$D2" >/dev/null 2>\$S/bt2.err; echo "babeltrace2-full \$?" >>\$S/rc
cp "\$D2/.vigil-dump.yaml" \$S/full-summary.yaml
umount /tmp/full
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 900);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

# ---- 1 ----
is($rc{workload}, 0, 'the workload ran');
is($rc{live}, 0, 'vigild exits 0') or diag(slurp("$share/live.err"));
my $out = slurp("$share/live.out") // '';
my @dumps = $out =~ /^dump (\d+) (\S+)$/mg;
my @refused = $out =~ /^refused (\d+) (.*)$/mg;
is(scalar @dumps, 2, 'the first marker open gave a dump path') or diag $out;
my ($T, $dump) = @dumps;
is(scalar @refused, 2, 'the second marker open (2 s later) was refused');
like($refused[1] // '', qr/suppressed by the rate policy: the last one was [23]\.\d s ago \(rate_limit: 60 s\)/,
     '... by the rate policy, $@ says so');
like($out, qr/^stat dumps_suppressed 1$/m, 'Vigil::stats counts the suppressed trigger');
like(slurp("$share/status.txt") // '', qr/^dumps written: 1, failed: 0, suppressed: 1, /m,
     'vigilctl status reports the written and the suppressed dump');
like(slurp("$share/live.err") // '', qr/dump suppressed by the rate policy/, 'the suppression is logged');
ok($dump && -d $dump, 'the dump exists') or diag(slurp("$share/live.err"));
like(slurp("$share/live.err") // '', qr/dump complete: \Q$dump\E/, 'its completion is logged');
is((stat $dump)[2] & 07777, 0700, 'the dump is readable by root only');
is(scalar(grep { /^\./ && !/^\.\.?$/ } split /\n/, slurp("$share/dumps.txt") // ''), 0,
   'no temporary or staging names are left in the dump directory');

is($rc{babeltrace2}, 0, 'babeltrace2 reads the dump') or diag(slurp("$share/bt.err"));
my ($first) = (slurp("$share/bt-first.txt") // '') =~ /^\[(\d+)\]/;
my ($last) = (slurp("$share/bt-last.txt") // '') =~ /^\[(\d+)\]/;
$_ += 0 for grep { defined } $first, $last;    # (printed with leading zeros)
my $s = read_summary($dump) // {};
is($s->{'trigger.ns'}, $T, 'the trigger time is the marker event\'s timestamp');
ok(defined $first && $first <= $T - 2e9,
   'the first event is at least 2 s before the trigger') or diag "first $first T $T";
ok(defined $last && $last >= $T + 0.9e9,
   'events reach about 1 s after the trigger') or diag "last $last T $T";
ok(defined $last && $last <= $T + 3e9, '... and stop not long after') or diag "last $last T $T";
is($s->{events}, 0 + (slurp("$share/bt-count.txt") // 0),
   'the summary counts the events babeltrace2 sees (besides the statedump)');
cmp_ok($s->{statedump_tasks} // 0, '>', 0, 'the dump starts with a statedump of its tasks');
is(0 + (slurp("$share/bt-statedump.txt") // 0), $s->{statedump_tasks} // -1,
   '... that babeltrace2 reads');
like(slurp("$share/bt-head.txt") // '', qr/vigil:statedump_process/, '... first');
is($s->{'first_event.ns'}, $first, 'the summary\'s first event is babeltrace2\'s');
is($s->{'last_event.ns'}, $last, 'the summary\'s last event is babeltrace2\'s');
like($s->{reason} // '', qr/^marker opened by \d+$/, 'the summary has the reason');
is($s->{kernel_release} // '', VigilVM::vm_kernel()->{kver}, 'the summary has the booted kernel\'s release');
ok(length($s->{host} // ''), 'the summary has the host');

is($rc{check}, 0, 'vigild --replay runs a handler over the dump') or diag(slurp("$share/check.err"));
my %c = (slurp("$share/check.out") // '') =~ /^(\w+) (\d+)$/mg;
cmp_ok($c{opens} // 0, '>=', 1, 'the dump holds the marker open');
cmp_ok($c{before} // 0, '>', 0, 'the dump holds the workload\'s activity before the trigger');
cmp_ok($c{after} // 0, '>', 0, '... and after it');
is($c{named} // 0, ($c{before} // 0) + ($c{after} // 0),
   'the replay knows the workload\'s process (name perl, its parent) from the statedump');
my ($pre) = (slurp("$share/workload.txt") // '') =~ /pre ([\d.]+)/;
diag "marker opened after $pre s of activity" if defined $pre;

# ---- 2 ----
SKIP: {
    skip 'no tmpfs in the VM', 10 unless ($rc{mount} // 1) == 0;
    like(slurp("$share/df.txt") // '', qr/\s0\s+100%/, 'the tmpfs was full');
    is($rc{'workload-full'}, 0, 'the workload ran');
    is($rc{full}, 0, 'vigild exits 0 after a failed dump') or diag(slurp("$share/full.err"));
    my $fout = slurp("$share/full.out") // '';
    my @fd = $fout =~ /^dump \d+ (\S+)$/mg;
    is(scalar @fd, 2, 'both marker opens got a path (no rate window after a failure)') or diag $fout;
    like(slurp("$share/full.err") // '',
         qr/dump \Q$fd[0]\E not written \(nothing left behind\): .*No space left on device.*\(tracing goes on\)/,
         'the failed dump is logged with its path and the cause');
    my @left = grep { !/^\.\.?$/ } split /\n/, slurp("$share/full-dumps.txt") // '';
    my ($second) = ($fd[1] // '') =~ m{([^/]+)$};
    is_deeply(\@left, [$second // 'none'], 'only the second dump is in the directory: nothing partial');
    is($rc{'babeltrace2-full'}, 0, 'babeltrace2 reads the dump written once space was back')
        or diag(slurp("$share/bt2.err"));
    my $sum = slurp("$share/full-summary.yaml") // '';
    like($sum, qr/^reason: "marker opened by \d+"$/m, '... complete with its summary');
    like($out = slurp("$share/full-status.txt") // '', qr/^dumps written: 1, failed: 1, /m,
         'vigilctl status counts the failed and the written dump');
    like(slurp("$share/full.out") // '', qr/^stat dumps_failed 1$/m, 'Vigil::stats counts the failed dump');
}

done_testing;
