#!/usr/bin/perl
# In the VM with the real module: handlers/syscall-top.pl, run live by
# vigild, sees a workload with known syscalls (dd copying 3000 one-byte
# blocks: at least 3000 reads and 3000 writes) under its own name.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../handlers";
use Test::More;
use VigilVM;
use HandlerTest qw(need_vigild $ROOT);

vm_skip_unless_available('syscall-top live test');
my $vigild = need_vigild();

# The workload starts once vigild says it is tracing (starting vigild
# under emulation takes seconds).
my $cmd = join "\n",
    "cd $ROOT || exit 1",
    "$vigild -f --duration 15 -s handlers/syscall-top.pl -- --interval 100 --top 0 --syscalls 5 --noclear 2> /tmp/vigild.err &",
    'V=$!',
    'i=0; while ! grep -q "tracing" /tmp/vigild.err && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done',
    'sleep 1',
    'dd if=/dev/zero of=/dev/null bs=1 count=3000 2>/dev/null; echo WORKLOAD-DONE',
    'wait $V; echo "VIGILD-EXIT=$?"',
    'cat /tmp/vigild.err >&2';
my $r = vm_run(cmd => $cmd, timeout => 400);
ok($r->{ok}, 'the VM run passed (module loaded, no kernel warnings)') or diag($r->{stderr});
like($r->{output}, qr/^VIGILD-EXIT=0$/m, 'vigild ran for its duration and exited 0')
    or diag($r->{output});
my ($row) = $r->{output} =~ /^(\s*\d+\s+dd\s+\d+.*)$/m;
ok(defined $row, 'syscall-top has a row for the dd process') or diag($r->{output});
$row //= '';
my ($calls) = $row =~ /^\s*\d+\s+dd\s+(\d+)/;
cmp_ok($calls // 0, '>=', 6000, 'dd made at least 6000 syscalls');
my ($reads) = $row =~ /\bread:(\d+)/;
my ($writes) = $row =~ /\bwrite:(\d+)/;
cmp_ok($reads // 0, '>=', 3000, 'at least 3000 reads counted') or diag($row);
cmp_ok($writes // 0, '>=', 3000, 'at least 3000 writes counted') or diag($row);
like($r->{output}, qr/^syscall-top: \d+ syscalls, \d+ errors, \d+ processes;/m,
     'the table has its summary line');

done_testing();
