#!/usr/bin/perl
# handlers/syscall-top.pl live on a terminal clears the screen before
# each table, like top(1); to a pipe it does not (the replay side, which
# never clears, is t/handlers/20-syscall-top.t).  script(1) gives vigild
# a pty as its stdout.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $script = '/usr/bin/script';
unless (-x $script) {
    if ($ENV{CI}) { fail('script(1) (bsdutils) is installed'); done_testing; exit 1 }
    plan skip_all => 'no script(1) to run vigild on a terminal';
}

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $conf = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n");
local $ENV{VIGIL_PERL_LIB} = repo_root() . '/perl/lib';
my @cmd = (vigild_path(), '-c', $conf, '-f', '--source', 'kernel', '--duration', '3',
           '-s', repo_root() . '/handlers/syscall-top.pl', '--', '--interval', '1');
my $q = join ' ', map { "'$_'" } @cmd;

my $tty = qx{$script -qec "$q 2>/dev/null" /dev/null </dev/null};
is($?, 0, 'live on a terminal: exit status 0') or diag $tty;
like($tty, qr/syscall-top: \d+ syscalls/, 'it printed tables') or diag $tty;
like($tty, qr/\e\[H\e\[2J/, 'and cleared the screen before them');

my $pipe = qx{$q 2>/dev/null | cat};
like($pipe, qr/syscall-top: \d+ syscalls/, 'into a pipe: tables') or diag $pipe;
unlike($pipe, qr/\e\[/, 'without terminal control codes');

done_testing();
