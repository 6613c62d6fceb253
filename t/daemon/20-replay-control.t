#!/usr/bin/perl
# vigild --replay with vigilctl: exact counts per process reach the
# handler, status reports per-CPU counters while it runs, reload keeps the
# daemon going (and refuses a broken script), stop/SIGTERM/SIGINT run the
# END callbacks and exit 0, dump is refused on replay with a reason.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;
use GenTrace;

my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');
my $dir = tempdir(CLEANUP => 1);
my $trace = "$dir/trace";
my $want = gen_trace($trace, cpus => 3, per_cpu => 20000, tids => [101, 102, 103, 104]);
my $sockdir = "$dir/run";
my $sock = "$sockdir/vigild.sock";
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $sock\ndump:\n  dir: $dir/dumps\n");

# Counts per process; slow (10 ms every 50 events) until the go file exists.
my $slow = write_file("$dir/slow.pl", <<'PL');
use strict;
use Vigil;
use Time::HiRes ();
my (%n, $i);
my $go = $ARGV[0];
print "args: @ARGV\n";
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    $n{ $e->{common_pid} }++;
    Time::HiRes::sleep(0.01) if ++$i % 50 == 0 && !-e $go;
};
END {
    print "count $_ $n{$_}\n" for sort keys %n;
    print "END ran\n";
}
PL

sub counts_of {
    my ($text) = @_;
    return { $text =~ /^count (\d+) (\d+)$/mg };
}

sub start {
    my ($go, @extra) = @_;
    my $bg = start_vigild(['-f', '-c', $cfg, '--replay', $trace,
                           '-s', $slow, @extra, '--', $go, 'second arg'], sock => $sock);
    ok($bg->{ready}, 'the control socket appears')
        or diag(slurp($bg->{err}));
    return $bg;
}

# ---- run 1: status while running, then let it finish ---------------------
{
    my $go = "$dir/go1";
    my $bg = start($go);
    my @st = stat $sockdir;
    is($st[2] & 07777, 0700, 'socket directory is mode 0700');
    @st = stat $sock;
    is($st[2] & 0777, 0600, 'socket is mode 0600');

    my ($rc, $out, $err) = vigilctl($sock, 'status');
    is($rc, 0, 'vigilctl status exits 0') or diag $err;
    like($out, qr/^cpu\s+events_read\s+discarded\s+dispatched\s+filtered_out\s+packets$/m,
         'status has a per-CPU table with read, discarded, dispatched, filtered out');
    for my $cpu (0 .. 2) {
        like($out, qr/^$cpu\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+$/m, "status has a row for cpu $cpu");
    }
    like($out, qr/^all\s+(\d+)/m, 'status has a total row');
    my ($read) = $out =~ /^all\s+(\d+)/m;
    cmp_ok($read, '>', 0, 'events were read before the status');
    cmp_ok($read, '<', $want->{events}, 'status came while the replay was still running');
    like($out, qr/^handler errors: 0$/m, 'status reports handler errors');
    like($out, qr/^time in perl: \d+\.\d+ s$/m, 'status reports time in Perl');
    like($out, qr/^memory \(rss\): [1-9]\d* KiB$/m, 'status reports memory');
    like($out, qr/^uptime: \d+\.\d s$/m, 'status reports uptime');

    ($rc, $out, $err) = vigilctl($sock, 'dump', 'why', 'not');
    is($rc, 0, 'vigilctl dump during a replay succeeds') or diag $err;
    like($out, qr{^\Q$dir\E/dumps/\S+$}m, '... and prints the path of the dump');

    ($rc, $out, $err) = vigilctl($sock, 'frobnicate');
    is($rc, 2, 'an unknown vigilctl command is a usage error');
    like($err, qr/unknown command 'frobnicate'/, '... naming it');

    ($rc, $out, $err) = vigilctl($sock, 'status');
    is($rc, 0, 'the daemon still answers after bad commands');

    write_file($go, '');
    is(wait_bg($bg, 120), 0, 'the replay ends by itself with exit 0');
    is_deeply(counts_of($bg->{stdout}), $want->{per_tid},
              'the handler saw exactly the events of each process');
    like($bg->{stdout}, qr/^args: \Q$go\E second arg$/m, 'arguments after -- reached @ARGV');
    like($bg->{stdout}, qr/^END ran$/m, 'END blocks ran');
    my $n_read = $want->{events} + 4;    # and the statedump
    like($bg->{stderr}, qr/all\s+$n_read\s+0\s+$want->{events}\s+0\s/,
         'the statistics logged at exit count every event read and dispatched');
    ok(!-e $sock, 'the socket is removed at exit');
}

# ---- run 2: reload (a broken script is refused), then vigilctl stop -------
{
    my $go = "$dir/go2";
    my $bg = start($go);
    my $orig = slurp($slow);
    write_file($slow, "use Vigil;\non 'raw_syscalls:sys_exit' => sub { my \$e = shift\n \$x++ };\n");
    my ($rc, $out, $err) = vigilctl($sock, 'reload');
    is($rc, 1, 'reload of a script that does not compile fails');
    like($err, qr/slow\.pl.*line \d+/, '... naming the script and line');
    ($rc, $out, $err) = vigilctl($sock, 'status');
    is($rc, 0, 'the daemon keeps running with the old handlers');
    write_file($slow, $orig);
    ($rc, $out, $err) = vigilctl($sock, 'reload');
    is($rc, 0, 'reload of a good script succeeds') or diag $err;
    like($out, qr/reloaded/, '... and says so');
    ($rc, $out, $err) = vigilctl($sock, 'stop');
    is($rc, 0, 'vigilctl stop exits 0');
    is(wait_bg($bg, 60), 0, 'vigild stops with exit 0');
    like($bg->{stdout}, qr/^END ran$/m, 'END blocks ran on stop');
    my $c = counts_of($bg->{stdout});
    my $seen = 0;
    $seen += $_ for values %$c;
    cmp_ok($seen, '<', $want->{events}, 'it stopped before the end of the trace');
    like($bg->{stderr}, qr/stopping: vigilctl stop/, 'the log says why it stopped');
    like($bg->{stderr}, qr/handler errors: 0/, 'statistics are logged at exit');
}

# ---- runs 3, 4: SIGTERM and SIGINT stop the same way; SIGHUP reloads -----
for my $sig (qw(TERM INT)) {
    my $go = "$dir/go-$sig";
    my $bg = start($go);
    kill 'HUP', $bg->{pid};
    my ($rc) = vigilctl($sock, 'status');
    is($rc, 0, "still running after SIGHUP (before SIG$sig)");
    kill $sig, $bg->{pid};
    is(wait_bg($bg, 60), 0, "SIG$sig: exit 0");
    like($bg->{stdout}, qr/^END ran$/m, "SIG$sig: END blocks ran");
    like($bg->{stderr}, qr/stopping: SIG$sig/, "SIG$sig: the log says why");
    like($bg->{stderr}, qr/reload/i, 'SIGHUP reloaded the scripts');
}

# ---- --duration stops the same way ------------------------------------------
{
    my $bg = start("$dir/go-never", '--duration', '1');
    is(wait_bg($bg, 60), 0, '--duration 1: exit 0 after a second');
    like($bg->{stdout}, qr/^END ran$/m, '--duration: END blocks ran');
    like($bg->{stderr}, qr/stopping: --duration 1 s elapsed/, '--duration: the log says why');
}

# ---- a handler that dies on every 10th event --------------------------------
{
    my $die = write_file("$dir/die.pl", <<'PL');
use Vigil;
my $i = 0;
on 'raw_syscalls:sys_exit' => sub { die "tenth\n" if ++$i % 10 == 0 };
END { print "handled $i\n" }
PL
    my ($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', $cfg, '--replay', $trace, '-s', $die], timeout => 120);
    is($rc, 3, 'handler errors do not stop the daemon (exit 3 at the end)');
    like($out, qr/^handled $want->{events}$/m, 'every event reached the handler');
    my $errs = $want->{events} / 10;
    like($err, qr/^.*handler errors: $errs$/m, "the error count is exactly $errs");

    my $cfg2 = write_file("$dir/maxerr.yaml", "control_socket: $sock\nmax_handler_errors: 5\n");
    ($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', $cfg2, '--replay', $trace, '-s', $die], timeout => 120);
    is($rc, 1, 'max_handler_errors reached: vigild stops with exit 1');
    like($out, qr/^handled (\d+)$/m, 'END blocks still ran');
    my ($h) = $out =~ /^handled (\d+)$/m;
    cmp_ok($h // 0, '<', $want->{events}, '... before the end of the trace');
}

# ---- filters.comms drops other processes before Perl -----------------------
{
    my $cfg3 = write_file("$dir/comms.yaml", "control_socket: $sock\nfilters:\n  comms: ['task10[13]']\n");
    write_file("$dir/go-comm", '');
    my ($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', $cfg3, '--replay', $trace, '-s', $slow,
                                    '--', "$dir/go-comm"], timeout => 120);
    is($rc, 0, 'replay with a comm filter');
    is_deeply(counts_of($out), { 101 => $want->{per_tid}{101}, 103 => $want->{per_tid}{103} },
              'only the processes whose comm matches reach the handler');
    # and the 4 statedump records, written by a task that does not match
    my $dropped = $want->{per_tid}{102} + $want->{per_tid}{104} + 4;
    like($err, qr/all\s+\d+\s+0\s+\d+\s+$dropped\s/, 'the others are counted as filtered out');
}

done_testing;
