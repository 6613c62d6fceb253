#!/usr/bin/perl
# vigild's command line and start-up errors: options override the file,
# every bad input is a clear error naming what was wrong, and a script
# that does not compile stops vigild before it touches the module.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
my $cfg = write_file("$dir/vigil.yaml", <<'Y');
mode: normal
buffer:
  size: 64KiB
  count: 8
events: [sched:sched_switch]
script_args: [from-file]
control_socket: /tmp/vigil-test/ctl.sock
Y
# scripts named below exist (a name that is neither a file nor a
# ready-made handler is an error: t/daemon/47-handler-by-name.t)
chdir $dir or die "$dir: $!";
write_file("$dir/$_", "use Vigil;\n") for qw(a.pl b.pl);

my ($rc, $out, $err) = run_cmd([$vigild, '--help']);
is($rc, 0, '--help exits 0');
for my $opt (qw(--config --script --foreground --replay --duration --events
                --mode --buffer-size --buffers --dump-dir --record)) {
    like($out, qr/\Q$opt\E\b/, "--help lists $opt");
}

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '--check-config', '-s', 'a.pl']);
is($rc, 0, '--check-config exits 0');
like($out, qr/^buffer\.size: 65536$/m, 'the file sets buffer.size');
like($out, qr/^buffer\.count: 8$/m, 'the file sets buffer.count');
like($out, qr/^events: \[sched:sched_switch\]$/m, 'the file sets events');
like($out, qr/^script_args: \[from-file\]$/m, 'the file sets script_args');
like($out, qr/^control_socket: \/tmp\/vigil-test\/ctl\.sock$/m, 'the file sets control_socket');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '--check-config',
    '--buffer-size', '2MiB', '--buffers', '16', '--events',
    'raw_syscalls:sys_enter,raw_syscalls:sys_exit', '--mode', 'flight',
    '--dump-dir', '/tmp/dd', '--', '--interval', '5']);
is($rc, 0, 'overrides accepted') or diag $err;
like($out, qr/^buffer\.size: 2097152$/m, '--buffer-size overrides the file');
like($out, qr/^buffer\.count: 16$/m, '--buffers overrides the file');
like($out, qr/^events: \[raw_syscalls:sys_enter, raw_syscalls:sys_exit\]$/m,
     '--events overrides the file');
like($out, qr/^mode: flight$/m, '--mode overrides the file');
like($out, qr/^dump\.dir: \/tmp\/dd$/m, '--dump-dir overrides the file');
like($out, qr/^script_args: \[--interval, 5\]$/m,
     'arguments after -- become the scripts\' @ARGV, options among them untouched');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '--check-config', '-s', 'a.pl', '-s', 'b.pl']);
like($out, qr/^scripts: \[a\.pl, b\.pl\]$/m, '-s is repeatable, in order');

($rc, $out, $err) = run_cmd([$vigild, '-c', "$dir/nope.yaml", '-s', 'a.pl']);
is($rc, 2, 'a missing -c file is an error (exit 2)');
like($err, qr/\Q$dir\/nope.yaml\E/, '... naming the file');

my $bad = write_file("$dir/bad.yaml", "# comment\nbuffer:\n  size: 12Q\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $bad, '-s', 'a.pl']);
is($rc, 2, 'a bad value in the file is an error (exit 2)');
is($err, "vigild: $bad:3: buffer.size: '12Q' is not a size (use e.g. 1MiB)\n",
   '... naming file, line and key');

$bad = write_file("$dir/bad2.yaml", "mode: normal\nfliters:\n  pids: [1]\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $bad, '-s', 'a.pl']);
is($rc, 2, 'an unknown key is an error');
like($err, qr/\Q$bad\E:2: fliters: unknown key/, '... naming file, line and key');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-s', 'a.pl', '--buffer-size', '3MiB']);
is($rc, 2, 'a bad --buffer-size is an error');
like($err, qr/--buffer-size: '3MiB' must be a power of 2/, '... naming the option');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-s', 'a.pl', '--mode', 'turbo']);
is($rc, 2, 'a bad --mode is an error');
like($err, qr/--mode: 'turbo' is not a mode \(auto, normal or flight\)/, '... naming the option');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-s', 'a.pl', '--events', 'bogus']);
is($rc, 2, 'a bad --events entry is an error');
like($err, qr/--events: 'bogus' is not an event name/, '... naming the option');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '--frobnicate']);
is($rc, 2, 'an unknown option is an error');
like($err, qr/frobnicate/, '... naming it');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-s', 'a.pl', 'stray']);
is($rc, 2, 'a stray argument before -- is an error');
like($err, qr/unexpected argument 'stray'/, '... naming it');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-f', '--mode', 'normal']);
is($rc, 2, 'normal mode without scripts or --record has nothing to do');
like($err, qr/no handler script/, '... and says so');

# mode auto, the default: a flight recorder when no scripts are given
my $nomode = write_file("$dir/nomode.yaml", "control_socket: $dir/ctl.sock\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $nomode, '--check-config']);
is($rc, 0, 'no scripts, no mode: accepted');
like($out, qr/^mode: flight$/m, '... as a flight recorder (mode auto)');
($rc, $out, $err) = run_cmd([$vigild, '-c', $nomode, '-s', 'print', '--check-config']);
like($out, qr/^mode: normal$/m, 'with a script, mode auto is normal');
($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '--mode', 'auto', '--record', '/tmp/x', '--check-config']);
like($out, qr/^mode: normal$/m, 'with --record, mode auto is normal');

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-f', '--mode', 'flight', '-s', 'a.pl']);
is($rc, 2, 'flight mode with handler scripts is refused');
like($err, qr/--mode flight runs no handlers/, '... with the reason');

# A script that does not compile: file and line, exit 1, module untouched
# (the check for /dev/vigil comes after loading scripts).
my $broken = write_file("$dir/broken.pl", <<'PL');
use Vigil;
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift
    $x{ $e->{common_pid} }++;
};
PL
($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-f', '-s', $broken]);
is($rc, 1, 'a script with a compile error: exit 1');
like($err, qr/broken\.pl.* line [34]\b/, '... the message names the script and the line');
unlike($err, qr/vigil\.ko|\/dev\/vigil/, '... and the module was never looked at');

SKIP: {
    skip '/dev/vigil exists here', 2 if -e '/dev/vigil';
    my $good = write_file("$dir/good.pl", "use Vigil;\non 'raw_syscalls:sys_exit' => sub { };\n");
    # (--source module: auto would fall back to the kernel's tracepoints)
    ($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-f', '--source', 'module', '-s', $good]);
    is($rc, 1, 'without the module: exit 1');
    like($err, qr/vigil\.ko is not loaded \(no \/dev\/vigil\)/, '... saying the module is not loaded');
}

($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg, '-f', '--replay', "$dir/no-such-trace",
                             '-s', write_file("$dir/ok.pl", "use Vigil;\n1;\n")]);
is($rc, 1, '--replay of a missing directory: exit 1');
like($err, qr/no-such-trace/, '... naming the directory');

done_testing;
