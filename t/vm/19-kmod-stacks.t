#!/usr/bin/perl
# vigil.ko records kernel stacks for the events asked for
# (VIGIL_IOC_STACK, through vigild's Vigil::stacks): 500 getppid of the
# workload, each with its kernel stack named from kallsyms (the syscall
# entry path); other events carry none; --stacks sched:sched_switch
# records the switches with theirs though no handler takes them; the
# recording's metadata has the callchain sequence for those events only
# and babeltrace2 reads it; a
# stack_depth above the module's limit is refused.  vm_run fails on any
# kernel warning.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use VigilVM;

vm_skip_unless_available('kernel stacks test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');
my $vigild = "$root/daemon/build/vigild";
-x $vigild or BAIL_OUT("$vigild is not built");
my $wl = "$root/kmod/tools/bin/vigil-workload";

my $script = <<'PL';
use Vigil;
Vigil::stacks('raw_syscalls:sys_enter');
my ($n, $bad, $kern, $exit_chain) = (0, 0);
on 'raw_syscalls:sys_enter', 'id == 110 && common_comm == "vigil-workload"' => sub {
    my $cc = $_[0]{common_callchain};
    $n++;
    $bad++ unless @$cc && !grep { $_->{ip} < 2**63 || !$_->{sym} || $_->{dso} !~ /^\[/ } @$cc;
    $kern //= join ',', map { $_->{sym}{name} } @$cc;
};
on 'raw_syscalls:sys_exit', 'id == 110 && common_comm == "vigil-workload"' => sub {
    $exit_chain //= exists $_[0]{common_callchain} ? 'yes' : 'no';
};
END { print "N=$n BAD=$bad\nKERN=$kern\nEXIT-CHAIN=$exit_chain\n" }
PL
$script =~ s/'/'\\''/g;
my $cmd = join "\n",
    "cd $root || exit 1",
    "printf '%s' '$script' > /tmp/stacks.pl",
    "VIGIL_PERL_LIB=$root/perl/lib $vigild -f --source module --record /tmp/rec --stacks sched:sched_switch -s /tmp/stacks.pl 2> /tmp/vigild.err &",
    'V=$!',
    # (vigild starts in seconds, minutes on the debug kernel; it stops
    # once the workload's events are in)
    'i=0; while ! grep -q "tracing [0-9]* CPUs" /tmp/vigild.err && [ $i -lt 6000 ]; do sleep 0.1; i=$((i+1)); done',
    "$wl 500 0 /nonexistent > /dev/null",
    'sleep 2; kill -TERM $V; wait $V; echo "VIGILD-EXIT=$?"',
    'grep -E "recorded with its kernel stack|error" /tmp/vigild.err',
    'grep -c "uint64_hex_t vigil_callchain\\[vigil_callchain_depth\\];" /tmp/rec/metadata | sed "s/^/SEQ=/"',
    'babeltrace2 /tmp/rec > /tmp/bt.txt; echo "BT-EXIT=$?"',
    'grep -c "sched:sched_switch: .*vigil_callchain_depth = [1-9][0-9]*, vigil_callchain = \\[ \\[0\\] = 0xFFFF" /tmp/bt.txt | sed "s/^/BT-SWITCH-STACKS=/"',
    'grep -c "raw_syscalls:sys_enter: .*{ id = 110, .*vigil_callchain_depth = [1-9][0-9]*, vigil_callchain = \\[ \\[0\\] = 0xFFFF" /tmp/bt.txt | sed "s/^/BT-STACKS=/"',
    "printf 'stack_depth: 128\\n' > /tmp/deep.yaml; $vigild -c /tmp/deep.yaml -f --source module --duration 1 --stacks sched:sched_switch 2>&1 | grep -m1 stack_depth | sed 's/^/DEEP: /'",
    'true';
my $r = vm_run(cmd => $cmd, timeout => 400);
my $out = $r->{output};
ok($r->{ok}, 'the VM run passed (module loaded, no kernel warnings)') or diag($r->{stderr});
like($out, qr/^VIGILD-EXIT=0$/m, 'vigild with stacks ran and exited 0 on SIGTERM') or diag($out);
like($out, qr/raw_syscalls:sys_enter: recorded with its kernel stack \(at most 32 addresses\)/,
     'vigild asked vigil.ko for the stacks');
like($out, qr/^N=500 BAD=0$/m, '500 getppid, each with kernel frames only, all named from kallsyms')
    or diag($out);
like($out, qr/^KERN=.*do_syscall_64/m, '... the syscall entry path');
like($out, qr/^EXIT-CHAIN=no$/m, 'sys_exit, not asked for, carries no callchain');
like($out, qr/^SEQ=2$/m, 'the metadata has the callchain sequence for those two events only');
like($out, qr/^BT-EXIT=0$/m, 'babeltrace2 reads the recording');
like($out, qr/^BT-STACKS=([5-9]\d\d|\d{4,})$/m, '... the getppid entries with their kernel stacks');
like($out, qr/^BT-SWITCH-STACKS=[1-9]\d*$/m,
     '... and the switches (--stacks), recorded though no handler takes them');
like($out, qr/^DEEP: .*stack_depth.*128/m, 'a stack_depth over 127 is refused, naming it');
done_testing();
