#!/usr/bin/perl
# handlers/file-watch.pl reports opens of matching paths when they
# return: who, which syscall, fd or errno name, path.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Test::More;
use HandlerTest;

need_vigild();

my $S = 1_000_000_000;
my $t = new_trace();
$t->task(100, 100, 1, 'cat');
$t->task(200, 200, 1, 'sshd');
$t->task(201, 200, 1, 'sshd');
$t->syscall(0, $S + 1000, 100, 'openat', 1000, 3, dfd => -100, filename => '/etc/passwd');
$t->syscall(0, $S + 3000, 100, 'open', 1000, -2, filename => '/etc/nope');
$t->syscall(0, $S + 5000, 100, 'openat', 1000, 4, dfd => -100, filename => 'relative/file');
$t->syscall(1, $S + 2000, 200, 'openat', 5000, -13, dfd => -100, filename => '/etc/shadow');
$t->syscall(1, $S + 8000, 201, 'creat', 1000, 5, pathname => '/etc/new');
# an enter whose exit never came, then another syscall's exit: not paired
$t->syscall(1, $S + 10000, 201, 'openat', undef, undef, dfd => -100, filename => '/etc/lost');
$t->syscall(1, $S + 11000, 201, 'read', 1000, 1, fd => 5);
my $dir = trace_dir($t);

my ($out, $err, $st) = run_handler($dir, 'file-watch.pl');
is($st, 0, 'exit status 0') or diag($err);
is($out, <<'EOT', 'every open, creat included, in time order of return');
TIME                 COMM                 PID     TID SYSCALL  RESULT   PATH
1.000002000          cat                  100     100 openat   fd=3     /etc/passwd
1.000004000          cat                  100     100 open     ENOENT   /etc/nope
1.000006000          cat                  100     100 openat   fd=4     relative/file
1.000007000          sshd                 200     200 openat   EACCES   /etc/shadow
1.000009000          sshd                 200     201 creat    fd=5     /etc/new
EOT

($out, $err, $st) = run_handler($dir, 'file-watch.pl', '--glob', '/etc/*', '--failed', '--noheader');
is($st, 0, '--glob --failed: exit status 0') or diag($err);
is($out, <<'EOT', '--failed keeps the failures among the matching paths');
1.000004000          cat                  100     100 open     ENOENT   /etc/nope
1.000007000          sshd                 200     200 openat   EACCES   /etc/shadow
EOT

($out, $err, $st) = run_handler($dir, 'file-watch.pl', '--noheader', '/etc/[ps]*', 'rel*');
is($st, 0, 'bare patterns: exit status 0') or diag($err);
is($out, <<'EOT', 'bare arguments are patterns too; [..] sets work');
1.000002000          cat                  100     100 openat   fd=3     /etc/passwd
1.000006000          cat                  100     100 openat   fd=4     relative/file
1.000007000          sshd                 200     200 openat   EACCES   /etc/shadow
EOT

($out, $err, $st) = run_handler($dir, 'file-watch.pl', '--noheader', '--comm', 'sshd');
is($st, 0, '--comm: exit status 0') or diag($err);
is($out, <<'EOT', '--comm keeps one command name');
1.000007000          sshd                 200     200 openat   EACCES   /etc/shadow
1.000009000          sshd                 200     201 creat    fd=5     /etc/new
EOT

done_testing();
