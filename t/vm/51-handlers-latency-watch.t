#!/usr/bin/perl
# In the VM with the real module, the tutorial's scenario: a `head`
# whose read blocks 300+ ms on a late pipe writer makes
# handlers/latency-watch.pl dump the flight recorder; babeltrace2 reads
# the dump, which holds the slow read from its enter to its exit.  With
# --stacks the dump carries the kernel stacks of sched:sched_switch
# (VIGIL_IOC_STACK): print.pl on the dump shows where head slept.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../handlers";
use Test::More;
use VigilVM;
use HandlerTest qw(need_vigild $ROOT);

vm_skip_unless_available('latency-watch live test');
my $vigild = need_vigild();

# The workload starts once vigild says it is tracing (starting vigild
# under emulation takes seconds).
my $cmd = join "\n",
    "cd $ROOT || exit 1",
    'mkdir -p /tmp/dumps',
    "$vigild -f --duration 15 --dump-dir /tmp/dumps -s handlers/latency-watch.pl -- "
	. "--comm head --threshold-ms 200 --before 2 --after 1 --stacks 2> /tmp/vigild.err &",
    'V=$!',
    'i=0; while ! grep -q "tracing" /tmp/vigild.err && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done',
    'sleep 3',
    # (the writer sleeps 0.5 s from its own start: head, started beside
    # it, may begin its read some 100 ms later under emulation)
    '( sleep 0.5; echo late ) | head -n1 > /dev/null; echo WORKLOAD-DONE',
    'wait $V; echo "VIGILD-EXIT=$?"',
    'cat /tmp/vigild.err >&2',
    'grep -m1 "recorded with its kernel stack" /tmp/vigild.err',
    'for d in /tmp/dumps/*/; do echo "DUMPDIR=$d"; done',
    'd=$(ls -d /tmp/dumps/*/ | head -n1)',
    'babeltrace2 "$d" > /tmp/bt.txt; echo "BT-EXIT=$?"',
    'grep -c . /tmp/bt.txt | sed "s/^/BT-LINES=/"',
    'grep -E "raw_syscalls:sys_(enter|exit).*\\{ tid = [0-9]+ \\}, \\{ id = 0[,} ]" /tmp/bt.txt | sed "s/^/BT-READ: /"',
    'grep -c "sched:sched_switch: .*prev_comm = \\"head\\".*vigil_callchain_depth = [1-9]" /tmp/bt.txt | sed "s/^/BT-HEAD-STACKS=/"',
    "VIGIL_PERL_LIB=$ROOT/perl/lib $vigild --replay \"\$d\" -s handlers/print.pl -- --events sched:sched_switch --comm head > /tmp/pp.txt 2>/dev/null; echo \"PP-EXIT=\$?\"",
    'sed "s/^/PP: /" /tmp/pp.txt',
    'true';
my $r = vm_run(cmd => $cmd, timeout => 400);
my $out = $r->{output};
ok($r->{ok}, 'the VM run passed (module loaded, no kernel warnings)') or diag($r->{stderr});
like($out, qr/^VIGILD-EXIT=0$/m, 'vigild ran for its duration and exited 0') or diag($out);

my ($tid, $ms) = $out =~ /latency-watch: read by head \(pid \d+, tid (\d+)\) took ([\d.]+) ms > 200 ms \(ret 5\); dump: (\S+)/;
ok(defined $tid, 'latency-watch reported the slow read of head and the dump path') or diag($out);
$tid //= -1;
cmp_ok($ms // 0, '>=', 290, 'the read took 300 ms or more');
cmp_ok($ms // 1e9, '<', 1500, '... and not longer than the writer could have made it wait');
my @dumps = $out =~ /^DUMPDIR=(\S+)/mg;
is(scalar(grep { !/\*/ } @dumps), 1, 'exactly one dump was written (no other slow call of head)')
    or diag($out);
like($out, qr/^BT-EXIT=0$/m, 'babeltrace2 reads the dump');
my ($lines) = $out =~ /^BT-LINES=(\d+)/m;
cmp_ok($lines // 0, '>', 10, 'the dump holds events');
my @reads = grep { /\{ tid = $tid \}/ } $out =~ /^BT-READ: (.*)$/mg;
ok((grep { /sys_enter/ } @reads), "the dump holds head's read entering (tid $tid)") or diag(join "\n", @reads);
ok((grep { /sys_exit.*ret = 5 \}/ } @reads), 'and returning 5 bytes ("late\n")') or diag(join "\n", @reads);
like($out, qr/sched:sched_switch: recorded with its kernel stack/, '--stacks: vigild asked vigil.ko for the switches\' stacks');
like($out, qr/^BT-HEAD-STACKS=[1-9]\d*$/m, 'babeltrace2 shows head\'s switches with their callchains');
like($out, qr/^PP-EXIT=0$/m, 'print.pl replays the dump');
my $pp = join "\n", $out =~ /^PP: (.*)$/mg;
like($pp, qr/^ +head +$tid .* sched:sched_switch: prev_comm=head .*\n(?:\t.*\n)*?\t *[0-9a-f]+ \w*pipe_read\+0x[0-9a-f]+ \(\[kernel\.kallsyms\]\)$/m,
     '... and shows where head slept: its switch from pipe_read')
    or diag($pp);

done_testing();
