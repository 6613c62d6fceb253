#!/usr/bin/perl
# handlers/trace.pl live on the kernel's own tracepoints (--source
# kernel): `vigild -s trace -- COMMAND` starts the command once tracing
# runs, prints its syscalls from its execve on, one strace-like line
# each (flags by name, errno names, durations; paths are pointers here:
# the kernel's tracepoints copy no strings), how it ended, and stops
# vigild.  Exact: a workload's known syscalls, each seen once; /bin/cat
# /nonexistent's failed openat and its exit; a command killed by a
# signal; --pid of a process that was running before; --follow into a
# child; a misspelt --syscall refused at start.  The decoding of
# recorded traces (with path strings) is t/handlers/95-trace.t.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;
use POSIX ();
use Time::HiRes qw(sleep);

need_kernel_source();
my $trace = repo_root() . '/handlers/trace.pl';
my $wl = workload();
my $DUR = qr/ <\d+\.\d{6}>/;
my $PTR = qr/0x[0-9a-f]+/;

# vigild -s trace -- ARGS, which is to stop by itself (the command or
# the traced processes exited): waits for that, at most $wait s
sub trace_run {
    my ($args, %o) = @_;
    my $gone;
    my $r = live_run(scripts => [$trace], args => $args, settle => 0, work => sub {
        my ($run) = @_;
        $o{work}->($run) if $o{work};
        $gone = wait_for(sub { !defined vigild_pid($run) }, $o{wait} // 60);
        return 1;
    });
    $r->{stopped_itself} = $gone;
    $r->{lines} = [ split /\n/, $r->{out} // '' ];
    return $r;
}

# 1. a workload of known syscalls, then its exec of /bin/cat /nonexistent
my $r = trace_run([$wl, '7', '3', '/nonexistent/vigil-trace-test', '/bin/cat', '/nonexistent']);
ok($r->{ready}, 'vigild -s trace -- COMMAND traces') or diag $r->{err};
is($r->{rc}, 0, 'exit 0') or diag $r->{err};
ok($r->{stopped_itself}, 'vigild stopped by itself when the command ended') or diag $r->{err};
like($r->{err}, qr/vigild exits \(\S*vigil-workload exited\)/, '... saying why');
nothing_lost($r);
# (the workload's own "pid=N" goes to stdout too, which it shares)
my @l = grep { !/^pid=\d+$/ } @{ $r->{lines} };
is(scalar(grep { /^pid=\d+$/ } @{ $r->{lines} }), 1, 'the command\'s stdout is vigild\'s');
like($l[0] // '', qr/^execve\($PTR, $PTR, $PTR\) = 0$DUR$/,
     'the first line is the command\'s execve (paths are pointers on the kernel\'s tracepoints)')
    or diag $r->{out};
my @getppid = grep { /^getppid\(\) = \d+$DUR$/ } @l;
is(scalar @getppid, 7, 'the 7 getppid calls, one line each') or diag $r->{out};
my %parents = map { /= (\d+)/; $1 => 1 } @getppid;
is(scalar keys %parents, 1, '... all returning the same parent (vigild, which started the command)');
my ($last_getppid) = grep { $l[$_] =~ /^getppid\(/ } reverse 0 .. $#l;
my @after = @l[ $last_getppid + 1 .. $last_getppid + 4 ];
my ($path) = ($after[0] // '') =~ /^openat\(AT_FDCWD, ($PTR),/;
$path //= 'none';
is(scalar(grep { defined && /^openat\(AT_FDCWD, \Q$path\E, O_RDONLY\) = -1 ENOENT \(No such file or directory\)$DUR$/ } @after[0 .. 2]), 3,
   'then its 3 failing openat calls of one path: AT_FDCWD, O_RDONLY, errno name and text')
    or diag $r->{out};
like($after[3] // '', qr/^execve\($PTR, $PTR, $PTR\) = 0$DUR$/, 'then its execve of cat');
is(scalar(grep { /^execve\(/ } @l), 2, 'two execve lines: the workload\'s and cat\'s');
my ($cat) = grep { $l[$_] =~ /^execve\(/ } reverse 0 .. $#l;
# cat's argv[1] is on its stack (0x7ff...), the C library's paths are not
like(join("\n", @l[ $cat .. $#l ]), qr/^openat\(AT_FDCWD, 0x7ff[0-9a-f]{9}, O_RDONLY\) = -1 ENOENT \(No such file or directory\)$DUR$/m,
     'cat\'s openat of /nonexistent (its argv string): ENOENT');
like($r->{out}, qr/^openat\(AT_FDCWD, $PTR, O_RDONLY\|O_CLOEXEC\) = \d+$DUR$/m,
     'the dynamic loader\'s opens: O_RDONLY|O_CLOEXEC');
like($r->{out}, qr/^mmap\(NULL, \d+, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\) = $PTR$DUR$/m,
     'mmap: NULL, protections and flags by name, fd -1, the address in hex');
like($r->{out}, qr/^write\(2, $PTR, \d+\) = \d+$DUR$/m, 'cat writes its message to fd 2');
is($l[-2] // '', 'exit_group(1) = ?', 'exit_group, which never returns: = ?');
is($l[-1] // '', '+++ exited with 1 +++', 'the last line: how the command ended');
is(scalar(grep { /^\[pid / } @l), 0, 'one process, one thread: no [pid] prefixes');
like($r->{err}, qr/cat: \/nonexistent: No such file or directory/, 'the command\'s own output goes where vigild\'s does');

# 2. killed by a signal
$r = trace_run(['/bin/sh', '-c', 'kill -KILL $$']);
is($r->{rc}, 0, 'a command killed by SIGKILL: exit 0') or diag $r->{err};
like($r->{out}, qr/^kill\(\d+, SIGKILL\)/m, 'kill\'s signal by name') or diag $r->{out};
like(($r->{lines}[-1] // ''), qr/^\+\+\+ killed by SIGKILL \+\+\+$/, '+++ killed by SIGKILL +++') or diag $r->{out};

# 3. --follow into the children, --failed
$r = trace_run(['--follow', '--failed', '--', '/bin/sh', '-c', '/bin/cat /nonexistent; exit 3']);
is($r->{rc}, 0, '--follow --failed: exit 0') or diag $r->{err};
like($r->{out}, qr/^\[pid (\d+) cat\] openat\(AT_FDCWD, $PTR, O_RDONLY\) = -1 ENOENT \(No such file or directory\)$DUR$/m,
     'the child\'s failed openat, its line saying which process') or diag $r->{out};
is(scalar(grep { !/ = -1 E[A-Z]+ / && !/^\[pid \d+\] \+\+\+ exited with \d+ \+\+\+$/ } @{ $r->{lines} }), 0,
   '--failed: nothing but failed calls and ends') or diag $r->{out};
like($r->{out}, qr/^\[pid \d+\] \+\+\+ exited with 1 \+\+\+$/m, 'the child\'s end (its exit_group code)');
like(($r->{lines}[-1] // ''), qr/^\[pid \d+\] \+\+\+ exited with 3 \+\+\+$/, 'then the command\'s, last');

# 4. --pid of a process running before vigild: it is traced until it exits
my $bg = start_bg(['/bin/sh', '-c', "sleep 3; exec $wl 5 2 /nonexistent/vigil-trace-pid"]);
$r = trace_run(['--pid', $bg->{pid}, '--syscall', 'getppid,openat,execve'],
               work => sub { waitpid($bg->{pid}, 0) });
is($r->{rc}, 0, '--pid: exit 0') or diag $r->{err};
ok($r->{stopped_itself}, 'vigild stopped by itself when the process exited') or diag $r->{err};
like($r->{err}, qr/vigild exits \(the traced processes exited\)/, '... saying why');
my @p = grep { !/^pid=\d+$/ } @{ $r->{lines} };
like($p[0] // '', qr/^execve\(/, '--syscall: the execve...') or diag $r->{out};
is(scalar(grep { /^getppid\(\) = \d+$DUR$/ } @p), 5, '... the 5 getppid calls...');
is(scalar(grep { /^openat\(AT_FDCWD, $PTR, O_RDONLY\) = -1 ENOENT/ } @p), 2, '... the 2 openat calls');
is(scalar(grep { !/^(?:execve|getppid|openat)\(/ } @p), 1, '... and nothing else but...') or diag $r->{out};
is($p[-1] // '', '+++ exited with 0 +++', '... the end, its exit_group code');

# 5. a syscall that does not exist
my $e = live_run(scripts => [$trace], args => ['--syscall', 'opnat', '/bin/true']);
isnt($e->{rc}, 0, 'a misspelt --syscall: vigild fails at start');
like($e->{err}, qr/on 'syscalls:sys_enter_opnat': no such event; did you mean 'syscalls:sys_enter_openat'\?/,
     '... naming the nearest syscall event') or diag $e->{err};
unlike($e->{err}, qr/tracing \d+ CPUs/, '... before tracing');

done_testing();
