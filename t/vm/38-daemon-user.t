#!/usr/bin/perl
# vigild with user: nobody, in the VM with the real vigil.ko: /dev/vigil
# is opened, configured, its kprobe added and its buffers mapped as root;
# then vigild becomes nobody with no capability, and
#  - normal mode: the handler runs as nobody ($< and $>), and still counts
#    a workload's getppid calls exactly, through raw_syscalls and through
#    a kprobe added before the drop; every thread of vigild shows nobody's
#    uid, no capability and NoNewPrivs; `vigilctl dump` writes the
#    history as nobody (0700, files 0600) and `vigild --replay` of it
#    counts the same calls; SIGTERM stops the module (STOP, FLUSH on the
#    open fd) and vigild exits 0;
#  - flight mode: `vigilctl dump` after the drop snapshots the kernel
#    buffers (PAUSE, RESUME on the open fd) and holds the last process's
#    calls; `vigilctl stop` ends it with exit 0.
# vm-run then unloads the module (nothing left open) and checks the
# kernel log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(find_prog need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild user test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');
my (undef, undef, $uid, $gid) = getpwnam('nobody');
ok(defined $uid, "the host (whose / the guest shares) has user nobody (uid $uid, gid $gid)")
    or BAIL_OUT('no user nobody');

my $share = tempdir('vigild-vm38-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
# the guest's tmpfs: the dump directory is given to nobody (chown)
my $dumps = '/run/vigil-test-dumps/dumps';

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
user: nobody
switch_interval: 100ms
buffer:
  size: 256KiB
  count: 16
dump:
  dir: $dumps
  rate_limit: 0
kprobes:
  - name: gp
    symbol: __x64_sys_getppid
Y

write_file("$share/count.pl", <<'PL');
use strict;
use Vigil;
my (%n, %kp, $first);
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    print "first event as uid $< euid $>\n" unless $first++;
    $n{ $e->{common_pid} }++ if $e->{id} == 110;
};
on 'kprobes:gp' => sub { $kp{ $_[0]{common_pid} }++ };
END {
    print "end as uid $< euid $>\n";
    print "count $_ $n{$_}\n" for sort { $a <=> $b } keys %n;
    print "kprobe $_ $kp{$_}\n" for sort { $a <=> $b } keys %kp;
}
PL

# a replay of a dump has no kprobe events unless the dump has them: a
# handler of its own
write_file("$share/replay.pl", <<'PL');
use strict;
use Vigil;
my %n;
on 'raw_syscalls:sys_exit' => sub { $n{ $_[0]{common_pid} }++ if $_[0]{id} == 110 };
END { print "count $_ $n{$_}\n" for sort { $a <=> $b } keys %n }
PL

write_file("$share/workload.pl", <<'PL');
use strict;
my @kids;
for my $n (@ARGV) {
    my $pid = fork // die "fork: $!";
    if (!$pid) { syscall(110) for 1 .. $n; exit 0 }
    push @kids, [$pid, $n];
}
waitpid($_->[0], 0) for @kids;
print "$_->[0] $_->[1]\n" for @kids;
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
# until vigild says it runs as the user (at most 60 s)
waituser() {
	i=0
	while ! grep -q 'running as user nobody' "\$1" 2>/dev/null; do
		i=\$((i + 1)); [ \$i -gt 300 ] && return 1
		sleep 0.2
	done
}
threads() {
	for t in /proc/\$1/task/*; do echo "task \${t##*/}"; cat \$t/status; done
}

# ---- normal mode ----
$vigild -f -c \$S/vigil.yaml -s \$S/count.pl >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
waituser \$S/live.err; echo "user \$?" >>\$S/rc
threads \$V >\$S/live.tasks
perl \$S/workload.pl 1500 2700 >\$S/expected.txt
sleep 2
$vigilctl --socket $sock status >\$S/status.txt 2>&1; echo "status \$?" >>\$S/rc
$vigilctl --socket $sock dump vm user test >\$S/dump.txt 2>\$S/dump.err; echo "dump \$?" >>\$S/rc
D=\$(cat \$S/dump.txt)
stat -c '%u %a %n' $dumps "\$D" "\$D"/* "\$D"/.vigil-dump.yaml >\$S/dump.modes 2>&1
$vigild -c /dev/null --replay "\$D" -s \$S/replay.pl >\$S/replay.out 2>\$S/replay.err; echo "replay \$?" >>\$S/rc
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc

# ---- flight mode ----
$vigild -f -c \$S/vigil.yaml --mode flight --buffer-size 64KiB --buffers 32 --events raw_syscalls:sys_exit >\$S/flight.out 2>\$S/flight.err &
F=\$!
waitsock
waituser \$S/flight.err; echo "fuser \$?" >>\$S/rc
threads \$F >\$S/flight.tasks
perl \$S/workload.pl 20000 20000 >/dev/null
perl \$S/workload.pl 333 >\$S/marker.txt
$vigilctl --socket $sock dump flight after the drop >\$S/fdump.txt 2>\$S/fdump.err; echo "fdump \$?" >>\$S/rc
FD=\$(cat \$S/fdump.txt)
stat -c '%u %a %n' "\$FD" "\$FD"/* >\$S/fdump.modes 2>&1
$vigild -c /dev/null --replay "\$FD" -s \$S/replay.pl >\$S/freplay.out 2>\$S/freplay.err; echo "freplay \$?" >>\$S/rc
$vigilctl --socket $sock stop >/dev/null 2>\$S/stop.err; echo "stop \$?" >>\$S/rc
wait \$F; echo "flight \$?" >>\$S/rc
SH
chmod 0755, "$share/run.sh";

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 900);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

sub check_tasks {
    my ($what, $file) = @_;
    my $text = slurp($file) // '';
    my @tasks = split /^task /m, $text;
    shift @tasks;
    cmp_ok(scalar @tasks, '>=', 2, "$what: vigild's threads listed (" . scalar(@tasks) . ')')
        or diag $text;
    for my $t (@tasks) {
        my ($tid) = $t =~ /^(\d+)/;
        my %f = map { /^(\w+):\s*(.*)$/ ? ($1 => $2) : () } split /\n/, $t;
        is($f{Uid}, join("\t", ($uid) x 4), "$what: thread $tid runs as nobody (every uid)");
        is($f{Gid}, join("\t", ($gid) x 4), "$what: thread $tid: every gid nobody's group");
        is(join(' ', map { $f{$_} // 'none' } qw(CapInh CapPrm CapEff CapAmb)),
           join(' ', ('0000000000000000') x 4), "$what: thread $tid has no capability");
    }
    is(scalar(() = $text =~ /^NoNewPrivs:\s*1$/mg), scalar(@tasks), "$what: every thread has no_new_privs");
}

# ---- normal mode -------------------------------------------------------
is($rc{user}, 0, 'normal mode: vigild became nobody') or diag(slurp("$share/live.err"));
my $err = slurp("$share/live.err") // '';
like($err, qr/running as user nobody \(uid $uid\), group \S+ \(gid $gid\), without capabilities/,
     '... and says so');
like($err, qr/kprobes: 1\b|kprobes:gp/, 'the kprobe was added before the drop') or diag $err;
check_tasks('normal mode', "$share/live.tasks");
is($rc{status}, 0, 'vigilctl status answers after the drop');
is($rc{live}, 0, 'SIGTERM: vigild stops the module through its open fd and exits 0') or diag $err;
my $out = slurp("$share/live.out") // '';
like($out, qr/^first event as uid $uid euid $uid$/m, 'the handler runs as nobody');
like($out, qr/^end as uid $uid euid $uid$/m, 'its END too');
my %want = (slurp("$share/expected.txt") // '') =~ /^(\d+) (\d+)$/mg;
is(scalar keys %want, 2, 'the workload ran its two processes');
my %got = $out =~ /^count (\d+) (\d+)$/mg;
my %kp = $out =~ /^kprobe (\d+) (\d+)$/mg;
for my $pid (sort keys %want) {
    is($got{$pid}, $want{$pid}, "process $pid: exactly $want{$pid} getppid exits seen as nobody");
    is($kp{$pid}, $want{$pid}, "process $pid: exactly $want{$pid} hits of the kprobe added as root");
}

is($rc{dump}, 0, 'vigilctl dump after the drop') or diag(slurp("$share/dump.err"));
my $modes = slurp("$share/dump.modes") // '';
like($modes, qr/^$uid 700 \Q$dumps\E$/m, 'the dump directory was given to nobody, 0700') or diag $modes;
my @dm = grep { !/ \Q$dumps\E$/ } split /\n/, $modes;
cmp_ok(scalar @dm, '>=', 4, 'the dump, its metadata, streams and summary are listed') or diag $modes;
like($dm[0] // '', qr/^$uid 700 /, 'the dump is nobody\'s, 0700');
is(scalar(grep { !/^$uid 600 / } @dm[1 .. $#dm]), 0, 'its files are nobody\'s, 0600') or diag $modes;
is($rc{replay}, 0, 'vigild --replay reads the dump') or diag(slurp("$share/replay.err"));
my %rgot = (slurp("$share/replay.out") // '') =~ /^count (\d+) (\d+)$/mg;
is($rgot{$_}, $want{$_}, "the dump holds process ${_}'s $want{$_} calls") for sort keys %want;

# ---- flight mode -----------------------------------------------------------
is($rc{fuser}, 0, 'flight mode: vigild became nobody') or diag(slurp("$share/flight.err"));
check_tasks('flight mode', "$share/flight.tasks");
is($rc{fdump}, 0, 'vigilctl dump snapshots the kernel buffers after the drop')
    or diag(slurp("$share/fdump.err"), slurp("$share/flight.err"));
my $fmodes = slurp("$share/fdump.modes") // '';
my @fm = split /\n/, $fmodes;
cmp_ok(scalar @fm, '>=', 3, 'the flight dump has files') or diag $fmodes;
is(scalar(grep { !/^$uid (700|600) / } @fm), 0, '... all nobody\'s (0700, 0600)') or diag $fmodes;
is($rc{freplay}, 0, 'vigild --replay reads it') or diag(slurp("$share/freplay.err"));
my ($mpid, $mn) = (slurp("$share/marker.txt") // '') =~ /^(\d+) (\d+)$/m;
my %fgot = (slurp("$share/freplay.out") // '') =~ /^count (\d+) (\d+)$/mg;
is($fgot{$mpid // -1}, 333, 'the last process\'s 333 getppid calls are all in the snapshot');
is($rc{stop}, 0, 'vigilctl stop (root) is obeyed') or diag(slurp("$share/stop.err"));
is($rc{flight}, 0, 'the flight recorder exits 0') or diag(slurp("$share/flight.err"));

done_testing;
