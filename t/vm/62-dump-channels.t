#!/usr/bin/perl
# Channels and mixed mode, in the VM with the real vigil.ko: the
# syscalls go to a flight channel (kept in the kernel, overwritten, read
# only on a dump), the process events to a normal channel (streamed).
# A handler subscribed to both sees no syscall live (and was warned at
# load); when the syscall-heavy workload exits it calls Vigil::dump, and
# the dump, replayed, holds exactly the workload's calls.  vigilctl
# status shows each channel; babeltrace2 reads the dump.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../dump/lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);
use DumpTrace qw(read_summary);

vm_skip_unless_available('channels and mixed mode test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigil-chan-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-chan-test/vigild.sock';
my $nr_getppid = 110;    # x86_64
my $calls = 4321;

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
switch_interval: 100ms
buffer:
  size: 64KiB
  count: 8
dump:
  dir: $share/dumps
  rate_limit: 0
channels:
  busy:
    mode: flight
    events: [raw_syscalls:sys_enter, raw_syscalls:sys_exit]
    buffer: { subbuf_size: 256KiB, n_subbufs: 16 }
  quiet:
    mode: normal
    events: [sched:sched_process_fork, sched:sched_process_exec, sched:sched_process_exit]
Y

write_file("$share/bad.yaml", <<"Y");
control_socket: $sock
channels:
  odd:
    events: [sched:sched_switch, sched:no_such_event]
Y

# Live: counts the syscalls it is given (none: they are in the flight
# channel) and dumps the history when the workload (named sysloop) exits.
write_file("$share/live.pl", <<'PL');
use strict;
use warnings;
use Vigil;
$| = 1;
my $sys = 0;
on 'raw_syscalls:sys_enter' => sub { $sys++ };
on 'sched:sched_process_exit' => sub {
    my $e = shift;
    return unless $e->{comm} eq 'sysloop';
    my $p = Vigil::dump(reason => "sysloop $e->{pid} exited", before => 20, after => 0);
    print defined $p ? "dump $e->{pid} $p\n" : "refused $@\n";
};
END { print "live_syscalls $sys\n" }
PL

# Replay: the workload's getppid entries, and all its entries and exits.
write_file("$share/check.pl", <<'PL');
use strict;
use warnings;
use Vigil;
my ($pid, $nr) = @ARGV;
my ($getppid, $enter, $exit, $named) = (0, 0, 0, 0);
on 'raw_syscalls:sys_enter' => sub {
    my $e = shift;
    return unless $e->{common_pid} == $pid;
    $enter++;
    if ($e->{id} == $nr) { $getppid++; $named++ if $e->{common_comm} eq 'sysloop' }
};
on 'raw_syscalls:sys_exit' => sub { $exit++ if $_[0]{common_pid} == $pid };
END { print "getppid $getppid\nenter $enter\nexit $exit\nnamed $named\n" }
PL

# The syscall-heavy workload: a known number of getppid calls under its
# own name ($0 sets the comm).
write_file("$share/workload.pl", <<PL);
\$0 = 'sysloop';
syscall($nr_getppid) for 1 .. $calls;
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
mkdir -p /run/vigil-chan-test
$vigild -f -c \$S/vigil.yaml -s \$S/live.pl >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
perl \$S/workload.pl; echo "workload \$?" >>\$S/rc
sleep 2    # the dump completes once every streamed CPU is past the exit
$vigilctl --socket $sock dump asked by vigilctl >\$S/ctl-dump.txt 2>\$S/ctl-dump.err; echo "ctl-dump \$?" >>\$S/rc
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
rm -f $sock
D=\$(sed -n 's/^dump [0-9]* //p' \$S/live.out | head -1)
P=\$(sed -n 's/^dump \\([0-9]*\\) .*/\\1/p' \$S/live.out | head -1)
babeltrace2 "\$D" >\$S/bt.txt 2>\$S/bt.err; echo "babeltrace2 \$?" >>\$S/rc
grep -c 'raw_syscalls:sys_enter' \$S/bt.txt >\$S/bt-enter.txt
rm -f \$S/bt.txt
ls "\$D" >\$S/streams.txt
C=\$(cat \$S/ctl-dump.txt)
babeltrace2 "\$C" 2>/dev/null | grep -c 'raw_syscalls:sys_enter' >\$S/ctl-enter.txt
$vigild -f -c \$S/vigil.yaml --replay "\$D" -s \$S/check.pl -- "\$P" $nr_getppid >\$S/check.out 2>\$S/check.err; echo "check \$?" >>\$S/rc
$vigild -f -c \$S/bad.yaml -s \$S/live.pl >\$S/bad.out 2>\$S/bad.err; echo "bad \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

is($rc{workload}, 0, 'the workload ran');
is($rc{live}, 0, 'vigild exits 0') or diag(slurp("$share/live.err"));
my $err = slurp("$share/live.err") // '';
like($err, qr/a handler subscribes to raw_syscalls:sys_enter, which is in flight channel 'busy' \(\S+vigil\.yaml:\d+\): it is kept in the kernel and not seen live/,
     'the handler subscribed to a flight channel\'s event is warned at load');
my $out = slurp("$share/live.out") // '';
like($out, qr/^live_syscalls 0$/m, 'the handler saw no syscall event live');
my ($pid, $dump) = $out =~ /^dump (\d+) (\S+)$/m;
ok($dump && -d $dump, 'the exit of the workload, streamed, triggered a dump') or diag $out, $err;

my $st = slurp("$share/status.txt") // '';
like($st, qr/^vigild \d+: live, mixed mode/m, 'vigilctl status says mixed mode') or diag $st;
like($st, qr/^channel default: normal, 8 x 65536 bytes per CPU, switch 100 ms; kernel: \d+ events written/m,
     'vigilctl status shows the default channel');
like($st, qr/^channel busy: flight, 16 x 262144 bytes per CPU, switch 100 ms; kernel: (\d+) events written, \d+ discarded; read: \d+ packets, \d+ bytes in 2 snapshots$/m,
     'vigilctl status shows the flight channel and its two snapshots (the handler\'s dump, vigilctl\'s)');
my ($busy) = $st =~ /^channel busy: .*?kernel: (\d+) events written/m;
cmp_ok($busy // 0, '>=', 2 * $calls, '... which recorded the workload\'s entries and exits');
like($st, qr/^channel quiet: normal, 8 x 65536 bytes per CPU, switch 100 ms; kernel: [1-9]\d* events written/m,
     'vigilctl status shows the streamed process channel');

my $s = read_summary($dump // '') // {};
like($s->{source} // '', qr/mixed mode/, 'the summary says the dump is of mixed mode');
my @streams = grep { /^stream_(\d+)$/ } split /\n/, slurp("$share/streams.txt") // '';
cmp_ok(scalar @streams, '>', 1, 'the dump has the streams of several channels (' . join(' ', @streams) . ')');
is($rc{babeltrace2}, 0, 'babeltrace2 reads the dump') or diag(slurp("$share/bt.err"));
is($rc{'ctl-dump'}, 0, 'vigilctl dump works in mixed mode') or diag(slurp("$share/ctl-dump.err"));
cmp_ok((slurp("$share/ctl-enter.txt") // 0) + 0, '>=', $calls,
       '... and its dump holds the flight channel\'s syscalls too');
cmp_ok((slurp("$share/bt-enter.txt") // 0) + 0, '>=', $calls, '... and its syscall entries');

is($rc{check}, 0, 'vigild --replay reads the dump') or diag(slurp("$share/check.err"));
my %got = (slurp("$share/check.out") // '') =~ /^(\w+) (\d+)$/mg;
is($got{getppid}, $calls, "the replayed dump holds exactly the workload's $calls getppid calls");
is($got{named}, $calls, '... each under the name the workload gave itself');
cmp_ok($got{enter} // 0, '>', $calls, '... and its other syscalls');
ok(defined $got{exit} && $got{exit} >= $calls, '... and their exits');

isnt($rc{bad}, 0, 'a channel listing an event vigil.ko does not have stops vigild');
like(slurp("$share/bad.err") // '', qr/bad\.yaml:3: channels\.odd\.events: 'sched:no_such_event' is not an event of vigil\.ko/,
     '... naming the file, the line of the channel, the channel and the event');

done_testing;
