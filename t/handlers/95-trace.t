#!/usr/bin/perl
# handlers/trace.pl on a recorded trace: one line per syscall as strace
# prints it, arguments decoded (AT_FDCWD, O_RDONLY|O_CLOEXEC, PROT_* and
# MAP_* flags, access modes, paths as the strings vigil.ko recorded,
# pointers in hex), errno names and texts for failures, durations, the
# exit_group that never returns; --pid, --failed, --syscall select; a
# COMMAND is refused on --replay.  Live, with a command, on the kernel's
# own tracepoints: t/kernel/95-trace.t.
use strict;
use warnings;
no warnings 'portable';	# 64-bit addresses
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $S = 1_000_000_000;
my $t = new_trace();
$t->task(100, 100, 1, 'cat');
$t->task(200, 200, 1, 'nginx');
$t->syscall(0, $S + 1000, 100, 'openat', 12_000, 3, dfd => -100, filename => '/etc/ld.so.cache',
	    flags => 0x80000);
$t->syscall(0, $S + 20_000, 100, 'mmap', 5000, 0x7f3c8e5d1000, addr => 0, len => 20115,
	    prot => 1, flags => 2, fd => 3, off => 0);
$t->syscall(1, $S + 25_000, 200, 'access', 1000, -13, filename => '/etc/shadow', mode => 6);
$t->syscall(0, $S + 30_000, 100, 'openat', 7000, -2, dfd => -100, filename => '/nonexistent',
	    flags => 0);
$t->syscall(0, $S + 40_000, 100, 'openat', 3000, 4, dfd => 5, filename => 'new "file"',
	    flags => 0x241, mode => 0644);
$t->syscall(0, $S + 50_000, 100, 'read', 2_500_000, -4, fd => 3, buf => 0x7ffd0000, count => 4096);
$t->syscall(0, $S + 60_000_000, 100, 'exit_group', undef, undef, error_code => 1);
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'trace.pl', '--pid', '100');
is($st, 0, '--pid 100: exit status 0') or diag $err;
is($out, <<'EOT', 'one strace-like line per syscall of process 100, decoded');
openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3 <0.000012>
mmap(NULL, 20115, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f3c8e5d1000 <0.000005>
openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000007>
openat(5, "new \"file\"", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4 <0.000003>
read(3, 0x7ffd0000, 4096) = -1 EINTR (Interrupted system call) <0.002500>
exit_group(1) = ?
EOT

($out, $err, $st) = run_handler($dir, 'trace.pl');
is($st, 0, 'every process: exit status 0') or diag $err;
like($out, qr/^\[pid 200 nginx\] access\("\/etc\/shadow", R_OK\|W_OK\) = -1 EACCES \(Permission denied\) <0\.000001>$/m,
     'every process: each line says which, access modes by name') or diag $out;
like($out, qr/^\[pid 100 cat\] openat\(AT_FDCWD, "\/etc\/ld\.so\.cache", O_RDONLY\|O_CLOEXEC\) = 3 <0\.000012>$/m,
     '... the other process too');

($out, $err, $st) = run_handler($dir, 'trace.pl', '--failed', '--pid', '100,200');
is($out, <<'EOT', '--failed: only the calls that failed (two processes: each line says which)');
[pid 200 nginx] access("/etc/shadow", R_OK|W_OK) = -1 EACCES (Permission denied) <0.000001>
[pid 100 cat] openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000007>
[pid 100 cat] read(3, 0x7ffd0000, 4096) = -1 EINTR (Interrupted system call) <0.002500>
EOT

($out, $err, $st) = run_handler($dir, 'trace.pl', '--syscall', 'mmap', '-p', '100');
is($out, "mmap(NULL, 20115, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f3c8e5d1000 <0.000005>\n",
   '--syscall mmap: only mmap');

($out, $err, $st) = run_handler($dir, 'trace.pl', '--', '/bin/true');
isnt($st, 0, 'a COMMAND on --replay: vigild fails');
like($err, qr/trace\.pl: a COMMAND runs only live, not on --replay/, '... saying why');
($out, $err, $st) = run_handler($dir, 'trace.pl', '--pid', 'x');
like($err, qr/trace\.pl: --pid 'x' is not a process id/, 'a bad --pid is refused');
($out, $err, $st) = run_handler($dir, 'trace.pl', '--help');
is($st, 0, '--help: exit 0');
like($out, qr/^usage: vigild -f -s handlers\/trace\.pl -- \[--pid PID/, '... and the usage on stdout');

done_testing();
