#!/usr/bin/perl
# Handlers that misbehave do not take vigild (or its tracing) with them:
#  - a handler forks and the child calls exit: the child ends at once
#    (no END blocks, no shutdown of the parent's tracing);
#  - a forked child that returns from the handler (no exit, no exec)
#    ends with status 70 and a message, instead of living on as a
#    second vigild reading the same buffers;
#  - system() and backticks work;
#  - a handler that closes STDOUT: tracing goes on;
#  - a reload with a broken script: the old scripts keep running (exact
#    counts), the error names the script, and `vigilctl reload` fails;
#  - a handler that loops forever: the watchdog reports it with its line
#    and aborts the call; the events after it are all delivered.
# The kernel's tracepoints (no module): root, like every t/kernel test.
use strict;
use warnings;
use Test::More;
use FindBin;
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $dir = File::Temp::tempdir(CLEANUP => 1);

# The handlers' filters name the workload's pid ($ENV{VG85_PID}, which
# vigild inherits): the workload is started first, blocked on a pipe,
# and each step runs when released: (pid, release) where release(I)
# lets step I (0, 1, ...) run and, after the last, waits for it.
sub blocked_workload {
    my (@steps) = @_;
    my @pipes = map { pipe(my $r, my $w) or die "pipe: $!"; [$r, $w] } @steps;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $_->[1] for @pipes;
        open(STDOUT, '>', '/dev/null') or die "/dev/null: $!";
        for my $i (0 .. $#steps) {
            my $go = readline $pipes[$i][0];
            $steps[$i]->();
        }
        exit 0;
    }
    close $_->[0] for @pipes;
    $ENV{VG85_PID} = $pid;
    return ($pid, sub {
        my ($i) = @_;
        print { $pipes[$i][1] } "go\n";
        close $pipes[$i][1];
        waitpid($pid, 0) if $i == $#steps;
    });
}
sub getppids { my ($n) = @_; sub { syscall(110) for 1 .. $n } }    # x86_64

# ---- fork in a handler -------------------------------------------------------
my $fork = write_file("$dir/fork.pl", <<'PL');
use Vigil;
my ($n, $exited, $returned, $ends) = (0, -1, -1, 0);
on 'syscalls:sys_enter_getppid', "common_pid == $ENV{VG85_PID}" => sub {
    $n++;
    if ($n == 10) {             # the child exits
        my $pid = fork // die "fork: $!";
        exit 3 if $pid == 0;
        waitpid($pid, 0);
        $exited = $?;
    } elsif ($n == 20) {        # the child returns from the handler
        my $pid = fork // die "fork: $!";
        return if $pid == 0;
        waitpid($pid, 0);
        $returned = $?;
    } elsif ($n == 30) {
        my $x = `echo backticks`;
        chomp $x;
        system('true');
        print "$x system $?\n";
    }
};
END { $ends++; print "n $n exited $exited returned $returned ends $ends\n" }
PL
my ($wl, $release) = blocked_workload(getppids(4000));
my $r = live_run(scripts => [$fork], work => sub { $release->(0); 1 });
is($r->{rc}, 0, 'vigild exits 0') or diag $r->{err};
nothing_lost($r);
like($r->{out}, qr/^n 4000 exited 768 returned 17920 ends 1$/m,
     'the parent counted all 4000 events; the exiting child ended with its status (3), '
     . 'the returning one with 70; END ran once, in vigild')
    or diag $r->{out}, $r->{err};
like($r->{err}, qr/a process forked by a handler returned from it without exit or exec; it exits \(status 70\)/,
     'the returning child says why it ends');
like($r->{out}, qr/^backticks system 0$/m, 'backticks and system() work in a handler');
unlike($r->{err}, qr/stopping: exit/, 'the child\'s exit did not stop the tracing');

# ---- STDOUT closed by a handler ----------------------------------------------
my $closer = write_file("$dir/close.pl", <<'PL');
use Vigil;
my $n = 0;
on 'syscalls:sys_enter_getppid', "common_pid == $ENV{VG85_PID}" => sub {
    close STDOUT if ++$n == 5;
};
END { print STDERR "closer n $n\n" }
PL
($wl, $release) = blocked_workload(getppids(3000));
$r = live_run(scripts => [$closer], work => sub { $release->(0); 1 });
is($r->{rc}, 0, 'a handler closing STDOUT: vigild exits 0') or diag $r->{err};
like($r->{err}, qr/^closer n 3000$/m, '... and the handler saw every event after it');

# ---- reload with a broken script ---------------------------------------------
my $counter = "$dir/counter.pl";
write_file($counter, <<'PL');
use Vigil;
my $n = 0;
on 'syscalls:sys_enter_getppid', "common_pid == $ENV{VG85_PID}" => sub { $n++ };
END { print "counted $n\n" }
PL
($wl, $release) = blocked_workload(getppids(1500), getppids(2500));
my ($rrc, $rout, $rerr);
$r = live_run(scripts => [$counter], work => sub {
    my ($run) = @_;
    $release->(0);
    sleep 0.5;
    # the script on disk breaks, then a reload is asked for
    write_file($counter, "use Vigil;\non 'syscalls:sys_enter_getppid' => sub { \$n++ ;\n");
    ($rrc, $rout, $rerr) = vigilctl($run->{sock}, 'reload');
    $release->(1);
    1;
});
is($r->{rc}, 0, 'vigild exits 0 after the failed reload') or diag $r->{err};
isnt($rrc, 0, 'vigilctl reload fails') or diag "$rout$rerr";
like("$rout$rerr", qr/\Q$counter\E/, '... naming the broken script') or diag "$rout$rerr";
like($r->{err}, qr/\Q$counter\E.*(syntax error|Missing right curly)/s,
     'vigild reports the broken script and why');
like($r->{out}, qr/^counted 4000$/m,
     'the old script kept running: it counted the 1500 calls before and the 2500 after the reload')
    or diag $r->{out};
# ---- a handler that loops forever (the watchdog) ---------------------------------
my $looper = write_file("$dir/loop.pl", <<'PL');
use Vigil;
my $n = 0;
on 'syscalls:sys_enter_getppid', "common_pid == $ENV{VG85_PID}" => sub {
    $n++;
    1 while $n == 100;    # line 5
};
END { print "looper n $n\n" }
PL
($wl, $release) = blocked_workload(getppids(2000));
$r = live_run(scripts => [$looper], opts => ['--watchdog', '0.3s,1s'],
              work => sub { $release->(0); 1 });
is($r->{rc}, 3, 'a handler looping forever, live: vigild goes on, exit 3 (one handler error)') or diag $r->{err};
like($r->{err}, qr/watchdog: handler on 'syscalls:sys_enter_getppid' \(\S*loop\.pl line \d+\) on event syscalls:sys_enter_getppid .* has been running for \d+\.\d s \(aborted at 1\.0 s\), now at \S*loop\.pl line 5\./,
     'the watchdog reports the handler, its event and its line');
like($r->{err}, qr/handler error 1 .*: vigild watchdog: call aborted after \d+\.\d s \(watchdog\.abort_after 1\.0 s\) at \S*loop\.pl line 5\./,
     'and aborts the call');
like($r->{out}, qr/^looper n 2000$/m, 'every event after the aborted call is delivered (the buffers held them)')
    or diag $r->{out};
done_testing();
